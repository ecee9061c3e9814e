//! JUnit XML of runs (`ocicheck run --format junit`, `ocicheck report -o x.xml`, `junit.xml`
//! of `--report DIR`), written to satisfy the strictest common readers: the Windy Road
//! `JUnit.xsd` and Jenkins xunit's `junit-10.xsd` (see `tests/data/junit.xsd`).
//!
//! One `<testsuite>` per run, with the run's start (UTC, without a zone: the schema allows
//! none) and host; a `<testcase>` per case, its classname the case group
//! ([`case_group`]). Neither schema allows properties on a test case, so the requirements a
//! case decides are properties of its suite, one per requirement (`requirement:<case>`), and
//! the per-requirement verdicts are in the text of a failure, error or xfail.

use std::fmt::Write;
use std::time::Duration;

use ocicheck_results::{CaseResult, Outcome, RunResults};

/// The classname of a case: its group, the id up to the last dot (`linux.resources` for
/// `linux.resources.memory`); an id without a dot is its own group.
pub fn case_group(id: &str) -> &str {
    id.rsplit_once('.').map_or(id, |(group, _)| group)
}

/// JUnit XML of one run: one test suite, one test case per case.
pub fn junit(run: &RunResults) -> String {
    document(&[(format!("ocicheck run {}", run.runtime.path), run)])
}

/// JUnit XML of several runs, one test suite each, named `ocicheck run <label>`.
pub(crate) fn junit_runs(runs: &[RunResults]) -> String {
    let suites: Vec<(String, &RunResults)> = crate::model::labels(runs)
        .into_iter()
        .map(|label| format!("ocicheck run {label}"))
        .zip(runs)
        .collect();
    document(&suites)
}

fn document(suites: &[(String, &RunResults)]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for (id, (name, run)) in suites.iter().enumerate() {
        // An interrupted run shows one more, erroring, test case that says so.
        suite(&mut out, id, name, &crate::interrupted::for_junit(run));
    }
    out.push_str("</testsuites>\n");
    out
}

/// `2026-12-01T09:30:00Z` → `2026-12-01T09:30:00`; None when it is not an RFC 3339 time in
/// UTC (reading a result file refuses such a start).
fn junit_timestamp(started: &str) -> Option<String> {
    let t = crate::start_time(started).ok()?;
    let utc = humantime::format_rfc3339_seconds(t).to_string();
    Some(utc.trim_end_matches('Z').to_string())
}

fn seconds(d: Duration) -> String {
    format!("{}.{:03}", d.as_secs(), d.subsec_millis())
}

fn suite(out: &mut String, id: usize, name: &str, run: &RunResults) {
    let t = &run.summary;
    let time: Duration = run
        .cases
        .iter()
        .map(|c| Duration::from_millis(c.duration_ms))
        .sum();
    let _ = write!(
        out,
        "    <testsuite name=\"{}\" package=\"ocicheck\" id=\"{id}\"",
        attr(name)
    );
    if let Some(ts) = run.started.as_deref().and_then(junit_timestamp) {
        let _ = write!(out, " timestamp=\"{ts}\"");
    }
    // The schema's advice when the host cannot be determined.
    let host = run.hostname.as_deref().filter(|h| !h.trim().is_empty());
    let _ = writeln!(
        out,
        " hostname=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\">",
        attr(host.unwrap_or("localhost")),
        t.total(),
        t.fail,
        t.error,
        t.skip + t.xfail,
        seconds(time)
    );
    out.push_str("        <properties>\n");
    let mut property = |name: &str, value: &str| {
        let _ = writeln!(
            out,
            "            <property name=\"{}\" value=\"{}\"/>",
            attr(name),
            attr(value)
        );
    };
    property("runtime.path", &run.runtime.path);
    property("runtime.version", &run.runtime.version);
    property("spec_version", &run.spec_version);
    if let Some(s) = &run.suite {
        property("ocicheck.version", &s.version);
        property("ocicheck.cases_digest", &s.cases_digest);
    }
    for c in &run.cases {
        for r in &c.requirements {
            property(&format!("requirement:{}", c.id), r);
        }
        // Listed in the baseline but passed: a suite property, as a test case may carry none.
        if c.xpass {
            property(
                &format!("xpass:{}", c.id),
                c.baseline.as_deref().unwrap_or_default(),
            );
        }
    }
    out.push_str("        </properties>\n");
    for c in &run.cases {
        case(out, c);
    }
    out.push_str("        <system-out/>\n        <system-err/>\n    </testsuite>\n");
}

fn case(out: &mut String, c: &CaseResult) {
    let _ = write!(
        out,
        "        <testcase name=\"{}\" classname=\"{}\" time=\"{}\"",
        attr(&c.id),
        attr(case_group(&c.id)),
        seconds(Duration::from_millis(c.duration_ms))
    );
    let (tag, type_, message) = match c.outcome {
        Outcome::Pass => {
            out.push_str("/>\n");
            return;
        }
        Outcome::Skip => ("skipped", None, c.reason.clone()),
        Outcome::Xfail => (
            "skipped",
            None,
            format!("xfail: {}", c.baseline.as_deref().unwrap_or_default()),
        ),
        Outcome::Fail => ("failure", Some("fail"), c.reason.clone()),
        Outcome::Error => ("error", Some("error"), c.reason.clone()),
    };
    out.push_str(">\n            <");
    out.push_str(tag);
    if let Some(t) = type_ {
        let _ = write!(out, " type=\"{t}\"");
    }
    let _ = write!(out, " message=\"{}\"", attr(&message));
    let body = details(c);
    if body.is_empty() {
        out.push_str("/>\n");
    } else {
        let _ = writeln!(out, ">{}</{tag}>", text(&body));
    }
    out.push_str("        </testcase>\n");
}

/// The text of a failure, error or xfail: the reason, then each requirement's verdict and the
/// assertion that decided it. Empty for a skip.
fn details(c: &CaseResult) -> String {
    if c.outcome == Outcome::Skip {
        return String::new();
    }
    let mut s = c.reason.clone();
    s.push('\n');
    for v in c.verdicts() {
        let _ = write!(s, "\n{}: {}", v.requirement, v.outcome.as_str());
        if !v.assertion.is_empty() {
            let _ = write!(s, " ({})", v.assertion);
        }
    }
    s.push('\n');
    s
}

/// Whether XML 1.0 allows `c` at all (escaped or not).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Escapes for element content; characters XML cannot carry are written as `\xNN`.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if !xml_char(c) => {
                let _ = write!(out, "\\x{:02X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// Escapes for an attribute value, keeping line breaks and tabs (which parsers would otherwise
/// turn into spaces).
fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in text(s).chars() {
        match c {
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_xml_cannot_carry() {
        assert_eq!(text("a <b> & \u{1b}[0m"), "a &lt;b&gt; &amp; \\x1B[0m");
        assert_eq!(attr("\"x\"\n\ty"), "&quot;x&quot;&#10;&#9;y");
        assert_eq!(text("\u{FFFE}é"), "\\xFFFEé");
    }

    #[test]
    fn timestamps_are_utc_without_a_zone() {
        assert_eq!(
            junit_timestamp("2026-12-01T09:30:00Z").as_deref(),
            Some("2026-12-01T09:30:00")
        );
        assert_eq!(
            junit_timestamp("2026-12-01T09:30:00.250Z").as_deref(),
            Some("2026-12-01T09:30:00")
        );
        assert_eq!(junit_timestamp("yesterday"), None);
    }
}
