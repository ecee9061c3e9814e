//! The runtime's command line as clap sees it: runc's commands and flags, only those this runtime
//! implements, described for this runtime. Flags runc's callers pass that this runtime does not
//! act on are accepted but hidden from `--help`; the ones that ask for something it cannot do
//! are refused when used (see [`Refused`]).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// The state root when `--root` is not given.
const ROOT_HELP: &str = "Directory of the containers' state, one subdirectory per container \
     (default: /run/ocicheck-runtime)";

/// ocicheck's reference OCI runtime, with runc's command line (runtime-spec 1.0.0–1.3.0).
#[derive(Parser, Debug)]
#[command(
    name = "ocicheck-runtime",
    version = concat!(env!("CARGO_PKG_VERSION"), "\nspec: 1.3.0"),
    about,
    after_help = "Reached as `ocicheck runtime ...` or through a link named `ocicheck-runtime` \
        to the ocicheck binary.\n\nExit status: 0 on success; 1 when the command failed; 2 usage \
        error; `run` exits with the container program's status."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOpts,
    #[command(subcommand)]
    pub cmd: Cmd,
}

/// runc's global flags that this runtime implements (runc has no short forms for them).
#[derive(clap::Args, Debug)]
#[command(next_help_heading = "Global options")]
pub struct GlobalOpts {
    #[arg(long, global = true, value_name = "DIR", help = ROOT_HELP)]
    pub root: Option<PathBuf>,
    /// Also write messages to this file (they always go to stderr).
    #[arg(long, global = true, value_name = "FILE", overrides_with = "log")]
    pub log: Option<PathBuf>,
    /// The form of the lines written to the --log file.
    #[arg(long, global = true, value_name = "FORMAT", default_value = "text",
          value_parser = ["text", "json"])]
    pub log_format: String,
    /// Also log each phase of the command, with the milliseconds since it began.
    #[arg(long, global = true)]
    pub debug: bool,
    /// Accepted from runc's callers and refused: this runtime manages cgroups through cgroupfs
    /// only.
    #[arg(long, global = true, hide = true)]
    pub systemd_cgroup: bool,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Create a container from a bundle; its program waits for `start`.
    Create(Create),
    /// Run the program of a created container.
    Start(Id),
    /// Print the state of a container as JSON.
    State(Id),
    /// Send a signal (default: the image's stop signal, else SIGTERM) to a container's process.
    Kill(Kill),
    /// Delete a stopped container (or, with --force, any container).
    Delete(Delete),
    /// Create and start a container, wait for its program and exit with its status.
    Run(Run),
    /// List the containers.
    List(List),
    /// Write a default config.json.
    Spec(Spec),
    /// Print what this runtime supports (features.json).
    Features,
}

/// A container's id.
#[derive(clap::Args, Debug)]
pub struct Id {
    /// The container's id.
    #[arg(value_name = "ID", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub container_id: String,
}

/// What `create` and `run` share.
#[derive(clap::Args, Debug)]
pub struct CreateArgs {
    /// The bundle directory: config.json and the root filesystem it names.
    #[arg(short, long, default_value = ".", value_name = "DIR")]
    pub bundle: PathBuf,
    /// A Unix socket to send the pseudoterminal's controlling end to (for `process.terminal`).
    #[arg(long, value_name = "PATH")]
    pub console_socket: Option<PathBuf>,
    /// Write the container process's pid to this file.
    #[arg(long, value_name = "FILE")]
    pub pid_file: Option<PathBuf>,
    /// Pass N file descriptors after stdio (3 to 3+N-1) on to the container's process.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub preserve_fds: i32,
    /// Accepted from runc's callers and refused: this runtime always uses pivot_root.
    #[arg(long, hide = true)]
    pub no_pivot: bool,
    /// Accepted from runc's callers: this runtime never makes a session keyring, so the
    /// container always keeps its caller's.
    #[arg(long, hide = true)]
    pub no_new_keyring: bool,
    /// The container's id.
    #[arg(value_name = "ID", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub container_id: String,
}

/// `create [OPTIONS] ID`.
#[derive(clap::Args, Debug)]
pub struct Create {
    #[command(flatten)]
    pub args: CreateArgs,
}

/// `run [OPTIONS] ID`.
#[derive(clap::Args, Debug)]
pub struct Run {
    #[command(flatten)]
    pub args: CreateArgs,
    /// Return once the program has started, without waiting for it.
    #[arg(short, long)]
    pub detach: bool,
    /// Keep the container (its state and cgroup) after its program exits.
    #[arg(long)]
    pub keep: bool,
    /// Do not become the subreaper of the container's process while waiting for it.
    #[arg(long)]
    pub no_subreaper: bool,
}

/// `kill [--all] ID [SIGNAL]`: the signal is optional, as in runc.
#[derive(clap::Args, Debug)]
pub struct Kill {
    /// Send the signal to every process of the container.
    #[arg(short, long)]
    pub all: bool,
    /// The container's id.
    #[arg(value_name = "ID", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub container_id: String,
    /// A name (TERM, SIGTERM) or number; without one, the config's
    /// `org.opencontainers.image.stopSignal` annotation, else SIGTERM.
    pub signal: Option<String>,
}

/// `delete [--force] ID`.
#[derive(clap::Args, Debug)]
pub struct Delete {
    /// Delete a container that is not stopped too, killing its processes (SIGKILL).
    #[arg(short, long)]
    pub force: bool,
    /// The container's id.
    #[arg(value_name = "ID", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub container_id: String,
}

/// `list [--format table|json] [--quiet]`.
#[derive(clap::Args, Debug)]
pub struct List {
    /// How to print the containers.
    #[arg(short, long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
    /// Print only the containers' ids.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `spec [--bundle DIR] [--rootless]`.
#[derive(clap::Args, Debug)]
pub struct Spec {
    /// Write config.json into this directory (default: the current one).
    #[arg(short, long, value_name = "DIR")]
    pub bundle: Option<PathBuf>,
    /// A config for an unprivileged caller: a user namespace mapping the caller's ids to root,
    /// no cgroup resources.
    #[arg(long)]
    pub rootless: bool,
}

/// A flag accepted from runc's callers that asks for something this runtime cannot do.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("--systemd-cgroup: this runtime manages cgroups through cgroupfs only")]
    SystemdCgroup,
    #[error("--no-pivot: this runtime always moves into the root filesystem with pivot_root")]
    NoPivot,
}

impl Cli {
    /// The first flag of this command line that asks for what this runtime cannot do.
    pub fn refused(&self) -> Option<Refused> {
        if self.global.systemd_cgroup {
            return Some(Refused::SystemdCgroup);
        }
        let create = match &self.cmd {
            Cmd::Create(c) => &c.args,
            Cmd::Run(r) => &r.args,
            _ => return None,
        };
        create.no_pivot.then_some(Refused::NoPivot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("ocicheck-runtime").chain(args.iter().copied()))
            .expect("parses") // ok: test code
    }

    #[test]
    fn the_definition_is_consistent() {
        <Cli as clap::CommandFactory>::command().debug_assert();
    }

    #[test]
    fn runc_flags_the_runtime_cannot_honour_are_refused() {
        assert_eq!(
            parse(&["--systemd-cgroup", "list"]).refused(),
            Some(Refused::SystemdCgroup)
        );
        assert_eq!(
            parse(&["create", "--no-pivot", "c"]).refused(),
            Some(Refused::NoPivot)
        );
        assert_eq!(
            parse(&["run", "--no-pivot", "-d", "c"]).refused(),
            Some(Refused::NoPivot)
        );
        // What the runtime always does anyway.
        assert_eq!(parse(&["create", "--no-new-keyring", "c"]).refused(), None);
        assert_eq!(parse(&["--root", "/r", "create", "c"]).refused(), None);
    }

    #[test]
    fn global_flags_go_before_or_after_the_command() {
        let cli = parse(&["create", "--root", "/r", "--log-format", "json", "c"]);
        assert_eq!(cli.global.root.as_deref(), Some(std::path::Path::new("/r")));
        assert_eq!(cli.global.log_format, "json");
        assert!(
            Cli::try_parse_from(["x", "--log-format", "yaml", "list"]).is_err(),
            "text or json only"
        );
    }
}
