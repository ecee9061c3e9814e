//! An interrupted `ocicheck run` (SIGTERM from CI, Ctrl-C's SIGINT) stops starting cases, kills
//! and deletes the containers of the cases under way, removes everything the run made, writes
//! the cases that finished marked as interrupted, and exits 128 + the signal. A second signal
//! ends it at once, still without leaving a container process behind.
//!
//! Each test runs a selection whose cases keep their containers alive (a `wait` for a status
//! the container never reaches, with a long `--timeout`), waits until they run, signals, and
//! then looks for what the run could have left: processes, mounts, temp dirs (the runtime's
//! state lives in them), cgroups and socket directories. The tests take turns (`common::serial`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

mod common;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;

/// Cases that hold their container running: created, started, then waiting (up to the run's
/// `--timeout`) for a `stopped` status the sleeping probe never reaches. With two jobs, two
/// run and the third waits its turn.
const HOLD_CASES: usize = 3;

fn hold_cases(dir: &Path) {
    for i in 1..=HOLD_CASES {
        let text = format!(
            r#"id = "zz.hold-{i}"
summary = "keeps its container running until the run ends"
then = "sleep"

[[step]]
run = "create"
requirements = ["runtime.operations.supported"]
[[step]]
run = "start"
[[step]]
run = "wait"
status = "stopped"
"#
        );
        std::fs::write(dir.join(format!("zz.hold-{i}.toml")), text).expect("write case");
    }
}

/// The run under test, and where it works.
struct Run {
    child: Child,
    tmp: PathBuf,
    results: PathBuf,
    _scratch: tempfile::TempDir,
}

/// Starts `ocicheck run` on `process.hostname` (quick: it finishes before the signal) and the
/// hold cases, against `runtime` (None: the reference runtime).
fn start(runtime: Option<&Path>) -> Run {
    let scratch = tempfile::tempdir().expect("tmp");
    let tmp = scratch.path().join("tmp");
    let cases = scratch.path().join("cases");
    std::fs::create_dir_all(&tmp).expect("mkdir");
    std::fs::create_dir_all(&cases).expect("mkdir");
    hold_cases(&cases);
    let results = scratch.path().join("results.json");
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("ocicheck"));
    cmd.env("TMPDIR", &tmp)
        .args(["run", "--format", "json", "--jobs", "2", "--timeout", "60"])
        .args([
            "--case",
            "process.hostname",
            "--case",
            "zz.hold-*",
            "--cases",
        ])
        .arg(&cases)
        .arg("-o")
        .arg(&results)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(r) = runtime {
        cmd.arg("--runtime").arg(r);
    }
    let child = cmd.spawn().expect("ocicheck starts");
    Run {
        child,
        tmp,
        results,
        _scratch: scratch,
    }
}

/// The run's containers: processes in a cgroup of the run (named after its container ids,
/// `ocicheck-<pid of ocicheck><tag>-<n>`), or whose root is inside `tmp` (a container that
/// has pivoted shows `/` as its root to us).
fn containers(tmp: &Path, ocicheck: u32) -> Vec<i32> {
    let cgroup = format!(":/ocicheck-{ocicheck}");
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let root = std::fs::read_link(e.path().join("root")).unwrap_or_default();
        let groups = std::fs::read_to_string(e.path().join("cgroup")).unwrap_or_default();
        // A zombie runs nothing (killed, and not yet reaped by whoever inherited it).
        let status = std::fs::read_to_string(e.path().join("status")).unwrap_or_default();
        let zombie = status.contains("State:\tZ");
        if !zombie && (root.starts_with(tmp) || groups.contains(&cgroup)) {
            out.push(pid);
        }
    }
    out
}

impl Run {
    /// Waits until `n` containers of the run are running.
    fn await_containers(&mut self, n: usize) {
        let until = Instant::now() + Duration::from_secs(120);
        while containers(&self.tmp, self.child.id()).len() < n {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                panic!("ocicheck ended before its containers ran: {st:?}");
            }
            assert!(Instant::now() < until, "no {n} containers in 120 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        // Both are in their wait step, their `state` polls under way.
        std::thread::sleep(Duration::from_millis(300));
    }

    fn signal(&self, sig: Signal) {
        kill(Pid::from_raw(self.child.id() as i32), sig).expect("signal ocicheck");
    }

    /// Waits for the run to end, up to `limit`; returns its status, stderr and how long it took.
    fn finish(&mut self, limit: Duration) -> (ExitStatus, String, Duration) {
        let begun = Instant::now();
        let status = loop {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                break st;
            }
            if begun.elapsed() > limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("ocicheck still runs {limit:?} after the signal");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let took = begun.elapsed();
        let mut stderr = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
        }
        (status, stderr, took)
    }

    /// Everything of this run still on the host.
    fn leftovers(&self, pid: u32) -> Vec<String> {
        let tmp = &self.tmp;
        let mut found = Vec::new();
        for e in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
            found.push(format!("temp dir {}", e.path().display()));
        }
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        for l in mountinfo
            .lines()
            .filter(|l| l.contains(&*tmp.to_string_lossy()))
        {
            found.push(format!("mount {l}"));
        }
        for p in containers(tmp, pid) {
            found.push(format!("container process {p}"));
        }
        // Any process started for the run: its command line or environment names our TMPDIR
        // (runtime invocations inherit it).
        let our_tmpdir = format!("TMPDIR={}", tmp.display());
        for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.parse::<u32>().is_err() {
                continue;
            }
            let env = std::fs::read(e.path().join("environ")).unwrap_or_default();
            let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if env.split(|b| *b == 0).any(|v| v == our_tmpdir.as_bytes())
                || cmd.contains(&*tmp.to_string_lossy())
            {
                found.push(format!("process {name}: {cmd}"));
            }
        }
        for c in run_cgroups(pid) {
            found.push(format!("cgroup {}", c.display()));
        }
        found
    }
}

/// The cgroups of the run whose ocicheck has `pid`, in every hierarchy: their names start
/// with `ocicheck-<pid>`.
fn run_cgroups(pid: u32) -> Vec<PathBuf> {
    let prefix = format!("ocicheck-{pid}");
    std::fs::read_dir("/sys/fs/cgroup")
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|h| std::fs::read_dir(h.path()).into_iter().flatten().flatten())
        .filter(|c| c.file_name().to_string_lossy().starts_with(&prefix))
        .map(|c| c.path())
        .collect()
}

/// A failing test leaves the machine as it found it: whatever the run left is killed and
/// removed (the assertions have already looked).
impl Drop for Run {
    fn drop(&mut self) {
        let pid = self.child.id();
        let _ = self.child.kill();
        let _ = self.child.wait();
        for p in containers(&self.tmp, pid) {
            let _ = kill(Pid::from_raw(p), Signal::SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(200));
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let mut points: Vec<&str> = mountinfo
            .lines()
            .filter_map(|l| l.split(' ').nth(4))
            .filter(|p| p.starts_with(&*self.tmp.to_string_lossy()))
            .collect();
        points.sort_by_key(|p| std::cmp::Reverse(p.len()));
        for p in points {
            let _ = nix::mount::umount2(p, nix::mount::MntFlags::MNT_DETACH);
        }
        for c in run_cgroups(pid) {
            let _ = std::fs::remove_dir(c);
        }
    }
}

/// How long a new socket directory may stay before it counts as left by the run (another
/// run's case may have made it).
const SOCKETS_SETTLE: Duration = Duration::from_secs(60);

/// The case socket directories in /tmp.
fn socket_dirs() -> Vec<PathBuf> {
    std::fs::read_dir("/tmp")
        .expect("/tmp")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("oc-"))
        .map(|e| e.path())
        .collect()
}

/// One interrupted run: the status, the partial results, and nothing left.
fn interrupted_run_leaves_nothing(runtime: Option<&Path>, sig: Signal, name: &str, code: i32) {
    let sockets_before = socket_dirs();
    let mut run = start(runtime);
    let pid = run.child.id();
    run.await_containers(2);
    run.signal(sig);
    let (status, stderr, took) = run.finish(Duration::from_secs(30));
    assert_eq!(status.code(), Some(code), "{status:?}: {stderr}");
    // Prompt: the cases' 60 s waits do not hold the run.
    assert!(took < Duration::from_secs(15), "took {took:?} to stop");
    assert!(
        stderr.contains(&format!("interrupted by {name}")),
        "stderr says nothing of the interruption: {stderr}"
    );
    let v: Value = serde_json::from_slice(&std::fs::read(&run.results).expect("results written"))
        .expect("results are JSON");
    assert_eq!(v["interrupted"], name, "{v}");
    // The case that finished is there with its verdict; the held ones did not finish.
    let cases = v["cases"].as_array().expect("cases");
    let ids: Vec<&str> = cases.iter().filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(ids, ["process.hostname"], "{v}");
    assert!(
        matches!(cases[0]["outcome"].as_str(), Some("pass" | "fail" | "skip")),
        "{v}"
    );
    assert_eq!(v["not_run"], HOLD_CASES, "{v}");
    let results =
        ocicheck_results::RunResults::from_json(&std::fs::read(&run.results).expect("read"))
            .expect("the partial results load");
    assert_eq!(results.interrupted.as_deref(), Some(name));
    let left = run.leftovers(pid);
    assert!(left.is_empty(), "left behind:\n{}", left.join("\n"));
    // Other runs on the machine make (and soon remove) socket directories too: one of ours
    // stays.
    let settle = Instant::now() + SOCKETS_SETTLE;
    let new = loop {
        let new: Vec<_> = socket_dirs()
            .into_iter()
            .filter(|d| !sockets_before.contains(d))
            .collect();
        if new.is_empty() || Instant::now() > settle {
            break new;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(new.is_empty(), "socket directories left: {new:?}");
}

#[test]
fn sigterm_against_the_reference_runtime_leaves_nothing_and_writes_partial_results() {
    let _turn = common::serial();
    interrupted_run_leaves_nothing(None, Signal::SIGTERM, "SIGTERM", 143);
}

#[test]
fn sigint_against_the_reference_runtime_leaves_nothing_and_writes_partial_results() {
    let _turn = common::serial();
    interrupted_run_leaves_nothing(None, Signal::SIGINT, "SIGINT", 130);
}

#[test]
fn sigterm_against_runc_leaves_nothing_and_writes_partial_results() {
    let _turn = common::serial();
    let Some(runc) = common::runc() else {
        return;
    };
    interrupted_run_leaves_nothing(Some(&runc), Signal::SIGTERM, "SIGTERM", 143);
}

#[test]
fn sigint_against_runc_leaves_nothing_and_writes_partial_results() {
    let _turn = common::serial();
    let Some(runc) = common::runc() else {
        return;
    };
    interrupted_run_leaves_nothing(Some(&runc), Signal::SIGINT, "SIGINT", 130);
}

/// The reference runtime behind a script whose `delete --force` (the teardown's) hangs for
/// 30 s: after one signal the run would wait for it, after a second it must not.
fn slow_teardown_runtime(dir: &Path) -> PathBuf {
    let script = dir.join("slow-teardown");
    let text = format!(
        "#!/bin/sh\ncase \" $* \" in *\" delete --force \"*) sleep 30 ;; esac\nexec {} runtime \"$@\"\n",
        assert_cmd::cargo::cargo_bin("ocicheck").display()
    );
    std::fs::write(&script, text).expect("write the script");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    script
}

#[test]
fn a_second_signal_ends_the_run_at_once_without_leaving_a_container_running() {
    let _turn = common::serial();
    let scripts = tempfile::tempdir().expect("tmp");
    let runtime = slow_teardown_runtime(scripts.path());
    let mut run = start(Some(&runtime));
    let pid = run.child.id();
    run.await_containers(2);
    run.signal(Signal::SIGTERM);
    // The teardowns are under way, their deletes hanging.
    std::thread::sleep(Duration::from_millis(500));
    run.signal(Signal::SIGTERM);
    let (status, stderr, took) = run.finish(Duration::from_secs(60));
    assert_eq!(status.code(), Some(143), "{status:?}: {stderr}");
    assert!(took < Duration::from_secs(5), "took {took:?} to stop");
    let procs = containers(&run.tmp, pid);
    assert!(procs.is_empty(), "container processes left: {procs:?}");
    let left = run.leftovers(pid);
    assert!(left.is_empty(), "left behind:\n{}", left.join("\n"));
}
