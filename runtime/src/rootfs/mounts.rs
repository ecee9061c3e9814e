//! One entry of `mounts` at its destination in the container's root filesystem: bind mounts
//! (with their flags applied by a remount), cgroup mounts (one per host hierarchy, as runc
//! builds them) and everything else.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use nix::mount::MsFlags;
use oci_spec::runtime::Mount;

use super::idmap;
use super::options::{parse_options, MountOptions};
use super::{do_mount, locked_flags, mkdir_all, secure_join, touch};
use crate::error::{Error, Result};
use crate::mutation::{self, Flaw};

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
/// config order). `userns`: the container has a user namespace (an `idmap` mount without
/// mappings of its own takes that one's). `prepared`: the ID-mapped tree of a bind mount,
/// made before the container's user namespace (`idmap::prepare_binds`), to attach instead.
pub fn mount_one(
    rootfs: &Path,
    bundle: &Path,
    m: &Mount,
    (cgroupns, userns): (bool, bool),
    prepared: Option<&std::os::fd::OwnedFd>,
) -> Result<()> {
    let options = m.options().clone().unwrap_or_default();
    let o = parse_options(&options)
        .map_err(|e| Error::msg(format!("mount {}: {e}", m.destination().display())))?;
    // Decided before anything is mounted: an idmap mount without a mapping is an error.
    let idmapping = match o.idmap {
        Some(kind) => idmap::mapping(m, kind, userns)?.map(|map| (kind, map)),
        None => None,
    };
    let dest = if mutation::active(Flaw::MountDestinationOnHost) {
        rootfs.join(m.destination().strip_prefix("/").unwrap_or(m.destination()))
    } else {
        secure_join(rootfs, m.destination())?
    };
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
        match prepared {
            Some(tree) => idmap::attach(tree, &dest)?,
            None => do_mount(Some(&source), &dest, None, flags, None)?,
        }
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
    // config.mounts.options.idmap.applied / ridmap.applied: the mount as made, flags and all,
    // is replaced by its ID-mapped clone.
    if let Some((kind, map)) = idmapping.filter(|_| prepared.is_none()) {
        if !(kind == idmap::Idmap::Top && mutation::active(Flaw::IgnoreIdmap)) {
            idmap::apply(&dest, kind, &map, o.recursive_bind)?;
        }
    }
    // config.mounts.options.rro and the other recursive attributes: the whole tree.
    o.recursive.apply(&dest, true)?;
    o.top_only.apply(&dest, false)?;
    for p in &o.propagation {
        do_mount(None, &dest, None, *p, None)?;
    }
    Ok(())
}
