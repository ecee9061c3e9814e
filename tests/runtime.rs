//! The embedded reference runtime (`ocicheck runtime`), driven as users and tools drive runc:
//! real containers, as root.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use serde_json::{json, Value};

mod common;

fn ocicheck() -> Command {
    Command::cargo_bin("ocicheck").expect("the ocicheck binary is built")
}

fn exe() -> PathBuf {
    assert_cmd::cargo::cargo_bin("ocicheck")
}

fn is_root() -> bool {
    let root = nix::unistd::geteuid().is_root();
    if !root {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs the runtime tests as root"
        );
        eprintln!("not root: skipping");
    }
    root
}

/// `ocicheck runtime --root ROOT ARGS...`. Output goes through files: a container created
/// by the call inherits them and would keep pipes open.
fn rt(root: &Path, args: &[&str]) -> std::process::Output {
    output_of(ocicheck().arg("runtime").arg("--root").arg(root).args(args))
}

/// Runs `cmd` with its output going through files.
fn output_of(cmd: &mut Command) -> std::process::Output {
    let out = tempfile::tempfile().unwrap();
    let err = tempfile::tempfile().unwrap();
    let status = cmd
        .stdin(std::process::Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(err.try_clone().unwrap())
        .status()
        .expect("ocicheck runs");
    let read = |mut f: std::fs::File| {
        use std::io::{Read, Seek};
        let mut v = Vec::new();
        f.seek(std::io::SeekFrom::Start(0)).unwrap();
        f.read_to_end(&mut v).unwrap();
        v
    };
    std::process::Output {
        status,
        stdout: read(out),
        stderr: read(err),
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A bundle whose rootfs holds only the probe, from `config` with the probe as the program.
fn probe_bundle(dir: &Path, mut config: Value, then: &str) -> PathBuf {
    let bundle = dir.join("bundle");
    std::fs::create_dir_all(bundle.join("rootfs")).unwrap();
    std::fs::copy(exe(), bundle.join("rootfs/probe")).unwrap();
    config["process"]["terminal"] = json!(false);
    config["process"]["args"] = json!(["/probe", "observe", json!({"then": then}).to_string()]);
    config["root"]["path"] = json!("rootfs");
    std::fs::write(
        bundle.join("config.json"),
        serde_json::to_string_pretty(&config).unwrap(),
    )
    .unwrap();
    bundle
}

fn our_spec(dir: &Path) -> Value {
    let out = ocicheck()
        .args(["runtime", "spec", "--bundle"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let path = dir.join("config.json");
    let config = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    std::fs::remove_file(path).unwrap();
    config
}

/// The reference runtime passes every case of the suite with an empty baseline.
#[test]
fn reference_runtime_passes_the_whole_suite() {
    if !is_root() {
        return;
    }
    // Judged by 1.3.0's rules and by 1.0.2's (a config's own ociVersion decides, e.g., whether
    // a failing poststart hook is an error).
    for version in ["1.3.0", "1.0.2"] {
        let out = ocicheck()
            .args([
                "run",
                "--jobs",
                "2",
                "--format",
                "json",
                "--spec-version",
                version,
            ])
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
        let failed: Vec<String> = report["cases"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["outcome"] == "fail" || c["outcome"] == "error")
            .map(|c| format!("{}: {}", c["id"], c["reason"]))
            .collect();
        assert!(
            failed.is_empty(),
            "{version} failures:\n{}",
            failed.join("\n")
        );
        assert!(out.status.success());
        assert!(
            report["summary"]["pass"].as_u64().unwrap() >= 55,
            "{version}: {}",
            report["summary"]
        );
        assert_eq!(report["summary"]["xfail"], 0);
    }
}

/// `runc spec` and `ocicheck runtime spec` both validate clean and run under the reference
/// runtime (with the probe as their program).
#[test]
fn runc_and_our_default_configs_run() {
    if !is_root() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut configs = vec![("ours", our_spec(tmp.path()))];
    if let Some(runc) = common::runc() {
        let d = tmp.path().join("runc-spec");
        std::fs::create_dir_all(&d).unwrap();
        let st = Command::new(runc)
            .arg("spec")
            .current_dir(&d)
            .status()
            .unwrap();
        assert!(st.success());
        let c =
            serde_json::from_str(&std::fs::read_to_string(d.join("config.json")).unwrap()).unwrap();
        configs.push(("runc", c));
    }
    for (name, config) in configs {
        let dir = tmp.path().join(name);
        let bundle = probe_bundle(&dir, config, "exit");
        let v = ocicheck().arg("validate").arg(&bundle).output().unwrap();
        assert!(v.status.success(), "{name}: {}", text(&v.stdout));
        let out = rt(
            &dir.join("state"),
            &[
                "run",
                "--bundle",
                bundle.to_str().unwrap(),
                &format!("spec-{name}"),
            ],
        );
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains("OCICHECK-OBSERVATION"),
            "{name}: {}",
            text(&out.stdout)
        );
        // run deletes the container: nothing is left in the state root.
        assert_eq!(std::fs::read_dir(dir.join("state")).unwrap().count(), 0);
    }
}

/// create, state, duplicate ids, kill by number, list, start, kill --all, delete, and the
/// errors of each operation on a container in the wrong state.
#[test]
fn lifecycle_and_its_errors() {
    if !is_root() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("state");
    let bundle = probe_bundle(tmp.path(), our_spec(tmp.path()), "sleep");
    let b = bundle.to_str().unwrap();
    let pid_file = tmp.path().join("pid");
    let out = rt(
        &root,
        &[
            "create",
            "--bundle",
            b,
            "--pid-file",
            pid_file.to_str().unwrap(),
            "c1",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let state: Value = serde_json::from_slice(&rt(&root, &["state", "c1"]).stdout).unwrap();
    assert_eq!(state["status"], "created");
    assert_eq!(
        state["bundle"],
        json!(std::fs::canonicalize(&bundle).unwrap())
    );
    let pid: i64 = std::fs::read_to_string(&pid_file).unwrap().parse().unwrap();
    assert_eq!(state["pid"], pid);

    // A duplicate id is refused and the first container is untouched.
    let dup = rt(&root, &["create", "--bundle", b, "c1"]);
    assert!(!dup.status.success());
    assert!(
        text(&dup.stderr).contains("already exists"),
        "{}",
        text(&dup.stderr)
    );
    let state: Value = serde_json::from_slice(&rt(&root, &["state", "c1"]).stdout).unwrap();
    assert_eq!(state["status"], "created");

    let list = rt(&root, &["list", "--format", "json"]);
    let list: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(list[0]["id"], "c1");

    // Not stopped: delete without --force is refused.
    assert!(!rt(&root, &["delete", "c1"]).status.success());
    assert!(rt(&root, &["start", "c1"]).status.success());
    let state: Value = serde_json::from_slice(&rt(&root, &["state", "c1"]).stdout).unwrap();
    assert_eq!(state["status"], "running");
    // Started once: a second start is an error.
    assert!(!rt(&root, &["start", "c1"]).status.success());
    let kill = rt(&root, &["kill", "--all", "c1", "9"]);
    assert!(kill.status.success(), "{}", text(&kill.stderr));
    let mut status = String::new();
    for _ in 0..500 {
        let s: Value = serde_json::from_slice(&rt(&root, &["state", "c1"]).stdout).unwrap();
        status = s["status"].as_str().unwrap().to_string();
        if status == "stopped" {
            assert!(s.get("pid").is_none());
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(status, "stopped");
    // Stopped: kill is an error; delete works once.
    assert!(!rt(&root, &["kill", "c1", "TERM"]).status.success());
    assert!(rt(&root, &["delete", "c1"]).status.success());
    let gone = rt(&root, &["state", "c1"]);
    assert!(!gone.status.success());
    assert!(text(&gone.stderr).contains("does not exist"));
    assert!(!rt(&root, &["delete", "c1"]).status.success());
    assert!(!rt(&root, &["kill", "c1", "NOSUCHSIGNAL"]).status.success());
}

/// A config that breaks a MUST, and a failing createRuntime hook: create fails, says why,
/// and leaves no state, no process and no cgroup.
#[test]
fn failed_creates_leave_nothing() {
    if !is_root() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("state");
    let mut config = our_spec(tmp.path());
    // Two RLIMIT_NOFILE entries: refused by config.process.rlimits.type.duplicate-error.
    config["process"]["rlimits"] = json!([
        {"type": "RLIMIT_NOFILE", "hard": 10, "soft": 10},
        {"type": "RLIMIT_NOFILE", "hard": 20, "soft": 20}
    ]);
    let bundle = probe_bundle(&tmp.path().join("a"), config.clone(), "exit");
    let out = rt(
        &root,
        &["create", "--bundle", bundle.to_str().unwrap(), "bad1"],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("config.json is not a valid config"), "{err}");
    assert!(err.contains("rlimits"), "{err}");
    assert_eq!(std::fs::read_dir(&root).unwrap().count(), 0);

    let cg = format!("/ocicheck-rt-test-{}", std::process::id());
    config["process"]["rlimits"] = json!([]);
    config["linux"]["cgroupsPath"] = json!(cg);
    config["hooks"] =
        json!({"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "exit 7"]}]});
    let bundle = probe_bundle(&tmp.path().join("b"), config, "exit");
    // A marker argument (the probe ignores extra args) tells this container's processes from
    // those of tests running beside it.
    let marker = format!("ocicheck-failed-create-{}", std::process::id());
    let path = bundle.join("config.json");
    let mut c: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    c["process"]["args"]
        .as_array_mut()
        .unwrap()
        .push(json!(marker));
    std::fs::write(&path, c.to_string()).unwrap();
    let out = rt(
        &root,
        &["create", "--bundle", bundle.to_str().unwrap(), "bad2"],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("createRuntime"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read_dir(&root).unwrap().count(), 0);
    for hierarchy in ["pids", "memory", "unified", ""] {
        let dir = Path::new("/sys/fs/cgroup")
            .join(hierarchy)
            .join(cg.trim_start_matches('/'));
        assert!(!dir.exists(), "{} was left behind", dir.display());
    }
    // No process of the failed container is left.
    let leftovers = Command::new("pgrep")
        .args(["-f", &marker])
        .output()
        .unwrap();
    assert!(text(&leftovers.stdout).trim().is_empty());
}

/// Concurrent creates of one id: exactly one wins. Of different ids: all work.
#[test]
fn concurrent_invocations() {
    if !is_root() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("state");
    let bundle = probe_bundle(tmp.path(), our_spec(tmp.path()), "exit");
    let b = bundle.to_str().unwrap().to_string();
    let same: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    rt(&root, &["create", "--bundle", &b, "same"])
                        .status
                        .success()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(same.iter().filter(|ok| **ok).count(), 1, "{same:?}");
    let distinct: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let root = &root;
                let b = &b;
                s.spawn(move || {
                    rt(root, &["create", "--bundle", b, &format!("d{i}")])
                        .status
                        .success()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(distinct.iter().all(|ok| *ok), "{distinct:?}");
    for id in ["same", "d0", "d1", "d2", "d3"] {
        assert!(
            rt(&root, &["delete", "--force", id]).status.success(),
            "{id}"
        );
    }
    assert_eq!(std::fs::read_dir(&root).unwrap().count(), 0);
}

/// `--log FILE --log-format json` gets runc-style JSON lines for errors.
#[test]
fn errors_go_to_the_log_file() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("log.json");
    let out = ocicheck()
        .args(["runtime", "--log"])
        .arg(&log)
        .args(["--log-format", "json", "--root"])
        .arg(tmp.path())
        .args(["state", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let line: Value = serde_json::from_str(std::fs::read_to_string(&log).unwrap().trim()).unwrap();
    assert_eq!(line["level"], "error");
    assert!(line["msg"].as_str().unwrap().contains("does not exist"));
    assert!(line["time"].is_string());
}

/// Called through a link named ocicheck-runtime, the binary is the runtime.
#[test]
fn a_link_named_ocicheck_runtime_is_the_runtime() {
    let tmp = tempfile::tempdir().unwrap();
    let link = tmp.path().join("ocicheck-runtime");
    std::os::unix::fs::symlink(exe(), &link).unwrap();
    let out = Command::new(&link).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert!(
        text(&out.stdout).starts_with("ocicheck-runtime "),
        "{}",
        text(&out.stdout)
    );
    let features = Command::new(&link).arg("features").output().unwrap();
    let f: Value = serde_json::from_slice(&features.stdout).unwrap();
    assert_eq!(f["ociVersionMax"], "1.3.0");
}

/// terminal=true with --console-socket: the pty master arrives over the socket, and the
/// program's output comes through it.
#[test]
fn console_socket_receives_the_terminal() {
    use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags};
    use std::io::{IoSliceMut, Read};
    use std::os::fd::{AsRawFd, FromRawFd};
    if !is_root() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("state");
    let mut config = our_spec(tmp.path());
    let sock_path = tmp.path().join("console.sock");
    let listener = UnixListener::bind(&sock_path).unwrap();
    let receiver = std::thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        let mut buf = [0u8; 256];
        let mut iov = [IoSliceMut::new(&mut buf)];
        let mut space = nix::cmsg_space!([std::os::fd::RawFd; 1]);
        let msg = recvmsg::<()>(
            conn.as_raw_fd(),
            &mut iov,
            Some(&mut space),
            MsgFlags::empty(),
        )
        .unwrap();
        let mut fd = None;
        for c in msg.cmsgs().unwrap() {
            if let ControlMessageOwned::ScmRights(fds) = c {
                fd = fds.first().copied();
            }
        }
        // SAFETY: the descriptor just arrived and is ours alone.
        unsafe { std::fs::File::from_raw_fd(fd.expect("a descriptor arrived")) }
    });
    config["process"]["consoleSize"] = json!({"height": 40, "width": 100});
    let bundle = probe_bundle(tmp.path(), config.clone(), "exit");
    // probe_bundle turned the terminal off: on again.
    let mut c: Value =
        serde_json::from_str(&std::fs::read_to_string(bundle.join("config.json")).unwrap())
            .unwrap();
    c["process"]["terminal"] = json!(true);
    std::fs::write(bundle.join("config.json"), c.to_string()).unwrap();
    let out = rt(
        &root,
        &[
            "create",
            "--bundle",
            bundle.to_str().unwrap(),
            "--console-socket",
            sock_path.to_str().unwrap(),
            "tty1",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut master = receiver.join().unwrap();
    assert!(rt(&root, &["start", "tty1"]).status.success());
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    // Read until the report line is complete (EIO once the last slave holder exits).
    while let Ok(n) = master.read(&mut buf) {
        if n == 0 {
            break;
        }
        seen.extend_from_slice(&buf[..n]);
        if text(&seen).contains("OCICHECK-OBSERVATION") && seen.ends_with(b"\n") {
            break;
        }
    }
    assert!(
        text(&seen).contains("OCICHECK-OBSERVATION"),
        "{}",
        text(&seen)
    );
    assert!(rt(&root, &["delete", "--force", "tty1"]).status.success());
    // Without a console socket, a terminal is refused at create, leaving nothing.
    let out = rt(
        &root,
        &["create", "--bundle", bundle.to_str().unwrap(), "tty2"],
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("console-socket"));
    assert_eq!(std::fs::read_dir(&root).unwrap().count(), 0);
}

/// Names under `dir` (to `depth` levels) that contain `needle`.
fn entries_named(dir: &Path, needle: &str, depth: usize) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return found;
    };
    for e in rd.flatten() {
        let p = e.path();
        if e.file_name().to_string_lossy().contains(needle) {
            found.push(p.clone());
        }
        if depth > 1 && e.file_type().is_ok_and(|t| t.is_dir()) {
            found.extend(entries_named(&p, needle, depth - 1));
        }
    }
    found
}

/// `ocicheck bench --runtimes` compares the runtimes on every layout this host offers and
/// leaves no container, cgroup, mount or temporary directory behind.
#[test]
fn bench_runtimes_compares_and_leaves_nothing() {
    if !is_root() {
        return;
    }
    let tmp = std::env::temp_dir();
    let leftovers = || {
        let mut v = entries_named(&tmp, "ocicheck-bench-", 1);
        v.extend(entries_named(
            Path::new("/sys/fs/cgroup"),
            "ocicheck-bench-",
            3,
        ));
        v
    };
    let before = leftovers();
    let out = ocicheck()
        .args(["bench", "--runtimes", "--runs", "3"])
        .output()
        .expect("ocicheck runs");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(!stdout.contains("failed"), "{stdout}");
    let sections: Vec<&str> = stdout.split("runtime `run`").skip(1).collect();
    // A hybrid host: the cgroup2-only comparison (with crun), then the host's layout (without).
    let hybrid = Path::new("/sys/fs/cgroup/unified").exists();
    assert_eq!(sections.len(), if hybrid { 2 } else { 1 }, "{stdout}");
    for (i, section) in sections.iter().enumerate() {
        assert!(section.contains("busybox `true`"), "{section}");
        // The first line is the reference runtime's, the base of every ratio.
        assert!(
            section
                .lines()
                .nth(1)
                .is_some_and(|l| l.trim_start().starts_with("ocicheck runtime ")),
            "{section}"
        );
        let mut peers = Vec::new();
        if which("runc") {
            peers.push("runc");
        } else {
            assert!(std::env::var_os("CI").is_none(), ".ci/run installs runc");
        }
        if i == 0 && which("crun") {
            peers.push("crun");
        }
        for name in peers {
            let line = section
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{name} ")))
                .unwrap_or_else(|| panic!("no {name} line in {section}"));
            let ratio: f64 = line
                .rsplit('=')
                .next()
                .and_then(|r| r.trim().parse().ok())
                .unwrap_or_else(|| panic!("no ratio in {line:?}"));
            assert!(ratio > 0.0 && ratio.is_finite(), "{line}");
        }
    }
    let new: Vec<PathBuf> = leftovers()
        .into_iter()
        .filter(|p| !before.contains(p))
        .collect();
    assert_eq!(new, Vec::<PathBuf>::new(), "left behind");
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mounts.contains("ocicheck-bench-"), "{mounts}");
    // No runtime process (its arguments name the container) and no container process (its
    // mount table has the bench's bundle as root).
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline);
        let mounts = std::fs::read_to_string(e.path().join("mountinfo")).unwrap_or_default();
        assert!(
            !cmdline.contains("ocicheck-bench-") && !mounts.contains("ocicheck-bench-"),
            "still running: {} {cmdline}",
            e.path().display()
        );
    }
}

fn which(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(name).is_file()))
}

/// Ids the kernel reads as "leave unchanged" ((uid_t)-1) are refused at create, naming the
/// field: the program never runs (as root, which is what the kernel would leave it) and
/// nothing is left behind.
#[test]
fn out_of_range_ids_never_become_root() {
    if !is_root() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("state");
    let spec = our_spec(tmp.path());
    let marker = format!("ocicheck-uid-minus-one-{}", std::process::id());
    for (i, (key, value, field)) in [
        ("uid", json!(4294967295u64), "process.user.uid"),
        ("gid", json!(4294967295u64), "process.user.gid"),
        (
            "additionalGids",
            json!([4294967295u64]),
            "process.user.additionalGids[0]",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let mut config = spec.clone();
        config["process"]["user"][key] = value;
        let bundle = probe_bundle(&tmp.path().join(key), config, "exit");
        let path = bundle.join("config.json");
        let mut c: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        c["process"]["args"]
            .as_array_mut()
            .unwrap()
            .push(json!(marker));
        std::fs::write(&path, c.to_string()).unwrap();
        let id = format!("ids{i}");
        let out = rt(&root, &["run", "--bundle", bundle.to_str().unwrap(), &id]);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert!(!out.status.success(), "{field}: run succeeded: {stdout}");
        assert!(
            !stdout.contains("OCICHECK-OBSERVATION"),
            "{field}: the program ran: {stdout}"
        );
        // Refused naming the field and the value (by the runtime's own range check, or by the
        // validator it runs first).
        assert!(
            stderr.contains(key) && stderr.contains("4294967295"),
            "{field}: {stderr}"
        );
        assert_eq!(std::fs::read_dir(&root).unwrap().count(), 0, "{field}");
    }
    let leftovers = Command::new("pgrep")
        .args(["-f", &marker])
        .output()
        .unwrap();
    assert!(text(&leftovers.stdout).trim().is_empty());
}

/// Under umask 000 and a state root others may enter, the exec socket is still the owner's
/// (0600): an unprivileged user cannot connect to it, and so cannot start a root container.
#[test]
fn exec_socket_is_the_owners_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    const NOBODY: u32 = 65534;
    if !is_root() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let open = std::fs::Permissions::from_mode(0o755);
    std::fs::set_permissions(tmp.path(), open.clone()).unwrap();
    let root = tmp.path().join("state");
    std::fs::create_dir(&root).unwrap();
    std::fs::set_permissions(&root, open).unwrap();
    let bundle = probe_bundle(&tmp.path().join("b"), our_spec(tmp.path()), "exit");
    let mut create = ocicheck();
    create.arg("runtime").arg("--root").arg(&root).args([
        "create",
        "--bundle",
        bundle.to_str().unwrap(),
        "sock1",
    ]);
    // SAFETY: umask is async-signal-safe and touches nothing but the child's umask.
    unsafe {
        create.pre_exec(|| {
            nix::libc::umask(0);
            Ok(())
        });
    }
    let out = output_of(&mut create);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let sock = root.join("sock1/exec.sock");
    let mode = std::fs::symlink_metadata(&sock)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    // As nobody, connect to the socket (in the child, before exec: the spawn fails with the
    // connect's error).
    let target = sock.clone();
    let mut probe = Command::new("/bin/true");
    // SAFETY: the child only makes system calls (setgroups, setresgid, setresuid, socket,
    // connect) before exec; nothing allocates or takes a lock.
    unsafe {
        probe.pre_exec(move || {
            use nix::unistd::{setgroups, setresgid, setresuid, Gid, Uid};
            let (g, u) = (Gid::from_raw(NOBODY), Uid::from_raw(NOBODY));
            setgroups(&[])?;
            setresgid(g, g, g)?;
            setresuid(u, u, u)?;
            std::os::unix::net::UnixStream::connect(&target).map(drop)
        });
    }
    let connected = probe.status();
    let state: Value = serde_json::from_slice(&rt(&root, &["state", "sock1"]).stdout).unwrap();
    assert!(rt(&root, &["delete", "--force", "sock1"]).status.success());
    match connected {
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied, "{e}"),
        Ok(st) => panic!("uid {NOBODY} connected to the exec socket (mode {mode:o}; {st})"),
    }
    assert_eq!(mode, 0o600, "exec socket mode {mode:o} under umask 000");
    assert_eq!(state["status"], "created", "{state}");
}

/// A /proc/sys setting of the host, trimmed.
fn host_setting(path: &str) -> String {
    std::fs::read_to_string(path).unwrap().trim().to_string()
}

/// A hostname without a UTS namespace of the container's own, and an ipc sysctl without an
/// ipc namespace, are refused at create: the host's name and settings stay as they were.
#[test]
fn host_settings_need_private_namespaces() {
    const HOSTNAME: &str = "/proc/sys/kernel/hostname";
    const MSGMAX: &str = "/proc/sys/kernel/msgmax";
    if !is_root() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("state");
    let spec = our_spec(tmp.path());
    let (hostname, msgmax) = (host_setting(HOSTNAME), host_setting(MSGMAX));
    let wanted_msgmax: u64 = msgmax.parse::<u64>().unwrap() + 1;
    let mut renamed = spec.clone();
    renamed["hostname"] = json!("ocicheck-must-not-rename-the-host");
    renamed["linux"]["namespaces"] = json!([{"type": "pid"}, {"type": "mount"}]);
    let mut sysctl = spec.clone();
    sysctl["linux"]["namespaces"] = json!([{"type": "pid"}, {"type": "mount"}, {"type": "uts"}]);
    sysctl["linux"]["sysctl"] = json!({"kernel.msgmax": wanted_msgmax.to_string()});
    let mut problems = Vec::new();
    for (name, config, error) in [
        (
            "hostname",
            renamed,
            "cannot set hostname without a private UTS namespace",
        ),
        (
            "msgmax",
            sysctl,
            "\"kernel.msgmax\" is not allowed in the host's ipc namespace",
        ),
    ] {
        let bundle = probe_bundle(&tmp.path().join(name), config, "exit");
        let out = rt(&root, &["run", "--bundle", bundle.to_str().unwrap(), name]);
        let stderr = text(&out.stderr);
        if out.status.success() || !stderr.contains(error) {
            problems.push(format!("{name}: not refused ({}): {stderr}", out.status));
        }
        if std::fs::read_dir(&root).unwrap().count() != 0 {
            problems.push(format!("{name}: state left behind"));
        }
        // Put the host back before judging, should the runtime have changed it.
        for (path, before) in [(HOSTNAME, &hostname), (MSGMAX, &msgmax)] {
            let now = host_setting(path);
            if &now != before {
                std::fs::write(path, before).unwrap();
                problems.push(format!("{name}: the host's {path} became {now:?}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
