//! v1 `memory`: `linux.resources.memory`.

use std::path::Path;

use oci_spec::runtime::LinuxMemory;

use super::super::files::{read, ControllerDir};
use super::super::CgroupError;

pub const CONTROLLER: &str = "memory";
const LIMIT: &str = "memory.limit_in_bytes";
const MEMSW: &str = "memory.memsw.limit_in_bytes";
/// config-linux: swappiness values are from 0 to 100.
const SWAPPINESS_MAX: u64 = 100;

/// Writes limit and memory+swap (in the order that keeps memsw >= limit), reservation,
/// swappiness, the OOM killer switch, useHierarchy and (where the kernel still has them) the
/// kernel memory limits.
pub fn apply(dir: &Path, m: &LinuxMemory) -> Result<(), CgroupError> {
    let d = ControllerDir::new(dir, CONTROLLER);
    // memory.memsw.limit_in_bytes must stay >= memory.limit_in_bytes at every step, so when
    // the limit grows (or becomes unlimited) memory+swap is written first, as runc does.
    let swap_first = match (m.swap(), m.limit()) {
        (Some(_), Some(limit)) => {
            let current = read(&dir.join(LIMIT))
                .ok()
                .and_then(|s| s.trim().parse::<i64>().ok())
                .unwrap_or(i64::MAX);
            limit < 0 || limit > current
        }
        _ => false,
    };
    let write_swap = || -> Result<(), CgroupError> {
        if let Some(swap) = m.swap() {
            d.set("linux.resources.memory.swap", MEMSW, &swap.to_string())?;
        }
        Ok(())
    };
    if swap_first {
        write_swap()?;
    }
    if let Some(limit) = m.limit() {
        d.set("linux.resources.memory.limit", LIMIT, &limit.to_string())?;
    }
    if !swap_first {
        write_swap()?;
    }
    if let Some(res) = m.reservation() {
        d.set(
            "linux.resources.memory.reservation",
            "memory.soft_limit_in_bytes",
            &res.to_string(),
        )?;
    }
    if let Some(s) = m.swappiness() {
        if s > SWAPPINESS_MAX {
            return Err(CgroupError::InvalidValue {
                field: "linux.resources.memory.swappiness".into(),
                reason: format!("{s} is not in 0..={SWAPPINESS_MAX}"),
            });
        }
        d.set(
            "linux.resources.memory.swappiness",
            "memory.swappiness",
            &s.to_string(),
        )?;
    }
    if m.disable_oom_killer() == Some(true) {
        // config-linux: disableOOMKiller true disables the OOM killer.
        d.set(
            "linux.resources.memory.disableOOMKiller",
            "memory.oom_control",
            "1",
        )?;
    }
    if let Some(h) = m.use_hierarchy() {
        d.set(
            "linux.resources.memory.useHierarchy",
            "memory.use_hierarchy",
            if h { "1" } else { "0" },
        )?;
    }
    // kernel and kernelTCP are NOT RECOMMENDED (kernel memory limits are gone from recent v1
    // kernels); like runc they are applied where the file exists and otherwise ignored.
    #[allow(deprecated)]
    let kernel = m.kernel();
    if let Some(v) = kernel {
        d.set_if_exists(
            "linux.resources.memory.kernel",
            "memory.kmem.limit_in_bytes",
            &v.to_string(),
        )?;
    }
    if let Some(v) = m.kernel_tcp() {
        d.set_if_exists(
            "linux.resources.memory.kernelTCP",
            "memory.kmem.tcp.limit_in_bytes",
            &v.to_string(),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{dir_with, from_json, pairs, writes};
    use std::fs;

    const FILES: [&str; 6] = [
        LIMIT,
        MEMSW,
        "memory.soft_limit_in_bytes",
        "memory.swappiness",
        "memory.oom_control",
        "memory.use_hierarchy",
    ];

    fn memory(v: serde_json::Value) -> LinuxMemory {
        from_json(v)
    }

    #[test]
    fn growing_limit_writes_swap_first() {
        let tmp = dir_with(&FILES);
        fs::write(tmp.path().join(LIMIT), "1000\n").expect("current limit");
        let m = memory(serde_json::json!({
            "limit": 2000, "swap": 3000, "reservation": 500, "swappiness": 0,
            "disableOOMKiller": true, "useHierarchy": false
        }));
        apply(tmp.path(), &m).expect("apply");
        assert_eq!(
            writes(tmp.path()),
            pairs(&[
                (MEMSW, "3000"),
                (LIMIT, "2000"),
                ("memory.soft_limit_in_bytes", "500"),
                ("memory.swappiness", "0"),
                ("memory.oom_control", "1"),
                ("memory.use_hierarchy", "0"),
            ])
        );
    }

    #[test]
    fn shrinking_limit_writes_limit_first() {
        let tmp = dir_with(&FILES);
        fs::write(tmp.path().join(LIMIT), "9223372036854771712\n").expect("current limit");
        apply(
            tmp.path(),
            &memory(serde_json::json!({"limit": 64, "swap": 128})),
        )
        .expect("apply");
        assert_eq!(writes(tmp.path()), pairs(&[(LIMIT, "64"), (MEMSW, "128")]));
        // Unlimited: swap first, values written verbatim.
        apply(
            tmp.path(),
            &memory(serde_json::json!({"limit": -1, "swap": -1})),
        )
        .expect("apply");
        assert_eq!(writes(tmp.path()), pairs(&[(MEMSW, "-1"), (LIMIT, "-1")]));
    }

    #[test]
    fn nothing_for_an_empty_memory_object() {
        let tmp = dir_with(&FILES);
        apply(tmp.path(), &memory(serde_json::json!({}))).expect("apply");
        assert!(writes(tmp.path()).is_empty());
        // disableOOMKiller false writes nothing either.
        apply(
            tmp.path(),
            &memory(serde_json::json!({"disableOOMKiller": false})),
        )
        .expect("apply");
        assert!(writes(tmp.path()).is_empty());
    }

    #[test]
    fn swappiness_over_100_is_refused() {
        let tmp = dir_with(&FILES);
        let err =
            apply(tmp.path(), &memory(serde_json::json!({"swappiness": 101}))).expect_err("101");
        assert_eq!(
            err.to_string(),
            "linux.resources.memory.swappiness: 101 is not in 0..=100"
        );
        assert!(writes(tmp.path()).is_empty());
    }

    #[test]
    fn kernel_limits_only_where_the_kernel_has_them() {
        let tmp = dir_with(&FILES);
        let m = memory(serde_json::json!({"kernel": 1024, "kernelTCP": 2048}));
        apply(tmp.path(), &m).expect("no kmem files: ignored");
        assert!(writes(tmp.path()).is_empty());
        fs::write(tmp.path().join("memory.kmem.limit_in_bytes"), "").expect("kmem");
        apply(tmp.path(), &m).expect("kmem file");
        assert_eq!(
            writes(tmp.path()),
            pairs(&[("memory.kmem.limit_in_bytes", "1024")])
        );
    }

    #[test]
    fn missing_memsw_is_an_error() {
        let tmp = dir_with(&[LIMIT]);
        let err = apply(
            tmp.path(),
            &memory(serde_json::json!({"limit": 64, "swap": 128})),
        )
        .expect_err("no memsw (swap accounting off)");
        assert!(
            matches!(&err, CgroupError::MissingFile { controller, .. } if controller == "memory"),
            "{err}"
        );
        assert!(err.to_string().contains(MEMSW), "{err}");
    }
}
