//! v1 `net_prio`: `linux.resources.network.priorities` (cgroup v2 has no equivalent).

use std::path::Path;

use oci_spec::runtime::LinuxNetwork;

use super::super::files::ControllerDir;
use super::super::CgroupError;

pub const CONTROLLER: &str = "net_prio";
pub const FILE: &str = "net_prio.ifpriomap";

/// The field name of `priorities[i]`.
pub fn field(i: usize) -> String {
    format!("linux.resources.network.priorities[{i}]")
}

/// config-linux network.priorities: one `<interface> <priority>` line per entry, written to
/// net_prio.ifpriomap in the listed order.
pub fn apply(dir: &Path, network: &LinuxNetwork) -> Result<(), CgroupError> {
    let d = ControllerDir::new(dir, CONTROLLER);
    for (i, p) in network.priorities().iter().flatten().enumerate() {
        d.set(&field(i), FILE, &format!("{} {}", p.name(), p.priority()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{dir_with, from_json, pairs, writes};

    #[test]
    fn each_priority_is_one_write_in_order() {
        let tmp = dir_with(&[FILE]);
        let n: LinuxNetwork = from_json(serde_json::json!({"priorities": [
            {"name": "eth0", "priority": 5},
            {"name": "lo", "priority": 0}
        ]}));
        apply(tmp.path(), &n).expect("apply");
        assert_eq!(
            writes(tmp.path()),
            pairs(&[(FILE, "eth0 5"), (FILE, "lo 0")])
        );
    }

    #[test]
    fn missing_file_names_the_entry() {
        let tmp = dir_with(&[]);
        let n: LinuxNetwork =
            from_json(serde_json::json!({"priorities": [{"name": "eth0", "priority": 5}]}));
        let err = apply(tmp.path(), &n).expect_err("no ifpriomap");
        assert!(err.to_string().starts_with(
            "linux.resources.network.priorities[0]: the net_prio cgroup controller has no file"
        ));
    }
}
