//! Host-dependent checks (`--host`): they look at the machine, not only at the bundle.

use std::os::unix::fs::PermissionsExt;
use std::str::FromStr;

use serde_json::Value;

use ocicheck_catalog::{ids, Id};

use super::{Ctx, Finding, Platform};

pub fn hooks(ctx: &Ctx, out: &mut Vec<Finding>) {
    const KINDS: [(&str, Id); 5] = [
        (
            "prestart",
            ids::CONFIG_HOOKS_PRESTART_PATH_RUNTIME_NAMESPACE,
        ),
        (
            "createRuntime",
            ids::CONFIG_HOOKS_CREATE_RUNTIME_PATH_RUNTIME_NAMESPACE,
        ),
        (
            "createContainer",
            ids::CONFIG_HOOKS_CREATE_CONTAINER_PATH_RUNTIME_NAMESPACE,
        ),
        (
            "poststart",
            ids::CONFIG_HOOKS_POSTSTART_PATH_RUNTIME_NAMESPACE,
        ),
        (
            "poststop",
            ids::CONFIG_HOOKS_POSTSTOP_PATH_RUNTIME_NAMESPACE,
        ),
    ];
    // startContainer hooks resolve inside the container, so they cannot be checked here.
    for (kind, id) in KINDS {
        for (ptr, hook) in ctx.items(&format!("/hooks/{kind}")) {
            let Some(path) = hook.get("path").and_then(Value::as_str) else {
                continue;
            };
            if !path.starts_with('/') {
                continue; // reported by the `hooks` check
            }
            let problem = match std::fs::metadata(path) {
                Err(e) => Some(format!("cannot be used: {e}")),
                Ok(m) if !m.is_file() => Some("is not a regular file".to_string()),
                Ok(m) if m.permissions().mode() & 0o111 == 0 => {
                    Some("is not executable".to_string())
                }
                Ok(_) => None,
            };
            if let Some(p) = problem {
                out.push(Finding::new(
                    id,
                    format!("{ptr}/path"),
                    format!("{kind} hook {path} {p} on this host"),
                ));
            }
        }
    }
}

/// The namespace type name as /proc/<pid>/ns shows it, for a config namespace type.
fn proc_ns_name(t: &str) -> Option<&'static str> {
    Some(match t {
        "pid" => "pid",
        "network" => "net",
        "mount" => "mnt",
        "ipc" => "ipc",
        "uts" => "uts",
        "user" => "user",
        "cgroup" => "cgroup",
        "time" => "time",
        _ => return None,
    })
}

pub fn namespaces(ctx: &Ctx, out: &mut Vec<Finding>) {
    if ctx.platform() != Platform::Linux {
        return;
    }
    for (ptr, ns) in ctx.items("/linux/namespaces") {
        let (Some(t), Some(path)) = (
            ns.get("type").and_then(Value::as_str),
            ns.get("path").and_then(Value::as_str),
        ) else {
            continue;
        };
        if !path.starts_with('/') {
            continue;
        }
        let Some(want) = proc_ns_name(t) else {
            continue;
        };
        // A namespace file reads, through readlink, as "<type>:[<inode>]" when it is a
        // /proc/<pid>/ns link; bind-mounted namespace files are nsfs files we compare by
        // device and inode with the links of this process.
        let actual = match std::fs::read_link(path) {
            Ok(target) => NsFile::Type(
                target
                    .to_string_lossy()
                    .split(':')
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            ),
            Err(_) => match std::fs::metadata(path) {
                Err(e) => {
                    out.push(Finding::new(
                        ids::LINUX_NAMESPACES_PATH_TYPE_MISMATCH_ERROR,
                        format!("{ptr}/path"),
                        format!("{t} namespace path {path} cannot be used on this host: {e}"),
                    ));
                    continue;
                }
                Ok(m) => nsfs_type(&m),
            },
        };
        match actual {
            NsFile::Type(a) if a == want => {}
            NsFile::Unknown => {}
            NsFile::Type(a) => out.push(Finding::new(
                ids::LINUX_NAMESPACES_PATH_TYPE_MISMATCH_ERROR,
                format!("{ptr}/path"),
                format!("{path} is a {a} namespace, not a {t} namespace; a runtime must reject this config"),
            )),
            NsFile::NotNamespace => out.push(Finding::new(
                ids::LINUX_NAMESPACES_PATH_TYPE_MISMATCH_ERROR,
                format!("{ptr}/path"),
                format!("{path} is not a namespace file; a runtime must reject this config"),
            )),
        }
    }
}

enum NsFile {
    Type(String),
    /// A namespace file of a type this process cannot tell.
    Unknown,
    NotNamespace,
}

/// Classifies a namespace file that is not a /proc symlink (e.g. a bind mount): all namespace
/// files live on the one nsfs device; one of this process's own namespaces is recognised by
/// its inode.
fn nsfs_type(m: &std::fs::Metadata) -> NsFile {
    use std::os::unix::fs::MetadataExt;
    let Ok(own_net) = std::fs::metadata("/proc/self/ns/net") else {
        return NsFile::Unknown;
    };
    if m.dev() != own_net.dev() {
        return NsFile::NotNamespace;
    }
    for name in ["pid", "net", "mnt", "ipc", "uts", "user", "cgroup", "time"] {
        if let Ok(own) = std::fs::metadata(format!("/proc/self/ns/{name}")) {
            if own.ino() == m.ino() {
                return NsFile::Type(name.to_string());
            }
        }
    }
    NsFile::Unknown
}

/// The number of the last capability the running kernel knows.
pub fn kernel_cap_last_cap() -> Option<u8> {
    std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse::<u8>().ok())
}

pub fn capabilities(ctx: &Ctx, out: &mut Vec<Finding>) {
    if ctx.platform() != Platform::Linux {
        return;
    }
    let Some(last) = ctx.cap_last_cap else {
        return;
    };
    for set in [
        "bounding",
        "effective",
        "inheritable",
        "permitted",
        "ambient",
    ] {
        for (ptr, v) in ctx.items(&format!("/process/capabilities/{set}")) {
            let Some(name) = v.as_str() else { continue };
            if let Ok(cap) = caps::Capability::from_str(name) {
                if cap.index() > last {
                    out.push(
                        Finding::new(
                            ids::CONFIG_PROCESS_CAPABILITIES_UNGRANTABLE_WARN,
                            ptr,
                            format!("{name} is not known to this kernel (its last capability is number {last})"),
                        )
                        .warning(),
                    );
                }
            }
        }
    }
}
