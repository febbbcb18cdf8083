//! Dates as people and CRMs write them, to `YYYY-MM-DD`.
//!
//! Numbers with separators put the month first when the year is last (`MM/DD/YYYY`, as
//! HighLevel reads them) unless the column is known to be day-first; a date that reads both
//! ways (`03/04/1990`) is never guessed. Month names (`3 Apr 1985`, `April 3, 1985`,
//! `3-Apr-85`) are unambiguous. A time after the date (`4/3/1985 9:15 AM`,
//! `1985-04-03T00:00:00+02:00`) is dropped: the date is kept as written, whatever the zone.
//! A bare number in a date column is an Excel date serial (`31140` is 3 April 1985).

use chrono::{Datelike, NaiveDate};

use crate::input::trim;

/// The order of day and month in a column's `NN/NN/YYYY` dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    MonthFirst,
    DayFirst,
}

/// What a date cell holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateCell {
    Date(NaiveDate),
    /// A placeholder exports write for "no date" (`0/0/00`, `0000-00-00`): an empty cell.
    Empty,
}

/// How a `NN/NN/YYYY` value can be read, for inferring a column's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Not of that shape, or reads only one way because both parts are equal, or not a date.
    Other,
    OnlyDayFirst,
    OnlyMonthFirst,
    Both,
}

const HINT: &str = "use YYYY-MM-DD, MM/DD/YYYY or a month name like 3 Apr 1985";

/// `YYYY-MM-DD` of a date of birth (in the past), or `Ok(None)` for an empty placeholder.
pub fn date_of_birth(t: &str, order: Option<DateOrder>) -> Result<Option<String>, String> {
    Ok(birth_date(t, order)?.map(|d| d.iso))
}

/// A date of birth read from a cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BirthDate {
    /// `YYYY-MM-DD`.
    pub iso: String,
    /// The cell wrote the year with two digits: its century was chosen (the past).
    pub century_chosen: bool,
}

/// [`date_of_birth`], saying whether the century was chosen for a two-digit year.
pub fn birth_date(t: &str, order: Option<DateOrder>) -> Result<Option<BirthDate>, String> {
    let today = today();
    match parse_noting_century(t, order, true, today)? {
        (DateCell::Empty, _) => Ok(None),
        (DateCell::Date(d), _) if d > today => Err("it is in the future".into()),
        // Nobody recorded has lived past 122: an older date is a placeholder (1900-01-01).
        (DateCell::Date(d), _) if today.year() - d.year() > 120 => Err(format!(
            "a birth {} years ago is not plausible (a placeholder for an unknown date?)",
            today.year() - d.year()
        )),
        (DateCell::Date(d), century_chosen) => Ok(Some(BirthDate {
            iso: iso(d),
            century_chosen,
        })),
    }
}

/// `YYYY-MM-DD` of any date (a custom field), or `Ok(None)` for an empty placeholder.
pub fn any_date(t: &str, order: Option<DateOrder>) -> Result<Option<String>, String> {
    Ok(any_date_noting_century(t, order)?.map(|(d, _)| d))
}

/// [`any_date`], and whether the year had two digits (its century chosen).
pub fn any_date_noting_century(
    t: &str,
    order: Option<DateOrder>,
) -> Result<Option<(String, bool)>, String> {
    match parse_noting_century(t, order, false, today())? {
        (DateCell::Empty, _) => Ok(None),
        (DateCell::Date(d), two_digits) => Ok(Some((iso(d), two_digits))),
    }
}

/// The local date, asked of the system at most once a second per thread: `Local::now` reads
/// the time zone each time, which cost more than reading the date.
pub(crate) fn today() -> NaiveDate {
    use std::cell::Cell;
    use std::time::{SystemTime, UNIX_EPOCH};
    thread_local! {
        static TODAY: Cell<(u64, NaiveDate)> = const { Cell::new((u64::MAX, NaiveDate::MIN)) };
    }
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    TODAY.with(|cached| match cached.get() {
        (at, day) if at == secs => day,
        _ => {
            let day = chrono::Local::now().date_naive();
            cached.set((secs, day));
            day
        }
    })
}

/// `YYYY-MM-DD`, written without the formatting machinery.
fn iso(d: NaiveDate) -> String {
    let (y, m, day) = (d.year(), d.month(), d.day());
    if !(0..=9999).contains(&y) {
        return format!("{y:04}-{m:02}-{day:02}");
    }
    let y = y as u32;
    let digit = |n: u32| b'0' + (n % 10) as u8;
    let b = [
        digit(y / 1000),
        digit(y / 100),
        digit(y / 10),
        digit(y),
        b'-',
        digit(m / 10),
        digit(m),
        b'-',
        digit(day / 10),
        digit(day),
    ];
    // ASCII digits and dashes: always UTF-8.
    String::from_utf8_lossy(&b).into_owned()
}

/// The date part of a cell: everything before a time (`9:15`, `T00:00:00Z`).
fn date_part(t: &str) -> std::borrow::Cow<'_, str> {
    let t = trim(t);
    // Most cells are a bare date.
    if !t
        .bytes()
        .any(|b| b == b'T' || b == b':' || b.is_ascii_whitespace())
    {
        return t.into();
    }
    // ISO: 1985-04-03T10:00:00Z
    if let Some(i) = t.find('T') {
        if i >= 8
            && t[..i].bytes().all(|b| b.is_ascii_digit() || b == b'-')
            && t[i + 1..].starts_with(|c: char| c.is_ascii_digit())
        {
            return t[..i].into();
        }
    }
    // "4/3/1985 9:15 AM", "2025-06-11 14:22:33", "Apr 3 1985 10:00 GMT-04:00"
    t.split_whitespace()
        .take_while(|w| !(w.contains(':') && w.starts_with(|c: char| c.is_ascii_digit())))
        .collect::<Vec<_>>()
        .join(" ")
        .into()
}

fn is_placeholder(t: &str) -> bool {
    let t = trim(t);
    !t.is_empty()
        && t.bytes().any(|b| b == b'0')
        && t.bytes()
            .all(|b| matches!(b, b'0' | b'/' | b'-' | b'.' | b':' | b' ' | b'T'))
}

/// Reads a cell; `birth` puts two-digit years in the past.
pub fn parse(
    t: &str,
    order: Option<DateOrder>,
    birth: bool,
    today: NaiveDate,
) -> Result<DateCell, String> {
    parse_noting_century(t, order, birth, today).map(|(cell, _)| cell)
}

/// [`parse`], and whether the year had two digits (so its century was chosen).
pub fn parse_noting_century(
    t: &str,
    order: Option<DateOrder>,
    birth: bool,
    today: NaiveDate,
) -> Result<(DateCell, bool), String> {
    let t = trim(t);
    if is_placeholder(t) {
        return Ok((DateCell::Empty, false));
    }
    if let Some(read) = iso_shape(t) {
        return read.map(|cell| (cell, false));
    }
    general_noting_century(t, order, birth, today).map_err(|e| match e == HINT && no_year(t) {
        true => NO_YEAR.into(),
        false => e,
    })
}

const NO_YEAR: &str = "a day and month without a year (a birthday as Google Contacts and Mailchimp export it): a date needs its year; to keep it, map the column to a text custom field";

/// `--05-17`, `--0517` (vCard, Google Contacts), `05/17` (Mailchimp's birthday field),
/// `17.05.` (German) or a month's name and a day (`May 17`, `17 Mai`).
fn no_year(t: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    let in_range = |m: &str, d: &str| {
        let (m, d) = (m.parse::<u32>().unwrap_or(0), d.parse::<u32>().unwrap_or(0));
        (1..=31).contains(&m) && (1..=31).contains(&d) && m.min(d) <= 12
    };
    if let Some(rest) = t.strip_prefix("--") {
        let (m, d) = match rest.split_once('-') {
            Some(md) => md,
            None if rest.len() == 4 && rest.is_char_boundary(2) => rest.split_at(2),
            None => return false,
        };
        // vCard's order is month, then day.
        return digits(m) && digits(d) && in_range(m, d) && m.parse::<u32>().is_ok_and(|m| m <= 12);
    }
    if t.bytes().any(|b| b.is_ascii_alphabetic()) {
        return month_and_day(t);
    }
    if let Some((d, m)) = t.strip_suffix('.').unwrap_or(t).split_once('.') {
        // Day first, as German writes it.
        let month = m.parse::<u32>().unwrap_or(0);
        return digits(d) && digits(m) && in_range(d, m) && (1..=12).contains(&month);
    }
    match t.split_once('/') {
        Some((m, d)) => digits(m) && digits(d) && in_range(m, d),
        None => false,
    }
}

/// A month's name and one day number (`May 17`, `17th May`, `17. Mai`), nothing else.
fn month_and_day(t: &str) -> bool {
    let (mut months, mut days) = (0, 0);
    for word in t
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '-' | '/' | '.'))
        .filter(|w| !w.is_empty())
    {
        let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        let suffix = word[digits.len()..].to_ascii_lowercase();
        if !digits.is_empty() {
            let day = digits.parse::<u32>().unwrap_or(0);
            let ordinal = matches!(suffix.as_str(), "" | "st" | "nd" | "rd" | "th");
            if !(ordinal && digits.len() <= 2 && (1..=31).contains(&day)) {
                return false;
            }
            days += 1;
        } else if month_of(word).is_some() {
            months += 1;
        } else {
            return false;
        }
    }
    months == 1 && days == 1
}

/// Why `y`-`m`-`d` is no date, as `format!("no such date: year {y}, month {m}, day {d}")`
/// writes it: made for about one date in five of a messy file, so without `fmt`.
fn no_such_date(y: i32, m: u32, d: u32) -> String {
    use super::quoted::push_u64;
    let mut s = String::with_capacity(48);
    s.push_str("no such date: year ");
    if y < 0 {
        s.push('-');
    }
    push_u64(&mut s, u64::from(y.unsigned_abs()));
    s.push_str(", month ");
    push_u64(&mut s, u64::from(m));
    s.push_str(", day ");
    push_u64(&mut s, u64::from(d));
    s
}

/// The most common shape, `YYYY-MM-DD`, read directly: what [`general`] answers for it.
fn iso_shape(t: &str) -> Option<Result<DateCell, String>> {
    let &[y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = t.as_bytes() else {
        return None;
    };
    let ds = [y0, y1, y2, y3, m0, m1, d0, d1];
    if !ds.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |s: &[u8]| s.iter().fold(0u32, |a, b| a * 10 + u32::from(b - b'0'));
    let (y, m, d) = (n(&ds[..4]) as i32, n(&ds[4..6]), n(&ds[6..]));
    Some(
        NaiveDate::from_ymd_opt(y, m, d)
            .map(DateCell::Date)
            .ok_or_else(|| no_such_date(y, m, d)),
    )
}

/// Any cell but a placeholder, trimmed.
#[cfg(test)]
fn general(
    t: &str,
    order: Option<DateOrder>,
    birth: bool,
    today: NaiveDate,
) -> Result<DateCell, String> {
    general_noting_century(t, order, birth, today).map(|(cell, _)| cell)
}

/// [`general`], and whether the year had two digits.
fn general_noting_century(
    t: &str,
    order: Option<DateOrder>,
    birth: bool,
    today: NaiveDate,
) -> Result<(DateCell, bool), String> {
    if let Some(d) = excel_serial(t)? {
        return Ok((DateCell::Date(d), false));
    }
    let d = date_part(t);
    if d.is_empty() {
        return Err(HINT.into());
    }
    let (date, two_digits) = if d.bytes().any(|b| b.is_ascii_alphabetic()) {
        named_month(&d, birth, today)?
    } else {
        numeric(&d, order, birth, today)?
    };
    Ok((DateCell::Date(date), two_digits))
}

/// `31140` → 1985-04-03 (Excel's day count from 1899-12-30; `31140.5` has a time).
fn excel_serial(t: &str) -> Result<Option<NaiveDate>, String> {
    let int = serial_int(t);
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let n: i64 = int.parse().map_err(|_| HINT.to_owned())?;
    if int.len() == 4 && (1000..=2999).contains(&n) {
        return Err("a year alone is not a date".into());
    }
    // Below 367 a serial would fall in 1900 (Excel's 29 February 1900 that never was
    // included): an age, a day or a code far more likely than a date, so no guess.
    if n < 367 {
        return Err(format!(
            "{HINT} ({n} is no date: as an Excel date serial it would fall in 1900)"
        ));
    }
    if n > 2_958_465 {
        return Err(format!(
            "{HINT} (as an Excel date serial, {n} is out of range)"
        ));
    }
    // Serial 61 is 1 March 1900: counted from 30 December 1899 past Excel's phantom leap day.
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30);
    Ok(epoch.and_then(|e| e.checked_add_signed(chrono::Duration::days(n))))
}

/// The part of a would-be serial before a `.` and digits (`31140.5`), else the whole cell.
fn serial_int(t: &str) -> &str {
    match t.bytes().position(|b| b == b'.') {
        Some(dot) if t.as_bytes()[dot + 1..].iter().all(u8::is_ascii_digit) => &t[..dot],
        _ => t,
    }
}

/// The three parts of `a/b/c` (the first of `-/._` is the separator, twice, no more): cut
/// at the separator's places, found by bytes (it is ASCII), with no char searcher.
fn three_parts(t: &str) -> Option<[&str; 3]> {
    let b = t.as_bytes();
    let sep = *b.iter().find(|c| matches!(c, b'-' | b'/' | b'.' | b'_'))?;
    let mut at = (0..b.len()).filter(|&i| b[i] == sep);
    let (Some(i), Some(j), None) = (at.next(), at.next(), at.next()) else {
        return None;
    };
    Some([&t[..i], &t[i + 1..j], &t[j + 1..]])
}

/// The year, and whether it had two digits (its century chosen here).
fn year_of(s: &str, birth: bool, today: NaiveDate) -> Option<(i32, bool)> {
    let n: i32 = s.parse().ok()?;
    match s.len() {
        4 => Some((n, false)),
        2 => {
            let this = today.year();
            let century = this - this % 100;
            // A year of birth is in the past; other dates may be up to 20 years ahead.
            let limit = if birth { this } else { this + 20 };
            let year = if century + n <= limit {
                century + n
            } else {
                century - 100 + n
            };
            Some((year, true))
        }
        _ => None,
    }
}

fn numeric(
    t: &str,
    order: Option<DateOrder>,
    birth: bool,
    today: NaiveDate,
) -> Result<(NaiveDate, bool), String> {
    let parts = three_parts(t).ok_or(HINT)?;
    if parts
        .iter()
        .any(|p| p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(HINT.into());
    }
    let num = |s: &str| s.parse::<u32>().unwrap_or(0);
    let mut two_digits = false;
    let (y, m, d) = match (parts[0].len(), parts[1].len(), parts[2].len()) {
        (4, 1 | 2, 1 | 2) => (num(parts[0]) as i32, num(parts[1]), num(parts[2])),
        (1 | 2, 1 | 2, 4 | 2) => {
            let (y, two) = year_of(parts[2], birth, today).ok_or(HINT)?;
            two_digits = two;
            let (a, b) = (num(parts[0]), num(parts[1]));
            match (order, reading_of(a, b)) {
                (Some(DateOrder::DayFirst), _) | (None, Reading::OnlyDayFirst) => (y, b, a),
                (Some(DateOrder::MonthFirst), _) | (None, Reading::OnlyMonthFirst) => (y, a, b),
                (None, Reading::Both) => {
                    return Err(format!(
                        "reads as {a} {} or {} {b}; set date_format",
                        month_name(b),
                        month_name(a)
                    ))
                }
                (None, Reading::Other) => (y, a, b),
            }
        }
        _ => return Err(HINT.into()),
    };
    NaiveDate::from_ymd_opt(y, m, d)
        .map(|date| (date, two_digits))
        .ok_or_else(|| no_such_date(y, m, d))
}

/// How `a/b` reads: month/day, day/month, both or neither.
fn reading_of(a: u32, b: u32) -> Reading {
    let day_first = (1..=31).contains(&a) && (1..=12).contains(&b);
    let month_first = (1..=12).contains(&a) && (1..=31).contains(&b);
    match (day_first, month_first) {
        (true, true) if a != b => Reading::Both,
        (true, false) => Reading::OnlyDayFirst,
        (false, true) => Reading::OnlyMonthFirst,
        _ => Reading::Other,
    }
}

/// For column inference: how a cell's `NN/NN/YYYY` date reads (anything else is `Other`).
pub fn reading(t: &str) -> Reading {
    let d = date_part(t);
    // By bytes (the separators are ASCII): the pre-pass reads every date cell of the file.
    let d = d.as_bytes();
    let Some(&sep) = d.iter().find(|c| matches!(c, b'-' | b'/' | b'.' | b'_')) else {
        return Reading::Other;
    };
    let mut parts = d.split(|&c| c == sep);
    let digits = |p: &[u8]| !p.is_empty() && p.iter().all(u8::is_ascii_digit);
    let num = |p: &[u8]| p.iter().fold(0, |n, c| n * 10 + u32::from(c - b'0'));
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(b), Some(y), None)
            if a.len() <= 2
                && b.len() <= 2
                && matches!(y.len(), 2 | 4)
                && digits(a)
                && digits(b)
                && digits(y) =>
        {
            reading_of(num(a), num(b))
        }
        _ => Reading::Other,
    }
}

/// English, German, French and Spanish month names and their usual abbreviations.
fn month_of(word: &str) -> Option<u32> {
    const MONTHS: [&[&str]; 12] = [
        &[
            "jan", "january", "januar", "janvier", "janv", "enero", "ene", "jän", "jänner",
        ],
        &[
            "feb", "february", "februar", "février", "févr", "fevrier", "febrero",
        ],
        &["mar", "march", "märz", "mär", "mars", "marzo", "maerz"],
        &["apr", "april", "avril", "avr", "abril", "abr"],
        &["may", "mai", "mayo"],
        &["jun", "june", "juni", "juin", "junio"],
        &["jul", "july", "juli", "juillet", "juil", "julio"],
        &["aug", "august", "août", "aout", "agosto", "ago"],
        &["sep", "sept", "september", "septembre", "septiembre", "set"],
        &["oct", "october", "oktober", "okt", "octobre", "octubre"],
        &["nov", "november", "novembre", "noviembre"],
        &[
            "dec",
            "december",
            "dezember",
            "dez",
            "décembre",
            "déc",
            "decembre",
            "diciembre",
            "dic",
        ],
    ];
    let w = word.trim_end_matches('.').to_lowercase();
    MONTHS
        .iter()
        .position(|names| names.contains(&w.as_str()))
        .map(|i| i as u32 + 1)
}

const WEEKDAYS: [&str; 17] = [
    "mon",
    "tue",
    "tues",
    "wed",
    "thu",
    "thur",
    "thurs",
    "fri",
    "sat",
    "sun",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// `3 Apr 1985`, `April 3, 1985`, `3-Apr-85`, `Apr 3rd 1985`, `Wed, 3 April 1985`.
fn named_month(t: &str, birth: bool, today: NaiveDate) -> Result<(NaiveDate, bool), String> {
    let mut month = None;
    let mut numbers: Vec<&str> = Vec::new();
    for word in t
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '-' | '/' | '.'))
        .filter(|w| !w.is_empty())
    {
        if word.starts_with(|c: char| c.is_ascii_digit()) {
            let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
            let suffix = &word[digits.len()..].to_ascii_lowercase();
            if !digits.bytes().all(|b| b.is_ascii_digit())
                || !matches!(suffix.as_str(), "" | "st" | "nd" | "rd" | "th")
            {
                return Err(HINT.into());
            }
            numbers.push(digits);
        } else if let Some(m) = month_of(word) {
            if month.replace(m).is_some() {
                return Err(HINT.into());
            }
        } else if !WEEKDAYS.contains(&word.to_lowercase().as_str()) {
            return Err(HINT.into());
        }
    }
    let (Some(m), &[a, b]) = (month, &numbers[..]) else {
        return Err(HINT.into());
    };
    // The four-digit number is the year; else the first is the day (3-Apr-85, Apr 3 85).
    let (day, year) = if a.len() == 4 { (b, a) } else { (a, b) };
    if day.len() > 2 {
        return Err(HINT.into());
    }
    let (y, two_digits) = year_of(year, birth, today).ok_or(HINT)?;
    let d: u32 = day.parse().map_err(|_| HINT.to_owned())?;
    NaiveDate::from_ymd_opt(y, m, d)
        .map(|date| (date, two_digits))
        .ok_or_else(|| no_such_date(y, m, d))
}

fn month_name(m: u32) -> &'static str {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    (m as usize)
        .checked_sub(1)
        .and_then(|i| NAMES.get(i))
        .copied()
        .unwrap_or("?")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> DateCell {
        DateCell::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    fn p(t: &str) -> Result<DateCell, String> {
        parse(
            t,
            None,
            true,
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        )
    }

    #[test]
    fn forms_people_and_crms_write() {
        let ok = [
            ("3 Apr 1985", day(1985, 4, 3)),
            ("3 April 1985", day(1985, 4, 3)),
            ("April 3, 1985", day(1985, 4, 3)),
            ("Apr 3 1985", day(1985, 4, 3)),
            ("Apr. 3rd, 1985", day(1985, 4, 3)),
            ("3-Apr-85", day(1985, 4, 3)),
            ("03-APR-1985", day(1985, 4, 3)),
            ("Wed, 3 Apr 1985", day(1985, 4, 3)),
            ("1985-Apr-03", day(1985, 4, 3)),
            ("3. März 1985", day(1985, 3, 3)),
            ("4/13/1985 9:15 AM", day(1985, 4, 13)),
            ("04/13/1985 09:15:00 PM", day(1985, 4, 13)),
            ("1985-04-03T00:00:00Z", day(1985, 4, 3)),
            ("1985-04-03T23:30:00-05:00", day(1985, 4, 3)),
            ("1985-04-03 14:22:33", day(1985, 4, 3)),
            ("2024-03-12 09:14 GMT-04:00", day(2024, 3, 12)),
            ("31140", day(1985, 4, 3)),
            ("31140.375", day(1985, 4, 3)),
            // Serial 367 is Excel's 1 January 1901; 61 its 1 March 1900.
            ("367", day(1901, 1, 1)),
            ("12/25/90", day(1990, 12, 25)),
            ("1/1/26", day(2026, 1, 1)),
            ("1/1/27", day(1927, 1, 1)),
            ("0/0/00", DateCell::Empty),
            ("0000-00-00", DateCell::Empty),
            ("0000-00-00 00:00:00", DateCell::Empty),
        ];
        for (input, want) in ok {
            assert_eq!(p(input), Ok(want), "{input}");
        }
        for bad in [
            "1985",
            "Apr 1985",
            "3 Foo 1985",
            "April 3, 1985, 4",
            "3 Apr 85 Apr",
            "32 Apr 1985",
            "9:15 AM",
            "-5",
            "99999999",
            // An age or a day, not a serial in 1900.
            "12",
            "85",
            "366",
            "n/a",
            "3rdd Apr 1985",
        ] {
            assert!(p(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_birth_more_than_120_years_ago_is_a_placeholder_not_a_date() {
        let e = date_of_birth("1900-01-01", None).unwrap_err();
        assert!(
            e.contains("not plausible") && e.contains("placeholder"),
            "{e}"
        );
        assert!(date_of_birth("01/01/1900", None).is_err());
        assert_eq!(
            date_of_birth("1960-05-01", None),
            Ok(Some("1960-05-01".into()))
        );
        // Other dates (custom fields) may be as old as they like.
        assert_eq!(any_date("1900-01-01", None), Ok(Some("1900-01-01".into())));
    }

    /// The `YYYY-MM-DD` fast path against the general reader, on generated cells of that
    /// shape and near it: every month and day number, zeros, padding, other separators,
    /// full-width digits, a time after the date.
    #[test]
    fn the_iso_fast_path_agrees_with_the_general_reader() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut pick = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let mut decided = 0;
        for _ in 0..100_000 {
            let y = match pick(4) {
                0 => pick(10_000),
                _ => 1890 + pick(150),
            };
            let (m, d) = (pick(15), pick(34));
            let mut cell = format!("{y:04}-{m:02}-{d:02}");
            match pick(12) {
                0 => cell = format!(" {cell}\t"),
                1 => cell = cell.replace('-', "/"),
                2 => cell = cell.replacen('1', "\u{FF11}", 1),
                3 => cell.push_str("T10:20:30Z"),
                4 => cell = format!("{y}-{m}-{d}"),
                5 => cell = cell.replacen('-', "\u{A0}", 1),
                _ => {}
            }
            for birth in [true, false] {
                let t = cell.trim();
                if !is_placeholder(t) && iso_shape(t).is_some() {
                    decided += 1;
                }
                let slow = if is_placeholder(t) {
                    Ok(DateCell::Empty)
                } else {
                    general(t, None, birth, today)
                };
                assert_eq!(parse(&cell, None, birth, today), slow, "{cell:?}");
            }
        }
        assert!(decided > 100_000, "decided only {decided}");
    }

    #[test]
    fn a_two_digit_year_says_its_century_was_chosen() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let noted = |t| parse_noting_century(t, None, true, today);
        assert_eq!(noted("1/31/62"), Ok((day(1962, 1, 31), true)));
        assert_eq!(noted("3-Apr-85"), Ok((day(1985, 4, 3), true)));
        assert_eq!(noted("1/1/26"), Ok((day(2026, 1, 1), true)));
        for t in ["1/31/1962", "1962-01-31", "3 Apr 1985", "31140", "0/0/00"] {
            assert!(!noted(t).unwrap().1, "{t}");
        }
    }

    #[test]
    fn a_column_order_settles_dates_that_read_both_ways() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let with = |t, o| parse(t, Some(o), true, today);
        assert_eq!(with("03/04/1985", DateOrder::DayFirst), Ok(day(1985, 4, 3)));
        assert_eq!(
            with("03/04/1985", DateOrder::MonthFirst),
            Ok(day(1985, 3, 4))
        );
        assert!(with("13/04/1985", DateOrder::MonthFirst).is_err());
        assert_eq!(
            p("03/04/1985").unwrap_err(),
            "reads as 3 April or March 4; set date_format"
        );
        assert_eq!(reading("31/12/1990"), Reading::OnlyDayFirst);
        assert_eq!(reading("12/31/1990 10:00 AM"), Reading::OnlyMonthFirst);
        assert_eq!(reading("03/04/1990"), Reading::Both);
        assert_eq!(reading("04/04/1990"), Reading::Other);
        assert_eq!(reading("1990-04-03"), Reading::Other);
        assert_eq!(reading("3 Apr 1990"), Reading::Other);
    }

    /// `three_parts` and `serial_int` cut by bytes as `split` and `split_once` did.
    #[test]
    fn date_parts_agree_with_splitting_by_char() {
        fn by_chars(t: &str) -> Option<[&str; 3]> {
            let sep = t.chars().find(|c| matches!(c, '-' | '/' | '.' | '_'))?;
            let mut split = t.split(sep);
            match (split.next(), split.next(), split.next(), split.next()) {
                (Some(p0), Some(p1), Some(p2), None) => Some([p0, p1, p2]),
                _ => None,
            }
        }
        fn serial_by_chars(t: &str) -> &str {
            t.split_once('.').map_or(t, |(i, f)| {
                if f.bytes().all(|b| b.is_ascii_digit()) {
                    i
                } else {
                    t
                }
            })
        }
        let pieces = ["1", "12", "1990", "/", "-", ".", "_", "é", " ", "44000"];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut three = 0;
        for _ in 0..50_000 {
            let t: String = (0..next() % 8)
                .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                .collect();
            assert_eq!(three_parts(&t), by_chars(&t), "{t:?}");
            assert_eq!(serial_int(&t), serial_by_chars(&t), "{t:?}");
            three += usize::from(by_chars(&t).is_some());
        }
        assert!(three > 1_000, "{three}");
    }

    /// `reading` by bytes answers as it did splitting the text by its separator char.
    #[test]
    fn reading_agrees_with_splitting_by_char() {
        fn by_chars(t: &str) -> Reading {
            let d = date_part(t);
            let Some(sep) = d.chars().find(|c| matches!(c, '-' | '/' | '.' | '_')) else {
                return Reading::Other;
            };
            let mut parts = d.split(sep);
            let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some(a), Some(b), Some(y), None)
                    if a.len() <= 2
                        && b.len() <= 2
                        && matches!(y.len(), 2 | 4)
                        && digits(a)
                        && digits(b)
                        && digits(y) =>
                {
                    reading_of(a.parse().unwrap_or(0), b.parse().unwrap_or(0))
                }
                _ => Reading::Other,
            }
        }
        let pieces = [
            "1", "3", "12", "31", "1990", "/", "-", ".", "_", " ", "10:00", "é", "0",
        ];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut dated = 0;
        for _ in 0..50_000 {
            let r = next();
            let mut pick = || pieces[(next() % pieces.len() as u64) as usize];
            // Half of them shaped like a date: piece, separator, piece, separator, piece.
            let t: String = if r % 2 == 0 {
                let sep = ["/", "-", ".", "_"][(r >> 8) as usize % 4];
                [pick(), sep, pick(), sep, pick()].concat()
            } else {
                (0..r % 7).map(|_| pick()).collect()
            };
            assert_eq!(reading(&t), by_chars(&t), "{t:?}");
            dated += usize::from(by_chars(&t) != Reading::Other);
        }
        assert!(dated > 100, "{dated}");
    }

    #[test]
    fn a_day_and_month_without_a_year_is_named_as_such() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        for t in ["--05-17", "--0517", "05/17", "5/7", "17/05"] {
            let e = parse(t, None, true, today).unwrap_err();
            assert!(e.contains("without a year"), "{t}: {e}");
        }
        for t in ["13/13", "--1305", "05/17/", "abc", "--a€"] {
            let e = parse(t, None, true, today).unwrap_err();
            assert!(!e.contains("without a year"), "{t}: {e}");
        }
    }

    #[test]
    fn a_dotted_day_and_month_or_a_month_name_and_day_without_a_year_is_named_as_such() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        for t in [
            "17.05.", "17.5.", "1.12.", "May 17", "17 May", "May 17th", "17. Mai", "Dec 1,",
        ] {
            let e = parse(t, None, true, today).unwrap_err();
            assert_eq!(e, NO_YEAR, "{t}");
        }
        for t in [
            "17.13.",
            "32.05.",
            "May",
            "May 17 x",
            "May June 17",
            "May 123",
            "Ma 17",
        ] {
            let e = parse(t, None, true, today).unwrap_err();
            assert_ne!(e, NO_YEAR, "{t}");
        }
    }

    #[test]
    fn no_such_date_reads_as_its_format() {
        for (y, m, d) in [
            (1988, 2, 30),
            (0, 13, 0),
            (-44, 3, 15),
            (i32::MAX, u32::MAX, 31),
        ] {
            assert_eq!(
                no_such_date(y, m, d),
                format!("no such date: year {y}, month {m}, day {d}")
            );
        }
    }
}
