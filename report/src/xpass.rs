//! The cases a run's baseline lists as known failures that passed ("xpass"): the entries to
//! remove from the baseline, which the Markdown and HTML reports list.

use crate::model::Comparison;

/// The xpass cases of one run.
pub(crate) struct Xpass<'a> {
    /// The run's label.
    pub label: &'a str,
    /// The baseline's path, when the results record it.
    pub baseline: Option<&'a str>,
    /// The case ids, sorted.
    pub cases: Vec<&'a str>,
}

/// Per run (in column order), its xpass cases; runs without any are left out.
pub(crate) fn by_run(c: &Comparison) -> Vec<Xpass<'_>> {
    c.columns
        .iter()
        .map(|col| Xpass {
            label: &col.label,
            baseline: col.run.baseline.as_ref().map(|b| b.path.as_str()),
            cases: col
                .run
                .cases
                .iter()
                .filter(|r| r.xpass)
                .map(|r| r.id.as_str())
                .collect(),
        })
        .filter(|x| !x.cases.is_empty())
        .collect()
}

/// The explanation under the section's heading.
pub(crate) const INTRO: &str =
    "The run's baseline lists these cases as known failures, but they passed: remove them from \
     the baseline.";
