//! The typed steps of a case file: one variant per step kind, each with only its own fields.
//!
//! A step is written in a case file as `[[step]] run = "<kind>"` plus that kind's fields. Every
//! enum here is closed: an unknown field, kind, status, hook, host feature or `then` action is a
//! load error that names the file, the line and the valid choices (serde's own messages).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

/// One lifecycle step: an operation on the runtime, or a judgement of what it did.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(tag = "run", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Step {
    /// `create --bundle B --pid-file F [--console-socket S] ID`.
    Create {
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        id: Target,
        /// Pass `--console-socket` and collect the terminal's output as the container's output.
        #[serde(default)]
        console: bool,
        /// Listen as the seccomp agent at `{seccomp_socket}` (the config's `listenerPath`);
        /// the `seccomp-agent` step judges what arrived.
        #[serde(default)]
        seccomp_agent: bool,
        /// Start the runtime with this `oom_score_adj` (what a container without
        /// `process.oomScoreAdj` inherits).
        #[serde(default)]
        oom_score_adj: Option<i32>,
        /// Run the runtime under strace, recording its mount(2) (and fsconfig) calls for
        /// `mount-call` steps (the case needs `strace`).
        #[serde(default)]
        trace_mounts: bool,
    },
    /// `start ID`.
    Start {
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        id: Target,
    },
    /// `state ID`: with `expect = "ok"`, the output must be a valid state of this container.
    State {
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        id: Target,
        /// The status the state must report.
        #[serde(default)]
        status: Option<Status>,
        /// The annotations the state must report (an empty table: none).
        #[serde(default)]
        annotations: Option<toml::Table>,
    },
    /// `kill ID SIGNAL`.
    Kill {
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        id: Target,
        /// The signal, by name (default `TERM`); [`NO_SIGNAL`] gives none (the runtime's
        /// default).
        #[serde(default = "default_signal")]
        signal: String,
    },
    /// `delete [--force] ID`.
    Delete {
        #[serde(default)]
        expect: Expect,
        #[serde(default)]
        id: Target,
        /// Pass `--force`.
        #[serde(default)]
        force: bool,
    },
    /// Polls `state` until the container reports `status` (default `stopped`), up to the
    /// timeout.
    Wait {
        #[serde(default = "default_wait_status")]
        status: Status,
    },
    /// Judges the case's `[[expect]]` entries against the probe's report.
    Probe {},
    /// The container process has not reported yet (it must not run before `start`).
    NotStarted {},
    /// Judges what the seccomp agent received (needs `create` with `seccomp_agent = true`).
    SeccompAgent {},
    /// The container's output gets a line starting with `contains`, up to the timeout.
    Output { contains: String },
    /// A file of the container's cgroup holds `value`, or (with `owner`) is owned by `uid:gid`
    /// (or by `uid`, whatever its group).
    Cgroup {
        /// The v1 hierarchy (ignored on a cgroup v2 host).
        controller: String,
        /// The file in the container's cgroup directory (empty: the directory itself).
        file: String,
        /// The file's name on a cgroup v2 host, when it differs.
        #[serde(default)]
        file_v2: Option<String>,
        /// The value the file must hold (whitespace trimmed).
        #[serde(default)]
        value: Option<String>,
        /// The value on a cgroup v2 host, when its file writes it differently (`cpu.max` holds
        /// `"QUOTA PERIOD"`).
        #[serde(default)]
        value_v2: Option<String>,
        /// The owner the file must have on the host, `uid:gid`, or `uid` alone.
        #[serde(default)]
        owner: Option<String>,
    },
    /// Where the container's process is in each cgroup hierarchy (`/proc/PID/cgroup`, PID from
    /// the pid file): the first such step records it, each later one must find it there again.
    CgroupPlace {},
    /// Makes the case's cgroup in the freezer hierarchy (the v1 freezer, else cgroup v2) and
    /// freezes it: a cgroup unfit for a container, before `create`.
    FreezeCgroup {},
    /// Applies a JSON merge patch (written as TOML) to the bundle's config.json.
    EditConfig { patch: toml::Table },
    /// The hook recorded under this label ran (at least once).
    HookRan { hook: HookLabel },
    /// The recorded hooks of these labels ran once each, in this relative order, and no other
    /// hook ran.
    HookOrder { order: Vec<HookLabel> },
    /// The hook recorded under this label ran in the container's mount namespace
    /// (createContainer, startContainer) or the runtime's (the others).
    HookNamespace { hook: HookLabel },
    /// Every recorded hook got this container's whole state on stdin, with the status of its
    /// phase.
    HookState {},
    /// The hook recorded under this label ran at its point of the lifecycle, as it saw the
    /// container then (its operation under way; before or after pivot_root, the program's exec
    /// or the container's end).
    HookTiming { hook: HookLabel },
    /// `state ID`'s pid is the container process as the host sees it.
    Pid {},
    /// After delete: `state` fails, the container's cgroup is gone from every hierarchy and
    /// nothing is mounted below the bundle's root filesystem.
    Gone {},
    /// The container was stopped and torn down: `state` fails or says `stopped`, its process
    /// no longer runs and its cgroup holds no process.
    TornDown {},
    /// What the runtime printed on stderr during the last `create` mentions `contains` (a
    /// warning naming it).
    Warning { contains: String },
    /// The harness makes the container's cgroup directory (its `cgroupsPath`) in every
    /// hierarchy, as a cgroup manager would before the runtime runs: a resource the runtime
    /// did not create.
    MakeCgroup {},
    /// The directories `make-cgroup` made still exist.
    CgroupKept {},
    /// The host interface `{netdev}` is not in the host's network namespace, under its own
    /// name nor the name linux.netDevices gives it (it was not moved back).
    NetDeviceGone {},
    /// The mount(2) call of the traced `create` (`trace_mounts = true`) whose data holds the
    /// option `data` (e.g. `size=777k`) has each of `flags` set and none of `absent`; no such
    /// call (the mount made with the new mount API) cannot be judged: an error.
    MountCall {
        data: String,
        #[serde(default)]
        flags: Vec<String>,
        #[serde(default)]
        absent: Vec<String>,
    },
}

/// The `signal` of a kill step that gives the runtime no signal argument.
pub const NO_SIGNAL: &str = "none";

fn default_signal() -> String {
    "TERM".into()
}

fn default_wait_status() -> Status {
    Status::Stopped
}

impl Step {
    /// The step kind as a case file writes it.
    pub fn kind(&self) -> &'static str {
        match self {
            Step::Create { .. } => "create",
            Step::Start { .. } => "start",
            Step::State { .. } => "state",
            Step::Kill { .. } => "kill",
            Step::Delete { .. } => "delete",
            Step::Wait { .. } => "wait",
            Step::Probe {} => "probe",
            Step::NotStarted {} => "not-started",
            Step::SeccompAgent {} => "seccomp-agent",
            Step::Output { .. } => "output",
            Step::Cgroup { .. } => "cgroup",
            Step::CgroupPlace {} => "cgroup-place",
            Step::FreezeCgroup {} => "freeze-cgroup",
            Step::EditConfig { .. } => "edit-config",
            Step::HookRan { .. } => "hook-ran",
            Step::HookOrder { .. } => "hook-order",
            Step::HookNamespace { .. } => "hook-namespace",
            Step::HookState {} => "hook-state",
            Step::HookTiming { .. } => "hook-timing",
            Step::Pid {} => "pid",
            Step::Gone {} => "gone",
            Step::TornDown {} => "torn-down",
            Step::Warning { .. } => "warning",
            Step::MakeCgroup {} => "make-cgroup",
            Step::CgroupKept {} => "cgroup-kept",
            Step::NetDeviceGone {} => "net-device-gone",
            Step::MountCall { .. } => "mount-call",
        }
    }

    /// Whether the step only judges what is there (it drives nothing): its failure is recorded
    /// and the case goes on, so that each such assertion is judged on its own.
    pub fn judges_only(&self) -> bool {
        matches!(
            self,
            Step::HookRan { .. }
                | Step::HookOrder { .. }
                | Step::HookNamespace { .. }
                | Step::HookState {}
                | Step::HookTiming { .. }
                | Step::Pid {}
                | Step::Gone {}
                | Step::TornDown {}
                | Step::Warning { .. }
                | Step::CgroupKept {}
                | Step::NetDeviceGone {}
                | Step::MountCall { .. }
        )
    }

    /// What is wrong with the step beyond its types (a field combination), if anything.
    pub fn problem(&self) -> Option<String> {
        match self {
            Step::Cgroup {
                value: None,
                owner: None,
                ..
            } => Some("a cgroup step needs `value` or `owner`".into()),
            Step::Cgroup {
                value: None,
                value_v2: Some(_),
                ..
            } => Some("`value_v2` goes with `value` (the v1 form)".into()),
            Step::Cgroup {
                value: Some(_),
                owner: Some(_),
                ..
            } => Some("a cgroup step takes `value` or `owner`, not both".into()),
            Step::Cgroup { owner: Some(o), .. } if parse_owner(o).is_none() => {
                Some(format!("cgroup owner {o:?} is not `uid:gid` or `uid`"))
            }
            Step::MountCall { flags, absent, .. } => flags
                .iter()
                .chain(absent)
                .find(|f| !crate::mount_trace::FLAG_NAMES.contains(&f.as_str()))
                .map(|f| {
                    format!(
                        "mount flag {f:?} is not one strace prints; expected one of {}",
                        crate::mount_trace::FLAG_NAMES.join(", ")
                    )
                }),
            _ => None,
        }
    }

    /// The steps of a case without `[[step]]`: create, start, wait until stopped, probe, delete.
    pub fn default_lifecycle() -> Vec<Step> {
        vec![
            Step::Create {
                expect: Expect::Ok,
                id: Target::Own,
                console: false,
                seccomp_agent: false,
                oom_score_adj: None,
                trace_mounts: false,
            },
            Step::Start {
                expect: Expect::Ok,
                id: Target::Own,
            },
            Step::Wait {
                status: Status::Stopped,
            },
            Step::Probe {},
            Step::Delete {
                expect: Expect::Ok,
                id: Target::Own,
                force: false,
            },
        ]
    }
}

/// `uid:gid` (or `uid` alone: any group) as numbers.
pub fn parse_owner(s: &str) -> Option<(u32, Option<u32>)> {
    match s.split_once(':') {
        Some((u, g)) => Some((u.parse().ok()?, Some(g.parse().ok()?))),
        None => Some((s.parse().ok()?, None)),
    }
}

/// Whether an operation must succeed.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Expect {
    /// The runtime must succeed (exit 0).
    #[default]
    Ok,
    /// The runtime must fail (exit non-zero).
    Error,
    /// Either is fine (the step only drives the lifecycle).
    Any,
}

/// Which container id an operation names.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// The case's own container (when `id` is not given).
    #[default]
    Own,
    /// An id no container has.
    Unknown,
    /// No id argument at all.
    None,
}

/// A container status of the state (runtime.md): oci-spec's.
pub use oci_spec::runtime::ContainerState as Status;

/// Whether a container in this status has a process (and its state must give the pid).
pub fn has_process(status: Status) -> bool {
    matches!(status, Status::Created | Status::Running)
}

/// A hook type of config.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hook {
    Prestart,
    CreateRuntime,
    CreateContainer,
    StartContainer,
    Poststart,
    Poststop,
}

impl Hook {
    /// The hook's name as config.json and the probe's records spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Hook::Prestart => "prestart",
            Hook::CreateRuntime => "createRuntime",
            Hook::CreateContainer => "createContainer",
            Hook::StartContainer => "startContainer",
            Hook::Poststart => "poststart",
            Hook::Poststop => "poststop",
        }
    }

    /// Whether the hook runs in the container's mount namespace (else the runtime's).
    pub fn in_container(self) -> bool {
        matches!(self, Hook::CreateContainer | Hook::StartContainer)
    }

    /// The statuses the state a hook reads may have, by the meaning runtime.md gives each
    /// status: the create-time hooks run while the container is being created (`creating`:
    /// create has not finished), startContainer once it is created but before the program
    /// runs, poststart after the program started (`running`, or `stopped` if it already
    /// exited), poststop after it was deleted.
    pub fn statuses(self) -> &'static [Status] {
        match self {
            Hook::Prestart | Hook::CreateRuntime | Hook::CreateContainer => &[Status::Creating],
            Hook::StartContainer => &[Status::Created],
            Hook::Poststart => &[Status::Running, Status::Stopped],
            Hook::Poststop => &[Status::Stopped],
        }
    }
}

/// The name a hook records itself under (`probe hook <label> ...`): its hook type, and `-N`
/// to tell several hooks of one type apart (`prestart-2`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HookLabel {
    pub hook: Hook,
    pub nth: Option<u32>,
}

impl Hook {
    pub const ALL: [Hook; 6] = [
        Hook::Prestart,
        Hook::CreateRuntime,
        Hook::CreateContainer,
        Hook::StartContainer,
        Hook::Poststart,
        Hook::Poststop,
    ];
}

impl fmt::Display for HookLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.hook.as_str())?;
        match self.nth {
            Some(n) => write!(f, "-{n}"),
            None => Ok(()),
        }
    }
}

impl FromStr for HookLabel {
    type Err = String;

    fn from_str(s: &str) -> Result<HookLabel, String> {
        let (name, nth) = match s.rsplit_once('-') {
            Some((name, n)) => (name, Some(n.parse::<u32>().map_err(|_| bad_label(s))?)),
            None => (s, None),
        };
        let hook = Hook::ALL
            .into_iter()
            .find(|h| h.as_str() == name)
            .ok_or_else(|| bad_label(s))?;
        Ok(HookLabel { hook, nth })
    }
}

fn bad_label(s: &str) -> String {
    let names: Vec<String> = Hook::ALL
        .iter()
        .map(|h| format!("`{}`", h.as_str()))
        .collect();
    format!(
        "unknown hook `{s}`, expected one of {} (optionally with `-N`)",
        names.join(", ")
    )
}

impl<'de> Deserialize<'de> for HookLabel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<HookLabel, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A host feature a case needs; the case is skipped, with the reason, where it is missing.
#[derive(
    Clone, Copy, Debug, Deserialize, serde::Serialize, PartialEq, Eq, PartialOrd, Ord, Hash,
)]
#[serde(rename_all = "kebab-case")]
pub enum Need {
    /// The kernel has time namespaces.
    TimeNamespace,
    /// The kernel has cgroup namespaces.
    CgroupNamespace,
    /// No resctrl filesystem is mounted (for cases about a runtime on a host without Intel RDT).
    NoResctrl,
    /// A pids cgroup controller is available (a v1 hierarchy, or listed by cgroup v2).
    CgroupPids,
    /// A memory cgroup controller is available.
    CgroupMemory,
    /// A cpu cgroup controller is available.
    CgroupCpu,
    /// The host's cgroups are v1 or hybrid.
    CgroupV1,
    /// The host's cgroups are v2 only.
    CgroupV2,
    /// The kernel can ID-map a tmpfs mount (Linux 6.3 or later).
    IdmappedTmpfs,
    /// The harness can make a virtual network device on the host (`{netdev}`).
    NetDevice,
    /// A cgroup can be frozen: a v1 freezer hierarchy, or cgroup v2 (`cgroup.freeze`).
    CgroupFreezer,
    /// A cgroup v2 hierarchy is mounted (v2 only, or hybrid's `unified`).
    CgroupUnified,
    /// The cgroup v2 hierarchy offers the hugetlb controller, with 2 MB pages.
    CgroupV2Hugetlb,
    /// A hugetlb controller (v1 or v2) with 2 MB pages and reservation accounting.
    CgroupHugetlbRsvd,
    /// strace is installed (to trace the runtime's mount(2) calls).
    Strace,
}

impl Need {
    /// Every feature, for probing and documentation.
    pub const ALL: [Need; 15] = [
        Need::TimeNamespace,
        Need::CgroupNamespace,
        Need::NoResctrl,
        Need::CgroupPids,
        Need::CgroupMemory,
        Need::CgroupCpu,
        Need::CgroupV1,
        Need::CgroupV2,
        Need::IdmappedTmpfs,
        Need::NetDevice,
        Need::CgroupFreezer,
        Need::CgroupUnified,
        Need::CgroupV2Hugetlb,
        Need::CgroupHugetlbRsvd,
        Need::Strace,
    ];

    /// Why a case needing this feature is skipped on a host without it.
    pub fn missing_reason(self) -> &'static str {
        match self {
            Need::TimeNamespace => "kernel has no time namespace",
            Need::CgroupNamespace => "kernel has no cgroup namespace",
            Need::NoResctrl => "a resctrl filesystem is mounted on this host",
            Need::CgroupPids => "the host offers no pids cgroup controller",
            Need::CgroupMemory => "the host offers no memory cgroup controller",
            Need::CgroupCpu => "the host offers no cpu cgroup controller",
            Need::CgroupV1 => "the host's cgroups are not v1 (or hybrid)",
            Need::CgroupV2 => "the host's cgroups are not v2 only",
            Need::IdmappedTmpfs => "the kernel cannot ID-map tmpfs mounts (before Linux 6.3)",
            Need::NetDevice => {
                "the harness cannot make a network device here (needs iproute2's ip and a kernel with dummy or ifb links)"
            }
            Need::CgroupFreezer => "the host has no cgroup freezer (v1 freezer or cgroup v2)",
            Need::CgroupUnified => "the host has no cgroup v2 hierarchy",
            Need::CgroupV2Hugetlb => {
                "the host's cgroup v2 hierarchy offers no hugetlb controller with 2 MB pages"
            }
            Need::CgroupHugetlbRsvd => {
                "the host has no hugetlb cgroup controller with 2 MB pages and reservation \
                 accounting (Linux 5.7+)"
            }
            Need::Strace => {
                "strace is not installed (the case traces the runtime's mount(2) calls)"
            }
        }
    }
}
