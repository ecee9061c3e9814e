//! ocicheck's result formats as the command line writes and reads them: real outputs match the
//! schemas of `ocicheck schema run-results|validate-results` (the committed reports, a real run
//! against the reference runtime, `validate --format json` of the examples, and the JSON
//! `ocicheck report` writes back), and `ocicheck report` refuses a newer format version.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

mod common;

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
    if !common::can_run_containers() {
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

/// The schema ocicheck's JUnit must validate against (see its header), and any more named in
/// `OCICHECK_JUNIT_XSD` (colon-separated paths, e.g. the upstream Windy Road and Jenkins xunit
/// schemas on a machine that has them).
fn junit_schemas() -> Vec<PathBuf> {
    let mut schemas = vec![repo().join("report/tests/data/junit.xsd")];
    if let Some(more) = std::env::var_os("OCICHECK_JUNIT_XSD") {
        schemas.extend(std::env::split_paths(&more).filter(|p| !p.as_os_str().is_empty()));
    }
    schemas
}

/// Whether xmllint is installed ([`common::tool`]).
fn xmllint() -> bool {
    common::tool("xmllint", "libxml2-utils")
}

/// xmllint's verdict on `xml` against `schema`: Ok, or its complaints.
fn schema_check(schema: &Path, xml: &Path) -> Result<(), String> {
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(schema)
        .arg(xml)
        .output()
        .expect("xmllint runs");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn assert_valid_junit(what: &str, xml: &Path) {
    for schema in junit_schemas() {
        if let Err(e) = schema_check(&schema, xml) {
            panic!(
                "{what} does not validate against {}:\n{e}\n{}",
                schema.display(),
                std::fs::read_to_string(xml).unwrap_or_default()
            );
        }
    }
}

/// The committed schema is not vacuous: JUnit without a suite's timestamp and hostname, or with
/// totals on `<testsuites>` (what quick-junit wrote before), is refused.
#[test]
fn the_junit_schema_refuses_what_strict_readers_refuse() {
    if !xmllint() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let schema = repo().join("report/tests/data/junit.xsd");
    let suite = |attrs: &str| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites{attrs}>\n<testsuite \
             name=\"s\" package=\"ocicheck\" id=\"0\" timestamp=\"2026-12-01T09:30:00\" \
             hostname=\"ci-1\" tests=\"1\" failures=\"1\" errors=\"0\" time=\"0.080\">\
             <properties/><testcase name=\"a.b\" classname=\"a\" time=\"0.080\"><failure \
             type=\"fail\" message=\"m\">text</failure></testcase><system-out/><system-err/>\
             </testsuite>\n</testsuites>\n"
        )
    };
    let check = |name: &str, text: String| {
        let p = tmp.path().join(name);
        std::fs::write(&p, text).expect("write");
        schema_check(&schema, &p)
    };
    assert_eq!(check("good.xml", suite("")), Ok(()));
    for (name, text) in [
        ("totals.xml", suite(" name=\"ocicheck\" tests=\"1\"")),
        (
            "no-timestamp.xml",
            suite("").replace(" timestamp=\"2026-12-01T09:30:00\"", ""),
        ),
        ("zoned.xml", suite("").replace("09:30:00", "09:30:00Z")),
        ("no-host.xml", suite("").replace(" hostname=\"ci-1\"", "")),
        ("no-type.xml", suite("").replace(" type=\"fail\"", "")),
        ("no-out.xml", suite("").replace("<system-out/>", "")),
    ] {
        assert!(check(name, text).is_err(), "{name} accepted");
    }
}

/// JUnit of every outcome (`ocicheck report -o x.xml` of the fixtures, given a start time and
/// a host) validates, with the case group as classname and the run's start and host on each suite.
#[test]
fn junit_of_every_outcome_validates_against_the_junit_schema() {
    if !xmllint() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let mut inputs = Vec::new();
    for (name, host) in [("alpha.json", "ci-1"), ("beta.json", "ci-2")] {
        let mut v: Value = serde_json::from_slice(
            &std::fs::read(repo().join("report/tests/data").join(name)).expect("fixture"),
        )
        .expect("JSON");
        v["started"] = "2026-12-01T09:30:00Z".into();
        v["hostname"] = host.into();
        let p = tmp.path().join(name);
        std::fs::write(&p, v.to_string()).expect("write");
        inputs.push(p);
    }
    let xml = tmp.path().join("x.xml");
    ocicheck()
        .args(["report", "-o"])
        .arg(&xml)
        .args(&inputs)
        .assert()
        .success();
    assert_valid_junit("report -o x.xml of every outcome", &xml);
    let text = std::fs::read_to_string(&xml).expect("written");
    for needle in [
        "timestamp=\"2026-12-01T09:30:00\" hostname=\"ci-1\"",
        "hostname=\"ci-2\"",
        "<testcase name=\"linux.namespaces.time\" classname=\"linux.namespaces\"",
        "<property name=\"requirement:linux.domainname\" value=\"runtime.create.apply-config\"/>",
        "<failure type=\"fail\"",
        "<error type=\"error\"",
        "<skipped message=\"xfail: alpha has no time namespaces\">",
    ] {
        assert!(text.contains(needle), "{needle} not in {text}");
    }
}

/// Against the reference runtime: `ocicheck run --format junit` and the merge of two
/// partitions (`ocicheck report -o x.xml`) validate; the merge starts when its first part did.
#[test]
fn junit_of_real_runs_validates_against_the_junit_schema() {
    if !common::can_run_containers() {
        return;
    }
    if !xmllint() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let (whole, parts) = common::run_whole_and_partitions(tmp.path(), "junit");
    assert_valid_junit("ocicheck run --format junit", &whole);
    let started: Vec<String> = parts
        .iter()
        .map(|p| {
            let run = RunResults::from_json(&std::fs::read(p).expect("written")).expect("reads");
            assert!(run.hostname.as_deref().is_some_and(|h| !h.is_empty()));
            run.started.expect("the run records its start")
        })
        .collect();
    let xml = tmp.path().join("x.xml");
    ocicheck()
        .args(["report", "-o"])
        .arg(&xml)
        .args(&parts)
        .assert()
        .success();
    assert_valid_junit("report -o x.xml of merged partitions", &xml);
    let text = std::fs::read_to_string(&xml).expect("written");
    let earliest = started.iter().min().expect("two");
    let earliest = earliest.trim_end_matches('Z');
    assert!(
        text.contains(&format!("timestamp=\"{earliest}\"")),
        "{earliest}: {text}"
    );
    assert!(
        text.contains("classname=\"process\""),
        "the case group: {text}"
    );
}
