//! The command line: runc's commands and flags, as far as this runtime implements them
//! ([`args`]), and their dispatch to the operations.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::Parser;

use crate::create::{self, CreateOpts};
use crate::error::{Error, Result};
use crate::state::Store;
use crate::{info, log, mutation, ops};

mod args;

pub use args::Refused;
use args::{Cli, Cmd, CreateArgs};

/// The runtime's command line as clap defines it (for help, completions and tests).
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

impl From<CreateArgs> for CreateOpts {
    fn from(c: CreateArgs) -> CreateOpts {
        CreateOpts {
            id: c.container_id,
            bundle: c.bundle,
            pid_file: c.pid_file,
            console_socket: c.console_socket,
            preserve_fds: c.preserve_fds,
        }
    }
}

/// Runs the runtime with these arguments (argv[0] first); returns the exit status.
pub fn main<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    if let Err(e) = mutation::init() {
        eprintln!("ocicheck-runtime: error: {e}");
        return 2;
    }
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => {
            if e.use_stderr() && missing_id_accepted(&args) {
                return 0;
            }
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    if let Err(e) = log::init(cli.global.log.clone(), Some(&cli.global.log_format)) {
        eprintln!("ocicheck-runtime: error: {e}");
        return 2;
    }
    if cli.global.debug {
        log::enable_debug();
    }
    ignore_sigpipe();
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            log::error(&e.to_string());
            1
        }
    }
}

/// Whether the active mutation accepts the (unparsable) command line of `args`: an operation
/// given without its container id.
fn missing_id_accepted(args: &[OsString]) -> bool {
    args.iter()
        .skip(1)
        .filter_map(|a| a.to_str())
        .find(|a| !a.starts_with('-') && ["state", "create", "start", "kill", "delete"].contains(a))
        .is_some_and(mutation::accepts_missing_id)
}

/// A broken pipe is an error to report, not a reason to die; a handler (not SIG_IGN) so the
/// container program, after execve, gets the default again.
fn ignore_sigpipe() {
    extern "C" fn nothing(_: nix::libc::c_int) {}
    let act = nix::sys::signal::SigAction::new(
        nix::sys::signal::SigHandler::Handler(nothing),
        nix::sys::signal::SaFlags::empty(),
        nix::sys::signal::SigSet::empty(),
    );
    // SAFETY: the handler does nothing.
    let _ = unsafe { nix::sys::signal::sigaction(nix::sys::signal::Signal::SIGPIPE, &act) };
}

fn dispatch(cli: Cli) -> Result<i32> {
    if let Some(refused) = cli.refused() {
        return Err(Error::msg(refused.to_string()));
    }
    let store = || Store::open(cli.global.root.as_deref());
    match cli.cmd {
        Cmd::Create(c) => {
            warn_if_mutated();
            if mutation::active(mutation::Flaw::CreateMakesNothing) {
                return Ok(0);
            }
            create::create(&store()?, &c.args.into())?;
            Ok(0)
        }
        Cmd::Start(s) => ops::start(&store()?, &s.container_id).map(|()| 0),
        Cmd::State(s) => {
            let state = ops::state(&store()?, &s.container_id)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&state).unwrap_or_default()
            );
            Ok(0)
        }
        Cmd::Kill(k) => {
            ops::kill_op(&store()?, &k.container_id, k.signal.as_deref(), k.all).map(|()| 0)
        }
        Cmd::Delete(d) => ops::delete(&store()?, &d.container_id, d.force).map(|()| 0),
        Cmd::Run(r) => {
            warn_if_mutated();
            ops::run(&store()?, &r.args.into(), r.detach, r.keep, !r.no_subreaper)
        }
        Cmd::List(l) => {
            print!("{}", ops::list(&store()?, &l.format, l.quiet)?);
            Ok(0)
        }
        Cmd::Spec(s) => {
            let dir = s.bundle.unwrap_or_else(|| PathBuf::from("."));
            let path = dir.join("config.json");
            if path.exists() {
                return Err(Error::msg(format!(
                    "{} exists: remove it first",
                    path.display()
                )));
            }
            let text =
                serde_json::to_string_pretty(&info::default_config(s.rootless)).unwrap_or_default();
            std::fs::write(&path, text + "\n")
                .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
            Ok(0)
        }
        Cmd::Features => {
            println!(
                "{}",
                serde_json::to_string_pretty(&info::features()).unwrap_or_default()
            );
            Ok(0)
        }
    }
}

/// One line on stderr while a deliberate defect is active (see [`mutation`]).
fn warn_if_mutated() {
    if let Some(w) = mutation::warning() {
        eprintln!("{w}");
    }
}
