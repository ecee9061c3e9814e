//! `--color auto|always|never` (every command) and `NO_COLOR`: one decision for the process.
//!
//! `main` records the choice once, before running a command; output code asks [`stdout`] or
//! [`stderr`] whether to colour what it writes to that stream.

use std::io::IsTerminal;
use std::sync::OnceLock;

/// When to colour output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when the stream is a terminal and `NO_COLOR` is unset or empty.
    #[default]
    Auto,
    /// Always colour (also into files and pipes).
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// The same choice for clap's help and errors (clap's `auto` also honours `NO_COLOR`).
    pub fn for_clap(self) -> clap::ColorChoice {
        match self {
            ColorChoice::Auto => clap::ColorChoice::Auto,
            ColorChoice::Always => clap::ColorChoice::Always,
            ColorChoice::Never => clap::ColorChoice::Never,
        }
    }
}

/// The `--color` of a command line, read before clap parses it (so that clap's own help and
/// errors follow it): the last valid `--color WHEN` or `--color=WHEN` before `--`, else auto.
/// An invalid value is left for clap to report.
pub fn from_args(args: &[std::ffi::OsString]) -> ColorChoice {
    use clap::ValueEnum;
    let mut choice = ColorChoice::default();
    let mut args = args.iter().skip(1).map(|a| a.to_str());
    while let Some(arg) = args.next() {
        let value = match arg {
            Some("--") => break,
            Some("--color") => args.next().flatten(),
            Some(a) => a.strip_prefix("--color="),
            None => None,
        };
        if let Some(c) = value.and_then(|v| ColorChoice::from_str(v, false).ok()) {
            choice = c;
        }
    }
    choice
}

static CHOICE: OnceLock<ColorChoice> = OnceLock::new();

/// Records the choice of `--color` for the rest of the process (the first call wins).
pub fn set(choice: ColorChoice) {
    let _ = CHOICE.set(choice);
}

/// `NO_COLOR` set to a non-empty value (<https://no-color.org>).
fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

fn decide(choice: ColorChoice, is_terminal: bool, no_color: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_terminal && !no_color,
    }
}

/// Whether to colour what is written to standard output.
pub fn stdout() -> bool {
    decide(
        CHOICE.get().copied().unwrap_or_default(),
        std::io::stdout().is_terminal(),
        no_color_env(),
    )
}

/// Whether to colour what is written to standard error.
#[allow(dead_code)] // the run console output (issue 15) adopts it
pub fn stderr() -> bool {
    decide(
        CHOICE.get().copied().unwrap_or_default(),
        std::io::stderr().is_terminal(),
        no_color_env(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_follows_the_terminal_and_no_color() {
        assert!(decide(ColorChoice::Auto, true, false));
        assert!(!decide(ColorChoice::Auto, false, false));
        assert!(!decide(ColorChoice::Auto, true, true));
    }

    fn from(args: &[&str]) -> ColorChoice {
        let args: Vec<std::ffi::OsString> = args.iter().map(|a| a.into()).collect();
        from_args(&args)
    }

    #[test]
    fn the_choice_is_read_before_clap_parses() {
        assert_eq!(from(&["ocicheck", "validate", "b"]), ColorChoice::Auto);
        assert_eq!(
            from(&["ocicheck", "--color", "always", "x"]),
            ColorChoice::Always
        );
        assert_eq!(
            from(&["ocicheck", "validate", "--color=never"]),
            ColorChoice::Never
        );
        assert_eq!(
            from(&["ocicheck", "--color=never", "--color", "always"]),
            ColorChoice::Always
        );
        // Left for clap to refuse.
        assert_eq!(from(&["ocicheck", "--color", "bogus"]), ColorChoice::Auto);
        assert_eq!(from(&["ocicheck", "--color"]), ColorChoice::Auto);
        // After `--`, an argument, not the option.
        assert_eq!(
            from(&["ocicheck", "--", "--color=always"]),
            ColorChoice::Auto
        );
    }

    #[test]
    fn always_and_never_ignore_the_terminal() {
        assert!(decide(ColorChoice::Always, false, true));
        assert!(!decide(ColorChoice::Never, true, false));
    }
}
