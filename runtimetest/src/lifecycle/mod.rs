//! The lifecycle interface: one operation per step of runtime.md's lifecycle, each returning a
//! typed [`Reply`]. The harness drives every runtime through [`Lifecycle`]; [`CliRuntime`] is
//! any binary with runc's command line, [`FakeRuntime`] an in-memory one that tests script.

mod cli;
mod fake;
mod hide;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

pub use cli::CliRuntime;
pub use fake::{Behaviour, Call, FakeRuntime, Op, FAKE_PID};

/// Where one case's operations keep their state and output.
#[derive(Clone, Copy, Debug)]
pub struct Scope<'a> {
    /// The runtime's state directory for this case (`--root`).
    pub state_root: &'a Path,
    /// The case's scratch directory: the runtime runs there and its output files go there.
    pub work_dir: &'a Path,
    /// Set as `OCICHECK_CASE` on every runtime invocation (empty: not set), so processes the
    /// runtime leaves behind can be attributed to the case.
    pub marker: &'a str,
    /// Files the runtime must not see (the case's `hide`): each invocation runs in a mount
    /// namespace of its own where they are absent (see `hide.rs`).
    pub hide: &'a [PathBuf],
    /// Set when the run is interrupted: an invocation still under way is killed and replies
    /// [`Exit::Interrupted`] (`None`: never cancelled).
    pub cancel: Option<&'a AtomicBool>,
}

impl<'a> Scope<'a> {
    /// A scope outside any case (no marker, nothing hidden, never cancelled): for questions
    /// asked of the runtime itself, such as `--version`.
    pub fn outside_cases(state_root: &'a Path, work_dir: &'a Path) -> Scope<'a> {
        Scope {
            state_root,
            work_dir,
            marker: "",
            hide: &[],
            cancel: None,
        }
    }

    /// The run was interrupted: stop what runs.
    pub fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(Ordering::SeqCst))
    }
}

/// What `create` needs besides the container id.
#[derive(Clone, Copy, Debug)]
pub struct CreateRequest<'a> {
    pub bundle: &'a Path,
    pub pid_file: &'a Path,
    /// `--console-socket`, when the container has a terminal.
    pub console_socket: Option<&'a Path>,
    /// The file that receives the container's standard output and error.
    pub output: &'a Path,
    /// The `oom_score_adj` the runtime is started with (`None`: the harness's own).
    pub oom_score_adj: Option<i32>,
    /// Run the runtime under strace, its mount(2) and fsconfig(2) calls written to this file
    /// (`None`: not traced). The tracer ends when the runtime does.
    pub mount_trace: Option<&'a Path>,
}

/// How an operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The runtime exited with this status.
    Code(i32),
    /// The runtime was killed by this signal (it crashed).
    Signal(i32),
    /// The runtime did not finish by the deadline and was killed.
    TimedOut,
    /// The runtime printed more than this many bytes on stdout or stderr and was killed.
    TooMuchOutput(usize),
    /// The run was interrupted (SIGINT, SIGTERM) while the runtime ran, and it was killed.
    Interrupted,
}

/// The outcome of one lifecycle operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// What was run, for messages (`runc create`).
    pub command: String,
    pub exit: Exit,
    pub stdout: String,
    pub stderr: String,
}

impl Reply {
    pub fn success(&self) -> bool {
        self.exit == Exit::Code(0)
    }

    pub fn timed_out(&self) -> bool {
        self.exit == Exit::TimedOut
    }

    /// The harness stopped the operation: it timed out or printed too much. Either is an
    /// error of the case, not a verdict on the runtime's answer.
    pub fn cut_short(&self) -> bool {
        matches!(
            self.exit,
            Exit::TimedOut | Exit::TooMuchOutput(_) | Exit::Interrupted
        )
    }

    /// A one-line account for failure reasons: the command, how it ended, the start of stderr.
    pub fn describe(&self) -> String {
        /// How much of stderr a reason quotes.
        const STDERR_CHARS: usize = 300;
        let what = match self.exit {
            Exit::TimedOut => "timed out".to_string(),
            Exit::Code(c) => format!("exited {c}"),
            Exit::Signal(s) => format!("was killed by signal {s}"),
            Exit::TooMuchOutput(cap) => format!("printed more than {}", human_bytes(cap)),
            Exit::Interrupted => "was stopped: the run was interrupted".to_string(),
        };
        let err = self.stderr.trim();
        // Cut at a character boundary: runtime output is arbitrary text.
        let err = match err.char_indices().nth(STDERR_CHARS) {
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

/// A byte count as people say it: `1 MiB`, `512 KiB`, `100 bytes`.
fn human_bytes(n: usize) -> String {
    const KIB: usize = 1 << 10;
    const MIB: usize = 1 << 20;
    if n >= MIB && n % MIB == 0 {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n % KIB == 0 {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

/// A runtime the harness can drive. `id` is `None` to leave the id argument out (to check that
/// the runtime refuses it). Each operation returns by `deadline`: an implementation that cannot
/// finish by then stops what it started and replies [`Exit::TimedOut`]. An `Err` means the
/// operation could not be attempted at all (the binary cannot be started).
pub trait Lifecycle: Send + Sync {
    /// The runtime's name for messages and reports.
    fn name(&self) -> String;
    /// The first line of its version, if it tells one.
    fn version(&self) -> Option<String>;
    fn create(
        &self,
        scope: &Scope,
        id: Option<&str>,
        req: &CreateRequest,
        deadline: Instant,
    ) -> std::io::Result<Reply>;
    fn start(&self, scope: &Scope, id: Option<&str>, deadline: Instant) -> std::io::Result<Reply>;
    fn state(&self, scope: &Scope, id: Option<&str>, deadline: Instant) -> std::io::Result<Reply>;
    /// `kill ID SIGNAL`, or without a signal (`None`: the runtime's default).
    fn kill(
        &self,
        scope: &Scope,
        id: Option<&str>,
        signal: Option<&str>,
        deadline: Instant,
    ) -> std::io::Result<Reply>;
    fn delete(
        &self,
        scope: &Scope,
        id: Option<&str>,
        force: bool,
        deadline: Instant,
    ) -> std::io::Result<Reply>;
}
