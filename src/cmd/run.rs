use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use ocicheck_catalog::SpecVersion;
use ocicheck_results::exit_codes::OcicheckExitCode;
use ocicheck_results::{CaseResult, Outcome, Partition, RunResults, RuntimeInfo};
use ocicheck_runtimetest::baseline::Baseline;
use ocicheck_runtimetest::lifecycle::{CliRuntime, Lifecycle};
use ocicheck_runtimetest::report;
use ocicheck_runtimetest::selection::Selection;
use ocicheck_runtimetest::{run_suite, RunConfig, Suite};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Human,
    Tap,
    Json,
    Junit,
}

/// Options of `ocicheck run`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
The runtime is driven with the OCI command line of runc, crun and youki: create --bundle B \
--pid-file F ID, start ID, state ID, kill ID SIGNAL, delete [--force] ID. Each run passes its own \
--root DIR unless --no-root-arg.

SIGINT or SIGTERM stops the run: no case starts, the containers of the cases under way are \
killed and deleted, everything the run made is removed, and the cases that finished are \
reported, marked as interrupted (\"interrupted\" in the JSON) with how many did not run. A second \
signal stops at once, still killing the run's containers.

Exit status: 0 when no case failed or errored (after the baseline); 1 otherwise; 2 usage error; \
130 or 143 when interrupted by SIGINT or SIGTERM (128 + the signal).")]
pub struct Args {
    /// The runtime binary to test (default: ocicheck's embedded reference runtime).
    #[arg(long, value_name = "PATH")]
    runtime: Option<PathBuf>,
    /// A global argument for every invocation of the runtime (repeatable).
    #[arg(long = "runtime-arg", value_name = "ARG", allow_hyphen_values = true)]
    runtime_args: Vec<String>,
    /// Do not pass --root DIR to the runtime.
    #[arg(long)]
    no_root_arg: bool,
    /// Only cases whose id matches this glob (repeatable).
    #[arg(long = "case", value_name = "GLOB")]
    cases: Vec<String>,
    /// Also run the case files (*.toml) of this directory, checked like the embedded suite
    /// (repeatable).
    #[arg(long = "cases", value_name = "DIR")]
    case_dirs: Vec<PathBuf>,
    /// List the cases and their requirement ids, run nothing.
    #[arg(long)]
    list: bool,
    /// Judge by this release's rules.
    #[arg(long, value_name = "X.Y.Z", default_value_t = SpecVersion::LATEST)]
    spec_version: SpecVersion,
    /// Cases run in parallel (default: number of CPUs).
    #[arg(long, short)]
    jobs: Option<usize>,
    /// Time limit per runtime invocation, in seconds.
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    timeout: f64,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Write the report here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Run only the K-th of N deterministic shards of the selected cases.
    #[arg(long, value_name = "K/N")]
    partition: Option<Partition>,
    /// Known failures (`<case-id> <reason>` per line): reported as xfail, not failing the run.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Also write results.json, report.md, report.html, junit.xml and results.tap into DIR.
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let suite = Suite::with_dirs(&args.case_dirs)?;
    let suite_info = suite.info();
    let mut cases = Selection::new(&args.cases)?.apply(suite.cases);
    if cases.is_empty() {
        bail!("no case matches {}", args.cases.join(", "));
    }
    let selected_cases = cases.len();
    if let Some(p) = args.partition {
        cases = p.select(cases);
    }
    if args.list {
        for c in &cases {
            println!("{:<40} {}", c.id, c.requirements.join(", "));
        }
        return Ok(ExitCode::from(OcicheckExitCode::OK));
    }
    // Without --runtime: the embedded reference runtime (`ocicheck runtime ...`).
    let (runtime_path, leading_args) = match args.runtime.clone() {
        Some(p) => {
            let p = if p.components().count() == 1 {
                super::which(&p).unwrap_or(p)
            } else {
                p
            };
            if !p.is_file() {
                bail!("runtime {}: no such file", p.display());
            }
            // Absolute, because the runtime is started from each case's directory; links are
            // kept, since a multi-call binary may look at the name it was called by.
            let p = std::path::absolute(&p).with_context(|| format!("runtime {}", p.display()))?;
            (p, Vec::new())
        }
        None => (
            std::env::current_exe().context("cannot find the ocicheck executable")?,
            vec!["runtime".to_string()],
        ),
    };
    let baseline = match &args.baseline {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read baseline {}", p.display()))?;
            Baseline::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
        }
        None => Baseline::default(),
    };
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        bail!("--timeout must be a positive number of seconds");
    }
    let runtime = CliRuntime::new(
        runtime_path.clone(),
        leading_args,
        args.runtime_args.clone(),
        !args.no_root_arg,
    );
    let mut cfg = RunConfig::for_host(
        std::env::current_exe().context("cannot find the ocicheck executable (the probe)")?,
        args.spec_version,
        args.jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
    );
    cfg.timeout = Duration::from_secs_f64(args.timeout);
    super::signals::forward_to(cfg.interrupt.clone())?;
    let tty = std::io::stderr().is_terminal()
        && matches!(args.format, Format::Human)
        && args.output.is_none();
    let bar = tty.then(|| {
        let b = indicatif::ProgressBar::new(cases.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}") {
            b.set_style(style);
        }
        b
    });
    let progress = |r: &CaseResult| {
        if let Some(b) = &bar {
            b.inc(1);
            if matches!(r.outcome, Outcome::Fail | Outcome::Error) {
                b.println(format!(
                    "{} {}: {}",
                    r.outcome.as_str().to_uppercase(),
                    r.id,
                    r.reason
                ));
            }
        }
    };
    let mut results =
        run_suite(&runtime, &cfg, &cases, &progress).context("cannot run the suite")?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    baseline.apply(&mut results);
    let info = RuntimeInfo {
        path: runtime_path.display().to_string(),
        version: runtime.version().unwrap_or_else(|| "unknown".into()),
    };
    let mut run = RunResults::new(
        info.clone(),
        args.spec_version.as_str(),
        Some(suite_info),
        results.clone(),
    );
    run.partition = args.partition;
    run.selected_cases = Some(selected_cases);
    let interrupted = cfg.interrupt.signal();
    if let Some(signal) = interrupted {
        run.interrupted = Some(super::signals::name(signal));
        run.not_run = Some(cases.len().saturating_sub(results.len()));
    }
    let note = ocicheck_report::interrupted::note(&run);
    if let Some(note) = &note {
        eprintln!("ocicheck: {note}");
    }
    if let Some(dir) = &args.report {
        ocicheck_report::write_run_dir(dir, ocicheck_catalog::Catalog::embedded()?, &run)?;
    }
    let text = match args.format {
        Format::Human => {
            report::human(&results) + &note.map(|n| format!("{n}\n")).unwrap_or_default()
        }
        Format::Tap => ocicheck_report::interrupted::tap(&run),
        Format::Json => run.to_json(),
        Format::Junit => ocicheck_report::interrupted::junit(&run),
    };
    match &args.output {
        Some(p) => {
            std::fs::write(p, &text).with_context(|| format!("cannot write {}", p.display()))?
        }
        None => print!("{text}"),
    }
    if let Some(signal) = interrupted {
        return Ok(ExitCode::from(OcicheckExitCode::interrupted(signal)));
    }
    Ok(ExitCode::from(if run.summary.failed() > 0 {
        OcicheckExitCode::RUN_FAILED
    } else {
        OcicheckExitCode::OK
    }))
}
