//! `ocicheck bench`: the validator's performance figures, measured against peers on the same
//! machine in the same run (process start-up floor, a plain JSON parse by another tool).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use ocicheck_validator::{find_bundles, Options, Validator};

/// Options of `ocicheck bench`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Number of generated bundles for the --recursive throughput figure.
    #[arg(long, default_value_t = 10_000)]
    bundles: usize,
    /// Runs of the single-bundle process measurement (median reported).
    #[arg(long, default_value_t = 50)]
    runs: usize,
}

const SAMPLE: &str = include_str!("../../validator/tests/violations/_base.json");

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn time_process(runs: usize, mut make: impl FnMut() -> Command) -> Result<Duration> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let mut cmd = make();
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        let start = Instant::now();
        let status = cmd.status().context("cannot start benchmark process")?;
        times.push(start.elapsed());
        if !status.success() {
            bail!("benchmark process {cmd:?} failed: {status}");
        }
    }
    Ok(median(times))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub fn run(args: Args) -> Result<ExitCode> {
    let tmp = std::env::temp_dir().join(format!("ocicheck-bench-{}", std::process::id()));
    let result = bench(&args, &tmp);
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

fn bench(args: &Args, tmp: &Path) -> Result<ExitCode> {
    let tree = tmp.join("tree");
    for i in 0..args.bundles {
        let b = tree.join(format!("{:03}", i / 100)).join(format!("b{i}"));
        std::fs::create_dir_all(b.join("rootfs"))
            .with_context(|| format!("cannot create {}", b.display()))?;
        std::fs::write(b.join("config.json"), SAMPLE)
            .with_context(|| format!("cannot write {}", b.display()))?;
    }
    let one: PathBuf = tree.join("000").join("b0");
    let exe = std::env::current_exe().context("cannot find the ocicheck executable")?;
    println!(
        "ocicheck bench: validator, {} bundles, {} runs",
        args.bundles, args.runs
    );

    // 1. One bundle, end to end, as a process.
    let ours = time_process(args.runs, || {
        let mut c = Command::new(&exe);
        c.arg("validate").arg(&one);
        c
    })?;
    let floor = time_process(args.runs, || Command::new("true"))?;
    let config = one.join("config.json");
    let python = time_process(args.runs.min(20), || {
        let mut c = Command::new("python3");
        c.args(["-c", "import json,sys; json.load(open(sys.argv[1]))"])
            .arg(&config);
        c
    })
    .ok();
    println!(
        "single bundle, process wall (median): {:.2} ms  [target <= 5 ms]",
        ms(ours)
    );
    println!(
        "  peer `true` (process start floor): {:.2} ms  -> ocicheck = {:.1}x the floor",
        ms(floor),
        ours.as_secs_f64() / floor.as_secs_f64().max(1e-9)
    );
    if let Some(py) = python {
        println!(
            "  peer `python3 json.load` (parse only, no checks): {:.2} ms  -> ocicheck = {:.2}x",
            ms(py),
            ours.as_secs_f64() / py.as_secs_f64().max(1e-9)
        );
    }

    // 2. --recursive throughput, in process, one core.
    let validator = Validator::new(Options::default());
    // Warm the schema cache as the CLI does on its first bundle.
    let (first, _) = find_bundles(&one);
    for t in &first {
        let _ = validator.validate(t);
    }
    let start = Instant::now();
    let (targets, errors) = find_bundles(&tree);
    let mut invalid = 0;
    for t in &targets {
        let report = validator.validate(t)?;
        if !report.valid {
            invalid += 1;
        }
    }
    let elapsed = start.elapsed();
    if !errors.is_empty() || invalid > 0 || targets.len() != args.bundles {
        bail!(
            "benchmark tree misbehaved: {} found, {} invalid, {} errors",
            targets.len(),
            invalid,
            errors.len()
        );
    }
    let rate = targets.len() as f64 / elapsed.as_secs_f64();
    println!(
        "--recursive over {} bundles, one core: {:.0} ms, {:.0} bundles/s  [target >= 5000/s]",
        targets.len(),
        ms(elapsed),
        rate
    );
    Ok(ExitCode::SUCCESS)
}
