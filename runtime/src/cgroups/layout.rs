//! The host's cgroup layout and the container's cgroup paths.
//!
//! The layout is read from `/proc/self/mountinfo`, never assumed: cgroup v1 hierarchies (each
//! with its controller option string, e.g. `cpu,cpuacct` or `name=systemd`), a cgroup2
//! hierarchy, or both (hybrid). `linux.cgroupsPath` is checked here, and a relative one is
//! placed below the runtime's own cgroup (from `/proc/self/cgroup`).

use std::os::unix::ffi::OsStrExt;
use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files::read;
use super::CgroupError;

pub(super) const MOUNTINFO: &str = "/proc/self/mountinfo";
pub(super) const SELF_CGROUP: &str = "/proc/self/cgroup";
const PROC_CGROUPS: &str = "/proc/cgroups";

/// A cgroup v1 hierarchy as mounted on the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct V1Hierarchy {
    /// The controllers in mount-option form, as `mount -t cgroup -o <controllers>` takes them:
    /// `cpu,cpuacct`, `memory`, `name=systemd`.
    pub controllers: String,
    /// Where the hierarchy is mounted, e.g. `/sys/fs/cgroup/cpu,cpuacct`.
    pub mountpoint: PathBuf,
    /// Which cgroup of the hierarchy is mounted there (mountinfo's root field, `/` unless the
    /// runtime itself runs in a cgroup namespace or below a bind mount).
    pub root: PathBuf,
}

impl V1Hierarchy {
    /// The controller names of this hierarchy (`name=...` entries excluded).
    pub fn controller_names(&self) -> impl Iterator<Item = &str> {
        self.controllers
            .split(',')
            .filter(|c| !c.is_empty() && !c.starts_with("name="))
    }

    pub fn has_controller(&self, controller: &str) -> bool {
        self.controller_names().any(|c| c == controller)
    }
}

/// The host's cgroup mounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    /// cgroup v1 hierarchies (one entry per hierarchy, the first mount of each).
    pub v1: Vec<V1Hierarchy>,
    /// The cgroup2 mount point, if any (`/sys/fs/cgroup` on a pure v2 host,
    /// `/sys/fs/cgroup/unified` on a hybrid one).
    pub v2: Option<PathBuf>,
    /// The cgroup of the v2 hierarchy mounted at `v2` (mountinfo's root field).
    pub v2_root: Option<PathBuf>,
    /// True when cgroup v2 is the only hierarchy with controllers (pure v2 host).
    pub unified_only: bool,
}

/// Where each cgroup hierarchy is mounted on the host, from `/proc/self/mountinfo`.
pub(super) fn host() -> Result<Layout, CgroupError> {
    let text = read(Path::new(MOUNTINFO))?;
    // Controller names known to the kernel, to tell controllers from other mount options.
    let known: Option<HashSet<String>> = fs::read_to_string(PROC_CGROUPS).ok().map(|s| {
        s.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .collect()
    });
    parse_layout(&text, known.as_ref())
}

/// The longest file name the kernel accepts, in bytes.
const NAME_MAX: usize = 255;

/// Checks linux.cgroupsPath and returns it as a relative path (leading `/` removed).
/// Runtimes MAY consider certain cgroupsPath values invalid and MUST then error
/// (config-linux): empty paths, `..`/`.` components and components longer than a file name can
/// be are refused.
pub(super) fn validate_cgroups_path(path: &str) -> Result<PathBuf, CgroupError> {
    let invalid = |reason: &str| CgroupError::InvalidPath {
        path: path.to_string(),
        reason: reason.to_string(),
    };
    let trimmed = path.trim_start_matches('/');
    if trimmed.is_empty() {
        return Err(invalid("names the hierarchy root, not a cgroup"));
    }
    // The truncate-long-cgroups-path defect: a component no directory can have is cut down to
    // one that fits, instead of refused.
    let truncate = crate::mutation::active(crate::mutation::Flaw::TruncateLongCgroupsPath);
    let mut rel = PathBuf::new();
    for c in Path::new(trimmed).components() {
        match c {
            Component::Normal(n) if n.len() > NAME_MAX && truncate => {
                rel.push(std::ffi::OsStr::from_bytes(&n.as_bytes()[..NAME_MAX]));
            }
            Component::Normal(n) if n.len() > NAME_MAX => {
                return Err(invalid(
                    "has a component longer than 255 bytes, which no directory can be named",
                ))
            }
            Component::Normal(n) => rel.push(n),
            _ => return Err(invalid("may not contain '.' or '..' components")),
        }
    }
    if trimmed.split('/').any(|s| s == "." || s == "..") {
        return Err(invalid("may not contain '.' or '..' components"));
    }
    if rel.as_os_str().is_empty() {
        return Err(invalid("names the hierarchy root, not a cgroup"));
    }
    Ok(rel)
}

/// Where the container's directory goes in one hierarchy.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Placement {
    /// v1 controllers in mount-option form; `None` for the cgroup2 hierarchy.
    pub controllers: Option<String>,
    /// Where the hierarchy is mounted.
    pub mountpoint: PathBuf,
    /// The directory `rel` is taken relative to: the mount point for an absolute cgroupsPath,
    /// the runtime's own cgroup for a relative one.
    pub base: PathBuf,
    /// The container's directory: `base` joined with `rel`.
    pub path: PathBuf,
}

/// The container's directory in every hierarchy of `layout`, v1 hierarchies first.
/// `rel` is the checked cgroupsPath `raw`; `own` the runtime's own cgroups (needed only when
/// `absolute` is false).
pub(super) fn placements(
    layout: &Layout,
    rel: &Path,
    absolute: bool,
    own: &[SelfCgroup],
    raw: &str,
) -> Result<Vec<Placement>, CgroupError> {
    let mut out = Vec::new();
    for h in &layout.v1 {
        let base = if absolute {
            h.mountpoint.clone()
        } else {
            let want: BTreeSet<&str> = h.controllers.split(',').collect();
            let line = own
                .iter()
                .find(|l| {
                    l.controllers
                        .iter()
                        .map(String::as_str)
                        .collect::<BTreeSet<_>>()
                        == want
                })
                .ok_or_else(|| CgroupError::Parse {
                    path: PathBuf::from(SELF_CGROUP),
                    detail: format!("no line for the v1 hierarchy {}", h.controllers),
                })?;
            own_dir(&h.mountpoint, &h.root, &line.path, raw)?
        };
        out.push(Placement {
            controllers: Some(h.controllers.clone()),
            mountpoint: h.mountpoint.clone(),
            path: base.join(rel),
            base,
        });
    }
    if let Some(mp) = &layout.v2 {
        let base = if absolute {
            mp.clone()
        } else {
            let line = own
                .iter()
                .find(|l| l.hierarchy == 0 && l.controllers.is_empty())
                .ok_or_else(|| CgroupError::Parse {
                    path: PathBuf::from(SELF_CGROUP),
                    detail: "no 0:: line for the cgroup v2 hierarchy".to_string(),
                })?;
            let root = layout.v2_root.clone().unwrap_or_else(|| PathBuf::from("/"));
            own_dir(mp, &root, &line.path, raw)?
        };
        out.push(Placement {
            controllers: None,
            mountpoint: mp.clone(),
            path: base.join(rel),
            base,
        });
    }
    Ok(out)
}

/// The directory of the calling process's own cgroup in a hierarchy: the mount point plus the
/// process's cgroup path relative to the mounted root.
fn own_dir(mountpoint: &Path, root: &Path, own: &str, raw: &str) -> Result<PathBuf, CgroupError> {
    let own = Path::new(own);
    let rel = own
        .strip_prefix(root)
        .map_err(|_| CgroupError::InvalidPath {
            path: raw.to_string(),
            reason: format!(
                "the runtime's own cgroup {} is outside the mounted part {} of {}",
                own.display(),
                root.display(),
                mountpoint.display()
            ),
        })?;
    Ok(mountpoint.join(rel))
}

/// One line of /proc/self/cgroup.
#[derive(Debug)]
pub(super) struct SelfCgroup {
    pub hierarchy: u32,
    pub controllers: Vec<String>,
    pub path: String,
}

pub(super) fn read_self_cgroup() -> Result<Vec<SelfCgroup>, CgroupError> {
    let path = Path::new(SELF_CGROUP);
    parse_self_cgroup(&read(path)?).map_err(|detail| CgroupError::Parse {
        path: path.to_path_buf(),
        detail,
    })
}

fn parse_self_cgroup(text: &str) -> Result<Vec<SelfCgroup>, String> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(ctrls), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("malformed line {line:?}"));
        };
        let hierarchy = id
            .parse()
            .map_err(|_| format!("bad hierarchy id in {line:?}"))?;
        out.push(SelfCgroup {
            hierarchy,
            controllers: ctrls
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect(),
            path: path.to_string(),
        });
    }
    Ok(out)
}

/// Mount options of a v1 cgroup mount that are not controllers.
const NON_CONTROLLER_OPTS: [&str; 9] = [
    "rw",
    "ro",
    "noprefix",
    "clone_children",
    "xattr",
    "cpuset_v2_mode",
    "favordynmods",
    "nofavordynmods",
    "none",
];

fn parse_layout(text: &str, known: Option<&HashSet<String>>) -> Result<Layout, CgroupError> {
    let mut v1: Vec<V1Hierarchy> = Vec::new();
    let mut v2: Option<(PathBuf, PathBuf)> = None;
    // A mount is hidden by any later mount on its mount point or on a directory above it
    // (e.g. a cgroup2 mounted over /sys/fs/cgroup in a container's mount namespace).
    let points: Vec<Option<PathBuf>> = text
        .lines()
        .map(|line| {
            let (left, _) = line.split_once(" - ")?;
            left.split(' ').nth(4).map(|m| PathBuf::from(unescape(m)))
        })
        .collect();
    let hidden = |i: usize| {
        points[i].as_ref().is_some_and(|p| {
            points[i + 1..]
                .iter()
                .flatten()
                .any(|later| p.starts_with(later))
        })
    };
    for (i, line) in text.lines().enumerate() {
        if hidden(i) {
            continue;
        }
        // mountinfo: id parent major:minor root mountpoint options [optional...] - fstype
        // source superoptions
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let l: Vec<&str> = left.split(' ').collect();
        let r: Vec<&str> = right.split(' ').collect();
        if l.len() < 5 || r.len() < 3 {
            return Err(CgroupError::Parse {
                path: PathBuf::from(MOUNTINFO),
                detail: format!("malformed line {line:?}"),
            });
        }
        let root = PathBuf::from(unescape(l[3]));
        let mountpoint = PathBuf::from(unescape(l[4]));
        match r[0] {
            // The first cgroup2 mount is the hierarchy's; later ones are bind mounts.
            "cgroup2" if v2.is_none() => v2 = Some((mountpoint, root)),
            "cgroup" => {
                let controllers: Vec<&str> = r[2]
                    .split(',')
                    .filter(|o| {
                        o.starts_with("name=")
                            || match known {
                                Some(k) => k.contains(*o),
                                None => {
                                    !NON_CONTROLLER_OPTS.contains(o)
                                        && !o.starts_with("release_agent=")
                                }
                            }
                    })
                    .collect();
                if controllers.is_empty() {
                    continue;
                }
                let controllers = controllers.join(",");
                if v1.iter().any(|h| h.controllers == controllers) {
                    continue;
                }
                v1.push(V1Hierarchy {
                    controllers,
                    mountpoint,
                    root,
                });
            }
            _ => {}
        }
    }
    if v1.is_empty() && v2.is_none() {
        return Err(CgroupError::NoCgroupFs);
    }
    let unified_only = v2.is_some()
        && v1
            .iter()
            .all(|h| h.controllers.split(',').all(|c| c.starts_with("name=")));
    let (v2, v2_root) = match v2 {
        Some((m, r)) => (Some(m), Some(r)),
        None => (None, None),
    };
    Ok(Layout {
        v1,
        v2,
        v2_root,
        unified_only,
    })
}

/// Undoes mountinfo's octal escapes (`\040` for a space, etc.).
fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 4 <= bytes.len() {
            let oct = &bytes[i + 1..i + 4];
            if oct.iter().all(|b| (b'0'..=b'7').contains(b)) {
                let v = oct
                    .iter()
                    .fold(0u32, |acc, b| acc * 8 + u32::from(b - b'0'));
                if let Ok(v) = u8::try_from(v) {
                    out.push(v);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_layout_hybrid_v2_and_comounted() {
        let known: HashSet<String> = ["cpu", "cpuacct", "memory", "pids", "net_cls", "net_prio"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let hybrid = "\
31 23 0:28 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
33 31 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
34 31 0:31 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio
35 31 0:32 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd
36 31 0:33 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate
37 31 0:30 /sub /mnt/mem\\040x rw - cgroup cgroup rw,memory
";
        let l = parse_layout(hybrid, Some(&known)).expect("hybrid");
        let ctrls: Vec<&str> = l.v1.iter().map(|h| h.controllers.as_str()).collect();
        assert_eq!(
            ctrls,
            ["cpu,cpuacct", "memory", "net_cls,net_prio", "name=systemd"]
        );
        assert_eq!(
            l.v1[0].mountpoint,
            PathBuf::from("/sys/fs/cgroup/cpu,cpuacct")
        );
        assert_eq!(l.v2, Some(PathBuf::from("/sys/fs/cgroup/unified")));
        assert!(!l.unified_only);

        let pure = "25 20 0:22 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
        let l = parse_layout(pure, None).expect("v2");
        assert!(l.v1.is_empty());
        assert!(l.unified_only);

        let v1_only = "32 31 0:29 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n";
        let l = parse_layout(v1_only, None).expect("v1");
        assert_eq!(l.v1.len(), 1);
        assert_eq!(l.v2, None);
        assert!(!l.unified_only);

        assert!(matches!(
            parse_layout("1 0 0:1 / / rw - ext4 /dev/sda rw\n", None),
            Err(CgroupError::NoCgroupFs)
        ));
        assert_eq!(unescape("/a\\040b\\134c"), "/a b\\c");
    }

    #[test]
    fn mounts_hidden_by_a_later_mount_are_ignored() {
        // A hybrid host, then (in a private mount namespace) a cgroup2 over /sys/fs/cgroup.
        let text = "\
22 1 0:20 / /sys rw - sysfs sysfs rw
30 22 0:26 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755
31 30 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
35 30 0:31 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids
36 30 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
90 22 0:27 / /sys/fs/cgroup rw - cgroup2 none rw
";
        let known: HashSet<String> = ["pids", "memory"].iter().map(|s| s.to_string()).collect();
        let layout = parse_layout(text, Some(&known)).unwrap();
        assert!(layout.v1.is_empty(), "{:?}", layout.v1.len());
        assert!(layout.unified_only);
        assert_eq!(layout.v2.as_deref(), Some(Path::new("/sys/fs/cgroup")));
    }

    #[test]
    fn cgroups_path_validation() {
        for bad in ["", "/", "/a/../b", "a/./b", "..", "/../../a", "a/.."] {
            assert!(
                matches!(
                    validate_cgroups_path(bad),
                    Err(CgroupError::InvalidPath { .. })
                ),
                "{bad:?}"
            );
        }
        assert_eq!(
            validate_cgroups_path("/a//b/").expect("valid"),
            PathBuf::from("a/b")
        );
    }

    #[test]
    fn self_cgroup_lines() {
        let own = parse_self_cgroup("12:cpu,cpuacct:/user.slice\n1:name=systemd:/x\n0::/a/b\n")
            .expect("parse");
        assert_eq!(own.len(), 3);
        assert_eq!(own[0].hierarchy, 12);
        assert_eq!(own[0].controllers, ["cpu", "cpuacct"]);
        assert_eq!(own[0].path, "/user.slice");
        assert!(own[2].controllers.is_empty());
        assert_eq!(own[2].path, "/a/b");
        assert!(parse_self_cgroup("garbage\n").is_err());
        assert!(parse_self_cgroup("x:cpu:/\n").is_err());
    }

    fn hybrid() -> Layout {
        Layout {
            v1: vec![V1Hierarchy {
                controllers: "cpu,cpuacct".into(),
                mountpoint: PathBuf::from("/sys/fs/cgroup/cpu,cpuacct"),
                root: PathBuf::from("/"),
            }],
            v2: Some(PathBuf::from("/sys/fs/cgroup/unified")),
            v2_root: Some(PathBuf::from("/ns")),
            unified_only: false,
        }
    }

    #[test]
    fn absolute_paths_hang_off_each_mount_point() {
        let p = placements(&hybrid(), Path::new("a/b"), true, &[], "/a/b").expect("place");
        assert_eq!(
            p,
            [
                Placement {
                    controllers: Some("cpu,cpuacct".into()),
                    mountpoint: PathBuf::from("/sys/fs/cgroup/cpu,cpuacct"),
                    base: PathBuf::from("/sys/fs/cgroup/cpu,cpuacct"),
                    path: PathBuf::from("/sys/fs/cgroup/cpu,cpuacct/a/b"),
                },
                Placement {
                    controllers: None,
                    mountpoint: PathBuf::from("/sys/fs/cgroup/unified"),
                    base: PathBuf::from("/sys/fs/cgroup/unified"),
                    path: PathBuf::from("/sys/fs/cgroup/unified/a/b"),
                },
            ]
        );
    }

    #[test]
    fn relative_paths_go_below_the_own_cgroup() {
        let own = parse_self_cgroup("4:cpuacct,cpu:/user/1\n0::/ns/svc\n").expect("parse");
        let p = placements(&hybrid(), Path::new("c"), false, &own, "c").expect("place");
        assert_eq!(
            p[0].path,
            PathBuf::from("/sys/fs/cgroup/cpu,cpuacct/user/1/c")
        );
        // The v2 mount shows the cgroup /ns as its root.
        assert_eq!(p[1].base, PathBuf::from("/sys/fs/cgroup/unified/svc"));
        assert_eq!(p[1].path, PathBuf::from("/sys/fs/cgroup/unified/svc/c"));

        let outside = parse_self_cgroup("4:cpu,cpuacct:/\n0::/elsewhere\n").expect("parse");
        assert!(matches!(
            placements(&hybrid(), Path::new("c"), false, &outside, "c"),
            Err(CgroupError::InvalidPath { .. })
        ));
        let no_v1_line = parse_self_cgroup("0::/ns\n").expect("parse");
        assert!(matches!(
            placements(&hybrid(), Path::new("c"), false, &no_v1_line, "c"),
            Err(CgroupError::Parse { .. })
        ));
    }
}
