//! Running cases: one isolated bundle, root dir, container id, cgroup and timeout per case;
//! everything made is removed afterwards, also when the runtime hangs or a case panics.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ocicheck_catalog::{Catalog, SpecVersion};
use ocicheck_validator::{Options, Validator};
use serde_json::{json, Value};

use crate::case::{merge_patch, toml_to_json, Case, Step};
use crate::driver::{Invocation, Runtime};
use crate::expect::Expectation;
use crate::probe::{HookRecord, Observation, ProbeSpec, REPORT_PREFIX};

// The result types live with the other result formats; re-exported where they used to be.
pub use ocicheck_results::{CaseResult, Outcome};

/// Settings of a run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    pub runtime: Runtime,
    /// The static binary copied into each rootfs as /probe and used as the hook program.
    pub probe: PathBuf,
    pub spec_version: SpecVersion,
    pub jobs: usize,
    /// Directory under which the run's temp dir is made.
    pub tmp_root: PathBuf,
}

/// Host facts that decide skips.
#[derive(Clone, Debug, Default)]
pub struct Host {
    pub features: Vec<String>,
}

impl Host {
    /// Probes this machine.
    pub fn probe() -> Host {
        let mut features = Vec::new();
        let exists = |p: &str| Path::new(p).exists();
        if exists("/proc/self/ns/time") {
            features.push("time-namespace".to_string());
        }
        if exists("/proc/self/ns/cgroup") {
            features.push("cgroup-namespace".to_string());
        }
        if exists("/sys/fs/cgroup/pids/cgroup.procs") || exists("/sys/fs/cgroup/cgroup.controllers")
        {
            features.push("cgroup-pids".to_string());
        }
        if exists("/sys/fs/cgroup/cgroup.controllers") {
            features.push("cgroup-v2".to_string());
        } else if exists("/sys/fs/cgroup/pids/cgroup.procs") {
            features.push("cgroup-v1".to_string());
        }
        if exists("/sys/fs/cgroup/memory/memory.limit_in_bytes")
            || exists("/sys/fs/cgroup/cgroup.controllers")
        {
            features.push("cgroup-memory".to_string());
        }
        Host { features }
    }

    fn missing(&self, case: &Case) -> Option<String> {
        case.needs
            .iter()
            .find(|n| !self.features.contains(n))
            .map(|n| match n.as_str() {
                "time-namespace" => "kernel has no time namespace".to_string(),
                "cgroup-namespace" => "kernel has no cgroup namespace".to_string(),
                "cgroup-pids" => "no pids cgroup controller is mounted".to_string(),
                "cgroup-memory" => "no memory cgroup controller is mounted".to_string(),
                "cgroup-v1" => "the host's cgroups are not v1 (or hybrid)".to_string(),
                "cgroup-v2" => "the host's cgroups are not v2 only".to_string(),
                other => format!("host lacks {other}"),
            })
    }
}

/// Runs `cases` and returns results in case order. `progress` is called after each case.
pub fn run_suite(
    cfg: &RunConfig,
    cases: &[Case],
    progress: &(dyn Fn(&CaseResult) + Sync),
) -> std::io::Result<Vec<CaseResult>> {
    let run_dir = tempdir_in(&cfg.tmp_root, "ocicheck-run-")?;
    let probe = run_dir.join("probe");
    std::fs::copy(&cfg.probe, &probe)?;
    let host = Host::probe();
    let queue: Arc<Mutex<VecDeque<(usize, &Case)>>> =
        Arc::new(Mutex::new(cases.iter().enumerate().collect()));
    let results: Mutex<Vec<Option<CaseResult>>> = Mutex::new(vec![None; cases.len()]);
    let run_tag = format!(
        "{:x}",
        std::process::id() as u64 ^ now_ns() as u64 & 0xffff_ffff
    );
    std::thread::scope(|s| {
        for _ in 0..cfg.jobs.max(1) {
            s.spawn(|| loop {
                let next = queue.lock().map(|mut q| q.pop_front()).unwrap_or(None);
                let Some((idx, case)) = next else { break };
                let ctx = CaseCtx {
                    cfg,
                    run_dir: &run_dir,
                    probe: &probe,
                    host: &host,
                    container_id: format!("ocicheck-{run_tag}-{idx}"),
                };
                let result = run_case_isolated(&ctx, case);
                progress(&result);
                if let Ok(mut r) = results.lock() {
                    r[idx] = Some(result);
                }
            });
        }
    });
    let _ = std::fs::remove_dir_all(&run_dir);
    Ok(results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect())
}

fn now_ns() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// A fresh directory `<root>/<prefix><unique>`.
pub fn tempdir_in(root: &Path, prefix: &str) -> std::io::Result<PathBuf> {
    for i in 0..1000u32 {
        let p = root.join(format!(
            "{prefix}{}-{:x}",
            std::process::id(),
            (now_ns() as u32) ^ i
        ));
        match std::fs::create_dir(&p) {
            Ok(()) => return Ok(p),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("cannot create a unique temp dir"))
}

struct CaseCtx<'a> {
    cfg: &'a RunConfig,
    run_dir: &'a Path,
    probe: &'a Path,
    host: &'a Host,
    container_id: String,
}

/// Runs one case; whatever happens inside (including a panic), cleans up and returns a result.
fn run_case_isolated(ctx: &CaseCtx, case: &Case) -> CaseResult {
    let start = Instant::now();
    let result = |outcome, reason: String| CaseResult {
        id: case.id.clone(),
        requirements: case.requirements.clone(),
        outcome,
        reason,
        duration_ms: start.elapsed().as_millis() as u64,
        baseline: None,
    };
    let catalog = Catalog::embedded().ok();
    let applies = case.requirements.iter().any(|id| {
        catalog
            .and_then(|c| c.get(id))
            .is_none_or(|r| r.applies_to(ctx.cfg.spec_version))
    });
    if !applies {
        return result(
            Outcome::Skip,
            format!(
                "its requirements do not apply to runtime-spec {}",
                ctx.cfg.spec_version
            ),
        );
    }
    if let Some(why) = ctx.host.missing(case) {
        return result(Outcome::Skip, why);
    }
    let case_dir = match tempdir_in(ctx.run_dir, &format!("ocicheck-{}-", sanitize(&case.id))) {
        Ok(d) => d,
        Err(e) => {
            return result(
                Outcome::Error,
                format!("cannot create the case directory: {e}"),
            )
        }
    };
    let mut run = CaseRun::new(ctx, case, case_dir);
    let body = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run.execute()));
    let cleanup = run.cleanup();
    match body {
        Ok(Ok(())) => match cleanup {
            Ok(()) => result(Outcome::Pass, String::new()),
            Err(e) => result(Outcome::Error, format!("cleanup failed: {e}")),
        },
        Ok(Err(Failure::Fail(why))) => result(Outcome::Fail, why),
        Ok(Err(Failure::Error(why))) => result(Outcome::Error, why),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            result(Outcome::Error, format!("the case panicked: {msg}"))
        }
    }
}

fn sanitize(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

enum Failure {
    /// The runtime did not do what the spec requires.
    Fail(String),
    /// The case could not be carried out (timeout, garbage output, harness problem).
    Error(String),
}

fn io_err(what: &str) -> impl Fn(std::io::Error) -> Failure + '_ {
    move |e| Failure::Error(format!("{what}: {e}"))
}

/// The base config every case starts from: a minimal Linux container running the probe.
pub fn base_config(version: SpecVersion, cgroups_path: &str) -> Value {
    let caps = json!(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
    json!({
        "ociVersion": version.as_str(),
        "process": {
            "terminal": false,
            "user": {"uid": 0, "gid": 0},
            "args": ["/probe"],
            "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "OCICHECK=1"],
            "cwd": "/",
            "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": true
        },
        "root": {"path": "rootfs", "readonly": false},
        "hostname": "ocicheck",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}
        ],
        "linux": {
            "cgroupsPath": cgroups_path,
            "resources": {"devices": [{"allow": false, "access": "rwm"}]},
            "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
            "maskedPaths": ["/proc/kcore", "/proc/keys", "/sys/firmware"],
            "readonlyPaths": ["/proc/bus", "/proc/sys", "/proc/sysrq-trigger"]
        }
    })
}

struct CaseRun<'a> {
    ctx: &'a CaseCtx<'a>,
    case: &'a Case,
    dir: PathBuf,
    bundle: PathBuf,
    root: PathBuf,
    hooks_log: PathBuf,
    cgroups_path: String,
    seq: usize,
    created: bool,
    /// The terminal received over `--console-socket`, while its output is being collected.
    console: Option<crate::sockets::Console>,
    /// The seccomp agent at `{seccomp_socket}`.
    agent: Option<crate::sockets::Agent>,
}

impl<'a> CaseRun<'a> {
    fn new(ctx: &'a CaseCtx<'a>, case: &'a Case, dir: PathBuf) -> Self {
        CaseRun {
            bundle: dir.join("bundle"),
            root: dir.join("state"),
            hooks_log: dir.join("hooks.log"),
            cgroups_path: format!("/{}", ctx.container_id),
            dir,
            ctx,
            case,
            seq: 0,
            created: false,
            console: None,
            agent: None,
        }
    }

    fn invoke(
        &mut self,
        args: Vec<String>,
        stdout_to: Option<&Path>,
    ) -> Result<Invocation, Failure> {
        self.seq += 1;
        self.ctx
            .cfg
            .runtime
            .invoke(&self.root, &args, &self.dir, self.seq, stdout_to)
            .map_err(|e| {
                Failure::Error(format!(
                    "cannot run {}: {e}",
                    self.ctx.cfg.runtime.path.display()
                ))
            })
    }

    fn config(&self) -> Value {
        let mut spec = ProbeSpec {
            then: match &self.case.then {
                Some(t) => t.clone(),
                None if self.case.keep_running => "sleep".into(),
                None => "exit".into(),
            },
            ..ProbeSpec::default()
        };
        for e in &self.case.expect {
            e.add_to_spec(&mut spec);
        }
        let mut config = base_config(self.ctx.cfg.spec_version, &self.cgroups_path);
        let spec = serde_json::to_string(&spec).unwrap_or_default();
        config["process"]["args"] = json!(["/probe", "observe", spec]);
        let mut patch = toml_to_json(&self.case.config);
        let mut placeholders = self.placeholders();
        placeholders.push(("{observe}", spec));
        substitute(&mut patch, &placeholders);
        merge_patch(&mut config, &patch);
        config
    }

    /// Strings a case file may use in its config: `{probe}` (host path of the probe binary),
    /// `{hooks_log}`, `{bundle}`, `{harness_pid}` (for namespace paths of the runtime side).
    fn placeholders(&self) -> Vec<(&'static str, String)> {
        vec![
            ("{probe}", self.ctx.probe.display().to_string()),
            ("{hooks_log}", self.hooks_log.display().to_string()),
            ("{bundle}", self.bundle.display().to_string()),
            ("{harness_pid}", std::process::id().to_string()),
            (
                "{seccomp_socket}",
                self.dir.join("seccomp.sock").display().to_string(),
            ),
        ]
    }

    fn setup(&mut self) -> Result<(), Failure> {
        let rootfs = self.bundle.join("rootfs");
        std::fs::create_dir_all(&self.root).map_err(io_err("cannot create the state dir"))?;
        std::fs::create_dir_all(&rootfs).map_err(io_err("cannot create the rootfs"))?;
        let dest = rootfs.join("probe");
        if std::fs::hard_link(self.ctx.probe, &dest).is_err() {
            std::fs::copy(self.ctx.probe, &dest).map_err(io_err("cannot place the probe"))?;
        }
        let config = self.config();
        // With a user namespace, the container's root must own its root filesystem.
        let host_id = |key: &str| {
            config["linux"][key].as_array().and_then(|m| {
                m.iter()
                    .find(|e| e["containerID"] == 0)
                    .and_then(|e| e["hostID"].as_u64())
                    .and_then(|h| u32::try_from(h).ok())
            })
        };
        if let (Some(uid), Some(gid)) = (host_id("uidMappings"), host_id("gidMappings")) {
            std::os::unix::fs::chown(&rootfs, Some(uid), Some(gid))
                .map_err(io_err("cannot hand the rootfs to the user namespace"))?;
        }
        let text = serde_json::to_string_pretty(&config).unwrap_or_default();
        std::fs::write(self.bundle.join("config.json"), text)
            .map_err(io_err("cannot write config.json"))?;
        Ok(())
    }

    /// The id argument of a step (none for `id = "none"`).
    fn id_for(&self, step: &Step) -> Vec<String> {
        match step.id.as_deref() {
            Some("unknown") => vec![format!("{}-nonexistent", self.ctx.container_id)],
            Some("none") => vec![],
            Some(other) => vec![other.to_string()],
            None => vec![self.ctx.container_id.clone()],
        }
    }

    fn execute(&mut self) -> Result<(), Failure> {
        self.setup()?;
        let default_steps = vec![
            step("create"),
            step("start"),
            Step {
                status: Some("stopped".into()),
                ..step("wait")
            },
            step("probe"),
            step("delete"),
        ];
        let steps = if self.case.step.is_empty() {
            default_steps
        } else {
            self.case.step.clone()
        };
        for (n, s) in steps.iter().enumerate() {
            self.step(n + 1, s)?;
        }
        Ok(())
    }

    fn expect_result(&self, n: usize, s: &Step, inv: &Invocation) -> Result<(), Failure> {
        if inv.timed_out {
            return Err(Failure::Error(format!(
                "step {n} ({}): {}",
                s.run,
                inv.describe()
            )));
        }
        match (s.expect.as_str(), inv.success()) {
            ("ok", true) | ("error", false) | ("any", _) => Ok(()),
            ("ok", false) => Err(Failure::Fail(format!(
                "step {n} ({}): expected success, but {}",
                s.run,
                inv.describe()
            ))),
            ("error", true) => Err(Failure::Fail(format!(
                "step {n} ({}): expected an error, but `{}` succeeded",
                s.run, inv.command
            ))),
            (other, _) => Err(Failure::Error(format!(
                "step {n}: unknown expectation {other:?}"
            ))),
        }
    }

    fn step(&mut self, n: usize, s: &Step) -> Result<(), Failure> {
        let id = self.id_for(s);
        match s.run.as_str() {
            "create" => {
                let out = self.dir.join("container.out");
                let pid_file = self.dir.join("container.pid");
                let mut args = vec![
                    "create".into(),
                    "--bundle".into(),
                    self.bundle.display().to_string(),
                    "--pid-file".into(),
                    pid_file.display().to_string(),
                ];
                if s.seccomp_agent {
                    self.agent = Some(
                        crate::sockets::Agent::listen(
                            &self.dir.join("seccomp.sock"),
                            self.ctx.cfg.runtime.timeout,
                        )
                        .map_err(io_err("cannot listen as the seccomp agent"))?,
                    );
                }
                if s.console {
                    let sock = self.dir.join("console.sock");
                    self.console = Some(
                        crate::sockets::Console::listen(&sock, &out, self.ctx.cfg.runtime.timeout)
                            .map_err(io_err("cannot listen on the console socket"))?,
                    );
                    args.push("--console-socket".into());
                    args.push(sock.display().to_string());
                }
                args.extend(id);
                let inv = self.invoke(args, Some(&out))?;
                if inv.success() {
                    self.created = true;
                }
                self.expect_result(n, s, &inv)
            }
            "start" | "delete" | "kill" => {
                let mut args = vec![s.run.clone()];
                if s.run == "delete" && s.force {
                    args.push("--force".into());
                }
                args.extend(id);
                if s.run == "kill" {
                    args.push(s.signal.clone().unwrap_or_else(|| "TERM".into()));
                }
                let inv = self.invoke(args, None)?;
                if s.run == "delete" && inv.success() && s.id.is_none() {
                    self.created = false;
                }
                self.expect_result(n, s, &inv)
            }
            "state" => {
                let mut args = vec!["state".to_string()];
                args.extend(id);
                let inv = self.invoke(args, None)?;
                self.expect_result(n, s, &inv)?;
                if s.expect == "ok" {
                    let state = self.parse_state(n, &inv)?;
                    self.judge_state(n, s, &state)?;
                }
                Ok(())
            }
            "wait" => {
                let want = s.status.clone().unwrap_or_else(|| "stopped".into());
                let deadline = Instant::now() + self.ctx.cfg.runtime.timeout;
                loop {
                    let mut args = vec!["state".to_string()];
                    args.extend(id.iter().cloned());
                    let inv = self.invoke(args, None)?;
                    if !inv.success() {
                        return Err(Failure::Fail(format!(
                            "step {n} (wait {want}): {}",
                            inv.describe()
                        )));
                    }
                    let state = self.parse_state(n, &inv)?;
                    if state.get("status").and_then(Value::as_str) == Some(want.as_str()) {
                        return Ok(());
                    }
                    if Instant::now() > deadline {
                        return Err(Failure::Fail(format!(
                            "step {n}: status did not become {want:?} in {:?} (last: {})",
                            self.ctx.cfg.runtime.timeout,
                            state.get("status").unwrap_or(&Value::Null)
                        )));
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            "probe" => {
                // The terminal's output is complete once its reader has seen it close.
                if let Some(c) = self.console.take() {
                    c.finish();
                }
                self.judge_probe(n)
            }
            "seccomp-agent" => self.judge_agent(n),
            "output" => {
                let want = s.contains.clone().unwrap_or_default();
                let deadline = Instant::now() + self.ctx.cfg.runtime.timeout;
                loop {
                    let text =
                        std::fs::read_to_string(self.dir.join("container.out")).unwrap_or_default();
                    if text.lines().any(|l| l.starts_with(&want)) {
                        return Ok(());
                    }
                    if Instant::now() > deadline {
                        // The last 200 characters, cut at a character boundary.
                        let from = text.char_indices().rev().nth(199).map_or(0, |(i, _)| i);
                        let tail = &text[from..];
                        return Err(Failure::Fail(format!(
                            "step {n}: the container never printed {want:?} (output ends {tail:?})"
                        )));
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
            "not-started" => {
                let text =
                    std::fs::read_to_string(self.dir.join("container.out")).unwrap_or_default();
                if text.contains(REPORT_PREFIX) {
                    Err(Failure::Fail(format!(
                        "step {n}: the user process already ran before start"
                    )))
                } else {
                    Ok(())
                }
            }
            "cgroup" => self.judge_cgroup(n, s),
            "edit-config" => {
                let path = self.bundle.join("config.json");
                let text =
                    std::fs::read_to_string(&path).map_err(io_err("cannot read config.json"))?;
                let mut config: Value =
                    serde_json::from_str(&text).map_err(|e| Failure::Error(e.to_string()))?;
                if let Some(p) = &s.patch {
                    merge_patch(&mut config, &toml_to_json(p));
                }
                std::fs::write(
                    &path,
                    serde_json::to_string_pretty(&config).unwrap_or_default(),
                )
                .map_err(io_err("cannot write config.json"))
            }
            "hooks" => self.judge_hooks(n, s),
            other => Err(Failure::Error(format!("step {n}: unknown step {other:?}"))),
        }
    }

    fn parse_state(&self, n: usize, inv: &Invocation) -> Result<Value, Failure> {
        serde_json::from_str(&inv.stdout).map_err(|e| {
            let head: String = inv.stdout.chars().take(120).collect();
            Failure::Error(format!(
                "step {n}: `{}` printed no JSON state ({e}): {head:?}",
                inv.command
            ))
        })
    }

    fn judge_state(&self, n: usize, s: &Step, state: &Value) -> Result<(), Failure> {
        let validator = Validator::new(Options::default());
        let problems = validator.validate_state(state, self.ctx.cfg.spec_version);
        if let Some(p) = problems.first() {
            return Err(Failure::Fail(format!(
                "step {n}: state does not follow the state schema: [{}] {} at {:?}",
                p.requirement, p.message, p.pointer
            )));
        }
        let field = |k: &str| state.get(k).cloned().unwrap_or(Value::Null);
        if field("id") != json!(self.ctx.container_id) {
            return Err(Failure::Fail(format!(
                "step {n}: state id is {}, not {}",
                field("id"),
                self.ctx.container_id
            )));
        }
        let bundle = self.bundle.display().to_string();
        if field("bundle").as_str() != Some(bundle.as_str()) {
            return Err(Failure::Fail(format!(
                "step {n}: state bundle is {}, not {bundle:?}",
                field("bundle")
            )));
        }
        if let Some(want) = &s.status {
            if field("status").as_str() != Some(want.as_str()) {
                return Err(Failure::Fail(format!(
                    "step {n}: status is {}, expected {want:?}",
                    field("status")
                )));
            }
            if matches!(want.as_str(), "created" | "running")
                && field("pid").as_i64().is_none_or(|p| p <= 0)
            {
                return Err(Failure::Fail(format!(
                    "step {n}: a {want} container's state has no pid"
                )));
            }
        }
        if let Some(want) = &s.annotations {
            let got = field("annotations");
            let want = toml_to_json(want);
            let empty = want.as_object().is_some_and(|m| m.is_empty());
            let ok = got == want || (empty && (got.is_null() || got == json!({})));
            if !ok {
                return Err(Failure::Fail(format!(
                    "step {n}: state annotations are {got}, expected {want}"
                )));
            }
        }
        Ok(())
    }

    fn observation(&self, n: usize) -> Result<Observation, Failure> {
        let text = std::fs::read_to_string(self.dir.join("container.out")).unwrap_or_default();
        let line = text
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

    fn judge_probe(&self, n: usize) -> Result<(), Failure> {
        let mut obs = self.observation(n)?;
        obs.host_namespaces = crate::probe::own_namespaces();
        let problems: Vec<String> = self
            .case
            .expect
            .iter()
            .filter_map(|e: &Expectation| e.judge(&obs).err())
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Failure::Fail(problems.join("; ")))
        }
    }

    /// The runtime sent one container process state per connection, on a stream socket, with
    /// the notify fd as SCM_RIGHTS on the first message only, named `seccompFd` in `fds`, and
    /// closed the connection.
    fn judge_agent(&mut self, n: usize) -> Result<(), Failure> {
        let Some(agent) = self.agent.take() else {
            return Err(Failure::Error(format!(
                "step {n}: no seccomp agent (create needs seccomp_agent = true)"
            )));
        };
        let records = agent.finish();
        let fail = |m: String| Err(Failure::Fail(format!("step {n}: {m}")));
        let [rec] = records.as_slice() else {
            return fail(format!(
                "the seccomp agent got {} connections, expected exactly 1",
                records.len()
            ));
        };
        let state: Value = match serde_json::from_str(&rec.state) {
            Ok(v) => v,
            Err(e) => {
                return fail(format!(
                    "the container process state is not JSON ({e}): {:?}",
                    rec.state
                ))
            }
        };
        if state["fds"] != json!(["seccompFd"]) {
            return fail(format!("fds is {}, expected [\"seccompFd\"]", state["fds"]));
        }
        if rec.fds_per_message.first() != Some(&1)
            || rec.fds_per_message.iter().skip(1).any(|c| *c > 0)
        {
            return fail(format!(
                "descriptors per message were {:?}: the notify fd must come with the first only",
                rec.fds_per_message
            ));
        }
        if state["pid"].as_i64().is_none_or(|p| p <= 0) {
            return fail(format!("the process state has no pid: {state}"));
        }
        if state["state"]["id"] != json!(self.ctx.container_id) {
            return fail(format!(
                "the process state's state.id is {}",
                state["state"]["id"]
            ));
        }
        if state["metadata"] != json!("ocicheck") {
            return fail(format!(
                "metadata is {}, expected \"ocicheck\"",
                state["metadata"]
            ));
        }
        if !rec.closed {
            return fail("the runtime did not close the connection".into());
        }
        Ok(())
    }

    fn judge_cgroup(&self, n: usize, s: &Step) -> Result<(), Failure> {
        let rel = self.cgroups_path.trim_start_matches('/');
        let v2 = Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
        let path = if v2 {
            Path::new("/sys/fs/cgroup").join(rel).join(
                s.file_v2
                    .as_deref()
                    .or(s.file.as_deref())
                    .unwrap_or_default(),
            )
        } else {
            Path::new("/sys/fs/cgroup")
                .join(s.controller.as_deref().unwrap_or_default())
                .join(rel)
                .join(s.file.as_deref().unwrap_or_default())
        };
        if let Some(want) = &s.owner {
            use std::os::unix::fs::MetadataExt;
            let meta = std::fs::metadata(&path).map_err(|e| {
                Failure::Fail(format!("step {n}: cannot stat {}: {e}", path.display()))
            })?;
            let got = format!("{}:{}", meta.uid(), meta.gid());
            return if &got == want {
                Ok(())
            } else {
                Err(Failure::Fail(format!(
                    "step {n}: {} is owned by {got}, expected {want}",
                    path.display()
                )))
            };
        }
        let got = std::fs::read_to_string(&path)
            .map_err(|e| Failure::Fail(format!("step {n}: cannot read {}: {e}", path.display())))?;
        let want = s.value.clone().unwrap_or_default();
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

    fn judge_hooks(&self, n: usize, s: &Step) -> Result<(), Failure> {
        let mut text = std::fs::read_to_string(&self.hooks_log).unwrap_or_default();
        // Hooks that run in the container (startContainer) write into the root filesystem.
        text.push_str(
            &std::fs::read_to_string(self.bundle.join("rootfs/hooks.log")).unwrap_or_default(),
        );
        let mut records: Vec<HookRecord> = text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        records.sort_by_key(|r| r.time_ns);
        let names: Vec<&str> = records.iter().map(|r| r.name.as_str()).collect();
        if names != s.order.iter().map(String::as_str).collect::<Vec<_>>() {
            return Err(Failure::Fail(format!(
                "step {n}: hooks ran as {names:?}, expected {:?}",
                s.order
            )));
        }
        let runtime_mnt = crate::probe::own_namespaces()
            .get("mnt")
            .cloned()
            .unwrap_or_default();
        for r in &records {
            if r.state.get("id").and_then(Value::as_str) != Some(self.ctx.container_id.as_str()) {
                return Err(Failure::Fail(format!(
                    "step {n}: hook {} got no container state on stdin: {}",
                    r.name, r.state
                )));
            }
            // createContainer and startContainer hooks run in the container's mount
            // namespace; the others in the runtime's.
            let in_container = matches!(r.name.as_str(), "createContainer" | "startContainer");
            if (r.mnt_ns != runtime_mnt) != in_container {
                return Err(Failure::Fail(format!(
                    "step {n}: hook {} ran in mount namespace {} ({} is the runtime's); expected the {}'s",
                    r.name,
                    r.mnt_ns,
                    runtime_mnt,
                    if in_container { "container" } else { "runtime" }
                )));
            }
        }
        Ok(())
    }

    /// Removes everything the case made. Errors are collected, not fatal to the run.
    fn cleanup(&mut self) -> Result<(), String> {
        let mut problems = Vec::new();
        let pid = std::fs::read_to_string(self.dir.join("container.pid"))
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok());
        // 1. Ask the runtime.
        if self.created || pid.is_some() {
            let args = vec![
                "delete".into(),
                "--force".into(),
                self.ctx.container_id.clone(),
            ];
            let _ = self.invoke(args, None);
        }
        // 2. Kill what is left of the container by pid, and anything still in its cgroup.
        if let Some(pid) = pid {
            if Path::new(&format!("/proc/{pid}")).exists()
                && is_ours(pid, &self.ctx.container_id, &self.bundle)
            {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
        for dir in cgroup_dirs(&self.cgroups_path) {
            kill_cgroup(&dir);
        }
        // 3. Unmount anything below the case directory, deepest first.
        if let Err(e) = unmount_below(&self.dir) {
            problems.push(e);
        }
        // 4. Remove the cgroups (retrying while the killed processes exit).
        for dir in cgroup_dirs(&self.cgroups_path) {
            let mut removed = false;
            for _ in 0..100 {
                if !dir.exists() || std::fs::remove_dir(&dir).is_ok() {
                    removed = true;
                    break;
                }
                kill_cgroup(&dir);
                std::thread::sleep(Duration::from_millis(10));
            }
            if !removed {
                problems.push(format!("cannot remove cgroup {}", dir.display()));
            }
        }
        // 5. Remove the directory.
        if let Err(e) = std::fs::remove_dir_all(&self.dir) {
            if self.dir.exists() {
                problems.push(format!("cannot remove {}: {e}", self.dir.display()));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}

fn step(run: &str) -> Step {
    Step {
        run: run.into(),
        expect: "ok".into(),
        status: None,
        signal: None,
        force: false,
        id: None,
        patch: None,
        order: Vec::new(),
        annotations: None,
        controller: None,
        file: None,
        file_v2: None,
        value: None,
        console: false,
        seccomp_agent: false,
        contains: None,
        owner: None,
    }
}

fn substitute(v: &mut Value, subs: &[(&str, String)]) {
    match v {
        Value::String(s) => {
            for (k, val) in subs {
                if s.contains(k) {
                    *s = s.replace(k, val);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| substitute(x, subs)),
        Value::Object(m) => m.values_mut().for_each(|x| substitute(x, subs)),
        _ => {}
    }
}

/// A pid belongs to this case when its root is inside the case's bundle (containers) or its
/// command line names the container id (runtime helpers).
fn is_ours(pid: i32, id: &str, bundle: &Path) -> bool {
    let root_in_bundle = std::fs::read_link(format!("/proc/{pid}/root"))
        .map(|r| r.starts_with(bundle))
        .unwrap_or(false);
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    root_in_bundle || String::from_utf8_lossy(&cmdline).contains(id)
}

/// Every directory the cgroupsPath may have made: in each v1 hierarchy and in the v2 tree.
fn cgroup_dirs(path: &str) -> Vec<PathBuf> {
    let rel = path.trim_start_matches('/');
    let mut out = Vec::new();
    if rel.is_empty() {
        return out;
    }
    if let Ok(rd) = std::fs::read_dir("/sys/fs/cgroup") {
        for e in rd.flatten() {
            let p = e.path().join(rel);
            if p.exists() {
                out.push(p);
            }
        }
    }
    let v2 = Path::new("/sys/fs/cgroup").join(rel);
    if v2.exists() && !out.contains(&v2) {
        out.push(v2);
    }
    out
}

fn kill_cgroup(dir: &Path) {
    for f in ["cgroup.procs", "tasks"] {
        if let Ok(text) = std::fs::read_to_string(dir.join(f)) {
            for pid in text.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
    }
}

/// Mount points at or below `dir`, from this process's mountinfo.
pub fn mounts_below(dir: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    crate::probe::parse_mountinfo(&text)
        .into_iter()
        .map(|m| PathBuf::from(m.mount_point))
        .filter(|p| p.starts_with(dir))
        .collect()
}

fn unmount_below(dir: &Path) -> Result<(), String> {
    let mut points = mounts_below(dir);
    points.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    for p in &points {
        let _ = nix::mount::umount2(p, nix::mount::MntFlags::MNT_DETACH);
    }
    let left = mounts_below(dir);
    if left.is_empty() {
        Ok(())
    } else {
        Err(format!("mounts left below {}: {left:?}", dir.display()))
    }
}
