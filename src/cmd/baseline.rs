//! `ocicheck run --baseline FILE [--strict-baseline]`: reading the baseline, warning about its
//! entries for cases the suite does not have, and what `--strict-baseline` fails the run on.

use std::path::Path;

use anyhow::{Context, Result};
use ocicheck_results::{BaselineInfo, CaseResult};
use ocicheck_runtimetest::baseline::{Baseline, UnknownEntry};
use ocicheck_runtimetest::Suite;

/// A run's baseline (empty without `--baseline`) and what is wrong with it.
pub struct Loaded {
    pub baseline: Baseline,
    /// What the results record (None without `--baseline`).
    pub info: Option<BaselineInfo>,
    /// Entries for cases not in the suite.
    unknown: Vec<UnknownEntry>,
}

/// Reads the baseline at `path` (none: an empty one) and warns on stderr, naming the file and
/// line, about each entry whose case is not in `suite` — the whole suite, with the `--cases`
/// directories, not the cases `--case` or `--partition` select.
pub fn load(path: Option<&Path>, suite: &Suite) -> Result<Loaded> {
    let Some(path) = path else {
        return Ok(Loaded {
            baseline: Baseline::default(),
            info: None,
            unknown: Vec::new(),
        });
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read baseline {}", path.display()))?;
    let baseline =
        Baseline::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let unknown = baseline.unknown(suite.cases.iter().map(|c| c.id.as_str()));
    let warning = if super::color::stderr() {
        "\x1b[33mwarning\x1b[0m"
    } else {
        "warning"
    };
    for u in &unknown {
        let hint = u
            .did_you_mean
            .as_ref()
            .map(|m| format!(" (did you mean {m}?)"))
            .unwrap_or_default();
        eprintln!(
            "{warning}: {}:{}: {} is not a case of the suite{hint}",
            path.display(),
            u.line,
            u.id
        );
    }
    Ok(Loaded {
        info: Some(baseline.info(&path.display().to_string())),
        baseline,
        unknown,
    })
}

impl Loaded {
    /// What `--strict-baseline` fails the run on: entries for unknown cases, and listed cases
    /// that passed. None when the baseline is in order.
    pub fn strict_failure(&self, results: &[CaseResult]) -> Option<String> {
        let path = self.info.as_ref()?.path.as_str();
        let mut problems = Vec::new();
        if !self.unknown.is_empty() {
            let ids: Vec<&str> = self.unknown.iter().map(|u| u.id.as_str()).collect();
            problems.push(format!(
                "{} for {} not in the suite: {}",
                entries(ids.len()),
                if ids.len() == 1 { "a case" } else { "cases" },
                ids.join(", ")
            ));
        }
        let xpass: Vec<&str> = results
            .iter()
            .filter(|r| r.xpass)
            .map(|r| r.id.as_str())
            .collect();
        if !xpass.is_empty() {
            problems.push(format!(
                "{} for {} that passed: {} (remove {} from the baseline)",
                entries(xpass.len()),
                if xpass.len() == 1 { "a case" } else { "cases" },
                xpass.join(", "),
                if xpass.len() == 1 { "it" } else { "them" },
            ));
        }
        (!problems.is_empty()).then(|| {
            format!(
                "--strict-baseline: the baseline {path} has {}",
                problems.join("; and ")
            )
        })
    }
}

/// For `--strict-baseline`: whether the baseline fails the run, which it then says on stderr.
pub fn strict_failed(loaded: &Loaded, results: &[CaseResult]) -> bool {
    match loaded.strict_failure(results) {
        Some(why) => {
            eprintln!("error: {why}");
            true
        }
        None => false,
    }
}

fn entries(n: usize) -> String {
    if n == 1 {
        "1 entry".to_string()
    } else {
        format!("{n} entries")
    }
}
