//! v1 `devices`: `linux.resources.devices`, the default devices and `linux.devices`.

use std::path::Path;

use oci_spec::runtime::{LinuxDevice, LinuxDeviceCgroup, LinuxDeviceType};

use super::super::files::ControllerDir;
use super::super::CgroupError;

pub const CONTROLLER: &str = "devices";
const ALLOW: &str = "devices.allow";
const DENY: &str = "devices.deny";

/// config-linux devices: in addition to the configured devices the runtime MUST supply
/// /dev/null, zero, full, random, urandom, tty, console and ptmx (and /dev/pts), so they are
/// always allowed.
const DEFAULT_RULES: [&str; 9] = [
    "c 1:3 rwm",
    "c 1:5 rwm",
    "c 1:7 rwm",
    "c 1:8 rwm",
    "c 1:9 rwm",
    "c 5:0 rwm",
    "c 5:1 rwm",
    "c 5:2 rwm",
    "c 136:* rwm",
];

/// `rules` in the listed order, then the default devices and the `extra` devices
/// (`linux.devices`) allowed rwm, as runc does.
pub fn apply(
    dir: &Path,
    rules: &[LinuxDeviceCgroup],
    extra: &[LinuxDevice],
) -> Result<(), CgroupError> {
    let d = ControllerDir::new(dir, CONTROLLER);
    for (i, rule) in rules.iter().enumerate() {
        let field = format!("linux.resources.devices[{i}]");
        let typ = match rule.typ() {
            None | Some(LinuxDeviceType::A) => "a",
            Some(LinuxDeviceType::B) => "b",
            Some(LinuxDeviceType::C) | Some(LinuxDeviceType::U) => "c",
            // FIFOs are not governed by the devices controller.
            Some(LinuxDeviceType::P) => continue,
        };
        let num = |n: Option<i64>| n.map_or_else(|| "*".to_string(), |n| n.to_string());
        let access = rule
            .access()
            .as_deref()
            .filter(|a| !a.is_empty())
            .unwrap_or("rwm");
        if !access.chars().all(|c| matches!(c, 'r' | 'w' | 'm')) {
            return Err(CgroupError::InvalidValue {
                field: format!("{field}.access"),
                reason: format!("{access:?} is not a combination of r, w and m"),
            });
        }
        let value = format!("{typ} {}:{} {access}", num(rule.major()), num(rule.minor()));
        let file = if rule.allow() { ALLOW } else { DENY };
        // config-linux devices: the runtime MUST apply entries in the listed order.
        d.set(&field, file, &value)?;
    }
    for value in DEFAULT_RULES {
        d.set("default devices", ALLOW, value)?;
    }
    for (i, dev) in extra.iter().enumerate() {
        // config-linux devices: linux.devices MUST be available in the container.
        let typ = match dev.typ() {
            LinuxDeviceType::B => "b",
            LinuxDeviceType::C | LinuxDeviceType::U => "c",
            LinuxDeviceType::A => "a",
            LinuxDeviceType::P => continue,
        };
        d.set(
            &format!("linux.devices[{i}]"),
            ALLOW,
            &format!("{typ} {}:{} rwm", dev.major(), dev.minor()),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{dir_with, from_json, writes};

    #[test]
    fn rules_in_order_then_defaults_then_extra_devices() {
        let tmp = dir_with(&[ALLOW, DENY]);
        let rules: Vec<LinuxDeviceCgroup> = from_json(serde_json::json!([
            {"allow": false, "access": "rwm"},
            {"allow": true, "type": "b", "major": 7, "access": "r"},
            {"allow": true, "type": "p", "major": 1, "minor": 1},
            {"allow": true, "type": "u", "major": 4, "minor": 64, "access": ""}
        ]));
        let extra: Vec<LinuxDevice> = from_json(serde_json::json!([
            {"path": "/dev/net/tun", "type": "c", "major": 10, "minor": 200},
            {"path": "/dev/fifo", "type": "p", "major": 0, "minor": 0},
            {"path": "/dev/loop0", "type": "b", "major": 7, "minor": 0}
        ]));
        apply(tmp.path(), &rules, &extra).expect("apply");
        let mut want = vec![
            (DENY.to_string(), "a *:* rwm".to_string()),
            (ALLOW.to_string(), "b 7:* r".to_string()),
            (ALLOW.to_string(), "c 4:64 rwm".to_string()),
        ];
        want.extend(
            DEFAULT_RULES
                .iter()
                .map(|r| (ALLOW.to_string(), r.to_string())),
        );
        want.push((ALLOW.to_string(), "c 10:200 rwm".to_string()));
        want.push((ALLOW.to_string(), "b 7:0 rwm".to_string()));
        assert_eq!(writes(tmp.path()), want);
    }

    #[test]
    fn defaults_even_without_rules() {
        let tmp = dir_with(&[ALLOW, DENY]);
        apply(tmp.path(), &[], &[]).expect("apply");
        let w = writes(tmp.path());
        assert_eq!(w.len(), DEFAULT_RULES.len());
        assert!(w.iter().all(|(f, _)| f == ALLOW));
    }

    #[test]
    fn bad_access_is_refused_before_anything_is_written() {
        let tmp = dir_with(&[ALLOW, DENY]);
        let rules: Vec<LinuxDeviceCgroup> =
            from_json(serde_json::json!([{"allow": true, "access": "rwx"}]));
        let err = apply(tmp.path(), &rules, &[]).expect_err("rwx");
        assert_eq!(
            err.to_string(),
            "linux.resources.devices[0].access: \"rwx\" is not a combination of r, w and m"
        );
        assert!(writes(tmp.path()).is_empty());
    }
}
