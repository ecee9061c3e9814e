//! Reading and writing cgroup interface files: every error names the file, and a write names
//! the configuration field it applies and the value.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::CgroupError;

pub(super) fn read(path: &Path) -> Result<String, CgroupError> {
    fs::read_to_string(path).map_err(|source| CgroupError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// A whitespace-separated controller list (`cgroup.controllers`, `cgroup.subtree_control`).
pub(super) fn read_controllers(path: &Path) -> Result<Vec<String>, CgroupError> {
    Ok(read(path)?.split_whitespace().map(str::to_string).collect())
}

/// One write(2) of `value` to a cgroup file; errors name the file and the value.
pub(super) fn write_file(field: &str, path: &Path, value: &str) -> Result<(), CgroupError> {
    let err = |source| CgroupError::Write {
        field: field.to_string(),
        path: path.to_path_buf(),
        value: value.to_string(),
        source,
    };
    let mut f = fs::OpenOptions::new()
        .write(true)
        .custom_flags(nix::libc::O_CLOEXEC)
        .open(path)
        .map_err(err)?;
    f.write_all(value.as_bytes()).map_err(err)?;
    #[cfg(test)]
    WRITES.with(|w| w.borrow_mut().push((path.to_path_buf(), value.to_string())));
    Ok(())
}

#[cfg(test)]
thread_local! {
    /// Every successful write of this thread, in order: the unit tests' record of the
    /// writes themselves (a file keeps only the bytes of the last one).
    pub(super) static WRITES: std::cell::RefCell<Vec<(std::path::PathBuf, String)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// A controller's directory of the container's cgroup: where one controller module writes.
#[derive(Clone, Copy)]
pub(super) struct ControllerDir<'a> {
    pub dir: &'a Path,
    /// The controller's name, for errors (`memory`, `blkio`, `io`...).
    pub controller: &'static str,
}

impl<'a> ControllerDir<'a> {
    pub fn new(dir: &'a Path, controller: &'static str) -> Self {
        ControllerDir { dir, controller }
    }

    /// Writes `value` to `file`; a file the controller lacks is an error naming both.
    pub fn set(&self, field: &str, file: &str, value: &str) -> Result<(), CgroupError> {
        let path = self.dir.join(file);
        if !path.exists() {
            // config-linux: the runtime MUST generate an error if it cannot apply a resource.
            return Err(CgroupError::MissingFile {
                field: field.to_string(),
                controller: self.controller.to_string(),
                path,
            });
        }
        write_file(field, &path, value)
    }

    /// Writes `value` to `file` where the kernel has that file; otherwise does nothing.
    pub fn set_if_exists(&self, field: &str, file: &str, value: &str) -> Result<(), CgroupError> {
        let path = self.dir.join(file);
        if path.exists() {
            write_file(field, &path, value)
        } else {
            Ok(())
        }
    }

    /// The error for a configured value that the controller has no file for.
    pub fn missing(&self, field: impl Into<String>, file: &str) -> CgroupError {
        CgroupError::MissingFile {
            field: field.into(),
            controller: self.controller.to_string(),
            path: self.dir.join(file),
        }
    }
}
