//! Rows by final status, typed; written as the JSON object `{"created": 3, …}` with the names
//! in alphabetical order, as the summary has always written it.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::event::RowStatus;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusCounts(BTreeMap<RowStatus, u64>);

impl StatusCounts {
    pub fn add(&mut self, s: RowStatus) {
        *self.0.entry(s).or_default() += 1;
    }

    pub fn get(&self, s: RowStatus) -> Option<u64> {
        self.0.get(&s).copied()
    }

    /// The statuses seen, in [`RowStatus::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (RowStatus, u64)> + '_ {
        self.0.iter().map(|(s, n)| (*s, *n))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for StatusCounts {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let by_name: BTreeMap<&str, u64> = self.iter().map(|(s, n)| (s.as_str(), n)).collect();
        by_name.serialize(ser)
    }
}

impl<'de> Deserialize<'de> for StatusCounts {
    /// A name this version does not know (from a newer one) is left out.
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let by_name = BTreeMap::<String, u64>::deserialize(de)?;
        Ok(StatusCounts(
            by_name
                .into_iter()
                .filter_map(|(k, n)| RowStatus::from_name(&k).map(|s| (s, n)))
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_written_by_name_in_alphabetical_order_and_read_back() {
        let mut c = StatusCounts::default();
        for s in [
            RowStatus::Updated,
            RowStatus::Created,
            RowStatus::Invalid,
            RowStatus::Created,
        ] {
            c.add(s);
        }
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, r#"{"created":2,"invalid":1,"updated":1}"#);
        let back: StatusCounts = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        let newer: StatusCounts = serde_json::from_str(r#"{"created":1,"merged":4}"#).unwrap();
        assert_eq!(newer.iter().collect::<Vec<_>>(), [(RowStatus::Created, 1)]);
    }
}
