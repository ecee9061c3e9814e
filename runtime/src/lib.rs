//! ocicheck's reference OCI runtime (issue #5): a runc-compatible Linux container runtime whose
//! code names, next to each piece, the catalog requirement ids it implements.
//!
//! Reach it as `ocicheck runtime ...` or through a link named `ocicheck-runtime`.
//!
//! [`mutation`] is a testing device: the environment variable `OCICHECK_MUTATION` switches on
//! one deliberate defect that breaks one requirement, to show that the cases naming it can fail.

pub mod cgroups;
pub mod cli;
mod console;
pub mod create;
pub mod error;
pub mod hooks;
pub mod info;
pub mod log;
pub mod mutation;
pub mod net;
pub mod ops;
pub mod process;
pub mod rootfs;
pub mod seccomp;
pub mod state;
mod sync;

pub use cli::main;
