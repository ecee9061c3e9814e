//! v1 `cpuset`: `linux.resources.cpu.cpus` and `.mems`, and the values a new cpuset cgroup
//! must inherit before it can take a process.

use std::path::Path;

use oci_spec::runtime::LinuxCpu;

use super::super::files::{read, write_file, ControllerDir};
use super::super::CgroupError;

pub const CONTROLLER: &str = "cpuset";
pub const CPUS: &str = "cpuset.cpus";
pub const MEMS: &str = "cpuset.mems";
pub const CPUS_FIELD: &str = "linux.resources.cpu.cpus";
pub const MEMS_FIELD: &str = "linux.resources.cpu.mems";

/// Writes cpus, then mems, each where set.
pub fn apply(dir: &Path, cpu: &LinuxCpu) -> Result<(), CgroupError> {
    let d = ControllerDir::new(dir, CONTROLLER);
    if let Some(cpus) = cpu.cpus() {
        d.set(CPUS_FIELD, CPUS, cpus)?;
    }
    if let Some(mems) = cpu.mems() {
        d.set(MEMS_FIELD, MEMS, mems)?;
    }
    Ok(())
}

/// A new v1 cpuset cgroup starts with empty `cpuset.cpus`/`cpuset.mems` and takes no process
/// until they are set, so `dir` inherits its parent's values (as runc does) where its own are
/// empty.
pub fn inherit_from_parent(dir: &Path) -> Result<(), CgroupError> {
    let Some(parent) = dir.parent() else {
        return Ok(());
    };
    for file in [CPUS, MEMS] {
        let own = dir.join(file);
        if !own.exists() {
            continue;
        }
        if read(&own)?.trim().is_empty() {
            let value = read(&parent.join(file))?;
            write_file("cpuset (inherited from parent)", &own, value.trim())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{dir_with, from_json, pairs, writes};
    use std::fs;

    #[test]
    fn cpus_then_mems() {
        let tmp = dir_with(&[CPUS, MEMS]);
        let cpu: LinuxCpu =
            from_json(serde_json::json!({"mems": "0", "cpus": "0-3,7", "shares": 2}));
        apply(tmp.path(), &cpu).expect("apply");
        assert_eq!(writes(tmp.path()), pairs(&[(CPUS, "0-3,7"), (MEMS, "0")]));
    }

    #[test]
    fn nothing_without_cpus_or_mems() {
        let tmp = dir_with(&[CPUS, MEMS]);
        let cpu: LinuxCpu = from_json(serde_json::json!({"shares": 2}));
        apply(tmp.path(), &cpu).expect("apply");
        assert!(writes(tmp.path()).is_empty());
    }

    #[test]
    fn empty_values_are_inherited_set_ones_kept() {
        let tmp = dir_with(&[CPUS, MEMS]);
        fs::write(tmp.path().join(CPUS), "0-7\n").expect("parent cpus");
        fs::write(tmp.path().join(MEMS), "0\n").expect("parent mems");
        let child = tmp.path().join("c");
        fs::create_dir(&child).expect("child");
        fs::write(child.join(CPUS), "\n").expect("empty cpus");
        fs::write(child.join(MEMS), "0").expect("own mems");
        writes(tmp.path());
        inherit_from_parent(&child).expect("inherit");
        assert_eq!(writes(&child), pairs(&[(CPUS, "0-7")]));
    }
}
