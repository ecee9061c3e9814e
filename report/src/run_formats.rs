//! TAP of one run's cases (`ocicheck run --format tap`, `ocicheck report --format tap`, and
//! `results.tap` of `--report DIR`).

use std::fmt::Write;

use ocicheck_results::{CaseResult, Outcome};

fn yaml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// TAP version 13 with YAML diagnostics blocks.
pub fn tap(results: &[CaseResult]) -> String {
    let mut out = format!("TAP version 13\n1..{}\n", results.len());
    for (i, r) in results.iter().enumerate() {
        let n = i + 1;
        let (ok, directive) = match r.outcome {
            // TAP's "bonus" pass: consumers show it as a TODO test that passed.
            Outcome::Pass if r.xpass => (
                "ok",
                format!(
                    " # TODO xpass: {}",
                    r.baseline.as_deref().unwrap_or_default()
                ),
            ),
            Outcome::Pass => ("ok", String::new()),
            Outcome::Skip => ("ok", format!(" # SKIP {}", r.reason)),
            Outcome::Xfail => (
                "not ok",
                format!(" # TODO {}", r.baseline.clone().unwrap_or_default()),
            ),
            Outcome::Fail | Outcome::Error => ("not ok", String::new()),
        };
        let _ = writeln!(out, "{ok} {n} - {}{directive}", r.id);
        if matches!(r.outcome, Outcome::Fail | Outcome::Error | Outcome::Xfail) {
            let _ = writeln!(out, "  ---");
            let _ = writeln!(out, "  outcome: {}", r.outcome.as_str());
            let _ = writeln!(out, "  message: {}", yaml_str(&r.reason));
            let _ = writeln!(out, "  requirements: [{}]", r.requirements.join(", "));
            let _ = writeln!(out, "  duration_ms: {}", r.duration_ms);
            let _ = writeln!(out, "  ...");
        }
    }
    out
}
