//! Lists the requirement ids that have a violation fixture (`tests/violations/<id>[--n].json`)
//! and embeds the schemas' sources.
use std::{env, fs, path::PathBuf};

fn main() {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let fixtures = dir.join("tests/violations");
    println!("cargo:rerun-if-changed={}", fixtures.display());
    let mut ids: Vec<String> = fs::read_dir(&fixtures)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter_map(|n| n.strip_suffix(".json").map(str::to_string))
                .map(|n| n.split("--").next().unwrap_or_default().to_string())
                .filter(|n| !n.starts_with('_'))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids.dedup();
    let mut out =
        String::from("/// Ids with a violation fixture.\npub const PROVEN: &[&str] = &[\n");
    for id in ids {
        out.push_str(&format!("    {id:?},\n"));
    }
    out.push_str("];\n");
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap_or_else(|_| ".".into()));
    if let Err(e) = fs::write(out_dir.join("proven.rs"), out) {
        panic!("cannot write proven.rs: {e}");
    }
    for s in [
        "config.schema.json",
        "state.schema.json",
        "features.schema.json",
        "config.versions.json",
    ] {
        println!(
            "cargo:rerun-if-changed={}",
            dir.join("../schemas").join(s).display()
        );
    }
}
