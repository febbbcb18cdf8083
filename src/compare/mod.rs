//! The one row comparison: a valid row against a contact as HighLevel holds it. `plan` uses it
//! to predict an import, the import to check each upsert's answer (fidelity: a sent field that
//! did not stick becomes a warning), and `undo` to know what was sent. It depends on the row
//! and contact types only, so every feature can use it without depending on another.

mod fields;
mod verdict;

pub use fields::{diff_row, diff_sent, sent_fields, FieldDiff, RemoteContact};
pub use verdict::{classify, Against, Match, MatchOrder, Verdict};
