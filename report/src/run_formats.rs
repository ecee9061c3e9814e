//! TAP and JUnit XML of one run's cases (`ocicheck run --format tap|junit`, and the files of
//! `--report DIR`).

use std::fmt::Write;

use ocicheck_results::{CaseResult, Outcome, RuntimeInfo};

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

/// JUnit XML (one test suite, one test case per case).
pub fn junit(runtime: &RuntimeInfo, results: &[CaseResult]) -> String {
    let mut report = quick_junit::Report::new("ocicheck");
    report.add_test_suite(junit_suite(
        format!("ocicheck run {}", runtime.path),
        results,
    ));
    report.to_string().unwrap_or_default()
}

/// One JUnit test suite named `name`, one test case per case (for reports of several runs).
pub(crate) fn junit_suite(name: String, results: &[CaseResult]) -> quick_junit::TestSuite {
    use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
    let mut suite = TestSuite::new(name);
    for r in results {
        let status = match r.outcome {
            Outcome::Pass => TestCaseStatus::success(),
            Outcome::Skip => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(r.reason.clone());
                s
            }
            Outcome::Xfail => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(format!("xfail: {}", r.baseline.clone().unwrap_or_default()));
                s
            }
            Outcome::Fail => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(r.reason.clone());
                s
            }
            Outcome::Error => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                s.set_message(r.reason.clone());
                s
            }
        };
        let mut tc = TestCase::new(r.id.clone(), status);
        tc.set_time(std::time::Duration::from_millis(r.duration_ms));
        tc.set_classname(r.requirements.join(" "));
        if r.xpass {
            tc.set_system_out(format!(
                "xpass: {}",
                r.baseline.as_deref().unwrap_or_default()
            ));
        }
        suite.add_test_case(tc);
    }
    suite
}
