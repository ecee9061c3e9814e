//! Choosing cases by id: `--case GLOB` keeps the matching cases, then `--skip GLOB` drops the
//! matching ones (`*` any run of characters, `?` one, `[...]` a set).

use crate::case::Case;

/// A `--case` or `--skip` pattern that is not a valid glob.
#[derive(Debug, thiserror::Error)]
#[error("{flag} {pattern:?} is not a valid glob: {source}")]
pub struct PatternError {
    /// The option the pattern was given to (`--case`, `--skip`).
    pub flag: &'static str,
    pub pattern: String,
    #[source]
    pub source: glob::PatternError,
}

/// A selection that leaves no case to run.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum EmptySelection {
    /// No case id matches any `--case` glob.
    #[error("no case matches {}", .0.join(", "))]
    NoMatch(Vec<String>),
    /// The `--skip` globs exclude every case `--case` selected.
    #[error("--skip {} excludes every selected case ({selected})", .skips.join(", "))]
    AllSkipped { skips: Vec<String>, selected: usize },
}

/// Case ids matching any of the `--case` globs (all ids when there are none) and none of the
/// `--skip` globs.
#[derive(Debug, Default)]
pub struct Selection {
    patterns: Vec<glob::Pattern>,
    skips: Vec<glob::Pattern>,
}

fn compile(flag: &'static str, globs: &[String]) -> Result<Vec<glob::Pattern>, PatternError> {
    globs
        .iter()
        .map(|g| {
            glob::Pattern::new(g).map_err(|source| PatternError {
                flag,
                pattern: g.clone(),
                source,
            })
        })
        .collect()
}

impl Selection {
    /// The cases matching any of `globs` (`--case`).
    pub fn new(globs: &[String]) -> Result<Selection, PatternError> {
        Ok(Selection {
            patterns: compile("--case", globs)?,
            skips: Vec::new(),
        })
    }

    /// Also excludes the cases matching any of `globs` (`--skip`), after `--case`.
    pub fn skipping(mut self, globs: &[String]) -> Result<Selection, PatternError> {
        self.skips = compile("--skip", globs)?;
        Ok(self)
    }

    fn included(&self, id: &str) -> bool {
        self.patterns.is_empty() || self.patterns.iter().any(|p| p.matches(id))
    }

    fn skipped(&self, id: &str) -> bool {
        self.skips.iter().any(|p| p.matches(id))
    }

    pub fn matches(&self, id: &str) -> bool {
        self.included(id) && !self.skipped(id)
    }

    /// The cases whose ids match, in their order.
    pub fn apply(&self, cases: Vec<Case>) -> Vec<Case> {
        cases.into_iter().filter(|c| self.matches(&c.id)).collect()
    }

    /// The cases whose ids match, in their order; an error saying which option emptied the
    /// selection when none is left.
    pub fn select(&self, cases: Vec<Case>) -> Result<Vec<Case>, EmptySelection> {
        let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
        self.check(&ids)?;
        Ok(self.apply(cases))
    }

    fn check(&self, ids: &[&str]) -> Result<(), EmptySelection> {
        let selected = ids.iter().filter(|id| self.included(id)).count();
        if selected == 0 {
            return Err(EmptySelection::NoMatch(
                self.patterns
                    .iter()
                    .map(|p| p.as_str().to_string())
                    .collect(),
            ));
        }
        if ids.iter().all(|id| !self.matches(id)) {
            return Err(EmptySelection::AllSkipped {
                skips: self.skips.iter().map(|p| p.as_str().to_string()).collect(),
                selected,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(globs: &[&str]) -> Vec<String> {
        globs.iter().map(|g| g.to_string()).collect()
    }

    fn sel(globs: &[&str]) -> Selection {
        Selection::new(&strings(globs)).expect("valid globs") // ok: test code
    }

    fn sel_skip(globs: &[&str], skips: &[&str]) -> Selection {
        sel(globs).skipping(&strings(skips)).expect("valid globs") // ok: test code
    }

    #[test]
    fn globs_match_case_ids() {
        assert!(sel(&["process.*"]).matches("process.hostname"));
        assert!(sel(&["*"]).matches("x"));
        assert!(sel(&["*.kill*"]).matches("lifecycle.kill-created"));
        assert!(!sel(&["process.*"]).matches("lifecycle.create"));
        assert!(sel(&["a?c"]).matches("abc"));
        assert!(sel(&["nothing", "a?c"]).matches("abc"));
        assert!(sel(&[]).matches("anything"));
    }

    #[test]
    fn a_bad_glob_is_an_error_naming_it() {
        let e = Selection::new(&["process.[".to_string()]).expect_err("invalid"); // ok: test code
        assert!(e.to_string().contains("--case \"process.[\""), "{e}");
        let e = sel(&[])
            .skipping(&["kill.[".to_string()])
            .expect_err("invalid"); // ok: test code
        assert!(e.to_string().contains("--skip \"kill.[\""), "{e}");
    }

    #[test]
    fn skip_excludes_after_case() {
        let s = sel_skip(&["process.*"], &["*.user*", "process.cwd"]);
        assert!(s.matches("process.hostname"));
        assert!(!s.matches("process.user-uid"));
        assert!(!s.matches("process.cwd"));
        // Not selected by --case, whatever --skip says.
        assert!(!s.matches("lifecycle.create"));
        // --skip alone: everything but the skipped.
        let s = sel_skip(&[], &["lifecycle.*"]);
        assert!(s.matches("process.cwd"));
        assert!(!s.matches("lifecycle.kill"));
    }

    #[test]
    fn an_empty_selection_says_which_option_emptied_it() {
        let ids = ["process.cwd", "process.user", "lifecycle.kill"];
        assert_eq!(sel_skip(&["process.*"], &["*.user"]).check(&ids), Ok(()));
        assert_eq!(
            sel_skip(&["nothing.*"], &["*"]).check(&ids),
            Err(EmptySelection::NoMatch(strings(&["nothing.*"])))
        );
        let e = sel_skip(&["process.*"], &["process.c*", "*.user"])
            .check(&ids)
            .expect_err("all skipped"); // ok: test code
        assert_eq!(
            e,
            EmptySelection::AllSkipped {
                skips: strings(&["process.c*", "*.user"]),
                selected: 2
            }
        );
        assert_eq!(
            e.to_string(),
            "--skip process.c*, *.user excludes every selected case (2)"
        );
        assert!(matches!(
            sel_skip(&[], &["*"]).check(&ids),
            Err(EmptySelection::AllSkipped { selected: 3, .. })
        ));
    }
}
