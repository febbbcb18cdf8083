//! The one classifier: read → map → validate. The dry run, `validate` and the import all call
//! it, so a dry run can never disagree with the import about a row.

use crate::contact::ValidRow;
use crate::event::{RowOutcome, RowStatus, StepStatus};
use crate::input::Record;
use crate::mapping::Mapper;
use crate::validation::{Validated, Validator};

/// A row after mapping and validation.
#[derive(Debug, Clone)]
pub enum Prepared {
    Valid {
        seq: u64,
        row: u64,
        location: Option<String>,
        valid: Box<ValidRow>,
    },
    Invalid(RowOutcome),
}

pub struct Preparer {
    pub mapper: Mapper,
    pub validator: Validator,
    /// `--location`; a row's own `locationId` wins.
    pub default_location: Option<String>,
    /// An import needs a location for every row; a dry run without one does not check it.
    pub require_location: bool,
}

impl Preparer {
    pub fn prepare(&self, record: &Record) -> Prepared {
        let (seq, row) = (record.seq, record.row);
        let mapped = self.mapper.map(record);
        match self.validator.validate(mapped) {
            Validated::Valid(valid) => {
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
                        ..invalid(seq, row)
                    });
                }
                Prepared::Valid {
                    seq,
                    row,
                    location,
                    valid: Box::new(valid),
                }
            }
            Validated::Invalid {
                errors,
                email,
                phone,
            } => Prepared::Invalid(RowOutcome {
                errors: errors.iter().map(ToString::to_string).collect(),
                email,
                phone,
                ..invalid(seq, row)
            }),
        }
    }
}

fn invalid(seq: u64, row: u64) -> RowOutcome {
    RowOutcome {
        seq,
        row,
        status: RowStatus::Invalid,
        contact_id: None,
        email: None,
        phone: None,
        location_id: None,
        tags_status: StepStatus::None,
        business_status: StepStatus::None,
        errors: Vec::new(),
    }
}

/// The keys HighLevel matches a contact by, scoped to the location.
pub fn match_keys(location: &str, valid: &ValidRow) -> Vec<String> {
    let mut keys = Vec::with_capacity(2);
    if let Some(e) = &valid.contact.email {
        keys.push(format!("{location}\u{1f}e:{}", e.to_lowercase()));
    }
    if let Some(p) = &valid.contact.phone {
        keys.push(format!("{location}\u{1f}p:{p}"));
    }
    keys
}
