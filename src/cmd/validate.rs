use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::ValueEnum;
use ocicheck_catalog::SpecVersion;
use ocicheck_results::exit_codes::OcicheckExitCode;
use ocicheck_validator::output::{self, Run};
use ocicheck_validator::{find_bundles, Options, Target, Validator};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
}

/// Options of `ocicheck validate`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Checks always run: our JSON Schema of the config's release, and every static requirement of \
the catalog, including that root.path names a directory inside the bundle.
Host-only checks (--host): hook paths exist and are executable; namespace paths exist and are \
namespaces of the right type; capabilities are known to this kernel.

Exit status: 0 no MUST-level finding (and no warning with --deny-warnings); 1 findings; \
2 usage error or unreadable path.")]
pub struct Args {
    /// Bundle directories or config.json files; `-` reads a config from standard input.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Validate every bundle (directory holding config.json) below each PATH.
    #[arg(long, short)]
    recursive: bool,
    /// Judge by this release instead of each config's own ociVersion.
    #[arg(long, value_name = "X.Y.Z")]
    spec_version: Option<SpecVersion>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// SHOULD-level findings (warnings) fail the run too.
    #[arg(long)]
    deny_warnings: bool,
    /// Also run host-dependent checks (see below).
    #[arg(long)]
    host: bool,
    /// In human output, also list bundles that are valid without warnings.
    #[arg(long, short)]
    verbose: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let validator = Validator::new(Options {
        spec_version: args.spec_version,
        host: args.host,
    });
    let mut run = Run::default();
    let mut stdin_used = false;
    for path in &args.paths {
        let targets = if args.recursive && path.is_dir() {
            let (found, errors) = find_bundles(path);
            run.unreadable.extend(errors);
            found
        } else {
            match Target::from_arg(path) {
                Ok(t) => vec![t],
                Err(e) => {
                    run.unreadable.push(e);
                    continue;
                }
            }
        };
        for t in targets {
            if t == Target::Stdin {
                if stdin_used {
                    anyhow::bail!("`-` (standard input) can be given only once");
                }
                stdin_used = true;
            }
            match validator.validate(&t) {
                Ok(report) => run.bundles.push(report),
                Err(e) => run.unreadable.push(e),
            }
        }
    }
    let text = match args.format {
        Format::Json => output::json(&run),
        Format::Sarif => output::sarif(&run),
        Format::Human => output::human(&run, super::color::stdout(), args.verbose),
    };
    print!("{text}");
    if !text.ends_with('\n') {
        println!();
    }
    let s = run.summary();
    Ok(ExitCode::from(if !run.unreadable.is_empty() {
        OcicheckExitCode::VALIDATE_UNREADABLE
    } else if s.errors > 0 || (args.deny_warnings && s.warnings > 0) {
        OcicheckExitCode::VALIDATE_FINDINGS
    } else {
        OcicheckExitCode::OK
    }))
}
