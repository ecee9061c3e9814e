//! The command line: runc's, with liboci-cli's definitions where they match it.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::create::{self, CreateOpts};
use crate::error::{Error, Result};
use crate::state::Store;
use crate::{info, log, mutation, ops};

/// ocicheck's reference OCI runtime: runc's command line, runtime-spec 1.0.0–1.3.0.
#[derive(Parser, Debug)]
#[command(
    name = "ocicheck-runtime",
    version = concat!(env!("CARGO_PKG_VERSION"), "\nspec: 1.3.0"),
    about
)]
struct Cli {
    #[command(flatten)]
    global: liboci_cli::GlobalOpts,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Create a container from a bundle; its program waits for `start`.
    Create(liboci_cli::Create),
    /// Run the program of a created container.
    Start(liboci_cli::Start),
    /// Print the state of a container as JSON.
    State(liboci_cli::State),
    /// Send a signal (default: the image's stop signal, else SIGTERM) to a container's process.
    Kill(Kill),
    /// Delete a stopped container (or, with --force, any container).
    Delete(liboci_cli::Delete),
    /// Create and start a container, wait for its program and exit with its status.
    Run(liboci_cli::Run),
    /// List the containers.
    List(liboci_cli::List),
    /// Write a default config.json.
    Spec(liboci_cli::Spec),
    /// Print what this runtime supports (features.json).
    Features(liboci_cli::Features),
}

/// `kill [--all] ID [SIGNAL]`: the signal is optional, as in runc.
#[derive(clap::Args, Debug)]
struct Kill {
    /// Send the signal to every process of the container.
    #[arg(short, long)]
    all: bool,
    #[arg(value_parser = clap::builder::NonEmptyStringValueParser::new())]
    container_id: String,
    /// A name (TERM, SIGTERM) or number; without one, the config's
    /// `org.opencontainers.image.stopSignal` annotation, else SIGTERM.
    signal: Option<String>,
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
    if let Err(e) = log::init(cli.global.log.clone(), cli.global.log_format.as_deref()) {
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
    if cli.global.systemd_cgroup {
        return Err(Error::msg(
            "--systemd-cgroup: this runtime manages cgroups through cgroupfs only",
        ));
    }
    let store = || Store::open(cli.global.root.as_deref());
    match cli.cmd {
        Cmd::Create(c) => {
            warn_if_mutated();
            if mutation::active(mutation::Flaw::CreateMakesNothing) {
                return Ok(0);
            }
            create::create(
                &store()?,
                &CreateOpts {
                    id: c.container_id,
                    bundle: c.bundle,
                    pid_file: c.pid_file,
                    console_socket: c.console_socket,
                    preserve_fds: c.preserve_fds,
                },
            )?;
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
            ops::run(
                &store()?,
                &CreateOpts {
                    id: r.container_id,
                    bundle: r.bundle,
                    pid_file: r.pid_file,
                    console_socket: r.console_socket,
                    preserve_fds: r.preserve_fds,
                },
                r.detach,
                r.keep,
                !r.no_subreaper,
            )
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
        Cmd::Features(_) => {
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
