//! Proof per requirement: a runtime requirement is Included only because a mutation of the
//! reference runtime that violates it alone (`runtime/src/mutation.rs`, switched on with
//! `OCICHECK_MUTATION`) makes the assertion naming it fail in a case that lists the mutation
//! in `broken_by`. This test runs every such pair and requires exactly that: the requirement's
//! verdict in the case is `fail`. (That every case passes on the unbroken reference runtime is
//! `tests/runtime.rs`.) It also checks the bookkeeping: each named mutation exists and violates a
//! requirement the case decides, every mutation is used, and every Included runtime requirement
//! has a proof that ran here.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use assert_cmd::Command;
use ocicheck_catalog::{Catalog, Kind, SpecVersion, Status};
use ocicheck_runtime::mutation;
use serde_json::Value;

/// The release whose rules judge a proof: the latest one the requirement applies to.
fn release_for(catalog: &Catalog, id: &str) -> SpecVersion {
    let req = catalog.get(id).expect("catalog id");
    SpecVersion::ALL
        .into_iter()
        .rev()
        .find(|v| req.applies_to(*v))
        .unwrap_or(SpecVersion::LATEST)
}

/// `ocicheck`, run where `/sys/fs/cgroup` is a plain cgroup2 mount (a private mount namespace,
/// as `.ci/run`'s second suite run): the proofs of cases that need a cgroup v2 host run there
/// on a host of another layout.
fn cgroup2_only() -> Command {
    let mut cmd = Command::new("unshare");
    cmd.args([
        "-m",
        "sh",
        "-c",
        "umount -l /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup && exec \"$0\" \"$@\"",
    ])
    .arg(assert_cmd::cargo::cargo_bin("ocicheck"));
    cmd
}

#[test]
fn every_mutation_fails_the_assertion_naming_the_requirement_it_violates() {
    if !nix::unistd::geteuid().is_root() {
        assert!(std::env::var_os("CI").is_none(), "CI runs as root");
        eprintln!("not root: skipping");
        return;
    }
    let catalog = Catalog::embedded().expect("catalog");
    let cases = ocicheck_runtimetest::Suite::embedded()
        .expect("cases")
        .cases;
    let mut problems = Vec::new();
    // (mutation, release, in a cgroup2-only mount namespace) -> the cases that must catch it.
    let mut runs: BTreeMap<(&str, SpecVersion, bool), Vec<&str>> = BTreeMap::new();
    let mut used = BTreeSet::new();
    for case in &cases {
        for name in &case.broken_by {
            let Some(m) = mutation::find(name) else {
                problems.push(format!("{}: no mutation is called {name}", case.id));
                continue;
            };
            used.insert(m.name);
            if !case.requirements.iter().any(|r| r == m.violates.as_str()) {
                problems.push(format!(
                    "{}: {name} violates {}, which no assertion of the case names",
                    case.id, m.violates
                ));
                continue;
            }
            let release = release_for(catalog, m.violates.as_str());
            let v2_only = case
                .needs
                .contains(&ocicheck_runtimetest::case::Need::CgroupV2);
            runs.entry((m.name, release, v2_only))
                .or_default()
                .push(&case.id);
        }
    }
    for m in mutation::ALL {
        if !used.contains(m.name) {
            problems.push(format!(
                "mutation {} ({}) is in no case's broken_by: it proves nothing",
                m.name, m.violates
            ));
        }
    }

    let scratch = tempfile::tempdir().expect("tmp");
    // The reference runtime, under the name that makes the binary act as one.
    let real = common::reference_runtime(scratch.path());
    let mut proven = BTreeSet::new();
    let host_is_v2 = std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
    for ((name, release, v2_only), case_ids) in &runs {
        let m = mutation::find(name).expect("checked above");
        let mut cmd = if *v2_only && !host_is_v2 {
            cgroup2_only()
        } else {
            Command::cargo_bin("ocicheck").expect("binary")
        };
        cmd.env(mutation::VAR, name)
            .timeout(Duration::from_secs(300))
            .args(["run", "--format", "json", "--timeout", "5"])
            .args(["--spec-version", release.as_str()])
            .arg("--runtime")
            .arg(&real);
        for id in case_ids {
            cmd.args(["--case", id]);
        }
        let out = cmd.output().expect("runs");
        let v: Value = match serde_json::from_slice(&out.stdout) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!(
                    "{name}: no JSON results ({e}): {}",
                    String::from_utf8_lossy(&out.stderr)
                ));
                continue;
            }
        };
        for result in v["cases"].as_array().into_iter().flatten() {
            let case = result["id"].as_str().unwrap_or("?");
            let verdict = common::verdict_on(result, m.violates.as_str());
            if verdict["outcome"] == "fail" {
                proven.insert(m.violates.as_str());
            } else {
                problems.push(format!(
                    "{case} under {name} (violates {}): verdict {verdict}, case {} ({})",
                    m.violates, result["outcome"], result["reason"]
                ));
            }
        }
    }

    // Every Included runtime requirement owes its status to a proof that ran here.
    let statuses = ocicheck_catalog::Statuses::derive(
        catalog,
        &ocicheck_runtimetest::implementers(&|n| mutation::find(n).map(|m| m.violates.as_str())),
    )
    .expect("statuses");
    for r in catalog.iter().filter(|r| r.kind == Kind::Runtime) {
        if statuses.status(&r.id) == Status::Included && !proven.contains(r.id.as_str()) {
            problems.push(format!(
                "{} is Included but no proof of it failed here",
                r.id
            ));
        }
    }
    assert!(proven.len() >= 10, "only {} proven", proven.len());
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
