//! What a case run observes over time: hook records and timing, the bundle's config, waits for
//! state and output, teardown after a failing hook.

use super::*;

impl CaseRun<'_> {
    /// Ends the case when the run has been interrupted (checked by every step and wait, so a
    /// case stops promptly).
    pub(super) fn stop_if_interrupted(&self) -> Result<(), Failure> {
        if self.ctx.cfg.interrupt.stopping() {
            return Err(Failure::Error("the run was interrupted".into()));
        }
        Ok(())
    }

    /// What the hooks recorded: those in the runtime's namespace in the case's log, those in
    /// the container's (startContainer) in the root filesystem's.
    pub(super) fn hook_records(&self) -> Vec<crate::probe::HookRecord> {
        let mut log = std::fs::read_to_string(&self.layout.hooks_log).unwrap_or_default();
        log.push_str(
            &std::fs::read_to_string(self.layout.container_hooks_log()).unwrap_or_default(),
        );
        hooks::records(&log)
    }

    /// The `hook-timing` step: what the hook saw against the operations' spans and the config.
    pub(super) fn hook_timing(
        &self,
        n: usize,
        hook: crate::case::HookLabel,
    ) -> Result<(), Failure> {
        let config = self.bundle_config()?;
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let args = strings(&config["process"]["args"]);
        let mounts: Vec<String> = config["mounts"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|m| m["destination"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let rootfs = self.layout.bundle.join("rootfs");
        let mut roots = vec![rootfs.clone()];
        roots.extend(std::fs::canonicalize(&rootfs).ok().filter(|c| *c != rootfs));
        let want = hooks::TimingWant {
            create: self.spans.create,
            start: self.spans.start,
            delete: self.spans.delete,
            rootfs: &roots,
            mounts: &mounts,
            args: &args,
        };
        hooks::timing(n, &self.hook_records(), hook, &want)
    }

    /// The bundle's config.json as it is now.
    pub(super) fn bundle_config(&self) -> Result<Value, Failure> {
        let path = self.layout.bundle.join("config.json");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Failure::Error(format!("cannot read {}: {e}", path.display())))?;
        serde_json::from_str(&text).map_err(|e| Failure::Error(format!("{}: {e}", path.display())))
    }

    /// Waits, up to the timeout, for the container's process to be gone and its cgroup empty,
    /// then asks for its state.
    pub(super) fn torn_down(&self, n: usize) -> Result<(), Failure> {
        let pid = remains::pid_file(&self.layout.pid_file);
        let dirs = cleanup::cgroup_dirs(&self.ctx.cfg.cgroup_root, &self.ctx.cgroups_path);
        let deadline = Instant::now() + self.ctx.cfg.timeout;
        let mut seen = loop {
            let seen = remains::Remains {
                status: None,
                running: remains::still_runs(pid, remains::proc_view),
                busy: remains::busy_cgroups(&dirs),
            };
            let done = seen.running.is_none() && seen.busy.is_empty();
            if done || Instant::now() > deadline {
                break seen;
            }
            self.stop_if_interrupted()?;
            std::thread::sleep(WAIT_POLL);
        };
        let id = self.ctx.container_id.clone();
        let reply = self.op(|scope, d| self.ctx.runtime.state(scope, Some(&id), d))?;
        if reply.cut_short() {
            return Err(Failure::Error(format!(
                "step {n} (torn-down): {}",
                reply.describe()
            )));
        }
        if reply.success() {
            let state = judge::parse_state(n, &reply)?;
            seen.status = Some(state["status"].as_str().unwrap_or("(none)").to_string());
        }
        remains::torn_down(n, &seen)
    }

    /// Polls the state until it reports `want`, up to the timeout.
    pub(super) fn wait(&self, n: usize, want: Status) -> Result<(), Failure> {
        let want = want.to_string();
        let timeout = self.ctx.cfg.timeout;
        let deadline = Instant::now() + timeout;
        let id = self.ctx.container_id.as_str();
        loop {
            let reply = self.op(|scope, d| self.ctx.runtime.state(scope, Some(id), d))?;
            if reply.cut_short() {
                return Err(Failure::Error(format!(
                    "step {n} (wait {want}): {}",
                    reply.describe()
                )));
            }
            if !reply.success() {
                return Err(Failure::Fail(format!(
                    "step {n} (wait {want}): {}",
                    reply.describe()
                )));
            }
            let state = judge::parse_state(n, &reply)?;
            let status = state.get("status").cloned().unwrap_or(Value::Null);
            if status.as_str() == Some(want.as_str()) {
                return Ok(());
            }
            self.stop_if_interrupted()?;
            if Instant::now() > deadline {
                return Err(Failure::Fail(format!(
                    "step {n}: status did not become {want:?} in {timeout:?} (last: {status})"
                )));
            }
            std::thread::sleep(WAIT_POLL);
        }
    }

    /// Waits for a line of the container's output to start with `want`, up to the timeout.
    pub(super) fn await_output(&self, n: usize, want: &str) -> Result<(), Failure> {
        let deadline = Instant::now() + self.ctx.cfg.timeout;
        loop {
            let text = self.output();
            if text.lines().any(|l| l.starts_with(want)) {
                return Ok(());
            }
            self.stop_if_interrupted()?;
            if Instant::now() > deadline {
                // The tail, cut at a character boundary.
                let from = text
                    .char_indices()
                    .rev()
                    .nth(OUTPUT_TAIL_CHARS - 1)
                    .map_or(0, |(i, _)| i);
                let tail = &text[from..];
                return Err(Failure::Fail(format!(
                    "step {n}: the container never printed {want:?} (output ends {tail:?})"
                )));
            }
            std::thread::sleep(OUTPUT_POLL);
        }
    }
}

/// The harness's own mount namespace (the runtime's, which it runs in).
pub(super) fn own_mnt() -> String {
    crate::procfs::own_namespaces()
        .get("mnt")
        .cloned()
        .unwrap_or_default()
}
