//! Mount options (config.md "Mounts" options): what one `options` list means to mount(2).

use nix::mount::MsFlags;

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
        idmap: None,
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
            "bind" => o.bind = true,
            "rbind" => {
                o.bind = true;
                o.recursive_bind = true;
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
            "rslave" => o.propagation.push(MsFlags::MS_SLAVE | MsFlags::MS_REC),
            "unbindable" => o.propagation.push(MsFlags::MS_UNBINDABLE),
            "runbindable" => o.propagation.push(MsFlags::MS_UNBINDABLE | MsFlags::MS_REC),
            // A runc extension the spec lists: nothing to copy up into a fresh tmpfs here.
            "tmpcopyup" => {}
            "idmap" if mutation::active(Flaw::RefuseIdmap) => return Err(unsupported(opt)),
            "idmap" => o.idmap = Some(Idmap::Top),
            "ridmap" if mutation::active(Flaw::RefuseRidmap) => return Err(unsupported(opt)),
            "ridmap" => o.idmap = Some(Idmap::Recursive),
            r if r.starts_with('r') && RECURSIVE_ATTRS.contains(&&r[1..]) => {
                return Err(Error::msg(format!(
                    "mount option {opt:?}: recursive mount attributes are not supported by this runtime"
                )))
            }
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

/// The error of an ID-mapping option the runtime would not support.
fn unsupported(opt: &str) -> Error {
    Error::msg(format!(
        "mount option {opt:?}: ID-mapped mounts are not supported by this runtime"
    ))
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
}
