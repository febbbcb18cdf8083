//! Stage 3: checks and normalises a mapped row into what HighLevel accepts, and decides what
//! a bad cell costs.
//!
//! The policy (README, "What a bad cell costs"): a row is sent when it has a usable key — a
//! valid email, or, when the email cell is empty, a usable phone. A malformed email in the
//! row's own email cell makes the row invalid (the email is the contact's identity). Any
//! other cell that cannot be read is left out of the body (never sent empty) and named in the
//! row's warnings; `strict` (the `--strict` flag or `strict = true`) makes any such cell
//! reject the row, as before.
//!
//! Decisions worth knowing:
//! - Phone numbers are parsed with libphonenumber's metadata, in the row's own `country` when it
//!   has a valid one, else the default country; `00` counts as the international prefix.
//!   Extensions (`x123`, `ext. 123`, `#123`) are dropped: HighLevel's phone field has no place
//!   for them. A number the metadata calls *possible* but not *valid* (a new or fictional
//!   range: the bundled metadata lags) is sent with a warning, unless `PhoneCheck::Valid`.
//! - Dates: see [`dates`]. A column's day/month order comes from [`date_order`], inferred
//!   over the whole file before the run.
//! - A cell with several emails or phones (` ::: `, `,`, `;`) gives its first valid one (a
//!   bad first value gives way to the next before any backup column: it is the same
//!   person's); the others are named in a warning (HighLevel stores one of each).
//! - A malformed backup of an empty email cell is not the contact's identity: the phone may
//!   key the row.
//! - Tags are deduplicated ignoring case (HighLevel stores tags lowercased), keeping the first
//!   spelling and the order.
//! - A custom field target containing a `.` (`contact.x`) is sent as a key, anything else as
//!   an id.

use std::borrow::Cow;
use std::collections::HashSet;
use std::str::FromStr;

use phonenumber::country::Id as Region;

use crate::contact::{ContactFields, CustomFieldInput, Field, RowError, ValidRow};
use crate::input::trim;
use crate::mapping::{MappedRow, MappedValue, RawValue, Target};

pub mod cell_text;
pub mod cells;
mod countries;
pub mod custom_fields;
pub mod date_order;
pub mod dates;
mod email;
mod gender;
pub mod invisible;
mod phone;
mod phone_meta;
pub mod quoted;
#[cfg(test)]
mod tests;
mod timezone;
mod tld;
mod website;

pub use countries::normalise_country;
pub use date_order::ColumnHints;
pub use dates::DateOrder;

/// How strictly phone numbers are judged (`--phone-check`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum PhoneCheck {
    /// Send what libphonenumber calls possible; warn when its metadata does not call it valid.
    #[default]
    Possible,
    /// Only numbers the bundled metadata calls valid.
    Valid,
}

#[derive(Debug, Clone)]
pub struct ValidationOptions {
    /// ISO alpha-2, e.g. "US": the region of phone numbers written without a country code.
    pub default_country: String,
    /// `--tag` values, added to every row.
    pub extra_tags: Vec<String>,
    /// `--business-id`; a row's own businessId column wins.
    pub business_id: Option<String>,
    /// `--strict`: any cell that cannot be read rejects the row.
    pub strict: bool,
    pub phone_check: PhoneCheck,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        ValidationOptions {
            default_country: "US".into(),
            extra_tags: Vec::new(),
            business_id: None,
            strict: false,
            phone_check: PhoneCheck::Possible,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ValidationError {
    #[error("default country '{0}' is not a country code HighLevel and libphonenumber both know (use an ISO 3166 alpha-2 code such as US, GB, DE)")]
    DefaultCountry(String),
}

// Almost every row is valid: boxing would cost an allocation per row to save space on the rare
// invalid one.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Validated {
    Valid(ValidRow),
    Invalid {
        errors: Vec<RowError>,
        /// The raw email cell, for the report.
        email: Option<String>,
        phone: Option<String>,
    },
}

#[derive(Clone)]
pub struct Validator {
    opts: ValidationOptions,
    default_region: Region,
    default_code: &'static str,
    /// Day/month order of date columns, inferred from the file.
    date_orders: ColumnHints,
}

const NEITHER: &str =
    "row has neither a valid email nor a valid phone (HighLevel matches contacts by them)";

/// A row warning for a cell left out of the body. [`left_out_column`] reads it back.
pub fn left_out(column: Option<&str>, value: &str, why: &str) -> RowError {
    // Room for the quotes, escapes seldom needed, and " left out: ".
    RowError::build(column, value.len() + why.len() + 16, |s| {
        quoted::push_quoted(s, value);
        s.push_str(" left out: ");
        s.push_str(why);
    })
}

/// The column a warning made by [`left_out`] names, for counting them.
pub fn left_out_column(warning: &str) -> Option<&str> {
    // Read for every warning of every row: the searches are made once, not per call.
    static LEFT_OUT: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(" left out: "));
    let rest = warning.strip_prefix("column '")?;
    let b = rest.as_bytes();
    // The first `': `, as `split_once` finds it.
    let at = memchr::memchr_iter(b'\'', b).find(|&i| b[i + 1..].starts_with(b": "))?;
    let (column, message) = (&rest[..at], &b[at + 3..]);
    LEFT_OUT.find(message).is_some().then_some(column)
}

/// Problems found in a row: those that make it invalid, cells left out, and notes on values
/// that were sent.
#[derive(Default)]
struct Findings {
    errors: Vec<RowError>,
    left_out: Vec<RowError>,
    notes: Vec<RowError>,
    /// Good values not sent (a backup cell: HighLevel stores one email and one phone; a
    /// phone's extension): named, but nothing was wrong with them, so `strict` does not
    /// reject the row for them.
    unused: Vec<RowError>,
    /// Values the mapping guessed at (a full name split): named for a person to check; the
    /// mapping asked for the guess, so `strict` does not reject the row for it.
    guesses: Vec<RowError>,
}

impl Findings {
    /// A cell that cannot be read: left out (with `strict`, the row is rejected at the end).
    fn cell(&mut self, e: RowError) {
        self.left_out.push(e);
    }
}

impl Validator {
    pub fn new(opts: ValidationOptions) -> Result<Validator, ValidationError> {
        let bad = || ValidationError::DefaultCountry(opts.default_country.clone());
        let code = normalise_country(&opts.default_country).ok_or_else(bad)?;
        let default_region = Region::from_str(code).map_err(|_| bad())?;
        Ok(Validator {
            opts,
            default_region,
            default_code: code,
            date_orders: ColumnHints::default(),
        })
    }

    /// Compiles the default country's number patterns on a thread of its own, once per
    /// process, and with `database` loads the `phonenumber` crate's database too (about 0.1 s
    /// of CPU), which only numbers the full parser reads need: worth it only when a read of
    /// the file comes before its rows are validated, long enough to hide it; otherwise a
    /// file of common shapes would pay for it and gain nothing.
    pub fn warm_up_phones(&self, database: bool) {
        static STARTED: std::sync::Once = std::sync::Once::new();
        let region = self.default_region;
        STARTED.call_once(|| {
            let _ = std::thread::Builder::new()
                .name("ghl-import-warm".into())
                .spawn(move || {
                    let _ = read_phone("415 555 2671", region);
                    if database {
                        let _ = phonenumber::metadata::DATABASE.by_id("US");
                    }
                });
        });
    }

    /// The day/month order of date columns, inferred from the file beforehand.
    pub fn set_date_orders(&mut self, orders: ColumnHints) {
        self.date_orders = orders;
    }

    pub fn strict(&self) -> bool {
        self.opts.strict
    }

    pub fn date_orders(&self) -> &ColumnHints {
        &self.date_orders
    }

    pub fn validate(&self, mut row: MappedRow<'_>) -> Validated {
        let mut f = Findings {
            errors: row.errors,
            guesses: row.notes,
            ..Findings::default()
        };
        // A cell error on the email makes the row invalid only when no other column gives it
        // an email (a backup stands in for an unreadable first one, as for a malformed one).
        let other_email = row
            .values
            .iter()
            .any(|v| matches!(v.target, Target::Field(Field::Email)));
        // Unreadable emails and phones another column may stand in for: named below, with it.
        let mut stood_in_for: Vec<(Field, RowError)> = Vec::new();
        for (target, e) in row.cell_errors {
            match target {
                Target::Field(Field::Email) if !other_email => f.errors.push(e),
                Target::Field(Field::LocationId) => f.errors.push(e),
                Target::Field(field @ (Field::Email | Field::Phone)) => {
                    stood_in_for.push((field, e))
                }
                _ => f.cell(e),
            }
        }
        let mut c = ContactFields::default();
        let mut tags: Vec<String> = Vec::new();
        let mut business_id = None;
        let mut location_id = None;
        let mut has_email = false;
        let mut phone: Option<(Option<Cow<'_, str>>, Cow<'_, str>)> = None;
        // Where the email came from.
        let mut email_source: Option<Source> = None;
        // Bad backups of an empty email cell, none valid: left out if the phone keys the row.
        let mut bad_backup_emails: Vec<(Option<String>, String, String)> = Vec::new();
        let email_unreadable = stood_in_for.iter().any(|(f, _)| *f == Field::Email);
        // A country cell that could not be read (column, value): a phone without a country
        // code is then read in the default country, which the phone's note says.
        let mut unread_country: Option<(Option<String>, String)> = None;

        // Mutable only to move text cells into the contact instead of copying them.
        for v in row.values.iter_mut() {
            let v = &mut *v;
            let col = v.column.as_deref();
            match &v.target {
                Target::Ignore => {}
                Target::Field(Field::Tags) => match &mut v.value {
                    // The first list becomes the row's tags: no second vector per row.
                    RawValue::List(items) if tags.is_empty() => {
                        tags = std::mem::take(items);
                        for t in tags.iter_mut() {
                            *t = trimmed_in_place(std::mem::take(t));
                        }
                    }
                    RawValue::List(items) => tags.extend(items.drain(..).map(trimmed_in_place)),
                    other => tags.extend(single_text(other).ok().map(|t| t.trim().to_owned())),
                },
                Target::CustomField(k) => {
                    let (key, id) = if k.contains('.') {
                        (Some(k.clone()), None)
                    } else {
                        (None, Some(k.clone()))
                    };
                    let field_value = match &v.value {
                        RawValue::Text(s) => serde_json::Value::String(s.trim().to_owned()),
                        RawValue::Number(n) => serde_json::Value::Number(n.clone()),
                        RawValue::Bool(b) => serde_json::Value::String(b.to_string()),
                        RawValue::List(l) => l
                            .iter()
                            .map(|s| serde_json::Value::String(s.clone()))
                            .collect(),
                    };
                    c.custom_fields.push(CustomFieldInput {
                        id,
                        label: key.clone(),
                        key,
                        field_value,
                        column: v.column.as_deref().map(str::to_owned),
                    });
                }
                Target::Field(Field::Email) => {
                    has_email = true;
                    let v = &*v;
                    let text = email_text(&v.value);
                    let (first, others) = cells::first_of(&text, cells::is_email_piece);
                    match normalise_email(&first) {
                        Ok(e) => {
                            c.email = Some(e);
                            email_source = Some(Source::FIRST);
                            for other in others {
                                also_holds_email(v, &other, &mut f);
                            }
                        }
                        Err(m) => {
                            let mut tried: Vec<Tried> = vec![(v, first.into_owned(), m)];
                            match spare_email(v, &others, &row.spares, &mut tried, &mut f) {
                                Some((from, e)) => {
                                    let instead = self.stood_in(
                                        "email",
                                        &from.name(&column_name(v), &row.spares),
                                    );
                                    for (s, t, m) in tried {
                                        let why =
                                            format!("not a valid email address ({m}); {instead}");
                                        f.cell(left_out_for(s, &t, &why));
                                    }
                                    c.email = Some(e);
                                    email_source = Some(from);
                                }
                                // A backup of an empty email cell is not the contact's
                                // identity: the phone may key the row (said once it is read).
                                None if row.email_is_backup && !email_unreadable => {
                                    bad_backup_emails = tried
                                        .into_iter()
                                        .map(|(s, t, m)| {
                                            (s.column.as_deref().map(str::to_owned), t, m)
                                        })
                                        .collect();
                                }
                                None => {
                                    for (s, t, m) in tried {
                                        f.errors.push(error_for(
                                            s,
                                            format_args!(
                                                "{t:?} is not a valid email address ({m})"
                                            ),
                                        ));
                                    }
                                }
                            }
                        }
                    }
                }
                Target::Field(Field::Phone) => {
                    let text = match &mut v.value {
                        RawValue::List(l) => l.join(", ").into(),
                        RawValue::Text(s) => std::mem::take(s),
                        other => single_text(other).unwrap_or_default().into_owned().into(),
                    };
                    // Read later, once the row's country is known.
                    phone = Some((v.column.clone(), invisible::phone_chars(text)));
                }
                Target::Field(field) => {
                    // Borrowed from the record unless a transform made it: copied below only
                    // where it is kept as it is.
                    let text: Cow<'_, str> = match &mut v.value {
                        RawValue::Text(s) => std::mem::take(s),
                        other => match single_text(other) {
                            Ok(t) => t.into_owned().into(),
                            Err(m) => {
                                f.cell(error_for(v, m));
                                continue;
                            }
                        },
                    };
                    let v = &*v;
                    let t = trim(&text);
                    let mut leave = |why: &str| f.cell(left_out_for(v, t, why));
                    // A formula (`=HYPERLINK("…")`) is no one's name or city: HighLevel would
                    // keep its text, and a spreadsheet opening an export of it would run it.
                    if cell_text::is_formula(t) {
                        leave("a spreadsheet formula, not a value (in the spreadsheet, copy the column and paste it as values)");
                        continue;
                    }
                    match field {
                        Field::DateOfBirth => {
                            let order = col.and_then(|c| self.date_orders.order_for(c, t));
                            match dates::birth_date(t, order) {
                                Ok(d) => {
                                    // The century of a two-digit year is a guess: named.
                                    if let Some(d) = d.as_ref().filter(|d| d.century_chosen) {
                                        let year = &d.iso[..4];
                                        f.notes.push(error_for(v, format_args!("{t:?} has a two-digit year, read as {year} (a date of birth is in the past); check it")));
                                    }
                                    // Read day-first only because dots usually are.
                                    let assumed = col.is_some_and(|c| {
                                        self.date_orders.dotted_assumed(c)
                                    }) && date_order::is_dotted(t)
                                        && dates::reading(t) == dates::Reading::Both;
                                    if let (true, Some(d)) = (assumed, &d) {
                                        f.notes.push(error_for(v, format_args!("{t:?} reads both ways and was read day-first, as dotted dates are almost everywhere ({}); check it, or set date_format for the column", d.iso)));
                                    }
                                    c.date_of_birth = d.map(|d| d.iso);
                                }
                                Err(m) => leave(&m),
                            }
                        }
                        Field::Country => match normalise_country(t) {
                            Some(code) => c.country = Some(code.to_owned()),
                            None => {
                                unread_country = Some((col.map(str::to_owned), t.to_owned()));
                                leave("not a country HighLevel accepts (use an ISO 3166 alpha-2 code like US or GB)")
                            }
                        },
                        // An opt-out is recorded, never lifted: "no" sends nothing (`dnd:
                        // false` would clear a contact's do-not-disturb on every channel).
                        Field::Dnd => match parse_bool(t) {
                            Some(true) => c.dnd = Some(true),
                            Some(false) => {}
                            None => leave("not a yes/no value (use true/false, yes/no, 1/0)"),
                        },
                        Field::DndEmail | Field::DndCall | Field::DndSms => match parse_bool(t) {
                            Some(true) => c.dnd_settings.set_active(*field),
                            Some(false) => {}
                            None => leave("not a yes/no value (use true/false, yes/no, 1/0)"),
                        },
                        Field::Website => match website::check(t) {
                            Ok(()) => c.website = Some(t.to_owned()),
                            Err(why) => leave(&why),
                        },
                        Field::LocationId
                            if t.chars().any(|ch| ch.is_whitespace() || ch.is_control()) =>
                        {
                            f.errors.push(error_for(v, format_args!("{t:?} is not a valid {field} (ids have no spaces)")));
                        }
                        Field::BusinessId | Field::AssignedTo
                            if t.chars().any(|ch| ch.is_whitespace() || ch.is_control()) =>
                        {
                            leave(&format!("not a valid {field} (ids have no spaces)"));
                        }
                        // An owner column often holds the owner's email: HighLevel wants the
                        // user's id, and a guess at which user would be silent.
                        Field::BusinessId | Field::AssignedTo if t.contains('@') => {
                            leave(&format!("not a valid {field}: an email, where HighLevel wants an id (a user's id is under Settings → My Staff)"));
                        }
                        Field::BusinessId => business_id = Some(t.to_owned()),
                        Field::LocationId => location_id = Some(t.to_owned()),
                        Field::AssignedTo => c.assigned_to = Some(t.to_owned()),
                        Field::FirstName => c.first_name = trimmed(text),
                        Field::LastName => c.last_name = trimmed(text),
                        Field::Name => c.name = trimmed(text),
                        Field::Gender => match gender::normalise_gender(t) {
                            Ok(g) => c.gender = g.map(str::to_owned),
                            Err(why) => leave(why),
                        },
                        Field::Address1 => c.address1 = trimmed(text),
                        Field::City => c.city = trimmed(text),
                        Field::State => c.state = trimmed(text),
                        Field::PostalCode => c.postal_code = trimmed(text),
                        Field::Timezone => match timezone::normalise_timezone(t) {
                            Some(name) => c.timezone = Some(name.to_owned()),
                            None => leave("not a time zone HighLevel accepts (use an IANA name like America/Chicago)"),
                        },
                        Field::Source => c.source = trimmed(text),
                        Field::CompanyName => c.company_name = trimmed(text),
                        // Matched by the arms above.
                        Field::Tags | Field::Email | Field::Phone => {}
                    }
                }
            }
        }

        // A bad backup of an empty email cell does not key the row: its phone may.
        let email_key = has_email && bad_backup_emails.is_empty();
        let mut phone_source = None;
        if let Some((column, raw)) = &phone {
            phone_source = self.read_phone(
                column.as_deref(),
                raw,
                &c.country,
                email_key,
                &row.spares,
                &mut c.phone,
                &mut f,
            );
        }
        for (column, t, m) in bad_backup_emails {
            if c.phone.is_some() {
                let why = format!("not a valid email address ({m}); {}", self.by_phone());
                f.cell(left_out(column.as_deref(), &t, &why));
            } else {
                f.errors.push(RowError::formatted(
                    column.as_deref(),
                    format_args!("{t:?} is not a valid email address ({m})"),
                ));
            }
        }
        if let (Some((country_col, country)), Some(from)) = (&unread_country, phone_source) {
            // The number sent, as written: rare, so read again here rather than kept.
            let (col, text) = match from.spare.and_then(|i| row.spares.get(i)) {
                Some(s) => (
                    s.column.as_deref(),
                    invisible::phone_chars(phone_text(&s.value)).into_owned(),
                ),
                None => match &phone {
                    Some((col, raw)) => (col.as_deref(), raw.to_string()),
                    None => (None, String::new()),
                },
            };
            let (first, others) = phone_pieces(&text);
            let piece = match from.value {
                0 => first.into_owned(),
                k => others.into_iter().nth(k - 1).unwrap_or_default(),
            };
            let t = piece.trim();
            let national = t.trim_start_matches('\'');
            if !(national.starts_with('+') || national.starts_with("00")) {
                let from = country_col.as_deref().unwrap_or("country");
                const CHECK: &str =
                    ") could not be read; check it, or write the number with its + code";
                let room = t.len() + from.len() + country.len() + 100 + CHECK.len();
                f.notes.push(RowError::build(col, room, |s| {
                    quoted::push_quoted(s, t);
                    s.push_str(" has no country code and was read in the default country ");
                    s.push_str(self.default_code);
                    s.push_str(" because the row's country ('");
                    s.push_str(from);
                    s.push_str("': ");
                    quoted::push_quoted(s, country);
                    s.push_str(CHECK);
                }));
            }
        }
        // Where each key came from, named (`'Work email'`, `the 2nd value of 'Phone'`): only
        // for a row with a backup or an unreadable key cell.
        if !stood_in_for.is_empty() || !row.spares.is_empty() {
            let email_own = {
                let email = Target::Field(Field::Email);
                row.values
                    .iter()
                    .find(|v| v.target == email)
                    .map(column_name)
            };
            let phone_own = phone
                .as_ref()
                .map(|(col, _)| named(col.as_deref(), &Target::Field(Field::Phone)));
            let from = |source: Option<Source>, own: Option<String>| {
                let (source, own) = source.zip(own)?;
                Some((source, source.name(&own, &row.spares)))
            };
            let email_from = from(email_source, email_own);
            let phone_from = from(phone_source, phone_own);
            for (field, e) in stood_in_for {
                let from = match field {
                    Field::Email => &email_from,
                    _ => &phone_from,
                };
                match from {
                    Some((_, from)) => {
                        let instead = self.stood_in(field.api_name(), from);
                        let message = format!("{}; {instead}", e.message());
                        f.cell(RowError::new(e.column(), message));
                    }
                    None => f.cell(e),
                }
            }
            if !row.spares.is_empty() {
                for (field, from) in [(Field::Email, &email_from), (Field::Phone, &phone_from)] {
                    if let Some((source, from)) = from {
                        name_unused(&row.spares, field, source.spare, from, &mut f);
                    }
                }
            }
        }
        let unreadable = row.values.is_empty() && !f.errors.is_empty();
        if !has_email && phone.is_none() && !unreadable {
            let error = match row.unmapped_keys.as_slice() {
                [] => RowError::new(None, NEITHER),
                columns => RowError::new(None, format!("{NEITHER}; {}", columns.join("; "))),
            };
            f.errors.push(error);
        }
        if self.opts.strict {
            f.errors.append(&mut f.notes);
        }
        if !f.errors.is_empty() || (self.opts.strict && !f.left_out.is_empty()) {
            // Every problem of a row that is not sent, so one pass fixes the file.
            f.errors.append(&mut f.left_out);
            // The email cell as read (the last, as the loop above saw them).
            let email = has_email
                .then(|| {
                    let email = Target::Field(Field::Email);
                    let v = row.values.iter().rev().find(|v| v.target == email)?;
                    Some(email_text(&v.value).into_owned())
                })
                .flatten();
            return Validated::Invalid {
                errors: f.errors,
                email,
                phone: phone.map(|(_, raw)| raw.into_owned()),
            };
        }
        tags.extend(self.opts.extra_tags.iter().map(|t| t.trim().to_owned()));
        dedup_tags(&mut tags);
        let warnings = f
            .notes
            .into_iter()
            .chain(f.guesses)
            .chain(f.unused)
            .chain(f.left_out)
            .map(RowError::into_line)
            .collect();
        Validated::Valid(ValidRow {
            contact: c,
            tags,
            business_id: business_id.or_else(|| self.opts.business_id.clone()),
            location_id,
            warnings,
        })
    }

    /// What a message on a bad email or phone says of the column that stood in for it: the
    /// row was sent with that column's value, or, under `strict`, was not.
    fn stood_in(&self, what: &str, from: &str) -> String {
        if self.opts.strict {
            format!("{from} would stand in for it, but --strict rejects the row: correct this cell, or empty it so that {from} gives the row's {what}")
        } else {
            format!("the row's {what} was taken from {from} instead")
        }
    }

    /// What a message on a bad backup of an empty email cell says: the phone keyed the row,
    /// or, under `strict`, would have.
    fn by_phone(&self) -> &'static str {
        if self.opts.strict {
            "the row's own email cell is empty, so its phone would key it, but --strict rejects the row: correct this cell, or empty it"
        } else {
            "the row's own email cell is empty, so the row was sent by its phone"
        }
    }

    /// Reads the phone cell into `out`; when its first number cannot be used, the cell's
    /// other numbers, then the backups in `spares`, in order: where the number sent came
    /// from. Without another key (`email_key` false) a row with
    /// no usable phone is invalid; with one, the phone is left out. Every number tried and
    /// not used is named.
    #[allow(clippy::too_many_arguments)]
    fn read_phone(
        &self,
        column: Option<&str>,
        raw: &str,
        country: &Option<String>,
        email_key: bool,
        spares: &[MappedValue<'_>],
        out: &mut Option<String>,
        f: &mut Findings,
    ) -> Option<Source> {
        let from_row = country
            .as_deref()
            .and_then(|cc| region_of(cc).map(|r| (r, cc)));
        let region = from_row.map_or(self.default_region, |(r, _)| r);
        // Only a number that cannot be used needs it: made then (joined, not formatted: a
        // file's unusable numbers are common enough to show in its CPU).
        let whence = || match from_row {
            Some((_, cc)) => ["country ", cc, " from the row"].concat(),
            None => ["default country ", self.default_code].concat(),
        };
        let (first, others) = phone_pieces(raw);
        let bad = match self.judge_phone(&first, region, &whence) {
            Ok(read) => {
                take_phone(column, read, &others, out, f);
                return Some(Source::FIRST);
            }
            Err(bad) => bad,
        };
        // Numbers tried before the one used (`None`: the row's own cell).
        let mut tried: Vec<(Option<&MappedValue<'_>>, String, String)> =
            vec![(None, first.trim().to_owned(), bad)];
        let own = named(column, &Target::Field(Field::Phone));
        let mut found = None;
        for (k, other) in others.iter().enumerate() {
            match self.judge_phone(other, region, &whence) {
                Ok(read) => {
                    take_phone(column, read, &others[k + 1..], out, f);
                    found = Some(Source {
                        spare: None,
                        value: k + 1,
                    });
                    break;
                }
                Err(why) => tried.push((None, other.trim().to_owned(), why)),
            }
        }
        let phone = Target::Field(Field::Phone);
        let spares_of = spares.iter().enumerate().filter(|(_, s)| s.target == phone);
        for (i, s) in spares_of {
            if found.is_some() {
                break;
            }
            let text = invisible::phone_chars(phone_text(&s.value));
            let (s_first, s_others) = phone_pieces(&text);
            let pieces = std::iter::once(s_first.into_owned()).chain(s_others);
            let pieces: Vec<String> = pieces.collect();
            for (k, piece) in pieces.iter().enumerate() {
                match self.judge_phone(piece, region, &whence) {
                    Ok(read) => {
                        take_phone(s.column.as_deref(), read, &pieces[k + 1..], out, f);
                        found = Some(Source {
                            spare: Some(i),
                            value: k,
                        });
                        break;
                    }
                    Err(why) => tried.push((Some(s), piece.trim().to_owned(), why)),
                }
            }
        }
        let left_out_of = |s: Option<&MappedValue<'_>>, t: &str, why: &str| match s {
            Some(s) => left_out_for(s, t, why),
            None => left_out(column, t, why),
        };
        if let Some(from) = found {
            let instead = self.stood_in("phone", &from.name(&own, spares));
            for (s, t, why) in tried {
                f.cell(left_out_of(s, &t, &format!("{why}; {instead}")));
            }
        } else if email_key {
            for (s, t, why) in tried {
                f.cell(left_out_of(s, &t, &why));
            }
        } else {
            for (s, t, bad) in tried {
                // "… is not a valid phone number", but "…: Excel turned it into a number …".
                let is = if bad.starts_with("not ") { " is" } else { ":" };
                let col = s.map_or(column, |s| s.column.as_deref());
                f.errors
                    .push(RowError::formatted(col, format_args!("{t:?}{is} {bad}")));
            }
        }
        found
    }

    /// One number of a phone cell: the number to send (with a note when the metadata does
    /// not know its range, and the extension not sent) or why it cannot be used.
    fn judge_phone(&self, piece: &str, region: Region, whence: &dyn Fn() -> String) -> PhoneRead {
        let shown = piece.trim();
        let cleaned = cells::clean_phone(shown);
        // Found once, for the reading and for the note on it.
        let ext_at = cleaned.as_deref().ok().and_then(extension_at);
        let read = cleaned.clone().and_then(|t| {
            read_phone_cut(t, ext_at, region)
                .map_err(|why| ["not a valid phone number (", &why, &whence(), ")"].concat())
        });
        // An extension HighLevel has no place for: said, not dropped silently (one with a
        // digit: a trailing `# Mobile` or a lone `x` is no extension).
        let extension = || {
            let t = cleaned.as_deref().ok()?;
            let ext = match ext_at {
                Some(at) => t[at..].trim(),
                // A `tel:` URI's `;ext=12`, which cleaning cut (searched for only in a cell
                // with a `;`: the usual one has none).
                None if memchr::memchr(b';', shown.as_bytes()).is_some() => {
                    let at = shown
                        .as_bytes()
                        .windows(5)
                        .position(|w| w.eq_ignore_ascii_case(b";ext="))?;
                    shown[at + 1..].split(';').next()?.trim()
                }
                None => return None,
            };
            ext.bytes().any(|b| b.is_ascii_digit()).then(|| {
                const NOT_SENT: &str = " not sent (HighLevel's phone field has none)";
                let mut note = String::with_capacity(ext.len() + 12 + NOT_SENT.len());
                note.push_str("extension ");
                quoted::push_quoted(&mut note, ext);
                note.push_str(NOT_SENT);
                note
            })
        };
        match read {
            Ok(p) if p.valid => Ok((p.e164, None, extension())),
            // A local number without its area code (`555-1234`): read as `+15551234`, a
            // number no one has, and rows sharing it would merge into one contact.
            Ok(p) if p.e164.starts_with("+1") && p.e164.len() != 12 => {
                Err(format!("not a valid phone number (a North American number has 10 digits with its area code; this one has {}: add the area code; {})", p.e164.len() - 2, whence()))
            }
            // Not a range the metadata has yet to learn: no area code starts so (a French
            // `04 50 11 22 33` read as North American).
            Ok(p) if p.e164.starts_with("+1") && matches!(p.e164.as_bytes().get(2), Some(b'0' | b'1')) => {
                Err(format!("not a valid phone number (no North American area code starts with {}; {})", &p.e164[2..3], whence()))
            }
            // A number the metadata does not know must at least read back as itself, or the
            // contact would hold a number no parser gives again (`+550000000001` lost two
            // digits to Brazil's carrier-code rule and became `+5500000001`). Only a reading
            // that dropped digits beyond a trunk prefix can do that: the rest skip the parse.
            Ok(p) if self.opts.phone_check == PhoneCheck::Possible
                && dropped_digits(cleaned.as_deref().unwrap_or(""), &p.e164)
                && read_phone(&p.e164, region).map(|again| again.e164).as_deref() != Ok(p.e164.as_str()) =>
            {
                Err(format!("not a valid phone number (read as {}, which does not read back as itself; {})", p.e164, whence()))
            }
            Ok(p) if self.opts.phone_check == PhoneCheck::Possible => {
                const UNKNOWN_RANGE: &str = ", but the bundled phone metadata does not know that range (new or fictional); check it";
                let mut note = String::with_capacity(shown.len() + p.e164.len() + 12 + UNKNOWN_RANGE.len());
                quoted::push_quoted(&mut note, shown);
                note.push_str(" sent as ");
                note.push_str(&p.e164);
                note.push_str(UNKNOWN_RANGE);
                Ok((p.e164, Some(note), extension()))
            }
            Ok(_) => Err(format!("not a valid phone number (its range is unknown to the phone metadata; {}; --phone-check possible sends it)", whence())),
            Err(why) => Err(why),
        }
    }
}

/// A phone cell's first number and the others it holds (a number Excel shortened is one).
fn phone_pieces(raw: &str) -> (Cow<'_, str>, Vec<String>) {
    if cells::is_scientific(raw) {
        (Cow::Borrowed(raw), Vec::new())
    } else {
        cells::first_of(raw, cells::is_phone_piece)
    }
}

/// Sends `read` as the row's phone, with its note and extension, and names the numbers of
/// its cell after it (`others`).
fn take_phone(
    column: Option<&str>,
    (e164, note, ext): (String, Option<String>, Option<String>),
    others: &[String],
    out: &mut Option<String>,
    f: &mut Findings,
) {
    for other in others {
        also_holds_phone(column, other, f);
    }
    f.notes.extend(note.map(|n| RowError::new(column, n)));
    f.unused.extend(ext.map(|n| RowError::new(column, n)));
    *out = Some(e164);
}

/// Whether reading `input` as `e164` lost more digits than a national number's trunk prefix
/// (which its country code, one digit or more, makes up for).
fn dropped_digits(input: &str, e164: &str) -> bool {
    let digits = |s: &str| s.bytes().filter(u8::is_ascii_digit).count();
    digits(input) >= digits(e164)
}

/// The E.164 number to send, a note on it and its extension not sent, or why the number
/// cannot be used.
type PhoneRead = Result<(String, Option<String>, Option<String>), String>;

fn also_holds_email(v: &MappedValue<'_>, other: &str, f: &mut Findings) {
    f.notes.push(error_for(
        v,
        format_args!("also holds {other:?}, not imported (HighLevel stores one email)"),
    ));
}

fn also_holds_phone(column: Option<&str>, other: &str, f: &mut Findings) {
    f.notes.push(RowError::formatted(
        column,
        format_args!("also holds {other:?}, not imported (HighLevel stores one phone)"),
    ));
}

/// A backup tried and found bad: the value, its text, and why.
type Tried<'s, 'a> = (&'s MappedValue<'a>, String, String);

/// The first valid email among the cell's later values (`others`), then each backup's
/// values in turn: where it came from and the address. The bad values are added to `tried`
/// (those before the one used, or all).
fn spare_email<'s, 'a>(
    own: &'s MappedValue<'a>,
    others: &[String],
    spares: &'s [MappedValue<'a>],
    tried: &mut Vec<Tried<'s, 'a>>,
    f: &mut Findings,
) -> Option<(Source, String)> {
    let email = Target::Field(Field::Email);
    let own_values = others
        .iter()
        .enumerate()
        .map(|(k, o)| (own, None, k + 1, Cow::Borrowed(o.as_str())));
    let spare_values = spares
        .iter()
        .enumerate()
        .filter(|(_, s)| s.target == email)
        .flat_map(|(i, s)| {
            let text = email_text(&s.value);
            let (first, others) = cells::first_of(&text, cells::is_email_piece);
            let values: Vec<String> = std::iter::once(first.into_owned()).chain(others).collect();
            values
                .into_iter()
                .enumerate()
                .map(move |(k, t)| (s, Some(i), k, Cow::Owned(t)))
        });
    let mut found: Option<(Source, String)> = None;
    let mut rest: Vec<(&MappedValue<'a>, Cow<'_, str>)> = Vec::new();
    for (s, spare, value, text) in own_values.chain(spare_values) {
        match &found {
            // The cell's values after the one used: named, as a cell's other values are.
            Some((from, _)) if from.spare == spare => rest.push((s, text)),
            Some(_) => break,
            None => match normalise_email(&text) {
                Ok(e) => found = Some((Source { spare, value }, e)),
                Err(m) => tried.push((s, text.into_owned(), m)),
            },
        }
    }
    for (s, other) in rest {
        also_holds_email(s, &other, f);
    }
    found
}

/// Where the row's email or phone came from: a backup (index in `spares`; `None`: the row's
/// own cell) and which of the cell's values (0: the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Source {
    spare: Option<usize>,
    value: usize,
}

impl Source {
    const FIRST: Source = Source {
        spare: None,
        value: 0,
    };

    /// `'Work email'`, or `the 2nd value of 'Phone'`; `own` names the row's own cell.
    fn name(self, own: &str, spares: &[MappedValue<'_>]) -> String {
        let column = match self.spare.and_then(|i| spares.get(i)) {
            Some(s) => column_name(s),
            None => own.to_owned(),
        };
        match self.value {
            0 => column,
            k => format!("the {} value of {column}", ordinal(k + 1)),
        }
    }
}

/// `2nd`, `3rd`, `11th`, `22nd`.
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// A column in quotes, or the constant it is, for messages naming where a value came from.
fn named(column: Option<&str>, target: &Target) -> String {
    match column {
        Some(c) => format!("'{c}'"),
        None => format!("the constant {target}"),
    }
}

/// Names the backups of `field` the row did not use: those after the one used (`used`, an
/// index in `spares`), or all of them when the row's own cell gave the value (`from`, named).
fn name_unused(
    spares: &[MappedValue<'_>],
    field: Field,
    used: Option<usize>,
    from: &str,
    f: &mut Findings,
) {
    let target = Target::Field(field);
    let what = if field == Field::Email {
        "email"
    } else {
        "phone"
    };
    let skip = used.map_or(0, |i| i + 1);
    for s in spares.iter().skip(skip).filter(|s| s.target == target) {
        let value = match field {
            Field::Email => email_text(&s.value),
            _ => phone_text(&s.value),
        };
        let value = trim(&value);
        f.unused.push(error_for(
            s,
            format_args!("{value:?} not imported: the row's {what} comes from {from} (HighLevel stores one {what})"),
        ));
    }
}

/// A value's column in quotes, for messages naming where a value came from.
fn column_name(v: &MappedValue<'_>) -> String {
    named(v.column.as_deref(), &v.target)
}

/// A phone cell's text (a list joined as it was written).
fn phone_text<'v>(v: &'v RawValue<'_>) -> Cow<'v, str> {
    match v {
        RawValue::List(l) => l.join(", ").into(),
        other => single_text(other).unwrap_or_default(),
    }
}

/// The phone region of a country code, from a table made once: `Region::from_str` compares
/// the text with every region's name in turn (about 1% of a dry run, once per row).
fn region_of(cc: &str) -> Option<Region> {
    static TABLE: std::sync::OnceLock<Vec<Option<Region>>> = std::sync::OnceLock::new();
    let index = |a: u8, b: u8| usize::from(a - b'A') * 26 + usize::from(b - b'A');
    match cc.as_bytes() {
        &[a @ b'A'..=b'Z', b @ b'A'..=b'Z'] => {
            let table = TABLE.get_or_init(|| {
                (b'A'..=b'Z')
                    .flat_map(|a| (b'A'..=b'Z').map(move |b| [a, b]))
                    .map(|code| {
                        std::str::from_utf8(&code)
                            .ok()
                            .and_then(|c| Region::from_str(c).ok())
                    })
                    .collect()
            });
            table.get(index(a, b)).copied().flatten()
        }
        _ => Region::from_str(cc).ok(),
    }
}

/// Drops empty tags and repeats ignoring case (Unicode lowercase), keeping the first.
fn dedup_tags(tags: &mut Vec<String>) {
    // A few ASCII tags (the usual row): compared in place, nothing lowercased or hashed.
    // Only all-ASCII: a non-ASCII tag can lowercase to ASCII (the Kelvin sign to `k`).
    if tags.len() <= 16 && tags.iter().all(|t| t.is_ascii()) {
        let mut kept = 0;
        for i in 0..tags.len() {
            if !tags[i].is_empty()
                && !tags[..kept]
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(&tags[i]))
            {
                tags.swap(kept, i);
                kept += 1;
            }
        }
        tags.truncate(kept);
        return;
    }
    let mut seen = HashSet::new();
    tags.retain(|t| !t.is_empty() && seen.insert(t.to_lowercase()));
}

/// The text without outer spaces, `None` when nothing is left; an owned text without
/// them is kept as it is (no copy).
fn trimmed(text: Cow<'_, str>) -> Option<String> {
    let t = trim(&text);
    if t.is_empty() {
        None
    } else if t.len() == text.len() {
        Some(text.into_owned())
    } else {
        Some(t.to_owned())
    }
}

fn error_for(v: &MappedValue<'_>, msg: impl std::fmt::Display) -> RowError {
    match &v.column {
        Some(c) => RowError::formatted(Some(c.as_ref()), format_args!("{msg}")),
        None => RowError::formatted(None, format_args!("constant {}: {msg}", v.target)),
    }
}

fn left_out_for(v: &MappedValue<'_>, value: &str, why: &str) -> RowError {
    match &v.column {
        Some(c) => left_out(Some(c.as_ref()), value, why),
        None => RowError::formatted(
            None,
            format_args!("constant {}: {value:?} left out: {why}", v.target),
        ),
    }
}

/// An email cell's text (a list joined as it was written).
fn email_text<'v>(v: &'v RawValue<'_>) -> Cow<'v, str> {
    match v {
        RawValue::List(l) => l.join(", ").into(),
        other => single_text(other).unwrap_or_default(),
    }
}

/// Without outer spaces, not copied when it has none.
fn trimmed_in_place(s: String) -> String {
    match trim(&s) {
        t if t.len() == s.len() => s,
        t => t.to_owned(),
    }
}

/// Borrowed for text (almost every cell): no copy per cell.
fn single_text<'v>(v: &'v RawValue<'_>) -> Result<Cow<'v, str>, String> {
    match v {
        RawValue::Text(s) => Ok(Cow::Borrowed(&**s)),
        RawValue::Number(n) => Ok(n.to_string().into()),
        RawValue::Bool(b) => Ok(b.to_string().into()),
        RawValue::List(l) if l.len() == 1 => Ok(Cow::Borrowed(&l[0])),
        RawValue::List(l) => Err(format!("expected one value, got a list of {}", l.len())),
    }
}

pub(crate) fn parse_bool(t: &str) -> Option<bool> {
    match t.to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Some(true),
        "false" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// Syntax per `email_address`, tightened to what can actually receive mail: no display name,
/// no IP literal, a top-level domain that exists. The domain is lowercased, the local part
/// kept.
pub fn normalise_email(t: &str) -> Result<String, String> {
    let address = email_syntax(t)?;
    // By byte (`@` is ASCII): `rfind` is a char searcher, read for every email.
    let domain = &address[memchr::memrchr(b'@', address.as_bytes()).map_or(0, |at| at + 1)..];
    match tld::unlisted_tld(domain) {
        None => Ok(address),
        Some(tld) => Err(tld::not_a_tld(tld)),
    }
}

/// [`normalise_email`] but for the top-level domain.
fn email_syntax(t: &str) -> Result<String, String> {
    // Excel's text marker (`'ann@example.com`), as phones drop it: never part of an address.
    let t = cells::no_text_marker(t);
    // A `mailto:` link (copied from a web page or a signature), as phones drop `tel:`.
    let t = match t.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("mailto:") => &t[7..],
        _ => t,
    };
    match email::ascii_address(t) {
        Some(e) => Ok(e),
        None => match invisible::email_chars(t) {
            // A zero-width space or a non-breaking space copied with the address.
            Cow::Owned(clean) if clean != t => email_syntax(&clean),
            _ => normalise_email_exactly(t),
        },
    }
}

/// [`normalise_email`] through `email_address`: what the ASCII fast path must agree with, and
/// every error message.
fn normalise_email_exactly(t: &str) -> Result<String, String> {
    if t.contains('<') || t.contains('>') {
        return Err("give just the address, without a display name or <>".into());
    }
    if t.chars().any(char::is_whitespace) {
        return Err("contains spaces".into());
    }
    let opts = email_address::Options::default()
        .without_display_text()
        .without_domain_literal()
        .with_required_tld();
    let parsed =
        email_address::EmailAddress::parse_with_options(t, opts).map_err(|e| e.to_string())?;
    let domain = parsed.domain().to_lowercase();
    let tld = domain.rsplit('.').next().unwrap_or("");
    let tld_ok = (tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic))
        || (tld.starts_with("xn--") && tld.len() > 4);
    if !domain.contains('.') || !tld_ok {
        return Err(format!("domain {domain:?} has no valid top-level domain"));
    }
    Ok(format!("{}@{domain}", parsed.local_part()))
}

/// E.164 (`+14155552671`) of a number the metadata calls valid. The `Err` text ends ready
/// for "(… default country US)".
pub fn normalise_phone(t: &str, region: Region) -> Result<String, String> {
    match read_phone(t, region)? {
        p if p.valid => Ok(p.e164),
        _ => Err(String::new()),
    }
}

/// A phone number read from a cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    pub e164: String,
    /// The bundled metadata knows the range; otherwise the number is only possible.
    pub valid: bool,
}

/// E.164 of a number libphonenumber calls possible (its length fits the country), and whether
/// it is also valid.
pub fn read_phone(t: &str, region: Region) -> Result<Phone, String> {
    read_phone_cut(t, extension_at(t), region)
}

/// [`read_phone`] with `t`'s extension found already ([`extension_at`]).
fn read_phone_cut(t: &str, ext_at: Option<usize>, region: Region) -> Result<Phone, String> {
    let input = phone_input(t, ext_at)?;
    // Read as text once (the `+` form is checked as UTF-8 each time it is).
    let input: &str = &input;
    // With a country code, a region only gets in the way: 0.3.10 strips the region's national
    // prefix from the number after the code.
    let region_arg = if input.starts_with('+') {
        None
    } else {
        Some(region)
    };
    decide_phone(input, region_arg).ok_or_else(String::new)
}

/// Where a phone cell's extension starts: the first of "extension", "ext.", "ext", "x", "#"
/// (any case; all but `#` start at an `e` before "xt" or at an `x`). Byte offsets, so no
/// lowercased copy is needed.
fn extension_at(t: &str) -> Option<usize> {
    let b = t.as_bytes();
    // `| 0x20` folds an ASCII capital to its small letter: one test per byte for the usual
    // cell of digits and punctuation.
    b.iter().enumerate().position(|(i, &c)| match c | 0x20 {
        b'x' => true,
        b'e' => b
            .get(i + 1..i + 3)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"xt")),
        _ => c == b'#',
    })
}

/// The cell as it goes to the parser: extension cut (`ext_at`, from [`extension_at`]), `00`
/// read as `+`, spaces and punctuation kept; `Err` (ready for "(… default country US)") when
/// it cannot be a number.
fn phone_input(t: &str, ext_at: Option<usize>) -> Result<PhoneInput<'_>, String> {
    // By bytes: every character allowed is ASCII, and a byte of any other is not.
    let number = match ext_at {
        Some(i) if t.as_bytes()[..i].iter().any(u8::is_ascii_digit) => &t[..i],
        Some(_) => return Err(String::new()),
        None => t,
    };
    let number = number.trim_end_matches([',', ';', ' ', '\t']);
    // One pass for what the checks below need, read for every phone cell.
    let (mut allowed, mut n_digits, mut pluses, mut leading_zeros) = (true, 0usize, 0usize, 0);
    for c in number.bytes() {
        match c {
            b'0'..=b'9' => {
                if n_digits == leading_zeros && c == b'0' {
                    leading_zeros += 1;
                }
                n_digits += 1;
            }
            b'+' => pluses += 1,
            b' ' | b'(' | b')' | b'-' | b'.' | b'/' | b'\t' => {}
            _ => allowed = false,
        }
    }
    if !allowed {
        return Err("unexpected characters; ".into());
    }
    let plus = number.trim_start().starts_with('+');
    if pluses > usize::from(plus) {
        return Err("misplaced '+'; ".into());
    }
    if !(4..=17).contains(&n_digits) {
        return Err("wrong number of digits; ".into());
    }
    let international = |skip: usize| {
        let mut buf = [0u8; 18];
        buf[0] = b'+';
        let mut n = 1;
        for d in number.bytes().filter(u8::is_ascii_digit).skip(skip) {
            buf[n] = d;
            n += 1;
        }
        PhoneInput::International(buf, n as u8)
    };
    Ok(if plus {
        international(0)
    } else if leading_zeros >= 2 {
        international(2)
    } else {
        PhoneInput::Written(number)
    })
}

/// What goes to the parser: the cell as written, or `+` and its digits (on the stack).
enum PhoneInput<'a> {
    Written(&'a str),
    /// `+` and at most 17 digits.
    International([u8; 18], u8),
}

impl std::ops::Deref for PhoneInput<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            PhoneInput::Written(s) => s,
            // ASCII by construction.
            PhoneInput::International(b, n) => {
                std::str::from_utf8(&b[..usize::from(*n)]).unwrap_or_default()
            }
        }
    }
}

impl std::fmt::Debug for PhoneInput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// The number `phonenumber` would read from `input` (`region`: `None` when it starts with
/// `+`): the fast paths in [`phone`] for the common shapes, the parser for the rest.
fn decide_phone(input: &str, region: Option<Region>) -> Option<Phone> {
    let valid = |e164: String| Phone { e164, valid: true };
    if let Some(fast) = phone::fast_nanp(input, region) {
        // Ten digits after a 2–9: the length NANP allows, so possible when not valid.
        return Some(match fast {
            Ok(e164) => valid(e164),
            Err(()) => {
                let national: String = input.chars().filter(char::is_ascii_digit).collect();
                let national = &national[national.len() - 10..];
                Phone {
                    e164: phone::e164("1", national),
                    valid: false,
                }
            }
        });
    }
    if let Some(e164) = phone::fast_international(input) {
        return Some(valid(e164));
    }
    if phone::nanp_too_short(input, region) {
        return None;
    }
    if let Some(decided) = region.and_then(|r| phone::fast_national(input, r)) {
        return decided;
    }
    parse_phone(input, region)
}

/// The full parser: what the fast paths in [`phone`] must agree with.
fn parse_phone(input: &str, region: Option<Region>) -> Option<Phone> {
    // The parser has panicked on odd input in the past; a row must never take the run down.
    std::panic::catch_unwind(|| {
        let n = phonenumber::parse(region, input).ok()?;
        let e164 = n.format().mode(phonenumber::Mode::E164).to_string();
        if phonenumber::is_valid(&n) {
            return Some(Phone { e164, valid: true });
        }
        let national = n.national().to_string();
        phone::possible(n.code().value(), &national).then_some(Phone { e164, valid: false })
    })
    .ok()
    .flatten()
}

/// `YYYY-MM-DD` of a date of birth, without a column order (tests, custom fields offline).
pub fn normalise_date(t: &str) -> Result<String, String> {
    match dates::date_of_birth(t, None)? {
        Some(d) => Ok(d),
        None => Err("an empty date placeholder".into()),
    }
}
