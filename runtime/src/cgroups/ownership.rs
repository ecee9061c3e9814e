//! Cgroup ownership (config-linux "Cgroup ownership", runtime-spec 1.1.0+): on cgroup v2, a
//! container with its own user and cgroup namespaces and a read-write cgroup mount at
//! `/sys/fs/cgroup` gets its cgroup delegated: the directory and the files the kernel lists in
//! `/sys/kernel/cgroup/delegate` are given to the host uid its process user maps to. Nothing
//! else changes owner, and nothing changes on cgroup v1 (delegation is not safe there).

use std::fs;
use std::io;
use std::path::Path;

use nix::unistd::{chown, Uid};
use oci_spec::runtime::{LinuxIdMapping, LinuxNamespaceType, Spec};

use super::CgroupError;
use crate::mutation::{active, Flaw};

/// The kernel's list of the files a delegated cgroup's owner gets (cgroups(7)).
pub const DELEGATE: &str = "/sys/kernel/cgroup/delegate";
/// config-linux: without [`DELEGATE`], these files are given.
pub const FALLBACK: &[&str] = &["cgroup.procs", "cgroup.subtree_control", "cgroup.threads"];

/// The host uid the container's cgroup goes to, when the config asks for delegation: cgroup v2
/// only (`unified_only`), a new user namespace, a new cgroup namespace (listed without a path)
/// and a cgroup mount at `/sys/fs/cgroup` without `ro`.
pub fn owner(spec: &Spec, unified_only: bool) -> Option<u32> {
    if !unified_only || active(Flaw::SkipCgroupChown) {
        return None;
    }
    let linux = spec.linux().as_ref()?;
    let namespaces = linux.namespaces().as_deref().unwrap_or_default();
    let new = |t: LinuxNamespaceType| {
        namespaces
            .iter()
            .any(|n| n.typ() == t && n.path().is_none())
    };
    // config-linux: no ownership change without a new cgroup namespace.
    if !new(LinuxNamespaceType::User) || !new(LinuxNamespaceType::Cgroup) {
        return None;
    }
    // config-linux: ownership changes if and only if the cgroup filesystem is mounted
    // read-write at /sys/fs/cgroup.
    let rw_cgroup_mount = spec
        .mounts()
        .as_deref()
        .unwrap_or_default()
        .iter()
        .any(|m| {
            m.source().as_deref() == Some(Path::new("cgroup"))
                && m.destination() == Path::new("/sys/fs/cgroup")
                && (active(Flaw::ChownWithReadOnlyCgroupMount)
                    || !m
                        .options()
                        .as_deref()
                        .unwrap_or_default()
                        .iter()
                        .any(|o| o == "ro"))
        });
    if !rw_cgroup_mount {
        return None;
    }
    let uid = spec.process().as_ref().map_or(0, |p| p.user().uid());
    host_id(linux.uid_mappings().as_deref().unwrap_or_default(), uid)
}

/// The host id that `id` of the container's user namespace maps to.
fn host_id(mappings: &[LinuxIdMapping], id: u32) -> Option<u32> {
    mappings.iter().find_map(|m| {
        let offset = id.checked_sub(m.container_id())?;
        (offset < m.size()).then(|| m.host_id().checked_add(offset))?
    })
}

/// The files to give away: those `delegate` lists, or [`FALLBACK`] when it does not exist.
pub fn delegated_files(delegate: &Path) -> Result<Vec<String>, CgroupError> {
    match fs::read_to_string(delegate) {
        Ok(text) => Ok(text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect()),
        // config-linux: without the delegate file, the runtime MUST use the fallback list.
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if active(Flaw::SkipOwnershipFallbackFiles) {
                return Ok(Vec::new());
            }
            Ok(FALLBACK.iter().map(|f| f.to_string()).collect())
        }
        Err(source) => Err(CgroupError::Read {
            path: delegate.to_path_buf(),
            source,
        }),
    }
}

/// Gives `dir` and, of `files`, those it has to `uid` (the group is left alone). A listed file
/// the cgroup lacks (a controller's file, its controller not enabled) is no error.
pub fn give(dir: &Path, files: &[String], uid: u32) -> Result<(), CgroupError> {
    let to = |path: &Path| match chown(path, Some(Uid::from_raw(uid)), None) {
        Err(nix::errno::Errno::ENOENT) if !active(Flaw::FailOnMissingDelegateFile) => Ok(()),
        r => r.map_err(|source| CgroupError::Chown {
            path: path.to_path_buf(),
            source,
        }),
    };
    to(dir)?;
    if active(Flaw::ChownCgroupParent) {
        if let Some(parent) = dir.parent() {
            to(parent)?;
        }
    }
    if active(Flaw::ChownAllCgroupFiles) {
        let entries = fs::read_dir(dir).map_err(|source| CgroupError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        for e in entries.flatten() {
            to(&e.path())?;
        }
        return Ok(());
    }
    if active(Flaw::ChownCgroupDirOnly) {
        return Ok(());
    }
    for f in files {
        // A delegate entry is a file name of the cgroup; anything else is not ours to touch.
        if f.contains('/') || f.starts_with('.') {
            continue;
        }
        to(&dir.join(f))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    fn spec(patch: serde_json::Value) -> Spec {
        let mut base = serde_json::json!({
            "ociVersion": "1.1.0",
            "root": {"path": "rootfs"},
            "process": {"cwd": "/", "args": ["/probe"], "user": {"uid": 0, "gid": 0}},
            "mounts": [{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                        "options": ["rw"]}],
            "linux": {
                "namespaces": [{"type": "user"}, {"type": "cgroup"}, {"type": "mount"}],
                "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
                "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]
            }
        });
        json_patch(&mut base, patch);
        serde_json::from_value(base).expect("spec")
    }

    fn json_patch(base: &mut serde_json::Value, patch: serde_json::Value) {
        if let (Some(b), serde_json::Value::Object(p)) = (base.as_object_mut(), patch) {
            for (k, v) in p {
                b.insert(k, v);
            }
        }
    }

    #[test]
    fn delegation_needs_v2_userns_cgroupns_and_a_rw_cgroup_mount() {
        assert_eq!(owner(&spec(serde_json::json!({})), true), Some(100000));
        assert_eq!(owner(&spec(serde_json::json!({})), false), None, "v1");
        let user_1000 = spec(serde_json::json!({
            "process": {"cwd": "/", "args": ["/probe"], "user": {"uid": 1000, "gid": 0}}
        }));
        assert_eq!(
            owner(&user_1000, true),
            Some(101000),
            "process.user.uid maps"
        );
        let ro = spec(serde_json::json!({
            "mounts": [{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                        "options": ["ro", "nosuid"]}]
        }));
        assert_eq!(owner(&ro, true), None, "read-only mount");
        let no_mount = spec(serde_json::json!({"mounts": []}));
        assert_eq!(owner(&no_mount, true), None, "no cgroup mount");
        let no_cgroupns = spec(serde_json::json!({"linux": {
            "namespaces": [{"type": "user"}, {"type": "mount"}],
            "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
            "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]
        }}));
        assert_eq!(owner(&no_cgroupns, true), None, "no cgroup namespace");
    }

    #[test]
    fn host_ids_follow_the_mapping_ranges() {
        let m: Vec<LinuxIdMapping> = serde_json::from_value(serde_json::json!([
            {"containerID": 0, "hostID": 100000, "size": 10},
            {"containerID": 10, "hostID": 500, "size": 1}
        ]))
        .expect("mappings");
        assert_eq!(host_id(&m, 0), Some(100000));
        assert_eq!(host_id(&m, 9), Some(100009));
        assert_eq!(host_id(&m, 10), Some(500));
        assert_eq!(host_id(&m, 11), None);
    }

    #[test]
    fn the_delegate_file_or_the_fallback_list() {
        let tmp = tempfile::tempdir().expect("tmp");
        let delegate = tmp.path().join("delegate");
        assert_eq!(
            delegated_files(&delegate).expect("fallback"),
            vec!["cgroup.procs", "cgroup.subtree_control", "cgroup.threads"]
        );
        fs::write(&delegate, "cgroup.procs\nmemory.oom.group\n\n").expect("write");
        assert_eq!(
            delegated_files(&delegate).expect("listed"),
            vec!["cgroup.procs", "memory.oom.group"]
        );
    }

    #[test]
    fn the_directory_and_the_present_delegated_files_change_owner() {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("not root: chown needs root");
            return;
        }
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("cg");
        fs::create_dir(&dir).expect("mkdir");
        for f in ["cgroup.procs", "cgroup.controllers"] {
            fs::write(dir.join(f), "").expect("write");
        }
        let files = vec!["cgroup.procs".to_string(), "memory.oom.group".to_string()];
        let uid = 4242;
        give(&dir, &files, uid).expect("a missing listed file is no error");
        let owner = |p: &Path| fs::metadata(p).expect("stat").uid();
        assert_eq!(owner(&dir), uid);
        assert_eq!(owner(&dir.join("cgroup.procs")), uid);
        assert_eq!(owner(&dir.join("cgroup.controllers")), 0, "not delegated");
        assert_eq!(owner(tmp.path()), 0, "the parent is not ours");
    }
}
