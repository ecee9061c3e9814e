//! The judges and harness helpers of the lifecycle and error cases: the state's ociVersion,
//! warnings on create's stderr, cgroups the harness makes as a cgroup manager would.

use std::path::Path;

use ocicheck_catalog::{ids, SpecVersion};
use serde_json::json;

use super::*;
use crate::runner::cleanup;
use crate::runner::judge::{self, StateWant};

fn state_with_version(v: &str) -> serde_json::Value {
    json!({"ociVersion": v, "id": "c1", "status": "stopped", "bundle": "/b"})
}

#[test]
fn the_state_oci_version_names_a_release() {
    let want = StateWant {
        id: "c1",
        bundle: Path::new("/b"),
        status: None,
        annotations: None,
        version: SpecVersion::LATEST,
    };
    for ok in ["1.3.0", "1.0.2", "1.0.2-dev", "1.2.0+dev"] {
        assert!(
            judge::state(1, &want, &state_with_version(ok)).is_ok(),
            "{ok}"
        );
    }
    for bad in ["0.1.0", "2.0.0", "1.0.3", "latest"] {
        let e = judge::state(2, &want, &state_with_version(bad)).expect_err(bad);
        assert_eq!(
            e.ids,
            [ids::RUNTIME_STATE_OCI_VERSION_STATE_VERSION.as_str()],
            "{bad}"
        );
        match e.failure {
            Failure::Fail(m) => assert!(m.contains(bad), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_warning_is_a_line_of_create_naming_it() {
    let stderr = "time=\"...\" level=warning msg=\"ignoring unknown or unavailable capabilities: [CAP_FOO]\"\n";
    assert!(judge::warning(3, stderr, "CAP_FOO").is_ok());
    match judge::warning(3, "", "CAP_FOO") {
        Err(Failure::Fail(m)) => assert!(m.starts_with("step 3: ") && m.contains("CAP_FOO")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn make_cgroup_makes_the_leaf_in_every_v1_hierarchy_with_cpuset_values() {
    let root = tempfile::tempdir().unwrap();
    for h in ["cpuset", "memory"] {
        let d = root.path().join(h);
        std::fs::create_dir(&d).unwrap();
        std::fs::write(d.join("cgroup.procs"), "").unwrap();
    }
    std::fs::write(root.path().join("cpuset/cpuset.cpus"), "0-1\n").unwrap();
    std::fs::write(root.path().join("cpuset/cpuset.mems"), "0\n").unwrap();
    // A symlink to a hierarchy (cpu -> cpu,cpuacct on many hosts) is not made twice.
    std::os::unix::fs::symlink(root.path().join("memory"), root.path().join("mem")).unwrap();
    let made = cleanup::make_cgroup_dirs(root.path(), "/case-1").unwrap();
    assert_eq!(made.len(), 2, "{made:?}");
    let cpuset = root.path().join("cpuset/case-1");
    assert!(made.contains(&cpuset) && made.contains(&root.path().join("memory/case-1")));
    assert_eq!(
        std::fs::read_to_string(cpuset.join("cpuset.cpus")).unwrap(),
        "0-1\n"
    );
    assert_eq!(
        cleanup::cgroup_dirs(root.path(), "/case-1").len(),
        3,
        "cgroup_dirs sees it through the symlink too"
    );
    // Once made, it is there: a second make is an error, not a silent success.
    assert!(cleanup::make_cgroup_dirs(root.path(), "/case-1").is_err());
}

#[test]
fn make_cgroup_makes_one_leaf_on_cgroup_v2_and_refuses_paths_of_no_directory() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("cgroup.controllers"), "cpu memory\n").unwrap();
    let made = cleanup::make_cgroup_dirs(root.path(), "/case-2").unwrap();
    assert_eq!(made, [root.path().join("case-2")]);
    for bad in ["/", "", "/../etc"] {
        assert!(
            cleanup::make_cgroup_dirs(root.path(), bad).is_err(),
            "{bad}"
        );
    }
    // Only the leaf: a missing parent is the case's mistake.
    assert!(cleanup::make_cgroup_dirs(root.path(), "/no/such/parent").is_err());
}
