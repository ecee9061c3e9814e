//! The loader rejects malformed catalogs with messages that name the file and the entry.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use ocicheck_catalog::Catalog;

const ANCHORS: &str = "1.0.0\tconfig.md\tprocess\n1.2.1\tconfig.md\tprocess\n1.3.0\tconfig.md\tprocess\n1.3.0\tconfig.md\troot\n";

fn load(text: &str) -> Result<Catalog, String> {
    Catalog::from_files(&[("test.toml", text)], ANCHORS).map_err(|e| e.to_string())
}

const GOOD: &str = r#"
doc = "config.md"

[[requirement]]
id = "config.process.cwd.absolute"
level = "MUST"
summary = "cwd is absolute"
anchor = "process"
kind = "static"
"#;

#[test]
fn a_good_file_loads() {
    let c = load(GOOD).expect("loads");
    assert_eq!(c.len(), 1);
    let r = c.get("config.process.cwd.absolute").expect("entry");
    assert_eq!(
        r.link(),
        "https://github.com/opencontainers/runtime-spec/blob/v1.3.0/config.md#process"
    );
    assert_eq!(r.versions().len(), 7);
}

fn expect_problem(text: &str, needle: &str) {
    let err = load(text).expect_err("must be rejected");
    assert!(
        err.contains("test.toml"),
        "error does not name the file: {err}"
    );
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
}

#[test]
fn duplicate_ids_are_rejected() {
    let twice = format!("{GOOD}{}", GOOD.replace("doc = \"config.md\"", ""));
    expect_problem(&twice, "duplicate id");
}

#[test]
fn unknown_anchor_is_rejected() {
    expect_problem(
        &GOOD.replace("\"process\"", "\"no-such\""),
        "anchor \"no-such\"",
    );
}

#[test]
fn anchors_are_checked_at_the_linked_release() {
    // `root` exists only at 1.3.0 in this table; an entry that ends at 1.2.1 links there.
    let text = GOOD.replace("\"process\"", "\"root\"") + "until = \"1.2.1\"\n";
    expect_problem(&text, "does not exist in config.md at v1.2.1");
}

#[test]
fn untestable_needs_a_reason_and_only_it() {
    expect_problem(
        &GOOD.replace("kind = \"static\"", "kind = \"untestable\""),
        "needs a `reason`",
    );
    expect_problem(
        &(GOOD.to_string() + "reason = \"x\"\n"),
        "only untestable requirements",
    );
}

#[test]
fn ids_must_match_their_document() {
    expect_problem(
        &GOOD.replace("config.process.cwd.absolute", "linux.process.cwd"),
        "must start with \"config.\"",
    );
    expect_problem(
        &GOOD.replace("config.process.cwd.absolute", "Config..x"),
        "dot-separated",
    );
}

#[test]
fn ids_with_one_constant_name_are_rejected() {
    // `cwd-absolute` and `cwdAbsolute` would both be ids::CONFIG_PROCESS_CWD_ABSOLUTE.
    let twice = format!(
        "{}{}",
        GOOD.replace("cwd.absolute", "cwd-absolute"),
        GOOD.replace("doc = \"config.md\"", "")
            .replace("cwd.absolute", "cwdAbsolute")
    );
    expect_problem(
        &twice,
        "same constant name as \"config.process.cwd-absolute\"",
    );
}

#[test]
fn since_after_until_is_rejected() {
    let text = GOOD.to_string() + "since = \"1.3.0\"\nuntil = \"1.0.0\"\n";
    expect_problem(&text, "older than `since`");
}

#[test]
fn unknown_fields_levels_and_versions_are_rejected() {
    expect_problem(&(GOOD.to_string() + "colour = \"red\"\n"), "colour");
    expect_problem(&GOOD.replace("\"MUST\"", "\"MUSTN'T\""), "MUSTN'T");
    expect_problem(&(GOOD.to_string() + "since = \"1.4.0\"\n"), "1.4.0");
    expect_problem("doc = \"image.md\"\n", "unknown document");
    expect_problem("this is not toml", "not a valid catalog file");
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let text = GOOD
        .replace("\"process\"", "\"nope\"")
        .replace("kind = \"static\"", "kind = \"untestable\"");
    let err = load(&text).expect_err("rejected");
    assert!(err.contains("anchor") && err.contains("reason"), "{err}");
}

#[test]
fn only_runtime_requirements_are_blocked_and_say_why() {
    expect_problem(
        &(GOOD.to_string() + "blocked = \"needs resctrl\"\n"),
        "only runtime requirements carry `blocked`",
    );
    let runtime = GOOD.replace("kind = \"static\"", "kind = \"runtime\"");
    expect_problem(
        &(runtime.clone() + "blocked = \"  \"\n"),
        "what the host lacks",
    );
    let c = load(&(runtime + "blocked = \"needs resctrl\"\n")).expect("loads");
    let r = c.get("config.process.cwd.absolute").expect("entry");
    assert_eq!(r.blocked.as_deref(), Some("needs resctrl"));
}
