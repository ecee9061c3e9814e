//! v1 `blkio`: `linux.resources.blockIO`.

use std::path::Path;

use oci_spec::runtime::LinuxBlockIo;

use super::super::files::ControllerDir;
use super::super::CgroupError;

pub const CONTROLLER: &str = "blkio";

/// Writes the weights (to `blkio.weight`, or `blkio.bfq.weight` on kernels whose CFQ is gone),
/// the leaf weights, the per-device weights and the four throttles, in that order.
pub fn apply(dir: &Path, b: &LinuxBlockIo) -> Result<(), CgroupError> {
    let d = ControllerDir::new(dir, CONTROLLER);
    let weight_file = if dir.join("blkio.weight").exists() {
        "blkio.weight"
    } else {
        "blkio.bfq.weight"
    };
    if let Some(w) = b.weight() {
        d.set(
            "linux.resources.blockIO.weight",
            weight_file,
            &w.to_string(),
        )?;
    }
    if let Some(w) = b.leaf_weight() {
        d.set(
            "linux.resources.blockIO.leafWeight",
            "blkio.leaf_weight",
            &w.to_string(),
        )?;
    }
    for (i, wd) in b.weight_device().iter().flatten().enumerate() {
        let field = format!("linux.resources.blockIO.weightDevice[{i}]");
        if let Some(w) = wd.weight() {
            d.set(
                &field,
                &format!("{weight_file}_device"),
                &format!("{}:{} {w}", wd.major(), wd.minor()),
            )?;
        }
        if let Some(w) = wd.leaf_weight() {
            d.set(
                &field,
                "blkio.leaf_weight_device",
                &format!("{}:{} {w}", wd.major(), wd.minor()),
            )?;
        }
    }
    let throttles = [
        (
            "throttleReadBpsDevice",
            b.throttle_read_bps_device(),
            "read_bps",
        ),
        (
            "throttleWriteBpsDevice",
            b.throttle_write_bps_device(),
            "write_bps",
        ),
        (
            "throttleReadIOPSDevice",
            b.throttle_read_iops_device(),
            "read_iops",
        ),
        (
            "throttleWriteIOPSDevice",
            b.throttle_write_iops_device(),
            "write_iops",
        ),
    ];
    for (name, list, key) in throttles {
        for (i, t) in list.iter().flatten().enumerate() {
            d.set(
                &format!("linux.resources.blockIO.{name}[{i}]"),
                &format!("blkio.throttle.{key}_device"),
                &format!("{}:{} {}", t.major(), t.minor(), t.rate()),
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{dir_with, from_json, pairs, writes};

    const THROTTLES: [&str; 4] = [
        "blkio.throttle.read_bps_device",
        "blkio.throttle.write_bps_device",
        "blkio.throttle.read_iops_device",
        "blkio.throttle.write_iops_device",
    ];

    fn block_io(v: serde_json::Value) -> LinuxBlockIo {
        from_json(v)
    }

    #[test]
    fn weights_devices_and_throttles_in_order() {
        let mut files = vec![
            "blkio.weight",
            "blkio.weight_device",
            "blkio.leaf_weight",
            "blkio.leaf_weight_device",
        ];
        files.extend(THROTTLES);
        let tmp = dir_with(&files);
        let b = block_io(serde_json::json!({
            "weight": 500, "leafWeight": 300,
            "weightDevice": [{"major": 8, "minor": 0, "weight": 600, "leafWeight": 100}],
            "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
            "throttleWriteBpsDevice": [{"major": 8, "minor": 16, "rate": 2}],
            "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 100}],
            "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 50}]
        }));
        apply(tmp.path(), &b).expect("apply");
        assert_eq!(
            writes(tmp.path()),
            pairs(&[
                ("blkio.weight", "500"),
                ("blkio.leaf_weight", "300"),
                ("blkio.weight_device", "8:0 600"),
                ("blkio.leaf_weight_device", "8:0 100"),
                ("blkio.throttle.read_bps_device", "8:0 1048576"),
                ("blkio.throttle.write_bps_device", "8:16 2"),
                ("blkio.throttle.read_iops_device", "8:0 100"),
                ("blkio.throttle.write_iops_device", "8:0 50"),
            ])
        );
    }

    #[test]
    fn bfq_weight_files_when_cfq_is_gone() {
        let tmp = dir_with(&["blkio.bfq.weight", "blkio.bfq.weight_device"]);
        let b = block_io(serde_json::json!({
            "weight": 100,
            "weightDevice": [{"major": 259, "minor": 0, "weight": 200}]
        }));
        apply(tmp.path(), &b).expect("apply");
        assert_eq!(
            writes(tmp.path()),
            pairs(&[
                ("blkio.bfq.weight", "100"),
                ("blkio.bfq.weight_device", "259:0 200"),
            ])
        );
    }

    #[test]
    fn nothing_for_an_empty_object_and_errors_name_the_entry() {
        let tmp = dir_with(&THROTTLES[..1]);
        apply(tmp.path(), &block_io(serde_json::json!({}))).expect("empty");
        assert!(writes(tmp.path()).is_empty());
        let b = block_io(serde_json::json!({
            "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 50}]
        }));
        let err = apply(tmp.path(), &b).expect_err("no write_iops file");
        assert!(
            err.to_string()
                .starts_with("linux.resources.blockIO.throttleWriteIOPSDevice[0]: the blkio"),
            "{err}"
        );
    }
}
