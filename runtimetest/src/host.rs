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

/// Where 2 MB huge pages are configured.
const HUGEPAGES_2MB: &str = "/sys/kernel/mm/hugepages/hugepages-2048kB";
/// The first kernel with the cgroup v2 freezer (`cgroup.freeze`).
const V2_FREEZE_SINCE: (u32, u32) = (5, 2);
/// The first kernel with hugetlb reservation accounting (`hugetlb.<size>.rsvd.*`).
const RSVD_SINCE: (u32, u32) = (5, 7);

/// The kernel release as (major, minor), from `uname -r`'s form `6.1.0-18-amd64`.
fn kernel_release() -> Option<(u32, u32)> {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok()?;
    parse_release(&release)
}

fn parse_release(release: &str) -> Option<(u32, u32)> {
    let mut parts = release.trim().split(|c: char| !c.is_ascii_digit());
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

fn has(need: Need, cgroup_root: &Path) -> bool {
    let exists = |p: &str| cgroup_root.join(p).exists();
    // On a cgroup v2 host, the controllers the root offers; on v1 or hybrid, none here (each
    // controller is its own hierarchy).
    let v2_controllers = std::fs::read_to_string(cgroup_root.join("cgroup.controllers")).ok();
    let v2 = v2_controllers.is_some();
    // A controller is available as its v1 hierarchy, or listed by the v2 root.
    let controller = |name: &str| match &v2_controllers {
        Some(list) => list.split_whitespace().any(|c| c == name),
        None => exists(&format!("{name}/cgroup.procs")),
    };
    match need {
        Need::TimeNamespace => Path::new("/proc/self/ns/time").exists(),
        Need::CgroupNamespace => Path::new("/proc/self/ns/cgroup").exists(),
        Need::NoResctrl => !resctrl_mounted(),
        Need::CgroupPids => controller("pids"),
        Need::CgroupMemory => controller("memory"),
        Need::CgroupCpu => controller("cpu"),
        Need::CgroupV1 => !v2 && exists("pids/cgroup.procs"),
        Need::CgroupV2 => v2,
        Need::IdmappedTmpfs => kernel_release().is_some_and(|r| r >= IDMAPPED_TMPFS_SINCE),
        Need::NetDevice => crate::netdev::unavailable().is_none(),
        Need::CgroupFreezer => {
            exists("freezer/cgroup.procs")
                || ((v2 || exists("unified/cgroup.controllers"))
                    && kernel_release().is_some_and(|r| r >= V2_FREEZE_SINCE))
        }
        Need::CgroupUnified => v2 || exists("unified/cgroup.controllers"),
        Need::CgroupV2Hugetlb => v2_offers(cgroup_root, "hugetlb") && huge_2mb(),
        Need::Strace => crate::mount_trace::strace_installed(),
        Need::CgroupHugetlbRsvd => {
            let v1 = exists("hugetlb/hugetlb.2MB.rsvd.limit_in_bytes");
            let v2 = v2_offers(cgroup_root, "hugetlb")
                && kernel_release().is_some_and(|r| r >= RSVD_SINCE);
            huge_2mb() && (v1 || v2)
        }
    }
}

/// The first kernel release that ID-maps tmpfs mounts.
const IDMAPPED_TMPFS_SINCE: (u32, u32) = (6, 3);

/// Whether a resctrl filesystem is mounted in this mount namespace (the one the runtime runs in).
/// Unreadable mountinfo counts as mounted: a case needing its absence is skipped, not misjudged.
fn resctrl_mounted() -> bool {
    std::fs::read_to_string("/proc/self/mountinfo").map_or(true, |info| {
        info.lines()
            .filter_map(|l| l.split_once(" - ").map(|(_, rest)| rest))
            .any(|rest| rest.split_whitespace().next() == Some("resctrl"))
    })
}

/// Whether the host's cgroup v2 hierarchy (the root on a v2 host, `unified` on a hybrid one)
/// offers `controller`.
fn v2_offers(cgroup_root: &Path, controller: &str) -> bool {
    ["cgroup.controllers", "unified/cgroup.controllers"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(cgroup_root.join(f)).ok())
        .next()
        .is_some_and(|list| list.split_whitespace().any(|c| c == controller))
}

fn huge_2mb() -> bool {
    Path::new(HUGEPAGES_2MB).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the kernel release `release` ("6.18.44-fc-v657") is `min` (major, minor) or later.
    fn release_at_least(release: &str, min: (u32, u32)) -> bool {
        parse_release(release).is_some_and(|r| r >= min)
    }

    #[test]
    fn kernel_releases_compare_by_major_and_minor() {
        assert!(release_at_least("6.18.44-fc-v657\n", (6, 3)));
        assert!(release_at_least("6.3.0", (6, 3)));
        assert!(release_at_least("7.0", (6, 3)));
        assert!(!release_at_least("6.1.0-13-amd64", (6, 3)));
        assert!(!release_at_least("5.19.1", (6, 3)));
        assert!(!release_at_least("garbage", (6, 3)));
    }

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

        // cgroup2 with only hugetlb enabled at the root (the other controllers are bound to v1
        // hierarchies elsewhere): no pids, memory or cpu to test.
        let v2 = tempfile::tempdir().expect("tmp"); // ok: test code
        std::fs::write(v2.path().join("cgroup.controllers"), "hugetlb\n").expect("write"); // ok: test code
        let host = Host::probe(v2.path());
        assert!(host.features.contains(&Need::CgroupV2));
        assert!(!host.features.contains(&Need::CgroupV1));
        for n in [Need::CgroupPids, Need::CgroupMemory, Need::CgroupCpu] {
            assert!(!host.features.contains(&n), "{n:?}");
        }
        std::fs::write(
            v2.path().join("cgroup.controllers"),
            "cpuset cpu io memory pids\n",
        )
        .expect("write"); // ok: test code
        let host = Host::probe(v2.path());
        for n in [Need::CgroupPids, Need::CgroupMemory, Need::CgroupCpu] {
            assert!(host.features.contains(&n), "{n:?}");
        }
    }

    #[test]
    fn hybrid_hosts_offer_their_v2_controllers_through_unified() {
        let tmp = tempfile::tempdir().expect("tmp"); // ok: test code
        std::fs::create_dir_all(tmp.path().join("unified")).expect("mkdir"); // ok: test code
        assert!(!has(Need::CgroupUnified, tmp.path()));
        std::fs::write(tmp.path().join("unified/cgroup.controllers"), "hugetlb\n").expect("write"); // ok: test code
        assert!(has(Need::CgroupUnified, tmp.path()));
        assert!(v2_offers(tmp.path(), "hugetlb"));
        assert!(!v2_offers(tmp.path(), "memory"));
    }

    #[test]
    fn kernel_releases_are_read_as_major_and_minor() {
        assert_eq!(parse_release("6.1.0-18-amd64\n"), Some((6, 1)));
        assert_eq!(parse_release("5.10.0"), Some((5, 10)));
        assert!(parse_release("5.6.19") < Some(RSVD_SINCE));
        assert_eq!(parse_release("garbage"), None);
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
