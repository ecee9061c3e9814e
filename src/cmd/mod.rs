pub mod baseline;
pub mod bench;
pub mod color;
pub mod completions;
pub mod matrix;
pub mod report;
pub mod requirements;
pub mod run;
pub mod run_list;
pub mod schema;
pub mod signals;
pub mod validate;

use std::path::Path;

use anyhow::{Context, Result};
use ocicheck_catalog::{Catalog, Statuses};

/// A program's path found in PATH, like the shell does.
pub fn which(name: impl AsRef<Path>) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?
        .to_string_lossy()
        .split(':')
        .map(|d| Path::new(d).join(name.as_ref()))
        .find(|p| p.is_file())
}

/// The catalog to work on: the embedded one, or the files of `dir` (for catalog authors who want
/// to see the effect of an edit before rebuilding).
pub fn load_catalog(dir: Option<&Path>) -> Result<Catalog> {
    let Some(dir) = dir else {
        return Ok(Catalog::embedded()?.clone());
    };
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read catalog directory {}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot list catalog directory {}", dir.display()))?
            .path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read catalog file {}", path.display()))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            files.push((name, text));
        }
    }
    if files.is_empty() {
        anyhow::bail!("{} holds no catalog files (*.toml)", dir.display());
    }
    Ok(Catalog::from_files(&files, Catalog::embedded_anchors())?)
}

/// Statuses of the catalog's requirements, derived from this binary's implementers.
pub fn derive_statuses(catalog: &Catalog) -> Result<Statuses> {
    Ok(Statuses::derive(catalog, &crate::implementers::all())?)
}
