//! What the validator's tests share: a violation fixture's config (the base config with the
//! fixture's patch, or its raw text), and laying out a bundle as the fixture describes it.

use std::path::Path;

use serde_json::Value;

/// Makes `dir` with a root filesystem (`"rootfs"`: `dir` (default), `missing`, `file` or
/// `symlink:TARGET`), the fixture's `extra_dirs` and its `extra_files`; config.json is the
/// caller's.
pub fn lay_out_bundle(dir: &Path, fixture: &Value) {
    std::fs::create_dir(dir).expect("mkdir");
    match fixture
        .get("rootfs")
        .and_then(Value::as_str)
        .unwrap_or("dir")
    {
        "dir" => std::fs::create_dir(dir.join("rootfs")).expect("rootfs"),
        "missing" => {}
        "file" => std::fs::write(dir.join("rootfs"), b"").expect("rootfs file"),
        other => {
            let target = other.strip_prefix("symlink:").expect("rootfs kind");
            std::os::unix::fs::symlink(target, dir.join("rootfs")).expect("symlink");
        }
    }
    for d in fixture
        .get("extra_dirs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        std::fs::create_dir_all(dir.join(d.as_str().expect("dir name"))).expect("extra dir");
    }
    if let Some(files) = fixture.get("extra_files").and_then(Value::as_object) {
        for (name, text) in files {
            std::fs::write(dir.join(name), text.as_str().unwrap_or_default()).expect("extra file");
        }
    }
}

/// RFC 7386 merge patch: a fixture's `config` onto the base config.
pub fn merge(target: &mut Value, patch: &Value) {
    if let (Value::Object(t), Value::Object(p)) = (&mut *target, patch) {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else if v.is_object() && t.get(k).is_some_and(Value::is_object) {
                merge(t.get_mut(k).expect("checked"), v);
            } else {
                t.insert(k.clone(), v.clone());
            }
        }
    } else {
        *target = patch.clone();
    }
}

/// The base config of the violation fixtures, `tests/violations/_base.json`.
pub fn base() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/violations/_base.json");
    let text = std::fs::read_to_string(path).expect("_base.json");
    serde_json::from_str(&text).expect("_base.json is JSON")
}

/// The config.json text a fixture describes: its `raw` text, or the base config with its
/// `config` patch.
pub fn config_text(fixture: &Value) -> String {
    match fixture.get("raw").and_then(Value::as_str) {
        Some(raw) => raw.to_string(),
        None => {
            let mut config = base();
            if let Some(patch) = fixture.get("config") {
                merge(&mut config, patch);
            }
            serde_json::to_string_pretty(&config).expect("serialise")
        }
    }
}
