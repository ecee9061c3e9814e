//! v1 `rdma`: `linux.resources.rdma`.

use std::collections::HashMap;
use std::path::Path;

use oci_spec::runtime::LinuxRdma;

use super::super::checks::rdma_field;
use super::super::files::ControllerDir;
use super::super::CgroupError;

pub const CONTROLLER: &str = "rdma";
pub const FILE: &str = "rdma.max";

/// config-linux rdma: one `rdma.max` line per device, `<device> [hca_handle=N] [hca_object=N]`,
/// devices in name order.
pub fn apply(dir: &Path, rdma: &HashMap<String, LinuxRdma>) -> Result<(), CgroupError> {
    write_limits(ControllerDir::new(dir, CONTROLLER), rdma)
}

/// The rdma.max writes, shared with cgroup v2 (same file, same format).
pub(in crate::cgroups) fn write_limits(
    d: ControllerDir<'_>,
    rdma: &HashMap<String, LinuxRdma>,
) -> Result<(), CgroupError> {
    let mut devices: Vec<_> = rdma.iter().collect();
    devices.sort_by(|a, b| a.0.cmp(b.0));
    for (dev, limits) in devices {
        let mut value = dev.clone();
        if let Some(h) = limits.hca_handles() {
            value.push_str(&format!(" hca_handle={h}"));
        }
        if let Some(o) = limits.hca_objects() {
            value.push_str(&format!(" hca_object={o}"));
        }
        d.set(&rdma_field(dev), FILE, &value)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{dir_with, from_json, pairs, writes};

    #[test]
    fn devices_in_name_order_with_their_limits() {
        let tmp = dir_with(&[FILE]);
        let r: HashMap<String, LinuxRdma> = from_json(serde_json::json!({
            "mlx5_1": {"hcaObjects": 7},
            "mlx5_0": {"hcaHandles": 3, "hcaObjects": 10000},
            "hfi1": {}
        }));
        apply(tmp.path(), &r).expect("apply");
        assert_eq!(
            writes(tmp.path()),
            pairs(&[
                (FILE, "hfi1"),
                (FILE, "mlx5_0 hca_handle=3 hca_object=10000"),
                (FILE, "mlx5_1 hca_object=7"),
            ])
        );
    }
}
