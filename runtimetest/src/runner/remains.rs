//! What is left of a container on the host, as /proc, the cgroup hierarchies and the mount
//! table show it, and the judges of it: the state's pid is the container's process, delete
//! removed everything, a container stopped by a failing hook no longer runs.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::judge::Failure;
use crate::show::Show;

/// A process as /proc shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcView {
    pub cmdline: Vec<String>,
    /// The `/proc/PID/ns/mnt` link text.
    pub mnt_ns: String,
    /// It has exited and waits to be reaped (state Z or X).
    pub dead: bool,
}

/// The process `pid` as /proc shows it; `None` when there is none.
pub fn proc_view(pid: i32) -> Option<ProcView> {
    if pid <= 0 {
        return None;
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The state is the first field after the command name, which ends at the last ')'.
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .unwrap_or("?");
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    Some(ProcView {
        cmdline: cmdline
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect(),
        mnt_ns: std::fs::read_link(format!("/proc/{pid}/ns/mnt"))
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default(),
        dead: matches!(state, "Z" | "X"),
    })
}

/// The pid a pid file holds, if it holds one.
pub fn pid_file(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The process behind a state's pid, and what it should be.
pub struct PidWant<'a> {
    /// The config's `process.args`: the container process runs them once started.
    pub args: &'a [String],
    /// The harness's (the runtime's) mount namespace.
    pub host_mnt: &'a str,
    /// What the pid file the runtime wrote holds.
    pub pid_file: Option<i32>,
}

/// A running container's state gives the pid of its process as the host sees it: a live
/// process in another mount namespace running the config's args, the one the pid file names.
pub fn pid(
    n: usize,
    state: &Value,
    want: &PidWant,
    view: impl Fn(i32) -> Option<ProcView>,
) -> Result<(), Failure> {
    let fail = |m: String| Err(Failure::Fail(format!("step {n}: {m}")));
    let Some(pid) = state
        .get("pid")
        .and_then(Value::as_i64)
        .and_then(|p| i32::try_from(p).ok())
        .filter(|p| *p > 0)
    else {
        return fail(format!("the state has no pid: {state}"));
    };
    let Some(proc) = view(pid).filter(|p| !p.dead) else {
        return fail(format!(
            "the state's pid {pid} is no live process on the host"
        ));
    };
    if proc.mnt_ns == want.host_mnt {
        return fail(format!(
            "the state's pid {pid} ({}) is in the runtime's mount namespace, not the container's",
            proc.cmdline.show()
        ));
    }
    if proc.cmdline != want.args {
        return fail(format!(
            "the state's pid {pid} runs {}, not the container's {}",
            proc.cmdline.show(),
            want.args.show()
        ));
    }
    if let Some(file) = want.pid_file.filter(|f| *f != pid) {
        return fail(format!("the state's pid is {pid}, the pid file's {file}"));
    }
    Ok(())
}

/// Whether the container's process (by the pid file) still runs.
pub fn still_runs(pid: Option<i32>, view: impl Fn(i32) -> Option<ProcView>) -> Option<i32> {
    pid.filter(|p| view(*p).is_some_and(|v| !v.dead))
}

/// The processes each cgroup directory lists (only those that list some).
pub fn busy_cgroups(dirs: &[PathBuf]) -> Vec<(PathBuf, Vec<i32>)> {
    dirs.iter()
        .filter_map(|d| {
            let text = std::fs::read_to_string(d.join("cgroup.procs")).unwrap_or_default();
            let pids: Vec<i32> = text.lines().filter_map(|l| l.trim().parse().ok()).collect();
            (!pids.is_empty()).then(|| (d.clone(), pids))
        })
        .collect()
}

/// What a deleted container may have left behind.
#[derive(Debug, Default)]
pub struct Leftovers {
    /// `state` succeeded, printing this.
    pub state: Option<String>,
    /// Its cgroup directories that still exist.
    pub cgroups: Vec<PathBuf>,
    /// Mount points below the bundle's root filesystem.
    pub mounts: Vec<PathBuf>,
}

/// Delete removed what create made: the container (`state` fails), its cgroup in every
/// hierarchy, every mount below its root filesystem.
pub fn gone(n: usize, left: &Leftovers) -> Result<(), Failure> {
    let mut problems = Vec::new();
    if let Some(out) = &left.state {
        problems.push(format!("state still succeeds: {}", out.trim()));
    }
    if !left.cgroups.is_empty() {
        problems.push(format!("its cgroup is left at {}", left.cgroups.show()));
    }
    if !left.mounts.is_empty() {
        problems.push(format!("mounts are left at {}", left.mounts.show()));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Failure::Fail(format!(
            "step {n}: after delete, {}",
            problems.join("; ")
        )))
    }
}

/// What is seen of a container that must have been stopped and torn down.
#[derive(Debug, Default)]
pub struct Remains {
    /// The status `state` reports, when it succeeds.
    pub status: Option<String>,
    /// The container's process (by the pid file) while it still runs.
    pub running: Option<i32>,
    /// Cgroup directories of the container that still list processes.
    pub busy: Vec<(PathBuf, Vec<i32>)>,
}

/// The container is stopped or gone: `state` fails or says stopped, its process is gone and
/// its cgroup holds no process.
pub fn torn_down(n: usize, r: &Remains) -> Result<(), Failure> {
    let mut problems = Vec::new();
    if let Some(status) = r.status.as_deref().filter(|s| *s != "stopped") {
        problems.push(format!("state says {status:?}"));
    }
    if let Some(pid) = r.running {
        problems.push(format!("its process {pid} still runs"));
    }
    if let Some((dir, pids)) = r.busy.first() {
        let more = match r.busy.len() - 1 {
            0 => String::new(),
            n => format!(" (and {n} more of its cgroup directories)"),
        };
        problems.push(format!(
            "{} still holds {}{more}",
            dir.display(),
            pids.show()
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Failure::Fail(format!(
            "step {n}: the container was not stopped and torn down: {}",
            problems.join("; ")
        )))
    }
}
