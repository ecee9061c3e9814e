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
    /// Measure the reference runtime instead: `run` of busybox `true` (create, start, wait,
    /// delete), side by side with crun and runc, the runtimes taking turns run by run.
    #[arg(long)]
    runtimes: bool,
    /// (internal) Measure on the host's layout (`host`) or inside a new mount namespace with a
    /// plain cgroup2 on /sys/fs/cgroup (`cgroup2`). crun 1.8 refuses hybrid hosts, so all
    /// three runtimes are compared there.
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

/// The container every runtime runs: busybox `true` (a static busybox from the host), with the
/// reference runtime's default config at ociVersion 1.0.2, which crun 1.8 still accepts (it
/// refuses 1.2 and later).
fn busybox_bundle(dir: &Path) -> Result<PathBuf> {
    let busybox = super::which("busybox").context(
        "bench --runtimes runs busybox `true` and needs a static busybox on PATH \
         (Debian: apt-get install busybox-static)",
    )?;
    let bundle = dir.join("bundle");
    let bin = bundle.join("rootfs/bin");
    std::fs::create_dir_all(&bin).with_context(|| format!("cannot create {}", bin.display()))?;
    if std::fs::hard_link(&busybox, bin.join("busybox")).is_err() {
        std::fs::copy(&busybox, bin.join("busybox"))
            .with_context(|| format!("cannot copy {}", busybox.display()))?;
    }
    std::os::unix::fs::symlink("busybox", bin.join("true"))
        .context("cannot link /bin/true to busybox")?;
    let mut config = ocicheck_runtime::info::default_config(false);
    config["ociVersion"] = "1.0.2".into();
    config["process"]["terminal"] = false.into();
    config["process"]["args"] = serde_json::json!(["/bin/true"]);
    // No device rules: crun 1.8 raises RLIMIT_MEMLOCK to load its cgroup2 device program, which
    // fails without CAP_SYS_RESOURCE. The same config for every runtime.
    if let Some(linux) = config["linux"].as_object_mut() {
        linux.remove("resources");
    }
    std::fs::write(
        bundle.join("config.json"),
        serde_json::to_string_pretty(&config).unwrap_or_default(),
    )
    .context("cannot write config.json")?;
    Ok(bundle)
}

/// Wall time of one `RUNTIME [leading] --root R run --bundle B ID`, a new id each run.
fn time_runtime_once(
    program: &Path,
    leading: &[&str],
    bundle: &Path,
    root: &Path,
    counter: &mut usize,
) -> Result<Duration> {
    *counter += 1;
    let id = format!("ocicheck-bench-{}-{counter}", std::process::id());
    let mut c = Command::new(program);
    c.args(leading)
        .arg("--root")
        .arg(root)
        .arg("run")
        .arg("--bundle")
        .arg(bundle)
        .arg(&id)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let start = Instant::now();
    let status = c.status().context("cannot start benchmark process")?;
    let took = start.elapsed();
    if !status.success() {
        // What a failed run left (a container, its cgroup) goes before the error is reported.
        let _ = Command::new(program)
            .args(leading)
            .arg("--root")
            .arg(root)
            .args(["delete", "--force", &id])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        bail!("{c:?} failed: {status}");
    }
    Ok(took)
}

/// Uncounted runs of each runtime before measuring (page cache, lazy kernel set-up).
const WARM_UP: usize = 3;

fn bench_runtimes(args: &Args, tmp: &Path) -> Result<ExitCode> {
    let exe = std::env::current_exe().context("cannot find the ocicheck executable")?;
    let cgroup2_host = Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
    let layout = match args.layout.as_deref() {
        Some(l) => l,
        // Where the host is not cgroup2-only, the comparison runs in a private mount namespace
        // with a plain cgroup2 on /sys/fs/cgroup (crun 1.8 refuses hybrid hosts), in a child
        // process so that this one's mounts stay put; then once more on the host's layout
        // without crun.
        None if !cgroup2_host => {
            for layout in ["cgroup2", "host"] {
                let status = Command::new(&exe)
                    .args(["bench", "--runtimes", "--layout", layout, "--runs"])
                    .arg(args.runs.to_string())
                    .status()
                    .with_context(|| format!("cannot run the {layout} pass"))?;
                if !status.success() {
                    bail!("the {layout} pass failed: {status}");
                }
            }
            return Ok(ExitCode::from(OcicheckExitCode::OK));
        }
        None => "host",
    };
    match layout {
        "host" => {}
        "cgroup2" => enter_cgroup_namespace(layout)?,
        other => bail!("unknown layout {other:?} (host, cgroup2)"),
    }
    let bundle = busybox_bundle(tmp)?;
    let root = tmp.join("state");
    let mut peers: Vec<(&str, PathBuf, Vec<&str>)> =
        vec![("ocicheck runtime", exe.clone(), vec!["runtime"])];
    let crun_runs = layout == "cgroup2" || cgroup2_host;
    for name in ["crun", "runc"] {
        if name == "crun" && !crun_runs {
            continue;
        }
        if let Some(p) = super::which(name) {
            // Every runtime manages the container's cgroup itself (crun's cgroupfs manager).
            let leading = if name == "crun" {
                vec!["--cgroup-manager=cgroupfs"]
            } else {
                Vec::new()
            };
            peers.push((name, p, leading));
        }
    }
    let what = if layout == "cgroup2" || cgroup2_host {
        "cgroup2 only (a private mount namespace with a plain cgroup2 on /sys/fs/cgroup, unless \
         the host is cgroup2-only)"
    } else {
        "the host's cgroup layout (crun 1.8 refuses it)"
    };
    println!(
        "runtime `run` of busybox `true` (create, start, wait, delete), {} runs each, the \
         runtimes taking turns run by run (order reversed every other turn, after {WARM_UP} \
         uncounted runs each), {what}:",
        args.runs
    );
    let mut samples: Vec<Result<Vec<Duration>>> = peers.iter().map(|_| Ok(Vec::new())).collect();
    let mut counter = 0;
    for turn in 0..WARM_UP + args.runs {
        let mut order: Vec<usize> = (0..peers.len()).collect();
        if turn % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let (name, program, leading) = &peers[i];
            let Ok(so_far) = &mut samples[i] else {
                continue;
            };
            match time_runtime_once(program, leading, &bundle, &root.join(name), &mut counter) {
                Ok(d) if turn >= WARM_UP => so_far.push(d),
                Ok(_) => {}
                Err(e) => samples[i] = Err(e),
            }
        }
    }
    let mut base = None;
    for ((name, _, _), result) in peers.iter().zip(samples) {
        match result {
            Ok(times) => {
                let d = median(times);
                match base {
                    None => {
                        base = Some(d);
                        println!("  {name:<18} median {:>7.2} ms", ms(d));
                    }
                    Some(ours) => println!(
                        "  {name:<18} median {:>7.2} ms   ocicheck runtime / {name} = {:.2}",
                        ms(d),
                        ours.as_secs_f64() / d.as_secs_f64().max(1e-9)
                    ),
                }
            }
            Err(e) => println!("  {name:<18} failed: {e:#}"),
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
    debug_assert_eq!(layout, "cgroup2");
    // The host's hierarchies go (lazily: they stay busy in other namespaces), a plain cgroup2
    // takes their place.
    umount2("/sys/fs/cgroup", MntFlags::MNT_DETACH).context("cannot unmount /sys/fs/cgroup")?;
    mount(
        Some("cgroup2"),
        "/sys/fs/cgroup",
        Some("cgroup2"),
        MsFlags::empty(),
        None::<&str>,
    )
    .context("cannot mount cgroup2 on /sys/fs/cgroup")?;
    Ok(())
}
