//! The command line people expect: completions and man pages, `--color` for clap's own output,
//! `run --list --format json`, `run --skip`, and the runtime's `--help`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;

/// ocicheck with colour left to `--color` (NO_COLOR unset) and a fixed help width.
fn ocicheck() -> Command {
    let mut cmd = Command::cargo_bin("ocicheck").expect("binary built");
    cmd.env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("COLUMNS", "100")
        .timeout(Duration::from_secs(60));
    cmd
}

fn stdout(cmd: &mut Command) -> String {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

const ESC: &str = "\x1b[";

fn flawed_bundle() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/flawed")
}

#[test]
fn completions_for_each_shell_and_a_usage_error_for_others() {
    for (shell, marker) in [
        ("bash", "complete -F _ocicheck"),
        ("zsh", "#compdef ocicheck"),
        ("fish", "complete -c ocicheck"),
    ] {
        ocicheck()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains(marker));
    }
    ocicheck()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("possible values: bash, zsh, fish"));
}

#[test]
fn man_prints_one_page_or_writes_one_per_command() {
    let page = stdout(ocicheck().arg("man"));
    assert!(page.contains(".TH ocicheck 1"), "{page}");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("man1");
    ocicheck()
        .args(["man", "--dir"])
        .arg(&out)
        .assert()
        .success();
    for page in [
        "ocicheck.1",
        "ocicheck-run.1",
        "ocicheck-validate.1",
        "ocicheck-runtime.1",
        "ocicheck-runtime-create.1",
    ] {
        assert!(out.join(page).is_file(), "no {page}");
    }
    let run = std::fs::read_to_string(out.join("ocicheck-run.1")).expect("read");
    assert!(run.contains("\\-\\-skip"), "{run}");
    assert!(!out.join("ocicheck-bench.1").exists(), "hidden command");
    // Every page renders without a warning.
    if std::process::Command::new("groff")
        .arg("-v")
        .output()
        .is_err()
    {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "groff is not installed, and CI must render the man pages"
        );
        eprintln!("skipped rendering: groff is not installed");
        return;
    }
    for page in std::fs::read_dir(&out).expect("pages") {
        let page = page.expect("page").path();
        let render = std::process::Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(&page)
            .output()
            .expect("groff runs");
        assert!(render.status.success(), "{}", page.display());
        assert!(
            render.stderr.is_empty(),
            "{}: {}",
            page.display(),
            String::from_utf8_lossy(&render.stderr)
        );
    }
}

#[test]
fn color_always_colours_validate_and_never_or_no_color_does_not() {
    let coloured = |args: &[&str], no_color: bool| {
        let mut cmd = ocicheck();
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let out = cmd
            .args(args)
            .arg("validate")
            .arg(flawed_bundle())
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1), "an invalid bundle");
        String::from_utf8_lossy(&out.stdout).contains(ESC)
    };
    assert!(coloured(&["--color", "always"], false));
    assert!(coloured(&["--color=always"], true), "--color always wins");
    assert!(!coloured(&["--color", "never"], false));
    assert!(!coloured(&[], true), "NO_COLOR");
}

#[test]
fn clap_help_and_errors_follow_color() {
    let help = |args: &[&str]| stdout(ocicheck().args(args).arg("--help"));
    assert!(help(&["--color", "always"]).contains(ESC));
    assert!(help(&["--color=always", "run"]).contains(ESC));
    assert!(!help(&["--color", "never"]).contains(ESC));
    let out = ocicheck()
        .args(["--color", "always", "frobnicate"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(ESC));
    let out = ocicheck()
        .env("NO_COLOR", "1")
        .args(["frobnicate"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains(ESC));
}

#[test]
fn a_bad_color_is_a_usage_error() {
    ocicheck()
        .args(["--color", "bogus", "validate"])
        .arg(flawed_bundle())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bogus"))
        .stderr(predicate::str::contains("always"));
}

#[test]
fn run_list_json_describes_the_selected_cases() {
    let text = stdout(ocicheck().args([
        "run",
        "--list",
        "--format",
        "json",
        "--case",
        "process.hostname",
        "--case",
        "linux.namespaces.time",
        "--case",
        "errors.unknown-capability-1-0",
        "--case",
        "linux.net-devices",
    ]));
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(v["cases"].as_array().map(Vec::len), Some(4), "{text}");
    insta::assert_snapshot!("run_list_json", text);
    // The human listing is one line a case, as before.
    let human = stdout(ocicheck().args(["run", "--list", "--case", "process.hostname"]));
    assert_eq!(human.lines().count(), 1, "{human}");
    assert!(human.starts_with("process.hostname "), "{human}");
}

#[test]
fn run_list_json_is_refused_for_other_formats() {
    ocicheck()
        .args(["run", "--list", "--format", "tap"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--list"));
}

fn listed(args: &[&str]) -> Vec<String> {
    stdout(ocicheck().args(["run", "--list"]).args(args))
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

#[test]
fn skip_excludes_cases_after_case() {
    let all = listed(&["--case", "process.*"]);
    let kept = listed(&["--case", "process.*", "--skip", "process.h*"]);
    assert!(all.iter().any(|id| id.starts_with("process.h")), "{all:?}");
    assert!(!kept.is_empty());
    assert!(
        kept.iter().all(|id| !id.starts_with("process.h")),
        "{kept:?}"
    );
    let expected: Vec<&String> = all
        .iter()
        .filter(|id| !id.starts_with("process.h"))
        .collect();
    assert_eq!(kept.iter().collect::<Vec<_>>(), expected);
    // Repeatable; without --case, every case but the skipped ones.
    let kept = listed(&["--skip", "process.*", "--skip", "lifecycle.*"]);
    assert!(!kept.is_empty());
    assert!(kept
        .iter()
        .all(|id| !id.starts_with("process.") && !id.starts_with("lifecycle.")));
}

#[test]
fn skipping_everything_or_a_bad_glob_is_a_usage_error() {
    ocicheck()
        .args(["run", "--list", "--case", "process.*", "--skip", "*"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--skip * excludes every selected case",
        ));
    ocicheck()
        .args(["run", "--list", "--skip", "process.["])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--skip \"process.[\" is not a valid glob",
        ));
    ocicheck()
        .args(["run", "--list", "--case", "nothing.*"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no case matches nothing.*"));
}

/// The runtime's subcommands, as `ocicheck runtime --help` lists them.
const RUNTIME_COMMANDS: [&str; 9] = [
    "create", "start", "state", "kill", "delete", "run", "list", "spec", "features",
];

/// Words another runtime's help, or liboci-cli's spelling, would bring in.
const FOREIGN: [&str; 8] = [
    "youki",
    "systemd",
    "runc logs",
    "log-level",
    "pivot rool",
    "rather then",
    "path ,",
    "Checkpointt",
];

fn runtime_help(args: &[&str]) -> String {
    stdout(ocicheck().arg("runtime").args(args).arg("--help"))
}

#[test]
fn runtime_help_describes_this_runtime() {
    let top = runtime_help(&[]);
    assert!(top.contains("Usage: ocicheck runtime "), "{top}");
    for name in RUNTIME_COMMANDS {
        assert!(
            top.contains(&format!("\n  {name} ")),
            "{name} missing: {top}"
        );
    }
    for args in std::iter::once(vec![]).chain(RUNTIME_COMMANDS.map(|c| vec![c])) {
        let help = runtime_help(&args);
        for word in FOREIGN {
            assert!(
                !help.to_lowercase().contains(&word.to_lowercase()),
                "`runtime {args:?} --help` says {word:?}:\n{help}"
            );
        }
    }
    insta::assert_snapshot!("runtime_help", top);
    insta::assert_snapshot!("runtime_create_help", runtime_help(&["create"]));
}

#[test]
fn the_runtime_link_names_itself() {
    let dir = tempfile::tempdir().expect("temp dir");
    let link = dir.path().join("ocicheck-runtime");
    std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("ocicheck"), &link).expect("link");
    let out = std::process::Command::new(&link)
        .arg("--help")
        .env("COLUMNS", "100")
        .output()
        .expect("runs");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("Usage: ocicheck-runtime "), "{help}");
}

#[test]
fn runc_flags_the_runtime_cannot_honour_are_refused_clearly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("root");
    let run = |args: &[&str]| {
        ocicheck()
            .arg("runtime")
            .arg("--root")
            .arg(&root)
            .args(args)
            .output()
            .expect("runs")
    };
    // Accepted by the parser (runc's callers pass them), refused by the runtime.
    let out = run(&["--systemd-cgroup", "list"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cgroupfs only"));
    let out = run(&["create", "--no-pivot", "--bundle", "/nonexistent", "c1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--no-pivot"));
    // --no-new-keyring asks for what the runtime always does.
    let out = run(&["list", "--format", "json"]);
    assert!(out.status.success());
    let out = run(&[
        "create",
        "--no-new-keyring",
        "--bundle",
        "/nonexistent",
        "c1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("keyring"));
    // Flags no runtime of runc's line has are usage errors.
    assert_eq!(run(&["--frobnicate", "list"]).status.code(), Some(2));
}
