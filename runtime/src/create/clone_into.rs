//! Forking the setup process straight into the container's cgroup2 directory:
//! `clone3(CLONE_INTO_CGROUP)` (Linux 5.7), as crun does.
//!
//! Moving a running process into a cgroup (a write to `cgroup.procs`) takes the kernel's
//! cgroup_threadgroup_rwsem for writing, which waits for an RCU grace period: on a cgroup2 host
//! that one write was most of `create`'s time (about 10 ms of 17). A process born in the cgroup
//! is never moved. Where clone3 or the flag is missing, or there is no cgroup2 directory (a
//! cgroup v1 host), the setup process is forked and moved as before.

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::libc;
use nix::sys::stat::Mode;
use nix::unistd::{fork, ForkResult, Pid};

use crate::error::{Error, Result};

/// `CLONE_INTO_CGROUP` from linux/sched.h (libc declares it with a type too small for it).
const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// Which side of the fork this is, and whether the child was born in the cgroup2 directory.
pub enum Forked {
    Child,
    Parent { child: Pid, in_cgroup2: bool },
}

/// Forks, placing the child in `cgroup2_dir` at birth when the kernel can.
///
/// # Safety
/// As `fork`: the caller is single-threaded, and the child only runs code that is safe after a
/// fork. Like a raw clone, glibc's fork handlers do not run in the child (the runtime registers
/// none) and its cached thread id there is the parent's (the runtime never signals its own
/// thread with raise or pthread_kill).
pub unsafe fn fork_into(cgroup2_dir: Option<&Path>) -> Result<Forked> {
    if let Some(dir) = cgroup2_dir {
        let fd: OwnedFd = open(
            dir,
            OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Error::sys(format!("open {}", dir.display()), e))?;
        // SAFETY: clone_args is plain data; zero is "unset" for every field.
        let mut args: libc::clone_args = unsafe { std::mem::zeroed() };
        args.flags = CLONE_INTO_CGROUP;
        args.exit_signal = libc::SIGCHLD as u64;
        args.cgroup = fd.as_raw_fd() as u64;
        // SAFETY: without CLONE_VM or a stack the child is a copy of this process, as after
        // fork; the caller's contract covers what runs in it.
        let r = unsafe {
            libc::syscall(
                libc::SYS_clone3,
                &mut args as *mut libc::clone_args,
                std::mem::size_of::<libc::clone_args>(),
            )
        };
        match r {
            0 => return Ok(Forked::Child),
            pid if pid > 0 => {
                return Ok(Forked::Parent {
                    child: Pid::from_raw(pid as i32),
                    in_cgroup2: true,
                })
            }
            _ => match Errno::last() {
                // No clone3, no CLONE_INTO_CGROUP (older kernels, seccomp profiles of
                // container managers), or a cgroup that cannot take processes directly:
                // fork and move the child instead.
                Errno::ENOSYS
                | Errno::EINVAL
                | Errno::E2BIG
                | Errno::EPERM
                | Errno::EOPNOTSUPP
                | Errno::EBUSY => {}
                e => return Err(Error::sys("clone3 into the container's cgroup", e)),
            },
        }
    }
    // SAFETY: the caller's contract.
    match unsafe { fork() }.map_err(|e| Error::sys("fork", e))? {
        ForkResult::Child => Ok(Forked::Child),
        ForkResult::Parent { child } => Ok(Forked::Parent {
            child,
            in_cgroup2: false,
        }),
    }
}
