//! The upsert's answer read straight into what the import uses (the new flag, the contact's
//! id, and the contact reduced to what the fidelity check and undo compare), skipping every
//! other field instead of building a generic JSON tree of the whole contact first. Reads
//! exactly as [`RemoteContact::from_upsert_answer`] does on the tree (a unit test holds the
//! two together).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use crate::compare::custom_field;
use crate::compare::RemoteContact;
use crate::contact::Field;

#[derive(Deserialize)]
pub(super) struct UpsertAnswer {
    pub new: Option<bool>,
    #[serde(default)]
    pub contact: Option<Returned>,
}

/// The answer's `contact`.
#[derive(Default)]
pub(super) struct Returned {
    /// `id`, when it is a string.
    pub id: Option<String>,
    /// `None` when the answer does not show the contact's keys (`email`, `phone`), or has no
    /// id: then it cannot show what stuck.
    pub contact: Option<RemoteContact>,
}

/// The standard fields an upsert body can carry, as `RemoteContact::from_json` reads them.
fn field_named(key: &str) -> Option<Field> {
    Field::ALL.into_iter().find(|f| {
        !matches!(f, Field::Tags | Field::BusinessId | Field::LocationId)
            && f.dnd_channel().is_none()
            && f.api_name() == key
    })
}

impl<'de> Deserialize<'de> for Returned {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ReturnedVisitor)
    }
}

struct ReturnedVisitor;

impl<'de> Visitor<'de> for ReturnedVisitor {
    type Value = Returned;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a contact")
    }

    // Anything but an object is a contact without an id, as the tree read takes it.
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Returned, E> {
        Ok(Returned::default())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Returned, E> {
        Ok(Returned::default())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Returned, E> {
        Ok(Returned::default())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Returned, E> {
        Ok(Returned::default())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Returned, E> {
        Ok(Returned::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Returned, E> {
        Ok(Returned::default())
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Returned, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Returned::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Returned, A::Error> {
        let mut id = None;
        let mut shows_keys = false;
        let mut fields: BTreeMap<&'static str, Value> = BTreeMap::new();
        let mut dnd = None;
        let mut tags = None;
        let mut custom = None;
        let mut business = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let key = key.as_ref();
            if key == "email" || key == "phone" {
                shows_keys = true;
            }
            match key {
                "id" => id = Some(map.next_value::<Value>()?),
                "dndSettings" => dnd = Some(map.next_value::<Value>()?),
                "tags" => tags = Some(map.next_value::<Value>()?),
                "customFields" => custom = Some(map.next_value::<Value>()?),
                "businessId" => business = Some(map.next_value::<Value>()?),
                _ => match field_named(key) {
                    Some(f) => {
                        fields.insert(f.api_name(), map.next_value::<Value>()?);
                    }
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                },
            }
        }
        let id = match id {
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        let contact = match (&id, shows_keys) {
            (Some(id), true) => Some(reduce(id.clone(), fields, dnd, tags, custom, business)),
            _ => None,
        };
        Ok(Returned { id, contact })
    }
}

/// `RemoteContact::from_json`'s reading, on the parts kept.
fn reduce(
    id: String,
    raw: BTreeMap<&'static str, Value>,
    dnd: Option<Value>,
    tags: Option<Value>,
    custom: Option<Value>,
    business: Option<Value>,
) -> RemoteContact {
    let mut fields = BTreeMap::new();
    for (name, v) in raw {
        let text = match v {
            Value::String(s) if !s.trim().is_empty() => s,
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            _ => continue,
        };
        fields.insert(name, text);
    }
    if let Some(dnd) = &dnd {
        for f in Field::ALL {
            let Some(channel) = f.dnd_channel() else {
                continue;
            };
            let status = dnd
                .get(channel)
                .and_then(|c| c.get("status"))
                .and_then(Value::as_str);
            if let Some(status) = status {
                fields.insert(f.api_name(), status.to_owned());
            }
        }
    }
    let tags = match tags {
        Some(Value::Array(a)) => a
            .into_iter()
            .filter_map(|t| match t {
                Value::String(s) => Some(s),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let mut custom_fields = BTreeMap::new();
    if let Some(Value::Array(items)) = custom {
        custom_fields.extend(items.iter().filter_map(custom_field));
    }
    RemoteContact {
        id: Some(id),
        created_by_row: None,
        fields,
        tags,
        business_id: match business {
            Some(Value::String(s)) if !s.is_empty() => Some(s),
            _ => None,
        },
        custom_fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The typed read against the tree read, on answers good and odd.
    #[test]
    fn reads_an_answer_as_the_tree_read_does() {
        let answers = [
            json!({"new": true, "contact": {"id": "c1", "email": "a@b.com", "firstName": "Ann",
                "lastName": " ", "phone": "+15550100", "dnd": true, "companyName": 7,
                "emailLowerCase": "a@b.com", "dateAdded": "2024-01-01", "tags": ["x", 3, "y"],
                "customFields": [{"id": "f1", "value": "v"}, {"id": "f2", "fieldValue": [1]},
                    {"value": "no id"}, {"id": "f3"}],
                "businessId": "b1", "attributions": [{"medium": "import"}],
                "dndSettings": {"Email": {"status": "active"}, "SMS": {"status": 3}}}}),
            json!({"new": false, "contact": {"id": "c2", "phone": null, "businessId": ""}}),
            json!({"contact": {"id": "c3", "firstName": "no keys shown"}}),
            json!({"contact": {"id": 5, "email": "a@b.com"}}),
            json!({"new": true, "contact": null}),
            json!({"new": true, "contact": [1, 2]}),
            json!({"new": true}),
            json!({"contact": {"id": "c4", "email": "x@y.z", "tags": "not a list",
                "customFields": {"id": "f"}, "dndSettings": "off", "email": "dup@y.z"}}),
        ];
        for a in answers {
            let typed: UpsertAnswer = serde_json::from_slice(a.to_string().as_bytes()).unwrap();
            let tree = a.get("contact").cloned().unwrap_or_default();
            assert_eq!(typed.new, a.get("new").and_then(Value::as_bool), "{a}");
            let returned = typed.contact.unwrap_or_default();
            assert_eq!(
                returned.id.as_deref(),
                tree.get("id").and_then(Value::as_str),
                "{a}"
            );
            assert_eq!(
                returned.contact,
                RemoteContact::from_upsert_answer(&tree),
                "{a}"
            );
        }
    }
}
