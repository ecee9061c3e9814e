//! Any runtime binary with the OCI command line of runc, crun and youki: each operation is one
//! invocation, with a deadline, never blocking on a runtime that hangs or on output pipes a
//! container keeps open.

use std::fs::File;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

use super::{CreateRequest, Exit, Lifecycle, Reply, Scope};

/// How often a running invocation is checked for exit or deadline.
const POLL: Duration = Duration::from_millis(2);
/// The most a runtime may print on stdout or on stderr in one operation: past it, the
/// runtime is killed and the operation reported as printing too much; this much is read back.
pub const MAX_OUTPUT: usize = 1 << 20;

/// How to call a runtime binary.
#[derive(Debug)]
pub struct CliRuntime {
    pub path: PathBuf,
    /// Arguments that pick the runtime inside a multi-call binary, before everything else
    /// (`runtime` for ocicheck's embedded reference runtime).
    pub leading_args: Vec<String>,
    /// Global arguments given before the operation (`--runtime-arg`).
    pub global_args: Vec<String>,
    /// Pass `--root DIR` (state isolation); false for runtimes without it.
    pub root_arg: bool,
    /// Numbers the output files of invocations.
    seq: AtomicUsize,
}

impl CliRuntime {
    pub fn new(
        path: PathBuf,
        leading_args: Vec<String>,
        global_args: Vec<String>,
        root_arg: bool,
    ) -> CliRuntime {
        CliRuntime {
            path,
            leading_args,
            global_args,
            root_arg,
            seq: AtomicUsize::new(0),
        }
    }

    /// Runs `runtime [global args] [--root root] <args>` until it exits or `deadline`. Output
    /// goes to files in the scope's work dir (so a container inheriting them can never block
    /// us); `stdout_to` sends stdout to a given file (the container's output for `create`). A
    /// runtime whose output files grow past [`MAX_OUTPUT`] is killed, and at most that much of
    /// each is read back.
    fn invoke(
        &self,
        scope: &Scope,
        args: &[String],
        stdout_to: Option<&Path>,
        oom_score_adj: Option<i32>,
        trace: Option<&Path>,
        deadline: Instant,
    ) -> std::io::Result<Reply> {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let mut cmd = match trace {
            Some(out) => {
                let mut c = Command::new(crate::mount_trace::STRACE);
                c.args(crate::mount_trace::strace_args(out)).arg(&self.path);
                c
            }
            None => Command::new(&self.path),
        };
        if let Some(adj) = oom_score_adj {
            set_oom_score_adj(&mut cmd, adj);
        }
        if !scope.hide.is_empty() {
            super::hide::install(&mut cmd, super::hide::plan(scope.hide)?);
        }
        cmd.args(&self.leading_args).args(&self.global_args);
        if self.root_arg {
            cmd.arg("--root").arg(scope.state_root);
        }
        cmd.args(args);
        if !scope.marker.is_empty() {
            cmd.env(crate::reaper::CASE_VAR, scope.marker);
        }
        let out_path = stdout_to
            .map(Path::to_path_buf)
            .unwrap_or_else(|| scope.work_dir.join(format!("runtime-{seq}.out")));
        let err_path = scope.work_dir.join(format!("runtime-{seq}.err"));
        let stdout = File::create(&out_path)?;
        let stderr = File::create(&err_path)?;
        cmd.stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .current_dir(scope.work_dir)
            .process_group(0);
        let command = format!(
            "{} {}",
            self.name(),
            // The operation only: full paths would make every report differ.
            args.first().map(String::as_str).unwrap_or_default()
        );
        // The files the runtime's own output goes to (not the container's).
        let watched: Vec<&Path> = match stdout_to {
            Some(_) => vec![&err_path],
            None => vec![&out_path, &err_path],
        };
        let mut child = crate::reaper::spawn(&mut cmd)?;
        let pgid = Pid::from_raw(child.id() as i32);
        // strace -D traces from a grandchild: found as the runtime's tracer, ended with it.
        let tracer = trace.and_then(|_| tracer_of(child.id(), deadline));
        let exit = loop {
            if let Some(st) = child.try_wait()? {
                break match (st.code(), st.signal()) {
                    (Some(c), _) => Exit::Code(c),
                    (None, Some(s)) => Exit::Signal(s),
                    (None, None) => Exit::Code(-1),
                };
            }
            let overran = watched
                .iter()
                .any(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > MAX_OUTPUT as u64));
            let cancelled = scope.cancelled();
            if overran || cancelled || Instant::now() >= deadline {
                let _ = killpg(pgid, Signal::SIGKILL);
                let _ = child.kill();
                let _ = child.wait();
                break if overran {
                    Exit::TooMuchOutput(MAX_OUTPUT)
                } else if cancelled {
                    Exit::Interrupted
                } else {
                    Exit::TimedOut
                };
            }
            std::thread::sleep(POLL);
        };
        crate::reaper::waited(child.id());
        if let Some(t) = tracer {
            end_tracer(t);
        }
        // A runtime that exits between two looks may still have printed too much.
        let exit = match exit {
            Exit::Code(_) | Exit::Signal(_)
                if watched
                    .iter()
                    .any(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > MAX_OUTPUT as u64)) =>
            {
                Exit::TooMuchOutput(MAX_OUTPUT)
            }
            other => other,
        };
        Ok(Reply {
            command,
            exit,
            stdout: if stdout_to.is_some() {
                String::new()
            } else {
                read_capped(&out_path)
            },
            stderr: read_capped(&err_path),
        })
    }
}

impl CliRuntime {
    /// `--version`, called as every operation is (with the global arguments and `--root`), to
    /// check before a run that the binary answers like an OCI runtime.
    pub fn version_reply(&self, scope: &Scope, deadline: Instant) -> std::io::Result<Reply> {
        self.invoke(
            scope,
            &["--version".to_string()],
            None,
            None,
            None,
            deadline,
        )
    }
}

/// Makes the command's process start with this `oom_score_adj` (written between fork and
/// exec, so the runtime has it from its first instruction).
fn set_oom_score_adj(cmd: &mut Command, adj: i32) {
    /// Where a process sets its own score adjustment.
    const PATH: &std::ffi::CStr = c"/proc/self/oom_score_adj";
    let text = adj.to_string().into_bytes();
    // SAFETY: the closure runs in the forked child before exec and only calls open, write and
    // close (async-signal-safe) on memory prepared before the fork.
    unsafe {
        cmd.pre_exec(move || {
            let fd = nix::libc::open(PATH.as_ptr(), nix::libc::O_WRONLY | nix::libc::O_CLOEXEC);
            if fd < 0 {
                return Err(std::io::Error::last_os_error());
            }
            let n = nix::libc::write(fd, text.as_ptr().cast(), text.len());
            let err = std::io::Error::last_os_error();
            nix::libc::close(fd);
            if n < 0 {
                return Err(err);
            }
            Ok(())
        });
    }
}

/// The pid of the process tracing `pid` (strace, once it has attached and before the runtime
/// runs), waited for up to a few seconds; `None` if `pid` ends or nothing attaches.
fn tracer_of(pid: u32, deadline: Instant) -> Option<i32> {
    /// How long strace may take to attach.
    const ATTACH: Duration = Duration::from_secs(5);
    let until = deadline.min(Instant::now() + ATTACH);
    loop {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(str::trim)
                .map(String::from)
        };
        if field("State:").is_some_and(|s| s.starts_with('Z')) {
            return None;
        }
        if let Some(t) = field("TracerPid:").and_then(|t| t.parse::<i32>().ok()) {
            if t != 0 {
                return Some(t);
            }
        }
        if Instant::now() >= until {
            return None;
        }
        std::thread::sleep(POLL);
    }
}

/// Ends the tracer `pid` once the traced runtime has exited: SIGTERM makes strace detach from
/// what it still traces (a container's init) and finish its output; waits until it is gone.
fn end_tracer(pid: i32) {
    /// How long strace may take to detach and exit.
    const END: Duration = Duration::from_secs(5);
    let alive = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            // `pid (comm) S ...`: the state after the command's closing parenthesis.
            s.rsplit_once(") ")
                .is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X'))
        })
    };
    // Only a tracer that is still strace (its pid not reused by something else).
    let is_strace = std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .is_ok_and(|c| c.trim() == crate::mount_trace::STRACE);
    if !is_strace {
        return;
    }
    let pid = Pid::from_raw(pid);
    let _ = nix::sys::signal::kill(pid, Signal::SIGTERM);
    let until = Instant::now() + END;
    while alive() {
        if Instant::now() >= until {
            let _ = nix::sys::signal::kill(pid, Signal::SIGKILL);
            break;
        }
        std::thread::sleep(POLL);
    }
}

/// At most [`MAX_OUTPUT`] bytes of a file, as text ("" when it cannot be read).
fn read_capped(path: &Path) -> String {
    let mut bytes = Vec::new();
    if let Ok(f) = File::open(path) {
        let _ = f.take(MAX_OUTPUT as u64).read_to_end(&mut bytes);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The id argument, if any.
fn id_arg(id: Option<&str>) -> impl Iterator<Item = String> + '_ {
    id.into_iter().map(str::to_string)
}

impl Lifecycle for CliRuntime {
    fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.path.display().to_string())
    }

    fn version(&self) -> Option<String> {
        /// `--version` gets as long as any operation's default.
        const LIMIT: Duration = Duration::from_secs(10);
        let dir = tempfile::Builder::new()
            .prefix("ocicheck-version-")
            .tempdir()
            .ok()?;
        let plain = CliRuntime::new(self.path.clone(), self.leading_args.clone(), vec![], false);
        let scope = Scope::outside_cases(dir.path(), dir.path());
        plain
            .version_reply(&scope, Instant::now() + LIMIT)
            .ok()
            .filter(Reply::success)
            .and_then(|r| r.stdout.lines().next().map(|l| l.trim().to_string()))
            .filter(|l| !l.is_empty())
    }

    fn create(
        &self,
        scope: &Scope,
        id: Option<&str>,
        req: &CreateRequest,
        deadline: Instant,
    ) -> std::io::Result<Reply> {
        let mut args = vec![
            "create".to_string(),
            "--bundle".into(),
            req.bundle.display().to_string(),
            "--pid-file".into(),
            req.pid_file.display().to_string(),
        ];
        if let Some(sock) = req.console_socket {
            args.push("--console-socket".into());
            args.push(sock.display().to_string());
        }
        args.extend(id_arg(id));
        self.invoke(
            scope,
            &args,
            Some(req.output),
            req.oom_score_adj,
            req.mount_trace,
            deadline,
        )
    }

    fn start(&self, scope: &Scope, id: Option<&str>, deadline: Instant) -> std::io::Result<Reply> {
        let args: Vec<String> = std::iter::once("start".to_string())
            .chain(id_arg(id))
            .collect();
        self.invoke(scope, &args, None, None, None, deadline)
    }

    fn state(&self, scope: &Scope, id: Option<&str>, deadline: Instant) -> std::io::Result<Reply> {
        let args: Vec<String> = std::iter::once("state".to_string())
            .chain(id_arg(id))
            .collect();
        self.invoke(scope, &args, None, None, None, deadline)
    }

    fn kill(
        &self,
        scope: &Scope,
        id: Option<&str>,
        signal: Option<&str>,
        deadline: Instant,
    ) -> std::io::Result<Reply> {
        let args: Vec<String> = std::iter::once("kill".to_string())
            .chain(id_arg(id))
            .chain(signal.map(String::from))
            .collect();
        self.invoke(scope, &args, None, None, None, deadline)
    }

    fn delete(
        &self,
        scope: &Scope,
        id: Option<&str>,
        force: bool,
        deadline: Instant,
    ) -> std::io::Result<Reply> {
        let mut args = vec!["delete".to_string()];
        if force {
            args.push("--force".into());
        }
        args.extend(id_arg(id));
        self.invoke(scope, &args, None, None, None, deadline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_can_start_with_a_given_oom_score_adj() {
        // Raising one's own oom_score_adj needs no privilege.
        let mut cmd = Command::new("cat");
        cmd.arg("/proc/self/oom_score_adj");
        set_oom_score_adj(&mut cmd, 987);
        let out = cmd.output().expect("cat runs");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "987");
    }

    #[test]
    fn a_traced_invocation_records_mount_calls_and_its_tracer_ends_with_it() {
        if !crate::mount_trace::strace_installed() {
            eprintln!("skipped: strace is not installed");
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let trace = dir.path().join("mounts.trace");
        // A "runtime" that leaves a traced child behind (as create leaves the container's
        // init) and tries a mount (refused or not, strace records it).
        let group_file = dir.path().join("group");
        let script = format!(
            "echo $$ > {}; sleep 30 & mount -t tmpfs -o silent,size=777k none \
             /ocicheck-nonexistent; exit 0",
            group_file.display()
        );
        let rt = CliRuntime::new("/bin/sh".into(), vec!["-c".into(), script], vec![], false);
        let scope = Scope::outside_cases(dir.path(), dir.path());
        let begun = Instant::now();
        let reply = rt
            .invoke(
                &scope,
                &["create".to_string()],
                None,
                None,
                Some(&trace),
                Instant::now() + Duration::from_secs(20),
            )
            .expect("runs");
        let took = begun.elapsed();
        assert!(reply.success(), "{reply:?}");
        assert!(took < Duration::from_secs(3), "the tracer held us {took:?}");
        let text = std::fs::read_to_string(&trace).expect("trace written");
        let calls = crate::mount_trace::parse(&text).mounts;
        assert!(
            calls
                .iter()
                .any(|c| c.data == ["size=777k"] && c.flags == ["MS_SILENT"]),
            "{text}"
        );
        // The leftover sleep (in the invocation's process group) is no longer traced.
        let group: i32 = std::fs::read_to_string(&group_file)
            .expect("group written")
            .trim()
            .parse()
            .expect("a pid");
        let mut seen = 0;
        for entry in std::fs::read_dir("/proc").expect("proc").flatten() {
            let path = entry.path();
            let stat = std::fs::read_to_string(path.join("stat")).unwrap_or_default();
            let pgrp = stat
                .rsplit_once(") ")
                .and_then(|(_, rest)| rest.split_whitespace().nth(2))
                .and_then(|p| p.parse::<i32>().ok());
            if pgrp == Some(group) {
                let status = std::fs::read_to_string(path.join("status")).unwrap_or_default();
                if !status.contains("State:\tZ") {
                    seen += 1;
                    assert!(status.contains("TracerPid:\t0"), "still traced: {status}");
                }
            }
        }
        let _ = killpg(Pid::from_raw(group), Signal::SIGKILL);
        assert!(seen >= 1, "the leftover child was not found");
    }
}
