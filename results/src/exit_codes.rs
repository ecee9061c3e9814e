//! The exit statuses of the `ocicheck` commands, by name.
//!
//! Several names share a number: the number says how a script should react (0 go on, 1 look at
//! the results, 2 fix the invocation or the input), the name says which command means what.

/// Exit statuses of `ocicheck` (not of `ocicheck runtime`, whose statuses are runc's, nor of
/// the probe).
pub enum OcicheckExitCode {}

impl OcicheckExitCode {
    /// Success: no failing finding or case, the report written, the file up to date.
    pub const OK: u8 = 0;

    /// `ocicheck validate`: an error-severity finding, or with `--deny-warnings` a warning.
    pub const VALIDATE_FINDINGS: u8 = 1;

    /// `ocicheck run`: a case failed or errored (after the baseline).
    pub const RUN_FAILED: u8 = 1;

    /// `ocicheck matrix --check`: the matrix file is missing or stale.
    pub const MATRIX_STALE: u8 = 1;

    /// `ocicheck validate`: a path could not be read (it takes precedence over findings).
    pub const VALIDATE_UNREADABLE: u8 = 2;

    /// `ocicheck report --fail-on ...`: the merged results meet the condition.
    pub const REPORT_GATE: u8 = 1;

    /// `ocicheck run`: a precondition does not hold (not root, the binary does not answer like
    /// an OCI runtime, a host feature every selected case needs is missing); no case ran.
    pub const PREFLIGHT_FAILED: u8 = 3;

    /// `ocicheck run` stopped by SIGINT (130) or SIGTERM (143): 128 + the signal's number, as
    /// shells report it. Partial results are written, marked as interrupted.
    pub const fn interrupted(signal: i32) -> u8 {
        (128 + (signal & 0x7f)) as u8
    }

    /// A usage error (clap exits with this too), unreadable, invalid or unmergeable input, or
    /// any other error, printed as `error: ...`.
    pub const ERROR: u8 = 2;
}
