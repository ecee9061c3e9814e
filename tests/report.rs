//! `ocicheck report` and `ocicheck run --report`: the command line on fake result files, the
//! HTML page in a real browser (headless chromium), and merged partitions of a real run
//! against runc equal to the unpartitioned run.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use std::path::{Path, PathBuf};
use std::time::Duration;

mod common;
use common::runc;

use assert_cmd::Command;
use predicates::str::contains;
use serde_json::Value;

fn ocicheck() -> Command {
    let mut cmd = Command::cargo_bin("ocicheck").expect("binary built");
    cmd.env("NO_COLOR", "1").timeout(Duration::from_secs(600));
    cmd
}

fn fake(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("report/tests/data")
        .join(name)
}

#[test]
fn compares_two_fake_results() {
    let tmp = tempfile::tempdir().expect("tmp");
    let md = tmp.path().join("comparison.md");
    ocicheck()
        .args(["report", "-o"])
        .arg(&md)
        .arg(fake("alpha.json"))
        .arg(fake("beta.json"))
        .assert()
        .success();
    let text = std::fs::read_to_string(&md).expect("written");
    assert!(
        text.contains("| alpha 1.1.5 | beta 2.0 (spec 1.1.0) |"),
        "{text}"
    );
    assert!(text.contains("<a id=\"req-runtime.create.apply-config\"></a>"));
    // The format follows the extension unless --format says otherwise.
    let out = ocicheck()
        .args(["report", "--format", "json"])
        .arg(fake("alpha.json"))
        .arg(fake("beta.json"))
        .output()
        .expect("runs");
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["runtimes"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["runtimes"][0]["mandatory_compliance"], 75.0);
    let xml = tmp.path().join("junit.xml");
    ocicheck()
        .args(["report", "-o"])
        .arg(&xml)
        .arg(fake("alpha.json"))
        .assert()
        .success();
    assert!(std::fs::read_to_string(&xml)
        .expect("written")
        .contains("<testsuite name=\"ocicheck run alpha 1.1.5\""));
}

#[test]
fn bad_input_is_a_clear_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, "{\"cases\": 3}").expect("write");
    ocicheck()
        .arg("report")
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(contains(format!(
            "{}: not a valid `ocicheck run --format json` result",
            bad.display()
        )));
    ocicheck()
        .args(["report", "/nonexistent/results.json"])
        .assert()
        .code(2)
        .stderr(contains("cannot read /nonexistent/results.json"));
    ocicheck()
        .arg("report")
        .arg(fake("alpha.json"))
        .arg(fake("validate.json"))
        .assert()
        .code(2)
        .stderr(contains("cannot report run results"));
    // Partitions of different runtimes.
    let part = |src: &str, k: usize| {
        let mut v: Value =
            serde_json::from_str(&std::fs::read_to_string(fake(src)).expect("fixture"))
                .expect("json");
        v["partition"] = Value::from(format!("{k}/2"));
        let p = tmp.path().join(format!("{src}-{k}"));
        std::fs::write(&p, v.to_string()).expect("write");
        p
    };
    ocicheck()
        .arg("report")
        .arg(part("alpha.json", 1))
        .arg(part("beta.json", 2))
        .assert()
        .code(2)
        .stderr(contains(
            "cannot merge partitions: the partitions are of different runtimes",
        ));
    ocicheck()
        .arg("report")
        .arg(part("alpha.json", 1))
        .assert()
        .code(2)
        .stderr(contains("partition 2/2 of /usr/sbin/alpha"));
    ocicheck().args(["report"]).assert().code(2);
}

#[test]
fn validation_results_are_reported_per_bundle() {
    ocicheck()
        .args(["report", "--format", "md"])
        .arg(fake("validate.json"))
        .assert()
        .success()
        .stdout(contains("| `examples/flawed` | 1.3.0 | ❌ no | 4 | 2 |"));
}

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium(args: &[&str], page: &Path) -> std::process::Output {
    let profile = tempfile::tempdir().expect("profile dir");
    let mut cmd = Command::new(CHROMIUM);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(args)
    .arg(format!("file://{}", page.display()))
    .timeout(Duration::from_secs(120));
    cmd.output().expect("chromium runs")
}

#[test]
fn html_report_renders_in_chromium() {
    if !Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium must be installed in CI"
        );
        eprintln!(
            "{CHROMIUM} is not installed (apt-get install chromium): skipping the browser test"
        );
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let page = tmp.path().join("comparison.html");
    ocicheck()
        .args(["report", "-o"])
        .arg(&page)
        .arg(fake("alpha.json"))
        .arg(fake("beta.json"))
        .assert()
        .success();
    let png = tmp.path().join("shot.png");
    let out = chromium(
        &[
            "--window-size=1280,1600",
            &format!("--screenshot={}", png.display()),
        ],
        &page,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    // A blank 1280×1600 page compresses to a few KiB; the rendered report is far larger.
    assert!(
        bytes.len() > 30_000,
        "screenshot is only {} bytes",
        bytes.len()
    );
    let out = chromium(&["--dump-dom"], &page);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "<table class=\"heat\" id=\"heatmap\">",
        "id=\"req-runtime.create.apply-config\"",
        "class=\"c fail\"",
        "id=\"case-linux.domainname\"",
    ] {
        assert!(dom.contains(needle), "{needle} not in the rendered DOM");
    }
}

fn run_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("written")).expect("json")
}

/// What must agree between runs of the same cases (durations and runtime messages vary).
fn verdicts(v: &Value) -> Vec<(String, String, String)> {
    v["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            (
                c["id"].to_string(),
                c["requirements"].to_string(),
                c["outcome"].to_string(),
            )
        })
        .collect()
}

#[test]
fn merged_partitions_equal_the_full_run_against_runc() {
    let Some(runc) = runc() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let run = |extra: &[&str]| {
        let mut cmd = ocicheck();
        cmd.args(["run", "--runtime"])
            .arg(&runc)
            .args(["--case", "process.*", "--jobs", "2"])
            .args(extra);
        cmd
    };
    let dir = tmp.path().join("full");
    let dir_arg = dir.display().to_string();
    run(&["--report", &dir_arg])
        .assert()
        .code(predicates::ord::lt(2));
    for f in ocicheck_report::RUN_DIR_FILES {
        let len = std::fs::metadata(dir.join(f)).map(|m| m.len()).unwrap_or(0);
        assert!(len > 0, "{f} missing or empty");
    }
    let full = run_json(&dir.join("results.json"));
    let mut parts = Vec::new();
    for k in 1..=3 {
        let p = tmp.path().join(format!("part-{k}.json"));
        let p_arg = p.display().to_string();
        run(&[
            "--partition",
            &format!("{k}/3"),
            "--format",
            "json",
            "-o",
            &p_arg,
        ])
        .assert()
        .code(predicates::ord::lt(2));
        assert_eq!(run_json(&p)["partition"], format!("{k}/3"));
        parts.push(p);
    }
    let merged = tmp.path().join("merged.json");
    ocicheck()
        .args(["report", "--format", "json", "-o"])
        .arg(&merged)
        .args(&parts)
        .assert()
        .success();
    let merged = run_json(&merged);
    assert!(verdicts(&full).len() >= 5, "{full}");
    assert_eq!(verdicts(&merged), verdicts(&full));
    for field in [
        "runtime",
        "spec_version",
        "suite",
        "selected_cases",
        "summary",
    ] {
        assert_eq!(merged[field], full[field], "{field}");
    }
    assert!(merged.get("partition").is_none());
}

/// WIP.md links every requirement a case tests to its row in the committed comparison; those
/// rows must exist (run `bash reports/generate.sh` after adding cases or requirements to them).
#[test]
fn wip_links_resolve_to_rows_of_the_committed_comparison() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let wip = std::fs::read_to_string(root.join("WIP.md")).expect("WIP.md");
    let comparison =
        std::fs::read_to_string(root.join("reports/comparison.md")).expect("comparison.md");
    let marker = "(reports/comparison.md#";
    let links: Vec<&str> = wip
        .match_indices(marker)
        .filter_map(|(i, _)| wip[i + marker.len()..].split(')').next())
        .collect();
    assert!(links.len() >= 40, "only {} links in WIP.md", links.len());
    let missing: Vec<&&str> = links
        .iter()
        .filter(|a| !comparison.contains(&format!("<a id=\"{a}\"></a>")))
        .collect();
    assert!(
        missing.is_empty(),
        "reports/comparison.md has no row for {missing:?}: run `bash reports/generate.sh`"
    );
}

/// The committed reports blame only what failed: every failing (or xfail) verdict of every
/// committed run names an assertion of its case that names that requirement, and the comparison
/// paints a requirement red only where such a verdict says so.
#[test]
fn committed_reports_paint_only_requirements_their_failing_assertion_names() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let suite = ocicheck_runtimetest::Suite::embedded().expect("cases");
    let mut checked = 0;
    let mut problems = Vec::new();
    for name in ["reference", "runc", "crun"] {
        let path = root.join("reports").join(name).join("results.json");
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let run = ocicheck_results::RunResults::from_json(&bytes).expect("results");
        for c in &run.cases {
            let case = suite.cases.iter().find(|k| k.id == c.id).expect("case");
            for v in &c.verdicts {
                if !matches!(
                    v.outcome,
                    ocicheck_results::Outcome::Fail | ocicheck_results::Outcome::Xfail
                ) || v.assertion.is_empty()
                {
                    continue;
                }
                checked += 1;
                let names = case
                    .assertions()
                    .into_iter()
                    .any(|(a, reqs)| case.label(a) == v.assertion && reqs.contains(&v.requirement));
                if !names {
                    problems.push(format!(
                        "{name}: {} blames {} on {}, which does not name it",
                        c.id, v.requirement, v.assertion
                    ));
                }
            }
            // A case's requirements are exactly those it has verdicts for.
            let judged: Vec<&String> = c.verdicts.iter().map(|v| &v.requirement).collect();
            if judged.len() != c.requirements.len() {
                problems.push(format!("{name}: {} has verdicts for {judged:?}", c.id));
            }
        }
    }
    assert!(checked >= 10, "only {checked} failing verdicts checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A copy of fixture `src` in `dir` with `edit` applied to its JSON.
fn edited(dir: &Path, src: &str, name: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(fake(src)).expect("fixture")).expect("json");
    edit(&mut v);
    let p = dir.join(name);
    std::fs::write(&p, v.to_string()).expect("write");
    p
}

/// Sets every case of a run's JSON to `outcome` but the ones named in `except`, and recounts.
fn outcomes(v: &mut Value, default: &str, except: &[(&str, &str)]) {
    let mut summary = serde_json::json!({"pass": 0, "fail": 0, "skip": 0, "error": 0, "xfail": 0});
    for c in v["cases"].as_array_mut().expect("cases") {
        let o = except
            .iter()
            .find(|(id, _)| c["id"] == *id)
            .map_or(default, |(_, o)| *o);
        c["outcome"] = o.into();
        summary[o] = (summary[o].as_u64().expect("count") + 1).into();
    }
    v["summary"] = summary;
}

/// The partitions 1/2 and 2/2 of a fixture run, as `ocicheck run --partition K/2` writes them.
fn fixture_partitions(dir: &Path, src: &str) -> Vec<PathBuf> {
    let text = std::fs::read_to_string(fake(src)).expect("fixture");
    let full = ocicheck_results::RunResults::from_json(text.as_bytes()).expect("run");
    ocicheck_results::Partition::all(2)
        .map(|k| {
            let mut part = full.clone();
            part.cases = k.select(full.cases.iter().cloned());
            part.summary = part.cases.iter().map(|c| c.outcome).collect();
            part.partition = Some(k);
            let p = dir.join(format!("{src}-part-{}.json", k.index()));
            std::fs::write(&p, part.to_json()).expect("write");
            p
        })
        .collect()
}

/// `-o FILE` picks the format from the extension, refuses one it cannot write (and a name
/// without one) before reading anything, and `--format` overrides the name.
#[test]
fn output_extension_picks_the_format_or_is_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let write = |name: &str, extra: &[&str]| {
        let out = tmp.path().join(name);
        let assert = ocicheck()
            .arg("report")
            .args(extra)
            .arg("-o")
            .arg(&out)
            .arg(fake("alpha.json"))
            .assert();
        (assert, out)
    };
    for (name, start) in [
        ("r.md", "# "),
        ("r.markdown", "# "),
        ("r.html", "<!DOCTYPE html>"),
        ("r.HTM", "<!DOCTYPE html>"),
        ("r.xml", "<?xml"),
        ("r.junit", "<?xml"),
        ("r.json", "{"),
        ("r.tap", "TAP version 13\n1..4\n"),
    ] {
        let (assert, out) = write(name, &[]);
        assert.success();
        let text = std::fs::read_to_string(&out).expect("written");
        assert!(text.starts_with(start), "{name}: {text}");
    }
    for name in ["merged.txt", "merged.tap.gz", "merged"] {
        let (assert, out) = write(name, &[]);
        assert
            .code(2)
            .stderr(contains(format!(
                "error: cannot tell which format to write to {}",
                out.display()
            )))
            .stderr(contains(
                ".md or .markdown, .html or .htm, .xml or .junit, .json, .tap",
            ))
            .stderr(contains("--format md|html|junit|json|tap"));
        assert!(!out.exists(), "{name} written");
    }
    // An explicit --format writes whatever the name.
    let (assert, out) = write("merged", &["--format", "tap"]);
    assert.success();
    assert!(std::fs::read_to_string(&out)
        .expect("written")
        .starts_with("TAP version 13"));
    // Without -o: Markdown on standard output, as before.
    ocicheck()
        .arg("report")
        .arg(fake("alpha.json"))
        .assert()
        .success()
        .stdout(predicates::str::starts_with("# "));
}

/// TAP holds one run: several runtimes (or validation results) are refused, nothing written.
#[test]
fn tap_of_several_runtimes_or_of_validation_results_is_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("x.tap");
    ocicheck()
        .args(["report", "-o"])
        .arg(&out)
        .arg(fake("alpha.json"))
        .arg(fake("beta.json"))
        .assert()
        .code(2)
        .stderr(contains(
            "error: TAP holds the results of one run, and these are 2 runs",
        ));
    assert!(!out.exists());
    ocicheck()
        .args(["report", "--format", "tap"])
        .arg(fake("validate.json"))
        .assert()
        .code(2)
        .stderr(contains("error: TAP is written for run results"));
}

/// Whether prove is installed ([`common::tool`]).
fn prove() -> bool {
    common::tool("prove", "perl")
}

/// `prove` reading a TAP file: its exit status and output.
fn prove_file(tap: &Path) -> (i32, String) {
    let out = std::process::Command::new("prove")
        .args(["--exec", "cat"])
        .arg(tap)
        .output()
        .expect("prove runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

/// Merged partitions written as `x.tap` are the TAP of the whole run, and `prove` parses it:
/// the failure is a failure, the xfail a TODO, nothing is a parse error.
#[test]
fn merged_fixture_partitions_as_tap_parse_in_prove() {
    if !prove() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let parts = fixture_partitions(tmp.path(), "alpha.json");
    let tap = tmp.path().join("x.tap");
    ocicheck()
        .args(["report", "-o"])
        .arg(&tap)
        .args(&parts)
        .assert()
        .success();
    let text = std::fs::read_to_string(&tap).expect("written");
    assert!(
        text.starts_with("TAP version 13\n1..4\nok 1 - lifecycle.create-start-kill-delete\n"),
        "{text}"
    );
    assert!(text.contains("not ok 3 - linux.namespaces.time # TODO alpha has no time namespaces"));
    let (code, out) = prove_file(&tap);
    assert_eq!(code, 1, "one case failed: {out}");
    assert!(out.contains("Failed test:  2"), "{out}");
    assert!(!out.contains("Parse errors"), "{out}");
}

/// Against the reference runtime: two partitions merged into `x.tap` give the TAP of the
/// unpartitioned run, and `prove` accepts it.
#[test]
fn merged_partitions_of_a_real_run_as_tap_are_accepted_by_prove() {
    if !common::can_run_containers() {
        return;
    }
    if !prove() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let (whole, parts) = common::run_whole_and_partitions(tmp.path(), "tap");
    let tap = tmp.path().join("x.tap");
    ocicheck()
        .args(["report", "-o"])
        .arg(&tap)
        .args(&parts)
        .assert()
        .success();
    let merged = std::fs::read_to_string(&tap).expect("written");
    assert_eq!(
        merged,
        std::fs::read_to_string(&whole).expect("written"),
        "the merged TAP is the run's"
    );
    let (code, out) = prove_file(&tap);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("All tests successful."), "{out}");
}

/// `--fail-on error|new|fail`: 1 when the results meet the condition, else 0; the report is
/// written either way.
#[test]
fn fail_on_exit_statuses() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let clean = edited(dir, "alpha.json", "clean.json", |v| {
        outcomes(v, "pass", &[])
    });
    let known = edited(dir, "alpha.json", "xfail.json", |v| {
        outcomes(v, "pass", &[("linux.namespaces.time", "xfail")])
    });
    let skipped = edited(dir, "alpha.json", "skip.json", |v| {
        outcomes(v, "pass", &[("linux.namespaces.time", "skip")])
    });
    // alpha.json: a fail and an xfail; beta.json: an error.
    let failing = fake("alpha.json");
    let erroring = edited(dir, "beta.json", "error.json", |v| {
        outcomes(v, "pass", &[("linux.domainname", "error")])
    });
    let gate = |on: &str, files: &[&PathBuf]| {
        let out = dir.join(format!("gate-{on}.md"));
        let _ = std::fs::remove_file(&out);
        let assert = ocicheck()
            .args(["report", "--fail-on", on, "-o"])
            .arg(&out)
            .args(files)
            .assert();
        let code = assert.get_output().status.code();
        assert!(out.is_file(), "--fail-on {on}: the report is written");
        (
            code,
            String::from_utf8_lossy(&assert.get_output().stderr).into_owned(),
        )
    };
    let table: [(&PathBuf, [i32; 3]); 5] = [
        // error, new, fail
        (&clean, [0, 0, 0]),
        (&skipped, [0, 0, 0]),
        (&known, [0, 0, 1]),
        (&failing, [0, 1, 1]),
        (&erroring, [1, 1, 1]),
    ];
    for (file, codes) in table {
        for (on, want) in ["error", "new", "fail"].into_iter().zip(codes) {
            let (code, err) = gate(on, &[file]);
            assert_eq!(code, Some(want), "--fail-on {on} {}: {err}", file.display());
            if want == 1 {
                assert!(err.contains(&format!("--fail-on {on}: ")), "{err}");
            } else {
                assert!(err.is_empty(), "{err}");
            }
        }
    }
    // The messages say what met the condition, and of which runtime.
    let (_, err) = gate("new", &[&failing]);
    assert!(
        err.contains("--fail-on new: alpha 1.1.5: 1 case failed or errored that the baseline does not list (linux.domainname)"),
        "{err}"
    );
    let (_, err) = gate("fail", &[&known]);
    assert!(
        err.contains("--fail-on fail: alpha 1.1.5: 1 case did not pass (linux.namespaces.time)"),
        "{err}"
    );
    // Several runtimes: met when met by any.
    assert_eq!(gate("new", &[&clean, &failing]).0, Some(1));
    assert_eq!(gate("error", &[&failing, &erroring]).0, Some(1));
    assert_eq!(gate("error", &[&clean, &failing]).0, Some(0));
    // Merged partitions are judged as one run.
    let parts = fixture_partitions(dir, "alpha.json");
    let refs: Vec<&PathBuf> = parts.iter().collect();
    assert_eq!(gate("new", &refs).0, Some(1));
    assert_eq!(gate("error", &refs).0, Some(0));
    // Without --fail-on the report does not gate.
    ocicheck()
        .arg("report")
        .arg(&failing)
        .arg(&erroring)
        .assert()
        .success();
    // Not for validation results; nor an unknown condition.
    ocicheck()
        .args(["report", "--fail-on", "error"])
        .arg(fake("validate.json"))
        .assert()
        .code(2)
        .stderr(contains("error: --fail-on judges run results"));
    ocicheck()
        .args(["report", "--fail-on", "warning"])
        .arg(&clean)
        .assert()
        .code(2);
}
