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

#[cfg(test)]
mod tests {
    use super::*;

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
