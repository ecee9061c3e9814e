//! v1 `hugetlb`: `linux.resources.hugepageLimits`.

use std::path::Path;

use oci_spec::runtime::LinuxHugepageLimit;

use super::super::checks::{hugepage_field, hugepage_size};
use super::super::files::ControllerDir;
use super::super::CgroupError;

pub const CONTROLLER: &str = "hugetlb";

/// The usage limit file of a page size (`2MB`...).
pub fn limit_file(size: &str) -> String {
    format!("hugetlb.{size}.limit_in_bytes")
}

/// config-linux hugepageLimits: limits the page-fault usage of each page size, and the
/// reservations where the kernel has reservation accounting (as runc does).
pub fn apply(dir: &Path, limits: &[LinuxHugepageLimit], rsvd: bool) -> Result<(), CgroupError> {
    let d = ControllerDir::new(dir, CONTROLLER);
    for (i, h) in limits.iter().enumerate() {
        let size = hugepage_size(i, h)?;
        let field = hugepage_field(i);
        let value = h.limit().to_string();
        d.set(&field, &limit_file(size), &value)?;
        // config-linux hugepageLimits: reservation accounting SHOULD be limited where the
        // kernel has it (`rsvd` is false only under the skip-hugetlb-rsvd defect).
        if rsvd {
            d.set_if_exists(
                &field,
                &format!("hugetlb.{size}.rsvd.limit_in_bytes"),
                &value,
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{dir_with, from_json, pairs, writes};

    #[test]
    fn limit_and_reservation_where_present() {
        let tmp = dir_with(&[
            "hugetlb.2MB.limit_in_bytes",
            "hugetlb.2MB.rsvd.limit_in_bytes",
            "hugetlb.1GB.limit_in_bytes",
        ]);
        let l: Vec<LinuxHugepageLimit> = from_json(serde_json::json!([
            {"pageSize": "2MB", "limit": 4194304},
            {"pageSize": "1GB", "limit": 0}
        ]));
        apply(tmp.path(), &l, true).expect("apply");
        assert_eq!(
            writes(tmp.path()),
            pairs(&[
                ("hugetlb.2MB.limit_in_bytes", "4194304"),
                ("hugetlb.2MB.rsvd.limit_in_bytes", "4194304"),
                ("hugetlb.1GB.limit_in_bytes", "0"),
            ])
        );
    }

    #[test]
    fn unknown_size_and_bad_size_are_errors() {
        let tmp = dir_with(&["hugetlb.2MB.limit_in_bytes"]);
        let l: Vec<LinuxHugepageLimit> =
            from_json(serde_json::json!([{"pageSize": "3MB", "limit": 1}]));
        let err = apply(tmp.path(), &l, true).expect_err("3MB");
        assert!(
            matches!(&err, CgroupError::MissingFile { field, .. } if field == "linux.resources.hugepageLimits[0]"),
            "{err}"
        );
        let l: Vec<LinuxHugepageLimit> =
            from_json(serde_json::json!([{"pageSize": "../2MB", "limit": 1}]));
        assert!(matches!(
            apply(tmp.path(), &l, true),
            Err(CgroupError::InvalidValue { .. })
        ));
        assert!(writes(tmp.path()).is_empty());
    }
}
