//! A CSV (or sheet) saved without its header row: its first contact is read as the column
//! names, so that contact is lost and no column maps to an email or a phone. Known by the
//! header itself holding an email or a phone number, or reading like the rows below it, and
//! stopped before anything is sent. A title line above the real header is told apart: a
//! line below it would map an email or phone column.

use std::path::Path;

use super::run::{RunConfig, RunError};
use crate::input::{Format, Reader, RecordValues};
use crate::mapping::Mapper;

/// How many records below the header are looked at: a title block above a header is a few
/// lines, and a few rows show what a column holds.
const FIRST_RECORDS: usize = 10;

/// Why the run must not start when the header `reader` read maps no email or phone column
/// (`mapper`): the header is a contact, or a title line sits above the real header. `None`
/// when neither is seen (the run then says every row is invalid, and why).
pub fn misread_header(cfg: &RunConfig, mapper: &Mapper, reader: &Reader) -> Option<RunError> {
    let headers = reader.headers().filter(|_| mapper.no_key_column())?;
    let delimiter = reader.delimiter().unwrap_or(b',');
    let sep = (delimiter as char).to_string();
    let file = cfg.input.display().to_string();
    let rows = first_records(&cfg.input, cfg);
    let line = if reader.format() == Format::Xlsx {
        "row"
    } else {
        "line"
    };
    // A line below that, as the header, would give an email or phone column is the header.
    if let Some((row, cells)) = rows.iter().find(|(_, cells)| {
        Mapper::new(cfg.mapping.as_ref(), Some(cells)).is_ok_and(|m| !m.no_key_column())
    }) {
        let above = match row - 1 {
            1 => format!("{line} 1"),
            n => format!("{line}s 1 to {n}"),
        };
        return Some(RunError::TitleAboveHeader {
            file,
            header: format!("{line} {row} ({})", cells.join(&sep)),
            first: headers.join(&sep),
            above,
            skip: row - 1,
        });
    }
    let found = missing_header(headers, delimiter).or_else(|| {
        let maps_nothing = mapper.unmapped_columns().len() == headers.len();
        let cells: Vec<Vec<String>> = rows.into_iter().map(|(_, c)| c).collect();
        maps_nothing
            .then(|| reads_like_a_row(headers, &cells, delimiter))
            .flatten()
    });
    let (value, suggested) = found?;
    // Too many lines skipped takes the header with them: the first contact reads as one.
    let skipped = match cfg.input_options.skip_lines {
        0 => String::new(),
        n => format!(", or, if --skip-lines {n} left the header unread, give it fewer lines"),
    };
    Some(RunError::NoHeaderRow {
        file,
        value,
        suggested,
        skipped,
    })
}

/// What the run says once when no column maps to email or phone (a header that is a contact,
/// or below a title, stopped the run before): the unmapped columns whose cells below are
/// emails or phone numbers, with the mapping lines that import them; or, when no column
/// holds either, that the file has nothing to match contacts by, whatever its first line.
pub(super) fn no_key_notice(cfg: &RunConfig, mapper: &Mapper, reader: &Reader) -> String {
    let file = cfg.input.display().to_string();
    let headers = reader.headers().unwrap_or_default();
    let rows: Vec<Vec<String>> = first_records(&cfg.input, cfg)
        .into_iter()
        .map(|(_, c)| c)
        .collect();
    let unmapped = mapper.unmapped_columns();
    let found: Vec<(usize, &str, Kind)> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| unmapped.contains(h))
        .filter_map(|(i, h)| match column_kind(&rows, i) {
            Some(k @ (Kind::Email | Kind::Phone)) => Some((i, h.trim(), k)),
            _ => None,
        })
        .collect();
    let field = |k: Kind| if k == Kind::Email { "email" } else { "phone" };
    let preset = preset_hint(headers);
    if found.is_empty() {
        let sep = (reader.delimiter().unwrap_or(b',') as char).to_string();
        let line = match reader.format() {
            Format::Xlsx => "row",
            _ => "line",
        };
        return format!(
            "no column of {file} maps to email or phone, and none holds an email or a phone number in its first {} rows, so every row will be invalid (HighLevel matches contacts by them): its first {line} ({}) is read as the column names; export the contacts again with their email or phone columns (or check that this is the contacts export, not a report of another kind); if a column does hold them further down, map it in a mapping file (--mapping; `ghl-import init {file}` writes one to edit){preset}",
            rows.len(),
            headers.join(&sep)
        );
    }
    let named: Vec<String> = found
        .iter()
        .map(|&(i, h, k)| match h.is_empty() {
            true => format!(
                "column {} (no name in the header) holds {}",
                i + 1,
                k.plural()
            ),
            false => format!("column {} ('{h}') holds {}", i + 1, k.plural()),
        })
        .collect();
    let lines: Vec<String> = found
        .iter()
        .filter(|(_, h, _)| !h.is_empty())
        .map(|&(_, h, k)| format!("\"{h}\" = \"{}\"", field(k)))
        .collect();
    let todo = match lines.is_empty() {
        true => "give it a name in the header row and map that name".to_owned(),
        false => format!("put {} under [columns]", lines.join(" and ")),
    };
    format!(
        "no column of {file} maps to email or phone, so every row will be invalid (HighLevel matches contacts by them), but {} below its header: to import them, {todo} in a mapping file (--mapping; `ghl-import init {file}` writes one to edit){preset}",
        named.join(" and "),
    )
}

/// The presets that know an email or phone column of `headers`, as advice: none is offered
/// for headers no preset knows (a Pipedrive export in French), where `--preset` would change
/// nothing.
fn preset_hint(headers: &[String]) -> String {
    let fits: Vec<String> = crate::mapping::presets_naming_a_key(headers)
        .into_iter()
        .map(|id| format!("--preset {id}"))
        .collect();
    match fits.is_empty() {
        true => String::new(),
        false => format!(", or name the export's source ({})", fits.join(" or ")),
    }
}

/// The cells of the first records below the header, as a second reader of the file gives
/// them (the run's own reader is not read from before the run).
fn first_records(path: &Path, cfg: &RunConfig) -> Vec<(u64, Vec<String>)> {
    let Ok(reader) = Reader::open(path, &cfg.input_options) else {
        return Vec::new();
    };
    reader
        .take(FIRST_RECORDS)
        .filter_map(|r| match r.values {
            RecordValues::Cells(c) => Some((r.row, c.to_vec())),
            _ => None,
        })
        .collect()
}

/// When no column maps to email or phone (`no_key_column`) and a header cell looks like an
/// email or a phone number: that cell, and a header to add, one name per column.
pub(super) fn missing_header(headers: &[String], delimiter: u8) -> Option<(String, String)> {
    let found = headers.iter().find(|h| looks_like_key(h))?;
    let kinds = headers.iter().map(|h| {
        let h = h.trim();
        if looks_like_email(h) {
            Some(Kind::Email)
        } else if looks_like_phone(h) {
            Some(Kind::Phone)
        } else {
            None
        }
    });
    let suggested = suggested_header(kinds, delimiter);
    Some((found.trim().to_owned(), suggested))
}

/// When no header cell maps to anything: a first line that reads like the rows below it
/// (`rows`, the next few records' cells) — a column holding emails or phones below is empty
/// on it, or its cell has the shape (email, phone, date, number) its column has below. What
/// gives it away, and a header to add.
pub(super) fn reads_like_a_row(
    headers: &[String],
    rows: &[Vec<String>],
    delimiter: u8,
) -> Option<(String, String)> {
    let kinds: Vec<Option<Kind>> = (0..headers.len()).map(|i| column_kind(rows, i)).collect();
    let clue = headers
        .iter()
        .zip(&kinds)
        .enumerate()
        .find_map(|(i, (h, k))| {
            let h = h.trim();
            match (*k, kind(h)) {
                (Some(k @ (Kind::Email | Kind::Phone)), None) if h.is_empty() => Some(format!(
                    "column {} is empty there but holds {} below",
                    i + 1,
                    k.plural()
                )),
                (Some(k), Some(hk)) if k == hk => Some(format!(
                    "\"{h}\" there reads like the {} below it",
                    k.plural()
                )),
                _ => None,
            }
        })?;
    let suggested = suggested_header(kinds.iter().copied(), delimiter);
    let sep = (delimiter as char).to_string();
    let line = headers.join(&sep);
    Some((format!("\"{line}\"; {clue}"), suggested))
}

/// A header to add, one name per column: Email and Phone where the column holds them, the
/// others First Name, Last Name, then `Column N`.
fn suggested_header(kinds: impl Iterator<Item = Option<Kind>>, delimiter: u8) -> String {
    let mut names = ["First Name", "Last Name"].into_iter();
    let suggested: Vec<String> = kinds
        .enumerate()
        .map(|(i, k)| match k {
            Some(Kind::Email) => "Email".to_owned(),
            Some(Kind::Phone) => "Phone".to_owned(),
            _ => names
                .next()
                .map_or_else(|| format!("Column {}", i + 1), str::to_owned),
        })
        .collect();
    suggested.join(&(delimiter as char).to_string())
}

/// The shape of a value no column name has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Email,
    Phone,
    Date,
    Number,
}

impl Kind {
    fn plural(self) -> &'static str {
        match self {
            Kind::Email => "emails",
            Kind::Phone => "phone numbers",
            Kind::Date => "dates",
            Kind::Number => "numbers",
        }
    }
}

fn kind(cell: &str) -> Option<Kind> {
    let c = cell.trim();
    if looks_like_email(c) {
        Some(Kind::Email)
    } else if looks_like_date(c) {
        Some(Kind::Date)
    } else if looks_like_phone(c) {
        Some(Kind::Phone)
    } else if !c.is_empty()
        && c.chars().any(|ch| ch.is_ascii_digit())
        && c.chars()
            .all(|ch| ch.is_ascii_digit() || matches!(ch, '.' | ',' | '-'))
    {
        Some(Kind::Number)
    } else {
        None
    }
}

/// `2024-01-31`, `1/31/2024`, `31.01.2024`, with or without a time after a space.
fn looks_like_date(c: &str) -> bool {
    let day = c.split([' ', 'T']).next().unwrap_or_default();
    let parts: Vec<&str> = day.split(['-', '/', '.']).collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| p.chars().all(|ch| ch.is_ascii_digit()))
        && parts.iter().filter(|p| p.len() == 4).count() == 1
        && parts.iter().filter(|p| (1..=2).contains(&p.len())).count() == 2
}

/// The shape all of a column's filled cells below have, when at least half the rows fill it.
fn column_kind(rows: &[Vec<String>], i: usize) -> Option<Kind> {
    let filled: Vec<&str> = rows
        .iter()
        .filter_map(|r| r.get(i).map(|c| c.trim()))
        .filter(|c| !c.is_empty())
        .collect();
    if filled.is_empty() || filled.len() * 2 < rows.len() {
        return None;
    }
    let first = kind(filled[0])?;
    filled
        .iter()
        .all(|c| kind(c) == Some(first))
        .then_some(first)
}

fn looks_like_key(h: &str) -> bool {
    looks_like_email(h.trim()) || looks_like_phone(h.trim())
}

/// `local@domain.tld`, no spaces: no column name is written that way.
fn looks_like_email(h: &str) -> bool {
    let Some((local, domain)) = h.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !h.contains(char::is_whitespace)
}

/// 7 to 15 digits, with only the punctuation phone numbers are written with.
fn looks_like_phone(h: &str) -> bool {
    let digits = h.chars().filter(char::is_ascii_digit).count();
    (7..=15).contains(&digits)
        && h.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '(' | ')' | '-' | '.' | ' '))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_first_row_of_data_is_known_by_its_email_or_phone() {
        assert_eq!(
            missing_header(&h(&["ann@example.com", "Ann", "Lee", "4155550101"]), b','),
            Some((
                "ann@example.com".to_owned(),
                "Email,First Name,Last Name,Phone".to_owned()
            ))
        );
        assert_eq!(
            missing_header(&h(&["Ann", "Lee", "+1 (415) 555-0101", "VIP", "x"]), b';'),
            Some((
                "+1 (415) 555-0101".to_owned(),
                "First Name;Last Name;Phone;Column 4;Column 5".to_owned()
            ))
        );
        // Column names, even odd ones, are not data.
        for header in [
            &["Name", "E-mail", "Tel."][..],
            &["id", "2024", "Phone 1"],
            &["contact@", "@handle", "a@b"],
        ] {
            assert_eq!(missing_header(&h(header), b','), None, "{header:?}");
        }
    }

    fn rows(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter().map(|r| h(r)).collect()
    }

    #[test]
    fn a_first_row_is_known_by_cells_shaped_like_its_columns_below() {
        let below = rows(&[
            &["Bob", "Ray", "bob@h.com", "2024-03-04"],
            &["Cy", "Oh", "cy@h.com", "2024-05-06"],
        ]);
        let (said, suggested) =
            reads_like_a_row(&h(&["Ann", "Lee", "", "x"]), &below, b',').unwrap();
        assert!(
            said.contains("column 3 is empty there but holds emails below"),
            "{said}"
        );
        assert_eq!(suggested, "First Name,Last Name,Email,Column 4");
        let (said, _) =
            reads_like_a_row(&h(&["Ann", "Lee", "n/a", "2024-01-02"]), &below, b',').unwrap();
        assert!(
            said.contains("\"2024-01-02\" there reads like the dates below it"),
            "{said}"
        );
        // Names over their columns, and an empty name over a column of words, are a header.
        for header in [
            &["Vorname", "Nachname", "E-Post", "Datum"][..],
            &["", "Nachname", "E-Post", "Datum"],
        ] {
            assert_eq!(
                reads_like_a_row(&h(header), &below, b','),
                None,
                "{header:?}"
            );
        }
        // A column filled in fewer than half the rows says nothing.
        let sparse = rows(&[&["Bob", "bob@h.com"], &["Cy", ""], &["Di", ""]]);
        assert_eq!(reads_like_a_row(&h(&["Ann", ""]), &sparse, b','), None);
    }

    #[test]
    fn dates_and_phone_numbers_are_told_apart() {
        assert_eq!(kind("2024-01-31"), Some(Kind::Date));
        assert_eq!(kind("1/31/2024 09:14"), Some(Kind::Date));
        assert_eq!(kind("31.01.2024"), Some(Kind::Date));
        assert_eq!(kind("415-555-0101"), Some(Kind::Phone));
        assert_eq!(kind("2024"), Some(Kind::Number));
        assert_eq!(kind("Phone 1"), None);
    }
}
