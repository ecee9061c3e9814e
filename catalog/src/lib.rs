//! The requirement catalog of ocicheck: every tracked normative statement of the OCI
//! runtime-spec (1.0.0–1.3.0) with a stable id, its level, kind, versions and spec link, plus
//! the derivation of each requirement's status and the generated WIP.md matrix.
//!
//! The catalog data lives in `requirements/*.toml` (see the crate's README) and is embedded
//! at build time.

mod load;
pub mod matrix;
mod model;
mod status;
mod version;

pub use load::{valid_id, Catalog, CatalogError, Problem};
pub use model::{Doc, Kind, Level, Requirement, SPEC_REPO_URL};
pub use status::{Claim, Derivation, Implementer, ImplementerKind, Status, Statuses, UnknownIds};
pub use version::{Resolution, Resolved, SpecVersion};
