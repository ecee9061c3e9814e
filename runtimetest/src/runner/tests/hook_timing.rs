//! The hook-timing judge: each hook against the operation it belongs to and what it saw of
//! the container.

use std::path::PathBuf;

use crate::case::HookLabel;
use crate::probe::{HookRecord, HookView};
use crate::runner::hooks::{self, Span, TimingWant};
use crate::runner::judge::Failure;

const ROOTFS: &str = "/run/b/rootfs";
const PID: i32 = 4321;

fn label(s: &str) -> HookLabel {
    s.parse().expect("label") // ok: test code
}

fn args() -> Vec<String> {
    vec!["/probe".into(), "observe".into(), "{}".into()]
}

fn mounts() -> Vec<String> {
    vec!["/proc".into(), "/dev".into()]
}

fn under_root() -> Vec<String> {
    vec![
        "/".into(),
        format!("{ROOTFS}/proc"),
        format!("{ROOTFS}/dev"),
        "/sys".into(),
    ]
}

/// What a hook of a correct runtime sees, recorded at `t`.
fn record(name: &str, t: u128) -> HookRecord {
    let mut view = HookView {
        pid: Some(PID),
        pid_state: Some('S'),
        ..HookView::default()
    };
    match name {
        "prestart" | "createRuntime" => {
            view.pid_args = Some(vec!["ocicheck-runtime".into(), "create".into()]);
            view.pid_root = Some("/".into());
            view.pid_mounts = Some(under_root());
        }
        "createContainer" => {
            view.bundle_seen = true;
            view.own_mounts = under_root();
        }
        "poststart" => view.pid_args = Some(args()),
        "poststop" => view.pid_state = None,
        _ => {}
    }
    HookRecord {
        name: name.into(),
        time_ns: t,
        state: serde_json::Value::Null,
        mnt_ns: "mnt:[1]".into(),
        pid_ns: "pid:[1]".into(),
        view,
    }
}

fn judge(r: &HookRecord) -> Result<(), Failure> {
    let roots = [PathBuf::from(ROOTFS)];
    let (args, mounts) = (args(), mounts());
    let want = TimingWant {
        create: Some(Span { begin: 10, end: 20 }),
        start: Some(Span { begin: 30, end: 40 }),
        delete: Some(Span { begin: 50, end: 60 }),
        rootfs: &roots,
        mounts: &mounts,
        args: &args,
    };
    hooks::timing(1, std::slice::from_ref(r), label(&r.name), &want)
}

fn fails_with(r: &HookRecord, text: &str) {
    match judge(r) {
        Err(Failure::Fail(m)) => assert!(m.contains(text), "{m:?} lacks {text:?}"),
        other => panic!("expected a failure with {text:?}, got {other:?}"),
    }
}

#[test]
fn each_hook_runs_within_its_operation() {
    for (name, t) in [
        ("prestart", 11),
        ("createRuntime", 12),
        ("createContainer", 13),
        ("startContainer", 31),
        ("poststart", 39),
        ("poststop", 59),
    ] {
        assert!(judge(&record(name, t)).is_ok(), "{name}");
    }
    // poststart once start returned; startContainer at create; poststop after delete.
    fails_with(&record("poststart", 41), "outside start");
    fails_with(&record("startContainer", 15), "outside start");
    fails_with(&record("poststop", 61), "outside delete");
    fails_with(&record("prestart", 31), "outside create");
}

#[test]
fn create_hooks_see_the_mounts_made_and_no_pivot_root_yet() {
    let mut early = record("createRuntime", 12);
    early.view.pid_mounts = Some(vec!["/".into(), "/sys".into()]);
    fails_with(&early, "mounts /proc, /dev were not made yet");
    let mut pivoted = record("prestart", 12);
    pivoted.view.pid_root = Some(ROOTFS.into());
    fails_with(&pivoted, "pivot_root had happened");
    let mut gone = record("prestart", 12);
    gone.view.pid_args = None;
    fails_with(&gone, "did not exist");
    let mut running = record("createRuntime", 12);
    running.view.pid_args = Some(args());
    fails_with(&running, "already ran the program");
    let mut inside = record("createContainer", 13);
    inside.view.bundle_seen = false;
    fails_with(&inside, "did not see the bundle");
    let mut bare = record("createContainer", 13);
    bare.view.own_mounts = vec!["/proc".into(), "/dev".into()];
    fails_with(&bare, "were not made yet");
}

#[test]
fn poststart_sees_the_program_and_poststop_its_end() {
    let mut before = record("poststart", 35);
    before.view.pid_args = Some(vec!["ocicheck-runtime".into()]);
    fails_with(&before, "was not running the program");
    let mut alive = record("poststop", 55);
    alive.view.pid_state = Some('S');
    fails_with(&alive, "still ran");
    let mut zombie = record("poststop", 55);
    zombie.view.pid_state = Some('Z');
    assert!(judge(&zombie).is_ok());
    let mut blind = record("poststop", 55);
    blind.view.pid = None;
    fails_with(&blind, "no container process to judge");
}
