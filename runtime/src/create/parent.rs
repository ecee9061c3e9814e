//! The parent: the runtime's side of `create`. It makes the state directory and the cgroup,
//! forks the setup process and puts it in the cgroup, writes the user namespace's ID maps,
//! runs the runtime-side hooks (prestart, createRuntime) while the init waits, and saves the
//! state once the init reports the container created. On failure it undoes all of that.

use std::fs;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use nix::sys::signal::{kill, Signal};
use nix::sys::wait::waitpid;
use nix::unistd::Pid;
use oci_spec::runtime::Spec;

use super::clone_into::{self, Forked};
use super::config::Config;
use super::namespaces::{self, Namespaces};
use super::{bind_exec_socket, setup, Context, CreateOpts};
use crate::cgroups::Cgroup;
use crate::error::{Error, Result};
use crate::hooks::{self, Kind};
use crate::mutation::{self, Flaw};
use crate::state::{proc_stat, Locked, Record, Status, Store};
use crate::sync::{self, Channel, Msg};

/// The parent's part of `create`, for a config that passed the checks.
pub(super) fn run(store: &Store, o: &CreateOpts, cfg: &Config) -> Result<Record> {
    if cfg.spec.process().is_none() && mutation::accepts_no_process() {
        return record_without_process(store, o, cfg);
    }
    let process = cfg.spec.process().as_ref().ok_or_else(|| {
        Error::msg(format!(
            "config.json has no process: there is nothing to run ({})",
            ocicheck_catalog::ids::CONFIG_PROCESS_REQUIRED_AT_START
        ))
    })?;
    // config.process.consoleSize.ignored-without-terminal.
    if !process.terminal().unwrap_or(false)
        && process.console_size().is_some()
        && mutation::active(Flaw::RefuseConsoleSizeWithoutTerminal)
    {
        return Err(Error::msg(
            "process.consoleSize is set, but process.terminal is not true",
        ));
    }
    if process.terminal().unwrap_or(false) && o.console_socket.is_none() {
        return Err(Error::msg(
            "process.terminal is true: give --console-socket to receive the terminal",
        ));
    }
    let root = cfg
        .spec
        .root()
        .as_ref()
        .ok_or_else(|| Error::msg("config.json has no root"))?;
    let rootfs = if root.path().is_absolute() {
        root.path().clone()
    } else {
        cfg.bundle.join(root.path())
    };
    let rootfs = fs::canonicalize(&rootfs)
        .map_err(|e| Error::io(format!("root.path {}", rootfs.display()), e))?;
    let ns = namespaces::namespaces(&cfg.spec)?;
    // linux.netDevices.move.checked: before anything is made.
    let net_devices = crate::net::plan(&cfg.spec)?;
    let console = match &o.console_socket {
        Some(p) => Some(UnixStream::connect(p).map_err(|e| {
            Error::io(
                format!("cannot connect to the console socket {}", p.display()),
                e,
            )
        })?),
        None => None,
    };

    let locked = store.create(&o.id)?;
    crate::log::debug("state directory made");
    let mut made = Made {
        locked: Some(locked),
        cgroup: None,
        init: None,
    };
    match create_in(cfg, o, rootfs, ns, console, &net_devices, &mut made) {
        Ok(record) => Ok(record),
        Err(e) => {
            made.undo();
            Err(e)
        }
    }
}

/// The `accept-no-process` and `failed-create-leaves-container` defects: a container that has
/// no process is recorded as if created.
pub(super) fn record_without_process(
    store: &Store,
    o: &CreateOpts,
    cfg: &Config,
) -> Result<Record> {
    let locked = store.create(&o.id)?;
    let record = Record {
        id: o.id.clone(),
        oci_version: cfg.spec.version().clone(),
        pid: 0,
        pid_start: 0,
        bundle: cfg.bundle.clone(),
        created: humantime::format_rfc3339_nanos(std::time::SystemTime::now()).to_string(),
        started: false,
        config: cfg.json.clone(),
        cgroup: None,
    };
    locked.save(&record)?;
    Ok(record)
}

/// What create has made so far, to undo on failure (runtime.errors.no-side-effects,
/// runtime.create.bad-id.no-container).
struct Made {
    locked: Option<Locked>,
    cgroup: Option<Cgroup>,
    init: Option<i32>,
}

impl Made {
    /// The `keep-running-after-hook-failure` defect: what was made stays.
    fn keep(&mut self) {
        self.init = None;
        self.cgroup = None;
        self.locked = None;
    }

    fn undo(&mut self) {
        if let Some(pid) = self.init.take() {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        if let Some(cg) = self.cgroup.take() {
            let _ = cg.signal_all(Signal::SIGKILL);
            // runtime.errors.no-side-effects: the cgroup create made goes too.
            if !mutation::active(Flaw::FailedCreateLeavesCgroup) {
                let _ = cg.destroy();
            }
        }
        if let Some(l) = self.locked.take() {
            let _ = l.remove();
        }
    }
}

fn create_in(
    cfg: &Config,
    o: &CreateOpts,
    rootfs: PathBuf,
    ns: Namespaces,
    console: Option<UnixStream>,
    net_devices: &[crate::net::Planned],
    made: &mut Made,
) -> Result<Record> {
    let dir = made
        .locked
        .as_ref()
        .map(|l| l.dir.clone())
        .ok_or_else(|| Error::msg("internal: no state directory"))?;
    let linux = cfg.spec.linux().clone().unwrap_or_default();
    let devices = linux.devices().clone().unwrap_or_default();
    // config-linux cgroupsPath and resources: the cgroup exists, with its limits, before
    // any container process runs in it.
    let cgroup = Cgroup::create(
        linux.cgroups_path().as_ref().and_then(|p| p.to_str()),
        &o.id,
        linux.resources().as_ref(),
        &devices,
    )?;
    made.cgroup = Some(cgroup.clone());
    crate::log::debug("cgroup made");
    if mutation::active(Flaw::ChownCgroupV1) {
        chown_cgroup_to_container_root(&cfg.spec, &cgroup)?;
    }
    // config-linux cgroup ownership: on cgroup v2, delegated to the container's user when the
    // config gives it its own user and cgroup namespaces and a read-write cgroup mount.
    if let Some(uid) = crate::cgroups::ownership::owner(&cfg.spec, cgroup.unified_only()) {
        cgroup.delegate_to(uid)?;
    }

    let listener = bind_exec_socket(&dir)?;
    let (ours, theirs) = sync::pair()?;
    let lock_fd = made
        .locked
        .as_ref()
        .map(|l| l.fd().as_raw_fd())
        .unwrap_or(-1);
    let mut ctx = Context {
        cfg,
        rootfs,
        ns,
        chan: theirs,
        listener,
        console,
        close_in_child: vec![ours.raw(), lock_fd],
        preserve_fds: o.preserve_fds,
        agent: None,
        idmapped: Vec::new(),
    };

    // SAFETY: the runtime is single-threaded here; the child only runs this crate's code and
    // leaves by _exit.
    let (child, in_cgroup2) = match unsafe { clone_into::fork_into(cgroup.cgroup2_dir()) }? {
        Forked::Child => setup::run(&mut ctx),
        Forked::Parent { child, in_cgroup2 } => (child, in_cgroup2),
    };
    drop(ctx.chan);
    drop(ctx.console.take());
    let result = parent_side(
        cfg,
        o,
        &cgroup,
        &ours,
        child,
        in_cgroup2,
        &ctx.ns,
        net_devices,
        made,
    );
    // The setup child always ends quickly; reap it.
    let _ = waitpid(child, None);
    result
}

#[allow(clippy::too_many_arguments)]
fn parent_side(
    cfg: &Config,
    o: &CreateOpts,
    cgroup: &Cgroup,
    chan: &Channel,
    child: Pid,
    born_in_cgroup2: bool,
    ns: &Namespaces,
    net_devices: &[crate::net::Planned],
    made: &mut Made,
) -> Result<Record> {
    cgroup.add_process_except(child.as_raw(), born_in_cgroup2)?;
    crate::log::debug("setup process in the cgroup");
    chan.send(&Msg::Go)?;
    if ns.new_user {
        chan.wait_for(&Msg::UsernsReady)?;
        write_id_maps(&cfg.spec, child)?;
        chan.send(&Msg::MappingsDone)?;
    }
    let pid = match chan.recv()? {
        Msg::InitPid(p) => p,
        Msg::Failed(why) => return Err(Error::Msg(why)),
        other => return Err(Error::msg(format!("setup protocol: unexpected {other:?}"))),
    };
    made.init = Some(pid);
    crate::log::debug("init forked");
    // linux.netDevices: the init is in the container's network namespace and waits.
    crate::net::move_all(net_devices, pid)?;
    // The setup processes have forked: the pids limit cannot stop them any more.
    if let Some(r) = cfg
        .spec
        .linux()
        .as_ref()
        .and_then(|l| l.resources().as_ref())
    {
        cgroup.apply_pids(r)?;
    }
    let record = Record {
        id: o.id.clone(),
        oci_version: cfg.spec.version().clone(),
        pid,
        pid_start: proc_stat(pid).map(|(_, s)| s).unwrap_or(0),
        bundle: cfg.bundle.clone(),
        created: humantime::format_rfc3339_nanos(std::time::SystemTime::now()).to_string(),
        started: false,
        config: cfg.json.clone(),
        cgroup: Some(cgroup.clone()),
    };
    let state = record.oci_state(Status::Creating);
    let early = early_create_hooks(&cfg.json);
    for kind in &early {
        hooks::run_all(&cfg.json, *kind, &state)?;
    }
    // The init waits for this, so its messages never overtake the setup child's InitPid.
    chan.send(&Msg::Go)?;
    if hooks::create_container_before_setup(&cfg.json) {
        chan.send(&Msg::HooksDone(state.to_string()))?;
    }
    chan.wait_for(&Msg::RunCreateHooks)?;
    crate::log::debug("root filesystem built");
    // runtime.hooks.prestart.during-create, runtime.hooks.createRuntime.invoked: in the
    // runtime namespace, after the environment exists and before pivot_root
    // (config.hooks.prestart.timing.create, config.hooks.createRuntime.timing).
    let mut order = vec![Kind::Prestart, Kind::CreateRuntime];
    order.retain(|k| !early.contains(k));
    if mutation::active(Flaw::CreateRuntimeBeforePrestart) {
        order.reverse();
    }
    if mutation::active(Flaw::PrestartHooksAtStart) {
        order.retain(|k| *k != Kind::Prestart);
    }
    let late_create_runtime = mutation::active(Flaw::CreateContainerBeforeCreateRuntime);
    if late_create_runtime {
        order.retain(|k| *k != Kind::CreateRuntime);
    }
    let mut hooks = order.iter().try_for_each(|kind| {
        let in_container = match kind {
            Kind::Prestart => Flaw::PrestartHooksInContainerNamespace,
            _ => Flaw::CreateRuntimeHooksInContainerNamespace,
        };
        if mutation::active(in_container) {
            hooks::run_all_in_mount_ns_of(&cfg.json, *kind, &state, pid)
        } else {
            hooks::run_all(&cfg.json, *kind, &state)
        }
    });
    if mutation::active(Flaw::CreateContainerHooksInRuntimeNamespace) {
        hooks = hooks.and_then(|()| hooks::run_all(&cfg.json, Kind::CreateContainer, &state));
    }
    let mut failure = None;
    if let Err(e) = hooks {
        if !mutation::active(Flaw::KeepRunningAfterHookFailure) {
            // runtime.hooks.prestart.failure-error, runtime.hooks.createRuntime.failure-error.
            let _ = chan.send(&Msg::Failed(e.to_string()));
            return Err(e);
        }
        failure = Some(e);
    }
    chan.send(&Msg::HooksDone(state.to_string()))?;
    match chan.recv()? {
        Msg::Created => {}
        Msg::CreatedDespite(why) => failure = Some(Error::Msg(why)),
        Msg::Failed(why) => return Err(Error::Msg(why)),
        other => return Err(Error::msg(format!("setup protocol: unexpected {other:?}"))),
    }
    crate::log::debug("container created");
    if late_create_runtime {
        hooks::run_all(&cfg.json, Kind::CreateRuntime, &state)?;
    }
    if let Some(l) = &made.locked {
        l.save(&record)?;
    }
    if let Some(e) = failure {
        made.keep();
        return Err(e);
    }
    if let Some(p) = &o.pid_file {
        write_pid_file(p, pid)?;
    }
    Ok(record)
}

/// The hooks that the `*-hooks-before-setup` mutations run before the init builds the
/// container: prestart; createRuntime only when no prestart hook must run before them (so that
/// only their timing is wrong).
fn early_create_hooks(config: &serde_json::Value) -> Vec<Kind> {
    if mutation::active(Flaw::PrestartHooksBeforeSetup) {
        return vec![Kind::Prestart];
    }
    let no_prestart = hooks::of_kind(config, Kind::Prestart).is_empty();
    if mutation::active(Flaw::CreateRuntimeHooksBeforeSetup) && no_prestart {
        return vec![Kind::CreateRuntime];
    }
    Vec::new()
}

fn write_pid_file(path: &Path, pid: i32) -> Result<()> {
    let tmp = path.with_extension("ocicheck-tmp");
    fs::write(&tmp, pid.to_string())
        .and_then(|()| fs::rename(&tmp, path))
        .map_err(|e| Error::io(format!("cannot write the pid file {}", path.display()), e))
}

/// config-linux "User namespace mappings": written by the runtime into the new namespace.
fn write_id_maps(spec: &Spec, child: Pid) -> Result<()> {
    let linux = spec.linux().clone().unwrap_or_default();
    let map = |m: &Option<Vec<oci_spec::runtime::LinuxIdMapping>>| -> String {
        m.as_ref()
            .map(|v| {
                v.iter()
                    .map(|e| format!("{} {} {}\n", e.container_id(), e.host_id(), e.size()))
                    .collect()
            })
            .unwrap_or_default()
    };
    for (file, text) in [
        ("uid_map", map(linux.uid_mappings())),
        ("gid_map", map(linux.gid_mappings())),
    ] {
        if text.is_empty() {
            continue;
        }
        let path = format!("/proc/{child}/{file}");
        fs::write(&path, &text)
            .map_err(|e| Error::io(format!("cannot write {path} ({})", text.trim()), e))?;
    }
    Ok(())
}

/// The `chown-cgroup-v1` defect: the container's cgroup v1 directories are given to the host
/// user that is root in the container.
fn chown_cgroup_to_container_root(spec: &Spec, cgroup: &Cgroup) -> Result<()> {
    let linux = spec.linux().clone().unwrap_or_default();
    let host_root = |m: &Option<Vec<oci_spec::runtime::LinuxIdMapping>>| {
        m.as_ref()
            .and_then(|v| v.iter().find(|e| e.container_id() == 0))
            .map(|e| e.host_id())
            .unwrap_or(0)
    };
    let uid = nix::unistd::Uid::from_raw(host_root(linux.uid_mappings()));
    let gid = nix::unistd::Gid::from_raw(host_root(linux.gid_mappings()));
    for d in cgroup.dirs().iter().filter(|d| d.controllers.is_some()) {
        nix::unistd::chown(&d.path, Some(uid), Some(gid))
            .map_err(|e| Error::sys(format!("cannot chown {}", d.path.display()), e))?;
    }
    Ok(())
}
