//! Across cases: cleanup bookkeeping, skips, job scheduling, baselines and partitions.

use super::*;

#[test]
fn a_runtime_leaving_its_cgroup_fails_the_case_and_cleanup_removes_it() {
    let bench = Bench::new();
    // A runtime that made its cgroup in a v1 hierarchy and deleted the container without
    // removing it: the case fails for it, and cleanup removes the directory.
    let hierarchy = bench.cgroup_root().join("memory");
    std::fs::create_dir(&hierarchy).expect("mkdir"); // ok: test code
    let fake = FakeRuntime::new()
        .reporting(observation("ocicheck"))
        .leaking_cgroups_in(&hierarchy);
    let results = bench.run(&fake, &[case("t.leak", HOSTNAME)]);
    assert_outcome(
        &results[0],
        Outcome::Fail,
        "the runtime left cgroups behind: ",
    );
    let left: Vec<_> = std::fs::read_dir(&hierarchy)
        .expect("read")
        .flatten()
        .collect(); // ok: test code
    assert!(left.is_empty(), "cgroup left: {left:?}");
    bench.assert_clean();
}

#[test]
fn a_cgroup_nested_below_the_cases_path_is_cleaned_up_too() {
    let bench = Bench::new();
    // The case nests its cgroup below its own path; the runtime leaks both directories.
    let hierarchy = bench.cgroup_root().join("memory");
    std::fs::create_dir(&hierarchy).expect("mkdir"); // ok: test code
    let fake = FakeRuntime::new()
        .reporting(observation("ocicheck"))
        .leaking_cgroups_in(&hierarchy);
    let body = format!("{HOSTNAME}[config.linux]\ncgroupsPath = \"{{cgroups_path}}/inner\"\n");
    let results = bench.run(&fake, &[case("t.nested", &body)]);
    assert_outcome(
        &results[0],
        Outcome::Fail,
        "the runtime left cgroups behind: ",
    );
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
    let text = "id = \"t.new\"\nsummary = \"s\"\n[[step]]\nrun = \"create\"\nrequirements = [\"runtime.hooks.poststart.failure-error\"]\n";
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
    assert!(fixed.xpass, "a listed case that passes is flagged");
    assert!(!gap.xpass);
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

/// Records what a run tells its [`Progress`].
#[derive(Default)]
struct Events(std::sync::Mutex<Vec<String>>);

impl Progress for Events {
    fn started(&self, case: &Case) {
        self.0
            .lock()
            .expect("lock")
            .push(format!("start {}", case.id)); // ok: test code
    }
    fn finished(&self, r: &CaseResult) {
        self.0.lock().expect("lock").push(format!("end {}", r.id)); // ok: test code
    }
}

#[test]
fn progress_hears_each_case_start_before_its_end() {
    let mut bench = Bench::new();
    bench.cfg.jobs = 2;
    let fake = FakeRuntime::new().reporting(observation("ocicheck"));
    let cases = [
        case("t.a", HOSTNAME),
        case("t.b", HOSTNAME),
        case("t.c", HOSTNAME),
    ];
    let events = Events::default();
    let results = run_suite_with(&fake, &bench.cfg, &cases, &events).expect("runs"); // ok: test code
    assert_eq!(results.len(), 3);
    let events = events.0.into_inner().expect("lock"); // ok: test code
    assert_eq!(events.len(), 6, "{events:?}");
    for id in ["t.a", "t.b", "t.c"] {
        let at = |e: String| events.iter().position(|x| *x == e);
        let (start, end) = (at(format!("start {id}")), at(format!("end {id}")));
        assert!(start.is_some() && start < end, "{events:?}");
    }
}
