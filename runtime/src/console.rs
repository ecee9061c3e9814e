//! `process.terminal` with `--console-socket` (runtime.md, runc's console socket convention):
//! the init makes a pseudo-terminal in the container's devpts, sends the master to the
//! socket as SCM_RIGHTS, and makes the slave its controlling terminal and stdio.

use std::io::IoSlice;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::path::Path;

use nix::fcntl::OFlag;
use nix::mount::{mount, MsFlags};
use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt};
use nix::sys::socket::{sendmsg, ControlMessage, MsgFlags};
use oci_spec::runtime::Box as ConsoleSize;

use crate::error::{Error, Result};

nix::ioctl_write_ptr_bad!(set_winsize, nix::libc::TIOCSWINSZ, nix::libc::winsize);
nix::ioctl_write_int_bad!(set_ctty, nix::libc::TIOCSCTTY);

pub fn setup(sock: &UnixStream, size: Option<&ConsoleSize>) -> Result<()> {
    let master = posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC)
        .map_err(|e| Error::sys("cannot open /dev/ptmx for the terminal", e))?;
    grantpt(&master).map_err(|e| Error::sys("grantpt", e))?;
    unlockpt(&master).map_err(|e| Error::sys("unlockpt", e))?;
    let name = ptsname_r(&master).map_err(|e| Error::sys("ptsname", e))?;
    let slave = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&name)
        .map_err(|e| Error::io(format!("cannot open the terminal {name}"), e))?;
    // config.process.consoleSize: applied when there is a terminal.
    let size = size.filter(|_| !crate::mutation::active(crate::mutation::Flaw::IgnoreConsoleSize));
    if let Some(sz) = size {
        let ws = nix::libc::winsize {
            ws_row: sz.height() as u16,
            ws_col: sz.width() as u16,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: a valid winsize for a terminal descriptor we own.
        unsafe { set_winsize(slave.as_raw_fd(), &ws) }
            .map_err(|e| Error::sys("cannot set the console size", e))?;
    }
    // /dev/console is the terminal inside the container.
    let console = Path::new("/dev/console");
    if !console.exists() {
        std::fs::File::create(console).map_err(|e| Error::io("cannot create /dev/console", e))?;
    }
    if !crate::mutation::active(crate::mutation::Flaw::SkipDevConsole) {
        mount(
            Some(Path::new(&name)),
            console,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .map_err(|e| Error::sys(format!("cannot bind {name} on /dev/console"), e))?;
    }
    let fds = [master.as_raw_fd()];
    let iov = [IoSlice::new(name.as_bytes())];
    sendmsg::<()>(
        sock.as_raw_fd(),
        &iov,
        &[ControlMessage::ScmRights(&fds)],
        MsgFlags::empty(),
        None,
    )
    .map_err(|e| Error::sys("cannot send the terminal to the console socket", e))?;
    drop(master);
    // SAFETY: the slave is a terminal; we are a session leader without one.
    unsafe { set_ctty(slave.as_raw_fd(), 0) }
        .map_err(|e| Error::sys("cannot make the terminal controlling", e))?;
    nix::unistd::dup2_stdin(&slave)
        .and_then(|()| nix::unistd::dup2_stdout(&slave))
        .and_then(|()| nix::unistd::dup2_stderr(&slave))
        .map_err(|e| Error::sys("dup2 of the terminal", e))?;
    Ok(())
}
