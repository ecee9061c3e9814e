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

    #[test]
    fn always_and_never_ignore_the_terminal() {
        assert!(decide(ColorChoice::Always, false, true));
        assert!(!decide(ColorChoice::Never, true, false));
    }
}
