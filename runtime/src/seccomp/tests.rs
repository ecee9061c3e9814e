//! Seccomp tests: filters are loaded in forked children (the test process itself stays
//! unfiltered); the parent observes exit codes and signals.

use super::*;
use nix::sys::signal::Signal;
use nix::sys::socket::{recvmsg, ControlMessageOwned};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{fork, ForkResult};
use std::io::{IoSliceMut, Read};
use std::os::fd::{AsFd, RawFd};
use std::os::unix::net::UnixListener;
use std::panic::AssertUnwindSafe;

fn spec(v: serde_json::Value) -> LinuxSeccomp {
    serde_json::from_value(v).expect("test seccomp JSON")
}

/// Runs `f` in a forked child and returns how the child ended. The child never returns into
/// the test harness: it `_exit`s with f's value (120 if f panicked).
fn in_child(f: impl FnOnce() -> i32) -> WaitStatus {
    // SAFETY: the child only runs `f` (a filter load and raw syscalls) and then _exits.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            let code = std::panic::catch_unwind(AssertUnwindSafe(f)).unwrap_or(120);
            // SAFETY: terminating the forked child without running the harness's atexit code.
            unsafe { nix::libc::_exit(code) }
        }
        ForkResult::Parent { child } => waitpid(child, None).expect("waitpid"),
    }
}

/// Loads `filter` in a child, runs `probe` there and returns the child's end.
fn probe(filter: Filter, probe: impl FnOnce() -> i32) -> WaitStatus {
    in_child(move || match filter.load() {
        Ok(_) => probe(),
        Err(_) => 121,
    })
}

/// mkdir of a path under a missing directory: ENOENT (2) without a filter.
fn mkdir_errno() -> i32 {
    let path = c"/nonexistent-ocicheck-seccomp/dir";
    // SAFETY: plain mkdir(2) on a NUL-terminated path.
    let r = unsafe { nix::libc::mkdir(path.as_ptr(), 0o700) };
    if r == 0 {
        0
    } else {
        nix::errno::Errno::last_raw()
    }
}

/// personality(arg): errno on failure, 0 on success.
fn personality_errno(arg: u64) -> i32 {
    // SAFETY: personality(0xffffffff) only queries the persona.
    let r = unsafe { nix::libc::syscall(nix::libc::SYS_personality, arg) };
    if r == -1 {
        nix::errno::Errno::last_raw()
    } else {
        0
    }
}

#[test]
fn errno_rule_returns_errno_ret() {
    assert_eq!(
        exit_code(in_child(mkdir_errno)),
        Some(nix::libc::ENOENT),
        "sanity: without a filter mkdir fails with ENOENT"
    );
    let filter = compile(&spec(serde_json::json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]
    })))
    .expect("compile");
    assert!(!filter.uses_notify());
    assert_eq!(exit_code(probe(filter, mkdir_errno)), Some(38));
}

fn exit_code(s: WaitStatus) -> Option<i32> {
    match s {
        WaitStatus::Exited(_, c) => Some(c),
        _ => None,
    }
}

#[test]
fn errno_defaults_to_eperm() {
    let filter = compile(&spec(serde_json::json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]
    })))
    .expect("compile");
    assert_eq!(
        exit_code(probe(filter, mkdir_errno)),
        Some(nix::libc::EPERM)
    );
}

#[test]
fn default_errno_ret_applies_to_default_action() {
    // Everything is refused with ENOSYS except what the probe and _exit need.
    let filter = compile(&spec(serde_json::json!({
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 38,
        "syscalls": [{"names": ["exit", "exit_group", "personality"], "action": "SCMP_ACT_ALLOW"}]
    })))
    .expect("compile");
    assert_eq!(exit_code(probe(filter, mkdir_errno)), Some(38));
}

#[test]
fn arg_condition_matches_and_does_not_match() {
    let rule = |value: u64| {
        compile(&spec(serde_json::json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{
                "names": ["personality"],
                "action": "SCMP_ACT_ERRNO",
                "errnoRet": 77,
                "args": [{"index": 0, "value": value, "op": "SCMP_CMP_EQ"}]
            }]
        })))
        .expect("compile")
    };
    let query = 0xffff_ffff;
    assert_eq!(
        exit_code(probe(rule(query), || personality_errno(query))),
        Some(77),
        "arg0 == value: the rule applies"
    );
    assert_eq!(
        exit_code(probe(rule(0x1234), || personality_errno(query))),
        Some(0),
        "arg0 != value: the default (allow) applies"
    );
}

#[test]
fn masked_eq_and_same_index_conditions() {
    // MASKED_EQ: (arg0 & 0xff00) == 0xff00 matches 0xffffffff.
    let masked = compile(&spec(serde_json::json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{
            "names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 78,
            "args": [{"index": 0, "value": 0xff00u64, "valueTwo": 0xff00u64, "op": "SCMP_CMP_MASKED_EQ"}]
        }]
    })))
    .expect("compile");
    assert_eq!(
        exit_code(probe(masked, || personality_errno(0xffff_ffff))),
        Some(78)
    );
    // Two conditions on arg0: like runc they become alternative rules, so the second matches.
    let same_index = compile(&spec(serde_json::json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{
            "names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 79,
            "args": [
                {"index": 0, "value": 0x1234, "op": "SCMP_CMP_EQ"},
                {"index": 0, "value": 0xffffffffu64, "op": "SCMP_CMP_EQ"}
            ]
        }]
    })))
    .expect("compile");
    assert_eq!(
        exit_code(probe(same_index, || personality_errno(0xffff_ffff))),
        Some(79)
    );
}

#[test]
fn kill_process_kills_with_sigsys() {
    let filter = compile(&spec(serde_json::json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}]
    })))
    .expect("compile");
    match probe(filter, mkdir_errno) {
        WaitStatus::Signaled(_, sig, _) => assert_eq!(sig, Signal::SIGSYS),
        other => panic!("expected death by SIGSYS, got {other:?}"),
    }
}

#[test]
fn every_action_compiles() {
    for act in [
        "SCMP_ACT_KILL",
        "SCMP_ACT_KILL_PROCESS",
        "SCMP_ACT_KILL_THREAD",
        "SCMP_ACT_TRAP",
        "SCMP_ACT_ERRNO",
        "SCMP_ACT_TRACE",
        "SCMP_ACT_LOG",
        "SCMP_ACT_NOTIFY",
    ] {
        let f = compile(&spec(serde_json::json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "listenerPath": "/run/agent.sock",
            "syscalls": [{"names": ["mkdirat"], "action": act}]
        })))
        .unwrap_or_else(|e| panic!("{act}: {e}"));
        assert_eq!(f.uses_notify(), act == "SCMP_ACT_NOTIFY", "{act}");
    }
    // A rule with the default action is a no-op, not an error.
    compile(&spec(serde_json::json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdirat"], "action": "SCMP_ACT_ALLOW"}]
    })))
    .expect("rule equal to the default");
}

#[test]
fn unknown_syscall_names_are_skipped() {
    compile(&spec(serde_json::json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [
            {"names": ["no_such_syscall_ocicheck", "mkdirat"], "action": "SCMP_ACT_ERRNO"},
            {"names": ["also_not_a_syscall"], "action": "SCMP_ACT_KILL"}
        ]
    })))
    .expect("unknown names are skipped");
}

#[test]
fn architectures_and_flags() {
    compile(&spec(serde_json::json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"],
        "syscalls": [{"names": ["mkdirat"], "action": "SCMP_ACT_ERRNO"}]
    })))
    .expect("x86 family and supported flags");
    // WAIT_KILLABLE_RECV needs libseccomp >= 2.6: either it applies or the error names it.
    let r = compile(&spec(serde_json::json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]
    })));
    if let Err(e) = r {
        let msg = e.to_string();
        assert!(msg.contains("linux.seccomp.flags[0]"), "{msg}");
    }
}

#[test]
fn unknown_action_op_arch_flag_are_rejected() {
    // The typed configuration refuses values outside the spec's lists when parsing.
    for bad in [
        serde_json::json!({"defaultAction": "SCMP_ACT_NOPE"}),
        serde_json::json!({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_VAX"]}),
        serde_json::json!({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_NOPE"]}),
        serde_json::json!({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["mkdirat"], "action": "SCMP_ACT_ERRNO",
             "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_SOMETIMES"}]}]}),
    ] {
        assert!(
            serde_json::from_value::<LinuxSeccomp>(bad.clone()).is_err(),
            "{bad} should not parse"
        );
    }
}

#[test]
fn invalid_fields_are_named() {
    let cases = [
        (
            serde_json::json!({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
                {"names": ["mkdirat"], "action": "SCMP_ACT_ERRNO"},
                {"names": ["mkdirat"], "action": "SCMP_ACT_ERRNO",
                 "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}),
            "linux.seccomp.syscalls[1].args[0].index",
        ),
        (
            serde_json::json!({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
                {"names": ["mkdirat"], "action": "SCMP_ACT_KILL", "errnoRet": 1}]}),
            "linux.seccomp.syscalls[0].errnoRet",
        ),
        (
            serde_json::json!({"defaultAction": "SCMP_ACT_KILL_PROCESS", "defaultErrnoRet": 1}),
            "linux.seccomp.defaultErrnoRet",
        ),
        (
            serde_json::json!({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
                {"names": ["mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 70000}]}),
            "linux.seccomp.syscalls[0].errnoRet",
        ),
        (
            serde_json::json!({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
                {"names": [], "action": "SCMP_ACT_ERRNO"}]}),
            "linux.seccomp.syscalls[0].names",
        ),
        (
            serde_json::json!({"defaultAction": "SCMP_ACT_ALLOW", "listenerMetadata": "x"}),
            "linux.seccomp.listenerMetadata",
        ),
        (
            serde_json::json!({"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/run/a.sock"}),
            "linux.seccomp.defaultAction",
        ),
    ];
    for (cfg, field) in cases {
        let err = compile(&spec(cfg.clone())).expect_err(&cfg.to_string());
        let msg = err.to_string();
        assert!(msg.starts_with(field), "{cfg}: {msg}");
    }
}

#[test]
fn notify_without_listener_path_errors() {
    let err = compile(&spec(serde_json::json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdirat"], "action": "SCMP_ACT_NOTIFY"}]
    })))
    .expect_err("NOTIFY needs listenerPath");
    assert!(err.to_string().contains("listenerPath"), "{err}");
}

#[test]
fn process_state_shape() {
    let state = serde_json::json!({"ociVersion": "1.3.0", "id": "c1", "status": "creating",
        "pid": 42, "bundle": "/b"});
    let v = process_state("1.3.0", 42, Some("meta"), state.clone());
    assert_eq!(
        v,
        serde_json::json!({"ociVersion": "1.3.0", "fds": ["seccompFd"], "pid": 42,
            "metadata": "meta", "state": state})
    );
    let v = process_state("1.3.0", 42, None, state);
    assert!(v.get("metadata").is_none());
}

/// Accepts one connection and returns (payload, received fds).
fn receive(listener: &UnixListener) -> (Vec<u8>, Vec<OwnedFd>) {
    let (mut conn, _) = listener.accept().expect("accept");
    let mut buf = vec![0u8; 64 * 1024];
    let mut cmsg = nix::cmsg_space!([RawFd; 4]);
    let mut fds = Vec::new();
    let n = {
        let mut iov = [IoSliceMut::new(&mut buf)];
        let msg = recvmsg::<()>(
            conn.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_CMSG_CLOEXEC,
        )
        .expect("recvmsg");
        for c in msg.cmsgs().expect("cmsgs") {
            if let ControlMessageOwned::ScmRights(rights) = c {
                // SAFETY: SCM_RIGHTS hands us new fds that nobody else owns.
                fds.extend(
                    rights
                        .into_iter()
                        .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }),
                );
            }
        }
        msg.bytes
    };
    let mut payload = buf[..n].to_vec();
    conn.read_to_end(&mut payload).expect("read rest");
    (payload, fds)
}

#[test]
fn send_to_listener_passes_fd_and_state() {
    let dir = TempDir::new();
    let sock = dir.path().join("agent.sock");
    let listener = UnixListener::bind(&sock).expect("bind");
    let file = std::fs::File::open("/dev/null").expect("/dev/null");
    let state = process_state("1.3.0", 1234, Some("m"), serde_json::json!({"id": "c"}));
    let json = serde_json::to_vec(&state).expect("json");

    let sender = {
        let sock = sock.clone();
        let json = json.clone();
        let fd = file.try_clone().expect("dup");
        std::thread::spawn(move || send_to_listener(&sock, fd.as_fd(), &json))
    };
    let (payload, fds) = receive(&listener);
    sender
        .join()
        .expect("sender thread")
        .expect("send_to_listener");
    assert_eq!(payload, json);
    assert_eq!(fds.len(), 1);
    let a = nix::sys::stat::fstat(&file).expect("fstat");
    let b = nix::sys::stat::fstat(&fds[0]).expect("fstat");
    assert_eq!((a.st_dev, a.st_ino), (b.st_dev, b.st_ino));

    // Nobody listening: an error naming the path.
    let missing = dir.path().join("nobody.sock");
    let err = send_to_listener(&missing, file.as_fd(), &json).expect_err("no listener");
    assert!(err.to_string().contains("nobody.sock"), "{err}");
}

#[test]
fn notify_fd_reaches_the_listener() {
    let dir = TempDir::new();
    let sock = dir.path().join("agent.sock");
    let listener = UnixListener::bind(&sock).expect("bind");
    let seccomp = spec(serde_json::json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "listenerPath": sock,
        "listenerMetadata": "hello",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]
    }));
    let filter = compile(&seccomp).expect("compile");
    assert!(filter.uses_notify());
    let json = serde_json::to_vec(&process_state(
        "1.3.0",
        1,
        seccomp.listener_metadata().as_deref(),
        serde_json::json!({"id": "c", "status": "creating"}),
    ))
    .expect("json");

    // The child loads the filter and passes the notify fd on; it never makes a notified
    // syscall, so it does not wait for the (absent) agent's answer.
    let receiver = std::thread::spawn(move || receive(&listener));
    let status = in_child(move || match filter.load() {
        Ok(Some(fd)) => match send_to_listener(&sock, fd.as_fd(), &json) {
            Ok(()) => 0,
            Err(_) => 3,
        },
        Ok(None) => 2,
        Err(_) => 1,
    });
    assert_eq!(exit_code(status), Some(0), "{status:?}");
    let (payload, fds) = receiver.join().expect("receiver thread");
    let state: serde_json::Value = serde_json::from_slice(&payload).expect("state JSON");
    assert_eq!(state["fds"], serde_json::json!(["seccompFd"]));
    assert_eq!(state["metadata"], "hello");
    assert_eq!(fds.len(), 1);
    let link = std::fs::read_link(format!("/proc/self/fd/{}", fds[0].as_raw_fd())).expect("fd");
    assert!(
        link.to_string_lossy().contains("seccomp"),
        "received fd is {}",
        link.display()
    );
}

/// A private temporary directory, removed with its contents when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("ocicheck-seccomp-test-{}-{n}", std::process::id()));
        std::fs::create_dir(&dir).expect("create temp dir");
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
