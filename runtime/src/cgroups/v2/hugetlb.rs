//! v2 `hugetlb`: `linux.resources.hugepageLimits`.

use std::path::Path;

use oci_spec::runtime::LinuxHugepageLimit;

use super::super::checks::{hugepage_field, hugepage_size};
use super::super::files::ControllerDir;
use super::super::CgroupError;

pub const CONTROLLER: &str = "hugetlb";

/// config-linux hugepageLimits: limits the page-fault usage of each page size
/// (`hugetlb.<size>.max`), and the reservations where the kernel has reservation accounting
/// (`hugetlb.<size>.rsvd.max`), as runc does.
pub fn apply(dir: &Path, limits: &[LinuxHugepageLimit], rsvd: bool) -> Result<(), CgroupError> {
    let d = ControllerDir::new(dir, CONTROLLER);
    for (i, h) in limits.iter().enumerate() {
        let size = hugepage_size(i, h)?;
        let field = hugepage_field(i);
        let value = h.limit().to_string();
        d.set(&field, &format!("hugetlb.{size}.max"), &value)?;
        // config-linux hugepageLimits: reservation accounting SHOULD be limited where the
        // kernel has it (`rsvd` is false only under the skip-hugetlb-rsvd defect).
        if rsvd {
            d.set_if_exists(&field, &format!("hugetlb.{size}.rsvd.max"), &value)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{dir_with, from_json, pairs, writes};

    #[test]
    fn max_and_reservation_where_present() {
        let tmp = dir_with(&["hugetlb.2MB.max", "hugetlb.1GB.max", "hugetlb.1GB.rsvd.max"]);
        let l: Vec<LinuxHugepageLimit> = from_json(serde_json::json!([
            {"pageSize": "2MB", "limit": 4194304},
            {"pageSize": "1GB", "limit": 1073741824}
        ]));
        apply(tmp.path(), &l, true).expect("apply");
        assert_eq!(
            writes(tmp.path()),
            pairs(&[
                ("hugetlb.2MB.max", "4194304"),
                ("hugetlb.1GB.max", "1073741824"),
                ("hugetlb.1GB.rsvd.max", "1073741824"),
            ])
        );
    }

    #[test]
    fn without_rsvd_only_the_usage_limit() {
        let tmp = dir_with(&["hugetlb.2MB.max", "hugetlb.2MB.rsvd.max"]);
        let l: Vec<LinuxHugepageLimit> =
            from_json(serde_json::json!([{"pageSize": "2MB", "limit": 4194304}]));
        apply(tmp.path(), &l, false).expect("apply");
        assert_eq!(writes(tmp.path()), pairs(&[("hugetlb.2MB.max", "4194304")]));
    }

    #[test]
    fn an_unknown_size_is_an_error_naming_the_entry() {
        let tmp = dir_with(&["hugetlb.2MB.max"]);
        let l: Vec<LinuxHugepageLimit> = from_json(serde_json::json!([
            {"pageSize": "2MB", "limit": 1},
            {"pageSize": "64KB", "limit": 1}
        ]));
        let err = apply(tmp.path(), &l, true).expect_err("64KB");
        assert!(
            err.to_string()
                .starts_with("linux.resources.hugepageLimits[1]: the hugetlb cgroup controller"),
            "{err}"
        );
        assert_eq!(writes(tmp.path()), pairs(&[("hugetlb.2MB.max", "1")]));
    }
}
