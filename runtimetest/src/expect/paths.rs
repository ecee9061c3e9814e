//! Judging what the probe saw of paths: masked and read-only paths, device nodes, symlinks,
//! owners.

use crate::probe::{Mount, Node, Observation, PathInfo};
use crate::show::{count, quote, Show};

/// The permission bits of a mode (what `fileMode` sets; the file type bits are `kind`).
const PERMISSION_BITS: u32 = 0o7777;

/// The device number of `/dev/null`, which runtimes bind over masked files.
const DEV_NULL: (u64, u64) = (1, 3);

/// What is at a path, in words: `a file of 12 bytes, writable`, `a char device 1:3`.
pub fn describe(p: &PathInfo) -> String {
    if !p.exists {
        return "nothing".into();
    }
    let mut out = match p.kind.as_str() {
        "char" | "block" => format!("a {} device {}:{}", p.kind, p.major, p.minor),
        "file" => match p.content_len {
            Some(0) => "an empty file".into(),
            Some(_) => "a file with content".into(),
            None => "a file".into(),
        },
        "dir" => match p.entries {
            Some(n) => format!("a directory of {}", count(n, "entry", "entries")),
            None => "a directory".into(),
        },
        "symlink" => match &p.link_target {
            Some(t) => format!("a symlink to {}", quote(t)),
            None => "a symlink".into(),
        },
        other => format!("a {other}"),
    };
    match p.writable {
        Some(true) => out.push_str(", writable"),
        Some(false) => out.push_str(", not writable"),
        None => {}
    }
    out
}

fn info(o: &Observation, path: &str) -> PathInfo {
    o.paths.get(path).cloned().unwrap_or_default()
}

/// The mount on top at exactly `path`, if any.
fn mount_at<'a>(o: &'a Observation, path: &str) -> Option<&'a Mount> {
    o.mounts.iter().rev().find(|m| m.mount_point == path)
}

/// Masked: a mount sits at exactly the path (runtimes mask by mounting over it; they do not
/// delete) and what shows there reveals nothing: `/dev/null`, an empty file, or an empty
/// directory that cannot be written.
pub fn masked(o: &Observation, path: &str) -> Result<(), String> {
    let p = info(o, path);
    if !p.exists {
        return Err(format!("{path} masked: it does not exist in the container"));
    }
    if mount_at(o, path).is_none() {
        return Err(format!(
            "{path} masked: nothing is mounted over it (observed {})",
            describe(&p)
        ));
    }
    let empty = match p.kind.as_str() {
        "char" => (p.major, p.minor) == DEV_NULL,
        "file" => p.content_len == Some(0),
        "dir" => p.entries == Some(0) && p.writable == Some(false),
        _ => false,
    };
    if empty {
        Ok(())
    } else {
        Err(format!(
            "{path} masked: expected /dev/null, an empty file or an empty read-only directory mounted over it, observed {}",
            describe(&p)
        ))
    }
}

/// Read-only: the path cannot be written, and a read-only mount sits at exactly the path (how
/// runtimes make a path read-only: a bind mount of it onto itself, remounted `ro`).
pub fn readonly(o: &Observation, path: &str) -> Result<(), String> {
    let p = info(o, path);
    if !p.exists {
        return Err(format!(
            "{path} read-only: it does not exist in the container"
        ));
    }
    match p.writable {
        Some(false) => {}
        Some(true) => {
            return Err(format!(
                "{path} read-only: expected writes to fail, observed {}",
                describe(&p)
            ))
        }
        None => {
            return Err(format!(
                "{path} read-only: expected writes to fail, observed {} (not tried)",
                describe(&p)
            ))
        }
    }
    match mount_at(o, path) {
        None => Err(format!("{path} read-only: no mount at the path")),
        // The first option of mountinfo is the mount's own rw/ro.
        Some(m) if m.options.first().is_some_and(|x| x == "ro") => Ok(()),
        Some(m) => Err(format!(
            "{path} read-only: the mount at the path is not read-only (options {})",
            m.options.show()
        )),
    }
}

/// What a `device` check asks for.
pub struct DeviceWant<'a> {
    pub path: &'a str,
    pub kind: &'a str,
    pub major: u64,
    pub minor: u64,
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub follow: bool,
}

/// A device node of this kind and number (through a symlink with `follow`), with this mode,
/// uid and gid when given.
pub fn device(o: &Observation, want: &DeviceWant) -> Result<(), String> {
    let p = info(o, want.path);
    let path = want.path;
    if !p.exists {
        return Err(format!("device {path}: it does not exist in the container"));
    }
    let node = match (&p.resolved, want.follow) {
        (Some(target), true) => target.clone(),
        _ => Node {
            kind: p.kind.clone(),
            major: p.major,
            minor: p.minor,
        },
    };
    if (node.kind.as_str(), node.major, node.minor) != (want.kind, want.major, want.minor) {
        return Err(format!(
            "device {path}: expected {} {}:{}, observed {} {}:{}",
            want.kind, want.major, want.minor, node.kind, node.major, node.minor
        ));
    }
    if let Some(mode) = want.mode {
        let got = p.mode & PERMISSION_BITS;
        if got != mode {
            return Err(format!(
                "device {path}: expected mode {mode:#o}, observed {got:#o}"
            ));
        }
    }
    let owner = |what: &str, want: Option<u32>, got: u32| match want {
        Some(w) if w != got => Err(format!(
            "device {path}: expected {what} {w}, observed {got}"
        )),
        _ => Ok(()),
    };
    owner("uid", want.uid, p.uid)?;
    owner("gid", want.gid, p.gid)
}

/// A symlink to exactly `target`.
pub fn symlink(o: &Observation, path: &str, target: &str) -> Result<(), String> {
    let p = info(o, path);
    if p.link_target.as_deref() == Some(target) {
        Ok(())
    } else {
        let got = match &p.link_target {
            Some(t) => format!("a symlink to {}", quote(t)),
            None => describe(&p),
        };
        Err(format!(
            "symlink {path}: expected a symlink to {}, observed {got}",
            quote(target)
        ))
    }
}

/// The path exists, owned by `uid` and `gid`.
pub fn owner(o: &Observation, path: &str, uid: u32, gid: u32) -> Result<(), String> {
    let p = info(o, path);
    if !p.exists {
        return Err(format!(
            "owner of {path}: it does not exist in the container"
        ));
    }
    if (p.uid, p.gid) == (uid, gid) {
        Ok(())
    } else {
        Err(format!(
            "owner of {path}: expected {uid}:{gid}, observed {}:{}",
            p.uid, p.gid
        ))
    }
}
