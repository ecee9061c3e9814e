//! Reading and checking the catalog files.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::{const_name, valid_id, Doc, Kind, Level, Requirement, SpecVersion};

include!(concat!(env!("OUT_DIR"), "/catalog_files.rs"));

/// The anchors of every document at every release (generated from the spec's Markdown).
pub(crate) const SPEC_ANCHORS: &str = include_str!("../spec-anchors.tsv");

/// Everything wrong with a set of catalog files. All problems are collected, not just the first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the requirement catalog is invalid:\n{}", .problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
pub struct CatalogError {
    pub problems: Vec<Problem>,
}

/// One problem in one catalog file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    /// The requirement concerned, when the problem is about one entry.
    pub id: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.id {
            Some(id) => write!(f, "{}: {}: {}", self.file, id, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    doc: String,
    #[serde(default)]
    requirement: Vec<RawRequirement>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequirement {
    id: String,
    level: Level,
    summary: String,
    anchor: String,
    kind: Kind,
    since: Option<SpecVersion>,
    until: Option<SpecVersion>,
    reason: Option<String>,
    blocked: Option<String>,
}

/// The requirement catalog: every tracked normative statement, in spec order.
#[derive(Debug, Clone)]
pub struct Catalog {
    requirements: Vec<Requirement>,
    by_id: HashMap<String, usize>,
}

impl Catalog {
    /// The catalog embedded in this binary. Loaded and checked once.
    pub fn embedded() -> Result<&'static Catalog, CatalogError> {
        static CATALOG: OnceLock<Result<Catalog, CatalogError>> = OnceLock::new();
        CATALOG
            .get_or_init(|| Catalog::from_files(CATALOG_FILES, SPEC_ANCHORS))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The embedded catalog's source files, as (file name, text).
    pub fn embedded_files() -> &'static [(&'static str, &'static str)] {
        CATALOG_FILES
    }

    /// The embedded anchor table (`version<TAB>doc<TAB>anchor` lines).
    pub fn embedded_anchors() -> &'static str {
        SPEC_ANCHORS
    }

    /// Builds a catalog from (file name, TOML text) pairs, checking every entry against the
    /// format rules and the anchor table.
    pub fn from_files<N: AsRef<str>, T: AsRef<str>>(
        files: &[(N, T)],
        anchors: &str,
    ) -> Result<Catalog, CatalogError> {
        let anchors = parse_anchors(anchors);
        let mut problems = Vec::new();
        let mut requirements = Vec::new();
        let mut seen: HashMap<String, String> = HashMap::new();
        // Constant name in `ids` -> the id that has it.
        let mut names: HashMap<String, String> = HashMap::new();

        let mut parsed: Vec<(String, RawFile)> = Vec::new();
        for (name, text) in files {
            let name = name.as_ref().to_string();
            match toml::from_str::<RawFile>(text.as_ref()) {
                Ok(f) => parsed.push((name, f)),
                Err(e) => problems.push(Problem {
                    file: name,
                    id: None,
                    message: format!("not a valid catalog file: {}", e.to_string().trim()),
                }),
            }
        }
        // Files are ordered by document, then by name, so the catalog follows spec order.
        parsed.sort_by_key(|(name, f)| (Doc::from_file(&f.doc), name.clone()));

        for (file, raw) in parsed {
            let Some(doc) = Doc::from_file(&raw.doc) else {
                problems.push(Problem {
                    file,
                    id: None,
                    message: format!("unknown document {:?}", raw.doc),
                });
                continue;
            };
            for r in raw.requirement {
                let mut bad = |message: String| {
                    problems.push(Problem {
                        file: file.clone(),
                        id: Some(r.id.clone()),
                        message,
                    })
                };
                if !valid_id(&r.id) {
                    bad("id must be dot-separated segments of letters, digits and hyphens, starting with a lowercase letter".into());
                }
                if !r.id.starts_with(doc.id_prefix())
                    || (doc == Doc::Runtime && r.id.starts_with(Doc::RuntimeLinux.id_prefix()))
                {
                    bad(format!(
                        "ids of {} must start with {:?}",
                        doc.file(),
                        doc.id_prefix()
                    ));
                }
                if let Some(first) = seen.get(&r.id) {
                    bad(format!("duplicate id (first defined in {first})"));
                } else {
                    seen.insert(r.id.clone(), file.clone());
                    let name = const_name(&r.id);
                    match names.get(&name) {
                        Some(other) => bad(format!(
                            "id has the same constant name as {other:?} (ids::{name}); rename one of them"
                        )),
                        None => {
                            names.insert(name, r.id.clone());
                        }
                    }
                }
                let summary = r.summary.trim();
                if summary.is_empty() || summary.contains('\n') || summary.chars().count() > 160 {
                    bad("summary must be one non-empty line of at most 160 characters".into());
                }
                let since = r.since.unwrap_or(SpecVersion::V1_0_0);
                if r.until.is_some_and(|u| u < since) {
                    bad("`until` is older than `since`".into());
                }
                match (r.kind, r.reason.as_deref().map(str::trim)) {
                    (Kind::Untestable, None | Some("")) => {
                        bad("an untestable requirement needs a `reason`".into())
                    }
                    (Kind::Static | Kind::Runtime, Some(_)) => {
                        bad("only untestable requirements carry a `reason`".into())
                    }
                    _ => {}
                }
                match (r.kind, r.blocked.as_deref().map(str::trim)) {
                    (Kind::Runtime, Some("")) => {
                        bad("`blocked` must say what the host lacks".into())
                    }
                    (Kind::Static | Kind::Untestable, Some(_)) => bad(
                        "only runtime requirements carry `blocked` (what a Linux CI host lacks \
                         to test them)"
                            .into(),
                    ),
                    _ => {}
                }
                let link_version = r.until.unwrap_or(SpecVersion::LATEST);
                if !anchors.contains(&(link_version, doc, r.anchor.as_str())) {
                    bad(format!(
                        "anchor {:?} does not exist in {} at v{}",
                        r.anchor,
                        doc.file(),
                        link_version
                    ));
                }
                requirements.push(Requirement {
                    id: r.id,
                    level: r.level,
                    summary: summary.to_string(),
                    doc,
                    anchor: r.anchor,
                    kind: r.kind,
                    since,
                    until: r.until,
                    reason: r.reason.map(|s| s.trim().to_string()),
                    blocked: r.blocked.map(|s| s.trim().to_string()),
                    file: file.clone(),
                });
            }
        }
        if !problems.is_empty() {
            return Err(CatalogError { problems });
        }
        let by_id = requirements
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        Ok(Catalog {
            requirements,
            by_id,
        })
    }

    /// The requirement with this id.
    pub fn get(&self, id: &str) -> Option<&Requirement> {
        self.by_id.get(id).map(|&i| &self.requirements[i])
    }

    /// Every requirement, in document and spec order.
    pub fn iter(&self) -> std::slice::Iter<'_, Requirement> {
        self.requirements.iter()
    }

    pub fn len(&self) -> usize {
        self.requirements.len()
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }
}

impl<'a> IntoIterator for &'a Catalog {
    type Item = &'a Requirement;
    type IntoIter = std::slice::Iter<'a, Requirement>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

fn parse_anchors(text: &str) -> HashSet<(SpecVersion, Doc, &str)> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut parts = l.split('\t');
            let v = SpecVersion::from_release(parts.next()?)?;
            let d = Doc::from_file(parts.next()?)?;
            Some((v, d, parts.next()?))
        })
        .collect()
}
