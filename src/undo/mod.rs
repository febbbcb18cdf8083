//! Taking a run back (`ghl-import undo N`): contacts the run created are deleted unless they
//! changed since, tags it added are removed, businesses it set are set back, and (with the
//! import's `--snapshot`) fields it overwrote are written back. Undo is itself a recorded,
//! resumable run.

pub mod facts;
mod snapshot;

pub use snapshot::{SnapshotError, Snapshots};
pub mod decide;
pub mod report;
mod run;

pub use report::{write_report, UndoOutcome, UndoStatus};
pub use run::{undo, UndoConfig, UndoError, UndoSummary};
