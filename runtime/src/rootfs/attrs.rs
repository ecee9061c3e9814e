//! Recursive mount attributes (config.md "Mounts": `rro`, `rnosuid`, `rnoatime`...): applied
//! with mount_setattr(2) and `AT_RECURSIVE` to the mount and every mount below it.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::libc;
use nix::mount::MsFlags;

use crate::error::{Error, Result};

/// The attribute options of a mount's `options`, each written `r<flag>`, as mount(2) flags
/// turned on (`set`) and off (`cleared`); later options override earlier ones.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct Attrs {
    pub set: MsFlags,
    pub cleared: MsFlags,
}

/// The atime flags of mount(2): `MOUNT_ATTR__ATIME` is one setting of mount_setattr(2).
const ATIME: MsFlags = MsFlags::MS_NOATIME
    .union(MsFlags::MS_RELATIME)
    .union(MsFlags::MS_STRICTATIME);

/// The on/off attributes: a mount(2) flag and its mount_setattr(2) attribute.
const FLAGS: [(MsFlags, u64); 6] = [
    (MsFlags::MS_RDONLY, libc::MOUNT_ATTR_RDONLY),
    (MsFlags::MS_NOSUID, libc::MOUNT_ATTR_NOSUID),
    (MsFlags::MS_NODEV, libc::MOUNT_ATTR_NODEV),
    (MsFlags::MS_NOEXEC, libc::MOUNT_ATTR_NOEXEC),
    (MsFlags::MS_NODIRATIME, libc::MOUNT_ATTR_NODIRATIME),
    (
        MsFlags::from_bits_retain(libc::MS_NOSYMFOLLOW),
        libc::MOUNT_ATTR_NOSYMFOLLOW,
    ),
];

impl Default for Attrs {
    fn default() -> Self {
        Attrs {
            set: MsFlags::empty(),
            cleared: MsFlags::empty(),
        }
    }
}

impl Attrs {
    /// The flag `f` turned on by a later option.
    pub fn set(&mut self, f: MsFlags) {
        self.set.insert(f);
        self.cleared.remove(f);
    }

    /// The flag `f` turned off by a later option.
    pub fn clear(&mut self, f: MsFlags) {
        self.set.remove(f);
        self.cleared.insert(f);
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.cleared.is_empty()
    }

    /// mount_setattr(2)'s `attr_set` and `attr_clr`. The atime setting is one value, chosen
    /// as mount(2) chooses it: `rstrictatime` over `rnoatime` over `rrelatime`; `rnorelatime`
    /// alone means access times without relatime (strict); `ratime` and `rnostrictatime` alone
    /// mean the kernel's default (relatime). Without any atime option, atime is left alone.
    pub fn mount_attr(&self) -> (u64, u64) {
        let (mut set, mut clr) = (0, 0);
        for (flag, attr) in FLAGS {
            if self.set.contains(flag) {
                set |= attr;
            } else if self.cleared.contains(flag) {
                clr |= attr;
            }
        }
        if self.set.intersects(ATIME) || self.cleared.intersects(ATIME) {
            clr |= libc::MOUNT_ATTR__ATIME;
            set |= if self.set.contains(MsFlags::MS_STRICTATIME) {
                libc::MOUNT_ATTR_STRICTATIME
            } else if self.set.contains(MsFlags::MS_NOATIME) {
                libc::MOUNT_ATTR_NOATIME
            } else if self.set.contains(MsFlags::MS_RELATIME) {
                libc::MOUNT_ATTR_RELATIME
            } else if self.cleared.contains(MsFlags::MS_RELATIME) {
                libc::MOUNT_ATTR_STRICTATIME
            } else {
                libc::MOUNT_ATTR_RELATIME
            };
        }
        (set, clr)
    }

    /// Applies the attributes to the mount at `path`, and with `recursive` to every mount
    /// below it (`AT_RECURSIVE`).
    pub fn apply(&self, path: &Path, recursive: bool) -> Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        let (set, clr) = self.mount_attr();
        let attr = libc::mount_attr {
            attr_set: set,
            attr_clr: clr,
            propagation: 0,
            userns_fd: 0,
        };
        let c_path = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| Error::msg(format!("mount path {} has a NUL byte", path.display())))?;
        let flags = libc::AT_SYMLINK_NOFOLLOW | if recursive { libc::AT_RECURSIVE } else { 0 };
        // SAFETY: mount_setattr reads `attr` (its size is passed) and the NUL-terminated
        // path, both alive for the call; it writes no memory of ours.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_mount_setattr,
                libc::AT_FDCWD,
                c_path.as_ptr(),
                flags,
                &attr as *const libc::mount_attr,
                std::mem::size_of::<libc::mount_attr>(),
            )
        };
        if rc != 0 {
            return Err(Error::io(
                format!(
                    "cannot set the attributes of {} (mount_setattr, set {set:#x}, clear \
                     {clr:#x}, recursive {recursive})",
                    path.display()
                ),
                std::io::Error::last_os_error(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(set: MsFlags, cleared: MsFlags) -> (u64, u64) {
        Attrs { set, cleared }.mount_attr()
    }

    #[test]
    fn flags_map_to_attributes_and_atime_is_one_setting() {
        assert_eq!(
            attrs(MsFlags::MS_RDONLY | MsFlags::MS_NOSUID, MsFlags::MS_NODEV),
            (
                libc::MOUNT_ATTR_RDONLY | libc::MOUNT_ATTR_NOSUID,
                libc::MOUNT_ATTR_NODEV
            )
        );
        assert_eq!(attrs(MsFlags::empty(), MsFlags::empty()), (0, 0));
        let atime = |set, cleared| attrs(set, cleared);
        let empty = MsFlags::empty();
        assert_eq!(
            atime(MsFlags::MS_NOATIME, empty),
            (libc::MOUNT_ATTR_NOATIME, libc::MOUNT_ATTR__ATIME)
        );
        assert_eq!(
            atime(MsFlags::MS_NOATIME | MsFlags::MS_STRICTATIME, empty),
            (libc::MOUNT_ATTR_STRICTATIME, libc::MOUNT_ATTR__ATIME)
        );
        assert_eq!(
            atime(empty, MsFlags::MS_RELATIME),
            (libc::MOUNT_ATTR_STRICTATIME, libc::MOUNT_ATTR__ATIME)
        );
        assert_eq!(
            atime(empty, MsFlags::MS_NOATIME),
            (libc::MOUNT_ATTR_RELATIME, libc::MOUNT_ATTR__ATIME)
        );
        assert_eq!(
            atime(MsFlags::MS_RELATIME, empty),
            (libc::MOUNT_ATTR_RELATIME, libc::MOUNT_ATTR__ATIME)
        );
    }

    #[test]
    fn later_options_override_earlier_ones() {
        let mut a = Attrs::default();
        a.set(MsFlags::MS_RDONLY);
        a.clear(MsFlags::MS_RDONLY);
        assert_eq!(a.mount_attr(), (0, libc::MOUNT_ATTR_RDONLY));
        a.set(MsFlags::MS_RDONLY);
        assert_eq!(a.mount_attr(), (libc::MOUNT_ATTR_RDONLY, 0));
        assert!(!a.is_empty() && Attrs::default().is_empty());
    }
}
