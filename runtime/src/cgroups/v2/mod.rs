//! cgroup v2 controllers: one module per controller, each writing its part of
//! `linux.resources` into the container's directory of the unified hierarchy, and the
//! enabling of controllers in the ancestors' `cgroup.subtree_control`.

pub mod bpf;
pub mod cpu;
pub mod cpuset;
pub mod devices;
pub mod freezer;
pub mod hugetlb;
pub mod io;
pub mod memory;
pub mod pids;
pub mod rdma;
pub mod unified;

use std::path::{Path, PathBuf};

use super::files::{read_controllers, write_file};
use super::CgroupError;

/// config-linux "Unified": the runtime MUST ensure the needed controllers are enabled for the
/// cgroup. Each `(controller, field)` of `needed` is added to `cgroup.subtree_control` of every
/// ancestor of `dir` from the hierarchy's mount point `base` down; a controller an ancestor
/// does not offer (`cgroup.controllers`) is an error naming the field.
pub fn enable_controllers(
    base: &Path,
    dir: &Path,
    needed: &[(String, String)],
) -> Result<(), CgroupError> {
    if needed.is_empty() {
        return Ok(());
    }
    let mut ancestors: Vec<PathBuf> = Vec::new();
    let mut cur = dir.parent();
    while let Some(p) = cur {
        if !p.starts_with(base) {
            break;
        }
        ancestors.push(p.to_path_buf());
        if p == base {
            break;
        }
        cur = p.parent();
    }
    ancestors.reverse();
    for (ctrl, field) in needed {
        for a in &ancestors {
            let available = read_controllers(&a.join("cgroup.controllers"))?;
            if !available.iter().any(|c| c == ctrl) {
                // config-linux: the runtime MUST generate an error when the configuration
                // refers to a cgroup controller that is not present or cannot be enabled.
                return Err(CgroupError::MissingController {
                    field: field.clone(),
                    controller: ctrl.clone(),
                    file: a.join("cgroup.controllers").display().to_string(),
                });
            }
            let stc = a.join("cgroup.subtree_control");
            let enabled = read_controllers(&stc)?;
            if !enabled.iter().any(|c| c == ctrl) {
                write_file(field, &stc, &format!("+{ctrl}"))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{pairs, writes};
    use std::fs;

    fn needed(list: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs(list)
    }

    /// base/a/b/c, with what each ancestor offers and has enabled.
    fn tree() -> (tempfile::TempDir, PathBuf) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let base = tmp.path();
        let dir = base.join("a/b/c");
        fs::create_dir_all(&dir).expect("mkdir");
        for (d, offered, enabled) in [
            (base.to_path_buf(), "cpu memory pids", "memory"),
            (base.join("a"), "memory pids", ""),
            (base.join("a/b"), "pids", ""),
        ] {
            fs::write(d.join("cgroup.controllers"), format!("{offered}\n")).expect("controllers");
            fs::write(d.join("cgroup.subtree_control"), enabled).expect("subtree_control");
        }
        writes(base);
        (tmp, dir)
    }

    #[test]
    fn controllers_are_enabled_from_the_root_down() {
        let (tmp, dir) = tree();
        let base = tmp.path();
        enable_controllers(base, &dir, &needed(&[("pids", "linux.resources.pids")]))
            .expect("pids everywhere");
        assert_eq!(
            writes(base),
            pairs(&[
                ("cgroup.subtree_control", "+pids"),
                ("a/cgroup.subtree_control", "+pids"),
                ("a/b/cgroup.subtree_control", "+pids"),
            ])
        );
    }

    #[test]
    fn a_controller_an_ancestor_lacks_is_an_error() {
        // memory is already enabled at the root but not offered below a/.
        let (tmp, dir) = tree();
        let base = tmp.path();
        let err = enable_controllers(base, &dir, &needed(&[("memory", "linux.resources.memory")]))
            .expect_err("a/b has no memory");
        assert_eq!(
            writes(base),
            pairs(&[("a/cgroup.subtree_control", "+memory")])
        );
        assert_eq!(
            err.to_string(),
            format!(
                "linux.resources.memory: the host has no memory cgroup controller (needed to \
                 write {})",
                base.join("a/b/cgroup.controllers").display()
            )
        );
    }

    #[test]
    fn nothing_needed_nothing_read() {
        // No cgroup files at all: nothing is read or written.
        enable_controllers(Path::new("/nonexistent"), Path::new("/nonexistent/x"), &[])
            .expect("nothing to do");
    }
}
