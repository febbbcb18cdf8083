//! CSV records read with `csv_core`, so this reader owns the buffers: a cell or row past its
//! limit stops being stored (memory stays bounded however long a "row" is), and a quote that
//! is never closed is noticed and the lines after it are read again instead of being lost in
//! one giant cell.

use std::io::{self, Read};

use super::cells::preview_len;
use super::Source;

const CHUNK: usize = 64 * 1024;

/// Largest cell and record this reader keeps in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of one cell value (CSV) or one string value (JSONL).
    pub max_field: usize,
    /// Bytes of one record as written in the file (CSV) or of one line (JSONL).
    pub max_row: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_field: 1024 * 1024,
            max_row: 4 * 1024 * 1024,
        }
    }
}

/// Why a record could not be kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Problem {
    /// Cell `column` (0-based) went past `max_field`.
    FieldTooBig { column: usize },
    /// The record went past `max_row` while in cell `column`.
    RowTooBig { column: usize },
    /// The quote opening cell `column` never closes: it ran to the end of the file, or past
    /// a limit across lines. The lines after the one it opens on are read again as rows.
    UnclosedQuote { column: usize, limit_hit: bool },
    /// A quoted cell in `column` spans lines and its closing quote is followed by more text,
    /// which a real closing quote never is: the quote that opened it was a stray one. The
    /// lines after the one it opens on are read again as rows.
    StrayQuote { column: usize },
}

/// One record's place and fate.
pub(super) struct RecordInfo {
    /// Spreadsheet row: a record is one row whatever its embedded newlines; blank lines count.
    pub row: u64,
    pub problem: Option<Problem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Q {
    RecordStart,
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

/// Follows csv_core's quoting (RFC 4180 plus csv_core's leniency) byte by byte, to know
/// where a quoted cell opened and whether the file ended inside one.
#[derive(Clone)]
struct Tracker {
    state: Q,
    prev_cr: bool,
    delimiter: u8,
    /// 0-based cell of the record being read.
    column: usize,
    /// Blank lines before the record's first byte.
    blank_lines: u64,
    /// Offset (into the record's retained bytes) where the open quoted cell starts.
    quote_at: usize,
    quote_has_newline: bool,
    /// A quoted cell across lines closed and text followed the quote: where that cell's
    /// quote opened, and its column (kept: later cells may open quotes of their own).
    stray_close: Option<(usize, usize)>,
}

impl Tracker {
    fn begin(&mut self) {
        self.state = Q::RecordStart;
        self.column = 0;
        self.blank_lines = 0;
        self.quote_has_newline = false;
        self.stray_close = None;
    }

    /// Feeds `bytes`, the first of which sits at record offset `at`.
    fn feed(&mut self, bytes: &[u8], at: usize) {
        self.run::<false>(bytes, at, 0);
    }

    /// Feeds `bytes` from a record's start up to the end of that record (its first line
    /// end outside quotes). `None` when `bytes` end first.
    fn skim(&mut self, bytes: &[u8], cells: usize) -> Option<Skimmed> {
        self.run::<true>(bytes, 0, cells)
    }

    /// The one state machine behind [`Tracker::feed`] and [`Tracker::skim`].
    #[inline(always)]
    fn run<const SKIM: bool>(&mut self, bytes: &[u8], at: usize, cells: usize) -> Option<Skimmed> {
        let mut cut = None;
        let (mut start, mut quoted) = (0, false);
        let mut i = 0;
        while i < bytes.len() {
            // Inside a cell only a few bytes can change anything: jump to the next one (the
            // bytes skipped are not `\r`, so `prev_cr` ends false).
            let stops = match self.state {
                Q::Unquoted => Some(self.delimiter),
                Q::Quoted => Some(b'"'),
                _ => None,
            };
            if let Some(stop) = stops {
                match memchr::memchr3(stop, b'\r', b'\n', &bytes[i..]) {
                    Some(0) => {}
                    Some(k) => {
                        self.prev_cr = false;
                        i += k;
                    }
                    None => {
                        self.prev_cr = false;
                        return None;
                    }
                }
            }
            let b = bytes[i];
            i += 1;
            let line_end = b == b'\r' || (b == b'\n' && !self.prev_cr);
            let terminator = b == b'\r' || b == b'\n';
            self.prev_cr = b == b'\r';
            if self.state == Q::RecordStart {
                if terminator {
                    self.blank_lines += u64::from(line_end);
                    continue;
                }
                self.state = Q::FieldStart;
                start = i - 1;
            }
            self.state = match self.state {
                Q::FieldStart | Q::RecordStart => {
                    if b == b'"' {
                        self.quote_at = at + i - 1;
                        self.quote_has_newline = false;
                        quoted |= SKIM && cut.is_none();
                        Q::Quoted
                    } else if b == self.delimiter {
                        self.column += 1;
                        Q::FieldStart
                    } else if terminator {
                        Q::RecordStart
                    } else {
                        Q::Unquoted
                    }
                }
                Q::Unquoted => {
                    if b == self.delimiter {
                        self.column += 1;
                        Q::FieldStart
                    } else if terminator {
                        Q::RecordStart
                    } else {
                        Q::Unquoted
                    }
                }
                Q::Quoted => {
                    if b == b'"' {
                        Q::QuoteInQuoted
                    } else {
                        self.quote_has_newline |= terminator;
                        Q::Quoted
                    }
                }
                Q::QuoteInQuoted => {
                    if b == b'"' {
                        Q::Quoted
                    } else if b == self.delimiter {
                        self.column += 1;
                        Q::FieldStart
                    } else if terminator {
                        Q::RecordStart
                    } else {
                        if self.quote_has_newline && self.stray_close.is_none() {
                            self.stray_close = Some((self.quote_at, self.column));
                        }
                        Q::Unquoted
                    }
                }
            };
            if SKIM {
                if cut.is_none() && self.column == cells {
                    // The delimiter just read ends the last cell wanted.
                    cut = Some(i - 1);
                }
                if self.state == Q::RecordStart {
                    return Some(Skimmed {
                        start,
                        cut: cut.unwrap_or(i),
                        end: i,
                        quoted,
                    });
                }
            }
        }
        None
    }
}

/// A record followed to its end by [`Tracker::skim`] (offsets into the bytes fed).
struct Skimmed {
    /// Its first byte (after blank lines).
    start: usize,
    /// The delimiter after the cells wanted; `end` when it has no more cells.
    cut: usize,
    /// Just after its line end.
    end: usize,
    /// A cell before `cut` opens with a quote.
    quoted: bool,
}

/// Cuts `line` (a record's bytes up to its line end, which holds no `\r` or `\n`) into
/// cells as csv_core reads them: `out` gets the first `want` cells' bytes back to back,
/// `ends` where each ends (grown when short; `out` must hold `line`). The rest is only
/// checked for quotes, unless the cells wanted are all blank (then every cell is cut, as a
/// blank record is told by all its cells). Returns the bytes and cells written; `None` when
/// the record may not end on this line or csv_core reads it otherwise: a quoted cell not
/// closed on it, or text after a closing quote.
fn split_line(
    line: &[u8],
    delimiter: u8,
    mut want: usize,
    out: &mut [u8],
    ends: &mut Vec<usize>,
) -> Option<(usize, usize)> {
    let (mut i, mut o, mut n) = (0, 0, 0);
    loop {
        // `i` is the cell's first byte; `next`, the one after its delimiter.
        let next = if line.get(i) == Some(&b'"') {
            // Quoted: its text up to the closing quote, a doubled quote read as one.
            let mut j = i + 1;
            loop {
                let q = j + memchr::memchr(b'"', &line[j..])?;
                out[o..o + q - j].copy_from_slice(&line[j..q]);
                o += q - j;
                match line.get(q + 1) {
                    Some(&b'"') => {
                        out[o] = b'"';
                        o += 1;
                        j = q + 2;
                    }
                    Some(&b) if b == delimiter => break Some(q + 2),
                    None => break None,
                    Some(_) => return None,
                }
            }
        } else {
            // Unquoted: up to the delimiter, a quote in it read as text.
            let k = memchr::memchr(delimiter, &line[i..]).map_or(line.len(), |k| i + k);
            out[o..o + k - i].copy_from_slice(&line[i..k]);
            o += k - i;
            (k < line.len()).then_some(k + 1)
        };
        if n == ends.len() {
            ends.resize(ends.len().max(8) * 2, 0);
        }
        ends[n] = o;
        n += 1;
        let Some(next) = next else {
            return Some((o, n));
        };
        i = next;
        if n == want {
            if out[..o].iter().all(u8::is_ascii_whitespace) {
                want = usize::MAX;
                continue;
            }
            return quotes_close(&line[i..], delimiter).then_some((o, n));
        }
    }
}

/// Whether every quoted cell of `rest` (a line from a cell's start) closes on it and is
/// followed by a delimiter or the line end: its other cells' bytes need no look.
fn quotes_close(rest: &[u8], delimiter: u8) -> bool {
    // The cells from `cell` to the next quote are unquoted: a quote opens a cell only at
    // `cell` or after a delimiter, elsewhere it is text.
    let (mut cell, mut k) = (0, 0);
    while let Some(p) = memchr::memchr(b'"', &rest[k..]).map(|p| k + p) {
        if p != cell && rest[p - 1] != delimiter {
            k = p + 1;
            continue;
        }
        let mut j = p + 1;
        loop {
            let Some(q) = memchr::memchr(b'"', &rest[j..]).map(|q| j + q) else {
                return false;
            };
            match rest.get(q + 1) {
                Some(&b'"') => j = q + 2,
                Some(&b) if b == delimiter => {
                    (cell, k) = (q + 2, q + 2);
                    break;
                }
                None => return true,
                Some(_) => return false,
            }
        }
    }
    true
}

#[cfg(not(test))]
fn fast_by_default() -> bool {
    true
}

#[cfg(test)]
thread_local! {
    /// Whether streams made on this thread cut one-line records by [`split_line`].
    pub(super) static FAST: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

#[cfg(test)]
fn fast_by_default() -> bool {
    FAST.with(|f| f.get())
}

pub(super) struct CsvStream {
    src: Source,
    core: csv_core::Reader,
    limits: Limits,
    /// Bytes to read again (after an unclosed quote) before the rest of `buf`.
    replay: Vec<u8>,
    replay_pos: usize,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    eof: bool,
    tracker: Tracker,
    /// The last record: cell bytes and cell ends (csv_core's layout).
    out: Vec<u8>,
    out_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
    /// The last record as written, kept (up to the limits) to read again after a bad quote.
    raw: Vec<u8>,
    /// `raw` holds every byte since the record's start (it stops growing past `max_row`).
    raw_complete: bool,
    /// Return a record past a limit at once instead of reading to its end (the header: a
    /// file whose first "row" is too big is not read further).
    pub stop_at_problem: bool,
    scratch: Vec<u8>,
    scratch_ends: Vec<usize>,
    last_row: u64,
    /// The input ended inside a quoted cell: read up to a point (a half of a split file),
    /// the point was not a record's end.
    pub ended_in_quote: bool,
    /// Cells of the last record past `max_field`, with their length: each is cut to a
    /// preview and the rest of the record kept (a cell too big costs the cell, not the row).
    oversized: Vec<(usize, usize)>,
    /// The record has a cell past `max_field`: csv_core writes into `scratch` and each cell
    /// is copied to `out` up to `max_field + 1` bytes, cut to a preview when it ends.
    capping: bool,
    /// While capping: csv_core's output offset (its cell ends count from the record's
    /// start, cut bytes included) at the start of `scratch`.
    csv_pos: usize,
    /// While capping: the open cell's length, cut bytes included.
    open_len: usize,
    /// Only the first this many cells of a record are wanted (a pass that looks at a few
    /// columns): see [`CsvStream::skim_to`].
    skim: usize,
    /// csv_core has not read since it was made or reset: its next read takes a UTF-8 BOM off.
    core_fresh: bool,
    /// A problem was returned at once (`stop_at_problem`) with csv_core inside the record:
    /// the next read goes on from there, so no record may be cut from the buffer as if one
    /// started there.
    mid_record: bool,
    /// Records on one line are cut by [`split_line`] instead of csv_core and the tracker
    /// (off only to test it against them).
    fast: bool,
}

impl CsvStream {
    pub fn new(src: Source, delimiter: u8, limits: Limits) -> CsvStream {
        CsvStream {
            src,
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            limits,
            replay: Vec::new(),
            replay_pos: 0,
            buf: vec![0; CHUNK],
            pos: 0,
            len: 0,
            eof: false,
            tracker: Tracker {
                state: Q::RecordStart,
                prev_cr: false,
                delimiter,
                column: 0,
                blank_lines: 0,
                quote_at: 0,
                quote_has_newline: false,
                stray_close: None,
            },
            out: vec![0; 1024],
            out_len: 0,
            ends: vec![0; 64],
            ends_len: 0,
            raw: Vec::new(),
            raw_complete: true,
            stop_at_problem: false,
            scratch: vec![0; CHUNK],
            scratch_ends: vec![0; 1024],
            last_row: 0,
            ended_in_quote: false,
            oversized: Vec::new(),
            capping: false,
            csv_pos: 0,
            open_len: 0,
            skim: usize::MAX,
            core_fresh: true,
            mid_record: false,
            fast: fast_by_default() && !matches!(delimiter, b'"' | b'\r' | b'\n'),
        }
    }

    /// From now on only the first `cells` cells of a record need to be read: a record
    /// whose end is already buffered is parsed up to them and then only followed to its end
    /// for quotes and line ends, which is several times cheaper than parsing its cells. Its
    /// row, its problem (if any) and the cells it gives are those the full parse gives; a
    /// record that could be anything but plain (longer than a cell may be, a stray quote,
    /// nothing but blanks in those cells, its end not yet read) is parsed whole as before.
    pub fn skim_to(&mut self, cells: usize) {
        self.skim = cells.max(1);
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// `--skip-lines`: `n` lines were taken off before the stream, unread; the rows after them
    /// keep their numbers in the file.
    pub fn start_after(&mut self, n: u64) {
        self.last_row = n;
    }

    /// Spreadsheet row of the last record.
    pub fn last_row(&self) -> u64 {
        self.last_row
    }

    /// The cells of the last record (empty after a problem that discarded it).
    pub fn fields(&self) -> impl Iterator<Item = &[u8]> {
        let mut start = 0;
        self.ends[..self.ends_len].iter().map(move |&end| {
            let cell = &self.out[start..end];
            start = end;
            cell
        })
    }

    /// Cells of the last record that were past `max_field` (0-based column, length in
    /// bytes): each holds only a preview of its start.
    pub fn oversized(&self) -> &[(usize, usize)] {
        &self.oversized
    }

    /// The last record's cell bytes, back to back, and where each cell ends.
    pub fn record(&self) -> (&[u8], &[usize]) {
        let ends = &self.ends[..self.ends_len];
        (&self.out[..ends.last().copied().unwrap_or(0)], ends)
    }

    /// The next record, `None` at the end of the file.
    pub fn next_record(&mut self) -> io::Result<Option<RecordInfo>> {
        self.out_len = 0;
        self.ends_len = 0;
        self.oversized.clear();
        self.capping = false;
        self.raw.clear();
        self.raw_complete = true;
        self.tracker.begin();
        if self.replay_pos == self.replay.len() && !self.mid_record {
            if self.fast && !self.core_fresh {
                if let Some(info) = self.line_record() {
                    return Ok(Some(info));
                }
            }
            if self.skim != usize::MAX {
                if let Some(info) = self.skim_record() {
                    return Ok(Some(info));
                }
            }
        }
        let mut problem: Option<Problem> = None;
        loop {
            let from_replay = self.replay_pos < self.replay.len();
            if !from_replay && self.pos == self.len && !self.eof {
                self.len = loop {
                    match self.src.read(&mut self.buf) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    }
                };
                self.pos = 0;
                self.eof = self.len == 0;
            }
            let input: &[u8] = if from_replay {
                &self.replay[self.replay_pos..]
            } else {
                &self.buf[self.pos..self.len]
            };
            let discard = problem.is_some();
            let to_scratch = discard || self.capping;
            if !to_scratch {
                if self.out_len == self.out.len() {
                    let grow = self.out.len().clamp(1024, CHUNK);
                    self.out.resize(self.out.len() + grow, 0);
                }
                if self.ends_len == self.ends.len() {
                    self.ends.resize(self.ends.len() * 2, 0);
                }
            }
            let (res, nin, nout, nend) = if to_scratch {
                self.core
                    .read_record(input, &mut self.scratch, &mut self.scratch_ends)
            } else {
                self.core.read_record(
                    input,
                    &mut self.out[self.out_len..],
                    &mut self.ends[self.ends_len..],
                )
            };
            self.core_fresh = false;
            let consumed = &input[..nin];
            let at = self.raw.len();
            self.tracker.feed(consumed, at);
            if self.raw_complete && self.raw.len() <= self.limits.max_row {
                self.raw.extend_from_slice(consumed);
            } else {
                self.raw_complete = false;
            }
            if from_replay {
                self.replay_pos += nin;
                if self.replay_pos == self.replay.len() {
                    self.replay.clear();
                    self.replay_pos = 0;
                }
            } else {
                self.pos += nin;
            }
            if self.capping && !discard {
                self.take_capped(nout, nend);
                if self.out_len > self.limits.max_row {
                    problem = Some(Problem::RowTooBig {
                        column: self.ends_len,
                    });
                }
            } else if !discard {
                let first_new = self.ends_len;
                self.out_len += nout;
                self.ends_len += nend;
                problem = self.check_limits(first_new);
                if matches!(problem, Some(Problem::FieldTooBig { .. })) && !self.stop_at_problem {
                    self.start_capping(first_new);
                    problem = None;
                }
            }
            if let (Some((at, column)), true) = (self.tracker.stray_close, self.raw_complete) {
                self.resume_after_quote(at);
                return Ok(Some(self.finish(Some(Problem::StrayQuote { column }))));
            }
            if problem.is_some() && self.stop_at_problem {
                self.mid_record = !matches!(res, csv_core::ReadRecordResult::Record);
                return Ok(Some(self.finish(problem)));
            }
            let over_row = self.raw.len() > self.limits.max_row;
            // A quoted cell across lines past --max-field-size may be a real long note: read
            // on (up to --max-row-size, all kept to read again) until its quote closes and
            // the record ends, or a stray close shows the quote was never a cell's. Past
            // --max-row-size it is a quote never closed far more often than a real cell that
            // big: read the lines after it again, while the bytes since the record's start
            // are all still here.
            if over_row
                && self.tracker.state == Q::Quoted
                && self.tracker.quote_has_newline
                && self.raw_complete
                && !matches!(res, csv_core::ReadRecordResult::Record)
            {
                let column = self.tracker.column;
                self.resume_after_quote(self.tracker.quote_at);
                return Ok(Some(self.finish(Some(Problem::UnclosedQuote {
                    column,
                    limit_hit: true,
                }))));
            }
            match res {
                csv_core::ReadRecordResult::InputEmpty
                | csv_core::ReadRecordResult::OutputFull
                | csv_core::ReadRecordResult::OutputEndsFull => continue,
                csv_core::ReadRecordResult::Record => {
                    self.mid_record = false;
                    if self.eof && self.tracker.state == Q::Quoted {
                        self.ended_in_quote = true;
                        let column = self.tracker.column;
                        if self.tracker.quote_has_newline && self.raw_complete {
                            self.resume_after_quote(self.tracker.quote_at);
                        }
                        problem = Some(Problem::UnclosedQuote {
                            column,
                            limit_hit: problem.is_some(),
                        });
                    }
                    return Ok(Some(self.finish(problem)));
                }
                csv_core::ReadRecordResult::End => return Ok(None),
            }
        }
    }

    /// The next record read as [`CsvStream::skim_to`] says, when it is plain and already
    /// buffered; `None` (nothing consumed) when it must be parsed whole.
    fn skim_record(&mut self) -> Option<RecordInfo> {
        let input = &self.buf[self.pos..self.len];
        let mut tracker = self.tracker.clone();
        let Skimmed {
            start,
            cut,
            end,
            quoted,
        } = tracker.skim(input, self.skim)?;
        // Past either limit the full parse has a problem to tell or cells to cut; a stray
        // quote makes the lines after it rows; a record whose wanted cells are all blank
        // may be blank as a whole, which only its other cells can tell.
        let delimiter = self.tracker.delimiter;
        if tracker.stray_close.is_some()
            || end > self.limits.max_field.min(self.limits.max_row)
            || input[..cut]
                .iter()
                .all(|&b| b.is_ascii_whitespace() || b == delimiter || b == b'"')
        {
            return None;
        }
        // Room for every byte and cell end, and more: csv_core stops when either is full.
        if self.out.len() <= cut {
            self.out.resize(cut + 1, 0);
        }
        if self.ends.len() <= self.skim {
            self.ends.resize(self.skim + 1, 0);
        }
        if !quoted {
            // No quotes to undo: a cell is its bytes as written, the delimiters dropped.
            // csv_core, never fed the record, still stands where a record starts.
            let last = if cut < end { cut } else { end - 1 };
            let (mut o, mut n) = (0, 0);
            for &b in &input[start..last] {
                if b == delimiter {
                    self.ends[n] = o;
                    n += 1;
                } else {
                    self.out[o] = b;
                    o += 1;
                }
            }
            self.ends[n] = o;
            (self.out_len, self.ends_len) = (o, n + 1);
            self.tracker = tracker;
            self.pos += end;
            return Some(self.finish(None));
        }
        let (mut res, nin, nout, nend) =
            self.core
                .read_record(&input[..cut], &mut self.out, &mut self.ends);
        self.core_fresh = false;
        debug_assert_eq!(nin, cut);
        (self.out_len, self.ends_len) = (nout, nend);
        if cut < end {
            // The last wanted cell ends here: a line end closes it and the record, as the
            // record's own would have, and leaves csv_core where the next record starts.
            debug_assert_eq!(nend, self.skim - 1);
            let (r, _, nout, nend) = self.core.read_record(
                b"\n",
                &mut self.out[self.out_len..],
                &mut self.ends[self.ends_len..],
            );
            res = r;
            self.out_len += nout;
            self.ends_len += nend;
        }
        debug_assert!(matches!(res, csv_core::ReadRecordResult::Record));
        self.tracker = tracker;
        self.pos += end;
        Some(self.finish(None))
    }

    /// The next record when it is one line already buffered whose quoted cells (if any)
    /// close on it: cut by [`split_line`], several times cheaper than following each byte
    /// with csv_core and the tracker, with the same row, cells and state after it. `None`
    /// (nothing consumed) for anything else, or a record that might pass a limit.
    fn line_record(&mut self) -> Option<RecordInfo> {
        let input = &self.buf[self.pos..self.len];
        // Blank lines before the record, counted as the tracker counts them.
        let (mut start, mut blank, mut prev_cr) = (0, 0, self.tracker.prev_cr);
        while let Some(&b) = input.get(start) {
            if b != b'\r' && b != b'\n' {
                break;
            }
            blank += u64::from(b == b'\r' || !prev_cr);
            prev_cr = b == b'\r';
            start += 1;
        }
        let len = memchr::memchr2(b'\r', b'\n', &input[start..])?;
        // Consumed up to its line end (one byte, a `\n` after a `\r` is the next read's).
        let end = start + len + 1;
        if end > self.limits.max_field.min(self.limits.max_row) {
            return None;
        }
        if self.out.len() < len {
            self.out.resize(len, 0);
        }
        let line = &input[start..start + len];
        let delimiter = self.tracker.delimiter;
        let (nout, nend) = split_line(line, delimiter, self.skim, &mut self.out, &mut self.ends)?;
        (self.out_len, self.ends_len) = (nout, nend);
        // Where the tracker stands after the line end; csv_core stands where a record
        // starts, as after its own read of it (after a `\r` it skips a `\n` as a blank line).
        self.tracker.prev_cr = input[end - 1] == b'\r';
        self.tracker.blank_lines = blank;
        self.pos += end;
        Some(self.finish(None))
    }

    fn finish(&mut self, problem: Option<Problem>) -> RecordInfo {
        if problem.is_some() {
            self.ends_len = 0;
        }
        let row = self.last_row + 1 + self.tracker.blank_lines;
        self.last_row = row;
        RecordInfo { row, problem }
    }

    /// The first limit the record just went past, looking at the cells completed by the last
    /// call (from `first_new`) and the one still being read.
    fn check_limits(&self, first_new: usize) -> Option<Problem> {
        let mut start = if first_new == 0 {
            0
        } else {
            self.ends[first_new - 1]
        };
        for (i, &end) in self.ends[first_new..self.ends_len].iter().enumerate() {
            if end.saturating_sub(start) > self.limits.max_field {
                return Some(Problem::FieldTooBig {
                    column: first_new + i,
                });
            }
            start = end;
        }
        if self.out_len.saturating_sub(start) > self.limits.max_field {
            return Some(Problem::FieldTooBig {
                column: self.ends_len,
            });
        }
        if self.raw.len() > self.limits.max_row {
            return Some(Problem::RowTooBig {
                column: self.tracker.column,
            });
        }
        None
    }

    /// Where cell `i` of the record starts in `out`.
    fn cell_start(&self, i: usize) -> usize {
        if i == 0 {
            0
        } else {
            self.ends[i - 1]
        }
    }

    /// A cell just went past `max_field`: cuts the cells completed by the last call (from
    /// `first_new`) that are past it to a preview, keeps at most `max_field + 1` bytes of
    /// the open one, and reads the rest of the record capping.
    fn start_capping(&mut self, first_new: usize) {
        let max = self.limits.max_field;
        self.csv_pos = self.out_len;
        let mut read = self.cell_start(first_new);
        let mut write = read;
        for k in first_new..self.ends_len {
            let end = self.ends[k];
            let mut keep = end - read;
            if keep > max {
                self.oversized.push((k, keep));
                keep = preview_len(&self.out[read..end]);
            }
            self.out.copy_within(read..read + keep, write);
            write += keep;
            self.ends[k] = write;
            read = end;
        }
        self.open_len = self.out_len - read;
        let keep = self.open_len.min(max + 1);
        self.out.copy_within(read..read + keep, write);
        self.out_len = write + keep;
        self.capping = true;
    }

    /// While capping: takes the `nout` bytes and `nend` cell ends csv_core just wrote to
    /// `scratch` into `out`.
    fn take_capped(&mut self, nout: usize, nend: usize) {
        let mut from = 0;
        for k in 0..=nend {
            let to = match k < nend {
                true => self.scratch_ends[k] - self.csv_pos,
                false => nout,
            };
            let bytes = &self.scratch[from..to];
            let kept = self.out_len - self.cell_start(self.ends_len);
            let keep = bytes
                .len()
                .min((self.limits.max_field + 1).saturating_sub(kept));
            if self.out.len() < self.out_len + keep {
                self.out.resize(self.out_len + keep, 0);
            }
            self.out[self.out_len..self.out_len + keep].copy_from_slice(&bytes[..keep]);
            self.out_len += keep;
            self.open_len += bytes.len();
            from = to;
            if k == nend {
                break;
            }
            // The cell ends.
            let start = self.cell_start(self.ends_len);
            if self.open_len > self.limits.max_field {
                self.oversized.push((self.ends_len, self.open_len));
                self.out_len = start + preview_len(&self.out[start..self.out_len]);
            }
            if self.ends_len == self.ends.len() {
                self.ends.resize(self.ends.len() * 2, 0);
            }
            self.ends[self.ends_len] = self.out_len;
            self.ends_len += 1;
            self.open_len = 0;
        }
        self.csv_pos += nout;
    }

    /// After an unclosed quote: read again from the line after the one the quote opens on.
    /// The bytes not yet consumed stay where they are, behind the replayed ones.
    fn resume_after_quote(&mut self, quote_at: usize) {
        // Whatever csv_core was in the middle of is over.
        self.core.reset();
        self.core_fresh = true;
        self.mid_record = false;
        self.tracker.prev_cr = false;
        let from = quote_at.min(self.raw.len());
        let tail = &self.raw[from..];
        let Some(nl) = tail.iter().position(|&b| b == b'\n' || b == b'\r') else {
            return;
        };
        let mut resume = from + nl + 1;
        if self.raw[from + nl] == b'\r' && self.raw.get(resume) == Some(&b'\n') {
            resume += 1;
        }
        let mut replay = self.raw[resume..].to_vec();
        replay.extend_from_slice(&self.replay[self.replay_pos..]);
        self.replay = replay;
        self.replay_pos = 0;
    }
}
