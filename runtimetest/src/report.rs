//! The human summary of a run. The result types are `ocicheck_results`'; the TAP, JUnit and
//! report formats are `ocicheck_report`'s.

use std::fmt::Write;

use ocicheck_results::{CaseResult, Outcome, Tally};

use crate::baseline::XPASS_NOTE;

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
        if r.xpass {
            let _ = writeln!(
                out,
                "XPASS {}: {}",
                r.id,
                r.baseline.as_deref().unwrap_or(XPASS_NOTE)
            );
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
    xpass_summary(&mut out, results);
    out
}

/// Adds to the totals line how many passes the baseline lists (none: nothing).
fn xpass_summary(out: &mut String, results: &[CaseResult]) {
    let n = results.iter().filter(|r| r.xpass).count();
    if n > 0 && out.ends_with('\n') {
        out.pop();
        let _ = writeln!(out, " ({n} xpass: listed in the baseline but passed)");
    }
}
