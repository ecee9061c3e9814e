//! Finding and reading what to validate, safely: no following of FIFOs, no unbounded reads,
//! no symlink loops, never executing anything from the bundle.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Largest config.json ocicheck reads. Real configs are a few KiB.
pub const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;

/// One thing to validate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A bundle directory, whose config is `<dir>/config.json`.
    Bundle(PathBuf),
    /// A config file; its bundle is its directory.
    ConfigFile(PathBuf),
    /// A config read from standard input; there is no bundle.
    Stdin,
}

impl Target {
    /// Classifies a command-line path.
    pub fn from_arg(arg: &Path) -> Result<Target, InputError> {
        if arg == Path::new("-") {
            return Ok(Target::Stdin);
        }
        let meta = fs::metadata(arg).map_err(|e| InputError::io(arg, e))?;
        Ok(
            if meta.is_dir() && arg.file_name().is_none_or(|n| n != "config.json") {
                Target::Bundle(arg.to_path_buf())
            } else {
                // A file, a FIFO, or a directory named config.json: judged as a config path.
                Target::ConfigFile(arg.to_path_buf())
            },
        )
    }

    /// The bundle directory, when there is one.
    pub fn bundle_dir(&self) -> Option<PathBuf> {
        match self {
            Target::Bundle(d) => Some(d.clone()),
            Target::ConfigFile(f) => Some(match f.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            }),
            Target::Stdin => None,
        }
    }

    /// The config path as shown to the user.
    pub fn config_path(&self) -> PathBuf {
        match self {
            Target::Bundle(d) => d.join("config.json"),
            Target::ConfigFile(f) => f.clone(),
            Target::Stdin => PathBuf::from("<stdin>"),
        }
    }

    /// The path naming the bundle in reports.
    pub fn display_path(&self) -> PathBuf {
        match self {
            Target::Bundle(d) => d.clone(),
            Target::ConfigFile(f) => f.clone(),
            Target::Stdin => PathBuf::from("-"),
        }
    }
}

/// A path that could not be read at all (exit status 2), as opposed to a bundle with problems.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path}: {message}")]
    Walk { path: PathBuf, message: String },
}

impl InputError {
    pub fn io(path: &Path, source: io::Error) -> Self {
        InputError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// What reading a config produced.
#[derive(Debug)]
pub enum ConfigBytes {
    Read(Vec<u8>),
    /// The bundle has no usable config.json; the string says why, in plain words.
    Unusable(String),
    /// No config.json, but a file of that name in another spelling (`Config.json`).
    Misnamed(String),
    /// config.json is a symbolic link (or lies behind one) that leaves the bundle directory;
    /// it was not read. The string names the link and where it leads.
    Outside(String),
}

/// Flags for opening config.json, besides read-only and close-on-exec: never block (a FIFO or
/// a device swapped in after the checks), never follow a final symlink (the path opened is
/// already resolved), never become a controlling terminal.
const OPEN_FLAGS: i32 = libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY;

/// A sibling of `path` whose name equals "config.json" but for case.
fn misnamed_config(path: &Path) -> Option<String> {
    let dir = path.parent()?;
    fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .find(|n| n.eq_ignore_ascii_case("config.json") && n != "config.json")
}

/// Reads a config file, refusing anything that is not a regular file of bounded size inside
/// its bundle directory.
pub fn read_config(target: &Target) -> Result<ConfigBytes, InputError> {
    match target {
        Target::Stdin => {
            let mut buf = Vec::new();
            io::stdin()
                .lock()
                .take(MAX_CONFIG_BYTES + 1)
                .read_to_end(&mut buf)
                .map_err(|e| InputError::io(Path::new("<stdin>"), e))?;
            if buf.len() as u64 > MAX_CONFIG_BYTES {
                return Ok(ConfigBytes::Unusable(too_big()));
            }
            Ok(ConfigBytes::Read(buf))
        }
        _ => read_file(target),
    }
}

fn read_file(target: &Target) -> Result<ConfigBytes, InputError> {
    let path = target.config_path();
    let meta = match fs::metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(match misnamed_config(&path) {
                Some(name) => ConfigBytes::Misnamed(name),
                None => ConfigBytes::Unusable("the bundle has no config.json".into()),
            });
        }
        Err(e) => return Err(InputError::io(&path, e)),
    };
    // Where it really is: a link that leaves the bundle is not followed (it could show any file
    // of the host in a snippet).
    let real = fs::canonicalize(&path).map_err(|e| InputError::io(&path, e))?;
    let bundle = target.bundle_dir().unwrap_or_else(|| PathBuf::from("."));
    let real_bundle = fs::canonicalize(&bundle).map_err(|e| InputError::io(&bundle, e))?;
    if !real.starts_with(&real_bundle) {
        return Ok(outside(&path, &real, &real_bundle));
    }
    if meta.is_dir() {
        return Ok(ConfigBytes::Unusable(
            "config.json is a directory, not a file".into(),
        ));
    }
    if !meta.is_file() {
        return Ok(ConfigBytes::Unusable(not_regular()));
    }
    if meta.len() > MAX_CONFIG_BYTES {
        return Ok(ConfigBytes::Unusable(too_big()));
    }
    let file = match open_regular(&real).map_err(|e| InputError::io(&path, e))? {
        Opened::File(f) => f,
        Opened::Refused(why) => return Ok(ConfigBytes::Unusable(why)),
    };
    // The file opened is the one checked: the kernel says where it is, whatever was swapped
    // in between.
    use std::os::fd::AsRawFd;
    if let Ok(at) = fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())) {
        if !at.starts_with(&real_bundle) {
            return Ok(outside(&path, &at, &real_bundle));
        }
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    match file.take(MAX_CONFIG_BYTES + 1).read_to_end(&mut buf) {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
            return Ok(ConfigBytes::Unusable(
                "config.json cannot be read without waiting (it behaves like a device, not a \
                 file); it was not read"
                    .into(),
            ))
        }
        Err(e) => return Err(InputError::io(&path, e)),
    }
    if buf.len() as u64 > MAX_CONFIG_BYTES {
        return Ok(ConfigBytes::Unusable(too_big()));
    }
    Ok(ConfigBytes::Read(buf))
}

/// What opening a config found.
enum Opened {
    /// A regular file of at most [`MAX_CONFIG_BYTES`], open for reading.
    File(File),
    /// Anything else; the string says why it is not read.
    Refused(String),
}

/// Opens `path` without blocking or following a final symlink and checks, on the open file,
/// that it is a regular file of bounded size.
fn open_regular(path: &Path) -> io::Result<Opened> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(OPEN_FLAGS)
        .open(path)?;
    let meta = file.metadata()?;
    Ok(if meta.is_dir() {
        Opened::Refused("config.json is a directory, not a file".into())
    } else if !meta.is_file() {
        Opened::Refused(not_regular())
    } else if meta.len() > MAX_CONFIG_BYTES {
        Opened::Refused(too_big())
    } else {
        Opened::File(file)
    })
}

fn outside(link: &Path, real: &Path, bundle: &Path) -> ConfigBytes {
    ConfigBytes::Outside(format!(
        "{} is a symbolic link that leaves the bundle: it resolves to {}, outside {}; it was not \
         read",
        link.display(),
        real.display(),
        bundle.display()
    ))
}

fn not_regular() -> String {
    "config.json is not a regular file (a FIFO, socket or device); it was not read".into()
}

fn too_big() -> String {
    format!(
        "config.json is larger than {} MiB; ocicheck does not read it",
        MAX_CONFIG_BYTES / (1024 * 1024)
    )
}

/// Every bundle (a directory holding an entry named config.json) below `root`, without
/// following symlinks, sorted. Walk errors (unreadable directories, loops) are returned
/// beside the bundles found.
pub fn find_bundles(root: &Path) -> (Vec<Target>, Vec<InputError>) {
    let mut bundles = Vec::new();
    let mut errors = Vec::new();
    for entry in walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
    {
        match entry {
            Ok(e) if e.file_name() == "config.json" && e.depth() > 0 => {
                if let Some(dir) = e.path().parent() {
                    bundles.push(Target::Bundle(dir.to_path_buf()));
                }
            }
            Ok(_) => {}
            Err(e) => {
                let path = e.path().unwrap_or(root).to_path_buf();
                let message = match e.io_error() {
                    Some(io) => io.to_string(),
                    None => e.to_string(),
                };
                errors.push(InputError::Walk { path, message });
            }
        }
    }
    (bundles, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A FIFO swapped in after the checks: opening it does not wait for a writer, and the
    /// open file is refused before anything is read.
    #[test]
    fn a_fifo_is_opened_without_blocking_and_refused() {
        let tmp = tempfile::tempdir().expect("tmp");
        let fifo = tmp.path().join("config.json");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo");
        assert!(made.success());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(open_regular(&fifo).map(|o| match o {
                Opened::File(_) => "opened".to_string(),
                Opened::Refused(why) => why,
            }));
        });
        let got = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("open_regular blocked on a FIFO");
        assert!(got.expect("open").contains("not a regular file"));
    }

    /// A final symlink is not followed by the open itself.
    #[test]
    fn a_final_symlink_is_not_followed() {
        let tmp = tempfile::tempdir().expect("tmp");
        std::fs::write(tmp.path().join("real.json"), "{}").expect("write");
        std::os::unix::fs::symlink("real.json", tmp.path().join("config.json")).expect("link");
        assert!(open_regular(&tmp.path().join("config.json")).is_err());
    }
}
