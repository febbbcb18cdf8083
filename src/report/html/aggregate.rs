//! What the HTML report shows, gathered row by row in bounded memory: counts, and messages
//! grouped by column and message (the cell's value taken out) with their first row numbers.
//! Whatever the file's size, the groups and locations kept are capped.

use std::collections::{BTreeMap, HashMap};

use crate::event::{RowOutcome, RowStatus, StepStatus};

/// Row numbers listed per group; the count says how many there are in all.
pub const FIRST_ROWS: usize = 10;
/// Distinct groups kept; later ones are counted together.
pub const MAX_GROUPS: usize = 100;
/// Locations with a row of their own in the table; the rest are summed in one row.
pub const MAX_LOCATIONS: usize = 200;
/// Fields counted in a plan's "updates by field".
const MAX_FIELDS: usize = 100;
/// A message longer than this is cut (a cell value may be megabytes).
const MAX_MESSAGE: usize = 240;
/// A column, location or field name longer than this is cut.
pub const MAX_NAME: usize = 100;
/// Shown for rows whose location is not known (e.g. invalid before it was read).
pub const NO_LOCATION: &str = "(none)";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKey {
    pub kind: Kind,
    /// The input column the message is about, when it names one.
    pub column: Option<String>,
    /// The message with the cell's value taken out.
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Group {
    pub count: u64,
    pub first_rows: Vec<u64>,
}

impl Group {
    fn add(&mut self, row: u64) {
        self.count += 1;
        if self.first_rows.len() < FIRST_ROWS && self.first_rows.last() != Some(&row) {
            self.first_rows.push(row);
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LocationRows {
    pub rows: u64,
    pub by_status: BTreeMap<RowStatus, u64>,
}

#[derive(Debug, Default)]
pub struct Aggregate {
    pub rows: u64,
    pub by_status: BTreeMap<RowStatus, u64>,
    /// Messages saying a cell was left out (the row went on without it).
    pub cells_left_out: u64,
    pub tags_failed: u64,
    pub business_failed: u64,
    groups: HashMap<GroupKey, Group>,
    /// Messages of groups past [`MAX_GROUPS`].
    pub other_messages: Group,
    locations: BTreeMap<String, LocationRows>,
    /// Rows of locations past [`MAX_LOCATIONS`].
    pub other_locations: LocationRows,
    /// `plan`: updates by field.
    pub changes: BTreeMap<String, u64>,
}

impl Aggregate {
    pub fn add(&mut self, o: &RowOutcome) {
        self.rows += 1;
        *self.by_status.entry(o.status).or_default() += 1;
        self.tags_failed += u64::from(o.tags_status == StepStatus::Failed);
        self.business_failed += u64::from(o.business_status == StepStatus::Failed);
        for (kind, list) in [(Kind::Error, &o.errors), (Kind::Warning, &o.warnings)] {
            for m in list {
                if m.contains(" left out") {
                    self.cells_left_out += 1;
                }
                self.message(kind, m, o.row);
            }
        }
        for c in &o.changes {
            let c = cut(c, MAX_NAME);
            if self.changes.len() < MAX_FIELDS || self.changes.contains_key(c.as_ref()) {
                *self.changes.entry(c.into_owned()).or_default() += 1;
            }
        }
        let loc = cut(o.location_id.as_deref().unwrap_or(NO_LOCATION), MAX_NAME);
        let loc = loc.as_ref();
        let full = self.locations.len() >= MAX_LOCATIONS;
        let entry = if self.locations.contains_key(loc) {
            self.locations.get_mut(loc).expect("just checked")
        } else if full {
            &mut self.other_locations
        } else {
            self.locations.entry(loc.to_owned()).or_default()
        };
        entry.rows += 1;
        *entry.by_status.entry(o.status).or_default() += 1;
    }

    fn message(&mut self, kind: Kind, m: &str, row: u64) {
        let key = group_key(kind, m);
        if let Some(g) = self.groups.get_mut(&key) {
            g.add(row);
        } else if self.groups.len() < MAX_GROUPS {
            self.groups.entry(key).or_default().add(row);
        } else {
            self.other_messages.add(row);
        }
    }

    /// Groups, most frequent first (errors before warnings at equal counts).
    pub fn groups(&self) -> Vec<(&GroupKey, &Group)> {
        let mut v: Vec<_> = self.groups.iter().collect();
        v.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(b.0)));
        v
    }

    pub fn locations(&self) -> impl Iterator<Item = (&String, &LocationRows)> {
        self.locations.iter()
    }

    pub fn count(&self, s: RowStatus) -> u64 {
        self.by_status.get(&s).copied().unwrap_or(0)
    }
}

/// `column 'Date of Birth': "03/04/1985" left out: ambiguous` → column `Date of Birth`,
/// message `"…" left out: ambiguous`. In a message about a cell, quoted values and numbers
/// come from the cell, so they are replaced; other messages are kept as they are.
pub fn group_key(kind: Kind, m: &str) -> GroupKey {
    let parsed = m
        .strip_prefix("column '")
        .and_then(|rest| rest.split_once("': "));
    match parsed {
        Some((column, rest)) => GroupKey {
            kind,
            column: Some(cut(column, MAX_NAME).into_owned()),
            message: cut(&without_values(rest), MAX_MESSAGE).into_owned(),
        },
        None => GroupKey {
            kind,
            column: None,
            message: cut(m, MAX_MESSAGE).into_owned(),
        },
    }
}

/// `s`, cut to at most `max` bytes (on a character boundary) with `…` when longer.
pub fn cut(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if s.len() <= max {
        return s.into();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end]).into()
}

/// Quoted values become `"…"`; a number standing for a value (after a space, before `,`, `)`
/// or the end, as in "year 1991, month 2") becomes `#`; numbers that are part of the wording
/// ("ISO 3166 alpha-2") stay.
fn without_values(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_MESSAGE * 2));
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if out.len() > MAX_MESSAGE * 2 {
            break;
        }
        if c == '"' {
            // To the closing quote; a backslash escapes the next character.
            let mut end = rest.len();
            let mut chars = rest.char_indices().skip(1);
            while let Some((i, d)) = chars.next() {
                match d {
                    '\\' => {
                        chars.next();
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    _ => {}
                }
            }
            out.push_str("\"…\"");
            rest = &rest[end..];
            continue;
        }
        if c.is_ascii_digit() && out.ends_with(' ') {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let after = rest[digits..].chars().next();
            if matches!(after, None | Some(',' | ')' | ';')) {
                out.push('#');
                rest = &rest[digits..];
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: u64, status: RowStatus, errors: &[&str], warnings: &[&str]) -> RowOutcome {
        RowOutcome {
            location_id: Some(format!("loc-{}", n % 2)),
            errors: errors.iter().map(|s| s.to_string()).collect(),
            warnings: warnings.iter().map(|s| s.to_string()).collect(),
            ..RowOutcome::new(n, n, status)
        }
    }

    #[test]
    fn cell_messages_group_by_column_without_their_values() {
        let k = group_key(
            Kind::Warning,
            r#"column 'Date of Birth': "03/04/1985" left out: ambiguous (day 3, month 4)"#,
        );
        assert_eq!(k.column.as_deref(), Some("Date of Birth"));
        assert_eq!(k.message, r#""…" left out: ambiguous (day #, month #)"#);
        let k = group_key(
            Kind::Error,
            r#"column 'Country': "Xy" is not a country (use an ISO 3166 alpha-2 code like GB)"#,
        );
        assert_eq!(
            k.message,
            r#""…" is not a country (use an ISO 3166 alpha-2 code like GB)"#
        );
        let k = group_key(Kind::Error, r#"column 'Email': "a\"b" is not valid"#);
        assert_eq!(k.message, r#""…" is not valid"#);
        let k = group_key(Kind::Error, "HTTP 500: upstream");
        assert_eq!((k.column, k.message.as_str()), (None, "HTTP 500: upstream"));
    }

    #[test]
    fn a_thousand_rows_with_one_problem_are_one_group_with_the_first_rows() {
        let mut a = Aggregate::default();
        for n in 2..1002 {
            let msg = format!(r#"column 'Date of Birth': "{n}/04/1985" left out: ambiguous"#);
            a.add(&row(n, RowStatus::Created, &[], &[&msg]));
        }
        let groups = a.groups();
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].1.count, 1000);
        assert_eq!(groups[0].1.first_rows, (2..12).collect::<Vec<_>>());
        assert_eq!(a.cells_left_out, 1000);
        assert_eq!(a.locations().count(), 2);
    }

    #[test]
    fn groups_and_locations_are_capped() {
        let mut a = Aggregate::default();
        let rows = MAX_GROUPS.max(MAX_LOCATIONS) as u64 + 50;
        for n in 0..rows {
            let mut o = row(n, RowStatus::Failed, &[&format!("HTTP 4{n}")], &[]);
            o.location_id = Some(format!("loc-{n}"));
            a.add(&o);
        }
        assert_eq!(a.groups().len(), MAX_GROUPS);
        assert_eq!(a.other_messages.count, rows - MAX_GROUPS as u64);
        assert_eq!(a.locations().count(), MAX_LOCATIONS);
        assert_eq!(a.other_locations.rows, rows - MAX_LOCATIONS as u64);
        assert_eq!(a.rows, rows);
    }
}
