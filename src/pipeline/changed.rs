//! `--changed-only`: which rows send nothing new. The import decides it row by row; the
//! pre-pass decides it the same way beforehand, so the estimate (and its daily-budget check)
//! counts only the rows that will be sent.

use std::collections::HashSet;

use super::keys::MatchKeys;
use super::prepare::{contact_keys, match_keys};
use crate::contact::ValidRow;
use crate::state::store::Applied;
use crate::state::{RowHashes, StateError, Store};

/// What `--changed-only` compares of a row, computed where the row is prepared.
#[derive(Debug, Clone)]
pub struct RowChange {
    keys: MatchKeys,
    /// The key whose record decides: the payload holds the email and the phone.
    first_key: Option<String>,
    pub hashes: RowHashes,
}

impl RowChange {
    pub fn of(location: &str, valid: &ValidRow) -> Self {
        RowChange {
            keys: match_keys(location, valid),
            first_key: contact_keys(valid).into_iter().next(),
            hashes: RowHashes::of(valid),
        }
    }

    pub fn keys(&self) -> &MatchKeys {
        &self.keys
    }
}

/// The contact keys sent so far in this run, as hashes: a later row with one of them is never
/// unchanged, since the earlier row changed that contact. A collision only costs a send.
#[derive(Debug, Default)]
pub struct SentKeys(HashSet<u64>);

impl SentKeys {
    pub fn mark(&mut self, keys: &MatchKeys) {
        self.0.extend(keys.as_slice());
    }

    /// What the row's contact last got, when the row would send it nothing new.
    pub fn unchanged(
        &self,
        store: &Store,
        location: &str,
        row: &RowChange,
    ) -> Result<Option<Applied>, StateError> {
        if row.keys.as_slice().iter().any(|k| self.0.contains(k)) {
            return Ok(None);
        }
        let Some(first) = &row.first_key else {
            return Ok(None);
        };
        Ok(store
            .applied(location, first)?
            .filter(|a| row.hashes.unchanged_from(a)))
    }
}
