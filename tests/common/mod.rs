//! Shared by the tests that drive real containers.
// Each test file compiles this module on its own and uses only some of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;

/// runc's path; None (the test is then skipped, with a message) when it is not installed,
/// except in CI, where a missing runc fails the test.
pub fn runc() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("runc"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "runc must be installed in CI"
        );
        eprintln!("runc is not installed: skipping");
    }
    found
}

/// The reference runtime in `dir`: this build's binary, under the name that makes it act as one.
pub fn reference_runtime(dir: &Path) -> PathBuf {
    let link = dir.join("ocicheck-runtime");
    std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("ocicheck"), &link)
        .expect("link the reference runtime");
    link
}

/// A case result's verdict on `requirement` (`Null` when it has none).
pub fn verdict_on(result: &Value, requirement: &str) -> Value {
    result["verdicts"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|v| v["requirement"] == requirement)
        .cloned()
        .unwrap_or(Value::Null)
}

/// Whether this test can run containers (it runs as root). When not, it says so and the caller
/// skips, except in CI, which runs as root: there it fails.
pub fn can_run_containers() -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI runs as root: containers need it"
    );
    eprintln!("not root: skipping the run");
    false
}

/// Runs the `process.*` cases against the reference runtime into `dir`: once whole, in
/// `whole_format` (`tap`, `junit`...) into `dir/whole.<whole_format>`, and as two partitions
/// in JSON (`dir/part-K.json`). Returns the whole run's file and the partitions'.
pub fn run_whole_and_partitions(dir: &Path, whole_format: &str) -> (PathBuf, Vec<PathBuf>) {
    let run = |extra: &[&str], out: &Path| {
        assert_cmd::Command::cargo_bin("ocicheck")
            .expect("binary built")
            .env("NO_COLOR", "1")
            .timeout(std::time::Duration::from_secs(600))
            .args(["run", "--case", "process.*", "--jobs", "2"])
            .args(extra)
            .arg("-o")
            .arg(out)
            .assert()
            .success();
    };
    let whole = dir.join(format!("whole.{whole_format}"));
    run(&["--format", whole_format], &whole);
    let parts = (1..=2)
        .map(|k| {
            let p = dir.join(format!("part-{k}.json"));
            run(&["--partition", &format!("{k}/2"), "--format", "json"], &p);
            p
        })
        .collect();
    (whole, parts)
}

/// Whether `program` (from the Debian package `package`) is installed: when not, the caller
/// skips with a message, except in CI, where it must be installed (`.ci/run` installs it).
pub fn tool(program: &str, package: &str) -> bool {
    let found = std::process::Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{program} (package {package}) must be installed in CI"
        );
        eprintln!("{program} is not installed (apt-get install {package}): skipping");
    }
    found
}

/// Held by a test while it runs ocicheck, for test files whose tests must take turns (each
/// test binary has its own lock; cargo runs the binaries one after another).
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
