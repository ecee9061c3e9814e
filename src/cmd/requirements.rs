use std::process::ExitCode;

use anyhow::Result;
use clap::ValueEnum;
use ocicheck_catalog::{
    matrix, Coverage, Doc, Kind, Level, Requirement, SpecVersion, Status, Statuses,
};
use ocicheck_results::exit_codes::OcicheckExitCode;
use serde::Serialize;

/// Output format of `ocicheck requirements`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

/// Options of `ocicheck requirements`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only requirements of this kind.
    #[arg(long, value_parser = parse_kind)]
    kind: Option<Kind>,
    /// Only requirements with this status (Included, WIP, Planned, Untestable).
    #[arg(long)]
    status: Option<Status>,
    /// Only requirements of this level (MUST, "MUST NOT", SHOULD, ...; `must-not` also works).
    #[arg(long)]
    level: Option<Level>,
    /// Only requirements of this spec document (bundle.md, runtime.md, runtime-linux.md,
    /// config.md, config-linux.md).
    #[arg(long, value_parser = parse_doc)]
    doc: Option<Doc>,
    /// Only requirements that apply to this runtime-spec release.
    #[arg(long, value_name = "X.Y.Z")]
    spec_version: Option<SpecVersion>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

fn parse_kind(s: &str) -> Result<Kind, String> {
    match s.to_ascii_lowercase().as_str() {
        "static" => Ok(Kind::Static),
        "runtime" => Ok(Kind::Runtime),
        "untestable" => Ok(Kind::Untestable),
        _ => Err(format!("unknown kind {s:?} (static, runtime, untestable)")),
    }
}

fn parse_doc(s: &str) -> Result<Doc, String> {
    let file = if s.ends_with(".md") {
        s.to_string()
    } else {
        format!("{s}.md")
    };
    Doc::from_file(&file).ok_or_else(|| {
        format!("unknown document {s:?} (bundle.md, runtime.md, runtime-linux.md, config.md, config-linux.md)")
    })
}

/// One requirement as `--format json` shows it. Field names are part of the stable interface.
#[derive(Serialize)]
struct JsonRequirement<'a> {
    id: &'a str,
    level: Level,
    summary: &'a str,
    doc: Doc,
    anchor: &'a str,
    link: String,
    versions: Vec<SpecVersion>,
    kind: Kind,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    /// What a Linux CI host lacks to test it (runtime requirements left Planned or WIP).
    #[serde(skip_serializing_if = "Option::is_none")]
    blocked: Option<&'a str>,
    status: Status,
    implemented_by: &'a [String],
    /// The mutations that prove it (`mutation:<name>`).
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    proven_by: &'a [String],
    /// For WIP: what its proof still needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    missing: Option<&'static str>,
}

#[derive(Serialize)]
struct JsonOutput<'a> {
    spec_version: SpecVersion,
    count: usize,
    /// Runtime requirements of the whole catalog proven by a mutation of the reference runtime.
    proven_runtime: usize,
    /// Of the runtime MUST / MUST NOT / REQUIRED / SHOULD requirements of `spec_version`: how
    /// many there are, how many are Included, how many of the rest the CI host cannot test.
    runtime_coverage: Coverage,
    requirements: Vec<JsonRequirement<'a>>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let catalog = super::load_catalog(None)?;
    let statuses = super::derive_statuses(&catalog)?;
    let selected: Vec<&Requirement> = catalog
        .iter()
        .filter(|r| args.kind.is_none_or(|k| r.kind == k))
        .filter(|r| args.level.is_none_or(|l| r.level == l))
        .filter(|r| args.doc.is_none_or(|d| r.doc == d))
        .filter(|r| args.spec_version.is_none_or(|v| r.applies_to(v)))
        .filter(|r| args.status.is_none_or(|s| statuses.status(&r.id) == s))
        .collect();
    let proven = statuses.proven_runtime(&catalog);
    let coverage =
        statuses.runtime_coverage(&catalog, args.spec_version.unwrap_or(SpecVersion::LATEST));
    match args.format {
        Format::Json => print_json(&selected, &statuses, proven, coverage)?,
        Format::Human => print_human(&selected, &statuses, catalog.len(), proven, coverage),
    }
    Ok(ExitCode::from(OcicheckExitCode::OK))
}

fn print_json(
    selected: &[&Requirement],
    statuses: &Statuses,
    proven: usize,
    coverage: Coverage,
) -> Result<()> {
    let requirements = selected
        .iter()
        .map(|r| {
            let d = statuses.get(&r.id);
            JsonRequirement {
                id: &r.id,
                level: r.level,
                summary: &r.summary,
                doc: r.doc,
                anchor: &r.anchor,
                link: r.link(),
                versions: r.versions(),
                kind: r.kind,
                reason: r.reason.as_deref(),
                blocked: r.blocked.as_deref(),
                status: d.map_or(Status::Planned, |d| d.status),
                implemented_by: d.map_or(&[][..], |d| &d.implemented_by[..]),
                proven_by: d.map_or(&[][..], |d| &d.proven_by[..]),
                missing: d.and_then(|d| d.missing),
            }
        })
        .collect::<Vec<_>>();
    let out = JsonOutput {
        spec_version: SpecVersion::LATEST,
        count: requirements.len(),
        proven_runtime: proven,
        runtime_coverage: coverage,
        requirements,
    };
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

fn print_human(
    selected: &[&Requirement],
    statuses: &Statuses,
    total: usize,
    proven: usize,
    coverage: Coverage,
) {
    let id_w = selected
        .iter()
        .map(|r| r.id.len())
        .max()
        .unwrap_or(2)
        .max(2);
    println!(
        "{:<id_w$}  {:<15}  {:<10}  {:<10}  {:<9}  SUMMARY",
        "ID", "LEVEL", "KIND", "STATUS", "VERSIONS"
    );
    for r in selected {
        println!(
            "{:<id_w$}  {:<15}  {:<10}  {:<10}  {:<9}  {}",
            r.id,
            r.level.as_str(),
            r.kind.as_str(),
            statuses.status(&r.id).as_str(),
            matrix::version_range(r),
            r.summary
        );
    }
    println!("\n{} of {} requirements shown", selected.len(), total);
    println!(
        "{proven} runtime requirements proven: a mutation of the reference runtime that violates \
         one alone makes a case assertion naming it fail"
    );
    println!(
        "runtime coverage: {} of {} runtime MUST/MUST NOT/REQUIRED/SHOULD requirements Included \
         ({:.1} %); {} of the rest cannot be tested on a Linux CI host",
        coverage.included,
        coverage.total,
        coverage.percent(),
        coverage.blocked
    );
}
