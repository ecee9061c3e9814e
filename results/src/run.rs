//! Run results: `ocicheck run --format json`, read back by `ocicheck report`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::version::{first_format_version, FormatError};
use crate::{Partition, Tally, RUN_RESULTS_FORMAT_VERSION};

/// The verdict on one case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Everything the case expects was observed.
    Pass,
    /// The runtime did not do what the case expects.
    Fail,
    /// Not judged: the host cannot run it, or it does not apply to the spec version.
    Skip,
    /// The case could not be judged: the runtime hung, crashed or printed garbage, or cleaning
    /// up failed.
    Error,
    /// A failure or error the baseline expects.
    Xfail,
}

impl Outcome {
    /// Every outcome, in the order of a run's `summary`.
    pub const ALL: [Outcome; 5] = [
        Outcome::Pass,
        Outcome::Fail,
        Outcome::Skip,
        Outcome::Error,
        Outcome::Xfail,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Skip => "skip",
            Outcome::Error => "error",
            Outcome::Xfail => "xfail",
        }
    }
}

/// How one requirement fared in one case, and the assertion that decided it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Verdict {
    /// The requirement's catalog id.
    pub requirement: String,
    /// `pass`: every assertion naming it held; `fail` (or `xfail`): one of them did not;
    /// `error`: the case stopped before judging it (an earlier step failed or could not be
    /// carried out); `skip`: not judged (the case was skipped, or the requirement does not
    /// apply to the release).
    pub outcome: Outcome,
    /// The assertion that decided it, e.g. `step 4 (state)` or `expect 2 (env)`: the failing
    /// one, the first one not reached, or the last one that held ("" when skipped).
    pub assertion: String,
}

/// One case's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CaseResult {
    /// The case's id, e.g. `process.hostname`.
    pub id: String,
    /// The catalog ids of the requirements the case's assertions decide.
    pub requirements: Vec<String>,
    pub outcome: Outcome,
    /// Per requirement, the assertion that decided it. Added without a version change (an
    /// added field); files written before it lack it, and readers then take the case's outcome
    /// for each requirement ([`CaseResult::verdicts`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verdicts: Vec<Verdict>,
    /// Why it failed, errored or was skipped ("" when it passed).
    pub reason: String,
    /// How long the case took, in milliseconds.
    pub duration_ms: u64,
    /// For xfail: the baseline's reason; for a case the baseline lists that passed, a note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
    /// The baseline lists this case as a known failure but it passed ("xpass"): the entry can
    /// go. Added without a version change; absent means false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub xpass: bool,
}

impl CaseResult {
    /// Each requirement's verdict in this case: the recorded ones, or (a file written before
    /// verdicts existed) the case's outcome for every requirement it names.
    pub fn verdicts(&self) -> Vec<Verdict> {
        if !self.verdicts.is_empty() {
            return self.verdicts.clone();
        }
        self.requirements
            .iter()
            .map(|r| Verdict {
                requirement: r.clone(),
                outcome: self.outcome,
                assertion: String::new(),
            })
            .collect()
    }
}

/// A run: what `ocicheck run --format json` prints and `ocicheck report` reads back.
///
/// `suite`, `partition` and `selected_cases` were added for merging partitions safely, and
/// `format_version` after them; files written before them still read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunResults {
    /// The version of this format (absent in files written before it was added: version 1).
    #[serde(default = "first_format_version")]
    #[schemars(range(min = 1))]
    pub format_version: u32,
    /// The runtime tested.
    pub runtime: RuntimeInfo,
    /// The release whose rules the run applied.
    pub spec_version: String,
    /// The suite that produced the results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite: Option<SuiteInfo>,
    /// Present when this is one shard of a `--partition K/N` run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<Partition>,
    /// How many cases the selection (`--case`) held before partitioning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected_cases: Option<usize>,
    /// When the run started: RFC 3339, UTC, to the second (`2026-12-01T09:30:00Z`); for merged
    /// partitions, the earliest start. Absent in files written before it was added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
    /// The host name of the machine that ran it; for merged partitions run on several, their
    /// names sorted and separated by spaces. Absent in files written before it was added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// The baseline the run applied (`--baseline FILE`), absent when none. Added without a
    /// version change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineInfo>,
    /// Present when the run was interrupted: the signal that stopped it (`SIGTERM`,
    /// `SIGINT`). `cases` then holds only the cases that finished; `ocicheck report` does not
    /// merge such a partition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<String>,
    /// With `interrupted`: how many cases of the run did not finish (never started, or stopped
    /// under way), and are not in `cases`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_run: Option<usize>,
    /// The cases run, sorted by id.
    pub cases: Vec<CaseResult>,
    /// The cases counted by outcome.
    pub summary: Tally,
}

impl RunResults {
    /// A whole run of `cases` (no partition), in this version of the format.
    pub fn new(
        runtime: RuntimeInfo,
        spec_version: &str,
        suite: Option<SuiteInfo>,
        cases: Vec<CaseResult>,
    ) -> RunResults {
        RunResults {
            format_version: RUN_RESULTS_FORMAT_VERSION,
            runtime,
            spec_version: spec_version.to_string(),
            suite,
            partition: None,
            selected_cases: None,
            started: None,
            hostname: None,
            baseline: None,
            interrupted: None,
            not_run: None,
            summary: cases.iter().map(|c| c.outcome).collect(),
            cases,
        }
    }

    /// The pretty JSON, with a final newline.
    pub fn to_json(&self) -> String {
        // Cannot fail: every map key is a string and every value plain data.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// Reads run results, checking the format version and that no case is there twice.
    pub fn from_json(bytes: &[u8]) -> Result<RunResults, FormatError> {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(FormatError::Json)?;
        RunResults::from_value(value)
    }

    /// As [`RunResults::from_json`], from parsed JSON.
    pub fn from_value(value: serde_json::Value) -> Result<RunResults, FormatError> {
        crate::version::check(&value, "run results", RUN_RESULTS_FORMAT_VERSION)?;
        let run: RunResults = serde_json::from_value(value).map_err(FormatError::invalid_run)?;
        let mut seen = std::collections::BTreeSet::new();
        for c in &run.cases {
            if !seen.insert(c.id.as_str()) {
                return Err(FormatError::DuplicateCase(c.id.clone()));
            }
        }
        Ok(run)
    }
}

/// Which suite produced a run: the ocicheck version and a digest of its case files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SuiteInfo {
    pub version: String,
    pub cases_digest: String,
}

/// Which baseline a run applied: partitions merge only when theirs agree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BaselineInfo {
    /// The file, as given on the command line.
    pub path: String,
    /// A digest of its contents (not of its path), as `suite.cases_digest` is made.
    pub digest: String,
    /// How many entries (cases) it lists.
    pub entries: usize,
}

/// The runtime a run tested.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuntimeInfo {
    /// Its path.
    pub path: String,
    /// What its `--version` printed.
    pub version: String,
}
