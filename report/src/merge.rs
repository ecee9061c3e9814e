//! Merging the shards of a `--partition K/N` run back into one result.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ocicheck_results::{BaselineInfo, Partition, RunResults, RUN_RESULTS_FORMAT_VERSION};

use crate::ReportError;

/// Turns result files into the runs to report: files without a partition stand alone; the
/// partitions of one runtime are merged into one run. Merging refuses partitions of different
/// runtimes, spec versions, suites, selections or baselines, duplicate or missing partitions.
///
/// The order of the runs is the order of their first file.
pub fn combine(files: Vec<(PathBuf, RunResults)>) -> Result<Vec<RunResults>, ReportError> {
    // (position of the first file, key) → shards, so the output keeps the input order.
    let mut out: Vec<Option<RunResults>> = Vec::new();
    let mut groups: Vec<(usize, Vec<(PathBuf, RunResults)>)> = Vec::new();
    for (path, run) in files {
        if run.partition.is_none() {
            out.push(Some(run));
            continue;
        }
        let same = |g: &(usize, Vec<(PathBuf, RunResults)>)| {
            g.1.first().is_some_and(|(_, r)| r.runtime == run.runtime)
        };
        match groups.iter_mut().find(|g| same(g)) {
            Some(g) => g.1.push((path, run)),
            None => {
                groups.push((out.len(), vec![(path, run)]));
                out.push(None);
            }
        }
    }
    let incomplete: Vec<&(usize, Vec<(PathBuf, RunResults)>)> =
        groups.iter().filter(|g| !is_complete(&g.1)).collect();
    if groups.len() > 1 && !incomplete.is_empty() {
        let names: Vec<String> = groups
            .iter()
            .map(|g| {
                let (p, r) = &g.1[0];
                format!("{} ({})", p.display(), runtime_name(r))
            })
            .collect();
        return Err(ReportError::Merge(format!(
            "the partitions are of different runtimes: {}; give all partitions of each runtime",
            names.join(", ")
        )));
    }
    for (slot, shards) in groups {
        out[slot] = Some(merge(shards)?);
    }
    Ok(out.into_iter().flatten().collect())
}

fn is_complete(shards: &[(PathBuf, RunResults)]) -> bool {
    let parts: Vec<Partition> = shards.iter().filter_map(|(_, r)| r.partition).collect();
    let Some(n) = parts.first().map(|p| p.count()) else {
        return false;
    };
    parts.len() == n && Partition::all(n).all(|p| parts.contains(&p))
}

fn runtime_name(r: &RunResults) -> String {
    let version = r.runtime.version.lines().next().unwrap_or("").trim();
    if version.is_empty() {
        r.runtime.path.clone()
    } else {
        format!("{}, {version}", r.runtime.path)
    }
}

/// Merges the partitions of one runtime's run.
fn merge(shards: Vec<(PathBuf, RunResults)>) -> Result<RunResults, ReportError> {
    let fail = |m: String| Err(ReportError::Merge(m));
    let Some((first_path, first)) = shards.first() else {
        return Err(ReportError::Empty);
    };
    if let Some((path, run)) = shards.iter().find(|(_, r)| r.interrupted.is_some()) {
        let note = crate::interrupted::note(run).unwrap_or_default();
        return fail(format!(
            "{} is incomplete ({note}): run that partition again",
            path.display()
        ));
    }
    let p0 = part(first_path, first)?;
    let mut by_k: BTreeMap<Partition, &Path> = BTreeMap::new();
    for (path, run) in &shards {
        let p = part(path, run)?;
        if p.count() != p0.count() {
            return fail(format!(
                "{} is partition {p0} but {} is partition {p}: they split different runs",
                first_path.display(),
                path.display()
            ));
        }
        if let Some(other) = by_k.insert(p, path) {
            return fail(format!(
                "partition {p} is given twice: {} and {}",
                other.display(),
                path.display()
            ));
        }
        let differ = |what: &str, a: &str, b: &str| {
            fail(format!(
                "{} and {} ran with different {what} ({a} and {b})",
                first_path.display(),
                path.display()
            ))
        };
        if run.spec_version != first.spec_version {
            return differ("spec versions", &first.spec_version, &run.spec_version);
        }
        match (&first.suite, &run.suite) {
            (Some(a), Some(b)) if a.version != b.version => {
                return differ("ocicheck versions", &a.version, &b.version)
            }
            (Some(a), Some(b)) if a.cases_digest != b.cases_digest => {
                return differ("case sets", &a.cases_digest, &b.cases_digest)
            }
            (Some(_), Some(_)) => {}
            _ => {
                let old = if first.suite.is_none() {
                    first_path
                } else {
                    path
                };
                return fail(format!(
                    "{} does not say which suite produced it (no \"suite\"): it was written by an \
                     older ocicheck, so its partitions cannot be checked to belong together",
                    old.display()
                ));
            }
        }
        if run.selected_cases != first.selected_cases {
            return differ(
                "case selections",
                &describe(first.selected_cases),
                &describe(run.selected_cases),
            );
        }
        if run.baseline.as_ref().map(|b| &b.digest) != first.baseline.as_ref().map(|b| &b.digest) {
            return differ(
                "baselines",
                &describe_baseline(first.baseline.as_ref()),
                &describe_baseline(run.baseline.as_ref()),
            );
        }
    }
    let missing: Vec<String> = Partition::all(p0.count())
        .filter(|p| !by_k.contains_key(p))
        .map(|p| p.to_string())
        .collect();
    if !missing.is_empty() {
        return fail(format!(
            "partition {} of {} is missing",
            missing.join(", "),
            runtime_name(first)
        ));
    }
    let mut merged = first.clone();
    merged.format_version = RUN_RESULTS_FORMAT_VERSION;
    merged.partition = None;
    merged.cases = Vec::new();
    for (path, run) in &shards {
        for c in &run.cases {
            if merged.cases.iter().any(|m| m.id == c.id) {
                return fail(format!(
                    "case {} is in more than one partition (again in {})",
                    c.id,
                    path.display()
                ));
            }
            merged.cases.push(c.clone());
        }
    }
    // The suite runs its cases sorted by id; so does the merged result.
    merged.cases.sort_by(|a, b| a.id.cmp(&b.id));
    if let Some(n) = merged.selected_cases {
        if merged.cases.len() != n {
            return fail(format!(
                "the partitions hold {} cases but the run selected {n}",
                merged.cases.len()
            ));
        }
    }
    // Each shard holds what its partition selects from the whole (sorted) selection.
    let ids: Vec<&str> = merged.cases.iter().map(|c| c.id.as_str()).collect();
    for (path, run) in &shards {
        let p = part(path, run)?;
        let mut held: Vec<&str> = run.cases.iter().map(|c| c.id.as_str()).collect();
        held.sort_unstable();
        if held != p.select(ids.iter().copied()) {
            return fail(format!(
                "{} does not hold the cases that partition {p} selects from the merged run: the \
                 partitions split different case selections",
                path.display()
            ));
        }
    }
    merged.summary = merged.cases.iter().map(|c| c.outcome).collect();
    merged.started = earliest_start(&shards)?;
    merged.hostname = hosts(&shards);
    Ok(merged)
}

/// When the merged run started: the earliest start of its partitions (those that record one).
fn earliest_start(shards: &[(PathBuf, RunResults)]) -> Result<Option<String>, ReportError> {
    let mut earliest: Option<(std::time::SystemTime, &str)> = None;
    for (path, run) in shards {
        let Some(s) = run.started.as_deref() else {
            continue;
        };
        let t = crate::start_time(s)
            .map_err(|e| ReportError::Merge(format!("{}: \"started\": {e}", path.display())))?;
        if earliest.is_none_or(|(e, _)| t < e) {
            earliest = Some((t, s));
        }
    }
    Ok(earliest.map(|(_, s)| s.to_string()))
}

/// The hosts that ran the partitions, sorted, once each, separated by spaces.
fn hosts(shards: &[(PathBuf, RunResults)]) -> Option<String> {
    let names: std::collections::BTreeSet<&str> = shards
        .iter()
        .filter_map(|(_, r)| r.hostname.as_deref())
        .collect();
    (!names.is_empty()).then(|| names.into_iter().collect::<Vec<_>>().join(" "))
}

fn part(path: &Path, run: &RunResults) -> Result<Partition, ReportError> {
    run.partition.ok_or_else(|| {
        ReportError::Merge(format!("{} is not a partition of a run", path.display()))
    })
}

fn describe_baseline(b: Option<&BaselineInfo>) -> String {
    b.map_or_else(
        || "none".to_string(),
        |b| format!("{}, {}", b.path, b.digest),
    )
}

fn describe(n: Option<usize>) -> String {
    n.map_or_else(|| "unknown".to_string(), |n| format!("{n} cases"))
}
