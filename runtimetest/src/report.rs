//! The human summary of a run. The result types are `ocicheck_results`'; the TAP, JUnit and
//! report formats are `ocicheck_report`'s.

use std::fmt::Write;

use ocicheck_results::{CaseResult, Outcome, Tally};

use crate::baseline::XPASS_NOTE;
use crate::show::count;

/// The human summary: one line per failure (with its reason), then totals.
pub fn human(results: &[CaseResult]) -> String {
    human_with(results, true, &|_, text| text.to_string())
}

/// The human summary, with the failure lines only when `failures` (a terminal that showed them
/// as they happened needs only the totals), and `paint` colouring a text in its outcome's
/// colour.
pub fn human_with(
    results: &[CaseResult],
    failures: bool,
    paint: &dyn Fn(Outcome, &str) -> String,
) -> String {
    let mut out = String::new();
    for r in results {
        match r.outcome {
            Outcome::Fail | Outcome::Error if failures => {
                let word = r.outcome.as_str().to_uppercase();
                let _ = writeln!(out, "{} {}: {}", paint(r.outcome, &word), r.id, r.reason);
            }
            _ => {}
        }
        // Listed in the baseline but passed: the console never showed it, so always here.
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
    let tally = |n: usize, outcome: Outcome| {
        let text = format!("{n} {}", outcome.as_str());
        if n > 0 {
            paint(outcome, &text)
        } else {
            text
        }
    };
    let _ = writeln!(
        out,
        "{}: {}, {}, {}, {}, {}",
        count(results.len(), "case", "cases"),
        tally(s.pass, Outcome::Pass),
        tally(s.fail, Outcome::Fail),
        tally(s.error, Outcome::Error),
        tally(s.skip, Outcome::Skip),
        tally(s.xfail, Outcome::Xfail),
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
