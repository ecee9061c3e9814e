//! Files a case hides from the runtime (`hide = [...]`, cases/README.md): each invocation of
//! the runtime starts in a mount namespace of its own where the directory of each hidden file is
//! covered by a read-only tmpfs holding copies of its other files, so the runtime sees the host
//! as one without the hidden files (a kernel without `/sys/kernel/cgroup/delegate`). The
//! harness's own view is unchanged, and nothing is mounted on the host: the namespace's mounts
//! are made slaves of the host's first, and the namespace dies with the processes in it.

use std::collections::BTreeMap;
use std::ffi::{CString, OsString};
use std::io;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use nix::libc;

/// A directory to cover and the files to put back in it.
#[derive(Debug, PartialEq)]
pub struct Cover {
    dir: CString,
    /// Each file's path, contents and permission bits.
    files: Vec<(CString, Vec<u8>, u32)>,
}

/// How the directories of `hidden` are covered: every regular file beside a hidden one is
/// copied back (read now, from the harness's view); a directory, link or device beside one
/// cannot be, and is an error, as is a path that is not absolute or has no parent.
pub fn plan(hidden: &[PathBuf]) -> io::Result<Vec<Cover>> {
    let mut by_dir: BTreeMap<&Path, Vec<&std::ffi::OsStr>> = BTreeMap::new();
    for path in hidden {
        let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(io::Error::other(format!(
                "cannot hide {}: it has no parent directory",
                path.display()
            )));
        };
        if !path.is_absolute() || dir == Path::new("/") {
            return Err(io::Error::other(format!(
                "cannot hide {}: give an absolute path below a directory other than /",
                path.display()
            )));
        }
        by_dir.entry(dir).or_default().push(name);
    }
    let mut covers = Vec::new();
    for (dir, names) in by_dir {
        let context = |e: io::Error, what: &Path| {
            io::Error::new(
                e.kind(),
                format!("hiding files of {}: {}: {e}", dir.display(), what.display()),
            )
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| context(e, dir))? {
            let entry = entry.map_err(|e| context(e, dir))?;
            if names.contains(&entry.file_name().as_os_str()) {
                continue;
            }
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).map_err(|e| context(e, &path))?;
            if !meta.is_file() {
                return Err(io::Error::other(format!(
                    "cannot hide files of {}: {} is not a regular file, and only those are \
                     kept beside a hidden one",
                    dir.display(),
                    path.display()
                )));
            }
            let bytes = std::fs::read(&path).map_err(|e| context(e, &path))?;
            files.push((c_path(&path)?, bytes, meta.permissions().mode() & 0o7777));
        }
        covers.push(Cover {
            dir: c_path(dir)?,
            files,
        });
    }
    Ok(covers)
}

fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(OsString::from(path).into_vec())
        .map_err(|_| io::Error::other(format!("{} has a NUL byte", path.display())))
}

/// Makes `cmd` start in a mount namespace of its own where `covers` are applied.
pub fn install(cmd: &mut Command, covers: Vec<Cover>) {
    // SAFETY: the closure runs in the forked child before exec and only makes system calls
    // (unshare, mount, open, write, close: async-signal-safe) on memory prepared before the fork.
    unsafe {
        cmd.pre_exec(move || apply(&covers));
    }
}

/// The error of the last system call, saying which it was.
fn last(what: &'static str) -> io::Error {
    let e = io::Error::last_os_error();
    io::Error::new(e.kind(), what)
}

/// In the (single-threaded) child: a new mount namespace, no propagation back to the host, then
/// each directory covered.
fn apply(covers: &[Cover]) -> io::Result<()> {
    const ROOT: &std::ffi::CStr = c"/";
    const TMPFS: &std::ffi::CStr = c"tmpfs";
    const OPTIONS: &std::ffi::CStr = c"mode=755";
    // SAFETY: plain system calls on NUL-terminated strings that live as long as `covers`.
    unsafe {
        if libc::unshare(libc::CLONE_NEWNS) != 0 {
            return Err(last("hide: unshare(CLONE_NEWNS)"));
        }
        let null: *const libc::c_char = std::ptr::null();
        if libc::mount(
            null,
            ROOT.as_ptr(),
            null,
            libc::MS_REC | libc::MS_SLAVE,
            null.cast(),
        ) != 0
        {
            return Err(last("hide: making / a slave"));
        }
        let flags = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
        for c in covers {
            if libc::mount(
                TMPFS.as_ptr(),
                c.dir.as_ptr(),
                TMPFS.as_ptr(),
                flags,
                OPTIONS.as_ptr().cast(),
            ) != 0
            {
                return Err(last("hide: mounting a tmpfs over the directory"));
            }
            for (path, bytes, mode) in &c.files {
                let fd = libc::open(
                    path.as_ptr(),
                    libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC,
                    *mode,
                );
                if fd < 0 {
                    return Err(last("hide: creating a copy"));
                }
                let mut done = 0;
                while done < bytes.len() {
                    let n = libc::write(fd, bytes[done..].as_ptr().cast(), bytes.len() - done);
                    if n <= 0 {
                        libc::close(fd);
                        return Err(last("hide: writing a copy"));
                    }
                    done += n as usize;
                }
                libc::close(fd);
            }
            let ro = flags | libc::MS_REMOUNT | libc::MS_RDONLY;
            if libc::mount(null, c.dir.as_ptr(), null, ro, OPTIONS.as_ptr().cast()) != 0 {
                return Err(last("hide: making the tmpfs read-only"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_keeps_the_other_regular_files_and_refuses_what_it_cannot_keep() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("d");
        std::fs::create_dir(&dir).expect("mkdir");
        std::fs::write(dir.join("gone"), "x").expect("write");
        std::fs::write(dir.join("kept"), "kept\n").expect("write");
        std::fs::set_permissions(dir.join("kept"), std::fs::Permissions::from_mode(0o444))
            .expect("chmod");
        let covers = plan(&[dir.join("gone")]).expect("plan");
        assert_eq!(
            covers,
            vec![Cover {
                dir: c_path(&dir).expect("path"),
                files: vec![(
                    c_path(&dir.join("kept")).expect("path"),
                    b"kept\n".to_vec(),
                    0o444
                )],
            }]
        );
        assert!(plan(&[PathBuf::from("relative/file")]).is_err());
        assert!(plan(&[PathBuf::from("/etc")]).is_err(), "below / only");
        std::fs::create_dir(dir.join("sub")).expect("mkdir");
        let e = plan(&[dir.join("gone")]).expect_err("a directory beside it");
        assert!(e.to_string().contains("not a regular file"), "{e}");
    }

    #[test]
    fn the_runtime_sees_the_file_gone_and_the_harness_does_not() {
        // SAFETY: geteuid(2) cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("not root: mounting needs root");
            return;
        }
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("d");
        std::fs::create_dir(&dir).expect("mkdir");
        std::fs::write(dir.join("gone"), "x").expect("write");
        std::fs::write(dir.join("kept"), "kept\n").expect("write");
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg("ls \"$0\"; cat \"$0/kept\"; touch \"$0/new\" 2>/dev/null || echo ro")
            .arg(&dir);
        install(&mut cmd, plan(&[dir.join("gone")]).expect("plan"));
        let out = cmd.output().expect("runs");
        assert!(out.status.success(), "{out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "kept\nkept\nro\n");
        assert!(dir.join("gone").exists(), "the harness still sees it");
        assert!(!dir.join("new").exists());
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
        assert!(
            !mounts.contains(&dir.display().to_string()),
            "nothing mounted here"
        );
    }
}
