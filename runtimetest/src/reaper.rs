//! The harness as child subreaper: whatever a runtime starts and abandons (a double fork, a
//! container init whose runtime exited) is reparented to the harness instead of the host's init,
//! so it can be found, attributed to the case whose runtime invocation started it, killed and
//! reaped. The harness's own runtime invocations are spawned through [`spawn`], so the reaper
//! never takes the exit status their waiter is waiting for.

use std::collections::BTreeSet;
use std::process::{Child, Command};
use std::sync::Mutex;

use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

/// The environment variable set on every runtime invocation of a case, to the case's marker
/// (its container id). A container's own processes get their environment from the config,
/// so only what the runtime forks (and leaves) carries it.
pub const CASE_VAR: &str = "OCICHECK_CASE";

/// Children the harness spawned and waits for itself; the reaper leaves them alone.
static WAITED: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());

/// Makes this process the child subreaper of everything it starts from now on.
pub fn become_subreaper() -> std::io::Result<()> {
    nix::sys::prctl::set_child_subreaper(true).map_err(std::io::Error::from)
}

/// Spawns `cmd`, registered as a child its caller waits for (until [`waited`]).
pub fn spawn(cmd: &mut Command) -> std::io::Result<Child> {
    // Held across the spawn: the reaper cannot see the child before it is registered.
    let mut set = WAITED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let child = cmd.spawn()?;
    set.insert(child.id());
    Ok(child)
}

/// The caller has waited for the child `pid` (it is reaped).
pub fn waited(pid: u32) {
    WAITED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .remove(&pid);
}

/// The pids of this process's children (of every thread).
pub fn children() -> Vec<i32> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for t in tasks.flatten() {
        if let Ok(text) = std::fs::read_to_string(t.path().join("children")) {
            out.extend(
                text.split_whitespace()
                    .filter_map(|p| p.parse::<i32>().ok()),
            );
        }
    }
    out
}

/// Reaps every child that has exited and that nobody else waits for (orphans reparented to
/// the harness); returns their pids.
pub fn reap_orphans() -> Vec<i32> {
    let set = WAITED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut reaped = Vec::new();
    for pid in children() {
        if u32::try_from(pid).is_ok_and(|p| set.contains(&p)) {
            continue;
        }
        match waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) | Err(_) => {}
            Ok(_) => reaped.push(pid),
        }
    }
    reaped
}

/// Whether the process `pid` carries `CASE_VAR=marker` in its environment (a zombie, whose
/// environment is gone, does not).
pub fn carries_marker(pid: i32, marker: &str) -> bool {
    let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else {
        return false;
    };
    let want = format!("{CASE_VAR}={marker}");
    env.split(|b| *b == 0).any(|v| v == want.as_bytes())
}

/// Whether the process `pid` carries a case marker starting with `prefix` (a case of the run
/// whose container ids start so).
pub fn carries_marker_prefix(pid: i32, prefix: &str) -> bool {
    let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else {
        return false;
    };
    let want = format!("{CASE_VAR}={prefix}");
    env.split(|b| *b == 0)
        .any(|v| v.starts_with(want.as_bytes()))
}

/// Every live process carrying the case marker `marker`.
pub fn marked(marker: &str) -> Vec<i32> {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| carries_marker(*pid, marker))
        .collect()
}

/// A process's command line for messages.
pub fn cmdline(pid: i32) -> String {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    raw.split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
