//! Value transforms a mapping rule can ask for; each works on one cell, never fails loudly.

use chrono::{NaiveDate, NaiveDateTime};

use crate::input::trim;

/// Splits on `sep`, except inside double quotes, so Mailchimp's `"a, b","c"` gives `a, b` and
/// `c`. Parts are trimmed, unquoted, and empty ones dropped.
pub fn split_list(cell: &str, sep: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = cell;
    loop {
        let trimmed = rest.trim_start();
        let (part, next) = match trimmed.strip_prefix('"') {
            Some(q) => match q.find('"') {
                // Quoted part: up to the closing quote, then up to the next separator.
                Some(end) => {
                    let after = q[end + 1..].trim_start();
                    // `"a";"b"` is as good as `"a","b"`: Mailchimp writes both.
                    let other = match sep {
                        "," => after.strip_prefix(';'),
                        ";" => after.strip_prefix(','),
                        _ => None,
                    };
                    if let Some(rest) = other {
                        (&q[..end], Some(rest))
                    } else {
                        match after.find(sep) {
                            Some(i) => (&q[..end], Some(&after[i + sep.len()..])),
                            None => (&q[..end], None),
                        }
                    }
                }
                None => (q, None),
            },
            None => match find_sep(trimmed, sep) {
                Some(i) => (&trimmed[..i], Some(&trimmed[i + sep.len()..])),
                None => (trimmed, None),
            },
        };
        let part = trim(trim_quotes(trim(part)));
        if !part.is_empty() {
            parts.push(part.to_owned());
        }
        match next {
            Some(n) => rest = n,
            None => break,
        }
    }
    parts
}

/// `str::find`, by a byte loop for the usual one-byte separator: list cells are short, and
/// the general searcher's set-up cost more than the search (perf, the dry run's tags).
fn find_sep(hay: &str, sep: &str) -> Option<usize> {
    match sep.as_bytes() {
        [b] if b.is_ascii() => hay.bytes().position(|c| c == *b),
        _ => hay.find(sep),
    }
}

/// `s.trim_matches('"')` by bytes (a quote is one byte, so the ends stay char boundaries).
fn trim_quotes(s: &str) -> &str {
    let b = s.as_bytes();
    let start = b.iter().position(|&c| c != b'"').unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c != b'"').map_or(start, |i| i + 1);
    &s[start..end]
}

/// Whether a list item is one to leave out: one of `drop` (lowercase, compared ignoring
/// case) or starting with `prefix` (Google's system groups, `* myContacts`).
pub fn dropped(item: &str, drop: &[String], prefix: Option<&str>) -> bool {
    prefix.is_some_and(|p| item.starts_with(p))
        || (!drop.is_empty() && drop.contains(&item.to_lowercase()))
}

/// Lowercase words that belong to the last name: "Ludwig van Beethoven".
const PARTICLES: [&str; 14] = [
    "van", "von", "der", "den", "de", "del", "della", "da", "di", "du", "la", "le", "bin", "al",
];
const SUFFIXES: [&str; 9] = ["jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "phd", "md"];

/// (first name, last name) from a full name: "Last, First" is understood; otherwise the last
/// word (with particles before it and a suffix after it) is the last name. One word is a
/// first name only.
pub fn split_name(full: &str) -> (Option<String>, Option<String>) {
    let some = |s: String| (!s.is_empty()).then_some(s);
    if let Some((last, first)) = full.split_once(',') {
        let first = first.trim();
        // "Smith, Jr." is not "Last, First".
        if !SUFFIXES.contains(&first.to_lowercase().as_str()) {
            return (
                some(first.split_whitespace().collect::<Vec<_>>().join(" ")),
                some(last.split_whitespace().collect::<Vec<_>>().join(" ")),
            );
        }
    }
    let words: Vec<&str> = full.split_whitespace().collect();
    if words.len() < 2 {
        return (some(words.join(" ")), None);
    }
    let mut start = words.len() - 1;
    if SUFFIXES.contains(&words[start].to_lowercase().as_str()) && start > 1 {
        start -= 1;
    }
    while start > 1 && PARTICLES.contains(&words[start - 1]) {
        start -= 1;
    }
    (
        some(words[..start].join(" ")),
        some(words[start..].join(" ")),
    )
}

/// `YYYY-MM-DD` from `cell` read with a chrono format (a date, or a date and time).
pub fn parse_date(cell: &str, format: &str) -> Result<String, String> {
    read_date(cell, format).map(|d| d.format("%Y-%m-%d").to_string())
}

/// The date `cell` holds in a chrono format.
pub fn read_date(cell: &str, format: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(cell, format)
        .or_else(|_| NaiveDateTime::parse_from_str(cell, format).map(|d| d.date()))
        .map_err(|e| format!("{cell:?} does not match date_format {format:?} ({e})"))
}

/// Whether a chrono format reads a two-digit year (`%y`, or `%D` and `%x`, which hold it),
/// whose century chrono then chooses (19 from 70 on, else 20).
pub fn two_digit_year(format: &str) -> bool {
    ["%y", "%D", "%x"].iter().any(|f| format.contains(f))
}

/// Whether `format` is a chrono format that can read a date.
pub fn check_date_format(format: &str) -> Result<(), String> {
    use chrono::format::{Item, StrftimeItems};
    if StrftimeItems::new(format).any(|i| matches!(i, Item::Error)) {
        return Err(format!(
            "`date_format` {format:?} is not a valid chrono format (e.g. \"%d/%m/%Y\")"
        ));
    }
    let has = |s: &[&str]| s.iter().any(|x| format.contains(x));
    let parts = has(&["%Y", "%y", "%G"]) && has(&["%m", "%b", "%B", "%h"]) && has(&["%d", "%e"]);
    if !parts && !has(&["%F", "%D", "%x"]) {
        return Err(format!(
            "`date_format` {format:?} needs a year, a month and a day (e.g. \"%d/%m/%Y\")"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_outside_quotes() {
        assert_eq!(split_list(r#""Customer","VIP""#, ","), ["Customer", "VIP"]);
        assert_eq!(split_list(r#""a, b", "c""#, ","), ["a, b", "c"]);
        assert_eq!(split_list("a; b;;c ", ";"), ["a", "b", "c"]);
        assert_eq!(split_list(r#""unterminated, x"#, ","), ["unterminated, x"]);
        assert_eq!(
            split_list(r#""VIP";"Blog, news""#, ","),
            ["VIP", "Blog, news"]
        );
        assert!(split_list(" , ,", ",").is_empty());
    }

    #[test]
    fn byte_helpers_agree_with_str_methods() {
        let pieces = [
            "", "\"", "\"\"", "a", "é", "日本", " ", ",", ";", "::", "\u{a0}", "x\"y",
        ];
        let mut n = 0;
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let s = format!("{a}{b}{c}");
                    assert_eq!(trim_quotes(&s), s.trim_matches('"'), "{s:?}");
                    for sep in [",", ";", "::", "é", "|"] {
                        assert_eq!(find_sep(&s, sep), s.find(sep), "{s:?} {sep:?}");
                    }
                    n += 1;
                }
            }
        }
        assert_eq!(n, pieces.len().pow(3));
    }

    #[test]
    fn system_groups_are_dropped() {
        let drop = vec!["mycontacts".to_owned()];
        assert!(dropped("* starred", &[], Some("* ")));
        assert!(dropped("myContacts", &drop, None));
        assert!(!dropped("Friends", &drop, Some("* ")));
    }

    #[test]
    fn names_split() {
        let s = |n: &str| {
            let (f, l) = split_name(n);
            (f.unwrap_or_default(), l.unwrap_or_default())
        };
        assert_eq!(s("Jane Doe"), ("Jane".into(), "Doe".into()));
        assert_eq!(s("Mary Ann Smith"), ("Mary Ann".into(), "Smith".into()));
        assert_eq!(
            s("Ludwig van Beethoven"),
            ("Ludwig".into(), "van Beethoven".into())
        );
        assert_eq!(s("Doe, Jane"), ("Jane".into(), "Doe".into()));
        assert_eq!(
            s("Martin Luther King Jr."),
            ("Martin Luther".into(), "King Jr.".into())
        );
        assert_eq!(s("Cher"), ("Cher".into(), String::new()));
        assert_eq!(s("  "), (String::new(), String::new()));
    }

    #[test]
    fn dates_with_a_format() {
        assert_eq!(parse_date("03/04/1990", "%d/%m/%Y").unwrap(), "1990-04-03");
        assert_eq!(
            parse_date("1990-04-03 10:00", "%Y-%m-%d %H:%M").unwrap(),
            "1990-04-03"
        );
        assert!(parse_date("1990-04-03", "%d/%m/%Y").is_err());
        assert!(check_date_format("%d/%m/%Y").is_ok());
        assert!(check_date_format("%d/%m").is_err());
        assert!(check_date_format("%Q").is_err());
    }
}
