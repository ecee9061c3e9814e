//! `ocicheck report --fail-on`: whether results should fail the CI step that merges them.

use ocicheck_results::{CaseResult, Outcome, RunResults};

/// What makes `ocicheck report --fail-on` exit 1. Each condition contains the one before:
/// error ⊂ new ⊂ fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    /// Some case errored (the baseline did not list it).
    Error,
    /// Some case failed or errored that the baseline does not list: what makes `ocicheck run`
    /// exit 1. Known failures (xfail) do not count.
    New,
    /// Some case did not pass or skip: failures, errors and known failures (xfail) alike.
    Fail,
}

/// Cases named in a gate message; the rest are counted.
const NAMED: usize = 5;

impl FailOn {
    /// What meets the condition in `run`, e.g. `1 case errored (linux.domainname)`; None when
    /// nothing does.
    pub fn check(self, run: &RunResults) -> Option<String> {
        let meets = |c: &&CaseResult| match self {
            FailOn::Error => c.outcome == Outcome::Error,
            FailOn::New => matches!(c.outcome, Outcome::Fail | Outcome::Error),
            FailOn::Fail => !matches!(c.outcome, Outcome::Pass | Outcome::Skip),
        };
        let ids: Vec<&str> = run
            .cases
            .iter()
            .filter(meets)
            .map(|c| c.id.as_str())
            .collect();
        if ids.is_empty() {
            return None;
        }
        let what = match self {
            FailOn::Error => "errored",
            FailOn::New => "failed or errored that the baseline does not list",
            FailOn::Fail => "did not pass",
        };
        let mut named = ids[..ids.len().min(NAMED)].join(", ");
        if ids.len() > NAMED {
            named.push_str(&format!(" and {} more", ids.len() - NAMED));
        }
        let cases = if ids.len() == 1 { "case" } else { "cases" };
        Some(format!("{} {cases} {what} ({named})", ids.len()))
    }

    /// The name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::Error => "error",
            FailOn::New => "new",
            FailOn::Fail => "fail",
        }
    }
}

/// Per run (labelled as in reports) that meets `on`, what meets it; empty when none does.
pub fn gate(on: FailOn, runs: &[RunResults]) -> Vec<String> {
    crate::model::labels(runs)
        .into_iter()
        .zip(runs)
        .filter_map(|(label, run)| on.check(run).map(|what| format!("{label}: {what}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocicheck_results::RuntimeInfo;

    fn run(outcomes: &[Outcome]) -> RunResults {
        let cases = outcomes
            .iter()
            .enumerate()
            .map(|(i, &outcome)| CaseResult {
                id: format!("case.{i}"),
                requirements: Vec::new(),
                outcome,
                verdicts: Vec::new(),
                reason: String::new(),
                duration_ms: 1,
                baseline: None,
                xpass: false,
            })
            .collect();
        RunResults::new(
            RuntimeInfo {
                path: "/bin/r".into(),
                version: "r 1.0".into(),
            },
            "1.3.0",
            None,
            cases,
        )
    }

    #[test]
    fn names_the_first_cases_and_counts_the_rest() {
        let r = run(&[Outcome::Fail; 7]);
        assert_eq!(
            FailOn::Fail.check(&r).as_deref(),
            Some("7 cases did not pass (case.0, case.1, case.2, case.3, case.4 and 2 more)")
        );
        assert_eq!(
            gate(FailOn::Error, std::slice::from_ref(&r)),
            Vec::<String>::new()
        );
        assert_eq!(
            gate(
                FailOn::New,
                &[run(&[Outcome::Pass]), run(&[Outcome::Error])]
            ),
            vec!["r 1.0 #2: 1 case failed or errored that the baseline does not list (case.0)"]
        );
    }
}
