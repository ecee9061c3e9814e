//! The container's init: builds the container (root filesystem and mounts, devices, sysctl,
//! hostname, the createContainer hooks, pivot_root, masked and read-only paths), reports it
//! created, waits for `start`, and becomes the user program.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;

use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
use nix::unistd::setsid;
use oci_spec::runtime::LinuxNamespaceType;
use serde_json::{json, Value};

use super::{child_exit, isolation, Context, START_ACK, START_ERROR};
use crate::error::{Error, Result};
use crate::hooks::{self, Kind};
use crate::mutation::{self, Flaw};
use crate::sync::Msg;
use crate::{console, process, rootfs};

/// A process killed by signal N reports exit status 128 + N (the shell's convention).
const EXIT_SIGNAL_BASE: nix::libc::c_int = 128;
/// The init's exit status when `start` could not run the program (127, as a shell reports a
/// command it could not run).
const EXIT_START_FAILED: nix::libc::c_int = 127;
/// The first descriptor after stdin, stdout and stderr.
const FIRST_EXTRA_FD: i32 = 3;

extern "C" fn exit_on_signal(sig: nix::libc::c_int) {
    // SAFETY: _exit is async-signal-safe.
    unsafe { nix::libc::_exit(EXIT_SIGNAL_BASE + sig) }
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
    /// A createContainer hook's failure, carried on (`keep-running-after-hook-failure`).
    hook_failure: Option<String>,
    /// The startContainer hooks' programs, opened in the runtime namespace before pivot_root
    /// (`startcontainer-hook-path-in-runtime`), or why one could not be.
    start_hooks_opened: Option<std::result::Result<Vec<fs::File>, String>>,
}

/// The container's init: builds the container, then waits for start.
pub(super) fn run(s: &mut Context) -> ! {
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
    let created = match &ready.hook_failure {
        Some(why) => Msg::CreatedDespite(why.clone()),
        None => Msg::Created,
    };
    if let Err(e) = s.chan.send(&created) {
        child_exit(&s.chan, Err(e));
    }
    if mutation::runs_program_at_create() {
        let r = become_program(s, ready, &json!({}));
        child_exit(&s.chan, r.map(|_| ()));
    }
    wait_for_start(s, ready)
}

fn prepare(s: &mut Context) -> Result<Ready> {
    let spec = &s.cfg.spec;
    let json = &s.cfg.json;
    let linux = spec.linux().clone().unwrap_or_default();
    let process = spec
        .process()
        .clone()
        .ok_or_else(|| Error::msg("no process"))?;
    let early = hooks::create_container_before_setup(json);
    if early {
        let state = match s.chan.recv()? {
            Msg::HooksDone(text) => serde_json::from_str(&text).unwrap_or(Value::Null),
            other => return Err(Error::msg(format!("setup protocol: unexpected {other:?}"))),
        };
        hooks::run_all(json, Kind::CreateContainer, &state)?;
    }
    // The root filesystem and the mounts, in config order (config.mounts.order).
    rootfs::prepare_root(&s.rootfs)?;
    let mut mounts: Vec<(usize, _)> = spec
        .mounts()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .collect();
    if mutation::active(Flaw::ReverseMountOrder) {
        mounts.reverse();
    }
    if mutation::active(Flaw::SkipSysfsMount) {
        mounts.retain(|(_, m)| m.typ().as_deref() != Some("sysfs"));
    }
    for (i, mut m) in mounts {
        // config.mounts.destination.linux.relative-from-root: rootfs::secure_join reads a
        // relative destination from the container's "/".
        if m.destination().is_relative() && mutation::active(Flaw::RelativeDestinationFromCwd) {
            m.set_destination(Path::new(process.cwd()).join(m.destination()));
        }
        let prepared = s.idmapped.iter().find(|(j, _)| *j == i).map(|(_, t)| t);
        let ns = (s.ns.cgroup, s.ns.user);
        // runtime.lifecycle.create.unable-error: a mount that cannot be made fails create.
        match rootfs::mount_one(&s.rootfs, &s.cfg.bundle, &m, ns, prepared) {
            Err(_) if mutation::active(Flaw::SkipFailedMount) => {}
            r => r?,
        }
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
        let devices = linux
            .devices()
            .clone()
            .filter(|_| !mutation::active(Flaw::IgnoreDevices))
            .unwrap_or_default();
        rootfs::create_devices(&s.rootfs, &devices, s.ns.user)?;
    }
    // config-linux sysctl: written through /proc/sys, which shows this process's
    // namespaces. Create refused every key the config's namespaces do not isolate; one whose
    // namespace a mutation did not make (skip-ipc-namespace, ...) is left alone, so that no
    // defect ever changes the host.
    let sysctl = linux
        .sysctl()
        .as_ref()
        .filter(|_| !mutation::active(Flaw::IgnoreSysctl));
    if let Some(sysctl) = sysctl {
        for (key, value) in sysctl.iter().filter(|(k, _)| isolation::isolates(&s.ns, k)) {
            let path = format!("/proc/sys/{}", key.replace('.', "/"));
            // runtime.create.unapplicable-property.error: a key that cannot be written fails
            // create.
            match fs::write(&path, value) {
                Err(_) if mutation::active(Flaw::IgnoreUnwritableSysctl) => {}
                r => {
                    r.map_err(|e| Error::io(format!("linux.sysctl {key:?}={value:?}: {path}"), e))?
                }
            }
        }
    }
    // config.process.oomScoreAdj.applied, and left as inherited when unset (...unset-untouched).
    let adj = process
        .oom_score_adj()
        .or_else(|| mutation::active(Flaw::ResetOomScoreAdj).then_some(0))
        .filter(|_| !mutation::active(Flaw::IgnoreOomScoreAdj));
    if let Some(adj) = adj {
        fs::write("/proc/self/oom_score_adj", adj.to_string())
            .map_err(|e| Error::io(format!("process.oomScoreAdj {adj}"), e))?;
    }
    // config.hostname / config.domainname, in the container's UTS namespace (create refused
    // them without one; under skip-uts-namespace they are left alone, not set on the host).
    let own_uts = s.ns.is_private(LinuxNamespaceType::Uts);
    let hostname = spec
        .hostname()
        .as_ref()
        .filter(|_| own_uts && !mutation::active(Flaw::IgnoreHostname));
    if let Some(h) = hostname {
        nix::unistd::sethostname(h).map_err(|e| Error::sys(format!("hostname {h:?}"), e))?;
    }
    let domainname = json["domainname"]
        .as_str()
        .filter(|_| own_uts && !mutation::active(Flaw::IgnoreDomainname));
    if let Some(d) = domainname {
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
    let mut hook_failure = None;
    if !mutation::active(Flaw::CreateContainerHooksInRuntimeNamespace) && !early {
        match hooks::run_all(json, Kind::CreateContainer, &state) {
            Err(e) if mutation::active(Flaw::KeepRunningAfterHookFailure) => {
                hook_failure = Some(e.to_string());
            }
            r => r?,
        }
    }
    let start_hooks_opened = mutation::active(Flaw::StartContainerHookPathInRuntime).then(|| {
        hooks::of_kind(json, Kind::StartContainer)
            .iter()
            .map(|h| fs::File::open(&h.path).map_err(|e| format!("{}: {e}", h.path)))
            .collect()
    });
    let seccomp = match linux
        .seccomp()
        .as_ref()
        .filter(|_| !mutation::active(Flaw::IgnoreSeccomp))
    {
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
        // linux.seccomp.listener.send-failure.error: an agent that cannot be reached is an
        // error.
        match crate::seccomp::connect(&path) {
            Ok(conn) => s.agent = Some((path, conn)),
            Err(_) if mutation::active(Flaw::IgnoreListenerSendFailure) => {}
            Err(e) => {
                return Err(Error::io(
                    format!("linux.seccomp.listenerPath {}", path.display()),
                    e,
                ))
            }
        }
    }
    rootfs::pivot(&s.rootfs)?;
    if mutation::active(Flaw::StartContainerHooksAtCreate) {
        hooks::run_all(json, Kind::StartContainer, &state)?;
    }
    if !mutation::active(Flaw::IgnoreRootfsPropagation) {
        rootfs::root_propagation(spec)?;
    }
    if let Some(sock) = s.console.take() {
        console::setup(&sock, process.console_size().as_ref())?;
    }
    if !mutation::active(Flaw::IgnoreMaskedPaths) {
        rootfs::mask_paths(&linux.masked_paths().clone().unwrap_or_default())?;
    }
    if !mutation::active(Flaw::IgnoreReadonlyPaths) {
        rootfs::readonly_paths(&linux.readonly_paths().clone().unwrap_or_default())?;
    }
    if spec
        .root()
        .as_ref()
        .and_then(|r| r.readonly())
        .unwrap_or(false)
        && !mutation::active(Flaw::IgnoreRootReadonly)
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
        hook_failure,
        start_hooks_opened,
    })
}

/// Waits for `start`, then runs the startContainer hooks and becomes the user program.
fn wait_for_start(s: &mut Context, ready: Ready) -> ! {
    let mut conn = loop {
        match s.listener.accept() {
            Ok((c, _)) => break c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // SAFETY: _exit ends this process only.
            Err(_) => unsafe { nix::libc::_exit(nix::libc::EXIT_FAILURE) },
        }
    };
    let mut text = String::new();
    let _ = conn.read_to_string(&mut text);
    let state: Value = serde_json::from_str(&text).unwrap_or(json!({}));
    // runtime.hooks.startContainer.invoked: in the container, after start, before the
    // program; a failure stops the container (runtime.hooks.startContainer.failure-error).
    let r = run_start_container_hooks(&s.cfg.json, &ready, &state);
    if let Err(e) = &r {
        if mutation::active(Flaw::KeepRunningAfterHookFailure) {
            // The error goes to start, and the program runs all the same.
            let _ = conn.write_all(format!("{START_ERROR}{e}").as_bytes());
            let r = become_program(s, ready, &state);
            let _ = r.map_err(|e| eprintln!("ocicheck-runtime: {e}"));
            // SAFETY: _exit ends this process only.
            unsafe { nix::libc::_exit(EXIT_START_FAILED) }
        }
    }
    let r = r.and_then(|()| {
        conn.write_all(START_ACK.to_string().as_bytes())
            .map_err(|e| Error::io("cannot answer start", e))
    });
    let r = r.and_then(|()| become_program(s, ready, &state));
    let msg = match r {
        Err(e) => e.to_string(),
        Ok(never) => match never {},
    };
    let _ = conn.write_all(format!("{START_ERROR}{msg}").as_bytes());
    // SAFETY: _exit ends this process only.
    unsafe { nix::libc::_exit(EXIT_START_FAILED) }
}

/// The startContainer hooks, in the container, their paths resolved in it; under mutations,
/// their programs opened in the runtime namespace, or not run here at all (start runs them).
fn run_start_container_hooks(config: &Value, ready: &Ready, state: &Value) -> Result<()> {
    if mutation::active(Flaw::StartContainerHooksInRuntimeNamespace)
        || mutation::active(Flaw::StartContainerHooksAtCreate)
    {
        return Ok(());
    }
    match &ready.start_hooks_opened {
        None => hooks::run_all(config, Kind::StartContainer, state),
        Some(Err(why)) => Err(Error::msg(format!("startContainer hook: {why}"))),
        Some(Ok(files)) => {
            use std::os::fd::AsRawFd;
            let paths: Vec<String> = files
                .iter()
                .map(|f| format!("/proc/self/fd/{}", f.as_raw_fd()))
                .collect();
            hooks::run_all_from(config, Kind::StartContainer, state, &paths)
        }
    }
}

/// The last steps, in the order that keeps each one possible, then execve.
fn become_program(
    s: &mut Context,
    ready: Ready,
    state: &Value,
) -> Result<std::convert::Infallible> {
    let process = &ready.process;
    let nnp = process.no_new_privileges().unwrap_or(false)
        && !mutation::active(Flaw::IgnoreNoNewPrivileges);
    // Descriptors beyond stdio and the preserved ones do not reach the program
    // (runtime.linux.fds.extra).
    close_extra_fds(FIRST_EXTRA_FD + s.preserve_fds.max(0))?;
    process::set_rlimits(&process.rlimits().clone().unwrap_or_default())?;
    if !mutation::active(Flaw::IgnorePersonality) {
        process::set_personality(&s.cfg.json)?;
    }
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
fn load_seccomp(s: &mut Context, f: crate::seccomp::Filter, container_state: &Value) -> Result<()> {
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
