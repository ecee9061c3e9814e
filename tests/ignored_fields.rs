//! Cases that once passed on a runtime ignoring what they test now fail on it: one test per
//! case, each running the case on the reference runtime as is (it must pass) and with the
//! mutation that drops the field (`OCICHECK_MUTATION`), where the verdict on the requirement the
//! mutation violates must be `fail`. `tests/proofs.rs` runs every mutation; these name the ones
//! that made cases vacuous, so a regression points at the case.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

mod common;

use std::time::Duration;

use assert_cmd::Command;
use ocicheck_runtime::mutation;
use serde_json::Value;

/// Runs `case` on the reference runtime, under `mutation` if given; its one result.
fn run(case: &str, mutation: Option<&str>, release: &str) -> Value {
    let scratch = tempfile::tempdir().expect("tmp");
    let real = common::reference_runtime(scratch.path());
    let mut cmd = Command::cargo_bin("ocicheck").expect("binary");
    if let Some(m) = mutation {
        cmd.env(mutation::VAR, m);
    }
    let out = cmd
        .timeout(Duration::from_secs(120))
        .args(["run", "--format", "json", "--timeout", "5", "--case", case])
        .args(["--spec-version", release, "--runtime"])
        .arg(&real)
        .output()
        .expect("runs");
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON results");
    v["cases"][0].clone()
}

/// The case passes as is and fails on the requirement `name` violates when it is switched on.
fn fails_when_ignored(case: &str, name: &str) {
    if !nix::unistd::geteuid().is_root() {
        assert!(std::env::var_os("CI").is_none(), "CI runs as root");
        eprintln!("not root: skipping");
        return;
    }
    let m = mutation::find(name).expect("a mutation of the reference runtime");
    let release = "1.3.0";
    let good = run(case, None, release);
    assert_eq!(
        good["outcome"], "pass",
        "{case} on the reference runtime: {good}"
    );
    let bad = run(case, Some(name), release);
    let verdict = common::verdict_on(&bad, m.violates.as_str());
    assert_eq!(
        verdict["outcome"], "fail",
        "{case} under {name} ({}): {bad}",
        m.defect
    );
}

macro_rules! ignored {
    ($($test:ident: $case:literal by $mutation:literal;)*) => {
        $(
            #[test]
            fn $test() {
                fails_when_ignored($case, $mutation);
            }
        )*
    };
}

ignored! {
    readonly_paths_fail_when_ignored: "linux.readonly-paths" by "ignore-readonly-paths";
    sysctl_fails_when_ignored: "linux.sysctl" by "ignore-sysctl";
    masked_paths_fail_when_ignored: "linux.masked-paths" by "ignore-masked-paths";
    relatime_fails_when_ignored: "mounts.options.flags" by "mount-relatime-as-strictatime";
    nodiratime_fails_when_ignored: "mounts.options.flags" by "ignore-mount-nodiratime";
    private_fails_when_ignored: "mounts.options.propagation" by "ignore-mount-private";
    rprivate_fails_when_ignored: "mounts.options.propagation" by "ignore-mount-rprivate";
    defaults_fails_when_misread: "mounts.options.defaults" by "defaults-as-fs-data";
    env_fails_when_not_exact: "process.env" by "ignore-process-env";
    env_fails_with_an_extra_variable: "process.env" by "inject-process-env";
    device_mode_and_owner_fail_when_ignored: "linux.devices" by "ignore-device-mode-owner";
    leftover_cgroups_fail_delete: "lifecycle.create-start-kill-delete" by "keep-cgroup-after-delete";
    state_pid_must_be_the_hosts_view: "lifecycle.create-start-kill-delete" by "state-pid-plus-one";
    default_filesystems_fail_when_missing: "linux.default-filesystems" by "skip-sysfs-mount";
    dev_ptmx_fails_when_missing: "linux.default-devices" by "skip-dev-ptmx";
    unlisted_namespaces_must_be_inherited: "linux.namespaces.unlisted" by "unshare-unlisted-ipc";
    hook_stdin_must_be_the_whole_state: "hooks.order" by "hook-stdin-id-only";
    a_failing_hook_must_stop_the_container: "hooks.createRuntime-failure" by "keep-running-after-hook-failure";
    skipped_poststop_hooks_fail_on_their_own: "hooks.order" by "skip-poststop-hooks";
}
