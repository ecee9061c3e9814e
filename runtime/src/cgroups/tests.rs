//! Cgroup tests (as root, on the real host hierarchies). Every test cleans up through a
//! [`Guard`], even when an assertion fails.

use super::layout::read_self_cgroup;
use super::*;
use oci_spec::runtime::LinuxDevice;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn resources(v: serde_json::Value) -> LinuxResources {
    serde_json::from_value(v).expect("test resources JSON")
}

/// Cleans up cgroups, children and pre-made directories when a test ends, however it ends.
#[derive(Default)]
struct Guard {
    cgroups: Vec<Cgroup>,
    children: Vec<Child>,
    dirs: Vec<PathBuf>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for cg in &self.cgroups {
            let _ = cg.destroy();
        }
        for d in self.dirs.iter().rev() {
            let _ = fs::remove_dir(d);
        }
    }
}

fn read_trim(path: &Path) -> String {
    fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .trim()
        .to_string()
}

fn layout() -> Layout {
    Cgroup::host_layout().expect("host layout")
}

#[test]
fn host_layout_is_detected() {
    let l = layout();
    assert!(!l.v1.is_empty() || l.v2.is_some());
    for h in &l.v1 {
        assert!(!h.controllers.is_empty());
        assert!(h.mountpoint.is_dir(), "{}", h.mountpoint.display());
        assert!(!h.controllers.split(',').any(|c| c == "rw"));
    }
    if let Some(v2) = &l.v2 {
        assert!(v2.join("cgroup.controllers").exists());
    }
}

#[test]
fn invalid_cgroups_path_is_refused_before_anything_is_made() {
    let err = Cgroup::create(Some("/x/../y"), "id", None, &[]).expect_err("..");
    assert!(matches!(err, CgroupError::InvalidPath { .. }), "{err}");
    assert!(err.to_string().contains("linux.cgroupsPath"), "{err}");
}

#[test]
fn create_applies_limits_tracks_processes_and_destroys() {
    let mut g = Guard::default();
    let name = unique("ocicheck-test");
    let path = format!("/{name}");
    let cg = Cgroup::create(
        Some(&path),
        "unused",
        Some(&resources(serde_json::json!({
            "pids": {"limit": 10},
            "memory": {"limit": 64 * 1024 * 1024},
            "cpu": {"shares": 512, "quota": 50000, "period": 100000}
        }))),
        &[],
    )
    .expect("create");
    g.cgroups.push(cg.clone());
    cg.apply_pids(&resources(serde_json::json!({"pids": {"limit": 10}})))
        .expect("pids");

    for d in cg.dirs() {
        assert!(d.path.is_dir(), "{}", d.path.display());
        assert!(d.path.ends_with(&name));
        assert_eq!(d.created, vec![d.path.clone()]);
    }
    let pids_dir = cg.path_for("pids").expect("pids controller");
    assert_eq!(read_trim(&pids_dir.join("pids.max")), "10");
    let mem = cg.path_for("memory").expect("memory controller");
    let cpu = cg.path_for("cpu").expect("cpu controller");
    if mem.join("memory.limit_in_bytes").exists() {
        assert_eq!(read_trim(&mem.join("memory.limit_in_bytes")), "67108864");
    } else {
        assert_eq!(read_trim(&mem.join("memory.max")), "67108864");
    }
    if cpu.join("cpu.shares").exists() {
        assert_eq!(read_trim(&cpu.join("cpu.shares")), "512");
        assert_eq!(read_trim(&cpu.join("cpu.cfs_quota_us")), "50000");
        assert_eq!(read_trim(&cpu.join("cpu.cfs_period_us")), "100000");
    } else {
        assert_eq!(read_trim(&cpu.join("cpu.max")), "50000 100000");
        assert_eq!(read_trim(&cpu.join("cpu.weight")), "20");
    }

    // A sleeping child joins the cgroup and is found by pids().
    let child = Command::new("sleep")
        .arg("60")
        .spawn()
        .expect("spawn sleep");
    let pid = child.id() as i32;
    g.children.push(child);
    cg.add_process(pid).expect("add_process");
    assert!(cg.pids().expect("pids").contains(&pid));
    for d in cg.dirs() {
        let procs = read_trim(&d.path.join("cgroup.procs"));
        assert!(
            procs.lines().any(|l| l == pid.to_string()),
            "{}",
            d.path.display()
        );
    }

    // signal_all(SIGKILL) kills it.
    cg.signal_all(Signal::SIGKILL).expect("signal_all");
    let status = g.children[0].wait().expect("wait");
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9)
    );
    g.children.clear();
    assert!(cg.pids().expect("pids").is_empty());

    // destroy removes the directories; a second destroy is fine.
    cg.destroy().expect("destroy");
    for d in cg.dirs() {
        assert!(!d.path.exists(), "{} left behind", d.path.display());
    }
    cg.destroy().expect("destroy is idempotent");
}

#[test]
fn destroy_keeps_parent_it_did_not_create() {
    let mut g = Guard::default();
    let l = layout();
    let parent = unique("ocicheck-test-parent");
    // Pre-create the parent in one hierarchy only.
    let first_mount =
        l.v1.first()
            .map(|h| h.mountpoint.clone())
            .or_else(|| l.v2.clone())
            .expect("a hierarchy");
    let pre = first_mount.join(&parent);
    fs::create_dir(&pre).expect("pre-create parent");
    g.dirs.push(pre.clone());

    let cg =
        Cgroup::create(Some(&format!("/{parent}/child")), "unused", None, &[]).expect("create");
    g.cgroups.push(cg.clone());
    for d in cg.dirs() {
        if d.path.starts_with(&pre) {
            assert_eq!(d.created, vec![pre.join("child")], "only the child is ours");
        } else {
            assert_eq!(
                d.created.len(),
                2,
                "{}: parent and child are ours",
                d.path.display()
            );
        }
    }
    cg.destroy().expect("destroy");
    assert!(pre.is_dir(), "the pre-existing parent must survive");
    assert!(!pre.join("child").exists());
    for d in cg.dirs() {
        if !d.path.starts_with(&pre) {
            assert!(
                !d.created[0].exists(),
                "{} left behind",
                d.created[0].display()
            );
        }
    }
}

#[test]
fn relative_path_goes_under_own_cgroup() {
    let mut g = Guard::default();
    let name = unique("ocicheck-test-rel");
    let cg = Cgroup::create(Some(&name), "unused", None, &[]).expect("create");
    g.cgroups.push(cg.clone());
    let own = read_self_cgroup().expect("/proc/self/cgroup");
    let l = layout();
    for d in cg.dirs() {
        let line = match &d.controllers {
            Some(c) => {
                let want: BTreeSet<&str> = c.split(',').collect();
                own.iter().find(|o| {
                    o.controllers
                        .iter()
                        .map(String::as_str)
                        .collect::<BTreeSet<_>>()
                        == want
                })
            }
            None => own.iter().find(|o| o.hierarchy == 0),
        }
        .expect("own cgroup line");
        let root = match &d.controllers {
            Some(c) => {
                l.v1.iter()
                    .find(|h| &h.controllers == c)
                    .map(|h| h.root.clone())
                    .expect("hierarchy")
            }
            None => l.v2_root.clone().expect("v2 root"),
        };
        let rel = Path::new(&line.path)
            .strip_prefix(&root)
            .expect("own cgroup under mount root");
        assert_eq!(d.path, d.mountpoint.join(rel).join(&name));
        assert!(d.path.is_dir());
    }
    cg.destroy().expect("destroy");
}

#[test]
fn default_path_uses_container_id() {
    let mut g = Guard::default();
    let id = unique("ocicheck-test-id");
    let cg = Cgroup::create(None, &id, None, &[]).expect("create");
    g.cgroups.push(cg.clone());
    for d in cg.dirs() {
        assert!(d.path.ends_with(format!("ocicheck-runtime-{id}")));
    }
    // Serializable, so the core can keep it in its state.
    let json = serde_json::to_string(&cg).expect("serialize");
    let back: Cgroup = serde_json::from_str(&json).expect("deserialize");
    assert_eq!(back.dirs(), cg.dirs());
    back.destroy().expect("destroy");
    for d in cg.dirs() {
        assert!(!d.path.exists());
    }
}

#[test]
fn missing_controller_or_file_errors_and_cleans_up() {
    let _g = Guard::default();
    let l = layout();
    let name = unique("ocicheck-test-missing");
    let path = format!("/{name}");
    let all_mounts: Vec<PathBuf> =
        l.v1.iter()
            .map(|h| h.mountpoint.clone())
            .chain(l.v2.clone())
            .collect();

    // A hugepage size no kernel has: either no hugetlb controller or no such file.
    let err = Cgroup::create(
        Some(&path),
        "unused",
        Some(&resources(serde_json::json!({
            "hugepageLimits": [{"pageSize": "3MB", "limit": 1048576}]
        }))),
        &[],
    )
    .expect_err("3MB hugepages");
    let msg = err.to_string();
    assert!(msg.contains("hugetlb"), "{msg}");
    assert!(msg.contains("linux.resources.hugepageLimits[0]"), "{msg}");
    for m in &all_mounts {
        assert!(!m.join(&name).exists(), "{} left behind", m.display());
    }

    // net_cls only exists as a v1 controller: on a host without it, classID is an error.
    let has_net_cls = l.v1.iter().any(|h| h.has_controller("net_cls"));
    if !has_net_cls {
        let err = Cgroup::create(
            Some(&path),
            "unused",
            Some(&resources(serde_json::json!({"network": {"classID": 42}}))),
            &[],
        )
        .expect_err("classID without net_cls");
        let msg = err.to_string();
        assert!(
            msg.contains("net_cls") && msg.contains("net_cls.classid"),
            "{msg}"
        );
        for m in &all_mounts {
            assert!(!m.join(&name).exists(), "{} left behind", m.display());
        }
    }
}

#[test]
fn kernel_rejected_value_names_file_and_value() {
    let _g = Guard::default();
    let name = unique("ocicheck-test-bad");
    let err = Cgroup::create(
        Some(&format!("/{name}")),
        "unused",
        Some(&resources(
            serde_json::json!({"cpu": {"quota": 1, "period": 100000}}),
        )),
        &[],
    )
    .expect_err("quota 1us is below the kernel minimum");
    let msg = err.to_string();
    assert!(
        matches!(err, CgroupError::Write { .. }),
        "expected a write error: {msg}"
    );
    assert!(
        msg.contains("cpu.cfs_quota_us") || msg.contains("cpu.max"),
        "{msg}"
    );
    assert!(
        msg.contains("\"1\"") || msg.contains("\"1 100000\""),
        "{msg}"
    );
    for d in layout()
        .v1
        .iter()
        .map(|h| &h.mountpoint)
        .chain(layout().v2.iter())
    {
        assert!(!d.join(&name).exists());
    }
}

#[test]
fn unified_needs_cgroup_v2_controller() {
    let mut g = Guard::default();
    let l = layout();
    let name = unique("ocicheck-test-unified");
    let r = Cgroup::create(
        Some(&format!("/{name}")),
        "unused",
        Some(&resources(
            serde_json::json!({"unified": {"pids.max": "7"}}),
        )),
        &[],
    );
    let v2_has_pids = l.v2.as_ref().is_some_and(|v2| {
        read_controllers(&v2.join("cgroup.controllers"))
            .is_ok_and(|c| c.iter().any(|x| x == "pids"))
    });
    match r {
        Ok(cg) => {
            g.cgroups.push(cg.clone());
            assert!(v2_has_pids, "unified applied without a v2 pids controller");
            let dir = cg
                .dirs()
                .iter()
                .find(|d| d.controllers.is_none())
                .expect("v2 dir");
            assert_eq!(read_trim(&dir.path.join("pids.max")), "7");
        }
        Err(e) => {
            assert!(!v2_has_pids, "{e}");
            let msg = e.to_string();
            assert!(msg.contains("linux.resources.unified"), "{msg}");
        }
    }
}

#[test]
fn v1_devices_rules_and_defaults() {
    let mut g = Guard::default();
    let l = layout();
    let name = unique("ocicheck-test-dev");
    let tun: LinuxDevice = serde_json::from_value(serde_json::json!({
        "path": "/dev/net/tun", "type": "c", "major": 10, "minor": 200
    }))
    .expect("device");
    let cg = Cgroup::create(
        Some(&format!("/{name}")),
        "unused",
        Some(&resources(serde_json::json!({
            "devices": [
                {"allow": false, "access": "rwm"},
                {"allow": true, "type": "b", "major": 7, "minor": 0, "access": "r"}
            ]
        }))),
        &[tun],
    )
    .expect("create");
    g.cgroups.push(cg.clone());
    if !l.v1.iter().any(|h| h.has_controller("devices")) {
        // Pure v2: the rules are a device program (v2/devices.rs), which the cases exercise.
        return;
    }
    let list = read_trim(
        &cg.path_for("devices")
            .expect("devices")
            .join("devices.list"),
    );
    let lines: Vec<&str> = list.lines().collect();
    for want in [
        "b 7:0 r",
        "c 1:3 rwm",
        "c 1:9 rwm",
        "c 5:1 rwm",
        "c 5:2 rwm",
        "c 136:* rwm",
        // A linux.devices entry may be made (mknod), not read or written.
        "c 10:200 m",
    ] {
        assert!(lines.contains(&want), "{want} not in {lines:?}");
    }
    assert!(!lines.contains(&"a *:* rwm"), "deny-all was not applied");
}

#[test]
fn hugepage_limit_is_applied_where_hugetlb_exists() {
    let mut g = Guard::default();
    if !Path::new("/sys/kernel/mm/hugepages/hugepages-2048kB").exists() {
        return;
    }
    let name = unique("ocicheck-test-huge");
    let r = Cgroup::create(
        Some(&format!("/{name}")),
        "unused",
        Some(&resources(serde_json::json!({
            "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}]
        }))),
        &[],
    );
    let cg = match r {
        Ok(cg) => cg,
        Err(e) => {
            // Only acceptable when the host has no hugetlb controller at all.
            assert!(
                matches!(e, CgroupError::MissingController { ref controller, .. } if controller == "hugetlb"),
                "{e}"
            );
            return;
        }
    };
    g.cgroups.push(cg.clone());
    let dir = cg.path_for("hugetlb").expect("hugetlb dir");
    let file = if dir.join("hugetlb.2MB.limit_in_bytes").exists() {
        "hugetlb.2MB.limit_in_bytes"
    } else {
        "hugetlb.2MB.max"
    };
    assert_eq!(read_trim(&dir.join(file)), "4194304");
}
