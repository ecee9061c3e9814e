//! ocicheck's result formats as the command line writes and reads them: real outputs match the
//! schemas of `ocicheck schema run-results|validate-results` (the committed reports, a real run
//! against the reference runtime, `validate --format json` of the examples, and the JSON
//! `ocicheck report` writes back), and `ocicheck report` refuses a newer format version.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use ocicheck_results::{RunResults, ValidateResults};
use predicates::prelude::*;
use serde_json::Value;

fn ocicheck() -> Command {
    let mut cmd = Command::cargo_bin("ocicheck").expect("binary built");
    cmd.env("NO_COLOR", "1").timeout(Duration::from_secs(300));
    cmd
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs ocicheck and returns its exit status and standard output as JSON.
fn json_of(args: &[&str]) -> (i32, Value) {
    let out = ocicheck()
        .current_dir(repo())
        .args(args)
        .output()
        .expect("runs");
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "ocicheck {args:?}: {e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

/// The schema `ocicheck schema WHICH` prints, compiled.
fn schema(which: &str) -> jsonschema::Validator {
    let (code, v) = json_of(&["schema", which]);
    assert_eq!(code, 0, "ocicheck schema {which}");
    assert_eq!(
        v["$schema"], "https://json-schema.org/draft/2020-12/schema",
        "{which}"
    );
    jsonschema::validator_for(&v).expect("the schema compiles")
}

fn assert_matches(schema: &jsonschema::Validator, what: &str, instance: &Value) {
    let errors: Vec<String> = schema
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

#[test]
fn results_schemas_are_printed_for_results_only() {
    let (_, run) = json_of(&["schema", "run-results"]);
    assert_eq!(run["title"], "RunResults");
    let (_, validate) = json_of(&["schema", "validate-results"]);
    assert_eq!(validate["title"], "ValidateResults");
    ocicheck()
        .args(["schema", "run-results", "--spec-version", "1.0.0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--spec-version applies to the spec's documents",
        ));
}

#[test]
fn committed_reports_match_the_run_results_schema() {
    let schema = schema("run-results");
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("reports"))
        .expect("reports/")
        .filter_map(|e| e.ok().map(|e| e.path().join("results.json")))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    for f in &files {
        let text = std::fs::read(f).expect("readable");
        let v: Value = serde_json::from_slice(&text).expect("JSON");
        assert_matches(&schema, &f.display().to_string(), &v);
        assert!(
            v.get("format_version").is_some(),
            "{} has no format_version: regenerate the reports (bash reports/generate.sh)",
            f.display()
        );
        let run = RunResults::from_json(&text).expect("reads");
        assert!(!run.cases.is_empty(), "{}", f.display());
        // `ocicheck report --format json` of one run is that run's JSON.
        let (code, back) = json_of(&["report", "--format", "json", &f.display().to_string()]);
        assert_eq!(code, 0);
        assert_matches(&schema, "report --format json", &back);
        assert_eq!(back, v, "{}", f.display());
    }
}

#[test]
fn a_real_run_matches_the_run_results_schema() {
    if !nix::unistd::geteuid().is_root() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root: containers need it"
        );
        eprintln!("not root: skipping the run");
        return;
    }
    let schema = schema("run-results");
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("report");
    let dir_arg = dir.display().to_string();
    let (code, v) = json_of(&[
        "run",
        "--case",
        "process.hostname",
        "--partition",
        "1/1",
        "--format",
        "json",
        "--report",
        &dir_arg,
    ]);
    assert_eq!(code, 0, "{v}");
    assert_matches(&schema, "ocicheck run --format json", &v);
    assert_eq!(v["format_version"], 1);
    assert_eq!(v["partition"], "1/1");
    assert_eq!(
        v["cases"][0]["verdicts"][0]["assertion"], "expect 1 (hostname)",
        "{v}"
    );
    assert_eq!(v["cases"][0]["id"], "process.hostname");
    assert_eq!(v["cases"][0]["outcome"], "pass");
    let written = std::fs::read(dir.join("results.json")).expect("results.json written");
    let w: Value = serde_json::from_slice(&written).expect("JSON");
    assert_matches(&schema, "--report DIR's results.json", &w);
    assert_eq!(
        RunResults::from_json(&written).expect("reads").cases.len(),
        1
    );
}

#[test]
fn validate_output_matches_the_validate_results_schema() {
    let schema = schema("validate-results");
    // A bundle whose ociVersion is unknown gets a note (level "").
    let tmp = tempfile::tempdir().expect("tmp");
    let note = tmp.path().join("note");
    std::fs::create_dir_all(note.join("rootfs")).expect("bundle");
    let mut config: Value = serde_json::from_slice(
        &std::fs::read(repo().join("examples/bundles/minimal/config.json")).expect("example"),
    )
    .expect("JSON");
    config["ociVersion"] = "9.9.9".into();
    std::fs::write(
        note.join("config.json"),
        serde_json::to_vec_pretty(&config).expect("JSON"),
    )
    .expect("write");
    let note_arg = note.display().to_string();
    let (code, v) = json_of(&[
        "validate",
        "--format",
        "json",
        "--recursive",
        "examples",
        &note_arg,
        "/nonexistent/bundle",
    ]);
    assert_eq!(code, 2, "the nonexistent path is unreadable: {v}");
    assert_matches(&schema, "ocicheck validate --format json", &v);
    assert_eq!(v["format_version"], 1);
    let levels: Vec<&str> = v["bundles"]
        .as_array()
        .expect("bundles")
        .iter()
        .flat_map(|b| b["diagnostics"].as_array().into_iter().flatten())
        .filter_map(|d| d["level"].as_str())
        .collect();
    assert!(
        levels.contains(&"") && levels.contains(&"MUST"),
        "{levels:?}"
    );
    assert_eq!(v["unreadable"][0]["path"], "/nonexistent/bundle");
    let text = serde_json::to_vec(&v).expect("JSON");
    let read = ValidateResults::from_json(&text).expect("reads");
    assert_eq!(read.summary.bundles, read.bundles.len());
    // `ocicheck report --format json` of it writes the same format.
    let file = tmp.path().join("validate.json");
    std::fs::write(&file, &text).expect("write");
    let (code, back) = json_of(&["report", "--format", "json", &file.display().to_string()]);
    assert_eq!(code, 0);
    assert_matches(&schema, "report --format json of a validation", &back);
    assert_eq!(back, v);
}

#[test]
fn report_refuses_a_newer_format_version_naming_the_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    for (name, source) in [
        ("run.json", "reports/runc/results.json"),
        ("validate.json", "report/tests/data/validate.json"),
    ] {
        let mut v: Value =
            serde_json::from_slice(&std::fs::read(repo().join(source)).expect("fixture"))
                .expect("JSON");
        v["format_version"] = 99.into();
        let file = tmp.path().join(name);
        std::fs::write(&file, serde_json::to_vec(&v).expect("JSON")).expect("write");
        ocicheck()
            .arg("report")
            .arg(&file)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!(
                "error: {}: ",
                file.display()
            )))
            .stderr(predicate::str::contains(
                "format version 99 is newer than this ocicheck reads (up to",
            ));
    }
}
