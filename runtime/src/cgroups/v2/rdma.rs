//! v2 `rdma`: `linux.resources.rdma` (the same `rdma.max` file and format as on v1).

use std::collections::HashMap;
use std::path::Path;

use oci_spec::runtime::LinuxRdma;

use super::super::files::ControllerDir;
use super::super::v1::rdma::write_limits;
use super::super::CgroupError;

pub const CONTROLLER: &str = "rdma";

/// One `rdma.max` line per device, in name order.
pub fn apply(dir: &Path, rdma: &HashMap<String, LinuxRdma>) -> Result<(), CgroupError> {
    write_limits(ControllerDir::new(dir, CONTROLLER), rdma)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{dir_with, from_json, pairs, writes};

    #[test]
    fn devices_are_written_to_rdma_max() {
        let tmp = dir_with(&["rdma.max"]);
        let r: HashMap<String, LinuxRdma> =
            from_json(serde_json::json!({"mlx4_0": {"hcaHandles": 2}}));
        apply(tmp.path(), &r).expect("apply");
        assert_eq!(
            writes(tmp.path()),
            pairs(&[("rdma.max", "mlx4_0 hca_handle=2")])
        );
        let err = apply(dir_with(&[]).path(), &r).expect_err("no rdma.max");
        assert!(err
            .to_string()
            .starts_with("linux.resources.rdma[\"mlx4_0\"]: "));
    }
}
