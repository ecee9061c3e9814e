//! Removing everything one case made, whatever state it ended in: the container (through the
//! runtime, then by force), its processes, cgroups and mounts, and the case's directory.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use super::bundle::Layout;
use crate::lifecycle::{Lifecycle, Scope};
use crate::show::Show;

/// How long to wait for a killed cgroup's processes to exit before giving up on it.
const CGROUP_RETRIES: u32 = 100;
const CGROUP_RETRY_INTERVAL: Duration = Duration::from_millis(10);
/// How long processes of the runtime that are still exiting after its delete get before they
/// count as left behind, and how often they are looked at meanwhile.
const LEAK_GRACE: Duration = Duration::from_secs(1);
const LEAK_POLL: Duration = Duration::from_millis(20);

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

/// What a case has asked the runtime to make and not yet seen removed, and what the harness
/// made itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Made {
    pub container: Presence,
    /// Cgroup directories the harness made before create (`make-cgroup`): removed at the end
    /// without blaming the runtime for them.
    pub foreign_cgroups: Vec<PathBuf>,
    /// A host network interface the harness made for the case (`{netdev}`).
    pub net_device: Option<String>,
    /// A cgroup the case made itself (`freeze-cgroup`): removed at cleanup, but not the
    /// runtime's to remove.
    pub own_cgroup: Option<PathBuf>,
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
    /// Look for processes carrying the case's marker (runtime invocations get it as
    /// `OCICHECK_CASE`; see [`crate::reaper`]).
    pub hunt_processes: bool,
    /// Files the runtime must not see (the case's `hide`).
    pub hide: &'a [std::path::PathBuf],
    /// Set when the run is aborted: the runtime's delete is cut short and nothing is waited
    /// for; what is left is killed by pid and cgroup at once.
    pub abort: Option<&'a std::sync::atomic::AtomicBool>,
}

/// How a teardown went.
#[derive(Debug, Default)]
pub struct Cleaned {
    /// What the runtime left after its delete (a failure of the case), each removed: `processes
    /// behind: pid 12 (sleep 1000)`.
    pub left: Vec<String>,
    /// What the harness could not remove (an error of the case).
    pub problems: Vec<String>,
}

impl Teardown<'_> {
    /// Removes everything the case made. Problems are collected, not fatal to the run.
    pub fn run(&self, made: &Made) -> Cleaned {
        let mut out = Cleaned::default();
        let pid = std::fs::read_to_string(&self.layout.pid_file)
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok());
        // 1. Ask the runtime.
        if made.container != Presence::Absent {
            let scope = Scope {
                state_root: &self.layout.state_root,
                work_dir: &self.layout.dir,
                marker: self.container_id,
                hide: self.hide,
                cancel: self.abort,
            };
            let _ = self.runtime.delete(
                &scope,
                Some(self.container_id),
                true,
                Instant::now() + self.timeout,
            );
        }
        // 2. What the runtime left once its delete is done: processes it started, cgroups and
        // mounts of the container. Each is a failure of the case, and removed below.
        if self.hunt_processes {
            out.left.extend(self.leaked_processes());
        }
        let cgroups = cgroup_dirs(self.cgroup_root, self.cgroups_path);
        let blamed: Vec<PathBuf> = cgroups
            .iter()
            .filter(|d| !made.foreign_cgroups.contains(d) && made.own_cgroup.as_ref() != Some(*d))
            .cloned()
            .collect();
        if !blamed.is_empty() {
            out.left.push(format!("cgroups behind: {}", paths(&blamed)));
        }
        let mounts = self.mounts();
        if !mounts.is_empty() {
            out.left.push(format!("mounts behind: {}", paths(&mounts)));
        }
        // 3. Kill what is left of the container by pid, and anything still in its cgroup.
        if let Some(pid) = pid {
            if Path::new(&format!("/proc/{pid}")).exists()
                && is_ours(pid, self.container_id, &self.layout.bundle)
            {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
        }
        for dir in &cgroups {
            kill_cgroup(dir);
        }
        // 4. Unmount the case's mounts, deepest first.
        if let Err(e) = self.unmount() {
            out.problems.push(e);
        }
        // 5. Remove the cgroups (retrying while the killed processes exit).
        for dir in &cgroups {
            if !remove_cgroup(dir) {
                out.problems
                    .push(format!("cannot remove cgroup {}", dir.display()));
            }
        }
        // 6. Remove the host interface made for the case, if it is still on the host (one
        // moved into the container's network namespace vanished with it).
        if let Some(name) = &made.net_device {
            if let Err(e) = crate::netdev::remove(name) {
                out.problems
                    .push(format!("cannot remove the network device {name}: {e}"));
            }
        }
        // 7. Remove the directories.
        for dir in [&self.layout.dir, &self.layout.sockets] {
            if let Err(e) = std::fs::remove_dir_all(dir) {
                if dir.exists() {
                    out.problems
                        .push(format!("cannot remove {}: {e}", dir.display()));
                }
            }
        }
        out
    }

    /// Processes the case's runtime invocations started that still live after the delete
    /// (given a moment to finish exiting), killed and reaped; one description each.
    fn leaked_processes(&self) -> Vec<String> {
        let marker = self.container_id;
        let settle = Instant::now() + LEAK_GRACE;
        let mut alive = crate::reaper::marked(marker);
        while !alive.is_empty() && Instant::now() < settle && !self.aborted() {
            std::thread::sleep(LEAK_POLL);
            crate::reaper::reap_orphans();
            alive = crate::reaper::marked(marker);
        }
        if alive.is_empty() {
            return Vec::new();
        }
        let described: Vec<String> = alive
            .iter()
            .map(|p| format!("pid {p} ({})", crate::reaper::cmdline(*p)))
            .collect();
        let deadline = Instant::now() + self.timeout;
        loop {
            for p in &alive {
                let _ = kill(Pid::from_raw(*p), Signal::SIGKILL);
            }
            crate::reaper::reap_orphans();
            alive = crate::reaper::marked(marker);
            if alive.is_empty() || Instant::now() > deadline {
                break;
            }
            std::thread::sleep(LEAK_POLL);
        }
        // Reaped when they were the harness's (they were reparented to it); others are gone.
        crate::reaper::reap_orphans();
        vec![format!("processes behind: {}", described.join(", "))]
    }

    fn aborted(&self) -> bool {
        self.abort
            .is_some_and(|a| a.load(std::sync::atomic::Ordering::SeqCst))
    }

    /// The case's mounts in the harness's mount table: below its directory, or naming its
    /// container id.
    fn mounts(&self) -> Vec<PathBuf> {
        let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let id = self.container_id;
        text.lines()
            .filter_map(|l| {
                let m = crate::procfs::parse_mountinfo(l).into_iter().next()?;
                let p = PathBuf::from(&m.mount_point);
                (p.starts_with(&self.layout.dir) || l.contains(id)).then_some(p)
            })
            .collect()
    }

    fn unmount(&self) -> Result<(), String> {
        let mut points = self.mounts();
        points.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
        for p in &points {
            let _ = nix::mount::umount2(p, nix::mount::MntFlags::MNT_DETACH);
        }
        let left = self.mounts();
        if left.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "mounts left below {}: {}",
                self.layout.dir.display(),
                left.show()
            ))
        }
    }
}

/// Paths for a message.
fn paths(ps: &[PathBuf]) -> String {
    ps.iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
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

/// The top-level cgroup directories, in every hierarchy below `root`, whose name starts with
/// `prefix` (the cgroups of a run's cases, named after their container ids).
pub(super) fn cgroups_named(root: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let bases = std::iter::once(root.to_path_buf()).chain(
        std::fs::read_dir(root)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path()),
    );
    for base in bases {
        for e in std::fs::read_dir(&base).into_iter().flatten().flatten() {
            let named = e.file_name().to_string_lossy().starts_with(prefix);
            if named && e.file_type().is_ok_and(|t| t.is_dir()) {
                out.push(e.path());
            }
        }
    }
    out
}

/// Makes the cgroup directory `cgroups_path` in every hierarchy below `root` (each v1
/// hierarchy, or the v2 tree), as a cgroup manager would: returns the directories made. A v1
/// cpuset directory gets its parent's cpus and mems, without which no process could join it.
pub fn make_cgroup_dirs(root: &Path, cgroups_path: &str) -> std::io::Result<Vec<PathBuf>> {
    let rel = cgroups_path.trim_start_matches('/');
    if rel.is_empty() || rel.contains("..") {
        return Err(std::io::Error::other(format!(
            "cgroupsPath {cgroups_path:?} names no directory of its own"
        )));
    }
    let mut bases = Vec::new();
    let unified = root.join("cgroup.controllers").exists();
    if unified {
        bases.push(root.to_path_buf());
    } else {
        for e in std::fs::read_dir(root)?.flatten() {
            let p = e.path();
            // A hierarchy (not a symlink to one, which would be made twice).
            let real = e.file_type().is_ok_and(|t| t.is_dir());
            if real && p.join("cgroup.procs").exists() {
                bases.push(p);
            }
        }
    }
    let mut made = Vec::new();
    for base in bases {
        let dir = base.join(rel);
        if let Some(parent) = dir.parent() {
            if parent != base && !parent.exists() {
                return Err(std::io::Error::other(format!(
                    "{} does not exist: make-cgroup makes the leaf only",
                    parent.display()
                )));
            }
        }
        std::fs::create_dir(&dir)?;
        made.push(dir.clone());
        for f in ["cpuset.cpus", "cpuset.mems"] {
            if let Some(parent) = dir.parent().filter(|p| !unified && p.join(f).exists()) {
                std::fs::write(dir.join(f), std::fs::read_to_string(parent.join(f))?)?;
            }
        }
    }
    Ok(made)
}

/// A cgroup directory and every cgroup below it, deepest first (a case may nest its cgroup
/// below its own path, `{cgroups_path}/...`).
fn cgroup_tree(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                out.extend(cgroup_tree(&e.path()));
            }
        }
    }
    out.push(dir.to_path_buf());
    out
}

/// The `freeze-cgroup` step: makes the case's cgroup in the freezer hierarchy (the v1
/// freezer, else the v2 hierarchy: the root of a v2 host, `unified` of a hybrid one) and
/// freezes it. Cleanup thaws it (see [`kill_cgroup`]) and removes it with the case's cgroups.
pub fn freeze_cgroup(
    root: &Path,
    cgroups_path: &str,
    made: impl FnOnce(&Path),
) -> Result<(), String> {
    let rel = cgroups_path.trim_start_matches('/');
    let (dir, file, value) = if root.join("freezer").exists() {
        (root.join("freezer").join(rel), "freezer.state", "FROZEN")
    } else if root.join("cgroup.controllers").exists() {
        (root.join(rel), "cgroup.freeze", "1")
    } else {
        (root.join("unified").join(rel), "cgroup.freeze", "1")
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
    made(&dir);
    let path = dir.join(file);
    std::fs::write(&path, value).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Thaws a frozen cgroup (v1 `freezer.state`, v2 `cgroup.freeze`): a v1 frozen process does
/// not die of SIGKILL before it is thawed.
fn thaw(dir: &Path) {
    let state = dir.join("freezer.state");
    if std::fs::read_to_string(&state).is_ok_and(|s| s.trim() != "THAWED") {
        let _ = std::fs::write(&state, "THAWED");
    }
    let freeze = dir.join("cgroup.freeze");
    if std::fs::read_to_string(&freeze).is_ok_and(|s| s.trim() == "1") {
        let _ = std::fs::write(&freeze, "0");
    }
}

/// SIGKILLs every process a cgroup directory, or a cgroup below it, lists (thawing it first).
pub(super) fn kill_cgroup(dir: &Path) {
    for d in cgroup_tree(dir) {
        thaw(&d);
        for f in ["cgroup.procs", "tasks"] {
            if let Ok(text) = std::fs::read_to_string(d.join(f)) {
                for pid in text.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
                    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
                }
            }
        }
    }
}

/// Removes a cgroup directory and the cgroups below it, killing their processes again while
/// they exit.
pub(super) fn remove_cgroup(dir: &Path) -> bool {
    for _ in 0..CGROUP_RETRIES {
        for d in cgroup_tree(dir) {
            let _ = std::fs::remove_dir(&d);
        }
        if !dir.exists() {
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
