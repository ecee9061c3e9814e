//! The `ocicheck` command line: requirements, matrix, help and version.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn ocicheck() -> Command {
    let mut cmd = Command::cargo_bin("ocicheck").expect("binary built");
    cmd.env("NO_COLOR", "1");
    cmd
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = ocicheck().args(args).output().expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

#[test]
fn version_and_help() {
    ocicheck()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("ocicheck 0."));
    ocicheck()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("requirements"))
        .stdout(predicate::str::contains("matrix"));
    ocicheck()
        .arg("frobnicate")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unrecognized subcommand"));
}

#[test]
fn requirements_json_lists_every_entry_with_every_field() {
    let v = json(&["requirements", "--format", "json"]);
    let reqs = v["requirements"].as_array().expect("array");
    assert!(reqs.len() >= 350, "{} entries", reqs.len());
    assert_eq!(v["count"].as_u64(), Some(reqs.len() as u64));
    let mut docs = std::collections::BTreeSet::new();
    for r in reqs {
        for field in [
            "id", "level", "summary", "link", "versions", "kind", "status",
        ] {
            assert!(!r[field].is_null(), "{field} missing in {r}");
        }
        assert!(r["link"].as_str().is_some_and(
            |l| l.starts_with("https://github.com/opencontainers/runtime-spec/blob/v")
        ));
        assert!(!r["versions"].as_array().expect("versions").is_empty());
        docs.insert(r["doc"].as_str().expect("doc").to_string());
    }
    assert_eq!(docs.len(), 5, "{docs:?}");
}

#[test]
fn requirements_filters() {
    let all = json(&["requirements", "--format", "json"]);
    let n = |v: &serde_json::Value| v["requirements"].as_array().map_or(0, |a| a.len());
    let stat = json(&["requirements", "--format", "json", "--kind", "static"]);
    let run = json(&["requirements", "--format", "json", "--kind", "runtime"]);
    let unt = json(&["requirements", "--format", "json", "--kind", "untestable"]);
    assert_eq!(n(&stat) + n(&run) + n(&unt), n(&all));
    assert!(stat["requirements"]
        .as_array()
        .expect("array")
        .iter()
        .all(|r| r["kind"] == "static"));
    let untestable = json(&["requirements", "--format", "json", "--status", "untestable"]);
    assert_eq!(n(&untestable), n(&unt));
    let must_not = json(&["requirements", "--format", "json", "--level", "must-not"]);
    assert!(n(&must_not) > 0);
    assert!(must_not["requirements"]
        .as_array()
        .expect("array")
        .iter()
        .all(|r| r["level"] == "MUST NOT"));
    // Only 1.3.0 has the poststart-failure-is-an-error rule; only 1.0.0 the old one.
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["requirements"]
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|r| r["id"].as_str().map(String::from))
            .collect()
    };
    let v13 = ids(&json(&[
        "requirements",
        "--format",
        "json",
        "--spec-version",
        "1.3.0",
    ]));
    let v10 = ids(&json(&[
        "requirements",
        "--format",
        "json",
        "--spec-version",
        "1.0.0",
    ]));
    use ocicheck_catalog::ids::{
        RUNTIME_HOOKS_POSTSTART_FAILURE_ERROR as FAILURE_ERROR,
        RUNTIME_HOOKS_POSTSTART_FAILURE_WARN as FAILURE_WARN,
    };
    assert!(v13.iter().any(|i| *i == FAILURE_ERROR));
    assert!(!v10.iter().any(|i| *i == FAILURE_ERROR));
    assert!(v10.iter().any(|i| *i == FAILURE_WARN));
}

#[test]
fn requirements_bad_filters_are_usage_errors() {
    ocicheck()
        .args(["requirements", "--kind", "dynamic"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown kind"));
    ocicheck()
        .args(["requirements", "--spec-version", "1.4.0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown runtime-spec release"));
}

#[test]
fn requirements_human_output_for_one_document() {
    let out = ocicheck()
        // Untestable entries: their status cannot change as checks and cases are added.
        .args([
            "requirements",
            "--doc",
            "runtime-linux",
            "--status",
            "untestable",
        ])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    // The total changes with every catalog addition; the listing itself is what is pinned.
    let (listing, total) = text.rsplit_once("\n2 of ").expect("summary line");
    let (shown, proven) = total.split_once('\n').expect("two summary lines");
    assert!(shown.ends_with(" requirements shown"), "{total}");
    // The count of proven runtime requirements, the same as the JSON's.
    let count: usize = proven
        .split_once(" runtime requirements proven: ")
        .and_then(|(n, _)| n.parse().ok())
        .expect("proven count line");
    assert_eq!(
        json(&["requirements", "--format", "json"])["proven_runtime"],
        count
    );
    insta::assert_snapshot!(listing);
}

#[test]
fn requirements_json_output_for_one_document() {
    let v = json(&[
        "requirements",
        "--doc",
        "runtime-linux.md",
        "--format",
        "json",
    ]);
    // It grows with every proof; pinned above, against the human output.
    let mut v = v;
    let proven = v
        .as_object_mut()
        .and_then(|o| o.remove("proven_runtime"))
        .expect("proven_runtime");
    assert!(proven.as_u64().is_some_and(|n| n > 0), "{proven}");
    // So does the coverage: its shape is pinned here, its figures by WIP.md's check.
    let cov = v
        .as_object_mut()
        .and_then(|o| o.remove("runtime_coverage"))
        .expect("runtime_coverage");
    let n = |k: &str| cov[k].as_u64().unwrap_or_else(|| panic!("{k} in {cov}"));
    assert!(
        n("total") > 0 && n("included") + n("blocked") <= n("total"),
        "{cov}"
    );
    insta::assert_json_snapshot!(v);
}

#[test]
fn committed_wip_md_is_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    ocicheck()
        .current_dir(root)
        .args(["matrix", "--check"])
        .assert()
        .success()
        .stdout(predicate::str::contains("WIP.md is up to date"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let p = e.expect("entry").path();
        std::fs::copy(&p, to.join(p.file_name().expect("name"))).expect("copy");
    }
}

#[test]
fn matrix_check_fails_after_a_catalog_edit_until_regenerated() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cat = tmp.path().join("requirements");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog/requirements"),
        &cat,
    );
    let wip = tmp.path().join("WIP.md");
    let matrix = |check: bool| {
        let mut c = ocicheck();
        c.args(["matrix", "--catalog"])
            .arg(&cat)
            .arg("--output")
            .arg(&wip);
        if check {
            c.arg("--check");
        }
        c.assert()
    };
    // Missing file: stale.
    matrix(true)
        .code(1)
        .stderr(predicate::str::contains("does not exist"));
    matrix(false).success();
    matrix(true).success();
    // The generated file equals the committed one for the unedited catalog.
    let committed = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("WIP.md"))
        .expect("WIP.md committed");
    assert_eq!(std::fs::read_to_string(&wip).expect("generated"), committed);

    // Edit one summary of the catalog.
    let file = cat.join("bundle.toml");
    let text = std::fs::read_to_string(&file).expect("bundle.toml");
    let first = text
        .lines()
        .find(|l| l.starts_with("summary = "))
        .expect("a summary")
        .to_string();
    std::fs::write(
        &file,
        text.replacen(&first, "summary = \"an edited summary\"", 1),
    )
    .expect("write");
    matrix(true)
        .code(1)
        .stderr(predicate::str::contains("is stale"))
        .stderr(predicate::str::contains("an edited summary"))
        .stderr(predicate::str::contains("Run `ocicheck matrix`"));
    matrix(false).success();
    matrix(true).success();

    // A hand edit of the matrix itself is caught too.
    let generated = std::fs::read_to_string(&wip).expect("read");
    std::fs::write(&wip, generated.replacen("| Planned |", "| Included |", 1)).expect("write");
    matrix(true).code(1);
}

#[test]
fn a_broken_catalog_is_reported_with_file_and_entry() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        tmp.path().join("bad.toml"),
        "doc = \"config.md\"\n[[requirement]]\nid = \"config.x.y\"\nlevel = \"MUST\"\nsummary = \"s\"\nanchor = \"nowhere\"\nkind = \"static\"\n",
    )
    .expect("write");
    ocicheck()
        .args(["matrix", "--check", "--catalog"])
        .arg(tmp.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "bad.toml: config.x.y: anchor \"nowhere\"",
        ));
    ocicheck()
        .args(["matrix", "--catalog", "/nonexistent/dir"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/dir"));
}
