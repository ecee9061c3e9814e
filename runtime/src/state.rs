//! The runtime's record of each container: one directory per container under the root dir,
//! `state.json` written atomically, and a lock that serialises operations on one id.

use std::fs::{self, File};
use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::cgroups::Cgroup;
use crate::error::{Error, Result};

/// Where the runtime keeps state when `--root` is not given.
pub const DEFAULT_ROOT: &str = "/run/ocicheck-runtime";

/// A container's status as the runtime tracks it (runtime.md "State"): oci-spec's.
pub use oci_spec::runtime::ContainerState as Status;

/// What the runtime remembers about one container.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    /// The `ociVersion` of the config it was created from: the rules it is judged by.
    pub oci_version: String,
    /// The container process, as seen from the runtime's pid namespace.
    pub pid: i32,
    /// Start time of `pid` (field 22 of /proc/PID/stat), to tell a reused pid apart.
    pub pid_start: u64,
    /// Absolute path of the bundle.
    pub bundle: PathBuf,
    /// RFC 3339 creation time.
    pub created: String,
    /// True once `start` ran the user program.
    pub started: bool,
    /// The config as it was at create: later edits of config.json do not matter
    /// (runtime.lifecycle.config-changes-ignored).
    pub config: Value,
    pub cgroup: Option<Cgroup>,
}

impl Record {
    /// The status, refreshed against the process: a container whose process is gone (or a
    /// zombie) is stopped.
    pub fn status(&self) -> Status {
        if self.pid <= 0 || !process_alive(self.pid, self.pid_start) {
            Status::Stopped
        } else if self.started {
            Status::Running
        } else {
            Status::Created
        }
    }

    /// The state JSON of runtime.md (runtime.state.*): ociVersion, id, status, pid while the
    /// process exists, absolute bundle path, and the config's annotations.
    pub fn oci_state(&self, status: Status) -> Value {
        let mut state = json!({
            "ociVersion": self.oci_version,
            "id": self.id,
            "status": status,
            "bundle": self.bundle,
        });
        // runtime.state.pid.required-linux: pid is present while created or running.
        if matches!(status, Status::Created | Status::Running | Status::Creating) && self.pid > 0 {
            state["pid"] = json!(self.pid);
        }
        if let Some(a) = self.config.get("annotations").filter(|a| a.is_object()) {
            state["annotations"] = a.clone();
        }
        state
    }
}

/// Whether `pid` is the process that was recorded (same start time) and not a zombie.
pub fn process_alive(pid: i32, start: u64) -> bool {
    match proc_stat(pid) {
        Some((state, started)) => state != 'Z' && state != 'X' && (start == 0 || started == start),
        None => false,
    }
}

/// (state letter, start time) from /proc/PID/stat.
pub fn proc_stat(pid: i32) -> Option<(char, u64)> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    // Field 3 is the state; start time is field 22, i.e. the 20th after the state.
    let start = fields.nth(18)?.parse().ok()?;
    Some((state, start))
}

/// The root directory holding every container's directory.
pub struct Store {
    pub root: PathBuf,
}

/// A container directory, locked for the duration of one operation.
pub struct Locked {
    pub dir: PathBuf,
    lock: Flock<File>,
}

impl Store {
    pub fn open(root: Option<&Path>) -> Result<Store> {
        let root = root.unwrap_or(Path::new(DEFAULT_ROOT));
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(root)
            .map_err(|e| {
                Error::io(
                    format!("cannot create the state root {}", root.display()),
                    e,
                )
            })?;
        let root = fs::canonicalize(root)
            .map_err(|e| Error::io(format!("cannot resolve {}", root.display()), e))?;
        Ok(Store { root })
    }

    /// Checks a container id: it names a directory, so no `/`, no `.`/`..`, no control bytes.
    pub fn check_id(id: &str) -> Result<()> {
        let ok = !id.is_empty()
            && id != "."
            && id != ".."
            && id.len() <= 1024
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_+-.".contains(c));
        if ok {
            Ok(())
        } else {
            Err(Error::msg(format!(
                "invalid container id {id:?}: use letters, digits and _ + - . only"
            )))
        }
    }

    /// Makes the directory of a new container and locks it. A duplicate id is an error
    /// (runtime.create.bad-id.error) that touches nothing of the existing container.
    pub fn create(&self, id: &str) -> Result<Locked> {
        Self::check_id(id)?;
        let dir = self.root.join(id);
        match fs::DirBuilder::new().mode(0o711).create(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(Error::msg(format!("container {id:?} already exists")))
            }
            Err(e) => return Err(Error::io(format!("cannot create {}", dir.display()), e)),
        }
        lock(dir)
    }

    /// Locks an existing container and reads its record.
    pub fn load(&self, id: &str) -> Result<(Locked, Record)> {
        Self::check_id(id).map_err(|_| Error::NotFound(id.to_string()))?;
        let dir = self.root.join(id);
        if !dir.is_dir() {
            return Err(Error::NotFound(id.to_string()));
        }
        let locked = lock(dir).map_err(|_| Error::NotFound(id.to_string()))?;
        // A delete that held the lock before us may have removed the container meanwhile.
        let path = locked.dir.join("state.json");
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotFound(id.to_string()))
            }
            Err(e) => return Err(Error::io(format!("cannot read {}", path.display()), e)),
        };
        let record: Record = serde_json::from_str(&text).map_err(|e| {
            Error::msg(format!("the state file {} is damaged: {e}", path.display()))
        })?;
        if crate::mutation::active(crate::mutation::Flaw::CreatorCannotOperate) {
            // runtime.scope.creator-can-operate, broken: no later process may operate on it.
            return Err(Error::msg(format!(
                "container {id:?} answers only the process that created it"
            )));
        }
        Ok((locked, record))
    }

    /// Ids of every container under the root, sorted.
    pub fn ids(&self) -> Result<Vec<String>> {
        let mut ids: Vec<String> = fs::read_dir(&self.root)
            .map_err(|e| Error::io(format!("cannot list {}", self.root.display()), e))?
            .filter_map(|e| e.ok())
            .filter(|e| e.path().join("state.json").is_file())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        ids.sort();
        Ok(ids)
    }
}

fn lock(dir: PathBuf) -> Result<Locked> {
    let f = File::open(&dir).map_err(|e| Error::io(format!("cannot open {}", dir.display()), e))?;
    let lock = Flock::lock(f, FlockArg::LockExclusive)
        .map_err(|(_, e)| Error::io(format!("cannot lock {}", dir.display()), e.into()))?;
    Ok(Locked { dir, lock })
}

impl Locked {
    /// Writes the record atomically (a temp file renamed over state.json).
    pub fn save(&self, record: &Record) -> Result<()> {
        let path = self.dir.join("state.json");
        let tmp = self.dir.join(".state.json.tmp");
        let text = serde_json::to_vec(record)
            .map_err(|e| Error::msg(format!("cannot encode the state: {e}")))?;
        let write = || -> std::io::Result<()> {
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(&text)?;
            // Renamed into place: readers see the old or the new state, never a mix. No fsync:
            // the state of running processes does not outlive a reboot (the root is normally
            // on tmpfs under /run), and an fsync per operation would cost milliseconds.
            fs::rename(&tmp, &path)
        };
        write().map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
    }

    /// Removes the container's directory (the lock goes with it).
    pub fn remove(self) -> Result<()> {
        fs::remove_dir_all(&self.dir)
            .map_err(|e| Error::io(format!("cannot remove {}", self.dir.display()), e))
    }

    pub fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.lock.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked() {
        for bad in ["", ".", "..", "a/b", "a b", "a\nb"] {
            assert!(Store::check_id(bad).is_err(), "{bad:?}");
        }
        for good in ["abc", "a.b-c_d+1", "X"] {
            assert!(Store::check_id(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn own_process_is_alive_and_stat_parses() {
        let me = std::process::id() as i32;
        let (state, start) = proc_stat(me).unwrap();
        assert_ne!(state, 'Z');
        assert!(process_alive(me, start));
        assert!(!process_alive(me, start + 1));
        assert!(!process_alive(i32::MAX, 0));
    }

    #[test]
    fn duplicate_ids_are_refused_and_state_round_trips() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(Some(tmp.path())).unwrap();
        let locked = store.create("c1").unwrap();
        let record = Record {
            id: "c1".into(),
            oci_version: "1.3.0".into(),
            pid: 0,
            pid_start: 0,
            bundle: "/b".into(),
            created: "2026-01-01T00:00:00Z".into(),
            started: false,
            config: json!({"annotations": {"a": "b"}}),
            cgroup: None,
        };
        locked.save(&record).unwrap();
        drop(locked);
        assert!(store.create("c1").is_err());
        let (_l, back) = store.load("c1").unwrap();
        assert_eq!(back.id, "c1");
        assert_eq!(back.status(), Status::Stopped);
        let state = back.oci_state(Status::Stopped);
        assert_eq!(state["annotations"]["a"], "b");
        assert!(state.get("pid").is_none());
        assert_eq!(store.ids().unwrap(), vec!["c1".to_string()]);
        assert!(matches!(store.load("nope"), Err(Error::NotFound(_))));
    }
}
