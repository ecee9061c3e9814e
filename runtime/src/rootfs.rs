//! The container's filesystem (config.md "Root", "Mounts"; config-linux.md "Devices",
//! "Default Devices", "Rootfs Mount Propagation", "Masked/Readonly Paths"), built inside the
//! container's mount namespace by the init process.

use std::fs;
use std::os::unix::fs::{symlink, DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sys::stat::{makedev, mknod, Mode, SFlag};
use nix::unistd::{chdir, chown, pivot_root, Gid, Uid};
use oci_spec::runtime::{LinuxDevice, LinuxDeviceType, Mount, Spec};

use crate::error::{Error, Result};

/// What one `options` list of a mount means to mount(2).
#[derive(Debug, PartialEq, Eq)]
pub struct MountOptions {
    pub flags: MsFlags,
    /// Flags the options turned off (`rw`, `suid`...): used to compute remount flags.
    pub cleared: MsFlags,
    /// Propagation changes, applied in order after the mount.
    pub propagation: Vec<MsFlags>,
    /// Options not known as flags: passed to the filesystem as data
    /// (config.mounts.options.unknown.fs-data).
    pub data: Vec<String>,
    pub bind: bool,
    pub recursive_bind: bool,
}

/// Reads a mount's options (config.mounts.options.linux.table: the flags of mount(8)).
pub fn parse_options(options: &[String]) -> Result<MountOptions> {
    let mut o = MountOptions {
        flags: MsFlags::empty(),
        cleared: MsFlags::empty(),
        propagation: Vec::new(),
        data: Vec::new(),
        bind: false,
        recursive_bind: false,
    };
    for opt in options {
        let set = |o: &mut MountOptions, f: MsFlags| {
            o.flags.insert(f);
            o.cleared.remove(f);
        };
        let clear = |o: &mut MountOptions, f: MsFlags| {
            o.flags.remove(f);
            o.cleared.insert(f);
        };
        match opt.as_str() {
            "defaults" => {}
            "ro" => set(&mut o, MsFlags::MS_RDONLY),
            "rw" => clear(&mut o, MsFlags::MS_RDONLY),
            "nosuid" => set(&mut o, MsFlags::MS_NOSUID),
            "suid" => clear(&mut o, MsFlags::MS_NOSUID),
            "nodev" => set(&mut o, MsFlags::MS_NODEV),
            "dev" => clear(&mut o, MsFlags::MS_NODEV),
            "noexec" => set(&mut o, MsFlags::MS_NOEXEC),
            "exec" => clear(&mut o, MsFlags::MS_NOEXEC),
            "sync" => set(&mut o, MsFlags::MS_SYNCHRONOUS),
            "async" => clear(&mut o, MsFlags::MS_SYNCHRONOUS),
            "dirsync" => set(&mut o, MsFlags::MS_DIRSYNC),
            "remount" => set(&mut o, MsFlags::MS_REMOUNT),
            "mand" => set(&mut o, MsFlags::MS_MANDLOCK),
            "nomand" => clear(&mut o, MsFlags::MS_MANDLOCK),
            "atime" => clear(&mut o, MsFlags::MS_NOATIME),
            "noatime" => set(&mut o, MsFlags::MS_NOATIME),
            "diratime" => clear(&mut o, MsFlags::MS_NODIRATIME),
            "nodiratime" => set(&mut o, MsFlags::MS_NODIRATIME),
            "relatime" => set(&mut o, MsFlags::MS_RELATIME),
            "norelatime" => clear(&mut o, MsFlags::MS_RELATIME),
            "strictatime" => set(&mut o, MsFlags::MS_STRICTATIME),
            "nostrictatime" => clear(&mut o, MsFlags::MS_STRICTATIME),
            "lazytime" => set(&mut o, MsFlags::MS_LAZYTIME),
            "nolazytime" => clear(&mut o, MsFlags::MS_LAZYTIME),
            "silent" => set(&mut o, MsFlags::MS_SILENT),
            "loud" => clear(&mut o, MsFlags::MS_SILENT),
            "iversion" => set(&mut o, MsFlags::MS_I_VERSION),
            "noiversion" => clear(&mut o, MsFlags::MS_I_VERSION),
            "nosymfollow" => set(&mut o, NOSYMFOLLOW),
            "symfollow" => clear(&mut o, NOSYMFOLLOW),
            "bind" => o.bind = true,
            "rbind" => {
                o.bind = true;
                o.recursive_bind = true;
            }
            "private" => o.propagation.push(MsFlags::MS_PRIVATE),
            "rprivate" => o.propagation.push(MsFlags::MS_PRIVATE | MsFlags::MS_REC),
            "shared" => o.propagation.push(MsFlags::MS_SHARED),
            "rshared" => o.propagation.push(MsFlags::MS_SHARED | MsFlags::MS_REC),
            "slave" => o.propagation.push(MsFlags::MS_SLAVE),
            "rslave" => o.propagation.push(MsFlags::MS_SLAVE | MsFlags::MS_REC),
            "unbindable" => o.propagation.push(MsFlags::MS_UNBINDABLE),
            "runbindable" => o.propagation.push(MsFlags::MS_UNBINDABLE | MsFlags::MS_REC),
            // A runc extension the spec lists: nothing to copy up into a fresh tmpfs here.
            "tmpcopyup" => {}
            "idmap" | "ridmap" => {
                return Err(Error::msg(format!(
                    "mount option {opt:?}: ID-mapped mounts are not supported by this runtime"
                )))
            }
            r if r.starts_with('r') && RECURSIVE_ATTRS.contains(&&r[1..]) => {
                return Err(Error::msg(format!(
                    "mount option {opt:?}: recursive mount attributes are not supported by this runtime"
                )))
            }
            other => o.data.push(other.to_string()),
        }
    }
    Ok(o)
}

const RECURSIVE_ATTRS: &[&str] = &[
    "ro",
    "rw",
    "nosuid",
    "suid",
    "nodev",
    "dev",
    "noexec",
    "exec",
    "atime",
    "noatime",
    "diratime",
    "nodiratime",
    "relatime",
    "norelatime",
    "strictatime",
    "nostrictatime",
    "nosymfollow",
    "symfollow",
];

/// MS_NOSYMFOLLOW (Linux 5.10): libc has it, nix's MsFlags does not name it.
const NOSYMFOLLOW: MsFlags = MsFlags::from_bits_retain(nix::libc::MS_NOSYMFOLLOW);

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
                if links > 255 {
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

fn mkdir_all(path: &Path) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(path)
        .map_err(|e| Error::io(format!("cannot create {}", path.display()), e))
}

fn touch(path: &Path) -> Result<()> {
    if let Some(parent) = path.parent() {
        mkdir_all(parent)?;
    }
    fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o644)
        .open(path)
        .map(drop)
        .map_err(|e| Error::io(format!("cannot create {}", path.display()), e))
}

fn do_mount(
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
fn locked_flags(path: &Path) -> MsFlags {
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

/// The host's cgroup layout, for `cgroup` mounts.
fn mount_cgroup(dest: &Path, o: &MountOptions, cgroupns: bool) -> Result<()> {
    let layout = crate::cgroups::Cgroup::host_layout()
        .map_err(Error::cgroup("cannot read the host's cgroup layout"))?;
    let flags = o.flags.difference(MsFlags::MS_RDONLY);
    if layout.unified_only {
        return do_mount(
            Some(Path::new("cgroup2")),
            dest,
            Some("cgroup2"),
            o.flags,
            None,
        );
    }
    // v1 or hybrid: a tmpfs holding one mount per hierarchy, as runc builds it.
    do_mount(
        Some(Path::new("tmpfs")),
        dest,
        Some("tmpfs"),
        flags,
        Some("mode=755"),
    )?;
    for h in &layout.v1 {
        let name = h
            .mountpoint
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| h.controllers.clone());
        let sub = dest.join(&name);
        let fresh = ("cgroup", Some(h.controllers.as_str()));
        mount_hierarchy(&sub, cgroupns, fresh, &h.mountpoint, flags, o)?;
        // Comounted controllers get symlinks: cpu -> cpu,cpuacct.
        if name.contains(',') {
            for c in name.split(',') {
                let link = dest.join(c);
                if !link.exists() {
                    let _ = symlink(&name, &link);
                }
            }
        }
    }
    if let Some(v2) = &layout.v2 {
        mount_hierarchy(
            &dest.join("unified"),
            cgroupns,
            ("cgroup2", None),
            v2,
            flags,
            o,
        )?;
    }
    if o.flags.contains(MsFlags::MS_RDONLY) {
        do_mount(
            None,
            dest,
            None,
            MsFlags::MS_REMOUNT | flags | MsFlags::MS_RDONLY,
            Some("mode=755"),
        )?;
    }
    Ok(())
}

/// One hierarchy under the container's cgroup mount: in a cgroup namespace a fresh mount
/// (`fresh`: type and options), which shows the container's cgroup as its root; otherwise a
/// bind of the host's. Read-only when the mount asks for it.
fn mount_hierarchy(
    sub: &Path,
    cgroupns: bool,
    fresh: (&str, Option<&str>),
    host: &Path,
    flags: MsFlags,
    o: &MountOptions,
) -> Result<()> {
    mkdir_all(sub)?;
    if cgroupns {
        let (fstype, data) = fresh;
        do_mount(Some(Path::new(fstype)), sub, Some(fstype), flags, data)?;
    } else {
        do_mount(
            Some(host),
            sub,
            None,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None,
        )?;
    }
    if o.flags.contains(MsFlags::MS_RDONLY) {
        let keep = locked_flags(sub);
        do_mount(
            None,
            sub,
            None,
            MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | keep,
            None,
        )?;
    }
    Ok(())
}

/// One entry of `mounts`, at its destination under `rootfs` (config.mounts.order: called in
/// config order).
pub fn mount_one(rootfs: &Path, bundle: &Path, m: &Mount, cgroupns: bool) -> Result<()> {
    let options = m.options().clone().unwrap_or_default();
    let o = parse_options(&options)
        .map_err(|e| Error::msg(format!("mount {}: {e}", m.destination().display())))?;
    let dest = secure_join(rootfs, m.destination())?;
    let fstype = m.typ().as_deref().filter(|t| !t.is_empty());
    let is_bind = o.bind || fstype == Some("bind");
    let data = (!o.data.is_empty()).then(|| o.data.join(","));
    if is_bind {
        // config.mounts: a bind source is absolute or relative to the bundle.
        let source = m
            .source()
            .as_ref()
            .map(|s| {
                if s.is_absolute() {
                    s.clone()
                } else {
                    bundle.join(s)
                }
            })
            .ok_or_else(|| {
                Error::msg(format!(
                    "bind mount {} has no source",
                    m.destination().display()
                ))
            })?;
        let meta = fs::metadata(&source)
            .map_err(|e| Error::io(format!("bind mount source {}", source.display()), e))?;
        if meta.is_dir() {
            mkdir_all(&dest)?;
        } else if !dest.exists() {
            touch(&dest)?;
        }
        let mut flags = MsFlags::MS_BIND;
        if o.recursive_bind {
            flags |= MsFlags::MS_REC;
        }
        do_mount(Some(&source), &dest, None, flags, None)?;
        // Bind mounts take their flags only on a remount.
        let wanted = o.flags.difference(MsFlags::MS_REMOUNT);
        if !wanted.is_empty() {
            let keep = locked_flags(&dest).difference(o.cleared);
            do_mount(
                None,
                &dest,
                None,
                MsFlags::MS_BIND | MsFlags::MS_REMOUNT | wanted | keep,
                None,
            )?;
        }
    } else if fstype == Some("cgroup") {
        mkdir_all(&dest)?;
        mount_cgroup(&dest, &o, cgroupns)?;
    } else {
        mkdir_all(&dest)?;
        let source = m.source().clone().unwrap_or_else(|| PathBuf::from("none"));
        do_mount(Some(&source), &dest, fstype, o.flags, data.as_deref())?;
    }
    for p in &o.propagation {
        do_mount(None, &dest, None, *p, None)?;
    }
    Ok(())
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

/// The default devices every Linux container gets (config-linux "Default Devices").
const DEFAULT_DEVICES: &[(&str, u64, u64)] = &[
    ("null", 1, 3),
    ("zero", 1, 5),
    ("full", 1, 7),
    ("random", 1, 8),
    ("urandom", 1, 9),
    ("tty", 5, 0),
];

/// A device node to create.
struct Node<'a> {
    path: &'a Path,
    kind: SFlag,
    major: u64,
    minor: u64,
    mode: u32,
    owner: (u32, u32),
}

/// Creates a device node; in a user namespace, where mknod is refused, binds the host's.
fn make_device(rootfs: &Path, n: &Node, userns: bool) -> Result<()> {
    let dest = secure_join(rootfs, n.path)?;
    if let Some(parent) = dest.parent() {
        mkdir_all(parent)?;
    }
    let _ = fs::remove_file(&dest);
    if userns {
        touch(&dest)?;
        return do_mount(Some(n.path), &dest, None, MsFlags::MS_BIND, None);
    }
    mknod(
        &dest,
        n.kind,
        Mode::from_bits_truncate(n.mode & 0o7777),
        makedev(n.major, n.minor),
    )
    .map_err(|e| Error::sys(format!("cannot create device {}", n.path.display()), e))?;
    // mknod honours the umask: set the mode the config asked for exactly.
    fs::set_permissions(&dest, fs::Permissions::from_mode(n.mode & 0o7777))
        .map_err(|e| Error::io(format!("cannot chmod {}", dest.display()), e))?;
    chown(
        &dest,
        Some(Uid::from_raw(n.owner.0)),
        Some(Gid::from_raw(n.owner.1)),
    )
    .map_err(|e| Error::sys(format!("cannot chown {}", dest.display()), e))
}

/// Default devices, the /dev symlinks and the config's extra devices.
pub fn create_devices(rootfs: &Path, devices: &[LinuxDevice], userns: bool) -> Result<()> {
    // config-linux "Default Devices": /dev/null, zero, full, random, urandom, tty, console
    // (with a terminal, see console.rs) and /dev/ptmx.
    for (name, major, minor) in DEFAULT_DEVICES {
        let path = Path::new("/dev").join(name);
        if devices.iter().any(|d| d.path() == &path) {
            continue;
        }
        let node = Node {
            path: &path,
            kind: SFlag::S_IFCHR,
            major: *major,
            minor: *minor,
            mode: 0o666,
            owner: (0, 0),
        };
        make_device(rootfs, &node, userns)?;
    }
    // config-linux.devices: each listed device is created with its type, numbers, mode
    // and owner.
    for d in devices {
        let kind = match d.typ() {
            LinuxDeviceType::C | LinuxDeviceType::U => SFlag::S_IFCHR,
            LinuxDeviceType::B => SFlag::S_IFBLK,
            LinuxDeviceType::P => SFlag::S_IFIFO,
            LinuxDeviceType::A => {
                return Err(Error::msg(format!(
                    "device {}: type \"a\" is not a device node type",
                    d.path().display()
                )))
            }
        };
        let node = Node {
            path: d.path(),
            kind,
            major: d.major() as u64,
            minor: d.minor() as u64,
            mode: d.file_mode().unwrap_or(0o666),
            owner: (d.uid().unwrap_or(0), d.gid().unwrap_or(0)),
        };
        make_device(rootfs, &node, userns && kind != SFlag::S_IFIFO)?;
    }
    // runtime.linux.dev-symlinks: /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr.
    let dev = secure_join(rootfs, Path::new("/dev"))?;
    for (link, target) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        let path = dev.join(link);
        if fs::symlink_metadata(&path).is_err() {
            symlink(target, &path)
                .map_err(|e| Error::io(format!("cannot create {}", path.display()), e))?;
        }
    }
    // /dev/ptmx points at the container's own devpts instance.
    let ptmx = dev.join("ptmx");
    if dev.join("pts").is_dir() {
        let _ = fs::remove_file(&ptmx);
        symlink("pts/ptmx", &ptmx)
            .map_err(|e| Error::io(format!("cannot create {}", ptmx.display()), e))?;
    }
    Ok(())
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

    #[test]
    fn options_map_to_flags_propagation_and_data() {
        let o = parse_options(&[
            "nosuid".into(),
            "ro".into(),
            "rbind".into(),
            "rslave".into(),
            "mode=755".into(),
            "size=1k".into(),
        ])
        .unwrap();
        assert!(o.flags.contains(MsFlags::MS_NOSUID | MsFlags::MS_RDONLY));
        assert!(o.bind && o.recursive_bind);
        assert_eq!(o.propagation, vec![MsFlags::MS_SLAVE | MsFlags::MS_REC]);
        assert_eq!(o.data, vec!["mode=755", "size=1k"]);
        let o = parse_options(&["ro".into(), "rw".into()]).unwrap();
        assert!(!o.flags.contains(MsFlags::MS_RDONLY));
        assert!(o.cleared.contains(MsFlags::MS_RDONLY));
        assert!(parse_options(&["rro".into()]).is_err());
        assert!(parse_options(&["idmap".into()]).is_err());
    }

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
