//! The operations after create (runtime.md "Operations"): state, start, kill, delete, and
//! runc's run and list.

use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;

use crate::create::{self, CreateOpts};
use crate::error::{Error, Result};
use crate::hooks::{self, Kind};
use crate::mutation::{self, Flaw};
use crate::state::{Record, Status, Store};

/// How long a forced stop waits for the container's process to be gone.
const STOP_WAIT: Duration = Duration::from_secs(5);
/// The pause between two looks at the stopping process.
const STOP_POLL: Duration = Duration::from_millis(2);
/// The pause between two looks at an exiting process that is not our child.
const EXIT_POLL: Duration = Duration::from_millis(5);
/// A process killed by signal N reports exit status 128 + N (the shell's convention).
const EXIT_SIGNAL_BASE: i32 = 128;

/// `state ID` (runtime.query-state.returns-state).
pub fn state(store: &Store, id: &str) -> Result<Value> {
    if mutation::active(Flaw::RefuseStateOperation) {
        return Err(Error::msg("state: operation not supported"));
    }
    let (_lock, record) = match store.load(id) {
        Err(Error::NotFound(_)) if mutation::active(Flaw::AcceptUnknownId) => {
            return Ok(serde_json::json!({}))
        }
        r => r?,
    };
    Ok(as_reported(record.oci_state(record.status())))
}

/// The state as the `state` operation prints it: as it is, unless a mutation of the state's
/// fields is active.
fn as_reported(mut state: Value) -> Value {
    let Some(obj) = state.as_object_mut() else {
        return state;
    };
    let flaw = mutation::current().map(|m| m.flaw);
    match flaw {
        Some(Flaw::StatePidPlusOne) => {
            if let Some(pid) = obj.get("pid").and_then(Value::as_i64) {
                obj.insert("pid".into(), (pid + 1).into());
            }
        }
        Some(Flaw::StatePidContainerView) if obj.contains_key("pid") => {
            obj.insert("pid".into(), 1.into());
        }
        Some(Flaw::StateWithoutId) => drop(obj.remove("id")),
        Some(Flaw::StateWithoutPid) => drop(obj.remove("pid")),
        Some(Flaw::StateWithoutBundle) => drop(obj.remove("bundle")),
        Some(Flaw::StateBundleNotString) => {
            if let Some(b) = obj.get("bundle").and_then(Value::as_str) {
                let parts: Vec<Value> = b.split('/').map(|p| p.into()).collect();
                obj.insert("bundle".into(), parts.into());
            }
        }
        Some(Flaw::StatePrintsStatusOnly) => return obj.remove("status").unwrap_or_default(),
        Some(Flaw::StateWithoutStatus) => drop(obj.remove("status")),
        Some(Flaw::StateWithoutOciVersion) => drop(obj.remove("ociVersion")),
        Some(Flaw::StateWithoutAnnotations) => drop(obj.remove("annotations")),
        Some(Flaw::StateOciVersionRuntimeVersion) => {
            obj.insert("ociVersion".into(), env!("CARGO_PKG_VERSION").into());
        }
        Some(Flaw::StateRelativeBundle) => {
            if let Some(b) = obj.get("bundle").and_then(Value::as_str) {
                let relative = b.trim_start_matches('/').to_string();
                obj.insert("bundle".into(), relative.into());
            }
        }
        Some(Flaw::StateStatusCapitalised) => {
            if let Some(s) = obj.get("status").and_then(Value::as_str) {
                let mut c = s.chars();
                let cap: String = c
                    .next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default();
                obj.insert("status".into(), cap.into());
            }
        }
        _ => {}
    }
    state
}

/// Whether a config's own spec version has the 1.3.0 rule that a failing poststart hook is
/// an error (before it, a warning).
fn poststart_failure_is_error(version: &str) -> bool {
    if mutation::active(Flaw::PoststartFailureAlwaysError) {
        return true;
    }
    semver::Version::parse(version)
        .map(|v| (v.major, v.minor) >= (1, 3))
        .unwrap_or(true)
}

/// `start ID` (runtime.start.*).
pub fn start(store: &Store, id: &str) -> Result<()> {
    let (lock, mut record) = store.load(id)?;
    let status = record.status();
    if mutation::accepts_no_process() && record.config.get("process").is_none() {
        return Ok(());
    }
    if status != Status::Created && mutation::active(Flaw::AcceptStartTwice) {
        return Ok(());
    }
    if status != Status::Created {
        if mutation::active(Flaw::StartNotCreatedStopsContainer) {
            stop(&record);
        }
        // runtime.start.not-created.error, and nothing changes (…no-effect).
        return Err(Error::msg(format!(
            "container {id:?} is {}, not created: only a created container can be started",
            status
        )));
    }
    if mutation::active(Flaw::StartNoop) {
        return Ok(());
    }
    if mutation::active(Flaw::RereadConfigAtStart) {
        apply_edited_hostname(&record)?;
    }
    if mutation::active(Flaw::PrestartHooksAtStart) {
        hooks::run_all(
            &record.config,
            Kind::Prestart,
            &record.oci_state(Status::Created),
        )?;
    }
    if mutation::runs_program_at_create() {
        // The program runs already: only the record changes.
        record.started = true;
        return lock.save(&record);
    }
    let state = record.oci_state(Status::Created);
    if mutation::active(Flaw::StartContainerHooksInRuntimeNamespace) {
        let root = std::path::PathBuf::from(format!("/proc/{}/root", record.pid));
        hooks::run_all_chrooted(&record.config, Kind::StartContainer, &state, &root)?;
    }
    let mut conn = create::connect_exec_socket(&lock.dir)?;
    conn.write_all(state.to_string().as_bytes())
        .and_then(|()| conn.shutdown(std::net::Shutdown::Write))
        .map_err(|e| Error::io("cannot signal the container's init", e))?;
    let mut reply = String::new();
    let _ = conn.read_to_string(&mut reply);
    match reply.strip_prefix(create::START_ACK) {
        // The init closes the socket as it execs (close-on-exec): nothing more means the
        // program runs (runtime.start.run-process).
        Some("") => {}
        Some(rest) => {
            return Err(Error::msg(format!(
                "container {id:?}: {}",
                rest.strip_prefix(create::START_ERROR).unwrap_or(rest)
            )))
        }
        None => {
            let why = reply
                .strip_prefix(create::START_ERROR)
                .unwrap_or("the init exited");
            return Err(Error::msg(format!("container {id:?} did not start: {why}")));
        }
    }
    crate::log::debug("program started");
    record.started = true;
    lock.save(&record)?;
    if mutation::active(Flaw::PoststartHooksAfterStartReturns) {
        return poststart_in_background(&record);
    }
    // runtime.hooks.poststart.invoked: after the program started, before start returns.
    if let Err(e) = hooks::run_all(
        &record.config,
        Kind::Poststart,
        &record.oci_state(Status::Running),
    ) {
        if poststart_failure_is_error(&record.oci_version) {
            // runtime.hooks.poststart.failure-error (1.3.0): error, and the container stops.
            stop(&record);
            return Err(e);
        }
        // runtime.hooks.poststart.failure-warn (up to 1.2.x): a warning, start succeeds.
        crate::log::warn(&format!("{e}"));
    }
    Ok(())
}

/// How long the `poststart-hooks-after-start-returns` defect waits for start to have returned.
const BACKGROUND_HOOK_DELAY: Duration = Duration::from_millis(100);
/// The descriptors the background child closes: all but stdio, up to a bound.
const FIRST_NON_STDIO_FD: i32 = 3;
const MAX_CLOSED_FD: i32 = 1024;

/// The `poststart-hooks-after-start-returns` defect: a child, cut off from start's output, runs
/// the poststart hooks once start has returned.
fn poststart_in_background(record: &Record) -> Result<()> {
    // SAFETY: the runtime is single-threaded; the child only runs this crate's code and
    // leaves by _exit.
    match unsafe { nix::unistd::fork() }.map_err(|e| Error::sys("fork", e))? {
        nix::unistd::ForkResult::Parent { .. } => Ok(()),
        nix::unistd::ForkResult::Child => {
            if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
                use std::os::fd::AsRawFd;
                for fd in [1, 2] {
                    // SAFETY: dup2 onto the standard descriptors of this process only.
                    unsafe { nix::libc::dup2(null.as_raw_fd(), fd) };
                }
            }
            // Nothing of start's is kept open (its lock above all).
            for fd in FIRST_NON_STDIO_FD..MAX_CLOSED_FD {
                // SAFETY: closing descriptors of this process only.
                unsafe { nix::libc::close(fd) };
            }
            let parent = nix::unistd::getppid();
            let deadline = Instant::now() + STOP_WAIT;
            while nix::unistd::getppid() == parent && Instant::now() < deadline {
                std::thread::sleep(STOP_POLL);
            }
            std::thread::sleep(BACKGROUND_HOOK_DELAY);
            let state = record.oci_state(Status::Running);
            let _ = hooks::run_all(&record.config, Kind::Poststart, &state);
            // SAFETY: _exit ends this process only.
            unsafe { nix::libc::_exit(0) }
        }
    }
}

/// The `reread-config-at-start` defect: config.json's hostname as it is now, set in the
/// container's UTS namespace.
fn apply_edited_hostname(record: &Record) -> Result<()> {
    let path = record.bundle.join("config.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    let config: Value =
        serde_json::from_str(&text).map_err(|e| Error::msg(format!("{}: {e}", path.display())))?;
    let Some(hostname) = config["hostname"].as_str() else {
        return Ok(());
    };
    let ns = format!("/proc/{}/ns/uts", record.pid);
    let f = std::fs::File::open(&ns).map_err(|e| Error::io(format!("cannot open {ns}"), e))?;
    // Even this defect leaves the host's name alone: a container without a UTS namespace of
    // its own gets no hostname.
    let own = std::fs::metadata("/proc/self/ns/uts")
        .map_err(|e| Error::io("cannot stat /proc/self/ns/uts", e))?;
    let theirs = f
        .metadata()
        .map_err(|e| Error::io(format!("cannot stat {ns}"), e))?;
    if (own.dev(), own.ino()) == (theirs.dev(), theirs.ino()) {
        return Ok(());
    }
    nix::sched::setns(f, nix::sched::CloneFlags::CLONE_NEWUTS)
        .map_err(|e| Error::sys(format!("cannot join {ns}"), e))?;
    nix::unistd::sethostname(hostname).map_err(|e| Error::sys(format!("hostname {hostname:?}"), e))
}

/// A signal by name (`TERM`, `SIGTERM`) or number.
pub fn parse_signal(s: &str) -> Result<Signal> {
    if let Ok(n) = s.parse::<i32>() {
        return Signal::try_from(n).map_err(|_| Error::msg(format!("unknown signal {s:?}")));
    }
    let up = s.to_ascii_uppercase();
    let name = if up.starts_with("SIG") {
        up
    } else {
        format!("SIG{up}")
    };
    Signal::from_str(&name).map_err(|_| Error::msg(format!("unknown signal {s:?}")))
}

/// `kill [--all] ID [SIGNAL]` (runtime.kill.*).
pub fn kill_op(store: &Store, id: &str, signal: Option<&str>, all: bool) -> Result<()> {
    let given = signal.map(parse_signal).transpose()?;
    let (lock, record) = match store.load(id) {
        // `kill SIGNAL`: the signal taken for the (missing) id.
        Err(Error::NotFound(_))
            if mutation::active(Flaw::AcceptKillWithoutId) && parse_signal(id).is_ok() =>
        {
            return Ok(())
        }
        r => r?,
    };
    let status = record.status();
    if !matches!(status, Status::Created | Status::Running)
        && mutation::active(Flaw::AcceptKillStopped)
    {
        return Ok(());
    }
    if !matches!(status, Status::Created | Status::Running) {
        if mutation::active(Flaw::KillStoppedDeletesContainer) {
            drop(lock);
            let _ = delete(store, id, true);
        }
        // runtime.kill.wrong-state.error.
        return Err(Error::msg(format!(
            "container {id:?} is {}: only a created or running container can be signalled",
            status
        )));
    }
    if mutation::active(Flaw::KillNoop) {
        return Ok(());
    }
    let sig = match given {
        Some(sig) => sig,
        None => default_kill_signal(&record)?,
    };
    let sig = if mutation::active(Flaw::KillWrongSignal) {
        Signal::SIGUSR2
    } else {
        sig
    };
    // runtime.kill.signal-delivered. With --all, every process of the cgroup, the container
    // process among them (once: a handled signal must not arrive twice).
    match (&record.cgroup, all) {
        (Some(cg), true) => cg
            .signal_all(sig)
            .map_err(Error::cgroup("cannot signal the container's processes")),
        _ => kill(Pid::from_raw(record.pid), sig)
            .map_err(|e| Error::sys(format!("cannot send {sig} to pid {}", record.pid), e)),
    }
}

/// Kills every process of the container and waits (up to [`STOP_WAIT`]) until the main one is
/// gone.
fn stop(record: &Record) {
    if let Some(cg) = &record.cgroup {
        let _ = cg.signal_all(Signal::SIGKILL);
    }
    if record.status() != Status::Stopped {
        let _ = kill(Pid::from_raw(record.pid), Signal::SIGKILL);
    }
    let deadline = Instant::now() + STOP_WAIT;
    while record.status() != Status::Stopped && Instant::now() < deadline {
        std::thread::sleep(STOP_POLL);
    }
}

/// The annotation naming the signal that kills the container (runtime-spec 1.2.0).
const STOP_SIGNAL_ANNOTATION: &str = "org.opencontainers.image.stopSignal";

/// The signal `kill` sends when none is given: the config's image stop signal
/// (config.annotations.image.stopSignal.kill-signal), else SIGTERM as runc does.
fn default_kill_signal(record: &Record) -> Result<Signal> {
    let annotated = record.config["annotations"][STOP_SIGNAL_ANNOTATION]
        .as_str()
        .filter(|_| !mutation::active(Flaw::IgnoreImageStopSignal));
    match annotated {
        Some(name) => parse_signal(name)
            .map_err(|e| Error::msg(format!("annotation {STOP_SIGNAL_ANNOTATION}: {e}"))),
        None => Ok(Signal::SIGTERM),
    }
}

/// `delete [--force] ID` (runtime.delete.*).
pub fn delete(store: &Store, id: &str, force: bool) -> Result<()> {
    let (lock, record) = store.load(id)?;
    let status = record.status();
    if force && status == Status::Created && mutation::active(Flaw::ForceDeleteCreatedKeepsCgroup) {
        // runtime.lifecycle.destroy.undo-create, broken: only the state goes.
        return lock.remove();
    }
    let early_poststop = mutation::active(Flaw::PoststopHooksBeforeStop);
    if early_poststop && (force || status == Status::Stopped) {
        let _ = hooks::run_all(
            &record.config,
            Kind::Poststop,
            &record.oci_state(Status::Stopped),
        );
    }
    if status != Status::Stopped {
        if !force && mutation::active(Flaw::AcceptDeleteRunning) {
            return Ok(());
        }
        if !force {
            if mutation::active(Flaw::DeleteRunningStopsContainer) {
                stop(&record);
            }
            // runtime.delete.not-stopped.error, and nothing changes (…no-effect).
            return Err(Error::msg(format!(
                "container {id:?} is {}: stop it first, or delete --force",
                status
            )));
        }
        if mutation::active(Flaw::MoveNetDevicesBackOnDelete) && record.pid > 0 {
            let _ = crate::net::move_back(&record.config, record.pid);
        }
        stop(&record);
    }
    // runtime.delete.resources-removed: exactly what create made (the cgroup directories it
    // created, the state directory); runtime.delete.foreign-resources-kept.
    if let Some(cg) = &record.cgroup {
        let _ = cg.signal_all(Signal::SIGKILL);
        if !mutation::active(Flaw::KeepCgroupAfterDelete) {
            cg.destroy()
                .map_err(Error::cgroup("cannot remove the container's cgroup"))?;
        }
        if mutation::active(Flaw::RemoveForeignCgroup) {
            // The directories that were there before create go too.
            for d in cg.dirs() {
                let _ = std::fs::remove_dir(&d.path);
            }
        }
    }
    // runtime.hooks.poststop.invoked: after the container is deleted, before delete returns;
    // runtime.hooks.poststop.failure-warn.
    let poststop = if early_poststop {
        Ok(())
    } else {
        hooks::run_all(
            &record.config,
            Kind::Poststop,
            &record.oci_state(Status::Stopped),
        )
    };
    if let Err(e) = &poststop {
        crate::log::warn(&e.to_string());
    }
    if mutation::active(Flaw::KeepIdAfterDelete) {
        // The directory stays (its id taken); only the record goes.
        let path = lock.dir.join("state.json");
        return std::fs::remove_file(&path)
            .map_err(|e| Error::io(format!("cannot remove {}", path.display()), e));
    }
    // runtime.delete.id-reusable: the id is free again.
    let r = lock.remove();
    crate::log::debug("container deleted");
    match poststop {
        Err(e) if mutation::active(Flaw::FailDeleteOnPoststopHookFailure) => r.and(Err(e)),
        _ => r,
    }
}

/// `list`: the containers under the root.
pub fn list(store: &Store, format: &str, quiet: bool) -> Result<String> {
    let mut rows = Vec::new();
    for id in store.ids()? {
        if let Ok((_l, r)) = store.load(&id) {
            rows.push(r);
        }
    }
    if quiet {
        return Ok(rows.iter().map(|r| format!("{}\n", r.id)).collect());
    }
    match format {
        "json" => {
            let list: Vec<Value> = rows
                .iter()
                .map(|r| {
                    let status = r.status();
                    serde_json::json!({
                        "id": r.id,
                        "pid": if status == Status::Stopped { 0 } else { r.pid },
                        "status": status,
                        "bundle": r.bundle,
                        "created": r.created,
                        "annotations": r.config.get("annotations").cloned().unwrap_or(Value::Null),
                    })
                })
                .collect();
            Ok(format!(
                "{}\n",
                serde_json::to_string_pretty(&list).unwrap_or_default()
            ))
        }
        "table" => {
            let mut out = format!(
                "{:<24} {:<8} {:<8} {:<40} {}\n",
                "ID", "PID", "STATUS", "BUNDLE", "CREATED"
            );
            for r in &rows {
                let status = r.status();
                let pid = if status == Status::Stopped { 0 } else { r.pid };
                out.push_str(&format!(
                    "{:<24} {:<8} {:<8} {:<40} {}\n",
                    r.id,
                    pid,
                    status.to_string(),
                    r.bundle.display(),
                    r.created
                ));
            }
            Ok(out)
        }
        other => Err(Error::msg(format!(
            "unknown list format {other:?}: use table or json"
        ))),
    }
}

/// `run`: create, start, wait for the program and return its exit code; then delete
/// (unless `keep`). With `detach`, returns after start.
pub fn run(
    store: &Store,
    o: &CreateOpts,
    detach: bool,
    keep: bool,
    subreaper: bool,
) -> Result<i32> {
    if subreaper && !detach {
        // The init's parent exits during create: be the one it is handed to, to wait for it.
        nix::sys::prctl::set_child_subreaper(true)
            .map_err(|e| Error::sys("PR_SET_CHILD_SUBREAPER", e))?;
    }
    let record = create::create(store, o)?;
    if let Err(e) = start(store, &o.id) {
        let _ = delete(store, &o.id, true);
        return Err(e);
    }
    if detach {
        return Ok(0);
    }
    let code = wait_exit(record.pid);
    crate::log::debug("program exited");
    if !keep {
        delete(store, &o.id, true)?;
    }
    Ok(code)
}

/// The exit code of the container's process (128+N when killed by signal N).
fn wait_exit(pid: i32) -> i32 {
    use nix::sys::wait::{waitpid, WaitStatus};
    loop {
        match waitpid(Pid::from_raw(pid), None) {
            Ok(WaitStatus::Exited(_, code)) => return code,
            Ok(WaitStatus::Signaled(_, sig, _)) => return EXIT_SIGNAL_BASE + sig as i32,
            Ok(_) => continue,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => {
                // Not our child (no subreaper): poll until it is gone.
                while crate::state::proc_stat(pid).is_some_and(|(s, _)| s != 'Z') {
                    std::thread::sleep(EXIT_POLL);
                }
                return 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_by_name_and_number() {
        assert_eq!(parse_signal("TERM").unwrap(), Signal::SIGTERM);
        assert_eq!(parse_signal("sigkill").unwrap(), Signal::SIGKILL);
        assert_eq!(parse_signal("9").unwrap(), Signal::SIGKILL);
        assert_eq!(parse_signal("SIGUSR1").unwrap(), Signal::SIGUSR1);
        assert!(parse_signal("NOPE").is_err());
        assert!(parse_signal("999").is_err());
    }

    #[test]
    fn poststart_rule_follows_the_config_version() {
        assert!(!poststart_failure_is_error("1.0.2"));
        assert!(!poststart_failure_is_error("1.2.1"));
        assert!(poststart_failure_is_error("1.3.0"));
    }
}
