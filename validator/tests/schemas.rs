//! Our schemas against runtime-spec's own fixtures (copied from shared/upstream) and against
//! the configs real runtimes generate.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use std::path::{Path, PathBuf};
use std::process::Command;

use ocicheck_catalog::SpecVersion;
use ocicheck_validator::schema::{compile, iter_errors, SchemaKind};
use ocicheck_validator::{Options, Target, Validator};
use serde_json::Value;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

fn files(dir: PathBuf) -> Vec<PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .collect();
    v.sort();
    v
}

/// Schema stage only (the validator generated at build time): Ok(()) when the text parses and
/// validates.
fn schema_stage(kind: SchemaKind, text: &str) -> Result<(), String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let errors: Vec<String> = iter_errors(kind, SpecVersion::LATEST, &value)?
        .map(|e| format!("{} at {}", e, e.instance_path().as_str()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

#[test]
fn upstream_good_fixtures_pass_and_bad_ones_fail() {
    let mut checked = 0;
    for (dir, kind) in [
        ("config", SchemaKind::Config),
        ("state", SchemaKind::State),
        ("features", SchemaKind::Features),
    ] {
        for f in files(data(&format!("upstream/{dir}/good"))) {
            let text = std::fs::read_to_string(&f).expect("read");
            if let Err(e) = schema_stage(kind, &text) {
                panic!("good fixture {} fails: {e}", f.display());
            }
            checked += 1;
        }
        for f in files(data(&format!("upstream/{dir}/bad"))) {
            let text = std::fs::read_to_string(&f).expect("read");
            assert!(
                schema_stage(kind, &text).is_err(),
                "bad fixture {} passes",
                f.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 19, "only {checked} fixtures");
}

#[test]
fn every_release_has_a_compiling_config_schema() {
    for v in SpecVersion::ALL {
        compile(SchemaKind::Config, v).unwrap_or_else(|e| panic!("{v}: {e}"));
    }
    compile(SchemaKind::State, SpecVersion::LATEST).expect("state");
    compile(SchemaKind::Features, SpecVersion::LATEST).expect("features");
}

/// `runc spec`, `runc spec --rootless`, `crun spec`, `crun spec --rootless` produce configs
/// that validate without error. CI installs both runtimes; elsewhere a missing one is skipped
/// with a message.
#[test]
fn real_runtime_configs_validate_without_error() {
    let mut ran = 0;
    for (rt, args) in [
        ("runc", vec!["spec"]),
        ("runc", vec!["spec", "--rootless"]),
        ("crun", vec!["spec"]),
        ("crun", vec!["spec", "--rootless"]),
    ] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let out = match Command::new(rt)
            .args(&args)
            .current_dir(tmp.path())
            .output()
        {
            Ok(o) => o,
            Err(e) => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "{rt} is not installed in CI: {e}"
                );
                eprintln!("skipping {rt} {args:?}: {e}");
                continue;
            }
        };
        assert!(
            out.status.success(),
            "{rt} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::create_dir(tmp.path().join("rootfs")).expect("rootfs");
        let v = Validator::new(Options::default());
        let report = v
            .validate(&Target::Bundle(tmp.path().to_path_buf()))
            .expect("readable");
        let errors: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.severity == ocicheck_validator::Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{rt} {args:?}: {errors:#?}");
        ran += 1;
    }
    assert!(ran > 0 || std::env::var_os("CI").is_none());
}

/// The schemas are compiled as draft 7 (see schema.rs): every keyword they use must mean the
/// same there as in 2020-12, which they declare.
#[test]
fn schemas_use_only_draft7_keywords() {
    const SAME_IN_DRAFT7: &[&str] = &[
        "$schema",
        "$id",
        "$ref",
        "$comment",
        "$defs",
        "title",
        "description",
        "default",
        "examples",
        "type",
        "enum",
        "const",
        "properties",
        "patternProperties",
        "additionalProperties",
        "required",
        "propertyNames",
        "minProperties",
        "maxProperties",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        "contains",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "pattern",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "if",
        "then",
        "else",
    ];
    fn walk(v: &Value, at: &str, bad: &mut Vec<String>) {
        let Some(obj) = v.as_object() else {
            if let Some(a) = v.as_array() {
                for (i, x) in a.iter().enumerate() {
                    walk(x, &format!("{at}/{i}"), bad);
                }
            }
            return;
        };
        for (k, sub) in obj {
            let here = format!("{at}/{k}");
            match k.as_str() {
                // Maps of names to schemas.
                "properties" | "patternProperties" | "$defs" => {
                    for (name, s) in sub.as_object().into_iter().flatten() {
                        walk(s, &format!("{here}/{name}"), bad);
                    }
                }
                // Values, not schemas.
                "enum" | "const" | "required" | "examples" | "default" => {}
                k if k.starts_with("x-") => {}
                k if SAME_IN_DRAFT7.contains(&k) => walk(sub, &here, bad),
                _ => bad.push(here),
            }
        }
    }
    for kind in [SchemaKind::Config, SchemaKind::State, SchemaKind::Features] {
        for v in SpecVersion::ALL {
            let schema = ocicheck_validator::schema::schema_for(kind, v).expect("schema");
            let mut bad = Vec::new();
            walk(&schema, "", &mut bad);
            assert!(
                bad.is_empty(),
                "{kind:?} {v}: keywords outside draft 7: {bad:?}"
            );
        }
    }
}

/// Every `x-requirement` annotation (in each release's schemas, and in the raw schema and patch
/// files) is a string naming a catalog id: the engine attributes schema errors through them.
#[test]
fn every_schema_annotation_names_a_catalog_id() {
    fn walk(v: &Value, at: &str, found: &mut usize, bad: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, sub) in m {
                    let here = format!("{at}/{k}");
                    if k == ocicheck_validator::schema::ANNOTATION {
                        *found += 1;
                        match sub.as_str() {
                            Some(id) if ocicheck_catalog::Id::find(id).is_some() => {}
                            Some(id) => bad.push(format!("{here}: {id:?} is not a catalog id")),
                            None => bad.push(format!("{here}: {sub} is not a string")),
                        }
                    } else {
                        walk(sub, &here, found, bad);
                    }
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(x, &format!("{at}/{i}"), found, bad);
                }
            }
            _ => {}
        }
    }
    let mut bad = Vec::new();
    for kind in [SchemaKind::Config, SchemaKind::State, SchemaKind::Features] {
        for v in SpecVersion::ALL {
            let schema = ocicheck_validator::schema::schema_for(kind, v).expect("schema");
            let mut found = 0;
            walk(&schema, &format!("{kind:?} {v}:"), &mut found, &mut bad);
            if kind != SchemaKind::Features {
                assert!(found > 0, "{kind:?} {v}: no annotations found");
            }
        }
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    let mut found = 0;
    for f in files(dir) {
        if f.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&f).expect("read");
            let v: Value = serde_json::from_str(&text).expect("JSON");
            walk(&v, &f.display().to_string(), &mut found, &mut bad);
        }
    }
    assert!(found >= 250, "only {found} annotations in the schema files");
    assert!(bad.is_empty(), "bad annotations:\n{}", bad.join("\n"));
}

/// The validators generated at build time judge exactly as jsonschema's run-time compilation of
/// the same schemas: same errors (instance path, schema path, message) for every fixture we
/// have, under every release's schema.
#[test]
fn generated_validators_agree_with_runtime_compiled_ones() {
    let mut inputs: Vec<(SchemaKind, PathBuf)> = Vec::new();
    for (dir, kind) in [
        ("config", SchemaKind::Config),
        ("state", SchemaKind::State),
        ("features", SchemaKind::Features),
    ] {
        for sub in ["good", "bad"] {
            for f in files(data(&format!("upstream/{dir}/{sub}"))) {
                inputs.push((kind, f));
            }
        }
    }
    let violations = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/violations");
    for f in files(violations) {
        if f.extension().is_some_and(|e| e == "json") {
            inputs.push((SchemaKind::Config, f));
        }
    }
    let describe = |e: jsonschema::ValidationError| {
        format!(
            "{} | {} | {}",
            e.instance_path().as_str(),
            e.schema_path().as_str(),
            e
        )
    };
    let mut compared = 0;
    let mut with_errors = 0;
    for (kind, f) in &inputs {
        let text = std::fs::read_to_string(f).expect("read");
        let Ok(value) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        for v in SpecVersion::ALL {
            let runtime = compile(*kind, v).expect("compile");
            let mut want: Vec<String> = runtime
                .validator
                .iter_errors(&value)
                .map(describe)
                .collect();
            let mut got: Vec<String> = iter_errors(*kind, v, &value)
                .expect("generated validator")
                .map(describe)
                .collect();
            want.sort();
            got.sort();
            assert_eq!(got, want, "{} judged by {v}", f.display());
            compared += 1;
            with_errors += usize::from(!want.is_empty());
        }
    }
    assert!(compared > 500, "only {compared} comparisons");
    assert!(
        with_errors > 100,
        "only {with_errors} comparisons with errors"
    );
}
