//! Shared by the tests that drive real containers.

use std::path::PathBuf;

/// runc's path; None (the test is then skipped, with a message) when it is not installed,
/// except in CI, where a missing runc fails the test.
pub fn runc() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("runc"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "runc must be installed in CI"
        );
        eprintln!("runc is not installed: skipping");
    }
    found
}
