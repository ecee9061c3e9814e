//! `ocicheck bench`: the validator's performance figures, measured against peers on the same
//! machine in the same run (process start-up floor, a plain JSON parse by another tool).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use ocicheck_results::exit_codes::OcicheckExitCode;
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
    /// Measure the reference runtime instead: `run` of the probe container
    /// (create, exit, delete), side by side with runc and crun.
    #[arg(long)]
    runtimes: bool,
    /// (internal) Measure inside a new mount namespace with another cgroup layout: `v1` (the
    /// host's cgroup2 mount removed) or `cgroup2` (a plain cgroup2 on /sys/fs/cgroup). crun 1.8
    /// refuses hybrid hosts, so all three runtimes are compared there.
    #[arg(long, hide = true, value_name = "LAYOUT")]
    layout: Option<String>,
}

const SAMPLE: &str = include_str!("../../validator/tests/violations/_base.json");

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn time_process(runs: usize, make: impl FnMut() -> Command) -> Result<Duration> {
    time_each(runs, make).map(median)
}

/// Wall time of each of `runs` processes.
fn time_each(runs: usize, mut make: impl FnMut() -> Command) -> Result<Vec<Duration>> {
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
    Ok(times)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub fn run(args: Args) -> Result<ExitCode> {
    let tmp = tempfile::Builder::new()
        .prefix("ocicheck-bench-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .tempdir()
        .context("cannot create a temporary directory")?;
    let result = if args.runtimes {
        bench_runtimes(&args, tmp.path())
    } else {
        bench(&args, tmp.path())
    };
    let closed = tmp.close();
    let code = result?;
    closed.context("cannot remove the benchmark's temporary directory")?;
    Ok(code)
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

    // 3. Human output of a config with many findings: its cost must grow linearly.
    bench_rendering()?;
    Ok(ExitCode::from(OcicheckExitCode::OK))
}

/// Finding counts of the rendering figure: the ratio of their times is ~10 when rendering is
/// linear, ~100 when quadratic.
const RENDER_FINDINGS: [usize; 2] = [10_000, 100_000];

/// Times `ocicheck validate`'s human output (rendering only, in process) for generated configs
/// with [`RENDER_FINDINGS`] findings (relative `linux.maskedPaths` entries), pretty-printed and
/// minified (one line), beside the validation itself.
fn bench_rendering() -> Result<()> {
    let base: serde_json::Value =
        serde_json::from_str(SAMPLE).context("the sample config is not JSON")?;
    let validator = Validator::new(Options::default());
    for minified in [false, true] {
        let mut times = Vec::new();
        for n in RENDER_FINDINGS {
            let mut config = base.clone();
            config["linux"]["maskedPaths"] = (0..n).map(|i| format!("rel{i}")).collect();
            let text = if minified {
                serde_json::to_string(&config)
            } else {
                serde_json::to_string_pretty(&config)
            }
            .context("cannot serialise the generated config")?;
            let bytes = text.len();
            let start = Instant::now();
            let report = validator.validate_bytes(
                &ocicheck_validator::Target::Stdin,
                ocicheck_validator::input::ConfigBytes::Read(text.into_bytes()),
            );
            let validated = start.elapsed();
            if report.diagnostics.len() != n {
                bail!(
                    "generated config has {} findings, not {n}",
                    report.diagnostics.len()
                );
            }
            let run = ocicheck_validator::output::Run {
                bundles: vec![report],
                unreadable: Vec::new(),
            };
            let start = Instant::now();
            let out = ocicheck_validator::output::human(&run, false, false);
            let rendered = start.elapsed();
            println!(
                "human output, {n} findings, {} config of {} KiB: render {:.0} ms ({} KiB of \
                 text), validate {:.0} ms",
                if minified { "one-line" } else { "pretty" },
                bytes / 1024,
                ms(rendered),
                out.len() / 1024,
                ms(validated)
            );
            times.push(rendered);
        }
        if let [small, large] = times[..] {
            println!(
                "  render time {}k/{}k findings = {:.1}  [linear: ~{}]",
                RENDER_FINDINGS[1] / 1000,
                RENDER_FINDINGS[0] / 1000,
                large.as_secs_f64() / small.as_secs_f64().max(1e-9),
                RENDER_FINDINGS[1] / RENDER_FINDINGS[0]
            );
        }
    }
    Ok(())
}

/// The probe container every runtime runs: the probe reports and exits. ociVersion 1.0.2,
/// which crun 1.8 still accepts (it refuses 1.2 and later).
fn probe_bundle(dir: &Path, exe: &Path) -> Result<PathBuf> {
    let bundle = dir.join("bundle");
    let rootfs = bundle.join("rootfs");
    std::fs::create_dir_all(&rootfs)
        .with_context(|| format!("cannot create {}", rootfs.display()))?;
    if std::fs::hard_link(exe, rootfs.join("probe")).is_err() {
        std::fs::copy(exe, rootfs.join("probe")).context("cannot place the probe")?;
    }
    let mut config = ocicheck_runtime::info::default_config(false);
    config["ociVersion"] = "1.0.2".into();
    config["process"]["terminal"] = false.into();
    // No device rules: on cgroup2 they are an eBPF program, which crun cannot load here
    // (raising RLIMIT_MEMLOCK needs CAP_SYS_RESOURCE). The same config for every runtime.
    if let Some(linux) = config["linux"].as_object_mut() {
        linux.remove("resources");
    }
    config["process"]["args"] = serde_json::json!(["/probe", "observe", "{\"then\":\"exit\"}"]);
    std::fs::write(
        bundle.join("config.json"),
        serde_json::to_string_pretty(&config).unwrap_or_default(),
    )
    .context("cannot write config.json")?;
    Ok(bundle)
}

/// Wall time of each of `runs` runs of `RUNTIME --root R run --bundle B ID`, a new id each run.
fn time_runtime(
    runs: usize,
    program: &Path,
    leading: &[&str],
    bundle: &Path,
    root: &Path,
    counter: &mut usize,
) -> Result<Vec<Duration>> {
    time_each(runs, || {
        *counter += 1;
        let mut c = Command::new(program);
        c.args(leading)
            .arg("--root")
            .arg(root)
            .arg("run")
            .arg("--bundle")
            .arg(bundle)
            .arg(format!("ocicheck-bench-{}-{counter}", std::process::id()));
        c
    })
}

/// Runs per runtime in one block of a round.
const BLOCK: usize = 10;
/// Runs before each block that are not counted: they absorb the page cache and the previous
/// runtime's asynchronous teardown (network namespaces, cgroups), which the kernel finishes
/// after that runtime has exited.
const WARM_UP: usize = 2;

fn bench_runtimes(args: &Args, tmp: &Path) -> Result<ExitCode> {
    let exe = std::env::current_exe().context("cannot find the ocicheck executable")?;
    let layout = args.layout.as_deref().unwrap_or("host");
    match layout {
        "host" => {}
        "v1" | "cgroup2" => enter_cgroup_namespace(layout)?,
        other => bail!("unknown layout {other:?}"),
    }
    let bundle = probe_bundle(tmp, &exe)?;
    let root = tmp.join("state");
    let mut peers: Vec<(&str, PathBuf, Vec<&str>)> =
        vec![("ocicheck runtime", exe.clone(), vec!["runtime"])];
    for name in ["runc", "crun"] {
        // crun 1.8 refuses hybrid cgroup hosts.
        if name == "crun" && layout == "host" {
            continue;
        }
        if let Some(p) = super::which(name) {
            peers.push((name, p, Vec::new()));
        }
    }
    let what = match layout {
        "host" => "host cgroup layout",
        "v1" => "cgroup v1 only (mount namespace without the host's cgroup2 mount)",
        _ => "cgroup2 only (mount namespace with a plain cgroup2 on /sys/fs/cgroup)",
    };
    println!(
        "runtime `run` of the probe container (create, exit, delete), {} runs each in \
         alternating blocks of {BLOCK} (after {WARM_UP} uncounted), {what}:",
        args.runs
    );
    // Rounds of one block per runtime, the order reversed every other round, so that drift of
    // the machine's speed during the run weighs on every runtime alike.
    let mut samples: Vec<Result<Vec<Duration>>> = peers.iter().map(|_| Ok(Vec::new())).collect();
    let mut counter = 0;
    for round in 0..args.runs.div_ceil(BLOCK) {
        let n = BLOCK.min(args.runs - round * BLOCK);
        let mut order: Vec<usize> = (0..peers.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let (name, program, leading) = &peers[i];
            let Ok(so_far) = &mut samples[i] else {
                continue;
            };
            let root = root.join(name);
            let block = time_runtime(WARM_UP, program, leading, &bundle, &root, &mut counter)
                .and_then(|_| time_runtime(n, program, leading, &bundle, &root, &mut counter));
            match block {
                Ok(times) => so_far.extend(times),
                Err(e) => samples[i] = Err(e),
            }
        }
    }
    let mut base = None;
    for ((name, _, _), result) in peers.iter().zip(samples) {
        match result {
            Ok(times) => {
                let d = median(times);
                let ours = *base.get_or_insert(d);
                println!(
                    "  {name:<18} median {:>7.2} ms   ocicheck runtime / {name} = {:.2}",
                    ms(d),
                    ours.as_secs_f64() / d.as_secs_f64().max(1e-9)
                );
            }
            Err(e) => println!("  {name:<18} failed: {e:#}"),
        }
    }
    if layout == "host" && std::path::Path::new("/sys/fs/cgroup/unified").exists() {
        // The same again where crun can run, in children so this process's mounts stay put.
        for other in ["v1", "cgroup2"] {
            let status = Command::new(&exe)
                .args(["bench", "--runtimes", "--layout", other, "--runs"])
                .arg(args.runs.to_string())
                .status()
                .with_context(|| format!("cannot run the {other} pass"))?;
            if !status.success() {
                bail!("the {other} pass failed: {status}");
            }
        }
    }
    Ok(ExitCode::from(OcicheckExitCode::OK))
}

/// A private mount namespace with another cgroup layout (see `--layout`).
fn enter_cgroup_namespace(layout: &str) -> Result<()> {
    use nix::mount::{mount, umount2, MntFlags, MsFlags};
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS).context("unshare(mount)")?;
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .context("cannot make / private")?;
    if layout == "v1" {
        umount2("/sys/fs/cgroup/unified", MntFlags::MNT_DETACH)
            .context("cannot unmount /sys/fs/cgroup/unified")?;
    } else {
        mount(
            Some("cgroup2"),
            "/sys/fs/cgroup",
            Some("cgroup2"),
            MsFlags::empty(),
            None::<&str>,
        )
        .context("cannot mount cgroup2 on /sys/fs/cgroup")?;
    }
    Ok(())
}
