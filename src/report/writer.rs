use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use serde::Serialize;

use super::new_file::create_private;
use super::{EventSink, Summary};
use crate::event::{Event, RowOutcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Csv,
    Jsonl,
}

impl ReportFormat {
    /// `.jsonl`/`.ndjson`/`.json` → JSONL, anything else CSV.
    pub fn from_path(p: &Path) -> Self {
        match p
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("jsonl" | "ndjson" | "json") => ReportFormat::Jsonl,
            _ => ReportFormat::Csv,
        }
    }
}

pub const COLUMNS: [&str; 10] = [
    "row",
    "status",
    "contact_id",
    "email",
    "phone",
    "tags_status",
    "business_status",
    "errors",
    "changes",
    "warnings",
];

/// Bytes of CSV lines gathered before they are handed to the OS.
const CSV_BUF: usize = 64 * 1024;

/// Streams one line per row as `Row` events arrive (already in input order).
pub struct ReportWriter {
    /// The CSV report, and the lines not yet handed to it: each line is built in place there,
    /// not in a line buffer then copied into a `BufWriter`'s.
    csv: Option<(File, Vec<u8>)>,
    jsonl: Option<BufWriter<File>>,
    /// Reused per row: a row number's digits.
    num: itoa::Buffer,
    /// Rows written since the last flush, and when that was.
    unsaved: bool,
    saved_at: std::time::Instant,
}

/// Bytes that make the `csv` crate's writer (its defaults: `,` and `"`, quotes only where
/// needed) put a field in quotes.
fn needs_quotes(field: &[u8]) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // Eight bytes at a time: non-zero when a byte of `x` is `b` (a long warnings field is
    // the usual case).
    let has = |x: u64, b: u8| {
        let v = x ^ (LO * u64::from(b));
        v.wrapping_sub(LO) & !v & HI
    };
    let mut chunks = field.chunks_exact(8);
    for c in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(c);
        let x = u64::from_le_bytes(word);
        if has(x, b',') | has(x, b'"') | has(x, b'\r') | has(x, b'\n') != 0 {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
}

/// One field as the `csv` crate writes it with its defaults (`"` doubled inside quotes),
/// appended to a line built by hand: the crate's writer cost about a sixth of a dry run's
/// per-row CPU on the event task, field by field through its state machine.
fn push_field(line: &mut Vec<u8>, field: &[u8]) {
    if !needs_quotes(field) {
        line.extend_from_slice(field);
        return;
    }
    line.push(b'"');
    push_doubling_quotes(line, field);
    line.push(b'"');
}

/// `field` with each `"` doubled, as inside a quoted field.
fn push_doubling_quotes(line: &mut Vec<u8>, field: &[u8]) {
    let mut rest = field;
    while let Some(i) = memchr::memchr(b'"', rest) {
        line.extend_from_slice(&rest[..=i]);
        line.push(b'"');
        rest = &rest[i + 1..];
    }
    line.extend_from_slice(rest);
}

/// A list's field: what `push_field(neutralize_formula(list.join("; ")))` writes, without
/// joining first (the warnings of most rows with any are two or more long notes). Two or more
/// items joined are never a plain number, so they get the `'` exactly when the first item
/// starts like a formula; neither the `'` nor `; ` needs quotes.
fn push_list(line: &mut Vec<u8>, list: &[String]) {
    let first = match list {
        [] => return,
        [one] => return push_field(line, neutralize_formula(one).as_bytes()),
        [first, ..] => first,
    };
    let quoted = list.iter().any(|v| needs_quotes(v.as_bytes()));
    if quoted {
        line.push(b'"');
    }
    if starts_like_formula(first) {
        line.push(b'\'');
    }
    for (i, v) in list.iter().enumerate() {
        if i > 0 {
            line.extend_from_slice(b"; ");
        }
        match quoted {
            true => push_doubling_quotes(line, v.as_bytes()),
            false => line.extend_from_slice(v.as_bytes()),
        }
    }
    if quoted {
        line.push(b'"');
    }
}

/// A word written as it is: lowercase letters only (or nothing), which neither quotes nor
/// [`neutralize_formula`] would change.
fn is_plain_word(w: &str) -> bool {
    w.bytes().all(|b| b.is_ascii_lowercase())
}

#[derive(Serialize)]
struct JsonRow<'a> {
    row: u64,
    status: &'static str,
    contact_id: &'a Option<String>,
    email: &'a Option<String>,
    phone: &'a Option<String>,
    location_id: &'a Option<String>,
    tags_status: &'static str,
    business_status: &'static str,
    errors: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    changes: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    warnings: &'a [String],
}

/// Whether `path` can be written, without truncating what it holds (created, private, when
/// missing).
pub(crate) fn check_writable(path: &Path) -> io::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path).map(drop)
}

impl ReportWriter {
    pub fn create(path: &Path, format: ReportFormat) -> io::Result<Self> {
        let file = create_private(path)?;
        let mut w = ReportWriter {
            csv: None,
            jsonl: None,
            num: itoa::Buffer::new(),
            unsaved: false,
            saved_at: std::time::Instant::now(),
        };
        match format {
            ReportFormat::Csv => {
                // Room for the line that takes it past `CSV_BUF`.
                let mut lines = Vec::with_capacity(CSV_BUF + 4096);
                lines.extend_from_slice(COLUMNS.join(",").as_bytes());
                lines.push(b'\n');
                w.csv = Some((file, lines));
            }
            ReportFormat::Jsonl => w.jsonl = Some(BufWriter::with_capacity(64 * 1024, file)),
        }
        Ok(w)
    }

    fn write_row(&mut self, o: &RowOutcome) -> io::Result<()> {
        if let Some((file, line)) = &mut self.csv {
            // Fields are written in place, borrowed: no owned string per field and row.
            fn opt(v: &Option<String>) -> std::borrow::Cow<'_, str> {
                neutralize_formula(v.as_deref().unwrap_or(""))
            }
            line.extend_from_slice(self.num.format(o.row).as_bytes());
            // The report's own words (`valid`, `added`): nothing to quote or neutralize.
            let word = |line: &mut Vec<u8>, w: &str| {
                debug_assert!(is_plain_word(w), "{w:?}");
                line.push(b',');
                line.extend_from_slice(w.as_bytes());
            };
            word(line, o.status.as_str());
            for f in [opt(&o.contact_id), opt(&o.email), opt(&o.phone)] {
                line.push(b',');
                push_field(line, f.as_bytes());
            }
            word(line, o.tags_status.as_str("added"));
            word(line, o.business_status.as_str("set"));
            for list in [&o.errors, &o.changes, &o.warnings] {
                line.push(b',');
                push_list(line, list);
            }
            line.push(b'\n');
            if line.len() >= CSV_BUF {
                let written = file.write_all(line);
                line.clear();
                written?;
            }
        }
        if let Some(j) = &mut self.jsonl {
            let row = JsonRow {
                row: o.row,
                status: o.status.as_str(),
                contact_id: &o.contact_id,
                email: &o.email,
                phone: &o.phone,
                location_id: &o.location_id,
                tags_status: o.tags_status.as_str("added"),
                business_status: o.business_status.as_str("set"),
                errors: &o.errors,
                changes: &o.changes,
                warnings: &o.warnings,
            };
            serde_json::to_writer(&mut *j, &row)?;
            j.write_all(b"\n")?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.unsaved = false;
        self.saved_at = std::time::Instant::now();
        if let Some((file, lines)) = &mut self.csv {
            let written = file.write_all(lines);
            lines.clear();
            written?;
        }
        if let Some(j) = &mut self.jsonl {
            j.flush()?;
        }
        Ok(())
    }
}

impl EventSink for ReportWriter {
    fn on_event(&mut self, event: &Event) -> io::Result<()> {
        match event {
            Event::Row(o) => {
                self.unsaved = true;
                self.write_row(o)
            }
            _ => Ok(()),
        }
    }

    fn save(&mut self) -> io::Result<()> {
        if self.unsaved && self.saved_at.elapsed() >= super::SAVE_EVERY {
            self.flush()?;
        }
        Ok(())
    }

    fn finish(&mut self, _: &Summary) -> io::Result<()> {
        self.flush()
    }
}

/// A spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, tab or CR as a formula;
/// such values get a leading `'`. A plain number or E.164 phone is left as it is.
pub fn neutralize_formula(v: &str) -> std::borrow::Cow<'_, str> {
    let risky = starts_like_formula(v);
    // Only a risky value is scanned (every field of every row passes here).
    let plain_number = || {
        let body = v.strip_prefix(['+', '-']).unwrap_or(v);
        !body.is_empty()
            && body.bytes().all(|c| c.is_ascii_digit() || c == b'.')
            && body.bytes().filter(|c| *c == b'.').count() <= 1
    };
    if risky && !plain_number() {
        format!("'{v}").into()
    } else {
        v.into()
    }
}

/// The first characters a spreadsheet runs as a formula.
fn starts_like_formula(v: &str) -> bool {
    matches!(
        v.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

impl Drop for ReportWriter {
    /// What is still gathered is written, as a `BufWriter` would on drop.
    fn drop(&mut self) {
        if let Some((file, lines)) = &mut self.csv {
            let _ = file.write_all(lines);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::RowStatus;

    /// Lines built by hand are the `csv` crate's, byte for byte, on fields made of every
    /// byte it treats specially and a few it does not.
    #[test]
    fn hand_built_lines_match_the_csv_crate() {
        let pieces = [
            "", "a", ",", "\"", "\r", "\n", "\r\n", "'", "=", " ", "\t", "é", "x\"y", ";",
        ];
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..5_000 {
            let fields: Vec<String> = (0..10)
                .map(|_| {
                    let n = next() % 24;
                    (0..n)
                        .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                        .collect()
                })
                .collect();
            let mut oracle = csv::Writer::from_writer(Vec::new());
            oracle.write_record(&fields).unwrap();
            let oracle = oracle.into_inner().unwrap();
            let mut line = Vec::new();
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    line.push(b',');
                }
                push_field(&mut line, f.as_bytes());
            }
            line.push(b'\n');
            assert_eq!(
                String::from_utf8_lossy(&line),
                String::from_utf8_lossy(&oracle),
                "{fields:?}"
            );
        }
    }

    /// Statuses are written without the field checks: every one of them must be a plain word.
    #[test]
    fn every_status_word_is_written_as_it_is() {
        use crate::event::StepStatus;
        let steps = [
            StepStatus::None,
            StepStatus::Done,
            StepStatus::Failed,
            StepStatus::Skipped,
        ];
        let words = RowStatus::ALL.iter().map(|s| s.as_str()).chain(
            steps
                .iter()
                .flat_map(|s| [s.as_str("added"), s.as_str("set")]),
        );
        for w in words {
            assert!(is_plain_word(w), "{w:?}");
            let mut line = Vec::new();
            push_field(&mut line, neutralize_formula(w).as_bytes());
            assert_eq!(line, w.as_bytes());
        }
    }

    #[test]
    fn formulas_are_neutralized_but_numbers_are_not() {
        assert_eq!(neutralize_formula("=1+2"), "'=1+2");
        assert_eq!(neutralize_formula("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(
            neutralize_formula("-cmd|' /C calc'!A0"),
            "'-cmd|' /C calc'!A0"
        );
        assert_eq!(neutralize_formula("\tx"), "'\tx");
        assert_eq!(neutralize_formula("+14155552671"), "+14155552671");
        assert_eq!(neutralize_formula("-12.5"), "-12.5");
        assert_eq!(neutralize_formula("ann@example.com"), "ann@example.com");
        assert_eq!(neutralize_formula(""), "");
    }

    /// A list's field is its items joined with `; `, neutralized and quoted as one field,
    /// whether it holds none, one or several.
    #[test]
    fn lists_are_written_as_their_joined_items() {
        let items = [
            "=1+A1", "a, \"b\"", "-5", "plain", "+x", "", "@h", "\tt", "\r", "x\ny",
        ];
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        let mut w = ReportWriter::create(&p, ReportFormat::Csv).unwrap();
        let mut expected = COLUMNS.join(",") + "\n";
        for n in 0..4 {
            for start in 0..items.len() {
                let list: Vec<String> = (0..n)
                    .map(|i| items[(start + i) % items.len()].to_owned())
                    .collect();
                let o = RowOutcome {
                    errors: list.clone(),
                    warnings: list.clone(),
                    ..RowOutcome::new(0, 7, RowStatus::Valid)
                };
                w.on_event(&Event::Row(o)).unwrap();
                let joined = neutralize_formula(&list.join("; ")).into_owned();
                let fields = ["7", "valid", "", "", "", "", "", &joined, "", &joined];
                let mut oracle = csv::Writer::from_writer(Vec::new());
                oracle.write_record(fields).unwrap();
                expected += &String::from_utf8(oracle.into_inner().unwrap()).unwrap();
            }
        }
        w.flush().unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), expected);
    }

    #[test]
    fn writes_csv_and_jsonl() {
        let dir = tempfile::tempdir().unwrap();
        let o = RowOutcome {
            email: Some("=bad".into()),
            errors: vec!["column 'Email': bad".into(), "x".into()],
            warnings: vec![
                "dateOfBirth did not stick".into(),
                "column 'Phone, \"home\"': \"1\" left out".into(),
            ],
            ..RowOutcome::new(0, 2, RowStatus::Invalid)
        };
        for (name, fmt) in [
            ("r.csv", ReportFormat::Csv),
            ("r.jsonl", ReportFormat::Jsonl),
        ] {
            let p = dir.path().join(name);
            assert_eq!(ReportFormat::from_path(&p), fmt);
            let mut w = ReportWriter::create(&p, fmt).unwrap();
            w.on_event(&Event::Row(o.clone())).unwrap();
            w.flush().unwrap();
            let text = std::fs::read_to_string(&p).unwrap();
            match fmt {
                ReportFormat::Csv => assert_eq!(
                    text,
                    "row,status,contact_id,email,phone,tags_status,business_status,errors,changes,warnings\n2,invalid,,'=bad,,,,column 'Email': bad; x,,\"dateOfBirth did not stick; column 'Phone, \"\"home\"\"': \"\"1\"\" left out\"\n"
                ),
                ReportFormat::Jsonl => {
                    let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
                    assert_eq!(v["row"], 2);
                    assert_eq!(v["status"], "invalid");
                    assert_eq!(v["errors"][1], "x");
                    assert!(v.get("changes").is_none());
                    assert_eq!(v["warnings"][0], "dateOfBirth did not stick");
                }
            }
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                assert_eq!(
                    std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                    0o600
                );
            }
        }
    }
}
