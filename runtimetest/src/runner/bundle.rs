//! The bundle of one case: the base config every case starts from, the case's patch with its
//! placeholders filled in, the probe as the root filesystem's only file.

use std::path::{Path, PathBuf};

use ocicheck_catalog::SpecVersion;
use serde_json::{json, Value};

use crate::case::{merge_patch, substitute, toml_to_json, Case};
use crate::probe::ProbeSpec;

/// The base config every case starts from: a minimal Linux container running the probe.
pub fn base_config(version: SpecVersion, cgroups_path: &str) -> Value {
    let caps = json!(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
    json!({
        "ociVersion": version.as_str(),
        "process": {
            "terminal": false,
            "user": {"uid": 0, "gid": 0},
            "args": ["/probe"],
            "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "OCICHECK=1"],
            "cwd": "/",
            "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": true
        },
        "root": {"path": "rootfs", "readonly": false},
        "hostname": "ocicheck",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}
        ],
        "linux": {
            "cgroupsPath": cgroups_path,
            "resources": {"devices": [{"allow": false, "access": "rwm"}]},
            "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
            "maskedPaths": ["/proc/kcore", "/proc/keys", "/sys/firmware"],
            "readonlyPaths": ["/proc/bus", "/proc/sys", "/proc/sysrq-trigger"]
        }
    })
}

/// The paths of one case's scratch directory.
#[derive(Clone, Debug)]
pub struct Layout {
    /// The case's scratch directory; everything below is removed after the case.
    pub dir: PathBuf,
    pub bundle: PathBuf,
    /// The runtime's `--root`.
    pub state_root: PathBuf,
    /// Where hooks that run in the runtime's namespace record themselves.
    pub hooks_log: PathBuf,
    /// The container's standard output (and the terminal's, with a console).
    pub output: PathBuf,
    pub pid_file: PathBuf,
    /// Where a traced `create` (`trace_mounts`) writes the runtime's mount(2) calls.
    pub mount_trace: PathBuf,
    /// A short directory (outside `dir`, whose path may be too long for a socket address)
    /// holding the case's sockets; removed after the case.
    pub sockets: PathBuf,
    pub console_socket: PathBuf,
    pub seccomp_socket: PathBuf,
    /// The name of the host network interface made for the case when its config uses
    /// `{netdev}`: `oc` and the random part of the socket directory's name, unique among the
    /// cases running at once (and within IFNAMSIZ).
    pub netdev: String,
}

impl Layout {
    /// The layout of the case directory `dir`, with its sockets in `sockets`.
    pub fn new(dir: PathBuf, sockets: PathBuf) -> Layout {
        Layout {
            bundle: dir.join("bundle"),
            state_root: dir.join("state"),
            hooks_log: dir.join("hooks.log"),
            output: dir.join("container.out"),
            pid_file: dir.join("container.pid"),
            mount_trace: dir.join("mounts.trace"),
            console_socket: sockets.join("console.sock"),
            seccomp_socket: sockets.join("seccomp.sock"),
            netdev: netdev_name(&sockets),
            sockets,
            dir,
        }
    }

    /// Whether the case's config (as written to the bundle) names the host interface.
    pub fn uses_netdev(&self, config: &Value) -> bool {
        config.to_string().contains(&self.netdev)
    }

    /// Where hooks that run in the container (startContainer) record themselves, seen from the
    /// host.
    pub fn container_hooks_log(&self) -> PathBuf {
        self.bundle.join("rootfs/hooks.log")
    }
}

/// Interface names hold at most 15 bytes (IFNAMSIZ less the NUL).
const IFNAME_MAX: usize = 15;

/// `oc` and the alphanumeric characters of the socket directory's name (`oc-Ab12Cd` gives
/// `ocAb12Cd`).
fn netdev_name(sockets: &Path) -> String {
    let tail: String = sockets
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .trim_start_matches("oc-")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!("oc{tail}").chars().take(IFNAME_MAX).collect()
}

/// The config of `case`: the base config, the probe's arguments, the case's patch with
/// placeholders filled in.
pub fn case_config(
    case: &Case,
    version: SpecVersion,
    cgroups_path: &str,
    layout: &Layout,
    probe: &Path,
) -> Value {
    let mut spec = ProbeSpec {
        then: case.then,
        ..ProbeSpec::default()
    };
    for e in &case.expect {
        e.expectation.add_to_spec(&mut spec);
    }
    let mut config = base_config(version, cgroups_path);
    let spec = serde_json::to_string(&spec).unwrap_or_default();
    config["process"]["args"] = json!(["/probe", "observe", spec]);
    let mut patch = toml_to_json(&case.config);
    let mut subs = placeholders(layout, probe, cgroups_path);
    subs.push(("{observe}", spec));
    substitute(&mut patch, &subs);
    merge_patch(&mut config, &patch);
    config
}

/// Strings a case file may use in its config: `{probe}` (host path of the probe binary),
/// `{hooks_log}`, `{bundle}`, `{pid_file}` (the container's pid file, for hooks that judge a
/// container whose state has no pid), `{harness_pid}` (for namespace paths of the runtime side),
/// `{seccomp_socket}`, `{netdev}` (a host network interface made for the case),
/// `{cgroups_path}` (the case's own cgroupsPath, which the harness cleans up with everything
/// below it: a case may nest its cgroup there), `{cgroups_name}` (the same without its leading
/// `/`: a relative cgroupsPath) and `{observe}` (the probe's own argument).
fn placeholders(layout: &Layout, probe: &Path, cgroups_path: &str) -> Vec<(&'static str, String)> {
    vec![
        ("{cgroups_path}", cgroups_path.to_string()),
        (
            "{cgroups_name}",
            cgroups_path.trim_start_matches('/').to_string(),
        ),
        ("{probe}", probe.display().to_string()),
        ("{hooks_log}", layout.hooks_log.display().to_string()),
        ("{bundle}", layout.bundle.display().to_string()),
        ("{pid_file}", layout.pid_file.display().to_string()),
        ("{harness_pid}", std::process::id().to_string()),
        (
            "{seccomp_socket}",
            layout.seccomp_socket.display().to_string(),
        ),
        ("{netdev}", layout.netdev.clone()),
    ]
}

/// The host uid/gid that container root maps to, when the config has a user namespace.
pub fn mapped_root(config: &Value) -> Option<(u32, u32)> {
    let host_id = |key: &str| {
        config["linux"][key].as_array().and_then(|m| {
            m.iter()
                .find(|e| e["containerID"] == 0)
                .and_then(|e| e["hostID"].as_u64())
                .and_then(|h| u32::try_from(h).ok())
        })
    };
    Some((host_id("uidMappings")?, host_id("gidMappings")?))
}

/// The rootfs's symlink (at its top) to [`OUTSIDE_DIR`] of the case directory, by its absolute
/// host path: a mount destination through it must resolve inside the rootfs, and one that
/// a runtime wrongly follows on the host lands in the case's scratch directory, nowhere else.
pub const OUTSIDE_LINK: &str = "ocicheck-outside";
/// The directory of the case directory (outside the bundle) that [`OUTSIDE_LINK`] names.
pub const OUTSIDE_DIR: &str = "outside";

/// Writes the bundle: the root filesystem with the probe and [`OUTSIDE_LINK`] in it (owned by
/// the mapped root, with a user namespace) and config.json.
pub fn write(layout: &Layout, config: &Value, probe: &Path) -> std::io::Result<()> {
    let rootfs = layout.bundle.join("rootfs");
    std::fs::create_dir_all(&layout.state_root)?;
    std::fs::create_dir_all(&rootfs)?;
    let dest = rootfs.join("probe");
    if std::fs::hard_link(probe, &dest).is_err() {
        std::fs::copy(probe, &dest)?;
    }
    let outside = std::path::absolute(layout.dir.join(OUTSIDE_DIR))?;
    std::fs::create_dir_all(&outside)?;
    std::os::unix::fs::symlink(&outside, rootfs.join(OUTSIDE_LINK))?;
    // Read inside the root filesystem, the link names this directory: it exists there too, so
    // a runtime that resolves in the root and refuses to make directories through a link
    // (crun's openat2 with RESOLVE_IN_ROOT) is not failed for it.
    if let Ok(inside) = outside.strip_prefix("/") {
        std::fs::create_dir_all(rootfs.join(inside))?;
    }
    if let Some((uid, gid)) = mapped_root(config) {
        std::os::unix::fs::chown(&rootfs, Some(uid), Some(gid))?;
    }
    let text = serde_json::to_string_pretty(config).map_err(std::io::Error::other)?;
    std::fs::write(layout.bundle.join("config.json"), text)
}
