//! Declarative cases: one TOML file per scenario, embedded from `cases/` or added from a
//! directory (`ocicheck run --cases DIR`). The format is documented in `cases/README.md`, which
//! a test keeps in step with these types.

pub mod fuzzing;
mod patch;
mod step;

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::expect::Expectation;

pub use crate::probe::Then;
pub use patch::{merge_patch, substitute, toml_to_json};
pub use step::{
    has_process, parse_owner, Expect, Hook, HookLabel, Need, Status, Step, Target, NO_SIGNAL,
};

include!(concat!(env!("OUT_DIR"), "/case_files.rs"));

/// One lifecycle scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// Stable id, e.g. `process.hostname`.
    pub id: String,
    /// One line saying what is being proven.
    pub summary: String,
    /// Catalog ids the case's assertions decide, each once, in the order first named.
    pub requirements: Vec<String>,
    /// A JSON merge patch (written as TOML) applied to the base config.
    pub config: toml::Table,
    /// What the probe must observe (judged at the `probe` step).
    pub expect: Vec<CaseExpectation>,
    /// The lifecycle; a file without `[[step]]` gets [`Step::default_lifecycle`].
    pub steps: Vec<CaseStep>,
    /// Defects of the reference runtime (its mutations, by name) that violate a requirement
    /// this case decides; a test runs the case under each and requires the assertion naming
    /// that requirement to fail.
    pub broken_by: Vec<String>,
    /// What the probe does after reporting.
    pub then: Then,
    /// Host features the case needs (probed; the case is skipped without them).
    pub needs: Vec<Need>,
    /// Files the runtime must not see: every invocation of it runs in a mount namespace of its
    /// own where they are absent (the rest of their directory stays).
    pub hide: Vec<std::path::PathBuf>,
    /// Where the case came from: `cases/<name>.toml` for the embedded suite, else its path.
    pub file: String,
}

/// A step and the requirements it decides: none for a step that only sets the scene (its
/// failure fails the case but decides no requirement).
#[derive(Clone, Debug, PartialEq)]
pub struct CaseStep {
    pub step: Step,
    pub requirements: Vec<String>,
}

/// An `[[expect]]` entry and the requirements it decides.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseExpectation {
    pub expectation: Expectation,
    pub requirements: Vec<String>,
}

/// One assertion of a case: a step or an `[[expect]]` entry, by 0-based position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Assertion {
    Step(usize),
    Expect(usize),
}

impl Case {
    /// Whether the case is run when judging by `version`'s rules: it decides no requirement,
    /// or one of its requirements is part of that release (or unknown to the catalog).
    pub fn applies_to(&self, version: ocicheck_catalog::SpecVersion) -> bool {
        let catalog = ocicheck_catalog::Catalog::embedded().ok();
        self.requirements.is_empty()
            || self.requirements.iter().any(|id| {
                catalog
                    .and_then(|c| c.get(id))
                    .is_none_or(|r| r.applies_to(version))
            })
    }

    /// A case of a suite decides at least one requirement, and every `[[expect]]` entry names
    /// the ones it decides (a single file may leave them out while it is being written).
    pub fn check_named(&self) -> Result<(), CaseError> {
        let refuse = |message: String| CaseError {
            file: self.file.clone(),
            line: None,
            message,
        };
        if let Some(i) = self.expect.iter().position(|e| e.requirements.is_empty()) {
            return Err(refuse(format!(
                "{} names no requirements: give each [[expect]] entry the ids it decides \
                 (`requirements = [...]`)",
                self.label(Assertion::Expect(i))
            )));
        }
        if self.requirements.is_empty() {
            return Err(refuse(
                "the case decides no requirement: name them on the steps or [[expect]] entries \
                 that decide them (`requirements = [...]`)"
                    .into(),
            ));
        }
        Ok(())
    }

    /// How reports name an assertion: `step 4 (state)`, `expect 2 (env)`.
    pub fn label(&self, a: Assertion) -> String {
        match a {
            Assertion::Step(i) => format!(
                "step {} ({})",
                i + 1,
                self.steps.get(i).map_or("?", |s| s.step.kind())
            ),
            Assertion::Expect(i) => format!(
                "expect {} ({})",
                i + 1,
                self.expect
                    .get(i)
                    .map_or_else(|| "?".into(), |e| e.expectation.check())
            ),
        }
    }

    /// Every assertion that decides requirements, with them, in the order they are judged
    /// (the `[[expect]]` entries where the `probe` step is).
    pub fn assertions(&self) -> Vec<(Assertion, &[String])> {
        let mut out = Vec::new();
        for (i, s) in self.steps.iter().enumerate() {
            if !s.requirements.is_empty() {
                out.push((Assertion::Step(i), s.requirements.as_slice()));
            }
            if matches!(s.step, Step::Probe {}) {
                out.extend(
                    self.expect
                        .iter()
                        .enumerate()
                        .map(|(j, e)| (Assertion::Expect(j), e.requirements.as_slice())),
                );
            }
        }
        out
    }
}

/// A case file as written; [`Case`] is what it becomes once checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    id: Spanned<String>,
    summary: String,
    #[serde(default)]
    config: toml::Table,
    /// Tables, each deserialized on its own so that an error points into it.
    #[serde(default)]
    expect: Vec<Spanned<toml::Table>>,
    #[serde(default)]
    step: Vec<Spanned<toml::Table>>,
    #[serde(default)]
    broken_by: Vec<String>,
    #[serde(default)]
    then: Then,
    #[serde(default)]
    needs: Vec<Need>,
    #[serde(default)]
    hide: Vec<std::path::PathBuf>,
}

/// A case file that does not load: its file, the line (when known) and the problem.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct CaseError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// One table of an array of tables as its type; the error message on failure.
fn typed<T: serde::de::DeserializeOwned>(table: Spanned<toml::Table>) -> Result<T, String> {
    toml::Value::Table(table.into_inner())
        .try_into()
        .map_err(|e: toml::de::Error| e.message().to_string())
}

/// Where an error in the table that starts at `span` is: the first line of the table that shows
/// the first name the message quotes (as in "unknown field `froce`"), else the table's header.
/// The table runs from its header to the next header (toml spans only the header of a
/// `[[table]]`).
fn span_of(text: &str, span: &Range<usize>, message: &str) -> Range<usize> {
    let quoted = message.split('`').nth(1).filter(|q| !q.is_empty());
    let rest = text.get(span.start..).unwrap_or_default();
    let at = quoted.and_then(|q| {
        let mut offset = 0;
        rest.split_inclusive('\n')
            .enumerate()
            .take_while(|(i, line)| *i == 0 || !line.trim_start().starts_with('['))
            .find_map(|(_, line)| {
                let here = offset;
                offset += line.len();
                let key = line.trim_start().starts_with(q);
                let value = line.contains(&format!("\"{q}\""));
                (key || value).then_some(here)
            })
    });
    let start = span.start + at.unwrap_or(0);
    start..start
}

/// Parses one case file; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Case, CaseError> {
    let err = |span: Option<Range<usize>>, message: String| CaseError {
        file: file.to_string(),
        line: span.map(|s| line_of(text, s.start)),
        message,
    };
    let raw: CaseFile = toml::from_str(text).map_err(|e| {
        // A case file of the format before assertions named their requirements.
        if e.message().contains("unknown field `requirements`") {
            err(
                e.span(),
                "`requirements` goes on the assertions that decide them: write \
                 `requirements = [...]` in each [[expect]] or [[step]] table (cases/README.md)"
                    .into(),
            )
        } else {
            err(e.span(), e.message().to_string())
        }
    })?;
    if raw.id.get_ref().is_empty() {
        return Err(err(Some(raw.id.span()), "the case id is empty".into()));
    }
    if let Some(p) = raw
        .hide
        .iter()
        .find(|p| !p.is_absolute() || p.parent().is_none_or(|d| d == Path::new("/")))
    {
        return Err(err(
            None,
            format!(
                "hide: {} is not an absolute path below a directory other than /",
                p.display()
            ),
        ));
    }
    let mut steps = Vec::new();
    for table in raw.step {
        let span = table.span();
        let (requirements, table) = take_requirements(file, text, table)?;
        let step: Step = typed(table).map_err(|m| err(Some(span_of(text, &span, &m)), m))?;
        if let Some(problem) = step.problem() {
            return Err(err(Some(span), problem));
        }
        steps.push(CaseStep { step, requirements });
    }
    let mut expect = Vec::new();
    for table in raw.expect {
        let span = table.span();
        let (requirements, table) = take_requirements(file, text, table)?;
        let expectation = typed(table).map_err(|m| err(Some(span_of(text, &span, &m)), m))?;
        expect.push(CaseExpectation {
            expectation,
            requirements,
        });
    }
    if steps.is_empty() {
        steps = Step::default_lifecycle()
            .into_iter()
            .map(|step| CaseStep {
                step,
                requirements: Vec::new(),
            })
            .collect();
    }
    let mut requirements: Vec<String> = Vec::new();
    for id in steps
        .iter()
        .flat_map(|s| &s.requirements)
        .chain(expect.iter().flat_map(|e| &e.requirements))
    {
        if !requirements.contains(id) {
            requirements.push(id.clone());
        }
    }
    Ok(Case {
        id: raw.id.into_inner(),
        summary: raw.summary,
        requirements,
        config: raw.config,
        expect,
        steps,
        broken_by: raw.broken_by,
        then: raw.then,
        needs: raw.needs,
        hide: raw.hide,
        file: file.to_string(),
    })
}

/// Takes a table's `requirements` (the ids its assertion decides) out of it, checking each
/// against the catalog.
fn take_requirements(
    file: &str,
    text: &str,
    mut table: Spanned<toml::Table>,
) -> Result<(Vec<String>, Spanned<toml::Table>), CaseError> {
    let span = table.span();
    let err = |at: usize, message: String| CaseError {
        file: file.to_string(),
        line: Some(line_of(text, at)),
        message,
    };
    let Some(value) = table.get_mut().remove("requirements") else {
        return Ok((Vec::new(), table));
    };
    let ids: Vec<String> = value.try_into().map_err(|_| {
        let at = span_of(text, &span, "`requirements`").start;
        err(at, "`requirements` is a list of requirement ids".into())
    })?;
    if let Some(unknown) = ids
        .iter()
        .find(|id| ocicheck_catalog::Id::find(id).is_none())
    {
        let at = text
            .get(span.start..)
            .and_then(|t| t.find(&format!("\"{unknown}\"")))
            .map_or(span.start, |i| span.start + i);
        return Err(err(
            at,
            format!("`{unknown}` is not a requirement id of the catalog (`ocicheck requirements` lists them)"),
        ));
    }
    Ok((ids, table))
}

/// A set of cases: the embedded suite, plus any added from directories.
#[derive(Clone, Debug)]
pub struct Suite {
    /// Sorted by id; ids are unique.
    pub cases: Vec<Case>,
    /// A digest of every case file's name and text (see [`digest`]).
    pub digest: String,
}

impl Suite {
    /// The suite embedded in this binary.
    pub fn embedded() -> Result<Suite, CaseError> {
        Suite::with_dirs(&[])
    }

    /// The embedded suite plus every `*.toml` file of each directory, loaded and checked alike.
    pub fn with_dirs(dirs: &[PathBuf]) -> Result<Suite, CaseError> {
        // The embedded files, named as they are in the repository.
        let mut files: Vec<(String, String)> = CASE_FILES
            .iter()
            .map(|(name, text)| (format!("cases/{name}"), text.to_string()))
            .collect();
        for dir in dirs {
            files.extend(read_dir(dir)?);
        }
        Suite::from_files(files)
    }

    /// Cases from (name, text) pairs.
    pub fn from_files(files: Vec<(String, String)>) -> Result<Suite, CaseError> {
        let digest = digest(files.iter().map(|(n, t)| (n.as_str(), t.as_str())));
        let mut cases = files
            .iter()
            .map(|(name, text)| parse(name, text))
            .collect::<Result<Vec<_>, _>>()?;
        for c in &cases {
            c.check_named()?;
        }
        cases.sort_by(|a, b| a.id.cmp(&b.id));
        for w in cases.windows(2) {
            if w[0].id == w[1].id {
                return Err(CaseError {
                    file: w[1].file.clone(),
                    line: None,
                    message: format!("duplicate case id {} (also in {})", w[1].id, w[0].file),
                });
            }
        }
        Ok(Suite { cases, digest })
    }

    /// The suite's identity in run results: this ocicheck's version and the cases' digest.
    pub fn info(&self) -> ocicheck_results::SuiteInfo {
        ocicheck_results::SuiteInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            cases_digest: self.digest.clone(),
        }
    }
}

/// The `*.toml` files of a directory, sorted, as (path, text).
fn read_dir(dir: &Path) -> Result<Vec<(String, String)>, CaseError> {
    let io = |path: &Path, e: std::io::Error| CaseError {
        file: path.display().to_string(),
        line: None,
        message: e.to_string(),
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io(dir, e))? {
        let path = entry.map_err(|e| io(dir, e))?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            paths.push(path);
        }
    }
    if paths.is_empty() {
        return Err(CaseError {
            file: dir.display().to_string(),
            line: None,
            message: "holds no case files (*.toml)".into(),
        });
    }
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).map_err(|e| io(&p, e))?;
            Ok((p.display().to_string(), text))
        })
        .collect()
}

/// A digest of case files (names and texts): two runs with the same digest ran the same suite.
/// FNV-1a, 64 bits: a fingerprint, not a security measure.
pub fn digest<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = OFFSET;
    for (file, text) in files {
        for b in file.bytes().chain([0]).chain(text.bytes()).chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(PRIME);
        }
    }
    format!("fnv1a64:{h:016x}")
}

#[cfg(test)]
mod tests;
