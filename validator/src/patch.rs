//! The config schema of each release: `schemas/config.schema.json` (the latest release) with
//! the patches of `schemas/config.versions.json` that apply to it.
//!
//! Shared by the library and by `build.rs`, which writes every release's schema so that its
//! validator is generated at build time. Hence only `serde_json` and `semver`, and errors as
//! text.

use serde_json::Value;

/// One schema-level difference of older releases.
#[derive(Debug)]
pub struct Patch {
    since: Option<semver::Version>,
    until: Option<semver::Version>,
    op: String,
    pub path: String,
    pub value: Value,
}

impl Patch {
    /// Whether this patch is part of release `v`'s schema.
    pub fn applies_to(&self, v: &semver::Version) -> bool {
        self.since.as_ref().is_none_or(|s| v >= s) && self.until.as_ref().is_none_or(|u| v <= u)
    }
}

/// Reads `config.versions.json`: a list of `{since?, until?, op, path, value?}`.
pub fn parse_patches(text: &str) -> Result<Vec<Patch>, String> {
    let list: Vec<Value> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    list.into_iter()
        .enumerate()
        .map(|(i, mut p)| {
            let version = |p: &Value, key: &str| -> Result<Option<semver::Version>, String> {
                match p.get(key) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(s)) => semver::Version::parse(s)
                        .map(Some)
                        .map_err(|e| format!("patch {i}: {key} {s:?}: {e}")),
                    Some(other) => Err(format!("patch {i}: {key} must be a string, not {other}")),
                }
            };
            let text = |p: &Value, key: &str| -> Result<String, String> {
                p.get(key)
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| format!("patch {i}: {key} must be a string"))
            };
            Ok(Patch {
                since: version(&p, "since")?,
                until: version(&p, "until")?,
                op: text(&p, "op")?,
                path: text(&p, "path")?,
                value: p.get_mut("value").map(Value::take).unwrap_or(Value::Null),
            })
        })
        .collect()
}

/// Decodes one JSON-pointer token.
pub fn unescape(tok: &str) -> String {
    tok.replace("~1", "/").replace("~0", "~")
}

/// Applies one patch (`add`, `replace`, `remove`, as in JSON Patch) to `doc`.
pub fn apply(doc: &mut Value, p: &Patch) -> Result<(), String> {
    let (parent, last) = match p.path.rfind('/') {
        Some(i) => (&p.path[..i], unescape(&p.path[i + 1..])),
        None => return Err("path must start with /".into()),
    };
    let target = doc
        .pointer_mut(parent)
        .ok_or_else(|| "parent does not exist".to_string())?;
    match (p.op.as_str(), target) {
        ("add" | "replace", Value::Object(m)) => {
            m.insert(last, p.value.clone());
        }
        ("add", Value::Array(a)) if last == "-" => a.push(p.value.clone()),
        ("replace", Value::Array(a)) => {
            let i: usize = last
                .parse()
                .map_err(|e| format!("bad array index {last:?}: {e}"))?;
            let slot = a
                .get_mut(i)
                .ok_or_else(|| "index out of range".to_string())?;
            *slot = p.value.clone();
        }
        ("remove", Value::Object(m)) => {
            m.remove(&last)
                .ok_or_else(|| "nothing to remove".to_string())?;
        }
        ("remove", Value::Array(a)) => {
            let i: usize = last
                .parse()
                .map_err(|e| format!("bad array index {last:?}: {e}"))?;
            if i >= a.len() {
                return Err("index out of range".into());
            }
            a.remove(i);
        }
        _ => return Err("unsupported op for this target".into()),
    }
    Ok(())
}
