//! The runtime's errors: each says what failed and why.

use std::io;

use crate::cgroups::CgroupError;

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
    /// A cgroup operation failed; `context` says which (`cgroup` while creating the
    /// container's cgroup). The cgroup error keeps its type, for callers and `source()`.
    #[error("{context}: {source}")]
    Cgroup {
        context: &'static str,
        #[source]
        source: CgroupError,
    },
    #[error("{0}")]
    Msg(String),
}

/// `?` on a cgroup error while creating the container: "cgroup: ...".
impl From<CgroupError> for Error {
    fn from(source: CgroupError) -> Error {
        Error::Cgroup {
            context: "cgroup",
            source,
        }
    }
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

    /// A cgroup error, with what was being done: for `map_err`.
    pub fn cgroup(context: &'static str) -> impl FnOnce(CgroupError) -> Error {
        move |source| Error::Cgroup { context, source }
    }

    /// An errno from nix, with context.
    pub fn sys(context: impl Into<String>, errno: nix::errno::Errno) -> Error {
        Error::io(context, io::Error::from(errno))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn missing_pids() -> CgroupError {
        CgroupError::MissingController {
            field: "linux.resources.pids".into(),
            controller: "pids".into(),
            file: "/sys/fs/cgroup/cgroup.controllers".into(),
        }
    }

    #[test]
    fn cgroup_errors_keep_their_type_and_read_as_before() {
        let e: Error = missing_pids().into();
        assert_eq!(
            e.to_string(),
            "cgroup: linux.resources.pids: the host has no pids cgroup controller (needed to \
             write /sys/fs/cgroup/cgroup.controllers)"
        );
        let source = std::error::Error::source(&e).expect("source");
        assert!(matches!(
            source.downcast_ref::<CgroupError>(),
            Some(CgroupError::MissingController { .. })
        ));

        let e = Error::cgroup("cannot remove the container's cgroup")(missing_pids());
        assert!(e
            .to_string()
            .starts_with("cannot remove the container's cgroup: linux.resources.pids: "));
        assert!(matches!(
            e,
            Error::Cgroup {
                source: CgroupError::MissingController { .. },
                ..
            }
        ));
    }
}
