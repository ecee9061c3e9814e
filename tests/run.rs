//! `ocicheck run` against runc (apt): the whole suite with the committed baseline, the report
//! formats, selection and partitions.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use std::path::{Path, PathBuf};
use std::time::Duration;

mod common;
use common::runc;

use assert_cmd::Command;
use serde_json::Value;

fn ocicheck() -> Command {
    let mut cmd = Command::cargo_bin("ocicheck").expect("binary built");
    cmd.env("NO_COLOR", "1").timeout(Duration::from_secs(600));
    cmd
}

fn baseline() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("runtimetest/baselines/runc-1.1.5.txt")
}

fn run_json(args: &[&str]) -> (i32, Value) {
    let out = ocicheck()
        .arg("run")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

#[test]
fn whole_suite_against_runc_with_its_baseline() {
    let Some(runc) = runc() else { return };
    let runc = runc.display().to_string();
    let base = baseline().display().to_string();
    let (code, v) = run_json(&["--runtime", &runc, "--baseline", &base, "--jobs", "2"]);
    let cases = v["cases"].as_array().expect("cases");
    let failed: Vec<String> = cases
        .iter()
        .filter(|c| c["outcome"] == "fail" || c["outcome"] == "error")
        .map(|c| format!("{}: {}", c["id"], c["reason"]))
        .collect();
    assert_eq!(code, 0, "failures: {failed:#?}");
    assert!(failed.is_empty());
    let s = &v["summary"];
    assert!(s["pass"].as_u64().unwrap_or(0) >= 30, "{s}");
    assert!(s["xfail"].as_u64().unwrap_or(0) >= 1, "{s}");
    assert_eq!(v["runtime"]["path"], runc);
    assert!(v["runtime"]["version"]
        .as_str()
        .is_some_and(|s| s.contains("runc")));
    for c in cases {
        for f in ["id", "requirements", "outcome", "reason", "duration_ms"] {
            assert!(!c[f].is_null(), "{f} missing in {c}");
        }
    }
    // Without the baseline the same run fails.
    let (code, _) = run_json(&["--runtime", &runc, "--case", "linux.domainname"]);
    assert_eq!(code, 1);
}

#[test]
fn partitions_cover_the_suite_exactly_once() {
    let list = |extra: &[&str]| -> Vec<String> {
        let out = ocicheck()
            .args(["run", "--list"])
            .args(extra)
            .output()
            .expect("runs");
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().next().map(String::from))
            .collect()
    };
    let all = list(&[]);
    assert!(all.len() >= 40, "{all:?}");
    let mut union: Vec<String> = (1..=3)
        .flat_map(|k| list(&["--partition", &format!("{k}/3")]))
        .collect();
    union.sort();
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(union, sorted);
    ocicheck()
        .args(["run", "--list", "--partition", "4/3"])
        .assert()
        .code(2);
    ocicheck()
        .args(["run", "--list", "--case", "nothing.*"])
        .assert()
        .code(2);
}

#[test]
fn list_names_requirements() {
    let out = ocicheck()
        .args(["run", "--list", "--case", "process.hostname"])
        .output()
        .expect("runs");
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

#[test]
fn tap_and_junit_reports() {
    let Some(runc) = runc() else { return };
    let runc = runc.display().to_string();
    let base = baseline().display().to_string();
    let out = ocicheck()
        .args([
            "run",
            "--runtime",
            &runc,
            "--baseline",
            &base,
            "--format",
            "tap",
        ])
        .args([
            "--case",
            "process.hostname",
            "--case",
            "linux.domainname",
            "--case",
            "linux.namespaces.time",
        ])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let tap: String = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim_start().starts_with("duration_ms"))
        // Runtime messages carry timestamps and temp paths.
        .map(|l| match l.split_once("message: ") {
            Some((indent, _)) => format!("{indent}message: [redacted]\n"),
            None => format!("{l}\n"),
        })
        .collect();
    insta::assert_snapshot!("tap", tap);
    let tmp = tempfile::tempdir().expect("tmp");
    let junit = tmp.path().join("junit.xml");
    ocicheck()
        .args([
            "run",
            "--runtime",
            &runc,
            "--baseline",
            &base,
            "--format",
            "junit",
            "--output",
        ])
        .arg(&junit)
        .args(["--case", "process.hostname", "--case", "linux.domainname"])
        .assert()
        .success();
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(
        xml.contains("<testsuites") && xml.contains("process.hostname") && xml.contains("<skipped"),
        "{xml}"
    );
}

#[test]
fn usage_errors() {
    ocicheck()
        .args(["run", "--runtime", "/nonexistent/runtime"])
        .assert()
        .code(2);
    ocicheck()
        .args(["run", "--runtime", "runc", "--timeout", "0"])
        .assert()
        .code(2);
}

#[test]
fn cases_from_a_directory_are_listed_and_checked() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("mine.hostname.toml"),
        "id = \"mine.hostname\"\nsummary = \"s\"\n\
         [config]\nhostname = \"mine\"\n[[expect]]\ncheck = \"hostname\"\nvalue = \"mine\"\n\
         requirements = [\"runtime.create.apply-config\"]\n",
    )
    .expect("write");
    let out = ocicheck()
        .args(["run", "--list", "--cases"])
        .arg(dir.path())
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(text.contains("mine.hostname "), "{text}");
    assert!(
        text.contains("process.hostname "),
        "the embedded suite stays: {text}"
    );

    // A misspelt field in an added case stops the run before anything runs, naming the line.
    let bad = dir.path().join("mine.bad.toml");
    std::fs::write(
        &bad,
        "id = \"mine.bad\"\nsummary = \"s\"\n\
         [[step]]\nrun = \"create\"\nrequirements = [\"runtime.create.apply-config\"]\n\
         expcet = \"error\"\n",
    )
    .expect("write");
    ocicheck()
        .args(["run", "--list", "--cases"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains(format!(
            "{}:6: unknown field `expcet`, expected one of `expect`, `id`, `console`, `seccomp_agent`",
            bad.display()
        )));
}
