//! Parsing what procfs shows: mountinfo, limits, status fields and namespace links. Used by the
//! probe inside the container and by the harness on the host.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One mount of /proc/self/mountinfo.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Mount {
    pub mount_point: String,
    pub fs_type: String,
    pub source: String,
    /// Per-mount and superblock options together.
    pub options: Vec<String>,
    /// Propagation tags of mountinfo's optional fields (`shared:N`, `master:N`,
    /// `unbindable`); none means private.
    #[serde(default)]
    pub propagation: Vec<String>,
}

impl Mount {
    /// `shared`, `slave`, `unbindable` or `private`, from the optional fields.
    pub fn propagation_mode(&self) -> &'static str {
        let has = |p: &str| self.propagation.iter().any(|t| t.starts_with(p));
        if has("shared:") {
            "shared"
        } else if has("master:") {
            "slave"
        } else if has("unbindable") {
            "unbindable"
        } else {
            "private"
        }
    }
}

/// The value of a `Name:\tvalue` line of /proc/<pid>/status.
pub fn status_field<'a>(status: &'a str, name: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
        .map(str::trim)
}

/// The whitespace-separated numbers of a status value.
pub fn nums(s: Option<&str>) -> Vec<u32> {
    s.map(|s| {
        s.split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect()
    })
    .unwrap_or_default()
}

const LIMITS: [(&str, &str); 16] = [
    ("Max cpu time", "RLIMIT_CPU"),
    ("Max file size", "RLIMIT_FSIZE"),
    ("Max data size", "RLIMIT_DATA"),
    ("Max stack size", "RLIMIT_STACK"),
    ("Max core file size", "RLIMIT_CORE"),
    ("Max resident set", "RLIMIT_RSS"),
    ("Max processes", "RLIMIT_NPROC"),
    ("Max open files", "RLIMIT_NOFILE"),
    ("Max locked memory", "RLIMIT_MEMLOCK"),
    ("Max address space", "RLIMIT_AS"),
    ("Max file locks", "RLIMIT_LOCKS"),
    ("Max pending signals", "RLIMIT_SIGPENDING"),
    ("Max msgqueue size", "RLIMIT_MSGQUEUE"),
    ("Max nice priority", "RLIMIT_NICE"),
    ("Max realtime priority", "RLIMIT_RTPRIO"),
    ("Max realtime timeout", "RLIMIT_RTTIME"),
];

fn parse_limit(s: &str) -> u64 {
    if s == "unlimited" {
        u64::MAX
    } else {
        s.parse().unwrap_or(0)
    }
}

/// Parses /proc/<pid>/limits.
pub fn parse_limits(text: &str) -> BTreeMap<String, (u64, u64)> {
    let mut out = BTreeMap::new();
    for line in text.lines().skip(1) {
        for (label, name) in LIMITS {
            if let Some(rest) = line.strip_prefix(label) {
                let mut cols = rest.split_whitespace();
                if let (Some(s), Some(h)) = (cols.next(), cols.next()) {
                    out.insert(name.to_string(), (parse_limit(s), parse_limit(h)));
                }
            }
        }
    }
    out
}

/// Parses /proc/<pid>/mountinfo.
pub fn parse_mountinfo(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|l| {
            let (left, right) = l.split_once(" - ")?;
            let f: Vec<&str> = left.split(' ').collect();
            let r: Vec<&str> = right.split(' ').collect();
            let mut options: Vec<String> = f.get(5)?.split(',').map(String::from).collect();
            options.extend(r.get(2).unwrap_or(&"").split(',').map(String::from));
            Some(Mount {
                mount_point: unescape_mount(f.get(4)?),
                fs_type: r.first()?.to_string(),
                source: r.get(1).map(|s| unescape_mount(s)).unwrap_or_default(),
                options,
                propagation: f.iter().skip(6).map(|t| t.to_string()).collect(),
            })
        })
        .collect()
}

fn unescape_mount(s: &str) -> String {
    s.replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
}

/// This process's namespaces: type (as /proc/self/ns names it) -> link text.
pub fn own_namespaces() -> BTreeMap<String, String> {
    let mut namespaces = BTreeMap::new();
    for ns in ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"] {
        if let Ok(t) = std::fs::read_link(format!("/proc/self/ns/{ns}")) {
            namespaces.insert(ns.to_string(), t.to_string_lossy().into_owned());
        }
    }
    namespaces
}
