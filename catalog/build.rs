//! Embeds every `requirements/*.toml` file and `spec-anchors.tsv` into the crate, so that the
//! catalog travels inside the binary and adding a catalog file needs no code change.
use std::{env, fs, path::PathBuf};

fn main() {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let req_dir = dir.join("requirements");
    println!("cargo:rerun-if-changed={}", req_dir.display());
    println!(
        "cargo:rerun-if-changed={}",
        dir.join("spec-anchors.tsv").display()
    );

    let mut files: Vec<PathBuf> = match fs::read_dir(&req_dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect(),
        Err(e) => panic!("cannot read {}: {e}", req_dir.display()),
    };
    files.sort();
    let mut out = String::from("/// (file name, contents) of every embedded catalog file.\n");
    out.push_str("pub(crate) const CATALOG_FILES: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            f.display().to_string()
        ));
    }
    out.push_str("];\n");
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap_or_else(|_| ".".into()));
    if let Err(e) = fs::write(out_dir.join("catalog_files.rs"), out) {
        panic!("cannot write catalog_files.rs: {e}");
    }
}
