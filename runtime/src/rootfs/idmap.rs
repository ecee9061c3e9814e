//! ID-mapped mounts (config.md "Linux mount options" `idmap` and `ridmap`; "POSIX-platform
//! Mounts" `uidMappings`/`gidMappings`): the mount, once made at its destination, is replaced by
//! a clone of itself (`open_tree(OPEN_TREE_CLONE)`) that carries an ID mapping
//! (`mount_setattr(MOUNT_ATTR_IDMAP)`, only the top mount for `idmap`, every submount for
//! `ridmap`), moved back to the destination (`move_mount`).
//!
//! The mapping is the mount's own `uidMappings`/`gidMappings`, made into a user namespace of a
//! short-lived helper process; without them, the container's user namespace (the init's own);
//! without either, an error.

use std::fs;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::libc;
use nix::mount::{umount2, MntFlags};
use nix::sched::{unshare, CloneFlags};
use nix::sys::wait::waitpid;
use nix::unistd::{fork, pipe, ForkResult};
use oci_spec::runtime::{LinuxIdMapping, Mount};

use crate::error::{Error, Result};
use crate::mutation::{self, Flaw};

/// Which of the two ID-mapping options a mount has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idmap {
    /// `idmap`: the mount itself.
    Top,
    /// `ridmap`: the mount and every mount below it.
    Recursive,
}

impl Idmap {
    fn option(self) -> &'static str {
        match self {
            Idmap::Top => "idmap",
            Idmap::Recursive => "ridmap",
        }
    }
}

/// The mapping an ID-mapped mount gets.
#[derive(Debug, PartialEq, Eq)]
pub enum Mapping {
    /// The mount's own uidMappings and gidMappings, as `uid_map`/`gid_map` text.
    Own { uid_map: String, gid_map: String },
    /// The container's user namespace (the init's own).
    ContainerUserns,
}

/// The `uid_map`/`gid_map` text of a list of mappings: "containerID hostID size" lines.
fn map_text(list: &[LinuxIdMapping]) -> String {
    list.iter()
        .map(|m| format!("{} {} {}\n", m.container_id(), m.host_id(), m.size()))
        .collect()
}

/// The mapping of mount `m` with option `kind` (config.mounts.options.idmap.mount-mappings,
/// .userns-fallback, .no-userns.error and their ridmap twins). `userns`: whether the container
/// has a user namespace. `None`: no mapping after all (only under a mutation).
pub fn mapping(m: &Mount, kind: Idmap, userns: bool) -> Result<Option<Mapping>> {
    let uid = m.uid_mappings().clone().unwrap_or_default();
    let mut gid = m.gid_mappings().clone().unwrap_or_default();
    let dest = m.destination().display();
    let opt = kind.option();
    if !uid.is_empty() || !gid.is_empty() {
        if uid.is_empty() || gid.is_empty() {
            return Err(Error::msg(format!(
                "mount {dest}: {opt} needs both uidMappings and gidMappings"
            )));
        }
        let wrong_gids = match kind {
            Idmap::Top => mutation::active(Flaw::IdmapUidMappingsForGids),
            Idmap::Recursive => mutation::active(Flaw::RidmapUidMappingsForGids),
        };
        if wrong_gids {
            gid = uid.clone();
        }
        return Ok(Some(Mapping::Own {
            uid_map: map_text(&uid),
            gid_map: map_text(&gid),
        }));
    }
    if userns {
        let skip = match kind {
            Idmap::Top => mutation::active(Flaw::IgnoreIdmapUsernsFallback),
            Idmap::Recursive => mutation::active(Flaw::IgnoreRidmapUsernsFallback),
        };
        return Ok((!skip).then_some(Mapping::ContainerUserns));
    }
    let accept = match kind {
        Idmap::Top => mutation::active(Flaw::AcceptIdmapWithoutMappings),
        Idmap::Recursive => mutation::active(Flaw::AcceptRidmapWithoutMappings),
    };
    if accept {
        return Ok(None);
    }
    Err(Error::msg(format!(
        "mount {dest}: {opt} without uidMappings and gidMappings needs a user namespace to take the mapping from"
    )))
}

/// Replaces the mount at `dest` by an ID-mapped clone. `tree`: clone the mounts below it too
/// (an `rbind`), which keeps them; only `Idmap::Recursive` maps them.
pub fn apply(dest: &Path, kind: Idmap, mapping: &Mapping, tree: bool) -> Result<()> {
    let userns = match mapping {
        Mapping::Own { uid_map, gid_map } => helper_userns(uid_map, gid_map)?,
        Mapping::ContainerUserns => fs::File::open("/proc/self/ns/user")
            .map(OwnedFd::from)
            .map_err(|e| Error::io("cannot open /proc/self/ns/user", e))?,
    };
    let recursive = kind == Idmap::Recursive && !mutation::active(Flaw::RidmapNotRecursive);
    let clone = open_tree(dest, tree || recursive)?;
    set_idmap(&clone, &userns, recursive)
        .map_err(|e| Error::io(format!("{} on {}", kind.option(), dest.display()), e))?;
    umount2(dest, MntFlags::MNT_DETACH)
        .map_err(|e| Error::sys(format!("cannot detach {}", dest.display()), e))?;
    move_mount(&clone, dest)
}

/// For a container with a new user namespace, made while the caller is still root of the
/// host's user namespace (the container's root may not ID-map a filesystem of the host): each
/// ID-mapped bind mount of `mounts` as a detached tree, by its index in `mounts`, for the init
/// to attach with [`attach`]. `container`: the container's `uid_map` and `gid_map` text, for
/// mounts without mappings of their own.
pub fn prepare_binds(
    mounts: &[Mount],
    bundle: &Path,
    container: (&str, &str),
) -> Result<Vec<(usize, OwnedFd)>> {
    let mut out = Vec::new();
    for (i, m) in mounts.iter().enumerate() {
        let o = super::parse_options(&m.options().clone().unwrap_or_default())
            .map_err(|e| Error::msg(format!("mount {}: {e}", m.destination().display())))?;
        let Some(kind) = o.idmap else { continue };
        if !(o.bind || m.typ().as_deref() == Some("bind")) {
            continue;
        }
        let (uid_map, gid_map) = match mapping(m, kind, true)? {
            None => continue,
            Some(Mapping::Own { uid_map, gid_map }) => (uid_map, gid_map),
            Some(Mapping::ContainerUserns) => (container.0.to_string(), container.1.to_string()),
        };
        let Some(source) = m.source().as_ref().map(|s| bundle.join(s)) else {
            continue;
        };
        let userns = helper_userns(&uid_map, &gid_map)?;
        let recursive = kind == Idmap::Recursive;
        let tree = open_tree(&source, o.recursive_bind || recursive)?;
        set_idmap(&tree, &userns, recursive).map_err(|e| {
            Error::io(
                format!("{} on {}", kind.option(), m.destination().display()),
                e,
            )
        })?;
        out.push((i, tree));
    }
    Ok(out)
}

/// Attaches a tree of [`prepare_binds`] at `dest`.
pub fn attach(tree: &OwnedFd, dest: &Path) -> Result<()> {
    move_mount(tree, dest)
}

/// The `uid_map`/`gid_map` text of the container's own mappings.
pub fn container_maps(spec: &oci_spec::runtime::Spec) -> (String, String) {
    let linux = spec.linux().clone().unwrap_or_default();
    (
        map_text(&linux.uid_mappings().clone().unwrap_or_default()),
        map_text(&linux.gid_mappings().clone().unwrap_or_default()),
    )
}

/// A path as a C string.
fn c_path(p: &Path) -> Result<std::ffi::CString> {
    std::ffi::CString::new(p.as_os_str().as_bytes())
        .map_err(|_| Error::msg(format!("{} holds a NUL byte", p.display())))
}

/// A detached copy of the mount at `path` (with `recursive`, of its whole tree).
fn open_tree(path: &Path, recursive: bool) -> Result<OwnedFd> {
    let c = c_path(path)?;
    let mut flags = libc::OPEN_TREE_CLONE | libc::OPEN_TREE_CLOEXEC;
    if recursive {
        flags |= libc::AT_RECURSIVE as libc::c_uint;
    }
    // SAFETY: a valid NUL-terminated path; the kernel returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_open_tree, libc::AT_FDCWD, c.as_ptr(), flags) };
    if fd < 0 {
        return Err(Error::io(
            format!("open_tree {}", path.display()),
            std::io::Error::last_os_error(),
        ));
    }
    let fd = i32::try_from(fd).map_err(|_| Error::msg("open_tree: descriptor out of range"))?;
    // SAFETY: a descriptor the kernel just opened for us, owned by nothing else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// mount_setattr(MOUNT_ATTR_IDMAP) with the user namespace `userns` on the detached `tree`.
fn set_idmap(tree: &OwnedFd, userns: &OwnedFd, recursive: bool) -> std::io::Result<()> {
    let attr = libc::mount_attr {
        attr_set: libc::MOUNT_ATTR_IDMAP,
        attr_clr: 0,
        propagation: 0,
        userns_fd: u64::try_from(userns.as_raw_fd()).unwrap_or(u64::MAX),
    };
    let mut flags = libc::AT_EMPTY_PATH;
    if recursive {
        flags |= libc::AT_RECURSIVE;
    }
    // SAFETY: a live descriptor, an empty NUL-terminated path, and a mount_attr of the size
    // passed.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            tree.as_raw_fd(),
            c"".as_ptr(),
            flags,
            &attr as *const libc::mount_attr,
            std::mem::size_of::<libc::mount_attr>(),
        )
    };
    if rc < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Attaches the detached `tree` at `dest`.
fn move_mount(tree: &OwnedFd, dest: &Path) -> Result<()> {
    let c = c_path(dest)?;
    // SAFETY: a live descriptor, an empty path, and a valid NUL-terminated target path.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            tree.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_FDCWD,
            c.as_ptr(),
            libc::MOVE_MOUNT_F_EMPTY_PATH,
        )
    };
    if rc < 0 {
        return Err(Error::io(
            format!("move_mount to {}", dest.display()),
            std::io::Error::last_os_error(),
        ));
    }
    Ok(())
}

/// A user namespace with these maps: a helper child makes it, this process writes its maps
/// (as the runtime writes the container's) and keeps it open; the child then exits.
fn helper_userns(uid_map: &str, gid_map: &str) -> Result<OwnedFd> {
    let (ready_r, ready_w) = pipe().map_err(|e| Error::sys("pipe", e))?;
    let (done_r, done_w) = pipe().map_err(|e| Error::sys("pipe", e))?;
    // SAFETY: the caller is single-threaded; the child only unshares, writes its pid, reads
    // until its pipe closes and leaves by _exit.
    match unsafe { fork() }.map_err(|e| Error::sys("fork", e))? {
        ForkResult::Child => {
            drop(ready_r);
            drop(done_w);
            // Its pid as the parent's /proc shows it: until pivot_root that is the host's,
            // which numbers processes of the container's pid namespace otherwise.
            let pid = fs::read_link("/proc/self")
                .map(|p| p.as_os_str().as_bytes().to_vec())
                .unwrap_or_default();
            let mut ready = fs::File::from(ready_w);
            let ok = unshare(CloneFlags::CLONE_NEWUSER).is_ok() && ready.write_all(&pid).is_ok();
            // Closed whatever happened: the parent reads to the end.
            drop(ready);
            let mut byte = [0u8; 1];
            let _ = fs::File::from(done_r).read(&mut byte);
            // SAFETY: _exit ends this child only.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) }
        }
        ForkResult::Parent { child } => {
            drop(ready_w);
            drop(done_r);
            let r = (|| -> Result<OwnedFd> {
                let mut pid = String::new();
                fs::File::from(ready_r)
                    .read_to_string(&mut pid)
                    .map_err(|e| Error::io("helper user namespace", e))?;
                if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(Error::msg(format!(
                        "cannot make a user namespace for an idmap mount (helper {child} said {pid:?})"
                    )));
                }
                let proc = format!("/proc/{pid}");
                for (file, text) in [("uid_map", uid_map), ("gid_map", gid_map)] {
                    fs::write(format!("{proc}/{file}"), text)
                        .map_err(|e| Error::io(format!("mount {file} {:?}", text.trim_end()), e))?;
                }
                fs::File::open(format!("{proc}/ns/user"))
                    .map(OwnedFd::from)
                    .map_err(|e| Error::io(format!("cannot open {proc}/ns/user"), e))
            })();
            drop(done_w);
            let _ = waitpid(child, None);
            r
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mount(extra: serde_json::Value) -> Mount {
        let mut v = serde_json::json!({"destination": "/m", "type": "tmpfs", "source": "tmpfs"});
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        serde_json::from_value(v).expect("mount")
    }

    #[test]
    fn own_mappings_come_first_then_the_container_user_namespace() {
        let m = mount(serde_json::json!({
            "uidMappings": [{"containerID": 0, "hostID": 1234, "size": 1}, {"containerID": 5, "hostID": 2000, "size": 10}],
            "gidMappings": [{"containerID": 0, "hostID": 4321, "size": 1}],
        }));
        let want = Mapping::Own {
            uid_map: "0 1234 1\n5 2000 10\n".into(),
            gid_map: "0 4321 1\n".into(),
        };
        assert_eq!(mapping(&m, Idmap::Top, true).expect("mapping"), Some(want));
        let bare = mount(serde_json::json!({}));
        assert_eq!(
            mapping(&bare, Idmap::Top, true).expect("mapping"),
            Some(Mapping::ContainerUserns)
        );
    }

    #[test]
    fn without_mappings_or_user_namespace_it_is_an_error() {
        let bare = mount(serde_json::json!({}));
        let e = mapping(&bare, Idmap::Recursive, false).expect_err("no mapping");
        assert!(e.to_string().contains("ridmap"), "{e}");
        let half = mount(serde_json::json!({
            "uidMappings": [{"containerID": 0, "hostID": 1234, "size": 1}],
        }));
        assert!(mapping(&half, Idmap::Top, true).is_err());
    }
}
