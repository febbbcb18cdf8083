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
    /// `None`: detected (BOM, else UTF-8 if valid, else a legacy code page).
    pub encoding: Option<TextEncoding>,
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
    Unreadable {
        column: Option<String>,
        message: String,
    },
}

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

mod encoding;
pub use encoding::{TextEncoding, UnknownEncoding};

/// Why a file could not be opened as input. Row-level problems never end up here: they come
/// out as `Unreadable` records so the report still gets a line for them.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read {file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file} is empty")]
    Empty { file: String },
    #[error("{file} has no header row (the first non-blank line must name the columns)")]
    NoHeader { file: String },
    #[error("{file}: the header row is not valid UTF-8 (save the file as UTF-8, or name its encoding with --encoding)")]
    HeaderNotUtf8 { file: String },
    #[error("{file}: cannot read the header row: {message}")]
    Header { file: String, message: String },
}

/// How much of the start of a CSV file is looked at to guess its delimiter.
const SNIFF_BYTES: usize = 64 * 1024;
const SNIFF_LINES: usize = 10;

type Source = Box<dyn Read + Send>;

enum Inner {
    Csv {
        rdr: csv::Reader<Source>,
        headers: Vec<String>,
        delimiter: u8,
        record: csv::ByteRecord,
        /// Spreadsheet row of the last record (header = 1).
        last_row: u64,
        /// Line just after the last record; a gap before the next one is blank lines.
        last_end_line: u64,
        owed_lines: u64,
    },
    Jsonl {
        rdr: BufReader<Source>,
        line: u64,
        buf: Vec<u8>,
        /// The first non-blank line, read at open time to reject empty files.
        pending: Option<(u64, Vec<u8>)>,
    },
}

/// Streams records from one input file, one at a time.
pub struct Reader {
    name: String,
    inner: Inner,
    seq: u64,
    done: bool,
    encoding: &'static encoding_rs::Encoding,
}

impl Reader {
    pub fn open(path: &Path, opts: &InputOptions) -> Result<Reader, InputError> {
        let name = path.display().to_string();
        let file = File::open(path).map_err(|source| InputError::Io {
            file: name.clone(),
            source,
        })?;
        if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
            return Err(InputError::Io {
                file: name,
                source: std::io::Error::other("is a directory"),
            });
        }
        Reader::from_reader(Box::new(file), &name, opts)
    }

    /// `name` is used in error messages and, without `opts.format`, to pick the format by
    /// its extension.
    pub fn from_reader(
        r: Box<dyn Read + Send>,
        name: &str,
        opts: &InputOptions,
    ) -> Result<Reader, InputError> {
        let format = opts.format.unwrap_or_else(|| format_from_name(name));
        let (r, encoding) =
            encoding::decode(r, opts.encoding).map_err(|source| InputError::Io {
                file: name.to_owned(),
                source,
            })?;
        let inner = match format {
            Format::Csv => open_csv(r, name, opts.delimiter)?,
            Format::Jsonl => open_jsonl(r, name)?,
        };
        Ok(Reader {
            name: name.to_owned(),
            inner,
            seq: 0,
            done: false,
            encoding,
        })
    }

    pub fn headers(&self) -> Option<&[String]> {
        match &self.inner {
            Inner::Csv { headers, .. } => Some(headers),
            Inner::Jsonl { .. } => None,
        }
    }

    pub fn format(&self) -> Format {
        match &self.inner {
            Inner::Csv { .. } => Format::Csv,
            Inner::Jsonl { .. } => Format::Jsonl,
        }
    }

    pub fn delimiter(&self) -> Option<u8> {
        match &self.inner {
            Inner::Csv { delimiter, .. } => Some(*delimiter),
            Inner::Jsonl { .. } => None,
        }
    }

    /// The encoding the file was read in, by its WHATWG name (`UTF-8`, `UTF-16LE`,
    /// `windows-1252` …): the name `--encoding` takes, so a person can pin what was detected.
    pub fn encoding(&self) -> &'static str {
        self.encoding.name()
    }

    /// The name given at open time (the path for `open`).
    pub fn name(&self) -> &str {
        &self.name
    }

    fn next_values(&mut self) -> Option<(u64, RecordValues)> {
        match &mut self.inner {
            Inner::Csv {
                rdr,
                headers,
                record,
                last_row,
                last_end_line,
                owed_lines,
                ..
            } => loop {
                match rdr.read_byte_record(record) {
                    Ok(false) => return None,
                    Ok(true) => {
                        // csv skips blank lines silently; recover how many from the line
                        // counter so rows match what a spreadsheet shows. (An unterminated
                        // last line after blank lines comes out one row early.)
                        let end = rdr.position().line();
                        let embedded = record
                            .iter()
                            .map(|c| c.iter().filter(|&&b| b == b'\n').count() as u64)
                            .sum::<u64>();
                        // With CRLF the `\n` of a terminator is only counted on the next
                        // read, so lines expected but not yet seen are carried over.
                        let seen = end.saturating_sub(*last_end_line);
                        let expected = embedded + 1 + *owed_lines;
                        let blank_lines = seen.saturating_sub(expected);
                        *owed_lines = expected.saturating_sub(seen);
                        *last_end_line = end;
                        let row = *last_row + 1 + blank_lines;
                        *last_row = row;
                        if record.iter().all(|c| c.iter().all(u8::is_ascii_whitespace)) {
                            continue;
                        }
                        return Some((row, csv_values(record, headers, row)));
                    }
                    Err(e) => {
                        // Only I/O can fail here (byte records, flexible lengths); stop after it.
                        self.done = true;
                        let row = *last_row + 1;
                        return Some((
                            row,
                            RecordValues::Unreadable {
                                column: None,
                                message: format!("row {row}: read error: {e}"),
                            },
                        ));
                    }
                }
            },
            Inner::Jsonl {
                rdr,
                line,
                buf,
                pending,
            } => {
                let (row, bytes) = match pending.take() {
                    Some(p) => p,
                    None => match next_nonblank_line(rdr, line, buf) {
                        Ok(Some(n)) => (n, std::mem::take(buf)),
                        Ok(None) => return None,
                        Err(e) => {
                            self.done = true;
                            let row = *line + 1;
                            return Some((
                                row,
                                RecordValues::Unreadable {
                                    column: None,
                                    message: format!("line {row}: read error: {e}"),
                                },
                            ));
                        }
                    },
                };
                let values = json_values(&bytes, row);
                *buf = bytes;
                Some((row, values))
            }
        }
    }
}

impl Iterator for Reader {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        if self.done {
            return None;
        }
        match self.next_values() {
            Some((row, values)) => {
                let seq = self.seq;
                self.seq += 1;
                Some(Record { seq, row, values })
            }
            None => {
                self.done = true;
                None
            }
        }
    }
}

fn format_from_name(name: &str) -> Format {
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("jsonl") | Some("ndjson") => Format::Jsonl,
        _ => Format::Csv,
    }
}

fn open_csv(mut r: Source, name: &str, delimiter: Option<u8>) -> Result<Inner, InputError> {
    let io_err = |source| InputError::Io {
        file: name.to_owned(),
        source,
    };
    // Read a prefix to sniff from, then put it back in front of the rest of the stream.
    let mut prefix = Vec::with_capacity(8 * 1024);
    (&mut r)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut prefix)
        .map_err(io_err)?;
    if prefix.starts_with(b"\xEF\xBB\xBF") {
        prefix.drain(..3);
    }
    if prefix.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(InputError::Empty {
            file: name.to_owned(),
        });
    }
    let delimiter = delimiter.unwrap_or_else(|| sniff_delimiter(&prefix));
    let source: Source = Box::new(std::io::Cursor::new(prefix).chain(r));
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(64 * 1024)
        .from_reader(source);
    let mut record = csv::ByteRecord::new();
    let header_line = loop {
        match rdr.read_byte_record(&mut record) {
            Ok(false) => {
                return Err(InputError::NoHeader {
                    file: name.to_owned(),
                })
            }
            Ok(true) if record.iter().all(|c| c.iter().all(u8::is_ascii_whitespace)) => continue,
            Ok(true) => break record.position().map(|p| p.line()).unwrap_or(1),
            Err(e) => {
                return Err(InputError::Header {
                    file: name.to_owned(),
                    message: e.to_string(),
                })
            }
        }
    };
    let headers = record
        .iter()
        .map(|c| String::from_utf8(c.to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| InputError::HeaderNotUtf8 {
            file: name.to_owned(),
        })?;
    let last_end_line = rdr.position().line();
    Ok(Inner::Csv {
        rdr,
        headers,
        delimiter,
        record,
        last_row: header_line,
        last_end_line,
        owed_lines: 0,
    })
}

/// Picks the candidate that appears in the header and splits the following lines into the
/// same number of fields most often; ties go to the more common delimiter.
fn sniff_delimiter(prefix: &[u8]) -> u8 {
    const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
    let mut lines = prefix
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .take(SNIFF_LINES + 1);
    let Some(header) = lines.next() else {
        return b',';
    };
    let rest: Vec<&[u8]> = lines.collect();
    let mut best = (b',', 0usize, 0usize);
    for &d in &CANDIDATES {
        let h = count_unquoted(header, d);
        if h == 0 {
            continue;
        }
        let consistent = rest.iter().filter(|l| count_unquoted(l, d) == h).count();
        if (consistent, h) > (best.1, best.2) {
            best = (d, consistent, h);
        }
    }
    best.0
}

fn count_unquoted(line: &[u8], d: u8) -> usize {
    let mut quoted = false;
    let mut n = 0;
    for &b in line {
        if b == b'"' {
            quoted = !quoted;
        } else if b == d && !quoted {
            n += 1;
        }
    }
    n
}

fn csv_values(record: &csv::ByteRecord, headers: &[String], row: u64) -> RecordValues {
    let mut cells = Vec::with_capacity(record.len());
    for (i, cell) in record.iter().enumerate() {
        match std::str::from_utf8(cell) {
            Ok(s) => cells.push(s.to_owned()),
            Err(e) => {
                let column = headers.get(i).cloned();
                let which = match &column {
                    Some(c) => format!("column '{c}'"),
                    None => format!("cell {}", i + 1),
                };
                return RecordValues::Unreadable {
                    column,
                    message: format!(
                        "row {row}: {which} is not valid UTF-8 (bad byte at offset {}); save the file as UTF-8, or name its encoding with --encoding",
                        e.valid_up_to()
                    ),
                };
            }
        }
    }
    RecordValues::Cells(cells)
}

fn open_jsonl(r: Source, name: &str) -> Result<Inner, InputError> {
    let mut rdr = BufReader::with_capacity(64 * 1024, r);
    let mut line = 0;
    let mut buf = Vec::new();
    let first =
        next_nonblank_line(&mut rdr, &mut line, &mut buf).map_err(|source| InputError::Io {
            file: name.to_owned(),
            source,
        })?;
    let Some(n) = first else {
        return Err(InputError::Empty {
            file: name.to_owned(),
        });
    };
    let mut bytes = std::mem::take(&mut buf);
    if n == 1 && bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    Ok(Inner::Jsonl {
        rdr,
        line,
        buf,
        pending: Some((n, bytes)),
    })
}

/// Reads up to the next line with content into `buf` (without its line ending) and returns
/// its 1-based number.
fn next_nonblank_line(
    rdr: &mut BufReader<Source>,
    line: &mut u64,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<u64>> {
    loop {
        buf.clear();
        if rdr.read_until(b'\n', buf)? == 0 {
            return Ok(None);
        }
        *line += 1;
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        let blank =
            buf.iter().all(u8::is_ascii_whitespace) || (*line == 1 && buf == b"\xEF\xBB\xBF");
        if !blank {
            return Ok(Some(*line));
        }
    }
}

fn json_values(bytes: &[u8], row: u64) -> RecordValues {
    let unreadable = |message: String| RecordValues::Unreadable {
        column: None,
        message,
    };
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(serde_json::Value::Object(map)) => RecordValues::Object(map),
        Ok(other) => {
            let kind = match other {
                serde_json::Value::Array(_) => "a JSON array",
                serde_json::Value::String(_) => "a JSON string",
                serde_json::Value::Number(_) => "a JSON number",
                serde_json::Value::Bool(_) => "a JSON boolean",
                _ => "JSON null",
            };
            unreadable(format!("line {row}: line is {kind}, expected an object"))
        }
        Err(e) => unreadable(format!("line {row}: not valid JSON: {e}")),
    }
}

#[cfg(test)]
mod tests;
