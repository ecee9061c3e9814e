//! The embedded catalog: loads, is well-formed, covers the spec's checklist.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use std::collections::{BTreeMap, BTreeSet, HashSet};

use ocicheck_catalog::{Catalog, Doc, Kind, Level, SpecVersion, SPEC_REPO_URL};

fn catalog() -> &'static Catalog {
    match Catalog::embedded() {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn embedded_catalog_loads_with_unique_ids() {
    let c = catalog();
    assert!(c.len() >= 350, "only {} requirements", c.len());
    let mut seen = HashSet::new();
    for r in c {
        assert!(seen.insert(r.id.as_str()), "duplicate id {}", r.id);
        assert!(ocicheck_catalog::valid_id(&r.id), "bad id {}", r.id);
        assert!(r.id.starts_with(r.doc.id_prefix()), "{} in {}", r.id, r.doc);
        assert!(!r.summary.is_empty());
        assert_eq!(r.kind == Kind::Untestable, r.reason.is_some(), "{}", r.id);
        assert!(!r.versions().is_empty(), "{} applies to no release", r.id);
    }
}

#[test]
fn every_document_is_covered_at_every_mandatory_level() {
    let c = catalog();
    for doc in Doc::ALL {
        assert!(
            c.iter().any(|r| r.doc == doc && r.level.is_mandatory()),
            "{doc} has no MUST-level entry"
        );
    }
    for level in [Level::Must, Level::MustNot, Level::Should, Level::May] {
        assert!(c.iter().any(|r| r.level == level), "no {level} entry");
    }
}

#[test]
fn every_link_points_into_the_five_documents_at_a_real_anchor() {
    let anchors: HashSet<(String, String, String)> = Catalog::embedded_anchors()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut p = l.split('\t');
            Some((p.next()?.into(), p.next()?.into(), p.next()?.into()))
        })
        .collect();
    let docs: Vec<&str> = Doc::ALL.iter().map(|d| d.file()).collect();
    for r in catalog() {
        let link = r.link();
        let rest = link
            .strip_prefix(&format!("{SPEC_REPO_URL}/v"))
            .unwrap_or_else(|| panic!("{}: link {link} is not a runtime-spec link", r.id));
        let (version, rest) = rest.split_once('/').unwrap_or_else(|| panic!("{link}"));
        let (doc, anchor) = rest.split_once('#').unwrap_or_else(|| panic!("{link}"));
        assert!(
            docs.contains(&doc),
            "{}: {doc} is not one of the five",
            r.id
        );
        assert!(
            SpecVersion::from_release(version).is_some(),
            "{}: {version} is not a release",
            r.id
        );
        assert!(
            anchors.contains(&(version.into(), doc.into(), anchor.into())),
            "{}: #{anchor} does not exist in {doc} at v{version}",
            r.id
        );
    }
}

/// Every section of the spec's checklist (`requirements-v1.3.0.tsv`, copied from shared/) has
/// catalog entries, and every document has at least as many entries as the checklist has
/// non-marker sentences.
#[test]
fn catalog_covers_the_v1_3_0_checklist() {
    let tsv = include_str!("data/requirements-v1.3.0.tsv");
    let mut sections: BTreeSet<(String, String)> = BTreeSet::new();
    let mut sentences: BTreeMap<String, usize> = BTreeMap::new();
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(cols.len() >= 5, "malformed checklist line {line:?}");
        sections.insert((cols[0].into(), cols[1].into()));
        if cols[2] != "OPTIONAL" {
            *sentences.entry(cols[0].into()).or_default() += 1;
        }
    }
    let c = catalog();
    let current: Vec<_> = c
        .iter()
        .filter(|r| r.applies_to(SpecVersion::LATEST))
        .collect();
    for (doc, anchor) in &sections {
        assert!(
            current
                .iter()
                .any(|r| r.doc.file() == doc && &r.anchor == anchor),
            "no 1.3.0 entry for {doc}#{anchor}"
        );
    }
    for (doc, n) in &sentences {
        let have = current.iter().filter(|r| r.doc.file() == doc).count();
        // A few checklist rows repeat another row word for word and were merged.
        assert!(
            have * 10 >= n * 9,
            "{doc}: {have} entries for {n} normative sentences"
        );
    }
}

#[test]
fn version_specific_rules_are_versioned() {
    let c = catalog();
    // Only in 1.3.0 does a failing poststart hook become an error; before it only warns.
    let post: Vec<_> = c
        .iter()
        .filter(|r| r.id.starts_with("runtime.hooks.poststart.failure"))
        .collect();
    assert!(post
        .iter()
        .any(|r| r.since == SpecVersion::V1_3_0 && r.until.is_none()));
    assert!(post
        .iter()
        .any(|r| r.until == Some(SpecVersion::V1_2_1) && !r.applies_to(SpecVersion::V1_3_0)));
    // Linux mount destinations: absolute until 1.1.0, relative allowed from 1.2.0.
    let abs = c
        .iter()
        .find(|r| r.id == "config.mounts.destination.linux.must-be-absolute")
        .expect("absolute-destination entry");
    assert!(abs.applies_to(SpecVersion::V1_1_0) && !abs.applies_to(SpecVersion::V1_2_0));
    assert!(c.iter().any(
        |r| r.id.starts_with("config.mounts.destination.linux.relative")
            && r.since == SpecVersion::V1_2_0
    ));
}
