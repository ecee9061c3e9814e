//! v2 `memory`: `linux.resources.memory`, converted to the v2 interface files.

use std::path::Path;

use oci_spec::runtime::LinuxMemory;

use super::super::files::ControllerDir;
use super::super::CgroupError;

pub const CONTROLLER: &str = "memory";
/// The v2 spelling of "no limit".
const MAX: &str = "max";

fn limit(v: i64) -> String {
    if v < 0 {
        MAX.to_string()
    } else {
        v.to_string()
    }
}

/// config-linux memory on cgroup v2: limit -> memory.max, reservation -> memory.low, swap
/// (memory+swap) -> memory.swap.max as swap - limit. swappiness, disableOOMKiller and
/// useHierarchy false have no v2 file and are errors; kernel and kernelTCP (NOT RECOMMENDED,
/// gone from v2) are ignored.
pub fn apply(dir: &Path, m: &LinuxMemory) -> Result<(), CgroupError> {
    let d = ControllerDir::new(dir, CONTROLLER);
    if let Some(l) = m.limit() {
        d.set("linux.resources.memory.limit", "memory.max", &limit(l))?;
    }
    if let Some(res) = m.reservation() {
        d.set(
            "linux.resources.memory.reservation",
            "memory.low",
            &limit(res),
        )?;
    }
    if let Some(swap) = m.swap() {
        let v = swap_max(swap, m.limit().unwrap_or(0))?;
        d.set("linux.resources.memory.swap", "memory.swap.max", &v)?;
    }
    if let Some(s) = m.swappiness() {
        return Err(d.missing(
            format!("linux.resources.memory.swappiness ({s})"),
            "memory.swappiness",
        ));
    }
    if m.disable_oom_killer() == Some(true) {
        return Err(d.missing(
            "linux.resources.memory.disableOOMKiller",
            "memory.oom_control",
        ));
    }
    if m.use_hierarchy() == Some(false) {
        return Err(CgroupError::InvalidValue {
            field: "linux.resources.memory.useHierarchy".into(),
            reason: "cgroup v2 memory accounting is always hierarchical".into(),
        });
    }
    Ok(())
}

/// config-linux swap on cgroup v2: memory.swap.max is swap alone, so the memory+swap value is
/// converted to swap - limit (runc's conversion; -1 stays unlimited).
pub fn swap_max(swap: i64, limit: i64) -> Result<String, CgroupError> {
    let field = "linux.resources.memory.swap";
    if swap == -1 || (limit == -1 && swap == 0) {
        return Ok(MAX.into());
    }
    if swap == 0 {
        return Ok("0".into());
    }
    if limit <= 0 {
        return Err(CgroupError::InvalidValue {
            field: field.into(),
            reason: format!("swap {swap} needs a memory limit to convert to memory.swap.max"),
        });
    }
    if swap < limit {
        return Err(CgroupError::InvalidValue {
            field: field.into(),
            reason: format!("memory+swap {swap} is smaller than the memory limit {limit}"),
        });
    }
    Ok((swap - limit).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{dir_with, from_json, pairs, writes};

    const FILES: [&str; 3] = ["memory.max", "memory.low", "memory.swap.max"];

    fn memory(v: serde_json::Value) -> LinuxMemory {
        from_json(v)
    }

    #[test]
    fn swap_conversion_for_v2() {
        assert_eq!(swap_max(-1, 100).expect("unlimited"), "max");
        assert_eq!(swap_max(0, -1).expect("unlimited limit, no swap"), "max");
        assert_eq!(swap_max(0, 100).expect("no swap"), "0");
        assert_eq!(swap_max(300, 100).expect("swap"), "200");
        assert_eq!(swap_max(100, 100).expect("swap = limit"), "0");
        assert!(swap_max(50, 100).is_err());
        assert!(swap_max(300, 0).is_err());
    }

    #[test]
    fn limit_reservation_and_swap() {
        let tmp = dir_with(&FILES);
        let m =
            memory(serde_json::json!({"limit": 67108864, "reservation": 1024, "swap": 134217728}));
        apply(tmp.path(), &m).expect("apply");
        assert_eq!(
            writes(tmp.path()),
            pairs(&[
                ("memory.max", "67108864"),
                ("memory.low", "1024"),
                ("memory.swap.max", "67108864"),
            ])
        );
    }

    #[test]
    fn negative_values_are_max() {
        let tmp = dir_with(&FILES);
        let m = memory(serde_json::json!({"limit": -1, "reservation": -1, "swap": -1}));
        apply(tmp.path(), &m).expect("apply");
        assert_eq!(
            writes(tmp.path()),
            pairs(&[
                ("memory.max", "max"),
                ("memory.low", "max"),
                ("memory.swap.max", "max"),
            ])
        );
    }

    #[test]
    fn v1_only_settings_are_errors() {
        let tmp = dir_with(&FILES);
        let err = apply(tmp.path(), &memory(serde_json::json!({"swappiness": 60})))
            .expect_err("swappiness");
        assert!(
            err.to_string().starts_with(
                "linux.resources.memory.swappiness (60): the memory cgroup controller has no file"
            ),
            "{err}"
        );
        let err = apply(
            tmp.path(),
            &memory(serde_json::json!({"disableOOMKiller": true})),
        )
        .expect_err("oom");
        assert!(err.to_string().contains("memory.oom_control"), "{err}");
        let err = apply(
            tmp.path(),
            &memory(serde_json::json!({"useHierarchy": false})),
        )
        .expect_err("useHierarchy");
        assert!(matches!(err, CgroupError::InvalidValue { .. }));
        // useHierarchy true, disableOOMKiller false and the kernel limits write nothing.
        let m = memory(serde_json::json!({
            "useHierarchy": true, "disableOOMKiller": false, "kernel": 1, "kernelTCP": 1
        }));
        apply(tmp.path(), &m).expect("nothing to do");
        assert!(writes(tmp.path()).is_empty());
    }
}
