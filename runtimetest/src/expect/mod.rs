//! What a case expects the probe to observe, and how it is judged. Shared by the harness (which
//! derives the probe's [`ProbeSpec`] from it) and the probe's [`Observation`] type.

use serde::{Deserialize, Serialize};

use crate::probe::{Access, DeviceKind, MknodRequest, Observation, OpenRequest, ProbeSpec};
use crate::show::{seen, Show, Words};
use values::{limits, personality, tty_size, umask};

mod caps;
mod paths;
#[cfg(test)]
mod tests;
mod values;

/// One expectation about the container process, written in a case file as
/// `[[expect]] check = "<name>"` plus the fields of that check.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "check", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Expectation {
    Hostname {
        value: String,
    },
    Domainname {
        value: String,
    },
    /// Every listed `NAME=value` is in the environment.
    Env {
        contains: Vec<String>,
    },
    /// The environment is exactly these `NAME=value` entries, in any order.
    EnvExactly {
        value: Vec<String>,
    },
    /// argv equals this exactly.
    Args {
        value: Vec<String>,
    },
    /// argv after the probe's own `/probe observe SPEC` equals this exactly (a case sets
    /// `args = ["/probe", "observe", "{observe}", ...]`).
    ExtraArgs {
        value: Vec<String>,
    },
    Cwd {
        value: String,
    },
    /// Real and effective uid / gid.
    Uid {
        value: u32,
    },
    Gid {
        value: u32,
    },
    /// Supplementary groups include all of these.
    Groups {
        contains: Vec<u32>,
    },
    Umask {
        value: u32,
    },
    Rlimit {
        name: String,
        soft: u64,
        hard: u64,
    },
    /// A capability set (effective, permitted, inheritable, bounding, ambient) is exactly this.
    Caps {
        set: String,
        exactly: Vec<String>,
    },
    NoNewPrivileges {
        value: bool,
    },
    OomScoreAdj {
        value: i32,
    },
    /// The container's `/` is mounted read-only (or not).
    RootReadonly {
        value: bool,
    },
    /// A mount at `destination` exists, of `fs_type` when given, with each of `options`.
    Mount {
        destination: String,
        #[serde(default)]
        fs_type: Option<String>,
        #[serde(default)]
        options: Vec<String>,
        /// Options that must not be shown (e.g. `nosuid` for a `suid` mount).
        #[serde(default)]
        absent: Vec<String>,
    },
    /// Nothing is mounted at `destination` (e.g. a submount a non-recursive bind leaves out).
    NotMounted {
        destination: String,
    },
    /// These mount points appear in /proc/self/mountinfo in this relative order.
    MountOrder {
        destinations: Vec<String>,
    },
    /// The path is masked: something is mounted over it that shows nothing (/dev/null, an
    /// empty file, an empty read-only directory).
    Masked {
        path: String,
    },
    /// The path cannot be written, and a read-only mount sits at exactly the path.
    ReadonlyPath {
        path: String,
    },
    /// A device node of this type and number exists at path (with `follow`, possibly through
    /// a symlink), with these permission bits, uid and gid when given.
    Device {
        path: String,
        kind: String,
        major: u64,
        minor: u64,
        #[serde(default)]
        mode: Option<u32>,
        #[serde(default)]
        uid: Option<u32>,
        #[serde(default)]
        gid: Option<u32>,
        #[serde(default)]
        follow: bool,
    },
    Symlink {
        path: String,
        target: String,
    },
    /// The path is owned by this uid and gid, as the container sees it (through an ID-mapped
    /// mount, say).
    Owner {
        path: String,
        uid: u32,
        gid: u32,
    },
    Sysctl {
        key: String,
        value: String,
    },
    /// The process runs under seccomp filtering (mode 2).
    SeccompFiltered {},
    Personality {
        domain: String,
    },
    /// The user namespace's ID mappings are exactly these lines (`"0 100000 65536"`).
    IdMaps {
        uid: Vec<String>,
        gid: Vec<String>,
    },
    /// mkdir(path) fails with this errno (0: succeeds), e.g. under a seccomp rule.
    MkdirErrno {
        path: String,
        errno: i32,
    },
    /// open(path) for reading (`access = "r"`) or writing (`"w"`) fails with this errno (0:
    /// it opens), e.g. under device rules.
    OpenErrno {
        path: String,
        access: Access,
        errno: i32,
    },
    /// mknod(path) of a device node of this kind and number fails with this errno (0: it is
    /// made), e.g. under device rules.
    MknodErrno {
        path: String,
        kind: DeviceKind,
        major: u64,
        minor: u64,
        errno: i32,
    },
    /// The mount at `destination` has this propagation: shared, slave, private, unbindable.
    Propagation {
        destination: String,
        value: String,
    },
    /// Standard input is (or is not) a terminal; with `rows`/`columns`, of that size.
    Terminal {
        value: bool,
        #[serde(default)]
        rows: Option<u16>,
        #[serde(default)]
        columns: Option<u16>,
    },
    /// The container is in a new namespace of this config type (`new = true`) or shares the
    /// runtime's (`new = false`).
    Namespace {
        #[serde(rename = "type")]
        ns_type: String,
        new: bool,
    },
    /// A network interface of this name exists; with `up`, administratively up (or not); with
    /// `mtu`, of this MTU; with `addresses`, holding each (`192.0.2.77/24`, `2001:db8::77/64`).
    NetDevice {
        name: String,
        #[serde(default)]
        up: Option<bool>,
        #[serde(default)]
        mtu: Option<u32>,
        #[serde(default)]
        addresses: Vec<String>,
    },
}

impl Expectation {
    /// The check's name as a case file writes it (`check = "env"`).
    pub fn check(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get("check")?.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// What the probe must additionally look at for this expectation.
    pub fn add_to_spec(&self, spec: &mut ProbeSpec) {
        match self {
            Expectation::Masked { path }
            | Expectation::ReadonlyPath { path }
            | Expectation::Device { path, .. }
            | Expectation::Symlink { path, .. }
            | Expectation::Owner { path, .. } => spec.paths.push(path.clone()),
            Expectation::Sysctl { key, .. } => spec.sysctls.push(key.clone()),
            Expectation::MkdirErrno { path, .. } => spec.mkdirs.push(path.clone()),
            Expectation::OpenErrno { path, access, .. } => spec.opens.push(OpenRequest {
                path: path.clone(),
                access: *access,
            }),
            Expectation::MknodErrno {
                path,
                kind,
                major,
                minor,
                ..
            } => spec.mknods.push(MknodRequest {
                path: path.clone(),
                kind: *kind,
                major: *major,
                minor: *minor,
            }),
            Expectation::NetDevice { name, .. } if !spec.net_devices.contains(name) => {
                spec.net_devices.push(name.clone());
            }
            _ => {}
        }
    }

    /// Judges the observation. `Err` carries what was seen, in plain words.
    pub fn judge(&self, o: &Observation) -> Result<(), String> {
        let eq = |what: &str, want: &dyn Show, got: &dyn Show, ok: bool| {
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "{what}: expected {}, observed {}",
                    want.show(),
                    got.show()
                ))
            }
        };
        match self {
            Expectation::Hostname { value } => {
                eq("hostname", value, &o.hostname, &o.hostname == value)
            }
            Expectation::Domainname { value } => {
                eq("domainname", value, &o.domainname, &o.domainname == value)
            }
            Expectation::Env { contains } => {
                let missing: Vec<&String> =
                    contains.iter().filter(|e| !o.env.contains(e)).collect();
                eq("environment", contains, &o.env, missing.is_empty())
            }
            Expectation::EnvExactly { value } => {
                let (mut want, mut got) = (value.clone(), o.env.clone());
                want.sort();
                got.sort();
                eq("environment (exactly)", value, &o.env, want == got)
            }
            Expectation::Args { value } => eq("args", value, &o.args, &o.args == value),
            Expectation::ExtraArgs { value } => {
                let extra = o.args.get(3..).unwrap_or_default();
                eq(
                    "args after the probe's own",
                    value,
                    &extra,
                    extra == value.as_slice(),
                )
            }
            Expectation::MkdirErrno { path, errno } => {
                let got = o.mkdir_errno.get(path);
                eq(
                    &format!("errno of mkdir {path}"),
                    errno,
                    &seen(got),
                    got == Some(errno),
                )
            }
            Expectation::OpenErrno {
                path,
                access,
                errno,
            } => {
                let key = OpenRequest {
                    path: path.clone(),
                    access: *access,
                }
                .key();
                let got = o.open_errno.get(&key);
                eq(
                    &format!("errno of open {key}"),
                    errno,
                    &seen(got),
                    got == Some(errno),
                )
            }
            Expectation::MknodErrno { path, errno, .. } => {
                let got = o.mknod_errno.get(path);
                eq(
                    &format!("errno of mknod {path}"),
                    errno,
                    &seen(got),
                    got == Some(errno),
                )
            }
            Expectation::Propagation { destination, value } => {
                match o
                    .mounts
                    .iter()
                    .rev()
                    .find(|m| &m.mount_point == destination)
                {
                    None => Err(format!("no mount at {destination}")),
                    Some(m) => eq(
                        &format!("propagation of {destination}"),
                        value,
                        &m.propagation_mode(),
                        m.propagation_mode() == value,
                    ),
                }
            }
            Expectation::Terminal {
                value,
                rows,
                columns,
            } => {
                eq(
                    "stdin is a terminal",
                    value,
                    &o.stdin_tty,
                    o.stdin_tty == *value,
                )?;
                match (rows, columns) {
                    (Some(r), Some(c)) => eq(
                        "terminal size",
                        &tty_size((*r, *c)),
                        &seen(o.tty_size.map(tty_size)),
                        o.tty_size == Some((*r, *c)),
                    ),
                    _ => Ok(()),
                }
            }
            Expectation::Cwd { value } => eq("cwd", value, &o.cwd, &o.cwd == value),
            Expectation::Uid { value } => eq(
                "uid (real, effective)",
                value,
                &o.uids.get(..2).unwrap_or(&o.uids),
                o.uids.first() == Some(value) && o.uids.get(1) == Some(value),
            ),
            Expectation::Gid { value } => eq(
                "gid (real, effective)",
                value,
                &o.gids.get(..2).unwrap_or(&o.gids),
                o.gids.first() == Some(value) && o.gids.get(1) == Some(value),
            ),
            Expectation::Groups { contains } => eq(
                "supplementary groups",
                contains,
                &o.groups,
                contains.iter().all(|g| o.groups.contains(g)),
            ),
            Expectation::Umask { value } => {
                let got = seen(o.umask.map(umask));
                eq("umask", &umask(*value), &got, o.umask == Some(*value))
            }
            Expectation::Rlimit { name, soft, hard } => {
                let got = o.rlimits.get(name);
                eq(
                    name,
                    &limits((*soft, *hard)),
                    &seen(got.copied().map(limits)),
                    got == Some(&(*soft, *hard)),
                )
            }
            Expectation::Caps { set, exactly } => {
                let want = caps::mask(exactly)?;
                let got = o.caps.get(set).copied();
                // Capabilities this kernel does not know cannot be granted: ignore them.
                let known = ::caps::runtime::procfs_all_supported(None)
                    .map(|s| s.into_iter().fold(0u64, |a, c| a | (1u64 << c.index())))
                    .unwrap_or(u64::MAX);
                eq(
                    &format!("{set} capabilities"),
                    exactly,
                    &seen(got.map(caps::names)),
                    got.map(|g| g & known) == Some(want & known),
                )
            }
            Expectation::NoNewPrivileges { value } => eq(
                "no_new_privs",
                value,
                &seen(o.no_new_privs),
                o.no_new_privs == Some(*value),
            ),
            Expectation::OomScoreAdj { value } => eq(
                "oom_score_adj",
                value,
                &seen(o.oom_score_adj),
                o.oom_score_adj == Some(*value),
            ),
            Expectation::RootReadonly { value } => {
                let root = o.mounts.iter().rev().find(|m| m.mount_point == "/");
                let ro = root.map(|m| m.options.first().is_some_and(|x| x == "ro"));
                eq("/ mounted read-only", value, &seen(ro), ro == Some(*value))
            }
            Expectation::Mount {
                destination,
                fs_type,
                options,
                absent,
            } => {
                let m = o
                    .mounts
                    .iter()
                    .rev()
                    .find(|m| &m.mount_point == destination);
                match m {
                    None => Err(format!("no mount at {destination}")),
                    Some(m) => {
                        if let Some(t) = fs_type {
                            if &m.fs_type != t {
                                return Err(format!(
                                    "mount at {destination}: type {} instead of {t}",
                                    m.fs_type
                                ));
                            }
                        }
                        let missing: Vec<&String> =
                            options.iter().filter(|x| !m.options.contains(x)).collect();
                        let present: Vec<&String> =
                            absent.iter().filter(|x| m.options.contains(x)).collect();
                        eq(
                            &format!("options of {destination}"),
                            options,
                            &m.options,
                            missing.is_empty(),
                        )?;
                        eq(
                            &format!("options of {destination} (none of these)"),
                            absent,
                            &m.options,
                            present.is_empty(),
                        )
                    }
                }
            }
            Expectation::NotMounted { destination } => {
                let found: Vec<&String> = o
                    .mounts
                    .iter()
                    .filter(|m| &m.mount_point == destination)
                    .map(|m| &m.fs_type)
                    .collect();
                eq(
                    &format!("mounts at {destination} (types)"),
                    &Vec::<String>::new(),
                    &found,
                    found.is_empty(),
                )
            }
            Expectation::MountOrder { destinations } => {
                let pos = |d: &String| o.mounts.iter().position(|m| &m.mount_point == d);
                if let Some(d) = destinations.iter().find(|d| pos(d).is_none()) {
                    return Err(format!("mount order: no mount at {d}"));
                }
                let mut got: Vec<&String> = destinations.iter().collect();
                got.sort_by_key(|d| pos(d));
                eq(
                    "mount order",
                    destinations,
                    &got,
                    got.iter().copied().eq(destinations.iter()),
                )
            }
            Expectation::Masked { path } => paths::masked(o, path),
            Expectation::ReadonlyPath { path } => paths::readonly(o, path),
            Expectation::Device {
                path,
                kind,
                major,
                minor,
                mode,
                uid,
                gid,
                follow,
            } => paths::device(
                o,
                &paths::DeviceWant {
                    path,
                    kind,
                    major: *major,
                    minor: *minor,
                    mode: *mode,
                    uid: *uid,
                    gid: *gid,
                    follow: *follow,
                },
            ),
            Expectation::Symlink { path, target } => paths::symlink(o, path, target),
            Expectation::Owner { path, uid, gid } => paths::owner(o, path, *uid, *gid),
            Expectation::Sysctl { key, value } => {
                let got = o.sysctls.get(key).cloned().flatten();
                eq(
                    &format!("sysctl {key}"),
                    value,
                    &seen(got.as_ref()),
                    got.as_ref() == Some(value),
                )
            }
            Expectation::SeccompFiltered {} => {
                eq("seccomp mode", &2, &seen(o.seccomp), o.seccomp == Some(2))
            }
            Expectation::IdMaps { uid, gid } => {
                eq("uid_map", uid, &o.uid_map, &o.uid_map == uid)?;
                eq("gid_map", gid, &o.gid_map, &o.gid_map == gid)
            }
            Expectation::Namespace { ns_type, new } => {
                let proc_name = match ns_type.as_str() {
                    "network" => "net",
                    "mount" => "mnt",
                    other => other,
                };
                let inside = o.namespaces.get(proc_name);
                let outside = o.host_namespaces.get(proc_name);
                match (inside, outside) {
                    (Some(i), Some(h)) => eq(
                        &format!("{ns_type} namespace is new"),
                        new,
                        &Words(format!("{} (container {i}, runtime {h})", i != h)),
                        (i != h) == *new,
                    ),
                    _ => Err(format!(
                        "{ns_type} namespace: cannot compare (not readable)"
                    )),
                }
            }
            Expectation::NetDevice {
                name,
                up,
                mtu,
                addresses,
            } => {
                let Some(d) = o.net_devices.get(name) else {
                    return Err(format!(
                        "no network device {name} in the container (it sees {})",
                        o.net_devices.keys().collect::<Vec<_>>().show()
                    ));
                };
                if let Some(up) = up {
                    eq(&format!("{name} is up"), up, &d.up, d.up == *up)?;
                }
                if let Some(mtu) = mtu {
                    eq(&format!("MTU of {name}"), mtu, &d.mtu, d.mtu == *mtu)?;
                }
                eq(
                    &format!("addresses of {name}"),
                    addresses,
                    &d.addresses,
                    addresses.iter().all(|a| d.addresses.contains(a)),
                )
            }
            Expectation::Personality { domain } => {
                let Some(want) = personality::number(domain) else {
                    return Err(format!("unknown personality domain {domain}"));
                };
                let got = o.personality.map(|p| p & 0xff);
                let name = personality::name;
                eq(
                    "personality domain",
                    &name(want),
                    &seen(got.map(name)),
                    got == Some(want),
                )
            }
        }
    }
}
