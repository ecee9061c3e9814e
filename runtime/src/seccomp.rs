//! Seccomp filters (runtime-spec config-linux.md "Seccomp") compiled with libseccomp, and the
//! seccomp notify hand-over to a listener ("The Container Process State").
//!
//! Call order for the core:
//! 1. [`compile`] early (in the runtime, before forking the container process), so
//!    configuration errors are reported before anything runs.
//! 2. [`Filter::load`] in the container process, as late as possible before `execve`. The
//!    filter does not set `no_new_privs` itself (the runtime applies
//!    `process.noNewPrivileges` separately), so loading needs either `no_new_privs` already set
//!    or `CAP_SYS_ADMIN`: when `noNewPrivileges` is false, load before dropping capabilities.
//! 3. When [`Filter::load`] returns a notify fd, hand it to the runtime process (which is not
//!    under the filter) and have the runtime call [`send_to_listener`] with the state built by
//!    [`process_state`]. Syscalls used between load and exec (to pass the fd on, e.g.
//!    `sendmsg`, `write`, `close`, `execve`) must not be ones the filter notifies, or the
//!    container process blocks with nobody to answer; runc refuses notify on `write` for the
//!    same reason, and notify as the default action (see [`compile`]).

use std::io::{IoSlice, Write};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;

use crate::mutation::{self, Flaw};
use std::path::{Path, PathBuf};

use libseccomp::{
    ScmpAction, ScmpArch, ScmpArgCompare, ScmpCompareOp, ScmpFilterContext, ScmpSyscall,
};
use nix::sys::socket::{sendmsg, ControlMessage, MsgFlags};
use oci_spec::runtime::{
    Arch, LinuxSeccomp, LinuxSeccompAction, LinuxSeccompFilterFlag, LinuxSeccompOperator,
};

/// Linux system calls take at most six arguments.
const MAX_SYSCALL_ARGS: usize = 6;

/// Errors of seccomp handling; configuration errors name the offending field.
#[derive(Debug, thiserror::Error)]
pub enum SeccompError {
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("{field}: libseccomp: {source}")]
    Libseccomp {
        field: String,
        source: libseccomp::error::SeccompError,
    },
    #[error("loading the seccomp filter: {0}")]
    Load(libseccomp::error::SeccompError),
    #[error("getting the seccomp notify fd after loading: {0}")]
    NotifyFd(String),
    #[error("connecting to linux.seccomp.listenerPath {path}: {source}")]
    Connect {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("sending the container process state to linux.seccomp.listenerPath {path}: {detail}")]
    Send { path: PathBuf, detail: String },
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> SeccompError {
    SeccompError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

fn lib(field: impl Into<String>) -> impl FnOnce(libseccomp::error::SeccompError) -> SeccompError {
    let field = field.into();
    move |source| SeccompError::Libseccomp { field, source }
}

/// A compiled seccomp filter, ready to be loaded.
pub struct Filter {
    ctx: ScmpFilterContext,
    uses_notify: bool,
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter")
            .field("uses_notify", &self.uses_notify)
            .finish_non_exhaustive()
    }
}

/// The `accept-*-errnoret` defects: an errnoRet that `act` cannot take is dropped, not refused.
fn unless_accepted(flaw: Flaw, act: LinuxSeccompAction, errno_ret: Option<u32>) -> Option<u32> {
    let takes_errno = matches!(
        act,
        LinuxSeccompAction::ScmpActErrno | LinuxSeccompAction::ScmpActTrace
    );
    if mutation::active(flaw) && !takes_errno {
        None
    } else {
        errno_ret
    }
}

/// Translates a spec action (with its errnoRet) to libseccomp's.
fn action(
    errno_field: &str,
    act: LinuxSeccompAction,
    errno_ret: Option<u32>,
) -> Result<ScmpAction, SeccompError> {
    let errno_field = || errno_field.to_string();
    // config-linux: errnoRet is only meaningful for actions that return an errno or a trace
    // value; for other actions the runtime MUST print an error and fail.
    let no_errno = |a: ScmpAction| match errno_ret {
        Some(v) => Err(invalid(
            errno_field(),
            format!("{v} given, but {act} does not take an errno"),
        )),
        None => Ok(a),
    };
    // errno and trace values travel in the low 16 bits of SECCOMP_RET_DATA.
    let data = |default: u32| -> Result<u16, SeccompError> {
        let v = errno_ret.unwrap_or(default);
        u16::try_from(v).map_err(|_| invalid(errno_field(), format!("{v} does not fit in 16 bits")))
    };
    match act {
        // SCMP_ACT_KILL is the historical name of SCMP_ACT_KILL_THREAD.
        LinuxSeccompAction::ScmpActKill | LinuxSeccompAction::ScmpActKillThread => {
            no_errno(ScmpAction::KillThread)
        }
        LinuxSeccompAction::ScmpActKillProcess => no_errno(ScmpAction::KillProcess),
        LinuxSeccompAction::ScmpActTrap => no_errno(ScmpAction::Trap),
        // config-linux: the errno default is EPERM.
        LinuxSeccompAction::ScmpActErrno => {
            Ok(ScmpAction::Errno(i32::from(data(nix::libc::EPERM as u32)?)))
        }
        LinuxSeccompAction::ScmpActTrace => Ok(ScmpAction::Trace(data(nix::libc::EPERM as u32)?)),
        LinuxSeccompAction::ScmpActAllow => no_errno(ScmpAction::Allow),
        LinuxSeccompAction::ScmpActLog => no_errno(ScmpAction::Log),
        LinuxSeccompAction::ScmpActNotify => no_errno(ScmpAction::Notify),
    }
}

fn arch(a: Arch) -> ScmpArch {
    match a {
        Arch::ScmpArchNative => ScmpArch::Native,
        Arch::ScmpArchX86 => ScmpArch::X86,
        Arch::ScmpArchX86_64 => ScmpArch::X8664,
        Arch::ScmpArchX32 => ScmpArch::X32,
        Arch::ScmpArchArm => ScmpArch::Arm,
        Arch::ScmpArchAarch64 => ScmpArch::Aarch64,
        Arch::ScmpArchMips => ScmpArch::Mips,
        Arch::ScmpArchMips64 => ScmpArch::Mips64,
        Arch::ScmpArchMips64n32 => ScmpArch::Mips64N32,
        Arch::ScmpArchMipsel => ScmpArch::Mipsel,
        Arch::ScmpArchMipsel64 => ScmpArch::Mipsel64,
        Arch::ScmpArchMipsel64n32 => ScmpArch::Mipsel64N32,
        Arch::ScmpArchPpc => ScmpArch::Ppc,
        Arch::ScmpArchPpc64 => ScmpArch::Ppc64,
        Arch::ScmpArchPpc64le => ScmpArch::Ppc64Le,
        Arch::ScmpArchS390 => ScmpArch::S390,
        Arch::ScmpArchS390x => ScmpArch::S390X,
        Arch::ScmpArchParisc => ScmpArch::Parisc,
        Arch::ScmpArchParisc64 => ScmpArch::Parisc64,
        Arch::ScmpArchRiscv64 => ScmpArch::Riscv64,
        Arch::ScmpArchLoongarch64 => ScmpArch::Loongarch64,
        Arch::ScmpArchM68k => ScmpArch::M68k,
        Arch::ScmpArchSh => ScmpArch::Sh,
        Arch::ScmpArchSheb => ScmpArch::Sheb,
    }
}

fn compare(
    field: &str,
    index: usize,
    op: LinuxSeccompOperator,
    value: u64,
    value_two: Option<u64>,
) -> Result<ScmpArgCompare, SeccompError> {
    // config-linux args: index names one of the (at most six) syscall arguments.
    if index >= MAX_SYSCALL_ARGS {
        return Err(invalid(
            format!("{field}.index"),
            format!("{index} is not below {MAX_SYSCALL_ARGS}"),
        ));
    }
    let op = match op {
        LinuxSeccompOperator::ScmpCmpNe => ScmpCompareOp::NotEqual,
        LinuxSeccompOperator::ScmpCmpLt => ScmpCompareOp::Less,
        LinuxSeccompOperator::ScmpCmpLe => ScmpCompareOp::LessOrEqual,
        LinuxSeccompOperator::ScmpCmpEq => ScmpCompareOp::Equal,
        LinuxSeccompOperator::ScmpCmpGe => ScmpCompareOp::GreaterEqual,
        LinuxSeccompOperator::ScmpCmpGt => ScmpCompareOp::Greater,
        // SCMP_CMP_MASKED_EQ: (arg & value) == valueTwo, as libseccomp's SCMP_CMP(index,
        // SCMP_CMP_MASKED_EQ, mask, datum) and runc read it.
        LinuxSeccompOperator::ScmpCmpMaskedEq => {
            return Ok(ScmpArgCompare::new(
                index as u32,
                ScmpCompareOp::MaskedEqual(value),
                value_two.unwrap_or(0),
            ))
        }
    };
    Ok(ScmpArgCompare::new(index as u32, op, value))
}

/// Checks and compiles `linux.seccomp`.
///
/// Syscall names unknown on this architecture are skipped silently (as runc does), so a
/// profile written for newer kernels still loads. `SCMP_ACT_NOTIFY` needs `listenerPath` (no
/// agent could ever answer otherwise) and cannot be the default action (the container process
/// could not even pass the notify fd on; runc refuses it too).
pub fn compile(seccomp: &LinuxSeccomp) -> Result<Filter, SeccompError> {
    let default = action(
        "linux.seccomp.defaultErrnoRet",
        seccomp.default_action(),
        unless_accepted(
            Flaw::AcceptDefaultErrnoRet,
            seccomp.default_action(),
            seccomp.default_errno_ret(),
        ),
    )?;
    if seccomp.default_action() == LinuxSeccompAction::ScmpActNotify {
        return Err(invalid(
            "linux.seccomp.defaultAction",
            "SCMP_ACT_NOTIFY cannot be the default action: every syscall after loading, \
             including the ones passing the notify fd on, would wait for an agent",
        ));
    }
    // config-linux: listenerMetadata MUST NOT be set if listenerPath is not set.
    if seccomp.listener_metadata().is_some() && seccomp.listener_path().is_none() {
        return Err(invalid(
            "linux.seccomp.listenerMetadata",
            "set while linux.seccomp.listenerPath is not",
        ));
    }
    let mut ctx = ScmpFilterContext::new(default).map_err(lib("linux.seccomp.defaultAction"))?;
    // The runtime applies process.noNewPrivileges itself; the filter must not set it.
    ctx.set_ctl_nnp(false)
        .map_err(lib("linux.seccomp (no_new_privs attribute)"))?;

    // config-linux architectures: the filter covers the native architecture plus the listed
    // ones.
    for (i, a) in seccomp.architectures().iter().flatten().enumerate() {
        let field = format!("linux.seccomp.architectures[{i}]");
        let sa = arch(*a);
        if sa == ScmpArch::Native {
            continue;
        }
        // Resolving the architecture token checks that the linked libseccomp knows it.
        let present = ctx
            .is_arch_present(sa)
            .map_err(|e| invalid(&field, format!("{a} is not supported by libseccomp: {e}")))?;
        if !present {
            ctx.add_arch(sa)
                .map_err(|e| invalid(&field, format!("{a} is not supported by libseccomp: {e}")))?;
        }
    }

    // config-linux flags: each listed seccomp(2) flag is applied; flags this libseccomp
    // cannot apply are an error.
    for (i, flag) in seccomp.flags().iter().flatten().enumerate() {
        let field = format!("linux.seccomp.flags[{i}]");
        let r = match flag {
            LinuxSeccompFilterFlag::SeccompFilterFlagTsync => ctx.set_ctl_tsync(true).map(|_| ()),
            LinuxSeccompFilterFlag::SeccompFilterFlagLog => ctx.set_ctl_log(true).map(|_| ()),
            LinuxSeccompFilterFlag::SeccompFilterFlagSpecAllow => ctx.set_ctl_ssb(true).map(|_| ()),
            LinuxSeccompFilterFlag::SeccompFilterFlagWaitKillableRecv => {
                ctx.set_ctl_waitkill(true).map(|_| ())
            }
        };
        r.map_err(|e| invalid(&field, format!("{flag} cannot be applied: {e}")))?;
    }

    let mut uses_notify = false;
    for (i, sc) in seccomp.syscalls().iter().flatten().enumerate() {
        let field = format!("linux.seccomp.syscalls[{i}]");
        // config-linux syscalls: names MUST contain at least one entry.
        if sc.names().is_empty() {
            return Err(invalid(format!("{field}.names"), "is empty"));
        }
        let errno_ret = unless_accepted(Flaw::AcceptRuleErrnoRet, sc.action(), sc.errno_ret());
        let act = action(&format!("{field}.errnoRet"), sc.action(), errno_ret)?;
        if act == ScmpAction::Notify {
            uses_notify = true;
        }
        let mut conditions = Vec::new();
        let mut per_index = [0usize; MAX_SYSCALL_ARGS];
        for (j, arg) in sc.args().iter().flatten().enumerate() {
            let afield = format!("{field}.args[{j}]");
            let cmp = compare(&afield, arg.index(), arg.op(), arg.value(), arg.value_two())?;
            per_index[arg.index()] += 1;
            conditions.push(cmp);
        }
        // Several conditions on the same argument cannot be ANDed by libseccomp; like runc,
        // each condition then becomes a rule of its own (they match as alternatives).
        let split = per_index.iter().any(|n| *n > 1);
        for (k, name) in sc.names().iter().enumerate() {
            let Ok(nr) = ScmpSyscall::from_name(name) else {
                // Unknown on this architecture: skipped like runc does.
                continue;
            };
            let nfield = format!("{field}.names[{k}] ({name})");
            if act == default {
                // libseccomp refuses rules whose action equals the default; they are no-ops.
                continue;
            }
            if conditions.is_empty() {
                ctx.add_rule(act, nr).map_err(lib(&nfield))?;
            } else if split {
                for c in &conditions {
                    ctx.add_rule_conditional(act, nr, std::slice::from_ref(c))
                        .map_err(lib(&nfield))?;
                }
            } else {
                ctx.add_rule_conditional(act, nr, &conditions)
                    .map_err(lib(&nfield))?;
            }
        }
    }
    if uses_notify && seccomp.listener_path().is_none() {
        // Without listenerPath no agent receives the notify fd, and the container process
        // would block forever on the first notified syscall.
        return Err(invalid(
            "linux.seccomp.listenerPath",
            "SCMP_ACT_NOTIFY is used but no listenerPath is set",
        ));
    }
    Ok(Filter { ctx, uses_notify })
}

impl Filter {
    /// True when some rule (or the default action) uses `SCMP_ACT_NOTIFY`.
    pub fn uses_notify(&self) -> bool {
        self.uses_notify
    }

    /// Loads the filter into the calling process (all threads when the TSYNC flag was given).
    /// Call it late, just before `execve`. Returns the notify fd (close-on-exec) when
    /// [`Filter::uses_notify`].
    pub fn load(self) -> Result<Option<OwnedFd>, SeccompError> {
        self.ctx.load().map_err(SeccompError::Load)?;
        if !self.uses_notify {
            return Ok(None);
        }
        let raw = self
            .ctx
            .get_notify_fd()
            .map_err(|e| SeccompError::NotifyFd(e.to_string()))?;
        // libseccomp keeps its own copy of the fd; hand out an owned duplicate.
        // SAFETY: fcntl(F_DUPFD_CLOEXEC) on an fd number; it only creates a new fd.
        let dup = unsafe { nix::libc::fcntl(raw, nix::libc::F_DUPFD_CLOEXEC, 0) };
        if dup < 0 {
            return Err(SeccompError::NotifyFd(format!(
                "duplicating fd {raw}: {}",
                std::io::Error::last_os_error()
            )));
        }
        // SAFETY: `dup` is a fresh fd we own.
        Ok(Some(unsafe { OwnedFd::from_raw_fd(dup) }))
    }
}

/// The container process state of config-linux "The Container Process State": `ociVersion`,
/// `fds` (the names of the SCM_RIGHTS fds, here the one `seccompFd`), `pid` (as seen by the
/// runtime), optional `metadata` (linux.seccomp.listenerMetadata) and `state` (the container
/// state of runtime.md).
pub fn process_state(
    oci_version: &str,
    pid: i32,
    metadata: Option<&str>,
    state: serde_json::Value,
) -> serde_json::Value {
    let mut obj = serde_json::Map::new();
    if !mutation::active(Flaw::ListenerStateWithoutOciVersion) {
        obj.insert("ociVersion".into(), oci_version.into());
    }
    let fds = if mutation::active(Flaw::ListenerFdsNotListed) {
        serde_json::json!([])
    } else {
        serde_json::json!(["seccompFd"])
    };
    obj.insert("fds".into(), fds);
    if !mutation::active(Flaw::ListenerStateWithoutPid) {
        obj.insert("pid".into(), pid.into());
    }
    if let Some(m) = metadata {
        obj.insert("metadata".into(), m.into());
    }
    if !mutation::active(Flaw::ListenerStateWithoutState) {
        obj.insert("state".into(), state);
    }
    serde_json::Value::Object(obj)
}

/// Sends the container process state and the seccomp notify fd to the agent listening at
/// `linux.seccomp.listenerPath`.
///
/// config-linux: the socket is AF_UNIX / SOCK_STREAM; the state goes as JSON payload with the
/// fd as SCM_RIGHTS in the first sendmsg(2); exactly one state per connection, which is then
/// closed; a failure to send MUST be an error.
pub fn send_to_listener(
    listener_path: &Path,
    notify_fd: BorrowedFd<'_>,
    state_json: &[u8],
) -> Result<(), SeccompError> {
    let stream = UnixStream::connect(listener_path).map_err(|source| SeccompError::Connect {
        path: listener_path.to_path_buf(),
        source,
    })?;
    send_on(stream, listener_path, notify_fd, state_json)
}

/// Connects to the agent at `listener_path`: AF_UNIX, SOCK_STREAM (linux.seccomp.listener.socket-type).
pub fn connect(listener_path: &Path) -> std::io::Result<UnixStream> {
    if !mutation::active(Flaw::ListenerSeqpacketSocket) {
        return UnixStream::connect(listener_path);
    }
    use nix::sys::socket::{socket, AddressFamily, SockFlag, SockType, UnixAddr};
    let fd = socket(
        AddressFamily::Unix,
        SockType::SeqPacket,
        SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    let addr = UnixAddr::new(listener_path)?;
    nix::sys::socket::connect(fd.as_raw_fd(), &addr)?;
    Ok(UnixStream::from(fd))
}

/// [`send_to_listener`] over a connection made earlier (the container's init connects before
/// pivot_root, while `listenerPath` still resolves in the runtime's mount namespace).
pub fn send_on(
    mut stream: UnixStream,
    listener_path: &Path,
    notify_fd: BorrowedFd<'_>,
    state_json: &[u8],
) -> Result<(), SeccompError> {
    let send_err = |detail: String| SeccompError::Send {
        path: listener_path.to_path_buf(),
        detail,
    };
    if state_json.is_empty() {
        return Err(send_err("the container process state is empty".into()));
    }
    let framed;
    let state_json = if mutation::active(Flaw::ListenerStateNotJson) {
        framed = length_framed(state_json);
        framed.as_slice()
    } else {
        state_json
    };
    let fds = [notify_fd.as_raw_fd()];
    let with_fd = [ControlMessage::ScmRights(&fds)];
    let cmsg: &[ControlMessage] = if mutation::active(Flaw::ListenerStateWithoutFd) {
        &[]
    } else {
        &with_fd
    };
    let send_part = |part: &[u8]| loop {
        match sendmsg::<()>(
            stream.as_raw_fd(),
            &[IoSlice::new(part)],
            cmsg,
            MsgFlags::MSG_NOSIGNAL,
            None,
        ) {
            Ok(n) => break Ok(n),
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => break Err(send_err(format!("sendmsg: {e}"))),
        }
    };
    // The fd travels with the first sendmsg only; the rest of the payload (if the kernel took
    // a partial write) follows as plain data.
    let sent = if mutation::active(Flaw::ListenerFdInEverySendmsg) {
        let half = state_json.len() / 2;
        let first = send_part(&state_json[..half])?;
        if first < half {
            return Err(send_err("short sendmsg".into()));
        }
        half + send_part(&state_json[half..])?
    } else {
        send_part(state_json)?
    };
    if sent < state_json.len() {
        stream
            .write_all(&state_json[sent..])
            .map_err(|e| send_err(format!("write: {e}")))?;
    }
    if mutation::active(Flaw::ListenerStateTwice) {
        stream
            .write_all(state_json)
            .map_err(|e| send_err(format!("write: {e}")))?;
    }
    if mutation::active(Flaw::ListenerConnectionReused) {
        stream
            .write_all(&running_state(state_json))
            .map_err(|e| send_err(format!("write: {e}")))?;
    }
    if mutation::active(Flaw::ListenerConnectionKeptOpen) {
        // Left open, and inherited by the container process.
        let fd = std::os::fd::IntoRawFd::into_raw_fd(stream);
        // SAFETY: fcntl on a descriptor this process owns (and now leaks on purpose).
        unsafe { nix::libc::fcntl(fd, nix::libc::F_SETFD, 0) };
        return Ok(());
    }
    // One state per connection; the connection is closed (and not reused) afterwards.
    stream
        .shutdown(std::net::Shutdown::Both)
        .or_else(|e| {
            if e.kind() == std::io::ErrorKind::NotConnected {
                Ok(())
            } else {
                Err(e)
            }
        })
        .map_err(|e| send_err(format!("closing: {e}")))?;
    Ok(())
}

/// The `listener-state-not-json` defect: the payload is preceded by its length as 4 bytes.
fn length_framed(state_json: &[u8]) -> Vec<u8> {
    let len = u32::try_from(state_json.len()).unwrap_or(u32::MAX);
    let mut framed = len.to_le_bytes().to_vec();
    framed.extend_from_slice(state_json);
    framed
}

/// The `listener-connection-reused` defect: the state sent again on the same connection, as it
/// is once the program runs (status `running`).
fn running_state(state_json: &[u8]) -> Vec<u8> {
    let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(state_json) else {
        return state_json.to_vec();
    };
    if let Some(status) = v.pointer_mut("/state/status") {
        *status = "running".into();
    }
    serde_json::to_vec(&v).unwrap_or_else(|_| state_json.to_vec())
}

#[cfg(test)]
mod tests;
