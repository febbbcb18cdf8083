//! `--changed-only`: which rows send nothing new. The import decides it row by row; the
//! pre-pass decides it the same way beforehand, so the estimate (and its daily-budget check)
//! counts only the rows that will be sent.
//!
//! Rows sharing an email or a phone (a group) end as what the whole group sent in order, so
//! the store remembers each row of a group: a key's first row under the key, its n-th under
//! `<key>#n`. A group is unchanged when each of its rows equals what the same row sent last
//! time; when one row changed, every row of the group is sent again, in order, since a later
//! row's old values would otherwise stay where an earlier row's belong. Only the pre-pass has
//! seen the whole group before its first row is sent: it hands the import the groups to send.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;

use super::keys::{MatchKeys, Prehashed};
use super::prepare::{contact_keys, match_keys};
use crate::contact::ValidRow;
use crate::state::store::Applied;
use crate::state::{RowHashes, StateError, Store};

type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<Prehashed>>;
type KeySet = HashSet<u64, BuildHasherDefault<Prehashed>>;

/// Keys the pre-pass follows at most (about 20 bytes each, 21 MB): a million emails and
/// phones. Past that, a new key's rows are judged alone, as a key of one row is.
pub const FOLLOWED: usize = 1 << 20;

/// What `--changed-only` compares of a row, computed where the row is prepared.
#[derive(Debug, Clone)]
pub struct RowChange {
    keys: MatchKeys,
    /// The keys as the store spells them, in `keys`' order.
    names: Vec<String>,
    pub hashes: RowHashes,
}

impl RowChange {
    pub fn of(location: &str, valid: &ValidRow) -> Self {
        RowChange {
            keys: match_keys(location, valid),
            names: contact_keys(valid),
            hashes: RowHashes::of(valid),
        }
    }

    pub fn keys(&self) -> &MatchKeys {
        &self.keys
    }

    /// The names the store remembers this row under, being the `nth` row of each key.
    pub fn store_keys(&self, nth: Nth) -> Vec<String> {
        store_keys(self.names.clone(), nth)
    }
}

/// What the store records of a row upserted: its hashes, under these keys.
#[derive(Debug, Clone)]
pub struct Remember {
    pub hashes: RowHashes,
    pub keys: Vec<String>,
}

/// Which row of each of its keys a row is, in file order (1: the first row with that key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nth([u32; 2]);

impl Default for Nth {
    fn default() -> Self {
        Nth([1, 1])
    }
}

/// A key's first row is remembered under the key, its n-th under `<key>#n` (no email domain
/// and no phone holds a `#`).
pub fn store_keys(mut names: Vec<String>, nth: Nth) -> Vec<String> {
    for (name, n) in names.iter_mut().zip(nth.0) {
        if n > 1 {
            name.push('#');
            name.push_str(&n.to_string());
        }
    }
    names
}

/// The contact keys sent so far in this run, as hashes: a later row with one of them is never
/// unchanged, since the earlier row changed that contact. A collision only costs a send.
#[derive(Debug, Default)]
pub struct SentKeys(KeySet);

impl SentKeys {
    pub fn mark(&mut self, keys: &MatchKeys) {
        self.0.extend(keys.as_slice());
    }

    /// What the row's contact last got, when the row (the `nth` of its keys) would send it
    /// nothing new: the row equals what the same row of each key sent last time.
    pub fn unchanged(
        &self,
        store: &Store,
        location: &str,
        row: &RowChange,
        nth: Nth,
    ) -> Result<Option<Applied>, StateError> {
        if row.keys.as_slice().iter().any(|k| self.0.contains(k)) {
            return Ok(None);
        }
        let names = row.store_keys(nth);
        let Some(first) = names.first() else {
            return Ok(None);
        };
        // The first key's record decides (the payload holds the email and the phone); a later
        // row of the other key is looked up too, or rows swapping places would go unseen.
        let Some(applied) = store
            .applied(location, first)?
            .filter(|a| row.hashes.unchanged_from(a))
        else {
            return Ok(None);
        };
        for (name, n) in names.iter().zip(nth.0).skip(1) {
            if n > 1 {
                match store.applied(location, name)? {
                    Some(a) if row.hashes.unchanged_from(&a) => {}
                    _ => return Ok(None),
                }
            }
        }
        Ok(Some(applied))
    }
}

/// What the pre-pass learned of the file's groups, for the import.
#[derive(Debug, Clone, Default)]
pub struct Groups {
    /// Keys more than one row holds, with the rows the import has seen of each.
    shared: KeyMap<u32>,
    /// Keys of groups with a changed row: all their rows are sent.
    sent: KeySet,
}

impl Groups {
    /// Which row of each of its keys this one is; call once per valid row, in file order.
    pub fn nth(&mut self, keys: &MatchKeys) -> Nth {
        let mut nth = Nth::default();
        for (n, k) in nth.0.iter_mut().zip(keys.as_slice()) {
            if let Some(seen) = self.shared.get_mut(k) {
                *seen += 1;
                *n = *seen;
            }
        }
        nth
    }

    /// The row belongs to a group in which some row changed.
    pub fn sent(&self, keys: &MatchKeys) -> bool {
        keys.as_slice().iter().any(|k| self.sent.contains(k))
    }
}

/// The pre-pass's walk through the file's keys: which rows share one, transitively (a row
/// with an email and a phone joins the email's group to the phone's), and which groups hold
/// a changed row. A union-find over the keys.
#[derive(Debug, Default)]
pub struct GroupScan {
    index: KeyMap<u32>,
    /// Per key: its parent in the union-find, rows seen with it, and its location.
    parent: Vec<u32>,
    seen: Vec<u32>,
    location: Vec<u32>,
    /// Per group (at its root): a row of it was sent; rows judged unchanged.
    changed: Vec<bool>,
    unchanged: Vec<u32>,
    locations: HashMap<String, u32>,
}

impl GroupScan {
    /// Which row of each of its keys this one is; call once per valid row, in file order.
    pub fn nth(&mut self, location: &str, keys: &MatchKeys) -> Nth {
        let mut nth = Nth::default();
        let loc = match self.locations.get(location) {
            Some(l) => *l,
            None => {
                let l = self.locations.len() as u32;
                self.locations.insert(location.to_owned(), l);
                l
            }
        };
        for (n, k) in nth.0.iter_mut().zip(keys.as_slice()) {
            if let Some(i) = self.key(*k, loc) {
                self.seen[i] += 1;
                *n = self.seen[i];
            }
        }
        nth
    }

    fn key(&mut self, k: u64, loc: u32) -> Option<usize> {
        if let Some(i) = self.index.get(&k) {
            return Some(*i as usize);
        }
        if self.index.len() >= FOLLOWED {
            return None;
        }
        let i = self.parent.len();
        self.index.insert(k, i as u32);
        self.parent.push(i as u32);
        self.seen.push(0);
        self.location.push(loc);
        self.changed.push(false);
        self.unchanged.push(0);
        Some(i)
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] as usize != i {
            let up = self.parent[self.parent[i] as usize];
            self.parent[i] = up;
            i = up as usize;
        }
        i
    }

    /// The row with these keys was judged: sent, or left out as unchanged.
    pub fn judged(&mut self, keys: &MatchKeys, sent: bool) {
        let mut roots = keys
            .as_slice()
            .iter()
            .filter_map(|k| self.index.get(k).map(|i| *i as usize))
            .collect::<Vec<_>>();
        let Some(first) = roots.pop() else { return };
        let mut root = self.root(first);
        for other in roots {
            let other = self.root(other);
            if other != root {
                self.parent[other] = root as u32;
                self.changed[root] |= self.changed[other];
                self.unchanged[root] += self.unchanged[other];
            }
        }
        root = self.root(root);
        if sent {
            self.changed[root] = true;
        } else {
            self.unchanged[root] += 1;
        }
    }

    /// The groups for the import, and by location the rows first judged unchanged that are
    /// sent after all (their group has a changed row).
    pub fn finish(mut self) -> (Groups, HashMap<String, u64>) {
        let mut groups = Groups::default();
        let mut resent = HashMap::new();
        let names: HashMap<u32, String> =
            self.locations.drain().map(|(name, l)| (l, name)).collect();
        let keys: Vec<(u64, u32)> = self.index.iter().map(|(k, i)| (*k, *i)).collect();
        for (k, i) in keys {
            let i = i as usize;
            if self.seen[i] > 1 {
                groups.shared.insert(k, 0);
            }
            let root = self.root(i);
            if self.changed[root] {
                groups.sent.insert(k);
                if root == i && self.unchanged[i] > 0 {
                    let name = names.get(&self.location[i]).cloned().unwrap_or_default();
                    *resent.entry(name).or_default() += u64::from(self.unchanged[i]);
                }
            }
        }
        (groups, resent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(email: &str, phone: &str) -> MatchKeys {
        let mut k = MatchKeys::default();
        if !email.is_empty() {
            k.push("L", b'e', email.as_bytes());
        }
        if !phone.is_empty() {
            k.push("L", b'p', phone.as_bytes());
        }
        k
    }

    #[test]
    fn a_changed_row_sends_every_row_joined_to_it_through_any_key() {
        let (a, b, c, d) = (
            keys("a@x", ""),
            keys("a@x", "+1"),
            keys("", "+1"),
            keys("d@x", ""),
        );
        let mut scan = GroupScan::default();
        for (k, sent) in [(a, false), (b, false), (c, true), (d, false)] {
            scan.nth("L", &k);
            scan.judged(&k, sent);
        }
        let (mut groups, resent) = scan.finish();
        assert!(groups.sent(&a) && groups.sent(&b) && groups.sent(&c));
        assert!(!groups.sent(&d));
        // a and b were counted as left out, and are sent after all.
        assert_eq!(resent.get("L"), Some(&2));
        assert_eq!(groups.nth(&a), Nth([1, 1]));
        assert_eq!(groups.nth(&b), Nth([2, 1]));
        assert_eq!(groups.nth(&c), Nth([2, 1]));
        assert_eq!(groups.nth(&d), Nth([1, 1]));
    }

    #[test]
    fn a_key_of_one_row_is_remembered_under_itself_and_a_later_row_by_its_place() {
        let names = vec!["e:a@x.com".to_owned(), "p:+14155552671".to_owned()];
        assert_eq!(store_keys(names.clone(), Nth([1, 1])), names);
        assert_eq!(
            store_keys(names, Nth([1, 3])),
            ["e:a@x.com", "p:+14155552671#3"]
        );
    }
}
