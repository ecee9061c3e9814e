//! `ocicheck validate` end to end: outputs, exit statuses, options and bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use ocicheck_catalog::ids;
use predicates::prelude::*;
use serde_json::{json, Value};

fn ocicheck() -> Command {
    let mut cmd = Command::cargo_bin("ocicheck").expect("binary built");
    cmd.env("NO_COLOR", "1").timeout(Duration::from_secs(60));
    cmd
}

/// A clean 1.3.0 Linux config.
fn base() -> Value {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("validator/tests/violations/_base.json"),
    )
    .expect("base");
    serde_json::from_str(&text).expect("json")
}

fn bundle(dir: &Path, name: &str, config: &Value) -> std::path::PathBuf {
    let b = dir.join(name);
    std::fs::create_dir_all(b.join("rootfs")).expect("mkdir");
    std::fs::write(
        b.join("config.json"),
        serde_json::to_string_pretty(config).expect("ser"),
    )
    .expect("write");
    b
}

/// A config with two errors and one warning, for the output snapshots.
fn flawed() -> Value {
    let mut c = base();
    c["process"]["cwd"] = json!("work");
    c["linux"]["maskedPaths"] = json!(["/proc/kcore", "proc/keys"]);
    c["annotations"] = json!({"owner": "me"});
    c
}

fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = ocicheck()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn valid_bundle_exits_0() {
    let tmp = tempfile::tempdir().expect("tmp");
    bundle(tmp.path(), "ok", &base());
    let (code, out, _) = run_in(tmp.path(), &["validate", "ok"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out, "ok: valid (runtime-spec 1.3.0)\n");
}

#[test]
fn human_output_snapshot() {
    let tmp = tempfile::tempdir().expect("tmp");
    bundle(tmp.path(), "flawed", &flawed());
    let (code, out, _) = run_in(tmp.path(), &["validate", "flawed"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
}

#[test]
fn json_output_snapshot() {
    let tmp = tempfile::tempdir().expect("tmp");
    bundle(tmp.path(), "flawed", &flawed());
    bundle(tmp.path(), "ok", &base());
    let (code, out, _) = run_in(
        tmp.path(),
        &["validate", "--format", "json", "flawed", "ok"],
    );
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).expect("json");
    insta::assert_json_snapshot!(v);
}

#[test]
fn sarif_output_snapshot() {
    let tmp = tempfile::tempdir().expect("tmp");
    bundle(tmp.path(), "flawed", &flawed());
    let (code, out, _) = run_in(tmp.path(), &["validate", "--format", "sarif", "flawed"]);
    assert_eq!(code, 1);
    let mut v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["version"], "2.1.0");
    v["runs"][0]["tool"]["driver"]["version"] = json!("[version]");
    insta::assert_json_snapshot!(v);
}

#[test]
fn deny_warnings_and_spec_version() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut c = base();
    c["mounts"][0]["destination"] = json!("proc");
    bundle(tmp.path(), "rel", &c);
    // 1.3.0: a relative destination is a SHOULD-level warning.
    let (code, out, _) = run_in(tmp.path(), &["validate", "rel"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!(
            "warning[{}]",
            ids::CONFIG_MOUNTS_DESTINATION_LINUX_ABSOLUTE
        )),
        "{out}"
    );
    let (code, _, _) = run_in(tmp.path(), &["validate", "--deny-warnings", "rel"]);
    assert_eq!(code, 1);
    // Judged as 1.1.0 it is a MUST-level error.
    let (code, out, _) = run_in(tmp.path(), &["validate", "--spec-version", "1.1.0", "rel"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "error[{}]",
            ids::CONFIG_MOUNTS_DESTINATION_LINUX_MUST_BE_ABSOLUTE
        )),
        "{out}"
    );
    // The config's own ociVersion picks the rules when no --spec-version is given.
    c["ociVersion"] = json!("1.1.0-rc.2");
    bundle(tmp.path(), "old", &c);
    let (code, out, _) = run_in(tmp.path(), &["validate", "old"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("invalid (runtime-spec 1.1.0)"), "{out}");
}

#[test]
fn future_versions_warn_and_use_latest_rules() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut c = base();
    c["ociVersion"] = json!("1.9.0");
    bundle(tmp.path(), "future", &c);
    let (code, out, _) = run_in(tmp.path(), &["validate", "future"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ocicheck.spec-version.unknown")
            && out.contains("judged by the rules of 1.3.0"),
        "{out}"
    );
}

#[test]
fn recursive_finds_every_bundle_without_following_symlinks() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tree = tmp.path().join("tree");
    bundle(&tree, "a", &base());
    bundle(&tree.join("nested/deeper"), "b", &flawed());
    std::fs::create_dir_all(tree.join("empty")).expect("mkdir");
    // A symlink to a bundle outside the tree is not followed.
    bundle(tmp.path(), "outside", &flawed());
    std::os::unix::fs::symlink(tmp.path().join("outside"), tree.join("link")).expect("symlink");
    let (code, out, _) = run_in(
        tmp.path(),
        &["validate", "--recursive", "--format", "json", "tree"],
    );
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).expect("json");
    let paths: Vec<&str> = v["bundles"]
        .as_array()
        .expect("bundles")
        .iter()
        .filter_map(|b| b["path"].as_str())
        .collect();
    assert_eq!(paths, ["tree/a", "tree/nested/deeper/b"]);
    assert_eq!(v["summary"]["bundles"], 2);
    assert_eq!(v["summary"]["invalid"], 1);
}

#[test]
fn stdin_config() {
    let text = serde_json::to_string(&base()).expect("ser");
    ocicheck()
        .args(["validate", "-"])
        .write_stdin(text)
        .assert()
        .success()
        .stdout(predicate::str::contains("-: valid"));
    ocicheck()
        .args(["validate", "-"])
        .write_stdin("{\"ociVersion\": 1}")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("<stdin>:1:"));
}

fn expect_finding(args: &[&str], dir: &Path, needle: &str) {
    let (code, out, err) = run_in(dir, args);
    assert_eq!(code, 1, "{args:?}: {out}{err}");
    assert!(
        out.contains(needle),
        "{args:?}: expected {needle:?} in {out}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_input_gets_a_finding_not_a_panic() {
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path();
    let mk = |name: &str, content: &[u8]| {
        let b = d.join(name);
        std::fs::create_dir_all(b.join("rootfs")).expect("mkdir");
        std::fs::write(b.join("config.json"), content).expect("write");
    };
    mk("notjson", b"this is not json");
    expect_finding(
        &["validate", "notjson"],
        d,
        "not valid JSON: expected ident",
    );
    mk("truncated", b"{\"ociVersion\": \"1.3.0\", \"process\": {");
    expect_finding(
        &["validate", "truncated"],
        d,
        "notjson"
            .replace("notjson", "truncated/config.json:1:")
            .as_str(),
    );
    mk(
        "utf8",
        b"{\"ociVersion\": \"1.3.0\", \"hostname\": \"\xff\xfe\"}",
    );
    expect_finding(&["validate", "utf8"], d, "not valid UTF-8");
    mk(
        "deep",
        format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).as_bytes(),
    );
    expect_finding(&["validate", "deep"], d, "recursion limit exceeded");
    // A sparse 100 MB file is refused before it is read.
    std::fs::create_dir_all(d.join("huge/rootfs")).expect("mkdir");
    let f = std::fs::File::create(d.join("huge/config.json")).expect("create");
    f.set_len(100 * 1024 * 1024).expect("set_len");
    expect_finding(&["validate", "huge"], d, "larger than 16 MiB");
    // A directory named config.json.
    std::fs::create_dir_all(d.join("dirconfig/config.json")).expect("mkdir");
    expect_finding(&["validate", "dirconfig"], d, "config.json is a directory");
    expect_finding(
        &["validate", "dirconfig/config.json"],
        d,
        "config.json is a directory",
    );
    // A FIFO is never opened (opening it would block).
    std::fs::create_dir_all(d.join("fifo")).expect("mkdir");
    let st = std::process::Command::new("mkfifo")
        .arg(d.join("fifo/config.json"))
        .status()
        .expect("mkfifo");
    assert!(st.success());
    expect_finding(&["validate", "fifo"], d, "not a regular file");
    // No config.json at all.
    std::fs::create_dir_all(d.join("empty")).expect("mkdir");
    expect_finding(&["validate", "empty"], d, "the bundle has no config.json");
}

#[test]
fn unreadable_paths_exit_2_naming_the_path() {
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path();
    let (code, _, err) = run_in(d, &["validate", "no/such/bundle"]);
    assert_eq!(code, 2);
    assert!(err.is_empty());
    let (code, out, _) = run_in(d, &["validate", "no/such/bundle"]);
    assert_eq!(code, 2);
    assert!(
        out.contains("error: no/such/bundle: No such file or directory"),
        "{out}"
    );
    // A symlink loop.
    std::fs::create_dir_all(d.join("loop")).expect("mkdir");
    std::os::unix::fs::symlink("config.json", d.join("loop/config.json")).expect("symlink");
    let (code, out, _) = run_in(d, &["validate", "loop"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("loop/config.json") && out.contains("symbolic links"),
        "{out}"
    );
    // A file whose read fails (even for root).
    let (code, out, _) = run_in(d, &["validate", "/proc/self/mem"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("/proc/self/mem"), "{out}");
    // Usage errors.
    ocicheck().args(["validate"]).assert().code(2);
    ocicheck()
        .args(["validate", "--spec-version", "9.9.9", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown runtime-spec release"));
}

#[test]
fn schema_command_prints_each_schema() {
    for which in ["config", "state", "features"] {
        let out = ocicheck().args(["schema", which]).output().expect("runs");
        assert!(out.status.success());
        let v: Value = serde_json::from_slice(&out.stdout).expect("schema is JSON");
        assert!(v.get("$schema").is_some(), "{which}");
    }
    // Older releases differ where the spec did.
    let new = ocicheck()
        .args(["schema", "config"])
        .output()
        .expect("runs")
        .stdout;
    let old = ocicheck()
        .args(["schema", "config", "--spec-version", "1.0.0"])
        .output()
        .expect("runs")
        .stdout;
    assert_ne!(new, old);
}

#[test]
fn help_names_host_only_checks() {
    ocicheck()
        .args(["validate", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Host-only checks (--host)"));
}

#[test]
fn one_root_cause_one_finding() {
    let tmp = tempfile::tempdir().expect("tmp");
    for (name, patch) in [
        ("cwdtype", json!({"process": {"cwd": 5}})),
        ("nstype", json!({"linux": {"namespaces": "pid"}})),
        (
            "desttype",
            json!({"mounts": [{"destination": 7, "type": "proc", "source": "proc"}]}),
        ),
        (
            "hooktype",
            json!({"hooks": {"prestart": [{"path": ["x"], "timeout": "soon"}]}}),
        ),
        ("argsmissing", json!({"process": {"args": null}})),
    ] {
        let mut c = base();
        ocicheck_runtimetest::case::merge_patch(&mut c, &patch);
        bundle(tmp.path(), name, &c);
        let (code, out, _) = run_in(tmp.path(), &["validate", "--format", "json", name]);
        assert_eq!(code, 1, "{name}: {out}");
        let v: Value = serde_json::from_str(&out).expect("json");
        let diags = v["bundles"][0]["diagnostics"]
            .as_array()
            .expect("diagnostics");
        let pointers: Vec<&str> = diags.iter().filter_map(|d| d["pointer"].as_str()).collect();
        let mut unique = pointers.clone();
        unique.dedup();
        assert_eq!(
            pointers.len(),
            unique.len(),
            "{name}: repeated findings {out}"
        );
        assert!(diags.len() <= 2, "{name}: {out}");
    }
}

/// Reading config.json cannot hang: a FIFO, or a symlink to /proc/kmsg (whose read blocks until
/// the kernel logs something), each end in bounded time with a finding.
#[test]
fn config_reads_never_block() {
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path();
    std::fs::create_dir_all(d.join("fifo/rootfs")).expect("mkdir");
    let st = std::process::Command::new("mkfifo")
        .arg(d.join("fifo/config.json"))
        .status()
        .expect("mkfifo");
    assert!(st.success());
    // A FIFO inside the bundle behind a symlink.
    std::fs::create_dir_all(d.join("fifolink/rootfs")).expect("mkdir");
    let st = std::process::Command::new("mkfifo")
        .arg(d.join("fifolink/pipe"))
        .status()
        .expect("mkfifo");
    assert!(st.success());
    std::os::unix::fs::symlink("pipe", d.join("fifolink/config.json")).expect("symlink");
    let mut bundles = vec![
        ("fifo", "not a regular file"),
        ("fifolink", "not a regular file"),
    ];
    if Path::new("/proc/kmsg").exists() {
        std::fs::create_dir_all(d.join("kmsg/rootfs")).expect("mkdir");
        std::os::unix::fs::symlink("/proc/kmsg", d.join("kmsg/config.json")).expect("symlink");
        bundles.push(("kmsg", "/proc/kmsg"));
    }
    for (b, needle) in bundles {
        for format in ["human", "json"] {
            let out = ocicheck()
                .current_dir(d)
                .args(["validate", "--format", format, b])
                .timeout(Duration::from_secs(20))
                .output()
                .expect("runs");
            let text = String::from_utf8_lossy(&out.stdout);
            assert_eq!(out.status.code(), Some(1), "{b} {format}: {text}");
            assert!(text.contains(needle), "{b} {format}: {text}");
        }
    }
}

/// A config.json that is a symlink leaving the bundle is not read: the file it points to never
/// reaches the output, and a finding names the link.
#[test]
fn config_symlinks_out_of_the_bundle_are_not_read() {
    const MARKER: &str = "SECRET-MARKER-7f3a";
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path();
    std::fs::write(
        d.join("secret.txt"),
        format!("{MARKER}:$y$j9T$hash:19000:0:99999:7:::\nsecond line\n"),
    )
    .expect("write");
    std::fs::create_dir_all(d.join("b/rootfs")).expect("mkdir");
    std::os::unix::fs::symlink("../secret.txt", d.join("b/config.json")).expect("symlink");
    // An absolute link and a link through a directory symlink too.
    std::fs::create_dir_all(d.join("abs/rootfs")).expect("mkdir");
    std::os::unix::fs::symlink(d.join("secret.txt"), d.join("abs/config.json")).expect("symlink");
    std::fs::create_dir_all(d.join("viadir/rootfs")).expect("mkdir");
    std::os::unix::fs::symlink("..", d.join("viadir/up")).expect("symlink");
    std::os::unix::fs::symlink("up/secret.txt", d.join("viadir/config.json")).expect("symlink");
    for b in ["b", "abs", "viadir", "b/config.json"] {
        for format in ["human", "json", "sarif"] {
            let (code, out, err) = run_in(d, &["validate", "--format", format, b]);
            assert_eq!(code, 1, "{b} {format}: {out}{err}");
            assert!(
                !out.contains(MARKER) && !err.contains(MARKER),
                "{b} {format}: {out}{err}"
            );
            assert!(
                out.contains(ids::BUNDLE_ARTIFACTS_SINGLE_DIRECTORY.as_str())
                    && out.contains("config.json")
                    && out.contains("leaves the bundle"),
                "{b} {format}: {out}"
            );
        }
    }
    // A link that stays inside the bundle is followed as before.
    std::fs::create_dir_all(d.join("inside/rootfs")).expect("mkdir");
    std::fs::write(
        d.join("inside/real.json"),
        serde_json::to_string_pretty(&base()).expect("ser"),
    )
    .expect("write");
    std::os::unix::fs::symlink("real.json", d.join("inside/config.json")).expect("symlink");
    let (code, out, _) = run_in(d, &["validate", "inside"]);
    assert_eq!(code, 0, "{out}");
}
