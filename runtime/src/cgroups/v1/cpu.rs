//! v1 `cpu`: the CFS and realtime parts of `linux.resources.cpu` (cpus and mems are
//! [`super::cpuset`]'s).

use std::path::Path;

use oci_spec::runtime::LinuxCpu;

use super::super::files::ControllerDir;
use super::super::CgroupError;

pub const CONTROLLER: &str = "cpu";

/// Writes shares, period, quota, burst, the realtime values and idle, each where set. The
/// period is written before the quota it applies to.
pub fn apply(dir: &Path, cpu: &LinuxCpu) -> Result<(), CgroupError> {
    let d = ControllerDir::new(dir, CONTROLLER);
    if let Some(shares) = cpu.shares() {
        d.set(
            "linux.resources.cpu.shares",
            "cpu.shares",
            &shares.to_string(),
        )?;
    }
    if let Some(p) = cpu.period() {
        d.set(
            "linux.resources.cpu.period",
            "cpu.cfs_period_us",
            &p.to_string(),
        )?;
    }
    if let Some(q) = cpu.quota() {
        d.set(
            "linux.resources.cpu.quota",
            "cpu.cfs_quota_us",
            &q.to_string(),
        )?;
    }
    if let Some(b) = cpu.burst() {
        d.set(
            "linux.resources.cpu.burst",
            "cpu.cfs_burst_us",
            &b.to_string(),
        )?;
    }
    if let Some(p) = cpu.realtime_period() {
        d.set(
            "linux.resources.cpu.realtimePeriod",
            "cpu.rt_period_us",
            &p.to_string(),
        )?;
    }
    if let Some(rt) = cpu.realtime_runtime() {
        d.set(
            "linux.resources.cpu.realtimeRuntime",
            "cpu.rt_runtime_us",
            &rt.to_string(),
        )?;
    }
    if let Some(idle) = cpu.idle() {
        // config-linux: cpu.idle, 0 default behaviour, 1 SCHED_IDLE.
        d.set("linux.resources.cpu.idle", "cpu.idle", &idle.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{dir_with, from_json, pairs, writes};

    const FILES: [&str; 7] = [
        "cpu.shares",
        "cpu.cfs_period_us",
        "cpu.cfs_quota_us",
        "cpu.cfs_burst_us",
        "cpu.rt_period_us",
        "cpu.rt_runtime_us",
        "cpu.idle",
    ];

    #[test]
    fn every_value_in_order_period_before_quota() {
        let tmp = dir_with(&FILES);
        let cpu: LinuxCpu = from_json(serde_json::json!({
            "shares": 512, "quota": 50000, "period": 100000, "burst": 1000,
            "realtimeRuntime": 950000, "realtimePeriod": 1000000, "idle": 1,
            "cpus": "0-1"
        }));
        apply(tmp.path(), &cpu).expect("apply");
        assert_eq!(
            writes(tmp.path()),
            pairs(&[
                ("cpu.shares", "512"),
                ("cpu.cfs_period_us", "100000"),
                ("cpu.cfs_quota_us", "50000"),
                ("cpu.cfs_burst_us", "1000"),
                ("cpu.rt_period_us", "1000000"),
                ("cpu.rt_runtime_us", "950000"),
                ("cpu.idle", "1"),
            ])
        );
    }

    #[test]
    fn unlimited_quota_is_written_as_is() {
        let tmp = dir_with(&FILES);
        let cpu: LinuxCpu = from_json(serde_json::json!({"quota": -1}));
        apply(tmp.path(), &cpu).expect("apply");
        assert_eq!(writes(tmp.path()), pairs(&[("cpu.cfs_quota_us", "-1")]));
    }

    #[test]
    fn nothing_when_only_cpuset_fields_are_set() {
        let tmp = dir_with(&FILES);
        let cpu: LinuxCpu = from_json(serde_json::json!({"cpus": "0", "mems": "0"}));
        apply(tmp.path(), &cpu).expect("apply");
        assert!(writes(tmp.path()).is_empty());
    }

    #[test]
    fn a_kernel_without_burst_is_an_error() {
        let tmp = dir_with(&["cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us"]);
        let cpu: LinuxCpu = from_json(serde_json::json!({"quota": 20000, "burst": 100}));
        let err = apply(tmp.path(), &cpu).expect_err("no cpu.cfs_burst_us");
        assert!(
            matches!(&err, CgroupError::MissingFile { field, .. } if field == "linux.resources.cpu.burst"),
            "{err}"
        );
    }
}
