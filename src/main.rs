//! `ocicheck`: conformance test harness and bundle validator for the OCI runtime specification.

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

mod cmd;
mod implementers;

/// Conformance test harness and bundle validator for the OCI runtime specification.
///
/// ocicheck tracks every normative statement of runtime-spec 1.0.0–1.3.0 in one requirement
/// catalog, and judges bundles and runtimes against it.
#[derive(Parser, Debug)]
#[command(
    name = "ocicheck",
    version,
    about,
    long_about,
    propagate_version = true
)]
struct Cli {
    /// When to colour output: auto (a terminal, and NO_COLOR unset), always or never.
    #[arg(long, global = true, value_enum, default_value_t, value_name = "WHEN")]
    color: cmd::color::ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List the requirements of the catalog, with their level, kind and status.
    Requirements(cmd::requirements::Args),
    /// Validate bundles or config.json files against every static requirement, offline.
    Validate(cmd::validate::Args),
    /// Drive a runtime through the lifecycle cases and check, from inside the container, that
    /// the config was applied.
    Run(cmd::run::Args),
    /// Print ocicheck's JSON Schema of config.json, state.json or features.json, or of its own
    /// results (run-results, validate-results).
    Schema(cmd::schema::Args),
    /// Measure the validator's speed against peers on this machine.
    #[command(hide = true)]
    Bench(cmd::bench::Args),
    /// Generate WIP.md, the status matrix of every requirement (or check that it is current).
    Matrix(cmd::matrix::Args),
    /// Turn run results into reports: merge partitions, compare runtimes (md, html, junit, json, tap).
    Report(cmd::report::Args),
    /// Print a shell completion script (bash, zsh or fish) on standard output.
    Completions(cmd::completions::CompletionsArgs),
    /// Print ocicheck's man page, or write one page per command into a directory.
    Man(cmd::completions::ManArgs),
    /// The embedded reference runtime, with runc's command line (`ocicheck runtime --help`).
    /// Also reachable through a link named `ocicheck-runtime`.
    #[command(disable_help_flag = true)]
    Runtime {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn exit_code(code: i32) -> ExitCode {
    ExitCode::from(code.clamp(0, 255) as u8)
}

fn main() -> ExitCode {
    // Like other command-line tools, end quietly when the reader of our output goes away
    // (`ocicheck run --list | head`) instead of failing on a broken pipe.
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is always valid.
    unsafe {
        let _ = nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGPIPE,
            nix::sys::signal::SigHandler::SigDfl,
        );
    }
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let name = argv
        .first()
        .and_then(|a0| std::path::Path::new(a0).file_name())
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    match name {
        // Called as /probe inside a container, or as a hook program: the in-container probe.
        "probe" => {
            let rest: Vec<String> = argv[1..]
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            return ExitCode::from(ocicheck_runtimetest::probe::main(&rest).clamp(0, 255) as u8);
        }
        // Called through a link named ocicheck-runtime: the reference runtime, runc's CLI.
        "ocicheck-runtime" => return exit_code(ocicheck_runtime::main(argv)),
        _ => {}
    }
    // `ocicheck runtime ARGS...`: the same runtime; its own parser sees everything after it.
    if argv.get(1).is_some_and(|a| a == "runtime") {
        let mut rest = vec![std::ffi::OsString::from("ocicheck runtime")];
        rest.extend(argv[2..].iter().cloned());
        return exit_code(ocicheck_runtime::main(rest));
    }
    // Clap's own help and errors follow --color too, so it is known before clap parses.
    let color = cmd::color::from_args(&argv);
    let mut command = Cli::command().color(color.for_clap());
    let cli = match command
        .try_get_matches_from_mut(&argv)
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        // Help and version on stdout (0), usage errors on stderr (2).
        Err(e) => e.format(&mut command).exit(),
    };
    cmd::color::set(cli.color);
    let result = match cli.command {
        Command::Requirements(args) => cmd::requirements::run(args),
        Command::Matrix(args) => cmd::matrix::run(args),
        Command::Validate(args) => cmd::validate::run(args),
        Command::Schema(args) => cmd::schema::run(args),
        Command::Run(args) => cmd::run::run(args),
        Command::Bench(args) => cmd::bench::run(args),
        Command::Report(args) => cmd::report::run(args),
        Command::Completions(args) => cmd::completions::completions(args),
        Command::Man(args) => cmd::completions::man(args),
        // Handled before parsing, so the runtime's own parser sees its arguments.
        Command::Runtime { args } => {
            let mut rest = vec!["ocicheck runtime".to_string()];
            rest.extend(args);
            Ok(exit_code(ocicheck_runtime::main(rest)))
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(ocicheck_results::exit_codes::OcicheckExitCode::ERROR)
        }
    }
}
