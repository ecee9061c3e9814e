//! Judging what the hooks recorded (JSON lines of [`HookRecord`], `probe hook <label> FILE`):
//! that each ran, their relative order, the mount namespace each ran in, and the state each
//! read on stdin. Each judge is its own assertion, so that one hook's fault paints only the
//! requirements it violates.

use std::path::Path;

use ocicheck_catalog::SpecVersion;
use ocicheck_validator::{Options, Validator};
use serde_json::{json, Value};

use super::judge::Failure;
use crate::case::{has_process, Hook, HookLabel};
use crate::probe::HookRecord;
use crate::show::{seen, Show};

/// The records of a hook log, in the order they ran (lines that are not records are skipped).
pub fn records(log: &str) -> Vec<HookRecord> {
    let mut records: Vec<HookRecord> = log
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    records.sort_by_key(|r| r.time_ns);
    records
}

fn fail(n: usize, m: String) -> Result<(), Failure> {
    Err(Failure::Fail(format!("step {n}: {m}")))
}

fn names(records: &[HookRecord]) -> Vec<&str> {
    records.iter().map(|r| r.name.as_str()).collect()
}

/// The hook labelled `label` ran.
pub fn ran(n: usize, records: &[HookRecord], label: HookLabel) -> Result<(), Failure> {
    let want = label.to_string();
    if records.iter().any(|r| r.name == want) {
        Ok(())
    } else {
        fail(
            n,
            format!("hook {want} did not run (ran: {})", names(records).show()),
        )
    }
}

/// The hooks of `order` that ran, ran once each and in this relative order, and at least one
/// of them ran. Other hooks are not this assertion's business, nor is a hook of `order` that
/// did not run at all (`ran` judges that).
pub fn order(n: usize, records: &[HookRecord], order: &[HookLabel]) -> Result<(), Failure> {
    let want: Vec<String> = order.iter().map(HookLabel::to_string).collect();
    let got: Vec<&str> = names(records)
        .into_iter()
        .filter(|name| want.iter().any(|w| w == name))
        .collect();
    if got.is_empty() {
        return fail(n, format!("none of {} ran", want.show()));
    }
    let mut next = 0;
    for name in &got {
        match want.iter().skip(next).position(|w| w == name) {
            Some(i) => next += i + 1,
            None => {
                return fail(
                    n,
                    format!(
                        "hooks ran as {}, expected this order: {}",
                        got.show(),
                        want.show()
                    ),
                )
            }
        }
    }
    Ok(())
}

/// The hook labelled `label` ran in the container's mount namespace (createContainer,
/// startContainer) or the runtime's (`runtime_mnt`, the others).
pub fn namespace(
    n: usize,
    records: &[HookRecord],
    label: HookLabel,
    runtime_mnt: &str,
) -> Result<(), Failure> {
    let want = label.to_string();
    let Some(r) = records.iter().find(|r| r.name == want) else {
        return fail(
            n,
            format!("hook {want} did not run: its namespace is unknown"),
        );
    };
    let in_container = label.hook.in_container();
    if r.mnt_ns.is_empty() {
        // A hook that cannot read its own /proc/self (a /proc of another pid namespace).
        return fail(n, format!("hook {want} could not tell its mount namespace"));
    }
    if (r.mnt_ns != runtime_mnt) == in_container {
        return Ok(());
    }
    fail(
        n,
        format!(
            "hook {want} ran in mount namespace {} ({runtime_mnt} is the runtime's); expected the {}'s",
            r.mnt_ns,
            if in_container { "container" } else { "runtime" }
        ),
    )
}

/// What the state on each hook's stdin must say.
pub struct HookStateWant<'a> {
    pub id: &'a str,
    pub bundle: &'a Path,
    /// The config's annotations, when it has any.
    pub annotations: Option<&'a Value>,
    /// The container's pid from the pid file, when one was written.
    pub pid: Option<i64>,
    pub version: SpecVersion,
}

/// Every recorded hook read this container's whole state: a valid state with its id, its
/// bundle, the status of the hook's phase, a pid while created or running (the container's,
/// for hooks in the runtime's namespace) and the config's annotations.
pub fn states(n: usize, records: &[HookRecord], want: &HookStateWant) -> Result<(), Failure> {
    if records.is_empty() {
        return fail(n, "no hook ran: no state to judge".into());
    }
    let problems: Vec<String> = records
        .iter()
        .filter_map(|r| state_problem(r, want).err())
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        fail(n, problems.join("; "))
    }
}

/// What is wrong with the state one hook read, if anything.
fn state_problem(r: &HookRecord, want: &HookStateWant) -> Result<(), String> {
    let validator = Validator::new(Options::default());
    let label: HookLabel = r
        .name
        .parse()
        .map_err(|e| format!("a hook recorded itself as {e}"))?;
    let bad = |m: String| Err(format!("hook {}: {m}: {}", r.name, r.state));
    let state = &r.state;
    if !state.is_object() {
        return bad("no JSON state on stdin".into());
    }
    if let Some(p) = validator.validate_state(state, want.version).first() {
        return bad(format!(
            "the state does not follow the state schema: [{}] {} at {:?}",
            p.requirement, p.message, p.pointer
        ));
    }
    if state["id"] != json!(want.id) {
        return bad(format!("id is {}, not {:?}", state["id"], want.id));
    }
    let bundle = want.bundle.display().to_string();
    if state["bundle"].as_str() != Some(bundle.as_str()) {
        return bad(format!("bundle is {}, not {bundle:?}", state["bundle"]));
    }
    let allowed = label.hook.statuses();
    let status = allowed
        .iter()
        .find(|s| state["status"].as_str() == Some(s.to_string().as_str()));
    let Some(status) = status else {
        let allowed: Vec<String> = allowed.iter().map(ToString::to_string).collect();
        return bad(format!(
            "status is {}, expected {}",
            state["status"],
            allowed.join(" or ")
        ));
    };
    let pid = state.get("pid").and_then(Value::as_i64);
    if has_process(*status) && pid.is_none_or(|p| p <= 0) {
        return bad(format!("a {status} container's state has no pid"));
    }
    // In the runtime's namespace the pid is the container process's as the host sees it;
    // in the container's it is as the container sees it (runtime-spec 1.1.0), not judged.
    if let (Some(got), Some(want), false) = (pid, want.pid, label.hook.in_container()) {
        if got != want {
            return bad(format!("pid is {got}, the container process is {want}"));
        }
    }
    if let Some(a) = want.annotations {
        if &state["annotations"] != a {
            return bad(format!(
                "annotations are {}, the config's are {a}",
                state["annotations"]
            ));
        }
    }
    Ok(())
}

/// When the harness ran one operation: nanoseconds since the Unix epoch, as hooks record them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub begin: u128,
    pub end: u128,
}

/// Nanoseconds since the Unix epoch now (the clock hooks record with).
pub fn now_ns() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// What a hook must have seen, for [`timing`].
pub struct TimingWant<'a> {
    /// The last create, start and delete of the case's container.
    pub create: Option<Span>,
    pub start: Option<Span>,
    pub delete: Option<Span>,
    /// The container's root filesystem, as the runtime's namespace names it (each spelling).
    pub rootfs: &'a [std::path::PathBuf],
    /// The config's mount destinations.
    pub mounts: &'a [String],
    /// The config's `process.args`.
    pub args: &'a [String],
}

/// The hook labelled `label` ran at its point of the lifecycle (config.md "POSIX-platform
/// Hooks"): prestart, createRuntime and createContainer during create, once the container's
/// mounts are made and before pivot_root, its process not yet running the program;
/// startContainer during start; poststart during start, once the program runs (the case keeps
/// it running); poststop during delete, once the container's process is gone.
pub fn timing(
    n: usize,
    records: &[HookRecord],
    label: HookLabel,
    want: &TimingWant,
) -> Result<(), Failure> {
    let name = label.to_string();
    let Some(r) = records.iter().find(|r| r.name == name) else {
        return fail(n, format!("hook {name} did not run: its timing is unknown"));
    };
    match timing_problem(r, label.hook, want) {
        Ok(()) => Ok(()),
        Err(why) => fail(n, format!("hook {name}: {why}")),
    }
}

fn timing_problem(r: &HookRecord, hook: Hook, want: &TimingWant) -> Result<(), String> {
    let (op, span) = match hook {
        Hook::Prestart | Hook::CreateRuntime | Hook::CreateContainer => ("create", want.create),
        Hook::StartContainer | Hook::Poststart => ("start", want.start),
        Hook::Poststop => ("delete", want.delete),
    };
    let Some(span) = span else {
        return Err(format!("no {op} of the container ran"));
    };
    if r.time_ns < span.begin || r.time_ns > span.end {
        let at = |t: u128| {
            let ms = (i128::try_from(t).unwrap_or(i128::MAX)
                - i128::try_from(span.begin).unwrap_or(0))
                / 1_000_000;
            format!("{ms} ms")
        };
        return Err(format!(
            "ran at {} after {op} began, outside {op} (it returned after {})",
            at(r.time_ns),
            at(span.end)
        ));
    }
    let v = &r.view;
    // The config's mounts, under the root filesystem (before pivot_root).
    let unmounted = |seen: &[String]| -> Vec<String> {
        want.mounts
            .iter()
            .filter(|d| {
                !want.rootfs.iter().any(|root| {
                    let p = root.join(d.trim_start_matches('/')).display().to_string();
                    seen.contains(&p)
                })
            })
            .cloned()
            .collect()
    };
    match hook {
        Hook::Prestart | Hook::CreateRuntime => {
            let Some(args) = &v.pid_args else {
                return Err(format!(
                    "the container process{} did not exist when it ran",
                    process(v.pid)
                ));
            };
            if args == want.args {
                return Err("the container process already ran the program".into());
            }
            if v.pid_root.as_deref() != Some("/") {
                return Err(format!(
                    "the container process's root was {}: pivot_root had happened",
                    seen(v.pid_root.as_ref()).show()
                ));
            }
            let missing = unmounted(v.pid_mounts.as_deref().unwrap_or_default());
            if !missing.is_empty() {
                return Err(format!(
                    "the container's mounts {} were not made yet (under the root filesystem)",
                    missing.show()
                ));
            }
        }
        Hook::CreateContainer => {
            if !v.bundle_seen {
                return Err("it did not see the bundle: pivot_root had happened".into());
            }
            let missing = unmounted(&v.own_mounts);
            if !missing.is_empty() {
                return Err(format!(
                    "the container's mounts {} were not made yet (under the root filesystem)",
                    missing.show()
                ));
            }
        }
        Hook::StartContainer => {}
        Hook::Poststart => {
            if v.pid_args.as_deref() != Some(want.args) {
                return Err(format!(
                    "the container process{} was not running the program (argv {})",
                    process(v.pid),
                    seen(v.pid_args.as_ref()).show()
                ));
            }
        }
        Hook::Poststop => {
            if v.pid.is_none() {
                return Err("it saw no container process to judge (no pid, no pid file)".into());
            }
            if v.pid_state.is_some_and(|s| s != 'Z') {
                return Err(format!(
                    "the container process{} still ran (state {})",
                    process(v.pid),
                    seen(v.pid_state).show()
                ));
            }
        }
    }
    Ok(())
}

/// The container process's pid for a message: ` 42`, or nothing when it is unknown.
fn process(pid: Option<i32>) -> String {
    pid.map_or_else(String::new, |p| format!(" {p}"))
}
