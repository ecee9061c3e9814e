//! Running a suite: the dispatcher schedules cases on worker threads ([`run_suite`]); each case
//! gets its own bundle, state root, container id, cgroup and deadline ([`case_run`]), is judged
//! as it goes ([`judge`]), and everything it made is removed afterwards, also when the runtime
//! hangs or the case panics ([`cleanup`]).

pub mod bundle;
pub mod case_run;
pub mod cleanup;
pub mod guard;
pub mod hooks;
pub mod interrupt;
pub mod judge;
pub mod progress;
pub mod remains;
pub mod verdict;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ocicheck_catalog::SpecVersion;

use crate::case::Case;
use crate::host::Host;
use crate::lifecycle::Lifecycle;
use bundle::Layout;
use case_run::{CaseRun, Judged};
use cleanup::Teardown;
use guard::HostGuard;
use interrupt::Interrupt;
use judge::Failure;

pub use bundle::base_config;
pub use progress::Progress;

pub use ocicheck_results::{CaseResult, Outcome};

/// Settings of a run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// The static binary copied into each rootfs as /probe and used as the hook program.
    pub probe: PathBuf,
    pub spec_version: SpecVersion,
    pub jobs: usize,
    /// Directory under which the run's temp dir is made.
    pub tmp_root: PathBuf,
    /// Time limit of each runtime operation (and of each wait).
    pub timeout: Duration,
    /// Where the host's cgroup hierarchies are mounted.
    pub cgroup_root: PathBuf,
    /// The host features cases may need.
    pub host: Host,
    /// A short directory in which each case gets a directory for its sockets (a socket's
    /// path must fit in sockaddr_un, whatever `tmp_root` is).
    pub socket_root: PathBuf,
    /// Guard the host: become the child subreaper of the runtimes, attribute the processes
    /// they leave to cases, and compare the host's hostname, domainname and sysctls after each
    /// case. Off for in-process fakes (their tests share the process with others).
    pub guard_host: bool,
    /// Stops the run early (SIGINT, SIGTERM): no case starts after it is raised, and the cases
    /// under way stop and are torn down; their results are left out.
    pub interrupt: Interrupt,
}

impl RunConfig {
    /// Settings for this machine: its cgroups at /sys/fs/cgroup, its features probed.
    pub fn for_host(probe: PathBuf, spec_version: SpecVersion, jobs: usize) -> RunConfig {
        let cgroup_root = PathBuf::from("/sys/fs/cgroup");
        RunConfig {
            probe,
            spec_version,
            jobs,
            tmp_root: std::env::temp_dir(),
            timeout: Duration::from_secs(10),
            host: Host::probe(&cgroup_root),
            cgroup_root,
            socket_root: PathBuf::from(SOCKET_ROOT),
            guard_host: true,
            interrupt: Interrupt::new(),
        }
    }
}

/// Where case socket directories go by default: short, and on every Linux host.
const SOCKET_ROOT: &str = "/tmp";
/// How often orphans reparented to the harness are reaped while a suite runs.
const REAP_INTERVAL: Duration = Duration::from_millis(20);
/// How long the end of a run waits for the last orphans to exit, to reap them.
const FINAL_REAP: Duration = Duration::from_millis(500);

/// What every case of a run shares, plus the case's own container id and cgroup.
pub struct CaseCtx<'a> {
    pub cfg: &'a RunConfig,
    pub runtime: &'a dyn Lifecycle,
    /// The probe, copied once into the run's directory.
    pub probe: &'a Path,
    pub container_id: String,
    pub cgroups_path: String,
}

/// Runs `cases` against `runtime`; results come back in case order. `progress` is called
/// after each case. When `cfg.interrupt` is raised, the cases that did not finish (never
/// started, or stopped under way) are left out.
pub fn run_suite(
    runtime: &dyn Lifecycle,
    cfg: &RunConfig,
    cases: &[Case],
    progress: &(dyn Fn(&CaseResult) + Sync),
) -> std::io::Result<Vec<CaseResult>> {
    run_suite_with(runtime, cfg, cases, &progress)
}

/// [`run_suite`], telling `progress` when each case starts too.
pub fn run_suite_with(
    runtime: &dyn Lifecycle,
    cfg: &RunConfig,
    cases: &[Case],
    progress: &dyn Progress,
) -> std::io::Result<Vec<CaseResult>> {
    let run_dir = tempfile::Builder::new()
        .prefix("ocicheck-run-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .tempdir_in(&cfg.tmp_root)?;
    let probe = run_dir.path().join("probe");
    std::fs::copy(&cfg.probe, &probe)?;
    let queue = Mutex::new(cases.iter().enumerate().collect::<VecDeque<_>>());
    let results: Mutex<Vec<Option<CaseResult>>> = Mutex::new(vec![None; cases.len()]);
    let run_tag = run_tag(run_dir.path());
    cfg.interrupt.run_started(
        run_dir.path(),
        &format!("ocicheck-{run_tag}-"),
        &cfg.cgroup_root,
    );
    let guard = cfg.guard_host.then(|| HostGuard::snapshot(cases));
    if cfg.guard_host {
        crate::reaper::become_subreaper()?;
    }
    let workers_done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        if cfg.guard_host {
            // Orphans are reaped as they exit, as the host's init would.
            s.spawn(|| {
                while !workers_done.load(std::sync::atomic::Ordering::SeqCst) {
                    crate::reaper::reap_orphans();
                    std::thread::sleep(REAP_INTERVAL);
                }
            });
        }
        let mut workers = Vec::new();
        for _ in 0..cfg.jobs.max(1) {
            workers.push(s.spawn(|| loop {
                if cfg.interrupt.stopping() {
                    break;
                }
                let next = queue.lock().map(|mut q| q.pop_front()).unwrap_or(None);
                let Some((idx, case)) = next else { break };
                let container_id = format!("ocicheck-{run_tag}-{idx}");
                let ctx = CaseCtx {
                    cfg,
                    runtime,
                    probe: &probe,
                    cgroups_path: format!("/{container_id}"),
                    container_id,
                };
                progress.started(case);
                if let Some(g) = &guard {
                    g.enter(idx);
                }
                let (mut result, cut_short) = attempt(&ctx, run_dir.path(), case);
                if let Some(g) = &guard {
                    fail_for(&mut result, g.leave(idx));
                }
                if cut_short {
                    // Stopped by the interrupt: not a verdict on the runtime.
                    continue;
                }
                progress.finished(&result);
                if let Ok(mut r) = results.lock() {
                    r[idx] = Some(result);
                }
            }));
        }
        for w in workers {
            let _ = w.join();
        }
        workers_done.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    let results = results
        .into_inner()
        .map_err(|_| std::io::Error::other("a worker thread panicked"))?;
    if cfg.guard_host {
        // The containers killed by the last teardowns, reparented to the harness and still
        // exiting (an interrupted run ends right after them).
        let until = Instant::now() + FINAL_REAP;
        while !crate::reaper::children().is_empty() && Instant::now() < until {
            crate::reaper::reap_orphans();
            std::thread::sleep(REAP_INTERVAL / 4);
        }
    }
    cfg.interrupt.run_ended();
    // Each case removed its own directory; what is left (reported by the case) goes now.
    let _ = run_dir.close();
    Ok(results.into_iter().flatten().collect())
}

/// A short tag that makes this run's container ids unique: the random part of its directory.
fn run_tag(run_dir: &Path) -> String {
    let name = run_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tag: String = name
        .trim_start_matches("ocicheck-run-")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!("{}{tag}", std::process::id())
}

/// Runs one case; whatever happens inside (including a panic), cleans up and returns a result.
pub fn run_case(ctx: &CaseCtx, run_dir: &Path, case: &Case) -> CaseResult {
    attempt(ctx, run_dir, case).0
}

/// As [`run_case`], and whether the run's interrupt stopped the case before it ended (its
/// result then judges nothing).
fn attempt(ctx: &CaseCtx, run_dir: &Path, case: &Case) -> (CaseResult, bool) {
    let start = Instant::now();
    let version = ctx.cfg.spec_version;
    let result = |outcome, reason: String, judged: &Judged| CaseResult {
        id: case.id.clone(),
        requirements: case.requirements.clone(),
        outcome,
        verdicts: verdict::verdicts(case, outcome, judged, version),
        reason,
        duration_ms: start.elapsed().as_millis() as u64,
        baseline: None,
        xpass: false,
    };
    if let Some(why) = skip_reason(ctx.cfg, case) {
        return (result(Outcome::Skip, why, &Judged::default()), false);
    }
    let dir = tempfile::Builder::new()
        .prefix(&format!("ocicheck-{}-", sanitize(&case.id)))
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .tempdir_in(run_dir)
        // Cleanup removes it, after unmounting what the runtime left below it.
        .map(tempfile::TempDir::keep);
    let dir = match dir {
        Ok(d) => d,
        Err(e) => {
            let why = format!("cannot create the case directory: {e}");
            return (result(Outcome::Error, why, &Judged::default()), false);
        }
    };
    let sockets = tempfile::Builder::new()
        .prefix("oc-")
        .tempdir_in(&ctx.cfg.socket_root)
        .map(tempfile::TempDir::keep);
    let sockets = match sockets {
        Ok(d) => d,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            let why = format!(
                "cannot create a socket directory in {}: {e}",
                ctx.cfg.socket_root.display()
            );
            return (result(Outcome::Error, why, &Judged::default()), false);
        }
    };
    ctx.cfg.interrupt.sockets(&sockets, false);
    let mut run = CaseRun::new(ctx, case, Layout::new(dir, sockets));
    let body = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run.execute()));
    let cut_short = ctx.cfg.interrupt.stopping();
    let cleanup = Teardown {
        runtime: ctx.runtime,
        layout: &run.layout,
        container_id: &ctx.container_id,
        cgroups_path: &ctx.cgroups_path,
        cgroup_root: &ctx.cfg.cgroup_root,
        timeout: ctx.cfg.timeout,
        hunt_processes: ctx.cfg.guard_host,
        hide: &case.hide,
        abort: Some(ctx.cfg.interrupt.abort_flag()),
    }
    .run(&run.made);
    ctx.cfg.interrupt.sockets(&run.layout.sockets, true);
    let mut judged = std::mem::take(&mut run.judged);
    let mut r = match body {
        Ok(Ok(())) if cleanup.problems.is_empty() => result(Outcome::Pass, String::new(), &judged),
        Ok(Ok(())) => result(
            Outcome::Error,
            format!("cleanup failed: {}", cleanup.problems.join("; ")),
            &judged,
        ),
        Ok(Err(Failure::Fail(why))) => result(Outcome::Fail, why, &judged),
        Ok(Err(Failure::Error(why))) => result(Outcome::Error, why, &judged),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            // The step under way when it panicked could not be judged.
            if let Some(i) = judged.current {
                judged.failed.push(crate::case::Assertion::Step(i));
            }
            result(Outcome::Error, format!("the case panicked: {msg}"), &judged)
        }
    };
    let left = cleanup.left.iter().map(|l| format!("the runtime left {l}"));
    fail_for(&mut r, left.collect());
    (r, cut_short)
}

/// A case that otherwise passed fails for `reasons`; a failing one says them too (a skipped
/// one ran nothing to blame).
fn fail_for(r: &mut CaseResult, reasons: Vec<String>) {
    if reasons.is_empty() || r.outcome == Outcome::Skip {
        return;
    }
    let reasons = reasons.join("; ");
    match r.outcome {
        Outcome::Pass => {
            r.outcome = Outcome::Fail;
            r.reason = reasons;
        }
        _ => r.reason = format!("{}; {reasons}", r.reason),
    }
}

/// Why a case is not run: its requirements do not apply to the release, or the host lacks a
/// feature it needs.
pub(crate) fn skip_reason(cfg: &RunConfig, case: &Case) -> Option<String> {
    if !case.applies_to(cfg.spec_version) {
        return Some(format!(
            "its requirements do not apply to runtime-spec {}",
            cfg.spec_version
        ));
    }
    cfg.host.missing(&case.needs).map(str::to_string)
}

/// A case id as a file name part.
fn sanitize(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
