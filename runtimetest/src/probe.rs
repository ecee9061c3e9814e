//! The probe: the program ocicheck runs inside the container (as `/probe`, a hard link of the
//! static ocicheck binary) and as the hook program. It only observes and reports; judging is
//! done by the harness with the same [`Observation`] type (see [`crate::expect`]).
//!
//! Everything is read from /proc and the file system with the standard library, so the probe
//! works as the only file of an otherwise empty root filesystem.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::procfs::{nums, status_field};

mod hook;

pub use crate::procfs::{own_namespaces, parse_limits, parse_mountinfo, Mount};
use hook::hook;
pub use hook::{HookRecord, HookView};

/// The line prefix of the probe's report on standard output.
pub const REPORT_PREFIX: &str = "OCICHECK-OBSERVATION ";

/// What the harness asks the probe to look at, passed as JSON in argv.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProbeSpec {
    /// Paths to describe (stat, link target, writability).
    #[serde(default)]
    pub paths: Vec<String>,
    /// Sysctl keys (dotted) to read.
    #[serde(default)]
    pub sysctls: Vec<String>,
    /// Directories to try to create (for seccomp rules): the errno of each mkdir is reported.
    #[serde(default)]
    pub mkdirs: Vec<String>,
    /// Device nodes to open (for device rules): the errno of each open is reported.
    #[serde(default)]
    pub opens: Vec<OpenRequest>,
    /// Device nodes to create (for device rules): the errno of each mknod is reported.
    #[serde(default)]
    pub mknods: Vec<MknodRequest>,
    /// Network interfaces (by name in the container) to describe.
    #[serde(default)]
    pub net_devices: Vec<String>,
    /// What to do after reporting.
    #[serde(default)]
    pub then: Then,
}

/// What the probe does after reporting. Written as `exit`, `exit:N`, `sleep` or
/// `await-signal` (in case files and in the probe's argument alike).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Then {
    /// Exit with status 0.
    #[default]
    Exit,
    /// Exit with this status.
    ExitWith(u8),
    /// Sleep until killed (for state and kill cases).
    Sleep,
    /// Handle HUP, INT, USR1, USR2 and TERM, print which arrived, exit 0.
    AwaitSignal,
}

impl Then {
    /// The forms a case file may write, for error messages and documentation.
    pub const CHOICES: &'static str = "`exit`, `exit:N` (N in 0..=255), `sleep`, `await-signal`";
}

impl fmt::Display for Then {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Then::Exit => f.write_str("exit"),
            Then::ExitWith(n) => write!(f, "exit:{n}"),
            Then::Sleep => f.write_str("sleep"),
            Then::AwaitSignal => f.write_str("await-signal"),
        }
    }
}

impl FromStr for Then {
    type Err = String;

    fn from_str(s: &str) -> Result<Then, String> {
        match s {
            "exit" => Ok(Then::Exit),
            "sleep" => Ok(Then::Sleep),
            "await-signal" => Ok(Then::AwaitSignal),
            _ => s
                .strip_prefix("exit:")
                .and_then(|n| n.parse().ok())
                .map(Then::ExitWith)
                .ok_or_else(|| {
                    format!(
                        "unknown `then` action `{s}`, expected one of {}",
                        Then::CHOICES
                    )
                }),
        }
    }
}

impl Serialize for Then {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Then {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Then, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// How a device node is opened: for reading (`r`) or for writing (`w`).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    R,
    W,
}

/// One open(2) the probe tries.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct OpenRequest {
    pub path: String,
    pub access: Access,
}

impl OpenRequest {
    /// The key of its result in [`Observation::open_errno`] (`"r /dev/x"`).
    pub fn key(&self) -> String {
        let a = match self.access {
            Access::R => 'r',
            Access::W => 'w',
        };
        format!("{a} {}", self.path)
    }
}

/// The type of a device node to create.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    Char,
    Block,
}

/// One mknod(2) the probe tries.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct MknodRequest {
    pub path: String,
    pub kind: DeviceKind,
    pub major: u64,
    pub minor: u64,
}

/// The errno of opening `r.path` (0: it opened). Non-blocking, so a terminal or FIFO cannot
/// hold the probe; the descriptor is closed at once.
fn open_errno(r: &OpenRequest) -> i32 {
    use std::os::unix::fs::OpenOptionsExt;
    let mut o = std::fs::OpenOptions::new();
    match r.access {
        Access::R => o.read(true),
        Access::W => o.write(true),
    };
    o.custom_flags(nix::libc::O_NONBLOCK | nix::libc::O_NOCTTY);
    match o.open(&r.path) {
        Ok(_) => 0,
        Err(e) => e.raw_os_error().unwrap_or(-1),
    }
}

/// The errno of creating the node `r` (0: it was made).
fn mknod_errno(r: &MknodRequest) -> i32 {
    use nix::sys::stat::{makedev, mknod, Mode, SFlag};
    let kind = match r.kind {
        DeviceKind::Char => SFlag::S_IFCHR,
        DeviceKind::Block => SFlag::S_IFBLK,
    };
    match mknod(
        r.path.as_str(),
        kind,
        Mode::from_bits_truncate(0o600),
        makedev(r.major, r.minor),
    ) {
        Ok(()) => 0,
        Err(e) => e as i32,
    }
}

/// What a path looks like from inside the container.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PathInfo {
    pub exists: bool,
    /// file, dir, symlink, char, block, fifo, socket.
    pub kind: String,
    pub major: u64,
    pub minor: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub link_target: Option<String>,
    /// Whether opening it for writing (a file) or creating a file in it (a directory) worked.
    pub writable: Option<bool>,
    /// Bytes read from it (files only, at most 64).
    pub content_len: Option<usize>,
    /// How many entries it has (directories only, `.` and `..` not counted).
    #[serde(default)]
    pub entries: Option<usize>,
    /// What a symlink resolves to (symlinks only; `None` when it dangles).
    #[serde(default)]
    pub resolved: Option<Node>,
}

/// The kind and device number of a file system node.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Node {
    /// file, dir, symlink, char, block, fifo, socket.
    pub kind: String,
    pub major: u64,
    pub minor: u64,
}

impl Node {
    fn of(meta: &std::fs::Metadata) -> Node {
        let ft = meta.file_type();
        let kind = if ft.is_symlink() {
            "symlink"
        } else if ft.is_dir() {
            "dir"
        } else if ft.is_char_device() {
            "char"
        } else if ft.is_block_device() {
            "block"
        } else if ft.is_fifo() {
            "fifo"
        } else if ft.is_socket() {
            "socket"
        } else {
            "file"
        };
        // The glibc encoding of dev_t (gnu_dev_major / gnu_dev_minor).
        let rdev = meta.rdev();
        Node {
            kind: kind.into(),
            major: ((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff),
            minor: (rdev & 0xff) | ((rdev >> 12) & !0xff),
        }
    }
}

/// Everything the probe saw of its own process and environment.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Observation {
    pub pid: u32,
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    /// Real, effective, saved, filesystem.
    pub uids: Vec<u32>,
    pub gids: Vec<u32>,
    pub groups: Vec<u32>,
    pub umask: Option<u32>,
    pub hostname: String,
    pub domainname: String,
    /// Capability sets as bit masks: effective, permitted, inheritable, bounding, ambient.
    pub caps: BTreeMap<String, u64>,
    pub no_new_privs: Option<bool>,
    pub seccomp: Option<u32>,
    pub oom_score_adj: Option<i32>,
    /// RLIMIT_* name -> (soft, hard); u64::MAX is unlimited.
    pub rlimits: BTreeMap<String, (u64, u64)>,
    pub mounts: Vec<Mount>,
    /// Namespace type (as /proc/self/ns names it) -> link text (`net:[4026531840]`).
    pub namespaces: BTreeMap<String, String>,
    pub paths: BTreeMap<String, PathInfo>,
    pub sysctls: BTreeMap<String, Option<String>>,
    pub personality: Option<u64>,
    /// /proc/self/uid_map and gid_map, whitespace-normalised lines.
    #[serde(default)]
    pub uid_map: Vec<String>,
    #[serde(default)]
    pub gid_map: Vec<String>,
    /// The runtime side's namespaces, filled in by the harness before judging.
    #[serde(default)]
    pub host_namespaces: BTreeMap<String, String>,
    /// Whether standard input is a terminal, and its size (rows, columns) when it is.
    #[serde(default)]
    pub stdin_tty: bool,
    #[serde(default)]
    pub tty_size: Option<(u16, u16)>,
    /// The errno of each `mkdirs` attempt (0: it worked).
    #[serde(default)]
    pub mkdir_errno: BTreeMap<String, i32>,
    /// The errno of each `opens` attempt, by [`OpenRequest::key`] (0: it opened).
    #[serde(default)]
    pub open_errno: BTreeMap<String, i32>,
    /// The errno of each `mknods` attempt, by path (0: the node was made).
    #[serde(default)]
    pub mknod_errno: BTreeMap<String, i32>,
    /// The `net_devices` asked for that exist, as the container sees them.
    #[serde(default)]
    pub net_devices: BTreeMap<String, crate::netdev::NetDeviceInfo>,
}

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

fn describe(path: &str) -> PathInfo {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return PathInfo::default();
    };
    let Node { kind, major, minor } = Node::of(&meta);
    let kind = kind.as_str();
    let writable = match kind {
        "dir" => {
            let probe = format!("{}/.ocicheck-write-test", path.trim_end_matches('/'));
            let ok = std::fs::File::create(&probe).is_ok();
            let _ = std::fs::remove_file(&probe);
            Some(ok)
        }
        "file" => Some(std::fs::OpenOptions::new().append(true).open(path).is_ok()),
        _ => None,
    };
    let content_len = (kind == "file" || kind == "char").then(|| {
        let mut buf = [0u8; 64];
        std::fs::File::open(path)
            .and_then(|mut f| f.read(&mut buf))
            .unwrap_or(0)
    });
    PathInfo {
        exists: true,
        kind: kind.into(),
        major,
        minor,
        mode: meta.mode(),
        uid: meta.uid(),
        gid: meta.gid(),
        link_target: std::fs::read_link(path)
            .ok()
            .map(|p| p.to_string_lossy().into_owned()),
        writable,
        content_len,
        entries: (kind == "dir")
            .then(|| std::fs::read_dir(path).ok().map(Iterator::count))
            .flatten(),
        resolved: (kind == "symlink")
            .then(|| std::fs::metadata(path).ok().map(|m| Node::of(&m)))
            .flatten(),
    }
}

/// Looks at the current process and environment.
pub fn observe(spec: &ProbeSpec) -> Observation {
    let namespaces = own_namespaces();
    let status = read("/proc/self/status").unwrap_or_default();
    let mut caps = BTreeMap::new();
    for (field, name) in [
        ("CapEff", "effective"),
        ("CapPrm", "permitted"),
        ("CapInh", "inheritable"),
        ("CapBnd", "bounding"),
        ("CapAmb", "ambient"),
    ] {
        if let Some(v) = status_field(&status, field).and_then(|h| u64::from_str_radix(h, 16).ok())
        {
            caps.insert(name.to_string(), v);
        }
    }
    Observation {
        pid: std::process::id(),
        args: std::env::args().collect(),
        env: std::env::vars_os()
            .map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.to_string_lossy()))
            .collect(),
        cwd: std::env::current_dir()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default(),
        uids: nums(status_field(&status, "Uid")),
        gids: nums(status_field(&status, "Gid")),
        groups: nums(status_field(&status, "Groups")),
        umask: status_field(&status, "Umask").and_then(|u| u32::from_str_radix(u, 8).ok()),
        hostname: read("/proc/sys/kernel/hostname")
            .unwrap_or_default()
            .trim()
            .to_string(),
        domainname: read("/proc/sys/kernel/domainname")
            .unwrap_or_default()
            .trim()
            .to_string(),
        caps,
        no_new_privs: status_field(&status, "NoNewPrivs").map(|v| v == "1"),
        seccomp: status_field(&status, "Seccomp").and_then(|v| v.parse().ok()),
        oom_score_adj: read("/proc/self/oom_score_adj").and_then(|s| s.trim().parse().ok()),
        rlimits: read("/proc/self/limits")
            .map(|t| parse_limits(&t))
            .unwrap_or_default(),
        mounts: read("/proc/self/mountinfo")
            .map(|t| parse_mountinfo(&t))
            .unwrap_or_default(),
        namespaces,
        paths: spec
            .paths
            .iter()
            .map(|p| (p.clone(), describe(p)))
            .collect(),
        sysctls: spec
            .sysctls
            .iter()
            .map(|k| {
                let v = read(&format!("/proc/sys/{}", k.replace('.', "/")))
                    .map(|s| s.trim().to_string());
                (k.clone(), v)
            })
            .collect(),
        personality: read("/proc/self/personality")
            .and_then(|s| u64::from_str_radix(s.trim(), 16).ok()),
        uid_map: id_map("/proc/self/uid_map"),
        gid_map: id_map("/proc/self/gid_map"),
        host_namespaces: BTreeMap::new(),
        stdin_tty: nix::unistd::isatty(std::io::stdin()).unwrap_or(false),
        mkdir_errno: spec
            .mkdirs
            .iter()
            .map(|p| {
                let errno = match std::fs::create_dir(p) {
                    Ok(()) => 0,
                    Err(e) => e.raw_os_error().unwrap_or(-1),
                };
                (p.clone(), errno)
            })
            .collect(),
        tty_size: tty_size(),
        open_errno: spec
            .opens
            .iter()
            .map(|r| (r.key(), open_errno(r)))
            .collect(),
        mknod_errno: spec
            .mknods
            .iter()
            .map(|r| (r.path.clone(), mknod_errno(r)))
            .collect(),
        net_devices: crate::netdev::observe_all(&spec.net_devices),
    }
}

nix::ioctl_read_bad!(get_winsize, nix::libc::TIOCGWINSZ, nix::libc::winsize);

fn tty_size() -> Option<(u16, u16)> {
    let mut ws = nix::libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ fills a winsize; on a non-terminal it fails and we report None.
    unsafe { get_winsize(0, &mut ws) }
        .ok()
        .map(|_| (ws.ws_row, ws.ws_col))
}

/// The signal `await-signal` received (0: none yet).
static RECEIVED: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

extern "C" fn record_signal(sig: nix::libc::c_int) {
    RECEIVED.store(sig, std::sync::atomic::Ordering::SeqCst);
}

/// Handles the usual signals (a PID 1 only gets signals it handles), waits for one, prints
/// `OCICHECK-SIGNAL <NAME>`.
fn await_signal() -> i32 {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
    let act = SigAction::new(
        SigHandler::Handler(record_signal),
        SaFlags::empty(),
        SigSet::empty(),
    );
    let sigs = [
        Signal::SIGHUP,
        Signal::SIGINT,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
        Signal::SIGTERM,
    ];
    for sig in sigs {
        // SAFETY: the handler only stores to an atomic.
        let _ = unsafe { sigaction(sig, &act) };
    }
    let _ = SigSet::all().thread_unblock();
    println!("{READY_PREFIX}");
    let _ = std::io::stdout().flush();
    while RECEIVED.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        nix::unistd::pause();
    }
    let sig = RECEIVED.load(std::sync::atomic::Ordering::SeqCst);
    let name = Signal::try_from(sig).map(|s| s.as_str()).unwrap_or("?");
    println!("{SIGNAL_PREFIX}{name}");
    let _ = std::io::stdout().flush();
    0
}

/// Printed once the probe handles signals (`await-signal`).
pub const READY_PREFIX: &str = "OCICHECK-READY";
/// Printed when `await-signal` got a signal.
pub const SIGNAL_PREFIX: &str = "OCICHECK-SIGNAL ";

fn id_map(path: &str) -> Vec<String> {
    read(path)
        .unwrap_or_default()
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect()
}

/// `probe observe <spec-json>`: report, then exit or sleep as asked. Returns the exit status.
pub fn main(args: &[String]) -> i32 {
    match args.first().map(String::as_str) {
        Some("observe") => {
            let spec: ProbeSpec = args
                .get(1)
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or_default();
            let obs = observe(&spec);
            let line = serde_json::to_string(&obs).unwrap_or_default();
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{REPORT_PREFIX}{line}");
            let _ = out.flush();
            drop(out);
            match spec.then {
                Then::Sleep => loop {
                    std::thread::sleep(std::time::Duration::from_secs(3600));
                },
                Then::AwaitSignal => await_signal(),
                Then::Exit => 0,
                Then::ExitWith(n) => i32::from(n),
            }
        }
        Some("hook") => hook(&args[1..]),
        _ => {
            eprintln!(
                "usage: probe observe <spec-json> | probe hook <name> <record-file> [exit-code]"
            );
            2
        }
    }
}
