//! `plan`'s view of a location's contacts while it walks the file; each row is judged with
//! the shared classifier ([`crate::compare::classify`]).

use std::collections::HashMap;

use crate::compare::{classify, Against, Match, MatchOrder, RemoteContact, Verdict};
use crate::contact::{Field, ValidRow};

/// A location's contacts by email (lowercase) and phone (digits of E.164), as `plan` sees them
/// while it walks the file: each row's effect is applied before the next row is judged.
#[derive(Debug, Default)]
pub struct Index {
    contacts: Vec<RemoteContact>,
    by_email: HashMap<String, usize>,
    by_phone: HashMap<String, usize>,
}

fn email_key(e: &str) -> String {
    e.trim().to_lowercase()
}

fn phone_key(p: &str) -> String {
    p.chars().filter(char::is_ascii_digit).collect()
}

impl Index {
    /// Contacts in listing order; for duplicates the first listed (the oldest) wins, as
    /// HighLevel's lookup does.
    pub fn new(contacts: Vec<RemoteContact>) -> Index {
        let mut index = Index::default();
        for c in contacts {
            index.contacts.push(c);
            index.add_keys(index.contacts.len() - 1);
        }
        index
    }

    pub fn len(&self) -> usize {
        self.contacts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.contacts.is_empty()
    }

    fn add_keys(&mut self, i: usize) {
        let c = &self.contacts[i];
        if let Some(e) = c.email().map(email_key).filter(|k| !k.is_empty()) {
            self.by_email.entry(e).or_insert(i);
        }
        if let Some(p) = c.phone().map(phone_key).filter(|k| !k.is_empty()) {
            self.by_phone.entry(p).or_insert(i);
        }
    }

    fn remove_keys(&mut self, i: usize) {
        let c = &self.contacts[i];
        if let Some(e) = c.email().map(email_key) {
            if self.by_email.get(&e) == Some(&i) {
                self.by_email.remove(&e);
            }
        }
        if let Some(p) = c.phone().map(phone_key) {
            if self.by_phone.get(&p) == Some(&i) {
                self.by_phone.remove(&p);
            }
        }
    }

    /// Which contacts the row's keys find, as positions: (target, ignored key's contact).
    fn lookup(&self, row: &ValidRow, order: MatchOrder) -> Found {
        let e = row
            .contact
            .email
            .as_deref()
            .and_then(|e| self.by_email.get(&email_key(e)).copied());
        let p = row
            .contact
            .phone
            .as_deref()
            .and_then(|p| self.by_phone.get(&phone_key(p)).copied());
        let ((first, _), (second, second_field)) = match order {
            MatchOrder::EmailFirst => ((e, Field::Email), (p, Field::Phone)),
            MatchOrder::PhoneFirst => ((p, Field::Phone), (e, Field::Email)),
        };
        match (first, second) {
            (Some(a), Some(b)) if a != b => Found::Conflict(a, b, second_field),
            (Some(a), _) | (None, Some(a)) => Found::One(a),
            (None, None) => Found::None,
        }
    }

    /// Classifies `row` (input row number `row_number`) against the contacts as they stand,
    /// then applies its effect, so a later row of the same email or phone sees it.
    pub fn judge(&mut self, row: &ValidRow, row_number: u64, order: MatchOrder) -> Verdict {
        let found = self.lookup(row, order);
        let m = match found {
            Found::None => Match::None,
            Found::One(i) => Match::One(&self.contacts[i]),
            Found::Conflict(a, b, ignored) => Match::Conflict {
                updated: &self.contacts[a],
                other: &self.contacts[b],
                ignored,
            },
        };
        let v = classify(row, Against::Listing(m));
        match found {
            Found::None => {
                let mut c = RemoteContact {
                    created_by_row: Some(row_number),
                    ..RemoteContact::default()
                };
                c.apply(row, None);
                self.contacts.push(c);
                self.add_keys(self.contacts.len() - 1);
            }
            Found::One(i) => self.update(i, row, None),
            Found::Conflict(a, _, ignored) => self.update(a, row, Some(ignored)),
        }
        v
    }

    fn update(&mut self, i: usize, row: &ValidRow, skip: Option<Field>) {
        self.remove_keys(i);
        self.contacts[i].apply(row, skip);
        self.add_keys(i);
    }
}

#[derive(Debug, Clone, Copy)]
enum Found {
    None,
    One(usize),
    Conflict(usize, usize, Field),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::ContactFields;
    use crate::event::RowStatus;
    use serde_json::json;

    fn remote(v: serde_json::Value) -> RemoteContact {
        RemoteContact::from_json(&v).unwrap()
    }

    fn row(email: Option<&str>, phone: Option<&str>, first: &str, tags: &[&str]) -> ValidRow {
        ValidRow {
            contact: ContactFields {
                email: email.map(Into::into),
                phone: phone.map(Into::into),
                first_name: Some(first.into()),
                ..ContactFields::default()
            },
            tags: tags.iter().map(|t| t.to_string()).collect(),
            business_id: None,
            location_id: None,
            warnings: vec![],
        }
    }

    fn index() -> Index {
        Index::new(vec![
            remote(
                json!({"id": "A", "email": "a@x.com", "phone": "+14155550101",
                "firstName": "Ann", "tags": ["vip"]}),
            ),
            remote(
                json!({"id": "B", "email": "b@x.com", "phone": "+14155550102",
                "firstName": "Bob"}),
            ),
        ])
    }

    #[test]
    fn create_update_unchanged_conflict() {
        let mut ix = index();
        let o = MatchOrder::EmailFirst;
        let v = ix.judge(&row(Some("new@x.com"), None, "N", &[]), 2, o);
        assert_eq!((v.status, v.contact_id), (RowStatus::Create, None));
        let v = ix.judge(&row(Some("A@X.com"), None, "Ann", &["VIP"]), 3, o);
        assert_eq!(v.status, RowStatus::Unchanged, "{v:?}");
        let v = ix.judge(&row(None, Some("+14155550102"), "Robert", &["new"]), 4, o);
        assert_eq!(v.status, RowStatus::Update);
        assert_eq!(v.contact_id.as_deref(), Some("B"));
        assert_eq!(v.changes, ["firstName", "tags"]);
        let v = ix.judge(
            &row(Some("a@x.com"), Some("+14155550102"), "Ann", &[]),
            5,
            o,
        );
        assert_eq!(v.status, RowStatus::Conflict);
        assert_eq!(v.contact_id.as_deref(), Some("A"));
        assert_eq!(
            v.changes,
            Vec::<String>::new(),
            "the ignored phone is no change"
        );
        assert!(
            v.warnings[0].contains("contact A") && v.warnings[0].contains("contact B"),
            "{v:?}"
        );
        // Phone first: the same row updates B and ignores the email.
        let v = index().judge(
            &row(Some("a@x.com"), Some("+14155550102"), "Ann", &[]),
            5,
            MatchOrder::PhoneFirst,
        );
        assert_eq!(
            (v.status, v.contact_id.as_deref()),
            (RowStatus::Conflict, Some("B"))
        );
        assert_eq!(v.changes, ["firstName"]);
    }

    #[test]
    fn later_rows_see_earlier_rows() {
        let mut ix = index();
        let o = MatchOrder::EmailFirst;
        let first = row(Some("c@x.com"), Some("+14155550103"), "Cy", &["t"]);
        assert_eq!(ix.judge(&first, 2, o).status, RowStatus::Create);
        assert_eq!(ix.judge(&first, 3, o).status, RowStatus::Unchanged);
        let v = ix.judge(&row(Some("C@x.com"), None, "Cyd", &[]), 4, o);
        assert_eq!((v.status, v.contact_id), (RowStatus::Update, None));
        assert_eq!(v.changes, ["firstName"]);
        // By phone, the created contact is found too; a new email is written to it.
        let v = ix.judge(
            &row(Some("cy@x.com"), Some("+1 415 555 0103"), "Cyd", &[]),
            5,
            o,
        );
        assert_eq!(v.changes, ["email"]);
        let v = ix.judge(&row(Some("cy@x.com"), None, "Cyd", &[]), 6, o);
        assert_eq!(v.status, RowStatus::Unchanged);
        assert_eq!(ix.len(), 3);
        // An update moves B's email: the old one no longer finds B.
        ix.judge(
            &row(Some("b2@x.com"), Some("+14155550102"), "Bob", &[]),
            7,
            o,
        );
        assert_eq!(
            ix.judge(&row(Some("b@x.com"), None, "Bob", &[]), 8, o)
                .status,
            RowStatus::Create
        );
    }

    #[test]
    fn an_upsert_answer_warns_about_what_did_not_stick() {
        let sent = ValidRow {
            contact: ContactFields {
                email: Some("a@x.com".into()),
                gender: Some("female".into()),
                ..ContactFields::default()
            },
            tags: vec!["not-in-the-upsert".into()],
            business_id: None,
            location_id: None,
            warnings: vec![],
        };
        let back = remote(json!({"id": "A", "email": "A@x.com", "gender": "male"}));
        let v = classify(
            &sent,
            Against::Upserted {
                created: false,
                contact: Some(&back),
            },
        );
        assert_eq!(v.status, RowStatus::Updated);
        assert_eq!(
            v.warnings,
            ["gender was sent as 'female' but HighLevel kept 'male'"]
        );
        let v = classify(
            &sent,
            Against::Upserted {
                created: true,
                contact: None,
            },
        );
        assert_eq!((v.status, v.warnings.len()), (RowStatus::Created, 0));
    }
}
