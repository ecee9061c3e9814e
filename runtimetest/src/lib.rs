//! The ocicheck runtime harness: declarative lifecycle cases (`cases/*.toml`), a lifecycle
//! interface with a driver for any runtime with the OCI command line (and an in-memory fake for
//! tests), an in-container probe, isolation and cleanup, baselines and reports.
//!
//! The flow: [`case`] loads and checks case files → [`runner`] schedules them and runs each
//! through a [`lifecycle::Lifecycle`] → [`runner::judge`] turns what it saw into a
//! [`runner::CaseResult`] → [`report`] renders the results.

pub mod baseline;
pub mod case;
pub mod expect;
pub mod host;
pub mod lifecycle;
pub mod mount_trace;
pub mod netdev;
pub mod preflight;
pub mod probe;
pub mod procfs;
pub mod reaper;
pub mod report;
pub mod runner;
pub mod selection;
pub mod show;
pub mod sockets;

pub use case::{Case, Suite};
pub use runner::{run_suite, run_suite_with, Progress, RunConfig};

/// Every case as an implementer of its requirements, for status derivation. A case proves a
/// requirement when one of its `broken_by` mutations violates it (`violates` gives the
/// requirement a mutation of the reference runtime violates); a test runs the case under each
/// and requires the assertion naming that requirement to fail.
pub fn implementers(
    violates: &dyn Fn(&str) -> Option<&'static str>,
) -> Vec<ocicheck_catalog::Implementer> {
    let Ok(suite) = Suite::embedded() else {
        return Vec::new();
    };
    suite
        .cases
        .iter()
        .map(|c| {
            c.requirements.iter().fold(
                ocicheck_catalog::Implementer::new(
                    ocicheck_catalog::ImplementerKind::Case,
                    c.id.clone(),
                ),
                |imp, id| match c
                    .broken_by
                    .iter()
                    .find(|m| violates(m) == Some(id.as_str()))
                {
                    Some(m) => imp.proven_by(id.clone(), format!("mutation:{m}")),
                    None => imp.claim(id.clone(), false),
                },
            )
        })
        .collect()
}
