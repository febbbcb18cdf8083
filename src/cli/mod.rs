//! The edge between the command line and the library: flags become one validated run config
//! ([`run_config`]), the run goes, and the result becomes an exit code. `main.rs` only calls [`main`].

mod args;
mod execute;
mod flags;
mod install;
mod locations;
mod report_command;
mod run_config;
mod runs_command;
mod terminal;
mod undo_command;

pub use args::{Cli, Command, FileArgs, ImportArgs, InputFormat, LogFormat, SandboxArgs};
pub use execute::main;
pub use flags::{read_token, FlagError};
