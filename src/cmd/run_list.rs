//! `ocicheck run --list`: the selected cases, one line each, or as a JSON document
//! (`--format json`) whose field names are stable (README, `ocicheck run`).

use anyhow::Context;
use ocicheck_catalog::SpecVersion;
use ocicheck_runtimetest::case::{Case, Need};
use serde::Serialize;

/// The version of the `--list --format json` document; changes only when a field is removed or
/// changes meaning.
pub const LIST_FORMAT_VERSION: u32 = 1;

/// The `--list --format json` document.
#[derive(Debug, Serialize)]
pub struct CaseList<'a> {
    pub format_version: u32,
    pub cases: Vec<ListedCase<'a>>,
}

/// One selected case.
#[derive(Debug, Serialize)]
pub struct ListedCase<'a> {
    pub id: &'a str,
    pub summary: &'a str,
    /// Where the case came from: `cases/<name>.toml` for the embedded suite, else its path.
    pub file: &'a str,
    /// Catalog ids the case decides.
    pub requirements: &'a [String],
    /// Host features the case needs (the case is skipped without them), as the case file
    /// names them.
    pub needs: &'a [Need],
    /// The releases whose rules run the case (with `--spec-version`), oldest first.
    pub spec_versions: Vec<&'static str>,
}

/// The JSON document listing `cases`.
pub fn json(cases: &[Case]) -> anyhow::Result<String> {
    let list = CaseList {
        format_version: LIST_FORMAT_VERSION,
        cases: cases
            .iter()
            .map(|c| ListedCase {
                id: &c.id,
                summary: &c.summary,
                file: &c.file,
                requirements: &c.requirements,
                needs: &c.needs,
                spec_versions: SpecVersion::ALL
                    .into_iter()
                    .filter(|v| c.applies_to(*v))
                    .map(SpecVersion::as_str)
                    .collect(),
            })
            .collect(),
    };
    let text = serde_json::to_string_pretty(&list).context("cannot write the case list as JSON")?;
    Ok(text + "\n")
}

/// The human listing: id and requirement ids, one case a line.
pub fn human(cases: &[Case]) -> String {
    cases
        .iter()
        .map(|c| format!("{:<40} {}\n", c.id, c.requirements.join(", ")))
        .collect()
}
