//! Compliance reports of ocicheck.
//!
//! Reads the JSON of `ocicheck run --format json` (and of `ocicheck validate --format json`),
//! merges the shards of a `--partition` run back into one result, and renders one run or a
//! comparison of several runtimes as Markdown, a self-contained HTML page, JUnit XML or JSON.
//!
//! Every requirement named by a case becomes a row; its outcome on a runtime is the worst
//! outcome of the cases that test it (see [`model::worst`]).

mod html;
mod input;
pub mod interrupted;
mod markdown;
mod merge;
pub mod model;
mod run_formats;
mod validation;

use std::path::{Path, PathBuf};

use ocicheck_catalog::Catalog;
use ocicheck_results::RunResults;

pub use input::{load, parse, Input};
pub use merge::combine;
pub use model::Comparison;
pub use run_formats::{junit, tap};
pub use validation::Validation;

/// Everything that can go wrong while reading, merging or writing reports.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    #[error("cannot merge partitions: {0}")]
    Merge(String),
    #[error("cannot report run results ({run}) and validation results ({validation}) together")]
    Mixed { run: String, validation: String },
    #[error("no results to report")]
    Empty,
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The output formats of `ocicheck report`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
    Junit,
    Json,
}

/// Renders run results: one run (or merged partitions) or a comparison of several runtimes.
///
/// JSON of a single run is the run's own JSON (so merged partitions read like one run); JSON of
/// several is the comparison document.
pub fn render_runs(catalog: &Catalog, runs: &[RunResults], format: Format) -> String {
    match format {
        Format::Json if runs.len() == 1 => runs[0].to_json(),
        Format::Junit => junit_runs(runs),
        _ => {
            let comparison = Comparison::build(catalog, runs);
            match format {
                Format::Markdown => interrupted::markdown(markdown::render(&comparison), runs),
                Format::Html => interrupted::html(html::render(&comparison), runs),
                _ => comparison.to_json(),
            }
        }
    }
}

/// JUnit XML: one test suite per run, each as one run's JUnit has it.
fn junit_runs(runs: &[RunResults]) -> String {
    let mut report = quick_junit::Report::new("ocicheck");
    for (run, label) in runs.iter().zip(model::labels(runs)) {
        report.add_test_suite(run_formats::junit_suite(
            format!("ocicheck run {label}"),
            &interrupted::junit_cases(run),
        ));
    }
    report.to_string().unwrap_or_default()
}

/// The files `ocicheck run --report DIR` writes, and what renders each.
pub const RUN_DIR_FILES: [&str; 5] = [
    "results.json",
    "report.md",
    "report.html",
    "junit.xml",
    "results.tap",
];

/// Writes the report files of one run into `dir` (created if needed).
pub fn write_run_dir(dir: &Path, catalog: &Catalog, run: &RunResults) -> Result<(), ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let runs = std::slice::from_ref(run);
    let files = [
        ("results.json", run.to_json()),
        ("report.md", render_runs(catalog, runs, Format::Markdown)),
        ("report.html", render_runs(catalog, runs, Format::Html)),
        ("junit.xml", interrupted::junit(run)),
        ("results.tap", interrupted::tap(run)),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|source| ReportError::Write { path, source })?;
    }
    Ok(())
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Makes text safe for one Markdown table cell: one line, no pipes, no raw HTML.
pub(crate) fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\r', '\n'], " ")
}

/// A percentage with one decimal, or `—` when nothing was counted.
pub(crate) fn percent(p: Option<f64>) -> String {
    match p {
        Some(p) => format!("{p:.1}%"),
        None => "—".to_string(),
    }
}
