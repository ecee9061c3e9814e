//! The container's filesystem (config.md "Root", "Mounts"; config-linux.md "Devices",
//! "Default Devices", "Rootfs Mount Propagation", "Masked/Readonly Paths"), built inside the
//! container's mount namespace by the init process.
//!
//! `options.rs` reads mount options, `attrs.rs` applies the recursive ones, `mounts.rs`
//! performs the `mounts` entries, `devices.rs` creates the device nodes; this module holds the
//! root itself (bind, pivot, propagation, masked and read-only paths) and the helpers they
//! share.

mod attrs;
mod devices;
mod idmap;
mod mounts;
mod options;

use std::fs;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::unistd::{chdir, pivot_root};
use oci_spec::runtime::Spec;

use crate::error::{Error, Result};

pub use devices::create_devices;
pub use idmap::{container_maps, prepare_binds as prepare_idmapped_binds};
pub use mounts::mount_one;
pub use options::{parse_options, MountOptions};

/// How many symbolic links `secure_join` follows before giving up (a loop).
const MAX_SYMLINKS: u32 = 255;
/// The mode of directories made for mount points.
const DIR_MODE: u32 = 0o755;
/// The mode of files made for mount points.
const FILE_MODE: u32 = 0o644;

/// `path` inside `root`, following symlinks as if `root` were `/`, so no mount destination
/// can escape the container's root filesystem.
pub fn secure_join(root: &Path, path: &Path) -> Result<PathBuf> {
    let mut parts: Vec<std::ffi::OsString> = Vec::new();
    fn parts_of(p: &Path) -> Vec<std::ffi::OsString> {
        p.components()
            .filter_map(|c| match c {
                Component::Normal(n) => Some(n.to_os_string()),
                Component::ParentDir => Some("..".into()),
                _ => None,
            })
            .collect()
    }
    // A stack: the next component to resolve is last.
    let mut pending: Vec<std::ffi::OsString> = parts_of(path).into_iter().rev().collect();
    let mut links = 0;
    while let Some(part) = pending.pop() {
        if part == ".." {
            parts.pop();
            continue;
        }
        let mut candidate = root.to_path_buf();
        candidate.extend(&parts);
        candidate.push(&part);
        match fs::read_link(&candidate) {
            Ok(target) => {
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(Error::msg(format!(
                        "too many symbolic links under {}",
                        path.display()
                    )));
                }
                if target.is_absolute() {
                    parts.clear();
                }
                pending.extend(parts_of(&target).into_iter().rev());
            }
            Err(_) => parts.push(part),
        }
    }
    let mut out = root.to_path_buf();
    out.extend(&parts);
    Ok(out)
}

pub(super) fn mkdir_all(path: &Path) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(path)
        .map_err(|e| Error::io(format!("cannot create {}", path.display()), e))
}

pub(super) fn touch(path: &Path) -> Result<()> {
    if let Some(parent) = path.parent() {
        mkdir_all(parent)?;
    }
    fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(FILE_MODE)
        .open(path)
        .map(drop)
        .map_err(|e| Error::io(format!("cannot create {}", path.display()), e))
}

pub(super) fn do_mount(
    source: Option<&Path>,
    target: &Path,
    fstype: Option<&str>,
    flags: MsFlags,
    data: Option<&str>,
) -> Result<()> {
    mount(source, target, fstype, flags, data).map_err(|e| {
        Error::sys(
            format!(
                "cannot mount {} on {} (type {}, flags {flags:?}{})",
                source.map(|s| s.display().to_string()).unwrap_or_default(),
                target.display(),
                fstype.unwrap_or("none"),
                data.map(|d| format!(", data {d:?}")).unwrap_or_default()
            ),
            e,
        )
    })
}

/// Flags of the mount at `path` that a bind remount must keep (a user namespace locks them).
pub(super) fn locked_flags(path: &Path) -> MsFlags {
    use nix::sys::statvfs::{statvfs, FsFlags};
    let mut keep = MsFlags::empty();
    if let Ok(st) = statvfs(path) {
        let f = st.flags();
        for (fs_flag, ms) in [
            (FsFlags::ST_NOSUID, MsFlags::MS_NOSUID),
            (FsFlags::ST_NODEV, MsFlags::MS_NODEV),
            (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
            (FsFlags::ST_RDONLY, MsFlags::MS_RDONLY),
            (FsFlags::ST_NOATIME, MsFlags::MS_NOATIME),
            (FsFlags::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
            (FsFlags::ST_RELATIME, MsFlags::MS_RELATIME),
        ] {
            if f.contains(fs_flag) {
                keep.insert(ms);
            }
        }
    }
    keep
}

/// Prepares `/` of the mount namespace and binds the rootfs onto itself, so it can be
/// pivoted into.
pub fn prepare_root(rootfs: &Path) -> Result<()> {
    // Keep the host from seeing our mounts while still receiving its own.
    do_mount(
        None,
        Path::new("/"),
        None,
        MsFlags::MS_SLAVE | MsFlags::MS_REC,
        None,
    )?;
    do_mount(
        Some(rootfs),
        rootfs,
        None,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None,
    )
}

/// Moves into the rootfs (pivot_root, then detaching the old root).
pub fn pivot(rootfs: &Path) -> Result<()> {
    chdir(rootfs).map_err(|e| Error::sys(format!("cannot enter {}", rootfs.display()), e))?;
    pivot_root(".", ".").map_err(|e| Error::sys("pivot_root", e))?;
    umount2(".", MntFlags::MNT_DETACH).map_err(|e| Error::sys("cannot detach the old root", e))?;
    chdir("/").map_err(|e| Error::sys("chdir /", e))
}

/// Sets the propagation of the new `/` (config-linux rootfsPropagation).
pub fn root_propagation(spec: &Spec) -> Result<()> {
    let Some(p) = spec
        .linux()
        .as_ref()
        .and_then(|l| l.rootfs_propagation().clone())
    else {
        return Ok(());
    };
    let flags = match p.as_str() {
        "shared" => MsFlags::MS_SHARED,
        "rshared" => MsFlags::MS_SHARED | MsFlags::MS_REC,
        "slave" => MsFlags::MS_SLAVE,
        "rslave" => MsFlags::MS_SLAVE | MsFlags::MS_REC,
        "private" => MsFlags::MS_PRIVATE,
        "rprivate" => MsFlags::MS_PRIVATE | MsFlags::MS_REC,
        "unbindable" => MsFlags::MS_UNBINDABLE,
        "runbindable" => MsFlags::MS_UNBINDABLE | MsFlags::MS_REC,
        other => {
            return Err(Error::msg(format!(
                "linux.rootfsPropagation {other:?} is not a propagation mode"
            )))
        }
    };
    do_mount(None, Path::new("/"), None, flags, None)
}

/// config-linux maskedPaths: made inaccessible (a directory gets an empty read-only tmpfs,
/// anything else /dev/null bound over it).
pub fn mask_paths(paths: &[String]) -> Result<()> {
    for p in paths {
        let path = Path::new(p);
        match fs::metadata(path) {
            Err(_) => continue,
            Ok(m) if m.is_dir() => do_mount(
                Some(Path::new("tmpfs")),
                path,
                Some("tmpfs"),
                MsFlags::MS_RDONLY,
                Some("size=0"),
            )?,
            Ok(_) => do_mount(
                Some(Path::new("/dev/null")),
                path,
                None,
                MsFlags::MS_BIND,
                None,
            )?,
        }
    }
    Ok(())
}

/// config-linux readonlyPaths: made read-only inside the container.
pub fn readonly_paths(paths: &[String]) -> Result<()> {
    for p in paths {
        let path = Path::new(p);
        if fs::symlink_metadata(path).is_err() {
            continue;
        }
        do_mount(
            Some(path),
            path,
            None,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None,
        )?;
        let keep = locked_flags(path);
        do_mount(
            None,
            path,
            None,
            MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | MsFlags::MS_REC | keep,
            None,
        )?;
    }
    Ok(())
}

/// config.root.readonly: the root filesystem is read-only for the container.
pub fn readonly_root() -> Result<()> {
    let keep = locked_flags(Path::new("/"));
    do_mount(
        None,
        Path::new("/"),
        None,
        MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | keep,
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn secure_join_stays_inside_the_root() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        fs::create_dir_all(root.join("a/b")).unwrap();
        symlink("/etc", root.join("a/abs")).unwrap();
        symlink("../../../..", root.join("a/up")).unwrap();
        assert_eq!(
            secure_join(root, Path::new("/a/b/c")).unwrap(),
            root.join("a/b/c")
        );
        assert_eq!(
            secure_join(root, Path::new("/a/abs/x")).unwrap(),
            root.join("etc/x")
        );
        assert_eq!(
            secure_join(root, Path::new("/a/up/x")).unwrap(),
            root.join("x")
        );
        assert_eq!(
            secure_join(root, Path::new("../../x")).unwrap(),
            root.join("x")
        );
        symlink("loop", root.join("loop")).unwrap();
        assert!(secure_join(root, Path::new("/loop/x")).is_err());
    }
}
