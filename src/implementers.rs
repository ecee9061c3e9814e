//! Everything in ocicheck that implements catalog requirements: the validator's checks and
//! the harness's runtime cases. Each names its requirement ids where it is defined; this module
//! only gathers them, so the status of a requirement is never kept in a second list.

use ocicheck_catalog::Implementer;

/// All implementers known to this binary.
pub fn all() -> Vec<Implementer> {
    let mut all = ocicheck_validator::implementers();
    all.extend(ocicheck_runtimetest::implementers(&|name| {
        ocicheck_runtime::mutation::find(name).map(|m| m.violates.as_str())
    }));
    all
}
