//! The runner's logic against the in-memory fake runtime: no root, no containers.

mod agent;
mod errors;
mod hook_timing;
mod hooks;
mod interrupt;
mod misbehaviour;
mod remains;
mod steps;
mod suite;

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
        std::fs::create_dir(tmp.path().join("sockets")).expect("sockets"); // ok: test code
        let cfg = RunConfig {
            probe,
            spec_version: SpecVersion::LATEST,
            jobs: 1,
            tmp_root: runs,
            timeout: Duration::from_millis(300),
            cgroup_root,
            host: Host::with(Need::ALL),
            socket_root: tmp.path().join("sockets"),
            guard_host: false,
            interrupt: Interrupt::default(),
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
        let left: Vec<PathBuf> = [&self.cfg.tmp_root, &self.cfg.socket_root]
            .iter()
            .flat_map(|d| std::fs::read_dir(d).expect("scratch dir")) // ok: test code
            .flatten()
            .map(|e| e.path())
            .collect();
        assert!(left.is_empty(), "left behind: {left:?}");
    }

    fn cgroup_root(&self) -> &Path {
        &self.cfg.cgroup_root
    }
}

/// A case from the body of a case file (after id and summary).
fn case(id: &str, body: &str) -> Case {
    let text = format!("id = \"{id}\"\nsummary = \"s\"\n{body}");
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
