//! Messages of the runtime: to stderr, and to `--log FILE` in runc's text or JSON form
//! (what containerd's shim reads back after a failure).

use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

struct Sink {
    path: PathBuf,
    json: bool,
}

static SINK: OnceLock<Sink> = OnceLock::new();
static DEBUG: OnceLock<std::time::Instant> = OnceLock::new();

/// `--debug`: phases are logged with the milliseconds since the runtime started.
pub fn enable_debug() {
    let _ = DEBUG.set(std::time::Instant::now());
}

pub fn debug(msg: &str) {
    if let Some(start) = DEBUG.get() {
        write(
            "debug",
            &format!("{:.2} ms: {msg}", start.elapsed().as_secs_f64() * 1000.0),
        );
    }
}

/// Sets where messages also go.
pub fn init(path: Option<PathBuf>, format: Option<&str>) -> Result<(), String> {
    let json = match format.unwrap_or("text") {
        "text" => false,
        "json" => true,
        other => return Err(format!("--log-format {other:?}: use text or json")),
    };
    if let Some(path) = path {
        let _ = SINK.set(Sink { path, json });
    }
    Ok(())
}

fn write(level: &str, msg: &str) {
    eprintln!("ocicheck-runtime: {level}: {msg}");
    let Some(sink) = SINK.get() else { return };
    let time = humantime::format_rfc3339_nanos(std::time::SystemTime::now()).to_string();
    let line = if sink.json {
        serde_json::json!({"level": level, "msg": msg, "time": time}).to_string()
    } else {
        format!("time={time:?} level={level} msg={msg:?}")
    };
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&sink.path)
    {
        let _ = writeln!(f, "{line}");
    }
}

pub fn error(msg: &str) {
    write("error", msg);
}

pub fn warn(msg: &str) {
    write("warning", msg);
}
