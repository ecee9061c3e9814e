//! Baselines: known failures of a runtime, `<case-id> <one-line reason>` per line, that turn
//! those cases' failures into `xfail`.

use std::collections::BTreeMap;

use ocicheck_results::{CaseResult, Outcome};

/// Known failures: `<case-id> <one-line reason>` per line, `#` comments.
#[derive(Clone, Debug, Default)]
pub struct Baseline {
    pub entries: BTreeMap<String, String>,
}

impl Baseline {
    pub fn parse(text: &str) -> Result<Baseline, String> {
        let mut entries = BTreeMap::new();
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
        }
        Ok(Baseline { entries })
    }

    /// Turns listed failures into xfail; notes listed cases that now pass.
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
                        r.baseline = Some(
                            "listed in the baseline but passed: remove it from the baseline".into(),
                        );
                    }
                    _ => {}
                }
            }
        }
    }
}
