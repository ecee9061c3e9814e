//! Running one case: its bundle, then each step in order, judged as it goes. Every operation
//! goes through the [`Lifecycle`] interface with a deadline; what the case made is tracked in
//! [`Made`] for the cleanup that follows whatever happens.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::bundle::{self, Layout};
use super::cleanup::{self, Made};
use super::judge::{self, Failure, StateWant};
use super::CaseCtx;
use super::{hooks, remains};
use crate::case::{merge_patch, toml_to_json, Assertion, Case, Expect, Status, Step, Target};
use crate::lifecycle::{CreateRequest, Exit, Reply, Scope};
use crate::show::Show;
use crate::sockets::{Agent, Console};

/// How often `wait` asks for the state, and `output` looks at the container's output.
mod waits;

use waits::own_mnt;

/// How long `hook-ran` waits for a hook that has not shown yet.
const HOOK_RAN_GRACE: Duration = Duration::from_secs(2);
const WAIT_POLL: Duration = Duration::from_millis(20);
const OUTPUT_POLL: Duration = Duration::from_millis(10);
/// How far past its deadline an operation may return before the harness calls it timed out
/// itself (an implementation that does not honour the deadline).
const DEADLINE_GRACE: Duration = Duration::from_millis(500);
/// How much of the container's output a failing `output` step quotes.
const OUTPUT_TAIL_CHARS: usize = 200;

/// One case being run.
pub struct CaseRun<'a> {
    ctx: &'a CaseCtx<'a>,
    case: &'a Case,
    pub layout: Layout,
    pub made: Made,
    /// The terminal received over `--console-socket`, while its output is being collected.
    console: Option<Console>,
    /// The seccomp agent at `{seccomp_socket}`.
    agent: Option<Agent>,
    /// What has been judged so far: the assertions that held and those that did not.
    pub judged: Judged,
    /// What the runtime printed on stderr during the last `create`.
    create_stderr: String,
    /// When the last create, start and delete of the case's container ran (for hook timing).
    spans: Spans,
    /// Where the first `cgroup-place` step found the container (`/proc/PID/cgroup`).
    place: Option<String>,
}

/// How long `not-started` waits for a program run too early to show itself.
const NOT_STARTED_GRACE: std::time::Duration = std::time::Duration::from_millis(300);

/// When the operations on the case's container ran.
#[derive(Debug, Default)]
struct Spans {
    create: Option<hooks::Span>,
    start: Option<hooks::Span>,
    delete: Option<hooks::Span>,
}

/// The assertions of a case judged so far, and the step being carried out.
#[derive(Debug, Default)]
pub struct Judged {
    pub passed: Vec<Assertion>,
    pub failed: Vec<Assertion>,
    /// The step under way (a panic is blamed on it).
    pub current: Option<usize>,
    /// Failed assertions whose failure concerns only these of their requirements.
    pub concerns: Vec<(Assertion, Vec<String>)>,
}

impl<'a> CaseRun<'a> {
    pub fn new(ctx: &'a CaseCtx<'a>, case: &'a Case, layout: Layout) -> Self {
        CaseRun {
            ctx,
            case,
            layout,
            made: Made::default(),
            console: None,
            agent: None,
            judged: Judged::default(),
            create_stderr: String::new(),
            spans: Spans::default(),
            place: None,
        }
    }

    /// Writes the bundle and runs every step; the first failing step ends the case.
    pub fn execute(&mut self) -> Result<(), Failure> {
        let config = bundle::case_config(
            self.case,
            self.ctx.cfg.spec_version,
            &self.ctx.cgroups_path,
            &self.layout,
            self.ctx.probe,
        );
        bundle::write(&self.layout, &config, self.ctx.probe).map_err(|e| {
            Failure::Error(format!(
                "cannot write the bundle {}: {e}",
                self.layout.bundle.display()
            ))
        })?;
        if self.layout.uses_netdev(&config) {
            // Recorded first: cleanup removes what a failed make left.
            self.made.net_device = Some(self.layout.netdev.clone());
            crate::netdev::make(&self.layout.netdev).map_err(|e| {
                Failure::Error(format!("cannot make the network device for the case: {e}"))
            })?;
        }
        // Failures of steps that only judge: the case goes on past them.
        let mut judged_failures: Vec<String> = Vec::new();
        for (i, s) in self.case.steps.iter().enumerate() {
            self.stop_if_interrupted()?;
            self.judged.current = Some(i);
            match self.step(i + 1, &s.step) {
                Ok(()) => self.judged.passed.push(Assertion::Step(i)),
                Err(failure) => {
                    // A probe step that read the report has judged its expectations itself.
                    if !self.judged.passed.contains(&Assertion::Step(i)) {
                        self.judged.failed.push(Assertion::Step(i));
                    }
                    match failure {
                        Failure::Fail(why) if s.step.judges_only() => judged_failures.push(why),
                        _ if judged_failures.is_empty() => return Err(failure),
                        Failure::Fail(why) | Failure::Error(why) => {
                            judged_failures.push(why);
                            return Err(Failure::Fail(judged_failures.join("; ")));
                        }
                    }
                }
            }
        }
        self.judged.current = None;
        if judged_failures.is_empty() {
            Ok(())
        } else {
            Err(Failure::Fail(judged_failures.join("; ")))
        }
    }

    fn scope(&self) -> Scope<'_> {
        Scope {
            state_root: &self.layout.state_root,
            work_dir: &self.layout.dir,
            marker: &self.ctx.container_id,
            hide: &self.case.hide,
            cancel: Some(self.ctx.cfg.interrupt.stop_flag()),
        }
    }

    /// The id argument an operation gives.
    fn id(&self, target: Target) -> Option<String> {
        match target {
            Target::Own => Some(self.ctx.container_id.clone()),
            Target::Unknown => Some(format!("{}-nonexistent", self.ctx.container_id)),
            Target::None => None,
        }
    }

    /// Runs one operation with a deadline; an operation that returns well past it counts as
    /// timed out even if the implementation says otherwise.
    fn op(
        &self,
        f: impl FnOnce(&Scope, Instant) -> std::io::Result<Reply>,
    ) -> Result<Reply, Failure> {
        let deadline = Instant::now() + self.ctx.cfg.timeout;
        let mut reply = f(&self.scope(), deadline)
            .map_err(|e| Failure::Error(format!("cannot run {}: {e}", self.ctx.runtime.name())))?;
        if !reply.cut_short() && Instant::now() > deadline + DEADLINE_GRACE {
            reply.exit = Exit::TimedOut;
        }
        Ok(reply)
    }

    fn expect_result(n: usize, kind: &str, expect: Expect, reply: &Reply) -> Result<(), Failure> {
        if reply.cut_short() {
            return Err(Failure::Error(format!(
                "step {n} ({kind}): {}",
                reply.describe()
            )));
        }
        match (expect, reply.success()) {
            (Expect::Ok, true) | (Expect::Error, false) | (Expect::Any, _) => Ok(()),
            (Expect::Ok, false) => Err(Failure::Fail(format!(
                "step {n} ({kind}): expected success, but {}",
                reply.describe()
            ))),
            (Expect::Error, true) => Err(Failure::Fail(format!(
                "step {n} ({kind}): expected an error, but `{}` succeeded",
                reply.command
            ))),
        }
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.layout.output).unwrap_or_default()
    }

    fn step(&mut self, n: usize, s: &Step) -> Result<(), Failure> {
        let runtime = self.ctx.runtime;
        let kind = s.kind();
        match s {
            Step::Create {
                expect,
                id,
                console,
                seccomp_agent,
                oom_score_adj,
                trace_mounts,
            } => {
                let timeout = self.ctx.cfg.timeout;
                if *seccomp_agent {
                    self.agent = Some(
                        Agent::listen(&self.layout.seccomp_socket, timeout).map_err(|e| {
                            Failure::Error(format!("cannot listen as the seccomp agent: {e}"))
                        })?,
                    );
                }
                if *console {
                    self.console = Some(
                        Console::listen(&self.layout.console_socket, &self.layout.output, timeout)
                            .map_err(|e| {
                                Failure::Error(format!("cannot listen on the console socket: {e}"))
                            })?,
                    );
                }
                let id = self.id(*id);
                let layout = &self.layout;
                let req = CreateRequest {
                    bundle: &layout.bundle,
                    pid_file: &layout.pid_file,
                    console_socket: console.then_some(layout.console_socket.as_path()),
                    output: &layout.output,
                    oom_score_adj: *oom_score_adj,
                    mount_trace: trace_mounts.then_some(layout.mount_trace.as_path()),
                };
                let own = id.as_deref() == Some(self.ctx.container_id.as_str());
                let begin = hooks::now_ns();
                let reply = self.op(|scope, d| runtime.create(scope, id.as_deref(), &req, d));
                if own {
                    let end = hooks::now_ns();
                    self.spans.create = Some(hooks::Span { begin, end });
                    self.made
                        .created(reply.as_ref().is_ok_and(|r: &Reply| r.success()));
                }
                let reply = reply?;
                self.create_stderr = reply.stderr.clone();
                Self::expect_result(n, kind, *expect, &reply)
            }
            Step::Start { expect, id } => {
                let own = *id == Target::Own;
                let id = self.id(*id);
                let begin = hooks::now_ns();
                let reply = self.op(|scope, d| runtime.start(scope, id.as_deref(), d))?;
                if own {
                    let end = hooks::now_ns();
                    self.spans.start = Some(hooks::Span { begin, end });
                }
                Self::expect_result(n, kind, *expect, &reply)
            }
            Step::Kill { expect, id, signal } => {
                let id = self.id(*id);
                let signal = Some(signal.as_str()).filter(|s| *s != crate::case::NO_SIGNAL);
                let reply = self.op(|scope, d| runtime.kill(scope, id.as_deref(), signal, d))?;
                Self::expect_result(n, kind, *expect, &reply)
            }
            Step::Delete { expect, id, force } => {
                let own = *id == Target::Own;
                let id = self.id(*id);
                let begin = hooks::now_ns();
                let reply = self.op(|scope, d| runtime.delete(scope, id.as_deref(), *force, d))?;
                if own {
                    let end = hooks::now_ns();
                    self.spans.delete = Some(hooks::Span { begin, end });
                }
                if own && reply.success() {
                    self.made.deleted();
                }
                Self::expect_result(n, kind, *expect, &reply)
            }
            Step::State {
                expect,
                id,
                status,
                annotations,
            } => {
                let id = self.id(*id);
                let reply = self.op(|scope, d| runtime.state(scope, id.as_deref(), d))?;
                Self::expect_result(n, kind, *expect, &reply)?;
                if *expect == Expect::Ok {
                    let state = judge::parse_state(n, &reply)?;
                    let want = StateWant {
                        id: &self.ctx.container_id,
                        bundle: &self.layout.bundle,
                        status: *status,
                        annotations: annotations.as_ref(),
                        version: self.ctx.cfg.spec_version,
                    };
                    if let Err(c) = judge::state(n, &want, &state) {
                        self.judged.concerns.push((Assertion::Step(n - 1), c.ids));
                        return Err(c.failure);
                    }
                }
                Ok(())
            }
            Step::Wait { status } => self.wait(n, *status),
            Step::Probe {} => {
                let at = Assertion::Step(n - 1);
                // The terminal's output is complete once its reader has seen it close.
                if let Some(c) = self.console.take() {
                    c.finish();
                }
                let mut obs = judge::observation(n, &self.output())?;
                obs.host_namespaces = crate::procfs::own_namespaces();
                // The report was read: the step holds; each expectation is judged on its own.
                self.judged.passed.push(at);
                let mut problems = Vec::new();
                for (i, e) in self.case.expect.iter().enumerate() {
                    match e.expectation.judge(&obs) {
                        Ok(()) => self.judged.passed.push(Assertion::Expect(i)),
                        Err(problem) => {
                            self.judged.failed.push(Assertion::Expect(i));
                            problems.push(problem);
                        }
                    }
                }
                judge::probe(problems)
            }
            Step::NotStarted {} => {
                // A program that a runtime runs at create may not have printed yet when create
                // returns, on a loaded machine: look again after a grace period.
                judge::not_started(n, &self.output())?;
                std::thread::sleep(NOT_STARTED_GRACE);
                judge::not_started(n, &self.output())
            }
            Step::SeccompAgent {} => {
                let Some(agent) = self.agent.take() else {
                    return Err(Failure::Error(format!(
                        "step {n}: no seccomp agent (create needs seccomp_agent = true)"
                    )));
                };
                judge::agent(n, &agent.finish(), &self.ctx.container_id).map_err(|c| {
                    self.judged.concerns.push((Assertion::Step(n - 1), c.ids));
                    c.failure
                })
            }
            Step::Output { contains } => self.await_output(n, contains),
            Step::Cgroup {
                controller,
                file,
                file_v2,
                value,
                value_v2,
                owner,
            } => {
                let rel = self.ctx.cgroups_path.trim_start_matches('/');
                // Each cgroup version names and writes its files its own way.
                let (path, v2) = judge::cgroup_file(
                    &self.ctx.cfg.cgroup_root,
                    rel,
                    controller,
                    file,
                    file_v2.as_deref(),
                );
                let value = if v2 {
                    value_v2.as_ref().or(value.as_ref())
                } else {
                    value.as_ref()
                };
                judge::cgroup(n, &path, value.map(String::as_str), owner.as_deref())
            }
            Step::CgroupPlace {} => {
                let pid = remains::pid_file(&self.layout.pid_file).ok_or_else(|| {
                    Failure::Error(format!("step {n} (cgroup-place): no pid file"))
                })?;
                let path = format!("/proc/{pid}/cgroup");
                let now = std::fs::read_to_string(&path)
                    .map_err(|e| Failure::Fail(format!("step {n}: cannot read {path}: {e}")))?;
                judge::cgroup_place(n, &mut self.place, now)
            }
            Step::FreezeCgroup {} => {
                let root = &self.ctx.cfg.cgroup_root;
                // Recorded before it is frozen, so cleanup removes it whatever happens.
                let made = cleanup::freeze_cgroup(root, &self.ctx.cgroups_path, |dir| {
                    self.made.own_cgroup = Some(dir.to_path_buf());
                });
                made.map_err(|e| Failure::Error(format!("step {n} (freeze-cgroup): {e}")))
            }
            Step::EditConfig { patch } => {
                let path = self.layout.bundle.join("config.json");
                let io = |what: &str, e: std::io::Error| {
                    Failure::Error(format!("{what} {}: {e}", path.display()))
                };
                let text = std::fs::read_to_string(&path).map_err(|e| io("cannot read", e))?;
                let mut config: Value = serde_json::from_str(&text)
                    .map_err(|e| Failure::Error(format!("{}: {e}", path.display())))?;
                merge_patch(&mut config, &toml_to_json(patch));
                let text = serde_json::to_string_pretty(&config)
                    .map_err(|e| Failure::Error(e.to_string()))?;
                std::fs::write(&path, text).map_err(|e| io("cannot write", e))
            }
            Step::HookRan { hook } => {
                // A runtime's start may return before its init has run the startContainer
                // hooks (runc and crun signal the init and return): give the hook a moment.
                let until = Instant::now() + HOOK_RAN_GRACE;
                loop {
                    self.stop_if_interrupted()?;
                    match hooks::ran(n, &self.hook_records(), *hook) {
                        Err(_) if Instant::now() < until => std::thread::sleep(WAIT_POLL),
                        r => break r,
                    }
                }
            }
            Step::HookOrder { order } => hooks::order(n, &self.hook_records(), order),
            Step::HookNamespace { hook } => {
                let runtime_mnt = own_mnt();
                hooks::namespace(n, &self.hook_records(), *hook, &runtime_mnt)
            }
            Step::HookState {} => {
                let config = self.bundle_config()?;
                let annotations = config
                    .get("annotations")
                    .filter(|a| a.as_object().is_some_and(|m| !m.is_empty()));
                let want = hooks::HookStateWant {
                    id: &self.ctx.container_id,
                    bundle: &self.layout.bundle,
                    annotations,
                    pid: remains::pid_file(&self.layout.pid_file).map(i64::from),
                    version: self.ctx.cfg.spec_version,
                };
                hooks::states(n, &self.hook_records(), &want)
            }
            Step::HookTiming { hook } => self.hook_timing(n, *hook),
            Step::Pid {} => {
                let id = self.ctx.container_id.clone();
                let reply = self.op(|scope, d| runtime.state(scope, Some(&id), d))?;
                Self::expect_result(n, kind, Expect::Ok, &reply)?;
                let state = judge::parse_state(n, &reply)?;
                let config = self.bundle_config()?;
                let args: Vec<String> = config["process"]["args"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| s.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                let host_mnt = own_mnt();
                let want = remains::PidWant {
                    args: &args,
                    host_mnt: &host_mnt,
                    pid_file: remains::pid_file(&self.layout.pid_file),
                };
                remains::pid(n, &state, &want, remains::proc_view)
            }
            Step::Gone {} => {
                let id = self.ctx.container_id.clone();
                let reply = self.op(|scope, d| runtime.state(scope, Some(&id), d))?;
                if reply.cut_short() {
                    return Err(Failure::Error(format!(
                        "step {n} (gone): {}",
                        reply.describe()
                    )));
                }
                let left = remains::Leftovers {
                    state: reply.success().then(|| reply.stdout.clone()),
                    cgroups: cleanup::cgroup_dirs(
                        &self.ctx.cfg.cgroup_root,
                        &self.ctx.cgroups_path,
                    ),
                    mounts: cleanup::mounts_below(&self.layout.bundle.join("rootfs")),
                };
                remains::gone(n, &left)
            }
            Step::TornDown {} => self.torn_down(n),
            Step::Warning { contains } => judge::warning(n, &self.create_stderr, contains),
            Step::MakeCgroup {} => {
                let made =
                    cleanup::make_cgroup_dirs(&self.ctx.cfg.cgroup_root, &self.ctx.cgroups_path)
                        .map_err(|e| Failure::Error(format!("step {n} (make-cgroup): {e}")))?;
                self.made.foreign_cgroups.extend(made);
                Ok(())
            }
            Step::CgroupKept {} => {
                let gone: Vec<_> = self
                    .made
                    .foreign_cgroups
                    .iter()
                    .filter(|d| !d.exists())
                    .collect();
                if self.made.foreign_cgroups.is_empty() {
                    return Err(Failure::Error(format!(
                        "step {n} (cgroup-kept): no make-cgroup step made a directory"
                    )));
                }
                if gone.is_empty() {
                    Ok(())
                } else {
                    Err(Failure::Fail(format!(
                        "step {n}: cgroup directories the runtime did not create were removed: {}",
                        gone.show()
                    )))
                }
            }
            Step::NetDeviceGone {} => {
                let config = self.bundle_config()?;
                let mut names = vec![self.layout.netdev.clone()];
                if let Some(name) =
                    config["linux"]["netDevices"][&self.layout.netdev]["name"].as_str()
                {
                    names.push(name.to_string());
                }
                judge::net_device_gone(n, &names, crate::netdev::on_host)
            }
            Step::MountCall {
                data,
                flags,
                absent,
            } => {
                let trace = std::fs::read_to_string(&self.layout.mount_trace).ok();
                judge::mount_call(n, trace.as_deref(), data, flags, absent)
            }
        }
    }
}
