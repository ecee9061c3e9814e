//! The validation pipeline: read, parse, resolve the release, schema stage, semantic stage,
//! place findings on lines and columns.

use std::collections::HashSet;
use std::path::PathBuf;

use ocicheck_catalog::{ids, Catalog, Id, Level, SpecVersion};
use ocicheck_results::Level as FindingLevel;
pub use ocicheck_results::Severity;
use serde_json::Value;

use crate::checks::{self, Ctx, Finding};
use crate::input::{self, ConfigBytes, InputError, Target};
use crate::position::Positions;
use crate::schema;
use crate::tool_ids;

/// One finding (written as an [`ocicheck_results::Finding`] by `--format json`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The catalog id of the requirement (or an `ocicheck.*` note id).
    pub requirement: String,
    /// The requirement's level (`MUST`, `SHOULD`, ...); `Note` for notes.
    pub level: FindingLevel,
    pub severity: Severity,
    /// JSON pointer into config.json ("" is the whole document).
    pub pointer: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
    /// Link to the spec section (empty for notes).
    pub spec_url: String,
    /// The schema or check that found it.
    pub source: String,
}

/// The verdict on one bundle (written as an [`ocicheck_results::BundleResult`] by
/// `--format json`).
#[derive(Clone, Debug)]
pub struct BundleReport {
    pub path: PathBuf,
    /// The release whose rules were applied.
    pub spec_version: SpecVersion,
    pub valid: bool,
    pub diagnostics: Vec<Diagnostic>,
    /// The config file the findings point into.
    pub config_path: PathBuf,
    /// The config text, for rendering snippets (None when unreadable or not UTF-8).
    pub source: Option<String>,
}

impl BundleReport {
    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }
    pub fn warnings(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count()
    }
}

/// What to judge and how.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Judge by this release instead of each config's own `ociVersion`.
    pub spec_version: Option<SpecVersion>,
    /// Also run host-dependent checks.
    pub host: bool,
}

/// The validator. Cheap to create; the schemas' validators are generated at build time.
pub struct Validator {
    options: Options,
}

impl Validator {
    pub fn new(options: Options) -> Validator {
        Validator { options }
    }

    /// The catalog is loaded on the first finding only: a clean bundle never pays for it.
    fn catalog(&self) -> Option<&'static Catalog> {
        Catalog::embedded().ok()
    }

    /// Validates one target. `Err` only when the path cannot be read at all.
    pub fn validate(&self, target: &Target) -> Result<BundleReport, InputError> {
        let bytes = input::read_config(target)?;
        Ok(self.validate_bytes(target, bytes))
    }

    /// Validates config bytes that belong to `target`.
    pub fn validate_bytes(&self, target: &Target, bytes: ConfigBytes) -> BundleReport {
        let mut report = BundleReport {
            path: target.display_path(),
            spec_version: self.options.spec_version.unwrap_or(SpecVersion::LATEST),
            valid: false,
            diagnostics: Vec::new(),
            config_path: target.config_path(),
            source: None,
        };
        let bytes = match bytes {
            ConfigBytes::Read(b) => b,
            ConfigBytes::Misnamed(name) => {
                let why = format!("the bundle has {name:?} but no config.json: the name must be exactly config.json");
                self.push(
                    &mut report,
                    ids::BUNDLE_CONFIG_JSON_ROOT_LOCATION,
                    "",
                    why,
                    None,
                    None,
                );
                return self.finish(report);
            }
            ConfigBytes::Outside(why) => {
                self.push(
                    &mut report,
                    ids::BUNDLE_ARTIFACTS_SINGLE_DIRECTORY,
                    "",
                    why,
                    None,
                    None,
                );
                return self.finish(report);
            }
            ConfigBytes::Unusable(why) => {
                self.push(
                    &mut report,
                    ids::BUNDLE_CONFIG_JSON_REQUIRED,
                    "",
                    why,
                    None,
                    None,
                );
                return self.finish(report);
            }
        };
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let off = e.utf8_error().valid_up_to();
                let ok = &e.as_bytes()[..off];
                let line = ok.iter().filter(|b| **b == b'\n').count() as u32 + 1;
                let col = String::from_utf8_lossy(ok.rsplit(|b| *b == b'\n').next().unwrap_or(ok))
                    .chars()
                    .count() as u32
                    + 1;
                let msg = format!("config.json is not valid UTF-8 (invalid byte at offset {off})");
                self.push(
                    &mut report,
                    ids::BUNDLE_CONFIG_JSON_REQUIRED,
                    "",
                    msg,
                    Some((line, col)),
                    None,
                );
                return self.finish(report);
            }
        };
        let config: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                let msg = format!("config.json is not valid JSON: {}", strip_position(&e));
                // serde_json says column 0 for an error just after a newline; ours are 1-based.
                let at = (e.line() > 0).then(|| (e.line() as u32, (e.column() as u32).max(1)));
                self.push(
                    &mut report,
                    ids::BUNDLE_CONFIG_JSON_REQUIRED,
                    "",
                    msg,
                    at,
                    None,
                );
                report.source = Some(text);
                return self.finish(report);
            }
        };

        // Which release's rules apply.
        let version = match self.options.spec_version {
            Some(v) => v,
            None => match config.get("ociVersion").and_then(Value::as_str) {
                Some(s) => {
                    let r = SpecVersion::resolve(s);
                    if matches!(
                        r.how,
                        ocicheck_catalog::Resolved::Unknown | ocicheck_catalog::Resolved::Future
                    ) {
                        let msg = format!(
                            "ociVersion {s:?} is not a known runtime-spec release; judged by the rules of {}",
                            SpecVersion::LATEST
                        );
                        report.diagnostics.push(Diagnostic {
                            requirement: tool_ids::UNKNOWN_VERSION.into(),
                            level: FindingLevel::Note,
                            severity: Severity::Warning,
                            pointer: "/ociVersion".into(),
                            line: None,
                            column: None,
                            message: msg,
                            spec_url: String::new(),
                            source: "version".into(),
                        });
                    }
                    r.version
                }
                None => SpecVersion::LATEST,
            },
        };
        report.spec_version = version;

        // Schema stage.
        let schema_pointers = self.schema_stage(
            &mut report,
            schema::SchemaKind::Config,
            &config,
            ids::BUNDLE_CONFIG_JSON_REQUIRED,
        );

        // Semantic stage: findings under a pointer the schema already rejected are the same
        // root cause and are dropped.
        let bundle_dir = target.bundle_dir();
        let ctx = Ctx {
            config: &config,
            version,
            bundle_dir: bundle_dir.as_deref(),
            host: self.options.host,
            cap_last_cap: if self.options.host {
                checks::kernel_cap_last_cap()
            } else {
                None
            },
        };
        let mut findings: Vec<(&'static str, Finding)> = Vec::new();
        for check in checks::CHECKS {
            if check.host_only && !self.options.host {
                continue;
            }
            let mut out = Vec::new();
            (check.run)(&ctx, &mut out);
            // Every id a check emits is one it claims: the `check_claims` test proves it.
            findings.extend(out.into_iter().map(|f| (check.name, f)));
        }
        let schema_pointers: HashSet<&str> = schema_pointers.iter().map(String::as_str).collect();
        for (name, f) in findings {
            // The pointer itself or any ancestor: one look-up per level, not per schema error.
            let covered =
                std::iter::successors(Some(f.pointer.as_str()), |p| p.rfind('/').map(|i| &p[..i]))
                    .any(|p| schema_pointers.contains(p));
            if covered {
                continue;
            }
            let pushed = self.push(
                &mut report,
                f.requirement,
                &f.pointer,
                f.message,
                None,
                Some(name),
            );
            if let (Some(sev), Some(d)) = (f.severity, pushed) {
                d.severity = sev;
            }
        }
        report.source = Some(text);
        self.finish(report)
    }

    /// Judges a state document (the output of a runtime's `state` operation) against our state
    /// schema. Findings carry pointers but no lines (the text came from a runtime).
    pub fn validate_state(&self, state: &Value, version: SpecVersion) -> Vec<Diagnostic> {
        let mut report = BundleReport {
            path: PathBuf::from("<state>"),
            spec_version: version,
            valid: false,
            diagnostics: Vec::new(),
            config_path: PathBuf::from("<state>"),
            source: None,
        };
        self.schema_stage(
            &mut report,
            schema::SchemaKind::State,
            state,
            ids::RUNTIME_STATE_JSON_SCHEMA,
        );
        // Linux: a created or running container's state carries its pid.
        let status = state.get("status").and_then(Value::as_str);
        if matches!(status, Some("created" | "running"))
            && state.is_object()
            && state.get("pid").is_none()
        {
            self.push(
                &mut report,
                ids::RUNTIME_STATE_PID_REQUIRED_LINUX,
                "/pid",
                format!(
                    "a {} container's state has no pid",
                    status.unwrap_or_default()
                ),
                None,
                Some("state"),
            );
        }
        report.diagnostics
    }

    /// Runs the schema of `kind` (for the report's release) on `value`, adding one diagnostic
    /// per requirement and pointer. Returns the pointers of the values found wrong (for a
    /// missing property, the property), so later stages can drop findings of the same cause.
    fn schema_stage(
        &self,
        report: &mut BundleReport,
        kind: schema::SchemaKind,
        value: &Value,
        fallback_id: Id,
    ) -> Vec<String> {
        let mut covered = Vec::new();
        // (pointer, requirement) already reported: one finding per place and requirement.
        let mut seen: HashSet<(String, Id)> = report
            .diagnostics
            .iter()
            .filter_map(|d| Some((d.pointer.clone(), Id::find(&d.requirement)?)))
            .collect();
        let errors = match schema::iter_errors(kind, report.spec_version, value) {
            Ok(errors) => errors,
            Err(e) => {
                // A defect of ocicheck, not of the input: say so instead of passing silently.
                self.push(
                    report,
                    fallback_id,
                    "",
                    format!("internal error: {e}"),
                    None,
                    Some("schema"),
                );
                return covered;
            }
        };
        for err in errors {
            // A test checks every annotation names a catalog id.
            let id = schema::requirement_for(kind, report.spec_version, err.schema_path().as_str())
                .and_then(|id| Id::find(&id))
                .unwrap_or(fallback_id);
            let pointer = err.instance_path().as_str().to_string();
            if !seen.insert((pointer.clone(), id)) {
                continue;
            }
            covered.push(match err.kind() {
                jsonschema::error::ValidationErrorKind::Required { property } => {
                    schema::child_pointer(&pointer, property.as_str().unwrap_or_default())
                }
                _ => pointer.clone(),
            });
            self.push(
                report,
                id,
                &pointer,
                schema_message(&err),
                None,
                Some("schema"),
            );
        }
        covered
    }

    /// Adds a diagnostic for a catalog id, unless the id does not apply to the judged release;
    /// returns it when added.
    fn push<'r>(
        &self,
        report: &'r mut BundleReport,
        id: Id,
        pointer: &str,
        message: String,
        at: Option<(u32, u32)>,
        source: Option<&str>,
    ) -> Option<&'r mut Diagnostic> {
        let req = self.catalog().and_then(|c| c.get(id.as_str()));
        if let Some(r) = req {
            if !r.applies_to(report.spec_version) {
                return None;
            }
        }
        let level = req.map(|r| r.level);
        let severity = match level {
            Some(l) if l.is_recommendation() => Severity::Warning,
            Some(Level::May) => Severity::Warning,
            _ => Severity::Error,
        };
        report.diagnostics.push(Diagnostic {
            requirement: id.to_string(),
            level: level.map_or(FindingLevel::Note, finding_level),
            severity,
            pointer: pointer.to_string(),
            line: at.map(|a| a.0),
            column: at.map(|a| a.1),
            message,
            spec_url: req.map(|r| r.link()).unwrap_or_default(),
            source: source.unwrap_or("bundle").to_string(),
        });
        report.diagnostics.last_mut()
    }

    fn finish(&self, mut report: BundleReport) -> BundleReport {
        if let Some(text) = &report.source {
            if report.diagnostics.iter().any(|d| d.line.is_none()) {
                let pos = Positions::index(text);
                for d in report.diagnostics.iter_mut().filter(|d| d.line.is_none()) {
                    if let Some(p) = pos.get(&d.pointer) {
                        d.line = Some(p.line);
                        d.column = Some(p.column);
                    }
                }
            }
        }
        report.diagnostics.sort_by(|a, b| {
            (a.line, a.column, &a.requirement).cmp(&(b.line, b.column, &b.requirement))
        });
        report.valid = report.errors() == 0;
        report
    }
}

fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// A plain-words message for a schema error, without dumping large instance values.
fn schema_message(err: &jsonschema::ValidationError<'_>) -> String {
    use jsonschema::error::ValidationErrorKind as K;
    match err.kind() {
        K::Required { property } => {
            format!("missing required property {property}")
        }
        _ => {
            let pointer = err.instance_path().as_str();
            let field = pointer
                .rsplit('/')
                .find(|t| t.parse::<usize>().is_err())
                .unwrap_or("");
            let s = if field.is_empty() {
                err.to_string()
            } else {
                format!("{}: {}", field.replace("~1", "/").replace("~0", "~"), err)
            };
            if s.chars().count() > 160 {
                let t: String = s.chars().take(157).collect();
                format!("{t}...")
            } else {
                s
            }
        }
    }
}

/// A catalog level as findings carry it.
fn finding_level(level: Level) -> FindingLevel {
    match level {
        Level::Must => FindingLevel::Must,
        Level::MustNot => FindingLevel::MustNot,
        Level::Required => FindingLevel::Required,
        Level::Should => FindingLevel::Should,
        Level::ShouldNot => FindingLevel::ShouldNot,
        Level::Recommended => FindingLevel::Recommended,
        Level::NotRecommended => FindingLevel::NotRecommended,
        Level::May => FindingLevel::May,
        Level::Optional => FindingLevel::Optional,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_write_each_catalog_level_as_the_catalog_spells_it() {
        for l in Level::ALL {
            assert_eq!(finding_level(l).as_str(), l.as_str());
        }
    }
}
