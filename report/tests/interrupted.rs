//! Results of an interrupted run (`"interrupted": "SIGTERM"`): incomplete, so merging refuses
//! such a partition, and every report format says so and how many cases did not run.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use std::path::{Path, PathBuf};

use ocicheck_catalog::Catalog;
use ocicheck_report::{combine, interrupted, load, render_runs, write_run_dir, Format, Input};
use ocicheck_results::{Partition, RunResults};

fn alpha() -> RunResults {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/alpha.json");
    match load(&path).expect("loads") {
        Input::Run(r) => *r,
        Input::Validation(_) => panic!("not a run"),
    }
}

/// `run` as an interrupted run writes it: its last `not_run` cases missing.
fn interrupt(mut run: RunResults, not_run: usize) -> RunResults {
    let keep = run.cases.len() - not_run;
    run.cases.truncate(keep);
    run.summary = run.cases.iter().map(|c| c.outcome).collect();
    run.interrupted = Some("SIGTERM".into());
    run.not_run = Some(not_run);
    run
}

fn catalog() -> &'static Catalog {
    Catalog::embedded().expect("catalog")
}

#[test]
fn old_results_without_the_field_load_and_the_field_round_trips() {
    assert_eq!(alpha().interrupted, None);
    let run = interrupt(alpha(), 1);
    let json = run.to_json();
    assert!(json.contains("\"interrupted\": \"SIGTERM\""), "{json}");
    assert!(json.contains("\"not_run\": 1"), "{json}");
    assert_eq!(RunResults::from_json(json.as_bytes()).expect("reads"), run);
    assert!(!alpha().to_json().contains("interrupted"));
}

#[test]
fn merging_refuses_an_interrupted_partition() {
    let full = alpha();
    let mut parts: Vec<(PathBuf, RunResults)> = Partition::all(2)
        .map(|k| {
            let mut p = full.clone();
            p.cases = k.select(full.cases.iter().cloned());
            p.summary = p.cases.iter().map(|c| c.outcome).collect();
            p.partition = Some(k);
            (PathBuf::from(format!("part-{}.json", k.index())), p)
        })
        .collect();
    parts[1].1 = interrupt(parts[1].1.clone(), 1);
    let e = combine(parts).expect_err("an interrupted partition is refused");
    assert_eq!(
        e.to_string(),
        "cannot merge partitions: part-2.json is incomplete (interrupted by SIGTERM: 1 case \
         did not run): run that partition again"
    );
}

#[test]
fn every_format_of_an_interrupted_run_says_so() {
    let run = interrupt(alpha(), 2);
    let note = "interrupted by SIGTERM: 2 cases did not run";
    assert_eq!(interrupted::note(&run).as_deref(), Some(note));
    assert_eq!(interrupted::note(&alpha()), None);
    let tap = interrupted::tap(&run);
    assert!(tap.ends_with(&format!("Bail out! {note}\n")), "{tap}");
    let junit = ocicheck_report::junit(&run);
    assert!(
        junit.contains(interrupted::JUNIT_CASE) && junit.contains(note),
        "{junit}"
    );
    let runs = std::slice::from_ref(&run);
    let md = render_runs(catalog(), runs, Format::Markdown).expect("md");
    assert!(
        md.contains("> **Incomplete**: ") && md.contains(note),
        "{md}"
    );
    let html = render_runs(catalog(), runs, Format::Html).expect("html");
    assert!(html.contains("<strong>Incomplete</strong>") && html.contains(note));
    let junit = render_runs(catalog(), runs, Format::Junit).expect("junit");
    assert!(junit.contains(note), "{junit}");
    // `run --report DIR` writes the same.
    let dir = tempfile::tempdir().expect("tmp");
    write_run_dir(dir.path(), catalog(), &run).expect("written");
    for file in [
        "report.md",
        "report.html",
        "junit.xml",
        "results.tap",
        "results.json",
    ] {
        let text = std::fs::read_to_string(dir.path().join(file)).expect("read");
        assert!(
            text.contains(note) || text.contains("\"interrupted\": \"SIGTERM\""),
            "{file}: {text}"
        );
    }
    // A run that was not interrupted has none of it.
    let md = render_runs(catalog(), std::slice::from_ref(&alpha()), Format::Markdown).expect("md");
    assert!(!md.contains("Incomplete"));
}
