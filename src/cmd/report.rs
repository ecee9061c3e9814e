use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::ValueEnum;
use ocicheck_catalog::Catalog;
use ocicheck_report::{Input, ReportError, Validation};
use ocicheck_results::exit_codes::OcicheckExitCode;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// Markdown.
    Md,
    /// One self-contained HTML page.
    Html,
    /// JUnit XML, one test suite per runtime.
    Junit,
    /// One run (or merged partitions): the run's JSON; several runtimes: the comparison.
    Json,
}

/// Options of `ocicheck report`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
RESULTS are files written by `ocicheck run --format json` (or `--report DIR`'s results.json). \
Files with a \"partition\" (from `--partition K/N`) are merged into one run per runtime; they must \
come from the same runtime, spec version, suite, case selection and baseline (its digest), and \
every partition must be there. Results of different runtimes are compared: a requirement × \
runtime table with totals and compliance per spec document and level.

Files written by `ocicheck validate --format json` give a per-bundle findings report instead.

Exit status: 0 report written; 2 unreadable, invalid or unmergeable input.")]
pub struct Args {
    /// Output format (default: from the output file's extension, else md).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the report here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Result files (JSON of `ocicheck run` or `ocicheck validate`).
    #[arg(required = true, value_name = "RESULTS.json")]
    results: Vec<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let format = match args.format {
        Some(f) => f,
        None => match args
            .output
            .as_ref()
            .and_then(|p| p.extension())
            .and_then(|e| e.to_str())
        {
            Some("html" | "htm") => Format::Html,
            Some("xml") => Format::Junit,
            Some("json") => Format::Json,
            _ => Format::Md,
        },
    };
    let format = match format {
        Format::Md => ocicheck_report::Format::Markdown,
        Format::Html => ocicheck_report::Format::Html,
        Format::Junit => ocicheck_report::Format::Junit,
        Format::Json => ocicheck_report::Format::Json,
    };
    let mut runs = Vec::new();
    let mut validations = Vec::new();
    for path in &args.results {
        match ocicheck_report::load(path)? {
            Input::Run(r) => runs.push((path.clone(), *r)),
            Input::Validation(v) => validations.push((path.clone(), v)),
        }
    }
    let text = match (runs.first(), validations.first()) {
        (Some((r, _)), Some((v, _))) => {
            return Err(ReportError::Mixed {
                run: r.display().to_string(),
                validation: v.display().to_string(),
            }
            .into())
        }
        (Some(_), None) => {
            let runs = ocicheck_report::combine(runs)?;
            ocicheck_report::render_runs(Catalog::embedded()?, &runs, format)
        }
        (None, _) => {
            Validation::new(validations.into_iter().map(|(_, v)| v).collect()).render(format)
        }
    };
    match &args.output {
        Some(p) => {
            std::fs::write(p, &text).with_context(|| format!("cannot write {}", p.display()))?
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::from(OcicheckExitCode::OK))
}
