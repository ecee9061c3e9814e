//! Messages between the runtime and the container's init process during create, over a
//! SOCK_SEQPACKET socket pair: one JSON message per packet, so boundaries are kept.

use std::os::fd::{AsRawFd, OwnedFd};

use nix::sys::socket::{recv, send, socketpair, AddressFamily, MsgFlags, SockFlag, SockType};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    /// Runtime → setup child: it is in its cgroup, carry on. Runtime → init: its pid is
    /// known, carry on.
    Go,
    /// Child → runtime: a new user namespace exists; write its ID mappings.
    UsernsReady,
    /// Runtime → child: mappings written.
    MappingsDone,
    /// Intermediate child → runtime: the container's init, as a pid in the runtime's namespace.
    InitPid(i32),
    /// Init → runtime: namespaces and mounts are ready; run prestart and createRuntime hooks.
    RunCreateHooks,
    /// Runtime → init: hooks done; the state JSON the container's hooks get on stdin.
    HooksDone(String),
    /// Init → runtime: the container is created and waits for start.
    Created,
    /// Init → runtime: created, although a createContainer hook failed (only under the
    /// `keep-running-after-hook-failure` mutation).
    CreatedDespite(String),
    /// Either side: setup failed.
    Failed(String),
}

pub struct Channel {
    fd: OwnedFd,
}

/// A connected pair: (runtime side, container side).
pub fn pair() -> Result<(Channel, Channel)> {
    let (a, b) = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .map_err(|e| Error::sys("cannot create the setup socket pair", e))?;
    Ok((Channel { fd: a }, Channel { fd: b }))
}

impl Channel {
    pub fn send(&self, msg: &Msg) -> Result<()> {
        let bytes = serde_json::to_vec(msg)
            .map_err(|e| Error::msg(format!("cannot encode {msg:?}: {e}")))?;
        send(self.fd.as_raw_fd(), &bytes, MsgFlags::MSG_NOSIGNAL)
            .map_err(|e| Error::sys("cannot talk to the container's setup process", e))?;
        Ok(())
    }

    /// The next message; an error when the other side went away (it died or exited).
    pub fn recv(&self) -> Result<Msg> {
        let mut buf = vec![0u8; 64 * 1024];
        let n = loop {
            match recv(self.fd.as_raw_fd(), &mut buf, MsgFlags::empty()) {
                Err(nix::errno::Errno::EINTR) => continue,
                other => break other,
            }
        }
        .map_err(|e| Error::sys("cannot hear from the container's setup process", e))?;
        if n == 0 {
            return Err(Error::msg(
                "the container's setup process exited without saying why",
            ));
        }
        serde_json::from_slice(&buf[..n])
            .map_err(|e| Error::msg(format!("garbled message from the setup process: {e}")))
    }

    /// Waits for `want`; a `Failed` message becomes the error.
    pub fn wait_for(&self, want: &Msg) -> Result<()> {
        match self.recv()? {
            ref m if m == want => Ok(()),
            Msg::Failed(why) => Err(Error::Msg(why)),
            other => Err(Error::msg(format!(
                "setup protocol: expected {want:?}, got {other:?}"
            ))),
        }
    }

    pub fn raw(&self) -> i32 {
        self.fd.as_raw_fd()
    }
}
