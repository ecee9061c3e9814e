//! The human summary of a run. The result types are `ocicheck_results`'; the TAP, JUnit and
//! report formats are `ocicheck_report`'s.

use std::fmt::Write;

use ocicheck_results::{CaseResult, Outcome, Tally};

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
