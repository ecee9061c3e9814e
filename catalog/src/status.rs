//! Deriving each requirement's status from what implements it.
//!
//! Nothing here is typed by hand: the validator's check table and the runtime cases name the
//! requirement ids they implement, and their tests say which of those claims are proven (the
//! implementation was seen to fail on a violating input). This module turns those claims into
//! `Included` / `WIP` / `Planned` / `Untestable`.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::{Catalog, Kind, Level, SpecVersion};

/// Where a requirement stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Status {
    /// Implemented, and a test proves the implementation fails on a violating input.
    Included,
    /// Implemented, but that proof is missing.
    #[serde(rename = "WIP")]
    Wip,
    /// Nothing implements it yet.
    Planned,
    /// Cannot be tested (see the entry's reason).
    Untestable,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Included,
        Status::Wip,
        Status::Planned,
        Status::Untestable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Included => "Included",
            Status::Wip => "WIP",
            Status::Planned => "Planned",
            Status::Untestable => "Untestable",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Status {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown status {s:?} (Included, WIP, Planned, Untestable)"))
    }
}

/// What kind of thing implements requirements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImplementerKind {
    /// A static check of the validator.
    Check,
    /// A lifecycle case of the runtime harness.
    Case,
}

/// A validator check or runtime case, with the requirement ids it names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Implementer {
    pub kind: ImplementerKind,
    /// The check's name or the case's id.
    pub name: String,
    pub claims: Vec<Claim>,
}

/// One requirement an implementer names, and whether a test proves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Claim {
    pub id: String,
    /// A test shows the implementer failing on an input that violates this requirement.
    pub proven: bool,
    /// What that violating input is, when it has a name (`mutation:skip-poststop-hooks`).
    pub proof: Option<String>,
}

impl Implementer {
    pub fn new(kind: ImplementerKind, name: impl Into<String>) -> Self {
        Implementer {
            kind,
            name: name.into(),
            claims: Vec::new(),
        }
    }

    /// Adds a claim on `id`.
    pub fn claim(mut self, id: impl Into<String>, proven: bool) -> Self {
        self.claims.push(Claim {
            id: id.into(),
            proven,
            proof: None,
        });
        self
    }

    /// Adds a claim on `id` that a test proves with the named violation (`proof`).
    pub fn proven_by(mut self, id: impl Into<String>, proof: impl Into<String>) -> Self {
        self.claims.push(Claim {
            id: id.into(),
            proven: true,
            proof: Some(proof.into()),
        });
        self
    }

    /// How the implementer is shown in tables: `check:<name>` or `case:<id>`.
    pub fn label(&self) -> String {
        match self.kind {
            ImplementerKind::Check => format!("check:{}", self.name),
            ImplementerKind::Case => format!("case:{}", self.name),
        }
    }
}

/// A requirement's derived status and what implements it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Derivation {
    pub status: Status,
    /// Labels of implementers naming the requirement, proven ones first, each once.
    pub implemented_by: Vec<String>,
    /// The named violations that prove it (`mutation:<name>`), each once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub proven_by: Vec<String>,
    /// For `WIP`: what its proof still needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<&'static str>,
}

/// What a WIP runtime requirement needs to become Included.
pub const MISSING_RUNTIME_PROOF: &str = "a mutation of the reference runtime that violates it \
     alone, making a case assertion that names it fail";
/// What a WIP static requirement needs to become Included.
pub const MISSING_STATIC_PROOF: &str = "a test showing a check fails on a config that violates it";

/// Claims on ids the catalog does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("implementers name requirement ids that are not in the catalog: {}", .0.iter().map(|(who, id)| format!("{who} -> {id}")).collect::<Vec<_>>().join(", "))]
pub struct UnknownIds(pub Vec<(String, String)>);

/// Runtime coverage of one release (see [`Statuses::runtime_coverage`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// Runtime MUST / MUST NOT / REQUIRED / SHOULD requirements of the release.
    pub total: usize,
    /// Those Included.
    pub included: usize,
    /// Those not Included that a Linux CI host cannot test (`blocked`).
    pub blocked: usize,
}

impl Coverage {
    /// Included, in per cent of the total (0 for an empty total).
    pub fn percent(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.included as f64 * 100.0 / self.total as f64
        }
    }
}

/// The derived status of every requirement of a catalog.
#[derive(Clone, Debug)]
pub struct Statuses {
    by_id: BTreeMap<String, Derivation>,
}

impl Statuses {
    /// Derives statuses from the implementers' claims. A claim naming an unknown id is an
    /// error: a typo would otherwise leave a requirement silently `Planned`.
    pub fn derive(catalog: &Catalog, implementers: &[Implementer]) -> Result<Self, UnknownIds> {
        let mut unknown = Vec::new();
        let mut proven: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        let mut proofs: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        let mut named: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for imp in implementers {
            for c in &imp.claims {
                let Some(req) = catalog.get(&c.id) else {
                    unknown.push((imp.label(), c.id.clone()));
                    continue;
                };
                // Static proofs stay static: a validator check proves what a config must say,
                // never what a runtime must do, so it cannot make a runtime requirement
                // Included (it still names it: WIP).
                let proves =
                    c.proven && !(imp.kind == ImplementerKind::Check && req.kind == Kind::Runtime);
                let list = if proves {
                    proven.entry(c.id.as_str()).or_default()
                } else {
                    named.entry(c.id.as_str()).or_default()
                };
                let label = imp.label();
                if !list.contains(&label) {
                    list.push(label);
                }
                if let (true, Some(proof)) = (proves, &c.proof) {
                    let list = proofs.entry(c.id.as_str()).or_default();
                    if !list.contains(proof) {
                        list.push(proof.clone());
                    }
                }
            }
        }
        if !unknown.is_empty() {
            return Err(UnknownIds(unknown));
        }
        let by_id = catalog
            .iter()
            .map(|r| {
                let p = proven.remove(r.id.as_str()).unwrap_or_default();
                let n = named.remove(r.id.as_str()).unwrap_or_default();
                let status = if r.kind == Kind::Untestable {
                    Status::Untestable
                } else if !p.is_empty() {
                    Status::Included
                } else if !n.is_empty() {
                    Status::Wip
                } else {
                    Status::Planned
                };
                let mut implemented_by = p;
                for l in n {
                    if !implemented_by.contains(&l) {
                        implemented_by.push(l);
                    }
                }
                let missing = (status == Status::Wip).then_some(if r.kind == Kind::Runtime {
                    MISSING_RUNTIME_PROOF
                } else {
                    MISSING_STATIC_PROOF
                });
                (
                    r.id.clone(),
                    Derivation {
                        status,
                        implemented_by,
                        proven_by: proofs.remove(r.id.as_str()).unwrap_or_default(),
                        missing,
                    },
                )
            })
            .collect();
        Ok(Statuses { by_id })
    }

    /// The derivation for a catalog id.
    pub fn get(&self, id: &str) -> Option<&Derivation> {
        self.by_id.get(id)
    }

    /// How many runtime requirements are Included: each proven by a violation of it alone
    /// that makes a case's assertion naming it fail.
    pub fn proven_runtime(&self, catalog: &Catalog) -> usize {
        catalog
            .iter()
            .filter(|r| r.kind == Kind::Runtime && self.status(&r.id) == Status::Included)
            .count()
    }

    /// How far the runtime requirements of release `v` that bind a runtime (MUST, MUST NOT,
    /// REQUIRED, SHOULD) are Included, and how many of the rest the CI host cannot test.
    pub fn runtime_coverage(&self, catalog: &Catalog, v: SpecVersion) -> Coverage {
        let mut c = Coverage::default();
        for r in catalog.iter().filter(|r| {
            r.kind == Kind::Runtime
                && r.applies_to(v)
                && matches!(
                    r.level,
                    Level::Must | Level::MustNot | Level::Required | Level::Should
                )
        }) {
            c.total += 1;
            if self.status(&r.id) == Status::Included {
                c.included += 1;
            } else if r.blocked.is_some() {
                c.blocked += 1;
            }
        }
        c
    }

    /// Requirements marked `blocked` (the CI host cannot test them) that are Included all the
    /// same: the mark is stale and must go. Empty for a consistent catalog.
    pub fn stale_blocks<'c>(&self, catalog: &'c Catalog) -> Vec<&'c str> {
        catalog
            .iter()
            .filter(|r| r.blocked.is_some() && self.status(&r.id) == Status::Included)
            .map(|r| r.id.as_str())
            .collect()
    }

    /// The status of a catalog id (`Planned` for an id the catalog lacks).
    pub fn status(&self, id: &str) -> Status {
        self.get(id).map_or(Status::Planned, |d| d.status)
    }
}
