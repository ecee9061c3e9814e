//! The bundle's config as `create` reads and checks it, before anything is made.

use std::fs;
use std::path::{Path, PathBuf};

use oci_spec::runtime::Spec;
use serde_json::Value;

use crate::error::{Error, Result};

/// A checked config: the JSON as written and the typed spec.
pub struct Config {
    pub json: Value,
    pub spec: Spec,
    pub bundle: PathBuf,
}

/// Checks config bytes against every static MUST of their own spec version
/// (runtime.create.prevalidate); the error lists the findings.
pub fn validate(bundle: &Path, raw: &[u8]) -> Result<()> {
    use ocicheck_validator::{input, Options, Severity, Target, Validator};
    let report = Validator::new(Options {
        spec_version: None,
        host: true,
    })
    .validate_bytes(
        &Target::Bundle(bundle.to_path_buf()),
        input::ConfigBytes::Read(raw.to_vec()),
    );
    let errors: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .filter(|d| !crate::mutation::accepts_finding(&d.requirement))
        .map(|d| {
            let at = if d.pointer.is_empty() {
                String::new()
            } else {
                format!(" at {}", d.pointer)
            };
            format!("[{}] {}{at}", d.requirement, d.message)
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::msg(format!(
            "{} is not a valid config: {}",
            bundle.join("config.json").display(),
            errors.join("; ")
        )))
    }
}

/// Reads the bundle's config; one that is not even JSON of the right types gets the
/// validator's account of why.
pub fn read_config(bundle: &Path) -> Result<(Config, Vec<u8>)> {
    use ocicheck_validator::{input, Target};
    let bundle = fs::canonicalize(bundle)
        .map_err(|e| Error::io(format!("bundle {}", bundle.display()), e))?;
    let raw = match input::read_config(&Target::Bundle(bundle.clone()))
        .map_err(|e| Error::msg(format!("bundle {}: {e}", bundle.display())))?
    {
        input::ConfigBytes::Read(b) => b,
        input::ConfigBytes::Unusable(why)
        | input::ConfigBytes::Misnamed(why)
        | input::ConfigBytes::Outside(why) => {
            return Err(Error::msg(format!("bundle {}: {why}", bundle.display())))
        }
    };
    let parsed = serde_json::from_slice::<Value>(&raw)
        .map_err(|e| e.to_string())
        .and_then(|mut json| {
            admit_values(&mut json).map_err(|e| e.to_string())?;
            Ok(json)
        })
        .and_then(|json| {
            serde_json::from_value::<Spec>(json.clone())
                .map(|spec| (json, spec))
                .map_err(|e| e.to_string())
        });
    match parsed {
        Ok((json, spec)) => Ok((Config { json, spec, bundle }, raw)),
        Err(why) => {
            validate(&bundle, &raw)?;
            // An id beyond 32 bits is named by its field, not reported as a parse error.
            if let Ok(json) = serde_json::from_slice::<Value>(&raw) {
                super::ids::refuse_out_of_range(&json)?;
            }
            Err(Error::msg(format!(
                "{}: not understood by this runtime: {why}",
                bundle.join("config.json").display()
            )))
        }
    }
}

/// Values of the config that name something the kernel does not have, dealt with before the
/// typed parse (which would refuse them all alike): an unknown rlimit type is an error
/// (config.process.rlimits.type.unmappable-error); an unknown capability is, from 1.1.0,
/// dropped with a warning (config.process.capabilities.ungrantable-warn, ...-no-fail) and the
/// rest of the config applied as if it had not been there (runtime.warnings.flow-unchanged).
/// A 1.0 config keeps it, and the validator refuses it (...unmappable-error).
fn admit_values(json: &mut Value) -> Result<()> {
    use crate::mutation::{active, Flaw};
    if let Some(rlimits) = json
        .pointer_mut("/process/rlimits")
        .and_then(Value::as_array_mut)
    {
        let unknown = |r: &Value| {
            serde_json::from_value::<oci_spec::runtime::PosixRlimitType>(r["type"].clone()).is_err()
        };
        if let Some(r) = rlimits.iter().find(|r| unknown(r)) {
            if !active(Flaw::AcceptUnknownRlimit) {
                return Err(Error::msg(format!(
                    "process.rlimits: {} is not a resource limit this kernel has ({})",
                    r["type"],
                    ocicheck_catalog::ids::CONFIG_PROCESS_RLIMITS_TYPE_UNMAPPABLE_ERROR
                )));
            }
            rlimits.retain(|r| !unknown(r));
        }
    }
    let version = json["ociVersion"].as_str().unwrap_or_default();
    let warns = ocicheck_catalog::SpecVersion::resolve(version).version
        >= ocicheck_catalog::SpecVersion::V1_1_0;
    if !warns && !active(Flaw::AcceptUnknownCapability) {
        return Ok(());
    }
    let Some(sets) = json
        .pointer_mut("/process/capabilities")
        .and_then(Value::as_object_mut)
    else {
        return Ok(());
    };
    let mut warnings = Vec::new();
    for (set, names) in sets.iter_mut() {
        let Some(names) = names.as_array_mut() else {
            continue;
        };
        let unknown =
            |c: &Value| serde_json::from_value::<oci_spec::runtime::Capability>(c.clone()).is_err();
        for c in names.iter().filter(|c| unknown(c)) {
            warnings.push(format!(
                "process.capabilities.{set}: {c} is not a capability this runtime knows: ignored"
            ));
        }
        names.retain(|c| !unknown(c));
    }
    if warnings.is_empty() {
        return Ok(());
    }
    if active(Flaw::RefuseUnknownCapability) {
        return Err(Error::msg(warnings.join("; ")));
    }
    if !active(Flaw::SilentUnknownCapability) {
        for w in &warnings {
            crate::log::warn(w);
        }
    }
    if active(Flaw::WarningSkipsCapabilities) {
        sets.clear();
    }
    Ok(())
}

/// config.md's "Valid values": a config of a runtime-spec major version this runtime does not
/// implement (anything but 1.x) is an error (config.valid-values.invalid-error).
pub(super) fn refuse_unsupported_version(config: &Value) -> Result<()> {
    let version = config["ociVersion"].as_str().unwrap_or_default();
    let Ok(v) = semver::Version::parse(version) else {
        // Not semver at all: the validator's to report.
        return Ok(());
    };
    if v.major == 1 || crate::mutation::active(crate::mutation::Flaw::AcceptUnsupportedOciVersion) {
        return Ok(());
    }
    Err(Error::msg(format!(
        "ociVersion {version:?}: this runtime implements runtime-spec 1.x, not {}.x ({})",
        v.major,
        ocicheck_catalog::ids::CONFIG_VALID_VALUES_INVALID_ERROR
    )))
}

/// Properties this runtime cannot apply: asking for them is an error at create, before anything
/// is made (runtime.create.unapplicable-property.error, ...no-container).
pub(super) fn refuse_unsupported(config: &Value) -> Result<()> {
    const UNSUPPORTED: &[(&str, &str)] = &[
        ("/process/apparmorProfile", "AppArmor is not supported"),
        ("/process/selinuxLabel", "SELinux is not supported"),
        ("/linux/mountLabel", "SELinux is not supported"),
        (
            "/process/scheduler",
            "scheduling policies are not supported",
        ),
        ("/process/execCPUAffinity", "CPU affinity is not supported"),
        (
            "/linux/intelRdt",
            "Intel RDT needs a resctrl filesystem, and this runtime does not use one",
        ),
        (
            "/linux/memoryPolicy",
            "NUMA memory policies are not supported",
        ),
    ];
    for (pointer, why) in UNSUPPORTED {
        if *pointer == "/linux/intelRdt"
            && crate::mutation::active(crate::mutation::Flaw::IgnoreIntelRdt)
        {
            continue;
        }
        if config.pointer(pointer).is_some_and(|v| !v.is_null()) {
            let field = pointer.trim_start_matches('/').replace('/', ".");
            return Err(Error::msg(format!(
                "{field} is set, but this runtime cannot apply it: {why}"
            )));
        }
    }
    Ok(())
}

/// The `refuse-unknown-properties` and `refuse-unknown-annotations` defects: what a runtime
/// must ignore is refused.
pub(super) fn refuse_unknown_if_mutated(config: &Value) -> Result<()> {
    use crate::mutation::{active, Flaw};
    const KNOWN: &[&str] = &[
        "ociVersion",
        "root",
        "mounts",
        "process",
        "hostname",
        "domainname",
        "hooks",
        "annotations",
        "linux",
        "solaris",
        "windows",
        "vm",
        "zos",
        "freebsd",
    ];
    let Some(obj) = config.as_object() else {
        return Ok(());
    };
    if active(Flaw::RefuseUnknownProperties) {
        if let Some(k) = obj.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(Error::msg(format!("unknown property {k:?}")));
        }
    }
    if active(Flaw::RefuseUnknownAnnotations) {
        let annotations = obj.get("annotations").and_then(Value::as_object);
        if let Some(k) = annotations
            .into_iter()
            .flat_map(|a| a.keys())
            .find(|k| !k.starts_with("org.opencontainers."))
        {
            return Err(Error::msg(format!("unknown annotation key {k:?}")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_unknown_rlimit_type_is_an_error_naming_it() {
        let mut c = json!({"ociVersion": "1.3.0", "process": {"rlimits": [
            {"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1},
            {"type": "RLIMIT_FOO", "soft": 1, "hard": 1}
        ]}});
        let e = admit_values(&mut c).expect_err("refused").to_string();
        assert!(
            e.contains("RLIMIT_FOO") && e.contains("unmappable-error"),
            "{e}"
        );
        let mut known =
            json!({"process": {"rlimits": [{"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]}});
        let before = known.clone();
        admit_values(&mut known).expect("known");
        assert_eq!(known, before);
    }

    #[test]
    fn unknown_capabilities_are_dropped_from_1_1_0_and_kept_for_the_validator_before() {
        let caps = json!({"bounding": ["CAP_CHOWN", "CAP_FOO"], "effective": ["CAP_FOO"]});
        let mut c = json!({"ociVersion": "1.1.0", "process": {"capabilities": caps}});
        admit_values(&mut c).expect("a warning, not an error");
        assert_eq!(
            c["process"]["capabilities"],
            json!({"bounding": ["CAP_CHOWN"], "effective": []})
        );
        // Up to 1.0.2 it is an error: left in place for the validator to report.
        let mut old = json!({"ociVersion": "1.0.2", "process": {"capabilities": caps}});
        admit_values(&mut old).expect("left to the validator");
        assert_eq!(old["process"]["capabilities"], caps);
    }

    #[test]
    fn only_runtime_spec_1_x_is_accepted() {
        for ok in ["1.0.0", "1.3.0", "1.4.0", "1.0.2-dev", "not semver"] {
            assert!(
                refuse_unsupported_version(&json!({"ociVersion": ok})).is_ok(),
                "{ok}"
            );
        }
        for bad in ["2.0.0", "0.6.0"] {
            let e = refuse_unsupported_version(&json!({"ociVersion": bad}))
                .expect_err(bad)
                .to_string();
            assert!(e.contains(bad) && e.contains("invalid-error"), "{e}");
        }
    }
}
