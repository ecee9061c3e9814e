//! Baselines: known failures of a runtime, `<case-id> <one-line reason>` per line, that turn
//! those cases' failures into `xfail`. So that a baseline cannot rot, an entry for a case the
//! suite does not have is found ([`Baseline::unknown`]) and a listed case that passes is
//! flagged `xpass` ([`Baseline::apply`]).

use std::collections::BTreeMap;

use ocicheck_results::{BaselineInfo, CaseResult, Outcome};

/// The note on a case the baseline lists that passed.
pub const XPASS_NOTE: &str = "listed in the baseline but passed: remove it from the baseline";

/// Known failures: `<case-id> <one-line reason>` per line, `#` comments.
#[derive(Clone, Debug, Default)]
pub struct Baseline {
    /// Case id → reason.
    pub entries: BTreeMap<String, String>,
    /// Case id → the line (from 1) that lists it.
    pub lines: BTreeMap<String, usize>,
    /// A digest of the text (see [`crate::case::digest`]): equal for equal contents, wherever
    /// the file is.
    pub digest: String,
}

/// An entry of the baseline naming a case the suite does not have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownEntry {
    pub id: String,
    /// The line (from 1) that lists it.
    pub line: usize,
    /// A case id of the suite close to it, if any (a typo, a renamed case).
    pub did_you_mean: Option<String>,
}

impl Baseline {
    pub fn parse(text: &str) -> Result<Baseline, String> {
        let mut entries = BTreeMap::new();
        let mut lines = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (id, reason) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            if reason.trim().is_empty() {
                return Err(format!("line {}: {id} needs a reason", n + 1));
            }
            entries.insert(id.to_string(), reason.trim().to_string());
            lines.insert(id.to_string(), n + 1);
        }
        Ok(Baseline {
            entries,
            lines,
            // The contents only: the same baseline read from another checkout has the same digest.
            digest: crate::case::digest([("", text)]),
        })
    }

    /// What run results record of this baseline, read from `path`.
    pub fn info(&self, path: &str) -> BaselineInfo {
        BaselineInfo {
            path: path.to_string(),
            digest: self.digest.clone(),
            entries: self.entries.len(),
        }
    }

    /// The entries naming none of `suite`'s case ids (the whole suite, not a selection of it),
    /// in the order of their lines.
    pub fn unknown<'a>(&self, suite: impl IntoIterator<Item = &'a str>) -> Vec<UnknownEntry> {
        let ids: Vec<&str> = suite.into_iter().collect();
        let mut unknown: Vec<UnknownEntry> = self
            .entries
            .keys()
            .filter(|id| !ids.contains(&id.as_str()))
            .map(|id| UnknownEntry {
                id: id.clone(),
                line: self.lines.get(id).copied().unwrap_or(0),
                did_you_mean: closest(id, &ids).map(str::to_string),
            })
            .collect();
        unknown.sort_by_key(|u| u.line);
        unknown
    }

    /// Turns listed failures into xfail; flags listed cases that now pass as `xpass`, with a
    /// note.
    pub fn apply(&self, results: &mut [CaseResult]) {
        for r in results {
            if let Some(reason) = self.entries.get(&r.id) {
                match r.outcome {
                    Outcome::Fail | Outcome::Error => {
                        r.outcome = Outcome::Xfail;
                        r.baseline = Some(reason.clone());
                        for v in &mut r.verdicts {
                            if matches!(v.outcome, Outcome::Fail | Outcome::Error) {
                                v.outcome = Outcome::Xfail;
                            }
                        }
                    }
                    Outcome::Pass => {
                        r.baseline = Some(XPASS_NOTE.into());
                        r.xpass = true;
                    }
                    _ => {}
                }
            }
        }
    }
}

/// The id of `ids` closest to `id` by edit distance, when close enough to be a typo or a small
/// rename: at most 3 edits, and fewer than a third of `id`'s length.
fn closest<'a>(id: &str, ids: &[&'a str]) -> Option<&'a str> {
    let id_len = id.chars().count();
    ids.iter()
        .map(|c| (edit_distance(id, c), *c))
        .filter(|(d, _)| *d <= 3 && *d * 3 < id_len)
        .min()
        .map(|(_, c)| c)
}

/// Levenshtein distance, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev_diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let next = (row[j] + 1).min(row[j + 1] + 1).min(prev_diag + cost);
            prev_diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUITE: [&str; 4] = [
        "process.hostname",
        "process.cwd",
        "linux.namespaces.time",
        "hooks.order",
    ];

    #[test]
    fn entries_the_suite_does_not_have_are_found_with_their_line_and_a_neighbour() {
        let b = Baseline::parse(
            "# gaps\n\
             process.hostname real\n\
             hooks.ordre a typo\n\
             \n\
             linux.namespace.time renamed\n\
             something.else entirely gone\n",
        )
        .expect("parses");
        assert_eq!(
            b.unknown(SUITE),
            vec![
                UnknownEntry {
                    id: "hooks.ordre".into(),
                    line: 3,
                    did_you_mean: Some("hooks.order".into()),
                },
                UnknownEntry {
                    id: "linux.namespace.time".into(),
                    line: 5,
                    did_you_mean: Some("linux.namespaces.time".into()),
                },
                UnknownEntry {
                    id: "something.else".into(),
                    line: 6,
                    did_you_mean: None,
                },
            ]
        );
        assert!(Baseline::parse("process.cwd r\n")
            .expect("parses")
            .unknown(SUITE)
            .is_empty());
    }

    #[test]
    fn the_digest_is_of_the_contents_and_the_info_counts_entries() {
        let a = Baseline::parse("process.cwd r\n# c\nhooks.order r\n").expect("parses");
        let b = Baseline::parse("process.cwd r\n# c\nhooks.order r\n").expect("parses");
        let c = Baseline::parse("process.cwd r\n# d\nhooks.order r\n").expect("parses");
        assert_eq!(a.digest, b.digest);
        assert_ne!(a.digest, c.digest);
        let info = a.info("gaps.txt");
        assert_eq!(
            (info.path.as_str(), info.entries, info.digest.as_str()),
            ("gaps.txt", 2, a.digest.as_str())
        );
    }

    #[test]
    fn the_committed_baselines_name_only_cases_of_the_suite() {
        let suite = crate::Suite::embedded().expect("the embedded suite loads");
        for (name, text) in [
            (
                "runtimetest/baselines/runc-1.1.5.txt",
                include_str!("../baselines/runc-1.1.5.txt"),
            ),
            (
                "reports/wrappers/crun.baseline",
                include_str!("../../reports/wrappers/crun.baseline"),
            ),
        ] {
            let b = Baseline::parse(text).expect("parses");
            assert!(!b.entries.is_empty(), "{name}");
            let unknown = b.unknown(suite.cases.iter().map(|c| c.id.as_str()));
            assert!(unknown.is_empty(), "{name}: {unknown:?}");
        }
    }

    #[test]
    fn edit_distance_counts_insertions_deletions_and_substitutions() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("abc", "abd"), 1);
        assert_eq!(edit_distance("abc", "ab"), 1);
        assert_eq!(edit_distance("ab", "abc"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(closest("xy", &["ab"]), None);
    }
}
