//! SIGINT and SIGTERM during `ocicheck run`. The handler only counts (async-signal-safe); a
//! thread forwards each signal to the run's [`Interrupt`]: the first stops the run (the cases
//! under way are torn down, the finished ones reported), the second aborts it, and if the run
//! has still not ended [`ABORT_GRACE`] later, everything of it is killed and removed and the
//! process exits. Handlers are reset by exec, so the runtimes the run starts are not affected.

use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
use ocicheck_results::exit_codes::OcicheckExitCode;
use ocicheck_runtimetest::runner::interrupt::Interrupt;

/// The signals that stop a run.
const STOPPING: [Signal; 2] = [Signal::SIGINT, Signal::SIGTERM];
/// How often the forwarding thread looks for a new signal.
const POLL: Duration = Duration::from_millis(10);
/// How long an aborted run may take to end on its own before it is killed.
const ABORT_GRACE: Duration = Duration::from_secs(2);

/// The first signal received (0: none).
static FIRST: AtomicI32 = AtomicI32::new(0);
/// How many have been received.
static COUNT: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_signal(signal: nix::libc::c_int) {
    // Atomics only: nothing else is safe in a signal handler.
    let _ = FIRST.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
    COUNT.fetch_add(1, Ordering::SeqCst);
}

/// A signal's name for messages and results: `SIGTERM`.
pub fn name(signal: i32) -> String {
    Signal::try_from(signal).map_or_else(|_| format!("signal {signal}"), |s| s.as_str().into())
}

/// From now on, SIGINT and SIGTERM raise `interrupt` instead of ending the process.
pub fn forward_to(interrupt: Interrupt) -> Result<()> {
    let action = SigAction::new(
        SigHandler::Handler(on_signal),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for signal in STOPPING {
        // SAFETY: the handler only touches atomics, which is async-signal-safe.
        unsafe { sigaction(signal, &action) }.with_context(|| format!("cannot handle {signal}"))?;
    }
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || forward(&interrupt))
        .context("cannot start the signal thread")?;
    Ok(())
}

/// Raises `interrupt` once per signal received, for the life of the process.
fn forward(interrupt: &Interrupt) {
    let mut seen = 0;
    loop {
        std::thread::sleep(POLL);
        let count = COUNT.load(Ordering::SeqCst);
        while seen < count {
            seen += 1;
            let first = FIRST.load(Ordering::SeqCst);
            if interrupt.raise(first) == 1 {
                eprintln!(
                    "ocicheck: {}: stopping; the cases under way are torn down (send it again \
                     to stop at once)",
                    name(first)
                );
            } else if seen == 2 {
                eprintln!("ocicheck: stopping at once");
                let interrupt = interrupt.clone();
                let _ = std::thread::Builder::new()
                    .name("abort".into())
                    .spawn(move || last_resort(&interrupt, first));
            }
        }
    }
}

/// Ends a run that does not end by itself soon after the second signal: kills and removes
/// what it has on the host and exits 128 + the first signal. A run whose cases have all
/// ended is left to write its results.
fn last_resort(interrupt: &Interrupt, first: i32) {
    std::thread::sleep(ABORT_GRACE);
    if !interrupt.kill_everything() {
        return;
    }
    eprintln!(
        "ocicheck: interrupted by {}: killed the run's containers; no results written",
        name(first)
    );
    std::process::exit(OcicheckExitCode::interrupted(first).into());
}
