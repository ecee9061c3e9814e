//! Runs stopped by SIGINT or SIGTERM (`interrupted` in their results): every format says so,
//! and how many cases did not run, since the results are incomplete.

use ocicheck_results::{CaseResult, Outcome, RunResults};

use crate::{esc, model};

/// The id of the JUnit test case that stands for the cases an interrupted run did not finish.
pub const JUNIT_CASE: &str = "ocicheck.interrupted";

/// What to say of an interrupted run: `interrupted by SIGTERM: 3 cases did not run` (`None`
/// for a run that was not interrupted).
pub fn note(run: &RunResults) -> Option<String> {
    let signal = run.interrupted.as_deref()?;
    let text = match run.not_run {
        Some(1) => format!("interrupted by {signal}: 1 case did not run"),
        Some(n) => format!("interrupted by {signal}: {n} cases did not run"),
        None => format!("interrupted by {signal}"),
    };
    Some(text)
}

/// TAP of a run: its cases, then `Bail out!` when it was interrupted.
pub fn tap(run: &RunResults) -> String {
    let mut out = crate::tap(&run.cases);
    if let Some(note) = note(run) {
        out.push_str(&format!("Bail out! {note}\n"));
    }
    out
}

/// The cases a run's JUnit shows: its own, and for an interrupted run one erroring test case
/// that says so (CI dashboards then show the run as broken, not as passing).
pub fn junit_cases(run: &RunResults) -> Vec<CaseResult> {
    let mut cases = run.cases.clone();
    if let Some(note) = note(run) {
        cases.push(CaseResult {
            id: JUNIT_CASE.to_string(),
            requirements: Vec::new(),
            outcome: Outcome::Error,
            verdicts: Vec::new(),
            reason: note,
            duration_ms: 0,
            baseline: None,
            xpass: false,
        });
    }
    cases
}

/// A run as its JUnit shows it: with [`junit_cases`], and its tally counting them.
pub(crate) fn for_junit(run: &RunResults) -> std::borrow::Cow<'_, RunResults> {
    if run.interrupted.is_none() {
        return std::borrow::Cow::Borrowed(run);
    }
    let mut shown = run.clone();
    shown.cases = junit_cases(run);
    shown.summary = shown.cases.iter().map(|c| c.outcome).collect();
    std::borrow::Cow::Owned(shown)
}

/// The notes of the interrupted runs among `runs`, each naming its run.
fn notes(runs: &[RunResults]) -> Vec<String> {
    runs.iter()
        .zip(model::labels(runs))
        .filter_map(|(run, label)| Some(format!("{label}: {}", note(run)?)))
        .collect()
}

/// Markdown: a warning after the title for each interrupted run.
pub(crate) fn markdown(text: String, runs: &[RunResults]) -> String {
    let notes = notes(runs);
    if notes.is_empty() {
        return text;
    }
    let warning: String = notes
        .iter()
        .map(|n| format!("> **Incomplete**: {}\n", crate::md_cell(n)))
        .collect();
    match text.split_once("\n\n") {
        Some((title, rest)) => format!("{title}\n\n{warning}\n{rest}"),
        None => format!("{warning}\n{text}"),
    }
}

/// HTML: a warning at the top of the page for each interrupted run.
pub(crate) fn html(text: String, runs: &[RunResults]) -> String {
    let notes = notes(runs);
    if notes.is_empty() {
        return text;
    }
    let warning: String = notes
        .iter()
        .map(|n| {
            format!(
                "<p class=\"interrupted\"><strong>Incomplete</strong>: {}</p>\n",
                esc(n)
            )
        })
        .collect();
    match text.split_once("</header>\n") {
        Some((head, rest)) => format!("{head}</header>\n{warning}{rest}"),
        None => format!("{warning}{text}"),
    }
}
