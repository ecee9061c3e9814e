//! The harness is a guest on the host: against runtimes that hang, fail, print garbage,
//! ignore kill or crash, every case ends (error or fail, with a reason), the run goes on, and
//! no process, mount, temp dir or cgroup is left behind. One test function, so nothing else of
//! ocicheck runs at the same time (cargo runs test binaries one after another).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use std::path::{Path, PathBuf};
use std::time::Duration;

mod common;

use assert_cmd::Command;
use serde_json::Value;

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
            if root.starts_with(tmp)
                || exe.starts_with(tmp)
                || cmd.contains(&*tmp.to_string_lossy())
                || cmd.contains("sleep 1000")
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
    let Some(runc) = common::runc() else {
        return;
    };
    let broken = Path::new(env!("CARGO_MANIFEST_DIR")).join("runtimetest/tests/broken");
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
