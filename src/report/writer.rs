use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use serde::Serialize;

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

/// Streams one line per row as `Row` events arrive (already in input order).
pub struct ReportWriter {
    csv: Option<csv::Writer<BufWriter<File>>>,
    jsonl: Option<BufWriter<File>>,
    /// Reused per row: a row number's digits, a list joined with `; `.
    num: [u8; 20],
    joined: String,
}

/// `n` in decimal, written into `buf`.
fn itoa_u64(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

/// `list.join("; ")` into a reused buffer.
fn join_into(buf: &mut String, list: &[String]) {
    buf.clear();
    for (i, v) in list.iter().enumerate() {
        if i > 0 {
            buf.push_str("; ");
        }
        buf.push_str(v);
    }
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

/// Created readable by the owner only: a report lists people's emails and phones.
pub(crate) fn create_private(path: &Path) -> io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

impl ReportWriter {
    pub fn create(path: &Path, format: ReportFormat) -> io::Result<Self> {
        let file = BufWriter::with_capacity(64 * 1024, create_private(path)?);
        let mut w = ReportWriter {
            csv: None,
            jsonl: None,
            num: [0; 20],
            joined: String::new(),
        };
        match format {
            ReportFormat::Csv => {
                let mut c = csv::Writer::from_writer(file);
                c.write_record(COLUMNS)?;
                w.csv = Some(c);
            }
            ReportFormat::Jsonl => w.jsonl = Some(file),
        }
        Ok(w)
    }

    fn write_row(&mut self, o: &RowOutcome) -> io::Result<()> {
        if let Some(c) = &mut self.csv {
            // Fields are written in place, borrowed: no owned string per field and row.
            fn opt(v: &Option<String>) -> std::borrow::Cow<'_, str> {
                neutralize_formula(v.as_deref().unwrap_or(""))
            }
            let row = itoa_u64(o.row, &mut self.num);
            c.write_field(row)?;
            c.write_field(o.status.as_str())?;
            c.write_field(opt(&o.contact_id).as_bytes())?;
            c.write_field(opt(&o.email).as_bytes())?;
            c.write_field(opt(&o.phone).as_bytes())?;
            c.write_field(o.tags_status.as_str("added"))?;
            c.write_field(o.business_status.as_str("set"))?;
            for list in [&o.errors, &o.changes, &o.warnings] {
                join_into(&mut self.joined, list);
                c.write_field(neutralize_formula(&self.joined).as_bytes())?;
            }
            c.write_record(None::<&[u8]>)?;
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
        if let Some(c) = &mut self.csv {
            c.flush()?;
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
            Event::Row(o) => self.write_row(o),
            _ => Ok(()),
        }
    }

    fn finish(&mut self, _: &Summary) -> io::Result<()> {
        self.flush()
    }
}

/// A spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, tab or CR as a formula;
/// such values get a leading `'`. A plain number or E.164 phone is left as it is.
pub fn neutralize_formula(v: &str) -> std::borrow::Cow<'_, str> {
    let risky = matches!(
        v.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::RowStatus;

    #[test]
    fn row_numbers_are_written_as_decimal() {
        let mut buf = [0; 20];
        for n in [0, 7, 10, 99, 1_000_000, u64::MAX] {
            assert_eq!(itoa_u64(n, &mut buf), n.to_string().as_bytes());
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

    #[test]
    fn writes_csv_and_jsonl() {
        let dir = tempfile::tempdir().unwrap();
        let o = RowOutcome {
            email: Some("=bad".into()),
            errors: vec!["column 'Email': bad".into(), "x".into()],
            warnings: vec!["dateOfBirth did not stick".into()],
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
                    "row,status,contact_id,email,phone,tags_status,business_status,errors,changes,warnings\n2,invalid,,'=bad,,,,column 'Email': bad; x,,dateOfBirth did not stick\n"
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
