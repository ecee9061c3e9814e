//! Reading result files: `ocicheck run --format json` or `ocicheck validate --format json`.

use std::path::Path;

use ocicheck_runtimetest::report::{parse_partition, RunResults};
use serde_json::Value;

use crate::validation::ValidateRun;
use crate::ReportError;

/// Result files larger than this are refused rather than read into memory.
const MAX_INPUT: u64 = 256 << 20;

/// One result file.
#[derive(Clone, Debug)]
pub enum Input {
    /// `ocicheck run --format json` (possibly one partition).
    Run(Box<RunResults>),
    /// `ocicheck validate --format json`.
    Validation(ValidateRun),
}

/// Reads and parses one result file.
pub fn load(path: &Path) -> Result<Input, ReportError> {
    let read = |source| ReportError::Read {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read)?;
    if !meta.is_file() {
        return Err(ReportError::Parse {
            path: path.to_path_buf(),
            message: "not a regular file".into(),
        });
    }
    if meta.len() > MAX_INPUT {
        return Err(ReportError::Parse {
            path: path.to_path_buf(),
            message: format!(
                "{} bytes is too large for a result file (limit {MAX_INPUT})",
                meta.len()
            ),
        });
    }
    let bytes = std::fs::read(path).map_err(read)?;
    parse(path, &bytes)
}

/// Parses the bytes of a result file; `path` names it in errors.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Input, ReportError> {
    let err = |message: String| ReportError::Parse {
        path: path.to_path_buf(),
        message,
    };
    let value: Value = serde_json::from_slice(bytes).map_err(|e| err(format!("not JSON: {e}")))?;
    let Some(obj) = value.as_object() else {
        return Err(err(
            "not an ocicheck result: the JSON is not an object".into()
        ));
    };
    if obj.contains_key("cases") {
        let run: RunResults = serde_json::from_value(value).map_err(|e| {
            err(format!(
                "not a valid `ocicheck run --format json` result: {e}"
            ))
        })?;
        if let Some(p) = &run.partition {
            parse_partition(p).map_err(|e| err(format!("\"partition\": {e}")))?;
        }
        let mut seen = std::collections::BTreeSet::new();
        for c in &run.cases {
            if !seen.insert(c.id.as_str()) {
                return Err(err(format!("case {} appears twice", c.id)));
            }
        }
        Ok(Input::Run(Box::new(run)))
    } else if obj.contains_key("bundles") {
        let run: ValidateRun = serde_json::from_value(value).map_err(|e| {
            err(format!(
                "not a valid `ocicheck validate --format json` result: {e}"
            ))
        })?;
        Ok(Input::Validation(run))
    } else {
        Err(err(
            "not an ocicheck result: expected the JSON of `ocicheck run --format json` (with \
             \"cases\") or `ocicheck validate --format json` (with \"bundles\")"
                .into(),
        ))
    }
}
