//! v2 `cpu`: the CFS part of `linux.resources.cpu`, converted to the v2 interface files
//! (cpus and mems are [`super::cpuset`]'s).

use std::path::Path;

use oci_spec::runtime::LinuxCpu;

use super::super::files::ControllerDir;
use super::super::CgroupError;

pub const CONTROLLER: &str = "cpu";

/// The range of v1 cpu.shares that maps onto cpu.weight.
const SHARES_MIN: u64 = 2;
const SHARES_MAX: u64 = 262_144;
/// The range of cpu.weight.
const WEIGHT_MIN: u64 = 1;
const WEIGHT_MAX: u64 = 10_000;
/// The CFS period (µs) cpu.max gets when the config sets a quota without one.
const DEFAULT_PERIOD: u64 = 100_000;

/// config-linux cpu.shares on v2: converted to cpu.weight with runc's formula, mapping shares
/// [2, 262144] onto weight [1, 10000] (values outside are clamped first).
pub fn shares_to_weight(shares: u64) -> u64 {
    let s = shares.clamp(SHARES_MIN, SHARES_MAX);
    WEIGHT_MIN + ((s - SHARES_MIN) * (WEIGHT_MAX - WEIGHT_MIN)) / (SHARES_MAX - SHARES_MIN)
}

/// Writes cpu.weight (from shares; 0 means unset), cpu.max ("<quota> <period>", "max" for no
/// quota), cpu.max.burst and cpu.idle, each where set. Realtime values have no v2 file and
/// are an error.
pub fn apply(dir: &Path, cpu: &LinuxCpu) -> Result<(), CgroupError> {
    let d = ControllerDir::new(dir, CONTROLLER);
    if let Some(shares) = cpu.shares().filter(|s| *s != 0) {
        d.set(
            "linux.resources.cpu.shares",
            "cpu.weight",
            &shares_to_weight(shares).to_string(),
        )?;
    }
    if cpu.quota().is_some() || cpu.period().is_some() {
        let quota = match cpu.quota() {
            Some(q) if q > 0 => q.to_string(),
            _ => "max".to_string(),
        };
        let period = cpu.period().filter(|p| *p > 0).unwrap_or(DEFAULT_PERIOD);
        d.set(
            "linux.resources.cpu.quota",
            "cpu.max",
            &format!("{quota} {period}"),
        )?;
    }
    if let Some(b) = cpu.burst() {
        d.set("linux.resources.cpu.burst", "cpu.max.burst", &b.to_string())?;
    }
    if cpu.realtime_runtime().is_some() || cpu.realtime_period().is_some() {
        return Err(d.missing("linux.resources.cpu.realtimeRuntime", "cpu.rt_runtime_us"));
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

    const FILES: [&str; 4] = ["cpu.weight", "cpu.max", "cpu.max.burst", "cpu.idle"];

    fn cpu(v: serde_json::Value) -> LinuxCpu {
        from_json(v)
    }

    #[test]
    fn shares_convert_to_weight_like_runc() {
        assert_eq!(shares_to_weight(2), 1);
        assert_eq!(shares_to_weight(1024), 39);
        assert_eq!(shares_to_weight(512), 20);
        assert_eq!(shares_to_weight(262_144), 10_000);
        assert_eq!(shares_to_weight(1), 1);
        assert_eq!(shares_to_weight(1_000_000), 10_000);
    }

    #[test]
    fn weight_max_burst_and_idle() {
        let tmp = dir_with(&FILES);
        let c = cpu(serde_json::json!({
            "shares": 512, "quota": 50000, "period": 200000, "burst": 10000, "idle": 0,
            "cpus": "0"
        }));
        apply(tmp.path(), &c).expect("apply");
        assert_eq!(
            writes(tmp.path()),
            pairs(&[
                ("cpu.weight", "20"),
                ("cpu.max", "50000 200000"),
                ("cpu.max.burst", "10000"),
                ("cpu.idle", "0"),
            ])
        );
    }

    #[test]
    fn quota_without_period_and_unlimited_quota() {
        let tmp = dir_with(&FILES);
        apply(tmp.path(), &cpu(serde_json::json!({"quota": 25000}))).expect("apply");
        assert_eq!(writes(tmp.path()), pairs(&[("cpu.max", "25000 100000")]));
        apply(
            tmp.path(),
            &cpu(serde_json::json!({"quota": -1, "period": 0})),
        )
        .expect("apply");
        assert_eq!(writes(tmp.path()), pairs(&[("cpu.max", "max 100000")]));
        apply(tmp.path(), &cpu(serde_json::json!({"period": 50000}))).expect("apply");
        assert_eq!(writes(tmp.path()), pairs(&[("cpu.max", "max 50000")]));
    }

    #[test]
    fn zero_shares_and_cpuset_only_write_nothing() {
        let tmp = dir_with(&FILES);
        apply(
            tmp.path(),
            &cpu(serde_json::json!({"shares": 0, "mems": "0"})),
        )
        .expect("apply");
        assert!(writes(tmp.path()).is_empty());
    }

    #[test]
    fn realtime_is_an_error_after_the_other_values() {
        let tmp = dir_with(&FILES);
        let err = apply(
            tmp.path(),
            &cpu(serde_json::json!({"shares": 2, "realtimePeriod": 1000000, "idle": 1})),
        )
        .expect_err("realtime");
        assert!(
            matches!(&err, CgroupError::MissingFile { field, path, .. }
                if field == "linux.resources.cpu.realtimeRuntime"
                    && path.ends_with("cpu.rt_runtime_us")),
            "{err}"
        );
        assert_eq!(writes(tmp.path()), pairs(&[("cpu.weight", "1")]));
    }
}
