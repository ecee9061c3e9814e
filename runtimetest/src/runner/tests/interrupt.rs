//! An interrupted run: no case starts after the interrupt, a case under way (in a hanging
//! runtime invocation, or in a wait) stops promptly and is torn down, and only the cases that
//! finished are reported.

use std::time::Instant;

use super::*;

/// A case that waits for a status the fake never reports (its container keeps running).
const WAITS: &str = "then = \"sleep\"\n[[step]]\nrun = \"create\"\nrequirements = [\"runtime.operations.supported\"]\n[[step]]\nrun = \"start\"\n[[step]]\nrun = \"wait\"\nstatus = \"stopped\"\n";

/// Runs `cases` with a long timeout, raising the interrupt after `after`; returns the results
/// and how long the run took after the interrupt.
fn interrupted(
    bench: &mut Bench,
    fake: &FakeRuntime,
    cases: &[Case],
    after: Duration,
) -> (Vec<CaseResult>, Duration) {
    bench.cfg.timeout = Duration::from_secs(30);
    let interrupt = bench.cfg.interrupt.clone();
    let raised = std::thread::spawn(move || {
        std::thread::sleep(after);
        interrupt.raise(15);
        Instant::now()
    });
    let results = bench.run(fake, cases);
    let ended = Instant::now();
    let raised = raised.join().expect("the raising thread"); // ok: test code
    (results, ended.saturating_duration_since(raised))
}

#[test]
fn a_case_in_a_wait_stops_promptly_and_later_cases_do_not_start() {
    let mut bench = Bench::new();
    let fake = FakeRuntime::new().reporting(observation("ocicheck"));
    let cases = [
        case("a.quick", HOSTNAME),
        case("b.waits", WAITS),
        case("c.never", HOSTNAME),
    ];
    let (results, took) = interrupted(&mut bench, &fake, &cases, Duration::from_millis(500));
    assert!(
        took < Duration::from_secs(2),
        "the run took {took:?} to stop"
    );
    let ids: Vec<&str> = results.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["a.quick"], "{results:?}");
    assert_eq!(bench.cfg.interrupt.signal(), Some(15));
    // c.never did not start: only a.quick's and b.waits' containers were created.
    let creates = fake.calls().iter().filter(|c| c.op == Op::Create).count();
    assert_eq!(creates, 2);
    assert_eq!(
        fake.live_containers(),
        0,
        "the waiting case's container was deleted"
    );
    bench.assert_clean();
}

#[test]
fn a_hanging_runtime_invocation_is_cut_short() {
    let mut bench = Bench::new();
    let fake = FakeRuntime::new()
        .reporting(observation("ocicheck"))
        .always(Op::Start, Behaviour::Hang);
    let (results, took) = interrupted(
        &mut bench,
        &fake,
        &[case("a.hangs", HOSTNAME)],
        Duration::from_millis(300),
    );
    assert!(
        took < Duration::from_secs(2),
        "the run took {took:?} to stop"
    );
    assert!(results.is_empty(), "{results:?}");
    assert_eq!(fake.live_containers(), 0);
    bench.assert_clean();
}

#[test]
fn a_second_interrupt_cuts_teardown_short() {
    let mut bench = Bench::new();
    // The runtime hangs in start and in the teardown's delete.
    let fake = FakeRuntime::new()
        .reporting(observation("ocicheck"))
        .always(Op::Start, Behaviour::Hang)
        .always(Op::Delete, Behaviour::Hang);
    let interrupt = bench.cfg.interrupt.clone();
    let twice = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        interrupt.raise(15);
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(interrupt.raise(15), 2);
        Instant::now()
    });
    bench.cfg.timeout = Duration::from_secs(30);
    let results = bench.run(&fake, &[case("a.hangs", HOSTNAME)]);
    let took = Instant::now().saturating_duration_since(twice.join().expect("thread")); // ok: test code
    assert!(
        took < Duration::from_secs(2),
        "the run took {took:?} to stop"
    );
    assert!(results.is_empty(), "{results:?}");
    assert!(bench.cfg.interrupt.aborting());
    bench.assert_clean();
}
