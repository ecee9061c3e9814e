//! The hook judges, each on its own: that a hook ran, the order, the namespace, the state on
//! stdin; and the hook steps against the fake, which runs no hooks.

use serde_json::{json, Value};

use super::*;
use crate::case::HookLabel;
use crate::probe::HookRecord;
use crate::runner::hooks::{self, HookStateWant};

const RUNTIME_MNT: &str = "mnt:[1]";
const CONTAINER_MNT: &str = "mnt:[2]";
const BUNDLE: &str = "/run/b";
const PID: i64 = 4321;

fn label(s: &str) -> HookLabel {
    s.parse().expect("label") // ok: test code
}

/// The state a correct runtime gives a hook of this type.
fn state(name: &str) -> Value {
    let hook = label(name).hook;
    let status = hook.statuses()[0].to_string();
    let mut s = json!({
        "ociVersion": "1.3.0",
        "id": "c",
        "status": status,
        "bundle": BUNDLE,
        "annotations": {"a": "b"},
    });
    if status != "stopped" {
        s["pid"] = json!(if hook.in_container() { 1 } else { PID });
    }
    s
}

fn record(name: &str, t: u128) -> HookRecord {
    let mnt = if label(name).hook.in_container() {
        CONTAINER_MNT
    } else {
        RUNTIME_MNT
    };
    HookRecord {
        name: name.into(),
        time_ns: t,
        state: state(name),
        mnt_ns: mnt.into(),
        pid_ns: "pid:[1]".into(),
        view: crate::probe::HookView::default(),
    }
}

fn all() -> Vec<HookRecord> {
    [
        "prestart",
        "createRuntime",
        "createContainer",
        "startContainer",
        "poststart",
        "poststop",
    ]
    .iter()
    .enumerate()
    .map(|(i, n)| record(n, i as u128))
    .collect()
}

fn order() -> Vec<HookLabel> {
    all().iter().map(|r| label(&r.name)).collect()
}

fn fails_with(r: Result<(), Failure>, text: &str) {
    match r {
        Err(Failure::Fail(m)) => assert!(m.contains(text), "{m:?} lacks {text:?}"),
        other => panic!("expected a failure with {text:?}, got {other:?}"),
    }
}

#[test]
fn records_come_in_the_order_they_ran() {
    let log: String = all()
        .iter()
        .rev()
        .map(|r| serde_json::to_string(r).expect("json") + "\nnot a record\n") // ok: test code
        .collect();
    let names: Vec<String> = hooks::records(&log).into_iter().map(|r| r.name).collect();
    assert_eq!(names[0], "prestart");
    assert_eq!(names[5], "poststop");
}

#[test]
fn ran_needs_a_record_of_that_label() {
    let records = all();
    assert!(hooks::ran(1, &records, label("poststop")).is_ok());
    let without: Vec<HookRecord> = records
        .into_iter()
        .filter(|r| r.name != "poststop")
        .collect();
    fails_with(
        hooks::ran(3, &without, label("poststop")),
        "step 3: hook poststop did not run",
    );
    fails_with(
        hooks::ran(1, &all(), label("prestart-2")),
        "prestart-2 did not run",
    );
}

#[test]
fn order_judges_the_relative_order_of_what_ran() {
    assert!(hooks::order(1, &all(), &order()).is_ok());
    // A hook that did not run leaves the order of the others to judge.
    let some: Vec<HookRecord> = all().into_iter().filter(|r| r.name != "poststop").collect();
    assert!(hooks::order(1, &some, &order()).is_ok());
    // Swapped.
    let mut swapped = all();
    swapped[0].time_ns = 10;
    fails_with(
        hooks::order(1, &hooks::records(&log_of(&swapped)), &order()),
        "expected this order",
    );
    // Twice.
    let mut twice = all();
    twice.push(record("prestart", 20));
    fails_with(hooks::order(1, &twice, &order()), "hooks ran as");
    // Hooks the order does not list are not its business.
    assert!(hooks::order(1, &all(), &order()[..3]).is_ok());
    let late_start = [record("poststart", 1), record("startContainer", 2)];
    fails_with(
        hooks::order(1, &late_start, &order()[3..5]),
        "hooks ran as poststart, startContainer",
    );
    fails_with(hooks::order(1, &[], &order()), "none of");
}

fn log_of(records: &[HookRecord]) -> String {
    records
        .iter()
        .map(|r| serde_json::to_string(r).expect("json") + "\n") // ok: test code
        .collect()
}

#[test]
fn namespace_is_the_containers_for_create_and_start_container_only() {
    let records = all();
    for r in &records {
        assert!(hooks::namespace(1, &records, label(&r.name), RUNTIME_MNT).is_ok());
    }
    let mut wrong = all();
    wrong[2].mnt_ns = RUNTIME_MNT.into(); // createContainer in the runtime's
    wrong[5].mnt_ns = CONTAINER_MNT.into(); // poststop in another
    fails_with(
        hooks::namespace(1, &wrong, label("createContainer"), RUNTIME_MNT),
        "expected the container's",
    );
    fails_with(
        hooks::namespace(1, &wrong, label("poststop"), RUNTIME_MNT),
        "expected the runtime's",
    );
    fails_with(
        hooks::namespace(1, &[], label("poststop"), RUNTIME_MNT),
        "did not run",
    );
    // A hook that could not read /proc/self (run from outside the pid namespace of the /proc
    // it sees) is in no namespace the judge can accept, container's or runtime's.
    let mut blind = all();
    blind[3].mnt_ns = String::new();
    fails_with(
        hooks::namespace(1, &blind, label("startContainer"), RUNTIME_MNT),
        "could not tell its mount namespace",
    );
}

fn want(annotations: Option<&Value>) -> HookStateWant<'_> {
    HookStateWant {
        id: "c",
        bundle: Path::new(BUNDLE),
        annotations,
        pid: Some(PID),
        version: SpecVersion::LATEST,
    }
}

#[test]
fn the_state_on_stdin_is_whole_and_of_the_hooks_phase() {
    let annotations = json!({"a": "b"});
    assert!(hooks::states(1, &all(), &want(Some(&annotations))).is_ok());
    let broken = |f: &dyn Fn(&mut HookRecord), text: &str| {
        let mut records = all();
        for r in &mut records {
            f(r);
        }
        fails_with(hooks::states(1, &records, &want(Some(&annotations))), text);
    };
    // Only the id, as a runtime that truncates the state would give.
    broken(&|r| r.state = json!({"id": "c"}), "state schema");
    broken(&|r| r.state = Value::Null, "no JSON state on stdin");
    broken(&|r| r.state["id"] = json!("other"), "id is \"other\"");
    broken(&|r| r.state["bundle"] = json!("/elsewhere"), "bundle is");
    broken(
        &|r| r.state["status"] = json!("running"),
        "prestart: status is \"running\", expected creating",
    );
    broken(
        &|r| {
            if r.name == "poststart" {
                r.state["pid"] = json!(PID + 1);
            }
        },
        "poststart: pid is 4322, the container process is 4321",
    );
    broken(
        &|r| {
            if let Some(s) = r.state.as_object_mut() {
                s.remove("annotations");
            }
        },
        "annotations are null",
    );
    fails_with(
        hooks::states(1, &[], &want(None)),
        "no hook ran: no state to judge",
    );
    // A startContainer hook must be told the pid of the created container.
    let mut records = all();
    if let Some(s) = records[3].state.as_object_mut() {
        s.remove("pid");
    }
    fails_with(hooks::states(1, &records, &want(None)), "startContainer");
    // poststart may see the program already stopped; in the container's namespace the pid is
    // the container's own view.
    let mut records = all();
    records[4].state["status"] = json!("stopped");
    assert!(hooks::states(1, &records, &want(Some(&annotations))).is_ok());
}

#[test]
fn every_hook_step_is_judged_and_the_case_goes_on_past_a_failing_one() {
    let bench = Bench::new();
    let fake = FakeRuntime::new();
    // The fake runs no hooks: each judging step fails on its own; the delete still runs.
    let body = "[[step]]\nrun = \"create\"\n\
        [[step]]\nrun = \"hook-ran\"\nhook = \"prestart\"\nrequirements = [\"runtime.hooks.prestart.invoked\"]\n\
        [[step]]\nrun = \"hook-ran\"\nhook = \"poststop\"\nrequirements = [\"runtime.hooks.poststop.invoked\"]\n\
        [[step]]\nrun = \"hook-order\"\norder = [\"prestart\", \"poststop\"]\nrequirements = [\"config.hooks.order\"]\n\
        [[step]]\nrun = \"hook-namespace\"\nhook = \"poststop\"\nrequirements = [\"config.hooks.poststop.runtime-namespace\"]\n\
        [[step]]\nrun = \"hook-state\"\nrequirements = [\"config.hooks.state-on-stdin\"]\n\
        [[step]]\nrun = \"delete\"\nforce = true\nrequirements = [\"runtime.delete.resources-removed\"]\n";
    let r = bench.run_one(&fake, &case("t.hooks", body));
    assert_outcome(&r, Outcome::Fail, "step 2: hook prestart did not run");
    for text in [
        "step 3: hook poststop did not run",
        "step 4: none of prestart, poststop ran",
        "step 5: hook poststop did not run: its namespace is unknown",
        "step 6: no hook ran: no state to judge",
    ] {
        assert!(r.reason.contains(text), "{text:?} missing from {r:?}");
    }
    let verdict = |id: &str| {
        r.verdicts
            .iter()
            .find(|v| v.requirement == id)
            .map(|v| v.outcome)
    };
    assert_eq!(
        verdict("runtime.hooks.poststop.invoked"),
        Some(Outcome::Fail)
    );
    assert_eq!(verdict("config.hooks.state-on-stdin"), Some(Outcome::Fail));
    assert_eq!(
        verdict("runtime.delete.resources-removed"),
        Some(Outcome::Pass)
    );
    assert!(
        fake.calls()
            .iter()
            .any(|c| c.op == Op::Delete && c.detail.is_some()),
        "the delete step ran"
    );
    assert_eq!(fake.live_containers(), 0);
    bench.assert_clean();
}

#[test]
fn an_operation_failing_after_a_failed_judgement_fails_the_case_with_both() {
    let bench = Bench::new();
    let fake = FakeRuntime::new().always(Op::Delete, Behaviour::Hang);
    let body = "[[step]]\nrun = \"create\"\n\
        [[step]]\nrun = \"hook-ran\"\nhook = \"prestart\"\n\
        [[step]]\nrun = \"delete\"\nforce = true\n";
    let r = bench.run_one(&fake, &case("t.hooks-then-hang", body));
    assert_outcome(&r, Outcome::Fail, "step 2: hook prestart did not run");
    assert!(r.reason.contains("step 3 (delete)"), "{r:?}");
}
