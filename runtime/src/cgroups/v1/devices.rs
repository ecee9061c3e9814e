//! v1 `devices`: the container's device rules (`../devices.rs`), one write each, in order.

use std::path::Path;

use super::super::devices::Rule;
use super::super::files::ControllerDir;
use super::super::CgroupError;

pub const CONTROLLER: &str = "devices";
const ALLOW: &str = "devices.allow";
const DENY: &str = "devices.deny";

/// Writes each rule to `devices.allow` or `devices.deny`, in the listed order (config-linux
/// "Allowed Device list": the runtime MUST apply entries in the listed order).
///
/// The kernel's v1 lists are not "last match wins" in one case: a deny that punches a hole in
/// an earlier wildcard allow (`c 1:* rwm`, then deny `c 1:3 w`) is ignored by the kernel, which
/// only removes exactly matching entries. The cases use exact rules.
pub fn apply(dir: &Path, rules: &[Rule]) -> Result<(), CgroupError> {
    let d = ControllerDir::new(dir, CONTROLLER);
    for rule in rules {
        let file = if rule.allow { ALLOW } else { DENY };
        d.set("linux.resources.devices", file, &rule.v1_line())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::devices::{rules, DEFAULT_RULES};
    use crate::cgroups::testutil::{dir_with, from_json, writes};
    use oci_spec::runtime::LinuxDeviceCgroup;

    #[test]
    fn each_rule_is_one_write_in_order() {
        let tmp = dir_with(&[ALLOW, DENY]);
        let config: Vec<LinuxDeviceCgroup> = from_json(serde_json::json!([
            {"allow": true, "type": "c", "major": 1, "minor": 6, "access": "rw"},
            {"allow": false, "type": "c", "major": 1, "minor": 6, "access": "w"}
        ]));
        apply(tmp.path(), &rules(&config, &[]).expect("rules")).expect("apply");
        let mut want = vec![
            (DENY.to_string(), "a *:* rwm".to_string()),
            (ALLOW.to_string(), "c 1:6 rw".to_string()),
            (DENY.to_string(), "c 1:6 w".to_string()),
        ];
        want.extend(
            DEFAULT_RULES
                .iter()
                .map(|r| (ALLOW.to_string(), r.v1_line())),
        );
        assert_eq!(writes(tmp.path()), want);
    }
}
