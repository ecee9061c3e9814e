//! v2 `pids`: `linux.resources.pids`.

use std::path::Path;

use oci_spec::runtime::LinuxPids;

use super::super::files::ControllerDir;
use super::super::CgroupError;

pub const CONTROLLER: &str = "pids";

/// config-linux: pids.limit is the maximum number of tasks, -1 (any negative) meaning no
/// limit ("max"); 0 is a valid limit and is written as such.
pub fn apply(dir: &Path, pids: &LinuxPids) -> Result<(), CgroupError> {
    let value = match pids.limit() {
        l if l < 0 => "max".to_string(),
        l => l.to_string(),
    };
    ControllerDir::new(dir, CONTROLLER).set("linux.resources.pids.limit", "pids.max", &value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{content, dir_with, from_json, pairs, writes};

    #[test]
    fn limit_is_written_and_negative_means_max() {
        for (limit, want) in [(1, "1"), (0, "0"), (-1, "max")] {
            let tmp = dir_with(&["pids.max"]);
            let p: LinuxPids = from_json(serde_json::json!({ "limit": limit }));
            apply(tmp.path(), &p).expect("apply");
            assert_eq!(content(tmp.path(), "pids.max"), want);
            assert_eq!(writes(tmp.path()), pairs(&[("pids.max", want)]));
        }
    }
}
