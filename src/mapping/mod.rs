//! Stage 2: turns a record's columns (CSV headers or JSONL keys) into contact fields.
//!
//! Without a mapping file, columns are matched to fields by name, ignoring case, spaces and
//! `_ - .` (`First Name`, `first_name`, `FIRST-NAME` → `firstName`), plus common aliases
//! (`E-mail`, `Mobile`, `Zip`, `DOB` …). Emails, phones and address parts also match under a
//! qualifier, number or bracketed kind (`Work Phone`, `E-mail 1`, `Phone (Mobile)`, `Home
//! City`); fax and pager columns never do. Each qualifier's address columns are one block, used
//! whole when the plain ones give nothing. A header starting with `contact.` is taken as a custom
//! field key. In JSONL, `customFields` (an object `{"contact.key": value}` or an array of
//! `{"key"|"id": …, "field_value": …}`) fills custom fields and a `tags` array is a list.
//!
//! # Mapping file
//!
//! A TOML file (`--mapping mapping.toml`) for the columns auto-detection gets wrong or misses:
//!
//! ```toml
//! # Keep matching unlisted columns by name (default true). With `auto = false`, only the
//! # columns listed below are imported.
//! auto = true
//! # A built-in preset (see below): hubspot, salesforce, pipedrive, mailchimp, zoho, keap,
//! # google, outlook, none.
//! # preset = "hubspot"
//! # Values read as empty in every column.
//! # empty_values = ["000000000000000AAA"]
//!
//! [columns]
//! # "Column as written in the header" = what it becomes:
//! "E-mail Address" = "email"                       # a field, by its API name (see below)
//! "Mobile"         = "phone"
//! "Lifetime Value" = "contact.lifetime_value"      # a custom field, by key ("contact." prefix)
//! "Colour"         = { custom_field = "contact.favourite_colour" }   # same, long form
//! "Legacy Score"   = { custom_field = "q3jBnzT4kRpXlmN0aZ1c" }       # a custom field by id
//! "Labels"         = { field = "tags", split = ";" }                 # tags, split on ";"
//! "Interests"      = { custom_field = "contact.interests", split = "|" }  # a list value
//! "Internal Notes" = "ignore"                      # never imported
//!
//! [constants]
//! # Set on every row. Tags are added to the row's own tags; any other field is a default,
//! # used only when the row has no value of its own for it.
//! source = "HubSpot migration"
//! tags = ["imported", "2026"]
//! "contact.import_batch" = "batch-7"               # custom fields by key work here too
//! dnd = false
//! ```
//!
//! Field names: `firstName lastName name email phone gender address1 city state postalCode
//! website timezone dnd dndSettings.Email dndSettings.Call dndSettings.SMS source dateOfBirth
//! country companyName assignedTo tags businessId locationId` (case-insensitive). A column
//! name with one `*` (`"*.id"`) is a pattern; a column named outright wins over it. `split` applies to `tags` and custom fields only; an
//! auto-detected tags column is split on `,` (a cell without `,` on `;`). Split parts are trimmed and empty ones dropped.
//! Column names must match the header exactly (or, failing that, ignoring case and
//! surrounding spaces); a listed column the file does not have is an error, so is listing two
//! columns for the same single-valued field or custom field. When auto-detection finds two
//! columns for one field (`Phone` and `Mobile`), a listed column wins, else the first; without
//! a preset, a later email or phone column (JSONL: key, in key order) is its backup, any other
//! is reported as not imported. For JSONL the column names are the object keys.
//!
//! An empty or whitespace-only cell (or JSON `null`) means "leave the field alone": it produces
//! no value, so an import never blanks a field in HighLevel.
//!
//! # Transforms
//!
//! Cells are always trimmed. A column's table form can also ask for:
//!
//! ```toml
//! [columns]
//! "Full Name" = { field = "name", split_name = true }   # also fills firstName and lastName
//! "Contact"   = { field = "name", transform = "split_name" }          # the same
//! "E-mail"    = { field = "email", lowercase = true }   # the whole address (the domain always is)
//! "Born"      = { field = "dateOfBirth", date_format = "%d/%m/%Y" }   # a chrono format
//! "Opted out" = { field = "dnd", true_values = ["unsubscribed"], false_values = ["subscribed"] }
//! "Labels"    = { field = "tags", split = ";" }         # several columns may feed tags,
//! "Groups"    = { field = "tags", split = "|" }         # each with its own separator
//! "Mobile"    = { field = "phone", fallback = true }    # used when the row's other phone is empty
//! "Tier"      = { custom_field = "contact.tier", type = "select", options = ["Gold"] }  # checked offline
//! "Home"      = { field = "phone", fallback = 2 }       # fallbacks by rank
//! "Unsub at"  = { field = "dndSettings.Email", filled = true }   # any value means yes
//! "Deleted"   = { skip_row_when = ["1"], reason = "deleted" }    # the row is not sent
//! "Groups"    = { field = "tags", split = ":::", drop_prefix = "* " }  # items left out
//! "Home City" = { field = "city", fallback = true, group = "address" }  # a block
//! "Phone Ext" = { field = "ignore", left_out = "no extension field" }  # named in its row
//! ```
//!
//! - `split_name` keeps `name` and splits it: "Jane Doe" → Jane / Doe, "Doe, Jane" → Jane /
//!   Doe, "Ludwig van Beethoven" → Ludwig / van Beethoven; a row's own firstName or lastName
//!   column wins over the split. A row that takes a part of the split names it in
//!   [`MappedRow::notes`]: the split is a guess.
//! - `split` ignores separators inside double quotes (`"a, b","c"` → `a, b` and `c`) and
//!   drops the quotes: Mailchimp writes tags that way.
//! - Without `date_format`, dates follow HighLevel's reading (`YYYY-MM-DD`, `MM/DD/YYYY` …),
//!   and one that reads both ways (`03/04/1990`: both parts 12 or less) is an error in the row,
//!   never a guess; `12/25/1990` is still 25 December.
//! - `true_values`/`false_values` (compared ignoring case) come before the usual yes/no, 1/0.
//! - Phones without a country code are read in the row's `country` column when it has one,
//!   else in `--default-country`.
//! - A group's fallbacks are used only when no non-fallback column of the group has a value,
//!   and then only the best-ranked block with one: addresses are never mixed.
//! - Email and phone fallbacks a row does not use wait in [`MappedRow::spares`]: validation
//!   sends the first valid one when the row's value is bad, and names the others.
//! - Opt-out channels (`dndSettings.*`) take any number of columns: any yes opts out; a no
//!   sends nothing.
//!
//! # Presets
//!
//! Built-in mappings for the contact exports of HubSpot, Salesforce, Pipedrive, Mailchimp, Zoho
//! CRM, Keap, Google Contacts and Outlook (`presets/*.toml`: column → field, IDs and owners
//! ignored, opt-outs as `dndSettings`). Each lists the layouts (variants) its source writes; a
//! CSV whose headers include at least half (and at least three) of one variant's typical
//! columns, a larger share than any other preset's, gets that preset; `--preset <id|none>` or `preset = "…"` in the mapping file chooses instead.
//! `auto = false` turns detection off. A mapping file's own lines win over the preset's, both
//! for the column and for the field it gives.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use chrono::Datelike;
use serde_json::Value;

use crate::contact::{Field, RowError};
use crate::input::{trim, CellRow, Record, RecordValues};
use crate::validation::cell_text;
use crate::validation::invisible::is_format;
use api_shape::ApiShape;
pub use api_shape::ApiShapes;

mod api_shape;
pub mod custom_match;
pub mod init;
pub mod presets;
mod transform;

#[cfg(test)]
mod tests;

#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("cannot read mapping file {file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("mapping file {file} is not valid TOML: {message}")]
    Toml { file: String, message: String },
    #[error("mapping file {file}{}: {key}: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Invalid {
        file: String,
        line: Option<usize>,
        key: String,
        message: String,
    },
    #[error("mapping file {file}{}: column '{column}' is not in the input file (its columns: {available})", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    UnknownColumn {
        file: String,
        line: Option<usize>,
        column: String,
        available: String,
    },
    #[error("columns {columns} all map to {target}; {hint}")]
    DuplicateTarget {
        target: String,
        columns: String,
        hint: String,
    },
}

/// Where a column's value goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    Field(Field),
    /// A custom field key like `contact.lifetime_value`, or a custom field id.
    CustomField(String),
    Ignore,
}

impl Target {
    /// Targets that take one value per row; two columns cannot both feed one.
    /// Opt-out channels take any number of columns: any one saying yes opts the row out.
    fn single_valued(&self) -> bool {
        match self {
            Target::Field(f) => *f != Field::Tags && f.dnd_channel().is_none(),
            Target::CustomField(_) => true,
            Target::Ignore => false,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Field(field) => f.write_str(field.api_name()),
            Target::CustomField(k) => write!(f, "custom field {k}"),
            Target::Ignore => f.write_str("ignored"),
        }
    }
}

/// A text value borrows its cell when no transform changed it: the validator copies only
/// what it keeps as it was (a name, a city), not the cells it rewrites (email, phone, date,
/// country).
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue<'a> {
    Text(Cow<'a, str>),
    List(Vec<String>),
    Bool(bool),
    Number(serde_json::Number),
}

#[derive(Debug, Clone, PartialEq)]
pub struct MappedValue<'a> {
    /// Never `Ignore`.
    pub target: Target,
    /// The input column or JSON key; `None` for constants. Borrowed from the mapper's
    /// headers or the record: no copy and no reference count per value.
    pub column: Option<Cow<'a, str>>,
    pub value: RawValue<'a>,
}

/// A record's values, borrowing from the record and the mapper that made it.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedRow<'a> {
    pub seq: u64,
    pub row: u64,
    pub values: Vec<MappedValue<'a>>,
    /// Problems found while mapping (extra cells, unreadable record); any of them makes the
    /// row invalid.
    pub errors: Vec<RowError>,
    /// Cells that could not be read (a date not in its `date_format`, an unusable JSON
    /// value), by the target they were for: validation decides what they cost.
    pub cell_errors: Vec<(Target, RowError)>,
    /// Email and phone fallbacks the row did not use, best rank first: validation tries
    /// them when the value in use is bad, and names the rest (HighLevel stores one of each).
    /// Empty, without allocating, for a row without them.
    pub spares: Vec<MappedValue<'a>>,
    /// The email in `values` is a backup's (a fallback column), the row's own email cell
    /// being empty: a bad one is not the contact's identity, so the row may go by its phone.
    pub email_is_backup: bool,
    /// Values the mapping guessed at (the first and last name split from a full name), or
    /// had nowhere to put (a cell in a column without a header): named in the row's warnings
    /// so a person can check them, never a reason to reject the row.
    pub notes: Vec<RowError>,
    /// Only in a row with no email and no phone: the columns not imported whose cell reads
    /// like one (a `Fax Number`), said as the row's error is to name them.
    pub unmapped_keys: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
struct Rule {
    target: Target,
    split: Option<String>,
    /// A full name: also gives firstName and lastName.
    split_name: bool,
    lowercase: bool,
    /// A chrono format; the value becomes `YYYY-MM-DD`.
    date_format: Option<String>,
    true_values: Vec<String>,
    false_values: Vec<String>,
    /// Used only when no other column gives the field in this row.
    fallback: bool,
    /// Among fallbacks, lower goes first (`fallback = 2`); column order breaks ties.
    order: i64,
    /// Columns of one block (an address): fallbacks of a group are used only when no
    /// non-fallback column of the group has a value, and then only one block's.
    group: Option<String>,
    /// Any value means yes (Mailchimp's `UNSUB_TIME`: filled = unsubscribed).
    filled: bool,
    /// A further line of the street (a suite, an apartment): HighLevel's address1 is one
    /// line, so it is joined to its block's street after a comma rather than lost.
    append: bool,
    /// A part written before the street (Zoho's `Mailing Street Number`): joined in front of
    /// it after a space, unless the street already holds it.
    before: bool,
    /// A tags column found by name, split on `,` by default: a cell that separates its tags
    /// with `;` (HubSpot's and Outlook's lists; HighLevel's own import takes both) is split
    /// on that too.
    split_by_default: bool,
    /// Values (lowercase) that mean the row is not sent at all, and why.
    skip_row_when: Vec<String>,
    reason: Option<String>,
    /// List items dropped (lowercase), and a prefix that drops an item.
    drop: Vec<String>,
    drop_prefix: Option<String>,
    /// Said once per run when the file has this column (what HighLevel cannot store).
    note: Option<String>,
    /// An ignored column whose cells are still named in their rows, and why they are not
    /// sent (Keap's `Phone 1 Ext`: an extension typed there is a value the row loses).
    left_out: Option<String>,
    /// A custom field's HighLevel type (`NUMERICAL`, `DATE` …), for checking values offline.
    field_type: Option<String>,
    /// A custom field's options, for checking values offline.
    options: Vec<String>,
    /// Outlook's `Display Name`: the name only of a row with no name, firstName or lastName.
    display_name: bool,
    /// A one-value field in a cell of several (HubSpot's `Acme Ltd;Beta Inc`): the first is
    /// sent, the others named.
    first_of: Option<String>,
}

impl Rule {
    fn new(target: Target) -> Rule {
        Rule {
            target,
            split: None,
            split_name: false,
            lowercase: false,
            date_format: None,
            true_values: Vec::new(),
            false_values: Vec::new(),
            fallback: false,
            order: 0,
            group: None,
            filled: false,
            append: false,
            before: false,
            split_by_default: false,
            skip_row_when: Vec::new(),
            reason: None,
            drop: Vec::new(),
            drop_prefix: None,
            note: None,
            left_out: None,
            field_type: None,
            options: Vec::new(),
            display_name: false,
            first_of: None,
        }
    }

    /// Counts as the column for its field (duplicates, auto-detection claims).
    fn claims(&self) -> bool {
        self.target.single_valued() && !self.fallback && !self.append && !self.display_name
    }

    fn describe(&self) -> String {
        let mut s = self.target.to_string();
        if let Some(sep) = &self.split {
            s += &format!(" (split on '{sep}')");
        }
        if self.split_name {
            s += " (split into firstName and lastName)";
        }
        if self.lowercase {
            s += " (lowercased)";
        }
        if let Some(f) = &self.date_format {
            s += &format!(" (date format {f})");
        }
        if !self.true_values.is_empty() || !self.false_values.is_empty() {
            s += &format!(
                " (true: {:?}, false: {:?})",
                self.true_values, self.false_values
            );
        }
        if self.fallback {
            s += " (when the other column is empty, or for an email or phone not valid)";
        }
        if self.display_name {
            s += " (when the row has no name, first name or last name)";
        }
        if let Some(sep) = &self.first_of {
            s += &format!(" (the first of the values split on '{sep}')");
        }
        if let Some(g) = &self.group {
            s += &format!(" (block {g})");
        }
        if self.filled {
            s += " (any value means yes)";
        }
        if self.before {
            s += " (joined in front of the street)";
        } else if self.append {
            s += " (joined to the street after a comma)";
        }
        if !self.skip_row_when.is_empty() {
            s += &format!(" (row not sent when {:?})", self.skip_row_when);
        }
        if !self.drop.is_empty() || self.drop_prefix.is_some() {
            s += &format!(
                " (drops {:?}{})",
                self.drop,
                self.drop_prefix
                    .as_ref()
                    .map(|p| format!(" and items starting {p:?}"))
                    .unwrap_or_default()
            );
        }
        s
    }
}

/// Which preset a run uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PresetChoice {
    /// Chosen by the headers, if they clearly match one.
    Auto,
    /// `none`: no preset.
    Off,
    /// By id (`hubspot` …).
    Named(String),
}

impl PresetChoice {
    /// `auto`, `none` or a preset id.
    pub fn parse(s: &str) -> Result<PresetChoice, String> {
        let s = s.trim().to_ascii_lowercase();
        match s.as_str() {
            "auto" => Ok(PresetChoice::Auto),
            "none" => Ok(PresetChoice::Off),
            _ if presets::by_id(&s).is_some() => Ok(PresetChoice::Named(s)),
            _ => Err(format!(
                "unknown preset \"{s}\" (expected {}, none or auto)",
                presets::IDS.join(", ")
            )),
        }
    }
}

/// A parsed mapping file.
#[derive(Debug, Clone)]
pub struct MappingSpec {
    name: String,
    text: String,
    /// No file behind it: only carries `--preset`.
    implicit: bool,
    auto: bool,
    preset: Option<PresetChoice>,
    columns: Vec<(String, Rule)>,
    constants: Vec<(Target, RawValue<'static>)>,
    /// Cell values that mean "empty" in every column (Salesforce's `000000000000000AAA`).
    empty_values: Vec<String>,
    /// `strict = true`: any cell that cannot be read rejects the row (as `--strict`).
    strict: bool,
}

impl MappingSpec {
    pub fn load(path: &Path) -> Result<MappingSpec, MappingError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| MappingError::Io {
            file: name.clone(),
            source,
        })?;
        MappingSpec::parse(&text, &name)
    }

    /// No mapping file, only a preset choice (`--preset` without `--mapping`).
    pub fn from_preset(choice: PresetChoice) -> MappingSpec {
        MappingSpec {
            name: String::new(),
            text: String::new(),
            implicit: true,
            auto: true,
            preset: Some(choice),
            columns: Vec::new(),
            constants: Vec::new(),
            empty_values: Vec::new(),
            strict: false,
        }
    }

    /// `--preset` wins over the file's `preset = …`.
    pub fn set_preset(&mut self, choice: PresetChoice) {
        self.preset = Some(choice);
    }

    pub fn parse(text: &str, name: &str) -> Result<MappingSpec, MappingError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| MappingError::Toml {
            file: name.to_owned(),
            message: e.to_string(),
        })?;
        MappingSpec::from_table(&table, text, name)
    }

    fn from_table(
        table: &toml::Table,
        text: &str,
        name: &str,
    ) -> Result<MappingSpec, MappingError> {
        let mut spec = MappingSpec {
            name: name.to_owned(),
            text: text.to_owned(),
            implicit: false,
            auto: true,
            preset: None,
            columns: Vec::new(),
            constants: Vec::new(),
            empty_values: Vec::new(),
            strict: false,
        };
        let invalid = |key: &str, message: String| MappingError::Invalid {
            file: name.to_owned(),
            line: line_of(text, key),
            key: key.to_owned(),
            message,
        };
        for (key, value) in table {
            match (key.as_str(), value) {
                ("auto", toml::Value::Boolean(b)) => spec.auto = *b,
                ("auto", _) => return Err(invalid("auto", "must be true or false".into())),
                ("empty_values", toml::Value::Array(a)) => {
                    spec.empty_values = a
                        .iter()
                        .map(|v| v.as_str().map(|s| s.trim().to_owned()))
                        .collect::<Option<_>>()
                        .ok_or_else(|| invalid(key, "must be a list of strings".into()))?
                }
                ("empty_values", _) => {
                    return Err(invalid(key, "must be a list of strings".into()))
                }
                ("strict", toml::Value::Boolean(b)) => spec.strict = *b,
                ("strict", _) => return Err(invalid("strict", "must be true or false".into())),
                ("preset", toml::Value::String(p)) => {
                    spec.preset = Some(PresetChoice::parse(p).map_err(|m| invalid("preset", m))?)
                }
                ("preset", _) => {
                    return Err(invalid(
                        "preset",
                        "must be a string like \"hubspot\" or \"none\"".into(),
                    ))
                }
                ("columns", toml::Value::Table(t)) => {
                    for (column, v) in t {
                        let rule = parse_rule(v)
                            .map_err(|m| invalid(&format!("[columns] \"{column}\""), m))?;
                        spec.columns.push((column.clone(), rule));
                    }
                }
                ("constants", toml::Value::Table(t)) => {
                    for (k, v) in t {
                        let c = parse_constant(k, v)
                            .map_err(|m| invalid(&format!("[constants] {k}"), m))?;
                        spec.constants.push(c);
                    }
                }
                ("columns" | "constants", _) => {
                    return Err(invalid(
                        key,
                        "must be a table ([columns] / [constants])".into(),
                    ))
                }
                _ => {
                    return Err(invalid(
                        key,
                        "unknown setting (expected auto, preset, strict, empty_values, [columns] or [constants])".into(),
                    ))
                }
            }
        }
        Ok(spec)
    }

    /// The file name given to `load`/`parse`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `strict = true` in the file.
    pub fn strict(&self) -> bool {
        self.strict
    }
}

/// 1-based line where `key` (possibly quoted, possibly prefixed by `[section] `) is defined.
fn line_of(text: &str, key: &str) -> Option<usize> {
    let bare = key.rsplit("] ").next().unwrap_or(key).trim_matches('"');
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            [format!("\"{bare}\""), format!("'{bare}'"), bare.to_owned()]
                .iter()
                .any(|k| {
                    l.strip_prefix(k.as_str()).is_some_and(|rest| {
                        let rest = rest.trim_start();
                        rest.starts_with('=') || (k == bare && rest.starts_with(']'))
                    }) || l == format!("[{bare}]")
                })
        })
        .map(|i| i + 1)
}

fn field_by_name(name: &str) -> Option<Field> {
    let n = normalise(name);
    Field::ALL
        .into_iter()
        .find(|f| normalise(f.api_name()) == n)
}

fn target_by_name(name: &str) -> Result<Target, String> {
    let name = name.trim();
    if name.eq_ignore_ascii_case("ignore") {
        return Ok(Target::Ignore);
    }
    if let Some(key) = custom_key(name) {
        return Ok(Target::CustomField(key));
    }
    field_by_name(name).map(Target::Field).ok_or_else(|| {
        let names: Vec<_> = Field::ALL.iter().map(|f| f.api_name()).collect();
        format!(
            "unknown field \"{name}\" (expected one of {}, \"ignore\", or a custom field key like \"contact.my_field\")",
            names.join(", ")
        )
    })
}

fn custom_key(name: &str) -> Option<String> {
    let name = name.trim();
    let prefix = name.get(..8)?;
    (prefix.eq_ignore_ascii_case("contact.") && name.len() > 8)
        .then(|| format!("contact.{}", &name[8..]))
}

/// HighLevel's custom field types, by their API names or a plain word.
fn custom_field_type(s: &str) -> Result<String, String> {
    const TYPES: [&str; 13] = [
        "TEXT",
        "LARGE_TEXT",
        "NUMERICAL",
        "PHONE",
        "MONETORY",
        "CHECKBOX",
        "SINGLE_OPTIONS",
        "MULTIPLE_OPTIONS",
        "DATE",
        "TEXTBOX_LIST",
        "FILE_UPLOAD",
        "RADIO",
        "EMAIL",
    ];
    let up = s.trim().to_ascii_uppercase();
    let t = match up.as_str() {
        "NUMBER" => "NUMERICAL",
        "MONEY" | "MONETARY" => "MONETORY",
        "OPTIONS" | "SELECT" => "SINGLE_OPTIONS",
        "MULTISELECT" => "MULTIPLE_OPTIONS",
        other => TYPES.iter().find(|t| **t == other).copied().ok_or_else(|| {
            format!("unknown custom field type {s:?} (expected one of {}, or number, money, select, multiselect)", TYPES.join(", "))
        })?,
    };
    Ok(t.to_owned())
}

fn parse_rule(v: &toml::Value) -> Result<Rule, String> {
    match v {
        toml::Value::String(s) => Ok(Rule::new(target_by_name(s)?)),
        toml::Value::Table(t) => {
            let mut target = None;
            let mut rule = Rule::new(Target::Ignore);
            let string = |k: &str, v: &toml::Value| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("`{k}` must be a string"))
            };
            let boolean = |k: &str, v: &toml::Value| {
                v.as_bool()
                    .ok_or_else(|| format!("`{k}` must be true or false"))
            };
            let strings = |k: &str, v: &toml::Value| -> Result<Vec<String>, String> {
                v.as_array()
                    .and_then(|a| {
                        a.iter()
                            .map(|i| i.as_str().map(|s| s.trim().to_lowercase()))
                            .collect::<Option<Vec<_>>>()
                    })
                    .ok_or_else(|| format!("`{k}` must be a list of strings"))
            };
            for (k, v) in t {
                match k.as_str() {
                    "field" => {
                        let t = target_by_name(&string(k, v)?)?;
                        if target.replace(t).is_some() {
                            return Err("give only one of `field` and `custom_field`".into());
                        }
                    }
                    "custom_field" => {
                        let s = string(k, v)?;
                        if s.trim().is_empty() {
                            return Err("`custom_field` must not be empty".into());
                        }
                        if target
                            .replace(Target::CustomField(s.trim().to_owned()))
                            .is_some()
                        {
                            return Err("give only one of `field` and `custom_field`".into());
                        }
                    }
                    "split" => {
                        let s = string(k, v)?;
                        if s.is_empty() {
                            return Err("`split` must not be empty".into());
                        }
                        rule.split = Some(s);
                    }
                    "split_name" => rule.split_name = boolean(k, v)?,
                    "lowercase" => rule.lowercase = boolean(k, v)?,
                    "fallback" => match v {
                        toml::Value::Integer(n) if *n >= 1 => {
                            rule.fallback = true;
                            rule.order = *n;
                        }
                        _ => {
                            rule.fallback = v.as_bool().ok_or(
                                "`fallback` must be true, false or a rank (1, 2 …)".to_owned(),
                            )?
                        }
                    },
                    "group" => rule.group = Some(string(k, v)?),
                    "filled" => rule.filled = boolean(k, v)?,
                    "append" => match v.as_str() {
                        Some("before") => (rule.append, rule.before) = (true, true),
                        _ => {
                            rule.append = v.as_bool().ok_or(
                                "`append` must be true, false or \"before\"".to_owned(),
                            )?
                        }
                    },
                    "skip_row_when" => rule.skip_row_when = strings(k, v)?,
                    "reason" => rule.reason = Some(string(k, v)?),
                    "drop" => rule.drop = strings(k, v)?,
                    "drop_prefix" => rule.drop_prefix = Some(string(k, v)?),
                    "note" => rule.note = Some(string(k, v)?),
                    "left_out" => {
                        let s = string(k, v)?;
                        if s.trim().is_empty() {
                            return Err("`left_out` must not be empty".into());
                        }
                        rule.left_out = Some(s.trim().to_owned());
                    }
                    "display_name" => rule.display_name = boolean(k, v)?,
                    "first_of" => {
                        let s = string(k, v)?;
                        if s.is_empty() {
                            return Err("`first_of` must not be empty".into());
                        }
                        rule.first_of = Some(s);
                    }
                    "transform" => match string(k, v)?.trim() {
                        "split_name" => rule.split_name = true,
                        "lowercase" => rule.lowercase = true,
                        other => {
                            return Err(format!(
                                "unknown transform {other:?} (expected \"split_name\" or \"lowercase\")"
                            ))
                        }
                    },
                    "date_format" => {
                        let f = string(k, v)?;
                        transform::check_date_format(&f)?;
                        rule.date_format = Some(f);
                    }
                    "true_values" => rule.true_values = strings(k, v)?,
                    "false_values" => rule.false_values = strings(k, v)?,
                    "type" => rule.field_type = Some(custom_field_type(&string(k, v)?)?),
                    "options" => {
                        rule.options = v
                            .as_array()
                            .and_then(|a| a.iter().map(|i| i.as_str().map(|s| s.trim().to_owned())).collect())
                            .ok_or_else(|| format!("`{k}` must be a list of strings"))?
                    }
                    other => {
                        return Err(format!(
                            "unknown key `{other}` (expected field, custom_field, split, split_name, transform, lowercase, date_format, true_values, false_values, fallback, group, filled, append, display_name, first_of, skip_row_when, reason, drop, drop_prefix, note, left_out, type, options)"
                        ))
                    }
                }
            }
            rule.target = match target {
                Some(t) => t,
                // A column that only decides whether the row is sent.
                None if !rule.skip_row_when.is_empty() => Target::Ignore,
                None => return Err("needs `field` or `custom_field`".into()),
            };
            let t = &rule.target;
            let custom = matches!(t, Target::CustomField(_));
            if rule.split.is_some() && !(custom || *t == Target::Field(Field::Tags)) {
                return Err(format!(
                    "`split` only applies to tags and custom fields, not {t}"
                ));
            }
            if rule.split_name && *t != Target::Field(Field::Name) {
                return Err(format!("`split_name` only applies to name, not {t}"));
            }
            if rule.date_format.is_some() && !(custom || *t == Target::Field(Field::DateOfBirth)) {
                return Err(format!(
                    "`date_format` only applies to dateOfBirth and custom fields, not {t}"
                ));
            }
            let bools = !rule.true_values.is_empty() || !rule.false_values.is_empty();
            let yes_no =
                matches!(t, Target::Field(f) if *f == Field::Dnd || f.dnd_channel().is_some());
            if (bools || rule.filled) && !yes_no {
                return Err(format!(
                    "`true_values`/`false_values`/`filled` only apply to dnd and dndSettings.*, not {t}"
                ));
            }
            if (!rule.drop.is_empty() || rule.drop_prefix.is_some()) && rule.split.is_none() {
                return Err("`drop` and `drop_prefix` need `split`".into());
            }
            if (rule.field_type.is_some() || !rule.options.is_empty()) && !custom {
                return Err(format!(
                    "`type` and `options` only apply to custom fields, not {t}"
                ));
            }
            if rule.append && *t != Target::Field(Field::Address1) {
                return Err(format!("`append` only applies to address1, not {t}"));
            }
            if rule.left_out.is_some() && *t != Target::Ignore {
                return Err(format!(
                    "`left_out` only applies to a column mapped to ignore, not {t}"
                ));
            }
            if rule.fallback && !t.single_valued() {
                return Err(format!(
                    "`fallback` only applies to single-valued fields, not {t}"
                ));
            }
            Ok(rule)
        }
        _ => Err(
            "must be a field name string or a table like { field = \"tags\", split = \";\" }"
                .into(),
        ),
    }
}

fn parse_constant(key: &str, v: &toml::Value) -> Result<(Target, RawValue<'static>), String> {
    let target = match target_by_name(key)? {
        Target::Ignore => return Err("\"ignore\" is not a field".into()),
        t => t,
    };
    let list_ok = matches!(target, Target::Field(Field::Tags) | Target::CustomField(_));
    let value = match v {
        toml::Value::String(s) if target == Target::Field(Field::Tags) => {
            RawValue::List(vec![s.clone()])
        }
        toml::Value::String(s) => RawValue::Text(s.clone().into()),
        toml::Value::Boolean(b) => RawValue::Bool(*b),
        toml::Value::Integer(i) => RawValue::Number((*i).into()),
        toml::Value::Float(f) => {
            RawValue::Number(serde_json::Number::from_f64(*f).ok_or("must be a finite number")?)
        }
        toml::Value::Array(items) if list_ok => RawValue::List(
            items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_owned)
                        .ok_or("list items must be strings")
                })
                .collect::<Result<_, _>>()?,
        ),
        toml::Value::Array(_) => return Err(format!("{target} takes a single value, not a list")),
        _ => return Err("must be a string, number, boolean or list of strings".into()),
    };
    Ok((target, value))
}

/// Lowercase without spaces, `_`, `-`, `.` and characters that show as nothing (a header
/// copied from a web page: `​Phone` reads as `Phone`): the form header names are compared in.
fn normalise(s: &str) -> String {
    s.chars()
        .filter(|&c| !matches!(c, ' ' | '_' | '-' | '.') && !c.is_whitespace() && !is_format(c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Unicode's line and paragraph separators: line breaks as `\n` is.
const UNICODE_LINE_BREAKS: [char; 2] = ['\u{2028}', '\u{2029}'];

/// The field a header name means, by name or common alias. `None`: no idea.
pub fn detect_target(header: &str) -> Option<Target> {
    if let Some(key) = custom_key(header) {
        return Some(Target::CustomField(key));
    }
    let n = normalise(header);
    if let Some(f) = named(&n) {
        return Some(Target::Field(f));
    }
    qualified(&n).map(|(_, f)| Target::Field(f))
}

/// The field a normalised header names outright: its API name or a common alias.
fn named(n: &str) -> Option<Field> {
    if let Some(f) = Field::ALL
        .into_iter()
        .find(|f| normalise(f.api_name()) == n)
    {
        return Some(f);
    }
    let field = match n {
        "email" | "emailaddress" | "primaryemail" | "mail" => Field::Email,
        "phonenumber" | "mobile" | "mobilephone" | "mobilenumber" | "mobilephonenumber"
        | "cell" | "cellphone" | "cellnumber" | "telephone" | "telephonenumber" | "tel"
        | "phone1" | "primaryphone" => Field::Phone,
        "company" | "organization" | "organisation" | "businessname" => Field::CompanyName,
        "zip" | "zipcode" | "postcode" | "postal" => Field::PostalCode,
        // Keap names the first street line `Street Address 1` (Max Classic) or `Billing
        // Address Street 1` (newer Keap), whose qualifier leaves `Address Street 1`.
        "address" | "street" | "streetaddress" | "addressline1" | "streetaddress1"
        | "addressstreet1" => Field::Address1,
        // Its other parts (`Billing Address City`) read the same way.
        "addresscity" => Field::City,
        "addressstate" => Field::State,
        "addresspostalcode" => Field::PostalCode,
        "addresscountry" => Field::Country,
        n if further_street_line(n) => Field::Address1,
        "tag" => Field::Tags,
        "dob" | "birthday" | "birthdate" => Field::DateOfBirth,
        "fullname" => Field::Name,
        // Mailchimp's merge tags (`merge_fields.FNAME` in its API's records).
        "first" | "givenname" | "fname" => Field::FirstName,
        "last" | "surname" | "familyname" | "lname" => Field::LastName,
        "addr1" => Field::Address1,
        "countrycode" | "country/region" => Field::Country,
        "province" | "region" | "state/region" | "state/province" => Field::State,
        "web" | "url" | "websiteurl" | "webpage" | "webpage1" => Field::Website,
        "leadsource" => Field::Source,
        "donotdisturb" => Field::Dnd,
        // Opt-outs of one channel, as CRMs name them.
        "emailoptout" | "optedoutofemail" | "hasoptedoutofemail" | "unsubscribedfromallemail" => {
            Field::DndEmail
        }
        "donotcall" => Field::DndCall,
        "smsoptout" | "textoptout" => Field::DndSms,
        "subaccountid" => Field::LocationId,
        // Not "Owner"/"Owner Id": an old CRM's owner (a name, its own user id) is never a
        // HighLevel user id, and assignedTo takes nothing else.
        "town" => Field::City,
        _ => return localised(n),
    };
    Some(field)
}

/// Headers of exports made in German, French, Spanish, Portuguese and Dutch (a CRM or a
/// spreadsheet set up in that language). Words that mean something else too are left out:
/// Spanish `Estado` is as often a lead's status as a state.
fn localised(n: &str) -> Option<Field> {
    Some(match n {
        "emailadresse"
        | "mailadresse"
        | "courriel"
        | "adresseemail"
        | "adressemail"
        | "adresseelectronique"
        | "adresseélectronique"
        | "correo"
        | "correoelectronico"
        | "correoelectrónico"
        | "emailadres" => Field::Email,
        "telefon"
        | "telefonnummer"
        | "handy"
        | "handynummer"
        | "mobil"
        | "mobiltelefon"
        | "mobilnummer"
        | "téléphone"
        | "portable"
        | "téléphoneportable"
        | "teléfono"
        | "telefono"
        | "móvil"
        | "movil"
        | "celular"
        | "telefone"
        | "telefoon"
        | "telefoonnummer"
        | "mobiel"
        | "mobielnummer" => Field::Phone,
        "vorname" | "prénom" | "prenom" | "nombre" | "nome" | "primeironome" | "voornaam" => {
            Field::FirstName
        }
        "nachname" | "familienname" | "nom" | "nomdefamille" | "apellido" | "apellidos"
        | "sobrenome" | "achternaam" => Field::LastName,
        "vollständigername" | "nomcomplet" | "nombrecompleto" | "nomecompleto"
        | "volledigenaam" => Field::Name,
        "firma" | "firmenname" | "unternehmen" | "société" | "societe" | "entreprise"
        | "empresa" | "bedrijf" | "bedrijfsnaam" => Field::CompanyName,
        "straße" | "strasse" | "anschrift" | "adresse" | "dirección" | "direccion" | "endereço"
        | "endereco" | "adres" | "straat" => Field::Address1,
        "ort" | "stadt" | "wohnort" | "ville" | "ciudad" | "localidad" | "cidade" | "plaats"
        | "woonplaats" => Field::City,
        "plz" | "postleitzahl" | "codepostal" | "códigopostal" | "codigopostal" | "cep" => {
            Field::PostalCode
        }
        "land" | "pays" | "país" | "pais" => Field::Country,
        "bundesland" | "provincia" | "provincie" => Field::State,
        "geburtstag" | "geburtsdatum" | "datedenaissance" | "fechadenacimiento"
        | "datadenascimento" | "geboortedatum" => Field::DateOfBirth,
        "webseite" | "siteweb" | "sitioweb" => Field::Website,
        _ => return None,
    })
}

/// Headers of a record's creation and update times, as exports write them (Keap's `Date
/// Created` `3/7/2017 2:05 PM`): with no preset's own list, the dates they settle the order of
/// settle it for the file's date columns.
const RECORD_TIMESTAMPS: [&str; 10] = [
    "Date Created",
    "Created Date",
    "Create Date",
    "Created Time",
    "Created At",
    "Last Updated",
    "Last Modified Date",
    "Modified Time",
    "Updated At",
    "Date Modified",
];

/// The group of auto-detected address columns that come in blocks (`Home …`, `Work …`).
const ADDRESS_BLOCK: &str = "auto-detected address";

/// Words that say whose or which email, phone or address a column holds (`Work Phone`,
/// `Home City`, `Secondary Email`, Yahoo's `Alternate Email 1`).
const QUALIFIERS: [&str; 15] = [
    "alternate",
    "home",
    "work",
    "business",
    "office",
    "personal",
    "private",
    "primary",
    "secondary",
    "main",
    "other",
    "mailing",
    "billing",
    "shipping",
    "postal",
];

/// A normalised header without what qualifies it: a form's required mark (`Phone*`), a
/// bracketed kind (`Phone (Mobile)`) and a leading qualifier (`Home Address 2`). Returns the
/// qualifier (empty when none) and the rest.
fn unqualified(n: &str) -> (&'static str, &str) {
    let n = n.strip_suffix('*').unwrap_or(n);
    let n = match n.find('(') {
        // `Phone (Fax)`, `Email (Old)`: not the contact's phone or email; left whole, so
        // that nothing matches it.
        Some(i) if i > 0 && n.ends_with(')') && not_a_channel(&n[i..]) => return ("", n),
        Some(i) if i > 0 && n.ends_with(')') => &n[..i],
        _ => n,
    };
    QUALIFIERS
        .iter()
        .find_map(|q| {
            n.strip_prefix(q)
                .filter(|rest| !rest.is_empty())
                .map(|rest| (*q, rest))
        })
        .unwrap_or(("", n))
}

/// A bracketed kind that says the number or address is not one to reach the contact by now.
fn not_a_channel(kind: &str) -> bool {
    ["fax", "pager", "old", "former", "previous"]
        .iter()
        .any(|w| kind.contains(w))
}

/// An email, phone or address part under a qualified name (`Work Phone`, `Home ZipCode`,
/// `E-mail 1`, `Phone (Mobile)`), with its qualifier (empty when none). Fax and pager numbers
/// are not phones: `Fax Number` and `Home Fax` match nothing.
fn qualified(n: &str) -> Option<(&'static str, Field)> {
    let (qualifier, rest) = unqualified(n);
    let field = named(rest).or_else(|| {
        // A numbered email or phone (`Email 2`): a backup, like a repeated column.
        let base = rest.trim_end_matches(|c: char| c.is_ascii_digit());
        (base.len() < rest.len())
            .then(|| named(base))
            .flatten()
            .filter(|f| matches!(f, Field::Email | Field::Phone))
    })?;
    let channel_or_address =
        matches!(field, Field::Email | Field::Phone) || is_address(&Target::Field(field));
    channel_or_address.then_some((qualifier, field))
}

/// What a phone column's name says it holds.
#[derive(PartialEq)]
enum PhoneKind {
    Mobile,
    /// A line at a place (`Home`, `Work Phone`): as likely a landline.
    Place,
    /// No kind (`Phone`, `Phone 2`), or the one chosen (`Primary Phone`).
    Plain,
}

fn phone_kind(header: &str) -> PhoneKind {
    let n = normalise(header);
    if n.contains("mobile") || n.contains("cell") {
        return PhoneKind::Mobile;
    }
    let place = [
        "home", "work", "business", "office", "personal", "private", "other",
    ];
    if place.contains(&n.as_str()) || place.contains(&unqualified(&n).0) {
        PhoneKind::Place
    } else {
        PhoneKind::Plain
    }
}

/// HighLevel texts the phone it has, so when every auto-detected phone column names its kind
/// (Yahoo's `Home`, `Work`, `Mobile`; Thunderbird's `Work Phone` … `Mobile Number`), the
/// first mobile one is the phone and the others, in column order, its backups, as the Outlook
/// preset ranks them. A plain `Phone` column may well be a mobile: then column order stays.
fn mobile_first(headers: &[String], columns: &mut [Option<Rule>], from_spec: &[bool]) {
    let phone = Target::Field(Field::Phone);
    let phones: Vec<usize> = (0..headers.len())
        .filter(|&i| columns[i].as_ref().is_some_and(|r| r.target == phone))
        .collect();
    if phones.iter().any(|&i| from_spec[i]) {
        return;
    }
    let kinds: Vec<PhoneKind> = phones.iter().map(|&i| phone_kind(&headers[i])).collect();
    if kinds.contains(&PhoneKind::Plain) {
        return;
    }
    let Some(mobile) = kinds.iter().position(|k| *k == PhoneKind::Mobile) else {
        return;
    };
    let Some(first) = phones
        .iter()
        .position(|&i| columns[i].as_ref().is_some_and(Rule::claims))
    else {
        return;
    };
    if kinds[first] == PhoneKind::Mobile {
        return;
    }
    let (mobile, first) = (phones[mobile], phones[first]);
    let order = columns[mobile].as_ref().map_or(0, |r| r.order);
    if let Some(r) = columns[mobile].as_mut() {
        r.fallback = false;
        r.order = 0;
    }
    if let Some(r) = columns[first].as_mut() {
        r.fallback = true;
        r.order = order;
    }
}

/// The qualifier of an address part named with one (`Home City` → `home`): each qualifier's
/// columns are one address block, never mixed with another's.
fn address_qualifier(header: &str) -> Option<&'static str> {
    let n = normalise(header);
    if named(&n).is_some() {
        return None;
    }
    match qualified(&n)? {
        ("", _) | (_, Field::Email | Field::Phone) => None,
        (q, _) => Some(q),
    }
}

/// JSONL keys that matched no field, in the order of their names; bounded, as keys may be
/// endless (and whether there were more is kept).
#[derive(Debug, Clone, Default)]
pub struct UnmatchedKeys(Arc<Mutex<(BTreeSet<String>, bool)>>);

/// Key names kept at most.
const UNMATCHED_NAMED: usize = 100;

impl UnmatchedKeys {
    fn add(&self, key: &str) {
        let mut g = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let (names, more) = &mut *g;
        if names.len() < UNMATCHED_NAMED {
            names.insert(key.to_owned());
        } else if !names.contains(key) {
            *more = true;
        }
    }

    /// The keys quoted for a message (and "others" past the bound); empty when none.
    pub fn described(&self) -> Vec<String> {
        let g = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let mut v: Vec<String> = g.0.iter().map(|k| format!("'{k}'")).collect();
        if g.1 {
            v.push(format!("others (past the first {UNMATCHED_NAMED})"));
        }
        v
    }
}

/// Applies a mapping to records. Each prepare worker has its own ([`Mapper::fork`]).
pub struct Mapper {
    spec_name: Option<String>,
    headers: Option<Vec<String>>,
    /// CSV: one rule per header; `None` = matched nothing.
    columns: Vec<Option<Rule>>,
    /// JSONL: rules from the preset and the mapping file, by key.
    spec_rules: HashMap<String, Rule>,
    auto: bool,
    constants: Vec<(Target, RawValue<'static>)>,
    /// The preset in use, and whether it was named (rather than detected).
    preset: Option<(presets::Detection, bool)>,
    /// JSONL keys seen so far and what they map to.
    json_keys: RwLock<HashMap<String, Option<Rule>>>,
    /// JSONL keys that map to nothing, shared by the forks: said at the end of a run, as a
    /// CSV's columns are at its start.
    json_unmatched: UnmatchedKeys,
    /// JSONL records read as another CRM's API dump, shared by the forks.
    api_shapes: ApiShapes,
    /// Cell values read as empty (the preset's and the mapping file's `empty_values`).
    empty_values: Vec<String>,
    /// Columns the preset maps to "ignore", named in its notice: nothing goes unsaid.
    preset_ignores: Vec<usize>,
    /// Columns without a header that nothing maps, each with its label (`38 (no header)`):
    /// a cell in one is named in its row. Thunderbird ends every line with a comma, so its
    /// files end in such a column, empty in every row: a notice naming it up front would
    /// ask the user to act on nothing.
    headerless: Vec<(usize, String)>,
    /// CSV: how warnings name a mapped column whose header repeats an earlier one's
    /// (`Email (2)`), so that they say which of the two they mean.
    labels: Vec<Option<String>>,
    /// The input file's name and CSV delimiter, for a row's own errors.
    input: Option<(String, Option<u8>)>,
    /// A German export's `Name` column read as the surname: a cell that starts with the
    /// row's Vorname holds the whole name.
    surname_column: Option<usize>,
    /// Thunderbird's birthday in three columns (`Birth Year`, `Birth Month`, `Birth Day`),
    /// by index, and how the date they make is named.
    birth_parts: Option<([usize; 3], String)>,
}

/// Indices of the headers `name` designates: exact, else ignoring case and outer spaces.
fn find_columns(headers: &[String], name: &str) -> Vec<usize> {
    if let Some((head, tail)) = name.split_once('*') {
        // A pattern like "*.id": every header with that start and end, ignoring case.
        let (head, tail) = (normalise_header(head), normalise_header(tail));
        return (0..headers.len())
            .filter(|&i| {
                let h = normalise_header(&headers[i]);
                h.len() >= head.len() + tail.len() && h.starts_with(&head) && h.ends_with(&tail)
            })
            .collect();
    }
    let exact: Vec<usize> = (0..headers.len())
        .filter(|&i| headers[i] == *name)
        .collect();
    if !exact.is_empty() {
        return exact;
    }
    let name = normalise_header(name);
    (0..headers.len())
        .filter(|&i| normalise_header(&headers[i]) == name)
        .collect()
}

/// The presets that name one of `headers` as an email or phone column.
pub(crate) fn presets_naming_a_key(headers: &[String]) -> Vec<&'static str> {
    presets::all()
        .iter()
        .filter(|p| {
            p.spec.columns.iter().any(|(name, r)| {
                matches!(r.target, Target::Field(Field::Email | Field::Phone))
                    && !find_columns(headers, name).is_empty()
            })
        })
        .map(|p| p.id)
        .collect()
}

/// How many of the file's columns a run with `preset` imports (those it does not name
/// auto-matched, as in a run): how detection tells two presets that fit apart.
pub(crate) fn imported_columns(preset: &presets::Preset, headers: &[String]) -> usize {
    let spec = MappingSpec::from_preset(PresetChoice::Named(preset.id.to_owned()));
    Mapper::new(Some(&spec), Some(headers)).map_or(0, |m| {
        m.columns
            .iter()
            .flatten()
            .filter(|r| r.target != Target::Ignore)
            .count()
    })
}

/// How presets and loose column names compare headers.
pub(crate) fn normalise_header(h: &str) -> String {
    h.trim_matches(|c: char| c.is_whitespace() || is_format(c))
        .to_lowercase()
}

/// The preset `choice` means for these headers (`auto`: only a clear match).
fn resolve_preset(
    choice: &PresetChoice,
    auto: bool,
    headers: Option<&[String]>,
) -> Option<(presets::Detection, bool)> {
    match choice {
        PresetChoice::Off => None,
        PresetChoice::Named(id) => {
            presets::by_id(id).map(|p| (presets::score(p, headers.unwrap_or_default()), true))
        }
        PresetChoice::Auto if auto => headers.and_then(presets::detect).map(|d| (d, false)),
        PresetChoice::Auto => None,
    }
}

impl Mapper {
    pub fn new(
        spec: Option<&MappingSpec>,
        headers: Option<&[String]>,
    ) -> Result<Mapper, MappingError> {
        let auto = spec.is_none_or(|s| s.auto);
        let choice = spec
            .and_then(|s| s.preset.clone())
            .unwrap_or(PresetChoice::Auto);
        let preset = resolve_preset(&choice, auto, headers);
        let preset_rules: &[(String, Rule)] = match &preset {
            Some((d, _)) => &d.preset.spec.columns,
            None => &[],
        };
        let user_rules: &[(String, Rule)] = spec.map_or(&[], |s| &s.columns);
        let lists = preset
            .as_ref()
            .and_then(|(d, _)| d.preset.list_separator.clone());
        let mut mapper = Mapper {
            spec_name: spec.filter(|s| !s.implicit).map(|s| s.name.clone()),
            headers: headers.map(<[String]>::to_vec),
            columns: Vec::new(),
            spec_rules: preset_rules
                .iter()
                .chain(user_rules)
                .cloned()
                .map(|(k, mut r)| {
                    split_tags_on(&mut r, lists.as_deref(), false);
                    (k, r)
                })
                .collect(),
            auto,
            constants: spec.map(|s| s.constants.clone()).unwrap_or_default(),
            empty_values: preset
                .iter()
                .flat_map(|(d, _)| &d.preset.spec.empty_values)
                .chain(spec.iter().flat_map(|s| &s.empty_values))
                .cloned()
                .collect(),
            preset,
            json_keys: RwLock::new(HashMap::new()),
            json_unmatched: UnmatchedKeys::default(),
            api_shapes: ApiShapes::default(),
            preset_ignores: Vec::new(),
            headerless: Vec::new(),
            labels: Vec::new(),
            input: None,
            surname_column: None,
            birth_parts: None,
        };
        let Some(headers) = headers else {
            return Ok(mapper);
        };
        let mut columns: Vec<Option<Rule>> = vec![None; headers.len()];
        // Set by the preset or the mapping file: auto-detection leaves these alone.
        let mut from_spec = vec![false; headers.len()];
        let mut from_preset = vec![false; headers.len()];
        let first = preset
            .as_ref()
            .and_then(|(d, _)| d.preset.first_column.clone());
        // Unless another column plainly is that field (an export laid out differently).
        let elsewhere = |t: &Target| {
            headers.iter().skip(1).any(|h| {
                let by_preset = preset_rules
                    .iter()
                    .find(|(name, _)| normalise_header(name) == normalise_header(h));
                match by_preset {
                    Some((_, r)) => r.target == *t,
                    None => auto_rule(h).is_some_and(|r| r.target == *t),
                }
            })
        };
        if let (Some(target), false) = (first, headers.is_empty()) {
            if elsewhere(&target) {
                // Leave column 0 to the rules below.
            } else {
                columns[0] = Some(Rule::new(target));
                from_spec[0] = true;
                from_preset[0] = true;
            }
        }
        // Patterns ("*.id") first, so a column named outright wins over a pattern.
        let (patterns, named): (Vec<_>, Vec<_>) = preset_rules
            .iter()
            .partition(|(name, _)| name.contains('*'));
        for (name, rule) in patterns.into_iter().chain(named) {
            for i in find_columns(headers, name) {
                columns[i] = Some(rule.clone());
                from_spec[i] = true;
                from_preset[i] = true;
            }
        }
        if let Some(spec) = spec {
            for (name, rule) in &spec.columns {
                let mut found = find_columns(headers, name);
                // A name (not a pattern) is the first column of that name, as without a
                // mapping file: a repeat of it cannot be named apart in TOML, and is read
                // as auto-detection reads it (an email or phone: a backup).
                if !name.contains('*') {
                    found.truncate(1);
                }
                if found.is_empty() {
                    return Err(MappingError::UnknownColumn {
                        file: spec.name.clone(),
                        line: line_of(&spec.text, name),
                        column: name.clone(),
                        available: headers
                            .iter()
                            .map(|h| format!("'{h}'"))
                            .collect::<Vec<_>>()
                            .join(", "),
                    });
                }
                for i in found {
                    columns[i] = Some(rule.clone());
                    from_spec[i] = true;
                    from_preset[i] = false;
                }
            }
        }
        // A field the mapping file gives a column for is no longer the preset's to fill.
        let user_claims: Vec<Target> = (0..headers.len())
            .filter(|&i| from_spec[i] && !from_preset[i])
            .filter_map(|i| columns[i].as_ref().filter(|r| r.claims()))
            .map(|r| r.target.clone())
            .collect();
        for i in 0..headers.len() {
            let yields = columns[i]
                .as_ref()
                .is_some_and(|r| r.target.single_valued() && user_claims.contains(&r.target));
            if from_preset[i] && yields {
                columns[i] = None;
            }
        }
        let mut german = false;
        let mut birth_parts = None;
        if auto {
            // Exports often carry two columns for one field (Phone and Mobile): a listed
            // column wins, else the first one. Without a preset or a listed column, the later
            // email and phone columns are the first one's backups, in column order after any
            // ranked ones; the others stay unmapped and are reported.
            let mut claimed: Vec<Target> = columns
                .iter()
                .flatten()
                .filter(|r| r.claims())
                .map(|r| r.target.clone())
                .collect();
            let backup_rank = columns
                .iter()
                .flatten()
                .filter(|r| r.fallback)
                .map(|r| r.order + 1)
                .max()
                .unwrap_or(0);
            let listed = claimed.len();
            // A preset's email or phone column leaves a further one it does not know
            // (Secondary Email) a backup, not dropped: what a preset does not list is imported
            // as it would be without it. A mapping file's own columns are the user's choice.
            let preset_claims: Vec<Target> = (0..headers.len())
                .filter(|&i| from_preset[i])
                .filter_map(|i| columns[i].as_ref().filter(|r| r.claims()))
                .map(|r| r.target.clone())
                .collect();
            // Address parts named with a qualifier (`Home City`, `Work City`): each
            // qualifier's columns are a block, used in column order of their first column
            // when the plain address columns give nothing, never mixed. A block the preset or
            // mapping file already gives is theirs: these are left unmapped and reported.
            let address = is_address;
            let listed_address = (0..headers.len())
                .any(|i| from_spec[i] && columns[i].as_ref().is_some_and(|r| address(&r.target)));
            // The preset's address columns by qualifier (`Mailing Street` → mailing): a part
            // it does not know (`Mailing Zip` beside Salesforce's labels) joins its block.
            let preset_blocks: Vec<(&str, Rule)> = (0..headers.len())
                .filter(|&i| from_preset[i])
                .filter_map(|i| {
                    let r = columns[i].as_ref().filter(|r| address(&r.target))?;
                    Some((address_qualifier(&headers[i])?, r.clone()))
                })
                .collect();
            let mut blocks: Vec<&str> = Vec::new();
            german = headers.iter().any(|h| is_vorname(h));
            // Yahoo names its phone columns by their kind alone (`Home`, `Work`); elsewhere a
            // `Work` column as often holds an employer, so only in a file with Yahoo's own
            // columns.
            let yahoo = headers
                .iter()
                .any(|h| matches!(normalise(h).as_str(), "yahoo!id" | "distributionlists"));
            // Thunderbird writes a birthday in three columns: its `Birth Day` is a day of the
            // month (`17`), not a date; the three make the date of birth when no other column
            // gives one.
            let part = |name: &str| {
                (0..headers.len()).find(|&i| !from_spec[i] && normalise(&headers[i]) == name)
            };
            birth_parts = match (part("birthyear"), part("birthmonth"), part("birthday")) {
                (Some(y), Some(m), Some(d)) => Some([y, m, d]),
                _ => None,
            };
            for (i, h) in headers.iter().enumerate() {
                if from_spec[i] || birth_parts.is_some_and(|p| p.contains(&i)) {
                    continue;
                }
                let by_kind = || {
                    let kind = matches!(normalise(h).as_str(), "home" | "work");
                    (yahoo && kind).then(|| Rule::new(Target::Field(Field::Phone)))
                };
                let rule = auto_rule(h).or_else(by_kind).map(|mut r| {
                    place_name_part(&normalise(h), &mut r, headers.iter().map(String::as_str));
                    r
                });
                columns[i] = rule.and_then(|mut r| {
                    if let Some(q) = address_qualifier(h).filter(|_| address(&r.target)) {
                        if listed_address {
                            let (_, block) = preset_blocks.iter().find(|(bq, _)| *bq == q)?;
                            let same_block = |b: &Rule| {
                                (&b.group, b.fallback, b.order)
                                    == (&block.group, block.fallback, block.order)
                            };
                            let given = preset_blocks
                                .iter()
                                .any(|(_, b)| same_block(b) && b.target == r.target);
                            if given && !r.append {
                                return None;
                            }
                            r.group.clone_from(&block.group);
                            r.fallback = block.fallback;
                            r.order = block.order;
                            return Some(r);
                        }
                        let rank = match blocks.iter().position(|b| *b == q) {
                            Some(at) => at,
                            None => {
                                blocks.push(q);
                                blocks.len() - 1
                            }
                        };
                        r.fallback = true;
                        r.group = Some(ADDRESS_BLOCK.to_owned());
                        r.order = rank as i64 + 1;
                        return Some(r);
                    }
                    if !r.target.single_valued() || r.append || r.fallback || r.display_name {
                        return Some(r);
                    }
                    if let Some(at) = claimed.iter().position(|t| *t == r.target) {
                        let email_or_phone =
                            matches!(r.target, Target::Field(Field::Email | Field::Phone));
                        // A repeated email or phone header is a backup like any other
                        // (its warnings call it `Email (2)`); other repeats stay unmapped.
                        // A repeat of a listed column's own name is the same case: the
                        // mapping file could not name it apart.
                        let repeat_of_listed = headers[..i]
                            .iter()
                            .zip(&from_spec)
                            .any(|(earlier, &listed)| listed && earlier == h);
                        let backs_up_preset = preset_claims.contains(&r.target);
                        if !(email_or_phone
                            && (at >= listed || repeat_of_listed || backs_up_preset))
                        {
                            return None;
                        }
                        r.fallback = true;
                        r.order = backup_rank;
                        return Some(r);
                    }
                    claimed.push(r.target.clone());
                    Some(r)
                });
            }
            mobile_first(headers, &mut columns, &from_spec);
        }
        // With qualified blocks, the plain address columns are a block too, which wins.
        let blocks_found = columns
            .iter()
            .flatten()
            .any(|r| r.group.as_deref() == Some(ADDRESS_BLOCK) && r.fallback);
        for (rule, listed) in columns.iter_mut().zip(&from_spec) {
            if let Some(rule) = rule {
                split_tags_on(rule, lists.as_deref(), !listed);
                let plain_address = is_address(&rule.target);
                if blocks_found && !listed && plain_address && rule.group.is_none() {
                    rule.group = Some(ADDRESS_BLOCK.to_owned());
                }
            }
        }
        check_duplicates(
            headers,
            &columns,
            &from_spec,
            spec.is_some_and(|s| !s.implicit),
        )?;
        mapper.preset_ignores = (0..headers.len())
            .filter(|&i| from_preset[i])
            .filter(|&i| {
                columns[i]
                    .as_ref()
                    .is_some_and(|r| r.target == Target::Ignore)
            })
            .collect();
        mapper.labels = (0..headers.len())
            .map(|i| {
                columns[i].as_ref()?;
                let h = &headers[i];
                let n = headers[..i]
                    .iter()
                    .filter(|e| normalise_header(e) == normalise_header(h))
                    .count();
                (n > 0).then(|| format!("{h} ({})", n + 1))
            })
            .collect();
        mapper.surname_column = (0..headers.len()).find(|&i| {
            german
                && !from_spec[i]
                && normalise(&headers[i]) == "name"
                && columns[i]
                    .as_ref()
                    .is_some_and(|r| r.target == Target::Field(Field::LastName))
        });
        if let Some(parts) = birth_parts {
            let dob = Target::Field(Field::DateOfBirth);
            if !columns.iter().flatten().any(|r| r.target == dob) {
                for i in parts {
                    columns[i] = Some(Rule::new(Target::Ignore));
                }
                let label = parts.map(|i| headers[i].trim().to_owned()).join("/");
                mapper.birth_parts = Some((parts, label));
            }
        }
        mapper.headerless = (0..headers.len())
            .filter(|&i| columns[i].is_none() && headers[i].trim().is_empty())
            .map(|i| (i, format!("{} (no header)", i + 1)))
            .collect();
        mapper.columns = columns;
        Ok(mapper)
    }

    /// A mapper for the file `reader` reads: the errors of its rows name the file.
    pub fn for_input(
        spec: Option<&MappingSpec>,
        reader: &crate::input::Reader,
    ) -> Result<Mapper, MappingError> {
        let mut mapper = Mapper::new(spec, reader.headers())?;
        mapper.input = Some((reader.name().to_owned(), reader.delimiter()));
        Ok(mapper)
    }

    /// The preset's name ("HubSpot"), when one is in use.
    pub fn preset(&self) -> Option<&str> {
        self.preset.as_ref().map(|(d, _)| d.preset.name.as_str())
    }

    /// The preset's name and its export's date order, when it has one.
    pub fn preset_date_order(&self) -> Option<(&str, crate::validation::dates::DateOrder)> {
        let (d, _) = self.preset.as_ref()?;
        Some((d.preset.name.as_str(), d.preset.date_order?))
    }

    /// The preset's date evidence columns (`date_evidence`) among `headers`, by index; for a
    /// preset without its own, or no preset (a Keap file of a few chosen columns), the
    /// record's own timestamps: an export writes all its dates one way.
    pub fn date_evidence_columns(&self, headers: &[String]) -> Vec<usize> {
        let own = self
            .preset
            .as_ref()
            .map(|(d, _)| d.preset.date_evidence.as_slice())
            .filter(|e| !e.is_empty());
        let names: Vec<&str> = match own {
            Some(e) => e.iter().map(String::as_str).collect(),
            None => RECORD_TIMESTAMPS.to_vec(),
        };
        headers
            .iter()
            .enumerate()
            .filter(|(_, h)| names.iter().any(|e| e.eq_ignore_ascii_case(h.trim())))
            .map(|(i, _)| i)
            .collect()
    }

    /// What the preset says of the columns that map to nothing, when there are some.
    pub fn unmapped_hint(&self) -> Option<&str> {
        let (d, _) = self.preset.as_ref()?;
        d.preset.unmapped_hint.as_deref()
    }

    /// What the run says about the preset, e.g. "using the HubSpot preset (matched 7 of 9 of
    /// its columns)".
    pub fn preset_notice(&self) -> Option<String> {
        let (d, named) = self.preset.as_ref()?;
        let how = if *named {
            format!(
                "named with --preset or in the mapping file; {}",
                d.evidence()
            )
        } else if d.variant.prefix.is_some() {
            d.evidence()
        } else {
            let unique = match d.unique {
                0 => String::new(),
                n => format!(", {n} found in no other export"),
            };
            format!(
                "matched {} of {} of its columns{unique}",
                d.matched, d.total
            )
        };
        let notes: Vec<String> = self
            .headers
            .iter()
            .flatten()
            .zip(&self.columns)
            .filter_map(|(h, r)| Some(format!("'{h}': {}", r.as_ref()?.note.as_ref()?)))
            .collect();
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!("; note {}", notes.join("; "))
        };
        let headers = self.headers.as_deref().unwrap_or_default();
        let ignored: Vec<String> = self
            .preset_ignores
            .iter()
            .filter_map(|&i| Some(format!("'{}'", headers.get(i)?)))
            .collect();
        let ignored = match ignored.is_empty() {
            true => String::new(),
            false => format!(
                "; it does not import {} (no HighLevel field, or another column gives it; map them with --mapping to keep them)",
                ignored.join(", ")
            ),
        };
        let dates = match d.preset.date_order {
            Some(o) => format!(
                "; dates that read both ways are read {} as {} writes them, unless the column's other dates say otherwise (date_format in a mapping file sets a column's format)",
                match o {
                    crate::validation::dates::DateOrder::MonthFirst => "month-first (M/D/YYYY)",
                    crate::validation::dates::DateOrder::DayFirst => "day-first (D/M/YYYY)",
                },
                d.preset.name
            ),
            None => String::new(),
        };
        Some(format!(
            "using the {} preset, {} ({how}); --preset none turns it off{dates}{notes}{ignored}",
            d.preset.name, d.variant.name
        ))
    }

    /// The columns' notes when no preset notice carries them (Mailchimp's `UNSUB_TIME` read
    /// without the preset): what a column does beyond its name is never left unsaid.
    pub fn notes_notice(&self) -> Option<String> {
        if self.preset.is_some() {
            return None;
        }
        let notes: Vec<String> = self
            .headers
            .iter()
            .flatten()
            .zip(&self.columns)
            .filter_map(|(h, r)| Some(format!("column '{h}': {}", r.as_ref()?.note.as_ref()?)))
            .collect();
        (!notes.is_empty()).then(|| notes.join("; "))
    }

    /// (column, what it maps to), for logs and `--dry-run`; the preset first, constants last.
    pub fn describe(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        if let Some(notice) = self.preset_notice() {
            out.push(("(preset)".to_owned(), notice));
        }
        out.extend(match &self.headers {
            Some(h) => h
                .iter()
                .zip(&self.columns)
                .map(|(h, r)| {
                    (
                        h.clone(),
                        r.as_ref()
                            .map_or_else(|| "not mapped".to_owned(), Rule::describe),
                    )
                })
                .collect(),
            None => {
                let mut v: Vec<_> = self
                    .spec_rules
                    .iter()
                    .map(|(k, r)| (k.clone(), r.describe()))
                    .collect();
                if let Ok(seen) = self.json_keys.read() {
                    v.extend(
                        seen.iter()
                            .filter(|(k, _)| !self.spec_rules.contains_key(*k))
                            .map(|(k, r)| {
                                (
                                    k.clone(),
                                    r.as_ref()
                                        .map_or_else(|| "not mapped".to_owned(), Rule::describe),
                                )
                            }),
                    );
                }
                v.sort();
                v
            }
        });
        for (target, value) in &self.constants {
            let shown = match value {
                RawValue::Text(s) => format!("{s:?}"),
                RawValue::List(l) => format!("{l:?}"),
                RawValue::Bool(b) => b.to_string(),
                RawValue::Number(n) => n.to_string(),
            };
            out.push(("(constant)".to_owned(), format!("{target} = {shown}")));
        }
        out
    }

    /// Custom fields whose type the mapping file declares, as (key, type, options): values
    /// can be checked without asking the location.
    pub fn declared_custom_fields(&self) -> Vec<(String, String, Vec<String>)> {
        let mut out: Vec<(String, String, Vec<String>)> = Vec::new();
        for rule in self
            .columns
            .iter()
            .flatten()
            .chain(self.spec_rules.values())
        {
            if let (Target::CustomField(key), Some(t)) = (&rule.target, &rule.field_type) {
                if !out.iter().any(|(k, _, _)| k == key) {
                    out.push((key.clone(), t.clone(), rule.options.clone()));
                }
            }
        }
        out
    }

    /// [`Mapper::unmapped_columns`] quoted for a message; a column whose name repeats an
    /// earlier one's says so (it matches no field only because the first took it).
    pub fn unmapped_described(&self) -> Vec<String> {
        let Some(headers) = &self.headers else {
            return self
                .unmapped_columns()
                .iter()
                .map(|c| format!("'{c}'"))
                .collect();
        };
        headers
            .iter()
            .enumerate()
            .filter(|(i, _)| self.columns.get(*i).is_some_and(Option::is_none))
            // Named in the rows that hold something in them (see `Mapper::headerless`).
            .filter(|(_, h)| !h.trim().is_empty())
            .map(|(i, h)| {
                let repeated = headers[..i]
                    .iter()
                    .any(|e| normalise_header(e) == normalise_header(h));
                if repeated {
                    format!("'{h}' (a second column of that name)")
                } else if normalise(h) == "nickname" {
                    format!("'{h}' (HighLevel has no nickname field)")
                } else {
                    format!("'{h}'")
                }
            })
            .collect()
    }

    /// The JSONL keys that map to nothing, as the rows read so far (by every fork) hold them.
    pub fn unmatched_keys(&self) -> UnmatchedKeys {
        self.json_unmatched.clone()
    }

    /// The API dump shapes (Mailchimp members, Pipedrive persons) the run's records had.
    pub fn api_shapes(&self) -> ApiShapes {
        self.api_shapes.clone()
    }

    /// CSV columns (or JSONL keys seen so far) that map to nothing.
    pub fn unmapped_columns(&self) -> Vec<String> {
        match &self.headers {
            Some(h) => h
                .iter()
                .zip(&self.columns)
                .filter(|(_, r)| r.is_none())
                .map(|(h, _)| h.clone())
                .collect(),
            None => {
                let seen = self.json_keys.read().map(|s| {
                    s.iter()
                        .filter(|(_, r)| r.is_none())
                        .map(|(k, _)| k.clone())
                        .collect::<BTreeSet<_>>()
                });
                seen.map(|s| s.into_iter().collect()).unwrap_or_default()
            }
        }
    }

    /// A CSV whose columns give neither an email nor a phone: every row would be invalid, which
    /// is said once rather than only row by row.
    pub fn no_key_column(&self) -> bool {
        self.headers.is_some()
            && !self
                .columns
                .iter()
                .flatten()
                .any(|r| matches!(r.target, Target::Field(Field::Email | Field::Phone)))
    }

    /// Whether rows may hold a phone number: a CSV column maps to the phone, or the keys are
    /// not known before the rows (JSONL).
    pub fn may_read_phones(&self) -> bool {
        self.headers.is_none()
            || self
                .columns
                .iter()
                .flatten()
                .any(|r| r.target == Target::Field(Field::Phone))
    }

    /// CSV columns that may hold dates read without a `date_format` (dateOfBirth and custom
    /// fields), for inferring their day/month order.
    pub fn date_candidates(&self) -> Vec<usize> {
        self.columns
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().map(|r| (i, r)))
            .filter(|(_, r)| {
                r.date_format.is_none()
                    && matches!(
                        r.target,
                        Target::Field(Field::DateOfBirth) | Target::CustomField(_)
                    )
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The mapping file's name, if there is one.
    pub fn spec_name(&self) -> Option<&str> {
        self.spec_name.as_deref()
    }

    pub fn map<'a>(&'a self, record: &'a Record) -> MappedRow<'a> {
        let mut out = MappedRow {
            seq: record.seq,
            row: record.row,
            // Room for every column and constant: no growing per row.
            values: Vec::with_capacity(self.columns.len() + self.constants.len() + 2),
            errors: Vec::new(),
            cell_errors: Vec::new(),
            spares: Vec::new(),
            email_is_backup: false,
            notes: Vec::new(),
            unmapped_keys: Vec::new(),
        };
        match &record.values {
            // The reader's message already names the file, row and column.
            RecordValues::Unreadable { message, .. } => {
                out.errors.push(RowError::new(None, message.clone()));
            }
            RecordValues::Cells(cells) => self.map_cells(cells, record.row, &mut out),
            RecordValues::Object(obj) => self.map_object(obj, &obj.unreadable, &mut out),
            // Not a contact: nothing to map (see `skip_reason`).
            RecordValues::Footer { .. } => {}
        }
        for (target, value) in &self.constants {
            let present = target.single_valued() && out.values.iter().any(|v| v.target == *target);
            if !present {
                out.values.push(MappedValue {
                    target: target.clone(),
                    column: None,
                    value: value.clone(),
                });
            }
        }
        out
    }

    /// A copy for another worker thread: the same rules, its own key cache, so that threads
    /// never share a lock.
    pub fn fork(&self) -> Mapper {
        Mapper {
            spec_name: self.spec_name.clone(),
            headers: self.headers.clone(),
            columns: self.columns.clone(),
            spec_rules: self.spec_rules.clone(),
            auto: self.auto,
            constants: self.constants.clone(),
            preset: self.preset,
            json_keys: RwLock::new(self.json_keys.read().map(|m| m.clone()).unwrap_or_default()),
            json_unmatched: self.json_unmatched.clone(),
            api_shapes: self.api_shapes.clone(),
            empty_values: self.empty_values.clone(),
            preset_ignores: self.preset_ignores.clone(),
            headerless: self.headerless.clone(),
            labels: self.labels.clone(),
            input: self.input.clone(),
            surname_column: self.surname_column,
            birth_parts: self.birth_parts.clone(),
        }
    }

    /// Empty, or a value the preset or mapping file reads as empty.
    fn is_empty(&self, cell: &str) -> bool {
        let cell = trim(cell);
        cell.is_empty() || self.empty_values.iter().any(|e| e == cell)
    }

    /// Why this record is not to be sent at all (a `skip_row_when` value), if it is not.
    pub fn skip_reason(&self, record: &Record) -> Option<String> {
        let why = |column: &str, rule: &Rule, value: &str| {
            let value = value.trim();
            rule.skip_row_when
                .contains(&value.to_lowercase())
                .then(|| match &rule.reason {
                    Some(r) => format!("not sent: {r}"),
                    None => format!("not sent: column '{column}' is {value:?}"),
                })
        };
        match &record.values {
            RecordValues::Cells(cells) => {
                let headers = self.headers.as_deref().unwrap_or_default();
                self.columns.iter().enumerate().find_map(|(i, rule)| {
                    let rule = rule.as_ref().filter(|r| !r.skip_row_when.is_empty())?;
                    // A cell that could not be read says nothing about the row.
                    if cells.unreadable(i).is_some() {
                        return None;
                    }
                    why(headers.get(i)?, rule, cells.get(i)?)
                })
            }
            RecordValues::Object(obj) => self.spec_rules.iter().find_map(|(key, rule)| {
                if rule.skip_row_when.is_empty() {
                    return None;
                }
                match obj.get(key)? {
                    Value::String(s) => why(key, rule, s),
                    other => why(key, rule, &other.to_string()),
                }
            }),
            RecordValues::Unreadable { .. } => None,
            RecordValues::Footer { reason } => Some(reason.clone()),
        }
    }

    fn map_cells<'a>(&'a self, cells: &'a CellRow, row: u64, out: &mut MappedRow<'a>) {
        let headers = self.headers.as_deref().unwrap_or_default();
        let mut later = Later::default();
        for (i, cell) in cells.iter().enumerate() {
            let Some(Some(rule)) = self.columns.get(i) else {
                continue;
            };
            let column = || match self.labels.get(i) {
                Some(Some(label)) => Some(label.as_str()),
                _ => headers.get(i).map(String::as_str),
            };
            if matches!(rule.target, Target::Ignore) {
                if let Some(why) = rule.left_out.as_deref().filter(|_| !self.is_empty(cell)) {
                    // Nothing wrong with the value: `strict` does not reject the row for it.
                    let e = crate::validation::left_out(column(), cell.trim(), why);
                    out.notes.push(e);
                }
                continue;
            }
            let column = column();
            if let Some(why) = cells.unreadable(i) {
                let e = crate::validation::left_out(column, cell, why);
                push_unreadable(out, &mut later, rule, e);
                continue;
            }
            if self.is_empty(cell) {
                continue;
            }
            // Only an email cell can be a placeholder: no call for the others.
            let email = matches!(rule.target, Target::Field(Field::Email));
            if let Some(named) = email
                .then(|| placeholder_email(rule, column, cell))
                .flatten()
            {
                later.exchange |= is_exchange_address(cell);
                out.cell_errors.extend(named.map(|e| (Target::Ignore, e)));
                continue;
            }
            match text_value(cell, rule, column, &mut out.notes, &mut out.cell_errors) {
                Ok(Some(value)) => {
                    let name = column.map(Cow::Borrowed);
                    push_value(out, &mut later, rule, name, value)
                }
                Ok(None) => {}
                Err(m) => out
                    .cell_errors
                    .push((rule.target.clone(), RowError::new(column, m))),
            }
        }
        push_later(out, later);
        for (i, label) in &self.headerless {
            if let Some(cell) = cells.get(*i).filter(|c| !self.is_empty(c)) {
                // Nothing wrong with the value: `strict` does not reject the row for it.
                out.notes
                    .push(crate::validation::left_out(Some(label), cell, HEADERLESS));
            }
        }
        if let Some((parts, label)) = &self.birth_parts {
            birth_date(*parts, label, cells, out);
        }
        if let Some(i) = self.surname_column {
            let column = match self.labels.get(i) {
                Some(Some(label)) => label.as_str(),
                _ => headers.get(i).map_or("", String::as_str),
            };
            whole_name_in_surname(column, out);
        }
        if !has_key(out) {
            self.name_unmapped_keys(cells, headers, out);
        }
        if cells.len() > headers.len() {
            let extra: Vec<_> = cells
                .iter()
                .skip(headers.len())
                .filter(|c| !c.trim().is_empty())
                .collect();
            if !extra.is_empty() {
                let shown: Vec<_> = extra.iter().take(3).map(|c| format!("{c:?}")).collect();
                let (file, delimiter) = match &self.input {
                    Some((name, d)) => (format!("{name}, "), *d),
                    None => (String::new(), None),
                };
                let what_to_do = match delimiter {
                    Some(d) => format!(
                        "a cell holding '{}' without quotes splits in two: put that cell in double quotes, or remove the extra cells",
                        char::from(d).escape_default()
                    ),
                    None => "give the extra cells a header, or remove them".to_owned(),
                };
                out.errors.push(RowError::new(
                    None,
                    format!(
                        "{file}row {row}: row has {} cells but the header has {} columns (extra: {}); {what_to_do}",
                        cells.len(),
                        headers.len(),
                        shown.join(", ")
                    ),
                ));
            }
        }
    }

    /// A row without an email or phone: the columns not imported (or ignored by the preset)
    /// whose cell reads like one, so that the row's error says where its key may be.
    fn name_unmapped_keys(&self, cells: &CellRow, headers: &[String], out: &mut MappedRow<'_>) {
        for (i, header) in headers.iter().enumerate() {
            let unmapped = match &self.columns.get(i) {
                Some(Some(_)) => self.preset_ignores.contains(&i),
                _ => true,
            };
            let Some(cell) = cells.get(i).filter(|_| unmapped).map(trim) else {
                continue;
            };
            if let Some(field) = looks_like_key(cell) {
                let escaped = header.replace('\\', "\\\\").replace('"', "\\\"");
                out.unmapped_keys.push(format!(
                    "column '{header}' holds {cell:?}, {} {field} it does not import (to use it, put \"{escaped}\" = \"{field}\" under [columns] in a mapping file, --mapping)",
                    if field == "email" { "an" } else { "a" }
                ));
            }
        }
    }

    /// `bad`: the line's values that were not text (key, as far as it reads, why).
    fn map_object<'a>(
        &self,
        obj: &'a serde_json::Map<String, Value>,
        bad: &[(String, Value, String)],
        out: &mut MappedRow<'a>,
    ) {
        let mut seen: HashMap<Target, String> = HashMap::new();
        let mut later = Later::default();
        let email = Target::Field(Field::Email);
        // The first auto-detected email key reached before any key gave the row an email.
        let mut first_email: Option<&str> = None;
        // A German `Name` key read as the surname (see `place_name_part`).
        let mut surname_key: Option<&str> = None;
        let shape = self.auto.then(|| ApiShape::of(obj)).flatten();
        if let Some(s) = shape {
            self.api_shapes.add(s);
        }
        // Named when they would have been sent, or when their key is what could not be read
        // (so whether is unknown).
        for (key, value, why) in bad {
            let shown = match value {
                Value::String(s) => Cow::Borrowed(s.as_str()),
                other => Cow::Owned(other.to_string()),
            };
            let e = crate::validation::left_out(Some(key), &shown, why);
            if obj.contains_key(key) {
                // A repeated key (the first value is in the object): named, never the row's
                // key, whatever it maps to.
                if self
                    .row_rule(shape, key)
                    .is_some_and(|r| r.target != Target::Ignore)
                {
                    out.cell_errors.push((Target::Ignore, e));
                }
                continue;
            }
            match self.row_rule(shape, key) {
                Some(rule) if rule.target != Target::Ignore => {
                    push_unreadable(out, &mut later, &rule, e)
                }
                Some(_) => {}
                None if key.contains('\u{FFFD}') || crate::input::is_custom_fields(key) => {
                    out.cell_errors.push((Target::Ignore, e))
                }
                None => {}
            }
        }
        for (key, value) in obj {
            if crate::input::is_custom_fields(key) && !self.spec_rules.contains_key(key) {
                self.map_custom_fields(key, value, out, &mut seen);
                continue;
            }
            let Some(mut rule) = self.row_rule(shape, key) else {
                continue;
            };
            if rule.target == Target::Ignore {
                continue;
            }
            if rule.target == email && !seen.contains_key(&email) && self.auto_key(key) {
                first_email.get_or_insert(key);
            }
            // What a bare `Name`, `Nombre` or `Nom` key holds, by the object's other keys, as
            // for a CSV file's columns.
            let name_part = matches!(
                rule.target,
                Target::Field(Field::Name | Field::FirstName | Field::LastName)
            );
            if name_part && self.auto_key(key) {
                if let Some(n) = NAME_PARTS.iter().find(|n| normalises_to(key, n)) {
                    let was = rule.target.clone();
                    place_name_part(n, &mut rule, obj.keys().map(String::as_str));
                    if was == Target::Field(Field::Name)
                        && rule.target == Target::Field(Field::LastName)
                    {
                        surname_key = Some(key);
                    }
                }
            }
            if matches!(value, Value::String(s) if self.is_empty(s)) {
                continue;
            }
            let Some(items) = channel_items(&rule.target, key, value) else {
                self.map_value(out, &mut later, &mut seen, key, &rule, value);
                continue;
            };
            for (label, item) in &items.left_out {
                let why = format!("an item of {key} without its {} (\"value\")", rule.target);
                let e = crate::validation::left_out(Some(label), &json_preview(item), &why);
                out.cell_errors.push((Target::Ignore, e));
            }
            let mut usable = items.usable.into_iter();
            if let Some((_, first)) = usable.next() {
                self.map_value(out, &mut later, &mut seen, key, &rule, first);
            }
            for (label, item) in usable {
                // The list's further addresses back up the first, as further columns do;
                // a preset has its own backups, so with one they are named as left out.
                if self.preset.is_some() {
                    let what = rule.target.to_string();
                    let why = format!(
                        "HighLevel stores one {what}; the list's first (or primary) one is sent"
                    );
                    let shown = item
                        .as_str()
                        .map_or_else(|| item.to_string(), str::to_owned);
                    let e = crate::validation::left_out(Some(&label), &shown, &why);
                    out.cell_errors.push((Target::Ignore, e));
                    continue;
                }
                if let Some(v) = json_value(out, &label, &rule, item) {
                    out.spares.push(MappedValue {
                        target: rule.target.clone(),
                        column: Some(Cow::Owned(label)),
                        value: v,
                    });
                }
            }
        }
        // A later key standing in for an empty (or null) first one is its backup, as a CSV
        // column is: a bad one is not the contact's identity, so the phone may key the row.
        if let (Some(first), Some(own)) = (first_email, seen.get(&email)) {
            out.email_is_backup |= first != own
                && self.auto_key(own)
                && normalise_header(first) != normalise_header(own);
        }
        push_later(out, later);
        if let Some(key) = surname_key {
            whole_name_in_surname(key, out);
        }
    }

    /// One key's value, as its rule and the keys before it say.
    fn map_value<'a>(
        &self,
        out: &mut MappedRow<'a>,
        later: &mut Later<'a>,
        seen: &mut HashMap<Target, String>,
        key: &'a str,
        rule: &Rule,
        value: &'a Value,
    ) {
        if let Some(named) = value
            .as_str()
            .and_then(|s| placeholder_email(rule, Some(key), s))
        {
            out.cell_errors.extend(named.map(|e| (Target::Ignore, e)));
            return;
        }
        if rule.fallback
            || rule.split_name
            || rule.group.is_some()
            || rule.append
            || rule.display_name
        {
            if let Some(v) = json_value(out, key, rule, value) {
                push_value(out, later, rule, Some(Cow::Borrowed(key)), v);
            }
            return;
        }
        if self.backs_up(key, rule, seen) {
            // As a later auto-detected CSV column: tried when the first is not valid.
            if let Some(v) = json_value(out, key, rule, value) {
                out.spares.push(MappedValue {
                    target: rule.target.clone(),
                    column: Some(Cow::Borrowed(key)),
                    value: v,
                });
            }
            return;
        }
        push_json(out, seen, key, key, rule, value);
    }

    /// Whether a JSONL key is a backup of the email or phone an earlier key gave: both
    /// auto-detected (not listed, no preset), and not the same name written another way.
    fn backs_up(&self, key: &str, rule: &Rule, seen: &HashMap<Target, String>) -> bool {
        if !matches!(rule.target, Target::Field(Field::Email | Field::Phone)) || !self.auto_key(key)
        {
            return false;
        }
        seen.get(&rule.target).is_some_and(|first| {
            !self.spec_rules.contains_key(first) && normalise_header(first) != normalise_header(key)
        })
    }

    /// A JSONL key matched by auto-detection alone: neither a preset nor the mapping file
    /// says what it is.
    fn auto_key(&self, key: &str) -> bool {
        self.preset.is_none() && !self.spec_rules.contains_key(key)
    }

    /// A JSONL key's rule in a record of `shape`: the mapping file's, else the shape's (what
    /// that API means by it), else the key's own.
    fn row_rule(&self, shape: Option<ApiShape>, key: &str) -> Option<Rule> {
        shape
            .filter(|_| !self.spec_rules.contains_key(key))
            .and_then(|s| s.rule(key))
            .or_else(|| self.json_rule(key))
    }

    fn json_rule(&self, key: &str) -> Option<Rule> {
        if let Some(r) = self.spec_rules.get(key) {
            return Some(r.clone());
        }
        if let Some(r) = self.json_keys.read().ok().and_then(|m| m.get(key).cloned()) {
            return r;
        }
        let mut rule = if self.auto {
            auto_rule_nested(key)
        } else {
            None
        };
        if let Some(rule) = &mut rule {
            let lists = self
                .preset
                .as_ref()
                .and_then(|(d, _)| d.preset.list_separator.as_deref());
            split_tags_on(rule, lists, true);
        }
        if rule.is_none() && !crate::input::is_custom_fields(key) {
            self.json_unmatched.add(key);
        }
        if let Ok(mut m) = self.json_keys.write() {
            // Bounded: a file with endless distinct keys must not grow memory without limit.
            if m.len() < 10_000 {
                m.insert(key.to_owned(), rule.clone());
            }
        }
        rule
    }

    /// A malformed item costs itself, named as left out; the row's other values are sent.
    fn map_custom_fields<'a>(
        &self,
        key: &str,
        value: &'a Value,
        out: &mut MappedRow<'a>,
        seen: &mut HashMap<Target, String>,
    ) {
        let bad = |out: &mut MappedRow<'a>, label: &str, shown: &Value, why: &str| {
            let e = crate::validation::left_out(Some(label), &shown.to_string(), why);
            out.cell_errors.push((Target::Ignore, e));
        };
        match value {
            Value::Null => {}
            Value::Object(fields) => {
                for (k, v) in fields {
                    let k = k.trim();
                    if k.is_empty() {
                        bad(out, key, v, "a custom field key is empty");
                        continue;
                    }
                    let rule = Rule::new(Target::CustomField(k.to_owned()));
                    push_json(out, seen, &format!("{key}.{k}"), k, &rule, v);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let label = format!("{key}[{i}]");
                    let Value::Object(fields) = item else {
                        bad(
                            out,
                            &label,
                            item,
                            "expected an object like {\"key\": \"contact.x\", \"field_value\": …}",
                        );
                        continue;
                    };
                    let id = ["key", "id"]
                        .iter()
                        .find_map(|k| fields.get(*k).and_then(Value::as_str))
                        .map(str::trim);
                    let Some(id) = id.filter(|s| !s.is_empty()) else {
                        bad(out, &label, item, "custom field has no \"key\" or \"id\"");
                        continue;
                    };
                    let Some(v) = ["field_value", "fieldValue", "value"]
                        .iter()
                        .find_map(|k| fields.get(*k))
                    else {
                        bad(
                            out,
                            &label,
                            item,
                            &format!("custom field {id} has no \"field_value\""),
                        );
                        continue;
                    };
                    let rule = Rule::new(Target::CustomField(id.to_owned()));
                    push_json(out, seen, &label, id, &rule, v);
                }
            }
            other => bad(
                out,
                key,
                other,
                "customFields must be an object or an array",
            ),
        }
    }
}

/// The addresses of an email or phone written as objects, by the label that names each.
struct ChannelItems<'a> {
    /// The primary one first, then the others in list order.
    usable: Vec<(String, &'a Value)>,
    /// Items with no address in them.
    left_out: Vec<(String, &'a Value)>,
}

/// Keys that hold an email's or phone's text inside its object (`{"value": …, "type": "work"}`,
/// Pipedrive's and Google's `value`, Microsoft's `address`, a phone's `number`).
const CHANNEL_VALUE_KEYS: &[&str] = &[
    "value",
    "email",
    "emailAddress",
    "address",
    "number",
    "phone",
    "phoneNumber",
];

/// An email or phone written as an object or a list of objects (`"emails": [{"value": …,
/// "primary": true}]`, HubSpot-ish `{"email": {"value": …}}`); `None` for any other value,
/// read as it always was.
fn channel_items<'a>(target: &Target, key: &str, value: &'a Value) -> Option<ChannelItems<'a>> {
    if !matches!(target, Target::Field(Field::Email | Field::Phone)) {
        return None;
    }
    let text_of = |o: &'a serde_json::Map<String, Value>| {
        CHANNEL_VALUE_KEYS
            .iter()
            .find_map(|k| o.get(*k).filter(|v| v.is_string() || v.is_number()))
    };
    match value {
        Value::Object(o) => text_of(o).map(|v| ChannelItems {
            usable: vec![(key.to_owned(), v)],
            left_out: Vec::new(),
        }),
        Value::Array(list) if list.iter().any(Value::is_object) => {
            let mut items = ChannelItems {
                usable: Vec::new(),
                left_out: Vec::new(),
            };
            let mut primary = None;
            for (i, item) in list.iter().enumerate() {
                let label = format!("{key}[{i}]");
                let text = match item {
                    Value::Object(o) => text_of(o),
                    Value::Null => continue,
                    other => Some(other),
                };
                match text {
                    Some(v) if v.as_str().is_some_and(|s| s.trim().is_empty()) => {}
                    Some(v) => {
                        if primary.is_none() && is_primary(item) {
                            primary = Some(items.usable.len());
                        }
                        items.usable.push((label, v));
                    }
                    None => items.left_out.push((label, item)),
                }
            }
            if let Some(p) = primary {
                let chosen = items.usable.remove(p);
                items.usable.insert(0, chosen);
            }
            Some(items)
        }
        _ => None,
    }
}

/// An item marked as the contact's main address (`"primary": true`, Google's
/// `"metadata": {"primary": true}`).
fn is_primary(item: &Value) -> bool {
    let yes = |o: &serde_json::Map<String, Value>| {
        ["primary", "isPrimary", "is_primary"]
            .iter()
            .any(|k| o.get(*k) == Some(&Value::Bool(true)))
    };
    item.as_object().is_some_and(|o| {
        yes(o)
            || o.get("metadata")
                .and_then(Value::as_object)
                .is_some_and(yes)
    })
}

/// `column` names the value in messages; `column_out` is what the MappedValue carries.
fn push_json<'a>(
    out: &mut MappedRow<'a>,
    seen: &mut HashMap<Target, String>,
    column: &str,
    column_out: &'a str,
    rule: &Rule,
    value: &'a Value,
) {
    let Some(v) = json_value(out, column, rule, value) else {
        return;
    };
    if rule.target.single_valued() {
        if let Some(first) = seen.get(&rule.target) {
            out.cell_errors.push((
                rule.target.clone(),
                RowError::new(
                    Some(column),
                    format!("'{first}' and '{column}' both give {}", rule.target),
                ),
            ));
            return;
        }
        seen.insert(rule.target.clone(), column.to_owned());
    }
    out.values.push(MappedValue {
        target: rule.target.clone(),
        column: Some(Cow::Borrowed(column_out)),
        value: v,
    });
}

/// A JSON value as a raw value; `None` when it is empty or unusable (then with an error).
fn json_value<'a>(
    out: &mut MappedRow<'_>,
    column: &str,
    rule: &Rule,
    value: &'a Value,
) -> Option<RawValue<'a>> {
    Some(match value {
        Value::Null => return None,
        Value::String(s) if s.trim().is_empty() => return None,
        Value::String(s) => {
            match text_value(s, rule, Some(column), &mut out.notes, &mut out.cell_errors) {
                Ok(v) => v?,
                Err(m) => {
                    let e = RowError::new(Some(column), m);
                    out.cell_errors.push((rule.target.clone(), e));
                    return None;
                }
            }
        }
        Value::Bool(b) => RawValue::Bool(*b),
        Value::Number(n) => RawValue::Number(n.clone()),
        Value::Array(items) => {
            let mut list = Vec::with_capacity(items.len());
            // Items that are not text (`#N/A`, a control character), each named as a CSV
            // cell would be.
            let mut bad = Vec::new();
            for item in items {
                match item {
                    Value::String(s) => match list_item(s, &rule.target) {
                        Ok(Some(t)) => list.push(t.into_owned()),
                        Ok(None) => {}
                        Err(m) => bad.push(RowError::new(Some(column), m)),
                    },
                    Value::Number(n) => list.push(n.to_string()),
                    Value::Bool(b) => list.push(b.to_string()),
                    Value::Null => {}
                    // Mailchimp's API writes a member's tags as `{"id": 1, "name": "vip"}`.
                    Value::Object(o)
                        if rule.target == Target::Field(Field::Tags)
                            && o.get("name").is_some_and(Value::is_string) =>
                    {
                        let name = o.get("name").and_then(Value::as_str).unwrap_or_default();
                        match list_item(name, &rule.target) {
                            Ok(Some(t)) => list.push(t.into_owned()),
                            Ok(None) => {}
                            Err(m) => bad.push(RowError::new(Some(column), m)),
                        }
                    }
                    _ => {
                        let why = format!(
                            "a list for {} may only hold strings, numbers and booleans",
                            rule.target
                        );
                        let e =
                            crate::validation::left_out(Some(column), &json_preview(value), &why);
                        out.cell_errors.push((rule.target.clone(), e));
                        return None;
                    }
                }
            }
            name_bad_items(bad, list.is_empty(), rule, &mut out.cell_errors);
            if list.is_empty() {
                return None;
            }
            RawValue::List(list)
        }
        Value::Object(_) => {
            let why = format!("a JSON object is not a valid value for {}", rule.target);
            let e = crate::validation::left_out(Some(column), &json_preview(value), &why);
            out.cell_errors.push((rule.target.clone(), e));
            return None;
        }
    })
}

/// A JSON value as a warning shows it: its text, cut after about 60 bytes.
fn json_preview(value: &Value) -> String {
    let mut text = value.to_string();
    let cut = crate::input::preview_len(text.as_bytes());
    if cut < text.len() {
        text.truncate(cut);
        text.push('…');
    }
    text
}

/// What people type in an email column for "no email" (case aside), and Excel's `#N/A`.
const NO_EMAIL: &[&str] = &[
    "n/a",
    "na",
    "#n/a",
    "none",
    "null",
    "nil",
    "-",
    "--",
    "---",
    "unknown",
    "no email",
    "noemail",
    "not provided",
    "not available",
];

/// An email cell that says there is no email: left out and named (a malformed address would
/// make the row invalid; this one leaves its phone to key it). In a fallback column it is
/// just empty (`Ok(None)`: nothing to name, the backup is not there).
fn placeholder_email(rule: &Rule, column: Option<&str>, cell: &str) -> Option<Option<RowError>> {
    // Read for every cell: a match, not a `Target` made and compared.
    if !matches!(rule.target, Target::Field(Field::Email)) {
        return None;
    }
    let t = trim(crate::validation::cells::no_text_marker(trim(cell)));
    let why = if is_exchange_address(t) {
        EXCHANGE
    } else if t.len() > 16 || t.contains('@') {
        // An address (the usual cell) is never one: one byte search, no comparisons.
        return None;
    } else if NO_EMAIL.iter().any(|p| t.eq_ignore_ascii_case(p)) {
        "says there is no email"
    } else if cell_text::is_excel_error(t) {
        // No more an address than `#N/A`: the phone may key the row.
        cell_text::EXCEL_ERROR
    } else {
        return None;
    };
    Some((!rule.fallback).then(|| crate::validation::left_out(column, t, why)))
}

/// Why an Exchange directory name in an email column is left out.
const EXCHANGE: &str = "an Exchange (X.500) address, not an email; the SMTP address is usually in 'E-mail Display Name'";

/// Classic Outlook's `E-mail Address` of an Exchange user (`E-mail Type` EX) is the X.500
/// directory name (`/o=ExchangeLabs/ou=…/cn=…`): no address at all, not a typo in one.
fn is_exchange_address(cell: &str) -> bool {
    let t = trim(cell).as_bytes();
    t.len() > 3 && t[0] == b'/' && t[1..3].eq_ignore_ascii_case(b"o=")
}

/// The address in `Ann Lee (ann@lee.com)`, Outlook's `E-mail Display Name`.
fn display_address(t: &str) -> Option<&str> {
    let (_, inside) = trim(t).strip_suffix(')')?.rsplit_once('(')?;
    let inside = inside.trim();
    (inside.contains('@') && !inside.contains(char::is_whitespace)).then_some(inside)
}

/// Values that wait for the row's own columns: fallbacks and names split from a full name.
#[derive(Default)]
struct Later<'a> {
    /// The row's email cell held an Exchange directory name: its display name's address
    /// stands in first.
    exchange: bool,
    /// (rank, group, value, index in `splits` of the full name it was split from), in
    /// column order.
    values: Vec<(i64, Option<String>, MappedValue<'a>, Option<usize>)>,
    /// Full names split, with their column.
    splits: Vec<(Option<Cow<'a, str>>, Cow<'a, str>)>,
    /// Groups a non-fallback column gave a value to.
    filled: Vec<String>,
    /// Fallback cells that could not be read: (rank, group, target, warning).
    unreadable: Vec<(i64, Option<String>, Target, RowError)>,
    /// Further street lines: (rank if a fallback's, group, value), in column order.
    appends: Vec<(Option<i64>, Option<String>, MappedValue<'a>, bool)>,
    /// Display names (Outlook's), used only when the row has no name of its own.
    display: Vec<MappedValue<'a>>,
    /// The row's own (not fallback) values of a group: (group, index in the row's values).
    own: Vec<(String, usize)>,
}

/// A cell that could not be read: named at once, or for a fallback once it is known whether
/// it would have been used (a fallback the row's own columns make needless costs nothing).
fn push_unreadable(out: &mut MappedRow<'_>, later: &mut Later<'_>, rule: &Rule, e: RowError) {
    if rule.fallback {
        later
            .unreadable
            .push((rule.order, rule.group.clone(), rule.target.clone(), e));
    } else {
        out.cell_errors.push((rule.target.clone(), e));
    }
}

/// Pushes a column's value; a fallback's value, and the names split from a full name, wait in
/// `later` for the row's own columns to have their say.
fn push_value<'a>(
    out: &mut MappedRow<'a>,
    later: &mut Later<'a>,
    rule: &Rule,
    column: Option<Cow<'a, str>>,
    value: RawValue<'a>,
) {
    if let (true, RawValue::Text(full)) = (rule.split_name, &value) {
        let (first, last) = transform::split_name(full);
        let split = later.splits.len();
        later.splits.push((column.clone(), full.clone()));
        for (field, part) in [(Field::FirstName, first), (Field::LastName, last)] {
            if let Some(part) = part {
                later.values.push((
                    0,
                    None,
                    MappedValue {
                        target: Target::Field(field),
                        column: column.clone(),
                        value: RawValue::Text(part.into()),
                    },
                    Some(split),
                ));
            }
        }
    }
    let v = MappedValue {
        target: rule.target.clone(),
        column,
        value,
    };
    if rule.display_name {
        later.display.push(v);
    } else if rule.append {
        // A block with only its second line filled still has a value: never mixed with another.
        if let (false, Some(g)) = (rule.fallback, &rule.group) {
            later.filled.push(g.clone());
        }
        let rank = rule.fallback.then_some(rule.order);
        later
            .appends
            .push((rank, rule.group.clone(), v, rule.before));
    } else if rule.fallback {
        later.values.push((rule.order, rule.group.clone(), v, None));
    } else {
        if let Some(g) = &rule.group {
            later.filled.push(g.clone());
            later.own.push((g.clone(), out.values.len()));
        }
        out.values.push(v);
    }
}

/// Each waiting value, best rank first, unless the row already has its field. Of a group,
/// only the first block (rank) with a value is used, and none when the row's own columns
/// filled the group.
/// A part of a postal address: what an address block holds.
fn is_address(t: &Target) -> bool {
    matches!(
        t,
        Target::Field(
            Field::Address1 | Field::City | Field::State | Field::PostalCode | Field::Country
        )
    )
}

/// What a bare name column holds beside the file's (or a JSONL object's) other column
/// `names`: a German export's `Name` beside `Vorname` is the surname, not the whole name (a
/// cell that starts with the Vorname holds both: see `whole_name_in_surname`); Spanish
/// `Nombre`, Portuguese `Nome` and French `Nom` are one part of a name only beside the other
/// part, else they hold the whole name. `n`: the column's normalised name.
fn place_name_part<'h>(n: &str, rule: &mut Rule, names: impl Iterator<Item = &'h str> + Clone) {
    let has = |f: Field| {
        names
            .clone()
            .any(|h| detect_target(h) == Some(Target::Field(f)))
    };
    let name = Target::Field(Field::Name);
    rule.target = match n {
        "name" if rule.target == name && names.clone().any(is_vorname) => {
            Target::Field(Field::LastName)
        }
        "nombre" | "nome" if !has(Field::LastName) => name,
        "nom" if !has(Field::FirstName) => name,
        _ => return,
    };
}

/// The normalised names [`place_name_part`] may give another field.
const NAME_PARTS: [&str; 4] = ["name", "nombre", "nome", "nom"];

fn is_vorname(h: &str) -> bool {
    normalises_to(h, "vorname")
}

/// `normalise(h) == word`, without allocating: asked of JSONL keys row by row.
fn normalises_to(h: &str, word: &str) -> bool {
    h.chars()
        .filter(|&c| !matches!(c, ' ' | '_' | '-' | '.') && !c.is_whitespace() && !is_format(c))
        .flat_map(char::to_lowercase)
        .eq(word.chars())
}

/// A German export's `Name` holding the whole name ("Jürgen Müller" beside Vorname "Jürgen"):
/// the rest after the Vorname is the surname, and what was done is named.
fn whole_name_in_surname(column: &str, out: &mut MappedRow<'_>) {
    let text_of = |v: &MappedValue<'_>| match &v.value {
        RawValue::Text(t) => Some(trim(t).to_owned()),
        _ => None,
    };
    let Some(first) = out
        .values
        .iter()
        .find(|v| v.target == Target::Field(Field::FirstName))
        .and_then(text_of)
        .filter(|f| !f.is_empty())
    else {
        return;
    };
    let Some(last) = out.values.iter_mut().find(|v| {
        v.target == Target::Field(Field::LastName) && v.column.as_deref() == Some(column)
    }) else {
        return;
    };
    let Some(whole) = text_of(last) else {
        return;
    };
    let rest = whole
        .strip_prefix(first.as_str())
        .filter(|r| r.starts_with(char::is_whitespace))
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if let Some(rest) = rest {
        last.value = RawValue::Text(rest.to_owned().into());
        out.notes.push(RowError::formatted(
            Some(column),
            format_args!(
                "{whole:?} starts with the first name {first:?}: sent as last name {rest:?}"
            ),
        ));
    }
}

/// A display name's name: without a trailing `(address@…)`; none when it is only an address.
fn display_name_text(t: &str) -> Option<&str> {
    let t = trim(t);
    let name = match t.strip_suffix(')').and_then(|s| s.rsplit_once('(')) {
        Some((name, inside)) if inside.contains('@') => name.trim(),
        _ => t,
    };
    let address = name.contains('@') && !name.contains(char::is_whitespace);
    (!name.is_empty() && !address).then_some(name)
}

/// `Dr. Ann B. Lee` beside first name `Ann` and last name `Lee`: the same person's name, with
/// a title or a middle name, not something else worth naming.
fn holds_words_of(t: &str, joined: &str) -> bool {
    let words: Vec<String> = t.split_whitespace().map(str::to_lowercase).collect();
    !joined.is_empty()
        && joined
            .split_whitespace()
            .all(|w| words.contains(&w.to_lowercase()))
}

/// A fallback's value the row does not use: another column gave its field.
fn not_used(v: &MappedValue<'_>, used: &MappedValue<'_>) -> RowError {
    let shown = match &v.value {
        RawValue::Text(t) => format!("{:?}", trim(t)),
        other => format!("{other:?}"),
    };
    let from = used
        .column
        .as_deref()
        .map_or_else(|| "a constant".to_owned(), |c| format!("'{c}'"));
    RowError::formatted(
        v.column.as_deref(),
        format_args!(
            "{shown} not imported: the row's {} comes from {from}",
            used.target
        ),
    )
}

/// The words of a one-line field's note on a cell of several lines, which
/// [`unsent_one_line`] takes back for a block the row does not use.
const SENT_ON_ONE_LINE: &str = " is on several lines: sent on one line as ";

/// A cell of a block not used was not "sent on one line": that note, made as it was read, goes.
fn unsent_one_line(out: &mut MappedRow<'_>, v: &MappedValue<'_>) {
    let Some(column) = v.column.as_deref() else {
        return;
    };
    out.notes
        .retain(|n| n.column() != Some(column) || !n.message().contains(SENT_ON_ONE_LINE));
}

/// An address written whole (`Storgata 1\n0155 Oslo`) that holds the street the row sends.
fn repeats_street(v: &MappedValue<'_>, out: &MappedRow<'_>) -> bool {
    let street = Target::Field(Field::Address1);
    let RawValue::Text(whole) = &v.value else {
        return false;
    };
    v.target == street
        && out.values.iter().any(|x| match &x.value {
            RawValue::Text(sent) if x.target == street => {
                let sent = trim(sent);
                !sent.is_empty() && whole.contains(sent)
            }
            _ => false,
        })
}

/// A cell of an address block the row does not use (another block gave its address).
fn unused_address(v: &MappedValue<'_>, street: Option<&str>) -> RowError {
    let shown = match &v.value {
        RawValue::Text(t) => format!("{:?}", t.as_ref()),
        other => format!("{other:?}"),
    };
    let block = street.map_or_else(String::new, |s| {
        format!("; the block with a street ('{s}') was used, as a block with no street gives no address to send to")
    });
    RowError::formatted(
        v.column.as_deref(),
        format_args!(
            "{shown} not imported: the row's address comes from other columns (HighLevel stores one address){block}"
        ),
    )
}

/// Of a group's blocks, the one to use when the first one filled has no street and a later
/// one has (a business block holding only a country beside a whole home address): its rank
/// and street column. The row's own block, so passed over, becomes the last fallback.
fn street_block<'a>(
    out: &mut MappedRow<'a>,
    later: &mut Later<'a>,
) -> Vec<(String, i64, Option<String>)> {
    let street = Target::Field(Field::Address1);
    let mut groups: Vec<String> = Vec::new();
    for g in later.values.iter().filter_map(|(_, g, _, _)| g.as_ref()) {
        if !groups.contains(g) {
            groups.push(g.clone());
        }
    }
    let mut seeds = Vec::new();
    for g in groups {
        let in_group = |og: &Option<String>| og.as_deref() == Some(g.as_str());
        let own_street = later
            .own
            .iter()
            .any(|(og, i)| *og == g && out.values[*i].target == street)
            || later
                .appends
                .iter()
                .any(|(r, og, _, _)| r.is_none() && in_group(og));
        if own_street {
            continue;
        }
        let ranked = later
            .values
            .iter()
            .filter(|(_, og, v, _)| in_group(og) && v.target == street)
            .map(|(r, _, v, _)| (*r, v.column.as_deref().map(str::to_owned)));
        let appended = later.appends.iter().filter_map(|(r, og, v, _)| {
            Some((
                r.filter(|_| in_group(og))?,
                v.column.as_deref().map(str::to_owned),
            ))
        });
        let Some((rank, column)) = ranked.chain(appended).min_by_key(|(r, _)| *r) else {
            continue;
        };
        let first_filled = later
            .values
            .iter()
            .filter(|(_, og, v, _)| in_group(og) && is_address(&v.target))
            .map(|(r, _, _, _)| *r)
            .min();
        let own_filled = later.filled.contains(&g);
        if !own_filled && first_filled == Some(rank) {
            continue;
        }
        if own_filled {
            let mut moved: Vec<usize> = later
                .own
                .iter()
                .filter(|(og, _)| *og == g)
                .map(|(_, i)| *i)
                .collect();
            moved.sort_unstable();
            for &i in moved.iter().rev() {
                let v = out.values.remove(i);
                later.values.push((i64::MAX, Some(g.clone()), v, None));
                for (_, j) in later.own.iter_mut() {
                    if *j > i {
                        *j -= 1;
                    }
                }
            }
            later.own.retain(|(og, _)| *og != g);
            later.filled.retain(|f| *f != g);
        }
        seeds.push((g, rank, column));
    }
    seeds
}

fn push_later<'a>(out: &mut MappedRow<'a>, mut later: Later<'a>) {
    if later.exchange {
        let found = later.display.iter().find_map(|v| match &v.value {
            RawValue::Text(t) => display_address(t).map(|a| (v.column.clone(), a.to_owned())),
            _ => None,
        });
        if let Some((column, address)) = found {
            out.notes.push(RowError::formatted(
                column.as_deref(),
                format_args!("{address:?} sent as the email: the row's email cell holds an Exchange (X.500) address"),
            ));
            let v = MappedValue {
                target: Target::Field(Field::Email),
                column,
                value: RawValue::Text(address.into()),
            };
            // Before any other backup: the same entry's own address.
            later.values.insert(0, (i64::MIN, None, v, None));
        }
    }
    let seeds = street_block(out, &mut later);
    later.values.sort_by_key(|(rank, _, _, _)| *rank);
    let own = out.values.len();
    let mut chosen: Vec<(String, i64)> = seeds.iter().map(|(g, r, _)| (g.clone(), *r)).collect();
    // Targets a fallback filled, and its rank.
    let mut filled_by: Vec<(Target, i64)> = Vec::new();
    // The parts of each split full name the row uses: (split, target, part).
    let mut split_used: Vec<(usize, Target, String)> = Vec::new();
    for (rank, group, v, split) in later.values {
        if let Some(g) = &group {
            let elsewhere = later.filled.contains(g)
                || matches!(chosen.iter().find(|(c, _)| c == g), Some((_, r)) if *r != rank);
            if elsewhere {
                // Another block gave the row its address: this one's cells are named, not lost,
                // unless it only repeats the street sent (Google's whole address beside its parts).
                if is_address(&v.target) && !repeats_street(&v, out) {
                    let street = seeds.iter().find(|(s, _, _)| s == g);
                    let street = street.and_then(|(_, _, c)| c.as_deref());
                    out.notes.push(unused_address(&v, street));
                }
                unsent_one_line(out, &v);
                continue;
            }
            if !chosen.iter().any(|(c, _)| c == g) {
                chosen.push((g.clone(), rank));
            }
        }
        if let Some(used) = out.values.iter().find(|x| x.target == v.target) {
            if group.is_some() || split.is_some() {
                unsent_one_line(out, &v);
                continue;
            }
            if matches!(v.target, Target::Field(Field::Email | Field::Phone)) {
                out.spares.push(v);
            } else if used.value != v.value {
                // Another column gave the field (Yahoo's Personal Website beside its Business
                // Website): this one is named, not dropped.
                out.notes.push(not_used(&v, used));
            }
            continue;
        }
        filled_by.push((v.target.clone(), rank));
        if let (Some(i), RawValue::Text(part)) = (split, &v.value) {
            split_used.push((i, v.target.clone(), part.to_string()));
        }
        out.email_is_backup |= v.target == Target::Field(Field::Email);
        out.values.push(v);
    }
    // A display name is the name of a row with none of its own; beside one, it is named
    // unless it only repeats the row's first and last name. Most files have none: the
    // names compared with it are not copied for every row.
    if !later.display.is_empty() {
        let name_of = |f: Field| {
            out.values.iter().find_map(|x| match (&x.target, &x.value) {
                (Target::Field(t), RawValue::Text(s)) if *t == f => Some(trim(s).to_owned()),
                _ => None,
            })
        };
        let own_name = [Field::Name, Field::FirstName, Field::LastName]
            .iter()
            .any(|f| out.values.iter().any(|x| x.target == Target::Field(*f)));
        let joined = [name_of(Field::FirstName), name_of(Field::LastName)]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let whole = name_of(Field::Name);
        // Outlook's `E-mail Display Name` ("Ann Lee (ann@lee.com)", or the bare address) is a
        // name only once its address is taken off.
        let mut display = later.display.into_iter().filter_map(|mut v| {
            let RawValue::Text(t) = &v.value else {
                return Some(v);
            };
            let name = display_name_text(t)?;
            if name != trim(t) {
                v.value = RawValue::Text(name.to_owned().into());
            }
            Some(v)
        });
        if !own_name {
            if let Some(first) = display.next() {
                // Another column's text stands in for the row's name: said, as any stand-in.
                if let RawValue::Text(t) = &first.value {
                    out.notes.push(RowError::formatted(
                        first.column.as_deref(),
                        format_args!(
                            "{:?} sent as the name: the row has no name, first or last name of its own",
                            trim(t)
                        ),
                    ));
                }
                out.values.push(first);
            }
        }
        for v in display {
            let RawValue::Text(t) = &v.value else {
                continue;
            };
            let t = trim(t);
            let repeats = t.eq_ignore_ascii_case(&joined)
                || whole.as_deref().is_some_and(|w| t.eq_ignore_ascii_case(w))
                || holds_words_of(t, &joined);
            if !repeats {
                let used = out.values.iter().find(|x| {
                    matches!(
                        x.target,
                        Target::Field(Field::Name | Field::FirstName | Field::LastName)
                    )
                });
                if let Some(used) = used {
                    out.notes.push(not_used(&v, used));
                }
            }
        }
    }
    // A split is a guess ("Anna Maria Rossi"): named whenever the row uses a part of it.
    for (i, (column, full)) in later.splits.iter().enumerate() {
        let parts: Vec<String> = split_used
            .iter()
            .filter(|(s, _, _)| *s == i)
            .map(|(_, t, part)| match t {
                Target::Field(Field::FirstName) => format!("first name {part:?}"),
                _ => format!("last name {part:?}"),
            })
            .collect();
        if !parts.is_empty() {
            let full = trim(full);
            out.notes.push(RowError::formatted(
                column.as_deref(),
                format_args!("{full:?} split on a guess: {}; check it", parts.join(", ")),
            ));
        }
    }
    // An unreadable fallback is named when it would have been used: as the row's loss when
    // nothing else gave its field, as a warning when a later-ranked column did instead. An
    // email or phone backup is always named (a readable one is kept as a spare and named when
    // not used), as a warning unless nothing else gave the field.
    for (rank, group, target, e) in later.unreadable {
        let group_elsewhere = group.as_ref().is_some_and(|g| {
            later.filled.contains(g) || chosen.iter().any(|(c, r)| c == g && *r < rank)
        });
        let own_value = out.values[..own].iter().any(|x| x.target == target);
        let better = filled_by.iter().any(|(t, r)| *t == target && *r < rank);
        let spare = matches!(target, Target::Field(Field::Email | Field::Phone));
        if !spare && (group_elsewhere || own_value || better) {
            continue;
        }
        let instead = own_value || filled_by.iter().any(|(t, _)| *t == target);
        let target = if instead { Target::Ignore } else { target };
        out.cell_errors.push((target, e));
    }
    // Further street lines follow the street of their block, when that block is the one used.
    later
        .appends
        .sort_by_key(|(rank, _, _, _)| rank.map_or(0, |r| r));
    for (rank, group, v, before) in later.appends {
        let used = match (rank, &group) {
            (None, _) => true,
            (Some(r), Some(g)) if !later.filled.contains(g) => {
                match chosen.iter().find(|(c, _)| c == g) {
                    Some((_, cr)) => *cr == r,
                    // A block whose only value is a further line is still a block.
                    None => {
                        chosen.push((g.clone(), r));
                        true
                    }
                }
            }
            (Some(_), Some(_)) => false,
            (Some(r), None) => filled_by.iter().any(|(t, fr)| *t == v.target && *fr == r),
        };
        if !used {
            continue;
        }
        match out.values.iter_mut().find(|x| x.target == v.target) {
            Some(street) => {
                if let (RawValue::Text(line1), RawValue::Text(line2)) =
                    (&mut street.value, &v.value)
                {
                    if !before {
                        *line1 = format!("{line1}, {line2}").into();
                    } else if !line1
                        .split_whitespace()
                        .any(|w| w.trim_matches(|c: char| c == ',' || c == '.') == line2.trim())
                    {
                        *line1 = format!("{line2} {line1}").into();
                    }
                }
            }
            None => out.values.push(v),
        }
    }
}

/// The date of birth that Thunderbird's `Birth Year`, `Birth Month` and `Birth Day` cells
/// make (`1979`, `04`, `17` → 1979-04-17), checked as any date is; one or two of them alone
/// are no date, and are named.
fn birth_date<'a>(parts: [usize; 3], label: &'a str, cells: &'a CellRow, out: &mut MappedRow<'a>) {
    let [y, m, d] = parts.map(|i| cells.get(i).map_or("", |c| c.trim()));
    let target = Target::Field(Field::DateOfBirth);
    match [y, m, d].iter().filter(|c| !c.is_empty()).count() {
        0 => {}
        3 => out.values.push(MappedValue {
            target,
            column: Some(Cow::Borrowed(label)),
            value: RawValue::Text(format!("{y}-{m:0>2}-{d:0>2}").into()),
        }),
        _ => out.cell_errors.push((
            target,
            RowError::new(
                Some(label),
                format!(
                    "year {y:?}, month {m:?}, day {d:?} left out: a date of birth needs all three"
                ),
            ),
        )),
    }
}

/// One item of a list (a split cell, a JSON list), read as a cell is; and a formula (`=A1`,
/// `=HYPERLINK(…)`) is no tag.
fn list_item<'s>(item: &'s str, target: &Target) -> Result<Option<Cow<'s, str>>, String> {
    let t = cell_text::read(item)?;
    if let (Some(t), Target::Field(Field::Tags)) = (&t, target) {
        if cell_text::is_formula(t) {
            return Err(format!(
                "{t:?} left out: a spreadsheet formula, not a tag (in the spreadsheet, copy the column and paste it as values)"
            ));
        }
    }
    Ok(t)
}

/// Items left out of a list cost only themselves while others are left; with none left, the
/// field's value could not be read, as for a bad cell.
fn name_bad_items(
    items: Vec<RowError>,
    list_empty: bool,
    rule: &Rule,
    bad: &mut Vec<(Target, RowError)>,
) {
    let target = if list_empty {
        rule.target.clone()
    } else {
        Target::Ignore
    };
    bad.extend(items.into_iter().map(|e| (target.clone(), e)));
}

/// Why a cell in a column without a header is left out, and what keeps it.
const HEADERLESS: &str =
    "its column has no header, so nothing maps it: give the column a header in the file, then map it with --mapping";

/// A non-empty cell's value after the rule's transforms; `None` when splitting leaves nothing.
/// A century chosen for a two-digit year is named in `notes`.
/// `bad`: the items of a split cell left out (the cell's own error is the `Err`).
fn text_value<'a>(
    cell: &'a str,
    rule: &Rule,
    column: Option<&str>,
    notes: &mut Vec<RowError>,
    bad: &mut Vec<(Target, RowError)>,
) -> Result<Option<RawValue<'a>>, String> {
    let Some(text) = cell_text::read(cell)? else {
        return Ok(None);
    };
    let cell: &str = &text;
    let case = |s: String| if rule.lowercase { s.to_lowercase() } else { s };
    if rule.filled {
        return Ok(Some(RawValue::Bool(true)));
    }
    if let Some(sep) = rule.first_of.as_deref().filter(|s| cell.contains(*s)) {
        let mut items = cell.split(sep).map(str::trim).filter(|i| !i.is_empty());
        if let Some(first) = items.next() {
            let rest: Vec<String> = items.map(|i| format!("{i:?}")).collect();
            if !rest.is_empty() {
                notes.push(RowError::formatted(
                    column,
                    format_args!(
                        "also holds {}, not imported (HighLevel stores one {})",
                        rest.join(", "),
                        rule.target
                    ),
                ));
            }
            return Ok(Some(RawValue::Text(case(first.to_owned()).into())));
        }
    }
    if let Some(sep) = &rule.split {
        // The items are kept in the split's own vector, in place: no second one per cell.
        let mut parts = split_cell(cell, sep, rule, column, notes);
        let mut left_out = Vec::new();
        parts.retain_mut(|p| {
            if transform::dropped(p, &rule.drop, rule.drop_prefix.as_deref()) {
                return false;
            }
            // `None` inside: the item as split, unchanged.
            let read = list_item(p, &rule.target).map(|t| {
                t.map(|t| match t {
                    Cow::Borrowed(b) if b.len() == p.len() => None,
                    other => Some(other.into_owned()),
                })
            });
            match read {
                Ok(Some(None)) => {
                    if rule.lowercase {
                        *p = p.to_lowercase();
                    }
                    true
                }
                Ok(Some(Some(t))) => {
                    *p = case(t);
                    true
                }
                Ok(None) => false,
                Err(m) => {
                    left_out.push(RowError::new(column, m));
                    false
                }
            }
        });
        name_bad_items(left_out, parts.is_empty(), rule, bad);
        return Ok((!parts.is_empty()).then_some(RawValue::List(parts)));
    }
    if let Some(format) = &rule.date_format {
        if !transform::two_digit_year(format) {
            return transform::parse_date(cell, format).map(|d| Some(RawValue::Text(d.into())));
        }
        let mut date = transform::read_date(cell, format)?;
        let birth = rule.target == Target::Field(Field::DateOfBirth);
        // chrono's century (2062 for 62) is no year of birth: that is in the past.
        if birth && date > crate::validation::dates::today() {
            date = date.with_year(date.year() - 100).unwrap_or(date);
        }
        let why = if birth {
            " (a date of birth is in the past)"
        } else {
            ""
        };
        notes.push(RowError::formatted(
            column,
            format_args!(
                "{cell:?} has a two-digit year, read as {}{why}; check it",
                date.year()
            ),
        ));
        return Ok(Some(RawValue::Text(
            date.format("%Y-%m-%d").to_string().into(),
        )));
    }
    if !rule.true_values.is_empty() || !rule.false_values.is_empty() {
        let lower = cell.to_lowercase();
        if rule.true_values.contains(&lower) {
            return Ok(Some(RawValue::Bool(true)));
        }
        if rule.false_values.contains(&lower) {
            return Ok(Some(RawValue::Bool(false)));
        }
        // A status the lists do not name (Mailchimp's `status` in an API dump): said with
        // the values that would be read, not as a yes/no the column never held.
        if crate::validation::parse_bool(cell).is_none() {
            let or = |v: &[String]| match v.split_last() {
                Some((last, [])) => last.clone(),
                Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
                None => "none".to_owned(),
            };
            return Err(format!(
                "{cell:?} left out: not one of the values read as yes ({}) or no ({})",
                or(&rule.true_values),
                or(&rule.false_values)
            ));
        }
    }
    // A cell on several lines for a one-line field (Salesforce's multi-line MailingStreet, a
    // name or city typed with Alt+Enter, U+2028/U+2029 from a web form or Word): joined,
    // after a comma in a street, else a space, and named. Only a cell with a byte below 0x20 or
    // an 0xE2 (which leads U+2028 and U+2029) can hold a break: one word scan, no search otherwise.
    let one_line = match &rule.target {
        Target::Field(Field::Address1) => Some(", "),
        Target::Field(
            Field::FirstName
            | Field::LastName
            | Field::Name
            | Field::City
            | Field::State
            | Field::PostalCode
            | Field::Country
            | Field::CompanyName
            | Field::Source,
        ) => Some(" "),
        _ => None,
    };
    if let Some(glue) = one_line {
        let breaks = cell_text::may_break_lines(cell)
            && (cell.contains(['\n', '\r']) || cell.contains(UNICODE_LINE_BREAKS));
        if breaks {
            let lines: Vec<&str> = cell
                .split(|c| matches!(c, '\n' | '\r') || UNICODE_LINE_BREAKS.contains(&c))
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            let joined = case(lines.join(glue));
            let mut shown = cell.to_owned();
            let cut = crate::input::preview_len(shown.as_bytes());
            if cut < shown.len() {
                shown.truncate(cut);
                shown.push('…');
            }
            let mut sent = joined.clone();
            let cut = crate::input::preview_len(sent.as_bytes());
            if cut < sent.len() {
                sent.truncate(cut);
                sent.push('…');
            }
            notes.push(RowError::formatted(
                column,
                format_args!(
                    "{shown:?}{SENT_ON_ONE_LINE}{sent:?} ({} is one line in HighLevel)",
                    rule.target
                ),
            ));
            return Ok(Some(RawValue::Text(joined.into())));
        }
    }
    Ok(Some(RawValue::Text(if rule.lowercase {
        cell.to_lowercase().into()
    } else {
        text
    })))
}

/// Whether a row gives an email or a phone, readable or not.
fn has_key(row: &MappedRow<'_>) -> bool {
    let key = |t: &Target| matches!(t, Target::Field(Field::Email | Field::Phone));
    !row.spares.is_empty()
        || row.values.iter().any(|v| key(&v.target))
        || row.cell_errors.iter().any(|(t, _)| key(t))
}

/// A cell that reads like an email (`a@b.c`) or a phone number (7 to 15 digits, with only
/// `+ - ( ) .` and spaces between).
fn looks_like_key(cell: &str) -> Option<&'static str> {
    if let Some((user, domain)) = cell.split_once('@') {
        let email = !user.is_empty() && domain.contains('.') && !cell.contains(char::is_whitespace);
        return email.then_some("email");
    }
    let digits = cell.bytes().filter(u8::is_ascii_digit).count();
    let phone = (7..=15).contains(&digits)
        && cell
            .bytes()
            .all(|b| b.is_ascii_digit() || b" +-().".contains(&b));
    phone.then_some("phone")
}

/// A second or third line of a street, by its normalised header (`Address Line 2`, `Apt.`).
fn further_street_line(n: &str) -> bool {
    matches!(
        n,
        "addressline2"
            | "addressline3"
            | "address2"
            | "address3"
            | "street2"
            | "street3"
            | "streetaddress2"
            | "streetaddress3"
            | "addressstreet2"
            | "apt"
            | "apartment"
            | "suite"
            | "aptsuite"
            | "addr2"
    )
}

/// Mailchimp's `UNSUB_TIME` and `CLEAN_TIME` hold a date, not a yes/no: a member with one
/// unsubscribed or bounced. Users often delete the system columns that identify the preset,
/// and these two must still opt the member out of email, as the preset would.
fn mailchimp_opt_out(header: &str) -> Option<Rule> {
    let what = match normalise(header).as_str() {
        "unsubtime" => "the time the member unsubscribed",
        "cleantime" => "the time Mailchimp cleaned the member (the address bounced)",
        _ => return None,
    };
    let mut rule = Rule::new(Target::Field(Field::DndEmail));
    rule.filled = true;
    rule.note = Some(format!(
        "read as Mailchimp's column ({what}): a row with a value gets email do-not-disturb (dndSettings.Email), as the Mailchimp preset does"
    ));
    Some(rule)
}

/// A list cell's items, split on the column's separator. A tags column split on `,` by
/// default splits a cell without `,` on `;` (`vip;gold`); in a cell with both, an item
/// holding `;` is sent whole and named.
fn split_cell(
    cell: &str,
    sep: &str,
    rule: &Rule,
    column: Option<&str>,
    notes: &mut Vec<RowError>,
) -> Vec<String> {
    // One formula (`=HYPERLINK("…","a"),b`): its commas split nothing; left whole, to be named.
    if rule.target == Target::Field(Field::Tags) && cell_text::is_formula(cell) {
        return vec![cell.to_owned()];
    }
    // An Excel list typed with Alt+Enter: each line, then each line's own separators.
    if rule.split_by_default && sep == "," && cell.contains(['\n', '\r']) {
        return cell
            .split(['\n', '\r'])
            .flat_map(|line| split_cell(line, sep, rule, column, notes))
            .collect();
    }
    if !(rule.split_by_default && sep == "," && cell.contains(';')) {
        return transform::split_list(cell, sep);
    }
    if !cell.contains(',') {
        return transform::split_list(cell, ";");
    }
    let parts = transform::split_list(cell, sep);
    for p in parts.iter().filter(|p| p.contains(';')) {
        notes.push(RowError::formatted(
            column,
            format_args!(
                "tag {p:?} holds ';' but the cell separates its tags with ',': sent as one tag (to split on ';' too, give the column a split in a mapping file)"
            ),
        ));
    }
    parts
}

/// Splits a tags column on the export's own list separator (HubSpot's `;`): one that sets
/// no `split` of its own, or one matched by name (`auto`), whose `,` was only a default.
fn split_tags_on(rule: &mut Rule, separator: Option<&str>, auto: bool) {
    if let (Some(sep), Target::Field(Field::Tags)) = (separator, &rule.target) {
        if auto || rule.split.is_none() {
            rule.split = Some(sep.to_owned());
        }
    }
}

/// A JSON key by its full dotted name (`phone.number`, `company.name`), else by its last
/// part, but only inside an object that holds the contact's own data: HubSpot's
/// `properties.email`, `contact.firstName`, an address's `address.city`, a phone's
/// `phone.value`. Another object's fields are someone else's: `owner.email` must never key
/// the contact (every row without an email would merge into the owner). The last part wins
/// over a `contact.` custom field key only when it names a standard field.
fn auto_rule_nested(key: &str) -> Option<Rule> {
    let Some((prefix, last)) = key.rsplit_once('.') else {
        return auto_rule(key).or_else(|| channel_list(key));
    };
    let full = auto_rule(key);
    let holds = Holds::of(prefix);
    let by_last = || {
        auto_rule(last)
            .or_else(|| channel_list(last))
            .or_else(|| {
                // A phone object's numbers by kind: `{"phone": {"home": …, "work": …}}`.
                let kind = matches!(normalise(last).as_str(), "home" | "work");
                (holds == Holds::Phone && kind).then(|| Rule::new(Target::Field(Field::Phone)))
            })
            .filter(|r| matches!(r.target, Target::Field(f) if holds.allows(f)))
    };
    match full {
        Some(r) if matches!(r.target, Target::CustomField(_)) => by_last().or(Some(r)),
        Some(r) => Some(r),
        None => by_last(),
    }
}

/// Whether a (dotted) JSON key names a field as a run matches it.
pub fn json_key_names_field(key: &str) -> bool {
    auto_rule_nested(key).is_some()
}

/// A JSON key for a contact's list of emails or phones (`emails`, Google's `emailAddresses`
/// and `phoneNumbers`): its first (or primary) item is the email or phone.
fn channel_list(key: &str) -> Option<Rule> {
    let field = match normalise(key).as_str() {
        "emails" | "emailaddresses" => Field::Email,
        "phones" | "phonenumbers" => Field::Phone,
        _ => return None,
    };
    Some(Rule::new(Target::Field(field)))
}

/// What a nested JSON object holds, by its key: which of its fields are the contact's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holds {
    /// The contact itself (`properties`, `contact`, `fields` …).
    Contact,
    Address,
    Phone,
    Email,
    /// Someone or something else (`owner`, `company`, `createdBy`): matched by full name only.
    Other,
}

/// Objects that wrap a whole contact record in exports and APIs (HubSpot's `properties`,
/// Mailchimp's `merge_fields`, generic `data`/`fields`). Not `attributes`: Salesforce's holds the record's type and API url, not the contact's website.
const CONTACT_WRAPPERS: &[&str] = &[
    "properties",
    "contact",
    "person",
    "fields",
    "data",
    "record",
    "values",
    "mergefields",
];

impl Holds {
    fn of(prefix: &str) -> Holds {
        let mut parts = prefix.split('.');
        let Some(last) = parts.next_back() else {
            return Holds::Other;
        };
        if !parts.all(|p| CONTACT_WRAPPERS.contains(&normalise(p).as_str())) {
            return Holds::Other;
        }
        let n = normalise(last);
        match n.as_str() {
            n if CONTACT_WRAPPERS.contains(&n) => Holds::Contact,
            "phone" | "phonenumber" | "mobile" | "mobilephone" | "primaryphone" => Holds::Phone,
            "email" | "emailaddress" | "primaryemail" => Holds::Email,
            n if n.ends_with("address") => Holds::Address,
            _ => Holds::Other,
        }
    }

    fn allows(self, f: Field) -> bool {
        match self {
            Holds::Contact => true,
            Holds::Address => is_address(&Target::Field(f)),
            Holds::Phone => f == Field::Phone,
            Holds::Email => f == Field::Email,
            Holds::Other => false,
        }
    }
}

fn auto_rule(header: &str) -> Option<Rule> {
    if let Some(rule) = mailchimp_opt_out(header) {
        return Some(rule);
    }
    match normalise(header).as_str() {
        // Outlook's and Thunderbird's `Display Name`: the name a row without its own.
        "displayname" => {
            let mut rule = Rule::new(Target::Field(Field::Name));
            rule.display_name = true;
            return Some(rule);
        }
        // Yahoo's `Business Website`: the website when no other column gives one.
        "businesswebsite" => {
            let mut rule = Rule::new(Target::Field(Field::Website));
            rule.fallback = true;
            return Some(rule);
        }
        _ => {}
    }
    let target = detect_target(header)?;
    let mut rule = Rule::new(target);
    let n = normalise(header);
    rule.append = rule.target == Target::Field(Field::Address1)
        && (further_street_line(&n) || further_street_line(unqualified(&n).1));
    rule.split = (rule.target == Target::Field(Field::Tags)).then(|| ",".to_owned());
    rule.split_by_default = rule.split.is_some();
    Some(rule)
}

fn check_duplicates(
    headers: &[String],
    columns: &[Option<Rule>],
    from_spec: &[bool],
    have_spec: bool,
) -> Result<(), MappingError> {
    let mut by_target: Vec<(Target, Vec<usize>)> = Vec::new();
    for (i, rule) in columns.iter().enumerate() {
        let Some(rule) = rule else { continue };
        if !rule.claims() {
            continue;
        }
        match by_target.iter_mut().find(|(t, _)| *t == rule.target) {
            Some((_, v)) => v.push(i),
            None => by_target.push((rule.target.clone(), vec![i])),
        }
    }
    if let Some((target, idx)) = by_target.into_iter().find(|(_, v)| v.len() > 1) {
        let names: Vec<_> = idx.iter().map(|&i| format!("'{}'", headers[i])).collect();
        let auto_ones: Vec<_> = idx
            .iter()
            .filter(|&&i| !from_spec[i])
            .map(|&i| headers[i].clone())
            .collect();
        let hint =
            match auto_ones.last() {
                Some(c) => format!(
                "keep one: in {}, put \"{c}\" = \"ignore\" (or map it elsewhere) under [columns]",
                if have_spec { "the mapping file" } else { "a mapping file (--mapping)" }
            ),
                None => "map only one of them to it in the mapping file".to_owned(),
            };
        return Err(MappingError::DuplicateTarget {
            target: target.to_string(),
            columns: names.join(", "),
            hint,
        });
    }
    Ok(())
}
