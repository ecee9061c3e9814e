//! Stopping a run early (SIGINT, SIGTERM): a run-wide token the dispatcher, the cases and the
//! runtime invocations look at. The first request stops the run: no case starts, the cases
//! under way stop at their next look (a wait, a step, a runtime invocation, which is killed),
//! and each is torn down as usual, the runtime's `delete --force` included. A second request
//! aborts: teardown no longer waits for the runtime and kills by pid and cgroup at once.
//!
//! The token is shared by clones; signal handling is the binary's (it calls [`Interrupt::raise`]).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

use super::cleanup;

/// A run's cancellation token. `Default` is a token nobody has raised.
#[derive(Clone, Debug, Default)]
pub struct Interrupt {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The first request's signal number (0: none yet, or raised without a signal).
    signal: AtomicI32,
    /// Set by the first request: stop starting cases, stop the cases under way.
    stop: AtomicBool,
    /// Set by the second: tear down without waiting for the runtime.
    abort: AtomicBool,
    /// What the run has on the host, for [`Interrupt::kill_everything`].
    run: Mutex<Option<RunArea>>,
}

/// Where a run's containers can be found by a last-resort kill.
#[derive(Clone, Debug)]
struct RunArea {
    /// The run's temp dir: containers have their root below it.
    dir: PathBuf,
    /// The prefix of the run's container ids (`ocicheck-<tag>-`): runtime invocations carry
    /// it as their case marker, and the cases' cgroups are named after the ids.
    id_prefix: String,
    cgroup_root: PathBuf,
    /// The cases' socket directories made so far.
    sockets: BTreeSet<PathBuf>,
}

impl Interrupt {
    pub fn new() -> Interrupt {
        Interrupt::default()
    }

    /// A request to stop, because of `signal` (its number; 0 for none): the first stops the
    /// run, any later one aborts it. Returns how many requests there have been.
    pub fn raise(&self, signal: i32) -> usize {
        if self.inner.stop.swap(true, Ordering::SeqCst) {
            self.inner.abort.store(true, Ordering::SeqCst);
            return 2;
        }
        self.inner.signal.store(signal, Ordering::SeqCst);
        1
    }

    /// The run was asked to stop: start nothing more, end what runs.
    pub fn stopping(&self) -> bool {
        self.inner.stop.load(Ordering::SeqCst)
    }

    /// The run was asked twice: do not wait for the runtime.
    pub fn aborting(&self) -> bool {
        self.inner.abort.load(Ordering::SeqCst)
    }

    /// The signal of the first request, if it named one.
    pub fn signal(&self) -> Option<i32> {
        Some(self.inner.signal.load(Ordering::SeqCst)).filter(|s| *s != 0)
    }

    /// The flag a case's own runtime invocations are cancelled by (the first request).
    pub fn stop_flag(&self) -> &AtomicBool {
        &self.inner.stop
    }

    /// The flag teardown's runtime invocations are cancelled by (the second request).
    pub fn abort_flag(&self) -> &AtomicBool {
        &self.inner.abort
    }

    /// The run made its temp dir `dir`; its container ids start with `id_prefix`.
    pub(super) fn run_started(&self, dir: &Path, id_prefix: &str, cgroup_root: &Path) {
        if let Ok(mut r) = self.inner.run.lock() {
            *r = Some(RunArea {
                dir: dir.to_path_buf(),
                id_prefix: id_prefix.to_string(),
                cgroup_root: cgroup_root.to_path_buf(),
                sockets: BTreeSet::new(),
            });
        }
    }

    /// A case made a socket directory (`done`: and removed it again).
    pub(super) fn sockets(&self, dir: &Path, done: bool) {
        if let Ok(mut r) = self.inner.run.lock() {
            if let Some(area) = r.as_mut() {
                if done {
                    area.sockets.remove(dir);
                } else {
                    area.sockets.insert(dir.to_path_buf());
                }
            }
        }
    }

    /// The run is over: nothing of it is left for [`Interrupt::kill_everything`].
    pub(super) fn run_ended(&self) {
        if let Ok(mut r) = self.inner.run.lock() {
            *r = None;
        }
    }

    /// The last resort, when the run does not end in time after a second request: kills every
    /// process of the run's containers (rooted in its temp dir, carrying its case marker, or in
    /// its cgroups), then removes its mounts, cgroups, socket directories and temp dir, as far
    /// as it can. Safe to call from any thread while the run goes on. Returns false (doing
    /// nothing) when no run is under way: it ended, and its own teardown removed everything.
    pub fn kill_everything(&self) -> bool {
        let Some(area) = self.inner.run.lock().ok().and_then(|r| r.clone()) else {
            return false;
        };
        for pid in procs(|pid| {
            rooted_below(pid, &area.dir)
                || crate::reaper::carries_marker_prefix(pid, &area.id_prefix)
        }) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let cgroups = cleanup::cgroups_named(&area.cgroup_root, &area.id_prefix);
        for dir in &cgroups {
            cleanup::kill_cgroup(dir);
        }
        let mut mounts = cleanup::mounts_below(&area.dir);
        mounts.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
        for p in &mounts {
            let _ = nix::mount::umount2(p, nix::mount::MntFlags::MNT_DETACH);
        }
        for dir in &cgroups {
            cleanup::remove_cgroup(dir);
        }
        for dir in area.sockets.iter().chain(std::iter::once(&area.dir)) {
            let _ = std::fs::remove_dir_all(dir);
        }
        true
    }
}

/// The pids of the live processes `keep` picks.
fn procs(keep: impl Fn(i32) -> bool) -> Vec<i32> {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| keep(*pid))
        .collect()
}

/// Whether a process's root directory is below `dir` (a container of the run).
fn rooted_below(pid: i32, dir: &Path) -> bool {
    std::fs::read_link(format!("/proc/{pid}/root")).is_ok_and(|r| r.starts_with(dir))
}
