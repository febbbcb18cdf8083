//! The report lines the run writes for valid rows: one constructor per way a row can end
//! before or without its upsert.

use tokio::sync::watch;

use super::stop::{set_stop, stop_reason, Stop};
use crate::api::ApiError;
use crate::contact::ValidRow;
use crate::event::{RawRecord, RowOutcome, RowStatus};

/// A valid row's line: its keys, location and the warnings validation left on it.
pub(super) fn outcome(
    seq: u64,
    row: u64,
    status: RowStatus,
    valid: &ValidRow,
    location: Option<&str>,
) -> RowOutcome {
    let c = &valid.contact;
    let keys = (c.email.clone(), c.phone.clone(), valid.warnings.clone());
    with_keys(RowOutcome::new(seq, row, status), keys, location)
}

/// [`outcome`] for a row that is not needed afterwards (a dry run's): its keys and warnings
/// are moved, not copied.
pub(super) fn outcome_moved(
    seq: u64,
    row: u64,
    status: RowStatus,
    valid: &mut ValidRow,
    location: Option<&str>,
) -> RowOutcome {
    let c = &mut valid.contact;
    let keys = (
        c.email.take(),
        c.phone.take(),
        std::mem::take(&mut valid.warnings),
    );
    with_keys(RowOutcome::new(seq, row, status), keys, location)
}

/// The row's keys, its warnings (cells left out of the body, notes on values sent) and its
/// location.
fn with_keys(
    mut o: RowOutcome,
    (email, phone, warnings): (Option<String>, Option<String>, Vec<String>),
    location: Option<&str>,
) -> RowOutcome {
    o.email = email;
    o.phone = phone;
    o.warnings = warnings;
    o.location_id = location.map(str::to_owned);
    o
}

/// A value the location's custom field refuses.
pub(super) fn invalid_custom(
    seq: u64,
    row: u64,
    valid: &ValidRow,
    location: Option<&str>,
    errors: Vec<String>,
    raw: Option<Box<RawRecord>>,
) -> RowOutcome {
    let mut o = outcome(seq, row, RowStatus::Invalid, valid, location);
    o.errors = errors;
    o.raw = raw;
    o
}

/// Not attempted: the run is stopping, or the row's location cannot be used.
pub(super) fn deferred(
    seq: u64,
    row: u64,
    valid: &ValidRow,
    location: Option<&str>,
    reason: String,
) -> RowOutcome {
    outcome(seq, row, RowStatus::Deferred, valid, location).with_error(format!(
        "not attempted: {reason}; run the import again to send it"
    ))
}

/// A `plan` verdict as a report line; a location whose contacts could not be read gets its
/// rows `deferred` when the run stops (401/403, daily limit, interrupt), else `failed`.
pub(super) fn planned(
    judged: Result<crate::compare::Verdict, ApiError>,
    seq: u64,
    row: u64,
    valid: &ValidRow,
    location: &str,
    stop_tx: &watch::Sender<Option<Stop>>,
) -> RowOutcome {
    match judged {
        Ok(v) => {
            let mut o = outcome(seq, row, v.status, valid, Some(location));
            o.contact_id = v.contact_id;
            o.changes = v.changes;
            o.warnings.extend(v.warnings);
            o
        }
        Err(ApiError::Cancelled) => {
            let reason = stop_reason(stop_tx, || "the run is stopping".into());
            deferred(seq, row, valid, Some(location), reason)
        }
        Err(e @ ApiError::LocationFailed { .. }) => {
            deferred(seq, row, valid, Some(location), e.to_string())
        }
        Err(e) => match Stop::for_error(&e) {
            Some(stop) => {
                set_stop(stop_tx, stop);
                deferred(seq, row, valid, Some(location), e.to_string())
            }
            None => outcome(seq, row, RowStatus::Failed, valid, Some(location)).with_error(
                format!("could not read the contacts of location {location}: {e}"),
            ),
        },
    }
}
