//! The day/month order of a date column, inferred from the whole file as a person would:
//! when some of its dates read only day-first (`31/12/1990`) and none read only month-first,
//! the column is day-first (and the other way round). Dates that read both ways
//! (`03/04/1990`) then follow the column; in a column with no such evidence, or with both,
//! they stay ambiguous and are left out.
//!
//! Dotted dates (`3.4.1985`) are tallied apart from the others in the same column: dots are
//! day-first almost everywhere (`D.M.Y`, German, Scandinavian, Russian …) while slashes are
//! often an American export's `M/D/Y`, so a column holding both is read per style. Dotted
//! dates with no evidence of their own are read day-first, and the run says so for the column.

use super::cell_text;
use super::dates::{reading, DateOrder, Reading};
use crate::input::{Look, RecordValues};
use crate::mapping::Mapper;

/// What the file as a whole says about how to read its values: date orders by column name,
/// and whether `,` is the decimal separator (a `;`-separated file, as Excel writes in
/// locales with decimal commas).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnHints {
    /// Sorted by column name: a file has few date columns, and a binary search of them costs
    /// less per date cell than hashing the column's name.
    by_column: Vec<(String, DateOrder)>,
    /// The same for the column's dotted dates (`3.4.1985`), tallied apart.
    dotted: Vec<(String, DateOrder)>,
    /// Columns whose dotted dates are read day-first for want of evidence (dots' usual
    /// order): each such date that reads both ways is named where it is used.
    dotted_assumed: Vec<String>,
    pub decimal_comma: bool,
}

/// Whether a date cell separates its parts with dots (`3.4.1985`), by its first separator.
pub fn is_dotted(cell: &str) -> bool {
    cell.bytes()
        .find(|c| matches!(c, b'-' | b'/' | b'.' | b'_'))
        == Some(b'.')
}

impl ColumnHints {
    pub fn get(&self, column: &str) -> Option<DateOrder> {
        let i = self.find(column).ok()?;
        Some(self.by_column[i].1)
    }

    /// The order `cell` of `column` is read in: its dotted dates' order when it is dotted.
    pub fn order_for(&self, column: &str, cell: &str) -> Option<DateOrder> {
        if is_dotted(cell) {
            let i = self
                .dotted
                .binary_search_by(|(c, _)| c.as_str().cmp(column))
                .ok()?;
            return Some(self.dotted[i].1);
        }
        self.get(column)
    }

    pub fn is_empty(&self) -> bool {
        self.by_column.is_empty()
    }

    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, DateOrder)>) -> Self {
        let mut hints = ColumnHints::default();
        for (column, order) in pairs {
            hints.insert(column, order);
        }
        hints
    }

    /// Sets a column's order (a later one for the same column replaces it).
    fn insert(&mut self, column: String, order: DateOrder) {
        match self.find(&column) {
            Ok(i) => self.by_column[i].1 = order,
            Err(i) => self.by_column.insert(i, (column, order)),
        }
    }

    /// Sets what a column's tally says of its dates' orders.
    pub fn add(&mut self, column: &str, tally: &Tally) {
        let (plain, dotted) = tally.orders();
        if let Some(o) = plain {
            self.insert(column.to_owned(), o);
        }
        if let Some(o) = dotted {
            self.insert_dotted(column.to_owned(), o);
        }
        if tally.dotted_by_default() {
            self.dotted_assumed.push(column.to_owned());
        }
    }

    /// Whether `column`'s dotted dates are read day-first only because dots usually are.
    pub fn dotted_assumed(&self, column: &str) -> bool {
        self.dotted_assumed.iter().any(|c| c == column)
    }

    /// Sets the order of a column's dotted dates.
    fn insert_dotted(&mut self, column: String, order: DateOrder) {
        match self
            .dotted
            .binary_search_by(|(c, _)| c.as_str().cmp(column.as_str()))
        {
            Ok(i) => self.dotted[i].1 = order,
            Err(i) => self.dotted.insert(i, (column, order)),
        }
    }

    fn find(&self, column: &str) -> Result<usize, usize> {
        self.by_column
            .binary_search_by(|(c, _)| c.as_str().cmp(column))
    }
}

/// How a column's `NN/NN/YYYY` dates read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub day_first: u64,
    pub month_first: u64,
    pub both: u64,
    /// The first value that reads only day-first, and only month-first.
    pub day_example: Option<String>,
    pub month_example: Option<String>,
    /// The first value that reads both ways.
    pub both_example: Option<String>,
    /// The column's dotted dates (`3.4.1985`), tallied apart; none of them counts above.
    pub dotted: Option<Box<Tally>>,
}

impl Tally {
    pub fn see(&mut self, cell: &str) {
        self.count(reading(cell), cell);
    }

    /// Counts `cell`, which reads as `r`.
    fn count(&mut self, r: Reading, cell: &str) {
        if r != Reading::Other && is_dotted(cell) {
            return self.dotted.get_or_insert_default().count_plain(r, cell);
        }
        self.count_plain(r, cell);
    }

    fn count_plain(&mut self, r: Reading, cell: &str) {
        match r {
            Reading::OnlyDayFirst => {
                self.day_first += 1;
                self.day_example
                    .get_or_insert_with(|| cell.trim().to_owned());
            }
            Reading::OnlyMonthFirst => {
                self.month_first += 1;
                self.month_example
                    .get_or_insert_with(|| cell.trim().to_owned());
            }
            Reading::Both => {
                self.both += 1;
                self.both_example
                    .get_or_insert_with(|| cell.trim().to_owned());
            }
            Reading::Other => {}
        }
    }

    /// The column's order, if its dates settle it.
    pub fn order(&self) -> Option<DateOrder> {
        match (self.day_first > 0, self.month_first > 0) {
            (true, false) => Some(DateOrder::DayFirst),
            (false, true) => Some(DateOrder::MonthFirst),
            _ => None,
        }
    }

    /// The column's dates of both styles, counted together (examples: the slashed ones').
    fn whole(&self) -> Tally {
        let mut w = self.clone();
        if let Some(d) = w.dotted.take() {
            w.day_first += d.day_first;
            w.month_first += d.month_first;
            w.both += d.both;
            w.day_example = w.day_example.or(d.day_example);
            w.month_example = w.month_example.or(d.month_example);
            w.both_example = w.both_example.or(d.both_example);
        }
        w
    }

    /// The orders of the column's slashed (or dashed) dates and of its dotted ones. Slashed
    /// dates with no evidence of their own follow the dotted ones', as one column.
    pub fn orders(&self) -> (Option<DateOrder>, Option<DateOrder>) {
        let own = self.day_first + self.month_first > 0;
        let plain = if own {
            self.order()
        } else {
            self.whole().order()
        };
        (plain, self.dotted_order())
    }

    /// What a person should know about the column's dates, if anything: one line when both
    /// styles read the same way, else one per style.
    pub fn notes(&self, column: &str) -> Vec<String> {
        match self.orders() {
            (_, None) if self.dotted.is_none() => self.describe(column).into_iter().collect(),
            (Some(p), Some(d)) if p == d => self.whole().describe(column).into_iter().collect(),
            _ => self
                .describe(column)
                .into_iter()
                .chain(self.describe_dotted(column))
                .collect(),
        }
    }

    /// The order of the column's dotted dates: their own evidence, else day-first (as dots
    /// are almost everywhere) unless they contradict each other.
    pub fn dotted_order(&self) -> Option<DateOrder> {
        let d = self.dotted.as_deref()?;
        match (d.day_first > 0, d.month_first > 0) {
            (false, false) => Some(DateOrder::DayFirst),
            _ => d.order(),
        }
    }

    /// Whether the dotted dates are read day-first with no evidence of their own.
    pub fn dotted_by_default(&self) -> bool {
        self.dotted
            .as_deref()
            .is_some_and(|d| d.day_first + d.month_first == 0 && d.both > 0)
    }

    /// What a person should know about the column's dotted dates, if anything.
    pub fn describe_dotted(&self, column: &str) -> Option<String> {
        let d = self.dotted.as_deref()?;
        let ex = |e: &Option<String>| e.as_deref().unwrap_or_default().to_owned();
        let others = if self.day_first + self.month_first + self.both > 0 {
            " (its dates with / or - are read on their own)"
        } else {
            ""
        };
        match (d.day_first > 0, d.month_first > 0) {
            (false, false) if d.both > 0 => Some(format!(
                "{} dotted dates in column '{column}' (like {:?}) read both ways and none settles the order: they are read day-first (D.M.Y), as dotted dates are almost everywhere{others}; set date_format for the column if that is wrong",
                d.both,
                ex(&d.both_example)
            )),
            (true, true) => Some(format!(
                "dotted dates in column '{column}' are written both ways ({} only day-first like {:?}, {} only month-first like {:?}): the {} that read both ways are left out; set date_format for the column",
                d.day_first,
                ex(&d.day_example),
                d.month_first,
                ex(&d.month_example),
                d.both
            )),
            (false, true) => Some(format!(
                "dotted dates in column '{column}' are read month-first: {} of them read only that way (e.g. {:?}){others}",
                d.month_first,
                ex(&d.month_example)
            )),
            (true, false) => Some(format!(
                "dates in column '{column}' are read day-first: {} of them read only that way (e.g. {:?}) and none only month-first{}{}",
                d.day_first,
                ex(&d.day_example),
                if d.both > 0 { format!("; {} that read both ways follow it", d.both) } else { String::new() },
                if others.is_empty() { "" } else { " (its dotted dates; those with / or - are read on their own)" }
            )),
            (false, false) => None,
        }
    }

    /// What a person should know about the column, if anything.
    pub fn describe(&self, column: &str) -> Option<String> {
        let ex = |e: &Option<String>| e.as_deref().unwrap_or_default().to_owned();
        match self.order() {
            Some(DateOrder::DayFirst) => Some(format!(
                "dates in column '{column}' are read day-first: {} of them read only that way (e.g. {:?}) and none only month-first{}",
                self.day_first,
                ex(&self.day_example),
                if self.both > 0 { format!("; {} that read both ways follow it", self.both) } else { String::new() }
            )),
            Some(DateOrder::MonthFirst) if self.both > 0 => Some(format!(
                "dates in column '{column}' are read month-first: {} of them read only that way (e.g. {:?}) and none only day-first; {} that read both ways follow it",
                self.month_first,
                ex(&self.month_example),
                self.both
            )),
            Some(DateOrder::MonthFirst) => None,
            None if self.day_first > 0 && self.both > 0 => Some(format!(
                "dates in column '{column}' are written both ways ({} only day-first like {:?}, {} only month-first like {:?}): the {} that read both ways are left out; set date_format for the column",
                self.day_first,
                ex(&self.day_example),
                self.month_first,
                ex(&self.month_example),
                self.both
            )),
            None if self.both > 0 => Some(format!(
                "{} dates in column '{column}' read both ways (day-first or month-first) and no date in it settles the order: they are left out; set date_format for the column",
                self.both
            )),
            None => None,
        }
    }
}

/// The dates of every column that may hold them, tallied as the pre-pass reads the file
/// (`crate::pipeline::prepass`), so that no read of its own is needed. CSV (and other
/// tabular input) only; JSONL keeps HighLevel's month-first reading.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DateScan {
    /// Column index and its tally, for the columns being watched.
    columns: Vec<(usize, Tally)>,
    headers: Vec<String>,
    decimal_comma: bool,
}

impl DateScan {
    /// Watches `columns` (indices into `headers`); `delimiter` is the file's, if CSV.
    pub fn new(headers: &[String], delimiter: Option<u8>, columns: &[usize]) -> Self {
        let mut columns: Vec<usize> = columns.to_vec();
        columns.sort_unstable();
        columns.dedup();
        DateScan {
            columns: columns.into_iter().map(|i| (i, Tally::default())).collect(),
            headers: headers.to_vec(),
            decimal_comma: delimiter == Some(b';'),
        }
    }

    /// Whether reading the rows would tell anything.
    pub fn watches(&self) -> bool {
        !self.columns.is_empty()
    }

    /// How many of a record's first cells [`DateScan::look`] reads: the rest can be skimmed.
    pub fn cells_read(&self) -> usize {
        self.columns.last().map_or(0, |(i, _)| i + 1)
    }

    pub fn see(&mut self, values: &RecordValues) {
        self.look(&Look::Values(values));
    }

    /// As [`DateScan::see`] on the record's values, but only the watched cells are checked
    /// as text (a bad cell costs only itself, so the rest of the record need not be).
    pub fn look(&mut self, record: &Look) {
        for (i, tally) in self.columns.iter_mut() {
            // The cell's text as the run reads it (`="31/12/1990"` is a date, `#N/A` none).
            let Some(Ok(Some(text))) = record.cell(*i).map(cell_text::read) else {
                continue;
            };
            let r = reading(&text);
            if r != Reading::Other {
                tally.count(r, &text);
            }
        }
    }

    /// Adds what a scan of the rest of the file (the same columns, from where this one
    /// stopped) saw: counts add up, an example is the first in the file.
    pub fn merge_later(&mut self, later: DateScan) {
        for ((_, t), (_, l)) in self.columns.iter_mut().zip(later.columns) {
            t.day_first += l.day_first;
            t.month_first += l.month_first;
            t.both += l.both;
            t.day_example = t.day_example.take().or(l.day_example);
            t.month_example = t.month_example.take().or(l.month_example);
            t.both_example = t.both_example.take().or(l.both_example);
            if let Some(ld) = l.dotted {
                let d = t.dotted.get_or_insert_default();
                d.day_first += ld.day_first;
                d.month_first += ld.month_first;
                d.both += ld.both;
                d.day_example = d.day_example.take().or(ld.day_example);
                d.month_example = d.month_example.take().or(ld.month_example);
                d.both_example = d.both_example.take().or(ld.both_example);
            }
        }
    }

    /// The orders, and one line per column worth telling about, for the mapper's date
    /// columns as they are now (matching columns to custom fields may have added some, which
    /// the scan watched too).
    pub fn hints(&self, mapper: &Mapper) -> (ColumnHints, Vec<String>) {
        let mut orders = ColumnHints {
            decimal_comma: self.decimal_comma,
            ..ColumnHints::default()
        };
        let mut notes = Vec::new();
        let evidence = self.evidence(mapper);
        for i in mapper.date_candidates() {
            let (Some(name), Some((_, tally))) = (
                self.headers.get(i),
                self.columns.iter().find(|(c, _)| *c == i),
            ) else {
                continue;
            };
            orders.add(name, tally);
            let whole = tally.whole();
            let unsettled = tally.orders().0.is_none() && whole.day_first + whole.month_first == 0;
            let how_of = |order| match order {
                DateOrder::MonthFirst => ("month-first (M/D/YYYY)", "%m/%d/%Y"),
                DateOrder::DayFirst => ("day-first (D/M/YYYY)", "%d/%m/%Y"),
            };
            match (&evidence, mapper.preset_date_order()) {
                // No date of the column settles its order: the same export's other dates do.
                (Some((column, order, like)), _) if unsettled && tally.both > 0 => {
                    orders.insert(name.clone(), *order);
                    let (how, example) = how_of(*order);
                    notes.push(format!(
                        "{} dates in column '{name}' (like {:?}) read both ways and none settles the order: they are read {how}, as the same export's dates in column '{column}' (like {like:?}) are; set date_format for the column (e.g. {example:?}) if that is wrong",
                        tally.both,
                        tally.both_example.as_deref().unwrap_or_default()
                    ));
                    notes.extend(tally.describe_dotted(name));
                }
                // No date of the column settles its order: the export's own order does.
                (_, Some((export, order))) if unsettled && tally.both > 0 => {
                    orders.insert(name.clone(), order);
                    let (how, example) = how_of(order);
                    notes.push(format!(
                        "{} dates in column '{name}' (like {:?}) read both ways and none settles the order: they are read {how}, as {export} writes dates; set date_format for the column (e.g. {example:?}) if that is wrong",
                        tally.both,
                        tally.both_example.as_deref().unwrap_or_default()
                    ));
                    notes.extend(tally.describe_dotted(name));
                }
                _ => notes.extend(tally.notes(name)),
            }
        }
        (orders, notes)
    }

    /// The order the preset's evidence columns settle, together and without contradiction:
    /// the first such column and a date of it that reads only that way.
    fn evidence(&self, mapper: &Mapper) -> Option<(String, DateOrder, String)> {
        let mut settled: Option<(String, DateOrder, String)> = None;
        for i in mapper.date_evidence_columns(&self.headers) {
            let Some((_, tally)) = self.columns.iter().find(|(c, _)| *c == i) else {
                continue;
            };
            let whole = tally.whole();
            let (order, like) = match whole.order() {
                Some(DateOrder::DayFirst) => (DateOrder::DayFirst, whole.day_example),
                Some(DateOrder::MonthFirst) => (DateOrder::MonthFirst, whole.month_example),
                // Both ways in one column: no evidence for any other.
                None if whole.day_first + whole.month_first > 0 => return None,
                None => continue,
            };
            match &settled {
                Some((_, o, _)) if *o != order => return None,
                Some(_) => {}
                None => settled = Some((self.headers[i].clone(), order, like.unwrap_or_default())),
            }
        }
        settled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exports_own_date_order_reads_a_column_its_dates_do_not_settle_and_yields_to_one_they_do()
    {
        use crate::mapping::{MappingSpec, PresetChoice};
        let h: Vec<String> = ["First Name", "E-mail Address", "Mobile Phone", "Birthday"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let scan = |mapper: &Mapper, birthdays: &[&str]| {
            let mut scan = DateScan::new(&h, Some(b','), &mapper.date_candidates());
            for b in birthdays {
                let cells = ["Ann", "ann@example.com", "", b];
                scan.see(&RecordValues::Cells(
                    cells.iter().map(|s| s.to_string()).collect(),
                ));
            }
            scan.hints(mapper)
        };
        let outlook = MappingSpec::from_preset(PresetChoice::Named("outlook".into()));
        let outlook = Mapper::new(Some(&outlook), Some(&h)).unwrap();
        let (hints, notes) = scan(&outlook, &["3/12/1990", "4/5/1981"]);
        assert_eq!(hints.get("Birthday"), Some(DateOrder::MonthFirst));
        assert!(
            notes.len() == 1
                && notes[0].contains("read month-first (M/D/YYYY), as Outlook writes dates"),
            "{notes:?}"
        );
        // The column's own dates win.
        let (hints, _) = scan(&outlook, &["3/12/1990", "31/12/1981"]);
        assert_eq!(hints.get("Birthday"), Some(DateOrder::DayFirst));
        // Dates written both ways stay unsettled, the preset notwithstanding.
        let (hints, _) = scan(&outlook, &["3/12/1990", "31/12/1981", "12/31/1979"]);
        assert_eq!(hints.get("Birthday"), None);
        // Without the preset nothing settles them.
        let none = MappingSpec::from_preset(PresetChoice::Off);
        let none = Mapper::new(Some(&none), Some(&h)).unwrap();
        let (hints, notes) = scan(&none, &["3/12/1990", "4/5/1981"]);
        assert_eq!(hints.get("Birthday"), None);
        assert!(notes[0].contains("left out"), "{notes:?}");
    }

    fn tally(cells: &[&str]) -> Tally {
        let mut t = Tally::default();
        for c in cells {
            t.see(c);
        }
        t
    }

    /// The pre-pass looks at records as read; the run reads them as values: the tallies
    /// agree whatever else the records hold (bad bytes, NULs, a char cut by a delimiter,
    /// short rows, quoted line breaks, problem records).
    #[test]
    fn looking_at_records_as_read_tallies_what_their_values_do() {
        use crate::input::{InputOptions, Reader, TextEncoding};
        let dates = [
            "31/12/1990",
            "12/31/1990",
            "03/04/1985",
            "1985-04-03",
            "",
            "13/13/1990",
            "x",
        ];
        let others: [&[u8]; 8] = [
            b"ann",
            b"b\xffd",
            b"n\0l",
            b"\xc3",
            b"\"two\nlines\"",
            b"\"a\nb\"c",
            b"\xc3\xa9",
            b"",
        ];
        let mut csv = b"Name,Date,Other,Date 2\n".to_vec();
        let mut seed = 7u64;
        let mut pick = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        for _ in 0..20_000 {
            let other = others[pick(others.len())];
            // Starts the next cell with a continuation byte after a lead byte in `other`.
            let next = if pick(4) == 0 { &b"\xa9"[..] } else { b"" };
            csv.extend_from_slice(b"n,");
            csv.extend_from_slice(dates[pick(dates.len())].as_bytes());
            csv.push(b',');
            csv.extend_from_slice(other);
            match pick(6) {
                0 => csv.extend_from_slice(b"\n"),
                1 => csv.extend_from_slice(b"\n\n"),
                _ => {
                    csv.push(b',');
                    csv.extend_from_slice(next);
                    csv.extend_from_slice(dates[pick(dates.len())].as_bytes());
                    csv.push(b'\n');
                }
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.csv");
        std::fs::write(&path, &csv).unwrap();
        let opts = InputOptions {
            encoding: Some(TextEncoding::from_label("utf-8").unwrap()),
            ..InputOptions::default()
        };
        let open = || Reader::open(&path, &opts).unwrap();
        let headers = open().headers().unwrap().to_vec();
        let mut by_values = DateScan::new(&headers, Some(b','), &[1, 3, 7]);
        let mut by_look = by_values.clone();
        let (mut cells, mut other) = (0, 0);
        for record in open() {
            match &record.values {
                RecordValues::Cells(_) => cells += 1,
                _ => other += 1,
            }
            by_values.see(&record.values);
        }
        open().look_at_each(|r| by_look.look(r));
        assert!(cells > 10_000 && other > 1_000, "{cells} {other}");
        let t = &by_values.columns[0].1;
        assert!(t.day_first > 0 && t.month_first > 0 && t.both > 0, "{t:?}");
        assert_eq!(by_look, by_values);
    }

    #[test]
    fn a_date_cell_the_run_leaves_out_does_not_count() {
        use crate::input::{InputOptions, Reader, TextEncoding};
        // Each would read as a date with its bad byte or NUL taken away.
        let csv =
            b"Name,Date\nn,31/12/1990 10:00\xff\nn,31/12/1990\0\nn,\xa931/12/1990\nn,12/31/1990\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.csv");
        std::fs::write(&path, csv).unwrap();
        let opts = InputOptions {
            encoding: Some(TextEncoding::from_label("utf-8").unwrap()),
            ..InputOptions::default()
        };
        let open = || Reader::open(&path, &opts).unwrap();
        let headers = open().headers().unwrap().to_vec();
        let fresh = DateScan::new(&headers, Some(b','), &[1]);
        let mut by_values = fresh.clone();
        for record in open() {
            by_values.see(&record.values);
        }
        let mut by_look = fresh;
        open().look_at_each(|r| by_look.look(r));
        // Only the readable month-first date counts, in both passes.
        for scan in [&by_values, &by_look] {
            let t = &scan.columns[0].1;
            assert_eq!((t.day_first, t.month_first, t.both), (0, 1, 0), "{t:?}");
        }
    }

    /// Excel's `="31/12/1990"` (a date kept as text) is the date the run reads, so it counts
    /// in the column's order as the run reads it; an error value or a control character,
    /// which the run leaves out, does not.
    #[test]
    fn the_pre_pass_reads_a_date_cell_as_the_run_does() {
        let headers: Vec<String> = vec!["Name".into(), "Birthday".into()];
        let mut scan = DateScan::new(&headers, Some(b','), &[1]);
        for cell in [
            "=\"31/12/1990\"",
            " =\"03/04/1985\" ",
            "'=\"05/06/1970\"",
            "#N/A",
            "12/31/1990\u{1b}",
            "12/31/1990\u{92}",
        ] {
            let cells = ["n", cell].iter().map(|s| s.to_string()).collect();
            scan.see(&RecordValues::Cells(cells));
        }
        let t = &scan.columns[0].1;
        assert_eq!((t.day_first, t.month_first, t.both), (1, 0, 2), "{t:?}");
        assert_eq!(t.day_example.as_deref(), Some("31/12/1990"));
        assert_eq!(t.order(), Some(DateOrder::DayFirst));
    }

    #[test]
    fn one_unambiguous_date_settles_a_column() {
        let t = tally(&["03/04/1985", "31/12/1990", "", "1985-04-03", "05/06/1970"]);
        assert_eq!(t.order(), Some(DateOrder::DayFirst));
        assert_eq!(
            t.describe("Birthday").unwrap(),
            "dates in column 'Birthday' are read day-first: 1 of them read only that way (e.g. \"31/12/1990\") and none only month-first; 2 that read both ways follow it"
        );
        let t = tally(&["03/04/1985", "12/31/1990 10:00 AM"]);
        assert_eq!(t.order(), Some(DateOrder::MonthFirst));
        assert!(t.describe("DOB").unwrap().contains("month-first"));
        // Month-first is HighLevel's own reading: nothing to say when nothing changes.
        assert_eq!(tally(&["12/31/1990"]).describe("DOB"), None);
    }

    #[test]
    fn a_column_stays_ambiguous_without_evidence_or_with_both() {
        let t = tally(&["03/04/1985", "05/06/1970", "1990-01-01"]);
        assert_eq!(t.order(), None);
        assert!(t
            .describe("DOB")
            .unwrap()
            .starts_with("2 dates in column 'DOB' read both ways"));
        let t = tally(&["31/12/1990", "12/31/1990", "03/04/1985"]);
        assert_eq!(t.order(), None);
        assert!(t.describe("DOB").unwrap().contains("written both ways"));
        assert_eq!(tally(&["1990-01-01", "3 Apr 1985"]).describe("DOB"), None);
    }

    #[test]
    fn dotted_dates_are_read_by_their_own_evidence_not_by_the_slashed_dates_of_their_column() {
        use super::super::dates::date_of_birth;
        let t = tally(&["3.4.1985", "12/31/1980", "04.05.1990", "03/04/1985"]);
        assert_eq!(t.order(), Some(DateOrder::MonthFirst));
        assert_eq!(t.dotted_order(), Some(DateOrder::DayFirst));
        let note = t.describe_dotted("Birthday").unwrap();
        assert!(
            note.starts_with(
                "2 dotted dates in column 'Birthday' (like \"3.4.1985\") read both ways"
            ),
            "{note}"
        );
        assert_eq!(t.notes("Birthday").len(), 2);
        let mut hints = ColumnHints::default();
        let (plain, dotted) = t.orders();
        hints.insert("Birthday".into(), plain.unwrap());
        hints.insert_dotted("Birthday".into(), dotted.unwrap());
        let read = |cell: &str| date_of_birth(cell, hints.order_for("Birthday", cell));
        assert_eq!(read("3.4.1985"), Ok(Some("1985-04-03".into())));
        assert_eq!(read("04.05.1990"), Ok(Some("1990-05-04".into())));
        assert_eq!(read("03/04/1985"), Ok(Some("1985-03-04".into())));
        assert_eq!(read("12/31/1980"), Ok(Some("1980-12-31".into())));
        // Dotted dates that say month-first are read so; ones that contradict each other
        // are left out (no order), named for the column.
        let t = tally(&["12.31.1980", "3.4.1985"]);
        assert_eq!(t.dotted_order(), Some(DateOrder::MonthFirst));
        let t = tally(&["12.31.1980", "31.12.1980", "3.4.1985"]);
        assert_eq!(t.dotted_order(), None);
        assert!(t.describe_dotted("DOB").unwrap().contains("left out"));
        // A column of slashed dates alone has no dotted order and nothing to say about one.
        let t = tally(&["03/04/1985", "31/12/1990"]);
        assert_eq!((t.dotted_order(), t.describe_dotted("DOB")), (None, None));
        // Both styles reading one way are one column, described as before; dotted dates
        // still settle the slashed ones that read both ways.
        let t = tally(&["31.12.1990", "31/12/1990", "03/04/1985"]);
        assert_eq!(
            t.orders(),
            (Some(DateOrder::DayFirst), Some(DateOrder::DayFirst))
        );
        assert_eq!(
            t.notes("DOB"),
            ["dates in column 'DOB' are read day-first: 2 of them read only that way (e.g. \"31/12/1990\") and none only month-first; 1 that read both ways follow it"]
        );
        let t = tally(&["31.12.1990", "03/04/1985"]);
        assert_eq!(
            t.orders(),
            (Some(DateOrder::DayFirst), Some(DateOrder::DayFirst))
        );
        // A day-first column of dotted dates alone reads, and is described, as before.
        let t = tally(&["31.12.1990", "03.04.1985"]);
        assert_eq!(t.dotted_order(), Some(DateOrder::DayFirst));
        assert_eq!(
            t.describe_dotted("DOB").unwrap(),
            "dates in column 'DOB' are read day-first: 1 of them read only that way (e.g. \"31.12.1990\") and none only month-first; 1 that read both ways follow it"
        );
    }
}
