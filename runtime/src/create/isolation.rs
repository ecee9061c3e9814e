//! Settings that would reconfigure the host: `hostname`, `domainname` and `linux.sysctl`
//! apply to the namespaces the container is in, so without a private namespace of the right
//! type they would rename the host or change its kernel's settings. Refused at create, as runc
//! refuses them. A namespace joined by `path` is private only if it is not the runtime's own.

use oci_spec::runtime::{LinuxNamespaceType, Spec};
use serde_json::Value;

use super::namespaces::{configured_private, Namespaces};
use crate::error::{Error, Result};

/// Sysctl keys (with `.` separators) an ipc namespace isolates: the System V message queue,
/// semaphore and shared memory limits, and the POSIX message queue ones.
const IPC_PREFIXES: &[&str] = &["kernel.msg", "kernel.sem", "kernel.shm", "fs.mqueue."];
/// Sysctl keys a network namespace isolates.
const NET_PREFIX: &str = "net.";
/// The one UTS sysctl allowed: the domain name, which has no other way in the config but
/// `domainname`. The host name has its own field.
const UTS_DOMAINNAME: &str = "kernel.domainname";
const UTS_HOSTNAME: &str = "kernel.hostname";

/// Refuses a hostname, domainname or sysctl the container's namespaces do not isolate.
pub(super) fn refuse_host_changes(spec: &Spec, config: &Value) -> Result<()> {
    let private = |t| configured_private(spec, t);
    for field in ["hostname", "domainname"] {
        if config.get(field).is_some_and(|v| !v.is_null()) && !private(LinuxNamespaceType::Uts)? {
            return Err(Error::msg(format!(
                "{field} is set, but linux.namespaces has no uts namespace of the container's \
                 own: cannot set {field} without a private UTS namespace (it would rename the \
                 host)"
            )));
        }
    }
    let sysctl = spec.linux().as_ref().and_then(|l| l.sysctl().as_ref());
    let mut keys: Vec<&String> = sysctl.into_iter().flat_map(|s| s.keys()).collect();
    keys.sort();
    for key in keys {
        let (t, what) = match scope(key) {
            Scope::Namespaced(t, what) => (t, what),
            Scope::HostnameField => {
                return Err(Error::msg(format!(
                    "linux.sysctl {key:?} is not allowed: it conflicts with the hostname field"
                )))
            }
            Scope::Host => {
                return Err(Error::msg(format!(
                    "linux.sysctl {key:?} is not in a separate kernel namespace: setting it \
                     would change the host"
                )))
            }
        };
        if !private(t)? {
            return Err(Error::msg(format!(
                "linux.sysctl {key:?} is not allowed in the host's {what} namespace: \
                 linux.namespaces has no {what} namespace of the container's own"
            )));
        }
    }
    Ok(())
}

/// Whether the container's namespaces (as made, which a mutation may change) isolate the
/// sysctl `key`.
pub(super) fn isolates(ns: &Namespaces, key: &str) -> bool {
    match scope(key) {
        Scope::Namespaced(t, _) => ns.is_private(t),
        Scope::HostnameField | Scope::Host => false,
    }
}

/// Which namespace isolates a sysctl.
#[derive(Debug, PartialEq, Eq)]
enum Scope {
    /// This namespace type (and its name in linux.namespaces).
    Namespaced(LinuxNamespaceType, &'static str),
    /// kernel.hostname: isolated by a UTS namespace, but the `hostname` field sets it.
    HostnameField,
    /// No namespace: the setting is the host's.
    Host,
}

/// The namespace that isolates `key`. The runtime writes /proc/sys/ with every `.` made a
/// `/`, so a key with `/` separators names the same setting and is classified the same way.
fn scope(key: &str) -> Scope {
    let key = key.replace('/', ".");
    if IPC_PREFIXES.iter().any(|p| key.starts_with(p)) {
        Scope::Namespaced(LinuxNamespaceType::Ipc, "ipc")
    } else if key.starts_with(NET_PREFIX) {
        Scope::Namespaced(LinuxNamespaceType::Network, "network")
    } else if key == UTS_DOMAINNAME {
        Scope::Namespaced(LinuxNamespaceType::Uts, "uts")
    } else if key == UTS_HOSTNAME {
        Scope::HostnameField
    } else {
        Scope::Host
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(config: Value) -> Result<()> {
        let spec: Spec = serde_json::from_value(config.clone()).expect("spec");
        refuse_host_changes(&spec, &config)
    }

    fn config(namespaces: Value, extra: Value) -> Value {
        let mut c = json!({
            "ociVersion": "1.3.0",
            "root": {"path": "rootfs"},
            "linux": {"namespaces": namespaces}
        });
        for (k, v) in extra.as_object().expect("object") {
            if k == "sysctl" {
                c["linux"]["sysctl"] = v.clone();
            } else {
                c[k] = v.clone();
            }
        }
        c
    }

    fn refused(config: Value) -> String {
        match check(config.clone()) {
            Err(e) => e.to_string(),
            Ok(()) => panic!("accepted: {config}"),
        }
    }

    #[test]
    fn sysctls_are_classified_by_the_namespace_that_isolates_them() {
        for (key, want) in [
            (
                "kernel.msgmax",
                Scope::Namespaced(LinuxNamespaceType::Ipc, "ipc"),
            ),
            (
                "kernel/shmmax",
                Scope::Namespaced(LinuxNamespaceType::Ipc, "ipc"),
            ),
            (
                "kernel.sem",
                Scope::Namespaced(LinuxNamespaceType::Ipc, "ipc"),
            ),
            (
                "fs.mqueue.msg_max",
                Scope::Namespaced(LinuxNamespaceType::Ipc, "ipc"),
            ),
            (
                "net.ipv4.ip_forward",
                Scope::Namespaced(LinuxNamespaceType::Network, "network"),
            ),
            (
                "kernel.domainname",
                Scope::Namespaced(LinuxNamespaceType::Uts, "uts"),
            ),
            ("kernel.hostname", Scope::HostnameField),
            ("vm.swappiness", Scope::Host),
            ("kernel.pid_max", Scope::Host),
            ("fs.file-max", Scope::Host),
            ("netfoo", Scope::Host),
        ] {
            assert_eq!(scope(key), want, "{key}");
        }
    }

    #[test]
    fn private_namespaces_allow_what_they_isolate() {
        let all = json!([{"type": "mount"}, {"type": "uts"}, {"type": "ipc"}, {"type": "network"}]);
        check(config(
            all,
            json!({"hostname": "h", "domainname": "d", "sysctl": {
                "kernel.msgmax": "4096", "net.ipv4.tcp_keepalive_time": "600",
                "kernel.domainname": "d"}}),
        ))
        .expect("isolated");
        // Nothing to isolate: no namespace needed.
        check(config(json!([{"type": "mount"}]), json!({}))).expect("nothing asked");
    }

    #[test]
    fn host_changes_are_refused() {
        let mount = json!([{"type": "mount"}]);
        let err = refused(config(mount.clone(), json!({"hostname": "h"})));
        assert!(
            err.contains("cannot set hostname without a private UTS namespace"),
            "{err}"
        );
        let err = refused(config(mount.clone(), json!({"domainname": ""})));
        assert!(
            err.contains("cannot set domainname without a private UTS"),
            "{err}"
        );
        let err = refused(config(
            mount.clone(),
            json!({"sysctl": {"kernel.msgmax": "1"}}),
        ));
        assert!(
            err.contains("\"kernel.msgmax\" is not allowed in the host's ipc namespace"),
            "{err}"
        );
        let err = refused(config(
            mount.clone(),
            json!({"sysctl": {"net.core.somaxconn": "1"}}),
        ));
        assert!(err.contains("host's network namespace"), "{err}");
        let all = json!([{"type": "mount"}, {"type": "uts"}, {"type": "ipc"}, {"type": "network"}]);
        let err = refused(config(
            all.clone(),
            json!({"sysctl": {"vm.swappiness": "1"}}),
        ));
        assert!(
            err.contains("\"vm.swappiness\" is not in a separate kernel namespace"),
            "{err}"
        );
        let err = refused(config(all, json!({"sysctl": {"kernel.hostname": "h"}})));
        assert!(err.contains("conflicts with the hostname field"), "{err}");
    }

    #[test]
    fn a_namespace_joined_at_the_runtimes_own_path_is_not_private() {
        let joined = json!([{"type": "mount"}, {"type": "uts", "path": "/proc/self/ns/uts"},
                            {"type": "ipc", "path": "/proc/self/ns/ipc"}]);
        let err = refused(config(joined.clone(), json!({"hostname": "h"})));
        assert!(err.contains("hostname"), "{err}");
        let err = refused(config(joined, json!({"sysctl": {"kernel.shmmax": "1"}})));
        assert!(err.contains("ipc namespace"), "{err}");
        // A path of another type is not the runtime's namespace of this type (setns refuses
        // it later).
        let other = json!([{"type": "mount"}, {"type": "uts", "path": "/proc/self/ns/net"}]);
        check(config(other, json!({"hostname": "h"}))).expect("not the runtime's uts");
    }
}
