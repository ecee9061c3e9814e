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
        ("/linux/intelRdt", "Intel RDT is not supported"),
        (
            "/linux/memoryPolicy",
            "NUMA memory policies are not supported",
        ),
    ];
    for (pointer, why) in UNSUPPORTED {
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
