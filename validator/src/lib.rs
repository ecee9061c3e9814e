//! ocicheck's bundle validator: judges OCI bundles and config.json files statically against the
//! requirement catalog, by the rules of each config's own runtime-spec release, offline.
//!
//! Two stages: our own JSON Schemas ([`schema`], embedded, with `x-requirement` annotations
//! naming the catalog ids they enforce) and semantic checks ([`checks`], each naming its ids in
//! the check table). Every finding is a [`Diagnostic`] naming one catalog requirement, its JSON
//! pointer, line and column.

pub mod checks;
mod engine;
pub mod fuzzing;
pub mod input;
pub mod output;
mod patch;
pub mod position;
pub mod schema;

pub use engine::{BundleReport, Diagnostic, Options, Severity, Validator};
pub use input::{find_bundles, InputError, Target};
use ocicheck_catalog::ids;

/// Requirement ids that are not catalog entries: notes about the validation itself.
pub mod tool_ids {
    /// The config's `ociVersion` is not a known release; it was judged as the latest one.
    pub const UNKNOWN_VERSION: &str = "ocicheck.spec-version.unknown";
}

/// Everything in the validator that implements catalog requirements, for status derivation.
pub fn implementers() -> Vec<ocicheck_catalog::Implementer> {
    let proven = proof::PROVEN;
    let is_proven = |id: &str| proven.contains(&id);
    let mut out = Vec::new();
    let mut schema =
        ocicheck_catalog::Implementer::new(ocicheck_catalog::ImplementerKind::Check, "schema");
    for id in schema::annotated_requirements() {
        schema = schema.claim(id.clone(), is_proven(&id));
    }
    out.push(schema);
    // The input stage: reading the bundle's config.json.
    let mut files = ocicheck_catalog::Implementer::new(
        ocicheck_catalog::ImplementerKind::Check,
        "bundle-files",
    );
    for id in [
        ids::BUNDLE_CONFIG_JSON_REQUIRED,
        ids::BUNDLE_CONFIG_JSON_ROOT_LOCATION,
        ids::BUNDLE_ARTIFACTS_SINGLE_DIRECTORY,
    ] {
        files = files.claim(id, is_proven(id.as_str()));
    }
    out.push(files);
    for check in checks::CHECKS {
        let mut imp = ocicheck_catalog::Implementer::new(
            ocicheck_catalog::ImplementerKind::Check,
            check.name,
        );
        for id in check.requirements {
            imp = imp.claim(*id, is_proven(id.as_str()));
        }
        out.push(imp);
    }
    out
}

/// Requirement ids for which a violation fixture exists under `validator/tests/violations/`.
/// The `violations` test proves each fixture yields exactly its id, so a listed id is proven.
pub mod proof {
    include!(concat!(env!("OUT_DIR"), "/proven.rs"));
}
