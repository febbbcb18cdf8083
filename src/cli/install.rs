//! `completions` and `man`: generated from the same clap definitions as the parser, so they
//! never drift from the flags.

use clap::CommandFactory;

use super::args::Cli;
use super::execute::CliError;

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn completions(a: &CompletionsArgs) -> Result<i32, CliError> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "ghl-import", &mut out);
    to_stdout(&out)
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// A subcommand's page (ghl-import-import(1) …) instead of the main one.
    #[arg(value_name = "SUBCOMMAND")]
    pub subcommand: Option<String>,
    /// Write every page (ghl-import.1, ghl-import-import.1 …) into this directory instead,
    /// e.g. ~/.local/share/man/man1.
    #[arg(long, value_name = "DIR", conflicts_with = "subcommand")]
    pub dir: Option<std::path::PathBuf>,
}

pub fn man(a: &ManArgs, quiet: bool) -> Result<i32, CliError> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    // Gives subcommands their page names (ghl-import-import).
    cmd.build();
    if let Some(dir) = &a.dir {
        let shown = dir.display().to_string();
        clap_mangen::generate_to(cmd, dir).map_err(|e| CliError::Output(shown.clone(), e))?;
        if !quiet {
            eprintln!("man: wrote the pages into {shown}");
        }
        return Ok(0);
    }
    let page = match &a.subcommand {
        None => cmd,
        Some(name) => match cmd.find_subcommand(name) {
            Some(sub) => sub.clone(),
            None => {
                eprintln!(
                    "ghl-import: error: no subcommand '{name}'; one of: {}",
                    cmd.get_subcommands()
                        .map(|c| c.get_name())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                return Ok(2);
            }
        },
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut out)
        .map_err(|e| CliError::Output("the man page".into(), e))?;
    to_stdout(&out)
}

fn to_stdout(bytes: &[u8]) -> Result<i32, CliError> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(0),
        // `ghl-import man | head` closes the pipe early: not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(CliError::Output("standard output".into(), e)),
    }
}
