//! The result formats: every value survives JSON and back, every value's JSON matches the
//! schema derived from its type, the schemas refuse what is not the format, and format versions
//! are read as documented.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use ocicheck_results::{
    schema, BaselineInfo, BundleResult, CaseResult, Finding, FormatError, Level, Outcome,
    Partition, ResultsFile, RunResults, RuntimeInfo, Severity, SuiteInfo, Tally, Unreadable,
    ValidateResults, ValidateSummary, Verdict, RUN_RESULTS_FORMAT_VERSION,
    VALIDATE_RESULTS_FORMAT_VERSION,
};
use proptest::prelude::*;
use serde_json::{json, Value};

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ./:\"\\\\\n\t\u{e9}\u{1f600}-]{0,12}"
}

fn partition() -> impl Strategy<Value = Partition> {
    (1..40usize)
        .prop_flat_map(|n| (1..=n, Just(n)))
        .prop_map(|(k, n)| Partition::new(k, n).expect("1 <= k <= n"))
}

fn case() -> impl Strategy<Value = CaseResult> {
    (
        text(),
        prop::collection::vec(text(), 0..3),
        prop::sample::select(Outcome::ALL.to_vec()),
        text(),
        any::<u64>(),
        prop::option::of(text()),
        prop::collection::vec(
            (text(), prop::sample::select(Outcome::ALL.to_vec()), text()),
            0..3,
        ),
        any::<bool>(),
    )
        .prop_map(
            |(id, requirements, outcome, reason, duration_ms, baseline, verdicts, xpass)| {
                CaseResult {
                    id,
                    requirements,
                    outcome,
                    verdicts: verdicts
                        .into_iter()
                        .map(|(requirement, outcome, assertion)| Verdict {
                            requirement,
                            outcome,
                            assertion,
                        })
                        .collect(),
                    reason,
                    duration_ms,
                    baseline,
                    xpass,
                }
            },
        )
}

fn run_results() -> impl Strategy<Value = RunResults> {
    (
        1..=RUN_RESULTS_FORMAT_VERSION,
        (text(), text()),
        text(),
        prop::option::of((text(), text())),
        prop::option::of(partition()),
        prop::option::of(0..10_000usize),
        prop::collection::vec(case(), 0..6),
        prop::option::of((text(), text(), 0..1_000usize)),
    )
        .prop_map(
            |(
                format_version,
                (path, version),
                spec_version,
                suite,
                partition,
                selected,
                cases,
                baseline,
            )| {
                // Case ids are unique in a run.
                let cases: Vec<CaseResult> = cases
                    .into_iter()
                    .enumerate()
                    .map(|(i, mut c)| {
                        c.id = format!("{i}.{}", c.id);
                        c
                    })
                    .collect();
                let mut run = RunResults::new(
                    RuntimeInfo { path, version },
                    &spec_version,
                    suite.map(|(version, cases_digest)| SuiteInfo {
                        version,
                        cases_digest,
                    }),
                    cases,
                );
                run.format_version = format_version;
                run.partition = partition;
                run.selected_cases = selected;
                run.baseline = baseline.map(|(path, digest, entries)| BaselineInfo {
                    path,
                    digest,
                    entries,
                });
                run
            },
        )
}

fn finding() -> impl Strategy<Value = Finding> {
    (
        text(),
        prop::sample::select(Level::ALL.to_vec()),
        prop::sample::select(vec![Severity::Error, Severity::Warning]),
        text(),
        prop::option::of(1..100_000u32),
        prop::option::of(1..1_000u32),
        text(),
        text(),
    )
        .prop_map(
            |(requirement, level, severity, pointer, line, column, message, spec_url)| Finding {
                requirement,
                level,
                severity,
                pointer,
                line,
                column,
                message,
                spec_url,
            },
        )
}

fn validate_results() -> impl Strategy<Value = ValidateResults> {
    (
        1..=VALIDATE_RESULTS_FORMAT_VERSION,
        prop::collection::vec(
            (
                text(),
                text(),
                any::<bool>(),
                prop::collection::vec(finding(), 0..4),
            )
                .prop_map(|(path, spec_version, valid, diagnostics)| BundleResult {
                    path,
                    spec_version,
                    valid,
                    diagnostics,
                }),
            0..4,
        ),
        prop::collection::vec(
            (text(), text()).prop_map(|(path, error)| Unreadable { path, error }),
            0..3,
        ),
    )
        .prop_map(|(format_version, bundles, unreadable)| {
            let mut run = ValidateResults::new(bundles, unreadable);
            run.format_version = format_version;
            run
        })
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::validator_for(schema).expect("the derived schema compiles")
}

fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

proptest! {
    #[test]
    fn run_results_survive_json(run in run_results()) {
        let text = run.to_json();
        prop_assert_eq!(&RunResults::from_json(text.as_bytes()).expect("reads"), &run);
        match ResultsFile::from_json(text.as_bytes()).expect("reads") {
            ResultsFile::Run(r) => prop_assert_eq!(*r, run),
            other => prop_assert!(false, "read as {:?}", other),
        }
    }

    #[test]
    fn validate_results_survive_json(run in validate_results()) {
        let text = run.to_json();
        prop_assert_eq!(&ValidateResults::from_json(text.as_bytes()).expect("reads"), &run);
        match ResultsFile::from_json(text.as_bytes()).expect("reads") {
            ResultsFile::Validate(r) => prop_assert_eq!(r, run),
            other => prop_assert!(false, "read as {:?}", other),
        }
    }

    #[test]
    fn run_results_match_their_schema(run in run_results()) {
        let v = validator(&schema::run_results());
        let instance = serde_json::to_value(&run).expect("json");
        let e = errors(&v, &instance);
        prop_assert!(e.is_empty(), "{:?}\n{}", e, instance);
    }

    #[test]
    fn validate_results_match_their_schema(run in validate_results()) {
        let v = validator(&schema::validate_results());
        let instance = serde_json::to_value(&run).expect("json");
        let e = errors(&v, &instance);
        prop_assert!(e.is_empty(), "{:?}\n{}", e, instance);
    }

    #[test]
    fn partitions_display_as_they_parse(p in partition()) {
        let s = p.to_string();
        prop_assert_eq!(s.parse::<Partition>().expect("parses"), p);
        prop_assert_eq!(s, format!("{}/{}", p.index(), p.count()));
    }

    #[test]
    fn partitions_of_a_list_cover_it_once(n in 1..12usize, len in 0..50usize) {
        let mut seen = vec![0; len];
        for p in Partition::all(n) {
            let shard = p.select(0..len);
            prop_assert!(shard.windows(2).all(|w| w[0] < w[1]));
            for i in shard {
                prop_assert!(p.contains(i));
                seen[i] += 1;
            }
        }
        prop_assert!(seen.iter().all(|&c| c == 1));
    }

    #[test]
    fn strings_that_parse_as_partitions_display_the_same(s in "[+0-9]{0,3}/?[+0-9]{0,3}") {
        if let Ok(p) = s.parse::<Partition>() {
            prop_assert_eq!(p.to_string().parse::<Partition>().expect("reparses"), p);
            prop_assert!(p.index() >= 1 && p.index() <= p.count());
        }
    }
}

/// A run result as ocicheck wrote it before `format_version` (and before suite, partition and
/// selected_cases).
const OLD_RUN: &str = r#"{
  "runtime": {"path": "/usr/sbin/runc", "version": "runc version 1.1.5"},
  "spec_version": "1.3.0",
  "cases": [
    {"id": "process.hostname", "requirements": ["config.hostname"], "outcome": "pass",
     "reason": "", "duration_ms": 41}
  ],
  "summary": {"pass": 1, "fail": 0, "skip": 0, "error": 0, "xfail": 0}
}"#;

/// A validate result as ocicheck wrote it before `format_version`.
const OLD_VALIDATE: &str = r#"{
  "bundles": [
    {"path": "b", "spec_version": "1.3.0", "valid": false, "diagnostics": [
      {"requirement": "config.process.cwd.absolute", "level": "MUST", "severity": "error",
       "pointer": "/process/cwd", "line": 3, "column": 12, "message": "not absolute",
       "spec_url": "https://example.com"},
      {"requirement": "ocicheck.spec-version.unknown", "level": "", "severity": "warning",
       "pointer": "/ociVersion", "line": null, "column": null, "message": "unknown",
       "spec_url": ""}
    ]}
  ],
  "summary": {"bundles": 1, "valid": 0, "invalid": 1, "errors": 1, "warnings": 1},
  "unreadable": []
}"#;

#[test]
fn files_without_a_format_version_are_version_1() {
    let run = RunResults::from_json(OLD_RUN.as_bytes()).expect("an old run reads");
    assert_eq!(run.format_version, 1);
    assert_eq!(
        (run.suite, run.partition, run.selected_cases),
        (None, None, None)
    );
    assert_eq!(run.summary.pass, 1);
    // Written before the baseline was recorded and xpass flagged.
    assert_eq!(run.baseline, None);
    assert!(!run.cases[0].xpass);
    let v = ValidateResults::from_json(OLD_VALIDATE.as_bytes()).expect("an old validate reads");
    assert_eq!(v.format_version, 1);
    assert_eq!(v.bundles[0].diagnostics[0].level, Level::Must);
    assert_eq!(v.bundles[0].diagnostics[1].level, Level::Note);
    assert_eq!(v.summary, ValidateSummary::of(&v.bundles));
    // Both match the schemas too: format_version is optional there.
    for (schema, doc) in [
        (schema::run_results(), OLD_RUN),
        (schema::validate_results(), OLD_VALIDATE),
    ] {
        let instance: Value = serde_json::from_str(doc).expect("json");
        assert_eq!(errors(&validator(&schema), &instance), Vec::<String>::new());
    }
}

#[test]
fn newer_format_versions_are_refused_before_their_fields_are_read() {
    for (doc, name, supported) in [
        (OLD_RUN, "run results", RUN_RESULTS_FORMAT_VERSION),
        (
            OLD_VALIDATE,
            "validate results",
            VALIDATE_RESULTS_FORMAT_VERSION,
        ),
    ] {
        let mut v: Value = serde_json::from_str(doc).expect("json");
        v["format_version"] = json!(99);
        // A newer format may have changed any field: the version is what is wrong.
        v["summary"] = json!("changed in version 99");
        let e = ResultsFile::from_json(&serde_json::to_vec(&v).expect("json"))
            .expect_err("version 99 is refused");
        assert!(
            matches!(e, FormatError::NewerVersion { found: 99, .. }),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            format!(
                "{name} format version 99 is newer than this ocicheck reads (up to \
                 {supported}): it was written by a newer ocicheck; read it with that one"
            )
        );
        for bad in [json!(0), json!(-1), json!(1.5), json!("1"), json!(null)] {
            v["format_version"] = bad.clone();
            let e = ResultsFile::from_json(&serde_json::to_vec(&v).expect("json"))
                .expect_err("refused");
            assert!(matches!(e, FormatError::BadVersion(_)), "{bad}: {e:?}");
        }
    }
}

#[test]
fn readers_refuse_duplicate_cases_and_other_documents() {
    let mut v: Value = serde_json::from_str(OLD_RUN).expect("json");
    let case = v["cases"][0].clone();
    v["cases"] = json!([case.clone(), case]);
    let e = RunResults::from_json(&serde_json::to_vec(&v).expect("json")).expect_err("refused");
    assert_eq!(e.to_string(), "case process.hostname appears twice");
    let e = ResultsFile::from_json(b"{\"hello\": 1}").expect_err("refused");
    assert!(matches!(e, FormatError::UnknownDocument), "{e:?}");
    let e = ResultsFile::from_json(b"[]").expect_err("refused");
    assert!(matches!(e, FormatError::NotAnObject), "{e:?}");
    let e = ResultsFile::from_json(b"{").expect_err("refused");
    assert!(e.to_string().starts_with("not JSON: "), "{e}");
}

/// A way to break a document, and what it breaks.
type Breaker = (&'static str, fn(&mut Value));

/// The schemas are not so loose that anything passes: each of these breaks the format.
#[test]
fn the_schemas_refuse_what_is_not_the_format() {
    let run_schema = validator(&schema::run_results());
    let base: Value = serde_json::from_str(OLD_RUN).expect("json");
    let broken_runs: [Breaker; 8] = [
        ("an unknown outcome", |v| {
            v["cases"][0]["outcome"] = json!("meh")
        }),
        ("partition 0/3", |v| v["partition"] = json!("0/3")),
        ("partition not K/N", |v| v["partition"] = json!("3")),
        ("format_version 0", |v| v["format_version"] = json!(0)),
        ("no cases", |v| {
            v.as_object_mut().map(|o| o.remove("cases"));
        }),
        ("a summary without xfail", |v| {
            v["summary"].as_object_mut().map(|o| o.remove("xfail"));
        }),
        ("a negative duration", |v| {
            v["cases"][0]["duration_ms"] = json!(-1)
        }),
        ("a runtime without version", |v| {
            v["runtime"] = json!({"path": "p"})
        }),
    ];
    for (what, breaks) in broken_runs {
        let mut v = base.clone();
        breaks(&mut v);
        assert!(
            !run_schema.is_valid(&v),
            "the run schema accepts {what}: {v}"
        );
    }
    let validate_schema = validator(&schema::validate_results());
    let base: Value = serde_json::from_str(OLD_VALIDATE).expect("json");
    let broken: [Breaker; 5] = [
        ("an unknown level", |v| {
            v["bundles"][0]["diagnostics"][0]["level"] = json!("SHOULDN'T")
        }),
        ("a lowercase level", |v| {
            v["bundles"][0]["diagnostics"][0]["level"] = json!("must")
        }),
        ("an unknown severity", |v| {
            v["bundles"][0]["diagnostics"][0]["severity"] = json!("fatal")
        }),
        ("line 0", |v| {
            v["bundles"][0]["diagnostics"][0]["line"] = json!(0)
        }),
        ("valid as a string", |v| {
            v["bundles"][0]["valid"] = json!("no")
        }),
    ];
    for (what, breaks) in broken {
        let mut v = base.clone();
        breaks(&mut v);
        assert!(
            !validate_schema.is_valid(&v),
            "the validate schema accepts {what}: {v}"
        );
    }
}

/// The JSON keeps the field order and spelling the README documents, the version first.
#[test]
fn documents_start_with_their_format_version() {
    let run = RunResults::new(
        RuntimeInfo {
            path: "r".into(),
            version: "v".into(),
        },
        "1.3.0",
        None,
        Vec::new(),
    );
    assert!(
        run.to_json()
            .starts_with("{\n  \"format_version\": 1,\n  \"runtime\": {"),
        "{}",
        run.to_json()
    );
    let v = ValidateResults::new(Vec::new(), Vec::new());
    assert_eq!(
        v.to_json(),
        "{\n  \"format_version\": 1,\n  \"bundles\": [],\n  \"summary\": {\n    \"bundles\": 0,\n    \
         \"valid\": 0,\n    \"invalid\": 0,\n    \"errors\": 0,\n    \"warnings\": 0\n  },\n  \
         \"unreadable\": []\n}"
    );
    assert_eq!(run.summary, Tally::default());
    let levels: Vec<String> = Level::ALL
        .iter()
        .map(|l| serde_json::to_string(l).expect("json"))
        .collect();
    assert_eq!(
        levels,
        [
            "\"MUST\"",
            "\"MUST NOT\"",
            "\"REQUIRED\"",
            "\"SHOULD\"",
            "\"SHOULD NOT\"",
            "\"RECOMMENDED\"",
            "\"NOT RECOMMENDED\"",
            "\"MAY\"",
            "\"OPTIONAL\"",
            "\"\""
        ]
    );
    for l in Level::ALL {
        assert_eq!(
            serde_json::to_string(&l).expect("json"),
            format!("{:?}", l.as_str())
        );
    }
}
