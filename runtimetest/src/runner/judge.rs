//! Judging what a runtime did: its state output, the probe's report, the seccomp agent's
//! record and the container's cgroup (hook records: [`super::hooks`]; what is left on the
//! host: [`super::remains`]). Each judge reads only what it is given
//! and says, in plain words, what it saw when that is not what the case expects.

use std::path::{Path, PathBuf};

use ocicheck_catalog::{ids, Id, SpecVersion};
use ocicheck_validator::{Options, Validator};
use serde_json::{json, Value};

use crate::case::{has_process, parse_owner, toml_to_json, Status};
use crate::lifecycle::Reply;
use crate::probe::{Observation, REPORT_PREFIX};
use crate::show::Show;
use crate::sockets::AgentRecord;

/// Why a case did not pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The runtime did not do what the spec requires.
    Fail(String),
    /// The case could not be carried out (timeout, garbage output, harness problem).
    Error(String),
}

/// What a state must say besides being valid.
pub struct StateWant<'a> {
    pub id: &'a str,
    pub bundle: &'a Path,
    pub status: Option<Status>,
    pub annotations: Option<&'a toml::Table>,
    pub version: SpecVersion,
}

/// The state a runtime printed, as JSON (garbage is an error of the case, not a failure).
pub fn parse_state(n: usize, reply: &Reply) -> Result<Value, Failure> {
    /// How much of unreadable output a reason quotes.
    const QUOTE_CHARS: usize = 120;
    serde_json::from_str(&reply.stdout).map_err(|e| {
        let head: String = reply.stdout.chars().take(QUOTE_CHARS).collect();
        Failure::Error(format!(
            "step {n}: `{}` printed no JSON state ({e}): {head:?}",
            reply.command
        ))
    })
}

/// A failing judgement that concerns only some of its assertion's requirements: the others
/// were not judged (the judge stops at the first problem).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Concerning {
    pub ids: Vec<String>,
    pub failure: Failure,
}

/// The state follows the state schema and names this container, its bundle, and the wanted
/// status and annotations. A failure says which requirement it concerns: the schema's own for
/// a schema problem, else the field's.
pub fn state(n: usize, want: &StateWant, state: &Value) -> Result<(), Concerning> {
    let fail = |id: Id, why: String| Concerning {
        ids: vec![id.as_str().to_string()],
        failure: Failure::Fail(why),
    };
    let validator = Validator::new(Options::default());
    let problems = validator.validate_state(state, want.version);
    if let Some(p) = problems.first() {
        // Any schema problem breaks the state schema as a whole, and the field's own rule.
        let mut ids: Vec<String> = vec![ids::RUNTIME_STATE_JSON_SCHEMA.as_str().to_string()];
        for q in &problems {
            let id = q.requirement.to_string();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        return Err(Concerning {
            ids,
            failure: Failure::Fail(format!(
                "step {n}: state does not follow the state schema: [{}] {} at {:?}",
                p.requirement, p.message, p.pointer
            )),
        });
    }
    let field = |k: &str| state.get(k).cloned().unwrap_or(Value::Null);
    if let Some(why) = unknown_release(&field("ociVersion")) {
        return Err(fail(
            ids::RUNTIME_STATE_OCI_VERSION_STATE_VERSION,
            format!("step {n}: state ociVersion {}: {why}", field("ociVersion")),
        ));
    }
    if field("id") != json!(want.id) {
        return Err(fail(
            ids::RUNTIME_STATE_ID_REQUIRED,
            format!("step {n}: state id is {}, not {}", field("id"), want.id),
        ));
    }
    let bundle = want.bundle.display().to_string();
    if field("bundle").as_str() != Some(bundle.as_str()) {
        return Err(fail(
            ids::RUNTIME_STATE_BUNDLE_ABSOLUTE_PATH,
            format!(
                "step {n}: state bundle is {}, not {bundle:?}",
                field("bundle")
            ),
        ));
    }
    if let Some(status) = want.status {
        let name = status.to_string();
        if field("status").as_str() != Some(name.as_str()) {
            return Err(fail(
                ids::RUNTIME_STATE_STATUS_REQUIRED,
                format!("step {n}: status is {}, expected {name:?}", field("status"),),
            ));
        }
        if has_process(status) && field("pid").as_i64().is_none_or(|p| p <= 0) {
            return Err(fail(
                ids::RUNTIME_STATE_PID_REQUIRED_LINUX,
                format!("step {n}: a {status} container's state has no pid"),
            ));
        }
    }
    if let Some(want) = want.annotations {
        let got = field("annotations");
        let want = toml_to_json(want);
        let empty = want.as_object().is_some_and(|m| m.is_empty());
        let ok = got == want || (empty && (got.is_null() || got == json!({})));
        if !ok {
            return Err(fail(
                ids::RUNTIME_STATE_OPTIONAL_FIELDS,
                format!("step {n}: state annotations are {got}, expected {want}"),
            ));
        }
    }
    Ok(())
}

/// Why a state's `ociVersion` names no runtime-spec release the state could comply with (a
/// release, or a pre-release or build of one, such as runc's `1.0.2-dev`), if it does not.
fn unknown_release(v: &Value) -> Option<String> {
    use ocicheck_catalog::Resolved;
    let s = v.as_str()?;
    match SpecVersion::resolve(s).how {
        Resolved::Exact | Resolved::PreRelease => None,
        Resolved::NotSemver => Some("not a semantic version".into()),
        Resolved::Unknown | Resolved::Future => {
            Some("no runtime-spec release has that number".into())
        }
    }
}

/// What the runtime printed on stderr during create mentions `want` (it warned about it).
pub fn warning(n: usize, stderr: &str, want: &str) -> Result<(), Failure> {
    if stderr.contains(want) {
        return Ok(());
    }
    /// How much of stderr a failure quotes.
    const QUOTE_CHARS: usize = 200;
    let head: String = stderr.trim().chars().take(QUOTE_CHARS).collect();
    Err(Failure::Fail(format!(
        "step {n}: create printed no warning naming {want:?} on stderr (it printed {head:?})"
    )))
}

/// The traced create's mount(2) call carrying the data option `data` has each of `flags` and
/// none of `absent` (`trace`: strace's output, `None` when there is none). A trace without such
/// a call cannot judge: an error, not a failure.
pub fn mount_call(
    n: usize,
    trace: Option<&str>,
    data: &str,
    flags: &[String],
    absent: &[String],
) -> Result<(), Failure> {
    use crate::mount_trace::{judge, parse, Verdict};
    let Some(text) = trace else {
        return Err(Failure::Error(format!(
            "step {n}: no mount trace to judge (a `create` step needs `trace_mounts = true`)"
        )));
    };
    match judge(&parse(text), data, flags, absent) {
        Verdict::Holds => Ok(()),
        Verdict::Fails(why) => Err(Failure::Fail(format!("step {n}: {why}"))),
        Verdict::CannotJudge(why) => Err(Failure::Error(format!("step {n}: {why}"))),
    }
}

/// The probe's report in the container's output.
pub fn observation(n: usize, output: &str) -> Result<Observation, Failure> {
    let line = output
        .lines()
        .find_map(|l| l.strip_prefix(REPORT_PREFIX))
        .ok_or_else(|| {
            Failure::Fail(format!(
                "step {n}: the container process never reported (did it run?)"
            ))
        })?;
    serde_json::from_str(line)
        .map_err(|e| Failure::Error(format!("step {n}: unreadable probe report: {e}")))
}

/// The probe step holds when no expectation failed; the failing ones are named.
pub fn probe(problems: Vec<String>) -> Result<(), Failure> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Failure::Fail(problems.join("; ")))
    }
}

/// The container process has not reported: it has not run.
pub fn not_started(n: usize, output: &str) -> Result<(), Failure> {
    if output.contains(REPORT_PREFIX) {
        Err(Failure::Fail(format!(
            "step {n}: the user process already ran before start"
        )))
    } else {
        Ok(())
    }
}

/// The runtime sent one container process state per connection, on a stream socket, as plain
/// JSON, with the notify fd as SCM_RIGHTS on the first message only, named `seccompFd` in
/// `fds`, and closed the connection. A failure names the requirement it concerns (the judge
/// stops at the first problem).
pub fn agent(n: usize, records: &[AgentRecord], container_id: &str) -> Result<(), Concerning> {
    let fail = |reqs: &[Id], m: String| {
        Err(Concerning {
            ids: reqs.iter().map(|r| r.as_str().to_string()).collect(),
            failure: Failure::Fail(format!("step {n}: {m}")),
        })
    };
    let [rec] = records else {
        return fail(
            &[ids::LINUX_SECCOMP_LISTENER_ONE_STATE_PER_CONNECTION],
            format!(
                "the seccomp agent got {} connections, expected exactly 1",
                records.len()
            ),
        );
    };
    // The payload is a sequence of JSON documents; one is expected.
    let mut states = Vec::new();
    for v in serde_json::Deserializer::from_str(&rec.state).into_iter::<Value>() {
        match v {
            Ok(v) => states.push(v),
            Err(e) => {
                return fail(
                    &[ids::LINUX_CONTAINER_PROCESS_STATE_PAYLOAD_JSON],
                    format!(
                        "the container process state is not JSON ({e}): {:?}",
                        rec.state
                    ),
                )
            }
        }
    }
    let Some(state) = states.first() else {
        return fail(
            &[ids::LINUX_SECCOMP_LISTENER_ONE_STATE_PER_CONNECTION],
            "the connection carried no container process state".into(),
        );
    };
    if states.len() > 1 {
        // The same state twice breaks one-state-per-connection; another state after it is the
        // connection reused as well.
        let mut reqs = vec![ids::LINUX_SECCOMP_LISTENER_ONE_STATE_PER_CONNECTION];
        if states.iter().any(|s| s != state) {
            reqs.push(ids::LINUX_SECCOMP_LISTENER_CONNECTION_NO_REUSE);
        }
        return fail(
            &reqs,
            format!("the connection carried {} states, expected 1", states.len()),
        );
    }
    if !state["ociVersion"].as_str().is_some_and(is_version) {
        return fail(
            &[ids::LINUX_CONTAINER_PROCESS_STATE_OCI_VERSION_REQUIRED],
            format!(
                "the process state's ociVersion is {}, expected a version",
                state["ociVersion"]
            ),
        );
    }
    if state["pid"].as_i64().is_none_or(|p| p <= 0) {
        return fail(
            &[ids::LINUX_CONTAINER_PROCESS_STATE_PID_REQUIRED],
            format!("the process state has no pid: {state}"),
        );
    }
    let inner = &state["state"];
    let problems = Validator::new(Options::default()).validate_state(inner, SpecVersion::LATEST);
    if inner.is_null() || !problems.is_empty() || inner["id"] != json!(container_id) {
        let why = problems
            .first()
            .map(|p| format!(" ({} at {:?})", p.message, p.pointer))
            .unwrap_or_default();
        return fail(
            &[ids::LINUX_CONTAINER_PROCESS_STATE_STATE_REQUIRED],
            format!("the process state's state is not this container's state{why}: {inner}"),
        );
    }
    if state["fds"] != json!(["seccompFd"]) {
        return fail(
            &[ids::LINUX_SECCOMP_LISTENER_SECCOMP_FD_REQUIRED],
            format!("fds is {}, expected [\"seccompFd\"]", state["fds"]),
        );
    }
    if rec.fds_per_message.first() != Some(&1) {
        return fail(
            &[ids::LINUX_CONTAINER_PROCESS_STATE_FDS_SCM_RIGHTS],
            format!(
                "descriptors per message were {}: the notify fd must come as SCM_RIGHTS with the first",
                rec.fds_per_message.show()
            ),
        );
    }
    if rec.fds_per_message.iter().skip(1).any(|c| *c > 0) {
        return fail(
            &[ids::LINUX_CONTAINER_PROCESS_STATE_SENDMSG_FDS_FIRST_ONLY],
            format!(
                "descriptors per message were {}: the notify fd must come with the first only",
                rec.fds_per_message.show()
            ),
        );
    }
    if state["metadata"] != json!("ocicheck") {
        return fail(
            &[ids::LINUX_CONTAINER_PROCESS_STATE_OPTIONAL_FIELDS],
            format!("metadata is {}, expected \"ocicheck\"", state["metadata"]),
        );
    }
    if !rec.closed {
        return fail(
            &[ids::LINUX_SECCOMP_LISTENER_CONNECTION_CLOSED],
            "the runtime did not close the connection".into(),
        );
    }
    Ok(())
}

/// None of `names` is a network interface of the host (`on_host` tells).
pub fn net_device_gone(
    n: usize,
    names: &[String],
    on_host: impl Fn(&str) -> bool,
) -> Result<(), Failure> {
    let back: Vec<&String> = names.iter().filter(|name| on_host(name)).collect();
    if back.is_empty() {
        Ok(())
    } else {
        Err(Failure::Fail(format!(
            "step {n}: the network device is on the host again, as {back:?}"
        )))
    }
}

/// A version like `1.3.0` (optionally with a pre-release or build suffix).
fn is_version(v: &str) -> bool {
    let core = v.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// The cgroup file (or directory) at `path` holds `value`, or is owned by `owner`.
/// The `cgroup-place` step: the first records where the container is (`now`, its
/// `/proc/PID/cgroup`), each later one must see the same.
pub fn cgroup_place(n: usize, first: &mut Option<String>, now: String) -> Result<(), Failure> {
    match first {
        None => {
            *first = Some(now);
            Ok(())
        }
        Some(first) if *first == now => Ok(()),
        Some(first) => Err(Failure::Fail(format!(
            "step {n}: the container is in the cgroups {:?}, where it was in {:?} before",
            now.trim(),
            first.trim()
        ))),
    }
}

/// Where a cgroup step's file is, and whether it is in a cgroup v2 hierarchy (whose names
/// `file_v2` gives): below the root on a pure v2 host; else in the v1 hierarchy `controller`
/// (`unified` names the v2 hierarchy of a hybrid host); else, when the hybrid host's v2
/// hierarchy offers the controller (`cgroup.controllers`), there.
pub fn cgroup_file(
    root: &Path,
    rel: &str,
    controller: &str,
    file: &str,
    file_v2: Option<&str>,
) -> (PathBuf, bool) {
    let v2_name = file_v2.unwrap_or(file);
    if root.join("cgroup.controllers").exists() {
        return (root.join(rel).join(v2_name), true);
    }
    let hybrid_v2 = root.join("unified");
    if controller == "unified" {
        return (hybrid_v2.join(rel).join(v2_name), true);
    }
    let v1 = root.join(controller);
    let offered = std::fs::read_to_string(hybrid_v2.join("cgroup.controllers"))
        .is_ok_and(|list| list.split_whitespace().any(|c| c == controller));
    if !v1.exists() && offered {
        return (hybrid_v2.join(rel).join(v2_name), true);
    }
    (v1.join(rel).join(file), false)
}

pub fn cgroup(
    n: usize,
    path: &Path,
    value: Option<&str>,
    owner: Option<&str>,
) -> Result<(), Failure> {
    if let Some(want) = owner {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path)
            .map_err(|e| Failure::Fail(format!("step {n}: cannot stat {}: {e}", path.display())))?;
        let got = (meta.uid(), meta.gid());
        let owned = parse_owner(want)
            .is_some_and(|(uid, gid)| uid == got.0 && gid.is_none_or(|g| g == got.1));
        return if owned {
            Ok(())
        } else {
            Err(Failure::Fail(format!(
                "step {n}: {} is owned by {}:{}, expected {want}",
                path.display(),
                got.0,
                got.1
            )))
        };
    }
    let got = std::fs::read_to_string(path)
        .map_err(|e| Failure::Fail(format!("step {n}: cannot read {}: {e}", path.display())))?;
    let want = value.unwrap_or_default();
    if got.trim() == want {
        Ok(())
    } else {
        Err(Failure::Fail(format!(
            "step {n}: {} holds {:?}, expected {want:?}",
            path.display(),
            got.trim()
        )))
    }
}
