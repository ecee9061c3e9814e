//! Running hooks (config.md "POSIX-platform Hooks"): the state JSON on stdin, the hook's own
//! args and env, its timeout.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::error::{Error, Result};
use crate::mutation::{self, Flaw};

/// Which lifecycle point a hook belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Prestart,
    CreateRuntime,
    CreateContainer,
    StartContainer,
    Poststart,
    Poststop,
}

impl Kind {
    pub fn key(self) -> &'static str {
        match self {
            Kind::Prestart => "prestart",
            Kind::CreateRuntime => "createRuntime",
            Kind::CreateContainer => "createContainer",
            Kind::StartContainer => "startContainer",
            Kind::Poststart => "poststart",
            Kind::Poststop => "poststop",
        }
    }

    /// The mutation that skips the hooks of this kind.
    fn skipped_by(self) -> Flaw {
        match self {
            Kind::Prestart => Flaw::SkipPrestartHooks,
            Kind::CreateRuntime => Flaw::SkipCreateRuntimeHooks,
            Kind::CreateContainer => Flaw::SkipCreateContainerHooks,
            Kind::StartContainer => Flaw::SkipStartContainerHooks,
            Kind::Poststart => Flaw::SkipPoststartHooks,
            Kind::Poststop => Flaw::SkipPoststopHooks,
        }
    }

    /// The mutation that treats a failing hook of this kind as a success (a failing poststop
    /// hook is only a warning anyway).
    fn failure_ignored_by(self) -> Option<Flaw> {
        match self {
            Kind::Prestart => Some(Flaw::IgnorePrestartHookFailure),
            Kind::CreateRuntime => Some(Flaw::IgnoreCreateRuntimeHookFailure),
            Kind::CreateContainer => Some(Flaw::IgnoreCreateContainerHookFailure),
            Kind::StartContainer => Some(Flaw::IgnoreStartContainerHookFailure),
            Kind::Poststart => Some(Flaw::IgnorePoststartHookFailure),
            Kind::Poststop => None,
        }
    }
}

/// One hook entry of the config, read leniently from its JSON.
#[derive(Clone, Debug)]
pub struct Hook {
    pub path: String,
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub timeout: Option<u64>,
}

/// The hooks of one kind, in config order (config.hooks.*: hooks run in order).
pub fn of_kind(config: &Value, kind: Kind) -> Vec<Hook> {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    config["hooks"][kind.key()]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|h| Hook {
                    path: h["path"].as_str().unwrap_or_default().to_string(),
                    args: strings(&h["args"]),
                    env: strings(&h["env"]),
                    timeout: h["timeout"].as_u64(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Runs every hook of `kind` in order; the first failure stops the rest and is the error.
pub fn run_all(config: &Value, kind: Kind, state: &Value) -> Result<()> {
    run_all_entering(config, kind, state, None)
}

/// [`run_all`], each hook in the mount namespace of the process `pid` (the
/// `*-hooks-in-container-namespace` mutations).
pub fn run_all_in_mount_ns_of(config: &Value, kind: Kind, state: &Value, pid: i32) -> Result<()> {
    let path = format!("/proc/{pid}/ns/mnt");
    let ns = std::fs::File::open(&path).map_err(|e| Error::io(format!("cannot open {path}"), e))?;
    run_all_entering(config, kind, state, Some(&ns))
}

fn run_all_entering(
    config: &Value,
    kind: Kind,
    state: &Value,
    mount_ns: Option<&std::fs::File>,
) -> Result<()> {
    if mutation::active(kind.skipped_by()) {
        return Ok(());
    }
    let mutated;
    let state = if mutation::active(Flaw::HookStdinIdOnly) {
        mutated = serde_json::json!({"id": state["id"]});
        &mutated
    } else if mutation::active(Flaw::HookStdinEmpty) {
        mutated = serde_json::json!({});
        &mutated
    } else {
        state
    };
    let state = serde_json::to_vec(state)
        .map_err(|e| Error::msg(format!("cannot encode the state for hooks: {e}")))?;
    let mut hooks: Vec<(usize, Hook)> = of_kind(config, kind).into_iter().enumerate().collect();
    if mutation::active(Flaw::ReverseHookOrder) {
        hooks.reverse();
    }
    for (i, hook) in &hooks {
        let r = run_entering(hook, &state, mount_ns)
            .map_err(|e| Error::msg(format!("{} hook #{i} ({}): {e}", kind.key(), hook.path)));
        if r.is_err() && kind.failure_ignored_by().is_some_and(mutation::active) {
            continue;
        }
        r?;
    }
    Ok(())
}

/// Runs one hook: args[0] is its argv[0], env is exactly its env, the state JSON is its stdin.
/// A non-zero exit, a signal, or running past `timeout` seconds is a failure.
pub fn run(hook: &Hook, state: &[u8]) -> Result<()> {
    run_entering(hook, state, None)
}

/// [`run`], in the mount namespace `mount_ns` if one is given.
fn run_entering(hook: &Hook, state: &[u8], mount_ns: Option<&std::fs::File>) -> Result<()> {
    let mut cmd = Command::new(&hook.path);
    if let Some(ns) = mount_ns {
        use std::os::fd::AsRawFd;
        let fd = ns.as_raw_fd();
        let enter = move || {
            // SAFETY: setns(2) on a descriptor that stays open until exec; async-signal-safe.
            if unsafe { nix::libc::setns(fd, nix::libc::CLONE_NEWNS) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        };
        // SAFETY: the closure only calls setns(2), which is safe between fork and exec.
        unsafe { cmd.pre_exec(enter) };
    }
    if let Some((arg0, rest)) = hook.args.split_first() {
        cmd.arg0(arg0).args(rest);
    }
    cmd.env_clear();
    for kv in &hook.env {
        match kv.split_once('=') {
            Some((k, v)) => cmd.env(k, v),
            None => cmd.env(kv, ""),
        };
    }
    cmd.stdin(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::io(format!("cannot run {}", hook.path), e))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A hook may exit without reading its stdin: that is not a failure.
        let _ = stdin.write_all(state);
    }
    let mut stderr = child.stderr.take();
    let limit = hook.timeout.map(Duration::from_secs);
    let began = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => return Err(Error::io("cannot wait for the hook", e)),
        }
        if limit.is_some_and(|l| began.elapsed() > l) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::msg(format!(
                "timed out after {} s",
                hook.timeout.unwrap_or_default()
            )));
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    if status.success() {
        return Ok(());
    }
    let mut text = String::new();
    if let Some(err) = stderr.as_mut() {
        let _ = err.take(4096).read_to_string(&mut text);
    }
    let text = text.trim();
    Err(Error::msg(if text.is_empty() {
        format!("failed: {status}")
    } else {
        format!("failed: {status}: {text}")
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hooks_get_state_args_env_and_timeouts() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let script = format!(
            "cat > {0}; echo \"$0 $1 $FOO\" >> {0}; tr '\\0' ' ' < /proc/$$/cmdline >> {0}",
            out.display()
        );
        let config = json!({"hooks": {"poststop": [
            {"path": "/bin/sh", "args": ["my-hook", "-c", script, "zero", "one"], "env": ["FOO=bar"]},
        ]}});
        run_all(&config, Kind::Poststop, &json!({"id": "c"})).unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.starts_with(r#"{"id":"c"}"#), "{text}");
        assert!(text.contains("zero one bar"), "{text}");
        // args[0] is the hook's argv[0].
        assert!(text.contains("my-hook -c"), "{text}");

        let failing = json!({"hooks": {"prestart": [
            {"path": "/bin/sh", "args": ["sh", "-c", "echo boom >&2; exit 3"]}]}});
        let e = run_all(&failing, Kind::Prestart, &json!({})).unwrap_err();
        assert!(e.to_string().contains("boom"), "{e}");

        let slow = json!({"hooks": {"prestart": [
            {"path": "/bin/sleep", "args": ["sleep", "5"], "timeout": 1}]}});
        let began = Instant::now();
        let e = run_all(&slow, Kind::Prestart, &json!({})).unwrap_err();
        assert!(e.to_string().contains("timed out"), "{e}");
        assert!(began.elapsed() < Duration::from_secs(4));

        let missing = json!({"hooks": {"prestart": [{"path": "/nonexistent/hook"}]}});
        assert!(run_all(&missing, Kind::Prestart, &json!({})).is_err());
    }
}
