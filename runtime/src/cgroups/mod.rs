//! Control groups for the container (runtime-spec config-linux.md "Control groups").
//!
//! The host's cgroup layout is detected from `/proc/self/mountinfo`, never assumed
//! (`layout.rs`): cgroup v1 hierarchies, a cgroup2 hierarchy, or both (hybrid). A [`Cgroup`]
//! remembers, per hierarchy, the directory the container uses and which directories it
//! created, so [`Cgroup::destroy`] removes exactly those.
//!
//! `linux.resources` is written by one module per controller and cgroup version (`v1/*.rs`,
//! `v2/*.rs`), each given the directory of the controller's hierarchy; the manager here picks
//! that directory (the v1 hierarchy that has the controller, else the v2 hierarchy if it
//! offers it) and refuses what the host lacks (`resources.rs`).
//!
//! Devices (`devices.rs`): one rule list, written to the v1 `devices` controller when a v1
//! hierarchy has it, else compiled into an eBPF program attached to the container's v2
//! directory (`BPF_CGROUP_DEVICE`, `v2/devices.rs`), as runc, crun and youki do. The program
//! goes with the cgroup when [`Cgroup::destroy`] removes it.

mod checks;
mod devices;
mod files;
mod layout;
pub mod ownership;
mod resources;
mod tree;
mod v1;
mod v2;

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use oci_spec::runtime::{LinuxDevice, LinuxResources};
use serde::{Deserialize, Serialize};

pub use layout::{Layout, V1Hierarchy};

use files::{read_controllers, write_file};
use layout::MOUNTINFO;

/// How long `signal_all` waits for a freezer to report the cgroup frozen.
const FREEZE_WAIT: Duration = Duration::from_millis(500);
/// The pause between two looks at the freezer's state.
const FREEZE_POLL: Duration = Duration::from_millis(5);

/// Errors of cgroup handling; each names the file, directory or configuration field involved.
#[derive(Debug, thiserror::Error)]
pub enum CgroupError {
    #[error("reading {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("parsing {path}: {detail}")]
    Parse { path: PathBuf, detail: String },
    #[error("no cgroup filesystem is mounted (according to {MOUNTINFO})")]
    NoCgroupFs,
    #[error("linux.cgroupsPath {path:?}: {reason}")]
    InvalidPath { path: String, reason: String },
    #[error("creating cgroup directory {path}: {source}")]
    Create { path: PathBuf, source: io::Error },
    #[error("{field}: the host has no {controller} cgroup controller (needed to write {file})")]
    MissingController {
        field: String,
        controller: String,
        file: String,
    },
    #[error("{field}: the {controller} cgroup controller has no file {path}")]
    MissingFile {
        field: String,
        controller: String,
        path: PathBuf,
    },
    #[error("{field}: writing {value:?} to {path}: {source}")]
    Write {
        field: String,
        path: PathBuf,
        value: String,
        source: io::Error,
    },
    #[error("{field}: {reason}")]
    InvalidValue { field: String, reason: String },
    #[error("linux.resources.devices: this host cannot enforce device rules on cgroup v2 ({path}): {source}")]
    DeviceProgram {
        path: PathBuf,
        source: v2::bpf::BpfError,
    },
    #[error("cgroup {path} is not fit for the container: {reason}")]
    Unfit { path: PathBuf, reason: String },
    #[error("changing the owner of {path}: {source}")]
    Chown { path: PathBuf, source: nix::Error },
    #[error("removing cgroup directory {path}: {source}")]
    Remove { path: PathBuf, source: io::Error },
    #[error("sending {signal} to pid {pid} of the cgroup: {source}")]
    Signal {
        signal: Signal,
        pid: i32,
        source: nix::Error,
    },
}

/// One hierarchy's directory of the container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HierarchyDir {
    /// v1 controllers in mount-option form; `None` for the cgroup2 hierarchy.
    pub controllers: Option<String>,
    /// Where the hierarchy is mounted.
    pub mountpoint: PathBuf,
    /// The container's cgroup directory in this hierarchy.
    pub path: PathBuf,
    /// Directories create() made, shallowest first (the container's directory is last when it
    /// was created).
    pub created: Vec<PathBuf>,
}

impl HierarchyDir {
    /// Whether this is a v1 hierarchy with `controller` among its controllers.
    fn has_v1_controller(&self, controller: &str) -> bool {
        self.controllers
            .as_deref()
            .is_some_and(|c| c.split(',').any(|x| x == controller))
    }
}

/// The container's cgroup: one directory per hierarchy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cgroup {
    dirs: Vec<HierarchyDir>,
    unified_only: bool,
    /// Controllers available in the v2 hierarchy's root (`cgroup.controllers`).
    v2_controllers: Vec<String>,
}

/// How the cgroup is frozen while it is signalled.
enum Freezer<'a> {
    V1(&'a Path),
    V2(&'a Path),
}

impl Freezer<'_> {
    fn request(&self, on: bool) -> Result<(), CgroupError> {
        match self {
            Freezer::V1(dir) => v1::freezer::request(dir, on),
            Freezer::V2(dir) => v2::freezer::request(dir, on),
        }
    }

    fn settled(&self, on: bool) -> bool {
        match self {
            Freezer::V1(dir) => v1::freezer::settled(dir, on),
            Freezer::V2(dir) => v2::freezer::settled(dir, on),
        }
    }
}

impl Cgroup {
    /// Creates (or joins) the container's cgroup and applies `linux.resources`.
    ///
    /// `cgroups_path` is `linux.cgroupsPath`: absolute paths are taken relative to each
    /// hierarchy's root (`/abc` is `/sys/fs/cgroup/<ctrl>/abc` on v1, `/sys/fs/cgroup/abc` on
    /// v2); relative paths are placed under the calling process's own cgroup of each hierarchy;
    /// `None` means `/ocicheck-runtime-<id>` (flat: no parent shared between containers that
    /// one of them would have to remove). Directories are created in every mounted hierarchy;
    /// the ones that did not exist are recorded so [`Cgroup::destroy`] removes exactly those.
    ///
    /// `extra_devices` are `linux.devices`: the device rules allow mknod of them (the init makes
    /// them inside the cgroup); see `devices.rs`.
    ///
    /// On failure, whatever was created is removed before the error is returned.
    pub fn create(
        cgroups_path: Option<&str>,
        id: &str,
        resources: Option<&LinuxResources>,
        extra_devices: &[LinuxDevice],
    ) -> Result<Cgroup, CgroupError> {
        let layout = Self::host_layout()?;
        let default_path;
        let path = match cgroups_path {
            Some(p) => p,
            None => {
                // config-linux: if cgroupsPath is not specified, the runtime MAY define the
                // default cgroups path.
                default_path = format!("/ocicheck-runtime-{id}");
                &default_path
            }
        };
        let mut rel = layout::validate_cgroups_path(path)?;
        let absolute = path.starts_with('/');
        {
            use crate::mutation::{active, Flaw};
            if absolute && active(Flaw::NestAbsoluteCgroupsPath) {
                rel = Path::new("ocicheck-runtime").join(rel);
            }
            if !absolute && active(Flaw::ScatterRelativeCgroupsPath) {
                rel = Path::new(&format!("ocicheck-runtime-{}", std::process::id())).join(rel);
            }
        }
        let own = if absolute {
            Vec::new()
        } else {
            layout::read_self_cgroup()?
        };

        let v2_controllers = match &layout.v2 {
            Some(mp) => read_controllers(&mp.join("cgroup.controllers"))?,
            None => Vec::new(),
        };
        let mut cgroup = Cgroup {
            dirs: Vec::new(),
            unified_only: layout.unified_only,
            v2_controllers,
        };
        let placements = layout::placements(&layout, &rel, absolute, &own, path)?;
        if let Err(e) = cgroup.create_dirs(placements, &rel) {
            let _ = cgroup.destroy();
            return Err(e);
        }
        let result = cgroup
            .check_fit()
            .and_then(|()| cgroup.prepare_v2(resources))
            .and_then(|()| cgroup.init_cpusets())
            .and_then(|()| match resources {
                Some(r) => cgroup.apply(r, extra_devices),
                // No linux.resources at all: no limit and no device rule to apply (crun does the
                // same), so no device program is loaded either. With linux.resources present,
                // the device rules (by default: deny all but the default devices) always are.
                None => Ok(()),
            });
        match result {
            Ok(()) => Ok(cgroup),
            Err(e) => {
                let _ = cgroup.destroy();
                Err(e)
            }
        }
    }

    /// config-linux cgroup ownership: gives the container's cgroup v2 directory and the
    /// delegated files in it to `uid` (see [`ownership`]; the caller decides whether the
    /// config asks for it with [`ownership::owner`]). Nothing happens without a v2 directory.
    pub fn delegate_to(&self, uid: u32) -> Result<(), CgroupError> {
        let Some(dir) = self.v2_dir() else {
            return Ok(());
        };
        let files = ownership::delegated_files(Path::new(ownership::DELEGATE))?;
        ownership::give(dir, &files, uid)
    }

    /// Whether cgroup v2 is the only hierarchy with controllers (a pure v2 host).
    pub fn unified_only(&self) -> bool {
        self.unified_only
    }

    /// The container's directories, one per hierarchy.
    pub fn dirs(&self) -> &[HierarchyDir] {
        &self.dirs
    }

    /// The directory holding `controller` (a v1 controller name such as `memory`, `cpu`,
    /// `blkio`, or a v2 one such as `io`), if any hierarchy has it.
    pub fn path_for(&self, controller: &str) -> Option<&Path> {
        if let Some(dir) = self.v1_dir(controller) {
            return Some(dir);
        }
        if self.v2_controllers.iter().any(|c| c == controller) {
            return self.v2_dir();
        }
        None
    }

    fn v2_dir(&self) -> Option<&Path> {
        self.dirs
            .iter()
            .find(|d| d.controllers.is_none())
            .map(|d| d.path.as_path())
    }

    /// The v1 hierarchy's directory that has `controller`.
    fn v1_dir(&self, controller: &str) -> Option<&Path> {
        self.dirs
            .iter()
            .find(|d| d.has_v1_controller(controller))
            .map(|d| d.path.as_path())
    }

    /// Puts a process in every hierarchy's directory of the container.
    pub fn add_process(&self, pid: i32) -> Result<(), CgroupError> {
        self.add_process_except(pid, false)
    }

    /// The container's directory in the cgroup2 hierarchy, if it has one (a process can be
    /// born there: `clone3(CLONE_INTO_CGROUP)`).
    pub fn cgroup2_dir(&self) -> Option<&Path> {
        self.v2_dir()
    }

    /// Places `pid` in the container's cgroups, except the cgroup2 one when it was born there.
    pub fn add_process_except(&self, pid: i32, born_in_cgroup2: bool) -> Result<(), CgroupError> {
        for d in &self.dirs {
            if born_in_cgroup2 && d.controllers.is_none() {
                continue;
            }
            // config-linux: the container process is placed in the cgroup at cgroupsPath.
            write_file(
                "cgroup.procs",
                &d.path.join("cgroup.procs"),
                &pid.to_string(),
            )?;
        }
        Ok(())
    }

    /// All pids in the container's cgroup, including nested cgroups below it.
    pub fn pids(&self) -> Result<Vec<i32>, CgroupError> {
        let Some(dir) = self.best_dir() else {
            return Ok(Vec::new());
        };
        let mut pids = BTreeSet::new();
        tree::collect_pids(dir, &mut pids)?;
        Ok(pids.into_iter().collect())
    }

    /// The directory whose membership is most reliable: v2 on a pure v2 host, else the v1
    /// pids or freezer hierarchy, else any v1 hierarchy, else v2.
    fn best_dir(&self) -> Option<&Path> {
        if self.unified_only {
            if let Some(d) = self.v2_dir() {
                return Some(d);
            }
        }
        for want in [v1::pids::CONTROLLER, v1::freezer::CONTROLLER] {
            if let Some(d) = self.v1_dir(want) {
                return Some(d);
            }
        }
        self.dirs
            .iter()
            .find(|d| d.controllers.is_some())
            .or_else(|| self.dirs.first())
            .map(|d| d.path.as_path())
    }

    /// Sends `sig` to every process in the cgroup (`kill --all`, `delete --force`). The cgroup
    /// is frozen first when a freezer is available, so no process can fork past the signal; it
    /// is thawed afterwards.
    pub fn signal_all(&self, sig: Signal) -> Result<(), CgroupError> {
        let frozen = self.freeze(true);
        let result = self.pids().and_then(|pids| {
            for pid in pids {
                match kill(Pid::from_raw(pid), sig) {
                    Ok(()) | Err(nix::errno::Errno::ESRCH) => {}
                    Err(source) => {
                        return Err(CgroupError::Signal {
                            signal: sig,
                            pid,
                            source,
                        })
                    }
                }
            }
            Ok(())
        });
        if frozen {
            self.freeze(false);
        }
        result
    }

    /// The freezer: the v1 freezer hierarchy, else cgroup.freeze on a pure v2 host.
    fn freezer(&self) -> Option<Freezer<'_>> {
        if let Some(dir) = self.v1_dir(v1::freezer::CONTROLLER) {
            return Some(Freezer::V1(dir));
        }
        self.v2_dir().filter(|_| self.unified_only).map(Freezer::V2)
    }

    /// Freezes (or thaws) the cgroup if a freezer exists; returns whether it froze it.
    /// Best effort: a freezer that does not settle in time is thawed again.
    fn freeze(&self, on: bool) -> bool {
        let Some(freezer) = self.freezer() else {
            return false;
        };
        if freezer.request(on).is_err() {
            return false;
        }
        if !on {
            return false;
        }
        let start = Instant::now();
        while start.elapsed() < FREEZE_WAIT {
            if freezer.settled(true) {
                return true;
            }
            thread::sleep(FREEZE_POLL);
        }
        // Did not settle: thaw so no process stays frozen, and signal without freezing.
        let _ = freezer.request(false);
        false
    }

    /// Removes exactly the directories create() made, deepest first. Nested cgroups that the
    /// container made below its own directory are removed too. `rmdir` is retried on EBUSY for
    /// about a second while processes exit; a directory that is already gone is fine, and an
    /// intermediate directory that other cgroups still use is left in place.
    pub fn destroy(&self) -> Result<(), CgroupError> {
        let mut first_err = None;
        for d in &self.dirs {
            for (i, dir) in d.created.iter().enumerate().rev() {
                let is_leaf = dir == &d.path && i + 1 == d.created.len();
                let r = if is_leaf {
                    tree::remove_tree(dir)
                } else if tree::has_subdirs(dir) {
                    // Shared with another container's cgroup: not ours to remove any more.
                    Ok(())
                } else {
                    tree::rmdir_retry(dir)
                };
                if let Err(e) = r {
                    first_err.get_or_insert(e);
                }
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Where each cgroup hierarchy is mounted on the host, from `/proc/self/mountinfo`.
    pub fn host_layout() -> Result<Layout, CgroupError> {
        layout::host()
    }

    /// Makes the container's directory in each hierarchy (config-linux: the cgroups will be
    /// created if they don't exist), recording the ones it made.
    fn create_dirs(
        &mut self,
        placements: Vec<layout::Placement>,
        rel: &Path,
    ) -> Result<(), CgroupError> {
        for p in placements {
            let mut created = Vec::new();
            let mut cur = p.base;
            let mut result = Ok(());
            for comp in rel.components() {
                cur.push(comp);
                match fs::create_dir(&cur) {
                    Ok(()) => created.push(cur.clone()),
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                    Err(source) => {
                        result = Err(CgroupError::Create {
                            path: cur.clone(),
                            source,
                        });
                        break;
                    }
                }
            }
            self.dirs.push(HierarchyDir {
                controllers: p.controllers,
                mountpoint: p.mountpoint,
                path: p.path,
                created,
            });
            result?;
        }
        Ok(())
    }

    /// config-linux: the runtime MAY check that the container's cgroup is fit, and MUST error
    /// when the check fails. A cgroup at cgroupsPath that already existed and is frozen (v1
    /// freezer, or v2 `cgroup.freeze`) would freeze the container's processes: refused.
    fn check_fit(&self) -> Result<(), CgroupError> {
        for d in &self.dirs {
            if d.created.last() == Some(&d.path) {
                continue;
            }
            let frozen = if d.controllers.is_none() {
                v2::freezer::frozen(&d.path)
            } else {
                d.has_v1_controller(v1::freezer::CONTROLLER) && v1::freezer::frozen(&d.path)
            };
            if !frozen {
                continue;
            }
            if crate::mutation::active(crate::mutation::Flaw::ThawFrozenCgroup) {
                // The thaw-frozen-cgroup defect: thawed and used instead of refused.
                if d.controllers.is_none() {
                    v2::freezer::request(&d.path, false)?;
                } else {
                    v1::freezer::request(&d.path, false)?;
                }
                continue;
            }
            return Err(CgroupError::Unfit {
                path: d.path.clone(),
                reason: "it already exists and is frozen".into(),
            });
        }
        Ok(())
    }

    /// The v2 hierarchy's mount point (the parent-most directory we may touch).
    fn v2_mount_base(&self) -> Option<&Path> {
        self.dirs
            .iter()
            .find(|d| d.controllers.is_none())
            .map(|d| d.mountpoint.as_path())
    }

    /// v1 cpuset: each directory we created inherits its parent's cpus and mems before the
    /// configured ones are applied (see `v1::cpuset::inherit_from_parent`).
    fn init_cpusets(&self) -> Result<(), CgroupError> {
        for d in &self.dirs {
            if !d.has_v1_controller(v1::cpuset::CONTROLLER) {
                continue;
            }
            for dir in &d.created {
                v1::cpuset::inherit_from_parent(dir)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod testutil;
