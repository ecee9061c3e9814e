//! Every semantic check claims exactly what it can report. For each check in `CHECKS`:
//!
//! (a) every id it emits, on any input, is one it claims;
//! (b) every id it claims is reported, under some input, by the validator and attributed to
//!     that check (not dropped as already covered by the schema, nor as not applying to the
//!     judged release).
//!
//! The inputs: every violation fixture (`tests/violations`), every upstream config fixture
//! (`tests/data/upstream/config`), and configs built here against host conditions for the
//! `--host` checks (a missing file, a directory and a non-executable file as hook paths; a
//! namespace file of the wrong type, a plain file and a missing path as namespace paths). One
//! host condition cannot be made in a test: a kernel older than the capability table. That
//! input runs the checks directly, with the kernel's last capability set to that of Linux 5.4
//! (the engine reads it from /proc/sys/kernel/cap_last_cap).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use ocicheck_catalog::SpecVersion;
use ocicheck_validator::checks::{kernel_cap_last_cap, Ctx, CHECKS};
use ocicheck_validator::{Options, Target, Validator};
use serde_json::{json, Value};

/// One config to judge, in a bundle on disk.
struct Input {
    label: String,
    bundle: PathBuf,
    spec_version: Option<SpecVersion>,
    /// Stands in for the kernel's last capability; such an input runs the checks directly only.
    simulated_cap_last_cap: Option<u8>,
}

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

use common::{base, merge};

fn sorted_json_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    v.sort();
    v
}

/// A bundle at `dir` with `config` (text) and a rootfs as a violation fixture describes it.
fn make_bundle(dir: &Path, config: &str, fixture: &Value) {
    common::lay_out_bundle(dir, fixture);
    std::fs::write(dir.join("config.json"), config).expect("config.json");
}

fn version_of(fixture: &Value) -> Option<SpecVersion> {
    fixture
        .get("spec_version")
        .and_then(Value::as_str)
        .map(|s| s.parse().expect("release"))
}

/// The violation fixtures that judge a config.json.
fn fixture_inputs(tmp: &Path, inputs: &mut Vec<Input>) {
    for path in sorted_json_files(&manifest().join("tests/violations")) {
        let stem = path
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        if stem.starts_with('_') {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let fixture: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if ["state", "no_config", "config_is_dir"]
            .iter()
            .any(|k| fixture.get(k).is_some())
        {
            continue;
        }
        let config = common::config_text(&fixture);
        let bundle = tmp.join(format!("violation-{stem}"));
        make_bundle(&bundle, &config, &fixture);
        inputs.push(Input {
            label: format!("tests/violations/{stem}.json"),
            bundle,
            spec_version: version_of(&fixture),
            simulated_cap_last_cap: None,
        });
    }
}

/// runtime-spec's own good and bad configs.
fn upstream_inputs(tmp: &Path, inputs: &mut Vec<Input>) {
    for kind in ["good", "bad"] {
        let dir = manifest().join("tests/data/upstream/config").join(kind);
        for path in sorted_json_files(&dir) {
            let stem = path
                .file_stem()
                .expect("stem")
                .to_string_lossy()
                .into_owned();
            let config = std::fs::read_to_string(&path).expect("read");
            let bundle = tmp.join(format!("upstream-{kind}-{stem}"));
            make_bundle(&bundle, &config, &json!({}));
            inputs.push(Input {
                label: format!("tests/data/upstream/config/{kind}/{stem}.json"),
                bundle,
                spec_version: None,
                simulated_cap_last_cap: None,
            });
        }
    }
}

/// Configs whose hooks and namespaces point at files made here, for the `--host` checks.
fn host_inputs(tmp: &Path, inputs: &mut Vec<Input>) {
    let files = tmp.join("host-files");
    std::fs::create_dir(&files).expect("mkdir");
    let executable = files.join("hook-ok");
    std::fs::write(&executable, "#!/bin/sh\n").expect("write");
    std::fs::set_permissions(&executable, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let not_executable = files.join("hook-not-executable");
    std::fs::write(&not_executable, "#!/bin/sh\n").expect("write");
    std::fs::set_permissions(&not_executable, std::fs::Permissions::from_mode(0o644))
        .expect("chmod");
    let directory = files.join("a-directory");
    std::fs::create_dir(&directory).expect("mkdir");
    let missing = files.join("missing");
    let s = |p: &Path| p.display().to_string();

    let mut add = |label: &str, patch: Value, simulated_cap_last_cap: Option<u8>| {
        let mut config = base();
        merge(&mut config, &patch);
        let bundle = tmp.join(format!("host-{label}"));
        let text = serde_json::to_string_pretty(&config).expect("serialise");
        make_bundle(&bundle, &text, &json!({}));
        inputs.push(Input {
            label: format!("host: {label}"),
            bundle,
            spec_version: None,
            simulated_cap_last_cap,
        });
    };

    // Hooks: every kind (startContainer too: it resolves in the container and must not be
    // reported) with an executable, a non-executable file, a directory and a missing path.
    for (condition, path) in [
        ("executable", s(&executable)),
        ("not-executable", s(&not_executable)),
        ("directory", s(&directory)),
        ("missing", s(&missing)),
    ] {
        let hooks: serde_json::Map<String, Value> = [
            "prestart",
            "createRuntime",
            "createContainer",
            "startContainer",
            "poststart",
            "poststop",
        ]
        .into_iter()
        .map(|k| (k.to_string(), json!([{ "path": path }])))
        .collect();
        add(
            &format!("hooks-{condition}"),
            json!({ "hooks": hooks }),
            None,
        );
    }

    // Namespaces: a network namespace file given for `pid`, a plain file, a missing path; and
    // a right one.
    for (condition, ns) in [
        (
            "ns-wrong-type",
            json!({"type": "pid", "path": "/proc/self/ns/net"}),
        ),
        (
            "ns-right-type",
            json!({"type": "network", "path": "/proc/self/ns/net"}),
        ),
        (
            "ns-plain-file",
            json!({"type": "ipc", "path": s(&not_executable)}),
        ),
        ("ns-missing", json!({"type": "uts", "path": s(&missing)})),
    ] {
        // No hostname: without a uts namespace it would be a warning of its own.
        add(
            condition,
            json!({"hostname": null, "linux": {"namespaces": [ns, {"type": "mount"}]}}),
            None,
        );
    }

    // Capabilities: CAP_BPF (number 39, Linux 5.8) on this kernel and on a Linux 5.4 kernel,
    // whose last capability is CAP_AUDIT_READ (37).
    let caps = json!({"process": {"capabilities": {
        "bounding": ["CAP_BPF", "CAP_CHECKPOINT_RESTORE"],
        "permitted": ["CAP_BPF"],
        "effective": ["CAP_BPF"]
    }}});
    add("capabilities-this-kernel", caps.clone(), None);
    add("capabilities-linux-5.4", caps, Some(37));
}

/// (check name, id) pairs.
type Pairs = BTreeSet<(&'static str, String)>;

/// Runs every check directly on the input; returns what each emitted.
fn run_checks(input: &Input) -> Pairs {
    let text = std::fs::read_to_string(input.bundle.join("config.json")).expect("read");
    let Ok(config) = serde_json::from_str::<Value>(&text) else {
        return Pairs::new(); // not JSON: no check runs
    };
    let version = input.spec_version.unwrap_or_else(|| {
        config
            .get("ociVersion")
            .and_then(Value::as_str)
            .map_or(SpecVersion::LATEST, |s| SpecVersion::resolve(s).version)
    });
    let ctx = Ctx {
        config: &config,
        version,
        bundle_dir: Some(&input.bundle),
        host: true,
        cap_last_cap: input.simulated_cap_last_cap.or_else(kernel_cap_last_cap),
    };
    let mut emitted = Pairs::new();
    for check in CHECKS {
        let mut out = Vec::new();
        (check.run)(&ctx, &mut out);
        emitted.extend(
            out.into_iter()
                .map(|f| (check.name, f.requirement.to_string())),
        );
    }
    emitted
}

/// Validates the input's bundle with host checks on; returns the (check, id) of every
/// diagnostic a check produced.
fn run_validator(input: &Input) -> Pairs {
    let v = Validator::new(Options {
        spec_version: input.spec_version,
        host: true,
    });
    let report = v
        .validate(&Target::Bundle(input.bundle.clone()))
        .unwrap_or_else(|e| panic!("{}: {e}", input.label));
    report
        .diagnostics
        .into_iter()
        .filter_map(|d| {
            let check = CHECKS.iter().find(|c| c.name == d.source)?;
            Some((check.name, d.requirement))
        })
        .collect()
}

fn all_inputs(tmp: &Path) -> Vec<Input> {
    let mut inputs = Vec::new();
    fixture_inputs(tmp, &mut inputs);
    upstream_inputs(tmp, &mut inputs);
    host_inputs(tmp, &mut inputs);
    inputs
}

#[test]
fn every_check_reports_exactly_the_ids_it_claims() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let inputs = all_inputs(tmp.path());
    assert!(inputs.len() > 150, "only {} inputs", inputs.len());

    let claims: BTreeMap<&str, BTreeSet<&str>> = CHECKS
        .iter()
        .map(|c| {
            (
                c.name,
                c.requirements.iter().map(|id| id.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(claims.len(), CHECKS.len(), "two checks share a name");

    let mut failures = Vec::new();
    // (check, id) -> the first input that made the validator report it.
    let mut shown: BTreeMap<(&str, String), String> = BTreeMap::new();
    // (check, id) emitted by the check itself, for a better message when (b) fails.
    let mut emitted_anywhere = Pairs::new();
    for input in &inputs {
        let emitted = run_checks(input);
        for (check, id) in &emitted {
            if !claims[check].contains(id.as_str()) {
                failures.push(format!(
                    "(a) check `{check}` emitted {id}, which it does not claim, on {}",
                    input.label
                ));
            }
        }
        // What reaches the report. A simulated host condition cannot go through the
        // validator, which reads the real one: there the check's own findings count.
        let reported = if input.simulated_cap_last_cap.is_some() {
            emitted.clone()
        } else {
            run_validator(input)
        };
        for pair in reported {
            shown.entry(pair).or_insert_with(|| input.label.clone());
        }
        emitted_anywhere.extend(emitted);
    }
    for check in CHECKS {
        assert!(
            !check.requirements.is_empty(),
            "check `{}` claims nothing",
            check.name
        );
        for id in check.requirements {
            let pair = (check.name, id.to_string());
            if shown.contains_key(&pair) {
                continue;
            }
            let why = if emitted_anywhere.contains(&pair) {
                "the check emits it, but the validator never reports it (the schema already \
                 reports that place, or the id does not apply to the release judged)"
            } else {
                "no input makes the check emit it"
            };
            failures.push(format!(
                "(b) check `{}` claims {id}, which it is not shown to report: {why}",
                check.name
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} problem(s) with the check table's claims:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The host conditions built above are real: each `--host` check reports something on them,
/// and nothing on the clean base config.
#[test]
fn host_inputs_trigger_the_host_checks() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut inputs = Vec::new();
    host_inputs(tmp.path(), &mut inputs);
    let mut by_check: BTreeMap<&str, usize> = BTreeMap::new();
    for input in &inputs {
        for (check, _) in run_checks(input) {
            *by_check.entry(check).or_default() += 1;
        }
        let clean =
            input.label.ends_with("hooks-executable") || input.label.ends_with("ns-right-type");
        if clean {
            assert!(
                run_validator(input).is_empty(),
                "{} should be clean",
                input.label
            );
        }
    }
    for check in CHECKS.iter().filter(|c| c.host_only) {
        assert!(
            by_check.get(check.name).is_some_and(|n| *n > 0),
            "no host input triggers `{}`",
            check.name
        );
    }
}
