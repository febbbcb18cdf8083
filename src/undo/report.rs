//! Undo's account of each row of the run it takes back, and its report file (CSV or JSONL by
//! extension, like the import's).

use std::io::{self, BufWriter, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::report::{create_private, neutralize_formula, ReportFormat};

/// What undo did (or, with `--dry-run`, would do) for one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UndoStatus {
    /// A contact the run created was deleted.
    Deleted,
    /// A contact the run updated has its tags, business and (with a snapshot) fields back.
    Restored,
    /// Tags and business are back; some fields could not be restored (named in `notes`).
    Partial,
    /// The contact changed after the run: left alone (why in `notes`).
    Left,
    /// The contact no longer exists.
    Gone,
    /// The run did nothing to this row that can be taken back (invalid, failed, unchanged, or
    /// another row of the same contact).
    Nothing,
    /// A call failed; running undo again retries it.
    Failed,
    /// Not attempted (interrupted, or the API refused the token); running undo again does it.
    Deferred,
    /// `--dry-run`: would be deleted.
    Delete,
    /// `--dry-run`: would be restored.
    Restore,
}

impl UndoStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UndoStatus::Deleted => "deleted",
            UndoStatus::Restored => "restored",
            UndoStatus::Partial => "partial",
            UndoStatus::Left => "left",
            UndoStatus::Gone => "gone",
            UndoStatus::Nothing => "nothing",
            UndoStatus::Failed => "failed",
            UndoStatus::Deferred => "deferred",
            UndoStatus::Delete => "delete",
            UndoStatus::Restore => "restore",
        }
    }

    /// Settled: a resumed undo does not touch the row again.
    pub fn is_final(self) -> bool {
        !matches!(self, UndoStatus::Failed | UndoStatus::Deferred)
    }

    /// Counts against exit code 0.
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            UndoStatus::Failed | UndoStatus::Deferred | UndoStatus::Partial | UndoStatus::Left
        )
    }
}

/// One report line: a row of the run taken back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UndoOutcome {
    #[serde(skip)]
    pub seq: u64,
    /// The input row of the run taken back.
    pub row: u64,
    pub status: UndoStatus,
    /// What the import did to the row (`created`, `updated`, …).
    pub imported: String,
    pub contact_id: Option<String>,
    pub location_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// What undo did (or would do).
    pub actions: Vec<String>,
    /// What it could not do, and why.
    pub notes: Vec<String>,
    /// Bulk steps still to send (recorded so a resumed undo sends them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove_tags: Vec<String>,
    /// `Some(None)`: clear the business.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_business: Option<Option<String>>,
}

pub const COLUMNS: [&str; 9] = [
    "row",
    "status",
    "imported",
    "contact_id",
    "location_id",
    "email",
    "phone",
    "actions",
    "notes",
];

/// Writes the report, one line per row in input order.
pub fn write_report(path: &Path, rows: &[UndoOutcome]) -> io::Result<()> {
    let file = BufWriter::new(create_private(path)?);
    match ReportFormat::from_path(path) {
        ReportFormat::Jsonl => {
            let mut f = file;
            for r in rows {
                serde_json::to_writer(&mut f, r)?;
                f.write_all(b"\n")?;
            }
            f.flush()
        }
        ReportFormat::Csv => {
            let mut w = csv::Writer::from_writer(file);
            w.write_record(COLUMNS)?;
            for r in rows {
                let opt = |o: &Option<String>| o.clone().unwrap_or_default();
                let cells = [
                    r.row.to_string(),
                    r.status.as_str().to_owned(),
                    r.imported.clone(),
                    opt(&r.contact_id),
                    opt(&r.location_id),
                    opt(&r.email),
                    opt(&r.phone),
                    r.actions.join("; "),
                    r.notes.join("; "),
                ];
                // Values came from the user's file: a spreadsheet must not run them.
                w.write_record(cells.iter().map(|c| neutralize_formula(c).into_owned()))?;
            }
            w.flush()
        }
    }
}
