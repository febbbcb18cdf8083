//! Stage 1: streaming readers for CSV, JSONL and Excel workbooks. Constant memory in file
//! size: one record at a time. A record that cannot be read still comes out (as `Unreadable`) so that it gets its
//! line in the report.

// CONTRACT (helper fills in the implementation; keep these public names and shapes).

/// Which kind of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Jsonl,
    /// An Excel .xlsx workbook: one sheet, read like a CSV file.
    Xlsx,
}

#[derive(Debug, Clone, Default)]
pub struct InputOptions {
    /// `None`: a workbook by its first bytes or extension, JSON by its first bytes (`{` or
    /// `[`, whatever the extension), else by the extension (`.jsonl`/`.ndjson` → JSONL, else
    /// CSV).
    pub format: Option<Format>,
    /// `--sheet`: the workbook sheet to read (`None`: the first visible worksheet).
    pub sheet: Option<String>,
    /// `None`: auto-detect among `,` `;` tab `|`.
    pub delimiter: Option<u8>,
    /// `None`: detected (BOM, else UTF-8 if valid, else a legacy code page).
    pub encoding: Option<TextEncoding>,
    /// `--max-field-size` / `--max-row-size`: what is kept of one cell and one record.
    pub limits: Limits,
    /// `--skip-lines`: lines of a CSV file (rows of a sheet) above the header, left unread:
    /// a report export's title block. Rows keep their numbers in the file.
    pub skip_lines: u64,
}

/// One input record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// 0, 1, 2 … in file order, contiguous: the report's ordering key.
    pub seq: u64,
    /// As a person sees it: CSV header is row 1, first contact row 2; JSONL: the line number;
    /// a JSON array (or objects spread over lines): the object's position, 1 for the first.
    pub row: u64,
    pub values: RecordValues,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RecordValues {
    /// CSV or sheet cells, aligned with `Reader::headers()`.
    Cells(CellRow),
    /// One JSONL object.
    Object(JsonRow),
    /// The record could not be read (bad JSON, a quote never closed …); the message says why.
    /// A CSV cell that is not text costs only itself (see [`CellRow::unreadable`]).
    Unreadable {
        column: Option<String>,
        message: String,
    },
    /// A line of a report's footer below the last contact (Salesforce's "Confidential
    /// Information …"): reported as skipped, with the reason, and never sent.
    Footer { reason: String },
}

/// One JSONL object, less the values in it that were not text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JsonRow {
    pub map: serde_json::Map<String, serde_json::Value>,
    /// Values on a line with bytes that are not UTF-8, taken out of `map`: (key, the value as
    /// far as it reads, bad bytes as U+FFFD, why). The mapper leaves them out and names them.
    pub unreadable: Vec<(String, serde_json::Value, String)>,
}

impl From<serde_json::Map<String, serde_json::Value>> for JsonRow {
    fn from(map: serde_json::Map<String, serde_json::Value>) -> JsonRow {
        JsonRow {
            map,
            unreadable: Vec::new(),
        }
    }
}

impl std::ops::Deref for JsonRow {
    type Target = serde_json::Map<String, serde_json::Value>;

    fn deref(&self) -> &Self::Target {
        &self.map
    }
}

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

mod cells;
mod csv_stream;
mod encoding;
mod footer;
mod json_object;
mod json_stream;
mod xlsx;
mod zip_listing;
pub use cells::{preview_len, trim, CellRow};
pub use csv_stream::Limits;
use csv_stream::{CsvStream, Problem};
pub use encoding::{Late, LateGuess, TextEncoding, UnknownEncoding};
pub use json_object::is_custom_fields;

/// Why a file could not be opened as input. Row-level problems never end up here: they come
/// out as `Unreadable` records so the report still gets a line for them.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read {file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file} is empty: nothing to import (check that the export finished and that this is the file you meant)")]
    Empty { file: String },
    #[error("{file} has no header row (the first non-blank line must name the columns)")]
    NoHeader { file: String },
    #[error("{file}: the header row is not valid UTF-8 (save the file as UTF-8, or name its encoding with --encoding)")]
    HeaderNotUtf8 { file: String },
    #[error("{file}: cannot read the header row: {message}")]
    Header { file: String, message: String },
    #[error("{file} is {what}, not a CSV or JSONL text file{hint}")]
    Binary {
        file: String,
        what: &'static str,
        hint: &'static str,
    },
    #[error("{file}: {message}")]
    Workbook { file: String, message: String },
    #[error("--skip-lines {skip}: {file} has nothing after its first {skip} lines; give the number of title lines above the header")]
    SkippedAll { file: String, skip: u64 },
    #[error("--skip-lines is for CSV files and workbooks (title lines above a header row); {file} is JSON, whose lines are all records: drop --skip-lines")]
    SkipLinesJson { file: String },
    #[error("{file} is one JSON object with the contacts in its list '{key}' ({count} objects), not one contact per object: take the list out (for example `jq '.{key}' {file} > contacts.json`) and import that")]
    Wrapped {
        file: String,
        key: String,
        count: usize,
    },
    #[error("--sheet '{sheet}': {file} is {what}, not an Excel workbook, so it has no sheets; drop --sheet, or give the workbook (.xlsx) itself")]
    SheetOfText {
        file: String,
        sheet: String,
        what: &'static str,
    },
    #[error(
        "{file} has no worksheet named '{sheet}'; its sheets: {names} (name one with --sheet)"
    )]
    NoSheet {
        file: String,
        sheet: String,
        names: String,
    },
}

/// How much of the start of a CSV file is looked at to guess its delimiter.
const SNIFF_BYTES: usize = 64 * 1024;
const SNIFF_LINES: usize = 10;

type Source = Box<dyn Read + Send>;

enum Inner {
    Csv {
        stream: Box<CsvStream>,
        headers: Vec<String>,
        delimiter: u8,
    },
    Jsonl {
        rdr: BufReader<Source>,
        line: u64,
        buf: Vec<u8>,
        /// The first record, read at open time to reject empty files.
        pending: Option<(u64, Result<Line, String>)>,
        limits: Limits,
        /// `Some`: a JSON array or objects spread over lines, read value by value.
        values: Option<json_stream::ValueScan>,
    },
    Xlsx(Box<xlsx::XlsxStream>),
}

/// Streams records from one input file, one at a time.
pub struct Reader {
    name: String,
    inner: Inner,
    seq: u64,
    done: bool,
    encoding: &'static encoding_rs::Encoding,
    /// Rows read ahead to see whether a block after a blank row is a footer.
    ahead: std::collections::VecDeque<(u64, RecordValues)>,
    /// The row number of the last row given out (0: none yet).
    last_row: u64,
    /// Why the encoding was chosen, when it was a guess worth saying (Mac Roman).
    encoding_why: Option<String>,
    /// The lines `--skip-lines` left unread, as their start reads, for the summary.
    skipped: Vec<String>,
    /// The encoding, when a plain ASCII start left it to the first non-ASCII bytes.
    late: Option<LateGuess>,
}

impl Reader {
    pub fn open(path: &Path, opts: &InputOptions) -> Result<Reader, InputError> {
        Reader::open_through(path, opts, |f| Box::new(f))
    }

    /// [`Reader::open`], with `through` put between a text file and its reader (the
    /// pre-pass hashes the bytes as they pass). A workbook is read from the file itself.
    pub fn open_through(
        path: &Path,
        opts: &InputOptions,
        through: impl FnOnce(File) -> Box<dyn Read + Send>,
    ) -> Result<Reader, InputError> {
        let name = path.display().to_string();
        let io_err = |source| InputError::Io {
            file: name.clone(),
            source,
        };
        let mut file = File::open(path).map_err(io_err)?;
        if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
            return Err(io_err(std::io::Error::other("is a directory")));
        }
        // A workbook is read from the file itself (a ZIP archive needs to seek).
        let mut magic = Vec::with_capacity(4);
        (&mut file)
            .take(4)
            .read_to_end(&mut magic)
            .and_then(|_| file.rewind())
            .map_err(io_err)?;
        if xlsx::is_workbook(&name, opts.format, &magic) {
            // An export ZIP of CSV files is no damaged workbook: Excel would not open it either.
            let listed = magic.starts_with(b"PK\x03\x04").then(|| {
                let names = zip_listing::names(&mut file);
                let _ = file.rewind();
                names
            });
            if let Some(message) = listed
                .flatten()
                .as_deref()
                .and_then(zip_listing::csv_archive)
            {
                return Err(InputError::Workbook {
                    file: name,
                    message,
                });
            }
            let mut stream = xlsx::open(file, &magic, &name, opts)?;
            let skipped = std::mem::take(&mut stream.skipped);
            return Ok(Reader {
                name,
                inner: Inner::Xlsx(Box::new(stream)),
                seq: 0,
                done: false,
                encoding: encoding_rs::UTF_8,
                ahead: Default::default(),
                last_row: 0,
                encoding_why: None,
                skipped,
                late: None,
            });
        }
        Reader::from_reader(through(file), &name, opts)
    }

    /// `name` is used in error messages and, without `opts.format`, to pick the format by
    /// its extension.
    pub fn from_reader(
        r: Box<dyn Read + Send>,
        name: &str,
        opts: &InputOptions,
    ) -> Result<Reader, InputError> {
        let io_err = |source| InputError::Io {
            file: name.to_owned(),
            source,
        };
        let sniffing = opts.format.is_none() && format_from_name(name) != Format::Jsonl;
        // JSON is known by its first characters, so text whose bytes are not UTF-8's
        // (PowerShell 5.1's `ConvertTo-Json > x.json` writes UTF-16) is decoded first: the
        // encoding is then certain (a BOM, or --encoding) whatever the format.
        let (r, decoded) = match sniffing {
            true => decode_when_certain(r, opts.encoding).map_err(io_err)?,
            false => (r, None),
        };
        // JSON is known by its first bytes: a `.json` (or any) file read as CSV loses rows.
        // A file named or declared JSONL is read line by line, whatever its lines hold.
        let (r, shape) = match sniffing {
            true => sniff_json(r).map_err(io_err)?,
            false => (r, None),
        };
        let format = match (opts.format, shape) {
            (Some(f), _) => f,
            (None, Some(_)) => Format::Jsonl,
            (None, None) => format_from_name(name),
        };
        // Ignoring it would read the whole file when the user meant one sheet of another.
        if let (Some(sheet), Format::Csv | Format::Jsonl) = (&opts.sheet, format) {
            return Err(InputError::SheetOfText {
                file: name.to_owned(),
                sheet: sheet.clone(),
                what: if format == Format::Csv {
                    "a CSV file"
                } else {
                    "a JSONL file"
                },
            });
        }
        let (r, encoding, binary, encoding_why, late) = match decoded {
            Some(encoding) => (r, encoding, None, None, None),
            None => {
                let d =
                    encoding::decode(r, opts.encoding, format == Format::Jsonl).map_err(io_err)?;
                (d.source, d.encoding, d.binary, d.why, d.late)
            }
        };
        if let Some((what, hint)) = binary {
            return Err(InputError::Binary {
                file: name.to_owned(),
                what,
                hint,
            });
        }
        if format == Format::Jsonl && opts.skip_lines > 0 {
            return Err(InputError::SkipLinesJson {
                file: name.to_owned(),
            });
        }
        let mut skipped = Vec::new();
        let inner = match format {
            Format::Csv => open_csv(r, name, opts, &mut skipped)?,
            Format::Jsonl => open_jsonl(r, name, opts.limits, shape)?,
            Format::Xlsx => {
                return Err(InputError::Workbook {
                    file: name.to_owned(),
                    message: "a workbook is read from a file path, not a stream".into(),
                })
            }
        };
        Ok(Reader {
            name: name.to_owned(),
            inner,
            seq: 0,
            done: false,
            encoding,
            ahead: Default::default(),
            last_row: 0,
            encoding_why,
            skipped,
            late,
        })
    }

    pub fn headers(&self) -> Option<&[String]> {
        match &self.inner {
            Inner::Csv { headers, .. } => Some(headers),
            Inner::Xlsx(x) => Some(&x.headers),
            Inner::Jsonl { .. } => None,
        }
    }

    pub fn format(&self) -> Format {
        match &self.inner {
            Inner::Csv { .. } => Format::Csv,
            Inner::Jsonl { .. } => Format::Jsonl,
            Inner::Xlsx(_) => Format::Xlsx,
        }
    }

    /// How many rows follow the header, when the file says so without being read through
    /// (a workbook's declared sheet size; blank rows included).
    pub fn rows_hint(&self) -> Option<u64> {
        match &self.inner {
            Inner::Xlsx(x) => x.rows_hint,
            _ => None,
        }
    }

    /// The workbook sheet being read.
    pub fn sheet(&self) -> Option<&str> {
        match &self.inner {
            Inner::Xlsx(x) => Some(&x.sheet),
            _ => None,
        }
    }

    /// How a JSON file holds its records, for the run's summary: `JSONL`, `JSON array` or
    /// `JSON objects` (one after another, over lines). `None` for other files.
    pub fn json_shape(&self) -> Option<&'static str> {
        match &self.inner {
            Inner::Jsonl { values: None, .. } => Some("JSONL"),
            Inner::Jsonl {
                values: Some(v), ..
            } => Some(if v.array {
                "JSON array"
            } else {
                "JSON objects"
            }),
            _ => None,
        }
    }

    pub fn delimiter(&self) -> Option<u8> {
        match &self.inner {
            Inner::Csv { delimiter, .. } => Some(*delimiter),
            Inner::Jsonl { .. } | Inner::Xlsx(_) => None,
        }
    }

    /// The encoding the file was read in, by its WHATWG name (`UTF-8`, `UTF-16LE`,
    /// `windows-1252` …): the name `--encoding` takes, so a person can pin what was detected.
    pub fn encoding(&self) -> &'static str {
        match self.late.as_ref().and_then(LateGuess::get) {
            Some(late) => late.encoding.name(),
            None => self.encoding.name(),
        }
    }

    /// The encoding as the reading settles it, when a plain ASCII start left it open: read
    /// after the rows.
    pub fn late_encoding(&self) -> Option<LateGuess> {
        self.late.clone()
    }

    /// [`Reader::encoding`], with why it was chosen when that was a guess between code pages
    /// worth saying: "macintosh (detected: … Mac Roman …; --encoding windows-1252 if …)".
    pub fn encoding_described(&self) -> String {
        let why = match self.late.as_ref().and_then(LateGuess::get) {
            Some(late) => late.why.as_deref(),
            None => self.encoding_why.as_deref(),
        };
        match why {
            Some(why) => format!("{} ({why})", self.encoding()),
            None => self.encoding().to_owned(),
        }
    }

    /// The lines (a workbook's rows) `--skip-lines` left unread above the header, each as
    /// its start reads (blank ones empty).
    pub fn skipped_lines(&self) -> &[String] {
        &self.skipped
    }

    /// The name given at open time (the path for `open`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reads the next record into `slot`, reusing its buffers: a CSV record's cells are read
    /// into the cells it held (no allocation per record when the caller hands records back).
    /// `false` at the end, when `slot` holds no record any more (drop it).
    pub fn next_into(&mut self, slot: &mut Record) -> bool {
        if self.done && self.ahead.is_empty() {
            return false;
        }
        // A CSV record goes straight into the slot's cells: a record is over 200 bytes, and
        // moving it out and back in cost four copies of it per row.
        if let (
            Inner::Csv {
                stream, headers, ..
            },
            RecordValues::Cells(cells),
        ) = (&mut self.inner, &mut slot.values)
        {
            let Some((row, other)) = next_csv(stream, headers, &self.name, cells, &mut self.done)
            else {
                self.done = true;
                return false;
            };
            if let Some(values) = other {
                slot.values = values;
            }
            slot.seq = self.seq;
            slot.row = row;
            self.seq += 1;
            return true;
        }
        let empty = RecordValues::Unreadable {
            column: None,
            message: String::new(),
        };
        let cells = match std::mem::replace(&mut slot.values, empty) {
            RecordValues::Cells(c) => c,
            _ => CellRow::default(),
        };
        match self.next_values_into(cells) {
            Some((row, values)) => {
                *slot = Record {
                    seq: self.seq,
                    row,
                    values,
                };
                self.seq += 1;
                true
            }
            None => {
                self.done = true;
                false
            }
        }
    }

    fn next_values(&mut self) -> Option<(u64, RecordValues)> {
        self.next_values_into(CellRow::default())
    }

    /// The next record, a report footer's rows and a last totals line made
    /// [`RecordValues::Footer`]. `cells`: where a CSV record's cells go (cleared first).
    fn next_values_into(&mut self, cells: CellRow) -> Option<(u64, RecordValues)> {
        let (row, values) = self.next_block_values(cells)?;
        if self.format() == Format::Jsonl {
            return Some((row, values));
        }
        let Some(text) = footer::totals(&values) else {
            return Some((row, values));
        };
        // A totals line only as the file's last record: the one after it is read ahead.
        match self.next_block_values(CellRow::default()) {
            Some(after) => {
                self.ahead.push_front(after);
                Some((row, values))
            }
            None => {
                let text = text.to_owned();
                Some((row, footer::totals_skipped(&text)))
            }
        }
    }

    /// The next record, a report footer's rows made [`RecordValues::Footer`].
    fn next_block_values(&mut self, cells: CellRow) -> Option<(u64, RecordValues)> {
        if let Some(next) = self.ahead.pop_front() {
            return Some(next);
        }
        let (row, values) = self.read_values_into(cells)?;
        // Only after a blank row (a gap in the numbers), in a sheet-like file.
        let after_blank = self.last_row > 0 && row > self.last_row + 1;
        self.last_row = row;
        if !after_blank || self.format() == Format::Jsonl {
            return Some((row, values));
        }
        let Some(text) = footer::line(&values) else {
            return Some((row, values));
        };
        let mut signed = footer::is_signature(text);
        let mut block = vec![(row, values)];
        let footer = loop {
            if block.len() > footer::MAX_ROWS || self.done {
                break false;
            }
            let Some((row, values)) = self.read_values_into(CellRow::default()) else {
                break signed;
            };
            self.last_row = row;
            let text = footer::line(&values);
            let more = text.is_some();
            signed |= text.is_some_and(footer::is_signature);
            block.push((row, values));
            if !more {
                break false;
            }
        };
        if footer {
            for (_, values) in &mut block {
                let text = footer::line(values).unwrap_or_default().to_owned();
                *values = footer::skipped(&text);
            }
        }
        self.ahead.extend(block);
        self.ahead.pop_front()
    }

    fn read_values_into(&mut self, mut cells: CellRow) -> Option<(u64, RecordValues)> {
        let name = self.name.as_str();
        match &mut self.inner {
            Inner::Xlsx(x) => x.next_row(),
            Inner::Csv {
                stream, headers, ..
            } => {
                let (row, other) = next_csv(stream, headers, name, &mut cells, &mut self.done)?;
                Some((row, other.unwrap_or(RecordValues::Cells(cells))))
            }
            Inner::Jsonl {
                rdr,
                line: _,
                buf,
                pending,
                limits,
                values: Some(scan),
            } => {
                let (row, bytes) = match pending.take() {
                    Some(p) => p,
                    None => match next_json_value(scan, rdr, buf, limits.max_row, name) {
                        Ok(Some(next)) => next,
                        Ok(None) => return None,
                        Err(e) => {
                            self.done = true;
                            return Some((
                                scan.next_row(),
                                RecordValues::Unreadable {
                                    column: None,
                                    message: format!("{name}: read error: {e}"),
                                },
                            ));
                        }
                    },
                };
                let values = match bytes {
                    Ok(bytes) => {
                        let values = json_values(&bytes, name, &bytes.place, *limits);
                        *buf = bytes.bytes;
                        values
                    }
                    Err(message) => RecordValues::Unreadable {
                        column: None,
                        message,
                    },
                };
                Some((row, values))
            }
            Inner::Jsonl {
                rdr,
                line,
                buf,
                pending,
                limits,
                values: None,
            } => {
                let (row, bytes) = match pending.take() {
                    Some((row, Ok(bytes))) => (row, bytes),
                    Some((row, Err(message))) => {
                        return Some((
                            row,
                            RecordValues::Unreadable {
                                column: None,
                                message,
                            },
                        ))
                    }
                    None => match next_nonblank_line(rdr, line, buf, limits.max_row) {
                        Ok(Some((n, truncated))) => (
                            n,
                            Line {
                                bytes: std::mem::take(buf),
                                truncated,
                                place: format!("line {n}"),
                            },
                        ),
                        Ok(None) => return None,
                        Err(e) => {
                            self.done = true;
                            let row = *line + 1;
                            return Some((
                                row,
                                RecordValues::Unreadable {
                                    column: None,
                                    message: format!("{name}, line {row}: read error: {e}"),
                                },
                            ));
                        }
                    },
                };
                let values = json_values(&bytes, name, &bytes.place, *limits);
                *buf = bytes.bytes;
                Some((row, values))
            }
        }
    }
}

/// A record as a pass that only looks at some cells sees it (the pre-pass): a CSV record's
/// bytes as read, checked as text only for what is asked, or the values the iterator gives.
pub enum Look<'a> {
    Raw { bytes: &'a [u8], ends: &'a [usize] },
    Values(&'a RecordValues),
}

impl Look<'_> {
    /// Cell `i`, when the record has it as text the run reads (a cell with bad bytes or a
    /// NUL is left out, as [`csv_values`] marks it; the record's other cells still count).
    pub fn cell(&self, i: usize) -> Option<&str> {
        match self {
            Look::Raw { bytes, ends } => {
                let end = *ends.get(i)?;
                let start = if i == 0 { 0 } else { ends[i - 1] };
                cell_text(&bytes[start..end]).ok()
            }
            Look::Values(RecordValues::Cells(c)) if c.unreadable(i).is_none() => c.get(i),
            Look::Values(_) => None,
        }
    }

    /// The values the iterator gives for this record.
    pub fn to_values(&self) -> RecordValues {
        match self {
            Look::Raw { bytes, ends } => {
                let mut cells = CellRow::default();
                csv_values(bytes, ends, &mut cells);
                RecordValues::Cells(cells)
            }
            Look::Values(v) => (*v).clone(),
        }
    }
}

impl Reader {
    /// Every record left, in order, as the iterator gives them, but for CSV as read (nothing
    /// copied, nothing checked unless asked): for a pass that only looks (the pre-pass).
    /// Returns how many there were.
    pub fn look_at_each(&mut self, f: impl FnMut(&Look)) -> u64 {
        self.look_at_first(usize::MAX, f)
    }

    /// How many records are left, as the iterator gives them, each read only as far as
    /// counting needs: a CSV record for its quotes and line ends (a quoted line break is
    /// not a row, a blank line is none), a JSONL line for its end, in the file's encoding.
    /// For a progress total.
    pub fn count_rest(&mut self) -> u64 {
        if let (
            Inner::Jsonl {
                rdr,
                line,
                buf,
                pending,
                limits,
                values: None,
            },
            false,
        ) = (&mut self.inner, self.done)
        {
            let mut n = u64::from(pending.take().is_some());
            // A read error ends the lines with one record saying so.
            loop {
                match next_nonblank_line(rdr, line, buf, limits.max_row) {
                    Ok(Some(_)) => n += 1,
                    Ok(None) => break,
                    Err(_) => {
                        n += 1;
                        break;
                    }
                }
            }
            self.done = true;
            self.seq += n;
            return n;
        }
        self.look_at_first(1, |_| {})
    }

    /// [`Reader::look_at_each`] for a pass that looks only at the first `cells` cells: a
    /// CSV record may give only those (see [`CsvStream::skim_to`]), skimmed past the rest.
    pub fn look_at_first(&mut self, cells: usize, mut f: impl FnMut(&Look)) -> u64 {
        let mut n = 0;
        let name = self.name.as_str();
        if let (
            Inner::Csv {
                stream, headers, ..
            },
            false,
        ) = (&mut self.inner, self.done)
        {
            if cells != usize::MAX {
                stream.skim_to(cells);
            }
            while let Some((_, other)) = next_csv_raw(stream, headers, name, &mut self.done) {
                n += 1;
                match other {
                    Some(values) => f(&Look::Values(&values)),
                    None => {
                        let (bytes, ends) = stream.record();
                        f(&Look::Raw { bytes, ends });
                    }
                }
                if self.done {
                    break;
                }
            }
            self.done = true;
            self.seq += n;
            return n;
        }
        for record in self.by_ref() {
            n += 1;
            f(&Look::Values(&record.values));
        }
        n
    }
}

/// Below this size a file is looked at on one thread: a second one would not pay.
pub const SPLIT_FROM_BYTES: u64 = 8 * 1024 * 1024;

/// A large file is read in about this many parts, none under [`PART_MIN`]: small enough that
/// when one thread is held up (the phone warm-up, another process on the same cores) the
/// others read what is left, large enough that opening one costs nothing next to reading it.
const PARTS: u64 = 32;
const PART_MIN: u64 = 1 << 20;

/// [`Reader::look_at_first`] over a large plain UTF-8 CSV file in parts, on this thread and
/// one or more others, each taking the next part when done with its last: the first part
/// here (`reader`, freshly opened on `path` and not read from, only says how), the others
/// from the start of a line. One of the other threads finds those starts, at memory speed,
/// while this one reads: each the first line from about a part's size on that no quoted
/// cell runs across, by the parity of the quotes before it. A line start that a quoted cell
/// runs across after all (a quote the count misjudged) leaves the part before it ending
/// inside a quoted cell: then, as when the file cannot be split this way (small, not CSV,
/// not UTF-8) or its parts settle a plain ASCII start's encoding otherwise than one read
/// would, the parts are discarded (`None`) and the caller reads it whole. `cells`: how many
/// of a record's first cells `see` looks at; each part's looks start from a clone of
/// `start`. Returns how many records there were, and each part's looks, in file order.
/// A part counts rows from where it starts: only its unreadable records' messages (which
/// name a row) differ from one read's.
pub fn look_at_each_in_parts<T: Clone + Send + Sync>(
    reader: &Reader,
    path: &Path,
    opts: &InputOptions,
    cells: usize,
    start: T,
    see: impl Fn(&mut T, &Look) + Sync,
) -> Option<(u64, Vec<T>)> {
    let (
        Inner::Csv {
            headers,
            delimiter,
            stream,
        },
        true,
    ) = (&reader.inner, reader.encoding == encoding_rs::UTF_8)
    else {
        return None;
    };
    let size = std::fs::metadata(path).ok()?.len();
    if size < SPLIT_FROM_BYTES {
        return None;
    }
    let step = (size / PARTS).max(PART_MIN);
    let splits = Arc::new(Splits::default());
    let next = AtomicUsize::new(1);
    let failed = AtomicBool::new(false);
    let later = Later {
        path,
        name: &reader.name,
        headers,
        delimiter: *delimiter,
        limits: stream.limits(),
        encoding: reader.encoding,
        late: reader.late.is_some(),
        step,
        cells,
    };
    let (see, start, splits_ref) = (&see, &start, &splits);
    // Takes the next part until none is left (or one could not be read).
    let take_parts = |out: &mut Vec<(usize, Part<T>)>| loop {
        if failed.load(Ordering::Relaxed) {
            return;
        }
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(from) = splits_ref.start(i) else {
            return;
        };
        match later.read(i, from, splits_ref, start.clone(), see) {
            Some(part) => out.push((i, part)),
            None => failed.store(true, Ordering::Relaxed),
        }
    };
    let helpers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 4)
        - 1;
    let mut parts = std::thread::scope(|s| {
        let mut threads = Vec::with_capacity(helpers);
        for h in 0..helpers {
            let take_parts = &take_parts;
            let splits = splits.clone();
            let spawned = std::thread::Builder::new()
                .name("ghl-import-scan".into())
                .spawn_scoped(s, move || {
                    if h == 0 {
                        find_splits(path, size, step, &splits);
                    }
                    let mut out = Vec::new();
                    take_parts(&mut out);
                    out
                });
            match spawned {
                Ok(t) => threads.push(t),
                // Without the thread that finds the splits this one would wait for them.
                Err(_) if h == 0 => return None,
                Err(_) => break,
            }
        }
        let mut parts = Vec::new();
        let head = Reader::open_through(path, opts, |file| {
            Box::new(PartFile::new(file, 0, step, 1, splits.clone()))
        });
        match head {
            Ok(mut head) => {
                let mut seen = start.clone();
                let rows = head.look_at_first(cells, |v| see(&mut seen, v));
                parts.push((0, Part::of(rows, seen, &head)));
                take_parts(&mut parts);
            }
            Err(_) => failed.store(true, Ordering::Relaxed),
        }
        for t in threads {
            parts.extend(t.join().ok()?);
        }
        Some(parts)
    })?;
    if failed.load(Ordering::Relaxed) {
        return None;
    }
    parts.sort_unstable_by_key(|(i, _)| *i);
    let in_order = parts.iter().enumerate().all(|(n, (i, _))| n == *i);
    // Any other problem record is one a single read has too, in the same place.
    let clean = parts.iter().rev().skip(1).all(|(_, p)| !p.ended_in_quote);
    let lates: Vec<Option<Late>> = parts
        .iter()
        .map(|(_, p)| p.late.as_ref().and_then(|g| g.get().cloned()))
        .collect();
    if !(in_order && clean && parts_agree(&lates)) {
        return None;
    }
    let rows = parts.iter().map(|(_, p)| p.rows).sum();
    Some((rows, parts.into_iter().map(|(_, p)| p.seen).collect()))
}

/// What reading one part found.
struct Part<T> {
    rows: u64,
    seen: T,
    ended_in_quote: bool,
    late: Option<LateGuess>,
}

impl<T> Part<T> {
    fn of(rows: u64, seen: T, reader: &Reader) -> Part<T> {
        let ended_in_quote =
            matches!(&reader.inner, Inner::Csv { stream, .. } if stream.ended_in_quote);
        Part {
            rows,
            seen,
            ended_in_quote,
            late: reader.late.clone(),
        }
    }
}

/// How the parts after the first are read: as the first part's reader reads.
struct Later<'a> {
    path: &'a Path,
    name: &'a str,
    headers: &'a [String],
    delimiter: u8,
    limits: Limits,
    encoding: &'static encoding_rs::Encoding,
    late: bool,
    step: u64,
    cells: usize,
}

impl Later<'_> {
    /// Part `i`, from `from` to the next split. `None` when the file cannot be read there.
    fn read<T>(
        &self,
        i: usize,
        from: u64,
        splits: &Arc<Splits>,
        mut seen: T,
        see: &(impl Fn(&mut T, &Look) + Sync),
    ) -> Option<Part<T>> {
        let mut file = File::open(self.path).ok()?;
        file.seek(std::io::SeekFrom::Start(from)).ok()?;
        let part: Source = Box::new(PartFile::new(
            file,
            from,
            from + self.step,
            i + 1,
            splits.clone(),
        ));
        // Settled where its own accented letters are, as one read settles it there.
        let late = self.late.then(LateGuess::default);
        let source: Source = match &late {
            Some(g) => encoding::late_sniff(part, g.clone()),
            None => part,
        };
        let mut reader = Reader {
            name: self.name.to_owned(),
            inner: Inner::Csv {
                stream: Box::new(CsvStream::new(source, self.delimiter, self.limits)),
                headers: self.headers.to_vec(),
                delimiter: self.delimiter,
            },
            seq: 0,
            done: false,
            encoding: self.encoding,
            ahead: Default::default(),
            last_row: 0,
            encoding_why: None,
            skipped: Vec::new(),
            late,
        };
        let rows = reader.look_at_first(self.cells, |v| see(&mut seen, v));
        Some(Part::of(rows, seen, &reader))
    }
}

/// Whether parts of a file with a plain ASCII start read it as one read does: that settles
/// the encoding at the first non-ASCII bytes and keeps it. The first part to have them must
/// have settled on the sample one read takes (a full one, not cut at its end; and the byte
/// before them, which the guess looks at, its own), and no later part on another encoding.
fn parts_agree(lates: &[Option<Late>]) -> bool {
    let mut settled = lates
        .iter()
        .enumerate()
        .filter_map(|(i, l)| Some((i, l.as_ref()?)));
    let Some((i, first)) = settled.next() else {
        return true;
    };
    let last = i + 1 == lates.len();
    (last || !first.short)
        && (i == 0 || first.at > 0)
        && settled.all(|(_, l)| l.encoding == first.encoding)
}

/// Where the parts of a split file start, as they are found: the first part's start (0) is
/// not listed.
#[derive(Default)]
struct Splits {
    found: Mutex<(Vec<u64>, bool)>,
    more: Condvar,
}

impl Splits {
    /// Where part `i` (from 1) starts, once found; `None` when the file has no such part.
    fn start(&self, i: usize) -> Option<u64> {
        let mut found = self.found.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(&at) = found.0.get(i - 1) {
                return Some(at);
            }
            if found.1 {
                return None;
            }
            found = self
                .more
                .wait(found)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn push(&self, at: u64) {
        self.found
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .0
            .push(at);
        self.more.notify_all();
    }

    fn finish(&self) {
        self.found.lock().unwrap_or_else(PoisonError::into_inner).1 = true;
        self.more.notify_all();
    }
}

/// Says every split is found when dropped, however the finding ends: no part waits forever.
struct Finished<'a>(&'a Splits);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        self.0.finish();
    }
}

/// One part of a split file, from `at`: read freely up to `free_to` (the next split is
/// never before it), then only up to that split (to the file's end without one).
struct PartFile {
    file: File,
    at: u64,
    free_to: u64,
    /// The next split once known: `Some(None)` when there is none.
    end: Option<Option<u64>>,
    next: usize,
    splits: Arc<Splits>,
}

impl PartFile {
    fn new(file: File, at: u64, free_to: u64, next: usize, splits: Arc<Splits>) -> PartFile {
        PartFile {
            file,
            at,
            free_to,
            end: None,
            next,
            splits,
        }
    }
}

impl Read for PartFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = buf.len() as u64;
        let n = if self.at + want <= self.free_to {
            want
        } else {
            let (splits, next) = (&self.splits, self.next);
            let end = *self.end.get_or_insert_with(|| splits.start(next));
            end.map_or(want, |end| want.min(end.saturating_sub(self.at)))
        };
        let n = self.file.read(&mut buf[..n as usize])?;
        self.at += n as u64;
        Ok(n)
    }
}

/// Finds where the parts of a file of `size` bytes start: each the first line from `step`
/// bytes after the last start on that no quoted cell runs across, by the parity of the
/// quotes before it (a doubled quote counts twice). Right in a well-formed file, and checked
/// by [`look_at_each_in_parts`] in any other. Reading for quotes runs at memory speed, a
/// small cost next to parsing the parts it lets run at once.
fn find_splits(path: &Path, size: u64, step: u64, splits: &Splits) {
    let _finished = Finished(splits);
    let Ok(file) = File::open(path) else {
        return;
    };
    let mut f = BufReader::with_capacity(1 << 20, file);
    let mut open = false;
    let mut at = 0u64;
    let mut target = step;
    while target < size {
        // Up to the target: only the parity.
        while at < target {
            let Ok(buf) = f.fill_buf() else { return };
            if buf.is_empty() {
                return;
            }
            let n = buf.len().min((target - at) as usize);
            open ^= memchr::memchr_iter(b'"', &buf[..n]).count() % 2 == 1;
            f.consume(n);
            at += n as u64;
        }
        // Then the first line end outside quotes.
        let split = loop {
            let Ok(buf) = f.fill_buf() else { return };
            if buf.is_empty() {
                return;
            }
            let mut line_end = None;
            let mut i = 0;
            while let Some(j) = memchr::memchr2(b'"', b'\n', &buf[i..]) {
                i += j + 1;
                if buf[i - 1] == b'"' {
                    open = !open;
                } else if !open {
                    line_end = Some(i);
                    break;
                }
            }
            let n = line_end.unwrap_or(buf.len());
            f.consume(n);
            at += n as u64;
            if line_end.is_some() {
                break at;
            }
        };
        // A line end that ends the file starts no part.
        if split >= size {
            return;
        }
        splits.push(split);
        target = split + step;
    }
}

/// The next non-blank CSV record's row: its cells put in `cells`, or (when it cannot be
/// read) what stands for them. `None` at the end; `done` set after a read error.
fn next_csv(
    stream: &mut CsvStream,
    headers: &[String],
    name: &str,
    cells: &mut CellRow,
    done: &mut bool,
) -> Option<(u64, Option<RecordValues>)> {
    let (row, other) = next_csv_raw(stream, headers, name, done)?;
    if other.is_some() {
        return Some((row, other));
    }
    let (bytes, ends) = stream.record();
    csv_values(bytes, ends, cells);
    Some((row, None))
}

/// The next non-blank CSV record's row, its cells left in `stream.record()`, or (when it
/// cannot be read) what stands for them. `None` at the end; `done` set after a read error.
fn next_csv_raw(
    stream: &mut CsvStream,
    headers: &[String],
    name: &str,
    done: &mut bool,
) -> Option<(u64, Option<RecordValues>)> {
    loop {
        match stream.next_record() {
            Ok(None) => return None,
            Ok(Some(info)) => {
                let row = info.row;
                if let Some(p) = info.problem {
                    let limits = stream.limits();
                    return Some((row, Some(problem_values(p, name, row, headers, limits))));
                }
                let (bytes, ends) = stream.record();
                if !stream.oversized().is_empty() {
                    let mut cells = CellRow::default();
                    csv_values(bytes, ends, &mut cells);
                    for &(i, len) in stream.oversized() {
                        cells.mark_unreadable(i, too_long(len, stream.limits()));
                    }
                    return Some((row, Some(RecordValues::Cells(cells))));
                }
                if bytes.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Some((row, None));
            }
            Err(e) => {
                // Only I/O can fail here; stop after it.
                *done = true;
                let row = stream.last_row() + 1;
                let message = format!("{name}, row {row}: read error: {e}");
                return Some((
                    row,
                    Some(RecordValues::Unreadable {
                        column: None,
                        message,
                    }),
                ));
            }
        }
    }
}

impl Iterator for Reader {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        if self.done && self.ahead.is_empty() {
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
    match lower_extension(name).as_deref() {
        Some("jsonl") | Some("ndjson") => Format::Jsonl,
        _ => Format::Csv,
    }
}

/// Whether `path` is read as an Excel workbook with these options (by content or name).
pub fn is_workbook(path: &Path, opts: &InputOptions) -> bool {
    let mut magic = Vec::with_capacity(4);
    if let Ok(f) = File::open(path) {
        let _ = f.take(4).read_to_end(&mut magic);
    }
    xlsx::is_workbook(&path.display().to_string(), opts.format, &magic)
}

fn lower_extension(name: &str) -> Option<String> {
    Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

fn open_csv(
    mut r: Source,
    name: &str,
    opts: &InputOptions,
    skipped: &mut Vec<String>,
) -> Result<Inner, InputError> {
    let (delimiter, limits) = (opts.delimiter, opts.limits);
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
    // Excel's `sep=;` line names the delimiter and is not part of the table (Excel hides it).
    let mut said = None;
    if let Some((d, len)) = sep_line(&prefix) {
        said = Some(d);
        prefix.drain(..len);
    }
    // Taken off before the delimiter is sniffed: a title line has none of the header's.
    if opts.skip_lines > 0 {
        let (rest, lines) = skip_lines(
            Box::new(std::io::Cursor::new(prefix).chain(r)),
            opts.skip_lines,
        )
        .map_err(io_err)?;
        *skipped = lines;
        r = rest;
        prefix = Vec::with_capacity(8 * 1024);
        (&mut r)
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut prefix)
            .map_err(io_err)?;
        if prefix.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(InputError::SkippedAll {
                file: name.to_owned(),
                skip: opts.skip_lines,
            });
        }
    }
    if prefix.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(InputError::Empty {
            file: name.to_owned(),
        });
    }
    let delimiter = delimiter
        .or(said)
        .unwrap_or_else(|| sniff_delimiter(&prefix));
    let source: Source = Box::new(std::io::Cursor::new(prefix).chain(r));
    let mut stream = Box::new(CsvStream::new(source, delimiter, limits));
    stream.start_after(opts.skip_lines);
    stream.stop_at_problem = true;
    let header = loop {
        match stream.next_record() {
            Ok(None) => {
                return Err(InputError::NoHeader {
                    file: name.to_owned(),
                })
            }
            Ok(Some(info)) if info.problem.is_some() => {
                let message =
                    match problem_values(info.problem.unwrap(), name, info.row, &[], limits) {
                        RecordValues::Unreadable { message, .. } => message,
                        _ => String::new(),
                    };
                return Err(InputError::Header {
                    file: name.to_owned(),
                    message,
                });
            }
            Ok(Some(_))
                if stream
                    .fields()
                    .all(|c| c.iter().all(u8::is_ascii_whitespace)) =>
            {
                continue
            }
            Ok(Some(_)) => {
                stream.stop_at_problem = false;
                break stream.fields();
            }
            Err(e) => {
                return Err(InputError::Header {
                    file: name.to_owned(),
                    message: e.to_string(),
                })
            }
        }
    };
    let headers = header
        .map(|c| String::from_utf8(c.to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| InputError::HeaderNotUtf8 {
            file: name.to_owned(),
        })?;
    Ok(Inner::Csv {
        stream,
        headers,
        delimiter,
    })
}

/// How much of a skipped line is kept to show.
const SKIPPED_SHOWN: usize = 80;

/// Takes the first `n` lines off `r` unread as CSV (a title's quote opens no cell): each
/// as its first [`SKIPPED_SHOWN`] characters, and `r` after them. A line ends at LF, CRLF
/// or a lone CR, as [`CsvStream`] counts rows.
fn skip_lines(r: Source, n: u64) -> std::io::Result<(Source, Vec<String>)> {
    let mut r = BufReader::new(r);
    let mut lines = Vec::new();
    let mut line = Vec::new();
    let mut after_cr = false;
    let shown = |line: &[u8]| {
        let text = String::from_utf8_lossy(line);
        let text = text.trim();
        match text.char_indices().nth(SKIPPED_SHOWN) {
            Some((at, _)) => format!("{}…", &text[..at]),
            None => text.to_owned(),
        }
    };
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        let mut used = 0;
        for &b in buf {
            if std::mem::take(&mut after_cr) && b == b'\n' {
                used += 1;
                continue;
            }
            if lines.len() as u64 == n {
                break;
            }
            used += 1;
            match b {
                b'\n' | b'\r' => {
                    lines.push(shown(&line));
                    line.clear();
                    after_cr = b == b'\r';
                }
                _ if line.len() < SKIPPED_SHOWN * 4 => line.push(b),
                _ => {}
            }
        }
        r.consume(used);
        if lines.len() as u64 == n && !after_cr {
            break;
        }
    }
    if !line.is_empty() {
        lines.push(shown(&line));
    }
    Ok((Box::new(r), lines))
}

/// A first line `sep=X` (any case, `"sep=X"` too): the delimiter it names and the line's
/// length with its line break.
fn sep_line(prefix: &[u8]) -> Option<(u8, usize)> {
    let end = prefix.iter().position(|&b| b == b'\n')?;
    let line = prefix[..end].strip_suffix(b"\r").unwrap_or(&prefix[..end]);
    let line = line
        .strip_prefix(b"\"")
        .and_then(|l| l.strip_suffix(b"\""))
        .unwrap_or(line);
    match line {
        [s, e, p, b'=', d] if [*s, *e, *p].eq_ignore_ascii_case(b"sep") && d.is_ascii() => {
            Some((*d, end + 1))
        }
        _ => None,
    }
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

/// How a message names cell `i`: by its header, or by position when the header has no name
/// for it.
fn column_label(headers: &[String], i: usize) -> String {
    match headers.get(i) {
        Some(h) if !h.trim().is_empty() => format!("column '{h}'"),
        Some(_) => format!("column {} (no name in the header)", i + 1),
        None if headers.is_empty() => format!("cell {}", i + 1),
        None => format!(
            "cell {} (past the header's {} columns)",
            i + 1,
            headers.len()
        ),
    }
}

/// `1 MiB`, `4 MiB`, else bytes: limits as a person wrote them.
fn human_size(n: usize) -> String {
    const MIB: usize = 1024 * 1024;
    const KIB: usize = 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

/// Why a cell past `--max-field-size` is left out (its cell holds only its start).
fn too_long(len: usize, limits: Limits) -> String {
    format!(
        "it is {len} bytes long, past --max-field-size ({}), so only its start is shown; raise the limit if the value is real",
        human_size(limits.max_field)
    )
}

fn problem_values(
    p: Problem,
    name: &str,
    row: u64,
    headers: &[String],
    limits: Limits,
) -> RecordValues {
    let (i, message) = match p {
        Problem::FieldTooBig { column } => (
            column,
            format!(
                "{name}, row {row}, {}: the cell is longer than {} (--max-field-size); raise the limit if the value is real",
                column_label(headers, column),
                human_size(limits.max_field)
            ),
        ),
        Problem::RowTooBig { column } => (
            column,
            format!(
                "{name}, row {row}, {}: the row is longer than {} (--max-row-size); raise the limit if the row is real",
                column_label(headers, column),
                human_size(limits.max_row)
            ),
        ),
        Problem::UnclosedQuote { column, limit_hit } => (
            column,
            format!(
                "{name}, row {row}, {}: the quote that opens this cell is never closed ({}); fix the quote; the lines after this one are read as rows again",
                column_label(headers, column),
                if limit_hit {
                    "the cell runs across lines past --max-row-size"
                } else {
                    "it runs to the end of the file"
                }
            ),
        ),
        Problem::StrayQuote { column } => (
            column,
            format!(
                "{name}, row {row}, {}: the quote that opens this cell closes only on a later line and is followed by more text, so it is a stray quote; fix it (double a quote inside a quoted cell: \"\"); the lines after this one are read as rows again",
                column_label(headers, column),
            ),
        ),
    };
    RecordValues::Unreadable {
        column: headers.get(i).cloned(),
        message,
    }
}

/// A cell's bytes as text, or why the run leaves the cell out: the one rule for the main
/// pass ([`csv_values`]) and the pre-pass ([`Look::cell`]), so they agree on every cell.
fn cell_text(cell: &[u8]) -> Result<&str, String> {
    match std::str::from_utf8(cell) {
        Ok(s) if !s.contains('\0') => Ok(s),
        // A NUL byte is never text a person typed: a corrupt or binary file.
        Ok(_) => Err(format!(
            "it contains a NUL byte at offset {} (a corrupt or binary file?)",
            cell.iter().position(|&b| b == 0).unwrap_or(0)
        )),
        Err(e) => Err(format!(
            "it is not valid UTF-8 (bad byte at offset {}); save the file as UTF-8, or name its encoding with --encoding",
            e.valid_up_to()
        )),
    }
}

/// A record's bytes as one text, when every cell is text without a NUL.
fn text_cells<'a>(bytes: &'a [u8], ends: &[usize]) -> Option<&'a str> {
    let text = std::str::from_utf8(bytes).ok()?;
    (!text.contains('\0') && ends.iter().all(|&e| text.is_char_boundary(e))).then_some(text)
}

/// The record's cells (`bytes`, cell `ends` as csv_core lays them out) put in `cells`,
/// checked as a whole: one UTF-8 check and one copy for the usual row. A cell that is not
/// UTF-8 or holds a NUL byte costs only itself: it is kept as far as it reads (bad bytes as
/// U+FFFD, so the rejects file can show it) and marked, and the mapper leaves it out.
fn csv_values(bytes: &[u8], ends: &[usize], cells: &mut CellRow) {
    if let Some(text) = text_cells(bytes, ends) {
        cells.set(text, ends);
        return;
    }
    cells.clear();
    let mut start = 0;
    for (i, &end) in ends.iter().enumerate() {
        let cell = &bytes[start..end];
        start = end;
        let why = match cell_text(cell) {
            Ok(s) => {
                cells.push(s);
                continue;
            }
            Err(why) => why,
        };
        cells.push(&String::from_utf8_lossy(cell).replace('\0', "\u{FFFD}"));
        cells.mark_unreadable(i, why);
    }
}

/// One JSONL line (or one value of a JSON array), cut at `--max-row-size`.
struct Line {
    bytes: Vec<u8>,
    truncated: bool,
    /// Where it is, for messages: `line 4`, `object 2 (line 5)`.
    place: String,
}

/// An API's answer saved as a file (`{"contacts": [{…}, …], "meta": {…}}`): one object, none
/// of whose keys names a field, holding a list of objects. Its key and length: read as one
/// record it would be one invalid row and every contact in it lost.
fn wrapped_list(first: &Result<Line, String>) -> Option<(String, usize)> {
    let line = first.as_ref().ok().filter(|l| !l.truncated)?;
    let serde_json::Value::Object(map) = serde_json::from_slice(&line.bytes).ok()? else {
        return None;
    };
    if map.keys().any(|k| names_a_field(k)) {
        return None;
    }
    map.iter().find_map(|(k, v)| match v {
        serde_json::Value::Array(items)
            if !items.is_empty() && items.iter().all(|i| i.is_object()) =>
        {
            Some((k.clone(), items.len()))
        }
        _ => None,
    })
}

/// `r` decoded to UTF-8, and its encoding, when that does not depend on the format: named
/// by `declared`, or by a UTF-16 BOM. Else `r` as it was (its first bytes put back).
fn decode_when_certain(
    mut r: Source,
    declared: Option<TextEncoding>,
) -> std::io::Result<(Source, Option<&'static encoding_rs::Encoding>)> {
    let mut bom = Vec::with_capacity(2);
    (&mut r).take(2).read_to_end(&mut bom)?;
    let r: Source = Box::new(std::io::Cursor::new(bom.clone()).chain(r));
    let utf16 = matches!(bom.as_slice(), b"\xFF\xFE" | b"\xFE\xFF");
    if declared.is_none() && !utf16 {
        return Ok((r, None));
    }
    let d = encoding::decode(r, declared, false)?;
    Ok((d.source, Some(d.encoding)))
}

/// `r` with its first bytes looked at (and put back): whether it is JSON, and how.
fn sniff_json(mut r: Source) -> std::io::Result<(Source, Option<json_stream::Shape>)> {
    let mut prefix = Vec::with_capacity(8 * 1024);
    (&mut r).take(SNIFF_BYTES as u64).read_to_end(&mut prefix)?;
    let shape = json_stream::sniff(&prefix);
    Ok((Box::new(std::io::Cursor::new(prefix).chain(r)), shape))
}

/// The next value of a JSON array (or of objects one after another): its row, and its bytes
/// or why there is none. `None` at the end.
fn next_json_value(
    scan: &mut json_stream::ValueScan,
    rdr: &mut BufReader<Source>,
    buf: &mut Vec<u8>,
    max: usize,
    name: &str,
) -> std::io::Result<Option<(u64, Result<Line, String>)>> {
    Ok(scan.next(rdr, buf, max, name)?.map(|found| match found {
        json_stream::Scanned::Value {
            row,
            line,
            truncated,
        } => (
            row,
            Ok(Line {
                bytes: std::mem::take(buf),
                truncated,
                place: format!("object {row} (line {line})"),
            }),
        ),
        json_stream::Scanned::Problem { row, message } => (row, Err(message)),
    }))
}

fn open_jsonl(
    r: Source,
    name: &str,
    limits: Limits,
    shape: Option<json_stream::Shape>,
) -> Result<Inner, InputError> {
    let mut rdr = BufReader::with_capacity(64 * 1024, r);
    let mut line = 0;
    let mut buf = Vec::new();
    if let Some(json_stream::Shape::Values { array }) = shape {
        let mut scan = json_stream::ValueScan::new(array);
        let first = next_json_value(&mut scan, &mut rdr, &mut buf, limits.max_row, name).map_err(
            |source| InputError::Io {
                file: name.to_owned(),
                source,
            },
        )?;
        let Some(first) = first else {
            return Err(InputError::Empty {
                file: name.to_owned(),
            });
        };
        if let (false, Some((key, count))) = (array, wrapped_list(&first.1)) {
            return Err(InputError::Wrapped {
                file: name.to_owned(),
                key,
                count,
            });
        }
        return Ok(Inner::Jsonl {
            rdr,
            line,
            buf,
            pending: Some(first),
            limits,
            values: Some(scan),
        });
    }
    let first =
        next_nonblank_line(&mut rdr, &mut line, &mut buf, limits.max_row).map_err(|source| {
            InputError::Io {
                file: name.to_owned(),
                source,
            }
        })?;
    let Some((n, truncated)) = first else {
        return Err(InputError::Empty {
            file: name.to_owned(),
        });
    };
    let mut bytes = std::mem::take(&mut buf);
    if n == 1 && bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    let first = Ok(Line {
        bytes,
        truncated,
        place: format!("line {n}"),
    });
    // An API's answer saved on one line is as much a wrapper as a pretty-printed one.
    if let Some((key, count)) = wrapped_list(&first) {
        return Err(InputError::Wrapped {
            file: name.to_owned(),
            key,
            count,
        });
    }
    Ok(Inner::Jsonl {
        rdr,
        line,
        buf,
        pending: Some((n, first)),
        limits,
        values: None,
    })
}

/// Reads up to the next line with content into `buf` (without its line ending, and at most
/// `max` bytes of it: the rest is skipped, not stored) and returns its 1-based number and
/// whether it was cut.
fn next_nonblank_line(
    rdr: &mut BufReader<Source>,
    line: &mut u64,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<(u64, bool)>> {
    loop {
        buf.clear();
        let mut read_any = false;
        let mut truncated = false;
        loop {
            let avail = match rdr.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                break;
            }
            read_any = true;
            let (take, done) = match avail.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (avail.len(), false),
            };
            let room = (max + 2).saturating_sub(buf.len());
            if take > room {
                truncated = true;
            }
            buf.extend_from_slice(&avail[..take.min(room)]);
            rdr.consume(take);
            if done {
                break;
            }
        }
        if !read_any {
            return Ok(None);
        }
        *line += 1;
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        truncated |= buf.len() > max;
        let blank =
            buf.iter().all(u8::is_ascii_whitespace) || (*line == 1 && buf == b"\xEF\xBB\xBF");
        if !blank {
            return Ok(Some((*line, truncated)));
        }
    }
}

/// serde_json's message without its " at line 1 column N" (the line is ours, the column is
/// given separately).
fn json_message(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

fn json_values(line: &Line, name: &str, place: &str, limits: Limits) -> RecordValues {
    let unreadable =
        |column: Option<String>, message: String| RecordValues::Unreadable { column, message };
    if line.truncated {
        return unreadable(
            None,
            format!(
                "{name}, {place}: the {} is longer than {} (--max-row-size); raise the limit if it is real",
                if place.starts_with("line") { "line" } else { "object" },
                human_size(limits.max_row)
            ),
        );
    }
    // serde_json stops at 128 levels of nesting, so deep input cannot overflow the stack.
    let mut row_values = match serde_json::from_slice::<json_object::Line>(&line.bytes) {
        Ok(json_object::Line::Object { map, repeats }) => with_repeats(map, repeats),
        Ok(json_object::Line::Other(kind)) => {
            return unreadable(
                None,
                format!(
                    "{name}, {place}: the {} is {kind}, expected an object",
                    if place.starts_with("line") {
                        "line"
                    } else {
                        "value"
                    }
                ),
            );
        }
        Err(e) => match with_bad_bytes(&line.bytes) {
            Some(values) => values,
            None => {
                return unreadable(
                    None,
                    format!(
                        "{name}, {place}, column {}: not valid JSON: {}",
                        e.column(),
                        json_message(&e)
                    ),
                )
            }
        },
    };
    // Nested objects (an address, HubSpot's `properties`) as dotted keys, each matched alone,
    // when one of their keys names a field.
    if row_values.map.values().any(serde_json::Value::is_object) {
        let nested = std::mem::take(&mut row_values.map);
        let mut repeats = Vec::new();
        for (k, v) in nested {
            json_object::flatten_into(&mut row_values.map, k, v, &mut repeats, &names_a_field);
        }
        row_values.unreadable.extend(repeats);
    }
    // A value too long costs its key, not the line: it is left out, its start shown.
    for (_, value, why) in row_values.unreadable.iter_mut() {
        let len = longest_string(value);
        if len > limits.max_field {
            *value = preview(value);
            *why = too_long(len, limits);
        }
    }
    let too_big: Vec<String> = row_values
        .map
        .iter()
        .filter(|(_, v)| longest_string(v) > limits.max_field)
        .map(|(k, _)| k.clone())
        .collect();
    for key in too_big {
        if let Some(value) = row_values.map.shift_remove(&key) {
            let why = too_long(longest_string(&value), limits);
            row_values.unreadable.push((key, preview(&value), why));
        }
    }
    // A NUL is never text a person typed (as in a CSV cell): the value costs its key.
    if memchr::memmem::find(&line.bytes, b"\\u0000").is_some() {
        let with_nul: Vec<String> = row_values
            .map
            .iter()
            .filter(|(_, v)| has_nul(v))
            .map(|(k, _)| k.clone())
            .collect();
        for key in with_nul {
            if let Some(value) = row_values.map.shift_remove(&key) {
                let why = "it contains a NUL byte (a corrupt export?)".to_owned();
                row_values.unreadable.push((key, preview(&value), why));
            }
        }
    }
    RecordValues::Object(row_values)
}

/// Whether a nested key names a contact field, by its full dotted name or its last part
/// (as the mapper matches it): what makes a nested object worth reading key by key.
fn names_a_field(key: &str) -> bool {
    crate::mapping::detect_target(key).is_some()
        || crate::mapping::json_key_names_field(key)
        || key
            .rsplit_once('.')
            .is_some_and(|(_, last)| crate::mapping::detect_target(last).is_some())
}

fn has_nul(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(a) => a.iter().any(has_nul),
        serde_json::Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

/// A line whose JSON holds bytes that are not UTF-8, when it reads as an object once they
/// are U+FFFD: each value (or key) they fall in costs only itself. `None` when the line is
/// UTF-8 or is not an object even so (its own error then says why).
fn with_bad_bytes(bytes: &[u8]) -> Option<JsonRow> {
    std::str::from_utf8(bytes).err()?;
    let text = String::from_utf8_lossy(bytes);
    let Ok(json_object::Line::Object { mut map, repeats }) = serde_json::from_str(&text) else {
        return None;
    };
    let why = "it is not valid UTF-8 (bad bytes shown as \u{FFFD}); save the file as UTF-8, or name its encoding with --encoding";
    let bad: Vec<String> = map
        .iter()
        .filter(|(k, v)| k.contains('\u{FFFD}') || holds_replacement(v))
        .map(|(k, _)| k.clone())
        .collect();
    let unreadable: Vec<_> = bad
        .into_iter()
        .filter_map(|k| {
            let value = map.remove(&k)?;
            Some((k, value, why.to_owned()))
        })
        .collect();
    let mut row = with_repeats(map, repeats);
    row.unreadable.splice(0..0, unreadable);
    Some(row)
}

/// The object, each later value of a repeated key taken aside to be named as left out.
fn with_repeats(
    map: serde_json::Map<String, serde_json::Value>,
    repeats: Vec<(String, serde_json::Value)>,
) -> JsonRow {
    let unreadable = repeats
        .into_iter()
        .map(|(k, v)| {
            let why = json_object::repeat_reason(&k);
            (k, v, why)
        })
        .collect();
    JsonRow { map, unreadable }
}

fn holds_replacement(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => s.contains('\u{FFFD}'),
        serde_json::Value::Array(a) => a.iter().any(holds_replacement),
        serde_json::Value::Object(o) => o
            .iter()
            .any(|(k, v)| k.contains('\u{FFFD}') || holds_replacement(v)),
        _ => false,
    }
}

/// The start of a value too long to keep, as text.
fn preview(v: &serde_json::Value) -> serde_json::Value {
    let text = match v {
        serde_json::Value::String(s) => s.as_str().into(),
        other => std::borrow::Cow::Owned(other.to_string()),
    };
    let cut = preview_len(text.as_bytes());
    serde_json::Value::String(text[..cut].replace('\0', "\u{FFFD}"))
}

/// The longest string in `v` (serde_json bounds the depth).
fn longest_string(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::String(s) => s.len(),
        serde_json::Value::Array(a) => a.iter().map(longest_string).max().unwrap_or(0),
        serde_json::Value::Object(o) => o
            .iter()
            .map(|(k, v)| k.len().max(longest_string(v)))
            .max()
            .unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests;
