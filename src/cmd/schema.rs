use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::ValueEnum;
use ocicheck_catalog::SpecVersion;
use ocicheck_results::exit_codes::OcicheckExitCode;
use ocicheck_validator::schema::{schema_for, SchemaKind};
use serde_json::Value;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Which {
    /// A bundle's config.json.
    Config,
    /// The state a runtime prints.
    State,
    /// What `runtime features` prints.
    Features,
    /// ocicheck's own `run --format json`.
    RunResults,
    /// ocicheck's own `validate --format json`.
    ValidateResults,
}

/// Options of `ocicheck schema`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Which document's schema.
    #[arg(value_enum)]
    which: Which,
    /// The release whose rules the schema expresses (config, state and features only; default:
    /// the latest release).
    #[arg(long, value_name = "X.Y.Z")]
    spec_version: Option<SpecVersion>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let spec = |kind| schema_for(kind, args.spec_version.unwrap_or(SpecVersion::LATEST));
    let ours = |schema: fn() -> Value| {
        if args.spec_version.is_some() {
            bail!(
                "--spec-version applies to the spec's documents (config, state, features), not \
                 to ocicheck's results"
            );
        }
        Ok(schema())
    };
    let schema = match args.which {
        Which::Config => spec(SchemaKind::Config)?,
        Which::State => spec(SchemaKind::State)?,
        Which::Features => spec(SchemaKind::Features)?,
        Which::RunResults => ours(ocicheck_results::schema::run_results)?,
        Which::ValidateResults => ours(ocicheck_results::schema::validate_results)?,
    };
    println!("{}", serde_json::to_string_pretty(&schema)?);
    Ok(ExitCode::from(OcicheckExitCode::OK))
}
