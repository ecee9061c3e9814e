//! Results of a run: baseline, partition, and the human / TAP / JSON / JUnit formats.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::{Deserialize, Serialize};

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
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
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

/// The run as `--format json` shows it (stable): what `ocicheck report` reads back.
///
/// `suite`, `partition` and `selected_cases` were added for merging partitions safely; files
/// written before them still load (they are then `None`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunResults {
    pub runtime: RuntimeInfo,
    pub spec_version: String,
    /// The suite that produced the results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite: Option<SuiteInfo>,
    /// `K/N` when this is one shard of a `--partition` run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    /// How many cases the selection (`--case`) held before partitioning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected_cases: Option<usize>,
    pub cases: Vec<CaseResult>,
    pub summary: Summary,
}

impl RunResults {
    /// A run of `cases` as this binary's suite made them.
    pub fn new(runtime: RuntimeInfo, spec_version: &str, cases: Vec<CaseResult>) -> RunResults {
        RunResults {
            runtime,
            spec_version: spec_version.to_string(),
            suite: Some(SuiteInfo::current()),
            partition: None,
            selected_cases: None,
            summary: summarize(&cases),
            cases,
        }
    }

    /// The stable pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

/// Which suite produced a run: the ocicheck version and a digest of the embedded case files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuiteInfo {
    pub version: String,
    pub cases_digest: String,
}

impl SuiteInfo {
    /// This binary's suite.
    pub fn current() -> SuiteInfo {
        SuiteInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            cases_digest: crate::case::embedded_digest(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeInfo {
    pub path: String,
    pub version: String,
}

/// The run as JSON (see [`RunResults`]).
pub fn json(runtime: &RuntimeInfo, spec_version: &str, results: &[CaseResult]) -> String {
    RunResults::new(runtime.clone(), spec_version, results.to_vec()).to_json()
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
    let mut report = quick_junit::Report::new("ocicheck");
    report.add_test_suite(junit_suite(
        format!("ocicheck run {}", runtime.path),
        results,
    ));
    report.to_string().unwrap_or_default()
}

/// One JUnit test suite named `name`, one test case per case (for reports of several runs).
pub fn junit_suite(name: String, results: &[CaseResult]) -> quick_junit::TestSuite {
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
        suite.add_test_case(tc);
    }
    suite
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
