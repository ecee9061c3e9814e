//! The HTML report: one self-contained page (inline CSS and SVG, no script, nothing fetched).
//! Summary cards, compliance per document and level, a requirement × runtime heat-map filtered
//! by outcome with CSS only, and the cases with their reasons.

use std::fmt::Write;

use ocicheck_results::Outcome;

use crate::markdown::case_anchor;
use crate::model::{Comparison, Tally, SEVERITY};
use crate::{esc, percent};

const CSS: &str = r#"
:root{--pass:#2e9d57;--fail:#d1343f;--error:#7b2cbf;--xfail:#e69b12;--skip:#a3aab6;--none:#eceff3;--ink:#1d2330;--muted:#5b6474;--line:#dde1e8}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:20px 32px}
header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;color:#c5cad3}
main{padding:20px 32px;max-width:1500px}
h2{font-size:18px;margin:28px 0 10px}
a{color:#1f5fbf;text-decoration:none}
a:hover{text-decoration:underline}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.cards{display:flex;flex-wrap:wrap;gap:14px}
.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:14px 16px;min-width:240px;flex:1 1 240px;max-width:380px}
.card h3{margin:0;font-size:16px}
.card .sub{color:var(--muted);font-size:12px;margin:2px 0 8px;overflow-wrap:anywhere}
.card .big{font-size:30px;font-weight:700;margin:2px 0}
.card .big small{font-size:13px;font-weight:400;color:var(--muted)}
.legend{display:flex;flex-wrap:wrap;gap:4px 12px;margin-top:8px;font-size:12px;color:var(--muted)}
.dot{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:-1px}
table{border-collapse:collapse;background:#fff;border:1px solid var(--line)}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
thead th{background:#eef1f5;position:sticky;top:0;z-index:1}
.pct td{text-align:right;white-space:nowrap}
.pct td svg{vertical-align:middle;margin-left:6px}
tr.group th{background:#1d2330;color:#fff;font-size:14px}
tr.level th{background:#eef1f5;color:var(--muted);font-size:12px;letter-spacing:.05em}
.heat th[scope=row]{font-weight:400;max-width:520px}
.heat .sum{display:block;color:var(--muted);font-size:12px}
.heat td.c{text-align:center;vertical-align:middle;white-space:nowrap;min-width:96px;font-weight:600}
.heat td.c a{color:inherit}
.heat td.c a.spec{font-weight:400;opacity:.7;margin-left:4px}
.c.pass{background:var(--pass);color:#fff}.c.fail{background:var(--fail);color:#fff}.c.error{background:var(--error);color:#fff}.c.xfail{background:var(--xfail);color:#1d2330}.c.skip{background:var(--skip);color:#1d2330}.c.none{background:var(--none);color:var(--muted)}
.bg-pass{background:var(--pass)}.bg-fail{background:var(--fail)}.bg-error{background:var(--error)}.bg-xfail{background:var(--xfail)}.bg-skip{background:var(--skip)}
.filters{margin:0 0 10px;display:flex;gap:6px;align-items:center;flex-wrap:wrap}
.filters label{border:1px solid var(--line);background:#fff;border-radius:14px;padding:2px 12px;cursor:pointer;user-select:none}
.f{position:absolute;opacity:0;pointer-events:none}
#f-all:checked~main label[for=f-all],#f-pass:checked~main label[for=f-pass],#f-fail:checked~main label[for=f-fail],#f-error:checked~main label[for=f-error],#f-xfail:checked~main label[for=f-xfail],#f-skip:checked~main label[for=f-skip]{background:#1d2330;color:#fff;border-color:#1d2330}
#f-pass:checked~main tr.req:not(.o-pass),#f-fail:checked~main tr.req:not(.o-fail),#f-error:checked~main tr.req:not(.o-error),#f-xfail:checked~main tr.req:not(.o-xfail),#f-skip:checked~main tr.req:not(.o-skip){display:none}
.cases td.r{font-size:12px;max-width:420px;overflow-wrap:anywhere}
.cases .o{display:inline-block;border-radius:4px;padding:0 6px;margin-right:4px;font-weight:600;font-size:12px}
.o.pass{background:var(--pass);color:#fff}.o.fail{background:var(--fail);color:#fff}.o.error{background:var(--error);color:#fff}.o.xfail{background:var(--xfail)}.o.skip{background:var(--skip)}
tr:target{outline:3px solid #1f5fbf;outline-offset:-3px}
footer{padding:16px 32px 32px;color:var(--muted);font-size:12px}
"#;

/// A stacked bar of outcome counts.
fn bar(t: &Tally, width: u32, height: u32) -> String {
    let total = t.total();
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\">",
        esc(&counts(t))
    );
    let _ = write!(
        svg,
        "<rect width=\"{width}\" height=\"{height}\" rx=\"3\" fill=\"#eceff3\"/>"
    );
    if total > 0 {
        let mut x = 0.0f64;
        for o in [
            Outcome::Pass,
            Outcome::Xfail,
            Outcome::Fail,
            Outcome::Error,
            Outcome::Skip,
        ] {
            let n = t.get(o);
            if n == 0 {
                continue;
            }
            let w = f64::from(width) * n as f64 / total as f64;
            let _ = write!(
                svg,
                "<rect x=\"{x:.2}\" width=\"{w:.2}\" height=\"{height}\" fill=\"{}\"><title>{n} {}</title></rect>",
                color(o),
                o.as_str()
            );
            x += w;
        }
    }
    svg.push_str("</svg>");
    svg
}

/// A small progress bar of a percentage.
fn pct_bar(p: Option<f64>) -> String {
    let w = p.map_or(0.0, |p| p * 0.6);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"60\" height=\"8\" aria-hidden=\"true\">\
         <rect width=\"60\" height=\"8\" rx=\"2\" fill=\"#eceff3\"/>\
         <rect width=\"{w:.1}\" height=\"8\" rx=\"2\" fill=\"#2e9d57\"/></svg>"
    )
}

fn color(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "#2e9d57",
        Outcome::Fail => "#d1343f",
        Outcome::Error => "#7b2cbf",
        Outcome::Xfail => "#e69b12",
        Outcome::Skip => "#a3aab6",
    }
}

fn counts(t: &Tally) -> String {
    format!(
        "{} pass, {} fail, {} error, {} xfail, {} skip",
        t.pass, t.fail, t.error, t.xfail, t.skip
    )
}

pub fn render(c: &Comparison) -> String {
    let names: Vec<&str> = c.columns.iter().map(|c| c.label.as_str()).collect();
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>OCI runtime-spec compliance: {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(&names.join(", "))
    );
    // The filter radios come first so that CSS sibling selectors can reach the table.
    for (id, checked) in [
        ("all", true),
        ("fail", false),
        ("error", false),
        ("xfail", false),
        ("skip", false),
        ("pass", false),
    ] {
        let _ = writeln!(
            o,
            "<input class=\"f\" type=\"radio\" name=\"filter\" id=\"f-{id}\"{}>",
            if checked { " checked" } else { "" }
        );
    }
    let _ = writeln!(
        o,
        "<header>\n<h1>OCI runtime-spec compliance</h1>\n<p>{} · ocicheck {} · {} requirement{} \
         tested by {} case{}</p>\n</header>\n<main>",
        esc(&names.join(" · ")),
        env!("CARGO_PKG_VERSION"),
        c.rows.len(),
        if c.rows.len() == 1 { "" } else { "s" },
        c.cases.len(),
        if c.cases.len() == 1 { "" } else { "s" },
    );

    // Summary cards.
    let _ = writeln!(o, "<section class=\"cards\" id=\"summary\">");
    for (i, col) in c.columns.iter().enumerate() {
        let m = c.mandatory(i);
        let s = col.run.summary;
        let _ = writeln!(
            o,
            "<div class=\"card\"><h3>{}</h3><div class=\"sub\">{} · spec {}</div>\
             <div class=\"big\">{} <small>MUST compliance ({} of {})</small></div>\
             <div>{} of {} requirements pass · {} overall</div>{}\
             <div class=\"legend\">{}</div>\
             <div class=\"sub\">cases: {} pass, {} fail, {} error, {} xfail, {} skip</div></div>",
            esc(&col.label),
            esc(&col.run.runtime.path),
            esc(&col.run.spec_version),
            percent(m.percent()),
            m.pass,
            m.tested(),
            col.requirements.pass,
            col.requirements.total(),
            percent(col.requirements.percent()),
            bar(&col.requirements, 320, 14),
            legend(&col.requirements),
            s.pass,
            s.fail,
            s.error,
            s.xfail,
            s.skip
        );
    }
    let _ = writeln!(o, "</section>");

    // Compliance tables.
    let _ = writeln!(
        o,
        "<h2 id=\"compliance\">Compliance</h2>\n<p>Share of the requirements judged on a runtime \
         (not skipped) that pass. A requirement tested by several cases takes the worst outcome \
         of its cases: error &gt; fail &gt; xfail &gt; pass &gt; skip.</p>"
    );
    let _ = write!(
        o,
        "<table class=\"pct\"><thead><tr><th>Document / level</th>"
    );
    for n in &names {
        let _ = write!(o, "<th>{}</th>", esc(n));
    }
    let _ = writeln!(o, "</tr></thead><tbody>");
    let cols = c.columns.len() + 1;
    let _ = writeln!(
        o,
        "<tr class=\"level\"><th colspan=\"{cols}\">BY DOCUMENT</th></tr>"
    );
    for g in &c.groups {
        let ts: Vec<Option<&Tally>> = c.columns.iter().map(|col| col.by_doc.get(g)).collect();
        pct_row(&mut o, g.name(), &ts);
    }
    let _ = writeln!(
        o,
        "<tr class=\"level\"><th colspan=\"{cols}\">BY LEVEL</th></tr>"
    );
    for l in &c.levels {
        let ts: Vec<Option<&Tally>> = c.columns.iter().map(|col| col.by_level.get(l)).collect();
        pct_row(&mut o, l.as_str(), &ts);
    }
    let all: Vec<Option<&Tally>> = c
        .columns
        .iter()
        .map(|col| Some(&col.requirements))
        .collect();
    pct_row(&mut o, "all requirements", &all);
    let _ = writeln!(o, "</tbody></table>");

    // The heat-map.
    let _ = writeln!(
        o,
        "<h2 id=\"requirements\">Requirements × runtimes</h2>\n<div class=\"filters\">Show \
         requirements with an outcome: <label for=\"f-all\">all</label><label for=\"f-fail\">\
         <span class=\"dot bg-fail\"></span>fail</label><label for=\"f-error\"><span class=\"dot \
         bg-error\"></span>error</label><label for=\"f-xfail\"><span class=\"dot bg-xfail\"></span>\
         xfail</label><label for=\"f-skip\"><span class=\"dot bg-skip\"></span>skip</label><label \
         for=\"f-pass\"><span class=\"dot bg-pass\"></span>pass</label></div>"
    );
    let _ = write!(
        o,
        "<table class=\"heat\" id=\"heatmap\"><thead><tr><th>Requirement</th><th>Level</th>"
    );
    for n in &names {
        let _ = write!(o, "<th>{}</th>", esc(n));
    }
    let _ = writeln!(o, "</tr></thead>");
    for g in &c.groups {
        let _ = writeln!(
            o,
            "<tbody><tr class=\"group\"><th colspan=\"{}\">{}</th></tr>",
            cols + 1,
            esc(&g.title())
        );
        let mut level = None;
        for row in c.rows.iter().filter(|r| r.group == *g) {
            if row.level != level {
                level = row.level;
                let _ = writeln!(
                    o,
                    "<tr class=\"level\"><th colspan=\"{}\">{}</th></tr>",
                    cols + 1,
                    row.level.map_or("?", |l| l.as_str())
                );
            }
            let mut classes = String::from("req");
            for s in SEVERITY {
                if row.cells.iter().flatten().any(|c| c.outcome == s) {
                    let _ = write!(classes, " o-{}", s.as_str());
                }
            }
            let id = match &row.link {
                Some(l) => format!("<a class=\"mono\" href=\"{}\">{}</a>", esc(l), esc(&row.id)),
                None => format!("<span class=\"mono\">{}</span>", esc(&row.id)),
            };
            let _ = write!(
                o,
                "<tr class=\"{classes}\" id=\"{}\"><th scope=\"row\">{id}<span class=\"sum\">{}</span></th><td>{}</td>",
                esc(&row.anchor),
                esc(&row.summary),
                row.level.map_or("", |l| l.as_str())
            );
            for (cell, name) in row.cells.iter().zip(&names) {
                match cell {
                    Some(cell) => {
                        let spec = row.link.as_deref().map_or(String::new(), |l| {
                            format!(
                                "<a class=\"spec\" href=\"{}\" title=\"spec section\">§</a>",
                                esc(l)
                            )
                        });
                        let _ = write!(
                            o,
                            "<td class=\"c {}\" title=\"{}\"><a href=\"#{}\">{}</a>{spec}</td>",
                            cell.outcome.as_str(),
                            esc(&format!(
                                "{name}: {} ({}{}){}{}",
                                cell.outcome.as_str(),
                                cell.case,
                                if cell.assertion.is_empty() {
                                    String::new()
                                } else {
                                    format!(", {}", cell.assertion)
                                },
                                if cell.reason.is_empty() { "" } else { ": " },
                                cell.reason
                            )),
                            esc(&case_anchor(&cell.case)),
                            cell.outcome.as_str()
                        );
                    }
                    None => {
                        let _ = write!(
                            o,
                            "<td class=\"c none\" title=\"{}: not run\">—</td>",
                            esc(name)
                        );
                    }
                }
            }
            let _ = writeln!(o, "</tr>");
        }
        let _ = writeln!(o, "</tbody>");
    }
    let _ = writeln!(o, "</table>");

    xpass(&mut o, c);

    // Cases.
    let _ = write!(
        o,
        "<h2 id=\"cases\">Cases</h2>\n<table class=\"cases\"><thead><tr><th>Case</th><th>Requirements</th>"
    );
    for n in &names {
        let _ = write!(o, "<th>{}</th>", esc(n));
    }
    let _ = writeln!(o, "</tr></thead><tbody>");
    for cr in &c.cases {
        let reqs: Vec<String> = cr
            .requirements
            .iter()
            .map(|r| {
                format!(
                    "<a class=\"mono\" href=\"#{}\">{}</a>",
                    esc(&ocicheck_catalog::matrix::report_anchor(r)),
                    esc(r)
                )
            })
            .collect();
        let _ = write!(
            o,
            "<tr id=\"{}\"><th scope=\"row\" class=\"mono\">{}</th><td>{}</td>",
            esc(&case_anchor(&cr.id)),
            esc(&cr.id),
            reqs.join("<br>")
        );
        for r in &cr.results {
            match r {
                Some(r) => {
                    let reason = match (&r.baseline, r.outcome) {
                        (Some(b), Outcome::Xfail) => format!("{} (baseline: {b})", r.reason),
                        _ => r.reason.clone(),
                    };
                    let _ = write!(
                        o,
                        "<td class=\"r\"><span class=\"o {0}\">{0}</span>{1}</td>",
                        r.outcome.as_str(),
                        esc(&reason)
                    );
                }
                None => o.push_str("<td class=\"r\">—</td>"),
            }
        }
        let _ = writeln!(o, "</tr>");
    }
    let _ = writeln!(o, "</tbody></table>\n</main>");
    let _ = writeln!(
        o,
        "<footer>Generated by <code>ocicheck report</code> (ocicheck {}). Requirement texts \
         paraphrase the OCI runtime-spec; links point at its sections.</footer>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION")
    );
    o
}

/// The cases the baseline lists that passed, per run; nothing when there are none.
fn xpass(o: &mut String, c: &Comparison) {
    let runs = crate::xpass::by_run(c);
    if runs.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "<h2 id=\"xpass\">Listed in the baseline but passed</h2>\n<p>{}</p>",
        esc(crate::xpass::INTRO)
    );
    for run in runs {
        let _ = write!(o, "<h3>{}", esc(run.label));
        if let Some(b) = run.baseline {
            let _ = write!(o, " <small class=\"mono\">{}</small>", esc(b));
        }
        let _ = write!(o, "</h3>\n<ul>");
        for id in run.cases {
            let _ = write!(
                o,
                "<li><a class=\"mono\" href=\"#{}\">{}</a></li>",
                esc(&case_anchor(id)),
                esc(id)
            );
        }
        let _ = writeln!(o, "</ul>");
    }
}

fn legend(t: &Tally) -> String {
    let mut s = String::new();
    for o in [
        Outcome::Pass,
        Outcome::Xfail,
        Outcome::Fail,
        Outcome::Error,
        Outcome::Skip,
    ] {
        let _ = write!(
            s,
            "<span><span class=\"dot bg-{0}\"></span>{1} {0}</span>",
            o.as_str(),
            t.get(o)
        );
    }
    s
}

fn pct_row(o: &mut String, name: &str, tallies: &[Option<&Tally>]) {
    let _ = write!(o, "<tr><th scope=\"row\">{}</th>", esc(name));
    for t in tallies {
        match t {
            Some(t) if t.tested() == 0 => {
                let _ = write!(o, "<td>— <small>({} skipped)</small></td>", t.skip);
            }
            Some(t) => {
                let _ = write!(
                    o,
                    "<td title=\"{}\">{} <small>({} of {})</small>{}</td>",
                    esc(&counts(t)),
                    percent(t.percent()),
                    t.pass,
                    t.tested(),
                    pct_bar(t.percent())
                );
            }
            None => o.push_str("<td>—</td>"),
        }
    }
    let _ = writeln!(o, "</tr>");
}
