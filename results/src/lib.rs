//! ocicheck's result formats, in one place for what writes them and what reads them (modelled
//! on cargo-nextest's `nextest-metadata`): the JSON documents, their format versions, their JSON
//! Schemas, and the exit codes of the commands.
//!
//! * [`RunResults`]: `ocicheck run --format json` (and `--report DIR`'s `results.json`), one
//!   [`CaseResult`] per case, counted in a [`Tally`]; one shard of a run names its
//!   [`Partition`].
//! * [`ValidateResults`]: `ocicheck validate --format json`, one [`BundleResult`] per bundle with
//!   its [`Finding`]s.
//! * [`ResultsFile`] reads either, checking its `format_version`.
//! * [`exit_codes`]: what each command's exit status means.
//!
//! Every document carries a `format_version` ([`RUN_RESULTS_FORMAT_VERSION`],
//! [`VALIDATE_RESULTS_FORMAT_VERSION`]). It changes only when a reader of the previous version
//! would misread a new document (a field removed, renamed or changing meaning); added fields do
//! not change it. Readers take a document without it as version 1 (files written before it
//! existed) and refuse a newer version than they know.

pub mod exit_codes;
mod partition;
mod run;
mod tally;
mod validate;
mod version;

pub use partition::{Partition, PartitionError};
pub use run::{BaselineInfo, CaseResult, Outcome, RunResults, RuntimeInfo, SuiteInfo, Verdict};
pub use tally::Tally;
pub use validate::{
    BundleResult, Finding, Level, Severity, Unreadable, ValidateResults, ValidateSummary,
};
pub use version::{
    FormatError, ResultsFile, FIRST_FORMAT_VERSION, RUN_RESULTS_FORMAT_VERSION,
    VALIDATE_RESULTS_FORMAT_VERSION,
};

/// The JSON Schemas of the documents (`ocicheck schema run-results|validate-results`), derived
/// from the types (draft 2020-12).
pub mod schema {
    use serde_json::Value;

    /// The schema of [`RunResults`](crate::RunResults).
    pub fn run_results() -> Value {
        schemars::schema_for!(crate::RunResults).to_value()
    }

    /// The schema of [`ValidateResults`](crate::ValidateResults).
    pub fn validate_results() -> Value {
        schemars::schema_for!(crate::ValidateResults).to_value()
    }
}
