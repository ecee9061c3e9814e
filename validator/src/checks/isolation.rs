//! Settings that would change the host rather than the container: ids that mean "leave
//! unchanged", and a hostname, domainname or sysctl whose namespace the container shares with
//! the runtime.

use serde_json::Value;

use ocicheck_catalog::ids;

use super::{Ctx, Finding, Platform};

/// `(uid_t)-1` and `(gid_t)-1`: the largest uint32, which `setresuid(2)`, `setresgid(2)` and
/// `chown(2)` take as "leave this id unchanged", not as an id.
pub const UNCHANGED_ID: u64 = u32::MAX as u64;

/// Ids that would be `(uid_t)-1`: in range for the schema, but no id at all.
pub fn unchanged_ids(ctx: &Ctx, out: &mut Vec<Finding>) {
    let mut flag = |id, pointer: String, what: &str, call: &str| {
        out.push(Finding::new(
            id,
            pointer,
            format!(
                "{what} is {UNCHANGED_ID}, which is (uid_t)-1: {call} takes it as \"leave the id \
                 unchanged\", so the container would keep the runtime's id"
            ),
        ));
    };
    let is_unchanged = |v: Option<&Value>| v.and_then(Value::as_u64) == Some(UNCHANGED_ID);
    if is_unchanged(ctx.at("/process/user/uid")) {
        flag(
            ids::CONFIG_PROCESS_USER_UID_REQUIRED,
            "/process/user/uid".into(),
            "process.user.uid",
            "setresuid(2)",
        );
    }
    if is_unchanged(ctx.at("/process/user/gid")) {
        flag(
            ids::CONFIG_PROCESS_USER_GID_REQUIRED,
            "/process/user/gid".into(),
            "process.user.gid",
            "setresgid(2)",
        );
    }
    for (ptr, gid) in ctx.items("/process/user/additionalGids") {
        if is_unchanged(Some(gid)) {
            flag(
                ids::CONFIG_PROCESS_USER_OPTIONAL_FIELDS,
                ptr,
                "an additionalGids entry",
                "setgroups(2) after setresgid(2)",
            );
        }
    }
    for (ptr, device) in ctx.items("/linux/devices") {
        for field in ["uid", "gid"] {
            if is_unchanged(device.get(field)) {
                flag(
                    ids::LINUX_DEVICES_OPTIONAL_FIELDS,
                    format!("{ptr}/{field}"),
                    &format!("the device's {field}"),
                    "chown(2)",
                );
            }
        }
    }
}

/// The namespace that isolates a sysctl, if any (runtime-spec config-linux.md#sysctl; the
/// kernel's namespaced sysctls, as runc also classifies them).
fn sysctl_namespace(key: &str) -> Option<&'static str> {
    let key = key.replace('/', ".");
    if key.starts_with("kernel.msg")
        || key == "kernel.sem"
        || key.starts_with("kernel.shm")
        || key.starts_with("fs.mqueue.")
    {
        Some("ipc")
    } else if key.starts_with("net.") {
        Some("network")
    } else if key == "kernel.hostname" || key == "kernel.domainname" {
        Some("uts")
    } else {
        None
    }
}

/// A hostname, domainname or sysctl the runtime would apply to a namespace it shares with the
/// container, that is, to the host. Warnings: the catalog has no requirement that forbids
/// them, so they are tied to the field's own entry.
pub fn host_settings(ctx: &Ctx, out: &mut Vec<Finding>) {
    if ctx.platform() != Platform::Linux {
        return;
    }
    let has_namespace = |t: &str| {
        ctx.items("/linux/namespaces")
            .iter()
            .any(|(_, ns)| ns.get("type").and_then(Value::as_str) == Some(t))
    };
    for (field, id) in [
        ("hostname", ids::CONFIG_HOSTNAME_OPTIONAL_FIELDS),
        ("domainname", ids::CONFIG_DOMAINNAME_OPTIONAL_FIELDS),
    ] {
        if let Some(name) = ctx.config.get(field).and_then(Value::as_str) {
            if !has_namespace("uts") {
                out.push(
                    Finding::new(
                        id,
                        format!("/{field}"),
                        format!(
                            "{field} {name:?} is set but linux.namespaces has no uts namespace: \
                             a runtime that shares its uts namespace would set the host's {field}"
                        ),
                    )
                    .warning(),
                );
            }
        }
    }
    for (key, ptr, _) in ctx.entries("/linux/sysctl") {
        let message = match sysctl_namespace(key) {
            Some(ns) if has_namespace(ns) => continue,
            Some(ns) => format!(
                "sysctl {key} belongs to the {ns} namespace, which linux.namespaces does not \
                 list: a runtime that shares its {ns} namespace would set it for the host"
            ),
            None => format!(
                "sysctl {key} is not isolated by any namespace: setting it reconfigures the \
                 host kernel for every process"
            ),
        };
        out.push(Finding::new(ids::LINUX_SYSCTL_OPTIONAL_FIELDS, ptr, message).warning());
    }
}

#[cfg(test)]
mod tests {
    use super::sysctl_namespace;

    #[test]
    fn sysctls_by_namespace() {
        for (key, ns) in [
            ("kernel.msgmax", Some("ipc")),
            ("kernel.msgmnb", Some("ipc")),
            ("kernel.sem", Some("ipc")),
            ("kernel.shmmax", Some("ipc")),
            ("kernel.shm_rmid_forced", Some("ipc")),
            ("fs.mqueue.msg_max", Some("ipc")),
            ("fs/mqueue/msg_max", Some("ipc")),
            ("net.ipv4.ip_forward", Some("network")),
            ("kernel.hostname", Some("uts")),
            ("kernel.semx", None),
            ("kernel.pid_max", None),
            ("vm.swappiness", None),
            ("fs.file-max", None),
        ] {
            assert_eq!(sysctl_namespace(key), ns, "{key}");
        }
    }
}
