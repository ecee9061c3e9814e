//! The catalog's data model: documents, levels, kinds and requirements.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::SpecVersion;

/// The base of every spec link; the release tag and document follow.
pub const SPEC_REPO_URL: &str = "https://github.com/opencontainers/runtime-spec/blob";

/// A document of the runtime-spec that the catalog covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Doc {
    #[serde(rename = "bundle.md")]
    Bundle,
    #[serde(rename = "runtime.md")]
    Runtime,
    #[serde(rename = "runtime-linux.md")]
    RuntimeLinux,
    #[serde(rename = "config.md")]
    Config,
    #[serde(rename = "config-linux.md")]
    ConfigLinux,
}

impl Doc {
    pub const ALL: [Doc; 5] = [
        Doc::Bundle,
        Doc::Runtime,
        Doc::RuntimeLinux,
        Doc::Config,
        Doc::ConfigLinux,
    ];

    /// The document's file name in the runtime-spec repository.
    pub fn file(self) -> &'static str {
        match self {
            Doc::Bundle => "bundle.md",
            Doc::Runtime => "runtime.md",
            Doc::RuntimeLinux => "runtime-linux.md",
            Doc::Config => "config.md",
            Doc::ConfigLinux => "config-linux.md",
        }
    }

    /// A human title for headings.
    pub fn title(self) -> &'static str {
        match self {
            Doc::Bundle => "Filesystem Bundle",
            Doc::Runtime => "Runtime and Lifecycle",
            Doc::RuntimeLinux => "Linux Runtime",
            Doc::Config => "Configuration",
            Doc::ConfigLinux => "Linux Container Configuration",
        }
    }

    /// The id prefix of the document's requirements.
    pub fn id_prefix(self) -> &'static str {
        match self {
            Doc::Bundle => "bundle.",
            Doc::Runtime => "runtime.",
            Doc::RuntimeLinux => "runtime.linux.",
            Doc::Config => "config.",
            Doc::ConfigLinux => "linux.",
        }
    }

    pub fn from_file(s: &str) -> Option<Doc> {
        Doc::ALL.into_iter().find(|d| d.file() == s)
    }
}

impl fmt::Display for Doc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.file())
    }
}

/// The strength of a requirement, as RFC 2119 keywords.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    #[serde(rename = "MUST")]
    Must,
    #[serde(rename = "MUST NOT")]
    MustNot,
    #[serde(rename = "REQUIRED")]
    Required,
    #[serde(rename = "SHOULD")]
    Should,
    #[serde(rename = "SHOULD NOT")]
    ShouldNot,
    #[serde(rename = "RECOMMENDED")]
    Recommended,
    #[serde(rename = "NOT RECOMMENDED")]
    NotRecommended,
    #[serde(rename = "MAY")]
    May,
    #[serde(rename = "OPTIONAL")]
    Optional,
}

impl Level {
    pub const ALL: [Level; 9] = [
        Level::Must,
        Level::MustNot,
        Level::Required,
        Level::Should,
        Level::ShouldNot,
        Level::Recommended,
        Level::NotRecommended,
        Level::May,
        Level::Optional,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::MustNot => "MUST NOT",
            Level::Required => "REQUIRED",
            Level::Should => "SHOULD",
            Level::ShouldNot => "SHOULD NOT",
            Level::Recommended => "RECOMMENDED",
            Level::NotRecommended => "NOT RECOMMENDED",
            Level::May => "MAY",
            Level::Optional => "OPTIONAL",
        }
    }

    /// An absolute requirement: breaking it is an error.
    pub fn is_mandatory(self) -> bool {
        matches!(self, Level::Must | Level::MustNot | Level::Required)
    }

    /// A recommendation: breaking it is a warning.
    pub fn is_recommendation(self) -> bool {
        matches!(
            self,
            Level::Should | Level::ShouldNot | Level::Recommended | Level::NotRecommended
        )
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Level {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_uppercase().replace(['-', '_'], " ");
        Level::ALL
            .into_iter()
            .find(|l| l.as_str() == norm)
            .ok_or_else(|| format!("unknown level {s:?}"))
    }
}

/// How a requirement can be tested.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Decidable from config.json and the bundle alone.
    Static,
    /// Needs a runtime to be driven.
    Runtime,
    /// A permission, advice or something not observable.
    Untestable,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Static => "static",
            Kind::Runtime => "runtime",
            Kind::Untestable => "untestable",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One tracked normative statement of the spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub id: String,
    pub level: Level,
    pub summary: String,
    pub doc: Doc,
    pub anchor: String,
    pub kind: Kind,
    /// First release the requirement applies to.
    pub since: SpecVersion,
    /// Last release it applies to; `None` when it is still in the latest release.
    pub until: Option<SpecVersion>,
    /// Why it cannot be tested (only for [`Kind::Untestable`]).
    pub reason: Option<String>,
    /// Why a Linux host like CI's cannot test it (only for [`Kind::Runtime`]): what it lacks
    /// ("needs resctrl"), or why the effect cannot be observed there. The requirement stays
    /// Planned (or WIP), with this reason shown.
    pub blocked: Option<String>,
    /// Which catalog file defined it (for error messages).
    pub file: String,
}

impl Requirement {
    /// Whether the requirement is part of the rules of `v`.
    pub fn applies_to(&self, v: SpecVersion) -> bool {
        v >= self.since && self.until.is_none_or(|u| v <= u)
    }

    /// The releases the requirement applies to, oldest first.
    pub fn versions(&self) -> Vec<SpecVersion> {
        SpecVersion::ALL
            .into_iter()
            .filter(|v| self.applies_to(*v))
            .collect()
    }

    /// The release whose text the spec link points at.
    pub fn link_version(&self) -> SpecVersion {
        self.until.unwrap_or(SpecVersion::LATEST)
    }

    /// The link to the section of the spec that states the requirement.
    pub fn link(&self) -> String {
        format!(
            "{SPEC_REPO_URL}/{}/{}#{}",
            self.link_version().tag(),
            self.doc.file(),
            self.anchor
        )
    }
}
