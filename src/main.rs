//! `ocicheck`: conformance test harness and bundle validator for the OCI runtime specification.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List the requirements of the catalog, with their level, kind and status.
    Requirements(cmd::requirements::Args),
    /// Validate bundles or config.json files against every static requirement, offline.
    Validate(cmd::validate::Args),
    /// Print ocicheck's JSON Schema of config.json, state.json or features.json.
    Schema(cmd::schema::Args),
    /// Measure the validator's speed against peers on this machine.
    #[command(hide = true)]
    Bench(cmd::bench::Args),
    /// Generate WIP.md, the status matrix of every requirement (or check that it is current).
    Matrix(cmd::matrix::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Requirements(args) => cmd::requirements::run(args),
        Command::Matrix(args) => cmd::matrix::run(args),
        Command::Validate(args) => cmd::validate::run(args),
        Command::Schema(args) => cmd::schema::run(args),
        Command::Bench(args) => cmd::bench::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
