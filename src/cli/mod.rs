//! The edge between the command line and the library: flags become a validated plan, the
//! plan runs, and the result becomes an exit code. `main.rs` only calls [`main`].

mod args;
mod execute;
mod install;
mod locations;
mod plan;
mod plan_command;
mod report_command;
mod runs_command;
mod undo_command;

pub use args::{Cli, Command, FileArgs, ImportArgs, InputFormat, LogFormat, SandboxArgs};
pub use execute::main;
pub use plan::{read_token, PlanError};
