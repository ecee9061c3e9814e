//! The body of the `case` fuzz target (`fuzz/fuzz_targets/case.rs`), shared with the stable test
//! that replays its kept inputs (`tests/fuzz_regressions.rs` in the root crate), so that a crash
//! found by the fuzzer stays fixed without a nightly toolchain.
//!
//! Input: the text of one case file (bytes that are not UTF-8 are skipped: `--cases DIR` reads
//! files as strings, so the loader never sees them). It is loaded as `ocicheck run` loads case
//! files: [`parse`] with a file name, then [`Suite::from_files`] with that one file; a case that
//! loads has its assertions labelled and its config patch turned into JSON and merged, as the
//! runner does. Besides "no panic", the target asserts that both loaders agree and that an
//! error's line is a line of the file.

use serde_json::{json, Value};

use super::{merge_patch, parse, substitute, toml_to_json, CaseError, Suite};

/// The name the case file is given (errors and [`super::Case::file`] carry it).
const FILE: &str = "cases/fuzz.toml";

/// Loads `data` as a case file. Panics only on a defect of the loader.
pub fn case(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse(FILE, text);
    let suite = Suite::from_files(vec![(FILE.to_string(), text.to_string())]);
    match (&parsed, &suite) {
        (Err(e), Err(s)) => {
            assert_eq!(e, s, "the suite reports the file's own error");
            check_line(text, e);
        }
        (Err(e), Ok(_)) => panic!("the suite loads a file that does not parse: {e}"),
        (Ok(_), Err(e)) => check_line(text, e),
        (Ok(c), Ok(s)) => {
            assert_eq!(s.cases.len(), 1, "one file, one case");
            assert_eq!(s.cases.first(), Some(c), "the suite holds the parsed case");
            assert!(!s.info().cases_digest.is_empty(), "the suite has a digest");
        }
    }
    let Ok(case) = parsed else { return };
    for (assertion, _) in case.assertions() {
        let _label = case.label(assertion);
    }
    let mut patch = toml_to_json(&case.config);
    substitute(&mut patch, &[("{bundle}", "/tmp/bundle".to_string())]);
    let mut config: Value = json!({"ociVersion": "1.3.0", "process": {"args": ["true"]}});
    merge_patch(&mut config, &patch);
}

/// An error's line, when it has one, is a line of the file.
fn check_line(text: &str, e: &CaseError) {
    if let Some(line) = e.line {
        let lines = text.split('\n').count();
        assert!(
            (1..=lines).contains(&line),
            "{e} is placed on line {line} of a {lines}-line file"
        );
    }
}
