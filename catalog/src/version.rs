//! Releases of the runtime-spec and the mapping of a config's `ociVersion` onto them.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A release of the OCI runtime specification that ocicheck knows the rules of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SpecVersion {
    V1_0_0,
    V1_0_1,
    V1_0_2,
    V1_1_0,
    V1_2_0,
    V1_2_1,
    V1_3_0,
}

impl SpecVersion {
    /// Every known release, oldest first.
    pub const ALL: [SpecVersion; 7] = [
        SpecVersion::V1_0_0,
        SpecVersion::V1_0_1,
        SpecVersion::V1_0_2,
        SpecVersion::V1_1_0,
        SpecVersion::V1_2_0,
        SpecVersion::V1_2_1,
        SpecVersion::V1_3_0,
    ];

    /// The release ocicheck follows.
    pub const LATEST: SpecVersion = SpecVersion::V1_3_0;

    pub fn as_str(self) -> &'static str {
        match self {
            SpecVersion::V1_0_0 => "1.0.0",
            SpecVersion::V1_0_1 => "1.0.1",
            SpecVersion::V1_0_2 => "1.0.2",
            SpecVersion::V1_1_0 => "1.1.0",
            SpecVersion::V1_2_0 => "1.2.0",
            SpecVersion::V1_2_1 => "1.2.1",
            SpecVersion::V1_3_0 => "1.3.0",
        }
    }

    /// The exact release named by `s` (`"1.2.0"`), without any suffix.
    pub fn from_release(s: &str) -> Option<SpecVersion> {
        SpecVersion::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Maps a version string, as found in a config's `ociVersion`, to the release whose rules
    /// apply, and says how it got there.
    pub fn resolve(s: &str) -> Resolution {
        let Ok(parsed) = semver::Version::parse(s) else {
            return Resolution {
                version: SpecVersion::LATEST,
                how: Resolved::NotSemver,
            };
        };
        let core = format!("{}.{}.{}", parsed.major, parsed.minor, parsed.patch);
        match SpecVersion::from_release(&core) {
            Some(v) if parsed.pre.is_empty() && parsed.build.is_empty() => Resolution {
                version: v,
                how: Resolved::Exact,
            },
            Some(v) => Resolution {
                version: v,
                how: Resolved::PreRelease,
            },
            None => {
                let latest = semver::Version::new(1, 3, 0);
                let how = if parsed > latest {
                    Resolved::Future
                } else {
                    Resolved::Unknown
                };
                Resolution {
                    version: SpecVersion::LATEST,
                    how,
                }
            }
        }
    }

    /// The git tag of this release in the runtime-spec repository.
    pub fn tag(self) -> String {
        format!("v{}", self.as_str())
    }
}

impl fmt::Display for SpecVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for SpecVersion {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SpecVersion::from_release(s).ok_or_else(|| {
            let known: Vec<&str> = SpecVersion::ALL.iter().map(|v| v.as_str()).collect();
            format!(
                "unknown runtime-spec release {s:?} (known: {})",
                known.join(", ")
            )
        })
    }
}

impl Serialize for SpecVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SpecVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// How a version string was mapped onto a release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// The string is a release.
    Exact,
    /// A pre-release or build of a known release (`1.1.0-rc.1`, `1.2.0+dev`): judged as it.
    PreRelease,
    /// Semver, but no release of that number exists (`1.0.3`): judged as the latest release.
    Unknown,
    /// Newer than every known release: judged as the latest release.
    Future,
    /// Not a semantic version at all: judged as the latest release.
    NotSemver,
}

/// The result of [`SpecVersion::resolve`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolution {
    pub version: SpecVersion,
    pub how: Resolved,
}

impl Resolution {
    /// Whether the mapping deserves a warning to the user.
    pub fn is_guess(&self) -> bool {
        matches!(
            self.how,
            Resolved::Unknown | Resolved::Future | Resolved::NotSemver
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_resolve_exactly() {
        for v in SpecVersion::ALL {
            assert_eq!(
                SpecVersion::resolve(v.as_str()),
                Resolution {
                    version: v,
                    how: Resolved::Exact
                }
            );
        }
    }

    #[test]
    fn prereleases_map_to_their_release() {
        let r = SpecVersion::resolve("1.1.0-rc.3");
        assert_eq!(r.version, SpecVersion::V1_1_0);
        assert_eq!(r.how, Resolved::PreRelease);
        assert_eq!(
            SpecVersion::resolve("1.0.0-rc5").version,
            SpecVersion::V1_0_0
        );
        assert_eq!(
            SpecVersion::resolve("1.2.0+dev").version,
            SpecVersion::V1_2_0
        );
        assert!(!SpecVersion::resolve("1.2.0+dev").is_guess());
    }

    #[test]
    fn unknown_and_future_versions_are_judged_as_latest_with_a_warning() {
        for (s, how) in [
            ("1.0.3", Resolved::Unknown),
            ("0.5.0", Resolved::Unknown),
            ("1.4.0", Resolved::Future),
            ("2.0.0-rc1", Resolved::Future),
            ("1.0", Resolved::NotSemver),
            ("", Resolved::NotSemver),
        ] {
            let r = SpecVersion::resolve(s);
            assert_eq!(r.version, SpecVersion::LATEST, "{s}");
            assert_eq!(r.how, how, "{s}");
            assert!(r.is_guess());
        }
    }

    #[test]
    fn ordering_follows_release_order() {
        assert!(SpecVersion::V1_0_2 < SpecVersion::V1_1_0);
        assert!(SpecVersion::V1_2_1 < SpecVersion::V1_3_0);
        assert_eq!("1.2.1".parse::<SpecVersion>(), Ok(SpecVersion::V1_2_1));
        assert!("1.2".parse::<SpecVersion>().is_err());
    }
}
