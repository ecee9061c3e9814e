//! The host's settings, guarded: its hostname, domainname and the sysctls the suite's cases
//! set are read before the run and compared after each case. A setting that changed is put
//! back, and every case that was running when the change was seen fails for it (cases run in
//! parallel, so the one that changed it is among them).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::case::{toml_to_json, Case};

/// Sysctls guarded whatever the cases set.
const ALWAYS: &[&str] = &["kernel.hostname", "kernel.domainname", "kernel.msgmax"];

/// A sysctl key's file: `kernel.msgmax` → `/proc/sys/kernel/msgmax`.
fn sysctl_path(key: &str) -> PathBuf {
    PathBuf::from("/proc/sys").join(key.replace('.', "/"))
}

/// How a setting is named in a failure reason.
fn label(key: &str) -> String {
    match key {
        "kernel.hostname" => "hostname".to_string(),
        "kernel.domainname" => "domainname".to_string(),
        _ => format!("sysctl {key}"),
    }
}

/// The guarded settings and the cases under way.
pub struct HostGuard {
    /// Each setting as it was before the run.
    before: BTreeMap<String, String>,
    /// Cases running now (by index), each with the changes seen while it ran.
    running: Mutex<BTreeMap<usize, Vec<String>>>,
}

impl HostGuard {
    /// Reads the settings `cases` may touch (those the host has).
    pub fn snapshot(cases: &[Case]) -> HostGuard {
        let mut keys: Vec<String> = ALWAYS.iter().map(|k| k.to_string()).collect();
        for c in cases {
            if let Some(sysctl) = toml_to_json(&c.config)["linux"]["sysctl"].as_object() {
                keys.extend(sysctl.keys().cloned());
            }
        }
        let before = keys
            .into_iter()
            .filter(|k| !k.contains("..") && !k.contains('/'))
            .filter_map(|k| {
                let v = std::fs::read_to_string(sysctl_path(&k)).ok()?;
                Some((k, v.trim_end_matches('\n').to_string()))
            })
            .collect();
        HostGuard {
            before,
            running: Mutex::new(BTreeMap::new()),
        }
    }

    /// Case `idx` starts.
    pub fn enter(&self, idx: usize) {
        if let Ok(mut r) = self.running.lock() {
            r.insert(idx, Vec::new());
        }
    }

    /// Case `idx` has ended: the settings are compared (and put back); returns the changes
    /// seen while it ran.
    pub fn leave(&self, idx: usize) -> Vec<String> {
        let Ok(mut running) = self.running.lock() else {
            return Vec::new();
        };
        let changes = self.restore();
        for seen in running.values_mut() {
            seen.extend(changes.iter().cloned());
        }
        running.remove(&idx).unwrap_or_default()
    }

    /// Puts back every setting that changed; one description per change.
    fn restore(&self) -> Vec<String> {
        let mut changes = Vec::new();
        for (key, was) in &self.before {
            let path = sysctl_path(key);
            let Ok(now) = std::fs::read_to_string(&path) else {
                continue;
            };
            let now = now.trim_end_matches('\n');
            if now == was {
                continue;
            }
            let put_back = match std::fs::write(&path, was) {
                Ok(()) => String::new(),
                Err(e) => format!(" (cannot put it back: {e})"),
            };
            changes.push(format!(
                "the runtime changed the host's {} from {was:?} to {now:?}{put_back}",
                label(key)
            ));
        }
        changes
    }
}
