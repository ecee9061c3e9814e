//! Counts by outcome.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Outcome;

/// Counts of cases (or of requirements) by outcome, and the compliance they make. In a run's
/// JSON, its `summary`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Tally {
    pub pass: usize,
    pub fail: usize,
    pub skip: usize,
    pub error: usize,
    pub xfail: usize,
}

impl Tally {
    /// Counts one more `o`.
    pub fn add(&mut self, o: Outcome) {
        *self.slot(o) += 1;
    }

    /// How many had outcome `o`.
    pub fn get(&self, o: Outcome) -> usize {
        match o {
            Outcome::Pass => self.pass,
            Outcome::Fail => self.fail,
            Outcome::Skip => self.skip,
            Outcome::Error => self.error,
            Outcome::Xfail => self.xfail,
        }
    }

    fn slot(&mut self, o: Outcome) -> &mut usize {
        match o {
            Outcome::Pass => &mut self.pass,
            Outcome::Fail => &mut self.fail,
            Outcome::Skip => &mut self.skip,
            Outcome::Error => &mut self.error,
            Outcome::Xfail => &mut self.xfail,
        }
    }

    /// Those actually judged (not skipped).
    pub fn tested(&self) -> usize {
        self.pass + self.fail + self.error + self.xfail
    }

    pub fn total(&self) -> usize {
        self.tested() + self.skip
    }

    /// Failed or errored: what makes `ocicheck run` fail (an xfail is expected).
    pub fn failed(&self) -> usize {
        self.fail + self.error
    }

    /// Compliance: the share of judged ones that passed (an xfail is a known failure, not a
    /// pass). `None` when nothing was judged.
    pub fn percent(&self) -> Option<f64> {
        let t = self.tested();
        (t > 0).then(|| 100.0 * self.pass as f64 / t as f64)
    }
}

impl Extend<Outcome> for Tally {
    fn extend<I: IntoIterator<Item = Outcome>>(&mut self, outcomes: I) {
        for o in outcomes {
            self.add(o);
        }
    }
}

impl FromIterator<Outcome> for Tally {
    fn from_iter<I: IntoIterator<Item = Outcome>>(outcomes: I) -> Tally {
        let mut t = Tally::default();
        t.extend(outcomes);
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_outcome_in_its_own_field() {
        let t: Tally = [
            Outcome::Pass,
            Outcome::Pass,
            Outcome::Fail,
            Outcome::Skip,
            Outcome::Error,
            Outcome::Xfail,
            Outcome::Xfail,
        ]
        .into_iter()
        .collect();
        assert_eq!(
            t,
            Tally {
                pass: 2,
                fail: 1,
                skip: 1,
                error: 1,
                xfail: 2
            }
        );
        for o in Outcome::ALL {
            let mut u = t;
            u.add(o);
            assert_eq!(u.get(o), t.get(o) + 1, "{o:?}");
            assert_eq!(u.total(), t.total() + 1);
        }
        assert_eq!(t.tested(), 6);
        assert_eq!(t.failed(), 2);
        assert_eq!(t.percent(), Some(100.0 * 2.0 / 6.0));
        assert_eq!(Tally::default().percent(), None);
    }

    #[test]
    fn keeps_the_summary_shape_of_run_results() {
        let t = Tally {
            pass: 1,
            fail: 2,
            skip: 3,
            error: 4,
            xfail: 5,
        };
        assert_eq!(
            serde_json::to_string(&t).expect("json"),
            r#"{"pass":1,"fail":2,"skip":3,"error":4,"xfail":5}"#
        );
    }
}
