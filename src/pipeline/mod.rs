//! Stages 4–5: the bounded concurrent import. Rows are classified by [`prepare`] (shared with
//! the dry run), upserted under the rate limit with no two rows of one email or phone in
//! flight at once ([`keys`]), and their tags and business are batched into bulk calls.

mod changed;
mod check_loop;
mod collector;
pub mod columns;
mod dispatcher;
mod fields;
mod headerless;
mod held_calls;
mod import_loop;
pub mod keys;
mod mode;
mod outcomes;
pub mod preflight;
pub mod prepare;
mod prepare_pool;
pub mod prepass;
mod run;
mod shared_keys;
mod stop;
pub mod store_opening;
#[cfg(test)]
mod testing;

pub use headerless::misread_header;
pub use mode::Mode;
pub use prepare::{Prepared, Preparer};
pub use run::{run, RunConfig, RunError, StateConfig};

/// The process exit codes, documented in README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Every row was created or updated (or, in a dry run, is valid).
    Success = 0,
    /// Some rows are invalid, failed or deferred; the report says which.
    SomeRowsFailed = 1,
    /// Nothing could start (bad flags, unreadable file, bad mapping) or the API refused the
    /// token (401/403).
    Fatal = 2,
    /// A location's daily API limit ran out; the rows not sent are `deferred`. Run the same
    /// command again after the limit resets.
    BudgetExhausted = 3,
    /// Interrupted (Ctrl-C or SIGTERM); the report covers every row.
    Interrupted = 130,
}

impl ExitCode {
    pub fn code(self) -> i32 {
        self as i32
    }
}
