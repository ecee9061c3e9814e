//! An in-memory runtime for testing the harness without root and without containers. By
//! default it behaves as a correct runtime would (state machine, errors, state JSON, the probe's
//! report on start); tests script any operation to fail, hang, crash, print garbage or skip its
//! effect, and read back every call it got.

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{CreateRequest, Exit, Lifecycle, Reply, Scope};
use crate::probe::Then;
use crate::probe::{Observation, ProbeSpec, REPORT_PREFIX};

/// A lifecycle operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Op {
    Create,
    Start,
    State,
    Kill,
    Delete,
}

/// How the fake answers an operation.
#[derive(Clone, Debug, PartialEq)]
pub enum Behaviour {
    /// As a correct runtime would.
    Correct,
    /// Exit with this status and message, changing nothing.
    Fail { code: i32, stderr: String },
    /// Block until the deadline, then reply timed out (as [`super::CliRuntime`] does).
    Hang,
    /// Ignore the deadline: block this long, then act correctly (a broken implementation).
    Overrun(Duration),
    /// Be killed by this signal, changing nothing.
    Crash(i32),
    /// Exit 0 printing this, changing nothing (garbage output).
    Print(String),
    /// Exit 0 without doing anything (a runtime that ignores the operation).
    Noop,
    /// Panic inside the operation (a bug in an implementation).
    Panic,
}

/// One operation the fake received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub op: Op,
    pub id: Option<String>,
    /// The signal of a kill, `--force` of a delete.
    pub detail: Option<String>,
}

/// The cgroup the fake makes for each container.
#[derive(Clone, Debug)]
struct FakeCgroups {
    hierarchy: PathBuf,
    /// (name, content) written into the container's cgroup directory.
    files: Vec<(String, String)>,
    /// Delete leaves the directory behind.
    leak: bool,
}

#[derive(Clone, Debug)]
struct Container {
    /// The cgroup directory made for it, if any.
    cgroup: Option<PathBuf>,
    status: &'static str,
    bundle: PathBuf,
    output: PathBuf,
    oci_version: String,
    /// What the probe does after reporting, from the config's `/probe observe SPEC`.
    then: Then,
}

/// The pid the fake reports for containers: far above any real pid, so nothing on the host is
/// ever mistaken for it.
pub const FAKE_PID: u32 = 999_999_999;

/// How often a hanging operation looks whether the run was interrupted.
const HANG_POLL: Duration = Duration::from_millis(5);

/// The in-memory runtime.
#[derive(Default)]
pub struct FakeRuntime {
    /// Containers by (state root, id): each case has its own root, like `--root`.
    containers: Mutex<BTreeMap<(PathBuf, String), Container>>,
    /// Behaviours used once each, in order, before `always`.
    once: Mutex<BTreeMap<Op, VecDeque<Behaviour>>>,
    always: Mutex<BTreeMap<Op, Behaviour>>,
    calls: Mutex<Vec<Call>>,
    /// What the container process reports on start.
    report: Mutex<Option<Observation>>,
    /// Where create makes the config's `cgroupsPath`, with which files.
    cgroups: Mutex<Option<FakeCgroups>>,
}

impl FakeRuntime {
    pub fn new() -> FakeRuntime {
        FakeRuntime::default()
    }

    /// Every call of `op` behaves so.
    pub fn always(self, op: Op, b: Behaviour) -> FakeRuntime {
        if let Ok(mut m) = self.always.lock() {
            m.insert(op, b);
        }
        self
    }

    /// The next call of `op` (after earlier `once`s of it) behaves so.
    pub fn once(self, op: Op, b: Behaviour) -> FakeRuntime {
        if let Ok(mut m) = self.once.lock() {
            m.entry(op).or_default().push_back(b);
        }
        self
    }

    /// On start, the container process reports this observation (as the probe would).
    pub fn reporting(self, obs: Observation) -> FakeRuntime {
        if let Ok(mut r) = self.report.lock() {
            *r = Some(obs);
        }
        self
    }

    /// Create makes the config's `cgroupsPath` below `hierarchy`, and delete leaves it there
    /// (a runtime that leaks its cgroups).
    pub fn leaking_cgroups_in(self, hierarchy: &Path) -> FakeRuntime {
        self.cgroups_in(hierarchy, &[], true)
    }

    /// Create makes the config's `cgroupsPath` below `hierarchy` holding these files (name,
    /// content), as a runtime applying `linux.resources` would; delete removes it.
    pub fn making_cgroups_in(self, hierarchy: &Path, files: &[(&str, &str)]) -> FakeRuntime {
        self.cgroups_in(hierarchy, files, false)
    }

    fn cgroups_in(self, hierarchy: &Path, files: &[(&str, &str)], leak: bool) -> FakeRuntime {
        if let Ok(mut c) = self.cgroups.lock() {
            *c = Some(FakeCgroups {
                hierarchy: hierarchy.to_path_buf(),
                files: files
                    .iter()
                    .map(|(n, t)| (n.to_string(), t.to_string()))
                    .collect(),
                leak,
            });
        }
        self
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Containers that exist (created and not deleted).
    pub fn live_containers(&self) -> usize {
        self.containers.lock().map(|c| c.len()).unwrap_or(0)
    }

    fn behaviour(&self, op: Op) -> Behaviour {
        let once = self
            .once
            .lock()
            .ok()
            .and_then(|mut m| m.get_mut(&op).and_then(VecDeque::pop_front));
        once.or_else(|| self.always.lock().ok().and_then(|m| m.get(&op).cloned()))
            .unwrap_or(Behaviour::Correct)
    }

    /// Records the call, applies the scripted behaviour, and otherwise runs `correct`.
    fn answer(
        &self,
        call: Call,
        scope: &Scope,
        deadline: Instant,
        correct: impl FnOnce() -> Result<String, String>,
    ) -> Reply {
        let command = format!("fake {}", format!("{:?}", call.op).to_lowercase());
        if let Ok(mut c) = self.calls.lock() {
            c.push(call.clone());
        }
        let reply = |exit, stdout: String, stderr: String| Reply {
            command: command.clone(),
            exit,
            stdout,
            stderr,
        };
        let finish = |r: Result<String, String>| match r {
            Ok(out) => reply(Exit::Code(0), out, String::new()),
            Err(e) => reply(Exit::Code(1), String::new(), e),
        };
        match self.behaviour(call.op) {
            Behaviour::Correct => finish(correct()),
            Behaviour::Fail { code, stderr } => reply(Exit::Code(code), String::new(), stderr),
            Behaviour::Hang => {
                // As a killed invocation: until the deadline, or the run is interrupted.
                while Instant::now() < deadline && !scope.cancelled() {
                    std::thread::sleep(
                        HANG_POLL.min(deadline.saturating_duration_since(Instant::now())),
                    );
                }
                let exit = if scope.cancelled() {
                    Exit::Interrupted
                } else {
                    Exit::TimedOut
                };
                reply(exit, String::new(), String::new())
            }
            Behaviour::Overrun(d) => {
                std::thread::sleep(d);
                finish(correct())
            }
            Behaviour::Crash(sig) => reply(Exit::Signal(sig), String::new(), String::new()),
            Behaviour::Print(text) => reply(Exit::Code(0), text, String::new()),
            Behaviour::Noop => reply(Exit::Code(0), String::new(), String::new()),
            Behaviour::Panic => panic!("the fake runtime was scripted to panic in {command}"),
        }
    }

    fn with<T>(
        &self,
        scope: &Scope,
        id: Option<&str>,
        f: impl FnOnce(&mut BTreeMap<(PathBuf, String), Container>, (PathBuf, String)) -> T,
    ) -> Result<T, String> {
        let id = id.ok_or("container id is required")?;
        let mut map = self.containers.lock().map_err(|e| e.to_string())?;
        Ok(f(
            &mut map,
            (scope.state_root.to_path_buf(), id.to_string()),
        ))
    }
}

fn call(op: Op, id: Option<&str>, detail: Option<String>) -> Call {
    Call {
        op,
        id: id.map(str::to_string),
        detail,
    }
}

/// What the fake reads of a bundle's config, as a runtime would.
struct Config {
    oci_version: String,
    /// What the probe will do after reporting.
    then: Then,
    cgroups_path: String,
}

fn read_config(bundle: &Path) -> Result<Config, String> {
    let text = std::fs::read_to_string(bundle.join("config.json"))
        .map_err(|e| format!("cannot read config.json: {e}"))?;
    let config: Value = serde_json::from_str(&text).map_err(|e| format!("config.json: {e}"))?;
    Ok(Config {
        oci_version: config["ociVersion"].as_str().unwrap_or("1.3.0").to_string(),
        then: config["process"]["args"][2]
            .as_str()
            .and_then(|s| serde_json::from_str::<ProbeSpec>(s).ok())
            .map(|s| s.then)
            .unwrap_or_default(),
        cgroups_path: config["linux"]["cgroupsPath"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    })
}

impl Lifecycle for FakeRuntime {
    fn name(&self) -> String {
        "fake".into()
    }

    fn version(&self) -> Option<String> {
        Some("fake 1.0".into())
    }

    fn create(
        &self,
        scope: &Scope,
        id: Option<&str>,
        req: &CreateRequest,
        deadline: Instant,
    ) -> std::io::Result<Reply> {
        let cgroups = self.cgroups.lock().ok().and_then(|c| c.clone());
        Ok(
            self.answer(call(Op::Create, id, None), scope, deadline, || {
                let config = read_config(req.bundle)?;
                let mut cgroup = None;
                if let Some(c) = &cgroups {
                    let dir = c
                        .hierarchy
                        .join(config.cgroups_path.trim_start_matches('/'));
                    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
                    for (name, text) in &c.files {
                        std::fs::write(dir.join(name), text).map_err(|e| e.to_string())?;
                    }
                    cgroup = (!c.leak).then_some(dir);
                }
                self.with(scope, id, |map, key| {
                    if map.contains_key(&key) {
                        return Err(format!("container {} already exists", key.1));
                    }
                    std::fs::write(req.pid_file, FAKE_PID.to_string())
                        .map_err(|e| e.to_string())?;
                    std::fs::File::create(req.output).map_err(|e| e.to_string())?;
                    map.insert(
                        key,
                        Container {
                            cgroup,
                            status: "created",
                            bundle: req.bundle.to_path_buf(),
                            output: req.output.to_path_buf(),
                            oci_version: config.oci_version,
                            then: config.then,
                        },
                    );
                    Ok(String::new())
                })?
            }),
        )
    }

    fn start(&self, scope: &Scope, id: Option<&str>, deadline: Instant) -> std::io::Result<Reply> {
        let report = self.report.lock().ok().and_then(|r| r.clone());
        Ok(self.answer(call(Op::Start, id, None), scope, deadline, || {
            self.with(scope, id, |map, key| {
                let c = map.get_mut(&key).ok_or("container does not exist")?;
                if c.status != "created" {
                    return Err(format!("cannot start a {} container", c.status));
                }
                if let Some(obs) = &report {
                    let line = serde_json::to_string(obs).map_err(|e| e.to_string())?;
                    let mut out = std::fs::OpenOptions::new()
                        .append(true)
                        .open(&c.output)
                        .map_err(|e| e.to_string())?;
                    writeln!(out, "{REPORT_PREFIX}{line}").map_err(|e| e.to_string())?;
                }
                c.status = match c.then {
                    Then::Sleep | Then::AwaitSignal => "running",
                    Then::Exit | Then::ExitWith(_) => "stopped",
                };
                Ok(String::new())
            })?
        }))
    }

    fn state(&self, scope: &Scope, id: Option<&str>, deadline: Instant) -> std::io::Result<Reply> {
        Ok(self.answer(call(Op::State, id, None), scope, deadline, || {
            self.with(scope, id, |map, key| {
                let c = map.get(&key).ok_or("container does not exist")?;
                let mut state = json!({
                    "ociVersion": c.oci_version,
                    "id": key.1,
                    "status": c.status,
                    "bundle": c.bundle.display().to_string(),
                });
                if matches!(c.status, "created" | "running") {
                    state["pid"] = json!(FAKE_PID);
                }
                Ok(state.to_string())
            })?
        }))
    }

    fn kill(
        &self,
        scope: &Scope,
        id: Option<&str>,
        signal: Option<&str>,
        deadline: Instant,
    ) -> std::io::Result<Reply> {
        Ok(self.answer(
            call(Op::Kill, id, signal.map(String::from)),
            scope,
            deadline,
            || {
                self.with(scope, id, |map, key| {
                    let c = map.get_mut(&key).ok_or("container does not exist")?;
                    if !matches!(c.status, "created" | "running") {
                        return Err(format!("cannot kill a {} container", c.status));
                    }
                    c.status = "stopped";
                    Ok(String::new())
                })?
            },
        ))
    }

    fn delete(
        &self,
        scope: &Scope,
        id: Option<&str>,
        force: bool,
        deadline: Instant,
    ) -> std::io::Result<Reply> {
        let detail = force.then(|| "--force".to_string());
        Ok(
            self.answer(call(Op::Delete, id, detail), scope, deadline, || {
                self.with(scope, id, |map, key| {
                    let c = map.get(&key).ok_or("container does not exist")?;
                    if c.status != "stopped" && !force {
                        return Err(format!("cannot delete a {} container", c.status));
                    }
                    if let Some(dir) = &c.cgroup {
                        std::fs::remove_dir_all(dir).map_err(|e| e.to_string())?;
                    }
                    map.remove(&key);
                    Ok(String::new())
                })?
            }),
        )
    }
}
