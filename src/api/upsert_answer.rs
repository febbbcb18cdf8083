//! The upsert's answer read straight into what the import uses (the new flag, the contact's
//! id, and the contact reduced to what the fidelity check and undo compare): only the fields
//! [`RemoteContact::from_fields`] reads are kept, every other one is skipped, instead of
//! building a tree of the whole contact first.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use crate::compare::RemoteContact;
use crate::contact::Field;

#[derive(Deserialize)]
pub(super) struct UpsertAnswer {
    pub new: Option<bool>,
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

/// The API name of a standard field an upsert body can carry, as `RemoteContact::from_json`
/// reads them. Looked up for every key of every answer: the names are listed once, and a
/// name of another length is passed over without comparing its text.
fn field_named(key: &str) -> Option<&'static str> {
    static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    let names = NAMES.get_or_init(|| {
        Field::ALL
            .into_iter()
            .filter(|f| {
                !matches!(f, Field::Tags | Field::BusinessId | Field::LocationId)
                    && f.dnd_channel().is_none()
            })
            .map(Field::api_name)
            .collect()
    });
    names.iter().find(|n| **n == key).copied()
}

/// A key of the answer's contact, borrowed from the answer's bytes unless it holds an escape:
/// serde's own `Cow<str>` always copies, a `String` for every key of every answer.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v)))
    }
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
        // The kept properties by their static names (a later duplicate replaces an earlier
        // one, as in a JSON object): no name is copied, and their text is moved into the
        // contact, not copied out of a tree.
        let mut kept: Vec<(&'static str, Value)> = Vec::with_capacity(16);
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let name = match key.as_ref() {
                "id" => Some("id"),
                "dndSettings" => Some("dndSettings"),
                "tags" => Some("tags"),
                "customFields" => Some("customFields"),
                "businessId" => Some("businessId"),
                k => field_named(k),
            };
            let Some(name) = name else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let value = map.next_value::<Value>()?;
            match kept.iter_mut().find(|(k, _)| *k == name) {
                Some((_, v)) => *v = value,
                None => kept.push((name, value)),
            }
        }
        let id = kept
            .iter()
            .find(|(k, _)| *k == "id")
            .and_then(|(_, v)| v.as_str())
            .map(str::to_owned);
        // As `RemoteContact::from_upsert_answer`: an answer that does not show the contact's
        // keys cannot show what stuck.
        let shows_keys = kept.iter().any(|(k, _)| matches!(*k, "email" | "phone"));
        let contact = shows_keys
            .then(|| {
                RemoteContact::from_fields(|name| {
                    kept.iter_mut()
                        .find(|(k, _)| *k == name)
                        .map(|(_, v)| v.take())
                })
            })
            .flatten();
        Ok(Returned { id, contact })
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

    /// Keys with escapes are read as the tree read reads them (they cannot be borrowed).
    #[test]
    fn reads_escaped_keys_as_the_tree_read_does() {
        let text = r#"{"new": true, "contact": {"\u0069d": "c5", "em\u0061il": "e@x.com",
            "first\u004eame": "Zed", "\u00e9": 1, "lastName": "Q"}}"#;
        let typed: UpsertAnswer = serde_json::from_str(text).unwrap();
        let tree: Value = serde_json::from_str(text).unwrap();
        let returned = typed.contact.unwrap_or_default();
        assert_eq!(returned.id.as_deref(), Some("c5"));
        let contact = returned.contact.expect("the answer shows the email");
        assert_eq!(
            contact.fields.get("firstName").map(String::as_str),
            Some("Zed")
        );
        assert_eq!(
            Some(contact),
            RemoteContact::from_upsert_answer(&tree["contact"])
        );
    }
}
