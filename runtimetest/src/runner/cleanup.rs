//! Removing everything one case made, whatever state it ended in: the container (through the
//! runtime, then by force), its processes, cgroups and mounts, and the case's directory.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use super::bundle::Layout;
use crate::lifecycle::{Lifecycle, Scope};

/// How long to wait for a killed cgroup's processes to exit before giving up on it.
const CGROUP_RETRIES: u32 = 100;
const CGROUP_RETRY_INTERVAL: Duration = Duration::from_millis(10);

/// Whether the case's container may exist, as far as the case has seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Presence {
    /// Never created, or deleted by a delete that succeeded.
    #[default]
    Absent,
    /// A create ran but did not succeed (it failed, crashed or timed out): it may have left
    /// a container behind.
    Maybe,
    /// A create succeeded and no delete of it has since.
    Present,
}

/// What a case has asked the runtime to make and not yet seen removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Made {
    pub container: Presence,
}

impl Made {
    /// A create of the case's container ended so.
    pub fn created(&mut self, success: bool) {
        self.container = match (success, self.container) {
            (true, _) => Presence::Present,
            (false, Presence::Present) => Presence::Present,
            (false, _) => Presence::Maybe,
        };
    }

    /// A delete of the case's container succeeded.
    pub fn deleted(&mut self) {
        self.container = Presence::Absent;
    }
}

/// Everything cleanup needs to know about one case.
pub struct Teardown<'a> {
    pub runtime: &'a dyn Lifecycle,
    pub layout: &'a Layout,
    pub container_id: &'a str,
    /// The config's `cgroupsPath`.
    pub cgroups_path: &'a str,
    /// Where the host's cgroup hierarchies are mounted (`/sys/fs/cgroup`).
    pub cgroup_root: &'a Path,
    pub timeout: Duration,
}

impl Teardown<'_> {
    /// Removes everything the case made. Problems are collected, not fatal to the run.
    pub fn run(&self, made: &Made) -> Result<(), String> {
        let mut problems = Vec::new();
        let pid = std::fs::read_to_string(&self.layout.pid_file)
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok());
        // 1. Ask the runtime.
        if made.container != Presence::Absent {
            let scope = Scope {
                state_root: &self.layout.state_root,
                work_dir: &self.layout.dir,
            };
            let _ = self.runtime.delete(
                &scope,
                Some(self.container_id),
                true,
                Instant::now() + self.timeout,
            );
        }
        // 2. Kill what is left of the container by pid, and anything still in its cgroup.
        if let Some(pid) = pid {
            if Path::new(&format!("/proc/{pid}")).exists()
                && is_ours(pid, self.container_id, &self.layout.bundle)
            {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
        }
        let cgroups = cgroup_dirs(self.cgroup_root, self.cgroups_path);
        for dir in &cgroups {
            kill_cgroup(dir);
        }
        // 3. Unmount anything below the case directory, deepest first.
        if let Err(e) = unmount_below(&self.layout.dir) {
            problems.push(e);
        }
        // 4. Remove the cgroups (retrying while the killed processes exit).
        for dir in &cgroups {
            if !remove_cgroup(dir) {
                problems.push(format!("cannot remove cgroup {}", dir.display()));
            }
        }
        // 5. Remove the directory.
        if let Err(e) = std::fs::remove_dir_all(&self.layout.dir) {
            if self.layout.dir.exists() {
                problems.push(format!("cannot remove {}: {e}", self.layout.dir.display()));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}

/// A pid belongs to this case when its root is inside the case's bundle (containers) or its
/// command line names the container id (runtime helpers).
fn is_ours(pid: i32, id: &str, bundle: &Path) -> bool {
    let root_in_bundle = std::fs::read_link(format!("/proc/{pid}/root"))
        .map(|r| r.starts_with(bundle))
        .unwrap_or(false);
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    root_in_bundle || String::from_utf8_lossy(&cmdline).contains(id)
}

/// Every directory the cgroupsPath may have made: in each v1 hierarchy and in the v2 tree.
pub fn cgroup_dirs(root: &Path, cgroups_path: &str) -> Vec<PathBuf> {
    let rel = cgroups_path.trim_start_matches('/');
    let mut out = Vec::new();
    if rel.is_empty() {
        return out;
    }
    if let Ok(rd) = std::fs::read_dir(root) {
        for e in rd.flatten() {
            let p = e.path().join(rel);
            if p.exists() {
                out.push(p);
            }
        }
    }
    let v2 = root.join(rel);
    if v2.exists() && !out.contains(&v2) {
        out.push(v2);
    }
    out
}

/// SIGKILLs every process a cgroup directory lists.
fn kill_cgroup(dir: &Path) {
    for f in ["cgroup.procs", "tasks"] {
        if let Ok(text) = std::fs::read_to_string(dir.join(f)) {
            for pid in text.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
        }
    }
}

/// Removes a cgroup directory, killing its processes again while they exit.
fn remove_cgroup(dir: &Path) -> bool {
    for _ in 0..CGROUP_RETRIES {
        if !dir.exists() || std::fs::remove_dir(dir).is_ok() {
            return true;
        }
        kill_cgroup(dir);
        std::thread::sleep(CGROUP_RETRY_INTERVAL);
    }
    false
}

/// Mount points at or below `dir`, from this process's mountinfo.
pub fn mounts_below(dir: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    crate::procfs::parse_mountinfo(&text)
        .into_iter()
        .map(|m| PathBuf::from(m.mount_point))
        .filter(|p| p.starts_with(dir))
        .collect()
}

fn unmount_below(dir: &Path) -> Result<(), String> {
    let mut points = mounts_below(dir);
    points.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    for p in &points {
        let _ = nix::mount::umount2(p, nix::mount::MntFlags::MNT_DETACH);
    }
    let left = mounts_below(dir);
    if left.is_empty() {
        Ok(())
    } else {
        Err(format!("mounts left below {}: {left:?}", dir.display()))
    }
}
