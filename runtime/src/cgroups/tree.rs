//! The container's cgroup as a tree of directories: the processes in it (nested cgroups
//! included) and its removal, deepest first.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use super::CgroupError;

/// How long `rmdir` is retried on EBUSY while the last processes exit.
const RMDIR_RETRY: Duration = Duration::from_secs(1);
/// The pause between two `rmdir` attempts.
const RMDIR_POLL: Duration = Duration::from_millis(10);

/// Adds the pids of `dir` and of every cgroup below it to `out`.
pub(super) fn collect_pids(dir: &Path, out: &mut BTreeSet<i32>) -> Result<(), CgroupError> {
    let procs = dir.join("cgroup.procs");
    let text = match fs::read_to_string(&procs) {
        Ok(t) => t,
        // The cgroup vanished (destroyed concurrently): it holds no processes.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(CgroupError::Read {
                path: procs,
                source,
            })
        }
    };
    for line in text.lines().filter(|l| !l.is_empty()) {
        let pid = line.trim().parse().map_err(|_| CgroupError::Parse {
            path: procs.clone(),
            detail: format!("{line:?} is not a pid"),
        })?;
        out.insert(pid);
    }
    for sub in subdirs(dir) {
        collect_pids(&sub, out)?;
    }
    Ok(())
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    match fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect(),
        Err(_) => Vec::new(),
    }
}

pub(super) fn has_subdirs(dir: &Path) -> bool {
    !subdirs(dir).is_empty()
}

/// Removes a cgroup directory and any cgroups nested in it, deepest first.
pub(super) fn remove_tree(dir: &Path) -> Result<(), CgroupError> {
    for sub in subdirs(dir) {
        remove_tree(&sub)?;
    }
    rmdir_retry(dir)
}

/// Removes one (empty) cgroup directory; one that is already gone is fine.
pub(super) fn rmdir_retry(dir: &Path) -> Result<(), CgroupError> {
    let start = Instant::now();
    loop {
        match fs::remove_dir(dir) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e)
                if e.raw_os_error() == Some(nix::libc::EBUSY) && start.elapsed() < RMDIR_RETRY =>
            {
                thread::sleep(RMDIR_POLL);
            }
            Err(source) => {
                return Err(CgroupError::Remove {
                    path: dir.to_path_buf(),
                    source,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pids_of_nested_cgroups_are_collected() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let top = tmp.path();
        fs::create_dir_all(top.join("a/b")).expect("mkdir");
        fs::write(top.join("cgroup.procs"), "10\n3\n").expect("procs");
        fs::write(top.join("a/cgroup.procs"), "").expect("procs");
        fs::write(top.join("a/b/cgroup.procs"), "7\n10\n").expect("procs");
        let mut pids = BTreeSet::new();
        collect_pids(top, &mut pids).expect("collect");
        assert_eq!(pids.into_iter().collect::<Vec<_>>(), [3, 7, 10]);

        // A cgroup that vanished holds no processes; a line that is no pid is an error.
        let mut none = BTreeSet::new();
        collect_pids(&top.join("gone"), &mut none).expect("vanished");
        assert!(none.is_empty());
        fs::write(top.join("a/cgroup.procs"), "x\n").expect("procs");
        assert!(matches!(
            collect_pids(top, &mut none),
            Err(CgroupError::Parse { .. })
        ));
    }

    #[test]
    fn trees_are_removed_deepest_first() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let top = tmp.path().join("c");
        fs::create_dir_all(top.join("x/y")).expect("mkdir");
        fs::create_dir_all(top.join("z")).expect("mkdir");
        assert!(has_subdirs(&top));
        remove_tree(&top).expect("remove");
        assert!(!top.exists());
        // Already gone: fine.
        remove_tree(&top).expect("again");
        rmdir_retry(&top).expect("again");
        // Not empty (a plain directory with a file, unlike a cgroup): an error naming it.
        fs::create_dir(&top).expect("mkdir");
        fs::write(top.join("f"), "").expect("file");
        let err = rmdir_retry(&top).expect_err("not empty");
        assert!(
            err.to_string().contains(&top.display().to_string()),
            "{err}"
        );
    }
}
