//! Per-requirement verdicts: which assertion of a case decided each requirement it names. A
//! failing assertion paints only the requirements it names; those only later assertions name
//! were not judged.

use ocicheck_catalog::{Catalog, SpecVersion};
use ocicheck_results::{Outcome, Verdict};

use super::case_run::Judged;
use crate::case::Case;

/// The verdict on each requirement of `case`, given the case's outcome and what was judged.
pub fn verdicts(
    case: &Case,
    outcome: Outcome,
    judged: &Judged,
    version: SpecVersion,
) -> Vec<Verdict> {
    let catalog = Catalog::embedded().ok();
    let assertions = case.assertions();
    case.requirements
        .iter()
        .map(|id| {
            let verdict = |outcome, assertion: String| Verdict {
                requirement: id.clone(),
                outcome,
                assertion,
            };
            let applies = catalog
                .and_then(|c| c.get(id))
                .is_none_or(|r| r.applies_to(version));
            if outcome == Outcome::Skip || !applies {
                return verdict(Outcome::Skip, String::new());
            }
            let naming: Vec<_> = assertions
                .iter()
                .filter(|(_, reqs)| reqs.contains(id))
                .map(|(a, _)| *a)
                .collect();
            if let Some(a) = naming.iter().find(|a| judged.failed.contains(a)) {
                let failed = match outcome {
                    Outcome::Error => Outcome::Error,
                    _ => Outcome::Fail,
                };
                // A failure that concerns some of the assertion's requirements fails those;
                // the judge stopped there, so the others were not judged.
                let concerns = judged
                    .concerns
                    .iter()
                    .find(|(c, _)| c == a)
                    .map(|(_, ids)| ids)
                    .filter(|ids| {
                        assertions
                            .iter()
                            .any(|(b, reqs)| b == a && reqs.iter().any(|r| ids.contains(r)))
                    });
                return match concerns {
                    Some(ids) if !ids.contains(id) => verdict(Outcome::Error, case.label(*a)),
                    _ => verdict(failed, case.label(*a)),
                };
            }
            match naming.iter().find(|a| !judged.passed.contains(a)) {
                // The case stopped (or could not go on) before this assertion.
                Some(a) => verdict(Outcome::Error, case.label(*a)),
                None => verdict(
                    Outcome::Pass,
                    naming.last().map(|a| case.label(*a)).unwrap_or_default(),
                ),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{parse, Assertion};

    const CASE: &str = r#"
id = "t.verdicts"
summary = "two assertions"
[[step]]
run = "create"
requirements = ["runtime.create.new-container"]
[[step]]
run = "start"
[[step]]
run = "wait"
[[step]]
run = "probe"
[[step]]
run = "delete"
requirements = ["runtime.delete.resources-removed"]
[[expect]]
check = "env"
contains = ["A=1"]
requirements = ["runtime.start.run-process"]
[[expect]]
check = "cwd"
value = "/"
requirements = ["runtime.start.run-process", "config.process.cwd.absolute"]
"#;

    fn outcome_of(v: &[Verdict], id: &str) -> (Outcome, String) {
        let v = v.iter().find(|v| v.requirement == id).expect("verdict"); // ok: test code
        (v.outcome, v.assertion.clone())
    }

    #[test]
    fn a_failing_expectation_paints_only_its_own_requirements() {
        let case = parse("cases/t.toml", CASE).expect("loads"); // ok: test code
        let judged = Judged {
            passed: vec![
                Assertion::Step(0),
                Assertion::Step(1),
                Assertion::Step(2),
                Assertion::Step(3),
                Assertion::Expect(0),
            ],
            failed: vec![Assertion::Expect(1)],
            ..Judged::default()
        };
        let v = verdicts(&case, Outcome::Fail, &judged, SpecVersion::LATEST);
        assert_eq!(
            outcome_of(&v, "runtime.create.new-container"),
            (Outcome::Pass, "step 1 (create)".into())
        );
        assert_eq!(
            outcome_of(&v, "runtime.start.run-process"),
            (Outcome::Fail, "expect 2 (cwd)".into())
        );
        assert_eq!(
            outcome_of(&v, "config.process.cwd.absolute"),
            (Outcome::Fail, "expect 2 (cwd)".into())
        );
        // Delete was never reached: not judged, not failed.
        assert_eq!(
            outcome_of(&v, "runtime.delete.resources-removed"),
            (Outcome::Error, "step 5 (delete)".into())
        );
    }

    #[test]
    fn a_passing_case_passes_every_requirement_and_a_skipped_one_none() {
        let case = parse("cases/t.toml", CASE).expect("loads"); // ok: test code
        let judged = Judged {
            passed: (0..5)
                .map(Assertion::Step)
                .chain([Assertion::Expect(0), Assertion::Expect(1)])
                .collect(),
            failed: vec![],
            ..Judged::default()
        };
        let v = verdicts(&case, Outcome::Pass, &judged, SpecVersion::LATEST);
        assert!(v.iter().all(|v| v.outcome == Outcome::Pass), "{v:?}");
        let v = verdicts(
            &case,
            Outcome::Skip,
            &Judged::default(),
            SpecVersion::LATEST,
        );
        assert!(v.iter().all(|v| v.outcome == Outcome::Skip), "{v:?}");
    }

    #[test]
    fn an_unnamed_failing_step_paints_nothing() {
        let case = parse("cases/t.toml", CASE).expect("loads"); // ok: test code
        let judged = Judged {
            passed: vec![Assertion::Step(0)],
            failed: vec![Assertion::Step(1)],
            ..Judged::default()
        };
        let v = verdicts(&case, Outcome::Fail, &judged, SpecVersion::LATEST);
        assert_eq!(
            outcome_of(&v, "runtime.create.new-container").0,
            Outcome::Pass
        );
        assert!(v
            .iter()
            .filter(|v| v.requirement != "runtime.create.new-container")
            .all(|v| v.outcome == Outcome::Error));
    }

    #[test]
    fn a_failure_that_concerns_one_requirement_fails_only_that_one() {
        let case = parse("cases/t.toml", CASE).expect("loads"); // ok: test code
                                                                // Step 1 (create) names runtime.create.new-container; give it a second requirement
                                                                // that its failure does not concern.
        let mut case = case;
        case.steps[0]
            .requirements
            .push("runtime.operations.supported".into());
        case.requirements
            .push("runtime.operations.supported".into());
        let judged = Judged {
            passed: vec![],
            failed: vec![Assertion::Step(0)],
            concerns: vec![(
                Assertion::Step(0),
                vec!["runtime.operations.supported".into()],
            )],
            ..Judged::default()
        };
        let v = verdicts(&case, Outcome::Fail, &judged, SpecVersion::LATEST);
        assert_eq!(
            outcome_of(&v, "runtime.operations.supported").0,
            Outcome::Fail
        );
        assert_eq!(
            outcome_of(&v, "runtime.create.new-container").0,
            Outcome::Error,
            "not judged: the judge stopped at the other problem"
        );
        // A failure concerning none of the assertion's requirements fails them all.
        let judged = Judged {
            failed: vec![Assertion::Step(0)],
            concerns: vec![(
                Assertion::Step(0),
                vec!["config.process.cwd.absolute".into()],
            )],
            ..Judged::default()
        };
        let v = verdicts(&case, Outcome::Fail, &judged, SpecVersion::LATEST);
        assert_eq!(
            outcome_of(&v, "runtime.create.new-container").0,
            Outcome::Fail
        );
    }
}
