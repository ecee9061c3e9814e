//! Rendering validation results: human (rustc-style), JSON (stable, documented) and SARIF 2.1.0.

use std::collections::BTreeMap;

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
        for d in &b.diagnostics {
            let level = match d.severity {
                Severity::Error => Level::ERROR,
                Severity::Warning => Level::WARNING,
            };
            let path = b.config_path.display().to_string();
            let title = level
                .primary_title(d.message.as_str())
                .id(d.requirement.as_str());
            let snippet_line = match (&b.source, d.line, d.column) {
                (Some(src), Some(line), Some(col)) => (line as usize)
                    .checked_sub(1)
                    .and_then(|i| src.lines().nth(i))
                    .map(|text| (text, line, col)),
                _ => None,
            };
            let mut group = match snippet_line {
                Some((text, line, col)) => {
                    let start = text
                        .char_indices()
                        .nth((col as usize).saturating_sub(1))
                        .map_or(text.len(), |(i, _)| i);
                    let end = text
                        .trim_end()
                        .trim_end_matches(',')
                        .len()
                        .max(start + 1)
                        .min(text.len().max(start + 1));
                    let label = if d.level == FindingLevel::Note {
                        String::new()
                    } else {
                        format!("{} {}", d.level, pointer_label(&d.pointer))
                    };
                    let text = if end > text.len() {
                        format!("{text} ")
                    } else {
                        text.to_string()
                    };
                    Group::with_title(title).element(
                        Snippet::source(text)
                            .line_start(line as usize)
                            .path(path.clone())
                            .annotation(AnnotationKind::Primary.span(start..end).label(label)),
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
