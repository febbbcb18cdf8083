//! Custom field values checked against the location's definitions before a row is sent (or,
//! in `validate` with a token, instead of sending it). Definitions are read once per
//! location, and only when a row has custom fields.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::api::{ApiError, Client};
use crate::contact::ValidRow;
use crate::event::{Endpoint, Event};
use crate::validation::custom_fields::{CustomFieldSet, CustomFieldsResponse};
use crate::validation::ColumnHints;

pub enum Checked {
    /// Sendable; the values that did not fit (if any) were left out and named in the row's
    /// warnings.
    Fine,
    /// `strict`: the row breaks its location's custom fields: one message per problem.
    Invalid(Vec<String>),
    /// Reading the definitions hit an error that stops the run.
    Fatal(ApiError),
    /// The row's location is skipped (its token is missing or refused): the reason.
    Skipped(String),
}

pub struct FieldChecks {
    client: Option<Arc<Client>>,
    events: mpsc::Sender<Event>,
    /// `None`: the definitions could not be read; values go unchecked.
    sets: HashMap<String, Option<Arc<CustomFieldSet>>>,
    told_unchecked: bool,
    /// Check every location once before its first row (per-location credentials): the
    /// custom fields read doubles as the check that its token works.
    pub preflight: bool,
    scope_checked: std::collections::HashSet<String>,
    /// A value that does not fit rejects the row instead of being left out.
    strict: bool,
    orders: ColumnHints,
}

impl FieldChecks {
    /// A row nothing in [`FieldChecks::check`] looks at once the location's preflight is
    /// done: an offline dry run reports such rows without the check loop.
    pub(super) fn nothing_to_check(valid: &ValidRow) -> bool {
        valid.contact.custom_fields.is_empty()
    }

    pub fn new(client: Option<Arc<Client>>, events: mpsc::Sender<Event>) -> Self {
        FieldChecks {
            client,
            events,
            sets: HashMap::new(),
            told_unchecked: false,
            preflight: false,
            scope_checked: Default::default(),
            strict: false,
            orders: ColumnHints::default(),
        }
    }

    /// The run's policy for values that do not fit, and its columns' date orders.
    pub fn with_policy(mut self, strict: bool, orders: ColumnHints) -> Self {
        self.strict = strict;
        self.orders = orders;
        self
    }

    /// Definitions already read (for matching columns to them), so they are not read again.
    pub fn seed(&mut self, location: &str, set: Arc<CustomFieldSet>) {
        self.sets.insert(location.to_owned(), Some(set));
    }

    async fn notice(&self, message: String) {
        let _ = self.events.send(Event::Notice { message }).await;
    }

    pub async fn check(&mut self, location: Option<&str>, valid: &mut ValidRow) -> Checked {
        if let (true, Some(client), Some(loc)) = (self.preflight, self.client.clone(), location) {
            if !self.sets.contains_key(loc) {
                if let Err(reason) = self.load(&client, loc).await {
                    return reason;
                }
            }
            // Once per location, also when the matching of columns already read its fields.
            if self.scope_checked.insert(loc.to_owned()) {
                if let Err(e) = client.check_write_scope(loc).await {
                    return Checked::Skipped(e.to_string());
                }
            }
            if let Some(reason) = client.location_failure(loc) {
                return Checked::Skipped(format!("location {loc} is skipped: {reason}"));
            }
        }
        if Self::nothing_to_check(valid) {
            return Checked::Fine;
        }
        let (Some(client), Some(location)) = (self.client.clone(), location) else {
            if !self.told_unchecked {
                self.told_unchecked = true;
                self.notice(
                    "custom field values were not checked against the location's fields (that needs GHL_TOKEN and --location); only their mapping was checked".into(),
                )
                .await;
            }
            return Checked::Fine;
        };
        if !self.sets.contains_key(location) {
            if let Err(c) = self.load(&client, location).await {
                return c;
            }
        }
        match self.sets.get(location).cloned().flatten() {
            Some(set) => {
                let problems = set.check(&mut valid.contact.custom_fields, &self.orders);
                let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
                if self.strict && !problems.is_empty() {
                    Checked::Invalid(problems)
                } else {
                    valid.warnings.extend(problems);
                    Checked::Fine
                }
            }
            None => Checked::Fine,
        }
    }

    /// Reads the location's custom field definitions once.
    async fn load(&mut self, client: &Client, location: &str) -> Result<(), Checked> {
        let path = format!("/locations/{location}/customFields?model=contact");
        let set = match client
            .get_json::<CustomFieldsResponse>(Endpoint::CustomFields, location, &path)
            .await
        {
            Ok(r) => Some(Arc::new(CustomFieldSet::new(r.custom_fields))),
            Err(e) if e.is_fatal() => return Err(Checked::Fatal(e)),
            Err(e @ ApiError::LocationFailed { .. }) => {
                self.sets.insert(location.to_owned(), None);
                return Err(Checked::Skipped(e.to_string()));
            }
            Err(e) => {
                self.notice(format!(
                    "could not read the custom fields of location {location} ({e}); their values are sent unchecked"
                ))
                .await;
                None
            }
        };
        self.sets.insert(location.to_owned(), set);
        Ok(())
    }
}
