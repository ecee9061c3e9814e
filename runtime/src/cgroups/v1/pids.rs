//! v1 `pids`: `linux.resources.pids`.

use std::path::Path;

use oci_spec::runtime::LinuxPids;

use super::super::files::ControllerDir;
use super::super::CgroupError;

pub const CONTROLLER: &str = "pids";

/// config-linux: pids.limit is the maximum number of tasks, -1 (any negative) meaning no
/// limit ("max"); 0 is a valid limit and is written as such.
pub fn apply(dir: &Path, pids: &LinuxPids) -> Result<(), CgroupError> {
    let value = if pids.limit() < 0 {
        "max".to_string()
    } else {
        pids.limit().to_string()
    };
    ControllerDir::new(dir, CONTROLLER).set("linux.resources.pids.limit", "pids.max", &value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{content, dir_with, from_json, pairs, writes};

    fn pids(limit: i64) -> LinuxPids {
        from_json(serde_json::json!({ "limit": limit }))
    }

    #[test]
    fn limit_is_written_and_negative_means_max() {
        for (limit, want) in [(10, "10"), (0, "0"), (-1, "max"), (-5, "max")] {
            let tmp = dir_with(&["pids.max"]);
            apply(tmp.path(), &pids(limit)).expect("apply");
            assert_eq!(content(tmp.path(), "pids.max"), want);
            assert_eq!(writes(tmp.path()), pairs(&[("pids.max", want)]));
        }
    }

    #[test]
    fn missing_file_is_an_error_naming_it() {
        let tmp = dir_with(&[]);
        let err = apply(tmp.path(), &pids(3)).expect_err("no pids.max");
        assert!(matches!(
            &err,
            CgroupError::MissingFile { controller, field, .. }
                if controller == "pids" && field == "linux.resources.pids.limit"
        ));
        assert!(err.to_string().contains("pids.max"), "{err}");
        assert!(writes(tmp.path()).is_empty());
    }
}
