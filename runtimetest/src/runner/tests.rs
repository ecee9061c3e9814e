//! The runner's logic against the in-memory fake runtime: no root, no containers.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use crate::case::{parse, Need};
use crate::lifecycle::{Behaviour, Call, FakeRuntime, Op};
use crate::probe::Observation;

/// A scratch area for one test: the run's temp root, a stand-in probe, a cgroup root.
struct Bench {
    /// Holds everything below; removed when the test ends.
    _tmp: tempfile::TempDir,
    cfg: RunConfig,
}

impl Bench {
    fn new() -> Bench {
        let tmp = tempfile::tempdir().expect("tmp"); // ok: test code
        let probe = tmp.path().join("probe-binary");
        std::fs::write(&probe, "#!/bin/sh\n").expect("probe"); // ok: test code
        let cgroup_root = tmp.path().join("cgroup");
        std::fs::create_dir(&cgroup_root).expect("cgroup root"); // ok: test code
        let runs = tmp.path().join("runs");
        std::fs::create_dir(&runs).expect("runs"); // ok: test code
        let cfg = RunConfig {
            probe,
            spec_version: SpecVersion::LATEST,
            jobs: 1,
            tmp_root: runs,
            timeout: Duration::from_millis(300),
            cgroup_root,
            host: Host::with(Need::ALL),
        };
        Bench { _tmp: tmp, cfg }
    }

    fn run(&self, fake: &FakeRuntime, cases: &[Case]) -> Vec<CaseResult> {
        run_suite(fake, &self.cfg, cases, &|_| {}).expect("the suite runs") // ok: test code
    }

    fn run_one(&self, fake: &FakeRuntime, case: &Case) -> CaseResult {
        let mut r = self.run(fake, std::slice::from_ref(case));
        assert_eq!(r.len(), 1);
        r.remove(0)
    }

    /// Whatever the run made below the temp root is gone.
    fn assert_clean(&self) {
        let left: Vec<PathBuf> = std::fs::read_dir(&self.cfg.tmp_root)
            .expect("runs dir") // ok: test code
            .flatten()
            .map(|e| e.path())
            .collect();
        assert!(left.is_empty(), "left behind: {left:?}");
    }

    fn cgroup_root(&self) -> &Path {
        &self.cfg.cgroup_root
    }
}

/// A case from the body of a case file (after id, summary and requirements).
fn case(id: &str, body: &str) -> Case {
    let text = format!(
        "id = \"{id}\"\nsummary = \"s\"\nrequirements = [\"runtime.create.apply-config\"]\n{body}"
    );
    parse(&format!("cases/{id}.toml"), &text).expect("the test case loads") // ok: test code
}

fn observation(hostname: &str) -> Observation {
    Observation {
        hostname: hostname.into(),
        ..Observation::default()
    }
}

const HOSTNAME: &str = "[[expect]]\ncheck = \"hostname\"\nvalue = \"ocicheck\"\n";

fn ops(calls: &[Call]) -> Vec<(Op, Option<String>)> {
    calls.iter().map(|c| (c.op, c.detail.clone())).collect()
}

fn assert_outcome(r: &CaseResult, outcome: Outcome, reason: &str) {
    assert_eq!(r.outcome, outcome, "{r:?}");
    assert!(
        r.reason.contains(reason),
        "reason {:?} lacks {reason:?}",
        r.reason
    );
}

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
fn a_failing_operation_fails_the_case_with_its_stderr() {
    let bench = Bench::new();
    let fake = FakeRuntime::new().always(
        Op::Start,
        Behaviour::Fail {
            code: 3,
            stderr: "cannot start: no such thing".into(),
        },
    );
    let r = bench.run_one(&fake, &case("t.fails", HOSTNAME));
    assert_outcome(
        &r,
        Outcome::Fail,
        "step 2 (start): expected success, but `fake start` exited 3: cannot start: no such thing",
    );
    assert_eq!(
        fake.live_containers(),
        0,
        "cleanup deleted the created container"
    );
    bench.assert_clean();
}

#[test]
fn a_hanging_operation_is_an_error_and_the_case_is_still_cleaned_up() {
    let bench = Bench::new();
    let fake = FakeRuntime::new()
        .reporting(observation("ocicheck"))
        .once(Op::Start, Behaviour::Hang);
    let r = bench.run_one(&fake, &case("t.hang", HOSTNAME));
    assert_outcome(&r, Outcome::Error, "step 2 (start): `fake start` timed out");
    assert!(r.duration_ms >= 300, "waited for the deadline: {r:?}");
    assert_eq!(
        fake.calls().last().map(|c| (c.op, c.detail.clone())),
        Some((Op::Delete, Some("--force".into())))
    );
    assert_eq!(fake.live_containers(), 0);
    bench.assert_clean();
}

#[test]
fn an_operation_that_overruns_its_deadline_counts_as_timed_out() {
    let bench = Bench::new();
    // An implementation that ignores the deadline and reports success a second later.
    let fake = FakeRuntime::new().once(Op::Create, Behaviour::Overrun(Duration::from_secs(1)));
    let r = bench.run_one(&fake, &case("t.overrun", HOSTNAME));
    assert_outcome(
        &r,
        Outcome::Error,
        "step 1 (create): `fake create` timed out",
    );
    assert_eq!(fake.live_containers(), 0);
}

#[test]
fn a_crashing_operation_fails_the_case() {
    let bench = Bench::new();
    let fake = FakeRuntime::new().once(Op::Create, Behaviour::Crash(11));
    let r = bench.run_one(&fake, &case("t.crash", HOSTNAME));
    assert_outcome(&r, Outcome::Fail, "`fake create` was killed by signal 11");
    // A create that crashed may have left a container: cleanup deletes it by force.
    assert_eq!(
        ops(&fake.calls()),
        [(Op::Create, None), (Op::Delete, Some("--force".into()))]
    );
    bench.assert_clean();
}

#[test]
fn garbage_state_output_is_an_error_not_a_failure() {
    let bench = Bench::new();
    let fake = FakeRuntime::new().always(Op::State, Behaviour::Print("\u{1}garbage{".into()));
    let body = "[[step]]\nrun = \"create\"\n[[step]]\nrun = \"state\"\nstatus = \"created\"\n";
    let r = bench.run_one(&fake, &case("t.garbage", body));
    assert_outcome(
        &r,
        Outcome::Error,
        "step 2: `fake state` printed no JSON state",
    );
    assert_eq!(fake.live_containers(), 0);
    bench.assert_clean();
}

#[test]
fn a_wrong_state_fails_the_case() {
    let bench = Bench::new();
    let body = "[[step]]\nrun = \"create\"\n[[step]]\nrun = \"state\"\nstatus = \"created\"\n";
    let wrong = |state: &str| FakeRuntime::new().always(Op::State, Behaviour::Print(state.into()));
    // Another container's id.
    let fake =
        wrong(r#"{"ociVersion":"1.3.0","id":"other","status":"created","pid":1,"bundle":"/b"}"#);
    assert_outcome(
        &bench.run_one(&fake, &case("t.id", body)),
        Outcome::Fail,
        "state id is \"other\"",
    );
    // Not valid by the state schema (no status).
    let fake = wrong(r#"{"ociVersion":"1.3.0","id":"x","pid":1,"bundle":"/b"}"#);
    assert_outcome(
        &bench.run_one(&fake, &case("t.schema", body)),
        Outcome::Fail,
        "state does not follow the state schema",
    );
    // The wrong status, through a runtime whose start does nothing.
    let fake = FakeRuntime::new().always(Op::Start, Behaviour::Noop);
    let body = "then = \"sleep\"\n[[step]]\nrun = \"create\"\n[[step]]\nrun = \"start\"\n[[step]]\nrun = \"state\"\nstatus = \"running\"\n";
    assert_outcome(
        &bench.run_one(&fake, &case("t.status", body)),
        Outcome::Fail,
        "step 3: status is \"created\", expected \"running\"",
    );
    bench.assert_clean();
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
fn the_hooks_judge_checks_order_state_and_namespace() {
    use crate::case::HookLabel;
    let record = |name: &str, t: u64, id: &str, mnt: &str| {
        format!(
            "{{\"name\":\"{name}\",\"time_ns\":{t},\"state\":{{\"id\":\"{id}\"}},\"mnt_ns\":\"{mnt}\",\"pid_ns\":\"p\"}}\n"
        )
    };
    let order: Vec<HookLabel> = ["prestart", "createContainer"]
        .iter()
        .map(|s| s.parse().expect("label")) // ok: test code
        .collect();
    let log = record("createContainer", 2, "c", "mnt:[2]") + &record("prestart", 1, "c", "mnt:[1]");
    assert!(judge::hooks(1, &log, &order, "c", "mnt:[1]").is_ok());
    let e = judge::hooks(
        1,
        &record("prestart", 1, "c", "mnt:[1]"),
        &order,
        "c",
        "mnt:[1]",
    );
    assert!(matches!(e, Err(Failure::Fail(m)) if m.contains("hooks ran as [\"prestart\"]")));
    let log =
        record("prestart", 1, "other", "mnt:[1]") + &record("createContainer", 2, "c", "mnt:[2]");
    let e = judge::hooks(1, &log, &order, "c", "mnt:[1]");
    assert!(matches!(e, Err(Failure::Fail(m)) if m.contains("got no container state")));
    let log = record("prestart", 1, "c", "mnt:[1]") + &record("createContainer", 2, "c", "mnt:[1]");
    let e = judge::hooks(1, &log, &order, "c", "mnt:[1]");
    assert!(matches!(e, Err(Failure::Fail(m)) if m.contains("expected the container's")));
}

#[test]
fn a_panic_inside_a_case_is_an_error_and_still_cleaned_up() {
    let bench = Bench::new();
    let fake = FakeRuntime::new().once(Op::Start, Behaviour::Panic);
    let r = bench.run_one(&fake, &case("t.panic", HOSTNAME));
    assert_outcome(
        &r,
        Outcome::Error,
        "the case panicked: the fake runtime was scripted to panic",
    );
    assert_eq!(fake.live_containers(), 0);
    bench.assert_clean();
}

#[test]
fn cleanup_removes_cgroups_the_runtime_left_behind() {
    let bench = Bench::new();
    // A runtime that made its cgroup in a v1 hierarchy and deleted the container without
    // removing it: the case passes, and cleanup removes the directory.
    let hierarchy = bench.cgroup_root().join("memory");
    std::fs::create_dir(&hierarchy).expect("mkdir"); // ok: test code
    let fake = FakeRuntime::new()
        .reporting(observation("ocicheck"))
        .leaking_cgroups_in(&hierarchy);
    let results = bench.run(&fake, &[case("t.leak", HOSTNAME)]);
    assert_outcome(&results[0], Outcome::Pass, "");
    let left: Vec<_> = std::fs::read_dir(&hierarchy)
        .expect("read")
        .flatten()
        .collect(); // ok: test code
    assert!(left.is_empty(), "cgroup left: {left:?}");
    bench.assert_clean();
}

#[test]
fn cases_are_skipped_for_missing_host_features_and_other_releases() {
    let mut bench = Bench::new();
    bench.cfg.host = Host::with([Need::CgroupV1]);
    let fake = FakeRuntime::new();
    let r = bench.run_one(&fake, &case("t.needs", "needs = [\"cgroup-v2\"]\n"));
    assert_outcome(&r, Outcome::Skip, "the host's cgroups are not v2 only");
    // A requirement of 1.3.0 only, judged by 1.0.2's rules.
    bench.cfg.spec_version = "1.0.2".parse().expect("release"); // ok: test code
    let text = "id = \"t.new\"\nsummary = \"s\"\nrequirements = [\"runtime.hooks.poststart.failure-error\"]\n";
    let c = parse("cases/t.new.toml", text).expect("loads"); // ok: test code
    let r = bench.run_one(&fake, &c);
    assert_outcome(&r, Outcome::Skip, "do not apply to runtime-spec 1.0.2");
    assert!(fake.calls().is_empty(), "skipped cases run nothing");
}

#[test]
fn results_come_back_in_case_order_whatever_the_jobs() {
    let mut bench = Bench::new();
    bench.cfg.jobs = 3;
    let fake = FakeRuntime::new().reporting(observation("ocicheck"));
    let cases: Vec<Case> = (0..7)
        .map(|i| case(&format!("t.c{i}"), if i % 2 == 0 { HOSTNAME } else { "" }))
        .collect();
    let results = bench.run(&fake, &cases);
    let ids: Vec<&str> = results.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        ["t.c0", "t.c1", "t.c2", "t.c3", "t.c4", "t.c5", "t.c6"]
    );
    assert!(
        results.iter().all(|r| r.outcome == Outcome::Pass),
        "{results:?}"
    );
    assert_eq!(fake.live_containers(), 0);
    bench.assert_clean();
}

#[test]
fn a_baseline_turns_listed_failures_into_xfail_and_notes_stale_entries() {
    use crate::baseline::Baseline;
    let bench = Bench::new();
    let fake = FakeRuntime::new().reporting(observation("ocicheck"));
    let cases = [
        case(
            "t.known-gap",
            "[[expect]]\ncheck = \"hostname\"\nvalue = \"never\"\n",
        ),
        case("t.fixed", HOSTNAME),
        case(
            "t.new-failure",
            "[[expect]]\ncheck = \"hostname\"\nvalue = \"other\"\n",
        ),
    ];
    let mut results = bench.run(&fake, &cases);
    let baseline = Baseline::parse(
        "# known gaps\nt.known-gap the fake keeps its own hostname\nt.fixed was broken once\n\
         t.no-such-case an entry for a case that does not exist\n",
    )
    .expect("baseline parses"); // ok: test code
    baseline.apply(&mut results);
    let by_id = |id: &str| {
        results.iter().find(|r| r.id == id).expect("result") // ok: test code
    };
    let gap = by_id("t.known-gap");
    assert_eq!(gap.outcome, Outcome::Xfail);
    assert_eq!(
        gap.baseline.as_deref(),
        Some("the fake keeps its own hostname")
    );
    let fixed = by_id("t.fixed");
    assert_eq!(fixed.outcome, Outcome::Pass);
    assert!(fixed
        .baseline
        .as_deref()
        .is_some_and(|n| n.contains("listed in the baseline but passed")));
    assert_eq!(
        by_id("t.new-failure").outcome,
        Outcome::Fail,
        "unlisted failures stay"
    );
    assert!(Baseline::parse("t.x\n").is_err(), "an entry needs a reason");
}

#[test]
fn partitions_run_each_case_exactly_once() {
    use ocicheck_results::Partition;
    let bench = Bench::new();
    let cases: Vec<Case> = (0..7).map(|i| case(&format!("t.p{i}"), "")).collect();
    let mut seen = Vec::new();
    for k in 1..=3 {
        let part: Partition = format!("{k}/3").parse().expect("partition"); // ok: test code
        let fake = FakeRuntime::new();
        let shard = part.select(cases.clone());
        let results = bench.run(&fake, &shard);
        assert_eq!(
            fake.calls().iter().filter(|c| c.op == Op::Create).count(),
            shard.len(),
            "only the shard's cases run"
        );
        seen.extend(results.into_iter().map(|r| r.id));
    }
    seen.sort();
    let mut all: Vec<String> = cases.iter().map(|c| c.id.clone()).collect();
    all.sort();
    assert_eq!(seen, all);
    bench.assert_clean();
}
