//! The probe as a hook: what it records of the state on stdin and of the container it sees.

use serde::{Deserialize, Serialize};

use super::*;

/// One hook invocation as recorded by [`hook`].
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct HookRecord {
    pub name: String,
    /// Nanoseconds since the Unix epoch, for ordering.
    pub time_ns: u128,
    /// The state JSON the hook read on stdin (null when it was not JSON).
    pub state: serde_json::Value,
    /// The hook's mount and pid namespaces (link texts).
    pub mnt_ns: String,
    pub pid_ns: String,
    /// What the hook saw of the container when it ran (for the timing judges).
    #[serde(default)]
    pub view: HookView,
}

/// What a hook sees of the container: its process (the state's `pid`, or when the state has
/// none, the pid file named by [`PID_FILE_VAR`] in the hook's environment), and of itself.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct HookView {
    /// The process looked at, when there was one.
    pub pid: Option<i32>,
    /// Its state letter (`/proc/PID/stat`), when it exists.
    pub pid_state: Option<char>,
    /// Its argv, when it exists.
    pub pid_args: Option<Vec<String>>,
    /// The target of its `/proc/PID/root`, when it exists (`/` until pivot_root).
    pub pid_root: Option<String>,
    /// Its mount points (`/proc/PID/mountinfo`, relative to its root), when it exists.
    pub pid_mounts: Option<Vec<String>>,
    /// Whether the state's bundle directory is at its path in the hook's own view.
    pub bundle_seen: bool,
    /// The hook's own mount points (`/proc/self/mountinfo`).
    pub own_mounts: Vec<String>,
}

/// The environment variable of a hook that names the container's pid file (`{pid_file}`), for
/// hooks whose state has no pid (poststop).
pub const PID_FILE_VAR: &str = "OCICHECK_PID_FILE";

/// How long a hook waits for a process's argv to show (an exec under way shows none).
const ARGS_RETRIES: usize = 50;
const ARGS_RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(2);

fn mount_points(path: &str) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(
        parse_mountinfo(&text)
            .into_iter()
            .map(|m| m.mount_point)
            .collect(),
    )
}

/// What a hook with this state on stdin sees.
fn hook_view(state: &serde_json::Value) -> HookView {
    let pid = state["pid"]
        .as_i64()
        .and_then(|p| i32::try_from(p).ok())
        .or_else(|| {
            let file = std::env::var(PID_FILE_VAR).ok()?;
            std::fs::read_to_string(file).ok()?.trim().parse().ok()
        })
        .filter(|p| *p > 0);
    let mut view = HookView {
        pid,
        bundle_seen: state["bundle"]
            .as_str()
            .is_some_and(|b| std::path::Path::new(b).is_dir()),
        own_mounts: mount_points("/proc/self/mountinfo").unwrap_or_default(),
        ..HookView::default()
    };
    let Some(pid) = pid else { return view };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok();
    view.pid_state = stat
        .as_deref()
        .and_then(|s| s.rfind(')').map(|i| &s[i + 1..]))
        .and_then(|rest| rest.trim_start().chars().next());
    view.pid_root = std::fs::read_link(format!("/proc/{pid}/root"))
        .ok()
        .map(|p| p.display().to_string());
    view.pid_mounts = mount_points(&format!("/proc/{pid}/mountinfo"));
    for _ in 0..ARGS_RETRIES {
        let Ok(raw) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            break;
        };
        let args: Vec<String> = raw
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let zombie = view.pid_state == Some('Z');
        if !args.is_empty() || zombie {
            view.pid_args = Some(args);
            break;
        }
        std::thread::sleep(ARGS_RETRY_PAUSE);
    }
    view
}

/// `probe hook <name> <record-file> [exit-code]`: reads the state on stdin, appends a record.
pub(super) fn hook(args: &[String]) -> i32 {
    let (Some(name), Some(file)) = (args.first(), args.get(1)) else {
        eprintln!("usage: probe hook <name> <record-file> [exit-code]");
        return 2;
    };
    let mut input = String::new();
    let _ = std::io::stdin().read_to_string(&mut input);
    let state: serde_json::Value = serde_json::from_str(&input).unwrap_or(serde_json::Value::Null);
    let record = HookRecord {
        view: hook_view(&state),
        name: name.clone(),
        time_ns: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
        state,
        mnt_ns: std::fs::read_link("/proc/self/ns/mnt")
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default(),
        pid_ns: std::fs::read_link("/proc/self/ns/pid")
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    let line = serde_json::to_string(&record).unwrap_or_default();
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .and_then(|mut f| writeln!(f, "{line}"));
    if let Err(e) = written {
        eprintln!("probe hook: cannot record to {file}: {e}");
        return 1;
    }
    args.get(2).and_then(|c| c.parse().ok()).unwrap_or(0)
}
