//! ocicheck's reference OCI runtime (issue #5): a runc-compatible Linux container runtime whose
//! code names, next to each piece, the catalog requirement ids it implements.

pub mod cgroups;
pub mod seccomp;
