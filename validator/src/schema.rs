//! ocicheck's own JSON Schemas (written from the spec text, under `schemas/`): adapted per
//! release, turned into validators at build time, and mapped back to catalog requirements.
//!
//! Each constraint of the config and state schemas sits below a subschema carrying
//! `"x-requirement": "<catalog id>"`; a schema error is attributed to the deepest such
//! subschema on the path of the failing keyword.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use ocicheck_catalog::SpecVersion;
use serde_json::Value;

use crate::patch::{apply, parse_patches, unescape, Patch};
use crate::position::escape_token;

/// The annotation keyword naming a catalog id.
pub const ANNOTATION: &str = "x-requirement";

const CONFIG: &str = include_str!("../../schemas/config.schema.json");
const STATE: &str = include_str!("../../schemas/state.schema.json");
const FEATURES: &str = include_str!("../../schemas/features.schema.json");
const CONFIG_VERSIONS: &str = include_str!("../../schemas/config.versions.json");

/// Which document a schema describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SchemaKind {
    Config,
    State,
    Features,
}

impl SchemaKind {
    pub fn name(self) -> &'static str {
        match self {
            SchemaKind::Config => "config",
            SchemaKind::State => "state",
            SchemaKind::Features => "features",
        }
    }
}

/// Errors in the embedded schemas. They are build-time data, so these indicate a defect in
/// ocicheck itself, reported rather than panicking.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("embedded {0} schema is not valid JSON: {1}")]
    Json(&'static str, serde_json::Error),
    #[error("embedded schema patch {0:?} cannot be applied: {1}")]
    Patch(String, String),
    #[error("embedded {0} schema does not compile: {1}")]
    Compile(&'static str, String),
}

fn parse(kind: SchemaKind) -> Result<Value, SchemaError> {
    let text = match kind {
        SchemaKind::Config => CONFIG,
        SchemaKind::State => STATE,
        SchemaKind::Features => FEATURES,
    };
    serde_json::from_str(text).map_err(|e| SchemaError::Json(kind.name(), e))
}

fn patches() -> Result<Vec<Patch>, SchemaError> {
    parse_patches(CONFIG_VERSIONS).map_err(|e| SchemaError::Patch("config.versions.json".into(), e))
}

/// The schema of `kind` as it reads for release `v`.
pub fn schema_for(kind: SchemaKind, v: SpecVersion) -> Result<Value, SchemaError> {
    let mut schema = parse(kind)?;
    if kind == SchemaKind::Config {
        let v = semver::Version::parse(v.as_str())
            .map_err(|e| SchemaError::Patch(v.as_str().into(), e.to_string()))?;
        for p in patches()? {
            if p.applies_to(&v) {
                apply(&mut schema, &p).map_err(|e| SchemaError::Patch(p.path.clone(), e))?;
            }
        }
    }
    Ok(schema)
}

/// The validators that jsonschema's `validator` macro generates at build time, one per distinct
/// schema of each kind and release (see `build.rs`): checking a document compiles nothing.
#[allow(clippy::all, clippy::pedantic)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/validators.rs"));
}

/// The schema errors of `instance`, by `kind`'s schema for release `v`.
pub fn iter_errors<'i>(
    kind: SchemaKind,
    v: SpecVersion,
    instance: &'i Value,
) -> Result<jsonschema::ErrorIterator<'i>, String> {
    // build.rs lists every release (a test checks it), so the error is not reached.
    generated::iter_errors(kind.name(), v.as_str(), instance).ok_or_else(|| {
        format!(
            "no generated validator for the {} schema of {v}",
            kind.name()
        )
    })
}

/// The catalog id for an error at `schema_path` of `kind`'s schema for release `v` (see
/// [`requirement_at`]); the schema is parsed on the first look-up only. build.rs made the
/// validators from this same text and these same patches, so it cannot fail here unless the
/// build did; if it did, the caller's fallback id is used.
pub fn requirement_for(kind: SchemaKind, v: SpecVersion, schema_path: &str) -> Option<String> {
    type Slot = OnceLock<Option<Value>>;
    static CACHE: [[Slot; 7]; 3] = [const { [const { OnceLock::new() }; 7] }; 3];
    let k = match kind {
        SchemaKind::Config => 0,
        SchemaKind::State => 1,
        SchemaKind::Features => 2,
    };
    let i = SpecVersion::ALL.iter().position(|x| *x == v).unwrap_or(6);
    CACHE[k][i]
        .get_or_init(|| schema_for(kind, v).ok())
        .as_ref()
        .and_then(|schema| requirement_at(schema, schema_path))
}

/// A schema compiled at run time for one release, with its source. Checking uses the
/// generated validators ([`iter_errors`]); tests compare the two.
pub struct Compiled {
    pub schema: Value,
    pub validator: jsonschema::Validator,
}

/// Compiles the schema of `kind` for release `v`.
pub fn compile(kind: SchemaKind, v: SpecVersion) -> Result<Compiled, SchemaError> {
    let schema = schema_for(kind, v)?;
    let validator = jsonschema::options()
        // Our schemas declare 2020-12 but use only keywords draft 7 already has, with the same
        // meaning ($defs only as a $ref target; a test keeps the keywords in that set). The
        // validators generated by build.rs are draft 7 too, and a test checks both agree.
        .with_draft(jsonschema::Draft::Draft7)
        .build(&schema)
        .map_err(|e| SchemaError::Compile(kind.name(), e.to_string()))?;
    Ok(Compiled { schema, validator })
}

/// The catalog id annotated on the deepest subschema along `schema_path` (a JSON pointer
/// into `schema`).
pub fn requirement_at(schema: &Value, schema_path: &str) -> Option<String> {
    let mut node = schema;
    let mut found = node.get(ANNOTATION).and_then(Value::as_str);
    for tok in schema_path.split('/').skip(1) {
        let tok = unescape(tok);
        node = match node {
            Value::Object(m) => match m.get(&tok) {
                Some(n) => n,
                None => break,
            },
            Value::Array(a) => match tok.parse::<usize>().ok().and_then(|i| a.get(i)) {
                Some(n) => n,
                None => break,
            },
            _ => break,
        };
        if let Some(id) = node.get(ANNOTATION).and_then(Value::as_str) {
            found = Some(id);
        }
    }
    found.map(str::to_string)
}

/// Every catalog id annotated in the config and state schemas (and their version patches).
pub fn annotated_requirements() -> BTreeSet<String> {
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(id)) = m.get(ANNOTATION) {
                    out.insert(id.clone());
                }
                m.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    for kind in [SchemaKind::Config, SchemaKind::State] {
        if let Ok(s) = parse(kind) {
            walk(&s, &mut out);
        }
    }
    if let Ok(ps) = patches() {
        for p in ps {
            walk(&p.value, &mut out);
        }
    }
    out
}

/// Builds a JSON pointer from an instance location and an extra token.
pub fn child_pointer(parent: &str, token: &str) -> String {
    format!("{parent}/{}", escape_token(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// build.rs lists the releases itself: every kind and release must have a generated validator.
    #[test]
    fn every_release_has_a_generated_validator() {
        let doc = Value::Object(Default::default());
        for kind in [SchemaKind::Config, SchemaKind::State, SchemaKind::Features] {
            for v in SpecVersion::ALL {
                assert!(
                    generated::iter_errors(kind.name(), v.as_str(), &doc).is_some(),
                    "no generated {} validator for {v}",
                    kind.name()
                );
            }
        }
    }
}
