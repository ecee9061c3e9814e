//! Results of a run: the baseline, the suite's identity and the human summary. The result types
//! are `ocicheck_results`' (re-exported here); the TAP, JUnit and report formats are
//! `ocicheck_report`'s.

use std::collections::BTreeMap;
use std::fmt::Write;

use ocicheck_results::{CaseResult, Outcome, Tally};
pub use ocicheck_results::{RunResults, RuntimeInfo, SuiteInfo};

/// Known failures: `<case-id> <one-line reason>` per line, `#` comments.
#[derive(Clone, Debug, Default)]
pub struct Baseline {
    pub entries: BTreeMap<String, String>,
}

impl Baseline {
    pub fn parse(text: &str) -> Result<Baseline, String> {
        let mut entries = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (id, reason) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            if reason.trim().is_empty() {
                return Err(format!("line {}: {id} needs a reason", n + 1));
            }
            entries.insert(id.to_string(), reason.trim().to_string());
        }
        Ok(Baseline { entries })
    }

    /// Turns listed failures into xfail; notes listed cases that now pass.
    pub fn apply(&self, results: &mut [CaseResult]) {
        for r in results {
            if let Some(reason) = self.entries.get(&r.id) {
                match r.outcome {
                    Outcome::Fail | Outcome::Error => {
                        r.outcome = Outcome::Xfail;
                        r.baseline = Some(reason.clone());
                    }
                    Outcome::Pass => {
                        r.baseline = Some(
                            "listed in the baseline but passed: remove it from the baseline".into(),
                        );
                    }
                    _ => {}
                }
            }
        }
    }
}

/// This binary's suite: the ocicheck version and a digest of the embedded case files.
pub fn suite_info() -> SuiteInfo {
    SuiteInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        cases_digest: crate::case::embedded_digest(),
    }
}

/// The human summary: one line per failure (with its reason), then totals.
pub fn human(results: &[CaseResult]) -> String {
    let mut out = String::new();
    for r in results {
        match r.outcome {
            Outcome::Fail | Outcome::Error => {
                let _ = writeln!(
                    out,
                    "{} {}: {}",
                    r.outcome.as_str().to_uppercase(),
                    r.id,
                    r.reason
                );
            }
            _ => {}
        }
        if r.outcome == Outcome::Pass {
            if let Some(note) = &r.baseline {
                let _ = writeln!(out, "NOTE {}: {note}", r.id);
            }
        }
    }
    let s: Tally = results.iter().map(|r| r.outcome).collect();
    let _ = writeln!(
        out,
        "{} cases: {} pass, {} fail, {} error, {} skip, {} xfail",
        results.len(),
        s.pass,
        s.fail,
        s.error,
        s.skip,
        s.xfail
    );
    out
}
