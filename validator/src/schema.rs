//! ocicheck's own JSON Schemas (written from the spec text, under `schemas/`), embedded in the
//! binary, adapted per release, compiled once, and mapped back to catalog requirements.
//!
//! Each constraint of the config and state schemas sits below a subschema carrying
//! `"x-requirement": "<catalog id>"`; a schema error is attributed to the deepest such
//! subschema on the path of the failing keyword.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use ocicheck_catalog::SpecVersion;
use serde::Deserialize;
use serde_json::Value;

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

/// A schema-level difference of an older release (see `schemas/config.versions.json`).
#[derive(Debug, Deserialize)]
struct Patch {
    since: Option<SpecVersion>,
    until: Option<SpecVersion>,
    op: String,
    path: String,
    #[serde(default)]
    value: Value,
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
    serde_json::from_str(CONFIG_VERSIONS).map_err(|e| SchemaError::Json("config.versions", e))
}

/// The schema of `kind` as it reads for release `v`.
pub fn schema_for(kind: SchemaKind, v: SpecVersion) -> Result<Value, SchemaError> {
    let mut schema = parse(kind)?;
    if kind == SchemaKind::Config {
        for p in patches()? {
            let applies = p.since.is_none_or(|s| v >= s) && p.until.is_none_or(|u| v <= u);
            if applies {
                apply(&mut schema, &p)?;
            }
        }
    }
    Ok(schema)
}

fn unescape(tok: &str) -> String {
    tok.replace("~1", "/").replace("~0", "~")
}

fn apply(doc: &mut Value, p: &Patch) -> Result<(), SchemaError> {
    let err = |m: &str| SchemaError::Patch(p.path.clone(), m.to_string());
    let (parent, last) = match p.path.rfind('/') {
        Some(i) => (&p.path[..i], unescape(&p.path[i + 1..])),
        None => return Err(err("path must start with /")),
    };
    let target = doc
        .pointer_mut(parent)
        .ok_or_else(|| err("parent does not exist"))?;
    match (p.op.as_str(), target) {
        ("add" | "replace", Value::Object(m)) => {
            m.insert(last, p.value.clone());
        }
        ("add", Value::Array(a)) if last == "-" => a.push(p.value.clone()),
        ("replace", Value::Array(a)) => {
            let i: usize = last.parse().map_err(|_| err("bad array index"))?;
            let slot = a.get_mut(i).ok_or_else(|| err("index out of range"))?;
            *slot = p.value.clone();
        }
        ("remove", Value::Object(m)) => {
            m.remove(&last).ok_or_else(|| err("nothing to remove"))?;
        }
        ("remove", Value::Array(a)) => {
            let i: usize = last.parse().map_err(|_| err("bad array index"))?;
            if i >= a.len() {
                return Err(err("index out of range"));
            }
            a.remove(i);
        }
        _ => return Err(err("unsupported op for this target")),
    }
    Ok(())
}

/// A schema compiled for one release, with its source for requirement look-ups.
pub struct Compiled {
    pub schema: Value,
    pub validator: jsonschema::Validator,
}

/// Compiled schemas, one per kind and release, built on first use and shared.
pub fn compiled(kind: SchemaKind, v: SpecVersion) -> Result<&'static Compiled, String> {
    type Slot = OnceLock<Result<Compiled, String>>;
    static CACHE: [[Slot; 7]; 3] = [const { [const { OnceLock::new() }; 7] }; 3];
    let k = match kind {
        SchemaKind::Config => 0,
        SchemaKind::State => 1,
        SchemaKind::Features => 2,
    };
    let i = SpecVersion::ALL.iter().position(|x| *x == v).unwrap_or(6);
    CACHE[k][i]
        .get_or_init(|| compile(kind, v).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Clone::clone)
}

/// Compiles the schema of `kind` for release `v`.
pub fn compile(kind: SchemaKind, v: SpecVersion) -> Result<Compiled, SchemaError> {
    let schema = schema_for(kind, v)?;
    let validator = jsonschema::options()
        // Our schemas declare 2020-12 but use only keywords draft 7 already has, with the same
        // meaning ($defs only as a $ref target): draft 7 judges them alike and its smaller
        // meta-schema cuts the work of compiling ours by a quarter, which every single
        // `validate` and the runtime's `create` pay. A test keeps the keywords in that set.
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
