#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use super::Expectation;
use crate::probe::{Mount, Node, Observation, PathInfo};

fn mount(point: &str, options: &[&str]) -> Mount {
    Mount {
        mount_point: point.into(),
        fs_type: "tmpfs".into(),
        source: "tmpfs".into(),
        options: options.iter().map(|s| s.to_string()).collect(),
        propagation: Vec::new(),
    }
}

fn with_path(path: &str, info: PathInfo, mounts: Vec<Mount>) -> Observation {
    let mut o = Observation {
        mounts,
        ..Observation::default()
    };
    o.paths.insert(path.into(), info);
    o
}

fn dev_null() -> PathInfo {
    PathInfo {
        exists: true,
        kind: "char".into(),
        major: 1,
        minor: 3,
        mode: 0o20666,
        content_len: Some(0),
        ..PathInfo::default()
    }
}

fn empty_ro_dir() -> PathInfo {
    PathInfo {
        exists: true,
        kind: "dir".into(),
        writable: Some(false),
        entries: Some(0),
        ..PathInfo::default()
    }
}

fn toml(text: &str) -> Expectation {
    toml::from_str(text).expect("expectation")
}

#[test]
fn masked_needs_a_mount_over_the_path_that_shows_nothing() {
    let check = Expectation::Masked {
        path: "/proc/kcore".into(),
    };
    let bound = with_path(
        "/proc/kcore",
        dev_null(),
        vec![mount("/proc/kcore", &["rw"])],
    );
    assert_eq!(check.judge(&bound), Ok(()));
    // An unreadable procfs file that nothing was mounted over is not masked.
    let bare = with_path("/proc/kcore", dev_null(), vec![mount("/proc", &["rw"])]);
    assert!(check.judge(&bare).is_err());
    let file = PathInfo {
        kind: "file".into(),
        content_len: Some(12),
        ..dev_null()
    };
    let shows = with_path("/proc/kcore", file, vec![mount("/proc/kcore", &["rw"])]);
    assert!(check.judge(&shows).is_err());
    let missing = with_path("/proc/kcore", PathInfo::default(), vec![]);
    assert!(check.judge(&missing).is_err());
}

#[test]
fn a_masked_directory_is_empty_and_read_only() {
    let check = Expectation::Masked {
        path: "/sys/firmware".into(),
    };
    let m = || vec![mount("/sys/firmware", &["ro"])];
    assert_eq!(
        check.judge(&with_path("/sys/firmware", empty_ro_dir(), m())),
        Ok(())
    );
    // sysfs mounted read-only already refuses writes: without a mount over the path the
    // directory is not masked, and one with entries is not either.
    let sysfs = with_path(
        "/sys/firmware",
        empty_ro_dir(),
        vec![mount("/sys", &["ro"])],
    );
    assert!(check.judge(&sysfs).is_err());
    let full = PathInfo {
        entries: Some(3),
        ..empty_ro_dir()
    };
    assert!(check.judge(&with_path("/sys/firmware", full, m())).is_err());
    let writable = PathInfo {
        writable: Some(true),
        ..empty_ro_dir()
    };
    assert!(check
        .judge(&with_path("/sys/firmware", writable, m()))
        .is_err());
}

#[test]
fn a_readonly_path_is_a_read_only_mount_at_the_path() {
    let check = Expectation::ReadonlyPath {
        path: "/dev/shm".into(),
    };
    let ro = PathInfo {
        writable: Some(false),
        ..empty_ro_dir()
    };
    let good = with_path(
        "/dev/shm",
        ro.clone(),
        vec![mount("/dev/shm", &["ro", "nosuid"])],
    );
    assert_eq!(check.judge(&good), Ok(()));
    // The superblock's `ro` (later in the list) is not the mount's own.
    let rw = with_path(
        "/dev/shm",
        ro.clone(),
        vec![mount("/dev/shm", &["rw", "ro"])],
    );
    assert!(check.judge(&rw).is_err());
    let no_mount = with_path("/dev/shm", ro, vec![mount("/dev", &["ro"])]);
    assert!(check.judge(&no_mount).is_err());
    let writable = with_path("/dev/shm", empty_ro_dir(), vec![mount("/dev/shm", &["ro"])]);
    let writable = {
        let mut o = writable;
        o.paths.get_mut("/dev/shm").unwrap().writable = Some(true);
        o
    };
    assert!(check.judge(&writable).is_err());
}

#[test]
fn device_checks_mode_and_owner_when_given() {
    let check = toml(
        "check = \"device\"\npath = \"/dev/fuse\"\nkind = \"char\"\nmajor = 10\nminor = 229\n\
         mode = 0o620\nuid = 1000\ngid = 1001\n",
    );
    let node = PathInfo {
        exists: true,
        kind: "char".into(),
        major: 10,
        minor: 229,
        mode: 0o20620,
        uid: 1000,
        gid: 1001,
        ..PathInfo::default()
    };
    let o = |p: PathInfo| with_path("/dev/fuse", p, vec![]);
    assert_eq!(check.judge(&o(node.clone())), Ok(()));
    for wrong in [
        PathInfo {
            mode: 0o20666,
            ..node.clone()
        },
        PathInfo {
            uid: 0,
            ..node.clone()
        },
        PathInfo {
            gid: 0,
            ..node.clone()
        },
        PathInfo {
            minor: 228,
            ..node.clone()
        },
    ] {
        assert!(check.judge(&o(wrong)).is_err());
    }
    // Without mode, uid and gid, only the node is checked.
    let plain = toml(
        "check = \"device\"\npath = \"/dev/fuse\"\nkind = \"char\"\nmajor = 10\nminor = 229\n",
    );
    assert_eq!(
        plain.judge(&o(PathInfo {
            mode: 0o20666,
            uid: 0,
            ..node
        })),
        Ok(())
    );
}

#[test]
fn device_follows_a_symlink_only_when_asked() {
    let link = PathInfo {
        exists: true,
        kind: "symlink".into(),
        link_target: Some("pts/ptmx".into()),
        resolved: Some(Node {
            kind: "char".into(),
            major: 5,
            minor: 2,
        }),
        ..PathInfo::default()
    };
    let o = with_path("/dev/ptmx", link, vec![]);
    let base = "check = \"device\"\npath = \"/dev/ptmx\"\nkind = \"char\"\nmajor = 5\nminor = 2\n";
    assert!(toml(base).judge(&o).is_err());
    assert_eq!(toml(&format!("{base}follow = true\n")).judge(&o), Ok(()));
    // A node in place passes with follow too.
    let node = with_path(
        "/dev/ptmx",
        PathInfo {
            exists: true,
            kind: "char".into(),
            major: 5,
            minor: 2,
            ..PathInfo::default()
        },
        vec![],
    );
    assert_eq!(toml(&format!("{base}follow = true\n")).judge(&node), Ok(()));
}

#[test]
fn env_exactly_refuses_extra_and_missing_variables() {
    let check = Expectation::EnvExactly {
        value: vec!["PATH=/bin".into(), "HOME=/root".into()],
    };
    let env = |e: &[&str]| Observation {
        env: e.iter().map(|s| s.to_string()).collect(),
        ..Observation::default()
    };
    assert_eq!(check.judge(&env(&["HOME=/root", "PATH=/bin"])), Ok(()));
    assert!(check
        .judge(&env(&["HOME=/root", "PATH=/bin", "container=oci"]))
        .is_err());
    assert!(check.judge(&env(&["PATH=/bin"])).is_err());
}

#[test]
fn not_mounted_fails_when_anything_is_mounted_at_the_destination() {
    let check = toml("check = \"not-mounted\"\ndestination = \"/b/sub\"");
    assert_eq!(check.check(), "not-mounted");
    let clear = Observation {
        mounts: vec![mount("/b", &["rw"]), mount("/b/subdir", &["rw"])],
        ..Observation::default()
    };
    assert_eq!(check.judge(&clear), Ok(()));
    let mounted = Observation {
        mounts: vec![mount("/b", &["rw"]), mount("/b/sub", &["rw"])],
        ..Observation::default()
    };
    let err = check.judge(&mounted).expect_err("a mount is there");
    assert!(err.contains("/b/sub") && err.contains("tmpfs"), "{err}");
}

#[test]
fn owner_wants_both_ids_of_an_existing_path() {
    let check = "check = \"owner\"\npath = \"/m\"\nuid = 1234\ngid = 4321\n";
    let seen = |uid, gid| {
        with_path(
            "/m",
            PathInfo {
                exists: true,
                kind: "dir".into(),
                uid,
                gid,
                ..PathInfo::default()
            },
            vec![],
        )
    };
    assert_eq!(toml(check).judge(&seen(1234, 4321)), Ok(()));
    assert!(toml(check).judge(&seen(1234, 1234)).is_err());
    assert!(toml(check).judge(&seen(0, 4321)).is_err());
    assert!(toml(check).judge(&Observation::default()).is_err());
}

/// The failure messages of checks against an observation where nothing was seen, and against
/// one where something else was: values as a user writes them, never Rust's debug forms.
#[test]
fn failure_messages_show_values_as_users_write_them() {
    let seen = Observation {
        env: vec!["PATH=/bin".into(), "TERM=xterm".into()],
        args: vec!["/probe".into(), "observe".into(), "{}".into()],
        uids: vec![1000, 1000, 1000, 1000],
        umask: Some(0o22),
        caps: [("bounding".to_string(), 1u64 << 21)].into(),
        no_new_privs: Some(false),
        seccomp: Some(0),
        oom_score_adj: Some(0),
        rlimits: [("RLIMIT_NOFILE".to_string(), (1024, u64::MAX))].into(),
        mounts: vec![
            mount("/", &["rw"]),
            mount("/b", &["rw", "nosuid"]),
            mount("/a", &["rw"]),
        ],
        sysctls: [("net.ipv4.ip_forward".to_string(), None)].into(),
        personality: Some(0),
        stdin_tty: true,
        tty_size: Some((24, 80)),
        paths: [
            (
                "/proc/kcore".to_string(),
                PathInfo {
                    exists: true,
                    kind: "file".into(),
                    content_len: Some(12),
                    writable: Some(true),
                    ..PathInfo::default()
                },
            ),
            (
                "/dev/ptmx".to_string(),
                PathInfo {
                    exists: true,
                    kind: "char".into(),
                    major: 5,
                    minor: 2,
                    ..PathInfo::default()
                },
            ),
        ]
        .into(),
        ..Observation::default()
    };
    let checks = [
        "check = \"env\"\ncontains = [\"A=1\", \"B=two words\"]",
        "check = \"extra-args\"\nvalue = [\"x\"]",
        "check = \"uid\"\nvalue = 0",
        "check = \"umask\"\nvalue = 63",
        "check = \"caps\"\nset = \"bounding\"\nexactly = [\"CAP_CHOWN\", \"CAP_KILL\"]",
        "check = \"no-new-privileges\"\nvalue = true",
        "check = \"seccomp-filtered\"",
        "check = \"oom-score-adj\"\nvalue = 500",
        "check = \"rlimit\"\nname = \"RLIMIT_NOFILE\"\nsoft = 1024\nhard = 1024",
        "check = \"root-readonly\"\nvalue = true",
        "check = \"mount\"\ndestination = \"/b\"\noptions = [\"ro\"]",
        "check = \"mount\"\ndestination = \"/b\"\nabsent = [\"nosuid\"]",
        "check = \"mount-order\"\ndestinations = [\"/a\", \"/b\", \"/c\"]",
        "check = \"sysctl\"\nkey = \"net.ipv4.ip_forward\"\nvalue = \"1\"",
        "check = \"personality\"\ndomain = \"LINUX32\"",
        "check = \"terminal\"\nvalue = true\nrows = 30\ncolumns = 100",
        "check = \"masked\"\npath = \"/proc/kcore\"",
        "check = \"readonly-path\"\npath = \"/proc/kcore\"",
        "check = \"symlink\"\npath = \"/dev/ptmx\"\ntarget = \"pts/ptmx\"",
        "check = \"mkdir-errno\"\npath = \"/x\"\nerrno = 1",
        "check = \"net-device\"\nname = \"eth9\"",
    ];
    let mut out = String::new();
    for check in checks {
        let e = toml(check);
        for (what, o) in [("nothing seen", &Observation::default()), ("seen", &seen)] {
            let msg = e.judge(o).err().unwrap_or_else(|| "(passes)".into());
            assert!(
                !msg.contains("Some(") && !msg.contains("None") && !msg.contains('['),
                "{check}: {msg}"
            );
            out.push_str(&format!("{} ({what}): {msg}\n", e.check()));
        }
    }
    // Inline, so that the unit tests also pass as an unprivileged user who cannot read the
    // snapshot files of the checkout (CI runs them so).
    insta::assert_snapshot!(out, @r#"
    env (nothing seen): environment: expected A=1, "B=two words", observed none
    env (seen): environment: expected A=1, "B=two words", observed PATH=/bin, TERM=xterm
    extra-args (nothing seen): args after the probe's own: expected x, observed none
    extra-args (seen): args after the probe's own: expected x, observed none
    uid (nothing seen): uid (real, effective): expected 0, observed none
    uid (seen): uid (real, effective): expected 0, observed 1000, 1000
    umask (nothing seen): umask: expected 63 (0077), observed not readable
    umask (seen): umask: expected 63 (0077), observed 18 (0022)
    caps (nothing seen): bounding capabilities: expected CAP_CHOWN, CAP_KILL, observed not readable
    caps (seen): bounding capabilities: expected CAP_CHOWN, CAP_KILL, observed CAP_SYS_ADMIN
    no-new-privileges (nothing seen): no_new_privs: expected true, observed not readable
    no-new-privileges (seen): no_new_privs: expected true, observed false
    seccomp-filtered (nothing seen): seccomp mode: expected 2, observed not readable
    seccomp-filtered (seen): seccomp mode: expected 2, observed 0
    oom-score-adj (nothing seen): oom_score_adj: expected 500, observed not readable
    oom-score-adj (seen): oom_score_adj: expected 500, observed 0
    rlimit (nothing seen): RLIMIT_NOFILE: expected soft 1024, hard 1024, observed not readable
    rlimit (seen): RLIMIT_NOFILE: expected soft 1024, hard 1024, observed soft 1024, hard unlimited
    root-readonly (nothing seen): / mounted read-only: expected true, observed not readable
    root-readonly (seen): / mounted read-only: expected true, observed false
    mount (nothing seen): no mount at /b
    mount (seen): options of /b: expected ro, observed rw, nosuid
    mount (nothing seen): no mount at /b
    mount (seen): options of /b (none of these): expected nosuid, observed rw, nosuid
    mount-order (nothing seen): mount order: no mount at /a
    mount-order (seen): mount order: no mount at /c
    sysctl (nothing seen): sysctl net.ipv4.ip_forward: expected "1", observed not readable
    sysctl (seen): sysctl net.ipv4.ip_forward: expected "1", observed not readable
    personality (nothing seen): personality domain: expected LINUX32, observed not readable
    personality (seen): personality domain: expected LINUX32, observed LINUX
    terminal (nothing seen): stdin is a terminal: expected true, observed false
    terminal (seen): terminal size: expected 30 rows, 100 columns, observed 24 rows, 80 columns
    masked (nothing seen): /proc/kcore masked: it does not exist in the container
    masked (seen): /proc/kcore masked: nothing is mounted over it (observed a file with content, writable)
    readonly-path (nothing seen): /proc/kcore read-only: it does not exist in the container
    readonly-path (seen): /proc/kcore read-only: expected writes to fail, observed a file with content, writable
    symlink (nothing seen): symlink /dev/ptmx: expected a symlink to "pts/ptmx", observed nothing
    symlink (seen): symlink /dev/ptmx: expected a symlink to "pts/ptmx", observed a char device 5:2
    mkdir-errno (nothing seen): errno of mkdir /x: expected 1, observed not readable
    mkdir-errno (seen): errno of mkdir /x: expected 1, observed not readable
    net-device (nothing seen): no network device eth9 in the container (it sees none)
    net-device (seen): no network device eth9 in the container (it sees none)
    "#);
}
