//! Declarative cases: one TOML file per scenario under `cases/` (embedded in the binary).

use serde::Deserialize;
use serde_json::Value;

use crate::expect::Expectation;

include!(concat!(env!("OUT_DIR"), "/case_files.rs"));

/// One lifecycle scenario.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Stable id, e.g. `process.hostname`.
    pub id: String,
    /// One line saying what is being proven.
    pub summary: String,
    /// Catalog ids this case proves.
    pub requirements: Vec<String>,
    /// A JSON merge patch (written as TOML) applied to the base config.
    #[serde(default)]
    pub config: toml::Table,
    /// What the probe must observe (checked at the `probe` step).
    #[serde(default)]
    pub expect: Vec<Expectation>,
    /// The lifecycle; when absent: create, start, wait stopped, probe, delete.
    #[serde(default)]
    pub step: Vec<Step>,
    /// Names of runtime wrappers (runtimetest/tests/breakers/) that break exactly what this case
    /// checks; a test runs the case against each and requires it to fail.
    #[serde(default)]
    pub broken_by: Vec<String>,
    /// The process keeps running after reporting (for kill/state cases).
    #[serde(default)]
    pub keep_running: bool,
    /// What the probe does after reporting, overriding `keep_running`: `exit`, `sleep`,
    /// `exit:N`, `await-signal`.
    #[serde(default)]
    pub then: Option<String>,
    /// Requires this host feature (probed): `time-namespace`, `cgroup-namespace`,
    /// `cgroup-pids`, `cgroup-memory`, `cgroup-v1` (v1 or hybrid), `cgroup-v2` (v2 only).
    #[serde(default)]
    pub needs: Vec<String>,
    /// File the case came from.
    #[serde(skip)]
    pub file: String,
}

/// One lifecycle step.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// create, start, state, kill, delete, wait, probe, edit-config, hooks, cgroup, output.
    pub run: String,
    /// `ok` (default), `error`, or `any`: whether the runtime must succeed.
    #[serde(default = "ok")]
    pub expect: String,
    /// For `state` and `wait`: the expected status.
    #[serde(default)]
    pub status: Option<String>,
    /// For `kill`: the signal (default TERM).
    #[serde(default)]
    pub signal: Option<String>,
    /// For `delete`: pass --force.
    #[serde(default)]
    pub force: bool,
    /// For operations on another id: `unknown` uses an id no container has, `none` gives no id.
    #[serde(default)]
    pub id: Option<String>,
    /// For `edit-config`: a JSON merge patch applied to the bundle's config.json.
    #[serde(default)]
    pub patch: Option<toml::Table>,
    /// For `hooks`: the expected order of recorded hook names.
    #[serde(default)]
    pub order: Vec<String>,
    /// For `state`: the state's annotations must equal these.
    #[serde(default)]
    pub annotations: Option<toml::Table>,
    /// For `cgroup`: the controller (v1 hierarchy name; ignored on v2) and the file to read,
    /// and the value it must hold. `file_v2` names the file on a cgroup v2 host.
    #[serde(default)]
    pub controller: Option<String>,
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub file_v2: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    /// For `create`: pass `--console-socket` and collect the terminal's output as the
    /// container's output.
    #[serde(default)]
    pub console: bool,
    /// For `create`: listen as a seccomp agent at `{seccomp_socket}` (the config's
    /// `listenerPath`); the `seccomp-agent` step judges what arrived.
    #[serde(default)]
    pub seccomp_agent: bool,
    /// For `cgroup`: instead of a value, the owner (`uid:gid` on the host) of `file` (or of
    /// the cgroup directory when `file` is empty).
    #[serde(default)]
    pub owner: Option<String>,
    /// For `output`: the container's output must contain this line prefix (waits for it up to
    /// the timeout).
    #[serde(default)]
    pub contains: Option<String>,
}

fn ok() -> String {
    "ok".into()
}

/// A case file that does not load.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct CaseError {
    pub file: String,
    pub message: String,
}

/// Every embedded case, sorted by id.
pub fn embedded() -> Result<Vec<Case>, CaseError> {
    let mut cases = Vec::new();
    for (file, text) in CASE_FILES {
        let mut case: Case = toml::from_str(text).map_err(|e| CaseError {
            file: file.to_string(),
            message: e.to_string().trim().to_string(),
        })?;
        case.file = file.to_string();
        cases.push(case);
    }
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    for w in cases.windows(2) {
        if w[0].id == w[1].id {
            return Err(CaseError {
                file: w[1].file.clone(),
                message: format!("duplicate case id {} (also in {})", w[1].id, w[0].file),
            });
        }
    }
    Ok(cases)
}

/// A digest of the embedded case files (names and texts): two runs with the same digest ran
/// the same suite. FNV-1a, 64 bits: a fingerprint, not a security measure.
pub fn embedded_digest() -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (file, text) in CASE_FILES {
        for b in file.bytes().chain([0]).chain(text.bytes()).chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("fnv1a64:{h:016x}")
}

/// RFC 7386 merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() || v.as_str() == Some("__delete__") {
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

/// TOML has no null: a patch deletes a key with the string "__delete__".
pub fn toml_to_json(t: &toml::Table) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

/// `*`-glob matching for `--case`.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("process.*", "process.hostname"));
        assert!(glob_match("*", "x"));
        assert!(glob_match("*.kill*", "lifecycle.kill-created"));
        assert!(!glob_match("process.*", "lifecycle.create"));
        assert!(glob_match("a?c", "abc"));
    }

    #[test]
    fn embedded_cases_load_and_name_catalog_ids() {
        let cases = embedded().expect("cases load"); // ok: test code
        assert!(!cases.is_empty());
        let catalog = ocicheck_catalog::Catalog::embedded().expect("catalog"); // ok: test code
        for c in &cases {
            assert!(!c.requirements.is_empty(), "{} proves nothing", c.id);
            for id in &c.requirements {
                assert!(
                    catalog.get(id).is_some(),
                    "{}: unknown requirement {id}",
                    c.id
                );
            }
        }
    }
}
