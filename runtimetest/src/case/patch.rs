//! Config patches of case files: TOML tables applied to JSON as RFC 7386 merge patches, with
//! `{placeholder}` strings filled in per case.

use serde_json::Value;

/// The string a patch uses to delete a key (TOML has no null).
const DELETE: &str = "__delete__";

/// RFC 7386 merge patch; a `"__delete__"` string deletes like null.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() || v.as_str() == Some(DELETE) {
                    t.remove(k);
                } else if let Some(existing) =
                    t.get_mut(k).filter(|e| e.is_object() && v.is_object())
                {
                    merge_patch(existing, v);
                } else {
                    t.insert(k.clone(), v.clone());
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// A TOML table as JSON. Every TOML value has a JSON form except dates, which become strings.
pub fn toml_to_json(t: &toml::Table) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

/// Replaces each `(key, value)` in every string and object key of `v`.
pub fn substitute(v: &mut Value, subs: &[(&str, String)]) {
    match v {
        Value::String(s) => {
            for (k, val) in subs {
                if s.contains(k) {
                    *s = s.replace(k, val);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| substitute(x, subs)),
        Value::Object(m) => {
            // Keys too: linux.netDevices is keyed by the host interface's name.
            let entries = std::mem::take(m);
            for (mut k, mut x) in entries {
                for (from, to) in subs {
                    if k.contains(from) {
                        k = k.replace(from, to);
                    }
                }
                substitute(&mut x, subs);
                m.insert(k, x);
            }
        }
        _ => {}
    }
}
