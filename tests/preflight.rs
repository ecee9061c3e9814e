//! `ocicheck run` checks its preconditions before the first case: run by a user other than
//! root, pointed at a binary that does not answer like an OCI runtime, or on a host without
//! what the harness needs, it stops with one `error: preflight: ...` line and exit status 3,
//! and runs no case. Real runtimes get through.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

mod common;

use assert_cmd::Command;

/// `ocicheck run`'s exit status when a precondition does not hold.
const PREFLIGHT_FAILED: i32 = 3;
/// The one case the runs that get through run.
const ONE_CASE: &str = "process.hostname";

fn ocicheck() -> Command {
    let mut cmd = Command::cargo_bin("ocicheck").expect("binary built");
    cmd.env("NO_COLOR", "1").timeout(Duration::from_secs(120));
    cmd
}

/// The one line a failed preflight prints, checked: exit status 3, nothing on stdout (no case
/// output), exactly one line on stderr, starting with `error: preflight: `.
fn refused(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(PREFLIGHT_FAILED), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "case output: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(stderr.lines().count(), 1, "not one message: {stderr}");
    assert!(stderr.starts_with("error: preflight: "), "{stderr}");
    stderr.trim_end().to_string()
}

/// A script in `dir` named `name` that logs its arguments to `name.log`, then runs `body`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    let log = dir.join(format!("{name}.log"));
    std::fs::write(
        &path,
        format!("#!/bin/sh\necho \"$*\" >> {}\n{body}\n", log.display()),
    )
    .expect("write script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

/// What the script `name` in `dir` was called with, one invocation a line.
fn calls(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default()
}

#[test]
fn a_run_by_another_user_than_root_stops_before_any_case() {
    // The binary where user nobody can read and run it.
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let bin = dir.path().join("ocicheck");
    let built = assert_cmd::cargo::cargo_bin("ocicheck");
    if std::fs::hard_link(&built, &bin).is_err() {
        std::fs::copy(&built, &bin).expect("copy the binary");
    }
    let as_nobody = |args: &[&str]| {
        std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin)
            .args(args)
            .env("NO_COLOR", "1")
            .current_dir(dir.path())
            .output()
            .expect("setpriv runs")
    };
    let out = as_nobody(&["run", "--case", ONE_CASE]);
    let msg = refused(&out);
    insta::assert_snapshot!("not_root", msg);
    // Against another runtime too: privileges are checked first.
    refused(&as_nobody(&["run", "--runtime", "/bin/false"]));
    // Listing needs no privilege.
    let list = as_nobody(&["run", "--list", "--case", ONE_CASE]);
    assert_eq!(
        list.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    assert!(String::from_utf8_lossy(&list.stdout).starts_with(ONE_CASE));
}

#[test]
fn binaries_that_do_not_answer_like_an_oci_runtime_are_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let tmp = dir.path().to_string_lossy().into_owned();
    let report = dir.path().join("report");
    let refuse = |runtime: &Path, extra: &[&str]| -> String {
        let out = ocicheck()
            .args(["run", "--case", "process.*", "--case", "lifecycle.*"])
            .args(extra)
            .arg("--report")
            .arg(&report)
            .arg("--runtime")
            .arg(runtime)
            .output()
            .expect("runs");
        let msg = refused(&out);
        assert!(!report.exists(), "a report was written for {msg}");
        msg.replace(&tmp, "[TMP]")
    };

    insta::assert_snapshot!("false", refuse(Path::new("/bin/false"), &[]));
    insta::assert_snapshot!("true", refuse(Path::new("/bin/true"), &[]));

    let binary_garbage = script(
        dir.path(),
        "binary-garbage",
        r"printf '\001\002\003 not json {{{\n'; exit 0",
    );
    insta::assert_snapshot!("binary_garbage", refuse(&binary_garbage, &[]));
    assert!(!calls(dir.path(), "binary-garbage").contains("create"));

    // A text version, and success for everything: it accepts an id no container has.
    let yes = script(
        dir.path(),
        "yes-to-all",
        "echo 'yes-to-all version 1.0'; exit 0",
    );
    insta::assert_snapshot!("yes_to_all", refuse(&yes, &[]));
    let called = calls(dir.path(), "yes-to-all");
    assert!(called.contains("--version"), "{called}");
    assert!(called.contains("state ocicheck-"), "{called}");
    assert!(!called.contains("create"), "{called}");

    // The runtime arguments and --root are passed as they will be to every operation.
    refuse(&yes, &["--runtime-arg", "--debug"]);
    let called = calls(dir.path(), "yes-to-all");
    assert!(called.contains("--debug --root "), "{called}");

    let hang = script(dir.path(), "hang", "exec sleep 1000");
    let begun = Instant::now();
    insta::assert_snapshot!("hang", refuse(&hang, &["--timeout", "1"]));
    let took = begun.elapsed();
    assert!(took < Duration::from_secs(10), "preflight took {took:?}");
    assert!(!calls(dir.path(), "hang").contains("create"));

    let not_executable = dir.path().join("not-executable");
    std::fs::write(&not_executable, "#!/bin/sh\nexit 0\n").expect("write");
    std::fs::set_permissions(&not_executable, std::fs::Permissions::from_mode(0o644))
        .expect("chmod");
    insta::assert_snapshot!("not_executable", refuse(&not_executable, &[]));
}

/// Runs `ocicheck run --case ONE_CASE` inside a private mount namespace after the shell
/// commands `setup` (which see the binary as `$1`).
fn run_in_mount_namespace(setup: &str, env: &[(&str, &Path)]) -> Output {
    let mut cmd = std::process::Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "sh", "-c"])
        .arg(format!(
            "set -e; {setup}; exec \"$1\" run --case {ONE_CASE}"
        ))
        .arg("sh")
        .arg(assert_cmd::cargo::cargo_bin("ocicheck"))
        .env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("unshare runs")
}

#[test]
fn a_host_without_what_the_harness_needs_is_refused() {
    // No cgroup filesystem: an empty tmpfs over /sys/fs/cgroup.
    let out = run_in_mount_namespace("mount -t tmpfs none /sys/fs/cgroup", &[]);
    insta::assert_snapshot!("no_cgroups", refused(&out));

    // No /proc.
    let out = run_in_mount_namespace("umount -l /proc", &[]);
    let msg = refused(&out);
    // What is left at /proc is the host's root filesystem, whichever it is.
    assert!(
        msg.starts_with("error: preflight: /proc is not mounted (it is ")
            && msg.ends_with("mount it with `mount -t proc proc /proc`"),
        "{msg}"
    );

    // TMPDIR names a directory that does not exist.
    let scratch = tempfile::tempdir().expect("tmp");
    let tmp = scratch.path().to_string_lossy().into_owned();
    let missing = scratch.path().join("missing");
    let out = ocicheck()
        .env("TMPDIR", &missing)
        .args(["run", "--case", ONE_CASE])
        .output()
        .expect("runs");
    insta::assert_snapshot!("tmpdir_missing", refused(&out).replace(&tmp, "[TMP]"));

    // TMPDIR on a read-only mount.
    let ro = scratch.path().join("ro");
    std::fs::create_dir(&ro).expect("mkdir");
    let out = run_in_mount_namespace("mount -t tmpfs -o ro none \"$TMPDIR\"", &[("TMPDIR", &ro)]);
    insta::assert_snapshot!("tmpdir_read_only", refused(&out).replace(&tmp, "[TMP]"));

    // TMPDIR on a noexec mount: the probe copied there could not run in the container.
    let noexec = scratch.path().join("noexec");
    std::fs::create_dir(&noexec).expect("mkdir");
    let out = run_in_mount_namespace(
        "mount -t tmpfs -o noexec none \"$TMPDIR\"",
        &[("TMPDIR", &noexec)],
    );
    insta::assert_snapshot!("tmpdir_noexec", refused(&out).replace(&tmp, "[TMP]"));
}

#[test]
fn a_namespace_the_host_refuses_is_refused() {
    // In a user namespace of its own, where no further user namespace may be made (the limit
    // is the namespace's own; the host's is not touched): a case whose container asks for one
    // cannot run.
    let out = std::process::Command::new("unshare")
        .args(["--user", "--map-root-user", "sh", "-c"])
        .arg(
            "echo 0 > /proc/sys/user/max_user_namespaces && \
             exec \"$0\" run --case linux.user-namespace",
        )
        .arg(assert_cmd::cargo::cargo_bin("ocicheck"))
        .env("NO_COLOR", "1")
        .output()
        .expect("unshare runs");
    insta::assert_snapshot!("user_namespace", refused(&out));
}

/// `ocicheck run --case ONE_CASE` with these arguments: its exit status and stderr.
fn one_case(args: &[&str]) -> (Option<i32>, String) {
    let out = ocicheck()
        .args(["run", "--case", ONE_CASE])
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn real_runtimes_get_through() {
    let (code, out) = one_case(&[]);
    assert_eq!(code, Some(0), "embedded reference runtime: {out}");
    let dir = tempfile::tempdir().expect("tmp");
    let link = common::reference_runtime(dir.path());
    let (code, out) = one_case(&["--runtime", &link.to_string_lossy()]);
    assert_eq!(code, Some(0), "ocicheck-runtime: {out}");
    if let Some(runc) = common::runc() {
        let (code, out) = one_case(&["--runtime", &runc.to_string_lossy()]);
        assert_eq!(code, Some(0), "runc: {out}");
    }
    // crun 1.8 refuses this hybrid host at create, but it is an OCI runtime: its cases run.
    if Path::new("/usr/bin/crun").exists() {
        let (code, out) = one_case(&["--runtime", "/usr/bin/crun"]);
        assert_ne!(code, Some(PREFLIGHT_FAILED), "crun: {out}");
        assert!(out.contains("1 case"), "crun: {out}");
    }
}
