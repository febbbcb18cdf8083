//! Stage 3: checks and normalises a mapped row into what HighLevel accepts, collecting every
//! problem of the row so one pass over the report fixes the file.
//!
//! Decisions worth knowing:
//! - Phone numbers are parsed with libphonenumber's metadata, in the row's own `country` when it
//!   has a valid one, else the default country; `00` counts as the international prefix.
//!   Extensions (`x123`, `ext. 123`, `#123`) are dropped: HighLevel's phone field has no place
//!   for them, and losing the extension beats losing the contact.
//! - Dates with slashes (and the other separators) put the month first when the year is last
//!   (`MM/DD/YYYY`), as HighLevel reads them; `DD/MM/YYYY` is never guessed, and a date that
//!   reads both ways (`03/04/1990`) is an error unless the mapping gives a `date_format`.
//! - Tags are deduplicated ignoring case (HighLevel stores tags lowercased), keeping the first
//!   spelling and the order.
//! - A custom field target containing a `.` (`contact.x`) is sent as a key, anything else as
//!   an id.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate};
use phonenumber::country::Id as Region;

use crate::contact::{ContactFields, CustomFieldInput, Field, RowError, ValidRow};
use crate::mapping::{MappedRow, MappedValue, RawValue, Target};

pub mod custom_fields;
mod phone;
#[cfg(test)]
mod tests;

#[derive(Debug, Clone)]
pub struct ValidationOptions {
    /// ISO alpha-2, e.g. "US": the region of phone numbers written without a country code.
    pub default_country: String,
    /// `--tag` values, added to every row.
    pub extra_tags: Vec<String>,
    /// `--business-id`; a row's own businessId column wins.
    pub business_id: Option<String>,
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

pub struct Validator {
    opts: ValidationOptions,
    default_region: Region,
    default_code: &'static str,
}

const NEITHER: &str =
    "row has neither a valid email nor a valid phone (HighLevel matches contacts by them)";

impl Validator {
    pub fn new(opts: ValidationOptions) -> Result<Validator, ValidationError> {
        let bad = || ValidationError::DefaultCountry(opts.default_country.clone());
        let code = normalise_country(&opts.default_country).ok_or_else(bad)?;
        let default_region = Region::from_str(code).map_err(|_| bad())?;
        Ok(Validator {
            opts,
            default_region,
            default_code: code,
        })
    }

    pub fn validate(&self, row: MappedRow) -> Validated {
        let mut errors = row.errors;
        let mut c = ContactFields::default();
        let mut tags: Vec<String> = Vec::new();
        let mut business_id = None;
        let mut location_id = None;
        let mut email_raw = None;
        let mut phone: Option<(Option<String>, String)> = None;
        let mut saw_email = false;

        for v in &row.values {
            let mut err = |msg: String| errors.push(error_for(v, msg));
            match &v.target {
                Target::Ignore => {}
                Target::Field(Field::Tags) => match &v.value {
                    RawValue::List(items) => tags.extend(items.iter().map(|t| t.trim().to_owned())),
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
                    });
                }
                Target::Field(field) => {
                    let text = match single_text(&v.value) {
                        Ok(t) => t,
                        Err(m) => {
                            err(m);
                            continue;
                        }
                    };
                    let t = text.trim();
                    match field {
                        Field::Email => {
                            saw_email = true;
                            email_raw = Some(text.clone());
                            match normalise_email(t) {
                                Ok(e) => c.email = Some(e),
                                Err(m) => err(format!("{t:?} is not a valid email address ({m})")),
                            }
                        }
                        // Later, once the row's country is known.
                        Field::Phone => phone = Some((v.column.clone(), text.clone())),
                        Field::DateOfBirth => match normalise_date(t) {
                            Ok(d) => c.date_of_birth = Some(d),
                            Err(m) => err(format!("{t:?} is not a valid date of birth ({m})")),
                        },
                        Field::Country => match normalise_country(t) {
                            Some(code) => c.country = Some(code.to_owned()),
                            None => err(format!("{t:?} is not a country HighLevel accepts (use an ISO 3166 alpha-2 code like US or GB)")),
                        },
                        Field::Dnd => match parse_bool(t) {
                            Some(b) => c.dnd = Some(b),
                            None => err(format!("{t:?} is not a yes/no value (use true/false, yes/no, 1/0)")),
                        },
                        // An opt-out is recorded, never lifted: "no" sends nothing.
                        Field::DndEmail | Field::DndCall | Field::DndSms => match parse_bool(t) {
                            Some(true) => c.dnd_settings.set_active(*field),
                            Some(false) => {}
                            None => err(format!("{t:?} is not a yes/no value (use true/false, yes/no, 1/0)")),
                        },
                        Field::Website => {
                            if t.chars().any(char::is_whitespace) {
                                err(format!("{t:?} is not a valid website (it contains spaces)"));
                            } else {
                                c.website = Some(t.to_owned());
                            }
                        }
                        Field::BusinessId | Field::LocationId | Field::AssignedTo
                            if t.chars().any(|ch| ch.is_whitespace() || ch.is_control()) =>
                        {
                            err(format!("{t:?} is not a valid {field} (ids have no spaces)"));
                        }
                        Field::BusinessId => business_id = Some(t.to_owned()),
                        Field::LocationId => location_id = Some(t.to_owned()),
                        Field::AssignedTo => c.assigned_to = Some(t.to_owned()),
                        Field::FirstName => c.first_name = nonempty(t),
                        Field::LastName => c.last_name = nonempty(t),
                        Field::Name => c.name = nonempty(t),
                        Field::Gender => c.gender = nonempty(t),
                        Field::Address1 => c.address1 = nonempty(t),
                        Field::City => c.city = nonempty(t),
                        Field::State => c.state = nonempty(t),
                        Field::PostalCode => c.postal_code = nonempty(t),
                        Field::Timezone => c.timezone = nonempty(t),
                        Field::Source => c.source = nonempty(t),
                        Field::CompanyName => c.company_name = nonempty(t),
                        // Matched by the arm above.
                        Field::Tags => {}
                    }
                }
            }
        }

        let phone_raw = phone.as_ref().map(|(_, raw)| raw.clone());
        if let Some((column, raw)) = &phone {
            let (region, whence) = match c
                .country
                .as_deref()
                .and_then(|cc| Region::from_str(cc).ok().map(|r| (r, cc)))
            {
                Some((r, cc)) => (r, format!("country {cc} from the row")),
                None => (
                    self.default_region,
                    format!("default country {}", self.default_code),
                ),
            };
            let t = raw.trim();
            match normalise_phone(t, region) {
                Ok(p) => c.phone = Some(p),
                Err(why) => errors.push(RowError::new(
                    column.as_deref(),
                    format!("{t:?} is not a valid phone number ({why}{whence})"),
                )),
            }
        }
        let unreadable = row.values.is_empty() && !errors.is_empty();
        if !saw_email && phone.is_none() && !unreadable {
            errors.push(RowError::new(None, NEITHER));
        }

        if !errors.is_empty() {
            return Validated::Invalid {
                errors,
                email: email_raw,
                phone: phone_raw,
            };
        }
        tags.extend(self.opts.extra_tags.iter().map(|t| t.trim().to_owned()));
        let mut seen = HashSet::new();
        tags.retain(|t| !t.is_empty() && seen.insert(t.to_lowercase()));
        Validated::Valid(ValidRow {
            contact: c,
            tags,
            business_id: business_id.or_else(|| self.opts.business_id.clone()),
            location_id,
        })
    }
}

fn nonempty(t: &str) -> Option<String> {
    (!t.is_empty()).then(|| t.to_owned())
}

fn error_for(v: &MappedValue, msg: String) -> RowError {
    match &v.column {
        Some(c) => RowError::new(Some(c), msg),
        None => RowError::new(None, format!("constant {}: {msg}", v.target)),
    }
}

fn single_text(v: &RawValue) -> Result<String, String> {
    match v {
        RawValue::Text(s) => Ok(s.clone()),
        RawValue::Number(n) => Ok(n.to_string()),
        RawValue::Bool(b) => Ok(b.to_string()),
        RawValue::List(l) if l.len() == 1 => Ok(l[0].clone()),
        RawValue::List(l) => Err(format!("expected one value, got a list of {}", l.len())),
    }
}

fn parse_bool(t: &str) -> Option<bool> {
    match t.to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Some(true),
        "false" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// Syntax per `email_address`, tightened to what can actually receive mail: no display name,
/// no IP literal, a real-looking TLD. The domain is lowercased, the local part kept.
pub fn normalise_email(t: &str) -> Result<String, String> {
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

/// E.164 (`+14155552671`). The `Err` text ends ready for "(… default country US)".
pub fn normalise_phone(t: &str, region: Region) -> Result<String, String> {
    let lower = t.to_ascii_lowercase();
    let cut = ["extension", "ext.", "ext", "x", "#"]
        .iter()
        .filter_map(|m| lower.find(m))
        .min();
    let number = match cut {
        Some(i) if t[..i].chars().any(|c| c.is_ascii_digit()) => &t[..i],
        Some(_) => return Err(String::new()),
        None => t,
    };
    if !number
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '(' | ')' | '-' | '.' | '/' | '\t'))
    {
        return Err("unexpected characters; ".into());
    }
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let plus = number.trim_start().starts_with('+');
    if number.matches('+').count() > usize::from(plus) {
        return Err("misplaced '+'; ".into());
    }
    if digits.len() < 4 || digits.len() > 17 {
        return Err("wrong number of digits; ".into());
    }
    let input = match digits.strip_prefix("00") {
        Some(rest) if !plus => format!("+{rest}"),
        _ if plus => format!("+{digits}"),
        _ => number.to_owned(),
    };
    // With a country code, a region only gets in the way: 0.3.10 strips the region's national
    // prefix from the number after the code.
    let region_arg = if input.starts_with('+') {
        None
    } else {
        Some(region)
    };
    if let Some(fast) = phone::fast_nanp(&input, region_arg) {
        return fast.map_err(|()| String::new());
    }
    if let Some(e164) = phone::fast_international(&input) {
        return Ok(e164);
    }
    // The parser has panicked on odd input in the past; a row must never take the run down.
    let parsed = std::panic::catch_unwind(|| {
        phonenumber::parse(region_arg, &input)
            .ok()
            .filter(phonenumber::is_valid)
            .map(|n| n.format().mode(phonenumber::Mode::E164).to_string())
    });
    match parsed {
        Ok(Some(e164)) => Ok(e164),
        _ => Err(String::new()),
    }
}

/// `YYYY-MM-DD`. See the module doc for which orders are accepted.
pub fn normalise_date(t: &str) -> Result<String, String> {
    const HINT: &str = "use YYYY-MM-DD or MM/DD/YYYY";
    // ISO datetime, or the "date time" many exports write: keep the date.
    let t = match t.split_once(['T', ' ']) {
        Some((d, time))
            if (8..=10).contains(&d.len())
                && time.trim_start().starts_with(|c: char| c.is_ascii_digit()) =>
        {
            d
        }
        _ => t,
    };
    let sep = t
        .chars()
        .find(|c| matches!(c, '-' | '/' | '.' | '_'))
        .ok_or(HINT)?;
    let parts: Vec<&str> = t.split(sep).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(HINT.into());
    }
    let num = |s: &str| s.parse::<u32>().unwrap_or(0);
    let (y, m, d) = match (parts[0].len(), parts[2].len()) {
        (4, 1 | 2) if parts[1].len() <= 2 => (num(parts[0]), num(parts[1]), num(parts[2])),
        (1 | 2, 4) if parts[1].len() <= 2 => {
            let (a, b) = (num(parts[0]), num(parts[1]));
            // 03/04/1990 is 4 March in the US and 3 April elsewhere: an error beats a guess.
            if (1..=12).contains(&a) && (1..=12).contains(&b) && a != b {
                return Err(format!(
                    "ambiguous date: {t} could be {a} {} or {} {b}; set date_format for this column",
                    month_name(b),
                    month_name(a)
                ));
            }
            (num(parts[2]), a, b)
        }
        _ => return Err(HINT.into()),
    };
    let date = NaiveDate::from_ymd_opt(y as i32, m, d)
        .ok_or_else(|| format!("no such date: year {y}, month {m}, day {d}"))?;
    if date > chrono::Local::now().date_naive() {
        return Err("it is in the future".into());
    }
    Ok(format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        date.month(),
        date.day()
    ))
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

struct Countries {
    codes: HashSet<&'static str>,
    names: HashMap<String, &'static str>,
}

/// HighLevel's own list, embedded so the build needs nothing outside the repository.
const COUNTRY_LIST: &str = include_str!("country-list.md");

/// Names people write that are not (or not unambiguously) in HighLevel's list.
const COUNTRY_ALIASES: &[(&str, &str)] = &[
    ("usa", "US"),
    ("unitedstatesofamerica", "US"),
    ("america", "US"),
    ("uk", "GB"),
    ("unitedkingdom", "GB"),
    ("greatbritain", "GB"),
    ("britain", "GB"),
    ("england", "GB"),
    ("scotland", "GB"),
    ("wales", "GB"),
    ("northernireland", "GB"),
    ("southkorea", "KR"),
    ("republicofkorea", "KR"),
    ("northkorea", "KP"),
    ("russia", "RU"),
    ("vietnam", "VN"),
    ("czechia", "CZ"),
    ("iran", "IR"),
    ("syria", "SY"),
    ("laos", "LA"),
    ("macau", "MO"),
    ("northmacedonia", "MK"),
    ("eswatini", "SZ"),
    ("ivorycoast", "CI"),
    ("cotedivoire", "CI"),
    ("holland", "NL"),
    ("thenetherlands", "NL"),
    ("deutschland", "DE"),
    ("uae", "AE"),
    ("palestine", "PS"),
    ("vatican", "VA"),
    ("vaticancity", "VA"),
    ("brunei", "BN"),
    ("caboverde", "CV"),
    ("libya", "LY"),
    ("turkiye", "TR"),
    ("burma", "MM"),
    ("easttimor", "TL"),
    ("drc", "CD"),
    ("democraticrepublicofthecongo", "CD"),
    ("republicofthecongo", "CG"),
    ("britishvirginislands", "VG"),
    ("usvirginislands", "VI"),
    ("micronesia", "FM"),
    ("falklandislands", "FK"),
    ("espana", "ES"),
    ("méxico", "MX"),
];

fn countries() -> &'static Countries {
    static C: OnceLock<Countries> = OnceLock::new();
    C.get_or_init(|| {
        let mut codes = HashSet::new();
        let mut names: HashMap<String, Option<&'static str>> = HashMap::new();
        for line in COUNTRY_LIST.lines() {
            let mut cells = line.split('|').map(str::trim);
            let (Some(""), Some(code), Some(name)) = (cells.next(), cells.next(), cells.next())
            else {
                continue;
            };
            if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
                continue;
            }
            codes.insert(code);
            // Names listed twice (Congo, Korea, Virgin Islands) are ambiguous: not accepted.
            names
                .entry(name_key(name))
                .and_modify(|c| *c = None)
                .or_insert(Some(code));
        }
        let mut names: HashMap<String, &'static str> = names
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect();
        for (alias, code) in COUNTRY_ALIASES {
            names.insert(name_key(alias), code);
        }
        Countries { codes, names }
    })
}

fn name_key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// ISO alpha-2 code from HighLevel's list, from a code (any case) or a common name.
pub fn normalise_country(t: &str) -> Option<&'static str> {
    let c = countries();
    let t = t.trim();
    if t.len() == 2 {
        let up = t.to_ascii_uppercase();
        if let Some(code) = c.codes.get(up.as_str()) {
            return Some(code);
        }
    }
    c.names.get(&name_key(t)).copied()
}
