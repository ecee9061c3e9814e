//! The host features cases may need (`needs` in a case file), probed on this machine.

use std::collections::BTreeSet;
use std::path::Path;

use crate::case::Need;

/// The features this host has.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Host {
    pub features: BTreeSet<Need>,
}

impl Host {
    /// Probes this machine, with its cgroup hierarchies mounted at `cgroup_root`.
    pub fn probe(cgroup_root: &Path) -> Host {
        let features = Need::ALL
            .into_iter()
            .filter(|n| has(*n, cgroup_root))
            .collect();
        Host { features }
    }

    /// A host with exactly these features (for tests and dry runs).
    pub fn with(features: impl IntoIterator<Item = Need>) -> Host {
        Host {
            features: features.into_iter().collect(),
        }
    }

    /// Why a case needing `needs` cannot run here, if it cannot.
    pub fn missing(&self, needs: &[Need]) -> Option<&'static str> {
        needs
            .iter()
            .find(|n| !self.features.contains(n))
            .map(|n| n.missing_reason())
    }
}

fn has(need: Need, cgroup_root: &Path) -> bool {
    let exists = |p: &str| cgroup_root.join(p).exists();
    let v2 = exists("cgroup.controllers");
    match need {
        Need::TimeNamespace => Path::new("/proc/self/ns/time").exists(),
        Need::CgroupNamespace => Path::new("/proc/self/ns/cgroup").exists(),
        Need::CgroupPids => exists("pids/cgroup.procs") || v2,
        Need::CgroupMemory => exists("memory/memory.limit_in_bytes") || v2,
        Need::CgroupV1 => !v2 && exists("pids/cgroup.procs"),
        Need::CgroupV2 => v2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_follow_the_cgroup_layout() {
        let v1 = tempfile::tempdir().expect("tmp"); // ok: test code
        std::fs::create_dir_all(v1.path().join("pids")).expect("mkdir"); // ok: test code
        std::fs::write(v1.path().join("pids/cgroup.procs"), "").expect("write"); // ok: test code
        let host = Host::probe(v1.path());
        assert!(host.features.contains(&Need::CgroupV1));
        assert!(host.features.contains(&Need::CgroupPids));
        assert!(!host.features.contains(&Need::CgroupV2));
        assert!(!host.features.contains(&Need::CgroupMemory));

        let v2 = tempfile::tempdir().expect("tmp"); // ok: test code
        std::fs::write(v2.path().join("cgroup.controllers"), "").expect("write"); // ok: test code
        let host = Host::probe(v2.path());
        assert!(host.features.contains(&Need::CgroupV2));
        assert!(!host.features.contains(&Need::CgroupV1));
    }

    #[test]
    fn the_first_missing_need_gives_the_reason() {
        let host = Host::with([Need::CgroupV2]);
        assert_eq!(host.missing(&[Need::CgroupV2]), None);
        assert_eq!(
            host.missing(&[Need::CgroupV2, Need::TimeNamespace]),
            Some("kernel has no time namespace")
        );
    }
}
