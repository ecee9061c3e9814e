//! `ocicheck completions SHELL` and `ocicheck man [--dir DIR]`: shell completion scripts and man
//! pages generated from the clap definition, so they cannot drift from the command line.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::CommandFactory;
use ocicheck_results::exit_codes::OcicheckExitCode;

/// A shell `ocicheck completions` writes a script for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

impl Shell {
    fn generator(self) -> clap_complete::Shell {
        match self {
            Shell::Bash => clap_complete::Shell::Bash,
            Shell::Zsh => clap_complete::Shell::Zsh,
            Shell::Fish => clap_complete::Shell::Fish,
        }
    }
}

/// Options of `ocicheck completions`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Install, for example:
  bash: ocicheck completions bash > /etc/bash_completion.d/ocicheck
  zsh:  ocicheck completions zsh > \"${fpath[1]}/_ocicheck\"
  fish: ocicheck completions fish > ~/.config/fish/completions/ocicheck.fish
`ocicheck runtime` completes the runtime's own commands and flags.")]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    shell: Shell,
}

/// Options of `ocicheck man`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Without --dir, ocicheck(1) goes to standard output (`ocicheck man | man -l -`). With --dir, \
DIR gets ocicheck.1 and one page per command and subcommand: ocicheck-run.1, \
ocicheck-runtime.1, ocicheck-runtime-create.1, ...")]
pub struct ManArgs {
    /// Write ocicheck.1 and a page for every command into this directory (made if missing).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// ocicheck's whole command line, with `ocicheck runtime` spelled out as the runtime's own
/// commands and flags (ocicheck hands that subcommand's arguments to the runtime's parser).
pub fn command() -> clap::Command {
    crate::Cli::command().mut_subcommand("runtime", |ours| {
        let runtime = ocicheck_runtime::cli::command().name("runtime");
        match ours.get_about() {
            Some(about) => runtime.about(about.clone()),
            None => runtime,
        }
    })
}

/// ocicheck's command line without its hidden commands (`bench`), which clap_complete would
/// offer: the arguments and visible commands completion needs.
fn visible_only(cmd: &clap::Command) -> clap::Command {
    let mut lean = clap::Command::new("ocicheck")
        .version(env!("CARGO_PKG_VERSION"))
        .propagate_version(true)
        .args(cmd.get_arguments().cloned())
        .subcommands(cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
    if let Some(about) = cmd.get_about() {
        lean = lean.about(about.clone());
    }
    lean
}

/// Writes the script for `shell` to `out`.
fn write_completions(shell: Shell, out: &mut dyn Write) {
    clap_complete::generate(
        shell.generator(),
        &mut visible_only(&command()),
        "ocicheck",
        out,
    );
}

/// The man page of `ocicheck` itself (its options and the list of its commands).
fn man_page() -> Result<Vec<u8>> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command())
        .render(&mut page)
        .context("cannot render the man page")?;
    Ok(page)
}

pub fn completions(args: CompletionsArgs) -> Result<ExitCode> {
    let mut out = Vec::new();
    write_completions(args.shell, &mut out);
    std::io::stdout()
        .write_all(&out)
        .context("cannot write the completion script")?;
    Ok(ExitCode::from(OcicheckExitCode::OK))
}

pub fn man(args: ManArgs) -> Result<ExitCode> {
    match args.dir {
        None => std::io::stdout()
            .write_all(&man_page()?)
            .context("cannot write the man page")?,
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot make {}", dir.display()))?;
            clap_mangen::generate_to(command(), &dir)
                .with_context(|| format!("cannot write the man pages into {}", dir.display()))?;
        }
    }
    Ok(ExitCode::from(OcicheckExitCode::OK))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ocicheck's visible commands, from the clap definition: a new one is covered at once.
    fn visible_subcommands() -> Vec<String> {
        let names: Vec<String> = crate::Cli::command()
            .get_subcommands()
            .filter(|c| !c.is_hide_set())
            .map(|c| c.get_name().to_string())
            .collect();
        assert!(names.len() >= 9, "{names:?}");
        names
    }

    fn script(shell: Shell) -> String {
        let mut out = Vec::new();
        write_completions(shell, &mut out);
        String::from_utf8(out).expect("UTF-8 script")
    }

    /// How each script names a subcommand of `ocicheck` (its own syntax, so that `run` is not
    /// found inside `runtime`).
    fn mention(shell: Shell, name: &str) -> String {
        match shell {
            Shell::Bash => format!("ocicheck,{name})"),
            Shell::Zsh => format!("'{name}:"),
            Shell::Fish => format!("-a \"{name}\""),
        }
    }

    #[test]
    fn every_completion_script_names_every_visible_command() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let text = script(shell);
            for name in visible_subcommands() {
                assert!(
                    text.contains(&mention(shell, &name)),
                    "{shell:?} completions lack `{name}`"
                );
            }
            assert!(
                !text.contains(&mention(shell, "bench")),
                "{shell:?} completions offer the hidden `bench`"
            );
        }
    }

    #[test]
    fn completion_covers_the_runtime_commands() {
        let text = script(Shell::Bash);
        for name in ["create", "start", "state", "kill", "delete"] {
            assert!(
                text.contains(&format!("ocicheck__subcmd__runtime,{name})")),
                "{name}"
            );
        }
    }

    #[test]
    fn the_bash_script_parses() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("ocicheck.bash");
        std::fs::write(&path, script(Shell::Bash)).expect("written");
        let out = std::process::Command::new("bash")
            .arg("-n")
            .arg(&path)
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "bash -n: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn the_man_page_names_every_visible_command() {
        let page = String::from_utf8(man_page().expect("rendered")).expect("UTF-8 page");
        for name in visible_subcommands() {
            assert!(
                page.contains(&format!("ocicheck\\-{name}(1)")),
                "man page lacks `{name}`"
            );
        }
        assert!(!page.contains("ocicheck\\-bench"), "hidden `bench`");
    }

    #[test]
    fn the_man_page_renders() {
        if crate::cmd::which("groff").is_none() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "groff is not installed, and CI must render the man page"
            );
            eprintln!("skipped: groff is not installed (apt-get install groff-base)");
            return;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("ocicheck.1");
        std::fs::write(&path, man_page().expect("rendered")).expect("written");
        let out = std::process::Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(&path)
            .output()
            .expect("groff runs");
        assert!(out.status.success(), "groff failed");
        let warnings = String::from_utf8_lossy(&out.stderr);
        assert!(warnings.is_empty(), "groff warns: {warnings}");
        let text = std::process::Command::new("groff")
            .args(["-man", "-Tutf8"])
            .arg(&path)
            .output()
            .expect("groff runs");
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(text.contains("ocicheck"), "{text}");
    }
}
