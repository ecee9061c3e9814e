//! The ocicheck runtime harness: declarative lifecycle cases (`cases/*.toml`), a driver for any
//! runtime with the OCI command line, an in-container probe, isolation and cleanup, baselines
//! and reports.

pub mod case;
pub mod driver;
pub mod expect;
pub mod probe;
pub mod report;
pub mod runner;
pub mod sockets;

pub use case::{embedded as embedded_cases, Case};
pub use runner::{run_suite, CaseResult, Outcome, RunConfig};

/// Every case as an implementer of its requirements, for status derivation. A case is proven
/// when it names a breaking runtime wrapper (`broken_by`), which a test runs it against.
pub fn implementers() -> Vec<ocicheck_catalog::Implementer> {
    let Ok(cases) = case::embedded() else {
        return Vec::new();
    };
    cases
        .iter()
        .map(|c| {
            c.requirements.iter().fold(
                ocicheck_catalog::Implementer::new(
                    ocicheck_catalog::ImplementerKind::Case,
                    c.id.clone(),
                ),
                |imp, id| imp.claim(id.clone(), !c.broken_by.is_empty()),
            )
        })
        .collect()
}
