//! `ocicheck completions SHELL` and `ocicheck man [--dir DIR]`: shell completion scripts and man
//! pages generated from the clap definition, so they cannot drift from the command line.

use std::io::Write;
use std::path::{Path, PathBuf};
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
/// commands and flags (ocicheck hands that subcommand's arguments to the runtime's parser, which
/// takes neither `--color` nor `--version` after `runtime`: they are not propagated there).
pub fn command() -> clap::Command {
    let ours = crate::Cli::command();
    let color = ours
        .get_arguments()
        .find(|a| a.get_id() == "color")
        .cloned();
    let names: Vec<String> = ours
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .filter(|n| n != "runtime")
        .collect();
    let mut cmd = ours
        .propagate_version(false)
        .mut_arg("color", |a| a.global(false));
    if let Some(color) = color {
        for name in &names {
            cmd = cmd.mut_subcommand(name, |c| c.arg(color.clone()));
        }
    }
    cmd.mut_subcommand("runtime", |stub| {
        let runtime = ocicheck_runtime::cli::command()
            .name("runtime")
            .version(env!("CARGO_PKG_VERSION"));
        match stub.get_about() {
            Some(about) => runtime.about(about.clone()),
            None => runtime,
        }
    })
}

/// `cmd` without its hidden commands (`bench`) and flags (the runtime's `--systemd-cgroup`),
/// which clap_complete would offer: the names, about lines, arguments and commands completion
/// needs.
fn visible_only(cmd: &clap::Command) -> clap::Command {
    let mut lean = clap::Command::new(cmd.get_name().to_string())
        .args(cmd.get_arguments().filter(|a| !a.is_hide_set()).cloned())
        .subcommands(
            cmd.get_subcommands()
                .filter(|s| !s.is_hide_set())
                .map(visible_only),
        );
    if let Some(about) = cmd.get_about() {
        lean = lean.about(about.clone());
    }
    if let Some(version) = cmd.get_version() {
        lean = lean.version(version.to_string());
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

/// A rendered page with every non-ASCII character as a groff escape (`–` is `\[u2013]`):
/// groff reads its input as Latin-1 unless told otherwise, and would garble UTF-8.
fn ascii_roff(page: &[u8]) -> Result<Vec<u8>> {
    let text = std::str::from_utf8(page).context("the rendered man page is not UTF-8")?;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\[u{:04X}]", u32::from(c)));
        }
    }
    Ok(out.into_bytes())
}

/// The page of one command.
fn render(man: &clap_mangen::Man) -> Result<Vec<u8>> {
    let mut page = Vec::new();
    man.render(&mut page)
        .context("cannot render the man page")?;
    ascii_roff(&page)
}

/// ocicheck's command line as the man pages show it (no `help` command: `man` is the help).
fn man_command() -> clap::Command {
    let mut cmd = command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// The man page of `ocicheck` itself (its options and the list of its commands).
fn man_page() -> Result<Vec<u8>> {
    render(&clap_mangen::Man::new(man_command()))
}

/// Writes the page of `cmd` and of each of its visible subcommands, recursively, into `dir`
/// (`ocicheck.1`, `ocicheck-run.1`, `ocicheck-runtime-create.1`, ...).
fn write_pages(cmd: clap::Command, dir: &Path) -> Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub.clone(), dir)?;
    }
    let man = clap_mangen::Man::new(cmd);
    let path = dir.join(man.get_filename());
    std::fs::write(&path, render(&man)?).with_context(|| format!("cannot write {}", path.display()))
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
            write_pages(man_command(), &dir)?;
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
            for hidden in ["--systemd-cgroup", "--no-pivot", "--no-new-keyring"] {
                assert!(
                    !text.contains(hidden),
                    "{shell:?} completions offer {hidden}"
                );
            }
        }
    }

    #[test]
    fn completion_covers_the_runtime_commands_and_only_their_flags() {
        let text = script(Shell::Bash);
        for name in ["create", "start", "state", "kill", "delete"] {
            assert!(
                text.contains(&format!("ocicheck__subcmd__runtime,{name})")),
                "{name}"
            );
        }
        // The flags bash offers after `ocicheck runtime create`: the runtime's, not ocicheck's
        // (the runtime's parser would refuse --color and --version there).
        let create = text
            .split("ocicheck__subcmd__runtime__subcmd__create)")
            .nth(1)
            .and_then(|rest| rest.lines().find(|l| l.contains("opts=")))
            .expect("runtime create completes");
        assert!(create.contains("--bundle"), "{create}");
        assert!(create.contains("--root"), "{create}");
        assert!(!create.contains("--color"), "{create}");
        assert!(!create.contains("--version"), "{create}");
    }

    #[test]
    fn the_definitions_are_consistent() {
        crate::Cli::command().debug_assert();
        command().debug_assert();
        visible_only(&command()).debug_assert();
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
        assert!(
            page.is_ascii(),
            "groff reads Latin-1: non-ASCII must be escaped"
        );
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
