//! v2 freezing: `cgroup.freeze`, with `cgroup.events` telling when it has taken effect.

use std::fs;
use std::path::Path;

use super::super::files::write_file;
use super::super::CgroupError;

const FREEZE: &str = "cgroup.freeze";
const EVENTS: &str = "cgroup.events";

/// Asks the kernel to freeze (`on`) or thaw the cgroup.
pub fn request(dir: &Path, on: bool) -> Result<(), CgroupError> {
    write_file("freezer", &dir.join(FREEZE), if on { "1" } else { "0" })
}

/// Whether the cgroup has reached the state asked for.
pub fn settled(dir: &Path, on: bool) -> bool {
    let want = if on { "frozen 1" } else { "frozen 0" };
    fs::read_to_string(dir.join(EVENTS)).is_ok_and(|s| s.lines().any(|l| l == want))
}

/// Whether the cgroup is frozen or asked to freeze (config-linux: a frozen cgroup is unfit
/// for a container).
pub fn frozen(dir: &Path) -> bool {
    fs::read_to_string(dir.join(FREEZE)).is_ok_and(|s| s.trim() == "1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{dir_with, pairs, writes};

    #[test]
    fn freeze_and_thaw_write_cgroup_freeze() {
        let tmp = dir_with(&[FREEZE, EVENTS]);
        request(tmp.path(), true).expect("freeze");
        request(tmp.path(), false).expect("thaw");
        assert_eq!(writes(tmp.path()), pairs(&[(FREEZE, "1"), (FREEZE, "0")]));
        fs::write(tmp.path().join(EVENTS), "populated 1\nfrozen 1\n").expect("events");
        assert!(settled(tmp.path(), true));
        assert!(!settled(tmp.path(), false));
        fs::write(tmp.path().join(FREEZE), "1\n").expect("freeze");
        assert!(frozen(tmp.path()));
        fs::write(tmp.path().join(FREEZE), "0\n").expect("thaw");
        assert!(!frozen(tmp.path()));
    }
}
