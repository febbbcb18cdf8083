//! What a run knows about its rows while it runs: which rows are done, which wait for a bulk
//! call, and which bulk batches are open. The pipeline drives it; the report reads rows from
//! it in input order.
//!
//! It is the single place row progress lives, so a durable store (resume after a crash,
//! `--changed-only`) can later record the same transitions without touching the stages.

mod ledger;

pub use ledger::{Batch, BatchKind, Ledger};
