//! Runtimes that fail, hang, overrun, crash, print garbage or report a wrong state, and a panic
//! inside a case: each gives the right outcome and the case is still cleaned up.

use super::*;

#[test]
fn a_failing_operation_fails_the_case_with_its_stderr() {
    let bench = Bench::new();
    let fake = FakeRuntime::new().always(
        Op::Start,
        Behaviour::Fail {
            code: 3,
            stderr: "cannot start: no such thing".into(),
        },
    );
    let r = bench.run_one(&fake, &case("t.fails", HOSTNAME));
    assert_outcome(
        &r,
        Outcome::Fail,
        "step 2 (start): expected success, but `fake start` exited 3: cannot start: no such thing",
    );
    assert_eq!(
        fake.live_containers(),
        0,
        "cleanup deleted the created container"
    );
    bench.assert_clean();
}

#[test]
fn a_hanging_operation_is_an_error_and_the_case_is_still_cleaned_up() {
    let bench = Bench::new();
    let fake = FakeRuntime::new()
        .reporting(observation("ocicheck"))
        .once(Op::Start, Behaviour::Hang);
    let r = bench.run_one(&fake, &case("t.hang", HOSTNAME));
    assert_outcome(&r, Outcome::Error, "step 2 (start): `fake start` timed out");
    assert!(r.duration_ms >= 300, "waited for the deadline: {r:?}");
    assert_eq!(
        fake.calls().last().map(|c| (c.op, c.detail.clone())),
        Some((Op::Delete, Some("--force".into())))
    );
    assert_eq!(fake.live_containers(), 0);
    bench.assert_clean();
}

#[test]
fn an_operation_that_overruns_its_deadline_counts_as_timed_out() {
    let bench = Bench::new();
    // An implementation that ignores the deadline and reports success a second later.
    let fake = FakeRuntime::new().once(Op::Create, Behaviour::Overrun(Duration::from_secs(1)));
    let r = bench.run_one(&fake, &case("t.overrun", HOSTNAME));
    assert_outcome(
        &r,
        Outcome::Error,
        "step 1 (create): `fake create` timed out",
    );
    assert_eq!(fake.live_containers(), 0);
}

#[test]
fn a_crashing_operation_fails_the_case() {
    let bench = Bench::new();
    let fake = FakeRuntime::new().once(Op::Create, Behaviour::Crash(11));
    let r = bench.run_one(&fake, &case("t.crash", HOSTNAME));
    assert_outcome(&r, Outcome::Fail, "`fake create` was killed by signal 11");
    // A create that crashed may have left a container: cleanup deletes it by force.
    assert_eq!(
        ops(&fake.calls()),
        [(Op::Create, None), (Op::Delete, Some("--force".into()))]
    );
    bench.assert_clean();
}

#[test]
fn garbage_state_output_is_an_error_not_a_failure() {
    let bench = Bench::new();
    let fake = FakeRuntime::new().always(Op::State, Behaviour::Print("\u{1}garbage{".into()));
    let body = "[[step]]\nrun = \"create\"\n[[step]]\nrun = \"state\"\nstatus = \"created\"\n";
    let r = bench.run_one(&fake, &case("t.garbage", body));
    assert_outcome(
        &r,
        Outcome::Error,
        "step 2: `fake state` printed no JSON state",
    );
    assert_eq!(fake.live_containers(), 0);
    bench.assert_clean();
}

#[test]
fn a_wrong_state_fails_the_case() {
    let bench = Bench::new();
    let body = "[[step]]\nrun = \"create\"\n[[step]]\nrun = \"state\"\nstatus = \"created\"\n";
    let wrong = |state: &str| FakeRuntime::new().always(Op::State, Behaviour::Print(state.into()));
    // Another container's id.
    let fake =
        wrong(r#"{"ociVersion":"1.3.0","id":"other","status":"created","pid":1,"bundle":"/b"}"#);
    assert_outcome(
        &bench.run_one(&fake, &case("t.id", body)),
        Outcome::Fail,
        "state id is \"other\"",
    );
    // Not valid by the state schema (no status).
    let fake = wrong(r#"{"ociVersion":"1.3.0","id":"x","pid":1,"bundle":"/b"}"#);
    assert_outcome(
        &bench.run_one(&fake, &case("t.schema", body)),
        Outcome::Fail,
        "state does not follow the state schema",
    );
    // The wrong status, through a runtime whose start does nothing.
    let fake = FakeRuntime::new().always(Op::Start, Behaviour::Noop);
    let body = "then = \"sleep\"\n[[step]]\nrun = \"create\"\n[[step]]\nrun = \"start\"\n[[step]]\nrun = \"state\"\nstatus = \"running\"\n";
    assert_outcome(
        &bench.run_one(&fake, &case("t.status", body)),
        Outcome::Fail,
        "step 3: status is \"created\", expected \"running\"",
    );
    bench.assert_clean();
}

#[test]
fn a_panic_inside_a_case_is_an_error_and_still_cleaned_up() {
    let bench = Bench::new();
    let fake = FakeRuntime::new().once(Op::Start, Behaviour::Panic);
    let r = bench.run_one(&fake, &case("t.panic", HOSTNAME));
    assert_outcome(
        &r,
        Outcome::Error,
        "the case panicked: the fake runtime was scripted to panic",
    );
    assert_eq!(fake.live_containers(), 0);
    bench.assert_clean();
}
