#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use super::*;
use ocicheck_catalog::SpecVersion;

fn cfg() -> RunConfig {
    RunConfig::for_host(PathBuf::from("/nonexistent/probe"), SpecVersion::LATEST, 1)
}

fn case(id: &str, body: &str) -> Case {
    crate::case::parse(
        &format!("{id}.toml"),
        &format!("id = \"{id}\"\nsummary = \"s\"\n{body}"),
    )
    .expect("case parses")
}

fn reply(exit: Exit, stdout: &str) -> Reply {
    Reply {
        command: "rt --version".into(),
        exit,
        stdout: stdout.into(),
        stderr: String::new(),
    }
}

#[test]
fn the_namespaces_needed_are_those_the_selected_containers_make() {
    let plain = case("plain", "");
    let user = case(
        "user",
        "[config.linux]\nnamespaces = [{ type = \"user\" }, { type = \"network\", path = \
         \"/proc/1/ns/net\" }, { type = \"bogus\" }]\n",
    );
    let hide = case(
        "hide",
        "hide = [\"/sys/kernel/cgroup/delegate\"]\n[config.linux]\nnamespaces = [{ type = \
         \"uts\" }]\n",
    );
    let needed = namespaces_needed(&cfg(), &[&plain, &user, &hide]);
    let kinds: Vec<&str> = needed.keys().copied().collect();
    assert_eq!(kinds, ["ipc", "mount", "network", "pid", "user", "uts"]);
    assert_eq!(needed["network"], ["plain"]);
    assert_eq!(needed["user"], ["user"]);
    // The harness makes a mount namespace to hide files, whatever the config says.
    assert_eq!(needed["mount"], ["plain", "hide"]);
    assert_eq!(needed["uts"], ["plain", "hide"]);
    assert!(namespaces_needed(&cfg(), &[]).is_empty());
}

#[test]
fn only_cases_that_make_containers_need_cgroups_and_namespaces() {
    assert!(makes_containers(&case("plain", "")));
    let queries = case(
        "queries",
        "[[step]]\nrun = \"state\"\nid = \"unknown\"\nexpect = \"error\"\n",
    );
    assert!(!makes_containers(&queries));
}

#[test]
fn answers_to_version_must_be_text_and_success() {
    let limit = Duration::from_secs(1);
    assert_eq!(
        version_problem(
            &reply(Exit::Code(0), "runc version 1.1.5\ncommit: x\n"),
            limit
        ),
        None
    );
    assert_eq!(
        version_problem(&reply(Exit::Code(0), " \n"), limit).as_deref(),
        Some("`rt --version` exited 0 and printed nothing")
    );
    assert_eq!(
        version_problem(&reply(Exit::Code(0), "\u{1}\u{2} {{{"), limit).as_deref(),
        Some("`rt --version` printed no version but binary data")
    );
    assert_eq!(
        version_problem(&reply(Exit::Code(1), ""), limit).as_deref(),
        Some("`rt --version` exited 1")
    );
    assert_eq!(
        version_problem(&reply(Exit::TimedOut, ""), limit).as_deref(),
        Some("`rt --version` did not finish within the 1 s of --timeout")
    );
    assert!(version_problem(&reply(Exit::Signal(11), "x"), limit).is_some());
}

#[test]
fn state_of_an_unknown_id_must_fail_in_time() {
    let limit = Duration::from_millis(500);
    assert_eq!(state_problem(&reply(Exit::Code(1), ""), limit), None);
    // A state for an unknown id is for the case errors.unknown-id to judge; text is no state.
    assert_eq!(state_problem(&reply(Exit::Code(0), "{}"), limit), None);
    assert!(state_problem(&reply(Exit::Code(0), "yes\n"), limit).is_some());
    assert!(state_problem(&reply(Exit::Code(0), ""), limit).is_some());
    assert_eq!(
        state_problem(&reply(Exit::TimedOut, ""), limit).as_deref(),
        Some("`rt --version` did not finish within the 0.5 s of --timeout")
    );
    assert!(state_problem(&reply(Exit::Signal(11), ""), limit).is_some());
    assert!(state_problem(&reply(Exit::TooMuchOutput(1 << 20), ""), limit).is_some());
}

#[test]
fn a_runtime_is_asked_as_every_operation_calls_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let log = dir.path().join("calls");
    // An answering runtime: a version, and an error for any state.
    let script = format!(
        "echo \"$*\" >> {}; case \"$*\" in *--version*) echo 'rt 1.0';; *) exit 1;; esac",
        log.display()
    );
    let rt = CliRuntime::new(
        "/bin/sh".into(),
        vec!["-c".into(), script, "rt".into()],
        vec!["--debug".into()],
        true,
    );
    let scratch = Scratch::make(dir.path(), true).expect("scratch");
    check_runtime(&rt, &scratch.path, Duration::from_secs(5)).expect("answers");
    let calls = std::fs::read_to_string(&log).expect("called");
    let lines: Vec<&str> = calls.lines().collect();
    assert_eq!(lines.len(), 2, "{calls}");
    assert!(lines[0].starts_with("--debug --root ") && lines[0].ends_with(" --version"));
    assert!(lines[1].starts_with("--debug --root ") && lines[1].contains(" state ocicheck-"));

    let yes = CliRuntime::new("/bin/echo".into(), vec![], vec![], false);
    let err = check_runtime(&yes, &scratch.path, Duration::from_secs(5)).expect_err("refused");
    assert!(matches!(err, PreflightError::RuntimeState { .. }), "{err}");
}

#[test]
fn scratch_directories_are_made_and_removed() {
    let dir = tempfile::tempdir().expect("tmp");
    let problem = Scratch::make(&dir.path().join("missing"), true).err();
    assert_eq!(problem.as_deref(), Some("it does not exist"));
    let path = {
        let scratch = Scratch::make(dir.path(), true).expect("made");
        assert!(scratch.path.is_dir());
        scratch.path.clone()
    };
    assert!(!path.exists());
}

#[test]
fn cgroups_must_be_a_cgroup_filesystem() {
    let dir = tempfile::tempdir().expect("tmp");
    let err = check_cgroups(dir.path()).expect_err("no cgroups in a temp dir");
    assert!(
        err.to_string().contains("with no cgroup hierarchy in it"),
        "{err}"
    );
    let err = check_cgroups(&dir.path().join("missing")).expect_err("nothing there");
    assert!(
        err.to_string().contains("No such file or directory"),
        "{err}"
    );
    let host = Path::new("/sys/fs/cgroup");
    if statfs(host).is_ok_and(|s| is_cgroup(s.filesystem_type())) {
        check_cgroups(host).expect("the host's cgroups");
    }
}

#[test]
fn namespaces_are_tried_in_a_child() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: not root");
        return;
    }
    assert_eq!(try_unshare(libc::CLONE_NEWUTS), Ok(()));
    // The kernel's refusal comes back: CLONE_PARENT is no flag of unshare(2).
    assert_eq!(try_unshare(libc::CLONE_PARENT), Err(Errno::EINVAL));
    check_caller().expect("root with /proc");
}
