//! v2 `cpuset`: `linux.resources.cpu.cpus` and `.mems`.

use std::path::Path;

use oci_spec::runtime::LinuxCpu;

use super::super::files::ControllerDir;
use super::super::CgroupError;

pub const CONTROLLER: &str = "cpuset";
pub const CPUS: &str = "cpuset.cpus";
pub const MEMS: &str = "cpuset.mems";

/// Writes cpus, then mems, each where set (a new v2 cpuset cgroup uses its parent's
/// effective values, so nothing needs inheriting).
pub fn apply(dir: &Path, cpu: &LinuxCpu) -> Result<(), CgroupError> {
    let d = ControllerDir::new(dir, CONTROLLER);
    if let Some(cpus) = cpu.cpus() {
        d.set("linux.resources.cpu.cpus", CPUS, cpus)?;
    }
    if let Some(mems) = cpu.mems() {
        d.set("linux.resources.cpu.mems", MEMS, mems)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{dir_with, from_json, pairs, writes};

    #[test]
    fn cpus_then_mems_and_nothing_else() {
        let tmp = dir_with(&[CPUS, MEMS]);
        let cpu: LinuxCpu = from_json(serde_json::json!({"cpus": "1", "mems": "0-1", "quota": 5}));
        apply(tmp.path(), &cpu).expect("apply");
        assert_eq!(writes(tmp.path()), pairs(&[(CPUS, "1"), (MEMS, "0-1")]));
        let cpu: LinuxCpu = from_json(serde_json::json!({"mems": "0"}));
        let err = apply(dir_with(&[CPUS]).path(), &cpu).expect_err("no cpuset.mems");
        assert!(err
            .to_string()
            .starts_with("linux.resources.cpu.mems: the cpuset"));
    }
}
