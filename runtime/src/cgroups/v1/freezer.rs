//! v1 `freezer`: `freezer.state`, used to stop a cgroup's processes from forking while they
//! are signalled.

use std::fs;
use std::path::Path;

use super::super::files::write_file;
use super::super::CgroupError;

pub const CONTROLLER: &str = "freezer";
const STATE: &str = "freezer.state";

fn state(on: bool) -> &'static str {
    if on {
        "FROZEN"
    } else {
        "THAWED"
    }
}

/// Asks the kernel to freeze (`on`) or thaw the cgroup.
pub fn request(dir: &Path, on: bool) -> Result<(), CgroupError> {
    write_file(CONTROLLER, &dir.join(STATE), state(on))
}

/// Whether the cgroup has reached the state asked for.
pub fn settled(dir: &Path, on: bool) -> bool {
    fs::read_to_string(dir.join(STATE)).is_ok_and(|s| s.trim() == state(on))
}

/// Whether the cgroup is frozen or freezing (config-linux: a frozen cgroup is unfit for a
/// container).
pub fn frozen(dir: &Path) -> bool {
    fs::read_to_string(dir.join(STATE)).is_ok_and(|s| s.trim() != state(false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{dir_with, pairs, writes};

    #[test]
    fn freeze_and_thaw_write_the_state() {
        let tmp = dir_with(&[STATE]);
        request(tmp.path(), true).expect("freeze");
        request(tmp.path(), false).expect("thaw");
        assert_eq!(
            writes(tmp.path()),
            pairs(&[(STATE, "FROZEN"), (STATE, "THAWED")])
        );
        assert!(settled(tmp.path(), false));
        assert!(!settled(tmp.path(), true));
        fs::write(tmp.path().join(STATE), "FROZEN\n").expect("state");
        assert!(settled(tmp.path(), true));
        assert!(frozen(tmp.path()));
        fs::write(tmp.path().join(STATE), "FREEZING\n").expect("state");
        assert!(frozen(tmp.path()));
        fs::write(tmp.path().join(STATE), "THAWED\n").expect("state");
        assert!(!frozen(tmp.path()));
        assert!(!frozen(&tmp.path().join("missing")));
    }
}
