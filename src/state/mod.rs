//! What a run knows about its rows: in memory while it runs ([`Ledger`]: which rows are done,
//! which wait for a bulk call, which batches are open) and durably across runs ([`Store`]:
//! resume after a crash, `--changed-only`). The pipeline records each transition in both; the
//! report reads rows from the ledger in input order once the store has them.

mod ledger;
pub mod runs;
mod step_error;
pub mod store;
pub mod undo_log;

pub use ledger::{mark_owed, Batch, BatchKind, Ledger, StepUpdate};
pub use step_error::StepError;
pub use store::{RowHashes, RunIdentity, StateError, Step, Store};
