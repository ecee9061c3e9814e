//! Running hooks (config.md "POSIX-platform Hooks"): the state JSON on stdin, the hook's own
//! args and env, its timeout.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
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

    /// The mutation that resolves the paths of this kind's hooks in the container's root
    /// filesystem, though config.md has them resolve in the runtime namespace (startContainer
    /// hooks' paths resolve in the container's anyway).
    fn path_in_container_by(self) -> Option<Flaw> {
        match self {
            Kind::Prestart => Some(Flaw::PrestartHookPathInContainer),
            Kind::CreateRuntime => Some(Flaw::CreateRuntimeHookPathInContainer),
            Kind::CreateContainer => Some(Flaw::CreateContainerHookPathInContainer),
            Kind::StartContainer => None,
            Kind::Poststart => Some(Flaw::PoststartHookPathInContainer),
            Kind::Poststop => Some(Flaw::PoststopHookPathInContainer),
        }
    }

    /// The mutation that runs this kind's hooks in a mount namespace of their own, though
    /// config.md has them run in the runtime namespace.
    fn own_mount_ns_by(self) -> Option<Flaw> {
        match self {
            Kind::Poststart => Some(Flaw::PoststartHooksInOwnMountNamespace),
            Kind::Poststop => Some(Flaw::PoststopHooksInOwnMountNamespace),
            _ => None,
        }
    }
}

/// Where the hooks run, when not where config.md says (only under mutations).
#[derive(Clone, Copy, Default)]
struct Place<'a> {
    /// In the mount namespace of this descriptor.
    mount_ns: Option<&'a std::fs::File>,
    /// In a new mount namespace of their own.
    new_mount_ns: bool,
    /// Chrooted to this directory (their paths resolved in it).
    chroot: Option<&'a Path>,
    /// These paths in place of the hooks' own, one per hook in config order.
    paths: Option<&'a [String]>,
}

/// Whether the `createcontainer-hooks-before-setup` mutation runs the createContainer hooks
/// before the container's mounts are made: only when no prestart or createRuntime hook must
/// run before them, so that only their timing is wrong.
pub fn create_container_before_setup(config: &Value) -> bool {
    mutation::active(Flaw::CreateContainerHooksBeforeSetup)
        && of_kind(config, Kind::Prestart).is_empty()
        && of_kind(config, Kind::CreateRuntime).is_empty()
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
    let own_ns = kind.own_mount_ns_by().is_some_and(mutation::active);
    let place = Place {
        new_mount_ns: own_ns,
        ..Place::default()
    };
    run_all_entering(config, kind, state, place)
}

/// [`run_all`], each hook chrooted to `root` (the `startcontainer-hooks-in-runtime-namespace`
/// mutation: run from the runtime's mount namespace, paths resolved in the container's root).
pub fn run_all_chrooted(config: &Value, kind: Kind, state: &Value, root: &Path) -> Result<()> {
    let place = Place {
        chroot: Some(root),
        ..Place::default()
    };
    run_all_entering(config, kind, state, place)
}

/// [`run_all`], each hook run from `paths[i]` instead of its own path (the
/// `startcontainer-hook-path-in-runtime` mutation: descriptors opened in the runtime's
/// namespace, run as `/proc/self/fd/N`).
pub fn run_all_from(config: &Value, kind: Kind, state: &Value, paths: &[String]) -> Result<()> {
    let place = Place {
        paths: Some(paths),
        ..Place::default()
    };
    run_all_entering(config, kind, state, place)
}

/// The container's root filesystem as the runtime sees it: `root.path`, relative to the
/// state's bundle unless absolute.
fn container_root(config: &Value, state: &Value) -> Option<PathBuf> {
    let root = Path::new(config["root"]["path"].as_str()?);
    Some(Path::new(state["bundle"].as_str()?).join(root))
}

/// [`run_all`], each hook in the mount namespace of the process `pid` (the
/// `*-hooks-in-container-namespace` mutations).
pub fn run_all_in_mount_ns_of(config: &Value, kind: Kind, state: &Value, pid: i32) -> Result<()> {
    let path = format!("/proc/{pid}/ns/mnt");
    let ns = std::fs::File::open(&path).map_err(|e| Error::io(format!("cannot open {path}"), e))?;
    let place = Place {
        mount_ns: Some(&ns),
        ..Place::default()
    };
    run_all_entering(config, kind, state, place)
}

fn run_all_entering(config: &Value, kind: Kind, state: &Value, place: Place) -> Result<()> {
    if mutation::active(kind.skipped_by()) {
        return Ok(());
    }
    let root = container_root(config, state);
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
    if let Some(paths) = place.paths {
        for ((_, hook), path) in hooks.iter_mut().zip(paths) {
            hook.path.clone_from(path);
        }
    }
    if kind.path_in_container_by().is_some_and(mutation::active) {
        for (_, hook) in &mut hooks {
            if let Some(root) = &root {
                hook.path = root
                    .join(hook.path.trim_start_matches('/'))
                    .display()
                    .to_string();
            }
        }
    }
    if mutation::active(Flaw::ReverseHookOrder) {
        hooks.reverse();
    }
    for (i, hook) in &hooks {
        let r = run_entering(hook, &state, place)
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
    run_entering(hook, state, Place::default())
}

/// [`run`], placed as `place` says.
fn run_entering(hook: &Hook, state: &[u8], place: Place) -> Result<()> {
    let mut cmd = Command::new(&hook.path);
    if place.new_mount_ns {
        let enter = || {
            // SAFETY: unshare(2) takes no pointer; async-signal-safe.
            if unsafe { nix::libc::unshare(nix::libc::CLONE_NEWNS) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        };
        // SAFETY: the closure only calls unshare(2), which is safe between fork and exec.
        unsafe { cmd.pre_exec(enter) };
    }
    if let Some(root) = place.chroot {
        use std::os::unix::ffi::OsStrExt;
        let root = std::ffi::CString::new(root.as_os_str().as_bytes())
            .map_err(|_| Error::msg(format!("{} holds a NUL byte", root.display())))?;
        let enter = move || {
            // SAFETY: chroot(2) on a valid C string that outlives the closure;
            // async-signal-safe.
            if unsafe { nix::libc::chroot(root.as_ptr()) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // SAFETY: chdir(2) on a static C string; async-signal-safe.
            if unsafe { nix::libc::chdir(c"/".as_ptr()) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        };
        // SAFETY: the closure only calls chroot(2) and chdir(2), safe between fork and exec.
        unsafe { cmd.pre_exec(enter) };
    }
    if let Some(ns) = place.mount_ns {
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

    #[test]
    fn hooks_can_be_placed_elsewhere_for_the_mutations() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let script = format!("readlink /proc/self/ns/mnt > {}", out.display());
        let config = json!({"hooks": {"startContainer": [
            {"path": "/nonexistent/hook", "args": ["sh", "-c", script]},
        ]}});
        // Another path in place of the hook's own.
        let paths = ["/bin/sh".to_string()];
        run_all_from(&config, Kind::StartContainer, &json!({}), &paths).unwrap();
        let own = std::fs::read_link("/proc/self/ns/mnt").unwrap();
        let seen = std::fs::read_to_string(&out).unwrap();
        assert_eq!(seen.trim(), own.display().to_string());
        // A new mount namespace.
        let place = Place {
            paths: Some(&paths),
            new_mount_ns: true,
            ..Place::default()
        };
        run_all_entering(&config, Kind::StartContainer, &json!({}), place).unwrap();
        let seen = std::fs::read_to_string(&out).unwrap();
        assert_ne!(seen.trim(), own.display().to_string());
        // Chrooted: the path resolves under the new root (/ here, so it still runs).
        let chrooted = json!({"hooks": {"startContainer": [
            {"path": "/bin/sh", "args": ["sh", "-c", format!("echo in > {}", out.display())]},
        ]}});
        run_all_chrooted(&chrooted, Kind::StartContainer, &json!({}), Path::new("/")).unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "in\n");
        let empty = tmp.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert!(run_all_chrooted(&chrooted, Kind::StartContainer, &json!({}), &empty).is_err());
    }

    #[test]
    fn the_container_root_is_root_path_under_the_bundle() {
        let state = json!({"bundle": "/b"});
        let rel = json!({"root": {"path": "rootfs"}});
        assert_eq!(
            container_root(&rel, &state),
            Some(PathBuf::from("/b/rootfs"))
        );
        let abs = json!({"root": {"path": "/r"}});
        assert_eq!(container_root(&abs, &state), Some(PathBuf::from("/r")));
        assert_eq!(container_root(&json!({}), &state), None);
    }
}
