//! Mount options (config.md "Mounts" options): what one `options` list means to mount(2).

use nix::mount::MsFlags;

use super::attrs::Attrs;
use super::idmap::Idmap;
use crate::error::{Error, Result};
use crate::mutation::{self, Flaw};

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
    /// The recursive attributes (`rro`, `rnosuid`...): for the mount and every mount below.
    pub recursive: Attrs,
    /// Recursive attributes applied to the mount alone (only ever by a mutation).
    pub top_only: Attrs,
    /// `idmap` or `ridmap`: the mount is ID-mapped once made.
    pub idmap: Option<Idmap>,
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
        recursive: Attrs::default(),
        top_only: Attrs::default(),
        idmap: None,
    };
    // mount(8): of two contradicting options, the later one wins.
    let ordered: Vec<&String> = if mutation::active(Flaw::MountOptionsFirstWins) {
        options.iter().rev().collect()
    } else {
        options.iter().collect()
    };
    for opt in ordered {
        let set = |o: &mut MountOptions, f: MsFlags| {
            o.flags.insert(f);
            o.cleared.remove(f);
        };
        let clear = |o: &mut MountOptions, f: MsFlags| {
            o.flags.remove(f);
            o.cleared.insert(f);
        };
        if mutation::ignores_mount_option(opt) {
            continue;
        }
        match opt.as_str() {
            "defaults" if mutation::active(Flaw::DefaultsAsFsData) => o.data.push(opt.clone()),
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
            "relatime" if mutation::active(Flaw::MountRelatimeAsStrictatime) => {
                set(&mut o, MsFlags::MS_STRICTATIME)
            }
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
            "bind" => {
                o.bind = true;
                o.recursive_bind = mutation::active(Flaw::MountBindAsRbind);
            }
            "rbind" => {
                o.bind = true;
                o.recursive_bind = !mutation::active(Flaw::MountRbindAsBind);
            }
            "private" if mutation::active(Flaw::MountPrivateAsShared) => {
                o.propagation.push(MsFlags::MS_SHARED)
            }
            "private" => o.propagation.push(MsFlags::MS_PRIVATE),
            "rprivate" if mutation::active(Flaw::MountRprivateAsRshared) => {
                o.propagation.push(MsFlags::MS_SHARED | MsFlags::MS_REC)
            }
            "rprivate" => o.propagation.push(MsFlags::MS_PRIVATE | MsFlags::MS_REC),
            "shared" => o.propagation.push(MsFlags::MS_SHARED),
            "rshared" => o.propagation.push(MsFlags::MS_SHARED | MsFlags::MS_REC),
            "slave" => o.propagation.push(MsFlags::MS_SLAVE),
            "rslave" if mutation::active(Flaw::MountRslaveNotRecursive) => {
                o.propagation.push(MsFlags::MS_SLAVE)
            }
            "rslave" => o.propagation.push(MsFlags::MS_SLAVE | MsFlags::MS_REC),
            "unbindable" => o.propagation.push(MsFlags::MS_UNBINDABLE),
            "runbindable" => o.propagation.push(MsFlags::MS_UNBINDABLE | MsFlags::MS_REC),
            // A runc extension the spec lists: nothing to copy up into a fresh tmpfs here.
            "tmpcopyup" => {}
            "idmap" if mutation::active(Flaw::RefuseIdmap) => return Err(unsupported(opt)),
            "idmap" => o.idmap = Some(Idmap::Top),
            "ridmap" if mutation::active(Flaw::RefuseRidmap) => return Err(unsupported(opt)),
            "ridmap" => o.idmap = Some(Idmap::Recursive),
            r if r.starts_with('r') && recursive_attr(&r[1..]).is_some() => {
                let attrs = if mutation::flattens_recursive_option(r) {
                    &mut o.top_only
                } else {
                    &mut o.recursive
                };
                match recursive_attr(&r[1..]) {
                    Some((f, true)) => attrs.set(f),
                    Some((f, false)) => attrs.clear(f),
                    None => {}
                }
            }
            // mount(8) options that mount(8) handles itself and never gives the kernel
            // (config.mounts.options.custom.mount8): fstab's auto/noauto, comments.
            c if is_userspace_option(c) && !mutation::active(Flaw::CustomMountOptionsAsFsData) => {}
            _ if mutation::active(Flaw::DropMountFsData) => {}
            other => o.data.push(other.to_string()),
        }
    }
    if mutation::active(Flaw::DefaultsOverridesOptions) && options.iter().any(|o| o == "defaults") {
        let defaults = MsFlags::MS_RDONLY
            | MsFlags::MS_NOSUID
            | MsFlags::MS_NODEV
            | MsFlags::MS_NOEXEC
            | MsFlags::MS_SYNCHRONOUS;
        o.flags.remove(defaults);
        o.cleared.insert(defaults);
    }
    if mutation::active(Flaw::IgnoreMountFlagOptions) {
        o.flags = MsFlags::empty();
        o.cleared = MsFlags::empty();
        o.propagation.clear();
    }
    Ok(o)
}

/// The flag a recursive attribute option (without its leading `r`) turns on (`true`) or off.
fn recursive_attr(name: &str) -> Option<(MsFlags, bool)> {
    Some(match name {
        "ro" => (MsFlags::MS_RDONLY, true),
        "rw" => (MsFlags::MS_RDONLY, false),
        "nosuid" => (MsFlags::MS_NOSUID, true),
        "suid" => (MsFlags::MS_NOSUID, false),
        "nodev" => (MsFlags::MS_NODEV, true),
        "dev" => (MsFlags::MS_NODEV, false),
        "noexec" => (MsFlags::MS_NOEXEC, true),
        "exec" => (MsFlags::MS_NOEXEC, false),
        "noatime" => (MsFlags::MS_NOATIME, true),
        "atime" => (MsFlags::MS_NOATIME, false),
        "nodiratime" => (MsFlags::MS_NODIRATIME, true),
        "diratime" => (MsFlags::MS_NODIRATIME, false),
        "relatime" => (MsFlags::MS_RELATIME, true),
        "norelatime" => (MsFlags::MS_RELATIME, false),
        "strictatime" => (MsFlags::MS_STRICTATIME, true),
        "nostrictatime" => (MsFlags::MS_STRICTATIME, false),
        "nosymfollow" => (NOSYMFOLLOW, true),
        "symfollow" => (NOSYMFOLLOW, false),
        _ => return None,
    })
}

/// Options of mount(8) that mount(8) itself consumes: fstab's `auto`/`noauto`, and comments
/// (`comment=...`, `x-...`), none of which reaches mount(2).
fn is_userspace_option(opt: &str) -> bool {
    matches!(opt, "auto" | "noauto") || opt.starts_with("comment=") || opt.starts_with("x-")
}

/// The error of an ID-mapping option the runtime would not support.
fn unsupported(opt: &str) -> Error {
    Error::msg(format!(
        "mount option {opt:?}: ID-mapped mounts are not supported by this runtime"
    ))
}

/// MS_NOSYMFOLLOW (Linux 5.10): libc has it, nix's MsFlags does not name it.
const NOSYMFOLLOW: MsFlags = MsFlags::from_bits_retain(nix::libc::MS_NOSYMFOLLOW);

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
        let o = parse_options(&["rro".into(), "rnoatime".into(), "rrw".into()]).unwrap();
        assert_eq!(o.recursive.set, MsFlags::MS_NOATIME);
        assert_eq!(o.recursive.cleared, MsFlags::MS_RDONLY);
        assert!(o.top_only.is_empty() && o.flags.is_empty());
        assert_eq!(
            parse_options(&["idmap".into()]).expect("idmap").idmap,
            Some(Idmap::Top)
        );
        let o = parse_options(&["rbind".into(), "ridmap".into()]).expect("ridmap");
        assert_eq!(o.idmap, Some(Idmap::Recursive));
        assert!(o.data.is_empty(), "not passed to mount(2): {:?}", o.data);
    }

    #[test]
    fn symfollow_and_clearing_options() {
        let o = parse_options(&["nosymfollow".into(), "nosuid".into(), "suid".into()])
            .expect("options");
        assert!(o.flags.contains(NOSYMFOLLOW));
        assert!(!o.flags.contains(MsFlags::MS_NOSUID));
        assert!(o.cleared.contains(MsFlags::MS_NOSUID));
        let o = parse_options(&["defaults".into(), "tmpcopyup".into()]).expect("options");
        assert_eq!(o.flags, MsFlags::empty());
        assert!(o.data.is_empty() && o.propagation.is_empty() && !o.bind);
    }

    #[test]
    fn mount8_userspace_options_do_not_reach_the_filesystem() {
        let o = parse_options(&[
            "noauto".into(),
            "auto".into(),
            "x-ocicheck.note=1".into(),
            "comment=test".into(),
            "size=1m".into(),
        ])
        .expect("options");
        assert_eq!(o.data, vec!["size=1m"]);
    }

    #[test]
    fn bind_is_not_recursive_and_rbind_is() {
        let o = parse_options(&["bind".into()]).expect("options");
        assert!(o.bind && !o.recursive_bind);
        let o = parse_options(&["rbind".into()]).expect("options");
        assert!(o.bind && o.recursive_bind);
    }
}
