//! The setup process: forked by the parent, it joins the configured namespaces and makes
//! the new ones (waiting for the parent to write a new user namespace's ID maps), then forks
//! the container's init, which is PID 1 of a new PID namespace.

use std::fs;

use nix::sched::{setns, unshare, CloneFlags};
use nix::unistd::{fork, ForkResult};
use oci_spec::runtime::{LinuxNamespaceType, Spec};

use super::namespaces::clone_flag;
use super::{child_exit, init, Context};
use crate::error::{Error, Result};
use crate::mutation::{self, Flaw};
use crate::rootfs;
use crate::sync::Msg;

/// The setup process: namespaces, then the init.
pub(super) fn run(s: &mut Context) -> ! {
    for fd in &s.close_in_child {
        // SAFETY: closing descriptors this process inherited and will not use.
        unsafe {
            nix::libc::close(*fd);
        }
    }
    let r = (|| -> Result<()> {
        let join = |s: &Context| -> Result<()> {
            for (t, fd) in &s.ns.join {
                // linux.namespaces.path.type-mismatch.error: setns with the type refuses a
                // file of another namespace type.
                let flag = if mutation::active(Flaw::AcceptNamespaceTypeMismatch) {
                    CloneFlags::empty()
                } else {
                    clone_flag(*t)
                };
                setns(fd, flag)
                    .map_err(|e| Error::sys(format!("cannot join the {t:?} namespace"), e))?;
                if *t == LinuxNamespaceType::User {
                    become_root()?;
                }
            }
            Ok(())
        };
        let mut rest = s.ns.new.difference(CloneFlags::CLONE_NEWUSER);
        if mutation::active(Flaw::UnshareUnlistedIpc) && !s.ns.ipc {
            rest |= CloneFlags::CLONE_NEWIPC;
        }
        if s.ns.new_user {
            // The user namespace first: the others are then owned by it. Its ID maps are
            // written by the runtime, once this process is in its cgroup.
            s.chan.wait_for(&Msg::Go)?;
            // ID-mapped bind mounts of host filesystems need the host's root: made now.
            let (uid_map, gid_map) = rootfs::container_maps(&s.cfg.spec);
            let mounts = s.cfg.spec.mounts().clone().unwrap_or_default();
            s.idmapped =
                rootfs::prepare_idmapped_binds(&mounts, &s.cfg.bundle, (&uid_map, &gid_map))?;
            unshare(CloneFlags::CLONE_NEWUSER).map_err(|e| Error::sys("unshare(user)", e))?;
            s.chan.send(&Msg::UsernsReady)?;
            s.chan.wait_for(&Msg::MappingsDone)?;
            become_root()?;
            join(s)?;
            unshare(rest).map_err(|e| Error::sys(format!("unshare({rest:?})"), e))?;
        } else {
            // While the runtime puts this process in its cgroup (milliseconds on cgroup v1),
            // make the namespaces. Only a new cgroup namespace waits: its root is the cgroup
            // this process is in when it is made.
            join(s)?;
            let now = rest.difference(CloneFlags::CLONE_NEWCGROUP);
            unshare(now).map_err(|e| Error::sys(format!("unshare({now:?})"), e))?;
            s.chan.wait_for(&Msg::Go)?;
            if rest.contains(CloneFlags::CLONE_NEWCGROUP) {
                unshare(CloneFlags::CLONE_NEWCGROUP)
                    .map_err(|e| Error::sys("unshare(cgroup)", e))?;
            }
        }
        if s.ns.time_new {
            write_time_offsets(&s.cfg.spec)?;
        }
        // SAFETY: single-threaded; the child runs init and leaves by _exit.
        match unsafe { fork() }.map_err(|e| Error::sys("fork", e))? {
            ForkResult::Child => init::run(s),
            ForkResult::Parent { child } => s.chan.send(&Msg::InitPid(child.as_raw())),
        }
    })();
    child_exit(&s.chan, r)
}

fn become_root() -> Result<()> {
    let root_g = nix::unistd::Gid::from_raw(0);
    let root_u = nix::unistd::Uid::from_raw(0);
    nix::unistd::setresgid(root_g, root_g, root_g)
        .and_then(|()| nix::unistd::setresuid(root_u, root_u, root_u))
        .map_err(|e| Error::sys("cannot become root of the user namespace", e))
}

/// config-linux timeOffsets: the new time namespace's clock offsets.
fn write_time_offsets(spec: &Spec) -> Result<()> {
    let Some(offsets) = spec.linux().as_ref().and_then(|l| l.time_offsets().clone()) else {
        return Ok(());
    };
    let mut text = String::new();
    for (clock, off) in &offsets {
        text.push_str(&format!(
            "{clock} {} {}\n",
            off.secs().unwrap_or(0),
            off.nanosecs().unwrap_or(0)
        ));
    }
    fs::write("/proc/self/timens_offsets", &text)
        .map_err(|e| Error::io(format!("cannot write time offsets {:?}", text.trim()), e))
}
