use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use ocicheck_catalog::SpecVersion;
use ocicheck_results::exit_codes::OcicheckExitCode;
use ocicheck_results::{Partition, RunResults, RuntimeInfo};
use ocicheck_runtimetest::lifecycle::{CliRuntime, Lifecycle};
use ocicheck_runtimetest::preflight::{self, PreflightError};
use ocicheck_runtimetest::report;
use ocicheck_runtimetest::selection::Selection;
use ocicheck_runtimetest::{run_suite_with, RunConfig, Suite};

mod console;

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

A baseline (--baseline FILE) lists known failures, `<case-id> <reason>` per line: they become \
xfail. An entry for a case the suite does not have is a warning naming the file and line; a \
listed case that passes is reported as xpass in every format. --strict-baseline makes either \
fail the run. The results record the baseline's path and digest.

Before the first case (after --list, which needs no privilege), a preflight checks that ocicheck \
runs as root with /proc mounted; that the temp dir (TMPDIR) is writable and not noexec and the \
probe readable; that a cgroup filesystem is mounted read-write at /sys/fs/cgroup and the \
namespaces the selected cases' containers ask for can be made; and that the runtime answers \
like an OCI runtime: `RUNTIME [--runtime-arg]... [--root DIR] --version` exits 0 and prints \
text, and `state` of an id no container has exits non-zero (or prints a JSON object, for the \
case errors.unknown-id to judge), each within --timeout. If one \
does not hold, it prints one `error: preflight: ...` line saying how to fix it and runs no \
case. A host feature a case names in `needs` is not checked: that case is skipped.

While it runs, standard error shows on a terminal a status line (elapsed time, the running \
cases) with each failure printed once above it; otherwise a line per finished case with its \
outcome and duration, and a SLOW line for a case running longer than --slow. When the report goes \
elsewhere (--format json|tap|junit, or --output), the summary is printed on standard error too.

SIGINT or SIGTERM stops the run: no case starts, the containers of the cases under way are \
killed and deleted, everything the run made is removed, and the cases that finished are \
reported, marked as interrupted (\"interrupted\" in the JSON) with how many did not run. A second \
signal stops at once, still killing the run's containers.

Exit status: 0 when no case failed or errored (after the baseline); 1 otherwise, or with \
--strict-baseline a stale baseline; 2 usage error; 3 a preflight check failed (no case ran); \
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
    /// Leave out the cases whose id matches this glob, after --case (repeatable).
    #[arg(long = "skip", value_name = "GLOB")]
    skips: Vec<String>,
    /// Also run the case files (*.toml) of this directory, checked like the embedded suite
    /// (repeatable).
    #[arg(long = "cases", value_name = "DIR")]
    case_dirs: Vec<PathBuf>,
    /// List the cases and their requirement ids, run nothing (with --format json: a JSON
    /// document).
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
    /// Fail the run (exit 1) when the baseline lists a case the suite does not have, or a case
    /// that passed.
    #[arg(long, requires = "baseline")]
    strict_baseline: bool,
    /// Also write results.json, report.md, report.html, junit.xml and results.tap into DIR.
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// Flag a case still running after this many seconds as SLOW.
    #[arg(long, value_name = "SECS", default_value_t = console::DEFAULT_SLOW.as_secs_f64())]
    slow: f64,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let suite = Suite::with_dirs(&args.case_dirs)?;
    let suite_info = suite.info();
    let baseline = super::baseline::load(args.baseline.as_deref(), &suite)?;
    let mut cases = Selection::new(&args.cases)?
        .skipping(&args.skips)?
        .select(suite.cases)?;
    let selected_cases = cases.len();
    if let Some(p) = args.partition {
        cases = p.select(cases);
    }
    if args.list {
        print!(
            "{}",
            match args.format {
                Format::Human => super::run_list::human(&cases),
                Format::Json => super::run_list::json(&cases)?,
                Format::Tap | Format::Junit => bail!("--list prints --format human or json"),
            }
        );
        return Ok(ExitCode::from(OcicheckExitCode::OK));
    }
    // Usage errors first: a preflight failure must not hide them.
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        bail!("--timeout must be a positive number of seconds");
    }
    if !(args.slow >= 0.0 && args.slow.is_finite()) {
        bail!("--slow must be a number of seconds");
    }
    if let Err(e) = preflight::check_caller() {
        return Ok(preflight_failed(&e));
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
    if let Err(e) = preflight::check_run(&runtime, &cfg, &cases) {
        return Ok(preflight_failed(&e));
    }
    super::signals::forward_to(cfg.interrupt.clone())?;
    let started = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let mode = if std::io::stderr().is_terminal() {
        console::Mode::Live
    } else {
        console::Mode::Lines
    };
    let console = console::Console::start(
        mode,
        console::Paint {
            on: super::color::stderr(),
        },
        Duration::from_secs_f64(args.slow),
        cases.len(),
        baseline.baseline.clone(),
    );
    let results = run_suite_with(&runtime, &cfg, &cases, &console);
    let failures_shown = console.showed_failures();
    console.finish();
    let mut results = results.context("cannot run the suite")?;
    baseline.baseline.apply(&mut results);
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
    run.started = Some(started);
    // Unknown when the kernel will not say: reports then name no host (JUnit: `localhost`).
    run.hostname = nix::unistd::gethostname()
        .ok()
        .map(|h| h.to_string_lossy().into_owned());
    run.baseline = baseline.info.clone();
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
    let human_out = matches!(args.format, Format::Human) && args.output.is_none();
    // The summary, on standard output when it is the report, else on standard error so that a
    // log shows the outcome; failures already shown on this terminal are not repeated.
    let summary = |colour: bool, terminal: bool| {
        let paint = console::Paint { on: colour };
        report::human_with(&results, !(failures_shown && terminal), &|o, t| {
            paint.outcome(o, t)
        })
    };
    let text = match args.format {
        Format::Human => {
            summary(
                super::color::stdout() && human_out,
                human_out && std::io::stdout().is_terminal(),
            ) + &note.as_ref().map(|n| format!("{n}\n")).unwrap_or_default()
        }
        Format::Tap => ocicheck_report::interrupted::tap(&run),
        Format::Json => run.to_json(),
        Format::Junit => ocicheck_report::junit(&run),
    };
    match &args.output {
        Some(p) => {
            std::fs::write(p, &text).with_context(|| format!("cannot write {}", p.display()))?
        }
        None => print!("{text}"),
    }
    if !human_out {
        eprint!("{}", summary(super::color::stderr(), true));
    }
    if let Some(signal) = interrupted {
        return Ok(ExitCode::from(OcicheckExitCode::interrupted(signal)));
    }
    let stale = args.strict_baseline && super::baseline::strict_failed(&baseline, &results);
    Ok(ExitCode::from(if run.summary.failed() > 0 || stale {
        OcicheckExitCode::RUN_FAILED
    } else {
        OcicheckExitCode::OK
    }))
}

/// Says which precondition does not hold (no case has run), for the exit status
/// [`OcicheckExitCode::PREFLIGHT_FAILED`].
fn preflight_failed(e: &PreflightError) -> ExitCode {
    eprintln!("error: preflight: {e}");
    ExitCode::from(OcicheckExitCode::PREFLIGHT_FAILED)
}
