//! Validate results: `ocicheck validate --format json` (README, "JSON output (stable)"), read
//! back by `ocicheck report`.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::version::{first_format_version, FormatError};
use crate::VALIDATE_RESULTS_FORMAT_VERSION;

/// A validation run: the verdict on each bundle, and the paths that could not be read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ValidateResults {
    /// The version of this format (absent in files written before it was added: version 1).
    #[serde(default = "first_format_version")]
    #[schemars(range(min = 1))]
    pub format_version: u32,
    pub bundles: Vec<BundleResult>,
    #[serde(default)]
    pub summary: ValidateSummary,
    /// Paths that could not be read (`ocicheck validate` exits 2).
    #[serde(default)]
    pub unreadable: Vec<Unreadable>,
}

impl Default for ValidateResults {
    fn default() -> ValidateResults {
        ValidateResults::new(Vec::new(), Vec::new())
    }
}

impl ValidateResults {
    /// A run in this version of the format; the summary is counted from `bundles`.
    pub fn new(bundles: Vec<BundleResult>, unreadable: Vec<Unreadable>) -> ValidateResults {
        ValidateResults {
            format_version: VALIDATE_RESULTS_FORMAT_VERSION,
            summary: ValidateSummary::of(&bundles),
            bundles,
            unreadable,
        }
    }

    /// The pretty JSON (no final newline).
    pub fn to_json(&self) -> String {
        // Cannot fail: every map key is a string and every value plain data.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads validate results, checking the format version.
    pub fn from_json(bytes: &[u8]) -> Result<ValidateResults, FormatError> {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(FormatError::Json)?;
        ValidateResults::from_value(value)
    }

    /// As [`ValidateResults::from_json`], from parsed JSON.
    pub fn from_value(value: serde_json::Value) -> Result<ValidateResults, FormatError> {
        crate::version::check(&value, "validate results", VALIDATE_RESULTS_FORMAT_VERSION)?;
        serde_json::from_value(value).map_err(FormatError::invalid_validate)
    }
}

/// The verdict on one bundle (or config.json).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BundleResult {
    /// As given, or as found by `--recursive`.
    pub path: String,
    /// The release whose rules were applied.
    pub spec_version: String,
    /// No error-severity finding.
    pub valid: bool,
    #[serde(default)]
    pub diagnostics: Vec<Finding>,
}

impl BundleResult {
    /// How many findings have `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }
}

/// One finding: a requirement a config breaks, or a note about the validation itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// The catalog id of the requirement, or an `ocicheck.*` id for notes.
    pub requirement: String,
    /// The requirement's level ("" for notes).
    #[serde(default)]
    pub level: Level,
    pub severity: Severity,
    /// JSON pointer into config.json ("" is the whole document).
    #[serde(default)]
    pub pointer: String,
    /// 1-based line in config.json.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub line: Option<u32>,
    /// 1-based column in config.json, counting characters.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub column: Option<u32>,
    pub message: String,
    /// Link to the spec section ("" for notes).
    #[serde(default)]
    pub spec_url: String,
}

/// The strength of the requirement a finding names, as RFC 2119 keywords; `""` for ocicheck's
/// notes, which name no requirement of the spec.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
pub enum Level {
    #[serde(rename = "MUST")]
    Must,
    #[serde(rename = "MUST NOT")]
    MustNot,
    #[serde(rename = "REQUIRED")]
    Required,
    #[serde(rename = "SHOULD")]
    Should,
    #[serde(rename = "SHOULD NOT")]
    ShouldNot,
    #[serde(rename = "RECOMMENDED")]
    Recommended,
    #[serde(rename = "NOT RECOMMENDED")]
    NotRecommended,
    #[serde(rename = "MAY")]
    May,
    #[serde(rename = "OPTIONAL")]
    Optional,
    /// A note of ocicheck's (e.g. an unknown `ociVersion`), not a requirement of the spec.
    #[default]
    #[serde(rename = "")]
    Note,
}

impl Level {
    /// Every level, notes last.
    pub const ALL: [Level; 10] = [
        Level::Must,
        Level::MustNot,
        Level::Required,
        Level::Should,
        Level::ShouldNot,
        Level::Recommended,
        Level::NotRecommended,
        Level::May,
        Level::Optional,
        Level::Note,
    ];

    /// The JSON string: `MUST`, `SHOULD NOT`, ..., `""` for notes.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::MustNot => "MUST NOT",
            Level::Required => "REQUIRED",
            Level::Should => "SHOULD",
            Level::ShouldNot => "SHOULD NOT",
            Level::Recommended => "RECOMMENDED",
            Level::NotRecommended => "NOT RECOMMENDED",
            Level::May => "MAY",
            Level::Optional => "OPTIONAL",
            Level::Note => "",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How bad a finding is: MUST-level findings are errors, SHOULD- and MAY-level ones warnings.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    /// The JSON string.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Totals of a validation run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ValidateSummary {
    pub bundles: usize,
    pub valid: usize,
    pub invalid: usize,
    /// Error-severity findings over all bundles.
    pub errors: usize,
    /// Warning-severity findings over all bundles.
    pub warnings: usize,
}

impl ValidateSummary {
    /// The totals of `bundles`.
    pub fn of(bundles: &[BundleResult]) -> ValidateSummary {
        let mut s = ValidateSummary::default();
        for b in bundles {
            s.add_bundle(
                b.valid,
                b.count(Severity::Error),
                b.count(Severity::Warning),
            );
        }
        s
    }

    /// Counts one more bundle.
    pub fn add_bundle(&mut self, valid: bool, errors: usize, warnings: usize) {
        self.bundles += 1;
        if valid {
            self.valid += 1;
        } else {
            self.invalid += 1;
        }
        self.errors += errors;
        self.warnings += warnings;
    }
}

/// A path that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Unreadable {
    pub path: String,
    pub error: String,
}
