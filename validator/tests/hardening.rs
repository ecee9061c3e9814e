//! Issue #13: ids out of uint32 range (and the one that means "unchanged"), configs that would
//! reconfigure the host, human output whose cost grows linearly with the findings, and reading
//! config.json without hanging or leaving the bundle.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use ocicheck_validator::output::{self, Run};
use ocicheck_validator::{BundleReport, Options, Severity, Target, Validator};
use serde_json::{json, Value};

/// Validates the base config with `patch` merged in, in a bundle under `dir`.
fn judge(dir: &Path, name: &str, patch: &Value) -> BundleReport {
    let bundle = dir.join(name);
    common::lay_out_bundle(&bundle, &json!({}));
    std::fs::write(
        bundle.join("config.json"),
        common::config_text(&json!({ "config": patch })),
    )
    .expect("write");
    Validator::new(Options::default())
        .validate(&Target::Bundle(bundle))
        .expect("readable")
}

/// The findings of `report` as "severity id pointer: message".
fn listing(report: &BundleReport) -> String {
    report
        .diagnostics
        .iter()
        .map(|d| {
            format!(
                "{:?} {} {}: {}",
                d.severity, d.requirement, d.pointer, d.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn ids_outside_uint32_are_errors_naming_the_field() {
    let tmp = tempfile::tempdir().expect("tmp");
    let device = |field: &str, v: Value| {
        let mut d = json!({"path": "/dev/null", "type": "c", "major": 1, "minor": 3});
        d[field] = v;
        json!({"linux": {"devices": [d]}})
    };
    let mapping = |field: &str, v: Value| {
        let mut m = json!({"containerID": 0, "hostID": 100000, "size": 65536});
        m[field] = v;
        json!({"linux": {"uidMappings": [m], "gidMappings": [
            {"containerID": 0, "hostID": 100000, "size": 65536}]}})
    };
    let mount_mapping = |field: &str, v: Value| {
        let mut m = json!({"containerID": 0, "hostID": 100000, "size": 65536});
        m[field] = v;
        json!({"mounts": [{"destination": "/data", "type": "bind", "source": "/srv",
            "options": ["bind", "idmap"], "uidMappings": [m],
            "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}]})
    };
    let user = |field: &str, v: Value| json!({"process": {"user": {field: v}}});
    let mut cases: Vec<(String, Value, &str, &str)> = Vec::new();
    for bad in [
        json!(-1),
        json!(4_294_967_296_u64),
        json!(18_446_744_073_709_551_615_u64),
    ] {
        for f in ["uid", "gid", "umask"] {
            cases.push((
                format!("user.{f} = {bad}"),
                user(f, bad.clone()),
                "/process/user/",
                f,
            ));
        }
        cases.push((
            format!("additionalGids [{bad}]"),
            user("additionalGids", json!([5, bad.clone()])),
            "/process/user/additionalGids/1",
            "additionalGids",
        ));
        for f in ["uid", "gid", "fileMode"] {
            cases.push((
                format!("device {f} = {bad}"),
                device(f, bad.clone()),
                "/linux/devices/0/",
                f,
            ));
        }
        for f in ["containerID", "hostID", "size"] {
            cases.push((
                format!("uidMappings {f} = {bad}"),
                mapping(f, bad.clone()),
                "/linux/uidMappings/0/",
                f,
            ));
            cases.push((
                format!("mount uidMappings {f} = {bad}"),
                mount_mapping(f, bad.clone()),
                "/mounts/0/uidMappings/0/",
                f,
            ));
        }
    }
    // 2^64 itself is not even a u64.
    cases.push((
        "user.uid = 2^64".into(),
        serde_json::from_str(r#"{"process": {"user": {"uid": 18446744073709551616}}}"#)
            .expect("json"),
        "/process/user/",
        "uid",
    ));
    let mut failures = Vec::new();
    for (i, (what, patch, pointer, field)) in cases.iter().enumerate() {
        let report = judge(tmp.path(), &format!("b{i}"), patch);
        let hit = report.diagnostics.iter().any(|d| {
            d.severity == Severity::Error
                && d.pointer.starts_with(pointer)
                && d.pointer.contains(field.trim_end_matches('/'))
                && d.message.contains(field)
        });
        if !hit {
            failures.push(format!(
                "{what}: no error naming {field}:\n{}",
                listing(&report)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_id_that_means_unchanged_is_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let max = json!(4_294_967_295_u32);
    for (i, (patch, pointer)) in [
        (
            json!({"process": {"user": {"uid": max}}}),
            "/process/user/uid",
        ),
        (
            json!({"process": {"user": {"gid": max}}}),
            "/process/user/gid",
        ),
        (
            json!({"process": {"user": {"additionalGids": [max]}}}),
            "/process/user/additionalGids/0",
        ),
        (
            json!({"linux": {"devices": [{"path": "/dev/null", "type": "c", "major": 1,
                "minor": 3, "uid": max}]}}),
            "/linux/devices/0/uid",
        ),
        (
            json!({"linux": {"devices": [{"path": "/dev/null", "type": "c", "major": 1,
                "minor": 3, "gid": max}]}}),
            "/linux/devices/0/gid",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let report = judge(tmp.path(), &format!("b{i}"), &patch);
        assert!(
            report
                .diagnostics
                .iter()
                .any(|d| d.severity == Severity::Error
                    && d.pointer == pointer
                    && d.message.contains("4294967295")
                    && d.message.contains("-1")),
            "{pointer}: {}",
            listing(&report)
        );
    }
    // The largest usable id is fine.
    let report = judge(
        tmp.path(),
        "ok",
        &json!({"process": {"user": {"uid": 4_294_967_294_u32, "gid": 4_294_967_294_u32,
            "additionalGids": [4_294_967_294_u32], "umask": 18}}}),
    );
    assert!(report.diagnostics.is_empty(), "{}", listing(&report));
}

/// The base config's namespaces without `without`.
fn namespaces_without(without: &str) -> Value {
    ["pid", "network", "ipc", "uts", "mount", "cgroup"]
        .iter()
        .filter(|t| **t != without)
        .map(|t| json!({"type": t}))
        .collect()
}

#[test]
fn host_reconfiguring_configs_warn() {
    let tmp = tempfile::tempdir().expect("tmp");
    let cases = [
        (
            json!({"hostname": "box", "linux": {"namespaces": namespaces_without("uts")}}),
            "/hostname",
            "config.hostname.optional-fields",
            "uts",
        ),
        (
            json!({"hostname": null, "domainname": "example.org",
                "linux": {"namespaces": namespaces_without("uts")}}),
            "/domainname",
            "config.domainname.optional-fields",
            "uts",
        ),
        (
            json!({"linux": {"sysctl": {"kernel.msgmnb": "1"}, "namespaces": namespaces_without("ipc")}}),
            "/linux/sysctl/kernel.msgmnb",
            "linux.sysctl.optional-fields",
            "ipc",
        ),
        (
            json!({"linux": {"sysctl": {"kernel.sem": "1 2 3 4"}, "namespaces": namespaces_without("ipc")}}),
            "/linux/sysctl/kernel.sem",
            "linux.sysctl.optional-fields",
            "ipc",
        ),
        (
            json!({"linux": {"sysctl": {"kernel.shm_rmid_forced": "1"}, "namespaces": namespaces_without("ipc")}}),
            "/linux/sysctl/kernel.shm_rmid_forced",
            "linux.sysctl.optional-fields",
            "ipc",
        ),
        (
            json!({"linux": {"sysctl": {"fs.mqueue.queues_max": "1"}, "namespaces": namespaces_without("ipc")}}),
            "/linux/sysctl/fs.mqueue.queues_max",
            "linux.sysctl.optional-fields",
            "ipc",
        ),
        (
            json!({"linux": {"sysctl": {"net.core.somaxconn": "1"}, "namespaces": namespaces_without("network")}}),
            "/linux/sysctl/net.core.somaxconn",
            "linux.sysctl.optional-fields",
            "network",
        ),
        (
            json!({"linux": {"sysctl": {"vm.overcommit_memory": "1"}}}),
            "/linux/sysctl/vm.overcommit_memory",
            "linux.sysctl.optional-fields",
            "host",
        ),
    ];
    for (i, (patch, pointer, id, word)) in cases.iter().enumerate() {
        let report = judge(tmp.path(), &format!("b{i}"), patch);
        assert!(
            report
                .diagnostics
                .iter()
                .any(|d| d.severity == Severity::Warning
                    && d.pointer == *pointer
                    && d.requirement == *id
                    && d.message.contains(word)),
            "{pointer}: {}",
            listing(&report)
        );
        assert!(report.valid, "a warning only: {}", listing(&report));
    }
    // With the namespace, the same settings are the container's own.
    let report = judge(
        tmp.path(),
        "isolated",
        &json!({"hostname": "box", "domainname": "example.org", "linux": {"sysctl": {
            "kernel.msgmnb": "1", "kernel.sem": "1 2 3 4", "kernel.shmmax": "1",
            "fs.mqueue.queues_max": "1", "net.core.somaxconn": "1"}}}),
    );
    assert!(report.diagnostics.is_empty(), "{}", listing(&report));
}

/// A config with `n` relative maskedPaths entries: `n` findings.
fn many_findings(n: usize, minified: bool) -> BundleReport {
    let mut config = common::base();
    config["linux"]["maskedPaths"] = (0..n).map(|i| json!(format!("rel{i}"))).collect();
    let text = if minified {
        serde_json::to_string(&config)
    } else {
        serde_json::to_string_pretty(&config)
    }
    .expect("serialise");
    let report = Validator::new(Options::default()).validate_bytes(
        &Target::Stdin,
        ocicheck_validator::input::ConfigBytes::Read(text.into_bytes()),
    );
    assert_eq!(report.diagnostics.len(), n);
    report
}

fn render_time(report: BundleReport) -> (Duration, String) {
    let run = Run {
        bundles: vec![report],
        unreadable: Vec::new(),
    };
    let start = Instant::now();
    let out = output::human(&run, false, false);
    (start.elapsed(), out)
}

/// Human output costs the same per finding however many there are and however long the line
/// is: 20,000 findings in a pretty or a one-line config render in well under the time the
/// quadratic renderer took (minutes), even unoptimised on a shared machine.
#[test]
fn human_output_is_linear_in_the_findings() {
    for minified in [false, true] {
        let (t, out) = render_time(many_findings(20_000, minified));
        assert!(
            t < Duration::from_secs(15),
            "20,000 findings (minified: {minified}) took {t:?}"
        );
        assert!(out.contains("maskedPaths entry \"rel19999\" is not an absolute path"));
    }
}

/// A finding on a long line shows the value and some context, not the whole line.
#[test]
fn snippets_of_long_lines_are_cut_around_the_value() {
    let (_, out) = render_time(many_findings(2_000, true));
    let longest = out.lines().map(str::len).max().unwrap_or(0);
    assert!(longest < 400, "a line of {longest} bytes");
    let block = out
        .split("\n\n")
        .find(|b| b.contains("\"rel1000\" is not"))
        .expect("the finding");
    // The caret marks just the value ("rel1000" with its quotes), not the rest of the line.
    assert!(
        block.contains(" ^^^^^^^^^ MUST at /linux/maskedPaths/1000"),
        "{block}"
    );
    assert!(block.contains("\"rel1000\""), "{block}");
}
