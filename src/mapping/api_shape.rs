//! JSON records shaped like another CRM's API dump (Mailchimp's list members, Pipedrive's
//! persons). Their opt-out sits under a key too generic to read that way in any file
//! (Mailchimp's `status`), so the record's shape is recognised first, by keys only that API
//! writes, and only then are those keys read as the CSV presets read the export's columns:
//! an unsubscribed or cleaned member must not arrive as a contact that can be emailed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::{Rule, Target};
use crate::contact::Field;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ApiShape {
    /// `GET /lists/{id}/members`: `email_address`, `status`, `merge_fields`, `tags` [{id,name}].
    Mailchimp,
    /// `GET /v1/persons`: `marketing_status`, `email`/`phone` [{value,primary,label}],
    /// `org_id` {name,value}, `owner_id` {…}.
    Pipedrive,
}

/// Mailchimp's member statuses (its API's enum).
const MAILCHIMP_STATUSES: &[&str] = &[
    "subscribed",
    "unsubscribed",
    "cleaned",
    "pending",
    "transactional",
    "archived",
];

/// Mailchimp sends nothing to these: unsubscribed, cleaned (the address bounced), archived
/// (hidden from the audience, its former status not given).
const MAILCHIMP_OPTED_OUT: &[&str] = &["unsubscribed", "cleaned", "archived"];
/// Pending (double opt-in not confirmed) and transactional members are not opted out:
/// nothing is set, as for a subscriber.
const MAILCHIMP_NOT_OPTED_OUT: &[&str] = &["subscribed", "pending", "transactional"];

/// Keys of Pipedrive's person object no other source writes together (two are needed): a
/// bit each, so that `org_id.name` and `org_id.value` count once.
fn pipedrive_marker(key: &str) -> u16 {
    match key {
        "marketing_status" => 1,
        "org_id" => 1 << 1,
        "owner_id" => 1 << 2,
        "org_name" => 1 << 3,
        "owner_name" => 1 << 4,
        "first_char" => 1 << 5,
        "label_ids" => 1 << 6,
        "visible_to" => 1 << 7,
        "open_deals_count" => 1 << 8,
        "cc_email" => 1 << 9,
        _ => 0,
    }
}

impl ApiShape {
    /// The shape of one record (its keys after nested objects became dotted keys).
    pub(super) fn of(obj: &Map<String, Value>) -> Option<ApiShape> {
        // One pass over the keys, by their top-level part, no hashing: every JSONL record is
        // asked.
        let (mut merge_fields, mut email_address, mut markers) = (false, false, 0u16);
        for k in obj.keys() {
            let top = memchr::memchr(b'.', k.as_bytes()).map_or(k.as_str(), |at| &k[..at]);
            merge_fields |= top == "merge_fields";
            email_address |= k == "email_address";
            markers |= pipedrive_marker(top);
        }
        let mailchimp_status = || {
            obj.get("status")
                .and_then(Value::as_str)
                .is_some_and(|s| MAILCHIMP_STATUSES.contains(&s.trim().to_lowercase().as_str()))
        };
        if merge_fields || (email_address && mailchimp_status()) {
            return Some(ApiShape::Mailchimp);
        }
        (markers.count_ones() >= 2).then_some(ApiShape::Pipedrive)
    }

    /// For people: "a Mailchimp API member".
    pub(super) fn name(self) -> &'static str {
        match self {
            ApiShape::Mailchimp => "a Mailchimp API member",
            ApiShape::Pipedrive => "a Pipedrive API person",
        }
    }

    /// The shape of a file's sampled records (`init`): the first one's that has one.
    pub(super) fn of_sample(headers: &[String], rows: &[Vec<String>]) -> Option<ApiShape> {
        rows.iter().find_map(|row| {
            let obj: Map<String, Value> = headers
                .iter()
                .zip(row)
                .filter(|(_, v)| !v.trim().is_empty())
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            ApiShape::of(&obj)
        })
    }

    /// What this shape reads `key` as, when that differs from what the key means elsewhere.
    pub(super) fn rule(self, key: &str) -> Option<Rule> {
        let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect();
        let opt_out = |yes: &[&str], no: &[&str]| {
            let mut rule = Rule::new(Target::Field(Field::DndEmail));
            rule.true_values = strings(yes);
            rule.false_values = strings(no);
            rule
        };
        match (self, key) {
            (ApiShape::Mailchimp, "status") => {
                Some(opt_out(MAILCHIMP_OPTED_OUT, MAILCHIMP_NOT_OPTED_OUT))
            }
            (ApiShape::Pipedrive, "marketing_status") => Some(opt_out(
                &["unsubscribed"],
                &["subscribed", "no_consent", "no consent", "archived"],
            )),
            // The organisation's name; `org_name` (the same, written flat) backs it up.
            (ApiShape::Pipedrive, "org_id.name") => {
                Some(Rule::new(Target::Field(Field::CompanyName)))
            }
            (ApiShape::Pipedrive, "org_name") => {
                let mut rule = Rule::new(Target::Field(Field::CompanyName));
                rule.fallback = true;
                Some(rule)
            }
            // The postal address's parts (its whole text goes into address1), flat (v1) or
            // in an object (v2's `postal_address: {value, locality, …}`).
            (ApiShape::Pipedrive, "postal_address.value") => {
                Some(Rule::new(Target::Field(Field::Address1)))
            }
            (ApiShape::Pipedrive, "postal_address_locality" | "postal_address.locality") => {
                Some(Rule::new(Target::Field(Field::City)))
            }
            (
                ApiShape::Pipedrive,
                "postal_address_admin_area_level_1" | "postal_address.admin_area_level_1",
            ) => Some(Rule::new(Target::Field(Field::State))),
            _ => None,
        }
    }
}

/// Which shapes a run read, shared by the mapper's forks: said once at the end of the run,
/// so that reading `status` as an opt-out is never unsaid.
#[derive(Debug, Clone, Default)]
pub struct ApiShapes(Arc<[AtomicBool; 2]>);

impl ApiShapes {
    pub(super) fn add(&self, shape: ApiShape) {
        // Read first: every record of a dump says so, and a store on each would bounce the
        // flag's cache line between the prepare workers.
        let seen = &self.0[shape as usize];
        if !seen.load(Ordering::Relaxed) {
            seen.store(true, Ordering::Relaxed);
        }
    }

    /// The run's notice, when it read any record of a known shape.
    pub fn notice(&self) -> Option<String> {
        let seen = |s: ApiShape| self.0[s as usize].load(Ordering::Relaxed);
        let mut said = Vec::new();
        if seen(ApiShape::Mailchimp) {
            said.push("objects read as Mailchimp API members (email_address, status, merge_fields): status unsubscribed, cleaned or archived gives email do-not-disturb (dndSettings.Email), subscribed, pending or transactional nothing");
        }
        if seen(ApiShape::Pipedrive) {
            said.push("objects read as Pipedrive API persons (marketing_status, org_id, owner_id): marketing_status unsubscribed gives email do-not-disturb (dndSettings.Email), org_id.name (else org_name) the company name, postal_address_locality and postal_address_admin_area_level_1 the city and state; the owner (owner_id) is someone else and is not imported");
        }
        (!said.is_empty()).then(|| said.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{Mapper, MappingSpec, RawValue};
    use super::*;
    use crate::input::{Record, RecordValues};

    fn shape(v: Value) -> Option<ApiShape> {
        ApiShape::of(v.as_object().unwrap())
    }

    fn record(v: Value) -> Record {
        Record {
            seq: 0,
            row: 1,
            values: RecordValues::Object(v.as_object().unwrap().clone().into()),
        }
    }

    /// The row's email do-not-disturb, and whether the row named its `status`-like key.
    fn dnd_email(m: &Mapper, v: Value) -> Option<RawValue<'static>> {
        let rec = record(v);
        let row = m.map(&rec);
        row.values
            .iter()
            .find(|v| v.target == Target::Field(Field::DndEmail))
            .map(|v| match &v.value {
                RawValue::Bool(b) => RawValue::Bool(*b),
                other => panic!("{other:?}"),
            })
    }

    #[test]
    fn a_record_is_read_as_an_api_dump_only_by_keys_that_api_writes() {
        let mc = Some(ApiShape::Mailchimp);
        let pd = Some(ApiShape::Pipedrive);
        for (v, want) in [
            (
                json!({"email_address": "a@x.com", "status": "unsubscribed"}),
                mc,
            ),
            (
                json!({"email_address": "a@x.com", "status": " Cleaned "}),
                mc,
            ),
            (json!({"email": "a@x.com", "merge_fields.FNAME": "Ann"}), mc),
            (
                json!({"email_address": "a@x.com", "merge_fields": {"MMERGE5": "x"}}),
                mc,
            ),
            // `status` alone is anyone's: a lead's, an order's, a ticket's.
            (json!({"email": "a@x.com", "status": "unsubscribed"}), None),
            (
                json!({"email_address": "a@x.com", "status": "active"}),
                None,
            ),
            (json!({"email_address": "a@x.com"}), None),
            (json!({"merge_fieldsX": 1, "status": "subscribed"}), None),
            (
                json!({"marketing_status": "unsubscribed", "org_id.name": "Acme"}),
                pd,
            ),
            (
                json!({"marketing_status": "unsubscribed", "owner_id": 7}),
                pd,
            ),
            (
                json!({"org_id": null, "owner_id.email": "o@x.com", "email": []}),
                pd,
            ),
            // One marker is not enough: `owner_id` is common.
            (json!({"owner_id": 7, "email": "a@x.com"}), None),
            (
                json!({"marketing_status": "unsubscribed", "email": "a@x.com"}),
                None,
            ),
        ] {
            assert_eq!(shape(v.clone()), want, "{v}");
        }
    }

    #[test]
    fn mailchimp_status_and_pipedrive_marketing_status_give_email_do_not_disturb() {
        let m = Mapper::new(None, None).unwrap();
        let yes = Some(RawValue::Bool(true));
        let no = Some(RawValue::Bool(false));
        for (status, want) in [
            ("subscribed", &no),
            ("unsubscribed", &yes),
            ("cleaned", &yes),
            (" Cleaned ", &yes),
            ("archived", &yes),
            ("pending", &no),
            ("transactional", &no),
        ] {
            let got = dnd_email(
                &m,
                json!({"email_address": "a@x.com", "status": status, "merge_fields.FNAME": "A"}),
            );
            assert_eq!(&got, want, "{status}");
        }
        for (status, want) in [
            ("subscribed", &no),
            ("unsubscribed", &yes),
            ("no_consent", &no),
            ("archived", &no),
        ] {
            let got = dnd_email(
                &m,
                json!({"email": [{"value": "a@x.com", "primary": true}], "marketing_status": status, "owner_id.id": 1}),
            );
            assert_eq!(&got, want, "{status}");
        }
        // A status Mailchimp does not write is named with the ones it does.
        let rec = record(
            json!({"email_address": "a@x.com", "status": "bogus", "merge_fields.FNAME": "A"}),
        );
        let row = m.map(&rec);
        let said: Vec<String> = row.cell_errors.iter().map(|(_, e)| e.to_string()).collect();
        assert_eq!(
            said,
            ["column 'status': \"bogus\" left out: not one of the values read as yes (unsubscribed, cleaned or archived) or no (subscribed, pending or transactional)"]
        );
        // Not the shape: `status` is not read, and is named as not imported.
        assert_eq!(
            dnd_email(&m, json!({"email": "a@x.com", "status": "unsubscribed"})),
            None
        );
        assert!(m
            .unmatched_keys()
            .described()
            .contains(&"'status'".to_owned()));
        assert!(m.api_shapes().notice().unwrap().contains("Mailchimp"));
    }

    #[test]
    fn a_mapping_file_line_for_the_key_wins_over_the_shape() {
        let spec = MappingSpec::parse("[columns]\nstatus = \"ignore\"\n", "m.toml").unwrap();
        let m = Mapper::new(Some(&spec), None).unwrap();
        let v = json!({"email_address": "a@x.com", "status": "unsubscribed"});
        assert_eq!(dnd_email(&m, v.clone()), None);
        // `auto = false`: only the listed keys, no shape.
        let spec = MappingSpec::parse(
            "auto = false\n[columns]\nemail_address = \"email\"\n",
            "m.toml",
        )
        .unwrap();
        let m = Mapper::new(Some(&spec), None).unwrap();
        assert_eq!(dnd_email(&m, v), None);
        assert_eq!(m.api_shapes().notice(), None);
    }

    #[test]
    fn a_pipedrive_v2_postal_address_object_gives_its_street_city_and_state() {
        let m = Mapper::new(None, None).unwrap();
        let rec = record(json!({
            "emails": [{"value": "d@example.com", "primary": true, "label": "work"}],
            "owner_id": 13, "org_id": 56, "label_ids": [], "visible_to": 3,
            "postal_address.value": "1 Elm St, Austin", "postal_address.locality": "Austin",
            "postal_address.admin_area_level_1": "Texas", "postal_address.country": "US",
            "postal_address.postal_code": "78701", "postal_address.route": "Elm St"
        }));
        let row = m.map(&rec);
        let got = |f: Field| {
            row.values
                .iter()
                .find(|v| v.target == Target::Field(f))
                .map(|v| format!("{:?}", v.value))
        };
        assert_eq!(
            got(Field::Address1),
            Some(r#"Text("1 Elm St, Austin")"#.into())
        );
        assert_eq!(got(Field::City), Some(r#"Text("Austin")"#.into()));
        assert_eq!(got(Field::State), Some(r#"Text("Texas")"#.into()));
        assert_eq!(got(Field::PostalCode), Some(r#"Text("78701")"#.into()));
        // The street's parts are named as not imported: address1 holds the whole.
        assert!(m
            .unmatched_keys()
            .described()
            .contains(&"'postal_address.route'".to_owned()));
    }

    #[test]
    fn pipedrive_organisation_name_is_the_company_and_org_name_its_backup() {
        let m = Mapper::new(None, None).unwrap();
        let company = |v: Value| {
            let rec = record(v);
            let row = m.map(&rec);
            row.values
                .iter()
                .filter(|v| v.target == Target::Field(Field::CompanyName))
                .map(|v| {
                    (
                        v.column.as_deref().unwrap_or("").to_owned(),
                        format!("{:?}", v.value),
                    )
                })
                .collect::<Vec<_>>()
        };
        let got = company(
            json!({"org_id.name": "Acme", "org_id.value": 5, "org_name": "Acme", "owner_id.name": "Jane"}),
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, "org_id.name");
        let got = company(json!({"org_id": null, "org_name": "Beta", "owner_id.name": "Jane"}));
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, "org_name");
    }
}
