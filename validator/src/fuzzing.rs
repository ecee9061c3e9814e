//! The body of the `validate` fuzz target (`fuzz/fuzz_targets/validate.rs`), shared with the
//! stable test that replays its kept inputs (`tests/fuzz_regressions.rs` in the root crate), so
//! that a crash found by the fuzzer stays fixed without a nightly toolchain.
//!
//! Input: one selector byte, then the config.json bytes (any bytes: not necessarily UTF-8 nor
//! JSON). The selector's bits choose how the bytes are judged:
//!
//! | bits | meaning |
//! |---|---|
//! | 0–2 | release: 0 the config's own `ociVersion`, n (1–7) `--spec-version` [`SpecVersion::ALL`]`[n-1]` |
//! | 3 | `--host`: the host checks (they only stat and read links; nothing is opened or run) |
//! | 4 | the config belongs to a bundle, `/` (root.path is looked up on this machine), else it is standard input |
//! | 5 | the bytes are a state document (`Validator::validate_state`), judged when they are JSON |
//!
//! Every result is rendered in every output format of `ocicheck validate` (human plain and
//! styled, verbose or not, JSON, SARIF). Besides "no panic", the target asserts what every
//! report promises: `valid` means no error, the JSON and SARIF outputs are JSON, and a finding
//! placed on a line points into the config text.

use std::path::PathBuf;

use ocicheck_catalog::SpecVersion;
use serde_json::Value;

use crate::input::{ConfigBytes, Target};
use crate::output::{self, Run};
use crate::{BundleReport, Options, Validator};

/// The bits of the selector byte (see the module documentation).
const VERSION_BITS: u8 = 0b0000_0111;
const HOST_BIT: u8 = 0b0000_1000;
const BUNDLE_BIT: u8 = 0b0001_0000;
const STATE_BIT: u8 = 0b0010_0000;

/// Judges `data` (a selector byte, then the config) as `ocicheck validate` does, and renders the
/// verdict in every format. Panics only on a defect of the validator.
pub fn validate(data: &[u8]) {
    let Some((&selector, config)) = data.split_first() else {
        return;
    };
    let spec_version = match usize::from(selector & VERSION_BITS) {
        0 => None,
        n => SpecVersion::ALL.get(n - 1).copied(),
    };
    let validator = Validator::new(Options {
        spec_version,
        host: selector & HOST_BIT != 0,
    });
    let report = if selector & STATE_BIT != 0 {
        let Ok(state) = serde_json::from_slice::<Value>(config) else {
            return;
        };
        let version = spec_version.unwrap_or(SpecVersion::LATEST);
        let diagnostics = validator.validate_state(&state, version);
        BundleReport {
            path: PathBuf::from("<state>"),
            spec_version: version,
            valid: diagnostics.is_empty(),
            diagnostics,
            config_path: PathBuf::from("<state>"),
            source: None,
        }
    } else {
        let target = if selector & BUNDLE_BIT != 0 {
            Target::Bundle(PathBuf::from("/"))
        } else {
            Target::Stdin
        };
        let report = validator.validate_bytes(&target, ConfigBytes::Read(config.to_vec()));
        assert_eq!(report.valid, report.errors() == 0, "valid means no error");
        if let Some(version) = spec_version {
            assert_eq!(report.spec_version, version, "--spec-version is obeyed");
        }
        if let Some(source) = &report.source {
            // The text after the last newline is a line too (an error at the end of input).
            let lines = source.split('\n').count();
            for d in &report.diagnostics {
                if let Some(column) = d.column {
                    assert!(column >= 1, "{d:?}: columns are 1-based");
                }
                if let Some(line) = d.line {
                    assert!(
                        (1..=lines).contains(&(line as usize)),
                        "{d:?} is placed on line {line} of a {lines}-line config"
                    );
                }
            }
        }
        report
    };
    render(Run {
        bundles: vec![report],
        unreadable: Vec::new(),
    });
}

/// Renders a run in every output format of `ocicheck validate`.
fn render(run: Run) {
    for (color, verbose) in [(false, false), (true, true)] {
        let text = output::human(&run, color, verbose);
        assert!(!text.is_empty(), "the human output names the bundle");
    }
    for (format, text) in [("JSON", output::json(&run)), ("SARIF", output::sarif(&run))] {
        if let Err(e) = serde_json::from_str::<Value>(&text) {
            panic!("the {format} output is not JSON ({e}):\n{text}");
        }
    }
}
