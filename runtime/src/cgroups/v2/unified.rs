//! `linux.resources.unified`: cgroup v2 interface files written verbatim.

use std::collections::HashMap;
use std::path::Path;

use super::super::files::write_file;
use super::super::CgroupError;

/// config-linux unified: each key is a file of the unified hierarchy, written in key order;
/// unknown configuration MUST still be written verbatim. A key that is not a file name, or a
/// file the cgroup does not have, is an error.
pub fn apply(dir: &Path, unified: &HashMap<String, String>) -> Result<(), CgroupError> {
    let mut keys: Vec<(&String, &String)> = unified.iter().collect();
    keys.sort();
    for (key, value) in keys {
        let field = format!("linux.resources.unified[{key:?}]");
        if key.is_empty() || key.contains('/') || key.starts_with('.') {
            return Err(CgroupError::InvalidValue {
                field,
                reason: "not a cgroup interface file name".into(),
            });
        }
        let path = dir.join(key);
        if !path.exists() {
            return Err(CgroupError::MissingFile {
                field,
                controller: key.split('.').next().unwrap_or(key).to_string(),
                path,
            });
        }
        write_file(&field, &path, value)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{dir_with, pairs, writes};

    fn map(list: &[(&str, &str)]) -> HashMap<String, String> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn keys_in_order_values_verbatim() {
        let tmp = dir_with(&["pids.max", "memory.high", "io.weight"]);
        let u = map(&[
            ("pids.max", "7"),
            ("memory.high", "max"),
            ("io.weight", "default 100"),
        ]);
        apply(tmp.path(), &u).expect("apply");
        assert_eq!(
            writes(tmp.path()),
            pairs(&[
                ("io.weight", "default 100"),
                ("memory.high", "max"),
                ("pids.max", "7"),
            ])
        );
    }

    #[test]
    fn bad_keys_and_missing_files_are_errors() {
        let tmp = dir_with(&["pids.max"]);
        for bad in ["", "../pids.max", ".hidden"] {
            let err = apply(tmp.path(), &map(&[(bad, "1")])).expect_err(bad);
            assert!(matches!(err, CgroupError::InvalidValue { .. }), "{err}");
        }
        let err = apply(tmp.path(), &map(&[("memory.high", "1")])).expect_err("memory.high");
        assert!(
            matches!(&err, CgroupError::MissingFile { controller, .. } if controller == "memory"),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "linux.resources.unified[\"memory.high\"]: the memory cgroup controller has no \
                 file {}",
                tmp.path().join("memory.high").display()
            )
        );
        assert!(writes(tmp.path()).is_empty());
    }
}
