use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use ocicheck_catalog::matrix;
use ocicheck_results::exit_codes::OcicheckExitCode;

/// Options of `ocicheck matrix`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Do not write: exit 1 with a summary of the differences when the file is not what the
    /// catalog generates.
    #[arg(long)]
    check: bool,
    /// The matrix file.
    #[arg(long, short, default_value = "WIP.md", value_name = "FILE")]
    output: PathBuf,
    /// Read the catalog from this directory of *.toml files instead of the embedded one.
    #[arg(long, value_name = "DIR")]
    catalog: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let catalog = super::load_catalog(args.catalog.as_deref())?;
    let statuses = super::derive_statuses(&catalog)?;
    let stale = statuses.stale_blocks(&catalog);
    if !stale.is_empty() {
        anyhow::bail!(
            "the catalog marks Included requirements as `blocked` (untestable on a CI host): \
             remove `blocked` from {}",
            stale.join(", ")
        );
    }
    let text = matrix::render(&catalog, &statuses);
    let path = &args.output;
    if args.check {
        let current = match std::fs::read_to_string(path) {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                eprintln!(
                    "{} does not exist: run `ocicheck matrix` to generate it",
                    path.display()
                );
                return Ok(ExitCode::from(OcicheckExitCode::MATRIX_STALE));
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        return Ok(match matrix::compare(&text, &current) {
            None => {
                println!(
                    "{} is up to date ({} requirements)",
                    path.display(),
                    catalog.len()
                );
                ExitCode::from(OcicheckExitCode::OK)
            }
            Some(stale) => {
                eprintln!(
                    "{} is stale: {}\nRun `ocicheck matrix` to regenerate it.",
                    path.display(),
                    stale.summary(12)
                );
                ExitCode::from(OcicheckExitCode::MATRIX_STALE)
            }
        });
    }
    std::fs::write(path, &text).with_context(|| format!("cannot write {}", path.display()))?;
    println!("wrote {} ({} requirements)", path.display(), catalog.len());
    Ok(ExitCode::from(OcicheckExitCode::OK))
}
