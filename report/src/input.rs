//! Reading result files: `ocicheck run --format json` or `ocicheck validate --format json`.

use std::path::Path;

use ocicheck_results::{ResultsFile, RunResults, ValidateResults};

use crate::ReportError;

/// Result files larger than this are refused rather than read into memory.
const MAX_INPUT: u64 = 256 << 20;

/// One result file.
#[derive(Clone, Debug)]
pub enum Input {
    /// `ocicheck run --format json` (possibly one partition).
    Run(Box<RunResults>),
    /// `ocicheck validate --format json`.
    Validation(ValidateResults),
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
    match ResultsFile::from_json(bytes) {
        Ok(ResultsFile::Run(run)) => {
            if let Some(started) = &run.started {
                crate::start_time(started).map_err(|e| ReportError::Parse {
                    path: path.to_path_buf(),
                    message: format!("\"started\": {e}"),
                })?;
            }
            Ok(Input::Run(run))
        }
        Ok(ResultsFile::Validate(run)) => Ok(Input::Validation(run)),
        Err(e) => Err(ReportError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        }),
    }
}
