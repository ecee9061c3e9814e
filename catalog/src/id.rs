//! [`Id`]: a requirement id known, at compile time, to be in the catalog.

use std::fmt;

use serde::{Serialize, Serializer};

/// The id of a requirement of the embedded catalog. Code that names a requirement uses the
/// constants of [`crate::ids`] (generated from `requirements/*.toml` at build time), so a
/// misspelt or removed id does not build:
///
/// ```ignore
/// use ocicheck_catalog::{ids, Id};
///
/// let id: Id = ids::CONFIG_PROCESS_CWD_ABSOLUTE;
/// assert_eq!(id.as_str(), "config.process.cwd.absolute");
/// assert_eq!(Id::find("config.process.cwd.absolute"), Some(id));
/// ```
///
/// (Not run as a doctest: the workspace links static binaries, which doctests cannot.)
///
/// An `Id` cannot be made from any other string: [`Id::find`] looks a string up among the
/// catalog's ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Id(&'static str);

impl Id {
    /// Only the generated constants call this.
    pub(crate) const fn new(id: &'static str) -> Id {
        Id(id)
    }

    /// The id as the catalog, reports and JSON output spell it.
    pub const fn as_str(self) -> &'static str {
        self.0
    }

    /// The catalog id spelt `s`, if there is one.
    pub fn find(s: &str) -> Option<Id> {
        crate::ids::ALL.iter().copied().find(|id| id.0 == s)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl AsRef<str> for Id {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl From<Id> for &'static str {
    fn from(id: Id) -> Self {
        id.0
    }
}

impl From<Id> for String {
    fn from(id: Id) -> Self {
        id.0.to_string()
    }
}

impl PartialEq<str> for Id {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Id {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for Id {
    fn eq(&self, other: &String) -> bool {
        self.0 == other
    }
}

impl PartialEq<Id> for str {
    fn eq(&self, other: &Id) -> bool {
        self == other.0
    }
}

impl PartialEq<Id> for &str {
    fn eq(&self, other: &Id) -> bool {
        *self == other.0
    }
}

impl PartialEq<Id> for String {
    fn eq(&self, other: &Id) -> bool {
        self == other.0
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

/// The release the generated docs link to when a requirement has no `until` (a test checks it
/// is [`crate::SpecVersion::LATEST`]).
#[cfg(test)]
const DOC_LINK_RELEASE: &str = include!(concat!(env!("OUT_DIR"), "/doc_link_release.rs"));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{const_name, Catalog, SpecVersion};

    #[test]
    fn every_catalog_id_has_its_constant_and_no_other_exists() {
        let catalog = Catalog::embedded().unwrap_or_else(|e| panic!("{e}"));
        let mut all: Vec<&str> = crate::ids::ALL.iter().map(|id| id.as_str()).collect();
        let mut want: Vec<&str> = catalog.iter().map(|r| r.id.as_str()).collect();
        all.sort_unstable();
        want.sort_unstable();
        assert_eq!(all, want);
        for r in catalog {
            assert_eq!(Id::find(&r.id).map(Id::as_str), Some(r.id.as_str()));
        }
        assert_eq!(Id::find("config.process.cwd.absolut"), None);
    }

    #[test]
    fn constants_are_named_after_their_ids() {
        assert_eq!(
            crate::ids::CONFIG_PROCESS_CONSOLE_SIZE_IGNORED_WITHOUT_TERMINAL,
            "config.process.consoleSize.ignored-without-terminal"
        );
        assert_eq!(
            crate::ids::LINUX_RESOURCES_MEMORY_KERNEL_TCP_NOT_RECOMMENDED,
            "linux.resources.memory.kernelTCP.not-recommended"
        );
        assert_eq!(
            crate::ids::LINUX_INTEL_RDT_L3_CACHE_SCHEMA_PREFIX,
            "linux.intelRdt.l3CacheSchema.prefix"
        );
        assert_eq!(const_name("a.TCPInfo.x-y"), "A_TCP_INFO_X_Y");
        assert_eq!(const_name("a.b-c"), const_name("a.bC"));
    }

    #[test]
    fn generated_docs_link_to_the_latest_release() {
        assert_eq!(DOC_LINK_RELEASE, SpecVersion::LATEST.as_str());
    }

    #[test]
    fn ids_compare_with_strings_and_serialise_as_strings() {
        let id = crate::ids::CONFIG_PROCESS_CWD_ABSOLUTE;
        assert_eq!(id.to_string(), "config.process.cwd.absolute");
        assert!("config.process.cwd.absolute" == id);
        assert_eq!(String::from(id), "config.process.cwd.absolute");
        assert_eq!(
            serde_json::to_string(&id).unwrap_or_default(),
            "\"config.process.cwd.absolute\""
        );
    }
}
