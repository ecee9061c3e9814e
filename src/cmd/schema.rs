use std::process::ExitCode;

use anyhow::Result;
use clap::ValueEnum;
use ocicheck_catalog::SpecVersion;
use ocicheck_validator::schema::{schema_for, SchemaKind};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Which {
    Config,
    State,
    Features,
}

/// Options of `ocicheck schema`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Which document's schema.
    #[arg(value_enum)]
    which: Which,
    /// The release whose rules the schema expresses.
    #[arg(long, value_name = "X.Y.Z", default_value_t = SpecVersion::LATEST)]
    spec_version: SpecVersion,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let kind = match args.which {
        Which::Config => SchemaKind::Config,
        Which::State => SchemaKind::State,
        Which::Features => SchemaKind::Features,
    };
    let schema = schema_for(kind, args.spec_version)?;
    println!("{}", serde_json::to_string_pretty(&schema)?);
    Ok(ExitCode::SUCCESS)
}
