//! cgroup v2 devices: the container's device rules (`../devices.rs`) compiled into a
//! `BPF_PROG_TYPE_CGROUP_DEVICE` program, loaded and attached to the container's cgroup
//! (`bpf.rs`), as runc, crun and youki do. The kernel runs it for every open(2) and mknod(2)
//! of a device node by a process of the cgroup; it returns 1 to allow, 0 to deny (EPERM).
//!
//! The program reads the request from `struct bpf_cgroup_dev_ctx` (`access_type`: the device
//! type in the low 16 bits, the access bits in the high 16; then `major`, `minor`) and keeps
//! the access bits not decided yet in R3. It walks the rules **last to first**; for a rule
//! matching the device type and numbers:
//! - a deny rule naming any undecided access denies (returns 0);
//! - an allow rule decides the access it names (R3 &= !access); once none is left, allows.
//!
//! Falling off the end (no rule decided every access) denies. This is "a later rule overrides
//! an earlier one", per access type.

use std::path::Path;

use super::super::devices::{Kind, Rule};
use super::bpf::{self, BpfError, Insn};

/// `BPF_DEVCG_DEV_BLOCK`, `BPF_DEVCG_DEV_CHAR`: the device type in `access_type`.
const DEV_BLOCK: i32 = 1;
const DEV_CHAR: i32 = 2;

/// Registers.
const R0: u8 = 0;
const R1: u8 = 1;
const R2: u8 = 2;
const R3: u8 = 3;
const R4: u8 = 4;
const R5: u8 = 5;

// Opcodes (linux/bpf_common.h, linux/bpf.h): class | operation | source.
const BPF_LDX: u8 = 0x01;
const BPF_ALU: u8 = 0x04;
const BPF_JMP: u8 = 0x05;
const BPF_JMP32: u8 = 0x06;
const BPF_ALU64: u8 = 0x07;
const BPF_W: u8 = 0x00;
const BPF_MEM: u8 = 0x60;
const BPF_K: u8 = 0x00;
const BPF_X: u8 = 0x08;
const BPF_AND: u8 = 0x50;
const BPF_RSH: u8 = 0x70;
const BPF_MOV: u8 = 0xb0;
const BPF_JEQ: u8 = 0x10;
const BPF_JNE: u8 = 0x50;
const BPF_EXIT: u8 = 0x90;

/// Offsets of `struct bpf_cgroup_dev_ctx`'s fields.
const CTX_ACCESS_TYPE: i16 = 0;
const CTX_MAJOR: i16 = 4;
const CTX_MINOR: i16 = 8;

impl Insn {
    const fn new(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
        Insn {
            code,
            regs: (src << 4) | (dst & 0x0f),
            off,
            imm,
        }
    }

    /// `dst = *(u32 *)(src + off)`
    const fn load_word(dst: u8, src: u8, off: i16) -> Insn {
        Insn::new(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
    }

    /// 32-bit `dst op= imm`
    const fn alu32_imm(op: u8, dst: u8, imm: i32) -> Insn {
        Insn::new(BPF_ALU | op | BPF_K, dst, 0, 0, imm)
    }

    /// `dst = imm` (64-bit)
    const fn mov64_imm(dst: u8, imm: i32) -> Insn {
        Insn::new(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
    }

    /// 32-bit `dst = src`
    const fn mov32_reg(dst: u8, src: u8) -> Insn {
        Insn::new(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
    }

    /// `if (u32)dst op imm goto +off`; the offset is filled in by [`block`].
    const fn jump32_imm(op: u8, dst: u8, imm: i32) -> Insn {
        Insn::new(BPF_JMP32 | op | BPF_K, dst, 0, 0, imm)
    }

    const fn exit() -> Insn {
        Insn::new(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
    }
}

/// `R0 = verdict; exit`
fn ret(verdict: i32) -> [Insn; 2] {
    [Insn::mov64_imm(R0, verdict), Insn::exit()]
}

/// Loads the program of `rules` and attaches it to the cgroup directory `dir`.
pub fn apply(dir: &Path, rules: &[Rule]) -> Result<(), BpfError> {
    let prog = bpf::load(&program(rules))?;
    bpf::attach(&prog, dir)
}

/// The program for `rules` (the container's whole list, first to last).
pub fn program(rules: &[Rule]) -> Vec<Insn> {
    let mut p = vec![
        // R2 = device type, R3 = access bits, R4 = major, R5 = minor.
        Insn::load_word(R2, R1, CTX_ACCESS_TYPE),
        Insn::alu32_imm(BPF_AND, R2, 0xffff),
        Insn::load_word(R3, R1, CTX_ACCESS_TYPE),
        Insn::alu32_imm(BPF_RSH, R3, 16),
        Insn::load_word(R4, R1, CTX_MAJOR),
        Insn::load_word(R5, R1, CTX_MINOR),
    ];
    for rule in rules.iter().rev() {
        p.extend(block(rule));
    }
    p.extend(ret(0));
    p
}

/// One rule's instructions; every test that fails jumps past the block's end.
fn block(rule: &Rule) -> Vec<Insn> {
    let mut b = Vec::new();
    let mut exits = Vec::new();
    let mut test = |b: &mut Vec<Insn>, insn: Insn| {
        exits.push(b.len());
        b.push(insn);
    };
    match rule.kind {
        Kind::All => {}
        Kind::Char => test(&mut b, Insn::jump32_imm(BPF_JNE, R2, DEV_CHAR)),
        Kind::Block => test(&mut b, Insn::jump32_imm(BPF_JNE, R2, DEV_BLOCK)),
    }
    // The numbers are compared as the kernel's u32, bit for bit.
    if let Some(major) = rule.major {
        test(&mut b, Insn::jump32_imm(BPF_JNE, R4, major as i32));
    }
    if let Some(minor) = rule.minor {
        test(&mut b, Insn::jump32_imm(BPF_JNE, R5, minor as i32));
    }
    let access = i32::from(rule.access);
    if rule.allow {
        b.push(Insn::alu32_imm(BPF_AND, R3, !access));
        test(&mut b, Insn::jump32_imm(BPF_JNE, R3, 0));
        b.extend(ret(1));
    } else {
        b.push(Insn::mov32_reg(R1, R3));
        b.push(Insn::alu32_imm(BPF_AND, R1, access));
        test(&mut b, Insn::jump32_imm(BPF_JEQ, R1, 0));
        b.extend(ret(0));
    }
    let len = b.len();
    for i in exits {
        // Relative to the next instruction; a block is a handful of instructions.
        b[i].off = (len - i - 1) as i16;
    }
    b
}

#[cfg(test)]
mod tests;
