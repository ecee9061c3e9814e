//! The harness is a guest on the host: against runtimes that hang, fail, print garbage,
//! ignore kill or crash, every case ends (error or fail, with a reason), the run goes on, and
//! no process, mount, temp dir or cgroup is left behind. A runtime that leaves a process
//! running, renames the host or prints a gigabyte fails (or errs) its case, and the harness
//! cleans up, puts the hostname back and stays small; a long TMPDIR does not break the sockets.
//! The tests take turns (`common::serial`), so nothing else of ocicheck runs at the same time (cargo
//! runs test binaries one after another).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use std::path::{Path, PathBuf};
use std::time::Duration;

mod common;

use assert_cmd::Command;
use serde_json::Value;

/// The directory of the broken runtimes.
fn broken() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("runtimetest/tests/broken")
}

fn leftovers(tmp: &Path) -> Vec<String> {
    let mut found = Vec::new();
    // Temp dirs.
    if let Ok(rd) = std::fs::read_dir(tmp) {
        for e in rd.flatten() {
            found.push(format!("temp dir {}", e.path().display()));
        }
    }
    // Mounts.
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    for l in mountinfo
        .lines()
        .filter(|l| l.contains(&*tmp.to_string_lossy()))
    {
        found.push(format!("mount {l}"));
    }
    // Processes rooted in, or running from, our temp dir; containers by id.
    if let Ok(rd) = std::fs::read_dir("/proc") {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.parse::<u32>().is_err() {
                continue;
            }
            let root = std::fs::read_link(e.path().join("root")).unwrap_or_default();
            let exe = std::fs::read_link(e.path().join("exe")).unwrap_or_default();
            let cmd = String::from_utf8_lossy(
                &std::fs::read(e.path().join("cmdline")).unwrap_or_default(),
            )
            .replace('\0', " ");
            // What the broken runtimes start (other runs on the machine may have their own:
            // ours carry our TMPDIR).
            let env = std::fs::read(e.path().join("environ")).unwrap_or_default();
            let our_tmpdir = format!("TMPDIR={}", tmp.display());
            let ours = env.split(|b| *b == 0).any(|v| v == our_tmpdir.as_bytes());
            if root.starts_with(tmp)
                || exe.starts_with(tmp)
                || cmd.contains(&*tmp.to_string_lossy())
                || (ours && cmd.contains("sleep 1000"))
            {
                found.push(format!("process {name}: {cmd}"));
            }
        }
    }
    // Cgroups.
    if let Ok(rd) = std::fs::read_dir("/sys/fs/cgroup") {
        for h in rd.flatten() {
            if let Ok(inner) = std::fs::read_dir(h.path()) {
                for c in inner.flatten() {
                    if c.file_name().to_string_lossy().starts_with("ocicheck-") && c.path().is_dir()
                    {
                        found.push(format!("cgroup {}", c.path().display()));
                    }
                }
            }
        }
    }
    found
}

fn run(runtime: &Path, tmp: &Path, runc: &Path, extra: &[&str]) -> Value {
    let out = Command::cargo_bin("ocicheck")
        .expect("binary")
        .env("TMPDIR", tmp)
        .env("OCICHECK_REAL_RUNTIME", runc)
        .timeout(Duration::from_secs(300))
        .args(["run", "--format", "json", "--jobs", "2", "--runtime"])
        .arg(runtime)
        .args(extra)
        .output()
        .expect("runs");
    assert!(
        out.status.code() == Some(1) || out.status.code() == Some(0),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json report")
}

#[test]
fn broken_runtimes_leave_nothing_behind() {
    let _turn = common::serial();
    let Some(runc) = common::runc() else {
        return;
    };
    let broken = broken();
    let scratch = tempfile::tempdir().expect("tmp");
    let lifecycle = [
        "--case",
        "lifecycle.*",
        "--case",
        "process.hostname",
        "--case",
        "errors.*",
        "--case",
        "hooks.order",
    ];
    for (name, timeout, expect) in [
        ("hang", "1", "error"),
        ("fail", "5", "fail"),
        ("garbage", "5", "error"),
        ("ignore-kill", "2", "fail"),
        ("crash-after-create", "5", "fail"),
    ] {
        let tmp: PathBuf = scratch.path().join(name);
        std::fs::create_dir_all(&tmp).expect("mkdir");
        let mut args = vec!["--timeout", timeout];
        args.extend(lifecycle);
        let v = run(&broken.join(name), &tmp, &runc, &args);
        let cases = v["cases"].as_array().expect("cases");
        assert!(cases.len() >= 8, "{name}: {v}");
        for c in cases {
            assert!(
                !c["reason"].as_str().unwrap_or("").is_empty() || c["outcome"] == "pass",
                "{name}: no reason in {c}"
            );
        }
        assert!(
            cases.iter().any(|c| c["outcome"] == expect),
            "{name}: no case ended in {expect}: {v}"
        );
        // The run went on after the first broken case.
        assert_eq!(
            cases.len(),
            v["summary"]
                .as_object()
                .map_or(0, |s| s.values().filter_map(Value::as_u64).sum::<u64>()
                    as usize)
        );
        let left = leftovers(&tmp);
        assert!(left.is_empty(), "{name} left behind:\n{}", left.join("\n"));
    }
}

/// The cases of a JSON run whose outcome is `outcome`.
fn with_outcome<'a>(v: &'a Value, outcome: &str) -> Vec<&'a Value> {
    v["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["outcome"] == outcome)
        .collect()
}

#[test]
fn a_runtime_leaving_a_process_behind_fails_the_case() {
    let _turn = common::serial();
    let Some(runc) = common::runc() else {
        return;
    };
    let scratch = tempfile::tempdir().expect("tmp");
    let tmp = scratch.path().join("double-fork");
    std::fs::create_dir_all(&tmp).expect("mkdir");
    let args = [
        "--case",
        "process.hostname",
        "--case",
        "lifecycle.create-start-kill-delete",
    ];
    let v = run(&broken().join("double-fork"), &tmp, &runc, &args);
    let failed = with_outcome(&v, "fail");
    assert_eq!(failed.len(), 2, "{v}");
    for c in failed {
        let reason = c["reason"].as_str().unwrap_or("");
        assert!(
            reason.contains("the runtime left processes behind: pid ")
                && reason.contains("(sleep 1000)"),
            "{c}"
        );
    }
    let left = leftovers(&tmp);
    assert!(left.is_empty(), "left behind:\n{}", left.join("\n"));
}

#[test]
fn a_runtime_renaming_the_host_fails_the_case_and_the_name_is_put_back() {
    let _turn = common::serial();
    let Some(runc) = common::runc() else {
        return;
    };
    let scratch = tempfile::tempdir().expect("tmp");
    let after = scratch.path().join("hostname-after");
    // In a UTS namespace of its own: the machine's real name is never touched. The shell
    // records the name ocicheck left.
    let ocicheck = assert_cmd::cargo::cargo_bin("ocicheck");
    let out = std::process::Command::new("unshare")
        .args([
            "--uts",
            "sh",
            "-c",
            r#"hostname before-run && "$@"; s=$?; hostname > "$0"; exit $s"#,
        ])
        .arg(&after)
        .arg(&ocicheck)
        .args([
            "run",
            "--format",
            "json",
            "--jobs",
            "1",
            "--case",
            "process.hostname",
            "--runtime",
        ])
        .arg(broken().join("rename-host"))
        .env("TMPDIR", scratch.path())
        .env("OCICHECK_REAL_RUNTIME", &runc)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json report");
    let failed = with_outcome(&v, "fail");
    assert_eq!(failed.len(), 1, "{v}");
    assert_eq!(
        failed[0]["reason"],
        "the runtime changed the host's hostname from \"before-run\" to \"evil\"",
        "{v}"
    );
    let name = std::fs::read_to_string(&after).expect("the hostname after the run");
    assert_eq!(name.trim(), "before-run");
}

#[test]
fn a_runtime_printing_a_gigabyte_is_an_error_and_the_harness_stays_small() {
    /// The most memory the harness may use (VmHWM), in kB.
    const MAX_RSS_KB: u64 = 200 * 1024;
    let _turn = common::serial();
    let Some(runc) = common::runc() else {
        return;
    };
    let scratch = tempfile::tempdir().expect("tmp");
    let tmp = scratch.path().join("loud-state");
    std::fs::create_dir_all(&tmp).expect("mkdir");
    let report = scratch.path().join("report.json");
    let out = std::process::Command::new("/usr/bin/time")
        .arg("-v")
        .arg(assert_cmd::cargo::cargo_bin("ocicheck"))
        .args([
            "run",
            "--format",
            "json",
            "--jobs",
            "1",
            "--case",
            "lifecycle.create-start-kill-delete",
            "-o",
        ])
        .arg(&report)
        .arg("--runtime")
        .arg(broken().join("loud-state"))
        .env("TMPDIR", &tmp)
        .env("OCICHECK_REAL_RUNTIME", &runc)
        .output()
        .expect("/usr/bin/time runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let v: Value =
        serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("json report");
    let errors = with_outcome(&v, "error");
    assert_eq!(errors.len(), 1, "{v}");
    assert!(
        errors[0]["reason"]
            .as_str()
            .unwrap_or("")
            .ends_with("`loud-state state` printed more than 1 MiB"),
        "{v}"
    );
    let rss: u64 = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in {stderr}"));
    assert!(rss < MAX_RSS_KB, "the harness peaked at {rss} kB");
    let left = leftovers(&tmp);
    assert!(left.is_empty(), "left behind:\n{}", left.join("\n"));
}

#[test]
fn sockets_work_under_a_long_tmpdir() {
    let _turn = common::serial();
    let scratch = tempfile::tempdir().expect("tmp");
    let base = scratch.path().to_string_lossy().len();
    // A 100-character TMPDIR: the case directories below it are far too long for sockaddr_un.
    let tmp = scratch.path().join("d".repeat(100 - base - 1));
    assert_eq!(tmp.to_string_lossy().len(), 100);
    std::fs::create_dir_all(&tmp).expect("mkdir");
    let socket_dirs = || -> Vec<PathBuf> {
        std::fs::read_dir("/tmp")
            .expect("/tmp")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("oc-"))
            .map(|e| e.path())
            .collect()
    };
    let before = socket_dirs();
    let out = Command::cargo_bin("ocicheck")
        .expect("binary")
        .env("TMPDIR", &tmp)
        .timeout(Duration::from_secs(120))
        .args([
            "run",
            "--format",
            "json",
            "--case",
            "linux.seccomp.listener",
            "--case",
            "process.terminal",
        ])
        .output()
        .expect("runs");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json report");
    assert_eq!(with_outcome(&v, "pass").len(), 2, "{v}");
    let new: Vec<_> = socket_dirs()
        .into_iter()
        .filter(|d| !before.contains(d))
        .collect();
    assert!(new.is_empty(), "socket directories left: {new:?}");
    let left = leftovers(&tmp);
    assert!(left.is_empty(), "left behind:\n{}", left.join("\n"));
}
