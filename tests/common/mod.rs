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
