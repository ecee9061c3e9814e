//! Capability sets as a case names them (`CAP_CHOWN`) and as the probe reports them (bit masks).

use std::str::FromStr;

/// The mask of these capability names.
pub fn mask(names: &[String]) -> Result<u64, String> {
    names.iter().try_fold(0u64, |acc, n| {
        caps::Capability::from_str(n)
            .map(|c| acc | (1u64 << c.index()))
            .map_err(|_| format!("unknown capability {n}"))
    })
}

/// The names of the capabilities in `mask`.
pub fn names(mask: u64) -> Vec<String> {
    caps::all()
        .into_iter()
        .filter(|c| mask & (1u64 << c.index()) != 0)
        .map(|c| c.to_string())
        .collect()
}
