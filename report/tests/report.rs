//! Reports of fake result files: the comparison of two runtimes in every format, merging of
//! partitions and its refusals, bad input, validation reports.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use std::path::{Path, PathBuf};

use ocicheck_catalog::{ids, Catalog};
use ocicheck_report::{combine, load, parse, render_runs, Format, Input, ReportError, Validation};
use ocicheck_results::{Outcome, Partition, RunResults};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn run(name: &str) -> RunResults {
    match load(&data(name)).expect("loads") {
        Input::Run(r) => *r,
        Input::Validation(_) => panic!("{name} is not a run"),
    }
}

fn catalog() -> &'static Catalog {
    Catalog::embedded().expect("catalog")
}

/// `render_runs`, which writes every format for run results but TAP of several runtimes.
fn render(runs: &[RunResults], format: Format) -> String {
    render_runs(catalog(), runs, format).expect("renders")
}

fn two() -> Vec<RunResults> {
    vec![run("alpha.json"), run("beta.json")]
}

#[test]
fn comparison_markdown() {
    insta::assert_snapshot!(render(&two(), Format::Markdown));
}

#[test]
fn comparison_junit() {
    insta::assert_snapshot!(render(&two(), Format::Junit));
}

#[test]
fn comparison_json() {
    let text = render(&two(), Format::Json);
    let _: serde_json::Value = serde_json::from_str(&text).expect("json");
    insta::assert_snapshot!(text);
}

#[test]
fn comparison_html_is_self_contained() {
    let html = render(&two(), Format::Html);
    assert!(html.starts_with("<!DOCTYPE html>"));
    for needle in [
        "id=\"heatmap\"",
        "id=\"req-runtime.create.apply-config\"",
        "id=\"case-linux.domainname\"",
        "class=\"c fail\"",
        "class=\"c error\"",
        "class=\"c xfail\"",
        "class=\"c skip\"",
        "<svg",
        // The reason on hover, escaped.
        "timed out after 10s | a &lt;pipe&gt; &amp; more",
        "https://github.com/opencontainers/runtime-spec/blob/v1.3.0/runtime.md#create",
    ] {
        assert!(html.contains(needle), "{needle} missing");
    }
    // Nothing is fetched: no script, no external stylesheet, font or image.
    for bad in ["<script", "<link", "@import", "url(", "<img"] {
        assert!(!html.contains(bad), "{bad} in the page");
    }
}

#[test]
fn a_requirement_takes_the_worst_outcome_of_its_cases() {
    use ocicheck_report::model::worst;
    assert_eq!(worst(Outcome::Pass, Outcome::Skip), Outcome::Pass);
    assert_eq!(worst(Outcome::Skip, Outcome::Pass), Outcome::Pass);
    assert_eq!(worst(Outcome::Pass, Outcome::Xfail), Outcome::Xfail);
    assert_eq!(worst(Outcome::Xfail, Outcome::Fail), Outcome::Fail);
    assert_eq!(worst(Outcome::Error, Outcome::Fail), Outcome::Error);
    // runtime.create.apply-config: linux.domainname fails, process.hostname passes.
    let c = ocicheck_report::Comparison::build(catalog(), &two());
    let row = c
        .rows
        .iter()
        .find(|r| r.id == ids::RUNTIME_CREATE_APPLY_CONFIG)
        .expect("row");
    let cell = row.cells[0].as_ref().expect("alpha ran it");
    assert_eq!(cell.outcome, Outcome::Fail);
    assert_eq!(cell.case, "linux.domainname");
    assert_eq!(c.columns[0].requirements.pass, 3);
    assert_eq!(c.mandatory(0).percent(), Some(75.0));
}

/// Splits a run as `--partition K/N` does.
fn partition(full: &RunResults, n: usize) -> Vec<(PathBuf, RunResults)> {
    Partition::all(n)
        .map(|k| {
            let mut p = full.clone();
            p.cases = k.select(full.cases.iter().cloned());
            p.summary = p.cases.iter().map(|c| c.outcome).collect();
            p.partition = Some(k);
            (PathBuf::from(format!("part-{}.json", k.index())), p)
        })
        .collect()
}

/// A run as written in the current format version.
fn current(mut r: RunResults) -> RunResults {
    r.format_version = ocicheck_results::RUN_RESULTS_FORMAT_VERSION;
    r
}

#[test]
fn partitions_merge_into_the_full_run() {
    let full = run("alpha.json");
    let mut parts = partition(&full, 3);
    parts.reverse();
    let merged = combine(parts).expect("merges");
    // A merge is written in the current format, whatever its parts' version.
    assert_eq!(merged, vec![current(full)]);
}

#[test]
fn partitions_of_two_runtimes_merge_separately_and_compare() {
    let mut files = partition(&run("alpha.json"), 2);
    files.extend(partition(&run("beta.json"), 2));
    let merged = combine(files).expect("merges");
    assert_eq!(merged, two().into_iter().map(current).collect::<Vec<_>>());
}

fn merge_error(parts: Vec<(PathBuf, RunResults)>) -> String {
    match combine(parts) {
        Err(e @ ReportError::Merge(_)) => e.to_string(),
        other => panic!("expected a merge error, got {other:?}"),
    }
}

#[test]
fn merging_refuses_what_does_not_belong_together() {
    let full = run("alpha.json");
    // A missing partition.
    let mut parts = partition(&full, 3);
    parts.remove(1);
    let e = merge_error(parts);
    assert!(e.contains("partition 2/3") && e.contains("missing"), "{e}");
    // A partition twice.
    let mut parts = partition(&full, 2);
    parts.push(parts[0].clone());
    let e = merge_error(parts);
    assert!(e.contains("given twice"), "{e}");
    // Different spec versions.
    let mut parts = partition(&full, 2);
    parts[1].1.spec_version = "1.1.0".into();
    let e = merge_error(parts);
    assert!(e.contains("spec versions (1.3.0 and 1.1.0)"), "{e}");
    // Different suites.
    let mut parts = partition(&full, 2);
    if let Some(s) = &mut parts[1].1.suite {
        s.cases_digest = "fnv1a64:ffffffffffffffff".into();
    }
    let e = merge_error(parts);
    assert!(e.contains("different case sets"), "{e}");
    let mut parts = partition(&full, 2);
    if let Some(s) = &mut parts[0].1.suite {
        s.version = "0.0.9".into();
    }
    let e = merge_error(parts);
    assert!(e.contains("ocicheck versions (0.0.9 and 0.1.0)"), "{e}");
    // No suite information.
    let mut parts = partition(&full, 2);
    parts[1].1.suite = None;
    let e = merge_error(parts);
    assert!(e.contains("part-2.json does not say which suite"), "{e}");
    // Different selections.
    let mut parts = partition(&full, 2);
    parts[1].1.selected_cases = Some(52);
    let e = merge_error(parts);
    assert!(e.contains("case selections (4 cases and 52 cases)"), "{e}");
    // Different N.
    let mut parts = partition(&full, 2);
    parts[1].1.partition = "2/3".parse().ok();
    let e = merge_error(parts);
    assert!(e.contains("split different runs"), "{e}");
    // Shards that do not hold what their partition selects (of different selections).
    let mut parts = partition(&full, 2);
    let (a, b) = (parts[0].1.cases.remove(0), parts[1].1.cases.remove(0));
    parts[0].1.cases.insert(0, b);
    parts[1].1.cases.insert(0, a);
    let e = merge_error(parts);
    assert!(
        e.contains("part-1.json does not hold the cases that partition 1/2 selects"),
        "{e}"
    );
    // Different runtimes.
    let mut parts = partition(&full, 2);
    parts[1].1.runtime.path = "/usr/bin/beta".into();
    let e = merge_error(parts);
    assert!(e.contains("different runtimes"), "{e}");
}

#[test]
fn bad_input_names_the_file_and_the_problem() {
    let p = Path::new("results/x.json");
    let e = |bytes: &[u8]| match parse(p, bytes) {
        Err(e) => e.to_string(),
        Ok(i) => panic!("accepted {i:?}"),
    };
    let m = e(b"not json");
    assert!(m.starts_with("results/x.json: not JSON"), "{m}");
    let m = e(b"[1, 2]");
    assert!(m.contains("results/x.json: not an ocicheck result"), "{m}");
    let m = e(b"{\"hello\": 1}");
    assert!(m.contains("\"cases\""), "{m}");
    let m = e(b"{\"cases\": []}");
    assert!(
        m.contains("not a valid `ocicheck run --format json` result") && m.contains("runtime"),
        "{m}"
    );
    let m = e(br#"{"runtime":{"path":"r","version":"v"},"spec_version":"1.3.0","cases":[{"id":"a","requirements":[],"outcome":"meh","reason":"","duration_ms":1}],"summary":{"pass":0,"fail":0,"skip":0,"error":0,"xfail":0}}"#);
    assert!(m.contains("meh"), "{m}");
    let m = e(br#"{"runtime":{"path":"r","version":"v"},"spec_version":"1.3.0","partition":"4/3","cases":[],"summary":{"pass":0,"fail":0,"skip":0,"error":0,"xfail":0}}"#);
    assert!(
        m.contains("not a valid `ocicheck run --format json` result")
            && m.contains("partition \"4/3\": need 1 <= K <= N"),
        "{m}"
    );
    let m = e(b"\xff\xfe");
    assert!(m.contains("not JSON"), "{m}");
    let m = match load(Path::new("/nonexistent/results.json")) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("loaded"),
    };
    assert!(
        m.starts_with("cannot read /nonexistent/results.json"),
        "{m}"
    );
}

/// `format_version`: files without it are version 1; a newer one is refused, naming the file.
#[test]
fn format_versions_old_files_read_newer_ones_are_refused() {
    for name in ["alpha.json", "validate.json"] {
        let text = std::fs::read_to_string(data(name)).expect("fixture");
        assert!(!text.contains("format_version"), "{name} is an old file");
        let mut v: serde_json::Value = serde_json::from_str(&text).expect("json");
        match parse(Path::new(name), text.as_bytes()).expect("an old file reads") {
            Input::Run(r) => assert_eq!(r.format_version, 1),
            Input::Validation(r) => assert_eq!(r.format_version, 1),
        }
        v["format_version"] = 1.into();
        let current = serde_json::to_vec(&v).expect("json");
        assert!(
            parse(Path::new(name), &current).is_ok(),
            "{name} at version 1"
        );
        v["format_version"] = 99.into();
        let newer = serde_json::to_vec(&v).expect("json");
        let m = match parse(Path::new("results/newer.json"), &newer) {
            Err(e) => e.to_string(),
            Ok(i) => panic!("accepted {i:?}"),
        };
        assert!(
            m.starts_with("results/newer.json: ")
                && m.contains("format version 99 is newer than this ocicheck reads (up to"),
            "{m}"
        );
        v["format_version"] = "1".into();
        let bad = serde_json::to_vec(&v).expect("json");
        let m = match parse(Path::new("results/bad.json"), &bad) {
            Err(e) => e.to_string(),
            Ok(i) => panic!("accepted {i:?}"),
        };
        assert!(
            m.contains("\"format_version\" must be a positive integer, not \"1\""),
            "{m}"
        );
    }
}

#[test]
fn validation_report() {
    let text = std::fs::read(data("validate.json")).expect("fixture");
    let Input::Validation(v) = parse(Path::new("validate.json"), &text).expect("parses") else {
        panic!("not a validation");
    };
    let report = Validation::new(vec![v]);
    let render = |format| report.render(format).expect("renders");
    insta::assert_snapshot!("validation_markdown", render(Format::Markdown));
    let junit = render(Format::Junit);
    assert!(
        junit.contains("<failure") && junit.contains(ids::CONFIG_PROCESS_CWD_ABSOLUTE.as_str()),
        "{junit}"
    );
    let html = render(Format::Html);
    assert!(html.contains("id=\"bundles\"") && !html.contains("<script"));
    // TAP is for run results.
    let e = report.render(Format::Tap).expect_err("no TAP of bundles");
    assert!(
        matches!(e, ReportError::Unwritable(_))
            && e.to_string().contains("TAP is written for run results"),
        "{e}"
    );
}

/// A failing assertion paints only the requirements it names: a case whose first assertion
/// held and whose second failed passes the first's requirement and fails the second's, and a
/// requirement it never reached is not judged.
#[test]
fn a_failing_assertion_paints_only_its_own_requirements() {
    use ocicheck_results::Verdict;
    let mut r = run("alpha.json");
    let case = r
        .cases
        .iter_mut()
        .find(|c| c.id == "lifecycle.create-start-kill-delete")
        .expect("case");
    case.outcome = Outcome::Fail;
    case.reason = "step 4 (start): expected success".into();
    case.requirements = vec![
        ids::RUNTIME_CREATE_NEW_CONTAINER.as_str().into(),
        ids::RUNTIME_START_RUN_PROCESS.as_str().into(),
        ids::RUNTIME_DELETE_RESOURCES_REMOVED.as_str().into(),
    ];
    let verdict = |id: ocicheck_catalog::Id, outcome, assertion: &str| Verdict {
        requirement: id.as_str().into(),
        outcome,
        assertion: assertion.into(),
    };
    case.verdicts = vec![
        verdict(
            ids::RUNTIME_CREATE_NEW_CONTAINER,
            Outcome::Pass,
            "step 1 (create)",
        ),
        verdict(
            ids::RUNTIME_START_RUN_PROCESS,
            Outcome::Fail,
            "step 4 (start)",
        ),
        verdict(
            ids::RUNTIME_DELETE_RESOURCES_REMOVED,
            Outcome::Error,
            "step 9 (delete)",
        ),
    ];
    r.summary = r.cases.iter().map(|c| c.outcome).collect();
    let c = ocicheck_report::Comparison::build(catalog(), std::slice::from_ref(&r));
    let cell = |id: ocicheck_catalog::Id| {
        let row = c
            .rows
            .iter()
            .find(|row| row.id == id.as_str())
            .expect("row");
        row.cells[0].clone().expect("cell")
    };
    let created = cell(ids::RUNTIME_CREATE_NEW_CONTAINER);
    assert_eq!(
        (created.outcome, created.assertion.as_str()),
        (Outcome::Pass, "step 1 (create)")
    );
    let started = cell(ids::RUNTIME_START_RUN_PROCESS);
    assert_eq!(
        (started.outcome, started.assertion.as_str()),
        (Outcome::Fail, "step 4 (start)")
    );
    let deleted = cell(ids::RUNTIME_DELETE_RESOURCES_REMOVED);
    assert_eq!(deleted.outcome, Outcome::Error);
    assert!(
        deleted
            .reason
            .starts_with("not judged: the case failed first"),
        "{}",
        deleted.reason
    );
    let md = render(&[r], Format::Markdown);
    assert!(
        md.contains("step 4 (start) decides `runtime.start.run-process`"),
        "{md}"
    );
}

/// TAP holds one run: the run's TAP for one (or merged partitions), a refusal for several.
#[test]
fn tap_of_one_run_is_the_runs_tap_and_of_several_is_refused() {
    let alpha = run("alpha.json");
    assert_eq!(
        render(std::slice::from_ref(&alpha), Format::Tap),
        ocicheck_report::tap(&alpha.cases)
    );
    let e = render_runs(catalog(), &two(), Format::Tap).expect_err("refused");
    assert!(matches!(e, ReportError::Unwritable(_)), "{e:?}");
    assert!(
        e.to_string()
            .starts_with("TAP holds the results of one run, and these are 2 runs"),
        "{e}"
    );
}

/// JUnit's classname is the case's group: its id up to the last dot.
#[test]
fn junit_classname_is_the_case_group() {
    use ocicheck_report::case_group;
    assert_eq!(case_group("linux.resources.memory"), "linux.resources");
    assert_eq!(case_group("process.hostname"), "process");
    assert_eq!(case_group("lifecycle"), "lifecycle");
}

/// A run's start and host: JUnit writes the start in UTC without a zone (as the common JUnit
/// schema demands) and `localhost` for a run that did not record its host.
#[test]
fn junit_suites_carry_the_runs_start_and_host() {
    let mut alpha = run("alpha.json");
    let old = ocicheck_report::junit(&alpha);
    assert!(
        old.contains("hostname=\"localhost\"") && !old.contains("timestamp="),
        "{old}"
    );
    alpha.started = Some("2026-12-01T09:30:00Z".into());
    alpha.hostname = Some("ci-1".into());
    let xml = ocicheck_report::junit(&alpha);
    assert!(
        xml.contains("timestamp=\"2026-12-01T09:30:00\" hostname=\"ci-1\""),
        "{xml}"
    );
    insta::assert_snapshot!(xml);
}

/// Merged partitions start when the earliest started, and list every host that ran one.
#[test]
fn merging_takes_the_earliest_start_and_every_host() {
    let full = run("alpha.json");
    let mut parts = partition(&full, 3);
    let starts = [
        "2026-12-01T09:31:00Z",
        "2026-12-01T09:29:59Z",
        "2026-12-01T10:00:00Z",
    ];
    let hosts = ["ci-2", "ci-1", "ci-2"];
    for ((p, s), h) in parts.iter_mut().zip(starts).zip(hosts) {
        p.1.started = Some(s.into());
        p.1.hostname = Some(h.into());
    }
    let merged = combine(parts.clone()).expect("merges");
    assert_eq!(merged[0].started.as_deref(), Some("2026-12-01T09:29:59Z"));
    assert_eq!(merged[0].hostname.as_deref(), Some("ci-1 ci-2"));
    // One host: that host. A partition without a start (an older ocicheck): the others' earliest.
    for p in &mut parts {
        p.1.hostname = Some("ci-1".into());
    }
    parts[1].1.started = None;
    let merged = combine(parts.clone()).expect("merges");
    assert_eq!(merged[0].started.as_deref(), Some("2026-12-01T09:31:00Z"));
    assert_eq!(merged[0].hostname.as_deref(), Some("ci-1"));
    // A start that is not an RFC 3339 time is refused, naming the file.
    parts[2].1.started = Some("yesterday".into());
    let e = merge_error(parts);
    assert!(
        e.contains("part-3.json") && e.contains("\"yesterday\" is not an RFC 3339 time"),
        "{e}"
    );
}

/// A result file whose start is not an RFC 3339 time is refused when read.
#[test]
fn a_start_that_is_not_a_time_is_refused() {
    let text = std::fs::read_to_string(data("alpha.json")).expect("fixture");
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("json");
    v["started"] = "2026-12-01T09:30:00Z".into();
    let good = serde_json::to_vec(&v).expect("json");
    let Input::Run(r) = parse(Path::new("alpha.json"), &good).expect("reads") else {
        panic!("not a run");
    };
    assert_eq!(r.started.as_deref(), Some("2026-12-01T09:30:00Z"));
    v["started"] = "1 December".into();
    let bad = serde_json::to_vec(&v).expect("json");
    let m = match parse(Path::new("results/x.json"), &bad) {
        Err(e) => e.to_string(),
        Ok(i) => panic!("accepted {i:?}"),
    };
    assert!(
        m.starts_with("results/x.json: ")
            && m.contains("\"started\": \"1 December\" is not an RFC 3339 time"),
        "{m}"
    );
}

/// `--fail-on` conditions: error ⊂ new ⊂ fail.
#[test]
fn gate_conditions() {
    use ocicheck_report::FailOn;
    let mut r = run("alpha.json");
    let met = |r: &RunResults, on: FailOn| on.check(r).is_some();
    // alpha: a fail and an xfail.
    assert!(!met(&r, FailOn::Error) && met(&r, FailOn::New) && met(&r, FailOn::Fail));
    for c in &mut r.cases {
        if c.outcome == Outcome::Fail {
            c.outcome = Outcome::Pass;
        }
    }
    assert!(!met(&r, FailOn::Error) && !met(&r, FailOn::New) && met(&r, FailOn::Fail));
    r.cases[0].outcome = Outcome::Error;
    assert!(met(&r, FailOn::Error) && met(&r, FailOn::New) && met(&r, FailOn::Fail));
    assert_eq!(
        FailOn::Error.check(&r).as_deref(),
        Some("1 case errored (lifecycle.create-start-kill-delete)")
    );
}
