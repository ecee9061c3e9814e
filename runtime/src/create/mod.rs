//! `create` (runtime.md "Create"): from a bundle to a container that waits for `start`.
//!
//! Three processes take part. The runtime checks the config, makes the state directory and
//! the cgroup, and forks a setup child. The setup child enters or makes the namespaces (the
//! runtime writes the user namespace's ID maps) and forks the container's init, which is
//! PID 1 of a new PID namespace. The init builds the root filesystem, lets the runtime run the
//! prestart and createRuntime hooks, runs the createContainer hooks, pivots into the rootfs,
//! reports `Created`, and then waits on a socket in the state directory until `start`
//! (runtime.create.args-not-run: the user program does not run before that).
//!
//! The phases are modules named by process role: `parent` (the runtime), `setup` (the
//! namespaces) and `init` (the container); `config` reads and checks the bundle's config,
//! `ids` refuses ids the kernel would misread, `isolation` refuses settings that would change
//! the host, `namespaces` tells what `linux.namespaces` asks for.

mod clone_into;
mod config;
mod ids;
mod init;
mod isolation;
mod namespaces;
mod parent;
mod setup;

use std::fs;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use nix::sys::stat::{umask, Mode};

pub use config::{read_config, validate, Config};

use crate::error::{Error, Result};
use crate::mutation::{self, Flaw};
use crate::state::{Record, Store};
use crate::sync::{Channel, Msg};
use namespaces::Namespaces;

/// The init's first byte on the exec socket once the startContainer hooks ran: the program
/// is about to be executed.
pub const START_ACK: char = 'K';
/// The init's first byte on the exec socket before the reason `start` failed.
pub const START_ERROR: char = 'E';
/// Socket paths at least this long do not fit in sockaddr_un's sun_path (108 bytes with the
/// terminating NUL, kept well clear of).
const SOCKET_PATH_MAX: usize = 100;
/// The exec socket's mode: only the runtime's user may connect (and so start the container).
const EXEC_SOCKET_MODE: u32 = 0o600;
/// The umask the exec socket is bound under: it leaves the owner's bits only.
const EXEC_SOCKET_UMASK: nix::libc::mode_t = 0o177;
/// The permission bits of a file's mode.
const PERMISSION_BITS: u32 = 0o777;

/// The options of `create` (and of the create half of `run`).
pub struct CreateOpts {
    pub id: String,
    pub bundle: PathBuf,
    pub pid_file: Option<PathBuf>,
    pub console_socket: Option<PathBuf>,
    /// Extra file descriptors (3, 4, ...) the container process keeps.
    pub preserve_fds: i32,
}

/// Everything the children (setup process and init) need; they see it through fork.
struct Context<'a> {
    cfg: &'a Config,
    rootfs: PathBuf,
    ns: Namespaces,
    chan: Channel,
    listener: UnixListener,
    console: Option<UnixStream>,
    /// Descriptors the children must close at once (the runtime's side of things and the
    /// state directory's lock, which must not outlive the runtime).
    close_in_child: Vec<RawFd>,
    preserve_fds: i32,
    /// A connection to the seccomp agent at `listenerPath` (and that path), made before
    /// pivot_root.
    agent: Option<(PathBuf, UnixStream)>,
    /// With a new user namespace: the ID-mapped bind mounts, by index in `mounts`, made by the
    /// setup process before it enters that namespace.
    idmapped: Vec<(usize, std::os::fd::OwnedFd)>,
}

/// Runs `create`; returns the saved record.
pub fn create(store: &Store, o: &CreateOpts) -> Result<Record> {
    if mutation::active(Flaw::AcceptDuplicateId) {
        if let Ok((_lock, existing)) = store.load(&o.id) {
            return Ok(existing);
        }
    }
    if mutation::active(Flaw::DuplicateIdReplacesContainer) {
        hide_existing(store, &o.id)?;
    }
    let (cfg, raw) = read_config(&o.bundle)?;
    if mutation::active(Flaw::DuplicateIdLeavesContainer) && store.load(&o.id).is_ok() {
        discard_existing(store, &o.id)?;
        parent::record_without_process(store, o, &cfg)?;
        return Err(Error::msg(format!("container {:?} already exists", o.id)));
    }
    crate::log::debug("config read");
    // runtime.create.prevalidate: nothing is made for a config that breaks a static rule of
    // its own release. The validator's schema checks are generated at build time, so this
    // costs a fraction of a millisecond.
    let checked = validate(&cfg.bundle, &raw)
        .and_then(|()| ids::refuse_out_of_range(&cfg.json))
        .and_then(|()| isolation::refuse_host_changes(&cfg.spec, &cfg.json))
        .and_then(|()| config::refuse_unsupported_version(&cfg.json))
        .and_then(|()| config::refuse_unsupported(&cfg.json))
        .and_then(|()| config::refuse_unknown_if_mutated(&cfg.json));
    if let Err(e) = checked {
        if mutation::active(Flaw::FailedCreateLeavesContainer) {
            let _ = parent::record_without_process(store, o, &cfg);
        }
        return Err(e);
    }
    crate::log::debug("config checked");
    parent::run(store, o, &cfg)
}

/// The `duplicate-id-replaces-container` defect: the container of an id in use is moved out of
/// sight (not stopped, not removed), so a second one can take the id.
fn hide_existing(store: &Store, id: &str) -> Result<()> {
    let dir = store.root.join(id);
    if Store::check_id(id).is_err() || !dir.join("state.json").exists() {
        return Ok(());
    }
    let hidden = store
        .root
        .join(format!(".{id}.replaced-{}", std::process::id()));
    fs::rename(&dir, &hidden)
        .map_err(|e| Error::io(format!("cannot move {} aside", dir.display()), e))
}

/// The `duplicate-id-leaves-container` defect: the container of an id in use is stopped and
/// removed.
fn discard_existing(store: &Store, id: &str) -> Result<()> {
    let (lock, record) = store.load(id)?;
    if let Some(cg) = &record.cgroup {
        let _ = cg.signal_all(nix::sys::signal::Signal::SIGKILL);
        let _ = cg.destroy();
    }
    if record.pid > 0 {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(record.pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    lock.remove()
}

/// The exec socket: `start` connects to it to let the init run the user program. Whoever can
/// connect starts the container, so it is the owner's alone (mode 0600) whatever the caller's
/// umask: bound under a umask that leaves only the owner's bits, then set to 0600 and checked
/// on disk.
fn bind_exec_socket(dir: &Path) -> Result<UnixListener> {
    let (_dir, target) = exec_socket(dir)?;
    let shown = dir.join("exec.sock");
    // The runtime is single-threaded here, so no other file is made under this umask.
    let old = umask(Mode::from_bits_truncate(EXEC_SOCKET_UMASK));
    let bound = UnixListener::bind(&target);
    umask(old);
    let listener =
        bound.map_err(|e| Error::io(format!("cannot make the socket {}", shown.display()), e))?;
    fs::set_permissions(&target, fs::Permissions::from_mode(EXEC_SOCKET_MODE))
        .map_err(|e| Error::io(format!("cannot chmod the socket {}", shown.display()), e))?;
    let mode = fs::symlink_metadata(&target)
        .map_err(|e| Error::io(format!("cannot stat the socket {}", shown.display()), e))?
        .permissions()
        .mode()
        & PERMISSION_BITS;
    if mode != EXEC_SOCKET_MODE {
        return Err(Error::msg(format!(
            "the socket {} has mode {mode:o}, not {EXEC_SOCKET_MODE:o}",
            shown.display()
        )));
    }
    Ok(listener)
}

/// Connects to a container's exec socket.
pub fn connect_exec_socket(dir: &Path) -> Result<UnixStream> {
    let (_dir, target) = exec_socket(dir)?;
    UnixStream::connect(&target).map_err(|e| {
        Error::io(
            format!(
                "cannot reach the container's init at {}",
                dir.join("exec.sock").display()
            ),
            e,
        )
    })
}

/// The exec socket's address. Long state paths do not fit in sockaddr_un: those go through
/// /proc/self/fd of the open directory (kept open by the returned file).
fn exec_socket(dir: &Path) -> Result<(Option<fs::File>, PathBuf)> {
    let path = dir.join("exec.sock");
    if path.as_os_str().len() < SOCKET_PATH_MAX {
        return Ok((None, path));
    }
    let d =
        fs::File::open(dir).map_err(|e| Error::io(format!("cannot open {}", dir.display()), e))?;
    let short = PathBuf::from(format!("/proc/self/fd/{}/exec.sock", d.as_raw_fd()));
    Ok((Some(d), short))
}

/// Leaves a forked child: report the error (if any) and exit without running the parent's
/// destructors or flushing its buffers.
fn child_exit(chan: &Channel, r: Result<()>) -> ! {
    let code = match r {
        Ok(()) => 0,
        Err(e) => {
            let _ = chan.send(&Msg::Failed(e.to_string()));
            1
        }
    };
    // SAFETY: _exit is always safe; it ends this process only.
    unsafe { nix::libc::_exit(code) }
}
