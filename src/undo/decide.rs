//! What undo does to each contact, decided from the run's records and the contact as it is
//! now. Pure: the calls are made in `run.rs`.
//!
//! "Changed after the run", for a contact the run created: its writable fields or custom
//! fields differ from what the upsert answered (compared by [`fields_hash`]), its tags are not
//! exactly the tags the run added, or its business is not the one the run set (or it has one
//! when the run set none). Such a contact is left alone. For a contact the run updated, the
//! same field comparison decides whether the snapshot's values are written back.

use std::collections::{BTreeSet, HashMap};

use serde_json::{json, Map, Value};

use super::facts::{fields_hash, is_empty, CUSTOM_PREFIX};
use super::report::{UndoOutcome, UndoStatus};
use crate::compare::RemoteContact;
use crate::event::{RowStatus, StepStatus};
use crate::state::undo_log::ImportedRow;

/// One contact the run created or updated, with everything its rows did to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Its first row.
    pub seq: u64,
    pub row: u64,
    pub location: String,
    pub contact_id: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub created: bool,
    /// Tags the add calls reported as new.
    pub tags_added: Vec<String>,
    /// A row added tags but the answer did not say which were new.
    pub tags_unknown: bool,
    /// The business the run set last.
    pub business_set: Option<String>,
    /// `Some(None)`: none before; `None`: unknown (a store written before undo existed).
    pub business_before: Option<Option<String>>,
    pub after_hash: Option<String>,
    pub sent_fields: Vec<String>,
}

impl Item {
    pub fn outcome(&self, status: UndoStatus) -> UndoOutcome {
        UndoOutcome {
            seq: self.seq,
            row: self.row,
            status,
            imported: if self.created { "created" } else { "updated" }.into(),
            contact_id: Some(self.contact_id.clone()),
            location_id: Some(self.location.clone()),
            email: self.email.clone(),
            phone: self.phone.clone(),
            actions: Vec::new(),
            notes: Vec::new(),
            remove_tags: Vec::new(),
            restore_business: None,
        }
    }
}

fn nothing(r: &ImportedRow, note: String) -> UndoOutcome {
    UndoOutcome {
        seq: r.seq,
        row: r.row,
        status: UndoStatus::Nothing,
        imported: r.status.as_str().into(),
        contact_id: r.contact_id.clone(),
        location_id: r.location_id.clone(),
        email: r.email.clone(),
        phone: r.phone.clone(),
        actions: Vec::new(),
        notes: vec![note],
        remove_tags: Vec::new(),
        restore_business: None,
    }
}

/// The run's rows as contacts to take back, and the rows with nothing to take back.
pub fn group(rows: Vec<ImportedRow>) -> (Vec<Item>, Vec<UndoOutcome>) {
    let mut items: Vec<Item> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut nothing_rows = Vec::new();
    for r in rows {
        let (Some(id), Some(loc), RowStatus::Created | RowStatus::Updated) =
            (r.contact_id.clone(), r.location_id.clone(), r.status)
        else {
            nothing_rows.push(nothing(
                &r,
                format!(
                    "the import reported this row {}: nothing to take back",
                    r.status.as_str()
                ),
            ));
            continue;
        };
        let key = (loc.clone(), id.clone());
        let item = match index.get(&key) {
            Some(&i) => {
                let first = items[i].row;
                nothing_rows.push(nothing(
                    &r,
                    format!("same contact as row {first}, taken back there"),
                ));
                &mut items[i]
            }
            None => {
                index.insert(key, items.len());
                items.push(Item {
                    seq: r.seq,
                    row: r.row,
                    location: loc,
                    contact_id: id,
                    email: r.email.clone(),
                    phone: r.phone.clone(),
                    created: false,
                    tags_added: Vec::new(),
                    tags_unknown: false,
                    business_set: None,
                    business_before: r.business_before.clone(),
                    after_hash: None,
                    sent_fields: Vec::new(),
                });
                items.last_mut().expect("just pushed")
            }
        };
        item.created |= r.status == RowStatus::Created;
        // A row whose tags went out in several calls may have some added even if its
        // step as a whole failed: what the calls reported added is taken back.
        match (&r.tags_added, r.tags_status) {
            (Some(tags), _) => {
                for t in tags {
                    if !item.tags_added.contains(t) {
                        item.tags_added.push(t.clone());
                    }
                }
            }
            (None, StepStatus::Done) => item.tags_unknown = true,
            (None, _) => {}
        }
        if r.business_status == StepStatus::Done {
            item.business_set = r.business.clone();
        }
        if r.after_hash.is_some() {
            item.after_hash = r.after_hash.clone();
        }
        for f in r.sent_fields {
            if !item.sent_fields.contains(&f) {
                item.sent_fields.push(f);
            }
        }
    }
    (items, nothing_rows)
}

/// What the run's snapshot says about a contact.
#[derive(Debug, Clone, Copy)]
pub enum Snapshot<'a> {
    /// The import ran without `--snapshot` (for this location).
    NotTaken,
    /// A snapshot was taken but this contact was not in it.
    Missing,
    Contact(&'a Value),
}

/// The calls to make for one contact.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Status, actions and notes so far; the bulk steps in `remove_tags`/`restore_business`.
    pub outcome: UndoOutcome,
    pub delete: bool,
    /// A `PUT /contacts/{id}` body writing fields back.
    pub update: Option<Value>,
}

fn lower_set(tags: &[String]) -> BTreeSet<String> {
    tags.iter().map(|t| t.to_lowercase()).collect()
}

fn business_label(b: &Option<String>) -> String {
    b.as_deref()
        .map_or_else(|| "none".to_owned(), |b| format!("'{b}'"))
}

/// Fields `PUT /contacts/{id}` (`UpdateContactDto`) cannot write.
const NOT_UPDATABLE: [&str; 2] = ["gender", "companyName"];

pub fn decide(
    item: &Item,
    current: Option<&Value>,
    snapshot: Snapshot<'_>,
    dry_run: bool,
) -> Decision {
    let Some(contact) = current.and_then(RemoteContact::from_json) else {
        let mut o = item.outcome(UndoStatus::Gone);
        o.notes.push("the contact no longer exists".into());
        return Decision {
            outcome: o,
            delete: false,
            update: None,
        };
    };
    if item.created {
        decide_created(item, &contact, dry_run)
    } else {
        decide_updated(item, &contact, snapshot, dry_run)
    }
}

fn decide_created(item: &Item, c: &RemoteContact, dry_run: bool) -> Decision {
    let mut changed = Vec::new();
    if item
        .after_hash
        .as_ref()
        .is_some_and(|h| *h != fields_hash(c))
    {
        changed.push("its fields".to_owned());
    }
    if !item.tags_unknown && lower_set(&c.tags) != lower_set(&item.tags_added) {
        changed.push(format!("its tags (now: {})", c.tags.join(", ")));
    }
    if c.business_id != item.business_set {
        changed.push(format!(
            "its business (now {})",
            business_label(&c.business_id)
        ));
    }
    if !changed.is_empty() {
        let mut o = item.outcome(UndoStatus::Left);
        o.notes.push(format!(
            "created by the run but changed after it ({}): left alone",
            changed.join(", ")
        ));
        return Decision {
            outcome: o,
            delete: false,
            update: None,
        };
    }
    let mut o = item.outcome(if dry_run {
        UndoStatus::Delete
    } else {
        UndoStatus::Deleted
    });
    o.actions.push("delete the contact the run created".into());
    Decision {
        outcome: o,
        delete: true,
        update: None,
    }
}

fn decide_updated(
    item: &Item,
    c: &RemoteContact,
    snapshot: Snapshot<'_>,
    dry_run: bool,
) -> Decision {
    let mut o = item.outcome(if dry_run {
        UndoStatus::Restore
    } else {
        UndoStatus::Restored
    });
    // Tags: exactly those the add calls reported as new, if the contact still has them.
    if item.tags_unknown {
        o.notes
            .push("the tag call did not report which tags were new: tags not removed".into());
    }
    let have = lower_set(&c.tags);
    o.remove_tags = item
        .tags_added
        .iter()
        .filter(|t| have.contains(&t.to_lowercase()))
        .cloned()
        .collect();
    if !o.remove_tags.is_empty() {
        o.actions
            .push(format!("remove tags {}", o.remove_tags.join(", ")));
    }
    // Business: back to the one before, unless it changed after the run.
    if let Some(set) = &item.business_set {
        let now = &c.business_id;
        match &item.business_before {
            _ if now.as_ref() != Some(set) => {
                if item.business_before.as_ref() != Some(now) {
                    o.notes.push(format!(
                        "business changed after the run (now {}): left",
                        business_label(now)
                    ));
                }
            }
            None => o.notes.push(
                "the business before the run was not recorded (an older ghl-import ran it): left"
                    .into(),
            ),
            Some(before) if before.as_ref() == Some(set) => {}
            Some(before) => {
                o.actions
                    .push(format!("set business back to {}", business_label(before)));
                o.restore_business = Some(before.clone());
            }
        }
    }
    let update = restore_fields(item, c, snapshot, &mut o);
    if !o.notes.is_empty() {
        o.status = UndoStatus::Partial;
    }
    Decision {
        outcome: o,
        delete: false,
        update,
    }
}

/// The `PUT` body that writes the snapshot's values back over the fields the run sent.
fn restore_fields(
    item: &Item,
    c: &RemoteContact,
    snapshot: Snapshot<'_>,
    o: &mut UndoOutcome,
) -> Option<Value> {
    if item.sent_fields.is_empty() {
        return None;
    }
    let names = || item.sent_fields.join(", ");
    let before = match snapshot {
        Snapshot::NotTaken => {
            o.notes.push(format!(
                "fields the run overwrote cannot be restored without --snapshot: {}",
                names()
            ));
            return None;
        }
        Snapshot::Missing => {
            o.notes.push(format!(
                "the contact is not in the run's snapshot; fields not restored: {}",
                names()
            ));
            return None;
        }
        Snapshot::Contact(v) => RemoteContact::from_json(v).unwrap_or_default(),
    };
    let mut body = Map::new();
    let mut custom = Vec::new();
    let mut restored = Vec::new();
    let mut unrestorable = Vec::new();
    for f in &item.sent_fields {
        if let Some(id) = f.strip_prefix(CUSTOM_PREFIX) {
            let was = before.custom_fields.get(id).filter(|v| !is_empty(v));
            let now = c.custom_fields.get(id).filter(|v| !is_empty(v));
            if was != now {
                custom.push(json!({"id": id, "field_value": was.cloned().unwrap_or(Value::Null)}));
                restored.push(f.clone());
            }
            continue;
        }
        let was = before.fields.get(f.as_str());
        if was == c.fields.get(f.as_str()) {
            continue;
        }
        if NOT_UPDATABLE.contains(&f.as_str()) {
            unrestorable.push(f.clone());
            continue;
        }
        let value = match (f.as_str(), was) {
            (_, None) => Value::Null,
            ("dnd", Some(v)) => Value::Bool(v == "true"),
            (_, Some(v)) => Value::String(v.clone()),
        };
        body.insert(f.clone(), value);
        restored.push(f.clone());
    }
    if !unrestorable.is_empty() {
        o.notes.push(format!(
            "the API's contact update (PUT /contacts/{{id}}) cannot write {}: not restored",
            unrestorable.join(", ")
        ));
    }
    if restored.is_empty() {
        return None;
    }
    if item
        .after_hash
        .as_ref()
        .is_some_and(|h| *h != fields_hash(c))
    {
        o.notes.push(format!(
            "fields changed after the run: not restored: {}",
            restored.join(", ")
        ));
        return None;
    }
    o.actions.push(format!("restore {}", restored.join(", ")));
    if !custom.is_empty() {
        body.insert("customFields".into(), Value::Array(custom));
    }
    Some(Value::Object(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(created: bool) -> Item {
        Item {
            seq: 0,
            row: 2,
            location: "L".into(),
            contact_id: "C".into(),
            email: None,
            phone: None,
            created,
            tags_added: vec!["new".into()],
            tags_unknown: false,
            business_set: Some("b2".into()),
            business_before: Some(Some("b1".into())),
            after_hash: None,
            sent_fields: vec!["firstName".into(), "city".into(), "companyName".into()],
        }
    }

    #[test]
    fn a_created_contact_is_deleted_unless_it_changed() {
        let mut it = item(true);
        let after = json!({"id": "C", "firstName": "Ann", "tags": ["new"], "businessId": "b2"});
        it.after_hash = Some(fields_hash(&RemoteContact::from_json(&after).unwrap()));
        let d = decide(&it, Some(&after), Snapshot::NotTaken, false);
        assert!(d.delete);
        assert_eq!(d.outcome.status, UndoStatus::Deleted);
        let edited = json!({"id": "C", "firstName": "Anne", "tags": ["new"], "businessId": "b2"});
        let d = decide(&it, Some(&edited), Snapshot::NotTaken, false);
        assert!(!d.delete);
        assert_eq!(d.outcome.status, UndoStatus::Left);
        let tagged =
            json!({"id": "C", "firstName": "Ann", "tags": ["new", "vip"], "businessId": "b2"});
        assert_eq!(
            decide(&it, Some(&tagged), Snapshot::NotTaken, true)
                .outcome
                .status,
            UndoStatus::Left
        );
        assert_eq!(
            decide(&it, None, Snapshot::NotTaken, false).outcome.status,
            UndoStatus::Gone
        );
    }

    #[test]
    fn an_updated_contact_gets_its_fields_tags_and_business_back() {
        let it = item(false);
        let now = json!({"id": "C", "firstName": "Ann", "city": "Rome", "companyName": "New",
                         "tags": ["old", "new"], "businessId": "b2"});
        let before = json!({"id": "C", "firstName": "Ann", "companyName": "Old",
                            "tags": ["old"], "businessId": "b1"});
        let d = decide(&it, Some(&now), Snapshot::Contact(&before), false);
        assert_eq!(d.outcome.remove_tags, ["new"]);
        assert_eq!(d.outcome.restore_business, Some(Some("b1".into())));
        assert_eq!(d.update, Some(json!({"city": null})));
        assert_eq!(
            d.outcome.status,
            UndoStatus::Partial,
            "companyName cannot be written back"
        );
        assert!(d.outcome.notes[0].contains("companyName"));

        let d = decide(&it, Some(&now), Snapshot::NotTaken, false);
        assert_eq!(d.update, None);
        assert!(d.outcome.notes[0].contains("without --snapshot: firstName, city, companyName"));
    }

    #[test]
    fn tags_some_calls_added_are_taken_back_even_if_the_rows_tags_step_failed() {
        let row = |seq: u64, tags_status, tags_added: Option<Vec<String>>| ImportedRow {
            seq,
            row: seq + 2,
            status: RowStatus::Updated,
            contact_id: Some(format!("C{seq}")),
            location_id: Some("L".into()),
            email: None,
            phone: None,
            business_status: StepStatus::None,
            business: None,
            business_before: None,
            tags_added,
            tags_status,
            after_hash: None,
            sent_fields: Vec::new(),
        };
        let (items, _) = group(vec![
            // Tag a's call added it, tag b's call failed.
            row(0, StepStatus::Failed, Some(vec!["a".into()])),
            // Nothing reported added and the step failed: nothing to take back.
            row(1, StepStatus::Failed, None),
            row(2, StepStatus::Done, None),
        ]);
        assert_eq!(items[0].tags_added, ["a"]);
        assert!(!items[0].tags_unknown);
        assert!(items[1].tags_added.is_empty() && !items[1].tags_unknown);
        assert!(
            items[2].tags_unknown,
            "done, but the answer did not say which"
        );
    }
}
