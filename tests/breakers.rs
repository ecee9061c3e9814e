//! Each case is proven able to fail: run against a runtime wrapper that breaks exactly the
//! behaviour it checks (`broken_by` in the case file), it must fail. This is what marks its
//! requirements Included. The wrappers wrap the reference runtime, which passes every case:
//! a failure under a wrapper is the wrapper's doing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

#[test]
fn every_case_fails_against_its_breakers() {
    if !nix::unistd::geteuid().is_root() {
        assert!(std::env::var_os("CI").is_none(), "CI runs as root");
        eprintln!("not root: skipping");
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("runtimetest/tests/breakers");
    let cases = ocicheck_runtimetest::Suite::embedded()
        .expect("cases")
        .cases;
    let mut problems = Vec::new();
    let mut checked = 0;
    // Breakers keep their own state (e.g. ids seen) under TMPDIR: keep it in a dir we remove.
    let scratch = tempfile::tempdir().expect("tmp");
    // The reference runtime, under the name that makes the binary act as one.
    let real = scratch.path().join("ocicheck-runtime");
    std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("ocicheck"), &real).expect("link");
    for case in cases.iter().filter(|c| !c.broken_by.is_empty()) {
        for breaker in &case.broken_by {
            let script = dir.join(breaker);
            assert!(
                script.is_file(),
                "{}: breaker {breaker} does not exist",
                case.id
            );
            let out = Command::cargo_bin("ocicheck")
                .expect("binary")
                .env("OCICHECK_REAL_RUNTIME", &real)
                .env("TMPDIR", scratch.path())
                .timeout(Duration::from_secs(120))
                .args([
                    "run",
                    "--format",
                    "json",
                    "--timeout",
                    "3",
                    "--case",
                    &case.id,
                    "--runtime",
                ])
                .arg(&script)
                .output()
                .expect("runs");
            let v: Value = serde_json::from_slice(&out.stdout).expect("json");
            let outcome = v["cases"][0]["outcome"].as_str().unwrap_or("?").to_string();
            checked += 1;
            if outcome != "fail" {
                problems.push(format!(
                    "{} against {breaker}: {outcome} ({})",
                    case.id, v["cases"][0]["reason"]
                ));
            }
        }
    }
    assert!(checked >= 10, "only {checked} breaker runs");
    assert!(
        problems.is_empty(),
        "cases that did not fail:\n{}",
        problems.join("\n")
    );
}
