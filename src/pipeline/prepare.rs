//! The one classifier: read → map → validate. The dry run, `validate` and the import all call
//! it, so a dry run can never disagree with the import about a row.

use super::fields::FieldChecks;
use super::keys::MatchKeys;
use super::outcomes::outcome_moved;
use super::shared_keys::Probe;
use crate::contact::{Field, RowError, ValidRow};
use std::sync::Arc;

use crate::event::{RawRecord, RowOutcome, RowStatus};
use crate::input::{Record, RecordValues};
use crate::mapping::{MappedRow, Mapper, MappingError, RawValue, Target};
use crate::validation::custom_fields::CustomFieldSet;
use crate::validation::{Validated, Validator};

/// A row after mapping and validation.
#[derive(Debug, Clone)]
pub enum Prepared {
    Valid {
        seq: u64,
        row: u64,
        location: Option<String>,
        valid: Box<ValidRow>,
        /// Kept (with `--rejects`) only while a later check could still reject the row.
        raw: Option<Box<RawRecord>>,
    },
    /// Final as it is: not to be sent (invalid, or skipped on purpose), or an offline dry
    /// run's valid row with nothing left to check.
    Invalid(RowOutcome),
}

pub struct Preparer {
    pub mapper: Mapper,
    pub validator: Validator,
    /// `--location`; a row's own `locationId` wins.
    pub default_location: Option<String>,
    /// An import needs a location for every row; a dry run without one does not check it.
    pub require_location: bool,
    /// Keep invalid rows as read, for `--rejects`.
    pub keep_raw: bool,
    /// CSV headers, shared by every kept row.
    pub headers: Option<Arc<[String]>>,
    /// Custom field types the mapping file declares: checked here, offline.
    pub declared: CustomFieldSet,
}

impl Preparer {
    pub fn prepare(&self, record: &Record) -> Prepared {
        self.prepare_as(record, false, None)
    }

    /// [`Preparer::prepare`], and what a valid row brings to the check for rows sharing a
    /// key ([`SharedKeys`]). `offline`: for an offline dry run, where a valid row without
    /// custom fields has nothing left to check, so its report line is made here, on the worker
    /// that built the row (and frees it), without boxing the row for the check loop. Rows
    /// with custom fields still go there (it tells once that their values were not checked
    /// online).
    ///
    /// [`SharedKeys`]: super::shared_keys::SharedKeys
    pub(super) fn prepare_probed(
        &self,
        record: &Record,
        offline: bool,
    ) -> (Prepared, Option<Probe>) {
        let mut probe = None;
        let p = self.prepare_as(record, offline, Some(&mut probe));
        (p, probe)
    }

    fn prepare_as(
        &self,
        record: &Record,
        offline: bool,
        probe: Option<&mut Option<Probe>>,
    ) -> Prepared {
        let (seq, row) = (record.seq, record.row);
        let mapped = self.mapper.map(record);
        if let Some(reason) = self.mapper.skip_reason(record) {
            return Prepared::Invalid(skipped(seq, row, &mapped, reason));
        }
        match self.validator.validate(mapped) {
            Validated::Valid(mut valid) => {
                if !self.declared.is_empty() && !valid.contact.custom_fields.is_empty() {
                    let orders = self.validator.date_orders();
                    let problems = self
                        .declared
                        .check_known(&mut valid.contact.custom_fields, orders);
                    let problems = problems.iter().map(ToString::to_string);
                    if self.validator.strict() {
                        let errors: Vec<String> = problems.collect();
                        if !errors.is_empty() {
                            return Prepared::Invalid(RowOutcome {
                                errors,
                                email: valid.contact.email.clone(),
                                phone: valid.contact.phone.clone(),
                                raw: self.raw(record),
                                ..invalid(seq, row)
                            });
                        }
                    } else {
                        valid.warnings.extend(problems);
                    }
                }
                let location = valid
                    .location_id
                    .clone()
                    .or_else(|| self.default_location.clone());
                if location.is_none() && self.require_location {
                    return Prepared::Invalid(RowOutcome {
                        errors: vec![
                            "no location: the row has no locationId and --location is not set"
                                .into(),
                        ],
                        email: valid.contact.email.clone(),
                        phone: valid.contact.phone.clone(),
                        raw: self.raw(record),
                        ..invalid(seq, row)
                    });
                }
                if let Some(p) = probe {
                    *p = Probe::of(location.as_deref(), &valid);
                }
                if offline && FieldChecks::nothing_to_check(&valid) {
                    return Prepared::Invalid(outcome_moved(
                        seq,
                        row,
                        RowStatus::Valid,
                        &mut valid,
                        location.as_deref(),
                    ));
                }
                // Only custom field values can still be rejected later (online, strict).
                let raw = if valid.contact.custom_fields.is_empty() || !self.validator.strict() {
                    None
                } else {
                    self.raw(record)
                };
                Prepared::Valid {
                    seq,
                    row,
                    location,
                    valid: Box::new(valid),
                    raw,
                }
            }
            Validated::Invalid {
                errors,
                email,
                phone,
            } => Prepared::Invalid(RowOutcome {
                errors: errors.into_iter().map(RowError::into_line).collect(),
                email,
                phone,
                raw: self.raw(record),
                ..invalid(seq, row)
            }),
        }
    }

    /// The same preparer for another worker thread (see [`Mapper::fork`]).
    pub fn fork(&self) -> Preparer {
        Preparer {
            mapper: self.mapper.fork(),
            validator: self.validator.clone(),
            default_location: self.default_location.clone(),
            require_location: self.require_location,
            keep_raw: self.keep_raw,
            headers: self.headers.clone(),
            declared: self.declared.clone(),
        }
    }

    fn raw(&self, record: &Record) -> Option<Box<RawRecord>> {
        self.keep_raw.then(|| {
            Box::new(match &record.values {
                RecordValues::Cells(cells) => RawRecord::Cells {
                    headers: self
                        .headers
                        .clone()
                        .unwrap_or_else(|| Arc::from(Vec::new())),
                    cells: cells.to_vec(),
                },
                RecordValues::Object(o) => {
                    // Values left out as unreadable go back in as far as they read, so the
                    // rejects file shows what to fix (a repeated key's first value stays).
                    let mut map = o.map.clone();
                    for (key, value, _) in &o.unreadable {
                        map.entry(key.clone()).or_insert_with(|| value.clone());
                    }
                    RawRecord::Object(map)
                }
                RecordValues::Unreadable { .. } | RecordValues::Footer { .. } => {
                    RawRecord::Unreadable {
                        headers: self.headers.clone(),
                    }
                }
            })
        })
    }
}

/// A row the source marks as not wanted: never sent, reported with the reason.
fn skipped(seq: u64, row: u64, mapped: &MappedRow<'_>, reason: String) -> RowOutcome {
    let raw = |f: Field| {
        mapped
            .values
            .iter()
            .find_map(|v| match (&v.target, &v.value) {
                (Target::Field(t), RawValue::Text(s)) if *t == f => Some(s.trim().to_owned()),
                _ => None,
            })
    };
    RowOutcome {
        status: RowStatus::Skipped,
        email: raw(Field::Email),
        phone: raw(Field::Phone),
        warnings: vec![reason],
        ..invalid(seq, row)
    }
}

fn invalid(seq: u64, row: u64) -> RowOutcome {
    RowOutcome::new(seq, row, RowStatus::Invalid)
}

/// The keys HighLevel matches a contact by (`e:<email>`, `p:<phone>`), within a location.
pub fn contact_keys(valid: &ValidRow) -> Vec<String> {
    let mut keys = Vec::with_capacity(2);
    if let Some(e) = &valid.contact.email {
        keys.push(format!("e:{}", e.to_lowercase()));
    }
    if let Some(p) = &valid.contact.phone {
        keys.push(format!("p:{p}"));
    }
    keys
}

/// The keys HighLevel matches a contact by, scoped to the location, as [`contact_keys`]
/// spells them but hashed: no `String` is made unless the email is not ASCII (an ASCII one,
/// capitals and all, is lowercased on the stack: most exports keep `Ann.Lee@…` as typed).
pub fn match_keys(location: &str, valid: &ValidRow) -> MatchKeys {
    let mut keys = MatchKeys::default();
    if let Some(e) = &valid.contact.email {
        let mut lower = [0u8; 256];
        if !e.is_ascii() || e.len() > lower.len() {
            keys.push(location, b'e', e.to_lowercase().as_bytes());
        } else if e.bytes().any(|b| b.is_ascii_uppercase()) {
            let lower = &mut lower[..e.len()];
            lower.copy_from_slice(e.as_bytes());
            lower.make_ascii_lowercase();
            keys.push(location, b'e', lower);
        } else {
            keys.push(location, b'e', e.as_bytes());
        }
    }
    if let Some(p) = &valid.contact.phone {
        keys.push(location, b'p', p.as_bytes());
    }
    keys
}

/// The mapping file's `[constants]` the checks would leave out of every row (`website = "not
/// a site"`): the same on every row, so refused once before anything is read or sent.
pub fn check_constants(mapper: &Mapper, validator: &Validator) -> Result<(), MappingError> {
    let probe = Record {
        seq: 0,
        row: 0,
        values: RecordValues::Footer {
            reason: String::new(),
        },
    };
    let mapped = mapper.map(&probe);
    if mapped.values.is_empty() {
        return Ok(());
    }
    let problems: Vec<String> = match validator.validate(mapped) {
        Validated::Valid(v) => v.warnings,
        Validated::Invalid { errors, .. } => errors.into_iter().map(|e| e.into_line()).collect(),
    };
    let left_out: Vec<String> = problems
        .into_iter()
        .filter(|p| p.contains(" left out: "))
        .collect();
    if left_out.is_empty() {
        return Ok(());
    }
    Err(MappingError::Invalid {
        file: mapper.spec_name().unwrap_or("(mapping)").to_owned(),
        line: None,
        key: "[constants]".into(),
        message: format!(
            "{}; every row would go without it: fix the value or remove it",
            left_out.join("; ")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(email: Option<&str>, phone: Option<&str>) -> ValidRow {
        let mut v = ValidRow::default();
        v.contact.email = email.map(str::to_owned);
        v.contact.phone = phone.map(str::to_owned);
        v
    }

    /// Rows share a match key exactly when their `contact_keys` (lower-cased emails) meet.
    #[test]
    fn match_keys_meet_where_contact_keys_do() {
        let keys = |loc, e, p| match_keys(loc, &row(e, p));
        let a = keys("L", Some("ann@x.com"), Some("+15551230000"));
        assert_eq!(a.as_slice().len(), 2);
        assert_eq!(a, keys("L", Some("Ann@X.com"), Some("+15551230000")));
        // U+212A KELVIN SIGN lower-cases to an ASCII `k`: the slow path meets the fast one.
        assert_eq!(
            keys("L", Some("k@x.com"), None),
            keys("L", Some("\u{212a}@x.com"), None)
        );
        assert_eq!(
            keys("L", Some("ÉMILE@x.com"), None),
            keys("L", Some("émile@x.com"), None)
        );
        // Past the stack buffer: the same key as its lowercase spelling.
        let long = format!("{}@X.com", "Ab".repeat(200));
        let long_lower = long.to_lowercase();
        assert_eq!(
            keys("L", Some(&long), None),
            keys("L", Some(&long_lower), None)
        );
        assert_ne!(
            keys("L", Some(&long), None),
            keys("L", Some("ab@x.com"), None)
        );
        let phone_only = keys("L", None, Some("+15551230000"));
        assert_eq!(phone_only.as_slice(), &a.as_slice()[1..]);
        // Another location, or the phone's digits as an email, is another key.
        assert_ne!(a, keys("M", Some("ann@x.com"), Some("+15551230000")));
        assert_ne!(
            keys("L", Some("+15551230000"), None).as_slice(),
            phone_only.as_slice()
        );
        assert!(keys("L", None, None).as_slice().is_empty());
    }
}
