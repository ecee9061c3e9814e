//! The bpf(2) calls of the cgroup v2 device program: `BPF_PROG_LOAD` of a
//! `BPF_PROG_TYPE_CGROUP_DEVICE` program and `BPF_PROG_ATTACH` to a cgroup directory
//! (`BPF_CGROUP_DEVICE`).
//!
//! RLIMIT_MEMLOCK is never raised: since Linux 5.11 BPF memory is charged to the memory cgroup,
//! not to that limit. The attached program holds a reference of its own, so the runtime closes
//! its descriptors once it is attached; the program goes when the cgroup is removed.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

use nix::libc;

/// One eBPF instruction, `struct bpf_insn`: opcode, destination register (low nibble) and
/// source register (high nibble), signed offset, signed immediate.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    pub code: u8,
    pub regs: u8,
    pub off: i16,
    pub imm: i32,
}

/// bpf(2) commands.
const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_PROG_ATTACH: libc::c_long = 8;
/// `BPF_PROG_TYPE_CGROUP_DEVICE`
const PROG_TYPE_CGROUP_DEVICE: u32 = 15;
/// `BPF_CGROUP_DEVICE`
const ATTACH_CGROUP_DEVICE: u32 = 6;
/// `BPF_F_ALLOW_MULTI`: the programs of the cgroup's ancestors run too (each must allow), and
/// a nested cgroup the container makes may attach its own.
const F_ALLOW_MULTI: u32 = 2;
/// The license the kernel is told (the project's).
const LICENSE: &[u8] = b"Apache-2.0\0";
/// The program's name, as `bpftool prog` shows it (at most 15 bytes).
const NAME: &[u8] = b"ocicheck_dev";
/// How much of the verifier's log a failed load reports.
const LOG_SIZE: usize = 64 * 1024;
/// `log_level` for a load that reports the verifier's reasoning.
const LOG_LEVEL_VERBOSE: u32 = 1;

/// Why a program could not be loaded or attached.
#[derive(Debug, thiserror::Error)]
pub enum BpfError {
    #[error("BPF_PROG_LOAD of the device program failed: {source}{}", verifier(.log))]
    Load { source: io::Error, log: String },
    #[error("opening the cgroup directory {path} to attach the device program: {source}")]
    Open {
        path: std::path::PathBuf,
        source: io::Error,
    },
    #[error("BPF_PROG_ATTACH (BPF_CGROUP_DEVICE) to {path} failed: {source}")]
    Attach {
        path: std::path::PathBuf,
        source: io::Error,
    },
}

fn verifier(log: &str) -> String {
    if log.trim().is_empty() {
        String::new()
    } else {
        format!("; the verifier said: {}", log.trim())
    }
}

/// `union bpf_attr` as `BPF_PROG_LOAD` reads it, up to `expected_attach_type` (the kernel
/// takes a shorter attr than its own as zero-filled).
#[repr(C)]
#[derive(Default)]
struct ProgLoadAttr {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
    prog_name: [u8; 16],
    prog_ifindex: u32,
    expected_attach_type: u32,
}

/// `union bpf_attr` as `BPF_PROG_ATTACH` reads it.
#[repr(C)]
#[derive(Default)]
struct ProgAttachAttr {
    target_fd: u32,
    attach_bpf_fd: u32,
    attach_type: u32,
    attach_flags: u32,
    replace_bpf_fd: u32,
}

/// bpf(2) with `attr`; the new descriptor or 0 on success.
///
/// # Safety
/// `attr` must be the attr `cmd` reads, and every pointer in it valid for the call.
unsafe fn bpf<T>(cmd: libc::c_long, attr: &mut T) -> io::Result<libc::c_long> {
    // SAFETY: the caller vouches for attr; its size is passed with it.
    let r = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd,
            attr as *mut T,
            std::mem::size_of::<T>() as libc::c_uint,
        )
    };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// Loads `insns` as a cgroup device program. On failure the load is repeated with the
/// verifier's log, which the error carries.
pub fn load(insns: &[Insn]) -> Result<OwnedFd, BpfError> {
    match load_with_log(insns, None) {
        Ok(fd) => Ok(fd),
        Err(source) => {
            let mut buf = vec![0u8; LOG_SIZE];
            let log = match load_with_log(insns, Some(&mut buf)) {
                // Loaded the second time: return it rather than fail.
                Ok(fd) => return Ok(fd),
                Err(_) => {
                    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
                    String::from_utf8_lossy(&buf[..end]).into_owned()
                }
            };
            Err(BpfError::Load { source, log })
        }
    }
}

fn load_with_log(insns: &[Insn], log: Option<&mut [u8]>) -> io::Result<OwnedFd> {
    let mut attr = ProgLoadAttr {
        prog_type: PROG_TYPE_CGROUP_DEVICE,
        insn_cnt: u32::try_from(insns.len())
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?,
        insns: insns.as_ptr() as u64,
        license: LICENSE.as_ptr() as u64,
        ..ProgLoadAttr::default()
    };
    attr.prog_name[..NAME.len()].copy_from_slice(NAME);
    if let Some(buf) = log {
        attr.log_level = LOG_LEVEL_VERBOSE;
        attr.log_size = u32::try_from(buf.len()).unwrap_or(u32::MAX);
        attr.log_buf = buf.as_mut_ptr() as u64;
    }
    // SAFETY: attr is BPF_PROG_LOAD's; insns, the license and the log buffer outlive the call.
    let fd = unsafe { bpf(BPF_PROG_LOAD, &mut attr) }?;
    let fd = i32::try_from(fd).map_err(|_| io::Error::from(io::ErrorKind::InvalidData))?;
    // SAFETY: bpf(2) returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Attaches the program `prog` to the cgroup directory `dir` as its device program.
pub fn attach(prog: &OwnedFd, dir: &Path) -> Result<(), BpfError> {
    let cgroup = File::open(dir).map_err(|source| BpfError::Open {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut attr = ProgAttachAttr {
        target_fd: cgroup.as_raw_fd() as u32,
        attach_bpf_fd: prog.as_raw_fd() as u32,
        attach_type: ATTACH_CGROUP_DEVICE,
        attach_flags: F_ALLOW_MULTI,
        ..ProgAttachAttr::default()
    };
    // SAFETY: attr is BPF_PROG_ATTACH's; both descriptors are open for the call.
    unsafe { bpf(BPF_PROG_ATTACH, &mut attr) }.map_err(|source| BpfError::Attach {
        path: dir.to_path_buf(),
        source,
    })?;
    Ok(())
}
