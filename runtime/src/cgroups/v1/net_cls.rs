//! v1 `net_cls`: `linux.resources.network.classID` (cgroup v2 has no equivalent).

use std::path::Path;

use oci_spec::runtime::LinuxNetwork;

use super::super::files::ControllerDir;
use super::super::CgroupError;

pub const CONTROLLER: &str = "net_cls";
pub const FIELD: &str = "linux.resources.network.classID";
pub const FILE: &str = "net_cls.classid";

/// config-linux network.classID: the net_cls class identifier.
pub fn apply(dir: &Path, network: &LinuxNetwork) -> Result<(), CgroupError> {
    if let Some(class) = network.class_id() {
        ControllerDir::new(dir, CONTROLLER).set(FIELD, FILE, &class.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{dir_with, from_json, pairs, writes};

    #[test]
    fn class_id_is_written_in_decimal() {
        let tmp = dir_with(&[FILE]);
        let n: LinuxNetwork = from_json(serde_json::json!({"classID": 1048577}));
        apply(tmp.path(), &n).expect("apply");
        assert_eq!(writes(tmp.path()), pairs(&[(FILE, "1048577")]));
    }

    #[test]
    fn nothing_without_class_id() {
        let tmp = dir_with(&[FILE]);
        let n: LinuxNetwork = from_json(serde_json::json!({"priorities": []}));
        apply(tmp.path(), &n).expect("apply");
        assert!(writes(tmp.path()).is_empty());
    }
}
