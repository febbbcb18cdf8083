//! Excel workbooks (.xlsx): one sheet, streamed cell by cell with calamine's cell reader, so
//! only the workbook's shared-string table (the distinct texts, which calamine loads whole) and
//! a few rows are ever in memory. Cells become the text a person sees in Excel, in the forms
//! validation reads: dates as ISO `YYYY-MM-DD`, numbers in full (`61412345678`, never
//! `6.14123E+10`, and no `.0` on whole numbers), and whole numbers through a ZIP, phone or
//! zero-padded number format as Excel shows them (`02108`, see `xlsx_format.rs`).
//!
//! calamine's cell reader borrows the workbook, so both live on a reader thread that hands
//! finished rows over a small bounded channel.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use calamine::{DataRef, Reader as _, SheetType, SheetVisible, Xlsx, XlsxError};

use super::csv_stream::Problem;
// Next to this file rather than in `input/mod.rs`: only the workbook reader uses it.
#[path = "xlsx_format.rs"]
mod format;
use super::{
    column_label, lower_extension, problem_values, too_long, CellRow, InputError, InputOptions,
    Limits, RecordValues,
};
use format::DigitFormat;

/// Rows read ahead of the pipeline.
const AHEAD: usize = 64;
/// Excel's last column is XFD: a cell past it is damage, not data.
const MAX_COLUMNS: u32 = 16_384;

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// OLE2 compound file: an old .xls, or an .xlsx saved with a password (encrypted).
const CFB_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0";

/// Whether `open` should read the file as a workbook: `--format xlsx`, else (no format given)
/// a workbook by its first bytes or by its name.
pub(super) fn is_workbook(name: &str, forced: Option<super::Format>, magic: &[u8]) -> bool {
    match forced {
        Some(f) => f == super::Format::Xlsx,
        None => {
            magic.starts_with(ZIP_MAGIC)
                || magic.starts_with(CFB_MAGIC)
                || matches!(
                    lower_extension(name).as_deref(),
                    Some("xlsx" | "xlsm" | "xls" | "xlsb" | "ods")
                )
        }
    }
}

/// A sheet being read on its own thread.
pub(super) struct XlsxStream {
    rx: Receiver<(u64, RecordValues)>,
    pub headers: Vec<String>,
    pub sheet: String,
    /// Rows below the header by the sheet's declared size (blank rows included).
    pub rows_hint: Option<u64>,
    /// The non-blank rows `--skip-lines` left unread, as their cells read.
    pub skipped: Vec<String>,
}

impl XlsxStream {
    pub fn next_row(&mut self) -> Option<(u64, RecordValues)> {
        self.rx.recv().ok()
    }
}

/// `magic`: the first bytes of `file`, which is at its start.
pub(super) fn open(
    file: File,
    magic: &[u8],
    name: &str,
    opts: &InputOptions,
) -> Result<XlsxStream, InputError> {
    let fail = |message: String| InputError::Workbook {
        file: name.to_owned(),
        message,
    };
    if !magic.starts_with(ZIP_MAGIC) && !magic.starts_with(CFB_MAGIC) {
        return Err(fail(
            "is not an Excel workbook (an .xlsx file is a ZIP archive; this one is not): save it again from Excel, or give --format csv if it is text"
                .into(),
        ));
    }
    let mut wb = match Xlsx::new(BufReader::new(file)) {
        Ok(wb) => wb,
        Err(XlsxError::Password) => {
            return Err(fail(
                "the workbook is password-protected (encrypted); open it in Excel, remove the password (File > Info > Protect Workbook > Encrypt with Password) and save it, or save it as CSV".into(),
            ))
        }
        Err(_) if magic.starts_with(CFB_MAGIC) => {
            return Err(fail(
                "is an old Excel 97-2003 workbook (.xls), which is not read; open it in Excel and save it as Excel Workbook (.xlsx) or CSV UTF-8".into(),
            ))
        }
        Err(e) if lower_extension(name).as_deref() == Some("ods") => {
            return Err(fail(format!(
                "OpenDocument spreadsheets are not read ({e}); save it as Excel Workbook (.xlsx) or CSV"
            )))
        }
        Err(e) => {
            return Err(fail(format!(
                "cannot be read as an Excel .xlsx workbook (damaged, or another kind of ZIP archive): {e}; open it in Excel and save it again, or save it as CSV UTF-8"
            )))
        }
    };
    let sheet = pick_sheet(&wb, opts.sheet.as_deref()).map_err(|names| match &opts.sheet {
        Some(s) => InputError::NoSheet {
            file: name.to_owned(),
            sheet: s.clone(),
            names,
        },
        None => fail("has no worksheet (only charts or macros)".into()),
    })?;

    let (tx, rx) = sync_channel(AHEAD);
    let (head_tx, head_rx) = sync_channel(1);
    let thread_name = name.to_owned();
    let thread_sheet = sheet.clone();
    let (limits, skip) = (opts.limits, opts.skip_lines);
    std::thread::Builder::new()
        .name("xlsx-reader".into())
        .spawn(move || {
            read_sheet(
                &mut wb,
                &thread_sheet,
                &thread_name,
                (limits, skip),
                head_tx,
                tx,
            );
        })
        .map_err(|source| InputError::Io {
            file: name.to_owned(),
            source,
        })?;
    let (headers, rows_hint, skipped) = match head_rx.recv() {
        Ok(Ok(h)) => h,
        Ok(Err(message)) => return Err(fail(format!("sheet '{sheet}': {message}"))),
        Err(_) => return Err(fail(format!("sheet '{sheet}': the reader stopped"))),
    };
    Ok(XlsxStream {
        rx,
        headers,
        sheet,
        rows_hint,
        skipped,
    })
}

/// The sheet asked for (exactly, else the one whose name differs only in case), or the first
/// visible worksheet. `Err`: the names there are, for the message.
fn pick_sheet<R: Read + Seek>(wb: &Xlsx<R>, wanted: Option<&str>) -> Result<String, String> {
    let sheets = wb.sheets_metadata();
    let worksheets = || sheets.iter().filter(|s| s.typ == SheetType::WorkSheet);
    let found = match wanted {
        Some(w) => sheets
            .iter()
            .find(|s| s.name == w)
            .or_else(|| {
                let mut folded = sheets
                    .iter()
                    .filter(|s| s.name.eq_ignore_ascii_case(w.trim()));
                match (folded.next(), folded.next()) {
                    (Some(one), None) => Some(one),
                    _ => None,
                }
            })
            .filter(|s| s.typ == SheetType::WorkSheet),
        None => worksheets()
            .find(|s| s.visible == SheetVisible::Visible)
            .or_else(|| worksheets().next()),
    };
    found.map(|s| s.name.clone()).ok_or_else(|| {
        worksheets()
            .map(|s| format!("'{}'", s.name))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// The header, the rows below it by the sheet's declared size and the rows skipped above
/// it, or why there is none.
type HeaderResult = Result<(Vec<String>, Option<u64>, Vec<String>), String>;

/// One row as it is assembled from the cells of the sheet.
struct RowBuf {
    row: u32,
    cells: Vec<String>,
    bytes: usize,
    problem: Option<Problem>,
    past_last_column: bool,
    /// Cells past `max_field` (column, length): each keeps only its start.
    oversized: Vec<(usize, usize)>,
    /// Damaged cells whose column is known (column, why): each costs itself.
    damaged: Vec<(usize, String)>,
    /// A damaged cell somewhere in the row, column unknown: the row cannot be trusted.
    damaged_somewhere: Option<String>,
}

impl RowBuf {
    fn new(row: u32, width: usize) -> RowBuf {
        RowBuf {
            row,
            cells: Vec::with_capacity(width),
            bytes: 0,
            problem: None,
            past_last_column: false,
            oversized: Vec::new(),
            damaged: Vec::new(),
            damaged_somewhere: None,
        }
    }

    /// A cell that could not be read lies in `cols` of this row (`headers` wide): when that
    /// is one column, the cell costs itself; else the row is unreadable.
    fn damage(&mut self, cols: std::ops::Range<u32>, why: String, headers: &[String]) {
        let end = cols.end.min(headers.len().max(1) as u32);
        let cols = cols.start..end.max(cols.start + 1);
        if cols.len() == 1 {
            self.damaged.push((cols.start as usize, why));
        } else {
            let from = column_label(headers, cols.start as usize);
            self.damaged_somewhere
                .get_or_insert(format!("a cell from {from} on cannot be read ({why})"));
        }
    }

    fn put(&mut self, col: u32, mut text: String, limits: Limits) {
        if self.problem.is_some() || self.past_last_column || text.is_empty() {
            return;
        }
        if col >= MAX_COLUMNS {
            self.past_last_column = true;
            return;
        }
        let col = col as usize;
        self.bytes += text.len();
        if self.bytes > limits.max_row {
            self.problem = Some(Problem::RowTooBig { column: col });
        } else {
            if text.len() > limits.max_field {
                // The cell costs itself, not the row: its start is kept to show.
                self.oversized.push((col, text.len()));
                text.truncate(super::preview_len(text.as_bytes()));
            }
            if self.cells.len() <= col {
                self.cells.resize(col + 1, String::new());
            }
            self.cells[col] = text;
        }
    }

    /// How many cells hold something.
    fn filled(&self) -> usize {
        self.cells.iter().filter(|c| !c.trim().is_empty()).count()
    }

    /// Two or more cells, every one a distinct label (not a number, date or address): what a
    /// header row looks like, and a row of contact data rarely does.
    fn looks_like_header(&self) -> bool {
        let filled: Vec<&str> = self
            .cells
            .iter()
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
            .collect();
        let label = |c: &&str| {
            c.chars().any(char::is_alphabetic)
                && !c.contains('@')
                && !c.starts_with(|ch: char| ch.is_ascii_digit() || ch == '+')
        };
        let distinct = filled
            .iter()
            .enumerate()
            .all(|(i, c)| !filled[..i].contains(c));
        self.problem.is_none() && filled.len() >= 2 && filled.iter().all(label) && distinct
    }

    fn is_blank(&self) -> bool {
        self.problem.is_none()
            && !self.past_last_column
            && self.cells.iter().all(|c| c.trim().is_empty())
    }

    /// The row as the pipeline takes it, cells aligned with the header.
    fn finish(mut self, headers: &[String], name: &str, limits: Limits) -> (u64, RecordValues) {
        let row = u64::from(self.row) + 1;
        if let Some(p) = self.problem {
            return (row, problem_values(p, name, row, headers, limits));
        }
        if let Some(why) = self.damaged_somewhere {
            return (
                row,
                RecordValues::Unreadable {
                    column: None,
                    message: format!(
                        "{name}, row {row}: the sheet is damaged here: {why}, so the row is left out; the rows after it are read; open the workbook in Excel and save it again"
                    ),
                },
            );
        }
        if self.past_last_column {
            return (
                row,
                RecordValues::Unreadable {
                    column: None,
                    message: format!(
                        "{name}, row {row}: a cell lies past Excel's last column (XFD); the workbook is damaged: open it in Excel and save it again"
                    ),
                },
            );
        }
        if self.cells.len() < headers.len() {
            self.cells.resize(headers.len(), String::new());
        }
        if let Some(&(i, _)) = self.damaged.iter().max_by_key(|(i, _)| *i) {
            if self.cells.len() <= i {
                self.cells.resize(i + 1, String::new());
            }
        }
        let mut cells: CellRow = self.cells.into();
        for (i, len) in self.oversized {
            cells.mark_unreadable(i, too_long(len, limits));
        }
        for (i, why) in self.damaged {
            cells.mark_unreadable(
                i,
                format!("the sheet is damaged in this cell ({why}); open the workbook in Excel and save it again"),
            );
        }
        (row, RecordValues::Cells(cells))
    }
}

/// Runs on the reader thread: sends the header (or why there is none), then every non-blank
/// row, then stops. A damaged sheet ends with one `Unreadable` row saying where it broke.
/// `skip`: the rows above the header `--skip-lines` leaves unread.
fn read_sheet<R: Read + Seek>(
    wb: &mut Xlsx<R>,
    sheet: &str,
    name: &str,
    (limits, skip): (Limits, u64),
    head_tx: SyncSender<HeaderResult>,
    tx: SyncSender<(u64, RecordValues)>,
) {
    let mut cells = match wb.worksheet_cells_reader(sheet) {
        Ok(c) => c,
        Err(e) => {
            let _ = head_tx.send(Err(format!(
                "cannot be read ({e}); open the workbook in Excel and save it again, or save the sheet as CSV UTF-8"
            )));
            return;
        }
    };
    let formats = NumberFormats::of(cells.styles());
    // Writers that omit the size leave it at A1.
    let last_row = Some(cells.dimensions().end.0).filter(|&r| r > 0);
    let mut headers: Option<Vec<String>> = None;
    let mut current: Option<RowBuf> = None;
    let mut skipped: Vec<String> = Vec::new();
    // Sends one row on: the first is the header. `false`: nobody is reading any more.
    let emit_one =
        |buf: RowBuf, headers: &mut Option<Vec<String>>, skipped: &mut Vec<String>| match headers {
            None => {
                let (row, values) = buf.finish(&[], name, limits);
                let h = match values {
                    RecordValues::Cells(c) => Ok(c.to_vec()),
                    RecordValues::Unreadable { message, .. } => Err(format!(
                        "the header row (row {row}) cannot be read: {message}"
                    )),
                    RecordValues::Object(_) | RecordValues::Footer { .. } => {
                        unreachable!("a sheet row is cells or unreadable")
                    }
                };
                let ok = h.is_ok();
                *headers = h.as_ref().ok().cloned();
                let below = last_row.and_then(|last| (u64::from(last) + 1).checked_sub(row));
                let skipped = std::mem::take(skipped);
                head_tx.send(h.map(|h| (h, below, skipped))).is_ok() && ok
            }
            Some(h) => tx.send(buf.finish(h, name, limits)).is_ok(),
        };
    // Ends the row in `current`: the first non-blank one is the header; blank rows are skipped
    // (their numbers stay unused, as in Excel). A first row of one cell is held in `title`
    // until the next shows whether it is a title above the header (the error says to remove
    // it) or the header of a one-column sheet. `false`: nobody is reading any more.
    let emit = |buf: RowBuf,
                headers: &mut Option<Vec<String>>,
                title: &mut Option<RowBuf>,
                skipped: &mut Vec<String>| {
        if u64::from(buf.row) < skip {
            let cells: Vec<&str> = buf
                .cells
                .iter()
                .map(|c| c.trim())
                .filter(|c| !c.is_empty())
                .collect();
            if !cells.is_empty() {
                skipped.push(cells.join(", "));
            }
            return true;
        }
        if buf.is_blank() {
            return true;
        }
        if headers.is_none() && title.is_none() && buf.filled() == 1 && buf.problem.is_none() {
            *title = Some(buf);
            return true;
        }
        if let Some(t) = title.take() {
            if buf.looks_like_header() {
                let text = t.cells.iter().map(|c| c.trim()).find(|c| !c.is_empty());
                let mut named: Vec<String> = buf
                    .cells
                    .iter()
                    .map(|c| c.trim())
                    .filter(|c| !c.is_empty())
                    .take(4)
                    .map(|c| format!("'{c}'"))
                    .collect();
                if named.len() > 3 {
                    named[3] = "…".into();
                }
                let _ = head_tx.send(Err(format!(
                    "row {} holds only {:?} and row {} looks like the header ({}): remove the title rows above the header (delete row {} in Excel and save), so that the first row names the columns, or run again with --skip-lines {} to leave them unread",
                    t.row + 1,
                    text.unwrap_or_default(),
                    buf.row + 1,
                    named.join(", "),
                    t.row + 1,
                    buf.row,
                )));
                return false;
            }
            // The held row was the header after all.
            if !emit_one(t, headers, skipped) {
                return false;
            }
        }
        emit_one(buf, headers, skipped)
    };
    let mut title: Option<RowBuf> = None;
    // A cell that could not be read, not yet placed: its row is known by the next cell read.
    let mut damage: Option<String> = None;
    // Damaged cells one after another without a good one: past a few, the reading is lost.
    let mut damaged_in_a_row = 0;
    // The last cell read (row, column), for where a damaged cell after it lies.
    let mut last_cell: Option<(u32, u32)> = None;
    loop {
        match cells.next_cell_with_style_id() {
            Ok(Some((cell, style))) => {
                let (r, c) = cell.get_position();
                damaged_in_a_row = 0;
                // Between the last cell and this one: in this row before it, unless this
                // one starts its row, when it ends the row before.
                let mut this_row_damage = None;
                if let Some(why) = damage.take() {
                    let from = last_cell.filter(|l| l.0 == r).map_or(0, |l| l.1 + 1);
                    match (&mut current, headers.as_deref()) {
                        (Some(b), Some(h)) if c == 0 && b.row != r => {
                            let from = last_cell.map_or(0, |l| l.1 + 1);
                            b.damage(from..u32::MAX, why, h);
                        }
                        _ => this_row_damage = Some((from..c, why)),
                    }
                }
                last_cell = Some((r, c));
                if current.as_ref().is_some_and(|b| b.row != r)
                    && !emit(
                        current.take().unwrap(),
                        &mut headers,
                        &mut title,
                        &mut skipped,
                    )
                {
                    return;
                }
                let width = headers.as_ref().map_or(0, Vec::len);
                let buf = current.get_or_insert_with(|| RowBuf::new(r, width));
                if let Some((cols, why)) = this_row_damage {
                    buf.damage(cols, why, headers.as_deref().unwrap_or(&[]));
                }
                buf.put(c, formats.text(cell.get_value(), style), limits);
            }
            Ok(None) => {
                // A damaged last cell: after the last row's cells, else in a row of its own.
                if let (Some(why), Some(h)) = (damage.take(), headers.as_deref()) {
                    let from = last_cell.map_or(0, |l| l.1 + 1);
                    match current.as_mut() {
                        Some(b) if (from as usize) < h.len() => b.damage(from..u32::MAX, why, h),
                        _ => {
                            let row = last_cell.map_or(1, |l| l.0 + 1);
                            let mut b = RowBuf::new(row, h.len());
                            b.damage(0..u32::MAX, why, h);
                            if let Some(prev) = current.replace(b) {
                                if !emit(prev, &mut headers, &mut title, &mut skipped) {
                                    return;
                                }
                            }
                        }
                    }
                }
                if let Some(buf) = current.take() {
                    if !emit(buf, &mut headers, &mut title, &mut skipped) {
                        return;
                    }
                }
                // One row of one cell: that is the header.
                if let Some(t) = title.take() {
                    if !emit_one(t, &mut headers, &mut skipped) {
                        return;
                    }
                }
                if headers.is_none() {
                    let _ = head_tx.send(Err(match skip {
                        0 => "the sheet is empty (its first non-blank row must name the columns)"
                            .into(),
                        n => format!("--skip-lines {n}: the sheet has nothing below its first {n} rows; give the number of title rows above the header"),
                    }));
                }
                return;
            }
            // A cell's value or position that does not read: the XML around it does, so the
            // cells after it are read and it costs only itself (placed by the next cell).
            Err(e)
                if headers.is_some()
                    && damaged_in_a_row < 8
                    && !matches!(
                        e,
                        XlsxError::Io(_)
                            | XlsxError::Zip(_)
                            | XlsxError::Xml(_)
                            | XlsxError::XmlEof(_)
                    ) =>
            {
                damaged_in_a_row += 1;
                damage.get_or_insert(e.to_string());
            }
            Err(e) => {
                let at = current.as_ref().map_or(0, |b| b.row);
                if headers.is_none() {
                    let _ = head_tx.send(Err(format!(
                        "damaged at row {} ({e}); open the workbook in Excel and save it again",
                        at + 1
                    )));
                    return;
                }
                let row = u64::from(at) + 1;
                let column = current
                    .as_ref()
                    .and_then(|b| b.cells.len().checked_sub(1))
                    .map(|i| column_label(headers.as_deref().unwrap_or(&[]), i));
                // The rows the sheet says it has below this one are named, not lost unsaid.
                let rest = match last_row.map(|l| u64::from(l) + 1) {
                    Some(last) if last > row + 1 => format!(": rows {} to {last}", row + 1),
                    Some(last) if last == row + 1 => format!(": row {last}"),
                    _ => String::new(),
                };
                let _ = tx.send((
                    row,
                    RecordValues::Unreadable {
                        column: None,
                        message: format!(
                            "{name}, row {row}{}: the sheet is damaged here ({e}), nothing after it can be read{rest}; open the workbook in Excel and save it again",
                            column.map(|c| format!(" near {c}")).unwrap_or_default()
                        ),
                    },
                ));
                return;
            }
        }
    }
}

/// The number formats of the workbook's cell styles that [`DigitFormat`] applies (a ZIP's
/// `00000`, a phone's `0000000000`, Excel's Special formats), by style index. The styles are
/// the workbook's own list, which calamine holds already; each distinct format is parsed once.
struct NumberFormats {
    /// Index into `distinct`, for the styles whose format is applied.
    by_style: Vec<Option<usize>>,
    distinct: Vec<DigitFormat>,
}

impl NumberFormats {
    fn of(styles: &[calamine::Style]) -> NumberFormats {
        let mut parsed: HashMap<&str, Option<usize>> = HashMap::new();
        let mut distinct = Vec::new();
        let by_style = styles
            .iter()
            .map(|style| {
                let code = style.number_format.as_ref()?.format_code.as_str();
                *parsed.entry(code).or_insert_with(|| {
                    let f = DigitFormat::parse(code)?;
                    distinct.push(f);
                    Some(distinct.len() - 1)
                })
            })
            .collect();
        NumberFormats { by_style, distinct }
    }

    /// The cell as Excel shows it through its style's number format where that format is
    /// applied, else as [`cell_text`] reads it.
    fn text(&self, value: &DataRef<'_>, style: usize) -> String {
        let number = match value {
            DataRef::Float(f) => *f,
            DataRef::Int(i) => *i as f64,
            _ => return cell_text(value),
        };
        self.by_style
            .get(style)
            .copied()
            .flatten()
            .and_then(|i| self.distinct[i].apply(number))
            .unwrap_or_else(|| cell_text(value))
    }
}

/// The text of a cell as Excel shows it by default, in the forms the validators read.
pub(super) fn cell_text(v: &DataRef<'_>) -> String {
    match v {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number_text(*f),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        DataRef::DateTime(d) if d.is_duration() => duration_text(d.as_f64()),
        DataRef::DateTime(d) => {
            let (y, mo, day, h, mi, s, ms) = d.to_ymd_hms_milli();
            let time = match (h, mi, s, ms) {
                (0, 0, 0, 0) => None,
                (_, _, _, 0) => Some(format!("{h:02}:{mi:02}:{s:02}")),
                _ => Some(format!("{h:02}:{mi:02}:{s:02}.{ms:03}")),
            };
            match time {
                // A serial below 1 is a time of day with no date.
                Some(t) if d.as_f64() < 1.0 && d.as_f64() >= 0.0 => t,
                Some(t) => format!("{y:04}-{mo:02}-{day:02} {t}"),
                None => format!("{y:04}-{mo:02}-{day:02}"),
            }
        }
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => e.to_string(),
    }
}

/// Excel keeps 15 significant digits and never shows a stored whole number with a decimal
/// point; scientific notation is only its column-width display, so it is never used here.
fn number_text(f: f64) -> String {
    if !f.is_finite() {
        return f.to_string();
    }
    let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
    if rounded == 0.0 {
        "0".into()
    } else if rounded.fract() == 0.0 && rounded.abs() < 1e15 {
        format!("{rounded:.0}")
    } else {
        rounded.to_string()
    }
}

/// `[h]:mm:ss`, as Excel shows an elapsed time.
fn duration_text(days: f64) -> String {
    let total = (days * 86_400.0).round();
    let sign = if total < 0.0 { "-" } else { "" };
    let total = total.abs() as u64;
    format!(
        "{sign}{}:{:02}:{:02}",
        total / 3600,
        total / 60 % 60,
        total % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{CellErrorType, ExcelDateTime, ExcelDateTimeType};

    fn dt(v: f64) -> DataRef<'static> {
        DataRef::DateTime(ExcelDateTime::new(v, ExcelDateTimeType::DateTime, false))
    }

    #[test]
    fn numbers_come_out_as_excel_stores_them() {
        for (v, want) in [
            (61_412_345_678.0, "61412345678"),
            (14_155_550_143.0, "14155550143"),
            (2116.0, "2116"),
            (-3.0, "-3"),
            (0.0, "0"),
            (-0.0, "0"),
            (0.1 + 0.2, "0.3"),
            (12.5, "12.5"),
            (1e20, "100000000000000000000"),
            (0.000_001_5, "0.0000015"),
        ] {
            assert_eq!(cell_text(&DataRef::Float(v)), want, "{v}");
        }
        assert_eq!(cell_text(&DataRef::Int(51_234_001)), "51234001");
    }

    #[test]
    fn dates_are_iso_and_times_keep_their_clock() {
        // 45943 = 2025-10-13 in the 1900 system.
        assert_eq!(cell_text(&dt(45943.0)), "2025-10-13");
        assert_eq!(cell_text(&dt(45943.5)), "2025-10-13 12:00:00");
        assert_eq!(cell_text(&dt(32_988.0)), "1990-04-25");
        assert_eq!(cell_text(&dt(0.75)), "18:00:00");
        let d1904 = DataRef::DateTime(ExcelDateTime::new(0.0, ExcelDateTimeType::DateTime, true));
        assert_eq!(cell_text(&d1904), "1904-01-01");
        let dur = DataRef::DateTime(ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false));
        assert_eq!(cell_text(&dur), "36:00:00");
    }

    #[test]
    fn other_cells_read_as_excel_shows_them() {
        assert_eq!(cell_text(&DataRef::Bool(true)), "TRUE");
        assert_eq!(cell_text(&DataRef::Error(CellErrorType::NA)), "#N/A");
        assert_eq!(cell_text(&DataRef::SharedString("Ann")), "Ann");
        assert_eq!(cell_text(&DataRef::Empty), "");
    }

    /// The cells of a one-row sheet whose number cells carry the given formats.
    fn read_formatted(cells: &[(f64, &str)]) -> Vec<String> {
        use rust_xlsxwriter::{Format, Workbook};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("formats.xlsx");
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        for (c, (v, code)) in cells.iter().enumerate() {
            let c = c as u16;
            ws.write_string(0, c, format!("Column {c}")).unwrap();
            let f = Format::new().set_num_format(*code);
            ws.write_number_with_format(1, c, *v, &f).unwrap();
        }
        // A ZIP typed as text under a ZIP format is text as before.
        let at = cells.len() as u16;
        ws.write_string(0, at, "Text").unwrap();
        let zip = Format::new().set_num_format("00000");
        ws.write_string_with_format(1, at, "02116", &zip).unwrap();
        wb.save(&path).unwrap();
        let rows: Vec<_> = super::super::Reader::open(&path, &Default::default())
            .unwrap()
            .map(|r| r.values)
            .collect();
        match &rows[..] {
            [RecordValues::Cells(c)] => c.to_vec(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn numbers_are_read_through_zip_phone_and_padded_formats_as_excel_shows_them() {
        let got = read_formatted(&[
            // Special > Zip Code, Zip Code + 4, Phone Number, Social Security Number.
            (2108.0, "00000"),
            (21_081_234.0, "00000-0000"),
            (4_155_552_671.0, "[<=9999999]###-####;(###) ###-####"),
            (78_051_120.0, "000-00-0000"),
            // A UK mobile kept with its 0 by a custom format.
            (7_700_900_123.0, "00000000000"),
            // Left as today: General, a thousands separator, a fraction under a ZIP format,
            // Text (a number typed before the cell was made Text shows as General).
            (51_234_001.0, "General"),
            (1250.0, "#,##0"),
            (12.5, "00000"),
            (2108.0, "@"),
        ]);
        assert_eq!(
            got,
            [
                "02108",
                "02108-1234",
                "(415) 555-2671",
                "078-05-1120",
                "07700900123",
                "51234001",
                "1250",
                "12.5",
                "2108",
                "02116"
            ]
        );
    }

    #[test]
    fn workbooks_are_known_by_their_bytes_or_their_name() {
        use super::super::Format;
        assert!(is_workbook("export.csv", None, b"PK\x03\x04"));
        assert!(is_workbook("people.XLSX", None, b"abc"));
        assert!(is_workbook("old.bin", None, b"\xD0\xCF\x11\xE0"));
        assert!(!is_workbook("contacts.csv", None, b"emai"));
        assert!(!is_workbook("book.xlsx", Some(Format::Csv), b"PK\x03\x04"));
        assert!(is_workbook("data", Some(Format::Xlsx), b""));
    }
}
