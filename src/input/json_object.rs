//! One JSONL line as serde_json reads it, except that a key the object holds twice is not
//! silently the last one: the first value is kept (as the first of two CSV columns of one
//! name is) and the repeat is handed back, to be named as left out.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Value};

/// A line's top-level JSON value.
pub(super) enum Line {
    Object {
        map: Map<String, Value>,
        /// Later values of a key already in `map`, in the order read.
        repeats: Vec<(String, Value)>,
    },
    /// Not an object: what it is, for the error.
    Other(&'static str),
}

impl<'de> Deserialize<'de> for Line {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Line, D::Error> {
        d.deserialize_any(LineVisitor)
    }
}

struct LineVisitor;

impl<'de> Visitor<'de> for LineVisitor {
    type Value = Line;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Line, A::Error> {
        let mut map = Map::new();
        let mut repeats = Vec::new();
        while let Some(key) = access.next_key::<String>()? {
            let value = access.next_value::<Value>()?;
            match map.entry(key) {
                Entry::Vacant(e) => {
                    e.insert(value);
                }
                Entry::Occupied(e) => repeats.push((e.key().clone(), value)),
            }
        }
        Ok(Line::Object { map, repeats })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Line, A::Error> {
        // Read as values (not skipped): serde_json's nesting limit then still applies.
        while seq.next_element::<Value>()?.is_some() {}
        Ok(Line::Other("a JSON array"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Line, E> {
        Ok(Line::Other("a JSON string"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Line, E> {
        Ok(Line::Other("a JSON boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Line, E> {
        Ok(Line::Other("a JSON number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Line, E> {
        Ok(Line::Other("a JSON number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Line, E> {
        Ok(Line::Other("a JSON number"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Line, E> {
        Ok(Line::Other("JSON null"))
    }
}

/// Why a repeated key's later value is left out.
pub(super) fn repeat_reason(key: &str) -> String {
    format!("the object holds the key '{key}' more than once; its first value is sent")
}

/// Puts `value` under `key` in `out`, a nested object as its keys prefixed by `key.`
/// (`address.city`, HubSpot's `properties.email`), so each is matched like a column of its
/// own, when one of them (at any depth) is `wanted` (names a field). Any other object stays
/// whole, to be named as one value (`lastName: {"x": 1}` is no name), and so do `customFields`
/// objects (the mapper reads them as custom fields). A key that comes out twice keeps its
/// first value, the other handed back in `repeats`.
pub(super) fn flatten_into(
    out: &mut Map<String, Value>,
    key: String,
    value: Value,
    repeats: &mut Vec<(String, Value, String)>,
    wanted: &dyn Fn(&str) -> bool,
) {
    match value {
        Value::Object(inner) if !is_custom_fields(&key) && has_wanted(&key, &inner, wanted) => {
            for (k, v) in inner {
                flatten_into(out, format!("{key}.{k}"), v, repeats, wanted);
            }
        }
        value => match out.entry(key) {
            Entry::Vacant(e) => {
                e.insert(value);
            }
            Entry::Occupied(e) => {
                let why = repeat_reason(e.key());
                repeats.push((e.key().clone(), value, why));
            }
        },
    }
}

fn has_wanted(key: &str, inner: &Map<String, Value>, wanted: &dyn Fn(&str) -> bool) -> bool {
    inner.iter().any(|(k, v)| {
        let dotted = format!("{key}.{k}");
        match v {
            Value::Object(o) => has_wanted(&dotted, o, wanted),
            _ => wanted(&dotted),
        }
    })
}

/// `customFields`, however written (`custom_fields`, `Custom Fields`), at the top or nested
/// (`contact.customFields`).
pub fn is_custom_fields(key: &str) -> bool {
    let is = |s: &str| {
        s.chars()
            .filter(|&c| !matches!(c, '_' | '-' | '.') && !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .eq("customfields".chars())
    };
    is(key) || key.rsplit_once('.').is_some_and(|(_, last)| is(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_objects_become_dotted_keys_and_custom_fields_stay_whole() {
        let Line::Object { map, .. } = read(
            r#"{"properties":{"email":"b@x.com","name":{"first":"Bo"},"geo":{"lat":1}},"id":"1","customFields":{"a":1},"contact":{"custom_fields":{"b":2},"email":"d@x.com"},"tags":[{"x":1}],"lastName":{"x":1},"empty":{},"properties.email":"c@x.com"}"#,
        ) else {
            panic!("an object");
        };
        let mut out = Map::new();
        let mut repeats = Vec::new();
        let wanted = |k: &str| k.ends_with(".email") || k.ends_with(".first");
        for (k, v) in map {
            flatten_into(&mut out, k, v, &mut repeats, &wanted);
        }
        assert_eq!(
            out.keys().collect::<Vec<_>>(),
            [
                "properties.email",
                "properties.name.first",
                "properties.geo",
                "id",
                "customFields",
                "contact.custom_fields",
                "contact.email",
                "tags",
                "lastName",
                "empty"
            ]
        );
        assert_eq!(out["properties.email"], "b@x.com");
        assert_eq!(out["contact.custom_fields"]["b"], 2);
        assert_eq!(repeats.len(), 1);
        assert_eq!(repeats[0].0, "properties.email");
        assert_eq!(repeats[0].1, "c@x.com");
    }

    fn read(s: &str) -> Line {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn a_repeated_key_keeps_its_first_value_and_hands_back_the_rest() {
        let Line::Object { map, repeats } =
            read(r#"{"email":"a@x.com","name":"Ann","email":"b@x.com","email":null}"#)
        else {
            panic!("an object");
        };
        assert_eq!(map["email"], "a@x.com");
        assert_eq!(map.keys().collect::<Vec<_>>(), ["email", "name"]);
        assert_eq!(
            repeats,
            [
                ("email".to_owned(), Value::from("b@x.com")),
                ("email".to_owned(), Value::Null)
            ]
        );
        // Nested objects are values: their repeats are serde_json's business.
        let Line::Object { repeats, .. } = read(r#"{"customFields":{"a":1,"a":2}}"#) else {
            panic!("an object");
        };
        assert!(repeats.is_empty());
    }

    #[test]
    fn other_values_say_what_they_are() {
        for (s, kind) in [
            ("[1,[2]]", "a JSON array"),
            ("\"x\"", "a JSON string"),
            ("true", "a JSON boolean"),
            ("-1", "a JSON number"),
            ("1.5", "a JSON number"),
            ("null", "JSON null"),
        ] {
            assert!(matches!(read(s), Line::Other(k) if k == kind), "{s}");
        }
    }
}
