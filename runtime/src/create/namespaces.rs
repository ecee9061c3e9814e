//! The namespaces of `linux.namespaces`: which to make and which to join.

use std::fs;
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use nix::sched::CloneFlags;
use oci_spec::runtime::{LinuxNamespaceType, Spec};

use crate::error::{Error, Result};
use crate::mutation::{self, Flaw};

/// CLONE_NEWTIME (Linux 5.6): libc has it, nix's CloneFlags does not name it.
const CLONE_NEWTIME: CloneFlags = CloneFlags::from_bits_retain(nix::libc::CLONE_NEWTIME);

/// Namespaces to make (flags) and to join (type, open file).
pub(super) struct Namespaces {
    pub new: CloneFlags,
    pub join: Vec<(LinuxNamespaceType, OwnedFd)>,
    /// A new user namespace is made (its ID maps are written by the parent).
    pub new_user: bool,
    /// The container has a user namespace (new or joined).
    pub user: bool,
    /// The container has a cgroup namespace.
    pub cgroup: bool,
    pub mount: bool,
    pub uts: bool,
    /// linux.namespaces lists an ipc namespace.
    pub ipc: bool,
    /// A new time namespace is made (its offsets are written by the setup process).
    pub time_new: bool,
    /// The namespaces the container does not share with the runtime: made new, or joined at
    /// a path that is not the runtime's own.
    pub private: Vec<LinuxNamespaceType>,
}

impl Namespaces {
    /// Whether the container has a namespace of type `t` of its own.
    pub fn is_private(&self, t: LinuxNamespaceType) -> bool {
        self.private.contains(&t)
    }
}

/// The name of a namespace type under /proc/PID/ns.
fn proc_name(t: LinuxNamespaceType) -> &'static str {
    match t {
        LinuxNamespaceType::Mount => "mnt",
        LinuxNamespaceType::Cgroup => "cgroup",
        LinuxNamespaceType::Uts => "uts",
        LinuxNamespaceType::Ipc => "ipc",
        LinuxNamespaceType::User => "user",
        LinuxNamespaceType::Pid => "pid",
        LinuxNamespaceType::Network => "net",
        LinuxNamespaceType::Time => "time",
    }
}

/// Whether the namespace file `ns` (device and inode) is the runtime's own namespace of type
/// `t`, as runc tells: by comparing it with /proc/self/ns/TYPE.
fn is_runtime_own(t: LinuxNamespaceType, ns: &fs::Metadata) -> Result<bool> {
    let own = format!("/proc/self/ns/{}", proc_name(t));
    let own = fs::metadata(&own).map_err(|e| Error::io(format!("cannot stat {own}"), e))?;
    Ok(own.dev() == ns.dev() && own.ino() == ns.ino())
}

/// Whether `linux.namespaces` of `spec` gives the container a namespace of type `t` that
/// is not the runtime's (and so the host's): listed without a path, or with the path of
/// another namespace.
pub(super) fn configured_private(spec: &Spec, t: LinuxNamespaceType) -> Result<bool> {
    let list = spec.linux().as_ref().and_then(|l| l.namespaces().as_ref());
    let Some(n) = list.into_iter().flatten().find(|n| n.typ() == t) else {
        return Ok(false);
    };
    let Some(path) = n.path() else {
        return Ok(true);
    };
    let meta = fs::metadata(path).map_err(|e| {
        Error::io(
            format!("namespace {t:?}: cannot stat path {}", path.display()),
            e,
        )
    })?;
    Ok(!is_runtime_own(t, &meta)?)
}

pub(super) fn clone_flag(t: LinuxNamespaceType) -> CloneFlags {
    match t {
        LinuxNamespaceType::Mount => CloneFlags::CLONE_NEWNS,
        LinuxNamespaceType::Cgroup => CloneFlags::CLONE_NEWCGROUP,
        LinuxNamespaceType::Uts => CloneFlags::CLONE_NEWUTS,
        LinuxNamespaceType::Ipc => CloneFlags::CLONE_NEWIPC,
        LinuxNamespaceType::User => CloneFlags::CLONE_NEWUSER,
        LinuxNamespaceType::Pid => CloneFlags::CLONE_NEWPID,
        LinuxNamespaceType::Network => CloneFlags::CLONE_NEWNET,
        LinuxNamespaceType::Time => CLONE_NEWTIME,
    }
}

/// What `linux.namespaces` of `spec` asks for; namespaces with a path are opened here.
pub(super) fn namespaces(spec: &Spec) -> Result<Namespaces> {
    let mut ns = Namespaces {
        new: CloneFlags::empty(),
        join: Vec::new(),
        new_user: false,
        user: false,
        cgroup: false,
        mount: false,
        uts: false,
        ipc: false,
        time_new: false,
        private: Vec::new(),
    };
    let list = spec
        .linux()
        .as_ref()
        .and_then(|l| l.namespaces().clone())
        .unwrap_or_default();
    for n in &list {
        let t = n.typ();
        if n.path().is_none() && mutation::skips_namespace(t) {
            continue;
        }
        let path = n
            .path()
            .as_ref()
            .filter(|_| !mutation::active(Flaw::IgnoreNamespacePath));
        match t {
            LinuxNamespaceType::User => ns.user = true,
            LinuxNamespaceType::Cgroup => ns.cgroup = true,
            LinuxNamespaceType::Mount => ns.mount = true,
            LinuxNamespaceType::Uts => ns.uts = true,
            LinuxNamespaceType::Ipc => ns.ipc = true,
            _ => {}
        }
        match path {
            // linux.namespaces.path.joined: the process joins the namespace at `path`.
            Some(p) => {
                let f = fs::File::open(p).map_err(|e| cannot_open(t, p, e))?;
                let meta = f.metadata().map_err(|e| cannot_open(t, p, e))?;
                if !is_runtime_own(t, &meta)? {
                    ns.private.push(t);
                }
                ns.join.push((t, OwnedFd::from(f)));
            }
            // linux.namespaces.no-path.new: without a path, a new namespace.
            None => {
                ns.private.push(t);
                ns.new |= clone_flag(t);
                if t == LinuxNamespaceType::User {
                    ns.new_user = true;
                }
                if t == LinuxNamespaceType::Time {
                    ns.time_new = true;
                }
            }
        }
    }
    if !ns.mount {
        return Err(Error::msg(
            "linux.namespaces has no mount namespace: this runtime builds the root filesystem in one \
             and cannot run a container in the host's mount namespace",
        ));
    }
    // Joining a user namespace comes first, so the others are joined with its privileges.
    ns.join.sort_by_key(|(t, _)| *t != LinuxNamespaceType::User);
    Ok(ns)
}

fn cannot_open(t: LinuxNamespaceType, path: &Path, e: std::io::Error) -> Error {
    Error::io(
        format!("namespace {t:?}: cannot open path {}", path.display()),
        e,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(namespaces: serde_json::Value) -> Spec {
        serde_json::from_value(serde_json::json!({
            "ociVersion": "1.3.0",
            "root": {"path": "rootfs"},
            "linux": {"namespaces": namespaces}
        }))
        .expect("spec")
    }

    #[test]
    fn new_namespaces_become_clone_flags() {
        let ns = namespaces(&spec(serde_json::json!([
            {"type": "mount"}, {"type": "pid"}, {"type": "user"}, {"type": "time"},
            {"type": "cgroup"}, {"type": "uts"}
        ])))
        .expect("namespaces");
        assert_eq!(
            ns.new,
            CloneFlags::CLONE_NEWNS
                | CloneFlags::CLONE_NEWPID
                | CloneFlags::CLONE_NEWUSER
                | CLONE_NEWTIME
                | CloneFlags::CLONE_NEWCGROUP
                | CloneFlags::CLONE_NEWUTS
        );
        assert!(ns.join.is_empty());
        assert!(ns.new_user && ns.user && ns.time_new && ns.cgroup && ns.mount && ns.uts);
        assert_eq!(CLONE_NEWTIME.bits(), 0x80);
    }

    #[test]
    fn joined_user_namespace_comes_first() {
        let ns = namespaces(&spec(serde_json::json!([
            {"type": "mount"},
            {"type": "network", "path": "/proc/self/ns/net"},
            {"type": "user", "path": "/proc/self/ns/user"}
        ])))
        .expect("namespaces");
        let order: Vec<LinuxNamespaceType> = ns.join.iter().map(|(t, _)| *t).collect();
        assert_eq!(
            order,
            [LinuxNamespaceType::User, LinuxNamespaceType::Network]
        );
        assert_eq!(ns.new, CloneFlags::CLONE_NEWNS);
        assert!(ns.user && !ns.new_user);
    }

    #[test]
    fn private_means_new_or_joined_elsewhere() {
        let ns = namespaces(&spec(serde_json::json!([
            {"type": "mount"}, {"type": "ipc"},
            {"type": "uts", "path": "/proc/self/ns/uts"},
            {"type": "network", "path": "/proc/self/ns/ipc"}
        ])))
        .expect("namespaces");
        // The runtime's own uts namespace is shared; an ipc namespace file is not the
        // runtime's network namespace (setns refuses it later).
        assert!(ns.is_private(LinuxNamespaceType::Mount) && ns.is_private(LinuxNamespaceType::Ipc));
        assert!(ns.is_private(LinuxNamespaceType::Network));
        assert!(!ns.is_private(LinuxNamespaceType::Uts) && !ns.is_private(LinuxNamespaceType::Pid));
    }

    #[test]
    fn a_mount_namespace_is_required_and_paths_must_open() {
        let err = namespaces(&spec(serde_json::json!([{"type": "pid"}]))).err();
        assert!(
            err.is_some_and(|e| e.to_string().contains("no mount namespace")),
            "no mount namespace accepted"
        );
        let err = namespaces(&spec(serde_json::json!([
            {"type": "mount"}, {"type": "ipc", "path": "/nonexistent/ns/ipc"}
        ])))
        .err();
        assert!(
            err.is_some_and(|e| e.to_string().contains("/nonexistent/ns/ipc")),
            "unopenable path accepted"
        );
    }
}
