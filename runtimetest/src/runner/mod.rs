//! Running a suite: the dispatcher schedules cases on worker threads ([`run_suite`]); each case
//! gets its own bundle, state root, container id, cgroup and deadline ([`case_run`]), is judged
//! as it goes ([`judge`]), and everything it made is removed afterwards, also when the runtime
//! hangs or the case panics ([`cleanup`]).

pub mod bundle;
pub mod case_run;
pub mod cleanup;
pub mod hooks;
pub mod judge;
pub mod remains;
pub mod verdict;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ocicheck_catalog::{Catalog, SpecVersion};

use crate::case::Case;
use crate::host::Host;
use crate::lifecycle::Lifecycle;
use bundle::Layout;
use case_run::{CaseRun, Judged};
use cleanup::Teardown;
use judge::Failure;

pub use bundle::base_config;

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
        }
    }
}

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
/// after each case.
pub fn run_suite(
    runtime: &dyn Lifecycle,
    cfg: &RunConfig,
    cases: &[Case],
    progress: &(dyn Fn(&CaseResult) + Sync),
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
    std::thread::scope(|s| {
        for _ in 0..cfg.jobs.max(1) {
            s.spawn(|| loop {
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
                let result = run_case(&ctx, run_dir.path(), case);
                progress(&result);
                if let Ok(mut r) = results.lock() {
                    r[idx] = Some(result);
                }
            });
        }
    });
    let results = results
        .into_inner()
        .map_err(|_| std::io::Error::other("a worker thread panicked"))?;
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
    };
    if let Some(why) = skip_reason(ctx.cfg, case) {
        return result(Outcome::Skip, why, &Judged::default());
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
            return result(
                Outcome::Error,
                format!("cannot create the case directory: {e}"),
                &Judged::default(),
            )
        }
    };
    let mut run = CaseRun::new(ctx, case, Layout::new(dir));
    let body = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run.execute()));
    let cleanup = Teardown {
        runtime: ctx.runtime,
        layout: &run.layout,
        container_id: &ctx.container_id,
        cgroups_path: &ctx.cgroups_path,
        cgroup_root: &ctx.cfg.cgroup_root,
        timeout: ctx.cfg.timeout,
    }
    .run(&run.made);
    let mut judged = std::mem::take(&mut run.judged);
    match body {
        Ok(Ok(())) => match cleanup {
            Ok(()) => result(Outcome::Pass, String::new(), &judged),
            Err(e) => result(Outcome::Error, format!("cleanup failed: {e}"), &judged),
        },
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
    }
}

/// Why a case is not run: its requirements do not apply to the release, or the host lacks a
/// feature it needs.
fn skip_reason(cfg: &RunConfig, case: &Case) -> Option<String> {
    let catalog = Catalog::embedded().ok();
    let applies = case.requirements.is_empty()
        || case.requirements.iter().any(|id| {
            catalog
                .and_then(|c| c.get(id))
                .is_none_or(|r| r.applies_to(cfg.spec_version))
        });
    if !applies {
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
