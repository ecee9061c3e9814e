//! What a running suite tells its caller as it goes: a case starts, a case is finished.
//! Reporters only render (the console of `ocicheck run`); the runner does not print.

use ocicheck_results::CaseResult;

use crate::case::Case;

/// Hears the run as it goes, from the worker threads (hence `Sync`). A plain
/// `Fn(&CaseResult)` is one that only hears finished cases.
pub trait Progress: Sync {
    /// A worker takes `case` up (also one that will be skipped).
    fn started(&self, _case: &Case) {}
    /// `result` is the case's result, before any baseline is applied.
    fn finished(&self, result: &CaseResult);
}

impl<F: Fn(&CaseResult) + Sync> Progress for F {
    fn finished(&self, result: &CaseResult) {
        self(result)
    }
}
