//! Device nodes in the container's /dev (config-linux.md "Devices", "Default Devices") and
//! the /dev symlinks.

use std::fs;
use std::os::unix::fs::{symlink, FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;

use nix::mount::MsFlags;
use nix::sys::stat::{makedev, mknod, Mode, SFlag};
use nix::unistd::{chown, Gid, Uid};
use oci_spec::runtime::{LinuxDevice, LinuxDeviceType};

use super::{do_mount, mkdir_all, secure_join, touch};
use crate::error::{Error, Result};
use crate::mutation::{self, Flaw};

/// The permission bits of a mode (file type bits excluded).
const PERMISSION_BITS: u32 = 0o7777;
/// The mode of device nodes the config gives none for (and of the default devices).
const DEFAULT_DEVICE_MODE: u32 = 0o666;

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
        Mode::from_bits_truncate(n.mode & PERMISSION_BITS),
        makedev(n.major, n.minor),
    )
    .map_err(|e| Error::sys(format!("cannot create device {}", n.path.display()), e))?;
    // mknod honours the umask: set the mode the config asked for exactly.
    fs::set_permissions(&dest, fs::Permissions::from_mode(n.mode & PERMISSION_BITS))
        .map_err(|e| Error::io(format!("cannot chmod {}", dest.display()), e))?;
    chown(
        &dest,
        Some(Uid::from_raw(n.owner.0)),
        Some(Gid::from_raw(n.owner.1)),
    )
    .map_err(|e| Error::sys(format!("cannot chown {}", dest.display()), e))
}

/// linux.devices.path.conflict.error: a file already at the device's path must be that device
/// (its type and, for a device node, its number); anything else is an error, not replaced.
fn refuse_conflict(rootfs: &Path, n: &Node) -> Result<()> {
    let dest = secure_join(rootfs, n.path)?;
    let Ok(meta) = fs::symlink_metadata(&dest) else {
        return Ok(());
    };
    let ft = meta.file_type();
    let same = match n.kind {
        SFlag::S_IFCHR => ft.is_char_device() && meta.rdev() == makedev(n.major, n.minor),
        SFlag::S_IFBLK => ft.is_block_device() && meta.rdev() == makedev(n.major, n.minor),
        SFlag::S_IFIFO => ft.is_fifo(),
        _ => false,
    };
    if same || mutation::active(Flaw::ReplaceConflictingDeviceFile) {
        return Ok(());
    }
    Err(Error::msg(format!(
        "device {}: a file that is not this device is already there",
        n.path.display()
    )))
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
        let minor = if *name == "zero" && mutation::active(Flaw::DevZeroIsNull) {
            3
        } else {
            *minor
        };
        let node = Node {
            path: &path,
            kind: SFlag::S_IFCHR,
            major: *major,
            minor,
            mode: DEFAULT_DEVICE_MODE,
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
            mode: d.file_mode().unwrap_or(DEFAULT_DEVICE_MODE),
            owner: (d.uid().unwrap_or(0), d.gid().unwrap_or(0)),
        };
        let node = if mutation::active(Flaw::IgnoreDeviceModeOwner) {
            Node {
                mode: DEFAULT_DEVICE_MODE,
                owner: (0, 0),
                ..node
            }
        } else {
            node
        };
        refuse_conflict(rootfs, &node)?;
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
        if link == "fd" && mutation::active(Flaw::SkipDevFdSymlink) {
            continue;
        }
        if fs::symlink_metadata(&path).is_err() {
            symlink(target, &path)
                .map_err(|e| Error::io(format!("cannot create {}", path.display()), e))?;
        }
    }
    // /dev/ptmx points at the container's own devpts instance.
    let ptmx = dev.join("ptmx");
    if dev.join("pts").is_dir() && !mutation::active(Flaw::SkipDevPtmx) {
        let _ = fs::remove_file(&ptmx);
        symlink("pts/ptmx", &ptmx)
            .map_err(|e| Error::io(format!("cannot create {}", ptmx.display()), e))?;
    }
    Ok(())
}
