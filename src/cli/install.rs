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

pub fn man() -> Result<i32, CliError> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
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
