//! Results of a run: baseline, partition, and the human / TAP / JSON / JUnit formats.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::runner::{CaseResult, Outcome};

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

/// `--partition K/N`: the K-th of N deterministic shards (by position in the sorted case list).
pub fn parse_partition(s: &str) -> Result<(usize, usize), String> {
    let (k, n) = s
        .split_once('/')
        .ok_or_else(|| format!("partition {s:?} is not K/N"))?;
    let k: usize = k
        .parse()
        .map_err(|_| format!("partition {s:?}: K is not a number"))?;
    let n: usize = n
        .parse()
        .map_err(|_| format!("partition {s:?}: N is not a number"))?;
    if n == 0 || k == 0 || k > n {
        return Err(format!("partition {s:?}: need 1 <= K <= N"));
    }
    Ok((k, n))
}

/// Counts by outcome.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub skip: usize,
    pub error: usize,
    pub xfail: usize,
}

pub fn summarize(results: &[CaseResult]) -> Summary {
    let mut s = Summary::default();
    for r in results {
        match r.outcome {
            Outcome::Pass => s.pass += 1,
            Outcome::Fail => s.fail += 1,
            Outcome::Skip => s.skip += 1,
            Outcome::Error => s.error += 1,
            Outcome::Xfail => s.xfail += 1,
        }
    }
    s
}

/// The run as `--format json` shows it (stable).
#[derive(Serialize)]
pub struct JsonRun<'a> {
    pub runtime: RuntimeInfo,
    pub spec_version: String,
    pub cases: &'a [CaseResult],
    pub summary: Summary,
}

#[derive(Clone, Debug, Serialize)]
pub struct RuntimeInfo {
    pub path: String,
    pub version: String,
}

pub fn json(runtime: &RuntimeInfo, spec_version: &str, results: &[CaseResult]) -> String {
    let run = JsonRun {
        runtime: runtime.clone(),
        spec_version: spec_version.to_string(),
        cases: results,
        summary: summarize(results),
    };
    serde_json::to_string_pretty(&run).unwrap_or_default()
}

fn yaml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// TAP version 13 with YAML diagnostics blocks.
pub fn tap(results: &[CaseResult]) -> String {
    let mut out = format!("TAP version 13\n1..{}\n", results.len());
    for (i, r) in results.iter().enumerate() {
        let n = i + 1;
        let (ok, directive) = match r.outcome {
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
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("ocicheck");
    let mut suite = TestSuite::new(format!("ocicheck run {}", runtime.path));
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
        suite.add_test_case(tc);
    }
    report.add_test_suite(suite);
    report.to_string().unwrap_or_default()
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
    let s = summarize(results);
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
