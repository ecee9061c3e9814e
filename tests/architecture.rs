//! Structural rules of the code base, checked on the source text: no source file of the
//! runtime or the harness over 600 lines, and no import cycle between sibling modules of any
//! crate (a module may use its parent; siblings use each other one way only).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The most lines a source file of the runtime or the harness may have.
const MAX_LINES: usize = 600;

const CRATES: &[&str] = &[
    "runtime",
    "runtimetest",
    "report",
    "catalog",
    "validator",
    ".",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn no_source_file_of_the_runtime_or_the_harness_is_over_600_lines() {
    let mut long = Vec::new();
    for krate in ["runtime", "runtimetest"] {
        for f in rust_files(&root().join(krate)) {
            let n = std::fs::read_to_string(&f).expect("read").lines().count();
            if n > MAX_LINES {
                long.push(format!("{} ({n} lines)", f.display()));
            }
        }
    }
    assert!(
        long.is_empty(),
        "over {MAX_LINES} lines:\n{}",
        long.join("\n")
    );
}

/// A module path (`["runner", "judge"]`; empty for the crate root) of a file below `src`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("below src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The first path segments after each `crate::` / `super::` in code (not comments), with
/// `{a, b::c}` groups expanded one level: (`crate` or `super`, segment).
fn references(text: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        for (kw, prefix) in [("crate", "crate::"), ("super", "super::")] {
            let mut rest = code;
            while let Some(i) = rest.find(prefix) {
                // Not part of a longer name (`ocicheck_crate::`).
                let before = rest[..i].chars().last();
                rest = &rest[i + prefix.len()..];
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let ident = |s: &str| -> String {
                    s.trim_start()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect()
                };
                if let Some(group) = rest.strip_prefix('{') {
                    let inner = group.split('}').next().unwrap_or_default();
                    for item in inner.split(',') {
                        let name = ident(item);
                        if !name.is_empty() {
                            out.push((kw, name));
                        }
                    }
                } else {
                    let name = ident(rest);
                    if !name.is_empty() {
                        out.push((kw, name));
                    }
                }
            }
        }
    }
    out
}

/// A cycle in a directed graph, if any.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in edges.get(n).into_iter().flatten() {
            match state.get(m.as_str()) {
                Some(1) => {
                    let start = stack.iter().position(|s| s == m).unwrap_or(0);
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(m.clone());
                    return Some(cycle);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(m, edges, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        if !state.contains_key(n.as_str()) {
            let mut stack = Vec::new();
            if let Some(c) = visit(n, edges, &mut state, &mut stack) {
                return Some(c);
            }
        }
    }
    None
}

/// Edges between sibling modules: for each parent module, which of its children use which.
fn sibling_graphs(src: &Path) -> BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> {
    let files = rust_files(src);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(src, f)).collect();
    let mut graphs: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for f in &files {
        let from = module_of(src, f);
        let text = std::fs::read_to_string(f).expect("read");
        // Files that are a module's own directory root (`mod.rs`) resolve `super` one level up.
        for (kw, first) in references(&text) {
            let target: Vec<String> = if kw == "crate" {
                vec![first]
            } else {
                let mut parent = from.clone();
                parent.pop();
                parent.push(first);
                parent
            };
            if !modules.contains(&target) {
                continue; // an item of the parent, or of the crate root
            }
            // The nearest common ancestor: the graph of its children gets the edge.
            let common = from.iter().zip(&target).take_while(|(a, b)| a == b).count();
            if common >= from.len() || common >= target.len() {
                continue; // a module using its own ancestor or descendant
            }
            graphs
                .entry(from[..common].to_vec())
                .or_default()
                .entry(from[common].clone())
                .or_default()
                .insert(target[common].clone());
        }
    }
    graphs
}

#[test]
fn no_import_cycles_between_sibling_modules() {
    let mut problems = Vec::new();
    for krate in CRATES {
        let src = root().join(krate).join("src");
        for (parent, graph) in sibling_graphs(&src) {
            if let Some(cycle) = find_cycle(&graph) {
                problems.push(format!(
                    "{krate}/src {}: {}",
                    if parent.is_empty() {
                        "crate root".to_string()
                    } else {
                        parent.join("::")
                    },
                    cycle.join(" -> ")
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "import cycles:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_cycle_check_sees_cycles() {
    let dir = tempfile::tempdir().expect("tmp");
    let src = dir.path();
    std::fs::create_dir(src.join("a")).expect("mkdir");
    std::fs::write(src.join("lib.rs"), "mod a;\nmod b;\n").expect("write");
    std::fs::write(
        src.join("a/mod.rs"),
        "mod x;\nmod y;\nuse crate::b::Thing;\n",
    )
    .expect("write");
    std::fs::write(src.join("a/x.rs"), "use super::{y::Y, Z};\n").expect("write");
    std::fs::write(
        src.join("a/y.rs"),
        "// crate::a::x in a comment\nuse super::x;\n",
    )
    .expect("write");
    std::fs::write(src.join("b.rs"), "use crate::{a::Z};\n").expect("write");
    let graphs = sibling_graphs(src);
    let top = &graphs[&Vec::<String>::new()];
    assert_eq!(
        find_cycle(top),
        Some(vec!["a".into(), "b".into(), "a".into()])
    );
    let inner = &graphs[&vec!["a".to_string()]];
    assert_eq!(
        find_cycle(inner),
        Some(vec!["x".into(), "y".into(), "x".into()])
    );
}
