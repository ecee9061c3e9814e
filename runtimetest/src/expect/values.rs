//! Observed values in the words of a case file or a config.

use crate::show::Words;

/// A umask as a case writes it (decimal) and as people read it (octal): `18 (0022)`.
pub fn umask(m: u32) -> Words {
    Words(format!("{m} ({m:04o})"))
}

/// Soft and hard limits of an rlimit: `soft 1024, hard unlimited`.
pub fn limits((soft, hard): (u64, u64)) -> Words {
    let limit = |n: u64| match n {
        u64::MAX => "unlimited".to_string(),
        n => n.to_string(),
    };
    Words(format!("soft {}, hard {}", limit(soft), limit(hard)))
}

/// A terminal's size: `24 rows, 80 columns`.
pub fn tty_size((rows, columns): (u16, u16)) -> Words {
    Words(format!("{rows} rows, {columns} columns"))
}

/// Execution domains by the name a config gives them (`linux.personality.domain`).
pub mod personality {
    use super::Words;

    /// The domains a config names (PER_LINUX, PER_LINUX32) and their numbers.
    const DOMAINS: [(&str, u64); 2] = [("LINUX", 0), ("LINUX32", 8)];

    /// The number of a domain's name.
    pub fn number(name: &str) -> Option<u64> {
        DOMAINS.iter().find(|(n, _)| *n == name).map(|(_, d)| *d)
    }

    /// The name of a domain's number (in hex when a config cannot name it).
    pub fn name(domain: u64) -> Words {
        match DOMAINS.iter().find(|(_, d)| *d == domain) {
            Some((n, _)) => Words(n.to_string()),
            None => Words(format!("{domain:#x}")),
        }
    }
}
