//! The generated program: its instructions for small rule lists, and what it decides, run by a
//! small interpreter of the instructions it uses.

use super::*;
use crate::cgroups::devices::{
    rules, ACCESS_ALL, ACCESS_MKNOD, ACCESS_READ, ACCESS_WRITE, DEFAULT_RULES, DENY_ALL,
};
use crate::cgroups::testutil::from_json;
use oci_spec::runtime::LinuxDeviceCgroup;
use std::fs::File;

use nix::libc;

/// Runs `prog` on a request like the kernel's `bpf_cgroup_dev_ctx`; returns R0.
fn run(prog: &[Insn], dev_type: i32, access: u8, major: u32, minor: u32) -> u64 {
    let ctx = [(u32::from(access) << 16) | dev_type as u32, major, minor];
    let mut r = [0u64; 11];
    let mut pc = 0usize;
    for _ in 0..10_000 {
        let i = prog[pc];
        let (dst, src) = (usize::from(i.regs & 0x0f), usize::from(i.regs >> 4));
        pc += 1;
        match i.code {
            0x61 => {
                assert_eq!(src, R1 as usize, "loads from the context");
                r[dst] = u64::from(ctx[(i.off / 4) as usize]);
            }
            0x54 => r[dst] = u64::from(r[dst] as u32 & i.imm as u32),
            0x74 => r[dst] = u64::from((r[dst] as u32) >> i.imm),
            0xbc => r[dst] = u64::from(r[src] as u32),
            0xb7 => r[dst] = i.imm as i64 as u64,
            0x16 | 0x56 => {
                let eq = r[dst] as u32 == i.imm as u32;
                if eq == (i.code == 0x16) {
                    pc = (pc as i64 + i64::from(i.off)) as usize;
                }
            }
            0x95 => return r[0],
            other => panic!("opcode {other:#x} at {}", pc - 1),
        }
    }
    panic!("no exit");
}

fn allowed(prog: &[Insn], dev_type: i32, access: u8, major: u32, minor: u32) -> bool {
    run(prog, dev_type, access, major, minor) == 1
}

fn config(v: serde_json::Value) -> Vec<Insn> {
    let c: Vec<LinuxDeviceCgroup> = from_json(v);
    program(&rules(&c, &[]).expect("rules"))
}

#[test]
fn an_empty_list_denies_everything() {
    let p = program(&[]);
    assert_eq!(
        p[6..],
        [Insn::mov64_imm(R0, 0), Insn::exit()],
        "prologue, then deny"
    );
    assert!(!allowed(&p, DEV_CHAR, ACCESS_READ, 1, 3));
}

#[test]
fn instructions_of_one_allow_and_one_deny_rule() {
    let allow = Rule {
        allow: true,
        kind: Kind::Char,
        major: Some(1),
        minor: Some(3),
        access: ACCESS_READ | ACCESS_WRITE,
    };
    assert_eq!(
        block(&allow),
        vec![
            Insn::new(0x56, R2, 0, 6, DEV_CHAR),
            Insn::new(0x56, R4, 0, 5, 1),
            Insn::new(0x56, R5, 0, 4, 3),
            Insn::new(0x54, R3, 0, 0, !6),
            Insn::new(0x56, R3, 0, 2, 0),
            Insn::new(0xb7, R0, 0, 0, 1),
            Insn::new(0x95, 0, 0, 0, 0),
        ]
    );
    assert_eq!(
        block(&DENY_ALL),
        vec![
            Insn::new(0xbc, R1, R3, 0, 0),
            Insn::new(0x54, R1, 0, 0, 7),
            Insn::new(0x16, R1, 0, 2, 0),
            Insn::new(0xb7, R0, 0, 0, 0),
            Insn::new(0x95, 0, 0, 0, 0),
        ]
    );
    // The last rule is tested first.
    let p = program(&[DENY_ALL, allow]);
    assert_eq!(p[6..13], block(&allow)[..]);
    assert_eq!(p.len(), 6 + 7 + 5 + 2);
    assert_eq!(std::mem::size_of::<Insn>(), 8);
}

#[test]
fn deny_all_then_allow_one_device() {
    let p = config(serde_json::json!([
        {"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "major": 1, "minor": 6, "access": "rwm"}
    ]));
    assert!(allowed(&p, DEV_CHAR, ACCESS_READ | ACCESS_WRITE, 1, 6));
    assert!(allowed(&p, DEV_CHAR, ACCESS_MKNOD, 1, 6));
    assert!(!allowed(&p, DEV_CHAR, ACCESS_READ, 1, 10));
    assert!(!allowed(&p, DEV_BLOCK, ACCESS_READ, 1, 6));
    // The default devices stay allowed.
    assert!(allowed(&p, DEV_CHAR, ACCESS_READ | ACCESS_WRITE, 1, 3));
    assert!(allowed(&p, DEV_CHAR, ACCESS_WRITE, 136, 5));
}

#[test]
fn each_access_type_is_decided_on_its_own() {
    let p = config(serde_json::json!([
        {"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "major": 1, "minor": 6, "access": "r"},
        {"allow": true, "type": "c", "major": 1, "minor": 10, "access": "w"},
        {"allow": true, "type": "c", "major": 1, "minor": 12, "access": "m"}
    ]));
    assert!(allowed(&p, DEV_CHAR, ACCESS_READ, 1, 6));
    assert!(!allowed(&p, DEV_CHAR, ACCESS_WRITE, 1, 6));
    assert!(!allowed(&p, DEV_CHAR, ACCESS_READ | ACCESS_WRITE, 1, 6));
    assert!(!allowed(&p, DEV_CHAR, ACCESS_MKNOD, 1, 6));
    assert!(allowed(&p, DEV_CHAR, ACCESS_WRITE, 1, 10));
    assert!(!allowed(&p, DEV_CHAR, ACCESS_READ, 1, 10));
    assert!(allowed(&p, DEV_CHAR, ACCESS_MKNOD, 1, 12));
    assert!(!allowed(&p, DEV_CHAR, ACCESS_READ, 1, 12));
}

#[test]
fn a_later_rule_overrides_an_earlier_one() {
    let p = config(serde_json::json!([
        {"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "major": 1, "access": "rwm"},
        {"allow": false, "type": "c", "major": 1, "minor": 6, "access": "w"},
        {"allow": false, "type": "c", "major": 1, "minor": 10, "access": "rwm"},
        {"allow": true, "type": "c", "major": 1, "minor": 10, "access": "rwm"}
    ]));
    // A hole in a wildcard allow.
    assert!(allowed(&p, DEV_CHAR, ACCESS_READ, 1, 6));
    assert!(!allowed(&p, DEV_CHAR, ACCESS_WRITE, 1, 6));
    assert!(!allowed(&p, DEV_CHAR, ACCESS_READ | ACCESS_WRITE, 1, 6));
    assert!(allowed(&p, DEV_CHAR, ACCESS_READ | ACCESS_WRITE, 1, 10));
    assert!(allowed(&p, DEV_CHAR, ACCESS_WRITE, 1, 11));
    // Allowing access types in two rules allows them together.
    let p = program(&[
        DENY_ALL,
        Rule {
            allow: true,
            kind: Kind::All,
            major: None,
            minor: None,
            access: ACCESS_READ,
        },
        Rule {
            allow: true,
            kind: Kind::Block,
            major: Some(7),
            minor: None,
            access: ACCESS_WRITE,
        },
    ]);
    assert!(allowed(&p, DEV_BLOCK, ACCESS_READ | ACCESS_WRITE, 7, 0));
    assert!(!allowed(&p, DEV_CHAR, ACCESS_READ | ACCESS_WRITE, 7, 0));
    assert!(!allowed(&p, DEV_BLOCK, ACCESS_MKNOD, 7, 0));
}

#[test]
fn allow_all_then_deny_some() {
    let p = config(serde_json::json!([
        {"allow": true, "access": "rwm"},
        {"allow": false, "type": "b", "access": "w"}
    ]));
    assert!(allowed(&p, DEV_BLOCK, ACCESS_READ, 7, 0));
    assert!(!allowed(&p, DEV_BLOCK, ACCESS_WRITE, 7, 0));
    assert!(allowed(&p, DEV_CHAR, ACCESS_ALL, 10, 229));
    // Numbers are compared as u32, bit for bit.
    let p = program(&[Rule {
        allow: true,
        kind: Kind::Char,
        major: Some(u32::MAX),
        minor: Some(0x8000_0000),
        access: ACCESS_READ,
    }]);
    assert!(allowed(&p, DEV_CHAR, ACCESS_READ, u32::MAX, 0x8000_0000));
    assert!(!allowed(&p, DEV_CHAR, ACCESS_READ, u32::MAX, 0));
    assert_eq!(DEFAULT_RULES.len(), 9);
}

// The kernel: loading and attaching (as root).
fn root() -> bool {
    nix::unistd::geteuid().is_root()
}

#[test]
fn the_kernel_verifier_accepts_the_program() {
    if !root() {
        eprintln!("not root: skipping");
        return;
    }
    let rules = [
        DENY_ALL,
        Rule {
            allow: true,
            kind: Kind::Char,
            major: Some(1),
            minor: None,
            access: ACCESS_ALL,
        },
        Rule {
            allow: false,
            kind: Kind::Block,
            major: Some(7),
            minor: Some(u32::MAX),
            access: 2,
        },
    ];
    bpf::load(&program(&rules)).expect("loads");
}

#[test]
fn a_bad_program_is_refused_with_the_verifiers_log() {
    if !root() {
        eprintln!("not root: skipping");
        return;
    }
    // No exit: the verifier refuses it and says why.
    let err = bpf::load(&program(&[])[..6]).expect_err("refused");
    let text = err.to_string();
    assert!(
        text.contains("BPF_PROG_LOAD") && text.contains("verifier"),
        "{text}"
    );
}

/// Where the cgroup2 hierarchy is mounted, if it is.
fn cgroup2_mount() -> Option<std::path::PathBuf> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    text.lines().find_map(|l| {
        let (left, right) = l.split_once(" - ")?;
        (right.split_whitespace().next() == Some("cgroup2"))
            .then(|| left.split_whitespace().nth(4).map(Into::into))
            .flatten()
    })
}

#[test]
fn an_attached_program_denies_a_process_of_the_cgroup() {
    let Some(mount) = cgroup2_mount().filter(|_| root()) else {
        eprintln!("not root or no cgroup2 mount: skipping");
        return;
    };
    let dir = mount.join(format!("ocicheck-bpf-test-{}", std::process::id()));
    std::fs::create_dir(&dir).expect("cgroup");
    // Everything denied but /dev/zero for reading.
    let rules = [
        DENY_ALL,
        Rule {
            allow: true,
            kind: Kind::Char,
            major: Some(1),
            minor: Some(5),
            access: crate::cgroups::devices::ACCESS_READ,
        },
    ];
    let attached = bpf::load(&program(&rules)).and_then(|p| bpf::attach(&p, &dir));
    let outcome = attached.as_ref().map(|()| {
        // SAFETY: the child only writes a file, opens two and leaves with _exit.
        match unsafe { nix::unistd::fork() }.expect("fork") {
            nix::unistd::ForkResult::Child => {
                let joined = std::fs::write(dir.join("cgroup.procs"), "0").is_ok();
                let errno = |f: std::io::Result<File>| match f {
                    Ok(_) => 0,
                    Err(e) => e.raw_os_error().unwrap_or(99),
                };
                let zero = errno(File::open("/dev/zero"));
                let null = errno(File::open("/dev/null"));
                let code = if !joined { 90 } else { zero * 10 + null };
                // SAFETY: _exit ends the forked child without running the parent's code.
                unsafe { libc::_exit(code) }
            }
            nix::unistd::ForkResult::Parent { child } => nix::sys::wait::waitpid(child, None),
        }
    });
    let removed = std::fs::remove_dir(&dir);
    if let Err(e) = &attached {
        panic!("loads and attaches: {e}");
    }
    // /dev/zero opens (0), /dev/null is denied (EPERM, 1).
    match outcome.expect("attached").expect("waits") {
        nix::sys::wait::WaitStatus::Exited(_, code) => assert_eq!(code, 1),
        other => panic!("child: {other:?}"),
    }
    removed.expect("the cgroup goes, with its program");
}
