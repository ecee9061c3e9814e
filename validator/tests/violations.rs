//! Every violation fixture (`tests/violations/<requirement-id>[--variant].json`) makes the
//! validator report exactly that requirement, and nothing else; the unmodified base config is
//! clean. This is the proof that turns a catalog entry from WIP into Included.
//!
//! Fixture fields: `config` (a JSON merge patch applied to `_base.json`; `null` deletes),
//! `raw` (config.json text used verbatim instead), `spec_version` (judge by this release),
//! `state` (a state document judged by the state schema instead of a bundle),
//! `host` (enable host checks), `rootfs` ("dir" default, "missing", "file", "symlink:<target>"),
//! `extra_dirs` (directories to create in the bundle), `extra_files` (name -> text), `no_config`, `config_is_dir`,
//! `also` (ids that necessarily accompany this one), `description`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use ocicheck_catalog::SpecVersion;
use ocicheck_validator::{Options, Target, Validator};
use serde_json::Value;

fn fixtures_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/violations")
}

/// Builds the fixture's bundle in a temp dir and validates it.
fn run_fixture(fixture: &Value) -> (tempfile::TempDir, ocicheck_validator::BundleReport) {
    let tmp = tempfile::tempdir().expect("tempdir");
    if let Some(state) = fixture.get("state") {
        let v = Validator::new(Options::default());
        let version = fixture
            .get("spec_version")
            .and_then(Value::as_str)
            .map_or(SpecVersion::LATEST, |s| s.parse().expect("release"));
        let diagnostics = v.validate_state(state, version);
        let report = ocicheck_validator::BundleReport {
            path: "<state>".into(),
            spec_version: version,
            valid: diagnostics.is_empty(),
            diagnostics,
            config_path: "<state>".into(),
            source: None,
        };
        return (tmp, report);
    }
    let bundle = tmp.path().join("bundle");
    common::lay_out_bundle(&bundle, fixture);
    let config_path = bundle.join("config.json");
    if fixture.get("config_is_dir").is_some() {
        std::fs::create_dir(&config_path).expect("dir");
    } else if fixture.get("no_config").is_none() {
        let text = common::config_text(fixture);
        std::fs::write(&config_path, text).expect("write config");
    }
    let spec_version = fixture
        .get("spec_version")
        .and_then(Value::as_str)
        .map(|s| s.parse::<SpecVersion>().expect("release"));
    let host = fixture
        .get("host")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let v = Validator::new(Options { spec_version, host });
    let report = v.validate(&Target::Bundle(bundle)).expect("readable");
    (tmp, report)
}

#[test]
fn base_config_is_clean() {
    let (_tmp, report) = run_fixture(&serde_json::json!({}));
    assert!(report.diagnostics.is_empty(), "{:#?}", report.diagnostics);
    let (_tmp, report) = run_fixture(&serde_json::json!({"host": true}));
    assert!(report.diagnostics.is_empty(), "{:#?}", report.diagnostics);
}

#[test]
fn every_fixture_yields_exactly_its_requirement() {
    let mut failures = Vec::new();
    let mut count = 0;
    let mut names: Vec<_> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| {
            !p.file_name()
                .expect("name")
                .to_string_lossy()
                .starts_with('_')
        })
        .collect();
    names.sort();
    for path in names {
        let stem = path
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        let id = stem.split("--").next().expect("id").to_string();
        let fixture: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("read"))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (_tmp, report) = run_fixture(&fixture);
        count += 1;
        let ids: BTreeSet<&str> = report
            .diagnostics
            .iter()
            .map(|d| d.requirement.as_str())
            .collect();
        // `also`: ids that necessarily accompany this one (another root cause in the same input).
        let mut expected = BTreeSet::from([id.as_str()]);
        for a in fixture
            .get("also")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            expected.insert(a.as_str().expect("id"));
        }
        if ids != expected {
            failures.push(format!(
                "{stem}: expected only {id}, got {:?}",
                report
                    .diagnostics
                    .iter()
                    .map(|d| format!("{} {} {}", d.requirement, d.pointer, d.message))
                    .collect::<Vec<_>>()
            ));
        }
        for d in &report.diagnostics {
            if d.line.is_none()
                && fixture.get("no_config").is_none()
                && fixture.get("config_is_dir").is_none()
                && fixture.get("state").is_none()
            {
                failures.push(format!("{stem}: finding without a line: {d:?}"));
            }
        }
    }
    assert!(count > 0);
    assert!(
        failures.is_empty(),
        "{} of {count} fixtures failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_fixture_id_is_claimed_by_the_validator() {
    let claimed: BTreeSet<String> = ocicheck_validator::implementers()
        .into_iter()
        .flat_map(|i| i.claims.into_iter().map(|c| c.id))
        .collect();
    for id in ocicheck_validator::proof::PROVEN {
        assert!(
            claimed.contains(*id),
            "fixture for {id}, but no check or schema claims it"
        );
    }
    let catalog = ocicheck_catalog::Catalog::embedded().expect("catalog");
    for id in &claimed {
        assert!(
            catalog.get(id).is_some(),
            "{id} is claimed but not in the catalog"
        );
    }
}
