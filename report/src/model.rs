//! The comparison of one or more runs: a requirement × runtime table with totals and
//! compliance percentages per spec document and per level.

use std::collections::BTreeMap;

use ocicheck_catalog::{matrix, Catalog, Doc, Level, SpecVersion};
pub use ocicheck_results::Tally;
use ocicheck_results::{CaseResult, Outcome, RunResults, SuiteInfo};
use serde::Serialize;

/// Outcomes from worst to best: a requirement tested by several cases takes the first of these
/// that any of its cases has. A skip only stands when every case skipped.
pub const SEVERITY: [Outcome; 5] = [
    Outcome::Error,
    Outcome::Fail,
    Outcome::Xfail,
    Outcome::Pass,
    Outcome::Skip,
];

/// The worse of two outcomes (see [`SEVERITY`]).
pub fn worst(a: Outcome, b: Outcome) -> Outcome {
    let rank = |o| SEVERITY.iter().position(|s| *s == o).unwrap_or(0);
    if rank(b) < rank(a) {
        b
    } else {
        a
    }
}

/// One run as a column.
#[derive(Clone, Debug)]
pub struct Column {
    /// A short unique name: the runtime's file name and version (and spec version when it is
    /// not the latest).
    pub label: String,
    pub run: RunResults,
    /// Per-requirement outcomes of this run.
    pub requirements: Tally,
    pub by_doc: BTreeMap<Group, Tally>,
    pub by_level: BTreeMap<Level, Tally>,
}

/// A spec document, or requirements the catalog does not know (from another ocicheck version).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    Doc(Doc),
    Unknown,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Group::Doc(d) => d.file(),
            Group::Unknown => "not in this catalog",
        }
    }

    pub fn title(self) -> String {
        match self {
            Group::Doc(d) => format!("{} — {}", d.file(), d.title()),
            Group::Unknown => "Requirements not in this catalog".to_string(),
        }
    }
}

/// One requirement's outcome on one runtime.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub outcome: Outcome,
    /// The case that decided the outcome (the first with the worst outcome).
    pub case: String,
    /// The case's assertion that decided it (`step 4 (state)`; "" from a file written before verdicts).
    pub assertion: String,
    /// Why, as the deciding case says (its baseline reason for an xfail).
    pub reason: String,
}

/// A requirement named by a case of some run.
#[derive(Clone, Debug)]
pub struct Row {
    pub id: String,
    pub group: Group,
    pub level: Option<Level>,
    pub summary: String,
    pub link: Option<String>,
    /// The anchor of the row (`req-<id>`), the target of WIP.md's links.
    pub anchor: String,
    /// Cases that name it, in any run.
    pub cases: Vec<String>,
    /// One per column; `None` when that run had no case for it (a partial selection).
    pub cells: Vec<Option<Cell>>,
}

/// A case of some run, with its result in each.
#[derive(Clone, Debug)]
pub struct CaseRow {
    pub id: String,
    pub requirements: Vec<String>,
    pub results: Vec<Option<CaseResult>>,
}

/// One run or several runs side by side.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub columns: Vec<Column>,
    /// Sorted by document, then level, then catalog order.
    pub rows: Vec<Row>,
    pub cases: Vec<CaseRow>,
    /// Tallies over all columns' rows by document and by level exist per column; these are
    /// the groups and levels that occur, in order.
    pub groups: Vec<Group>,
    pub levels: Vec<Level>,
}

/// Short unique labels of runs: `runc 1.1.5+ds1`, `crun 1.8.1 (spec 1.1.0)`.
pub fn labels(runs: &[RunResults]) -> Vec<String> {
    let mut out: Vec<String> = runs.iter().map(label).collect();
    for i in 0..out.len() {
        let dups = out[..i].iter().filter(|l| **l == out[i]).count();
        if dups > 0 {
            out[i] = format!("{} #{}", out[i], dups + 1);
        }
    }
    out
}

fn label(run: &RunResults) -> String {
    let first = run.runtime.version.lines().next().unwrap_or("");
    // The name the runtime gives itself ("runc version 1.1.5", "ocicheck-runtime 0.1.0"),
    // else its file name (a wrapper script keeps the name of what it wraps).
    let name = first
        .split_whitespace()
        .next()
        .filter(|w| !w.starts_with(|c: char| c.is_ascii_digit()) && *w != "unknown")
        .map(String::from)
        .or_else(|| {
            std::path::Path::new(&run.runtime.path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| run.runtime.path.clone());
    // "runc version 1.1.5+ds1", "crun version 1.8.1", "ocicheck 0.1.0", "youki version 0.3.0".
    let version = first
        .split_whitespace()
        .find(|w| w.starts_with(|c: char| c.is_ascii_digit()) && w.contains('.'));
    let mut l = match version {
        Some(v) => format!("{name} {v}"),
        None => name,
    };
    if run.spec_version != SpecVersion::LATEST.as_str() {
        l.push_str(&format!(" (spec {})", run.spec_version));
    }
    l
}

impl Comparison {
    pub fn build(catalog: &Catalog, runs: &[RunResults]) -> Comparison {
        let labels = labels(runs);
        // Requirements → cases naming them (over all runs).
        let mut named: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let mut case_ids: BTreeMap<&str, &[String]> = BTreeMap::new();
        for run in runs {
            for c in &run.cases {
                case_ids.entry(c.id.as_str()).or_insert(&c.requirements);
                for r in &c.requirements {
                    let list = named.entry(r.as_str()).or_default();
                    if !list.contains(&c.id.as_str()) {
                        list.push(c.id.as_str());
                    }
                }
            }
        }
        let order: BTreeMap<&str, usize> = catalog
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect();
        let mut rows: Vec<Row> = named
            .iter()
            .map(|(id, cases)| {
                let req = catalog.get(id);
                let cells = runs
                    .iter()
                    .map(|run| {
                        let mut cell: Option<Cell> = None;
                        for c in &run.cases {
                            // The verdict of the assertion that decided this requirement.
                            let Some(v) = c.verdicts().into_iter().find(|v| v.requirement == *id)
                            else {
                                continue;
                            };
                            if cell
                                .as_ref()
                                .is_none_or(|x| worst(x.outcome, v.outcome) != x.outcome)
                            {
                                let mut reason = match v.outcome {
                                    Outcome::Pass => String::new(),
                                    Outcome::Error if c.outcome == Outcome::Fail => {
                                        format!("not judged: the case failed first ({})", c.reason)
                                    }
                                    _ => c.reason.clone(),
                                };
                                if let (Some(b), Outcome::Xfail) = (&c.baseline, v.outcome) {
                                    reason = format!("{reason} (baseline: {b})");
                                }
                                cell = Some(Cell {
                                    outcome: v.outcome,
                                    case: c.id.clone(),
                                    assertion: v.assertion.clone(),
                                    reason,
                                });
                            }
                        }
                        cell
                    })
                    .collect();
                Row {
                    id: id.to_string(),
                    group: req.map_or(Group::Unknown, |r| Group::Doc(r.doc)),
                    level: req.map(|r| r.level),
                    summary: req.map(|r| r.summary.clone()).unwrap_or_default(),
                    link: req.map(|r| r.link()),
                    anchor: matrix::report_anchor(id),
                    cases: cases.iter().map(|c| c.to_string()).collect(),
                    cells,
                }
            })
            .collect();
        rows.sort_by_key(|r| {
            (
                r.group,
                r.level,
                order.get(r.id.as_str()).copied().unwrap_or(usize::MAX),
                r.id.clone(),
            )
        });
        let columns = runs
            .iter()
            .zip(labels)
            .enumerate()
            .map(|(i, (run, label))| {
                let mut requirements = Tally::default();
                let mut by_doc: BTreeMap<Group, Tally> = BTreeMap::new();
                let mut by_level: BTreeMap<Level, Tally> = BTreeMap::new();
                for row in &rows {
                    if let Some(cell) = &row.cells[i] {
                        requirements.add(cell.outcome);
                        by_doc.entry(row.group).or_default().add(cell.outcome);
                        if let Some(l) = row.level {
                            by_level.entry(l).or_default().add(cell.outcome);
                        }
                    }
                }
                Column {
                    label,
                    run: run.clone(),
                    requirements,
                    by_doc,
                    by_level,
                }
            })
            .collect();
        let mut groups: Vec<Group> = rows.iter().map(|r| r.group).collect();
        groups.dedup();
        let mut levels: Vec<Level> = rows.iter().filter_map(|r| r.level).collect();
        levels.sort();
        levels.dedup();
        let cases = case_ids
            .into_iter()
            .map(|(id, reqs)| CaseRow {
                id: id.to_string(),
                requirements: reqs.to_vec(),
                results: runs
                    .iter()
                    .map(|run| run.cases.iter().find(|c| c.id == id).cloned())
                    .collect(),
            })
            .collect();
        Comparison {
            columns,
            rows,
            cases,
            groups,
            levels,
        }
    }

    /// Compliance over the mandatory levels (MUST, MUST NOT, REQUIRED) of a column.
    pub fn mandatory(&self, column: usize) -> Tally {
        let mut t = Tally::default();
        for row in &self.rows {
            if row.level.is_some_and(Level::is_mandatory) {
                if let Some(c) = &row.cells[column] {
                    t.add(c.outcome);
                }
            }
        }
        t
    }

    /// The comparison as JSON (`ocicheck report --format json` of several runtimes).
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Doc<'a> {
            ocicheck_version: &'a str,
            catalog_spec_version: &'a str,
            outcome_rule: &'a str,
            runtimes: Vec<Runtime<'a>>,
            requirements: Vec<Req<'a>>,
        }
        #[derive(Serialize)]
        struct Runtime<'a> {
            label: &'a str,
            path: &'a str,
            version: &'a str,
            spec_version: &'a str,
            suite: Option<&'a SuiteInfo>,
            cases: Tally,
            requirements: Counts,
            compliance: Option<f64>,
            mandatory_compliance: Option<f64>,
            by_document: BTreeMap<&'a str, Pct>,
            by_level: BTreeMap<&'a str, Pct>,
        }
        #[derive(Serialize)]
        struct Pct {
            #[serde(flatten)]
            tally: Counts,
            compliance: Option<f64>,
        }
        /// Requirement counts, in the order this document has always had them.
        #[derive(Serialize)]
        struct Counts {
            pass: usize,
            fail: usize,
            error: usize,
            xfail: usize,
            skip: usize,
        }
        let counts = |t: &Tally| Counts {
            pass: t.pass,
            fail: t.fail,
            error: t.error,
            xfail: t.xfail,
            skip: t.skip,
        };
        #[derive(Serialize)]
        struct Req<'a> {
            id: &'a str,
            document: &'a str,
            level: Option<&'a str>,
            summary: &'a str,
            link: Option<&'a str>,
            cases: &'a [String],
            results: &'a [Option<Cell>],
        }
        let round = |p: Option<f64>| p.map(|p| (p * 10.0).round() / 10.0);
        let pct = |t: &Tally| Pct {
            tally: counts(t),
            compliance: round(t.percent()),
        };
        let doc = Doc {
            ocicheck_version: env!("CARGO_PKG_VERSION"),
            catalog_spec_version: SpecVersion::LATEST.as_str(),
            outcome_rule: "a requirement takes the worst outcome of its cases: error > fail > \
                           xfail > pass > skip; compliance = pass / (pass + fail + error + xfail)",
            runtimes: self
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| Runtime {
                    label: &c.label,
                    path: &c.run.runtime.path,
                    version: &c.run.runtime.version,
                    spec_version: &c.run.spec_version,
                    suite: c.run.suite.as_ref(),
                    cases: c.run.summary,
                    requirements: counts(&c.requirements),
                    compliance: round(c.requirements.percent()),
                    mandatory_compliance: round(self.mandatory(i).percent()),
                    by_document: c.by_doc.iter().map(|(g, t)| (g.name(), pct(t))).collect(),
                    by_level: c
                        .by_level
                        .iter()
                        .map(|(l, t)| (l.as_str(), pct(t)))
                        .collect(),
                })
                .collect(),
            requirements: self
                .rows
                .iter()
                .map(|r| Req {
                    id: &r.id,
                    document: r.group.name(),
                    level: r.level.map(Level::as_str),
                    summary: &r.summary,
                    link: r.link.as_deref(),
                    cases: &r.cases,
                    results: &r.cells,
                })
                .collect(),
        };
        serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
    }
}
