//! `create` (runtime.md "Create"): from a bundle to a container that waits for `start`.
//!
//! Three processes take part. The runtime checks the config, makes the state directory and
//! the cgroup, and forks a setup child. The setup child enters or makes the namespaces (the
//! runtime writes the user namespace's ID maps) and forks the container's init, which is
//! PID 1 of a new PID namespace. The init builds the root filesystem, lets the runtime run the
//! prestart and createRuntime hooks, runs the createContainer hooks, pivots into the rootfs,
//! reports `Created`, and then waits on a socket in the state directory until `start`
//! (runtime.create.args-not-run: the user program does not run before that).

use std::fs;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use nix::sched::{setns, unshare, CloneFlags};
use nix::sys::signal::{kill, sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
use nix::sys::wait::waitpid;
use nix::unistd::{fork, setsid, ForkResult, Pid};
use oci_spec::runtime::{LinuxNamespaceType, Spec};
use serde_json::{json, Value};

use crate::cgroups::Cgroup;
use crate::error::{Error, Result};
use crate::hooks::{self, Kind};
use crate::state::{proc_stat, Locked, Record, Status, Store};
use crate::sync::{self, Channel, Msg};
use crate::{console, process, rootfs};

/// The options of `create` (and of the create half of `run`).
pub struct CreateOpts {
    pub id: String,
    pub bundle: PathBuf,
    pub pid_file: Option<PathBuf>,
    pub console_socket: Option<PathBuf>,
    /// Extra file descriptors (3, 4, ...) the container process keeps.
    pub preserve_fds: i32,
}

/// A checked config: the JSON as written and the typed spec.
pub struct Config {
    pub json: Value,
    pub spec: Spec,
    pub bundle: PathBuf,
}

/// Checks config bytes against every static MUST of their own spec version
/// (runtime.create.prevalidate); the error lists the findings.
pub fn validate(bundle: &Path, raw: &[u8]) -> Result<()> {
    use ocicheck_validator::{input, Options, Severity, Target, Validator};
    let report = Validator::new(Options {
        spec_version: None,
        host: true,
    })
    .validate_bytes(
        &Target::Bundle(bundle.to_path_buf()),
        input::ConfigBytes::Read(raw.to_vec()),
    );
    let errors: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            let at = if d.pointer.is_empty() {
                String::new()
            } else {
                format!(" at {}", d.pointer)
            };
            format!("[{}] {}{at}", d.requirement, d.message)
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::msg(format!(
            "{} is not a valid config: {}",
            bundle.join("config.json").display(),
            errors.join("; ")
        )))
    }
}

/// Reads the bundle's config; one that is not even JSON of the right types gets the
/// validator's account of why.
pub fn read_config(bundle: &Path) -> Result<(Config, Vec<u8>)> {
    use ocicheck_validator::{input, Target};
    let bundle = fs::canonicalize(bundle)
        .map_err(|e| Error::io(format!("bundle {}", bundle.display()), e))?;
    let raw = match input::read_config(&Target::Bundle(bundle.clone()))
        .map_err(|e| Error::msg(format!("bundle {}: {e}", bundle.display())))?
    {
        input::ConfigBytes::Read(b) => b,
        input::ConfigBytes::Unusable(why) | input::ConfigBytes::Misnamed(why) => {
            return Err(Error::msg(format!("bundle {}: {why}", bundle.display())))
        }
    };
    let parsed = serde_json::from_slice::<Value>(&raw)
        .map_err(|e| e.to_string())
        .and_then(|json| {
            serde_json::from_value::<Spec>(json.clone())
                .map(|spec| (json, spec))
                .map_err(|e| e.to_string())
        });
    match parsed {
        Ok((json, spec)) => Ok((Config { json, spec, bundle }, raw)),
        Err(why) => {
            validate(&bundle, &raw)?;
            Err(Error::msg(format!(
                "{}: not understood by this runtime: {why}",
                bundle.join("config.json").display()
            )))
        }
    }
}

/// Properties this runtime cannot apply: asking for them is an error at create, before anything
/// is made (runtime.create.unapplicable-property.error, ...no-container).
fn refuse_unsupported(config: &Value) -> Result<()> {
    const UNSUPPORTED: &[(&str, &str)] = &[
        ("/process/apparmorProfile", "AppArmor is not supported"),
        ("/process/selinuxLabel", "SELinux is not supported"),
        ("/linux/mountLabel", "SELinux is not supported"),
        (
            "/process/scheduler",
            "scheduling policies are not supported",
        ),
        ("/process/execCPUAffinity", "CPU affinity is not supported"),
        ("/linux/intelRdt", "Intel RDT is not supported"),
        (
            "/linux/netDevices",
            "moving network devices is not supported",
        ),
        (
            "/linux/memoryPolicy",
            "NUMA memory policies are not supported",
        ),
    ];
    for (pointer, why) in UNSUPPORTED {
        if config.pointer(pointer).is_some_and(|v| !v.is_null()) {
            let field = pointer.trim_start_matches('/').replace('/', ".");
            return Err(Error::msg(format!(
                "{field} is set, but this runtime cannot apply it: {why}"
            )));
        }
    }
    Ok(())
}

/// Namespaces to make (flags) and to join (type, open file).
struct Namespaces {
    new: CloneFlags,
    join: Vec<(LinuxNamespaceType, OwnedFd)>,
    new_user: bool,
    user: bool,
    cgroup: bool,
    mount: bool,
    uts: bool,
    time_new: bool,
}

fn clone_flag(t: LinuxNamespaceType) -> CloneFlags {
    match t {
        LinuxNamespaceType::Mount => CloneFlags::CLONE_NEWNS,
        LinuxNamespaceType::Cgroup => CloneFlags::CLONE_NEWCGROUP,
        LinuxNamespaceType::Uts => CloneFlags::CLONE_NEWUTS,
        LinuxNamespaceType::Ipc => CloneFlags::CLONE_NEWIPC,
        LinuxNamespaceType::User => CloneFlags::CLONE_NEWUSER,
        LinuxNamespaceType::Pid => CloneFlags::CLONE_NEWPID,
        LinuxNamespaceType::Network => CloneFlags::CLONE_NEWNET,
        LinuxNamespaceType::Time => CloneFlags::from_bits_retain(0x80),
    }
}

fn namespaces(spec: &Spec) -> Result<Namespaces> {
    let mut ns = Namespaces {
        new: CloneFlags::empty(),
        join: Vec::new(),
        new_user: false,
        user: false,
        cgroup: false,
        mount: false,
        uts: false,
        time_new: false,
    };
    let list = spec
        .linux()
        .as_ref()
        .and_then(|l| l.namespaces().clone())
        .unwrap_or_default();
    for n in &list {
        let t = n.typ();
        match t {
            LinuxNamespaceType::User => ns.user = true,
            LinuxNamespaceType::Cgroup => ns.cgroup = true,
            LinuxNamespaceType::Mount => ns.mount = true,
            LinuxNamespaceType::Uts => ns.uts = true,
            _ => {}
        }
        match n.path() {
            // linux.namespaces.path.joined: the process joins the namespace at `path`.
            Some(p) => {
                let f = fs::File::open(p).map_err(|e| {
                    Error::io(
                        format!("namespace {t:?}: cannot open path {}", p.display()),
                        e,
                    )
                })?;
                ns.join.push((t, OwnedFd::from(f)));
            }
            // linux.namespaces.no-path.new: without a path, a new namespace.
            None => {
                ns.new |= clone_flag(t);
                if t == LinuxNamespaceType::User {
                    ns.new_user = true;
                }
                if t == LinuxNamespaceType::Time {
                    ns.time_new = true;
                }
            }
        }
    }
    if !ns.mount {
        return Err(Error::msg(
            "linux.namespaces has no mount namespace: this runtime builds the root filesystem in one \
             and cannot run a container in the host's mount namespace",
        ));
    }
    // Joining a user namespace comes first, so the others are joined with its privileges.
    ns.join.sort_by_key(|(t, _)| *t != LinuxNamespaceType::User);
    Ok(ns)
}

/// Everything the children need; they see it through fork.
struct Setup<'a> {
    cfg: &'a Config,
    rootfs: PathBuf,
    ns: Namespaces,
    chan: Channel,
    listener: UnixListener,
    console: Option<UnixStream>,
    /// Descriptors the children must close at once (the runtime's side of things and the
    /// state directory's lock, which must not outlive the runtime).
    close_in_child: Vec<RawFd>,
    preserve_fds: i32,
    /// A connection to the seccomp agent at `listenerPath` (and that path), made before
    /// pivot_root.
    agent: Option<(PathBuf, UnixStream)>,
}

/// Runs `create`; returns the saved record.
pub fn create(store: &Store, o: &CreateOpts) -> Result<Record> {
    let (cfg, raw) = read_config(&o.bundle)?;
    crate::log::debug("config read");
    // runtime.create.prevalidate: nothing is made for a config that breaks a static rule of
    // its own release. The validator's schema checks are generated at build time, so this
    // costs a fraction of a millisecond.
    validate(&cfg.bundle, &raw)?;
    refuse_unsupported(&cfg.json)?;
    crate::log::debug("config checked");
    create_checked(store, o, &cfg)
}

fn create_checked(store: &Store, o: &CreateOpts, cfg: &Config) -> Result<Record> {
    let process = cfg.spec.process().as_ref().ok_or_else(|| {
        Error::msg(format!(
            "config.json has no process: there is nothing to run ({})",
            ocicheck_catalog::ids::CONFIG_PROCESS_REQUIRED_AT_START
        ))
    })?;
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
    let ns = namespaces(&cfg.spec)?;
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
    match create_in(cfg, o, rootfs, ns, console, &mut made) {
        Ok(record) => Ok(record),
        Err(e) => {
            made.undo();
            Err(e)
        }
    }
}

/// What create has made so far, to undo on failure (runtime.errors.no-side-effects,
/// runtime.create.bad-id.no-container).
struct Made {
    locked: Option<Locked>,
    cgroup: Option<Cgroup>,
    init: Option<i32>,
}

impl Made {
    fn undo(&mut self) {
        if let Some(pid) = self.init.take() {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        if let Some(cg) = self.cgroup.take() {
            let _ = cg.signal_all(Signal::SIGKILL);
            let _ = cg.destroy();
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
    )
    .map_err(|e| Error::msg(format!("cgroup: {e}")))?;
    made.cgroup = Some(cgroup.clone());
    crate::log::debug("cgroup made");

    let listener = bind_exec_socket(&dir)?;
    let (ours, theirs) = sync::pair()?;
    let lock_fd = made
        .locked
        .as_ref()
        .map(|l| l.fd().as_raw_fd())
        .unwrap_or(-1);
    let mut setup = Setup {
        cfg,
        rootfs,
        ns,
        chan: theirs,
        listener,
        console,
        close_in_child: vec![ours.raw(), lock_fd],
        preserve_fds: o.preserve_fds,
        agent: None,
    };

    // SAFETY: the runtime is single-threaded here; the child only runs this crate's code and
    // leaves by _exit.
    let child = match unsafe { fork() }.map_err(|e| Error::sys("fork", e))? {
        ForkResult::Child => stage1(&mut setup),
        ForkResult::Parent { child } => child,
    };
    drop(setup.chan);
    drop(setup.console.take());
    let result = parent_side(cfg, o, &cgroup, &ours, child, &setup.ns, made);
    // The setup child always ends quickly; reap it.
    let _ = waitpid(child, None);
    result
}

/// The exec socket: `start` connects to it to let the init run the user program.
fn bind_exec_socket(dir: &Path) -> Result<UnixListener> {
    let (_dir, target) = exec_socket(dir)?;
    UnixListener::bind(&target).map_err(|e| {
        Error::io(
            format!("cannot make the socket {}", dir.join("exec.sock").display()),
            e,
        )
    })
}

/// Connects to a container's exec socket.
pub fn connect_exec_socket(dir: &Path) -> Result<UnixStream> {
    let (_dir, target) = exec_socket(dir)?;
    UnixStream::connect(&target).map_err(|e| {
        Error::io(
            format!(
                "cannot reach the container's init at {}",
                dir.join("exec.sock").display()
            ),
            e,
        )
    })
}

/// The exec socket's address. Long state paths do not fit in sockaddr_un: those go through
/// /proc/self/fd of the open directory (kept open by the returned file).
fn exec_socket(dir: &Path) -> Result<(Option<fs::File>, PathBuf)> {
    let path = dir.join("exec.sock");
    if path.as_os_str().len() < 100 {
        return Ok((None, path));
    }
    let d =
        fs::File::open(dir).map_err(|e| Error::io(format!("cannot open {}", dir.display()), e))?;
    let short = PathBuf::from(format!("/proc/self/fd/{}/exec.sock", d.as_raw_fd()));
    Ok((Some(d), short))
}

#[allow(clippy::too_many_arguments)]
fn parent_side(
    cfg: &Config,
    o: &CreateOpts,
    cgroup: &Cgroup,
    chan: &Channel,
    child: Pid,
    ns: &Namespaces,
    made: &mut Made,
) -> Result<Record> {
    cgroup
        .add_process(child.as_raw())
        .map_err(|e| Error::msg(format!("cgroup: {e}")))?;
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
    // The init waits for this, so its messages never overtake the setup child's InitPid.
    chan.send(&Msg::Go)?;
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
    chan.wait_for(&Msg::RunCreateHooks)?;
    crate::log::debug("root filesystem built");
    // runtime.hooks.prestart.during-create, runtime.hooks.createRuntime.invoked: in the
    // runtime namespace, after the environment exists and before pivot_root.
    let state = record.oci_state(Status::Creating);
    let hooks = hooks::run_all(&cfg.json, Kind::Prestart, &state)
        .and_then(|()| hooks::run_all(&cfg.json, Kind::CreateRuntime, &state));
    if let Err(e) = hooks {
        // runtime.hooks.prestart.failure-error, runtime.hooks.createRuntime.failure-error.
        let _ = chan.send(&Msg::Failed(e.to_string()));
        return Err(e);
    }
    chan.send(&Msg::HooksDone(state.to_string()))?;
    chan.wait_for(&Msg::Created)?;
    crate::log::debug("container created");
    if let Some(l) = &made.locked {
        l.save(&record)?;
    }
    if let Some(p) = &o.pid_file {
        write_pid_file(p, pid)?;
    }
    Ok(record)
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

/// Leaves a forked child: report the error (if any) and exit without running the parent's
/// destructors or flushing its buffers.
fn child_exit(chan: &Channel, r: Result<()>) -> ! {
    let code = match r {
        Ok(()) => 0,
        Err(e) => {
            let _ = chan.send(&Msg::Failed(e.to_string()));
            1
        }
    };
    // SAFETY: _exit is always safe; it ends this process only.
    unsafe { nix::libc::_exit(code) }
}

/// The setup child: namespaces, then the init.
fn stage1(s: &mut Setup) -> ! {
    for fd in &s.close_in_child {
        // SAFETY: closing descriptors this process inherited and will not use.
        unsafe {
            nix::libc::close(*fd);
        }
    }
    let r = (|| -> Result<()> {
        let join = |s: &Setup| -> Result<()> {
            for (t, fd) in &s.ns.join {
                // linux.namespaces.path.type-mismatch.error: setns with the type refuses a
                // file of another namespace type.
                setns(fd, clone_flag(*t))
                    .map_err(|e| Error::sys(format!("cannot join the {t:?} namespace"), e))?;
                if *t == LinuxNamespaceType::User {
                    become_root()?;
                }
            }
            Ok(())
        };
        let rest = s.ns.new.difference(CloneFlags::CLONE_NEWUSER);
        if s.ns.new_user {
            // The user namespace first: the others are then owned by it. Its ID maps are
            // written by the runtime, once this process is in its cgroup.
            s.chan.wait_for(&Msg::Go)?;
            unshare(CloneFlags::CLONE_NEWUSER).map_err(|e| Error::sys("unshare(user)", e))?;
            s.chan.send(&Msg::UsernsReady)?;
            s.chan.wait_for(&Msg::MappingsDone)?;
            become_root()?;
            join(s)?;
            unshare(rest).map_err(|e| Error::sys(format!("unshare({rest:?})"), e))?;
        } else {
            // While the runtime puts this process in its cgroup (milliseconds on cgroup v1),
            // make the namespaces. Only a new cgroup namespace waits: its root is the cgroup
            // this process is in when it is made.
            join(s)?;
            let now = rest.difference(CloneFlags::CLONE_NEWCGROUP);
            unshare(now).map_err(|e| Error::sys(format!("unshare({now:?})"), e))?;
            s.chan.wait_for(&Msg::Go)?;
            if rest.contains(CloneFlags::CLONE_NEWCGROUP) {
                unshare(CloneFlags::CLONE_NEWCGROUP)
                    .map_err(|e| Error::sys("unshare(cgroup)", e))?;
            }
        }
        if s.ns.time_new {
            write_time_offsets(&s.cfg.spec)?;
        }
        // SAFETY: single-threaded; the child runs init and leaves by _exit.
        match unsafe { fork() }.map_err(|e| Error::sys("fork", e))? {
            ForkResult::Child => init(s),
            ForkResult::Parent { child } => s.chan.send(&Msg::InitPid(child.as_raw())),
        }
    })();
    child_exit(&s.chan, r)
}

fn become_root() -> Result<()> {
    let root_g = nix::unistd::Gid::from_raw(0);
    let root_u = nix::unistd::Uid::from_raw(0);
    nix::unistd::setresgid(root_g, root_g, root_g)
        .and_then(|()| nix::unistd::setresuid(root_u, root_u, root_u))
        .map_err(|e| Error::sys("cannot become root of the user namespace", e))
}

/// config-linux timeOffsets: the new time namespace's clock offsets.
fn write_time_offsets(spec: &Spec) -> Result<()> {
    let Some(offsets) = spec.linux().as_ref().and_then(|l| l.time_offsets().clone()) else {
        return Ok(());
    };
    let mut text = String::new();
    for (clock, off) in &offsets {
        text.push_str(&format!(
            "{clock} {} {}\n",
            off.secs().unwrap_or(0),
            off.nanosecs().unwrap_or(0)
        ));
    }
    fs::write("/proc/self/timens_offsets", &text)
        .map_err(|e| Error::io(format!("cannot write time offsets {:?}", text.trim()), e))
}

extern "C" fn exit_on_signal(sig: nix::libc::c_int) {
    // SAFETY: _exit is async-signal-safe.
    unsafe { nix::libc::_exit(128 + sig) }
}

/// Until `start`, the init (PID 1 of its namespace, which ignores signals it does not handle)
/// ends on the usual termination signals, so `kill` works on a created container
/// (runtime.kill.signal-delivered).
fn exit_on_termination_signals() {
    let act = SigAction::new(
        SigHandler::Handler(exit_on_signal),
        SaFlags::empty(),
        SigSet::empty(),
    );
    for sig in [
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGQUIT,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
        Signal::SIGALRM,
    ] {
        // SAFETY: the handler only calls _exit.
        let _ = unsafe { sigaction(sig, &act) };
    }
}

/// What the init has ready for exec once `start` comes.
struct Ready {
    process: oci_spec::runtime::Process,
    exec: process::Exec,
    caps: process::Caps,
    seccomp: Option<crate::seccomp::Filter>,
}

/// The container's init: builds the container, then waits for start.
fn init(s: &mut Setup) -> ! {
    let r = (|| -> Result<Ready> {
        s.chan.wait_for(&Msg::Go)?;
        setsid().map_err(|e| Error::sys("setsid", e))?;
        exit_on_termination_signals();
        prepare(s)
    })();
    let ready = match r {
        Ok(ready) => ready,
        Err(e) => child_exit(&s.chan, Err(e)),
    };
    if let Err(e) = s.chan.send(&Msg::Created) {
        child_exit(&s.chan, Err(e));
    }
    wait_for_start(s, ready)
}

fn prepare(s: &mut Setup) -> Result<Ready> {
    let spec = &s.cfg.spec;
    let json = &s.cfg.json;
    let linux = spec.linux().clone().unwrap_or_default();
    let process = spec
        .process()
        .clone()
        .ok_or_else(|| Error::msg("no process"))?;
    // The root filesystem and the mounts, in config order (config.mounts.order).
    rootfs::prepare_root(&s.rootfs)?;
    for m in spec.mounts().clone().unwrap_or_default() {
        rootfs::mount_one(&s.rootfs, &s.cfg.bundle, &m, s.ns.cgroup)?;
    }
    let dev_is_host_bind = spec.mounts().as_ref().is_some_and(|ms| {
        ms.iter().any(|m| {
            m.destination() == Path::new("/dev")
                && m.options()
                    .as_ref()
                    .is_some_and(|o| o.iter().any(|x| x == "bind" || x == "rbind"))
        })
    });
    if !dev_is_host_bind {
        rootfs::create_devices(
            &s.rootfs,
            &linux.devices().clone().unwrap_or_default(),
            s.ns.user,
        )?;
    }
    // config-linux sysctl: written through /proc/sys, which shows this process's
    // namespaces.
    if let Some(sysctl) = linux.sysctl() {
        for (key, value) in sysctl {
            let path = format!("/proc/sys/{}", key.replace('.', "/"));
            fs::write(&path, value)
                .map_err(|e| Error::io(format!("linux.sysctl {key:?}={value:?}: {path}"), e))?;
        }
    }
    // config.process.oomScoreAdj.applied (and left alone when unset).
    if let Some(adj) = process.oom_score_adj() {
        fs::write("/proc/self/oom_score_adj", adj.to_string())
            .map_err(|e| Error::io(format!("process.oomScoreAdj {adj}"), e))?;
    }
    // config.hostname / config.domainname, in the container's UTS namespace.
    if let Some(h) = spec.hostname() {
        nix::unistd::sethostname(h).map_err(|e| Error::sys(format!("hostname {h:?}"), e))?;
    }
    if let Some(d) = json["domainname"].as_str() {
        // SAFETY: a valid pointer and length of a live str.
        let rc = unsafe { nix::libc::setdomainname(d.as_ptr().cast(), d.len()) };
        if rc != 0 {
            return Err(Error::io(
                format!("domainname {d:?}"),
                std::io::Error::last_os_error(),
            ));
        }
    }
    s.chan.send(&Msg::RunCreateHooks)?;
    let state: Value = match s.chan.recv()? {
        Msg::HooksDone(text) => serde_json::from_str(&text).unwrap_or(Value::Null),
        Msg::Failed(why) => return Err(Error::Msg(why)),
        other => return Err(Error::msg(format!("setup protocol: unexpected {other:?}"))),
    };
    // runtime.hooks.createContainer.invoked: in the container namespaces, before
    // pivot_root, with paths resolved in the runtime namespace.
    hooks::run_all(json, Kind::CreateContainer, &state)?;
    let seccomp = match linux.seccomp() {
        Some(sc) => Some(
            crate::seccomp::compile(sc).map_err(|e| Error::msg(format!("linux.seccomp: {e}")))?,
        ),
        None => None,
    };
    // listenerPath names a socket in the runtime's mount namespace: connect while it is seen
    // (and only when a rule notifies: otherwise it is ignored).
    let listener = linux
        .seccomp()
        .as_ref()
        .and_then(|sc| sc.listener_path().clone())
        .filter(|_| seccomp.as_ref().is_some_and(|f| f.uses_notify()));
    if let Some(path) = listener {
        let conn = UnixStream::connect(&path)
            .map_err(|e| Error::io(format!("linux.seccomp.listenerPath {}", path.display()), e))?;
        s.agent = Some((path, conn));
    }
    rootfs::pivot(&s.rootfs)?;
    rootfs::root_propagation(spec)?;
    if let Some(sock) = s.console.take() {
        console::setup(&sock, process.console_size().as_ref())?;
    }
    rootfs::mask_paths(&linux.masked_paths().clone().unwrap_or_default())?;
    rootfs::readonly_paths(&linux.readonly_paths().clone().unwrap_or_default())?;
    if spec
        .root()
        .as_ref()
        .and_then(|r| r.readonly())
        .unwrap_or(false)
    {
        rootfs::readonly_root()?;
    }
    // runtime.create.process-props-early: everything that can be checked about the process is
    // checked now, so create fails rather than start.
    let exec = process::prepare_exec(&process)?;
    let mut warnings = Vec::new();
    let caps = process::read_caps(process.capabilities().as_ref(), &mut warnings)?;
    for w in &warnings {
        eprintln!("ocicheck-runtime: warning: {w}");
    }
    Ok(Ready {
        process,
        exec,
        caps,
        seccomp,
    })
}

/// Waits for `start`, then runs the startContainer hooks and becomes the user program.
fn wait_for_start(s: &mut Setup, ready: Ready) -> ! {
    let mut conn = loop {
        match s.listener.accept() {
            Ok((c, _)) => break c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // SAFETY: _exit ends this process only.
            Err(_) => unsafe { nix::libc::_exit(1) },
        }
    };
    let mut text = String::new();
    let _ = conn.read_to_string(&mut text);
    let state: Value = serde_json::from_str(&text).unwrap_or(json!({}));
    // runtime.hooks.startContainer.invoked: in the container, after start, before the
    // program; a failure stops the container (runtime.hooks.startContainer.failure-error).
    let r = hooks::run_all(&s.cfg.json, Kind::StartContainer, &state);
    let r = r.and_then(|()| {
        conn.write_all(b"K")
            .map_err(|e| Error::io("cannot answer start", e))
    });
    let r = r.and_then(|()| become_program(s, ready, &state));
    let msg = match r {
        Err(e) => e.to_string(),
        Ok(never) => match never {},
    };
    let _ = conn.write_all(format!("E{msg}").as_bytes());
    // SAFETY: _exit ends this process only.
    unsafe { nix::libc::_exit(127) }
}

/// The last steps, in the order that keeps each one possible, then execve.
fn become_program(s: &mut Setup, ready: Ready, state: &Value) -> Result<std::convert::Infallible> {
    let process = &ready.process;
    let nnp = process.no_new_privileges().unwrap_or(false);
    // Descriptors beyond stdio and the preserved ones do not reach the program
    // (runtime.linux.fds.extra).
    close_extra_fds(3 + s.preserve_fds.max(0))?;
    process::set_rlimits(&process.rlimits().clone().unwrap_or_default())?;
    process::set_personality(&s.cfg.json)?;
    process::set_io_priority(&s.cfg.json)?;
    let mut seccomp = ready.seccomp;
    if !nnp {
        // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it while we have it.
        if let Some(f) = seccomp.take() {
            load_seccomp(s, f, state)?;
        }
    }
    process::drop_bounding(&ready.caps)?;
    process::switch_user_and_caps(process, &ready.caps)?;
    process::umask_and_cwd(process)?;
    if nnp {
        // config.process.noNewPrivileges.
        nix::sys::prctl::set_no_new_privs().map_err(|e| Error::sys("PR_SET_NO_NEW_PRIVS", e))?;
    }
    if let Some(f) = seccomp.take() {
        load_seccomp(s, f, state)?;
    }
    // Signal handlers do not survive execve, but the mask does: unblock everything.
    let _ = SigSet::all().thread_unblock();
    let e = nix::unistd::execve(&ready.exec.program, &ready.exec.args, &ready.exec.env)
        .err()
        .unwrap_or(nix::errno::Errno::UnknownErrno);
    Err(Error::sys(
        format!("cannot execute {:?}", ready.exec.program),
        e,
    ))
}

/// Loads the filter; with a listener, sends it the container process state and the notify fd
/// (linux.seccomp.listener.*, linux.container-process-state.*).
fn load_seccomp(s: &mut Setup, f: crate::seccomp::Filter, container_state: &Value) -> Result<()> {
    let fd = f
        .load()
        .map_err(|e| Error::msg(format!("cannot load the seccomp filter: {e}")))?;
    // A notify fd exists only when a rule notifies, and then prepare() connected the agent.
    if let (Some(fd), Some((path, conn))) = (fd, s.agent.take()) {
        let meta = s
            .cfg
            .json
            .pointer("/linux/seccomp/listenerMetadata")
            .and_then(Value::as_str);
        let state = crate::seccomp::process_state(
            s.cfg.spec.version(),
            nix::unistd::getpid().as_raw(),
            meta,
            container_state.clone(),
        );
        let bytes = serde_json::to_vec(&state).unwrap_or_default();
        use std::os::fd::AsFd;
        // linux.seccomp.listener.send-failure.error: a failed send fails the start.
        crate::seccomp::send_on(conn, &path, fd.as_fd(), &bytes)
            .map_err(|e| Error::msg(format!("seccomp listener: {e}")))?;
    }
    Ok(())
}

fn close_extra_fds(first: i32) -> Result<()> {
    let entries = fs::read_dir("/proc/self/fd").map_err(|e| Error::io("/proc/self/fd", e))?;
    let fds: Vec<i32> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
        .filter(|fd| *fd >= first)
        .collect();
    for fd in fds {
        // Close-on-exec rather than close: the read_dir handle and the start socket stay
        // usable until execve.
        // SAFETY: fcntl on a descriptor number; a stale one just fails with EBADF.
        unsafe {
            let flags = nix::libc::fcntl(fd, nix::libc::F_GETFD);
            if flags >= 0 {
                nix::libc::fcntl(fd, nix::libc::F_SETFD, flags | nix::libc::FD_CLOEXEC);
            }
        }
    }
    Ok(())
}
