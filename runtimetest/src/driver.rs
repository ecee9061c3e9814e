//! Invoking a runtime binary with the OCI command-line convention, with a timeout, never
//! blocking on a runtime that hangs or on output pipes a container keeps open.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

/// How to call the runtime under test.
#[derive(Clone, Debug)]
pub struct Runtime {
    pub path: PathBuf,
    /// Arguments that pick the runtime inside a multi-call binary, before everything else
    /// (`runtime` for ocicheck's embedded reference runtime).
    pub leading_args: Vec<String>,
    /// Global arguments given before the operation (`--runtime-arg`).
    pub global_args: Vec<String>,
    /// Pass `--root DIR` (state isolation); false for runtimes without it.
    pub root_arg: bool,
    /// Per-invocation time limit.
    pub timeout: Duration,
}

/// The result of one invocation.
#[derive(Clone, Debug)]
pub struct Invocation {
    /// The command line, for reports.
    pub command: String,
    /// Exit code; None when killed by a signal or by the timeout.
    pub code: Option<i32>,
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
    pub duration: Duration,
}

impl Invocation {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// A one-line account for failure reasons.
    pub fn describe(&self) -> String {
        let what = if self.timed_out {
            "timed out".to_string()
        } else {
            match self.code {
                Some(c) => format!("exited {c}"),
                None => "was killed by a signal".to_string(),
            }
        };
        let err = self.stderr.trim();
        // Cut at a character boundary: runtime output is arbitrary text.
        let err = match err.char_indices().nth(300) {
            Some((i, _)) => &err[..i],
            None => err,
        };
        if err.is_empty() {
            format!("`{}` {what}", self.command)
        } else {
            format!("`{}` {what}: {err}", self.command)
        }
    }
}

impl Runtime {
    /// The first line of `runtime --version`, with the same time limit as every invocation.
    pub fn version(&self) -> String {
        let Ok(dir) = crate::runner::tempdir_in(&std::env::temp_dir(), "ocicheck-version-") else {
            return "unknown".into();
        };
        let plain = Runtime {
            global_args: Vec::new(),
            root_arg: false,
            ..self.clone()
        };
        let v = plain
            .invoke(&dir, &["--version".to_string()], &dir, 0, None)
            .ok()
            .filter(|i| i.success())
            .and_then(|i| i.stdout.lines().next().map(|l| l.trim().to_string()))
            .filter(|l| !l.is_empty());
        let _ = std::fs::remove_dir_all(&dir);
        v.unwrap_or_else(|| "unknown".into())
    }

    /// Runs `runtime [global args] [--root root] <args>`; output goes to files in `dir` (so a
    /// container inheriting them can never block us). `stdout_to` redirects stdout to a given
    /// file (the container's output for `create`).
    pub fn invoke(
        &self,
        root: &Path,
        args: &[String],
        dir: &Path,
        seq: usize,
        stdout_to: Option<&Path>,
    ) -> std::io::Result<Invocation> {
        let mut cmd = Command::new(&self.path);
        cmd.args(&self.leading_args).args(&self.global_args);
        if self.root_arg {
            cmd.arg("--root").arg(root);
        }
        cmd.args(args);
        let out_path = stdout_to
            .map(Path::to_path_buf)
            .unwrap_or_else(|| dir.join(format!("runtime-{seq}.out")));
        let err_path = dir.join(format!("runtime-{seq}.err"));
        let stdout = File::create(&out_path)?;
        let stderr = File::create(&err_path)?;
        cmd.stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .current_dir(dir)
            .process_group(0);
        let command = format!(
            "{} {}",
            self.path
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default(),
            // The operation only: full paths would make every report differ.
            args.first().map(String::as_str).unwrap_or_default()
        );
        let start = Instant::now();
        let mut child = cmd.spawn()?;
        let pgid = Pid::from_raw(child.id() as i32);
        let mut timed_out = false;
        let status = loop {
            if let Some(st) = child.try_wait()? {
                break Some(st);
            }
            if start.elapsed() > self.timeout {
                timed_out = true;
                let _ = killpg(pgid, Signal::SIGKILL);
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let read = |p: &Path| {
            std::fs::read(p)
                .map(|b| String::from_utf8_lossy(&b[..b.len().min(1 << 20)]).into_owned())
                .unwrap_or_default()
        };
        Ok(Invocation {
            command,
            code: status.and_then(|s| s.code()),
            timed_out,
            stdout: if stdout_to.is_some() {
                String::new()
            } else {
                read(&out_path)
            },
            stderr: read(&err_path),
            duration: start.elapsed(),
        })
    }
}
