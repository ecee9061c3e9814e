//! The preconditions of a run, checked before the first case: who runs the harness, what the
//! host offers it, and whether the runtime answers like an OCI runtime at all. A run that
//! cannot hold them would blame the runtime for the harness's own problems (every case failing
//! with "Permission denied", `/bin/true` erring in every case), so it stops with one
//! [`PreflightError`] instead, saying what is wrong and how to fix it.
//!
//! Two stages: [`check_caller`] before anything is set up (root, /proc), and [`check_run`]
//! once the runtime and the run's settings are known (the temp dirs, the probe, the cgroup
//! filesystem and the namespaces the selected cases' containers ask for, then the runtime
//! itself). A host feature a case names in `needs` is not checked here: without it, that case
//! is skipped with the reason, as before.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::errno::Errno;
use nix::libc;
use nix::sys::statfs::{self, statfs, FsType};
use nix::sys::statvfs::{statvfs, FsFlags};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::ForkResult;

use crate::case::{toml_to_json, Case, Step};
use crate::lifecycle::{CliRuntime, Exit, Lifecycle, Reply, Scope};
use crate::runner::{base_config, RunConfig};

/// Where the harness reads processes, mounts and namespaces.
const PROC: &str = "/proc";
/// What to do about a binary that is not an OCI runtime.
const RUNTIME_FIX: &str = "give --runtime the path of an OCI runtime (runc, crun, youki, \
                           ocicheck-runtime), and the global arguments it needs with --runtime-arg";
/// What to do about a runtime file that cannot be executed.
const EXECUTABLE_FIX: &str = "make it executable (chmod +x), on a mount without noexec";

/// A precondition of `ocicheck run` that does not hold; no case has run. Each message says
/// what is wrong and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum PreflightError {
    /// The harness does not run as root.
    #[error(
        "ocicheck run must run as root (effective uid 0), but runs as {user} (uid {uid}): the \
         suite creates real containers (namespaces, cgroups, mounts); run it as root, e.g. \
         with sudo"
    )]
    NotRoot { user: String, uid: u32 },
    /// /proc is not a mounted proc filesystem.
    #[error(
        "/proc is not mounted ({found}): the harness reads processes, mounts and namespaces \
         there; mount it with `mount -t proc proc /proc`"
    )]
    NoProc { found: String },
    /// The run's temp dir cannot hold the run, or the probe could not run from it.
    #[error(
        "the temp dir {dir} cannot hold the run: {problem}; point TMPDIR at a writable \
         directory on a mount without noexec"
    )]
    TempDir { dir: PathBuf, problem: String },
    /// The directory of the cases' sockets cannot be written.
    #[error(
        "cannot make the cases' socket directories in {dir}: {problem}; it must be a writable \
         directory"
    )]
    SocketDir { dir: PathBuf, problem: String },
    /// The probe (ocicheck's own binary) cannot be read, so it cannot go into the containers.
    #[error(
        "the probe {path} cannot be read: {problem}; it is ocicheck's own binary, copied into \
         every container: run ocicheck from a file it can read"
    )]
    Probe { path: PathBuf, problem: String },
    /// No cgroup filesystem in which the runtime could make the containers' cgroups.
    #[error(
        "no usable cgroup filesystem at {root}: {problem}; the runtime puts every container \
         in a cgroup there: mount cgroup2 there read-write (`mount -t cgroup2 none {root}`), \
         or the cgroup v1 hierarchies below it"
    )]
    Cgroups { root: PathBuf, problem: String },
    /// A namespace the containers of selected cases ask for cannot be made on this host.
    #[error(
        "cannot make a {kind} namespace ({errno}), which {cases}{why}; allow it, or leave \
         those cases out (--case)"
    )]
    Namespace {
        kind: String,
        errno: Errno,
        /// The selected cases that need it, as words with their verb (`the case
        /// linux.user-namespace and 3 others need`).
        cases: String,
        /// Why it may be refused, with its leading `: ` (empty when unknown).
        why: String,
    },
    /// The runtime binary cannot be started at all.
    #[error("the runtime {path} cannot be run: {problem}; {fix}")]
    RuntimeNotRunnable {
        path: String,
        problem: String,
        fix: &'static str,
    },
    /// The runtime does not tell its version: `--version` must exit 0 and print it.
    #[error(
        "{path} does not answer like an OCI runtime: {problem} (an OCI runtime prints its \
         version and exits 0); {RUNTIME_FIX}"
    )]
    RuntimeVersion { path: String, problem: String },
    /// The runtime answers `state` of an id no container has neither with an error nor with a
    /// JSON object.
    #[error(
        "{path} does not answer like an OCI runtime: {problem} (an OCI runtime refuses an \
         unknown id with an error); {RUNTIME_FIX}"
    )]
    RuntimeState { path: String, problem: String },
}

/// Checks who runs the harness, before anything is set up: root, with /proc mounted.
pub fn check_caller() -> Result<(), PreflightError> {
    let uid = nix::unistd::geteuid();
    if !uid.is_root() {
        let user = nix::unistd::User::from_uid(uid)
            .ok()
            .flatten()
            .map_or_else(|| "a user without a name".to_string(), |u| u.name);
        return Err(PreflightError::NotRoot {
            user,
            uid: uid.as_raw(),
        });
    }
    match statfs(PROC) {
        Ok(fs) if fs.filesystem_type() == statfs::PROC_SUPER_MAGIC => Ok(()),
        Ok(fs) => Err(PreflightError::NoProc {
            found: format!("it is {}", fs_name(fs.filesystem_type())),
        }),
        Err(e) => Err(PreflightError::NoProc {
            found: e.desc().to_string(),
        }),
    }
}

/// Checks what the run of `cases` against `runtime` with `cfg` needs: the temp dirs, the
/// probe, a cgroup filesystem and the namespaces the cases' containers ask for (only when a
/// case that will run makes a container), then that the runtime tells its version and
/// refuses an id no container has, within `cfg.timeout` each.
pub fn check_run(
    runtime: &CliRuntime,
    cfg: &RunConfig,
    cases: &[Case],
) -> Result<(), PreflightError> {
    let scratch =
        Scratch::make(&cfg.tmp_root, true).map_err(|problem| PreflightError::TempDir {
            dir: cfg.tmp_root.clone(),
            problem,
        })?;
    Scratch::make(&cfg.socket_root, false).map_err(|problem| PreflightError::SocketDir {
        dir: cfg.socket_root.clone(),
        problem,
    })?;
    if let Err(e) = std::fs::File::open(&cfg.probe) {
        return Err(PreflightError::Probe {
            path: cfg.probe.clone(),
            problem: e.to_string(),
        });
    }
    let running: Vec<&Case> = cases
        .iter()
        .filter(|c| makes_containers(c) && crate::runner::skip_reason(cfg, c).is_none())
        .collect();
    if !running.is_empty() {
        check_cgroups(&cfg.cgroup_root)?;
        check_namespaces(&namespaces_needed(cfg, &running))?;
    }
    check_runtime(runtime, &scratch.path, cfg.timeout)
}

/// A directory made for the check and removed afterwards.
struct Scratch {
    path: PathBuf,
}

impl Scratch {
    /// Makes a directory in `parent`; the problem, in words, when it cannot, or when `exec` and
    /// programs could not run from there (a noexec mount).
    fn make(parent: &Path, exec: bool) -> Result<Scratch, String> {
        /// Tells apart the directories one process makes.
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = parent.join(format!(
            "ocicheck-preflight-{}-{}-{nanos}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        match std::fs::create_dir(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err("it does not exist".to_string())
            }
            Err(e) => return Err(e.to_string()),
        }
        let scratch = Scratch { path };
        if !exec {
            return Ok(scratch);
        }
        match statvfs(&scratch.path).map(|s| s.flags().contains(FsFlags::ST_NOEXEC)) {
            Ok(false) => Ok(scratch),
            Ok(true) => Err(
                "it is on a noexec mount, and the probe copied there must run in the containers"
                    .to_string(),
            ),
            Err(e) => Err(e.desc().to_string()),
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Whether a case makes a container (or a cgroup), so needs cgroups and namespaces.
fn makes_containers(case: &Case) -> bool {
    case.steps
        .iter()
        .any(|s| matches!(s.step, Step::Create { .. } | Step::MakeCgroup {}))
}

/// Checks that `root` holds a cgroup filesystem the runtime can write: cgroup2 at `root`, or
/// v1 (or hybrid) hierarchies mounted below it, none of them read-only.
fn check_cgroups(root: &Path) -> Result<(), PreflightError> {
    let problem = |problem: String| PreflightError::Cgroups {
        root: root.to_path_buf(),
        problem,
    };
    let fs = statfs(root).map_err(|e| problem(e.desc().to_string()))?;
    let hierarchies: Vec<PathBuf> = if is_cgroup(fs.filesystem_type()) {
        vec![root.to_path_buf()]
    } else {
        let entries = std::fs::read_dir(root).map_err(|e| problem(e.to_string()))?;
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| statfs(p).is_ok_and(|s| is_cgroup(s.filesystem_type())))
            .collect();
        found.sort();
        found
    };
    if hierarchies.is_empty() {
        return Err(problem(format!(
            "it is {} with no cgroup hierarchy in it",
            fs_name(fs.filesystem_type())
        )));
    }
    let read_only: Vec<String> = hierarchies
        .iter()
        .filter(|h| statvfs(*h).is_ok_and(|s| s.flags().contains(FsFlags::ST_RDONLY)))
        .map(|h| h.display().to_string())
        .collect();
    if !read_only.is_empty() {
        return Err(problem(format!(
            "mounted read-only: {}",
            read_only.join(", ")
        )));
    }
    Ok(())
}

fn is_cgroup(t: FsType) -> bool {
    t == statfs::CGROUP2_SUPER_MAGIC || t == statfs::CGROUP_SUPER_MAGIC
}

/// A filesystem type in words (`a tmpfs`, `ext4`), for messages.
fn fs_name(t: FsType) -> String {
    let known = [
        (statfs::TMPFS_MAGIC, "a tmpfs"),
        (statfs::EXT4_SUPER_MAGIC, "an ext4 filesystem"),
        (statfs::XFS_SUPER_MAGIC, "an xfs filesystem"),
        (statfs::BTRFS_SUPER_MAGIC, "a btrfs filesystem"),
        (statfs::OVERLAYFS_SUPER_MAGIC, "an overlay filesystem"),
        (statfs::SYSFS_MAGIC, "sysfs"),
        (statfs::PROC_SUPER_MAGIC, "proc"),
    ];
    known.iter().find(|(k, _)| *k == t).map_or_else(
        || format!("a filesystem of type {:#x}", t.0),
        |(_, n)| n.to_string(),
    )
}

/// The namespace types of the runtime-spec, their clone(2) flags and the sysctl limiting how
/// many of them there may be.
const NAMESPACES: [(&str, libc::c_int, &str); 8] = [
    ("pid", libc::CLONE_NEWPID, "max_pid_namespaces"),
    ("network", libc::CLONE_NEWNET, "max_net_namespaces"),
    ("mount", libc::CLONE_NEWNS, "max_mnt_namespaces"),
    ("ipc", libc::CLONE_NEWIPC, "max_ipc_namespaces"),
    ("uts", libc::CLONE_NEWUTS, "max_uts_namespaces"),
    ("user", libc::CLONE_NEWUSER, "max_user_namespaces"),
    ("cgroup", libc::CLONE_NEWCGROUP, "max_cgroup_namespaces"),
    ("time", libc::CLONE_NEWTIME, "max_time_namespaces"),
];

/// The namespace types the containers of `cases` ask to be new (those they join by `path`
/// exist already; a type the spec does not know is for the runtime to refuse), and a mount
/// namespace when a case hides files from the runtime (the harness makes that one). Each
/// with the ids of the cases that need it, in case order.
fn namespaces_needed(cfg: &RunConfig, cases: &[&Case]) -> BTreeMap<&'static str, Vec<String>> {
    let mut needed: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for case in cases {
        let mut config = base_config(cfg.spec_version, "/preflight");
        crate::case::merge_patch(&mut config, &toml_to_json(&case.config));
        let listed = config["linux"]["namespaces"].as_array().cloned();
        let mut kinds: Vec<&'static str> = listed
            .into_iter()
            .flatten()
            .filter(|ns| ns["path"].as_str().is_none_or(str::is_empty))
            .filter_map(|ns| {
                let t = ns["type"].as_str()?;
                NAMESPACES
                    .iter()
                    .find(|(k, _, _)| *k == t)
                    .map(|(k, _, _)| *k)
            })
            .collect();
        if !case.hide.is_empty() {
            kinds.push("mount");
        }
        kinds.sort_unstable();
        kinds.dedup();
        for k in kinds {
            needed.entry(k).or_default().push(case.id.clone());
        }
    }
    needed
}

/// Checks that each namespace type of `needed` can be made here.
fn check_namespaces(needed: &BTreeMap<&'static str, Vec<String>>) -> Result<(), PreflightError> {
    for (kind, cases) in needed {
        let Some((_, flag, sysctl)) = NAMESPACES.iter().find(|(k, _, _)| k == kind) else {
            continue;
        };
        if let Err(errno) = try_unshare(*flag) {
            let why = match errno {
                Errno::ENOSPC => {
                    format!(": the host allows no more of them (sysctl user.{sysctl})")
                }
                Errno::EPERM => ": ocicheck is not permitted to (it may run in a container, or a \
                                 security policy forbids it)"
                    .to_string(),
                Errno::EINVAL => ": the kernel does not have it".to_string(),
                _ => String::new(),
            };
            let cases = match cases.as_slice() {
                [one] => format!("the case {one} needs"),
                [first, rest @ ..] => format!(
                    "the case {first} and {} other{} need",
                    rest.len(),
                    if rest.len() == 1 { "" } else { "s" }
                ),
                [] => "the selected cases need".to_string(),
            };
            return Err(PreflightError::Namespace {
                kind: kind.to_string(),
                errno,
                cases,
                why,
            });
        }
    }
    Ok(())
}

/// Whether a new namespace of the type `flag` (a `CLONE_NEW*` flag) can be made: a child
/// process unshares it and exits.
fn try_unshare(flag: libc::c_int) -> Result<(), Errno> {
    // SAFETY: the child calls only unshare(2) and _exit(2), both async-signal-safe, so forking
    // is sound even if other threads exist; the parent waits for it right away.
    match unsafe { nix::unistd::fork() }? {
        ForkResult::Child => {
            // SAFETY: plain system calls on integers.
            let code = unsafe {
                if libc::unshare(flag) == 0 {
                    0
                } else {
                    Errno::last_raw().clamp(1, 255)
                }
            };
            // SAFETY: ends the child at once, without running anything of the parent's.
            unsafe { libc::_exit(code) }
        }
        ForkResult::Parent { child } => match waitpid(child, None)? {
            WaitStatus::Exited(_, 0) => Ok(()),
            WaitStatus::Exited(_, code) => Err(Errno::from_raw(code)),
            _ => Err(Errno::UnknownErrno),
        },
    }
}

/// Checks that `runtime` answers like an OCI runtime, called as it will be for every
/// operation (its global arguments and `--root`, in `dir`): `--version` exits 0 and prints
/// text; `state` of an id no container has exits with an error (or prints a JSON object, for
/// the cases to judge).
fn check_runtime(
    runtime: &CliRuntime,
    dir: &Path,
    timeout: Duration,
) -> Result<(), PreflightError> {
    let path = std::iter::once(runtime.path.display().to_string())
        .chain(runtime.leading_args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    let state_root = dir.join("state");
    let scope = Scope::outside_cases(&state_root, dir);
    let not_runnable = |e: std::io::Error| PreflightError::RuntimeNotRunnable {
        path: path.clone(),
        fix: if e.kind() == std::io::ErrorKind::PermissionDenied {
            EXECUTABLE_FIX
        } else {
            RUNTIME_FIX
        },
        problem: e.to_string(),
    };
    std::fs::create_dir_all(&state_root).map_err(|e| PreflightError::TempDir {
        dir: dir.to_path_buf(),
        problem: e.to_string(),
    })?;
    let reply = runtime
        .version_reply(&scope, Instant::now() + timeout)
        .map_err(not_runnable)?;
    if let Some(problem) = version_problem(&reply, timeout) {
        return Err(PreflightError::RuntimeVersion { path, problem });
    }
    let id = format!(
        "ocicheck-preflight-{}-no-such-container",
        std::process::id()
    );
    let reply = runtime
        .state(&scope, Some(&id), Instant::now() + timeout)
        .map_err(not_runnable)?;
    if let Some(problem) = state_problem(&reply, timeout) {
        return Err(PreflightError::RuntimeState { path, problem });
    }
    Ok(())
}

/// What is wrong with the answer to `--version`, if anything: it must exit 0 with text.
fn version_problem(reply: &Reply, timeout: Duration) -> Option<String> {
    match reply.exit {
        Exit::Code(0) => {
            let out = [&reply.stdout, &reply.stderr]
                .into_iter()
                .map(|s| s.trim())
                .find(|s| !s.is_empty());
            match out {
                None => Some(format!("`{}` exited 0 and printed nothing", reply.command)),
                Some(text) if !is_text(text) => Some(format!(
                    "`{}` printed no version but binary data",
                    reply.command
                )),
                Some(_) => None,
            }
        }
        Exit::TimedOut => Some(did_not_finish(reply, timeout)),
        _ => Some(reply.describe()),
    }
}

/// What is wrong with the answer to `state` of an id no container has, if anything: it must
/// end in time with an error, or else print a JSON object. A runtime that answers with a state
/// for an unknown id breaks a requirement, which a case judges (`errors.unknown-id`): that is a
/// verdict on the runtime, not a precondition of the run; a binary that prints text or nothing
/// and exits 0 is no runtime.
fn state_problem(reply: &Reply, timeout: Duration) -> Option<String> {
    match reply.exit {
        Exit::Code(0)
            if serde_json::from_str::<serde_json::Value>(&reply.stdout)
                .is_ok_and(|v| v.is_object()) =>
        {
            None
        }
        Exit::Code(0) => Some(format!(
            "`{}` exited 0 for an id no container has, and printed no JSON state",
            reply.command
        )),
        Exit::Code(_) => None,
        Exit::TimedOut => Some(did_not_finish(reply, timeout)),
        Exit::Signal(_) | Exit::TooMuchOutput(_) | Exit::Interrupted => Some(reply.describe()),
    }
}

fn did_not_finish(reply: &Reply, timeout: Duration) -> String {
    format!(
        "`{}` did not finish within the {} s of --timeout",
        reply.command,
        timeout.as_secs_f64()
    )
}

/// Whether `s` reads as text: no control characters but line breaks and tabs, nothing that
/// was not UTF-8.
fn is_text(s: &str) -> bool {
    !s.chars()
        .any(|c| (c.is_control() && !c.is_whitespace()) || c == char::REPLACEMENT_CHARACTER)
}

#[cfg(test)]
mod tests;
