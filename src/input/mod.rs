//! Stage 1: streaming readers for CSV and JSONL. Constant memory in file size: one record at
//! a time. A record that cannot be read still comes out (as `Unreadable`) so that it gets its
//! line in the report.

// CONTRACT (helper fills in the implementation; keep these public names and shapes).

/// Which kind of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Jsonl,
}

#[derive(Debug, Clone, Default)]
pub struct InputOptions {
    /// `None`: from the extension (`.jsonl`/`.ndjson` → JSONL, else CSV).
    pub format: Option<Format>,
    /// `None`: auto-detect among `,` `;` tab `|`.
    pub delimiter: Option<u8>,
}

/// One input record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// 0, 1, 2 … in file order, contiguous: the report's ordering key.
    pub seq: u64,
    /// As a person sees it: CSV header is row 1, first contact row 2; JSONL: the line number.
    pub row: u64,
    pub values: RecordValues,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RecordValues {
    /// CSV cells, aligned with `Reader::headers()`.
    Cells(Vec<String>),
    /// One JSONL object.
    Object(serde_json::Map<String, serde_json::Value>),
    /// The record could not be read (bad JSON, bad UTF-8 …); the message says why.
    Unreadable { column: Option<String>, message: String },
}
