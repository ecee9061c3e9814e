//! Checks of config.md: version, root, mounts, process, capabilities, hooks, annotations.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use serde_json::Value;

use ocicheck_catalog::{ids, Id};

use super::{is_abs_posix, is_abs_windows, Ctx, Finding, Platform};

pub fn oci_version(ctx: &Ctx, out: &mut Vec<Finding>) {
    if let Some(v) = ctx.at("/ociVersion").and_then(Value::as_str) {
        if let Err(e) = semver::Version::parse(v) {
            out.push(Finding::new(
                ids::CONFIG_OCI_VERSION_SEMVER,
                "/ociVersion",
                format!("ociVersion {v:?} is not a SemVer 2.0.0 version ({e})"),
            ));
        }
    }
}

pub fn root(ctx: &Ctx, out: &mut Vec<Finding>) {
    let platform = ctx.platform();
    let root = ctx.at("/root");
    let hyperv = ctx.at("/windows/hyperv").is_some_and(|v| !v.is_null());
    match (platform, root) {
        (Platform::Windows, Some(_)) if hyperv => {
            out.push(Finding::new(
                ids::CONFIG_ROOT_HYPERV_ABSENT,
                "/root",
                "a Hyper-V container (windows.hyperv is set) must not set root",
            ));
            return;
        }
        (Platform::Windows, None) if !hyperv => out.push(Finding::new(
            ids::CONFIG_ROOT_WINDOWS_SERVER_REQUIRED,
            "",
            "a Windows Server container needs root",
        )),
        (Platform::Windows, _) => {}
        (Platform::Vm, _) => {}
        (_, None) => out.push(Finding::new(
            ids::CONFIG_ROOT_REQUIRED,
            "",
            "root is required on this platform: the config says nothing about the root filesystem",
        )),
        _ => {}
    }
    if platform == Platform::Windows {
        if let Some(p) = ctx.at("/root/path").and_then(Value::as_str) {
            if !is_volume_guid_path(p) {
                out.push(Finding::new(
                    ids::CONFIG_ROOT_PATH_WINDOWS_VOLUME_GUID,
                    "/root/path",
                    format!("on Windows root.path must be a volume GUID path like \\\\?\\Volume{{GUID}}\\, not {p:?}"),
                ));
            }
        }
        if ctx.at("/root/readonly").and_then(Value::as_bool) == Some(true) {
            out.push(Finding::new(
                ids::CONFIG_ROOT_READONLY_WINDOWS,
                "/root/readonly",
                "on Windows root.readonly must be omitted or false",
            ));
        }
        return;
    }
    let Some(path) = ctx.at("/root/path").and_then(Value::as_str) else {
        return;
    };
    if ctx.is_posix() && path != "rootfs" && !path.ends_with("/rootfs") {
        out.push(Finding::new(
            ids::CONFIG_ROOT_PATH_ROOTFS,
            "/root/path",
            format!("root.path is {path:?}; the conventional value is \"rootfs\""),
        ));
    }
    let Some(bundle) = ctx.bundle_dir else { return };
    let full = bundle.join(path);
    match std::fs::metadata(&full) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            out.push(Finding::new(
                ids::CONFIG_ROOT_PATH_EXISTS,
                "/root/path",
                format!("root.path {path:?} ({}) is not a directory", full.display()),
            ));
            return;
        }
        Err(e) => {
            out.push(Finding::new(
                ids::CONFIG_ROOT_PATH_EXISTS,
                "/root/path",
                format!(
                    "root.path {path:?} ({}) cannot be used: {e}",
                    full.display()
                ),
            ));
            return;
        }
    }
    // The root filesystem belongs in the bundle directory.
    let (Ok(real_root), Ok(real_bundle)) = (full.canonicalize(), bundle.canonicalize()) else {
        return;
    };
    if !real_root.starts_with(&real_bundle) {
        let f = Finding::new(
            ids::BUNDLE_ARTIFACTS_SINGLE_DIRECTORY,
            "/root/path",
            format!(
                "root.path {path:?} resolves to {}, outside the bundle {}",
                real_root.display(),
                real_bundle.display()
            ),
        );
        // An absolute root.path is allowed by config.md; a relative one that escapes through
        // a symlink is not what the bundle says it is.
        out.push(if is_abs_posix(path) { f.warning() } else { f });
    }
}

fn is_volume_guid_path(p: &str) -> bool {
    let Some(rest) = p.strip_prefix("\\\\?\\Volume{") else {
        return false;
    };
    let Some((guid, tail)) = rest.split_once('}') else {
        return false;
    };
    guid.len() == 36
        && guid.chars().enumerate().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
        && (tail.is_empty() || tail == "\\")
}

pub fn mounts(ctx: &Ctx, out: &mut Vec<Finding>) {
    let platform = ctx.platform();
    let mounts = ctx.items("/mounts");
    let mut windows_dests: Vec<(String, String)> = Vec::new();
    for (ptr, m) in &mounts {
        let dptr = format!("{ptr}/destination");
        if let Some(dest) = m.get("destination").and_then(Value::as_str) {
            match platform {
                Platform::Linux => {
                    if !is_abs_posix(dest) {
                        // Absolute is a MUST until 1.1.0, a SHOULD from 1.2.0; the catalog's
                        // version ranges keep the one that applies.
                        out.push(Finding::new(
                            ids::CONFIG_MOUNTS_DESTINATION_LINUX_MUST_BE_ABSOLUTE,
                            &dptr,
                            format!("mount destination {dest:?} is not an absolute path"),
                        ));
                        out.push(Finding::new(
                            ids::CONFIG_MOUNTS_DESTINATION_LINUX_ABSOLUTE,
                            &dptr,
                            format!("mount destination {dest:?} is relative (allowed from 1.2.0, but absolute paths are recommended)"),
                        ));
                    }
                }
                Platform::Windows => {
                    if !is_abs_windows(dest) {
                        out.push(Finding::new(
                            ids::CONFIG_MOUNTS_DESTINATION_WINDOWS_ABSOLUTE,
                            &dptr,
                            format!("Windows mount destination {dest:?} is not an absolute path"),
                        ));
                    }
                    windows_dests.push((
                        dptr.clone(),
                        dest.trim_end_matches(['\\', '/']).to_ascii_lowercase(),
                    ));
                }
                Platform::Solaris => {
                    if !is_abs_posix(dest) {
                        out.push(Finding::new(
                            ids::CONFIG_MOUNTS_DESTINATION_SOLARIS_ABSOLUTE,
                            &dptr,
                            format!("mount destination {dest:?} is not an absolute path"),
                        ));
                    }
                }
                Platform::Zos | Platform::FreeBsd | Platform::Vm => {
                    if !is_abs_posix(dest) {
                        out.push(Finding::new(
                            ids::CONFIG_MOUNTS_DESTINATION_OTHER_ABSOLUTE,
                            &dptr,
                            format!("mount destination {dest:?} is not an absolute path"),
                        ));
                    }
                }
            }
        }
        let has_uid = m.get("uidMappings").is_some_and(|v| !v.is_null());
        let has_gid = m.get("gidMappings").is_some_and(|v| !v.is_null());
        if has_uid && !has_gid {
            out.push(Finding::new(
                ids::CONFIG_MOUNTS_UID_MAPPINGS_WITH_GID_MAPPINGS,
                format!("{ptr}/uidMappings"),
                "mount sets uidMappings without gidMappings; both must be given",
            ));
        }
        if has_gid && !has_uid {
            out.push(Finding::new(
                ids::CONFIG_MOUNTS_GID_MAPPINGS_WITH_UID_MAPPINGS,
                format!("{ptr}/gidMappings"),
                "mount sets gidMappings without uidMappings; both must be given",
            ));
        }
        let idmap = m.get("options").and_then(Value::as_array).is_some_and(|o| {
            o.iter()
                .any(|x| matches!(x.as_str(), Some("idmap" | "ridmap")))
        });
        if !idmap {
            for (present, id, field) in [
                (
                    has_uid,
                    ids::CONFIG_MOUNTS_UID_MAPPINGS_IDMAP_OPTION,
                    "uidMappings",
                ),
                (
                    has_gid,
                    ids::CONFIG_MOUNTS_GID_MAPPINGS_IDMAP_OPTION,
                    "gidMappings",
                ),
            ] {
                if present {
                    // One finding per mount: the missing option is one root cause.
                    out.push(Finding::new(
                        id,
                        format!("{ptr}/{field}"),
                        format!("mount has {field} but its options list neither \"idmap\" nor \"ridmap\""),
                    ));
                    break;
                }
            }
        }
    }
    // Windows: no destination nested in another.
    for (i, (ptr, a)) in windows_dests.iter().enumerate() {
        for (j, (_, b)) in windows_dests.iter().enumerate() {
            if i != j && (a.starts_with(&format!("{b}\\")) || a.starts_with(&format!("{b}/"))) {
                out.push(Finding::new(
                    ids::CONFIG_MOUNTS_DESTINATION_WINDOWS_NOT_NESTED,
                    ptr,
                    format!("Windows mount destination {a:?} lies inside another mount's destination {b:?}"),
                ));
            }
        }
    }
}

pub fn process(ctx: &Ctx, out: &mut Vec<Finding>) {
    let Some(process) = ctx.at("/process").filter(|p| p.is_object()) else {
        return;
    };
    let windows = ctx.platform() == Platform::Windows;
    if let Some(cwd) = process.get("cwd").and_then(Value::as_str) {
        let ok = if windows {
            is_abs_windows(cwd)
        } else {
            is_abs_posix(cwd)
        };
        if !ok {
            out.push(Finding::new(
                ids::CONFIG_PROCESS_CWD_ABSOLUTE,
                "/process/cwd",
                format!("process.cwd {cwd:?} is not an absolute path"),
            ));
        }
    }
    let args = process.get("args");
    let empty = match args {
        None | Some(Value::Null) => true,
        Some(Value::Array(a)) => a.is_empty(),
        Some(_) => false, // a type error, reported by the schema
    };
    if empty {
        let ptr = if args.is_some() {
            "/process/args"
        } else {
            "/process"
        };
        if !windows {
            out.push(Finding::new(
                ids::CONFIG_PROCESS_ARGS_NON_WINDOWS_MIN_ONE,
                ptr,
                "process.args needs at least one entry: the program to run",
            ));
        } else if process.get("commandLine").and_then(Value::as_str).is_none() {
            // Up to 1.0.1 args is required on Windows too: the schema says so
            // (config.versions.json), like config.process.args.required-all-platforms.
            out.push(Finding::new(
                ids::CONFIG_PROCESS_ARGS_WINDOWS_COMMAND_LINE_IF_ABSENT,
                ptr,
                "on Windows, process.commandLine is required when process.args is not given",
            ));
        }
    }
    if !windows {
        if let Some(user) = process.get("user").and_then(Value::as_object) {
            for (field, id) in [
                ("uid", ids::CONFIG_PROCESS_USER_UID_REQUIRED),
                ("gid", ids::CONFIG_PROCESS_USER_GID_REQUIRED),
            ] {
                if !user.contains_key(field) {
                    out.push(Finding::new(
                        id,
                        format!("/process/user/{field}"),
                        format!("process.user has no {field}; it is required on POSIX platforms"),
                    ));
                }
            }
        }
    }
    let mut seen: HashMap<&str, String> = HashMap::new();
    for (ptr, rl) in ctx.items("/process/rlimits") {
        if let Some(t) = rl.get("type").and_then(Value::as_str) {
            if let Some(first) = seen.get(t) {
                out.push(Finding::new(
                    ids::CONFIG_PROCESS_RLIMITS_TYPE_DUPLICATE_ERROR,
                    format!("{ptr}/type"),
                    format!("rlimit {t} is set twice (first at {first}); a runtime must reject this config"),
                ));
            } else {
                seen.insert(t, ptr.clone());
            }
        }
    }
}

/// Capability names known to Linux (caps crate's table).
fn known_capability(name: &str) -> bool {
    caps::Capability::from_str(name).is_ok()
}

pub fn capabilities(ctx: &Ctx, out: &mut Vec<Finding>) {
    if ctx.platform() != Platform::Linux {
        return;
    }
    let sets = [
        "bounding",
        "effective",
        "inheritable",
        "permitted",
        "ambient",
    ];
    let names = |set: &str| -> HashSet<String> {
        ctx.items(&format!("/process/capabilities/{set}"))
            .into_iter()
            .filter_map(|(_, v)| v.as_str().map(str::to_string))
            .collect()
    };
    for set in sets {
        for (ptr, v) in ctx.items(&format!("/process/capabilities/{set}")) {
            let Some(name) = v.as_str() else { continue };
            if !known_capability(name) {
                // An error until 1.0.2; from 1.1.0 runtimes warn and go on.
                out.push(Finding::new(
                    ids::CONFIG_PROCESS_CAPABILITIES_UNMAPPABLE_ERROR,
                    &ptr,
                    format!("{name:?} is not a Linux capability"),
                ));
                out.push(
                    Finding::new(
                        ids::CONFIG_PROCESS_CAPABILITIES_UNGRANTABLE_WARN,
                        &ptr,
                        format!(
                            "{name:?} is not a Linux capability; a runtime will warn and ignore it"
                        ),
                    )
                    .warning(),
                );
            }
        }
    }
    // An ambient capability can only be raised when it is both permitted and inheritable.
    let permitted = names("permitted");
    let inheritable = names("inheritable");
    for (ptr, v) in ctx.items("/process/capabilities/ambient") {
        let Some(name) = v.as_str() else { continue };
        if known_capability(name) && !(permitted.contains(name) && inheritable.contains(name)) {
            out.push(
                Finding::new(
                    ids::CONFIG_PROCESS_CAPABILITIES_UNGRANTABLE_WARN,
                    &ptr,
                    format!("ambient capability {name} cannot be raised: it is not in both the permitted and the inheritable set"),
                )
                .warning(),
            );
        }
    }
}

/// Hook paths are absolute. (A timeout is a positive integer: the schema checks that.)
pub fn hooks(ctx: &Ctx, out: &mut Vec<Finding>) {
    const KINDS: [(&str, Id); 6] = [
        ("prestart", ids::CONFIG_HOOKS_PRESTART_PATH_ABSOLUTE),
        (
            "createRuntime",
            ids::CONFIG_HOOKS_CREATE_RUNTIME_PATH_ABSOLUTE,
        ),
        (
            "createContainer",
            ids::CONFIG_HOOKS_CREATE_CONTAINER_ENTRY_SCHEMA,
        ),
        (
            "startContainer",
            ids::CONFIG_HOOKS_START_CONTAINER_ENTRY_SCHEMA,
        ),
        ("poststart", ids::CONFIG_HOOKS_POSTSTART_ENTRY_SCHEMA),
        ("poststop", ids::CONFIG_HOOKS_POSTSTOP_ENTRY_SCHEMA),
    ];
    let windows = ctx.platform() == Platform::Windows;
    for (kind, path_id) in KINDS {
        for (ptr, hook) in ctx.items(&format!("/hooks/{kind}")) {
            if let Some(path) = hook.get("path").and_then(Value::as_str) {
                let ok = if windows {
                    is_abs_windows(path)
                } else {
                    is_abs_posix(path)
                };
                if !ok {
                    out.push(Finding::new(
                        path_id,
                        format!("{ptr}/path"),
                        format!("{kind} hook path {path:?} is not an absolute path"),
                    ));
                }
            }
        }
    }
}

const IMAGE_KEYS: [&str; 8] = [
    "org.opencontainers.image.os",
    "org.opencontainers.image.os.version",
    "org.opencontainers.image.os.features",
    "org.opencontainers.image.architecture",
    "org.opencontainers.image.variant",
    "org.opencontainers.image.author",
    "org.opencontainers.image.created",
    "org.opencontainers.image.stopSignal",
];

pub fn annotations(ctx: &Ctx, out: &mut Vec<Finding>) {
    for (key, ptr, value) in ctx.entries("/annotations") {
        if key.is_empty() {
            continue; // the schema reports it (config.annotations.keys.non-empty)
        }
        let reverse_domain = key
            .split_once('.')
            .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty());
        if !reverse_domain {
            out.push(Finding::new(
                ids::CONFIG_ANNOTATIONS_KEYS_REVERSE_DOMAIN,
                &ptr,
                format!("annotation key {key:?} is not in reverse domain notation (like com.example.key)"),
            ));
        }
        if key.starts_with("org.opencontainers.") && !IMAGE_KEYS.contains(&key) {
            out.push(Finding::new(
                ids::CONFIG_ANNOTATIONS_ORG_OPENCONTAINERS_AS_DEFINED,
                &ptr,
                format!("{key:?} is in the reserved org.opencontainers namespace but is not one of the keys the spec defines"),
            ));
        }
        image_annotation(key, &ptr, value, out);
        if key == "org.opencontainers.image.created" {
            if let Some(v) = value.as_str() {
                if !is_rfc3339(v) {
                    out.push(Finding::new(
                        ids::CONFIG_ANNOTATIONS_IMAGE_CREATED_VALID,
                        &ptr,
                        format!(
                            "{v:?} is not an RFC 3339 date-time, as image-spec's created requires"
                        ),
                    ));
                }
            }
        }
    }
}

/// RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .is_some_and(|x| x.iter().all(u8::is_ascii_digit))
    };
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || !matches!(b[10], b'T' | b't' | b' ')
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(99);
    if !(1..=12).contains(&num(5..7))
        || !(1..=31).contains(&num(8..10))
        || num(11..13) > 23
        || num(14..16) > 59
        || num(17..19) > 60
    {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &r[n..];
    }
    matches!(rest, "Z" | "z")
        || (rest.len() == 6
            && matches!(rest.as_bytes()[0], b'+' | b'-')
            && rest.as_bytes()[3] == b':'
            && rest[1..3].bytes().all(|c| c.is_ascii_digit())
            && rest[4..6].bytes().all(|c| c.is_ascii_digit()))
}

const SIGNALS: [&str; 31] = [
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "IOT", "BUS", "FPE", "KILL", "USR1", "SEGV",
    "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU",
    "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR",
];

/// A signal name as image-spec's StopSignal takes it: `SIGTERM`, `SIGRTMIN+3`, `SIGRTMAX-1`.
fn valid_stop_signal(s: &str) -> bool {
    let Some(name) = s.strip_prefix("SIG") else {
        return false;
    };
    if SIGNALS.contains(&name) || name == "SYS" || name == "RTMIN" || name == "RTMAX" {
        return true;
    }
    ["RTMIN+", "RTMAX-"].iter().any(|p| {
        name.strip_prefix(p)
            .and_then(|n| n.parse::<u8>().ok())
            .is_some_and(|n| (1..=32).contains(&n))
    })
}

/// Values of the image-spec annotations that config.md lists (from 1.2.0).
fn image_annotation(key: &str, ptr: &str, value: &Value, out: &mut Vec<Finding>) {
    let Some(v) = value.as_str() else { return };
    let (id, problem) = match key {
        "org.opencontainers.image.os" if v.is_empty() => (
            ids::CONFIG_ANNOTATIONS_IMAGE_OS_VALID,
            "image-spec requires a non-empty os (a GOOS value such as linux)".to_string(),
        ),
        "org.opencontainers.image.architecture" if v.is_empty() => (
            ids::CONFIG_ANNOTATIONS_IMAGE_ARCHITECTURE_VALID,
            "image-spec requires a non-empty architecture (a GOARCH value such as amd64)".to_string(),
        ),
        "org.opencontainers.image.stopSignal" if !valid_stop_signal(v) => (
            ids::CONFIG_ANNOTATIONS_IMAGE_STOP_SIGNAL_VALID,
            format!("{v:?} is not a signal name like SIGTERM or SIGRTMIN+3, as image-spec's StopSignal requires"),
        ),
        _ => return,
    };
    out.push(Finding::new(id, ptr, problem));
}
