//! Status is derived from implementers' claims, never typed by hand.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use ocicheck_catalog::{matrix, Catalog, Implementer, ImplementerKind, Status, Statuses};

const ANCHORS: &str = "1.3.0\tconfig.md\tprocess\n1.3.0\tconfig.md\troot\n";

const CATALOG: &str = r#"
doc = "config.md"

[[requirement]]
id = "config.process.cwd.absolute"
level = "MUST"
summary = "cwd is absolute"
anchor = "process"
kind = "static"

[[requirement]]
id = "config.root.path.exists"
level = "MUST"
summary = "root.path names a directory"
anchor = "root"
kind = "static"

[[requirement]]
id = "config.process.advice"
level = "MAY"
summary = "a permission"
anchor = "process"
kind = "untestable"
reason = "permission only"
"#;

fn catalog() -> Catalog {
    Catalog::from_files(&[("t.toml", CATALOG)], ANCHORS).expect("test catalog loads")
}

#[test]
fn a_fake_check_flips_planned_to_wip_to_included() {
    let c = catalog();
    let id = "config.process.cwd.absolute";

    let none = Statuses::derive(&c, &[]).expect("derive");
    assert_eq!(none.status(id), Status::Planned);

    let named = Implementer::new(ImplementerKind::Check, "fake-cwd").claim(id, false);
    let wip = Statuses::derive(&c, std::slice::from_ref(&named)).expect("derive");
    assert_eq!(wip.status(id), Status::Wip);
    assert_eq!(
        wip.get(id).expect("entry").implemented_by,
        ["check:fake-cwd"]
    );
    assert_eq!(wip.status("config.root.path.exists"), Status::Planned);

    let proven = Implementer::new(ImplementerKind::Check, "fake-cwd").claim(id, true);
    let inc = Statuses::derive(&c, &[proven]).expect("derive");
    assert_eq!(inc.status(id), Status::Included);
}

#[test]
fn one_proven_implementer_is_enough_and_all_are_listed() {
    let c = catalog();
    let id = "config.root.path.exists";
    let a = Implementer::new(ImplementerKind::Case, "root.missing").claim(id, false);
    let b = Implementer::new(ImplementerKind::Check, "root-path").claim(id, true);
    let s = Statuses::derive(&c, &[a, b]).expect("derive");
    assert_eq!(s.status(id), Status::Included);
    assert_eq!(
        s.get(id).expect("entry").implemented_by,
        ["check:root-path", "case:root.missing"]
    );
}

#[test]
fn untestable_stays_untestable() {
    let c = catalog();
    let s = Statuses::derive(&c, &[]).expect("derive");
    assert_eq!(s.status("config.process.advice"), Status::Untestable);
}

#[test]
fn a_claim_on_an_unknown_id_is_an_error() {
    let c = catalog();
    let typo = Implementer::new(ImplementerKind::Check, "typo").claim("config.proces.cwd", true);
    let err = Statuses::derive(&c, &[typo]).expect_err("unknown id");
    assert!(err.to_string().contains("check:typo -> config.proces.cwd"));
}

#[test]
fn matrix_reflects_status_changes() {
    let c = catalog();
    let before = matrix::render(&c, &Statuses::derive(&c, &[]).expect("derive"));
    let check =
        Implementer::new(ImplementerKind::Check, "fake").claim("config.process.cwd.absolute", true);
    let after = matrix::render(&c, &Statuses::derive(&c, &[check]).expect("derive"));
    let stale = matrix::compare(&after, &before).expect("differs");
    assert!(stale.summary(100).contains("config.process.cwd.absolute"));
    assert!(matrix::compare(&before, &before).is_none());
}

#[test]
fn matrix_is_stale_after_any_catalog_edit() {
    let c = catalog();
    let committed = matrix::render(&c, &Statuses::derive(&c, &[]).expect("derive"));
    for (from, to) in [
        ("cwd is absolute", "cwd is an absolute path"),
        ("level = \"MUST\"", "level = \"SHOULD\""),
        ("kind = \"static\"", "kind = \"runtime\""),
        ("\"root\"", "\"process\""),
    ] {
        let edited = CATALOG.replacen(from, to, 1);
        let c2 = Catalog::from_files(&[("t.toml", edited.as_str())], ANCHORS).expect("loads");
        let fresh = matrix::render(&c2, &Statuses::derive(&c2, &[]).expect("derive"));
        assert!(
            matrix::compare(&fresh, &committed).is_some(),
            "editing {from:?} left the matrix unchanged"
        );
    }
    // Adding an entry is an edit too.
    let added = format!(
        "{CATALOG}\n[[requirement]]\nid = \"config.root.readonly\"\nlevel = \"MAY\"\nsummary = \"x\"\nanchor = \"root\"\nkind = \"static\"\n"
    );
    let c3 = Catalog::from_files(&[("t.toml", added.as_str())], ANCHORS).expect("loads");
    let fresh = matrix::render(&c3, &Statuses::derive(&c3, &[]).expect("derive"));
    let stale = matrix::compare(&fresh, &committed).expect("stale");
    assert!(
        stale.summary(100).contains("config.root.readonly"),
        "{}",
        stale.summary(100)
    );
}

#[test]
fn matrix_snapshot() {
    let c = catalog();
    let check =
        Implementer::new(ImplementerKind::Check, "cwd").claim("config.process.cwd.absolute", true);
    let case = Implementer::new(ImplementerKind::Case, "root.exists")
        .claim("config.root.path.exists", false);
    let text = matrix::render(&c, &Statuses::derive(&c, &[check, case]).expect("derive"));
    insta::assert_snapshot!(text);
}

#[test]
fn a_validator_check_never_makes_a_runtime_requirement_included() {
    let runtime_kind = r#"
doc = "config.md"

[[requirement]]
id = "config.hooks.prestart.path.runtime-namespace"
level = "MUST"
summary = "a hook path is resolved in the runtime namespace"
anchor = "process"
kind = "runtime"
"#;
    let c = Catalog::from_files(&[("t.toml", runtime_kind)], ANCHORS).expect("loads");
    let id = "config.hooks.prestart.path.runtime-namespace";
    let check = Implementer::new(ImplementerKind::Check, "host-hooks").claim(id, true);
    let s = Statuses::derive(&c, std::slice::from_ref(&check)).expect("derives");
    assert_eq!(
        s.get(id).map(|d| d.status),
        Some(Status::Wip),
        "a static proof stays static"
    );
    let case = Implementer::new(ImplementerKind::Case, "hooks.order").claim(id, true);
    let s = Statuses::derive(&c, &[check, case]).expect("derives");
    assert_eq!(
        s.get(id).map(|d| d.status),
        Some(Status::Included),
        "a proven case proves it"
    );
}

#[test]
fn a_runtime_requirement_is_proven_by_a_named_mutation_and_wip_says_what_is_missing() {
    let runtime_kind = r#"
doc = "config.md"

[[requirement]]
id = "config.process.env.applied"
level = "MUST"
summary = "the process gets the configured environment"
anchor = "process"
kind = "runtime"
"#;
    let c = Catalog::from_files(&[("t.toml", runtime_kind)], ANCHORS).expect("loads");
    let id = "config.process.env.applied";
    let named = Implementer::new(ImplementerKind::Case, "process.env").claim(id, false);
    let s = Statuses::derive(&c, std::slice::from_ref(&named)).expect("derives");
    let d = s.get(id).expect("entry");
    assert_eq!(d.status, Status::Wip);
    assert!(
        d.missing.is_some_and(|m| m.contains("mutation")),
        "{:?}",
        d.missing
    );
    assert_eq!(s.proven_runtime(&c), 0);
    let text = matrix::render(&c, &s);
    assert!(text.contains("; missing: a mutation"), "{text}");

    let proven = Implementer::new(ImplementerKind::Case, "process.env")
        .proven_by(id, "mutation:ignore-process-env");
    let s = Statuses::derive(&c, &[named, proven]).expect("derives");
    let d = s.get(id).expect("entry");
    assert_eq!(d.status, Status::Included);
    assert_eq!(d.proven_by, ["mutation:ignore-process-env"]);
    assert_eq!(d.missing, None);
    assert_eq!(s.proven_runtime(&c), 1);
    let text = matrix::render(&c, &s);
    assert!(
        text.contains("proven by `mutation:ignore-process-env`")
            && text.contains("**Proven at runtime: 1 runtime requirements.**"),
        "{text}"
    );
}

const RUNTIME: &str = r#"
doc = "config.md"

[[requirement]]
id = "config.process.rdt"
level = "MUST"
summary = "needs special hardware"
anchor = "process"
kind = "runtime"
blocked = "needs resctrl"

[[requirement]]
id = "config.process.plain"
level = "SHOULD"
summary = "testable anywhere"
anchor = "process"
kind = "runtime"

[[requirement]]
id = "config.process.maybe"
level = "MAY"
summary = "not counted in coverage"
anchor = "process"
kind = "runtime"
"#;

#[test]
fn coverage_counts_binding_runtime_levels_and_what_is_blocked() {
    let c = Catalog::from_files(&[("r.toml", RUNTIME)], ANCHORS).expect("loads");
    let none = Statuses::derive(&c, &[]).expect("derive");
    let cov = none.runtime_coverage(&c, ocicheck_catalog::SpecVersion::LATEST);
    assert_eq!((cov.total, cov.included, cov.blocked), (2, 0, 1));
    assert!(none.stale_blocks(&c).is_empty());
    assert!(matrix::render(&c, &none).contains("cannot be tested here: _needs resctrl_"));

    let plain = Implementer::new(ImplementerKind::Case, "c")
        .proven_by("config.process.plain", "mutation:m");
    let s = Statuses::derive(&c, &[plain]).expect("derive");
    let cov = s.runtime_coverage(&c, ocicheck_catalog::SpecVersion::LATEST);
    assert_eq!((cov.total, cov.included, cov.blocked), (2, 1, 1));
    assert!((cov.percent() - 50.0).abs() < f64::EPSILON);

    // A blocked requirement that a proof includes all the same: the mark is stale.
    let rdt =
        Implementer::new(ImplementerKind::Case, "c").proven_by("config.process.rdt", "mutation:m");
    let s = Statuses::derive(&c, &[rdt]).expect("derive");
    assert_eq!(s.stale_blocks(&c), ["config.process.rdt"]);
}
