//! Checks of `linux.resources` values that hold on either cgroup version; they run before
//! the controller is even looked up, so a bad value is reported as such on every host.

use oci_spec::runtime::{LinuxCpu, LinuxHugepageLimit};

use super::CgroupError;

/// config-linux cpu: a positive quota MUST be no smaller than burst (runtimes MAY error).
pub(super) fn cpu_burst(cpu: &LinuxCpu) -> Result<(), CgroupError> {
    if let (Some(q), Some(b)) = (cpu.quota(), cpu.burst()) {
        if q > 0 && i128::from(b) > i128::from(q) {
            return Err(CgroupError::InvalidValue {
                field: "linux.resources.cpu.burst".into(),
                reason: format!("burst {b} is larger than quota {q}"),
            });
        }
    }
    Ok(())
}

/// The field name of `hugepageLimits[i]`.
pub(super) fn hugepage_field(i: usize) -> String {
    format!("linux.resources.hugepageLimits[{i}]")
}

/// config-linux hugepageLimits pageSize: `<size><unit-prefix>B`; it becomes part of a file
/// name, so it may not be empty nor hold `/` or `.`.
pub(super) fn hugepage_size(i: usize, limit: &LinuxHugepageLimit) -> Result<&str, CgroupError> {
    let size = limit.page_size();
    if size.is_empty() || size.contains('/') || size.contains('.') {
        return Err(CgroupError::InvalidValue {
            field: format!("{}.pageSize", hugepage_field(i)),
            reason: format!("{size:?} is not of the form <size><unit-prefix>B"),
        });
    }
    Ok(size)
}

/// The field name of `rdma[device]`.
pub(super) fn rdma_field(device: &str) -> String {
    format!("linux.resources.rdma[{device:?}]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::from_json;

    #[test]
    fn burst_may_not_exceed_a_positive_quota() {
        let ok: LinuxCpu = from_json(serde_json::json!({"quota": 100, "burst": 100}));
        cpu_burst(&ok).expect("equal");
        let unlimited: LinuxCpu = from_json(serde_json::json!({"quota": -1, "burst": 100}));
        cpu_burst(&unlimited).expect("no quota");
        let bad: LinuxCpu = from_json(serde_json::json!({"quota": 100, "burst": 101}));
        let err = cpu_burst(&bad).expect_err("burst > quota");
        assert_eq!(
            err.to_string(),
            "linux.resources.cpu.burst: burst 101 is larger than quota 100"
        );
    }

    #[test]
    fn hugepage_sizes_must_be_file_name_parts() {
        for bad in ["", "2/MB", "1.5MB"] {
            let l: LinuxHugepageLimit = from_json(serde_json::json!({"pageSize": bad, "limit": 1}));
            let err = hugepage_size(3, &l).expect_err(bad);
            assert!(
                err.to_string()
                    .starts_with("linux.resources.hugepageLimits[3].pageSize: "),
                "{err}"
            );
        }
        let l: LinuxHugepageLimit = from_json(serde_json::json!({"pageSize": "2MB", "limit": 1}));
        assert_eq!(hugepage_size(0, &l).expect("2MB"), "2MB");
    }
}
