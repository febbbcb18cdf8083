//! What an import records for undo from each upsert's answer, and how undo tells a contact
//! that changed after the run.

use sha2::{Digest, Sha256};

use crate::compare::{sent_fields, RemoteContact};
use crate::contact::ValidRow;
use crate::state::undo_log::UndoFacts;

/// A custom field in `sent_fields`: `cf:<id>` (or `cf:<key>` when its id was not resolved).
pub const CUSTOM_PREFIX: &str = "cf:";

/// A hash of a contact's writable fields and custom fields (not tags, business or dates):
/// equal before and after only if none of them changed.
pub fn fields_hash(c: &RemoteContact) -> String {
    let mut h = Sha256::new();
    for (k, v) in &c.fields {
        h.update(k.as_bytes());
        h.update([0x1f]);
        h.update(v.as_bytes());
        h.update([0x1e]);
    }
    h.update([0x1d]);
    for (k, v) in c.custom_fields.iter().filter(|(_, v)| !is_empty(v)) {
        h.update(k.as_bytes());
        h.update([0x1f]);
        h.update(v.to_string().as_bytes());
        h.update([0x1e]);
    }
    crate::state::store::hex(&h.finalize()[..16])
}

/// A custom field value that shows nothing (HighLevel lists cleared fields as such).
pub fn is_empty(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Null => true,
        serde_json::Value::String(s) => s.is_empty(),
        serde_json::Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// The facts of one upsert: `returned` is the contact its answer showed (`None` when the
/// answer did not show the whole contact).
pub fn from_upsert(valid: &ValidRow, returned: Option<&RemoteContact>, created: bool) -> UndoFacts {
    let mut sent: Vec<String> = sent_fields(&valid.contact)
        .into_iter()
        .map(|(f, _)| f.api_name().to_owned())
        .collect();
    for cf in &valid.contact.custom_fields {
        if let Some(id) = cf.id.as_ref().or(cf.key.as_ref()) {
            sent.push(format!("{CUSTOM_PREFIX}{id}"));
        }
    }
    UndoFacts {
        // The upsert writes no business, so its answer shows the business before this run's
        // bulk call; a new contact had none.
        business_before: if created {
            Some(None)
        } else {
            returned.map(|c| c.business_id.clone())
        },
        after_hash: returned.map(fields_hash),
        sent_fields: sent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_hash_sees_fields_and_custom_fields_but_not_tags_or_dates() {
        let a = RemoteContact::from_json(&json!({"id": "c", "firstName": "Ann", "tags": ["x"],
            "dateUpdated": "1", "customFields": [{"id": "f", "value": "v"}]}))
        .unwrap();
        let b = RemoteContact::from_json(&json!({"id": "c", "firstName": "Ann", "tags": [],
            "dateUpdated": "2", "customFields": [{"id": "f", "value": "v"}, {"id": "g", "value": ""}]}))
        .unwrap();
        assert_eq!(fields_hash(&a), fields_hash(&b));
        let c = RemoteContact::from_json(&json!({"id": "c", "firstName": "Anne",
            "customFields": [{"id": "f", "value": "v"}]}))
        .unwrap();
        assert_ne!(fields_hash(&a), fields_hash(&c));
        let d = RemoteContact::from_json(&json!({"id": "c", "firstName": "Ann",
            "customFields": [{"id": "f", "value": "w"}]}))
        .unwrap();
        assert_ne!(fields_hash(&a), fields_hash(&d));
    }
}
