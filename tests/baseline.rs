//! `ocicheck run --baseline` that cannot rot: entries for unknown cases are warned about, a listed
//! case that passes ("xpass") is reported in every format, `--strict-baseline` fails the run on
//! either, the results record the baseline used, and `ocicheck report` refuses to merge
//! partitions run with different baselines. Against the embedded reference runtime.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use serde_json::Value;

fn ocicheck() -> Command {
    let mut cmd = Command::cargo_bin("ocicheck").expect("binary built");
    cmd.env("NO_COLOR", "1").timeout(Duration::from_secs(600));
    cmd
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json")
}

#[test]
fn unknown_entries_are_warned_about_with_file_line_and_a_suggestion() {
    let tmp = tempfile::tempdir().expect("tmp");
    let base = write(
        tmp.path(),
        "gaps.txt",
        "# known gaps\n\
         process.hostnme a typo of a real case\n\
         \n\
         no.such.case a case that is gone\n\
         linux.domainname a real case another partition or selection runs\n\
         mine.hostname a case of the --cases directory\n",
    );
    let run = |extra: &[&str]| {
        let mut cmd = ocicheck();
        cmd.args(["run", "--case", "process.hostname", "--baseline"])
            .arg(&base)
            .args(extra);
        cmd
    };
    let out = run(&[]).assert().code(0);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    let b = base.display();
    assert!(
        stderr.contains(&format!(
            "{b}:2: process.hostnme is not a case of the suite (did you mean process.hostname?)"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{b}:4: no.such.case is not a case of the suite\n")),
        "{stderr}"
    );
    // Judged against the whole suite, not the selection.
    assert!(!stderr.contains("linux.domainname"), "{stderr}");
    assert!(
        stderr.contains(&format!("{b}:6: mine.hostname")),
        "{stderr}"
    );

    // A case added with --cases is part of the suite.
    let dir = tmp.path().join("mine");
    std::fs::create_dir(&dir).expect("mkdir");
    write(
        &dir,
        "mine.hostname.toml",
        "id = \"mine.hostname\"\nsummary = \"s\"\n\
         [config]\nhostname = \"mine\"\n[[expect]]\ncheck = \"hostname\"\nvalue = \"mine\"\n\
         requirements = [\"runtime.create.apply-config\"]\n",
    );
    let dir_arg = dir.display().to_string();
    let out = run(&["--cases", &dir_arg, "--partition", "1/1"])
        .assert()
        .code(0);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(!stderr.contains("mine.hostname"), "{stderr}");
    assert!(stderr.contains("no.such.case"), "{stderr}");

    // --strict-baseline fails the run on them, saying which.
    run(&["--strict-baseline"])
        .assert()
        .code(1)
        .stderr(contains("--strict-baseline").and(contains(
            "3 entries for cases not in the suite: process.hostnme, no.such.case, mine.hostname",
        )));

    // Without unknown entries, a strict run that passes succeeds.
    let clean = write(tmp.path(), "clean.txt", "linux.domainname elsewhere\n");
    ocicheck()
        .args(["run", "--case", "process.hostname", "--strict-baseline"])
        .arg("--baseline")
        .arg(&clean)
        .assert()
        .code(0)
        .stderr(contains("not a case").not());
}

/// Replaces the values of XML attributes that change from run to run.
fn redact_xml(xml: &str) -> String {
    let mut out = xml.to_string();
    for attr in [" time=\"", " timestamp=\"", " hostname=\""] {
        let mut from = 0;
        while let Some(i) = out[from..].find(attr) {
            let start = from + i + attr.len();
            let Some(len) = out[start..].find('"') else {
                break;
            };
            out.replace_range(start..start + len, "[redacted]");
            from = start;
        }
    }
    out
}

#[test]
fn a_listed_case_that_passes_is_reported_in_every_format() {
    let tmp = tempfile::tempdir().expect("tmp");
    let base = write(
        tmp.path(),
        "gaps.txt",
        "process.hostname the reference runtime once got this wrong\n",
    );
    let dir = tmp.path().join("report");
    let out = ocicheck()
        .args(["run", "--case", "process.hostname", "--case", "process.cwd"])
        .arg("--baseline")
        .arg(&base)
        .arg("--report")
        .arg(&dir)
        .assert()
        .code(0);
    let human = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    insta::assert_snapshot!("xpass_human", human);

    let tap = std::fs::read_to_string(dir.join("results.tap")).expect("tap");
    insta::assert_snapshot!("xpass_tap", tap);

    let mut v = json(&dir.join("results.json"));
    for c in v["cases"].as_array_mut().expect("cases") {
        c["duration_ms"] = "[ms]".into();
    }
    v["runtime"] = "[runtime]".into();
    v["suite"] = "[suite]".into();
    assert_eq!(v["baseline"]["path"], base.display().to_string());
    v["baseline"]["path"] = "[path]".into();
    assert!(v["started"].is_string() && v["hostname"].is_string(), "{v}");
    v["started"] = "[started]".into();
    v["hostname"] = "[hostname]".into();
    insta::assert_json_snapshot!("xpass_json", v);

    let junit = std::fs::read_to_string(dir.join("junit.xml")).expect("junit");
    let runtime = assert_cmd::cargo::cargo_bin("ocicheck")
        .display()
        .to_string();
    insta::assert_snapshot!(
        "xpass_junit",
        redact_xml(&junit)
            .replace(&runtime, "[runtime]")
            .lines()
            .map(|l| if l.contains("ocicheck.cases_digest") {
                "            <property name=\"ocicheck.cases_digest\" value=\"[digest]\"/>"
            } else {
                l
            })
            .collect::<Vec<_>>()
            .join("\n")
    );

    let md = std::fs::read_to_string(dir.join("report.md")).expect("md");
    let section = md
        .split_once("## Listed in the baseline but passed")
        .map(|(_, s)| s.split("\n## ").next().unwrap_or(s))
        .unwrap_or_else(|| panic!("no xpass section in {md}"));
    insta::assert_snapshot!(
        "xpass_markdown",
        section
            .trim()
            .replace(&base.display().to_string(), "[path]")
    );
    let html = std::fs::read_to_string(dir.join("report.html")).expect("html");
    assert!(
        html.contains("<h2 id=\"xpass\">Listed in the baseline but passed</h2>")
            && html
                .contains("<a class=\"mono\" href=\"#case-process.hostname\">process.hostname</a>"),
        "{html}"
    );

    // --strict-baseline: the same run fails, naming the case.
    ocicheck()
        .args(["run", "--case", "process.hostname", "--strict-baseline"])
        .arg("--baseline")
        .arg(&base)
        .assert()
        .code(1)
        .stderr(contains(
            "1 entry for a case that passed: process.hostname (remove it from the baseline)",
        ));
    // A report of results without xpass has no such section.
    let out = ocicheck()
        .args(["run", "--case", "process.cwd", "--format", "json"])
        .output()
        .expect("runs");
    let plain = write(
        tmp.path(),
        "plain.json",
        &String::from_utf8_lossy(&out.stdout),
    );
    ocicheck()
        .arg("report")
        .arg(&plain)
        .assert()
        .success()
        .stdout(contains("Listed in the baseline").not());
}

#[test]
fn results_record_the_baseline_used() {
    let tmp = tempfile::tempdir().expect("tmp");
    let text = "# gaps\nlinux.domainname one\nlinux.personality two\n";
    let a = write(tmp.path(), "a.txt", text);
    std::fs::create_dir(tmp.path().join("elsewhere")).expect("mkdir");
    let b = write(&tmp.path().join("elsewhere"), "b.txt", text);
    let c = write(tmp.path(), "c.txt", "linux.domainname one\n");
    let recorded = |base: Option<&Path>| -> Value {
        let mut cmd = ocicheck();
        cmd.args(["run", "--case", "process.hostname", "--format", "json"]);
        if let Some(base) = base {
            cmd.arg("--baseline").arg(base);
        }
        let out = cmd.output().expect("runs");
        assert!(out.status.success(), "{out:?}");
        let v: Value = serde_json::from_slice(&out.stdout).expect("json");
        v["baseline"].clone()
    };
    let ra = recorded(Some(&a));
    assert_eq!(ra["path"], a.display().to_string());
    assert_eq!(ra["entries"], 2);
    let digest = ra["digest"].as_str().expect("digest");
    assert!(digest.starts_with("fnv1a64:"), "{ra}");
    // The digest is of the contents: the same file elsewhere has it, another file not.
    assert_eq!(recorded(Some(&b))["digest"], digest);
    assert_ne!(recorded(Some(&c))["digest"], digest);
    assert_eq!(recorded(None), Value::Null);
}

#[test]
fn report_refuses_to_merge_partitions_run_with_different_baselines() {
    let tmp = tempfile::tempdir().expect("tmp");
    let one = write(tmp.path(), "one.txt", "linux.domainname one\n");
    let two = write(tmp.path(), "two.txt", "linux.domainname two\n");
    let part = |k: u32, base: Option<&Path>, name: &str| -> PathBuf {
        let out = tmp.path().join(name);
        let mut cmd = ocicheck();
        cmd.args(["run", "--case", "process.hostname", "--case", "process.cwd"])
            .args(["--partition", &format!("{k}/2"), "--format", "json", "-o"])
            .arg(&out);
        if let Some(base) = base {
            cmd.arg("--baseline").arg(base);
        }
        cmd.assert().success();
        out
    };
    let p1 = part(1, Some(&one), "p1.json");
    let p2_same = part(2, Some(&one), "p2-same.json");
    let p2_other = part(2, Some(&two), "p2-other.json");
    let p2_none = part(2, None, "p2-none.json");
    for p2 in [&p2_other, &p2_none] {
        ocicheck()
            .args(["report", "--format", "json"])
            .arg(&p1)
            .arg(p2)
            .assert()
            .code(2)
            .stderr(
                contains(p1.display().to_string())
                    .and(contains(p2.display().to_string()))
                    .and(contains("different baselines")),
            );
    }
    let out = ocicheck()
        .args(["report", "--format", "json"])
        .arg(&p1)
        .arg(&p2_same)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    let merged: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(merged["cases"].as_array().map(Vec::len), Some(2));
    assert_eq!(merged["baseline"]["path"], one.display().to_string());
}
