//! Helpers of the controller unit tests: a fake cgroup directory in a temporary directory,
//! holding empty interface files, and the writes made to it.

use std::fs;
use std::path::Path;

use tempfile::TempDir;

use super::files::WRITES;

/// A temporary directory with an empty file for each of `files`. The record of writes of
/// this thread starts empty.
pub fn dir_with(files: &[&str]) -> TempDir {
    WRITES.with(|w| w.borrow_mut().clear());
    let tmp = tempfile::tempdir().expect("temporary directory");
    for f in files {
        fs::write(tmp.path().join(f), "").expect("interface file");
    }
    tmp
}

/// What a file holds.
pub fn content(dir: &Path, file: &str) -> String {
    fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// The writes made by this thread since [`dir_with`], in order, as (file name, value); each
/// is one write(2) of the whole value. The record is emptied.
pub fn writes(dir: &Path) -> Vec<(String, String)> {
    WRITES.with(|w| {
        w.borrow_mut()
            .drain(..)
            .map(|(path, value)| {
                let name = path
                    .strip_prefix(dir)
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                (name, value)
            })
            .collect()
    })
}

/// `(file, value)` pairs, for comparing with [`writes`].
pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(f, c)| (f.to_string(), c.to_string()))
        .collect()
}

/// Typed resources from JSON in the spec's own spelling.
pub fn from_json<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).expect("test JSON")
}
