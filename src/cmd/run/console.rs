//! What `ocicheck run` shows on standard error while the suite runs, as cargo-nextest does.
//!
//! - On a terminal ([`Mode::Live`]): a status line with the elapsed time, how many cases are
//!   done and which are running (a slow one with its time so far); each failure and error is
//!   printed once, above it, as it happens.
//! - Otherwise ([`Mode::Lines`], a CI log): a line per finished case with its outcome and
//!   duration (`    PASS [   0.123s] linux.hostname`, a reason after a colon), and a `SLOW` line
//!   for a case still running after the slow threshold.
//!
//! The console only renders; the runner reports through [`Progress`].

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ocicheck_results::{CaseResult, Outcome};
use ocicheck_runtimetest::baseline::Baseline;
use ocicheck_runtimetest::{Case, Progress};

/// A case running longer than this is flagged `SLOW` (`--slow` changes it).
pub const DEFAULT_SLOW: Duration = Duration::from_secs(2);

/// How often the status line is redrawn and running cases are checked for slowness.
const TICK: Duration = Duration::from_millis(100);

/// Where the console writes, and so how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Standard error is a terminal: a live status line, failures printed above it.
    Live,
    /// Standard error is a file or a pipe: one line per finished case.
    Lines,
}

/// Colours of outcomes, or none.
#[derive(Clone, Copy, Debug)]
pub struct Paint {
    pub on: bool,
}

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RESET: &str = "\x1b[0m";

impl Paint {
    /// `text` in the colour of `outcome`: FAIL and ERROR red, PASS green, SKIP and XFAIL yellow.
    pub fn outcome(self, outcome: Outcome, text: &str) -> String {
        let colour = match outcome {
            Outcome::Fail | Outcome::Error => RED,
            Outcome::Pass => GREEN,
            Outcome::Skip | Outcome::Xfail => YELLOW,
        };
        self.with(colour, text)
    }

    /// `text` flagged as slow (yellow).
    pub fn slow(self, text: &str) -> String {
        self.with(YELLOW, text)
    }

    fn with(self, colour: &str, text: &str) -> String {
        if self.on {
            format!("{colour}{text}{RESET}")
        } else {
            text.to_string()
        }
    }
}

/// A finished case's line: `    FAIL [   0.456s] linux.personality: <reason>`.
pub fn case_line(r: &CaseResult, paint: Paint, slow: Duration) -> String {
    let status = paint.outcome(
        r.outcome,
        &format!("{:>8}", r.outcome.as_str().to_uppercase()),
    );
    let took = Duration::from_millis(r.duration_ms);
    let mut time = format!("[{:>8.3}s]", took.as_secs_f64());
    if took >= slow {
        time = paint.slow(&time);
    }
    let mut line = format!("{status} {time} {}", r.id);
    if r.outcome != Outcome::Pass && !r.reason.is_empty() {
        line.push_str(": ");
        line.push_str(&r.reason);
    }
    line
}

/// The line of a case still running after the slow threshold: `    SLOW [>  2.000s] linux.x`.
pub fn slow_line(id: &str, paint: Paint, slow: Duration) -> String {
    format!(
        "{} [>{:>7.3}s] {id}",
        paint.slow(&format!("{:>8}", "SLOW")),
        slow.as_secs_f64()
    )
}

/// A case being run.
struct Running {
    id: String,
    since: Instant,
    /// Already flagged slow (a `SLOW` line printed).
    flagged: bool,
}

struct Shared {
    mode: Mode,
    paint: Paint,
    slow: Duration,
    baseline: Baseline,
    bar: Option<indicatif::ProgressBar>,
    running: Mutex<Vec<Running>>,
}

impl Shared {
    /// On the status line: the running cases, slow ones with their time so far.
    fn status(&self, running: &[Running]) -> String {
        let now = Instant::now();
        let names: Vec<String> = running
            .iter()
            .map(|r| {
                let took = now.duration_since(r.since);
                if took >= self.slow {
                    self.paint
                        .slow(&format!("{} ({:.0}s)", r.id, took.as_secs_f64()))
                } else {
                    r.id.clone()
                }
            })
            .collect();
        names.join(", ")
    }

    /// Every tick: refresh the status line, or flag the cases that just became slow.
    fn tick(&self) {
        let Ok(mut running) = self.running.lock() else {
            return;
        };
        match &self.bar {
            Some(bar) => bar.set_message(self.status(&running)),
            None => {
                for r in running.iter_mut() {
                    if !r.flagged && r.since.elapsed() >= self.slow {
                        r.flagged = true;
                        eprintln!("{}", slow_line(&r.id, self.paint, self.slow));
                    }
                }
            }
        }
    }
}

/// The console of one run; [`Console::finish`] ends it.
pub struct Console {
    shared: Arc<Shared>,
    ticker: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
}

impl Console {
    /// Starts the console of a run of `total` cases. `baseline` turns known failures into
    /// xfail before they are shown.
    pub fn start(
        mode: Mode,
        paint: Paint,
        slow: Duration,
        total: usize,
        baseline: Baseline,
    ) -> Self {
        let bar = (mode == Mode::Live).then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(total as u64),
                indicatif::ProgressDrawTarget::stderr(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "Running [{elapsed_precise}] {bar:25} {pos}/{len}: {wide_msg}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        // A terminal indicatif will not draw on (TERM=dumb) gets the lines of a log, so that
        // failures are still shown as they happen.
        let bar = bar.filter(|b| !b.is_hidden());
        let mode = if bar.is_some() {
            Mode::Live
        } else {
            Mode::Lines
        };
        let shared = Arc::new(Shared {
            mode,
            paint,
            slow,
            baseline,
            bar,
            running: Mutex::new(Vec::new()),
        });
        let (stop, stopped) = mpsc::channel::<()>();
        let ticking = Arc::clone(&shared);
        let handle = std::thread::Builder::new()
            .name("console".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
                    ticking.tick();
                }
            });
        // Without the thread, the status line is drawn on events only and nothing is
        // flagged slow while it runs; the run itself is not affected.
        let ticker = handle.ok().map(|h| (stop, h));
        Console { shared, ticker }
    }

    /// Ends the console: stops the ticker and clears the status line.
    pub fn finish(mut self) {
        if let Some((stop, handle)) = self.ticker.take() {
            drop(stop);
            let _ = handle.join();
        }
        if let Some(bar) = &self.shared.bar {
            bar.finish_and_clear();
        }
    }

    /// Whether failures were shown as they happened (on the terminal the summary need not
    /// repeat them).
    pub fn showed_failures(&self) -> bool {
        self.shared.mode == Mode::Live
    }
}

impl Progress for Console {
    fn started(&self, case: &Case) {
        if let Ok(mut running) = self.shared.running.lock() {
            running.push(Running {
                id: case.id.clone(),
                since: Instant::now(),
                flagged: false,
            });
            if let Some(bar) = &self.shared.bar {
                bar.set_message(self.shared.status(&running));
            }
        }
    }

    fn finished(&self, result: &CaseResult) {
        let mut r = result.clone();
        self.shared.baseline.apply(std::slice::from_mut(&mut r));
        let s = &self.shared;
        if let Ok(mut running) = s.running.lock() {
            running.retain(|x| x.id != r.id);
            if let Some(bar) = &s.bar {
                bar.set_message(s.status(&running));
            }
        }
        let line = case_line(&r, s.paint, s.slow);
        match &s.bar {
            Some(bar) => {
                if matches!(r.outcome, Outcome::Fail | Outcome::Error) {
                    bar.println(line);
                }
                bar.inc(1);
            }
            None => eprintln!("{line}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, outcome: Outcome, reason: &str, duration_ms: u64) -> CaseResult {
        CaseResult {
            id: id.into(),
            requirements: Vec::new(),
            outcome,
            verdicts: Vec::new(),
            reason: reason.into(),
            duration_ms,
            baseline: None,
            xpass: false,
        }
    }

    #[test]
    fn lines_show_outcome_duration_id_and_reason() {
        let plain = Paint { on: false };
        let lines = [
            case_line(
                &result("linux.hostname", Outcome::Pass, "", 123),
                plain,
                DEFAULT_SLOW,
            ),
            case_line(
                &result(
                    "linux.personality",
                    Outcome::Fail,
                    "personality domain: expected LINUX32, observed LINUX",
                    1456,
                ),
                plain,
                DEFAULT_SLOW,
            ),
            case_line(
                &result(
                    "linux.time",
                    Outcome::Skip,
                    "kernel has no time namespace",
                    0,
                ),
                plain,
                DEFAULT_SLOW,
            ),
            case_line(
                &result(
                    "linux.domainname",
                    Outcome::Xfail,
                    "domainname: expected \"x\"",
                    20,
                ),
                plain,
                DEFAULT_SLOW,
            ),
            case_line(
                &result(
                    "linux.big",
                    Outcome::Error,
                    "step 2 (start) timed out",
                    12_345,
                ),
                plain,
                DEFAULT_SLOW,
            ),
            slow_line("linux.big", plain, DEFAULT_SLOW),
        ];
        insta::assert_snapshot!(lines.join("\n"));
    }

    #[test]
    fn colour_marks_outcomes_and_slow_times_only_when_on() {
        let on = Paint { on: true };
        let fail = case_line(&result("a", Outcome::Fail, "why", 3_000), on, DEFAULT_SLOW);
        assert!(
            fail.starts_with("\x1b[31m    FAIL\x1b[0m \x1b[33m[   3.000s]\x1b[0m a: why"),
            "{fail:?}"
        );
        let pass = case_line(&result("a", Outcome::Pass, "", 1), on, DEFAULT_SLOW);
        assert!(
            pass.starts_with("\x1b[32m    PASS\x1b[0m [   0.001s] a"),
            "{pass:?}"
        );
        let off = case_line(
            &result("a", Outcome::Fail, "why", 3_000),
            Paint { on: false },
            DEFAULT_SLOW,
        );
        assert!(!off.contains('\x1b'), "{off:?}");
    }
}
