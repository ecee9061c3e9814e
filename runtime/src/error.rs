//! The runtime's errors: each says what failed and why.

use std::io;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// runtime.query-state.unknown-container.error and friends.
    #[error("container {0:?} does not exist")]
    NotFound(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
    #[error("{0}")]
    Msg(String),
}

impl Error {
    pub fn io(context: impl Into<String>, source: io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    pub fn msg(text: impl Into<String>) -> Error {
        Error::Msg(text.into())
    }

    /// An errno from nix, with context.
    pub fn sys(context: impl Into<String>, errno: nix::errno::Errno) -> Error {
        Error::io(context, io::Error::from(errno))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
