//! The container process (config.md "Process", config-linux "Personality"): everything applied
//! in the init process just before it becomes the user program by execve.

use std::collections::HashSet;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use caps::{CapSet, Capability, CapsHashSet};
use nix::sys::resource::{setrlimit, Resource};
use nix::sys::stat::{umask, Mode};
use nix::unistd::{chdir, setgroups, setresgid, setresuid, Gid, Uid};
use oci_spec::runtime::{LinuxCapabilities, PosixRlimit, Process};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::mutation::{self, Flaw};

/// A config capability name as the `caps` crate knows it; an unknown name is an error
/// (config.process.capabilities.unmappable-error).
fn cap_set(
    names: &Option<oci_spec::runtime::Capabilities>,
    which: &str,
) -> Result<Option<CapsHashSet>> {
    let Some(names) = names else {
        return Ok(None);
    };
    let mut set = HashSet::new();
    for cap in names {
        let name = serde_json::to_value(cap)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        let c = Capability::from_str(&name).map_err(|_| {
            Error::msg(format!(
                "process.capabilities.{which}: unknown capability {name:?}"
            ))
        })?;
        set.insert(c);
    }
    Ok(Some(set))
}

/// Capabilities this kernel has (`kernel`); others are skipped with a warning
/// (config.process.capabilities.ungrantable-warn, -no-fail).
fn supported(
    set: CapsHashSet,
    kernel: &CapsHashSet,
    which: &str,
    warnings: &mut Vec<String>,
) -> CapsHashSet {
    let (ok, not): (CapsHashSet, CapsHashSet) = set.into_iter().partition(|c| kernel.contains(c));
    for c in not {
        warnings.push(format!(
            "process.capabilities.{which}: {c} is not supported by this kernel, skipped"
        ));
    }
    ok
}

pub struct Caps {
    /// Every capability this kernel has.
    kernel: CapsHashSet,
    bounding: CapsHashSet,
    effective: CapsHashSet,
    permitted: CapsHashSet,
    inheritable: CapsHashSet,
    ambient: CapsHashSet,
}

/// Reads the five capability sets of the config, checking every name. A set that is absent,
/// or no capabilities object at all, is empty: the process gets none.
pub fn read_caps(c: Option<&LinuxCapabilities>, warnings: &mut Vec<String>) -> Result<Caps> {
    let kernel = caps::runtime::procfs_all_supported(None).unwrap_or_else(|_| caps::all());
    let mut get = |s: Option<&Option<oci_spec::runtime::Capabilities>>, which: &str| -> Result<_> {
        Ok(match s {
            Some(s) => cap_set(s, which)?
                .map(|set| supported(set, &kernel, which, warnings))
                .unwrap_or_default(),
            None => HashSet::new(),
        })
    };
    let mut caps = Caps {
        bounding: get(c.map(|c| c.bounding()), "bounding")?,
        effective: get(c.map(|c| c.effective()), "effective")?,
        permitted: get(c.map(|c| c.permitted()), "permitted")?,
        inheritable: get(c.map(|c| c.inheritable()), "inheritable")?,
        ambient: get(c.map(|c| c.ambient()), "ambient")?,
        kernel,
    };
    if mutation::active(Flaw::GrantCapSysAdmin) {
        for set in [&mut caps.bounding, &mut caps.effective, &mut caps.permitted] {
            set.insert(Capability::CAP_SYS_ADMIN);
        }
    }
    Ok(caps)
}

/// The bounding set is dropped while still privileged.
pub fn drop_bounding(c: &Caps) -> Result<()> {
    for cap in c.kernel.difference(&c.bounding) {
        caps::drop(None, CapSet::Bounding, *cap)
            .map_err(|e| Error::msg(format!("cannot drop {cap} from the bounding set: {e}")))?;
    }
    Ok(())
}

/// Switches to the config's user, keeping capabilities across the uid change, then sets the
/// other four capability sets.
pub fn switch_user_and_caps(p: &Process, c: &Caps) -> Result<()> {
    let root = oci_spec::runtime::User::default();
    let user = if mutation::active(Flaw::IgnoreProcessUser) {
        &root
    } else {
        p.user()
    };
    let uid = Uid::from_raw(user.uid());
    let gid = Gid::from_raw(user.gid());
    nix::sys::prctl::set_keepcaps(true).map_err(|e| Error::sys("PR_SET_KEEPCAPS", e))?;
    // config.process.user: additionalGids, gid, then uid.
    let groups: Vec<Gid> = user
        .additional_gids()
        .as_ref()
        .map(|g| g.iter().map(|g| Gid::from_raw(*g)).collect())
        .unwrap_or_default();
    if let Err(e) = setgroups(&groups) {
        // In a user namespace whose setgroups is denied, only an empty list could be set.
        if !(groups.is_empty() && e == nix::errno::Errno::EPERM) {
            return Err(Error::sys(
                format!("cannot set additional groups {groups:?}"),
                e,
            ));
        }
    }
    setresgid(gid, gid, gid).map_err(|e| Error::sys(format!("cannot set gid {gid}"), e))?;
    setresuid(uid, uid, uid).map_err(|e| Error::sys(format!("cannot set uid {uid}"), e))?;
    let set = |which: CapSet, v: &CapsHashSet| {
        caps::set(None, which, v)
            .map_err(|e| Error::msg(format!("cannot set the {which:?} capabilities {v:?}: {e}")))
    };
    // Each capset call must leave effective within permitted: shrink effective first.
    set(CapSet::Inheritable, &c.inheritable)?;
    set(CapSet::Effective, &c.effective)?;
    set(CapSet::Permitted, &c.permitted)?;
    // Ambient capabilities need to be permitted and inheritable: the kernel refuses others,
    // which is a config that cannot be granted: warn, not fail.
    caps::clear(None, CapSet::Ambient).ok();
    for cap in &c.ambient {
        let _ = caps::raise(None, CapSet::Ambient, *cap);
    }
    nix::sys::prctl::set_keepcaps(false).map_err(|e| Error::sys("PR_SET_KEEPCAPS", e))
}

/// config.process.rlimits: each is set exactly, soft and hard.
pub fn set_rlimits(limits: &[PosixRlimit]) -> Result<()> {
    for l in limits {
        let name = serde_json::to_value(l.typ())
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        let resource = resource(&name).ok_or_else(|| {
            // config.process.rlimits.type.unmappable-error
            Error::msg(format!("rlimit {name}: not a resource this platform has"))
        })?;
        // config.process.rlimits.type.getrlimit-succeeds: the limit is set on the resource
        // getrlimit(type) reads.
        let resource = match resource {
            Resource::RLIMIT_NOFILE if mutation::active(Flaw::RlimitWrongResource) => {
                Resource::RLIMIT_NPROC
            }
            r => r,
        };
        let (soft, hard) = if mutation::active(Flaw::IgnoreRlimitSoft) {
            (l.hard(), l.hard())
        } else if mutation::active(Flaw::IgnoreRlimitHard) {
            let (_, inherited) = nix::sys::resource::getrlimit(resource)
                .map_err(|e| Error::sys(format!("cannot read {name}"), e))?;
            (l.soft().min(inherited), inherited)
        } else {
            (l.soft(), l.hard())
        };
        setrlimit(resource, soft, hard).map_err(|e| {
            Error::sys(
                format!("cannot set {name} to soft {} hard {}", l.soft(), l.hard()),
                e,
            )
        })?;
    }
    Ok(())
}

fn resource(name: &str) -> Option<Resource> {
    Some(match name {
        "RLIMIT_AS" => Resource::RLIMIT_AS,
        "RLIMIT_CORE" => Resource::RLIMIT_CORE,
        "RLIMIT_CPU" => Resource::RLIMIT_CPU,
        "RLIMIT_DATA" => Resource::RLIMIT_DATA,
        "RLIMIT_FSIZE" => Resource::RLIMIT_FSIZE,
        "RLIMIT_LOCKS" => Resource::RLIMIT_LOCKS,
        "RLIMIT_MEMLOCK" => Resource::RLIMIT_MEMLOCK,
        "RLIMIT_MSGQUEUE" => Resource::RLIMIT_MSGQUEUE,
        "RLIMIT_NICE" => Resource::RLIMIT_NICE,
        "RLIMIT_NOFILE" => Resource::RLIMIT_NOFILE,
        "RLIMIT_NPROC" => Resource::RLIMIT_NPROC,
        "RLIMIT_RSS" => Resource::RLIMIT_RSS,
        "RLIMIT_RTPRIO" => Resource::RLIMIT_RTPRIO,
        "RLIMIT_RTTIME" => Resource::RLIMIT_RTTIME,
        "RLIMIT_SIGPENDING" => Resource::RLIMIT_SIGPENDING,
        "RLIMIT_STACK" => Resource::RLIMIT_STACK,
        _ => return None,
    })
}

/// config.process.ioPriority: class and priority of the process's I/O.
pub fn set_io_priority(config: &Value) -> Result<()> {
    let p = &config["process"]["ioPriority"];
    if p.is_null() {
        return Ok(());
    }
    let class: i64 = match p["class"].as_str() {
        Some("IOPRIO_CLASS_RT") => 1,
        Some("IOPRIO_CLASS_BE") => 2,
        Some("IOPRIO_CLASS_IDLE") => 3,
        other => {
            return Err(Error::msg(format!(
                "process.ioPriority.class {other:?} is not an I/O scheduling class"
            )))
        }
    };
    let prio = p["priority"].as_i64().unwrap_or(0);
    const IOPRIO_WHO_PROCESS: i64 = 1;
    // SAFETY: ioprio_set takes three integers and touches no memory of ours.
    let rc = unsafe {
        nix::libc::syscall(
            nix::libc::SYS_ioprio_set,
            IOPRIO_WHO_PROCESS,
            0,
            (class << 13) | prio,
        )
    };
    if rc != 0 {
        return Err(Error::io(
            format!("cannot set process.ioPriority (class {class}, priority {prio})"),
            std::io::Error::last_os_error(),
        ));
    }
    Ok(())
}

/// config-linux personality: domain plus flags.
pub fn set_personality(config: &Value) -> Result<()> {
    let p = &config["linux"]["personality"];
    if p.is_null() {
        return Ok(());
    }
    let base = match p["domain"].as_str() {
        Some("LINUX") => 0u64,
        Some("LINUX32") => 0x0008,
        other => {
            return Err(Error::msg(format!(
                "linux.personality.domain {other:?} is not LINUX or LINUX32"
            )))
        }
    };
    if let Some(flags) = p["flags"].as_array().filter(|f| !f.is_empty()) {
        return Err(Error::msg(format!(
            "linux.personality.flags {flags:?}: no personality flags are supported"
        )));
    }
    let persona = nix::sys::personality::Persona::from_bits_retain(base as i32);
    nix::sys::personality::set(persona)
        .map(drop)
        .map_err(|e| Error::sys("cannot set the personality", e))
}

/// The program to execute: args[0] itself when it has a slash, else searched in the PATH of
/// the process's env (like execvp, but with the container's PATH).
pub fn resolve_program(args0: &str, env: &[String]) -> Result<PathBuf> {
    if args0.contains('/') {
        return Ok(PathBuf::from(args0));
    }
    let path = env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    for dir in path.split(':').filter(|d| !d.is_empty()) {
        let candidate = Path::new(dir).join(args0);
        if let Ok(m) = std::fs::metadata(&candidate) {
            use std::os::unix::fs::PermissionsExt;
            if m.is_file() && m.permissions().mode() & 0o111 != 0 {
                return Ok(candidate);
            }
        }
    }
    Err(Error::msg(format!(
        "process.args[0] {args0:?}: not found in PATH {path:?}"
    )))
}

/// Prepared arguments of execve.
pub struct Exec {
    pub program: CString,
    pub args: Vec<CString>,
    pub env: Vec<CString>,
}

fn cstring(s: &str, what: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::msg(format!("{what} {s:?} contains a NUL byte")))
}

/// Checks the program exists and builds execve's arguments (runtime.start.no-process.error
/// is found at create time, like runc does).
pub fn prepare_exec(p: &Process) -> Result<Exec> {
    let mut args = p.args().clone().unwrap_or_default();
    if mutation::active(Flaw::TruncateProcessArgs) {
        args.truncate(3);
    }
    let Some(first) = args.first() else {
        return Err(Error::msg(
            "process.args is empty: there is no program to run",
        ));
    };
    let mut env = p.env().clone().unwrap_or_default();
    if mutation::active(Flaw::IgnoreProcessEnv) {
        env.retain(|e| e.starts_with("PATH="));
    }
    if mutation::active(Flaw::InjectProcessEnv) {
        env.push("container=oci".into());
    }
    let program = resolve_program(first, &env)?;
    Ok(Exec {
        program: CString::new(program.as_os_str().as_bytes())
            .map_err(|_| Error::msg("program path contains a NUL byte"))?,
        args: args
            .iter()
            .map(|a| cstring(a, "argument"))
            .collect::<Result<_>>()?,
        env: env
            .iter()
            .map(|e| cstring(e, "environment entry"))
            .collect::<Result<_>>()?,
    })
}

/// umask and cwd (config.process.user.umask, config.process.cwd).
pub fn umask_and_cwd(p: &Process) -> Result<()> {
    let umask_wanted = p
        .user()
        .umask()
        .filter(|_| !mutation::active(Flaw::IgnoreProcessUmask));
    if let Some(m) = umask_wanted {
        umask(Mode::from_bits_truncate(m as libc_mode));
    }
    let cwd = if mutation::active(Flaw::IgnoreProcessCwd) {
        Path::new("/")
    } else {
        p.cwd().as_path()
    };
    chdir(cwd).map_err(|e| Error::sys(format!("cannot enter cwd {}", p.cwd().display()), e))
}

#[allow(non_camel_case_types)]
type libc_mode = nix::libc::mode_t;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_are_found_in_the_process_path() {
        assert_eq!(
            resolve_program("sh", &["PATH=/nonexistent:/bin".into()]).unwrap(),
            PathBuf::from("/bin/sh")
        );
        assert_eq!(resolve_program("/x/y", &[]).unwrap(), PathBuf::from("/x/y"));
        assert!(resolve_program("no-such-program-here", &["PATH=/bin".into()]).is_err());
    }

    #[test]
    fn rlimit_names_map() {
        assert!(resource("RLIMIT_NOFILE").is_some());
        assert!(resource("RLIMIT_BOGUS").is_none());
    }
}
