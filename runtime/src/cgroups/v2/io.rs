//! v2 `io`: `linux.resources.blockIO`, converted to the v2 interface files.

use std::path::Path;

use oci_spec::runtime::LinuxBlockIo;

use super::super::files::ControllerDir;
use super::super::CgroupError;

pub const CONTROLLER: &str = "io";

/// The range of blkio weights.
const BLKIO_WEIGHT_MIN: u64 = 10;
const BLKIO_WEIGHT_MAX: u64 = 1000;
/// The range of io.weight.
const IO_WEIGHT_MIN: u64 = 1;
const IO_WEIGHT_MAX: u64 = 10_000;

/// blkio weights are 10..=1000; io.weight is 1..=10000 (runc's linear conversion).
pub fn blkio_to_io_weight(w: u16) -> u64 {
    IO_WEIGHT_MIN
        + (u64::from(w).saturating_sub(BLKIO_WEIGHT_MIN)) * (IO_WEIGHT_MAX - IO_WEIGHT_MIN)
            / (BLKIO_WEIGHT_MAX - BLKIO_WEIGHT_MIN)
}

fn no_leaf_weight(field: String) -> CgroupError {
    CgroupError::InvalidValue {
        field,
        reason: "cgroup v2 io has no leaf weight".into(),
    }
}

/// Writes the weight and per-device weights (to io.bfq.weight unconverted where the BFQ
/// scheduler offers it, else converted to io.weight) and the four throttles as io.max lines.
/// Leaf weights have no v2 equivalent and are errors.
pub fn apply(dir: &Path, b: &LinuxBlockIo) -> Result<(), CgroupError> {
    let d = ControllerDir::new(dir, CONTROLLER);
    let bfq = dir.join("io.bfq.weight").exists();
    if let Some(w) = b.weight() {
        if bfq {
            d.set(
                "linux.resources.blockIO.weight",
                "io.bfq.weight",
                &w.to_string(),
            )?;
        } else {
            d.set(
                "linux.resources.blockIO.weight",
                "io.weight",
                &blkio_to_io_weight(w).to_string(),
            )?;
        }
    }
    if b.leaf_weight().is_some() {
        return Err(no_leaf_weight("linux.resources.blockIO.leafWeight".into()));
    }
    for (i, wd) in b.weight_device().iter().flatten().enumerate() {
        let field = format!("linux.resources.blockIO.weightDevice[{i}]");
        if let Some(w) = wd.weight() {
            let (file, v) = if bfq {
                ("io.bfq.weight", u64::from(w))
            } else {
                ("io.weight", blkio_to_io_weight(w))
            };
            d.set(&field, file, &format!("{}:{} {v}", wd.major(), wd.minor()))?;
        }
        if wd.leaf_weight().is_some() {
            return Err(no_leaf_weight(format!("{field}.leafWeight")));
        }
    }
    let throttles = [
        (
            "throttleReadBpsDevice",
            b.throttle_read_bps_device(),
            "rbps",
        ),
        (
            "throttleWriteBpsDevice",
            b.throttle_write_bps_device(),
            "wbps",
        ),
        (
            "throttleReadIOPSDevice",
            b.throttle_read_iops_device(),
            "riops",
        ),
        (
            "throttleWriteIOPSDevice",
            b.throttle_write_iops_device(),
            "wiops",
        ),
    ];
    for (name, list, key) in throttles {
        for (i, t) in list.iter().flatten().enumerate() {
            d.set(
                &format!("linux.resources.blockIO.{name}[{i}]"),
                "io.max",
                &format!("{}:{} {key}={}", t.major(), t.minor(), t.rate()),
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{dir_with, from_json, pairs, writes};

    fn block_io(v: serde_json::Value) -> LinuxBlockIo {
        from_json(v)
    }

    #[test]
    fn weight_conversion_like_runc() {
        assert_eq!(blkio_to_io_weight(10), 1);
        assert_eq!(blkio_to_io_weight(500), 4950);
        assert_eq!(blkio_to_io_weight(1000), 10_000);
        assert_eq!(blkio_to_io_weight(0), 1);
    }

    #[test]
    fn converted_weights_and_io_max_lines() {
        let tmp = dir_with(&["io.weight", "io.max"]);
        let b = block_io(serde_json::json!({
            "weight": 500,
            "weightDevice": [{"major": 8, "minor": 0, "weight": 1000}],
            "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
            "throttleWriteBpsDevice": [{"major": 8, "minor": 0, "rate": 2}],
            "throttleReadIOPSDevice": [{"major": 8, "minor": 16, "rate": 100}],
            "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 50}]
        }));
        apply(tmp.path(), &b).expect("apply");
        assert_eq!(
            writes(tmp.path()),
            pairs(&[
                ("io.weight", "4950"),
                ("io.weight", "8:0 10000"),
                ("io.max", "8:0 rbps=1048576"),
                ("io.max", "8:0 wbps=2"),
                ("io.max", "8:16 riops=100"),
                ("io.max", "8:0 wiops=50"),
            ])
        );
    }

    #[test]
    fn bfq_weights_are_not_converted() {
        let tmp = dir_with(&["io.bfq.weight", "io.weight"]);
        let b = block_io(serde_json::json!({
            "weight": 500, "weightDevice": [{"major": 8, "minor": 0, "weight": 20}]
        }));
        apply(tmp.path(), &b).expect("apply");
        assert_eq!(
            writes(tmp.path()),
            pairs(&[("io.bfq.weight", "500"), ("io.bfq.weight", "8:0 20")])
        );
    }

    #[test]
    fn leaf_weights_are_errors() {
        let tmp = dir_with(&["io.weight"]);
        let err = apply(tmp.path(), &block_io(serde_json::json!({"leafWeight": 10})))
            .expect_err("leafWeight");
        assert_eq!(
            err.to_string(),
            "linux.resources.blockIO.leafWeight: cgroup v2 io has no leaf weight"
        );
        let b = block_io(serde_json::json!({
            "weightDevice": [{"major": 8, "minor": 0, "leafWeight": 10}]
        }));
        let err = apply(tmp.path(), &b).expect_err("device leafWeight");
        assert!(err
            .to_string()
            .starts_with("linux.resources.blockIO.weightDevice[0].leafWeight: "));
        assert!(writes(tmp.path()).is_empty());
    }
}
