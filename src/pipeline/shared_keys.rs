//! Rows that share an email or a phone end as one HighLevel contact, the later row's name
//! replacing the earlier one's. Real exports have shared office addresses (`info@…`) and
//! family phones, so when such rows name different people the later row's report says so:
//! neither rejected nor guessed at, but never silent.
//!
//! Kept in memory rather than in the state store: `validate` and `plan` have no store and
//! must predict the same warnings, and an import would pay a SQLite lookup per row. The map is
//! capped so that memory stays bounded whatever the file's size (see [`REMEMBERED`]); a run
//! that fills it says from which row on later keys were not remembered.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::keys::{MatchKeys, Prehashed};
use super::prepare::match_keys;
use crate::compare::MatchOrder;
use crate::contact::ValidRow;
use crate::event::SHARED_NOTE_START;
use crate::validation::quoted::{push_quoted, push_u64};

/// Keys remembered at most: 2^18 buckets at hashbrown's 7/8 load, 32 bytes each plus a control
/// byte, 8.7 MB. Enough for about 115,000 rows with both an email and a phone.
pub const REMEMBERED: usize = (1 << 18) / 8 * 7;

/// What a valid row brings to the check, made on the worker that prepared the row.
#[derive(Debug, Clone, Copy)]
pub struct Probe {
    keys: MatchKeys,
    /// Whether the first key is the email (the second, if any, is the phone).
    email_first: bool,
    names: Names,
}

/// Fingerprints of a first and a last name (0: none), compared part by part: "Ann" after
/// "Ann Lee" names no one else.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Names {
    first: u32,
    last: u32,
}

impl Names {
    fn of(valid: &ValidRow) -> Names {
        let c = &valid.contact;
        let first = c.first_name.as_deref().or(c.name.as_deref());
        Names {
            first: fingerprint(first),
            last: fingerprint(c.last_name.as_deref()),
        }
    }

    fn none(self) -> bool {
        self.first == 0 && self.last == 0
    }

    fn differ(self, other: Names) -> bool {
        let part = |a: u32, b: u32| a != 0 && b != 0 && a != b;
        part(self.first, other.first) || part(self.last, other.last)
    }
}

/// A name's words, lower-cased, as a non-zero hash; 0 for no name. Made for every named row,
/// so an ASCII name (most of them) is folded byte by byte, with no hasher state to set up.
fn fingerprint(name: Option<&str>) -> u32 {
    let Some(name) = name else { return 0 };
    let mut h = FNV_START;
    let mut add = |c: u32| h = (h ^ u64::from(c)).wrapping_mul(FNV_PRIME);
    let mut words = 0;
    if name.is_ascii() {
        for w in name.split_ascii_whitespace() {
            w.bytes()
                .for_each(|b| add(u32::from(b.to_ascii_lowercase())));
            add(0);
            words += 1;
        }
    } else {
        // The words as `split_whitespace` cuts them, in one pass over the chars; the ASCII
        // letters of a name like "Müller-Lüdenscheidt" skip `to_lowercase`'s tables.
        let mut in_word = false;
        for c in name.chars() {
            if c.is_whitespace() {
                if in_word {
                    add(0);
                    words += 1;
                    in_word = false;
                }
            } else {
                in_word = true;
                if c.is_ascii() {
                    add(u32::from(c.to_ascii_lowercase()));
                } else if u32::from(c) < 0x100 {
                    add(latin1_lowercase(c));
                } else {
                    c.to_lowercase().for_each(|l| add(u32::from(l)));
                }
            }
        }
        if in_word {
            add(0);
            words += 1;
        }
    }
    if words == 0 {
        return 0;
    }
    // Truncated on purpose: two names colliding only hide one note.
    ((h ^ (h >> 32)) as u32).max(1)
}

/// `c.to_lowercase()` of a char of Latin-1's upper half (`Ü`, `é`, `Ø`), one char each, without
/// the case tables: the accents of most European names.
fn latin1_lowercase(c: char) -> u32 {
    match c {
        '\u{c0}'..='\u{d6}' | '\u{d8}'..='\u{de}' => u32::from(c) + 0x20,
        _ => u32::from(c),
    }
}

/// FNV-1a over code points: a fingerprint of a name, not a key (see [`MatchKeys`]).
const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

impl Probe {
    /// `None` for a row with no name: it replaces no one's.
    pub fn of(location: Option<&str>, valid: &ValidRow) -> Option<Probe> {
        let names = Names::of(valid);
        if names.none() {
            return None;
        }
        Some(Probe {
            keys: match_keys(location.unwrap_or(""), valid),
            email_first: valid.contact.email.is_some(),
            names,
        })
    }
}

/// The contact a key stands for so far: its name, part by part as the rows sending it left
/// it (an upsert without a last name keeps the contact's), and the row that last named
/// someone else.
#[derive(Debug, Clone, Copy)]
struct Earlier {
    row: u64,
    names: Names,
    /// The contact's key of the other kind (its phone's for an email key; 0: none): a row
    /// that finds the contact by this key and sends another one moves the contact off it, as
    /// `plan` and HighLevel do, so a later row with the old one is another contact.
    other: u64,
}

impl Earlier {
    /// What the key stood for before `later`, which then updates it: Ann, then Bob, then Ann
    /// again is compared with Bob.
    fn follow(&mut self, later: Earlier) -> Earlier {
        let before = *self;
        if later.other != 0 {
            self.other = later.other;
        }
        if later.names.differ(before.names) {
            self.row = later.row;
        }
        let part = |new: u32, old: u32| if new != 0 { new } else { old };
        self.names = Names {
            first: part(later.names.first, before.names.first),
            last: part(later.names.last, before.names.last),
        };
        before
    }
}

/// Each key's contact so far (see [`Earlier`]), in input order.
pub struct SharedKeys {
    latest: HashMap<u64, Earlier, BuildHasherDefault<Prehashed>>,
    /// The row from which on new keys were not remembered (0: none so far).
    full_from: Arc<AtomicU64>,
    limit: usize,
    /// `plan --match-order phone`: a row with both keys updates the contact its phone finds.
    phone_first: bool,
}

impl SharedKeys {
    pub fn new(full_from: Arc<AtomicU64>) -> SharedKeys {
        SharedKeys::with_limit(full_from, REMEMBERED)
    }

    fn with_limit(full_from: Arc<AtomicU64>, limit: usize) -> SharedKeys {
        SharedKeys {
            latest: HashMap::default(),
            full_from,
            limit,
            phone_first: false,
        }
    }

    /// Which key finds the contact a row with both updates (`plan`'s `--match-order`; the
    /// import and `validate` assume HighLevel's documented email first).
    pub fn with_order(mut self, order: MatchOrder) -> SharedKeys {
        self.phone_first = order == MatchOrder::PhoneFirst;
        self
    }

    /// The note for `row` when it shares a key with an earlier row naming someone else.
    /// Must be called in input order. `email` and `phone` are the row's, as sent.
    pub fn check(
        &mut self,
        row: u64,
        probe: &Probe,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Option<String> {
        let mut note = None;
        // In the order HighLevel tries them, and where the email is among them.
        let given = probe.keys.as_slice();
        let swapped;
        let keys = match given {
            &[email, phone] if self.phone_first => {
                swapped = [phone, email];
                &swapped[..]
            }
            _ => given,
        };
        let email_at = match keys.len() {
            2 if self.phone_first => Some(1),
            _ if probe.email_first => Some(0),
            _ => None,
        };
        // The contact the row updates: the one its first key finds, else its second's. When
        // that contact has another key of the kind the row sends anew, the old key no longer
        // leads to it (a later row with it creates a contact, as `plan` says).
        let found = keys.iter().find_map(|k| Some((*k, *self.latest.get(k)?)));
        let mut conflict_key = None;
        if let Some((by, e)) = found {
            for &k in keys.iter().filter(|&&k| k != by) {
                match self.latest.get(&k) {
                    // The row's other key belongs to another contact: HighLevel keeps it
                    // there (the row's update ignores it).
                    Some(o) if o.other != by => conflict_key = Some(k),
                    Some(_) => {}
                    None => {
                        if e.other != 0 && e.other != k {
                            let moved = self.latest.get(&e.other).is_some_and(|o| o.other == by);
                            if moved {
                                self.latest.remove(&e.other);
                            }
                        }
                    }
                }
            }
        }
        for (i, key) in keys.iter().enumerate() {
            if Some(*key) == conflict_key {
                continue;
            }
            let other = keys
                .iter()
                .copied()
                .find(|k| k != key && Some(*k) != conflict_key)
                .unwrap_or(0);
            let here = Earlier {
                row,
                names: probe.names,
                other,
            };
            let earlier = if self.latest.len() < self.limit {
                // One probe of the table per key (it is too big for the cache). Not when full:
                // `entry` makes room for one more key, which would double the table.
                match self.latest.entry(*key) {
                    Entry::Occupied(mut e) => Some(e.get_mut().follow(here)),
                    Entry::Vacant(e) => {
                        e.insert(here);
                        None
                    }
                }
            } else {
                let found = self.latest.get_mut(key).map(|e| e.follow(here));
                if found.is_none() {
                    let _ = self.full_from.compare_exchange(
                        0,
                        row,
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    );
                }
                found
            };
            if let Some(e) = earlier.filter(|e| note.is_none() && e.names.differ(probe.names)) {
                let (kind, value, other) = if Some(i) == email_at {
                    ("email", email, phone.map(|_| "phone"))
                } else {
                    ("phone", phone, email.map(|_| "email"))
                };
                note = Some(shared_note(kind, value.unwrap_or_default(), other, e.row));
            }
        }
        note
    }
}

/// The report's warning for a row that shares `kind` (`email`, `phone`) with `earlier`.
/// `other`: the row's other key, which also replaces the contact's where `earlier`'s differs
/// (Carl's email takes the place of Ann's on their shared phone's contact).
fn shared_note(kind: &str, value: &str, other: Option<&str>, earlier: u64) -> String {
    // Built by hand: most rows of a file with shared phones carry this note, and `format!`
    // cost about 1,500 instructions a row on the one thread that puts rows in order.
    let mut s = String::with_capacity(360 + value.len());
    s.push_str(SHARED_NOTE_START);
    s.push_str(kind);
    s.push(' ');
    push_quoted(&mut s, value);
    s.push_str(" with row ");
    push_u64(&mut s, earlier);
    s.push_str(", which names someone else: HighLevel matches contacts by email and phone, so both rows update one contact and this row's name replaces row ");
    push_u64(&mut s, earlier);
    s.push_str("'s");
    if let Some(o) = other {
        s.push_str(", and so does its ");
        s.push_str(o);
        s.push_str(" where row ");
        push_u64(&mut s, earlier);
        s.push_str("'s is another");
    }
    s.push_str(" (sent as it is; to keep two contacts, give one of them its own ");
    s.push_str(kind);
    s.push(')');
    s
}

/// What the summary says when the map filled up.
pub fn full_notice(row: u64) -> String {
    format!(
        "rows sharing an email or phone under different names are named in the warnings up to row {row}: from there on only the {REMEMBERED} keys seen before it were compared (the check's memory is bounded)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Latin-1 shortcut lowercases as `char::to_lowercase` does, char for char.
    #[test]
    fn latin1_letters_lowercase_as_the_case_tables_say() {
        for c in (0x80u32..0x100).filter_map(char::from_u32) {
            let mut lower = c.to_lowercase();
            assert_eq!(
                lower.next().map(u32::from),
                Some(latin1_lowercase(c)),
                "{c:?}"
            );
            assert_eq!(lower.next(), None, "{c:?}");
        }
        assert_eq!(
            fingerprint(Some("ÉMILIE Ørjan")),
            fingerprint(Some("émilie ørjan"))
        );
        assert_ne!(fingerprint(Some("Søren")), fingerprint(Some("Soren")));
    }

    fn valid(email: Option<&str>, phone: Option<&str>, first: &str, last: &str) -> ValidRow {
        let mut v = ValidRow::default();
        v.contact.email = email.map(str::to_owned);
        v.contact.phone = phone.map(str::to_owned);
        v.contact.first_name = (!first.is_empty()).then(|| first.to_owned());
        v.contact.last_name = (!last.is_empty()).then(|| last.to_owned());
        v
    }

    fn check(s: &mut SharedKeys, row: u64, v: &ValidRow) -> Option<String> {
        let p = Probe::of(Some("L"), v)?;
        s.check(
            row,
            &p,
            v.contact.email.as_deref(),
            v.contact.phone.as_deref(),
        )
    }

    #[test]
    fn a_later_row_with_an_earlier_rows_key_and_another_name_is_named() {
        let mut s = SharedKeys::new(Arc::default());
        let info = Some("info@acme.com");
        assert_eq!(check(&mut s, 2, &valid(info, None, "Ann", "Lee")), None);
        // The same person again, or fewer name parts, names no one else.
        assert_eq!(check(&mut s, 3, &valid(info, None, "ann", " Lee ")), None);
        assert_eq!(check(&mut s, 4, &valid(info, None, "Ann", "")), None);
        assert_eq!(check(&mut s, 5, &valid(info, None, "", "")), None);
        let bob = check(&mut s, 6, &valid(info, None, "Bob", "Lee")).unwrap();
        assert!(
            bob.starts_with(
                "shares its email \"info@acme.com\" with row 2, which names someone else"
            ) && bob.contains("this row's name replaces row 2's"),
            "{bob}"
        );
        // A family phone, with emails of their own.
        let phone = Some("+14155552671");
        assert_eq!(
            check(&mut s, 7, &valid(Some("jo@x.com"), phone, "Jo", "Doe")),
            None
        );
        let jane = check(&mut s, 8, &valid(Some("jane@x.com"), phone, "Jane", "Doe")).unwrap();
        assert!(
            jane.starts_with("shares its phone \"+14155552671\" with row 7")
                && jane.contains("name replaces row 7's, and so does its email where row 7's"),
            "{jane}"
        );
        assert!(
            !bob.contains("so does its"),
            "Bob's row has no phone: {bob}"
        );
        // Another location is another contact.
        let other = valid(info, None, "Cy", "Young");
        let p = Probe::of(Some("M"), &other).unwrap();
        assert_eq!(s.check(9, &p, info, None), None);
    }

    /// The note built by hand reads as the `format!` it replaced, quotes and all.
    #[test]
    fn the_shared_note_reads_as_its_format() {
        for (kind, value, other, earlier) in [
            ("phone", "+14155552671", Some("email"), 2u64),
            ("email", "a\"b\\c@x.com", None, 1_234_567),
            ("email", "josé@x.com", Some("phone"), 0),
        ] {
            let also = match other {
                Some(o) => format!(", and so does its {o} where row {earlier}'s is another"),
                None => String::new(),
            };
            let want = format!(
                "{SHARED_NOTE_START}{kind} {value:?} with row {earlier}, which names someone else: HighLevel matches contacts by email and phone, so both rows update one contact and this row's name replaces row {earlier}'s{also} (sent as it is; to keep two contacts, give one of them its own {kind})"
            );
            assert_eq!(shared_note(kind, value, other, earlier), want);
        }
    }

    /// Non-ASCII names fingerprint as their words lower-cased code point by code point,
    /// split at any Unicode whitespace.
    #[test]
    fn non_ascii_names_fingerprint_by_their_lowercased_words() {
        let by_words = |name: &str| {
            let mut h = FNV_START;
            let mut words = 0;
            for w in name.split_whitespace() {
                for c in w.chars().flat_map(char::to_lowercase) {
                    h = (h ^ u64::from(u32::from(c))).wrapping_mul(FNV_PRIME);
                }
                h = h.wrapping_mul(FNV_PRIME);
                words += 1;
            }
            if words > 0 {
                ((h ^ (h >> 32)) as u32).max(1)
            } else {
                0
            }
        };
        for name in [
            "José",
            "  Müller-Lüdenscheidt \u{a0}Ørjan ",
            "ÉMILIE\u{2003}zoë",
            "İstanbul ΣΊΣΥΦΟΣ",
            "\u{3000}",
            "李 小龙",
        ] {
            assert_eq!(fingerprint(Some(name)), by_words(name), "{name:?}");
        }
        assert_eq!(
            fingerprint(Some("José Lee")),
            fingerprint(Some("josé  LEE"))
        );
    }

    /// Ann, then Bob, then Ann again: the third row merges with Bob's contact, so it is
    /// named, with Bob's row; Bob again after that is named with the third row.
    #[test]
    fn a_row_is_compared_with_the_latest_name_its_key_was_given() {
        let mut s = SharedKeys::new(Arc::default());
        let info = Some("info@acme.com");
        assert_eq!(check(&mut s, 2, &valid(info, None, "Ann", "Lee")), None);
        assert!(check(&mut s, 3, &valid(info, None, "Bob", ""))
            .unwrap()
            .contains("with row 2,"));
        // The contact is now "Bob Lee": Ann replaces Bob's name.
        let ann = check(&mut s, 4, &valid(info, None, "Ann", "Lee")).unwrap();
        assert!(
            ann.contains("with row 3, which names someone else"),
            "{ann}"
        );
        // The same person as the latest row names no one else, wherever its first row was.
        assert_eq!(check(&mut s, 5, &valid(info, None, "ann", "")), None);
        let bob = check(&mut s, 6, &valid(info, None, "Bob", "Lee")).unwrap();
        assert!(bob.contains("with row 4,"), "{bob}");
        // A part the latest row left empty is still the contact's: "Ann Smith" after "Ann
        // Lee", then "Ann", names someone else than row 9 did.
        let desk = Some("desk@acme.com");
        assert_eq!(check(&mut s, 9, &valid(desk, None, "Ann", "Lee")), None);
        assert_eq!(check(&mut s, 10, &valid(desk, None, "Ann", "")), None);
        let smith = check(&mut s, 11, &valid(desk, None, "Ann", "Smith")).unwrap();
        assert!(smith.contains("with row 9,"), "{smith}");
    }

    /// Ann's row moves her contact to another phone: her old phone leads nowhere, so Carl's
    /// row with it creates a contact (as `plan` and the import say) and names no one. A phone
    /// the row's email's contact does not hold stays where it is (HighLevel ignores it).
    #[test]
    fn a_key_a_row_moved_its_contact_off_is_compared_with_no_one() {
        let mut s = SharedKeys::new(Arc::default());
        let (p, q) = (Some("+14155550101"), Some("+14155550102"));
        assert_eq!(
            check(&mut s, 2, &valid(Some("ann@x.com"), p, "Ann", "Lee")),
            None
        );
        assert_eq!(
            check(&mut s, 3, &valid(Some("ann@x.com"), q, "Ann", "Lee")),
            None
        );
        assert_eq!(
            check(&mut s, 4, &valid(Some("carl@x.com"), p, "Carl", "Ray")),
            None
        );
        // Carl's contact now holds p; Dee's own email keeps hers, her p stays with Carl's.
        assert_eq!(
            check(&mut s, 5, &valid(Some("dee@x.com"), None, "Dee", "Fox")),
            None
        );
        assert_eq!(
            check(&mut s, 6, &valid(Some("dee@x.com"), p, "Dee", "Fox")),
            None
        );
        let eve = check(&mut s, 7, &valid(None, p, "Eve", "Orr")).unwrap();
        assert!(eve.contains("with row 4,"), "{eve}");
        // Ann's contact still answers to q.
        let flo = check(&mut s, 8, &valid(None, q, "Flo", "Orr")).unwrap();
        assert!(flo.contains("with row 3,"), "{flo}");
    }

    /// Carl's row has Ann's email and Bob's phone: it updates the contact the first key in
    /// the match order finds, and the note names that contact's row.
    #[test]
    fn the_note_names_the_row_of_the_contact_the_match_order_finds() {
        let (ann, bob, carl) = (
            valid(Some("ann@x.com"), None, "Ann", "Lee"),
            valid(None, Some("+14155550102"), "Bob", "Ray"),
            valid(Some("ann@x.com"), Some("+14155550102"), "Carl", "Fox"),
        );
        let mut email_first = SharedKeys::new(Arc::default());
        let mut phone_first = SharedKeys::new(Arc::default()).with_order(MatchOrder::PhoneFirst);
        for s in [&mut email_first, &mut phone_first] {
            assert_eq!(check(s, 2, &ann), None);
            assert_eq!(check(s, 3, &bob), None);
        }
        let by_email = check(&mut email_first, 4, &carl).unwrap();
        assert!(
            by_email.starts_with("shares its email \"ann@x.com\" with row 2,"),
            "{by_email}"
        );
        let by_phone = check(&mut phone_first, 4, &carl).unwrap();
        assert!(
            by_phone.starts_with("shares its phone \"+14155550102\" with row 3,"),
            "{by_phone}"
        );
        // A row with one key is named by it whatever the order.
        let dee = check(
            &mut phone_first,
            5,
            &valid(Some("ann@x.com"), None, "Dee", "Orr"),
        );
        assert!(dee
            .unwrap()
            .starts_with("shares its email \"ann@x.com\" with row 2,"));
    }

    #[test]
    fn names_compare_by_their_words_ignoring_case_and_spacing() {
        let f = |s: &str| fingerprint(Some(s));
        assert_eq!(f("Mary Ann"), f(" mary   ANN "));
        assert_eq!(f("ZOË"), f("zoë"));
        assert_ne!(f("Ann"), f("Anne"));
        assert_ne!(f("Mary Ann"), f("MaryAnn"));
        assert_ne!(f("Zoe"), f("Zoë"));
        assert_eq!(f("  "), 0);
        assert_eq!(fingerprint(None), 0);
        assert_ne!(f("a"), 0);
    }

    #[test]
    fn a_full_map_remembers_no_new_key_and_says_from_which_row() {
        let full = Arc::new(AtomicU64::new(0));
        // Three keys fill a table of four buckets to its capacity.
        let mut s = SharedKeys::with_limit(full.clone(), 3);
        let phone = Some("+14155552671");
        check(&mut s, 2, &valid(Some("a@x.com"), phone, "A", ""));
        check(&mut s, 3, &valid(Some("b@x.com"), None, "B", ""));
        assert_eq!(full.load(Ordering::Relaxed), 0);
        assert_eq!(s.latest.len(), 3);
        let capacity = s.latest.capacity();
        check(&mut s, 4, &valid(Some("c@x.com"), None, "C", ""));
        assert_eq!(full.load(Ordering::Relaxed), 4);
        // Keys remembered before are still compared.
        assert!(check(&mut s, 5, &valid(Some("a@x.com"), None, "D", "")).is_some());
        assert_eq!(
            check(&mut s, 6, &valid(Some("c@x.com"), None, "E", "")),
            None
        );
        for row in 7..100 {
            check(
                &mut s,
                row,
                &valid(Some(&format!("{row}@x.com")), None, "F", ""),
            );
        }
        assert_eq!(full.load(Ordering::Relaxed), 4);
        assert_eq!(s.latest.len(), 3);
        assert_eq!(s.latest.capacity(), capacity, "a full map does not grow");
    }
}
