//! Replays the fuzz targets' kept inputs on stable: every file of `fuzz/corpus/<target>/` (the
//! seeds) and `fuzz/regressions/<target>/` (minimized inputs that once crashed a target) goes
//! through the target's own body, and none may panic. The fuzzing itself needs nightly
//! (`.ci/fuzz`); this keeps what it found fixed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// The files of `fuzz/<kind>/<target>/`, sorted.
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(kind)
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != ".gitkeep"))
        .collect();
    files.sort();
    files
}

/// Runs `harness` on every kept input of `target`; fails naming each input that panics.
fn replay(target: &str, harness: fn(&[u8])) {
    let corpus = inputs("corpus", target);
    assert!(
        !corpus.is_empty(),
        "fuzz/corpus/{target}/ holds no seed inputs"
    );
    let mut panicked = Vec::new();
    for file in corpus.iter().chain(&inputs("regressions", target)) {
        let data = std::fs::read(file).expect("read a kept input");
        if catch_unwind(AssertUnwindSafe(|| harness(&data))).is_err() {
            panicked.push(file.display().to_string());
        }
    }
    assert!(
        panicked.is_empty(),
        "the `{target}` fuzz target panics on (reproduce with `cargo +nightly fuzz run {target} FILE`):\n{}",
        panicked.join("\n")
    );
}

#[test]
fn the_validate_targets_kept_inputs_do_not_panic() {
    replay("validate", ocicheck_validator::fuzzing::validate);
}

#[test]
fn the_case_targets_kept_inputs_do_not_panic() {
    replay("case", ocicheck_runtimetest::case::fuzzing::case);
}
