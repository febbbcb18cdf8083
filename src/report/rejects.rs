//! `--rejects`: the invalid rows as they were read, plus an `errors` column, ready to fix and
//! import again. A CSV input gives a CSV (its own headers first), a JSONL input gives JSONL
//! (each object with an `errors` list). The CSV is written with the input's delimiter, and
//! with a UTF-8 BOM when the input had one or was in another encoding (a code page, UTF-16),
//! so that Excel opens it as it opened the input: in columns, accents right.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::new_file::create_private;
use super::writer::neutralize_formula;
use super::{EventSink, Summary};
use crate::event::{Event, RawRecord, RowStatus};

/// The file becomes CSV or JSONL with the first rejected row.
enum Out {
    Unset(BufWriter<File>),
    Csv(Box<csv::Writer<BufWriter<File>>>),
    Jsonl(BufWriter<File>),
    Closed,
}

pub struct RejectsWriter {
    out: Out,
    style: CsvStyle,
    path: PathBuf,
}

/// How a CSV rejects file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvStyle {
    pub delimiter: u8,
    /// A UTF-8 BOM first: Excel reads a CSV without one in the machine's code page.
    pub bom: bool,
    /// The input starts with plain ASCII: it may yet turn out to be in a code page, which
    /// needs the BOM as much (settled when the run is over).
    pub late: bool,
}

impl Default for CsvStyle {
    fn default() -> CsvStyle {
        CsvStyle {
            delimiter: b',',
            bom: false,
            late: false,
        }
    }
}

impl CsvStyle {
    /// As the input is written: its delimiter; a BOM when it had one or was not UTF-8 (we
    /// write UTF-8, never the input's legacy code page: with a BOM, Excel reads it right), or
    /// when it is a workbook (its rows go to a CSV that Excel opens).
    pub fn of_input(path: &Path, opts: &crate::input::InputOptions) -> CsvStyle {
        if crate::input::is_workbook(path, opts) {
            return CsvStyle {
                delimiter: b',',
                bom: true,
                late: false,
            };
        }
        let Ok(reader) = crate::input::Reader::open(path, opts) else {
            return CsvStyle::default();
        };
        let mut start = Vec::with_capacity(3);
        if let Ok(f) = File::open(path) {
            use std::io::Read;
            let _ = f.take(3).read_to_end(&mut start);
        }
        let had_bom = start.starts_with(b"\xEF\xBB\xBF")
            || start.starts_with(b"\xFF\xFE")
            || start.starts_with(b"\xFE\xFF");
        CsvStyle {
            delimiter: reader.delimiter().unwrap_or(b','),
            bom: had_bom || reader.encoding() != "UTF-8",
            late: reader.late_encoding().is_some(),
        }
    }
}

impl RejectsWriter {
    pub fn create(path: &Path) -> io::Result<Self> {
        RejectsWriter::create_styled(path, CsvStyle::default())
    }

    /// [`RejectsWriter::create`], a CSV written in `style`.
    pub fn create_styled(path: &Path, style: CsvStyle) -> io::Result<Self> {
        Ok(RejectsWriter {
            out: Out::Unset(BufWriter::new(create_private(path)?)),
            style,
            path: path.to_owned(),
        })
    }

    /// The rejects of `input`, written as [`CsvStyle::of_input`] says.
    pub fn for_input(
        path: &Path,
        input: &Path,
        opts: &crate::input::InputOptions,
    ) -> io::Result<Self> {
        RejectsWriter::create_styled(path, CsvStyle::of_input(input, opts))
    }

    /// An input read as UTF-8 on its plain ASCII start may turn out to be in a code page
    /// further on, after rows went here without a BOM: Excel, which read the input's accents
    /// right, would read these (written in UTF-8) in its code page. So the BOM goes first now,
    /// when there are accents here and the input's first ones are not UTF-8.
    fn late_bom(&mut self, summary: &Summary) -> io::Result<()> {
        // The run's reader settled the encoding; a code page needs the BOM.
        let code_page = summary
            .late_encoding
            .as_deref()
            .is_some_and(|name| name != "UTF-8");
        if !self.style.late || self.style.bom || !code_page || !matches!(self.out, Out::Csv(_)) {
            return Ok(());
        }
        // Closed first: the file is read back whole.
        self.out = Out::Closed;
        let text = std::fs::read(&self.path)?;
        if text.is_ascii() {
            return Ok(());
        }
        // Beside it, then over it: the rows are never half written.
        let mut name = self.path.file_name().unwrap_or_default().to_owned();
        name.push(".tmp");
        let tmp = self.path.with_file_name(name);
        let mut f = create_private(&tmp)?;
        f.write_all(b"\xEF\xBB\xBF")?;
        f.write_all(&text)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &self.path)
    }

    fn csv(&mut self, headers: Option<&[String]>) -> io::Result<&mut csv::Writer<BufWriter<File>>> {
        if let Out::Unset(_) = self.out {
            let Out::Unset(mut f) = std::mem::replace(&mut self.out, Out::Closed) else {
                unreachable!()
            };
            if self.style.bom {
                f.write_all(b"\xEF\xBB\xBF")?;
            }
            // A row with more cells than the header is written as it was read, its errors
            // after its last cell: the file is as ragged as the input was.
            let mut w = csv::WriterBuilder::new()
                .flexible(true)
                .delimiter(self.style.delimiter)
                .from_writer(f);
            if let Some(h) = headers {
                let mut line: Vec<&str> = h.iter().map(String::as_str).collect();
                line.push("errors");
                w.write_record(line)?;
            }
            self.out = Out::Csv(Box::new(w));
        }
        match &mut self.out {
            Out::Csv(w) => Ok(w),
            _ => Err(io::Error::other("rejects: CSV and JSONL rows in one file")),
        }
    }

    fn jsonl(&mut self) -> io::Result<&mut BufWriter<File>> {
        if let Out::Unset(_) = self.out {
            let Out::Unset(f) = std::mem::replace(&mut self.out, Out::Closed) else {
                unreachable!()
            };
            self.out = Out::Jsonl(f);
        }
        match &mut self.out {
            Out::Jsonl(w) => Ok(w),
            _ => Err(io::Error::other("rejects: CSV and JSONL rows in one file")),
        }
    }

    fn write(&mut self, raw: &RawRecord, row: u64, errors: &[String]) -> io::Result<()> {
        let joined = errors.join("; ");
        let safe = |c: &str| neutralize_formula(c).into_owned();
        match raw {
            RawRecord::Cells { headers, cells } => {
                // Blank cells past the header (a spreadsheet's trailing commas) are dropped, so
                // the errors land in their column whenever only blanks stood past it.
                let mut n = cells.len();
                while n > headers.len() && cells[n - 1].trim().is_empty() {
                    n -= 1;
                }
                let mut line: Vec<String> = cells[..n].iter().map(|c| safe(c)).collect();
                line.resize(headers.len().max(n), String::new());
                line.push(safe(&joined));
                self.csv(Some(headers))?.write_record(line)?;
                Ok(())
            }
            RawRecord::Object(o) => {
                let mut o = o.clone();
                o.insert(
                    "errors".into(),
                    errors
                        .iter()
                        .map(|e| serde_json::Value::String(e.clone()))
                        .collect(),
                );
                let w = self.jsonl()?;
                serde_json::to_writer(&mut *w, &o)?;
                w.write_all(b"\n")
            }
            RawRecord::Unreadable {
                headers: Some(headers),
            } => {
                // A CSV row that could not be read: its cells are unknown; its errors go in the
                // errors column.
                let mut line = vec![String::new(); headers.len().max(1)];
                line[0] = format!("(row {row} could not be read)");
                line.push(safe(&joined));
                self.csv(Some(headers))?.write_record(line)?;
                Ok(())
            }
            RawRecord::Unreadable { headers: None } => {
                let w = self.jsonl()?;
                serde_json::to_writer(
                    &mut *w,
                    &serde_json::json!({ "row": row, "errors": errors }),
                )?;
                w.write_all(b"\n")
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.out {
            Out::Unset(w) | Out::Jsonl(w) => w.flush(),
            Out::Csv(w) => w.flush(),
            Out::Closed => Ok(()),
        }
    }
}

impl EventSink for RejectsWriter {
    fn on_event(&mut self, event: &Event) -> io::Result<()> {
        match event {
            Event::Row(o) if o.status == RowStatus::Invalid => {
                if let Some(raw) = &o.raw {
                    self.write(raw, o.row, &o.errors)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.flush()?;
        self.late_bom(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn written(raws: &[RawRecord]) -> Vec<Vec<String>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rejects.csv");
        let mut w = RejectsWriter::create(&path).unwrap();
        for (i, raw) in raws.iter().enumerate() {
            w.write(raw, i as u64 + 2, &["bad".to_owned()]).unwrap();
        }
        w.flush().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .from_reader(text.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect()
    }

    #[test]
    fn every_kind_of_csv_row_keeps_its_errors_under_the_header_or_after_its_own_cells() {
        let headers: Arc<[String]> = Arc::from(vec!["email".to_owned(), "name".to_owned()]);
        let cells = |c: &[&str]| RawRecord::Cells {
            headers: headers.clone(),
            cells: c.iter().map(|s| s.to_string()).collect(),
        };
        let rows = written(&[
            // An unreadable row first: still CSV, under the file's headers.
            RawRecord::Unreadable {
                headers: Some(headers.clone()),
            },
            cells(&["a@x", "Ann"]),
            // Short, and with trailing blanks past the header (Excel's trailing commas).
            cells(&["b@x"]),
            cells(&["c@x", "Cy", "", " "]),
            // Really more cells: kept as read, its errors after them.
            cells(&["d@x", "Di", "extra"]),
        ]);
        let want: Vec<Vec<&str>> = vec![
            vec!["email", "name", "errors"],
            vec!["(row 2 could not be read)", "", "bad"],
            vec!["a@x", "Ann", "bad"],
            vec!["b@x", "", "bad"],
            vec!["c@x", "Cy", "bad"],
            vec!["d@x", "Di", "extra", "bad"],
        ];
        assert_eq!(rows, want);
    }
}
