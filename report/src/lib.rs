//! Compliance reports of ocicheck.
//!
//! Reads the JSON of `ocicheck run --format json` (and of `ocicheck validate --format json`),
//! merges the shards of a `--partition` run back into one result, and renders one run or a
//! comparison of several runtimes as Markdown, a self-contained HTML page, JUnit XML or JSON
//! (one run also as TAP), and says whether results meet a `--fail-on` condition ([`FailOn`]).
//!
//! Every requirement named by a case becomes a row; its outcome on a runtime is the worst
//! outcome of the cases that test it (see [`model::worst`]).

mod gate;
mod html;
mod input;
pub mod interrupted;
mod junit;
mod markdown;
mod merge;
pub mod model;
mod run_formats;
mod validation;
mod xpass;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use ocicheck_catalog::Catalog;
use ocicheck_results::RunResults;

pub use gate::{gate, FailOn};
pub use input::{load, parse, Input};
pub use junit::{case_group, junit};
pub use merge::combine;
pub use model::Comparison;
pub use run_formats::tap;
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
    /// The results cannot be written in the format asked for (TAP of several runtimes).
    #[error("{0}")]
    Unwritable(String),
}

/// The output formats of `ocicheck report`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
    Junit,
    Json,
    /// TAP version 13: one run (or merged partitions) only.
    Tap,
}

/// Renders run results: one run (or merged partitions) or a comparison of several runtimes.
///
/// JSON of a single run is the run's own JSON (so merged partitions read like one run); JSON of
/// several is the comparison document. TAP of a single run is the TAP `ocicheck run` writes;
/// TAP of several is refused ([`ReportError::Unwritable`]): one stream has one plan, and its
/// test numbers and names would mix runtimes.
pub fn render_runs(
    catalog: &Catalog,
    runs: &[RunResults],
    format: Format,
) -> Result<String, ReportError> {
    Ok(match (format, runs) {
        (Format::Json, [run]) => run.to_json(),
        (Format::Tap, [run]) => interrupted::tap(run),
        (Format::Tap, _) => {
            return Err(ReportError::Unwritable(format!(
                "TAP holds the results of one run, and these are {} runs: report each on its own \
                 (the partitions of one run merge into one), or compare them with --format md, \
                 html, junit or json",
                runs.len()
            )))
        }
        (Format::Junit, _) => junit::junit_runs(runs),
        (Format::Markdown, _) => {
            interrupted::markdown(markdown::render(&Comparison::build(catalog, runs)), runs)
        }
        (Format::Html, _) => {
            interrupted::html(html::render(&Comparison::build(catalog, runs)), runs)
        }
        (Format::Json, _) => Comparison::build(catalog, runs).to_json(),
    })
}

/// Reads a run's `started`: RFC 3339 in UTC (`2026-12-01T09:30:00Z`, fractions allowed).
pub(crate) fn start_time(started: &str) -> Result<SystemTime, String> {
    humantime::parse_rfc3339(started).map_err(|e| {
        format!("{started:?} is not an RFC 3339 time in UTC like 2026-12-01T09:30:00Z ({e})")
    })
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
        ("report.md", render_runs(catalog, runs, Format::Markdown)?),
        ("report.html", render_runs(catalog, runs, Format::Html)?),
        ("junit.xml", junit(run)),
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
