//! Control groups for the container (runtime-spec config-linux.md "Control groups").
//!
//! The host's cgroup layout is detected from `/proc/self/mountinfo`, never assumed: cgroup v1
//! hierarchies (each with its controller option string, e.g. `cpu,cpuacct` or `name=systemd`),
//! a cgroup2 hierarchy, or both (hybrid). A [`Cgroup`] remembers, per hierarchy, the directory
//! the container uses and which directories it created, so [`Cgroup::destroy`] removes exactly
//! those.
//!
//! Devices on cgroup v2: the v2 device controller is an eBPF program attached to the cgroup
//! (`BPF_CGROUP_DEVICE`), which this runtime does not implement. On a host whose `devices`
//! controller is not mounted as a v1 hierarchy (pure v2), `linux.resources.devices` and the
//! default device rules are therefore not enforced by the cgroup; [`Cgroup::create`] returns Ok
//! without applying them. Device access inside the container is then limited only by which
//! device nodes the runtime creates.

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use oci_spec::runtime::{LinuxDevice, LinuxDeviceType, LinuxResources};
use serde::{Deserialize, Serialize};

const MOUNTINFO: &str = "/proc/self/mountinfo";
const SELF_CGROUP: &str = "/proc/self/cgroup";
const PROC_CGROUPS: &str = "/proc/cgroups";
/// How long `destroy` keeps retrying `rmdir` on EBUSY while the last processes exit.
const RMDIR_RETRY: Duration = Duration::from_secs(1);
/// How long `signal_all` waits for a freezer to report the cgroup frozen.
const FREEZE_WAIT: Duration = Duration::from_millis(500);

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
    #[error("removing cgroup directory {path}: {source}")]
    Remove { path: PathBuf, source: io::Error },
    #[error("sending {signal} to pid {pid} of the cgroup: {source}")]
    Signal {
        signal: Signal,
        pid: i32,
        source: nix::Error,
    },
}

/// A cgroup v1 hierarchy as mounted on the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct V1Hierarchy {
    /// The controllers in mount-option form, as `mount -t cgroup -o <controllers>` takes them:
    /// `cpu,cpuacct`, `memory`, `name=systemd`.
    pub controllers: String,
    /// Where the hierarchy is mounted, e.g. `/sys/fs/cgroup/cpu,cpuacct`.
    pub mountpoint: PathBuf,
    /// Which cgroup of the hierarchy is mounted there (mountinfo's root field, `/` unless the
    /// runtime itself runs in a cgroup namespace or below a bind mount).
    pub root: PathBuf,
}

impl V1Hierarchy {
    /// The controller names of this hierarchy (`name=...` entries excluded).
    pub fn controller_names(&self) -> impl Iterator<Item = &str> {
        self.controllers
            .split(',')
            .filter(|c| !c.is_empty() && !c.starts_with("name="))
    }

    pub fn has_controller(&self, controller: &str) -> bool {
        self.controller_names().any(|c| c == controller)
    }
}

/// The host's cgroup mounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    /// cgroup v1 hierarchies (one entry per hierarchy, the first mount of each).
    pub v1: Vec<V1Hierarchy>,
    /// The cgroup2 mount point, if any (`/sys/fs/cgroup` on a pure v2 host,
    /// `/sys/fs/cgroup/unified` on a hybrid one).
    pub v2: Option<PathBuf>,
    /// The cgroup of the v2 hierarchy mounted at `v2` (mountinfo's root field).
    pub v2_root: Option<PathBuf>,
    /// True when cgroup v2 is the only hierarchy with controllers (pure v2 host).
    pub unified_only: bool,
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

/// The container's cgroup: one directory per hierarchy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cgroup {
    dirs: Vec<HierarchyDir>,
    unified_only: bool,
    /// Controllers available in the v2 hierarchy's root (`cgroup.controllers`).
    v2_controllers: Vec<String>,
}

/// Where a resource is written: the v1 controller name and the v2 one (if v2 has an equivalent).
#[derive(Clone, Copy)]
struct Ctrl {
    v1: &'static str,
    v2: Option<&'static str>,
}

const PIDS: Ctrl = Ctrl {
    v1: "pids",
    v2: Some("pids"),
};
const MEMORY: Ctrl = Ctrl {
    v1: "memory",
    v2: Some("memory"),
};
const CPU: Ctrl = Ctrl {
    v1: "cpu",
    v2: Some("cpu"),
};
const CPUSET: Ctrl = Ctrl {
    v1: "cpuset",
    v2: Some("cpuset"),
};
const BLKIO: Ctrl = Ctrl {
    v1: "blkio",
    v2: Some("io"),
};
const HUGETLB: Ctrl = Ctrl {
    v1: "hugetlb",
    v2: Some("hugetlb"),
};
const NET_CLS: Ctrl = Ctrl {
    v1: "net_cls",
    v2: None,
};
const NET_PRIO: Ctrl = Ctrl {
    v1: "net_prio",
    v2: None,
};
const RDMA: Ctrl = Ctrl {
    v1: "rdma",
    v2: Some("rdma"),
};
const DEVICES: Ctrl = Ctrl {
    v1: "devices",
    v2: None,
};

/// A resolved controller directory: the path and whether it is in the v2 hierarchy.
struct Target<'a> {
    dir: &'a Path,
    v2: bool,
    controller: &'static str,
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
    /// `extra_devices` are `linux.devices`; like runc, the runtime allows them (rwm) in the v1
    /// devices controller together with the default devices it supplies. On a host without a v1
    /// devices controller (pure v2), device rules are not applied (see the module docs).
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
        let rel = validate_cgroups_path(path)?;
        let absolute = path.starts_with('/');
        let own = if absolute {
            Vec::new()
        } else {
            read_self_cgroup()?
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
        match cgroup.create_dirs(&layout, &rel, absolute, &own, path) {
            Ok(()) => {}
            Err(e) => {
                let _ = cgroup.destroy();
                return Err(e);
            }
        }
        let result = cgroup
            .prepare_v2(resources)
            .and_then(|()| cgroup.init_cpusets())
            .and_then(|()| match resources {
                Some(r) => cgroup.apply(r, extra_devices),
                None => cgroup.apply_devices(None, extra_devices),
            });
        match result {
            Ok(()) => Ok(cgroup),
            Err(e) => {
                let _ = cgroup.destroy();
                Err(e)
            }
        }
    }

    /// The container's directories, one per hierarchy.
    pub fn dirs(&self) -> &[HierarchyDir] {
        &self.dirs
    }

    /// The directory holding `controller` (a v1 controller name such as `memory`, `cpu`,
    /// `blkio`, or a v2 one such as `io`), if any hierarchy has it.
    pub fn path_for(&self, controller: &str) -> Option<&Path> {
        for d in &self.dirs {
            if let Some(c) = &d.controllers {
                if c.split(',').any(|x| x == controller) {
                    return Some(&d.path);
                }
            }
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

    /// Puts a process in every hierarchy's directory of the container.
    pub fn add_process(&self, pid: i32) -> Result<(), CgroupError> {
        for d in &self.dirs {
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
        collect_pids(dir, &mut pids)?;
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
        for want in ["pids", "freezer"] {
            if let Some(d) = self.dirs.iter().find(|d| {
                d.controllers
                    .as_deref()
                    .is_some_and(|c| c.split(',').any(|x| x == want))
            }) {
                return Some(&d.path);
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

    /// Freezes (or thaws) the cgroup if a freezer exists; returns whether it froze it.
    /// Best effort: a freezer that does not settle in time is thawed again.
    fn freeze(&self, on: bool) -> bool {
        let freezer_v1 = self.dirs.iter().find(|d| {
            d.controllers
                .as_deref()
                .is_some_and(|c| c.split(',').any(|x| x == "freezer"))
        });
        let (file, value, done): (PathBuf, &str, Box<dyn Fn() -> bool>) =
            if let Some(d) = freezer_v1 {
                let state = d.path.join("freezer.state");
                let want = if on { "FROZEN" } else { "THAWED" };
                let check = state.clone();
                (
                    state,
                    want,
                    Box::new(move || fs::read_to_string(&check).is_ok_and(|s| s.trim() == want)),
                )
            } else if let Some(dir) = self.v2_dir().filter(|_| self.unified_only) {
                let events = dir.join("cgroup.events");
                let want = if on { "frozen 1" } else { "frozen 0" };
                (
                    dir.join("cgroup.freeze"),
                    if on { "1" } else { "0" },
                    Box::new(move || {
                        fs::read_to_string(&events).is_ok_and(|s| s.lines().any(|l| l == want))
                    }),
                )
            } else {
                return false;
            };
        if write_file("freezer", &file, value).is_err() {
            return false;
        }
        if !on {
            return false;
        }
        let start = Instant::now();
        while start.elapsed() < FREEZE_WAIT {
            if done() {
                return true;
            }
            thread::sleep(Duration::from_millis(5));
        }
        // Did not settle: thaw so no process stays frozen, and signal without freezing.
        let _ = write_file("freezer", &file, if value == "1" { "0" } else { "THAWED" });
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
                    remove_tree(dir)
                } else if has_subdirs(dir) {
                    // Shared with another container's cgroup: not ours to remove any more.
                    Ok(())
                } else {
                    rmdir_retry(dir)
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
        let text = read(Path::new(MOUNTINFO))?;
        // Controller names known to the kernel, to tell controllers from other mount options.
        let known: Option<HashSet<String>> = fs::read_to_string(PROC_CGROUPS).ok().map(|s| {
            s.lines()
                .filter(|l| !l.starts_with('#'))
                .filter_map(|l| l.split_whitespace().next().map(str::to_string))
                .collect()
        });
        parse_layout(&text, known.as_ref())
    }

    fn create_dirs(
        &mut self,
        layout: &Layout,
        rel: &Path,
        absolute: bool,
        own: &[SelfCgroup],
        raw: &str,
    ) -> Result<(), CgroupError> {
        let mut targets: Vec<(Option<String>, PathBuf, PathBuf, PathBuf)> = Vec::new();
        for h in &layout.v1 {
            let base = if absolute {
                h.mountpoint.clone()
            } else {
                let want: BTreeSet<&str> = h.controllers.split(',').collect();
                let line = own
                    .iter()
                    .find(|l| {
                        l.controllers
                            .iter()
                            .map(String::as_str)
                            .collect::<BTreeSet<_>>()
                            == want
                    })
                    .ok_or_else(|| CgroupError::Parse {
                        path: PathBuf::from(SELF_CGROUP),
                        detail: format!("no line for the v1 hierarchy {}", h.controllers),
                    })?;
                own_dir(&h.mountpoint, &h.root, &line.path, raw)?
            };
            targets.push((
                Some(h.controllers.clone()),
                h.mountpoint.clone(),
                base.clone(),
                base.join(rel),
            ));
        }
        if let Some(mp) = &layout.v2 {
            let base = if absolute {
                mp.clone()
            } else {
                let line = own
                    .iter()
                    .find(|l| l.hierarchy == 0 && l.controllers.is_empty())
                    .ok_or_else(|| CgroupError::Parse {
                        path: PathBuf::from(SELF_CGROUP),
                        detail: "no 0:: line for the cgroup v2 hierarchy".to_string(),
                    })?;
                let root = layout.v2_root.clone().unwrap_or_else(|| PathBuf::from("/"));
                own_dir(mp, &root, &line.path, raw)?
            };
            targets.push((None, mp.clone(), base.clone(), base.join(rel)));
        }
        for (controllers, mountpoint, base, path) in targets {
            // config-linux: the cgroups will be created if they don't exist.
            let mut created = Vec::new();
            let mut cur = base;
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
                controllers,
                mountpoint,
                path,
                created,
            });
            result?;
        }
        Ok(())
    }

    /// cgroup v2: the runtime MUST ensure the needed controllers are enabled for the cgroup
    /// (config-linux "Unified"): each one is added to `cgroup.subtree_control` of every ancestor
    /// between the hierarchy root and the container's directory.
    fn prepare_v2(&self, resources: Option<&LinuxResources>) -> Result<(), CgroupError> {
        let Some(dir) = self.v2_dir() else {
            return Ok(());
        };
        let Some(r) = resources else {
            return Ok(());
        };
        let mut needed: Vec<(String, String)> = Vec::new();
        let mut need = |ctrl: Ctrl, field: &str| {
            // Only controllers that live in v2 (not in a v1 hierarchy) need enabling there.
            if self.v1_dir(ctrl.v1).is_none() {
                if let Some(c) = ctrl.v2 {
                    needed.push((c.to_string(), field.to_string()));
                }
            }
        };
        if r.pids().is_some() {
            need(PIDS, "linux.resources.pids");
        }
        if r.memory().is_some() {
            need(MEMORY, "linux.resources.memory");
        }
        if let Some(cpu) = r.cpu() {
            if cpu.shares().is_some()
                || cpu.quota().is_some()
                || cpu.period().is_some()
                || cpu.burst().is_some()
                || cpu.idle().is_some()
            {
                need(CPU, "linux.resources.cpu");
            }
            if cpu.cpus().is_some() || cpu.mems().is_some() {
                need(CPUSET, "linux.resources.cpu");
            }
        }
        if r.block_io().is_some() {
            need(BLKIO, "linux.resources.blockIO");
        }
        if r.hugepage_limits().as_ref().is_some_and(|h| !h.is_empty()) {
            need(HUGETLB, "linux.resources.hugepageLimits");
        }
        if r.rdma().as_ref().is_some_and(|h| !h.is_empty()) {
            need(RDMA, "linux.resources.rdma");
        }
        if let Some(unified) = r.unified() {
            let mut keys: Vec<&String> = unified.keys().collect();
            keys.sort();
            for key in keys {
                if let Some((ctrl, _)) = key.split_once('.') {
                    if ctrl != "cgroup" {
                        needed.push((
                            ctrl.to_string(),
                            format!("linux.resources.unified[{key:?}]"),
                        ));
                    }
                }
            }
        }
        if needed.is_empty() {
            return Ok(());
        }
        let v2 = self.v2_mount_base();
        let Some(base) = v2 else { return Ok(()) };
        let mut ancestors = Vec::new();
        let mut cur = dir.parent();
        while let Some(p) = cur {
            if !p.starts_with(&base) {
                break;
            }
            ancestors.push(p.to_path_buf());
            if p == base {
                break;
            }
            cur = p.parent();
        }
        ancestors.reverse();
        for (ctrl, field) in &needed {
            for a in &ancestors {
                let available = read_controllers(&a.join("cgroup.controllers"))?;
                if !available.iter().any(|c| c == ctrl) {
                    // config-linux: the runtime MUST generate an error when the configuration
                    // refers to a cgroup controller that is not present or cannot be enabled.
                    return Err(CgroupError::MissingController {
                        field: field.clone(),
                        controller: ctrl.clone(),
                        file: a.join("cgroup.controllers").display().to_string(),
                    });
                }
                let stc = a.join("cgroup.subtree_control");
                let enabled = read_controllers(&stc)?;
                if !enabled.iter().any(|c| c == ctrl) {
                    write_file(field, &stc, &format!("+{ctrl}"))?;
                }
            }
        }
        Ok(())
    }

    /// The v2 hierarchy's mount point (the parent-most directory we may touch).
    fn v2_mount_base(&self) -> Option<PathBuf> {
        self.dirs
            .iter()
            .find(|d| d.controllers.is_none())
            .map(|d| d.mountpoint.clone())
    }

    /// v1 cpuset: a new cpuset cgroup starts with empty `cpuset.cpus`/`cpuset.mems` and takes
    /// no process until they are set, so each directory we created inherits its parent's values
    /// (as runc does) before the configured ones are applied.
    fn init_cpusets(&self) -> Result<(), CgroupError> {
        for d in &self.dirs {
            let is_cpuset = d
                .controllers
                .as_deref()
                .is_some_and(|c| c.split(',').any(|x| x == "cpuset"));
            if !is_cpuset {
                continue;
            }
            for dir in &d.created {
                let Some(parent) = dir.parent() else { continue };
                for file in ["cpuset.cpus", "cpuset.mems"] {
                    let own = dir.join(file);
                    if !own.exists() {
                        continue;
                    }
                    if read(&own)?.trim().is_empty() {
                        let value = read(&parent.join(file))?;
                        write_file("cpuset (inherited from parent)", &own, value.trim())?;
                    }
                }
            }
        }
        Ok(())
    }

    fn v1_dir(&self, controller: &str) -> Option<&Path> {
        self.dirs
            .iter()
            .find(|d| {
                d.controllers
                    .as_deref()
                    .is_some_and(|c| c.split(',').any(|x| x == controller))
            })
            .map(|d| d.path.as_path())
    }

    /// The directory for a controller: the v1 hierarchy that has it, else the v2 hierarchy if
    /// its root offers the v2 equivalent.
    fn target(&self, ctrl: Ctrl, field: &str, file: &str) -> Result<Target<'_>, CgroupError> {
        if let Some(dir) = self.v1_dir(ctrl.v1) {
            return Ok(Target {
                dir,
                v2: false,
                controller: ctrl.v1,
            });
        }
        if let (Some(c), Some(dir)) = (ctrl.v2, self.v2_dir()) {
            if self.v2_controllers.iter().any(|x| x == c) {
                return Ok(Target {
                    dir,
                    v2: true,
                    controller: c,
                });
            }
        }
        // config-linux: the runtime MUST generate an error if it cannot apply a configured
        // resource; here the host lacks the controller altogether.
        Err(CgroupError::MissingController {
            field: field.to_string(),
            controller: ctrl
                .v2
                .filter(|_| self.unified_only)
                .unwrap_or(ctrl.v1)
                .to_string(),
            file: file.to_string(),
        })
    }

    fn apply(&self, r: &LinuxResources, extra_devices: &[LinuxDevice]) -> Result<(), CgroupError> {
        self.apply_devices(r.devices().as_deref(), extra_devices)?;
        self.apply_pids(r)?;
        self.apply_memory(r)?;
        self.apply_cpu(r)?;
        self.apply_block_io(r)?;
        self.apply_hugepages(r)?;
        self.apply_network(r)?;
        self.apply_rdma(r)?;
        self.apply_unified(r)?;
        Ok(())
    }

    fn apply_pids(&self, r: &LinuxResources) -> Result<(), CgroupError> {
        let Some(pids) = r.pids() else { return Ok(()) };
        let field = "linux.resources.pids.limit";
        let t = self.target(PIDS, field, "pids.max")?;
        // config-linux: pids.limit is the maximum number of tasks, -1 meaning no limit ("max");
        // 0 is a valid limit and is written as such.
        let value = if pids.limit() < 0 {
            "max".to_string()
        } else {
            pids.limit().to_string()
        };
        t.set(field, "pids.max", &value)
    }

    fn apply_memory(&self, r: &LinuxResources) -> Result<(), CgroupError> {
        let Some(m) = r.memory() else { return Ok(()) };
        let t = self.target(MEMORY, "linux.resources.memory", "memory.limit_in_bytes")?;
        let limit_str = |v: i64, v2: bool| {
            if v2 && v < 0 {
                "max".to_string()
            } else {
                v.to_string()
            }
        };
        if t.v2 {
            // config-linux memory on cgroup v2: limit -> memory.max, reservation ->
            // memory.low, swap (memory+swap) -> memory.swap.max as swap - limit.
            if let Some(limit) = m.limit() {
                t.set(
                    "linux.resources.memory.limit",
                    "memory.max",
                    &limit_str(limit, true),
                )?;
            }
            if let Some(res) = m.reservation() {
                t.set(
                    "linux.resources.memory.reservation",
                    "memory.low",
                    &limit_str(res, true),
                )?;
            }
            if let Some(swap) = m.swap() {
                let v = swap_v2(swap, m.limit().unwrap_or(0))?;
                t.set("linux.resources.memory.swap", "memory.swap.max", &v)?;
            }
            if let Some(s) = m.swappiness() {
                return Err(CgroupError::MissingFile {
                    field: format!("linux.resources.memory.swappiness ({s})"),
                    controller: "memory".into(),
                    path: t.dir.join("memory.swappiness"),
                });
            }
            if m.disable_oom_killer() == Some(true) {
                return Err(CgroupError::MissingFile {
                    field: "linux.resources.memory.disableOOMKiller".into(),
                    controller: "memory".into(),
                    path: t.dir.join("memory.oom_control"),
                });
            }
            if m.use_hierarchy() == Some(false) {
                return Err(CgroupError::InvalidValue {
                    field: "linux.resources.memory.useHierarchy".into(),
                    reason: "cgroup v2 memory accounting is always hierarchical".into(),
                });
            }
        } else {
            // config-linux memory on cgroup v1. memory.memsw.limit_in_bytes must stay >=
            // memory.limit_in_bytes at every step, so when the limit grows (or becomes
            // unlimited) memory+swap is written first, as runc does.
            let swap_first = match (m.swap(), m.limit()) {
                (Some(_), Some(limit)) => {
                    let current = read(&t.dir.join("memory.limit_in_bytes"))
                        .ok()
                        .and_then(|s| s.trim().parse::<i64>().ok())
                        .unwrap_or(i64::MAX);
                    limit < 0 || limit > current
                }
                _ => false,
            };
            let write_swap = |t: &Target<'_>| -> Result<(), CgroupError> {
                if let Some(swap) = m.swap() {
                    t.set(
                        "linux.resources.memory.swap",
                        "memory.memsw.limit_in_bytes",
                        &swap.to_string(),
                    )?;
                }
                Ok(())
            };
            if swap_first {
                write_swap(&t)?;
            }
            if let Some(limit) = m.limit() {
                t.set(
                    "linux.resources.memory.limit",
                    "memory.limit_in_bytes",
                    &limit.to_string(),
                )?;
            }
            if !swap_first {
                write_swap(&t)?;
            }
            if let Some(res) = m.reservation() {
                t.set(
                    "linux.resources.memory.reservation",
                    "memory.soft_limit_in_bytes",
                    &res.to_string(),
                )?;
            }
            if let Some(s) = m.swappiness() {
                // config-linux: swappiness values are from 0 to 100.
                if s > 100 {
                    return Err(CgroupError::InvalidValue {
                        field: "linux.resources.memory.swappiness".into(),
                        reason: format!("{s} is not in 0..=100"),
                    });
                }
                t.set(
                    "linux.resources.memory.swappiness",
                    "memory.swappiness",
                    &s.to_string(),
                )?;
            }
            if m.disable_oom_killer() == Some(true) {
                // config-linux: disableOOMKiller true disables the OOM killer.
                t.set(
                    "linux.resources.memory.disableOOMKiller",
                    "memory.oom_control",
                    "1",
                )?;
            }
            if let Some(h) = m.use_hierarchy() {
                t.set(
                    "linux.resources.memory.useHierarchy",
                    "memory.use_hierarchy",
                    if h { "1" } else { "0" },
                )?;
            }
        }
        // kernel and kernelTCP are NOT RECOMMENDED (kernel memory limits are gone from cgroup
        // v2 and from recent v1 kernels); like runc they are applied where the file exists and
        // otherwise ignored.
        #[allow(deprecated)]
        let kernel = m.kernel();
        if let (Some(v), false) = (kernel, t.v2) {
            t.set_if_exists(
                "linux.resources.memory.kernel",
                "memory.kmem.limit_in_bytes",
                &v.to_string(),
            )?;
        }
        if let (Some(v), false) = (m.kernel_tcp(), t.v2) {
            t.set_if_exists(
                "linux.resources.memory.kernelTCP",
                "memory.kmem.tcp.limit_in_bytes",
                &v.to_string(),
            )?;
        }
        Ok(())
    }

    fn apply_cpu(&self, r: &LinuxResources) -> Result<(), CgroupError> {
        let Some(c) = r.cpu() else { return Ok(()) };
        let uses_cpu = c.shares().is_some()
            || c.quota().is_some()
            || c.period().is_some()
            || c.burst().is_some()
            || c.idle().is_some()
            || c.realtime_runtime().is_some()
            || c.realtime_period().is_some();
        if let (Some(q), Some(b)) = (c.quota(), c.burst()) {
            // config-linux: a positive quota MUST be no smaller than burst (runtimes MAY error).
            if q > 0 && (b as i128) > (q as i128) {
                return Err(CgroupError::InvalidValue {
                    field: "linux.resources.cpu.burst".into(),
                    reason: format!("burst {b} is larger than quota {q}"),
                });
            }
        }
        if uses_cpu {
            let t = self.target(CPU, "linux.resources.cpu", "cpu.shares")?;
            if t.v2 {
                if let Some(shares) = c.shares().filter(|s| *s != 0) {
                    // config-linux cpu.shares on v2: converted to cpu.weight with runc's
                    // formula, mapping shares [2, 262144] onto weight [1, 10000].
                    let s = shares.clamp(2, 262_144);
                    let weight = 1 + ((s - 2) * 9999) / 262_142;
                    t.set(
                        "linux.resources.cpu.shares",
                        "cpu.weight",
                        &weight.to_string(),
                    )?;
                }
                if c.quota().is_some() || c.period().is_some() {
                    // config-linux cpu.quota/period on v2: "<quota> <period>" in cpu.max,
                    // "max" for no quota.
                    let quota = match c.quota() {
                        Some(q) if q > 0 => q.to_string(),
                        _ => "max".to_string(),
                    };
                    let period = c.period().filter(|p| *p > 0).unwrap_or(100_000);
                    t.set(
                        "linux.resources.cpu.quota",
                        "cpu.max",
                        &format!("{quota} {period}"),
                    )?;
                }
                if let Some(b) = c.burst() {
                    t.set("linux.resources.cpu.burst", "cpu.max.burst", &b.to_string())?;
                }
                if c.realtime_runtime().is_some() || c.realtime_period().is_some() {
                    return Err(CgroupError::MissingFile {
                        field: "linux.resources.cpu.realtimeRuntime".into(),
                        controller: "cpu".into(),
                        path: t.dir.join("cpu.rt_runtime_us"),
                    });
                }
            } else {
                if let Some(shares) = c.shares() {
                    t.set(
                        "linux.resources.cpu.shares",
                        "cpu.shares",
                        &shares.to_string(),
                    )?;
                }
                // The period is written before the quota it applies to.
                if let Some(p) = c.period() {
                    t.set(
                        "linux.resources.cpu.period",
                        "cpu.cfs_period_us",
                        &p.to_string(),
                    )?;
                }
                if let Some(q) = c.quota() {
                    t.set(
                        "linux.resources.cpu.quota",
                        "cpu.cfs_quota_us",
                        &q.to_string(),
                    )?;
                }
                if let Some(b) = c.burst() {
                    t.set(
                        "linux.resources.cpu.burst",
                        "cpu.cfs_burst_us",
                        &b.to_string(),
                    )?;
                }
                if let Some(p) = c.realtime_period() {
                    t.set(
                        "linux.resources.cpu.realtimePeriod",
                        "cpu.rt_period_us",
                        &p.to_string(),
                    )?;
                }
                if let Some(rt) = c.realtime_runtime() {
                    t.set(
                        "linux.resources.cpu.realtimeRuntime",
                        "cpu.rt_runtime_us",
                        &rt.to_string(),
                    )?;
                }
            }
            if let Some(idle) = c.idle() {
                // config-linux: cpu.idle, 0 default behaviour, 1 SCHED_IDLE.
                t.set("linux.resources.cpu.idle", "cpu.idle", &idle.to_string())?;
            }
        }
        if let Some(cpus) = c.cpus() {
            let t = self.target(CPUSET, "linux.resources.cpu.cpus", "cpuset.cpus")?;
            t.set("linux.resources.cpu.cpus", "cpuset.cpus", cpus)?;
        }
        if let Some(mems) = c.mems() {
            let t = self.target(CPUSET, "linux.resources.cpu.mems", "cpuset.mems")?;
            t.set("linux.resources.cpu.mems", "cpuset.mems", mems)?;
        }
        Ok(())
    }

    fn apply_block_io(&self, r: &LinuxResources) -> Result<(), CgroupError> {
        let Some(b) = r.block_io() else { return Ok(()) };
        let t = self.target(BLKIO, "linux.resources.blockIO", "blkio.weight")?;
        // blkio weights are 10..=1000; io.weight is 1..=10000 (runc's linear conversion).
        let io_weight = |w: u16| 1 + (u64::from(w).saturating_sub(10)) * 9999 / 990;
        if t.v2 {
            let bfq = t.dir.join("io.bfq.weight").exists();
            if let Some(w) = b.weight() {
                if bfq {
                    t.set(
                        "linux.resources.blockIO.weight",
                        "io.bfq.weight",
                        &w.to_string(),
                    )?;
                } else {
                    t.set(
                        "linux.resources.blockIO.weight",
                        "io.weight",
                        &io_weight(w).to_string(),
                    )?;
                }
            }
            if b.leaf_weight().is_some() {
                return Err(CgroupError::InvalidValue {
                    field: "linux.resources.blockIO.leafWeight".into(),
                    reason: "cgroup v2 io has no leaf weight".into(),
                });
            }
            for (i, wd) in b.weight_device().iter().flatten().enumerate() {
                let field = format!("linux.resources.blockIO.weightDevice[{i}]");
                if let Some(w) = wd.weight() {
                    let (file, v) = if bfq {
                        ("io.bfq.weight", u64::from(w))
                    } else {
                        ("io.weight", io_weight(w))
                    };
                    t.set(&field, file, &format!("{}:{} {v}", wd.major(), wd.minor()))?;
                }
                if wd.leaf_weight().is_some() {
                    return Err(CgroupError::InvalidValue {
                        field: format!("{field}.leafWeight"),
                        reason: "cgroup v2 io has no leaf weight".into(),
                    });
                }
            }
            let throttles = [
                (
                    "throttleReadBpsDevice",
                    b.throttle_read_bps_device(),
                    "rbps",
                ),
                (
                    "throttleWriteBpsDevice",
                    b.throttle_write_bps_device(),
                    "wbps",
                ),
                (
                    "throttleReadIOPSDevice",
                    b.throttle_read_iops_device(),
                    "riops",
                ),
                (
                    "throttleWriteIOPSDevice",
                    b.throttle_write_iops_device(),
                    "wiops",
                ),
            ];
            for (name, list, key) in throttles {
                for (i, d) in list.iter().flatten().enumerate() {
                    t.set(
                        &format!("linux.resources.blockIO.{name}[{i}]"),
                        "io.max",
                        &format!("{}:{} {key}={}", d.major(), d.minor(), d.rate()),
                    )?;
                }
            }
        } else {
            let weight_file = if t.dir.join("blkio.weight").exists() {
                "blkio.weight"
            } else {
                "blkio.bfq.weight"
            };
            if let Some(w) = b.weight() {
                t.set(
                    "linux.resources.blockIO.weight",
                    weight_file,
                    &w.to_string(),
                )?;
            }
            if let Some(w) = b.leaf_weight() {
                t.set(
                    "linux.resources.blockIO.leafWeight",
                    "blkio.leaf_weight",
                    &w.to_string(),
                )?;
            }
            for (i, wd) in b.weight_device().iter().flatten().enumerate() {
                let field = format!("linux.resources.blockIO.weightDevice[{i}]");
                if let Some(w) = wd.weight() {
                    t.set(
                        &field,
                        &format!("{weight_file}_device"),
                        &format!("{}:{} {w}", wd.major(), wd.minor()),
                    )?;
                }
                if let Some(w) = wd.leaf_weight() {
                    t.set(
                        &field,
                        "blkio.leaf_weight_device",
                        &format!("{}:{} {w}", wd.major(), wd.minor()),
                    )?;
                }
            }
            let throttles = [
                (
                    "throttleReadBpsDevice",
                    b.throttle_read_bps_device(),
                    "read_bps",
                ),
                (
                    "throttleWriteBpsDevice",
                    b.throttle_write_bps_device(),
                    "write_bps",
                ),
                (
                    "throttleReadIOPSDevice",
                    b.throttle_read_iops_device(),
                    "read_iops",
                ),
                (
                    "throttleWriteIOPSDevice",
                    b.throttle_write_iops_device(),
                    "write_iops",
                ),
            ];
            for (name, list, key) in throttles {
                for (i, d) in list.iter().flatten().enumerate() {
                    t.set(
                        &format!("linux.resources.blockIO.{name}[{i}]"),
                        &format!("blkio.throttle.{key}_device"),
                        &format!("{}:{} {}", d.major(), d.minor(), d.rate()),
                    )?;
                }
            }
        }
        Ok(())
    }

    fn apply_hugepages(&self, r: &LinuxResources) -> Result<(), CgroupError> {
        for (i, h) in r.hugepage_limits().iter().flatten().enumerate() {
            let field = format!("linux.resources.hugepageLimits[{i}]");
            let size = h.page_size();
            if size.is_empty() || size.contains('/') || size.contains('.') {
                return Err(CgroupError::InvalidValue {
                    field: format!("{field}.pageSize"),
                    reason: format!("{size:?} is not of the form <size><unit-prefix>B"),
                });
            }
            let t = self.target(HUGETLB, &field, &format!("hugetlb.{size}.limit_in_bytes"))?;
            let (limit_file, rsvd_file) = if t.v2 {
                (
                    format!("hugetlb.{size}.max"),
                    format!("hugetlb.{size}.rsvd.max"),
                )
            } else {
                (
                    format!("hugetlb.{size}.limit_in_bytes"),
                    format!("hugetlb.{size}.rsvd.limit_in_bytes"),
                )
            };
            // config-linux hugepageLimits: limit the reservations where the kernel supports
            // reservation accounting, and the page-fault usage in any case (as runc does).
            let value = h.limit().to_string();
            t.set(&field, &limit_file, &value)?;
            t.set_if_exists(&field, &rsvd_file, &value)?;
        }
        Ok(())
    }

    fn apply_network(&self, r: &LinuxResources) -> Result<(), CgroupError> {
        let Some(n) = r.network() else { return Ok(()) };
        if let Some(class) = n.class_id() {
            // config-linux network.classID: the net_cls class identifier.
            let field = "linux.resources.network.classID";
            let t = self.target(NET_CLS, field, "net_cls.classid")?;
            t.set(field, "net_cls.classid", &class.to_string())?;
        }
        for (i, p) in n.priorities().iter().flatten().enumerate() {
            // config-linux network.priorities: net_prio.ifpriomap "<interface> <priority>".
            let field = format!("linux.resources.network.priorities[{i}]");
            let t = self.target(NET_PRIO, &field, "net_prio.ifpriomap")?;
            t.set(
                &field,
                "net_prio.ifpriomap",
                &format!("{} {}", p.name(), p.priority()),
            )?;
        }
        Ok(())
    }

    fn apply_rdma(&self, r: &LinuxResources) -> Result<(), CgroupError> {
        let Some(rdma) = r.rdma() else { return Ok(()) };
        let mut devices: Vec<_> = rdma.iter().collect();
        devices.sort_by(|a, b| a.0.cmp(b.0));
        for (dev, limits) in devices {
            let field = format!("linux.resources.rdma[{dev:?}]");
            let t = self.target(RDMA, &field, "rdma.max")?;
            let mut value = dev.clone();
            if let Some(h) = limits.hca_handles() {
                value.push_str(&format!(" hca_handle={h}"));
            }
            if let Some(o) = limits.hca_objects() {
                value.push_str(&format!(" hca_object={o}"));
            }
            t.set(&field, "rdma.max", &value)?;
        }
        Ok(())
    }

    fn apply_unified(&self, r: &LinuxResources) -> Result<(), CgroupError> {
        let Some(unified) = r.unified() else {
            return Ok(());
        };
        if unified.is_empty() {
            return Ok(());
        }
        let Some(dir) = self.v2_dir() else {
            return Err(CgroupError::InvalidValue {
                field: "linux.resources.unified".into(),
                reason: "the host has no cgroup v2 hierarchy mounted".into(),
            });
        };
        let mut keys: Vec<(&String, &String)> = unified.iter().collect();
        keys.sort();
        for (key, value) in keys {
            let field = format!("linux.resources.unified[{key:?}]");
            if key.is_empty() || key.contains('/') || key.starts_with('.') {
                return Err(CgroupError::InvalidValue {
                    field,
                    reason: "not a cgroup interface file name".into(),
                });
            }
            // config-linux unified: each key is a file of the unified hierarchy; unknown
            // configuration MUST still be written verbatim.
            let path = dir.join(key);
            if !path.exists() {
                return Err(CgroupError::MissingFile {
                    field,
                    controller: key.split('.').next().unwrap_or(key).to_string(),
                    path,
                });
            }
            write_file(&field, &path, value)?;
        }
        Ok(())
    }

    /// config-linux devices: the v1 devices controller gets `linux.resources.devices` in the
    /// listed order, then the devices the runtime always supplies and the `linux.devices`
    /// entries are allowed (rwm), as runc does.
    fn apply_devices(
        &self,
        rules: Option<&[oci_spec::runtime::LinuxDeviceCgroup]>,
        extra: &[LinuxDevice],
    ) -> Result<(), CgroupError> {
        let Some(dir) = self.v1_dir(DEVICES.v1) else {
            if self.v2_dir().is_some() && self.unified_only {
                // Pure v2: device rules need an eBPF program, not implemented (module docs).
                return Ok(());
            }
            if rules.is_some_and(|r| !r.is_empty()) {
                return Err(CgroupError::MissingController {
                    field: "linux.resources.devices".into(),
                    controller: "devices".into(),
                    file: "devices.allow".into(),
                });
            }
            return Ok(());
        };
        let t = Target {
            dir,
            v2: false,
            controller: "devices",
        };
        for (i, rule) in rules.iter().copied().flatten().enumerate() {
            let field = format!("linux.resources.devices[{i}]");
            let typ = match rule.typ() {
                None | Some(LinuxDeviceType::A) => "a",
                Some(LinuxDeviceType::B) => "b",
                Some(LinuxDeviceType::C) | Some(LinuxDeviceType::U) => "c",
                // FIFOs are not governed by the devices controller.
                Some(LinuxDeviceType::P) => continue,
            };
            let num = |n: Option<i64>| n.map_or_else(|| "*".to_string(), |n| n.to_string());
            let access = rule
                .access()
                .as_deref()
                .filter(|a| !a.is_empty())
                .unwrap_or("rwm");
            if !access.chars().all(|c| matches!(c, 'r' | 'w' | 'm')) {
                return Err(CgroupError::InvalidValue {
                    field: format!("{field}.access"),
                    reason: format!("{access:?} is not a combination of r, w and m"),
                });
            }
            let value = format!("{typ} {}:{} {access}", num(rule.major()), num(rule.minor()));
            let file = if rule.allow() {
                "devices.allow"
            } else {
                "devices.deny"
            };
            // config-linux devices: the runtime MUST apply entries in the listed order.
            t.set(&field, file, &value)?;
        }
        // config-linux devices: in addition to the configured devices the runtime MUST supply
        // /dev/null, zero, full, random, urandom, tty, console and ptmx (and /dev/pts), so they
        // are always allowed.
        const DEFAULTS: [&str; 9] = [
            "c 1:3 rwm",
            "c 1:5 rwm",
            "c 1:7 rwm",
            "c 1:8 rwm",
            "c 1:9 rwm",
            "c 5:0 rwm",
            "c 5:1 rwm",
            "c 5:2 rwm",
            "c 136:* rwm",
        ];
        for value in DEFAULTS {
            t.set("default devices", "devices.allow", value)?;
        }
        for (i, d) in extra.iter().enumerate() {
            // config-linux devices: linux.devices MUST be available in the container.
            let typ = match d.typ() {
                LinuxDeviceType::B => "b",
                LinuxDeviceType::C | LinuxDeviceType::U => "c",
                LinuxDeviceType::A => "a",
                LinuxDeviceType::P => continue,
            };
            t.set(
                &format!("linux.devices[{i}]"),
                "devices.allow",
                &format!("{typ} {}:{} rwm", d.major(), d.minor()),
            )?;
        }
        Ok(())
    }
}

impl Target<'_> {
    /// Writes `value` to `file`; a file the controller lacks is an error naming both.
    fn set(&self, field: &str, file: &str, value: &str) -> Result<(), CgroupError> {
        let path = self.dir.join(file);
        if !path.exists() {
            // config-linux: the runtime MUST generate an error if it cannot apply a resource.
            return Err(CgroupError::MissingFile {
                field: field.to_string(),
                controller: self.controller.to_string(),
                path,
            });
        }
        write_file(field, &path, value)
    }

    fn set_if_exists(&self, field: &str, file: &str, value: &str) -> Result<(), CgroupError> {
        let path = self.dir.join(file);
        if path.exists() {
            write_file(field, &path, value)
        } else {
            Ok(())
        }
    }
}

/// config-linux swap on cgroup v2: memory.swap.max is swap alone, so the memory+swap value is
/// converted to swap - limit (runc's conversion; -1 stays unlimited).
fn swap_v2(swap: i64, limit: i64) -> Result<String, CgroupError> {
    let field = "linux.resources.memory.swap";
    if swap == -1 || (limit == -1 && swap == 0) {
        return Ok("max".into());
    }
    if swap == 0 {
        return Ok("0".into());
    }
    if limit <= 0 {
        return Err(CgroupError::InvalidValue {
            field: field.into(),
            reason: format!("swap {swap} needs a memory limit to convert to memory.swap.max"),
        });
    }
    if swap < limit {
        return Err(CgroupError::InvalidValue {
            field: field.into(),
            reason: format!("memory+swap {swap} is smaller than the memory limit {limit}"),
        });
    }
    Ok((swap - limit).to_string())
}

/// Checks linux.cgroupsPath and returns it as a relative path (leading `/` removed).
/// Runtimes MAY consider certain cgroupsPath values invalid and MUST then error
/// (config-linux): empty paths and `..`/`.` components are refused.
fn validate_cgroups_path(path: &str) -> Result<PathBuf, CgroupError> {
    let invalid = |reason: &str| CgroupError::InvalidPath {
        path: path.to_string(),
        reason: reason.to_string(),
    };
    let trimmed = path.trim_start_matches('/');
    if trimmed.is_empty() {
        return Err(invalid("names the hierarchy root, not a cgroup"));
    }
    let mut rel = PathBuf::new();
    for c in Path::new(trimmed).components() {
        match c {
            Component::Normal(n) => rel.push(n),
            _ => return Err(invalid("may not contain '.' or '..' components")),
        }
    }
    if trimmed.split('/').any(|s| s == "." || s == "..") {
        return Err(invalid("may not contain '.' or '..' components"));
    }
    Ok(rel)
}

/// The directory of the calling process's own cgroup in a hierarchy: the mount point plus the
/// process's cgroup path relative to the mounted root.
fn own_dir(mountpoint: &Path, root: &Path, own: &str, raw: &str) -> Result<PathBuf, CgroupError> {
    let own = Path::new(own);
    let rel = own
        .strip_prefix(root)
        .map_err(|_| CgroupError::InvalidPath {
            path: raw.to_string(),
            reason: format!(
                "the runtime's own cgroup {} is outside the mounted part {} of {}",
                own.display(),
                root.display(),
                mountpoint.display()
            ),
        })?;
    Ok(mountpoint.join(rel))
}

/// One line of /proc/self/cgroup.
#[derive(Debug)]
struct SelfCgroup {
    hierarchy: u32,
    controllers: Vec<String>,
    path: String,
}

fn read_self_cgroup() -> Result<Vec<SelfCgroup>, CgroupError> {
    let path = Path::new(SELF_CGROUP);
    parse_self_cgroup(&read(path)?).map_err(|detail| CgroupError::Parse {
        path: path.to_path_buf(),
        detail,
    })
}

fn parse_self_cgroup(text: &str) -> Result<Vec<SelfCgroup>, String> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(ctrls), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("malformed line {line:?}"));
        };
        let hierarchy = id
            .parse()
            .map_err(|_| format!("bad hierarchy id in {line:?}"))?;
        out.push(SelfCgroup {
            hierarchy,
            controllers: ctrls
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect(),
            path: path.to_string(),
        });
    }
    Ok(out)
}

/// Mount options of a v1 cgroup mount that are not controllers.
const NON_CONTROLLER_OPTS: [&str; 9] = [
    "rw",
    "ro",
    "noprefix",
    "clone_children",
    "xattr",
    "cpuset_v2_mode",
    "favordynmods",
    "nofavordynmods",
    "none",
];

fn parse_layout(text: &str, known: Option<&HashSet<String>>) -> Result<Layout, CgroupError> {
    let mut v1: Vec<V1Hierarchy> = Vec::new();
    let mut v2: Option<(PathBuf, PathBuf)> = None;
    // A mount is hidden by any later mount on its mount point or on a directory above it
    // (e.g. a cgroup2 mounted over /sys/fs/cgroup in a container's mount namespace).
    let points: Vec<Option<PathBuf>> = text
        .lines()
        .map(|line| {
            let (left, _) = line.split_once(" - ")?;
            left.split(' ').nth(4).map(|m| PathBuf::from(unescape(m)))
        })
        .collect();
    let hidden = |i: usize| {
        points[i].as_ref().is_some_and(|p| {
            points[i + 1..]
                .iter()
                .flatten()
                .any(|later| p.starts_with(later))
        })
    };
    for (i, line) in text.lines().enumerate() {
        if hidden(i) {
            continue;
        }
        // mountinfo: id parent major:minor root mountpoint options [optional...] - fstype
        // source superoptions
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let l: Vec<&str> = left.split(' ').collect();
        let r: Vec<&str> = right.split(' ').collect();
        if l.len() < 5 || r.len() < 3 {
            return Err(CgroupError::Parse {
                path: PathBuf::from(MOUNTINFO),
                detail: format!("malformed line {line:?}"),
            });
        }
        let root = PathBuf::from(unescape(l[3]));
        let mountpoint = PathBuf::from(unescape(l[4]));
        match r[0] {
            // The first cgroup2 mount is the hierarchy's; later ones are bind mounts.
            "cgroup2" if v2.is_none() => v2 = Some((mountpoint, root)),
            "cgroup" => {
                let controllers: Vec<&str> = r[2]
                    .split(',')
                    .filter(|o| {
                        o.starts_with("name=")
                            || match known {
                                Some(k) => k.contains(*o),
                                None => {
                                    !NON_CONTROLLER_OPTS.contains(o)
                                        && !o.starts_with("release_agent=")
                                }
                            }
                    })
                    .collect();
                if controllers.is_empty() {
                    continue;
                }
                let controllers = controllers.join(",");
                if v1.iter().any(|h| h.controllers == controllers) {
                    continue;
                }
                v1.push(V1Hierarchy {
                    controllers,
                    mountpoint,
                    root,
                });
            }
            _ => {}
        }
    }
    if v1.is_empty() && v2.is_none() {
        return Err(CgroupError::NoCgroupFs);
    }
    let unified_only = v2.is_some()
        && v1
            .iter()
            .all(|h| h.controllers.split(',').all(|c| c.starts_with("name=")));
    let (v2, v2_root) = match v2 {
        Some((m, r)) => (Some(m), Some(r)),
        None => (None, None),
    };
    Ok(Layout {
        v1,
        v2,
        v2_root,
        unified_only,
    })
}

/// Undoes mountinfo's octal escapes (`\040` for a space, etc.).
fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 4 <= bytes.len() {
            let oct = &bytes[i + 1..i + 4];
            if oct.iter().all(|b| (b'0'..=b'7').contains(b)) {
                let v = oct
                    .iter()
                    .fold(0u32, |acc, b| acc * 8 + u32::from(b - b'0'));
                if let Ok(v) = u8::try_from(v) {
                    out.push(v);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn read(path: &Path) -> Result<String, CgroupError> {
    fs::read_to_string(path).map_err(|source| CgroupError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn read_controllers(path: &Path) -> Result<Vec<String>, CgroupError> {
    Ok(read(path)?.split_whitespace().map(str::to_string).collect())
}

/// One write(2) of `value` to a cgroup file; errors name the file and the value.
fn write_file(field: &str, path: &Path, value: &str) -> Result<(), CgroupError> {
    let err = |source| CgroupError::Write {
        field: field.to_string(),
        path: path.to_path_buf(),
        value: value.to_string(),
        source,
    };
    let mut f = fs::OpenOptions::new()
        .write(true)
        .custom_flags(nix::libc::O_CLOEXEC)
        .open(path)
        .map_err(err)?;
    f.write_all(value.as_bytes()).map_err(err)
}

fn collect_pids(dir: &Path, out: &mut BTreeSet<i32>) -> Result<(), CgroupError> {
    let procs = dir.join("cgroup.procs");
    let text = match fs::read_to_string(&procs) {
        Ok(t) => t,
        // The cgroup vanished (destroyed concurrently): it holds no processes.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(CgroupError::Read {
                path: procs,
                source,
            })
        }
    };
    for line in text.lines().filter(|l| !l.is_empty()) {
        let pid = line.trim().parse().map_err(|_| CgroupError::Parse {
            path: procs.clone(),
            detail: format!("{line:?} is not a pid"),
        })?;
        out.insert(pid);
    }
    for sub in subdirs(dir) {
        collect_pids(&sub, out)?;
    }
    Ok(())
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    match fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn has_subdirs(dir: &Path) -> bool {
    !subdirs(dir).is_empty()
}

/// Removes a cgroup directory and any cgroups nested in it, deepest first.
fn remove_tree(dir: &Path) -> Result<(), CgroupError> {
    for sub in subdirs(dir) {
        remove_tree(&sub)?;
    }
    rmdir_retry(dir)
}

fn rmdir_retry(dir: &Path) -> Result<(), CgroupError> {
    let start = Instant::now();
    loop {
        match fs::remove_dir(dir) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e)
                if e.raw_os_error() == Some(nix::libc::EBUSY) && start.elapsed() < RMDIR_RETRY =>
            {
                thread::sleep(Duration::from_millis(10));
            }
            Err(source) => {
                return Err(CgroupError::Remove {
                    path: dir.to_path_buf(),
                    source,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests;
