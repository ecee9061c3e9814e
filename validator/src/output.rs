//! Rendering validation results: human (rustc-style), JSON (stable, documented) and SARIF 2.1.0.

use std::collections::{BTreeMap, HashMap};

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use ocicheck_results::{
    BundleResult, Finding, Level as FindingLevel, Unreadable, ValidateResults, ValidateSummary,
};

use crate::{BundleReport, InputError, Severity};

/// A whole validation run: what was judged and what could not be read.
#[derive(Debug, Default)]
pub struct Run {
    pub bundles: Vec<BundleReport>,
    pub unreadable: Vec<InputError>,
}

impl Run {
    pub fn summary(&self) -> ValidateSummary {
        let mut s = ValidateSummary::default();
        for b in &self.bundles {
            s.add_bundle(b.valid, b.errors(), b.warnings());
        }
        s
    }

    /// The run in the result format of `--format json`.
    pub fn to_results(&self) -> ValidateResults {
        ValidateResults::new(
            self.bundles.iter().map(bundle_result).collect(),
            self.unreadable
                .iter()
                .map(|e| match e {
                    InputError::Io { path, source } => Unreadable {
                        path: path.display().to_string(),
                        error: source.to_string(),
                    },
                    InputError::Walk { path, message } => Unreadable {
                        path: path.display().to_string(),
                        error: message.clone(),
                    },
                })
                .collect(),
        )
    }
}

fn bundle_result(b: &BundleReport) -> BundleResult {
    BundleResult {
        path: b.path.display().to_string(),
        spec_version: b.spec_version.to_string(),
        valid: b.valid,
        diagnostics: b
            .diagnostics
            .iter()
            .map(|d| Finding {
                requirement: d.requirement.clone(),
                level: d.level,
                severity: d.severity,
                pointer: d.pointer.clone(),
                line: d.line,
                column: d.column,
                message: d.message.clone(),
                spec_url: d.spec_url.clone(),
            })
            .collect(),
    }
}

/// `--format json` ([`ValidateResults`]; README, "JSON output (stable)").
pub fn json(run: &Run) -> String {
    run.to_results().to_json()
}

/// Human output: one rustc-style block per finding, one summary line per bundle.
pub fn human(run: &Run, color: bool, verbose_valid: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for b in &run.bundles {
        let mut lines = b.source.as_deref().map(SourceLines::new);
        let path = b.config_path.display().to_string();
        for d in &b.diagnostics {
            let level = match d.severity {
                Severity::Error => Level::ERROR,
                Severity::Warning => Level::WARNING,
            };
            let title = level
                .primary_title(d.message.as_str())
                .id(d.requirement.as_str());
            let excerpt = match (&mut lines, d.line, d.column) {
                (Some(lines), Some(line), Some(col)) => lines.excerpt(line, col),
                _ => None,
            };
            let mut group = match excerpt {
                Some(ex) => {
                    let label = if d.level == FindingLevel::Note {
                        String::new()
                    } else {
                        format!("{} {}", d.level, pointer_label(&d.pointer))
                    };
                    Group::with_title(title).element(
                        Snippet::source(ex.text)
                            .line_start(ex.line)
                            .path(path.clone())
                            .annotation(AnnotationKind::Primary.span(ex.span).label(label)),
                    )
                }
                None => Group::with_title(title).element(Level::NOTE.message(format!("in {path}"))),
            };
            if !d.spec_url.is_empty() {
                group = group.element(Level::HELP.message(format!("spec: {}", d.spec_url)));
            }
            out.push_str(&renderer.render(&[group]));
            out.push_str("\n\n");
        }
        let (e, w) = (b.errors(), b.warnings());
        if b.valid {
            if verbose_valid || w > 0 || run.bundles.len() == 1 {
                out.push_str(&format!(
                    "{}: valid (runtime-spec {}){}\n",
                    b.path.display(),
                    b.spec_version,
                    if w > 0 {
                        format!(", {w} warning{}", plural(w))
                    } else {
                        String::new()
                    }
                ));
            }
        } else {
            out.push_str(&format!(
                "{}: invalid (runtime-spec {}): {e} error{}, {w} warning{}\n",
                b.path.display(),
                b.spec_version,
                plural(e),
                plural(w)
            ));
        }
    }
    for u in &run.unreadable {
        out.push_str(&format!("error: {u}\n"));
    }
    let s = run.summary();
    if s.bundles > 1 || !run.unreadable.is_empty() {
        out.push_str(&format!(
            "{} bundle{}: {} valid, {} invalid; {} error{}, {} warning{}{}\n",
            s.bundles,
            plural(s.bundles),
            s.valid,
            s.invalid,
            s.errors,
            plural(s.errors),
            s.warnings,
            plural(s.warnings),
            if run.unreadable.is_empty() {
                String::new()
            } else {
                format!("; {} path(s) unreadable", run.unreadable.len())
            }
        ));
    }
    out
}

/// Lines longer than this (a minified config) are shown cut around the finding's value.
const LONG_LINE: usize = 240;
/// Bytes of a long line shown on each side of the value.
const CONTEXT: usize = 60;
/// The most of a value a caret marks on a long line.
const MAX_SPAN: usize = 120;
/// On a long line, the byte offset of every `CHAR_STEP`-th character is recorded once, so that
/// a column (in characters) is found without counting from the line's start each time.
const CHAR_STEP: usize = 64;

/// A config text's lines, indexed once per file: each snippet then costs only its own line
/// (or, on a long line, its neighbourhood), whatever the number of findings.
struct SourceLines<'a> {
    text: &'a str,
    /// Byte offset of the start of each line.
    starts: Vec<usize>,
    /// Per long line (0-based number): the byte offset of every `CHAR_STEP`-th character.
    marks: HashMap<usize, Vec<usize>>,
}

/// What one snippet shows: a line (or a cut of it), its number and the span to mark.
struct Excerpt {
    text: String,
    line: usize,
    span: std::ops::Range<usize>,
}

impl<'a> SourceLines<'a> {
    fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceLines {
            text,
            starts,
            marks: HashMap::new(),
        }
    }

    /// Line `n` (1-based) without its line ending, as `str::lines` gives it.
    fn line(&self, n: usize) -> Option<&'a str> {
        let start = *self.starts.get(n.checked_sub(1)?)?;
        let line = match self.starts.get(n) {
            Some(next) => {
                let l = &self.text[start..next - 1];
                l.strip_suffix('\r').unwrap_or(l)
            }
            None => &self.text[start..],
        };
        Some(line)
    }

    /// The byte offset in line `n` (1-based), `line`, of its `col`-th character (1-based), or
    /// the line's length past its end.
    fn byte_of(&mut self, n: usize, line: &str, col: usize) -> usize {
        let skip = col.saturating_sub(1);
        if line.len() <= LONG_LINE {
            return line.char_indices().nth(skip).map_or(line.len(), |(i, _)| i);
        }
        let marks = self.marks.entry(n).or_insert_with(|| {
            line.char_indices()
                .step_by(CHAR_STEP)
                .map(|(i, _)| i)
                .collect()
        });
        match marks.get(skip / CHAR_STEP) {
            Some(&from) => line[from..]
                .char_indices()
                .nth(skip % CHAR_STEP)
                .map_or(line.len(), |(i, _)| from + i),
            None => line.len(),
        }
    }

    /// The snippet of a finding at `line`:`col`: the line with the value marked; a long line
    /// cut to the value and some context on each side.
    fn excerpt(&mut self, line_no: u32, col: u32) -> Option<Excerpt> {
        let n = line_no as usize;
        let line = self.line(n)?;
        let start = self.byte_of(n, line, col as usize);
        let mut end = value_end(line, start);
        if line.len() > LONG_LINE {
            end = floor_boundary(line, end.min(start + MAX_SPAN)).max(start);
        }
        let (mut text, mut start, mut end) = if line.len() > LONG_LINE {
            let from = floor_boundary(line, start.saturating_sub(CONTEXT));
            let to = ceil_boundary(line, (end + CONTEXT).min(line.len()));
            let mut text = String::with_capacity(to - from + 6);
            if from > 0 {
                text.push_str("...");
            }
            let shift = text.len();
            text.push_str(&line[from..to]);
            if to < line.len() {
                text.push_str("...");
            }
            (text, start - from + shift, end - from + shift)
        } else {
            (line.to_string(), start, end)
        };
        // At least one character is marked; past the end of the line, a space.
        end = end.max(start + 1);
        if end > text.len() {
            start = start.min(text.len());
            text.push(' ');
            end = text.len();
        }
        Some(Excerpt {
            text,
            line: n,
            span: start..end,
        })
    }
}

/// Where the JSON value starting at byte `start` of `line` ends on that line: a string at its
/// closing quote, a number or literal at the next delimiter, an object or array (or anything
/// unterminated) at the end of the line, without a trailing comma.
fn value_end(line: &str, start: usize) -> usize {
    let rest = line.as_bytes().get(start..).unwrap_or_default();
    let to_line_end = || line.trim_end().trim_end_matches(',').len();
    match rest.first() {
        Some(b'"') => {
            let mut i = 1;
            while i < rest.len() {
                match rest[i] {
                    b'\\' => i += 2,
                    b'"' => return start + i + 1,
                    _ => i += 1,
                }
            }
            to_line_end()
        }
        Some(b'{' | b'[') | None => to_line_end(),
        Some(_) => rest
            .iter()
            .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\r'))
            .map_or(line.len(), |i| start + i),
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

fn pointer_label(p: &str) -> String {
    if p.is_empty() {
        "(document)".into()
    } else {
        format!("at {p}")
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// SARIF 2.1.0, one run, one rule per requirement seen.
pub fn sarif(run: &Run) -> String {
    use serde_sarif::sarif as s;
    let mut rules: BTreeMap<String, (FindingLevel, String)> = BTreeMap::new();
    let mut results = Vec::new();
    for b in &run.bundles {
        for d in &b.diagnostics {
            rules
                .entry(d.requirement.clone())
                .or_insert_with(|| (d.level, d.spec_url.clone()));
            let mut region = s::Region::builder().build();
            if let (Some(l), Some(c)) = (d.line, d.column) {
                region = s::Region::builder()
                    .start_line(i64::from(l))
                    .start_column(i64::from(c))
                    .build();
            }
            let location = s::Location::builder()
                .physical_location(
                    s::PhysicalLocation::builder()
                        .artifact_location(
                            s::ArtifactLocation::builder()
                                .uri(b.config_path.display().to_string())
                                .build(),
                        )
                        .region(region)
                        .build(),
                )
                .build();
            let level = match d.severity {
                Severity::Error => s::ResultLevel::Error,
                Severity::Warning => s::ResultLevel::Warning,
            };
            let mut props = BTreeMap::new();
            props.insert(
                "pointer".to_string(),
                serde_json::Value::String(d.pointer.clone()),
            );
            props.insert(
                "specVersion".to_string(),
                serde_json::Value::String(b.spec_version.to_string()),
            );
            results.push(
                s::Result::builder()
                    .rule_id(d.requirement.clone())
                    .level(level)
                    .message(s::Message::builder().text(d.message.clone()).build())
                    .locations(vec![location])
                    .properties(
                        s::PropertyBag::builder()
                            .additional_properties(props)
                            .build(),
                    )
                    .build(),
            );
        }
    }
    let rules = rules
        .into_iter()
        .map(|(id, (level, url))| {
            let mut r = s::ReportingDescriptor::builder().id(id.clone()).build();
            if !url.is_empty() {
                r = s::ReportingDescriptor::builder()
                    .id(id.clone())
                    .help_uri(url)
                    .short_description(
                        s::MultiformatMessageString::builder()
                            .text(format!("{level} requirement {id} of the OCI runtime-spec"))
                            .build(),
                    )
                    .build();
            }
            r
        })
        .collect::<Vec<_>>();
    let driver = s::ToolComponent::builder()
        .name("ocicheck")
        .version(env!("CARGO_PKG_VERSION"))
        .information_uri("https://github.com/opencontainers/runtime-spec")
        .rules(rules)
        .build();
    let sarif = s::Sarif::builder()
        .version(serde_json::Value::String("2.1.0".into()))
        .schema("https://json.schemastore.org/sarif-2.1.0.json")
        .runs(vec![s::Run::builder()
            .tool(s::Tool::builder().driver(driver).build())
            .results(results)
            .build()])
        .build();
    serde_json::to_string_pretty(&sarif).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}
