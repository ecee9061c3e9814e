use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use ocicheck_catalog::Catalog;
use ocicheck_report::{FailOn, Input, ReportError, Validation};
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
    /// TAP version 13, as `ocicheck run --format tap` writes it: one run (or merged partitions).
    Tap,
}

/// The extensions `-o FILE` may have without `--format`, as the error lists them.
const EXTENSIONS: &str = ".md or .markdown, .html or .htm, .xml or .junit, .json, .tap";

/// The format a file name asks for.
fn format_of(path: &Path) -> Result<Format> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let format = match ext.as_deref() {
        Some("md" | "markdown") => Format::Md,
        Some("html" | "htm") => Format::Html,
        Some("xml" | "junit") => Format::Junit,
        Some("json") => Format::Json,
        Some("tap") => Format::Tap,
        other => {
            let why = match other {
                Some(e) => format!("it writes no .{e} files"),
                None => "the name has no extension".to_string(),
            };
            bail!(
                "cannot tell which format to write to {}: {why}; name it {EXTENSIONS}, or give \
                 --format md|html|junit|json|tap",
                path.display()
            )
        }
    };
    Ok(format)
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Gate {
    /// Some case errored.
    Error,
    /// Some case failed or errored that the baseline does not list (as `ocicheck run` exits 1).
    New,
    /// Some case did not pass or skip, known failures (xfail) included.
    Fail,
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

Format: --format, else the extension of -o FILE: .md/.markdown, .html/.htm, .xml/.junit (JUnit), \
.json, .tap; another extension, or none, is refused (give --format). Without -o: Markdown on \
standard output. TAP is written for one run (or the merged partitions of one); several runtimes \
and validation results are refused. JUnit: one test suite per run, with its start time (UTC) and \
host; a test case per case, its classname the case group (the id up to its last dot).

--fail-on gates CI on the (merged) results, the report being written either way: error — some \
case errored; new — some case failed or errored that the baseline does not list (the rule of \
`ocicheck run`'s exit status; xfail does not count); fail — some case did not pass or skip, \
known failures (xfail) included. With several runtimes it is met when met for any.

Exit status: 0 report written (and --fail-on not met); 1 --fail-on met (the report is written); \
2 unreadable, invalid or unmergeable input, an output name without a known extension, or a format \
the results cannot be written in.")]
pub struct Args {
    /// Output format (default: from the output file's extension, else md on standard output).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the report here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit 1 when the results meet this condition (error ⊂ new ⊂ fail; see below).
    #[arg(long, value_enum, value_name = "WHEN")]
    fail_on: Option<Gate>,
    /// Result files (JSON of `ocicheck run` or `ocicheck validate`).
    #[arg(required = true, value_name = "RESULTS.json")]
    results: Vec<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let format = match (args.format, &args.output) {
        (Some(f), _) => f,
        (None, Some(p)) => format_of(p)?,
        (None, None) => Format::Md,
    };
    let format = match format {
        Format::Md => ocicheck_report::Format::Markdown,
        Format::Html => ocicheck_report::Format::Html,
        Format::Junit => ocicheck_report::Format::Junit,
        Format::Json => ocicheck_report::Format::Json,
        Format::Tap => ocicheck_report::Format::Tap,
    };
    let fail_on = args.fail_on.map(|g| match g {
        Gate::Error => FailOn::Error,
        Gate::New => FailOn::New,
        Gate::Fail => FailOn::Fail,
    });
    let mut runs = Vec::new();
    let mut validations = Vec::new();
    for path in &args.results {
        match ocicheck_report::load(path)? {
            Input::Run(r) => runs.push((path.clone(), *r)),
            Input::Validation(v) => validations.push((path.clone(), v)),
        }
    }
    let (text, gate) = match (runs.first(), validations.first()) {
        (Some((r, _)), Some((v, _))) => {
            return Err(ReportError::Mixed {
                run: r.display().to_string(),
                validation: v.display().to_string(),
            }
            .into())
        }
        (Some(_), None) => {
            let runs = ocicheck_report::combine(runs)?;
            let text = ocicheck_report::render_runs(Catalog::embedded()?, &runs, format)?;
            let gate = fail_on.map(|on| (on, ocicheck_report::gate(on, &runs)));
            (text, gate)
        }
        (None, _) => {
            if fail_on.is_some() {
                bail!(
                    "--fail-on judges run results, and these are validation results (`ocicheck \
                     validate` exits 1 on their findings itself)"
                );
            }
            let v = Validation::new(validations.into_iter().map(|(_, v)| v).collect());
            (v.render(format)?, None)
        }
    };
    match &args.output {
        Some(p) => {
            std::fs::write(p, &text).with_context(|| format!("cannot write {}", p.display()))?
        }
        None => print!("{text}"),
    }
    match gate {
        Some((on, met)) if !met.is_empty() => {
            for m in &met {
                eprintln!("ocicheck report: --fail-on {}: {m}", on.as_str());
            }
            Ok(ExitCode::from(OcicheckExitCode::REPORT_GATE))
        }
        _ => Ok(ExitCode::from(OcicheckExitCode::OK)),
    }
}
