//! What `ocicheck run` prints while it runs: on a terminal (under `script`), each failure once;
//! in a CI log, a line per finished case with its duration; with the report going elsewhere,
//! the summary on standard error. Against the reference runtime, one of its cases broken by a
//! mutation and one case of our own that cannot pass.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;

/// The reason of the personality case under the `ignore-personality` mutation.
const PERSONALITY_REASON: &str = "personality domain: expected LINUX32, observed LINUX";
/// The reason of [`case_dir`]'s failing case.
const HOSTNAME_REASON: &str = "hostname: expected \"theirs\", observed \"mine\"";

fn ocicheck() -> Command {
    let mut cmd = Command::cargo_bin("ocicheck").expect("binary built");
    cmd.env("NO_COLOR", "1")
        .env("OCICHECK_MUTATION", "ignore-personality")
        .timeout(Duration::from_secs(300));
    cmd
}

/// A directory of two cases: `mine.fails` (the config sets one hostname, the case expects
/// another) and `mine.passes`.
fn case_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    let case = |id: &str, want: &str| {
        format!(
            "id = \"{id}\"\nsummary = \"s\"\n[config]\nhostname = \"mine\"\n\
             [[expect]]\ncheck = \"hostname\"\nvalue = \"{want}\"\n\
             requirements = [\"runtime.create.apply-config\"]\n"
        )
    };
    std::fs::write(
        dir.path().join("mine.fails.toml"),
        case("mine.fails", "theirs"),
    )
    .expect("write");
    std::fs::write(
        dir.path().join("mine.passes.toml"),
        case("mine.passes", "mine"),
    )
    .expect("write");
    dir
}

/// The arguments that select the three cases.
fn selection(dir: &Path) -> Vec<String> {
    [
        "--cases",
        &dir.display().to_string(),
        "--case",
        "mine.*",
        "--case",
        "linux.personality",
        "--jobs",
        "1",
    ]
    .map(str::to_string)
    .to_vec()
}

/// A shell word.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// What `ocicheck run` with `args` writes to a terminal of type `term`.
fn on_a_terminal(term: &str, args: &[String]) -> String {
    let bin = assert_cmd::cargo::cargo_bin("ocicheck");
    let mut words = vec![bin.display().to_string(), "run".into()];
    words.extend(args.iter().cloned());
    let command: Vec<String> = words.iter().map(|w| quote(w)).collect();
    // `script` gives the run a terminal for standard input, output and error, and copies
    // everything written to it into the typescript (here: standard output).
    let out = std::process::Command::new("script")
        .args(["-qec", &command.join(" "), "/dev/null"])
        .env("TERM", term)
        .env_remove("NO_COLOR")
        .env("OCICHECK_MUTATION", "ignore-personality")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script (util-linux) runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn on_a_terminal_each_failure_is_printed_once() {
    let dir = case_dir();
    let text = on_a_terminal("xterm-256color", &selection(dir.path()));
    for reason in [PERSONALITY_REASON, HOSTNAME_REASON] {
        assert_eq!(
            text.matches(reason).count(),
            1,
            "{reason:?} is not printed exactly once in:\n{text}"
        );
    }
    assert!(
        strip_ansi(&text).contains("3 cases: 1 pass, 2 fail"),
        "{text}"
    );
    // Colour is on (a terminal, NO_COLOR unset): FAIL in red.
    assert!(text.contains("\x1b[31m"), "no red in:\n{text}");
}

#[test]
fn a_terminal_without_a_status_line_still_shows_each_failure() {
    // indicatif draws nothing on a dumb terminal: the run falls back to the lines of a log.
    let dir = case_dir();
    let text = strip_ansi(&on_a_terminal("dumb", &selection(dir.path())));
    assert!(
        text.contains("    FAIL [") && text.contains(HOSTNAME_REASON),
        "{text}"
    );
}

/// `text` without its terminal escape sequences (`ESC [ ... letter`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Durations vary: `[   0.123s]` becomes `[ DURATION ]`.
fn redact_durations(text: &str) -> String {
    text.lines()
        .map(|l| match (l.find('['), l.find("s]")) {
            (Some(a), Some(b)) if a < b => format!("{}[ DURATION ]{}\n", &l[..a], &l[b + 2..]),
            _ => format!("{l}\n"),
        })
        .collect()
}

#[test]
fn in_a_log_each_finished_case_gets_a_line_with_its_duration() {
    let dir = case_dir();
    let out = ocicheck()
        .arg("run")
        .args(selection(dir.path()))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    insta::assert_snapshot!(
        "log_lines",
        format!("stderr:\n{}stdout:\n{stdout}", redact_durations(&stderr))
    );
}

#[test]
fn a_case_over_the_slow_threshold_is_flagged_while_it_runs() {
    // The hanging runtime makes the case wait for its 1 s time limit.
    let hang = Path::new(env!("CARGO_MANIFEST_DIR")).join("runtimetest/tests/broken/hang");
    let out = ocicheck()
        .args([
            "run",
            "--case",
            "process.hostname",
            "--timeout",
            "1",
            "--slow",
            "0.3",
        ])
        .arg("--runtime")
        .arg(&hang)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let slow: Vec<&str> = stderr.lines().filter(|l| l.contains("SLOW")).collect();
    assert_eq!(slow, ["    SLOW [>  0.300s] process.hostname"], "{stderr}");
}

#[test]
fn with_the_report_elsewhere_the_summary_goes_to_stderr() {
    let dir = case_dir();
    let tmp = tempfile::tempdir().expect("tmp");
    for format in ["json", "junit", "tap"] {
        let file = tmp.path().join(format!("results.{format}"));
        let out = ocicheck()
            .arg("run")
            .args(selection(dir.path()))
            .args(["--format", format, "-o"])
            .arg(&file)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1));
        assert!(out.stdout.is_empty(), "{format}: stdout is not empty");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.ends_with("3 cases: 1 pass, 2 fail, 0 error, 0 skip, 0 xfail\n"),
            "{format}: no summary in:\n{stderr}"
        );
        assert!(std::fs::metadata(&file).is_ok_and(|m| m.len() > 0));
    }
    // Without -o, standard output carries the format alone; the summary still goes to stderr.
    let out = ocicheck()
        .arg("run")
        .args(selection(dir.path()))
        .args(["--format", "json"])
        .output()
        .expect("runs");
    serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("stdout is JSON only");
    assert!(String::from_utf8_lossy(&out.stderr).contains("3 cases: 1 pass, 2 fail"));
}

#[test]
fn one_case_is_one_case() {
    let dir = case_dir();
    let out = ocicheck()
        .arg("run")
        .args([
            "--cases",
            &dir.path().display().to_string(),
            "--case",
            "mine.passes",
        ])
        .output()
        .expect("runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "1 case: 1 pass, 0 fail, 0 error, 0 skip, 0 xfail\n"
    );
}
