//! The container's device rules, one list for both cgroup versions (config-linux.md "Allowed
//! Device list" and "Default Devices"): the v1 `devices` controller writes it to
//! `devices.deny`/`devices.allow` in order (`v1/devices.rs`), cgroup v2 compiles it into a
//! `BPF_PROG_TYPE_CGROUP_DEVICE` program (`v2/devices.rs`).
//!
//! The list, in order:
//! 1. deny everything (`a *:* rwm`): the allowed device list is an allowlist, as runc makes it;
//! 2. `linux.resources.devices`, in the listed order;
//! 3. the default devices the runtime supplies, allowed `rwm` (after the config's rules, so a
//!    config cannot take /dev/null away, as in runc);
//! 4. each `linux.devices` entry allowed `m` only: the runtime's init makes the node with
//!    mknod(2) from inside the container's cgroup. Reading and writing it is for the config's
//!    rules to allow (runc 1.1.5 allows neither; it allows `m` for every device).
//!
//! A later rule overrides an earlier one, per access type: a request (open for reading and/or
//! writing, or mknod) is allowed when, for each access type it asks for, the last rule that
//! matches the device and names that access allows it.

use oci_spec::runtime::{LinuxDevice, LinuxDeviceCgroup, LinuxDeviceType};

use super::CgroupError;
use crate::mutation::{active, Flaw};

/// mknod(2), as `bpf_cgroup_dev_ctx` and the v1 `m` spell it (`BPF_DEVCG_ACC_MKNOD`).
pub const ACCESS_MKNOD: u8 = 1;
/// Opening for reading (`BPF_DEVCG_ACC_READ`, v1 `r`).
pub const ACCESS_READ: u8 = 2;
/// Opening for writing (`BPF_DEVCG_ACC_WRITE`, v1 `w`).
pub const ACCESS_WRITE: u8 = 4;
/// Every access type.
pub const ACCESS_ALL: u8 = ACCESS_MKNOD | ACCESS_READ | ACCESS_WRITE;

/// Which device nodes a rule matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Character and block devices.
    All,
    Char,
    Block,
}

/// One device rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub allow: bool,
    pub kind: Kind,
    /// `None`: every major number.
    pub major: Option<u32>,
    /// `None`: every minor number.
    pub minor: Option<u32>,
    /// [`ACCESS_MKNOD`], [`ACCESS_READ`], [`ACCESS_WRITE`] combined; never 0.
    pub access: u8,
}

impl Rule {
    const fn allow(kind: Kind, major: u32, minor: Option<u32>, access: u8) -> Rule {
        Rule {
            allow: true,
            kind,
            major: Some(major),
            minor,
            access,
        }
    }

    /// The rule as the v1 controller's files take it (`c 1:3 rwm`).
    pub fn v1_line(&self) -> String {
        let kind = match self.kind {
            Kind::All => 'a',
            Kind::Char => 'c',
            Kind::Block => 'b',
        };
        let num = |n: Option<u32>| n.map_or_else(|| "*".to_string(), |n| n.to_string());
        let access: String = [(ACCESS_READ, 'r'), (ACCESS_WRITE, 'w'), (ACCESS_MKNOD, 'm')]
            .iter()
            .filter(|(bit, _)| self.access & bit != 0)
            .map(|(_, c)| *c)
            .collect();
        format!("{kind} {}:{} {access}", num(self.major), num(self.minor))
    }
}

/// Everything denied: the list's first rule.
pub const DENY_ALL: Rule = Rule {
    allow: false,
    kind: Kind::All,
    major: None,
    minor: None,
    access: ACCESS_ALL,
};

/// config-linux "Default Devices": /dev/null, zero, full, random, urandom, tty, console, ptmx
/// and the pseudo-terminals of /dev/pts are always usable.
pub const DEFAULT_RULES: [Rule; 9] = [
    Rule::allow(Kind::Char, 1, Some(3), ACCESS_ALL),
    Rule::allow(Kind::Char, 1, Some(5), ACCESS_ALL),
    Rule::allow(Kind::Char, 1, Some(7), ACCESS_ALL),
    Rule::allow(Kind::Char, 1, Some(8), ACCESS_ALL),
    Rule::allow(Kind::Char, 1, Some(9), ACCESS_ALL),
    Rule::allow(Kind::Char, 5, Some(0), ACCESS_ALL),
    Rule::allow(Kind::Char, 5, Some(1), ACCESS_ALL),
    Rule::allow(Kind::Char, 5, Some(2), ACCESS_ALL),
    Rule::allow(Kind::Char, 136, None, ACCESS_ALL),
];

/// The container's rule list (module docs): deny all, `config` (`linux.resources.devices`)
/// in order, the default devices, then `m` for each of `extra` (`linux.devices`).
pub fn rules(
    config: &[LinuxDeviceCgroup],
    extra: &[LinuxDevice],
) -> Result<Vec<Rule>, CgroupError> {
    let mut out = vec![DENY_ALL];
    let mut configured = Vec::with_capacity(config.len());
    for (i, rule) in config.iter().enumerate() {
        if let Some(r) = from_config(i, rule)? {
            configured.push(r);
        }
    }
    if active(Flaw::ReverseDeviceRules) {
        configured.reverse();
    }
    if active(Flaw::IgnoreDeviceAccess) {
        configured.iter_mut().for_each(|r| r.access = ACCESS_ALL);
    }
    if !active(Flaw::IgnoreDevicesResources) {
        // config-linux "Allowed Device list": the runtime MUST apply entries in the listed
        // order.
        out.extend(configured);
    }
    out.extend(DEFAULT_RULES);
    for (i, d) in extra.iter().enumerate() {
        let kind = match d.typ() {
            LinuxDeviceType::C | LinuxDeviceType::U => Kind::Char,
            LinuxDeviceType::B => Kind::Block,
            // FIFOs are not device nodes: no cgroup governs them.
            LinuxDeviceType::P | LinuxDeviceType::A => continue,
        };
        let field = format!("linux.devices[{i}]");
        out.push(Rule {
            allow: true,
            kind,
            major: Some(number(&format!("{field}.major"), d.major())?),
            minor: Some(number(&format!("{field}.minor"), d.minor())?),
            access: ACCESS_MKNOD,
        });
    }
    Ok(out)
}

/// A device number of the config as the kernel holds it (u32).
fn number(field: &str, n: i64) -> Result<u32, CgroupError> {
    u32::try_from(n).map_err(|_| CgroupError::InvalidValue {
        field: field.to_string(),
        reason: format!("{n} is not a device number (0 to {})", u32::MAX),
    })
}

/// One entry of `linux.resources.devices`; `None` for a FIFO rule, which no cgroup governs.
fn from_config(i: usize, rule: &LinuxDeviceCgroup) -> Result<Option<Rule>, CgroupError> {
    let field = format!("linux.resources.devices[{i}]");
    let kind = match rule.typ() {
        None | Some(LinuxDeviceType::A) => Kind::All,
        Some(LinuxDeviceType::B) => Kind::Block,
        Some(LinuxDeviceType::C) | Some(LinuxDeviceType::U) => Kind::Char,
        Some(LinuxDeviceType::P) => return Ok(None),
    };
    let access_text = rule
        .access()
        .as_deref()
        .filter(|a| !a.is_empty())
        .unwrap_or("rwm");
    let mut access = 0;
    for c in access_text.chars() {
        access |= match c {
            'r' => ACCESS_READ,
            'w' => ACCESS_WRITE,
            'm' => ACCESS_MKNOD,
            _ => {
                return Err(CgroupError::InvalidValue {
                    field: format!("{field}.access"),
                    reason: format!("{access_text:?} is not a combination of r, w and m"),
                })
            }
        };
    }
    let major = rule
        .major()
        .map(|n| number(&format!("{field}.major"), n))
        .transpose()?;
    let minor = rule
        .minor()
        .map(|n| number(&format!("{field}.minor"), n))
        .transpose()?;
    Ok(Some(Rule {
        allow: rule.allow(),
        kind,
        major,
        minor,
        access,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::from_json;

    fn lines(rules: &[Rule]) -> Vec<String> {
        rules
            .iter()
            .map(|r| format!("{} {}", if r.allow { "allow" } else { "deny" }, r.v1_line()))
            .collect()
    }

    #[test]
    fn deny_all_then_config_in_order_then_defaults_then_mknod_of_listed_devices() {
        let config: Vec<LinuxDeviceCgroup> = from_json(serde_json::json!([
            {"allow": true, "type": "b", "major": 7, "access": "r"},
            {"allow": true, "type": "p", "major": 1, "minor": 1},
            {"allow": false, "type": "u", "major": 4, "minor": 64, "access": ""},
            {"allow": true, "access": "mw"}
        ]));
        let extra: Vec<LinuxDevice> = from_json(serde_json::json!([
            {"path": "/dev/net/tun", "type": "c", "major": 10, "minor": 200},
            {"path": "/dev/fifo", "type": "p", "major": 0, "minor": 0},
            {"path": "/dev/loop0", "type": "b", "major": 7, "minor": 0}
        ]));
        let got = lines(&rules(&config, &extra).expect("rules"));
        let mut want = vec![
            "deny a *:* rwm".to_string(),
            "allow b 7:* r".to_string(),
            "deny c 4:64 rwm".to_string(),
            "allow a *:* wm".to_string(),
        ];
        want.extend(lines(&DEFAULT_RULES));
        want.push("allow c 10:200 m".to_string());
        want.push("allow b 7:0 m".to_string());
        assert_eq!(got, want);
    }

    #[test]
    fn bad_access_and_numbers_are_refused_naming_the_field() {
        let bad: Vec<LinuxDeviceCgroup> =
            from_json(serde_json::json!([{"allow": true}, {"allow": true, "access": "rwx"}]));
        assert_eq!(
            rules(&bad, &[]).expect_err("rwx").to_string(),
            "linux.resources.devices[1].access: \"rwx\" is not a combination of r, w and m"
        );
        let bad: Vec<LinuxDeviceCgroup> =
            from_json(serde_json::json!([{"allow": true, "type": "c", "major": -1}]));
        assert_eq!(
            rules(&bad, &[]).expect_err("-1").to_string(),
            "linux.resources.devices[0].major: -1 is not a device number (0 to 4294967295)"
        );
    }

    #[test]
    fn defaults_even_without_rules() {
        let got = rules(&[], &[]).expect("rules");
        assert_eq!(got[0], DENY_ALL);
        assert_eq!(&got[1..], &DEFAULT_RULES);
    }
}
