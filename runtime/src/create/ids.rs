//! User and group ids, umask and id mappings the kernel would misread: refused at create,
//! before anything is made.
//!
//! The kernel's ids are 32-bit, and the largest, 4294967295 ((uid_t)-1), is no id at all:
//! setresuid(-1, -1, -1) and chown(path, -1, -1) mean "leave unchanged", so a process asking
//! to run as uid 4294967295 would keep running as root. runc refuses these ids too. The checks
//! read the config's JSON, so a value beyond 32 bits is named by its field rather than
//! reported as a parse error.

use serde_json::Value;

use crate::error::{Error, Result};

/// The largest user or group id: one below (uid_t)-1.
const ID_MAX: u64 = u32::MAX as u64 - 1;
/// A umask has permission bits only.
const UMASK_MAX: u64 = 0o777;
/// The fields of an id mapping, each a 32-bit number.
const MAPPING_FIELDS: [&str; 3] = ["containerID", "hostID", "size"];

/// Refuses, naming the field, every id, umask and id mapping out of its range.
pub(super) fn refuse_out_of_range(config: &Value) -> Result<()> {
    let user = config.pointer("/process/user");
    for key in ["uid", "gid"] {
        if let Some(v) = user.and_then(|u| u.get(key)) {
            id(&format!("process.user.{key}"), v)?;
        }
    }
    let additional = user
        .and_then(|u| u.get("additionalGids"))
        .and_then(Value::as_array);
    for (i, v) in additional.into_iter().flatten().enumerate() {
        id(&format!("process.user.additionalGids[{i}]"), v)?;
    }
    if let Some(v) = user.and_then(|u| u.get("umask")) {
        number(
            "process.user.umask",
            v,
            UMASK_MAX,
            "a umask has permission bits only: 0o777 at most",
        )?;
    }
    for key in ["uidMappings", "gidMappings"] {
        mappings(
            &format!("linux.{key}"),
            config.pointer(&format!("/linux/{key}")),
        )?;
    }
    let mounts = config.get("mounts").and_then(Value::as_array);
    for (i, m) in mounts.into_iter().flatten().enumerate() {
        for key in ["uidMappings", "gidMappings"] {
            mappings(&format!("mounts[{i}].{key}"), m.get(key))?;
        }
    }
    let devices = config.pointer("/linux/devices").and_then(Value::as_array);
    for (i, d) in devices.into_iter().flatten().enumerate() {
        for key in ["uid", "gid"] {
            if let Some(v) = d.get(key) {
                id(&format!("linux.devices[{i}].{key}"), v)?;
            }
        }
    }
    Ok(())
}

/// A user or group id: 0 to 4294967294.
fn id(field: &str, v: &Value) -> Result<u64> {
    number(
        field,
        v,
        ID_MAX,
        "4294967295 is (uid_t)-1, which the kernel reads as \"leave the id unchanged\"",
    )
}

/// A non-negative integer up to `max`; a value of another JSON type is left to the validator.
fn number(field: &str, v: &Value, max: u64, why: &str) -> Result<u64> {
    match v.as_u64() {
        Some(n) if n <= max => Ok(n),
        None if !v.is_number() => Ok(0),
        _ => Err(Error::msg(format!(
            "{field} {v} is out of range: it must be an integer from 0 to {max} ({why})"
        ))),
    }
}

/// Each mapping's ranges of container and host ids stay within 0 to 4294967294.
fn mappings(field: &str, list: Option<&Value>) -> Result<()> {
    for (i, m) in list
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let mut got = [0u64; 3];
        for (slot, key) in got.iter_mut().zip(MAPPING_FIELDS) {
            if let Some(v) = m.get(key) {
                *slot = number(
                    &format!("{field}[{i}].{key}"),
                    v,
                    u64::from(u32::MAX),
                    "ids are 32-bit",
                )?;
            }
        }
        let [container, host, size] = got;
        for (key, first) in [("containerID", container), ("hostID", host)] {
            if first + size > ID_MAX + 1 {
                return Err(Error::msg(format!(
                    "{field}[{i}]: {key} {first} + size {size} overflows the 32-bit id range \
                     (the last id is {ID_MAX}; 4294967295 is (uid_t)-1)"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refused(config: Value) -> String {
        match refuse_out_of_range(&config) {
            Err(e) => e.to_string(),
            Ok(()) => panic!("accepted: {config}"),
        }
    }

    #[test]
    fn the_largest_ids_and_umask_pass() {
        let config = json!({
            "process": {"user": {"uid": 4294967294u64, "gid": 0, "additionalGids": [4294967294u64],
                                  "umask": 0o777}},
            "linux": {"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 4294966295u64}],
                      "gidMappings": [{"containerID": 4294967294u64, "hostID": 0, "size": 1}],
                      "devices": [{"path": "/dev/x", "type": "c", "major": 1, "minor": 3,
                                   "uid": 4294967294u64, "gid": 0}]}
        });
        refuse_out_of_range(&config).expect("in range");
    }

    #[test]
    fn uid_minus_one_and_beyond_are_refused_by_field() {
        for (config, field) in [
            (
                json!({"process": {"user": {"uid": 4294967295u64, "gid": 0}}}),
                "process.user.uid",
            ),
            (
                json!({"process": {"user": {"uid": 0, "gid": 4294967296u64}}}),
                "process.user.gid",
            ),
            (
                json!({"process": {"user": {"uid": 0, "gid": 0, "additionalGids": [1, 4294967295u64]}}}),
                "process.user.additionalGids[1]",
            ),
            (
                json!({"process": {"user": {"uid": -1, "gid": 0}}}),
                "process.user.uid",
            ),
            (
                json!({"process": {"user": {"uid": 0, "gid": 0, "umask": 0o1000}}}),
                "process.user.umask",
            ),
            (
                json!({"linux": {"devices": [{"gid": 0}, {"uid": 4294967295u64}]}}),
                "linux.devices[1].uid",
            ),
            (
                json!({"linux": {"uidMappings": [{"containerID": 0, "hostID": 0, "size": 4294967296u64}]}}),
                "linux.uidMappings[0].size",
            ),
        ] {
            let err = refused(config);
            assert!(err.starts_with(&format!("{field} ")), "{err}");
            assert!(err.contains("out of range"), "{err}");
        }
    }

    #[test]
    fn mappings_that_overflow_are_refused() {
        for (config, want) in [
            (
                json!({"linux": {"uidMappings": [{"containerID": 1, "hostID": 0, "size": 4294967295u64}]}}),
                "linux.uidMappings[0]: containerID 1 + size 4294967295 overflows",
            ),
            (
                json!({"linux": {"gidMappings": [{"containerID": 0, "hostID": 0, "size": 1},
                                                   {"containerID": 0, "hostID": 4294967295u64, "size": 1}]}}),
                "linux.gidMappings[1]: hostID 4294967295 + size 1 overflows",
            ),
            (
                json!({"mounts": [{"destination": "/m", "uidMappings": [{"containerID": 0, "hostID": 4294967200u64, "size": 100}]}]}),
                "mounts[0].uidMappings[0]: hostID 4294967200 + size 100 overflows",
            ),
        ] {
            let err = refused(config);
            assert!(err.starts_with(want), "{err}");
        }
    }
}
