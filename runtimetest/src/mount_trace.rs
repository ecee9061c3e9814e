//! The runtime's mount(2) calls as a syscall trace shows them: what `strace -f -e
//! trace=mount,fsconfig -o FILE` wrote while the runtime ran `create`. Some mount options
//! (`silent`, `loud`, `iversion`, `noiversion`) change only the flags of the mount(2) call and
//! leave no trace a container could observe; the trace shows them.
//!
//! A runtime may mount onto `/proc/self/fd/N` rather than the destination, so a call is
//! identified by a filesystem data option unique to the mount (`size=777k`). A runtime that makes
//! the mount with the new mount API (fsopen/fsconfig/fsmount) makes no such mount(2) call: that
//! cannot be judged here, and is an error, never a failure.

use std::collections::HashMap;
use std::path::Path;

/// The program that traces the runtime.
pub const STRACE: &str = "strace";

/// Whether strace is an executable file in a directory of `PATH`.
pub fn strace_installed() -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            std::fs::metadata(dir.join(STRACE))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

/// strace's arguments before the traced command: follow forks, print nothing but the calls
/// (no attach/exit lines, no signals), strings in full, into `out`; the tracer runs as a
/// grandchild (`-D`), so the traced command is the harness's own child, and SIGTERM makes it
/// detach and finish (`-I 2`: with `-o`, strace would block it otherwise).
pub fn strace_args(out: &Path) -> Vec<String> {
    [
        "-D",
        "-I",
        "2",
        "-f",
        "-qq",
        "-s",
        "4096",
        "-e",
        "trace=mount,fsconfig",
        "-e",
        "signal=none",
        "-o",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([out.display().to_string(), "--".to_string()])
    .collect()
}

/// One mount(2) call of the trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountCall {
    /// The fifth argument's options (`size=777k,mode=700` split at commas); empty for NULL.
    pub data: Vec<String>,
    /// The flag names of the fourth argument (`MS_SILENT|MS_NOSUID`), without `0`.
    pub flags: Vec<String>,
    /// The return value: `Some(0)` made, `Some(-1)` failed, `None` never seen (the trace ended
    /// first).
    pub result: Option<i64>,
}

/// What a trace holds: its mount(2) calls, and the string values fsconfig(2) set (new mount
/// API).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    pub mounts: Vec<MountCall>,
    /// `key=value` of each `fsconfig(fd, FSCONFIG_SET_STRING, "key", "value", 0)`.
    pub fsconfig: Vec<String>,
}

/// Reads strace's output (with or without `-f`'s pid column, with `<unfinished ...>` calls and
/// their `<... mount resumed>` ends).
pub fn parse(text: &str) -> Trace {
    let mut trace = Trace::default();
    // The unfinished mount(2) call of each pid, by index into `trace.mounts`.
    let mut pending: HashMap<String, usize> = HashMap::new();
    for line in text.lines() {
        let (pid, call) = split_pid(line);
        if let Some(rest) = call.strip_prefix("<... mount resumed>") {
            if let Some(i) = pending.remove(pid) {
                if let Some(call) = trace.mounts.get_mut(i) {
                    call.result = result_of(rest);
                }
            }
        } else if let Some(args) = call.strip_prefix("mount(") {
            let unfinished = args.trim_end().ends_with("<unfinished ...>");
            let args = split_args(args);
            let Some(flags) = args.get(3) else { continue };
            let data = args
                .get(4)
                .and_then(|d| unquote(d))
                .map(|d| {
                    d.split(',')
                        .filter(|o| !o.is_empty())
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default();
            let flags = flags
                .split('|')
                .map(str::trim)
                .filter(|f| !f.is_empty() && *f != "0")
                .map(String::from)
                .collect();
            let result = if unfinished { None } else { result_of(call) };
            if unfinished {
                pending.insert(pid.to_string(), trace.mounts.len());
            }
            trace.mounts.push(MountCall {
                data,
                flags,
                result,
            });
        } else if let Some(args) = call.strip_prefix("fsconfig(") {
            let args = split_args(args);
            if args.get(1).map(|a| a.trim()) == Some("FSCONFIG_SET_STRING") {
                if let (Some(k), Some(v)) = (
                    args.get(2).and_then(|k| unquote(k)),
                    args.get(3).and_then(|v| unquote(v)),
                ) {
                    trace.fsconfig.push(format!("{k}={v}"));
                }
            }
        }
    }
    trace
}

/// A line without `-f`'s leading pid: (pid, rest); the pid is "" when there is none.
fn split_pid(line: &str) -> (&str, &str) {
    let line = line.trim_start();
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && line[digits..].starts_with(' ') {
        (&line[..digits], line[digits..].trim_start())
    } else {
        ("", line)
    }
}

/// The return value after the call's closing `) = `, if the line has one.
fn result_of(line: &str) -> Option<i64> {
    let (_, after) = line.rsplit_once(") = ")?;
    after.split_whitespace().next()?.parse().ok()
}

/// The arguments of a call, from after its `(`: split at commas outside quoted strings and
/// brackets, up to the closing `)` (or the end of an unfinished line).
fn split_args(s: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut escaped, mut depth) = (false, false, 0usize);
    for c in s.chars() {
        if quoted {
            cur.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                quoted = false;
            }
            continue;
        }
        match c {
            '"' => {
                quoted = true;
                cur.push(c);
            }
            '[' | '{' | '(' => {
                depth += 1;
                cur.push(c);
            }
            ']' | '}' => {
                depth = depth.saturating_sub(1);
                cur.push(c);
            }
            ')' if depth == 0 => break,
            ')' => {
                depth -= 1;
                cur.push(c);
            }
            ',' if depth == 0 => args.push(std::mem::take(&mut cur).trim().to_string()),
            '<' if depth == 0 && cur.trim().is_empty() => break,
            _ => cur.push(c),
        }
    }
    let last = cur.trim();
    // An unfinished line ends in ` <unfinished ...>` after the last argument.
    let last = last.strip_suffix("<unfinished ...>").unwrap_or(last).trim();
    if !last.is_empty() {
        args.push(last.to_string());
    }
    args
}

/// A quoted string argument's text (strace's escapes undone for `\"` and `\\`); `None` for
/// NULL, a pointer or a string strace cut short (`"..."...`).
fn unquote(arg: &str) -> Option<String> {
    let inner = arg.trim().strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// What a `mount-call` step concluded from a trace.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Holds,
    /// The call was found and its flags are wrong.
    Fails(String),
    /// The trace cannot decide (no mount(2) call carried the data option).
    CannotJudge(String),
}

/// Judges the mount(2) call that carried the data option `data` (the first one that succeeded,
/// else the first one): each of `flags` set, none of `absent`.
pub fn judge(trace: &Trace, data: &str, flags: &[String], absent: &[String]) -> Verdict {
    let carrying: Vec<&MountCall> = trace
        .mounts
        .iter()
        .filter(|m| m.data.iter().any(|d| d == data))
        .collect();
    let Some(call) = carrying
        .iter()
        .find(|m| m.result == Some(0))
        .or(carrying.first())
    else {
        let new_api = trace.fsconfig.iter().any(|kv| kv == data);
        return Verdict::CannotJudge(if new_api {
            format!(
                "the runtime set {data:?} with fsconfig(2) (the new mount API), not mount(2): \
                 its mount flags are not in a mount(2) call this trace can judge"
            )
        } else {
            format!(
                "no mount(2) call of the runtime carried the data option {data:?} ({} mount(2) \
                 calls traced): the mount was not made with mount(2), or not made",
                trace.mounts.len()
            )
        });
    };
    let shown = if call.flags.is_empty() {
        "0".to_string()
    } else {
        call.flags.join("|")
    };
    let missing: Vec<&String> = flags.iter().filter(|f| !call.flags.contains(f)).collect();
    let extra: Vec<&String> = absent.iter().filter(|f| call.flags.contains(f)).collect();
    let mut why = Vec::new();
    if !missing.is_empty() {
        why.push(format!("lacks {}", join(&missing)));
    }
    if !extra.is_empty() {
        why.push(format!("has {}", join(&extra)));
    }
    if why.is_empty() {
        Verdict::Holds
    } else {
        Verdict::Fails(format!(
            "the mount(2) call with {data:?} {} (its flags: {shown})",
            why.join(" and ")
        ))
    }
}

fn join(names: &[&String]) -> String {
    names
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The mount flag names a `mount-call` step may name: those strace prints (mount(2)'s `MS_*`).
pub const FLAG_NAMES: &[&str] = &[
    "MS_RDONLY",
    "MS_NOSUID",
    "MS_NODEV",
    "MS_NOEXEC",
    "MS_SYNCHRONOUS",
    "MS_REMOUNT",
    "MS_MANDLOCK",
    "MS_DIRSYNC",
    "MS_NOSYMFOLLOW",
    "MS_NOATIME",
    "MS_NODIRATIME",
    "MS_BIND",
    "MS_MOVE",
    "MS_REC",
    "MS_SILENT",
    "MS_POSIXACL",
    "MS_UNBINDABLE",
    "MS_PRIVATE",
    "MS_SLAVE",
    "MS_SHARED",
    "MS_RELATIME",
    "MS_KERNMOUNT",
    "MS_I_VERSION",
    "MS_STRICTATIME",
    "MS_LAZYTIME",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Captured from `strace -f -qq -s 4096 -e trace=mount,fsconfig` (strace 6.1) around
    /// mount(8) and the reference runtime.
    const TRACE: &str = r#"24803 mount("tmpfs", "/tmp/trace14/m", "tmpfs", MS_SILENT|MS_I_VERSION, "size=777k") = 0
24802 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=24803, si_uid=0, si_status=0, si_utime=0, si_stime=1 /* 0.01 s */} ---
24804 mount("tmpfs", "/tmp/trace14/m", "tmpfs", 0, "size=778k") = 0
24805 mount("tmpfs", "/proc/self/fd/7", "tmpfs", MS_NOSUID|MS_SILENT, "mode=700,size=779k" <unfinished ...>
24806 mount(NULL, "/", NULL, MS_REC|MS_PRIVATE, NULL) = 0
24805 <... mount resumed>) = 0
24807 mount("tmpfs", "/x", "tmpfs", MS_SILENT, "size=780k") = -1 EINVAL (Invalid argument)
24807 mount("tmpfs", "/x", "tmpfs", 0, "size=780k") = 0
"#;

    #[test]
    fn strace_lines_become_mount_calls() {
        let t = parse(TRACE);
        assert_eq!(t.mounts.len(), 6);
        assert_eq!(
            t.mounts[0],
            MountCall {
                data: vec!["size=777k".into()],
                flags: vec!["MS_SILENT".into(), "MS_I_VERSION".into()],
                result: Some(0),
            }
        );
        assert!(t.mounts[1].flags.is_empty());
        // The unfinished call got its result from the resumed line.
        assert_eq!(t.mounts[2].data, ["mode=700", "size=779k"]);
        assert_eq!(t.mounts[2].result, Some(0));
        assert!(t.mounts[3].data.is_empty());
        assert_eq!(t.mounts[3].flags, ["MS_REC", "MS_PRIVATE"]);
        assert_eq!(t.mounts[4].result, Some(-1));
    }

    #[test]
    fn a_call_is_judged_by_its_flags() {
        let t = parse(TRACE);
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            judge(&t, "size=777k", &s(&["MS_SILENT", "MS_I_VERSION"]), &[]),
            Verdict::Holds
        );
        assert_eq!(
            judge(&t, "size=778k", &[], &s(&["MS_SILENT"])),
            Verdict::Holds
        );
        assert!(matches!(
            judge(&t, "size=778k", &s(&["MS_SILENT"]), &[]),
            Verdict::Fails(m) if m.contains("lacks MS_SILENT") && m.contains("flags: 0")
        ));
        assert!(matches!(
            judge(&t, "size=779k", &[], &s(&["MS_SILENT"])),
            Verdict::Fails(m) if m.contains("has MS_SILENT")
        ));
        // The call that made the mount is judged, not a failed attempt before it.
        assert_eq!(
            judge(&t, "size=780k", &[], &s(&["MS_SILENT"])),
            Verdict::Holds
        );
    }

    #[test]
    fn a_mount_without_a_mount_call_cannot_be_judged() {
        let t = parse(
            "31 fsconfig(3, FSCONFIG_SET_STRING, \"size\", \"777k\", 0) = 0\n\
             31 fsconfig(3, FSCONFIG_CMD_CREATE, NULL, NULL, 0) = 0\n",
        );
        assert_eq!(t.fsconfig, ["size=777k"]);
        assert!(matches!(
            judge(&t, "size=777k", &["MS_SILENT".into()], &[]),
            Verdict::CannotJudge(m) if m.contains("fsconfig")
        ));
        assert!(matches!(
            judge(&parse(""), "size=777k", &[], &[]),
            Verdict::CannotJudge(m) if m.contains("no mount(2) call")
        ));
    }

    #[test]
    fn strace_is_told_to_trace_into_the_file() {
        let args = strace_args(Path::new("/tmp/x/mounts.trace"));
        assert!(args
            .windows(2)
            .any(|w| w[0] == "-o" && w[1] == "/tmp/x/mounts.trace"));
        assert_eq!(args.last().map(String::as_str), Some("--"));
        // SIGTERM must end the tracer (the harness ends it so once the runtime exits).
        assert!(args.windows(2).any(|w| w[0] == "-I" && w[1] == "2"));
    }
}
