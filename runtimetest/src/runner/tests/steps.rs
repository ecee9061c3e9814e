//! Each step kind, judged against the fake runtime acting correctly or as scripted.

use super::*;

#[test]
fn the_default_lifecycle_passes_on_a_correct_runtime_and_leaves_nothing() {
    let bench = Bench::new();
    let fake = FakeRuntime::new().reporting(observation("ocicheck"));
    let r = bench.run_one(&fake, &case("t.default", HOSTNAME));
    assert_outcome(&r, Outcome::Pass, "");
    assert_eq!(
        ops(&fake.calls()),
        [
            (Op::Create, None),
            (Op::Start, None),
            (Op::State, None),
            (Op::Delete, None)
        ],
        "create, start, state until stopped, delete; no forced delete at cleanup"
    );
    assert_eq!(fake.live_containers(), 0);
    bench.assert_clean();
}

#[test]
fn a_wrong_observation_fails_with_what_was_seen() {
    let bench = Bench::new();
    let fake = FakeRuntime::new().reporting(observation("elsewhere"));
    let r = bench.run_one(&fake, &case("t.hostname", HOSTNAME));
    assert_outcome(
        &r,
        Outcome::Fail,
        "hostname: expected \"ocicheck\", observed \"elsewhere\"",
    );
    bench.assert_clean();
}

#[test]
fn a_process_that_never_reports_fails() {
    let bench = Bench::new();
    let fake = FakeRuntime::new();
    let r = bench.run_one(&fake, &case("t.silent", HOSTNAME));
    assert_outcome(&r, Outcome::Fail, "never reported");
}

#[test]
fn create_start_kill_delete_and_state_steps() {
    let bench = Bench::new();
    let fake = FakeRuntime::new();
    let steps = "then = \"sleep\"\n\
        [[step]]\nrun = \"create\"\n\
        [[step]]\nrun = \"state\"\nstatus = \"created\"\n\
        [[step]]\nrun = \"not-started\"\n\
        [[step]]\nrun = \"start\"\n\
        [[step]]\nrun = \"start\"\nexpect = \"error\"\n\
        [[step]]\nrun = \"state\"\nstatus = \"running\"\n\
        [[step]]\nrun = \"delete\"\nexpect = \"error\"\n\
        [[step]]\nrun = \"kill\"\nsignal = \"KILL\"\n\
        [[step]]\nrun = \"wait\"\n\
        [[step]]\nrun = \"kill\"\nexpect = \"error\"\n\
        [[step]]\nrun = \"delete\"\n\
        [[step]]\nrun = \"state\"\nexpect = \"error\"\n\
        [[step]]\nrun = \"state\"\nid = \"unknown\"\nexpect = \"error\"\n\
        [[step]]\nrun = \"create\"\nid = \"none\"\nexpect = \"error\"\n";
    let r = bench.run_one(&fake, &case("t.lifecycle", steps));
    assert_outcome(&r, Outcome::Pass, "");
    let calls = fake.calls();
    let kills: Vec<Option<&str>> = calls
        .iter()
        .filter(|c| c.op == Op::Kill)
        .map(|c| c.detail.as_deref())
        .collect();
    assert_eq!(kills, [Some("KILL"), Some("TERM")], "{calls:?}");
    assert!(calls.iter().any(|c| c
        .id
        .as_deref()
        .is_some_and(|id| id.ends_with("-nonexistent"))));
    assert_eq!(
        calls.last().map(|c| c.id.clone()),
        Some(None),
        "no id given, nothing left to clean"
    );
    bench.assert_clean();
}

#[test]
fn an_operation_that_should_fail_but_succeeds_fails_the_case() {
    let bench = Bench::new();
    let fake = FakeRuntime::new();
    let body = "[[step]]\nrun = \"create\"\nexpect = \"error\"\n";
    let r = bench.run_one(&fake, &case("t.lenient", body));
    assert_outcome(
        &r,
        Outcome::Fail,
        "step 1 (create): expected an error, but `fake create` succeeded",
    );
    // The container it made anyway is removed by force.
    assert_eq!(
        ops(&fake.calls()),
        [(Op::Create, None), (Op::Delete, Some("--force".into()))]
    );
    assert_eq!(fake.live_containers(), 0);
    bench.assert_clean();
}

#[test]
fn expect_any_accepts_either() {
    let bench = Bench::new();
    let fake = FakeRuntime::new().always(
        Op::Start,
        Behaviour::Fail {
            code: 3,
            stderr: "no".into(),
        },
    );
    let body = "[[step]]\nrun = \"create\"\n[[step]]\nrun = \"start\"\nexpect = \"any\"\n[[step]]\nrun = \"delete\"\nforce = true\n";
    let r = bench.run_one(&fake, &case("t.any", body));
    assert_outcome(&r, Outcome::Pass, "");
}

#[test]
fn wait_gives_up_at_the_timeout_with_the_last_status() {
    let bench = Bench::new();
    let fake = FakeRuntime::new().always(Op::Kill, Behaviour::Noop);
    let body = "then = \"sleep\"\n[[step]]\nrun = \"create\"\n[[step]]\nrun = \"start\"\n\
                [[step]]\nrun = \"kill\"\n[[step]]\nrun = \"wait\"\n";
    let r = bench.run_one(&fake, &case("t.wait", body));
    assert_outcome(
        &r,
        Outcome::Fail,
        "step 4: status did not become \"stopped\"",
    );
    assert!(r.reason.contains("(last: \"running\")"), "{r:?}");
    assert_eq!(
        fake.live_containers(),
        0,
        "the running container was force-deleted"
    );
}

#[test]
fn not_started_fails_once_the_process_reported() {
    let bench = Bench::new();
    let fake = FakeRuntime::new().reporting(observation("x"));
    let body =
        "[[step]]\nrun = \"create\"\n[[step]]\nrun = \"start\"\n[[step]]\nrun = \"not-started\"\n";
    let r = bench.run_one(&fake, &case("t.early", body));
    assert_outcome(
        &r,
        Outcome::Fail,
        "step 3: the user process already ran before start",
    );
}

#[test]
fn output_waits_for_a_line() {
    let bench = Bench::new();
    let body = "[[step]]\nrun = \"create\"\n[[step]]\nrun = \"start\"\n\
                [[step]]\nrun = \"output\"\ncontains = \"OCICHECK-OBSERVATION\"\n";
    let fake = FakeRuntime::new().reporting(observation("x"));
    assert_outcome(
        &bench.run_one(&fake, &case("t.out", body)),
        Outcome::Pass,
        "",
    );
    let fake = FakeRuntime::new();
    assert_outcome(
        &bench.run_one(&fake, &case("t.quiet", body)),
        Outcome::Fail,
        "step 3: the container never printed \"OCICHECK-OBSERVATION\"",
    );
}

#[test]
fn cgroup_steps_read_the_cases_cgroup_in_the_hosts_layout() {
    let bench = Bench::new();
    let body = "[[step]]\nrun = \"create\"\n\
                [[step]]\nrun = \"cgroup\"\ncontroller = \"pids\"\nfile = \"pids.max\"\nvalue = \"42\"\n\
                [[step]]\nrun = \"delete\"\nforce = true\n";
    // A cgroup v1 layout: the runtime made <root>/pids/<cgroupsPath>/pids.max; this fake
    // "runtime" makes it on create.
    let root = bench.cgroup_root().to_path_buf();
    std::fs::create_dir(root.join("pids")).expect("mkdir"); // ok: test code
    let fake = FakeRuntime::new();
    let r = bench.run_one(&fake, &case("t.cgroup-missing", body));
    assert_outcome(&r, Outcome::Fail, "step 2: cannot read");
    assert!(r.reason.contains("/pids/ocicheck-"), "the v1 path: {r:?}");

    // On cgroup v2 the file is at <root>/<cgroupsPath>/<file_v2>.
    std::fs::write(root.join("cgroup.controllers"), "").expect("write"); // ok: test code
    let body = body.replace("value", "file_v2 = \"pids.max\"\nvalue");
    let r = bench.run_one(&fake, &case("t.cgroup-v2", &body));
    assert_outcome(&r, Outcome::Fail, "step 2: cannot read");
    assert!(!r.reason.contains("/pids/"), "the v2 path: {r:?}");
}

#[test]
fn the_cgroup_judge_compares_values_and_owners() {
    let dir = tempfile::tempdir().expect("tmp"); // ok: test code
    let file = dir.path().join("cpu.max");
    std::fs::write(&file, "20000 100000\n").expect("write"); // ok: test code
    assert!(judge::cgroup(1, &file, Some("20000 100000"), None).is_ok());
    let e = judge::cgroup(1, &file, Some("20000"), None);
    assert!(
        matches!(e, Err(Failure::Fail(m)) if m.contains("holds \"20000 100000\", expected \"20000\""))
    );
    let me = {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(dir.path()).expect("stat"); // ok: test code
        format!("{}:{}", meta.uid(), meta.gid())
    };
    assert!(judge::cgroup(1, dir.path(), None, Some(&me)).is_ok());
    let e = judge::cgroup(1, dir.path(), None, Some("4242:4242"));
    assert!(matches!(e, Err(Failure::Fail(m)) if m.contains("expected 4242:4242")));
    // The uid alone: any group.
    let uid = me.split(':').next().expect("uid"); // ok: test code
    assert!(judge::cgroup(1, dir.path(), None, Some(uid)).is_ok());
    let e = judge::cgroup(1, dir.path(), None, Some("4242"));
    assert!(matches!(e, Err(Failure::Fail(m)) if m.contains("expected 4242")));
}

#[test]
fn cgroup_place_records_first_and_compares_after() {
    let mut first = None;
    assert!(judge::cgroup_place(2, &mut first, "0::/a\n".into()).is_ok());
    assert!(judge::cgroup_place(5, &mut first, "0::/a\n".into()).is_ok());
    let e = judge::cgroup_place(7, &mut first, "0::/b\n".into());
    assert!(
        matches!(&e, Err(Failure::Fail(m)) if m.contains("step 7: the container is in the cgroups \"0::/b\", where it was in \"0::/a\"")),
        "{e:?}"
    );
}

#[test]
fn cgroup_files_are_found_in_the_hierarchy_that_has_the_controller() {
    let tmp = tempfile::tempdir().expect("tmp"); // ok: test code
    let root = tmp.path();
    let find =
        |controller: &str| judge::cgroup_file(root, "ocicheck-1", controller, "f", Some("f2"));
    // Hybrid: pids is a v1 hierarchy; hugetlb is only offered by the unified hierarchy.
    std::fs::create_dir_all(root.join("pids")).expect("mkdir"); // ok: test code
    std::fs::create_dir_all(root.join("unified")).expect("mkdir"); // ok: test code
    std::fs::write(root.join("unified/cgroup.controllers"), "hugetlb\n").expect("write"); // ok: test code
    assert_eq!(find("pids"), (root.join("pids/ocicheck-1/f"), false));
    assert_eq!(find("hugetlb"), (root.join("unified/ocicheck-1/f2"), true));
    assert_eq!(find("unified"), (root.join("unified/ocicheck-1/f2"), true));
    // A controller no hierarchy has: the v1 place (where reading it fails).
    assert_eq!(find("memory"), (root.join("memory/ocicheck-1/f"), false));
    // Pure v2: the v2 name, below the root.
    std::fs::write(root.join("cgroup.controllers"), "hugetlb\n").expect("write"); // ok: test code
    assert_eq!(find("pids"), (root.join("ocicheck-1/f2"), true));
}

#[test]
fn edit_config_changes_the_bundle_before_the_runtime_reads_it() {
    let bench = Bench::new();
    // The patch makes the probe sleep: the container then never stops by itself.
    let body = "[[step]]\nrun = \"edit-config\"\n\
                patch = { process = { args = [\"/probe\", \"observe\", '{\"then\":\"sleep\"}'] } }\n\
                [[step]]\nrun = \"create\"\n[[step]]\nrun = \"start\"\n\
                [[step]]\nrun = \"state\"\nstatus = \"running\"\n";
    let fake = FakeRuntime::new();
    assert_outcome(
        &bench.run_one(&fake, &case("t.edit", body)),
        Outcome::Pass,
        "",
    );
    // Without the edit, the same steps see the container stop.
    let body = "[[step]]\nrun = \"create\"\n[[step]]\nrun = \"start\"\n\
                [[step]]\nrun = \"state\"\nstatus = \"running\"\n";
    assert_outcome(
        &bench.run_one(&fake, &case("t.noedit", body)),
        Outcome::Fail,
        "status is \"stopped\"",
    );
}

#[test]
fn the_seccomp_agent_step_needs_an_agent_and_a_connection() {
    let bench = Bench::new();
    let fake = FakeRuntime::new();
    let body = "[[step]]\nrun = \"create\"\n[[step]]\nrun = \"seccomp-agent\"\n";
    assert_outcome(
        &bench.run_one(&fake, &case("t.no-agent", body)),
        Outcome::Error,
        "step 2: no seccomp agent",
    );
    let body =
        "[[step]]\nrun = \"create\"\nseccomp_agent = true\n[[step]]\nrun = \"seccomp-agent\"\n";
    assert_outcome(
        &bench.run_one(&fake, &case("t.agent", body)),
        Outcome::Fail,
        "the seccomp agent got 0 connections, expected exactly 1",
    );
    bench.assert_clean();
}

#[test]
fn cgroup_values_are_compared_in_the_form_of_the_hosts_cgroup_version() {
    let bench = Bench::new();
    let root = bench.cgroup_root().to_path_buf();
    // A cgroup2-only host whose runtime wrote cpu.max as the kernel shows it.
    std::fs::write(root.join("cgroup.controllers"), "cpu pids\n").expect("write"); // ok: test code
    let fake = || FakeRuntime::new().making_cgroups_in(&root, &[("cpu.max", "20000 100000\n")]);
    let step = "[[step]]\nrun = \"create\"\n\
                [[step]]\nrun = \"cgroup\"\ncontroller = \"cpu\"\nfile = \"cpu.cfs_quota_us\"\n\
                file_v2 = \"cpu.max\"\nvalue = \"20000\"\n";
    // Compared in the v1 form only, a correct runtime fails (the false failure of before).
    let r = bench.run_one(&fake(), &case("t.cpu-v1-form", step));
    assert_outcome(
        &r,
        Outcome::Fail,
        "holds \"20000 100000\", expected \"20000\"",
    );
    // With the v2 form, it passes; a runtime that wrote another quota fails.
    let step = format!("{step}value_v2 = \"20000 100000\"\n");
    assert_outcome(
        &bench.run_one(&fake(), &case("t.cpu-v2", &step)),
        Outcome::Pass,
        "",
    );
    let wrong = FakeRuntime::new().making_cgroups_in(&root, &[("cpu.max", "max 100000\n")]);
    assert_outcome(
        &bench.run_one(&wrong, &case("t.cpu-v2-wrong", &step)),
        Outcome::Fail,
        "holds \"max 100000\", expected \"20000 100000\"",
    );
    bench.assert_clean();
}

/// The interfaces of the harness's network namespace.
fn host_interfaces() -> Vec<String> {
    let text = std::fs::read_to_string("/proc/net/dev").expect("/proc/net/dev"); // ok: test code
    let mut names: Vec<String> = text
        .lines()
        .filter_map(|l| l.split_once(':').map(|(n, _)| n.trim().to_string()))
        .collect();
    names.sort();
    names
}

#[test]
fn a_host_interface_still_on_the_host_is_removed_by_cleanup() {
    // SAFETY: geteuid(2) cannot fail.
    if unsafe { nix::libc::geteuid() } != 0 || crate::netdev::unavailable().is_some() {
        eprintln!("skipped: needs root and a dummy or ifb link");
        return;
    }
    let before = host_interfaces();
    let bench = Bench::new();
    let fake = FakeRuntime::new().reporting(observation("ocicheck"));
    let body = "[config.linux.netDevices.\"{netdev}\"]\nname = \"ctr0\"\n\
                [[step]]\nrun = \"create\"\n\
                [[step]]\nrun = \"net-device-gone\"\n\
                requirements = [\"linux.netDevices.delete.not-moved-back\"]\n";
    let r = bench.run_one(&fake, &case("t.netdev", body));
    // The fake moves nothing: the interface the harness made is on the host when judged...
    assert_outcome(&r, Outcome::Fail, "the network device is on the host again");
    // ...and cleanup removed it.
    assert_eq!(host_interfaces(), before);
    bench.assert_clean();
}
