//! Choosing cases by id: `--case GLOB` (`*` any run of characters, `?` one, `[...]` a set).

use crate::case::Case;

/// A `--case` pattern that is not a valid glob.
#[derive(Debug, thiserror::Error)]
#[error("--case {pattern:?} is not a valid glob: {source}")]
pub struct PatternError {
    pub pattern: String,
    #[source]
    pub source: glob::PatternError,
}

/// Case ids matching any of a set of globs (all ids when there are none).
#[derive(Debug, Default)]
pub struct Selection {
    patterns: Vec<glob::Pattern>,
}

impl Selection {
    pub fn new(globs: &[String]) -> Result<Selection, PatternError> {
        let patterns = globs
            .iter()
            .map(|g| {
                glob::Pattern::new(g).map_err(|source| PatternError {
                    pattern: g.clone(),
                    source,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Selection { patterns })
    }

    pub fn matches(&self, id: &str) -> bool {
        self.patterns.is_empty() || self.patterns.iter().any(|p| p.matches(id))
    }

    /// The cases whose ids match, in their order.
    pub fn apply(&self, cases: Vec<Case>) -> Vec<Case> {
        cases.into_iter().filter(|c| self.matches(&c.id)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(globs: &[&str]) -> Selection {
        let globs: Vec<String> = globs.iter().map(|g| g.to_string()).collect();
        Selection::new(&globs).expect("valid globs") // ok: test code
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
        assert!(e.to_string().contains("process.["), "{e}");
    }
}
