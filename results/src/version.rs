//! Format versions, and reading a result file of either kind.

use serde_json::Value;

use crate::{RunResults, ValidateResults};

/// The version of [`RunResults`] this ocicheck writes and reads.
pub const RUN_RESULTS_FORMAT_VERSION: u32 = 1;

/// The version of [`ValidateResults`] this ocicheck writes and reads.
pub const VALIDATE_RESULTS_FORMAT_VERSION: u32 = 1;

/// The version of a document without `format_version`: written before the field existed.
pub const FIRST_FORMAT_VERSION: u32 = 1;

pub(crate) fn first_format_version() -> u32 {
    FIRST_FORMAT_VERSION
}

/// Why bytes are not a result document this ocicheck can read.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("not JSON: {0}")]
    Json(#[source] serde_json::Error),
    #[error("not an ocicheck result: the JSON is not an object")]
    NotAnObject,
    #[error(
        "not an ocicheck result: expected the JSON of `ocicheck run --format json` (with \
         \"cases\") or `ocicheck validate --format json` (with \"bundles\")"
    )]
    UnknownDocument,
    #[error("\"format_version\" must be a positive integer, not {0}")]
    BadVersion(String),
    #[error(
        "{document} format version {found} is newer than this ocicheck reads (up to \
         {supported}): it was written by a newer ocicheck; read it with that one"
    )]
    NewerVersion {
        /// `run results` or `validate results`.
        document: &'static str,
        found: u64,
        supported: u32,
    },
    #[error("not a valid `ocicheck {command} --format json` result: {source}")]
    Invalid {
        /// `run` or `validate`.
        command: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("case {0} appears twice")]
    DuplicateCase(String),
}

impl FormatError {
    pub(crate) fn invalid_run(source: serde_json::Error) -> FormatError {
        FormatError::Invalid {
            command: "run",
            source,
        }
    }

    pub(crate) fn invalid_validate(source: serde_json::Error) -> FormatError {
        FormatError::Invalid {
            command: "validate",
            source,
        }
    }
}

/// Refuses a document whose `format_version` is not one this ocicheck reads. Checked before the
/// fields are, so that a newer document is refused for its version rather than for a field.
pub(crate) fn check(
    value: &Value,
    document: &'static str,
    supported: u32,
) -> Result<u32, FormatError> {
    let Some(v) = value.get("format_version") else {
        return Ok(FIRST_FORMAT_VERSION);
    };
    let found = v
        .as_u64()
        .filter(|n| *n >= 1)
        .ok_or_else(|| FormatError::BadVersion(v.to_string()))?;
    if found > u64::from(supported) {
        return Err(FormatError::NewerVersion {
            document,
            found,
            supported,
        });
    }
    // found <= supported, a u32.
    Ok(found as u32)
}

/// A result file of either kind, told apart by its fields: `cases` (run) or `bundles`
/// (validate).
#[derive(Clone, Debug, PartialEq)]
pub enum ResultsFile {
    Run(Box<RunResults>),
    Validate(ValidateResults),
}

impl ResultsFile {
    /// Reads a result file's bytes.
    pub fn from_json(bytes: &[u8]) -> Result<ResultsFile, FormatError> {
        let value: Value = serde_json::from_slice(bytes).map_err(FormatError::Json)?;
        let Some(obj) = value.as_object() else {
            return Err(FormatError::NotAnObject);
        };
        if obj.contains_key("cases") {
            Ok(ResultsFile::Run(Box::new(RunResults::from_value(value)?)))
        } else if obj.contains_key("bundles") {
            Ok(ResultsFile::Validate(ValidateResults::from_value(value)?))
        } else {
            Err(FormatError::UnknownDocument)
        }
    }
}
