//! What is left of a container on the host: the state's pid, what delete leaves, what a
//! failing hook's teardown leaves; the judges on their own, and the steps against the fake.

use serde_json::json;

use super::*;
use crate::runner::remains::{self, Leftovers, PidWant, ProcView, Remains};

const HOST_MNT: &str = "mnt:[1]";

fn fails_with(r: Result<(), Failure>, text: &str) {
    match r {
        Err(Failure::Fail(m)) => assert!(m.contains(text), "{m:?} lacks {text:?}"),
        other => panic!("expected a failure with {text:?}, got {other:?}"),
    }
}

/// A host whose only process is pid 40, the container's probe.
fn host(pid: i32) -> Option<ProcView> {
    (pid == 40).then(|| ProcView {
        cmdline: vec!["/probe".into(), "observe".into()],
        mnt_ns: "mnt:[2]".into(),
        dead: false,
    })
}

#[test]
fn the_state_pid_is_the_container_process_on_the_host() {
    let args = vec!["/probe".to_string(), "observe".to_string()];
    let want = PidWant {
        args: &args,
        host_mnt: HOST_MNT,
        pid_file: Some(40),
    };
    assert!(remains::pid(1, &json!({"pid": 40}), &want, host).is_ok());
    // pid + 1, as a runtime that reports the wrong process would.
    fails_with(
        remains::pid(2, &json!({"pid": 41}), &want, host),
        "step 2: the state's pid 41 is no live process on the host",
    );
    fails_with(
        remains::pid(1, &json!({"status": "running"}), &want, host),
        "the state has no pid",
    );
    // A process of the runtime's mount namespace (the runtime itself, a shim).
    let shim = |_| {
        Some(ProcView {
            cmdline: vec!["runtime".into()],
            mnt_ns: HOST_MNT.into(),
            dead: false,
        })
    };
    fails_with(
        remains::pid(1, &json!({"pid": 40}), &want, shim),
        "in the runtime's mount namespace",
    );
    // Another process of the container, or one that already exited.
    let other = |_| {
        Some(ProcView {
            cmdline: vec!["/bin/sh".into()],
            mnt_ns: "mnt:[2]".into(),
            dead: false,
        })
    };
    fails_with(
        remains::pid(1, &json!({"pid": 40}), &want, other),
        "runs /bin/sh, not the container's /probe, observe",
    );
    let zombie = |p| host(p).map(|v| ProcView { dead: true, ..v });
    fails_with(
        remains::pid(1, &json!({"pid": 40}), &want, zombie),
        "no live process",
    );
    let want = PidWant {
        pid_file: Some(39),
        ..want
    };
    fails_with(
        remains::pid(1, &json!({"pid": 40}), &want, host),
        "the state's pid is 40, the pid file's 39",
    );
}

#[test]
fn this_process_is_seen_as_it_is() {
    let me = remains::proc_view(std::process::id() as i32).expect("me"); // ok: test code
    assert!(!me.dead);
    assert!(me.mnt_ns.starts_with("mnt:["), "{me:?}");
    assert!(remains::proc_view(0).is_none());
    assert_eq!(
        remains::still_runs(Some(std::process::id() as i32), remains::proc_view),
        Some(std::process::id() as i32)
    );
    assert_eq!(remains::still_runs(None, remains::proc_view), None);
}

#[test]
fn gone_and_torn_down_name_what_is_left() {
    assert!(remains::gone(1, &Leftovers::default()).is_ok());
    let left = Leftovers {
        state: Some("{\"status\":\"stopped\"}\n".into()),
        cgroups: vec!["/sys/fs/cgroup/pids/c".into()],
        mounts: vec!["/b/rootfs/proc".into()],
    };
    for text in [
        "step 4: after delete, state still succeeds",
        "its cgroup is left at \"/sys/fs/cgroup/pids/c\"",
        "mounts are left at \"/b/rootfs/proc\"",
    ] {
        fails_with(remains::gone(4, &left), text);
    }

    assert!(remains::torn_down(1, &Remains::default()).is_ok());
    let stopped = Remains {
        status: Some("stopped".into()),
        ..Remains::default()
    };
    assert!(remains::torn_down(1, &stopped).is_ok());
    let left = Remains {
        status: Some("running".into()),
        running: Some(40),
        busy: vec![("/sys/fs/cgroup/c".into(), vec![40])],
    };
    for text in [
        "state says \"running\"",
        "its process 40 still runs",
        "/sys/fs/cgroup/c still holds 40",
    ] {
        fails_with(remains::torn_down(1, &left), text);
    }
}

#[test]
fn busy_cgroups_are_those_that_list_processes() {
    let dir = tempfile::tempdir().expect("tmp"); // ok: test code
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for (d, procs) in [(&a, "12\n13\n"), (&b, "")] {
        std::fs::create_dir(d).expect("mkdir"); // ok: test code
        std::fs::write(d.join("cgroup.procs"), procs).expect("write"); // ok: test code
    }
    assert_eq!(remains::busy_cgroups(&[a.clone(), b]), [(a, vec![12, 13])]);
}

const PID_STEP: &str = "then = \"sleep\"\n[[step]]\nrun = \"create\"\n[[step]]\nrun = \"start\"\n\
    [[step]]\nrun = \"pid\"\n[[step]]\nrun = \"kill\"\n[[step]]\nrun = \"wait\"\n[[step]]\nrun = \"delete\"\n";

#[test]
fn the_pid_step_fails_on_a_pid_no_process_has() {
    // The fake reports a pid far above any real one.
    let bench = Bench::new();
    let fake = FakeRuntime::new();
    let r = bench.run_one(&fake, &case("t.pid", PID_STEP));
    assert_outcome(
        &r,
        Outcome::Fail,
        "step 3: the state's pid 999999999 is no live process on the host",
    );
    // The case went on: the container was killed and deleted by its own steps.
    assert_eq!(
        fake.calls().iter().filter(|c| c.op == Op::Delete).count(),
        1
    );
    bench.assert_clean();
}

const GONE: &str =
    "[[step]]\nrun = \"create\"\n[[step]]\nrun = \"start\"\n[[step]]\nrun = \"wait\"\n\
    [[step]]\nrun = \"delete\"\n[[step]]\nrun = \"gone\"\n";

#[test]
fn gone_holds_when_delete_removed_the_cgroup_and_fails_when_it_did_not() {
    let bench = Bench::new();
    let root = bench.cgroup_root().to_path_buf();
    // cgroup v2: the container's cgroup is <root>/<cgroupsPath>.
    std::fs::write(root.join("cgroup.controllers"), "pids\n").expect("write"); // ok: test code
    let fake = FakeRuntime::new().making_cgroups_in(&root, &[]);
    assert_outcome(
        &bench.run_one(&fake, &case("t.gone", GONE)),
        Outcome::Pass,
        "",
    );
    let leaky = FakeRuntime::new().leaking_cgroups_in(&root);
    let r = bench.run_one(&leaky, &case("t.leak", GONE));
    assert_outcome(
        &r,
        Outcome::Fail,
        "step 5: after delete, its cgroup is left at",
    );
    // cgroup v1: in each controller's hierarchy.
    std::fs::remove_file(root.join("cgroup.controllers")).expect("rm"); // ok: test code
    std::fs::create_dir(root.join("pids")).expect("mkdir"); // ok: test code
    let leaky = FakeRuntime::new().leaking_cgroups_in(&root.join("pids"));
    let r = bench.run_one(&leaky, &case("t.leak-v1", GONE));
    assert_outcome(&r, Outcome::Fail, "/pids/ocicheck-");
    // The harness's cleanup removed what the runtime left.
    let left: Vec<_> = std::fs::read_dir(root.join("pids"))
        .expect("read") // ok: test code
        .flatten()
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // A delete that did not delete: state still answers.
    let noop = FakeRuntime::new().once(Op::Delete, Behaviour::Noop);
    let r = bench.run_one(&noop, &case("t.undeleted", GONE));
    assert_outcome(&r, Outcome::Fail, "state still succeeds");
    bench.assert_clean();
}

#[test]
fn torn_down_accepts_no_container_and_refuses_a_running_one() {
    let bench = Bench::new();
    let fails = FakeRuntime::new().always(
        Op::Create,
        Behaviour::Fail {
            code: 1,
            stderr: "hook failed".into(),
        },
    );
    let body = "[[step]]\nrun = \"create\"\nexpect = \"error\"\n[[step]]\nrun = \"torn-down\"\n";
    assert_outcome(
        &bench.run_one(&fails, &case("t.torn", body)),
        Outcome::Pass,
        "",
    );
    // A start that "fails" but leaves the container running, its cgroup holding a process.
    let root = bench.cgroup_root().to_path_buf();
    std::fs::write(root.join("cgroup.controllers"), "pids\n").expect("write"); // ok: test code
    let running = FakeRuntime::new()
        .making_cgroups_in(&root, &[("cgroup.procs", "999999999\n")])
        .reporting(observation("x"));
    let body = "then = \"sleep\"\n[[step]]\nrun = \"create\"\n[[step]]\nrun = \"start\"\n\
                [[step]]\nrun = \"torn-down\"\n[[step]]\nrun = \"delete\"\nforce = true\n";
    let r = bench.run_one(&running, &case("t.not-torn", body));
    assert_outcome(&r, Outcome::Fail, "step 3: the container was not stopped");
    assert!(r.reason.contains("state says \"running\""), "{r:?}");
    assert!(r.reason.contains("still holds 999999999"), "{r:?}");
    bench.assert_clean();
}
