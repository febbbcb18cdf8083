//! How many calls the API needs: its batch limits, and the one count of bulk calls that the
//! import's estimate and `plan`'s both use.
//!
//! A bulk tag call adds the same tags to up to a batch of contacts, so a location's rows can
//! be grouped by identical tag set (one call per set per batch), by single tag (one call per
//! tag per batch; a row with three tags sits in three calls), or both: full batches of a set
//! per set, the rows left over per tag. Which is cheapest depends on the file, so the
//! pre-pass tallies it and [`BulkTally::tag_calls`] picks.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

use super::batch_window::{Batches, Window, WindowedCalls};

/// The bulk business endpoint takes at most 50 ids.
pub const MAX_BUSINESS_BATCH: usize = 50;

/// Bulk calls for groups of contacts that each share one change (a tag set, a business), at
/// `batch` contacts a call.
pub fn bulk_calls(groups: impl IntoIterator<Item = u64>, batch: usize) -> u64 {
    let batch = batch.max(1) as u64;
    groups.into_iter().map(|n| n.div_ceil(batch)).sum()
}

/// How a location's tag calls are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TagGrouping {
    /// Rows with the same (sorted) tag set share calls. Without a tally this is the safe
    /// choice: never worse than one call per row per batch.
    #[default]
    PerTagSet,
    /// One call per tag: a row's tags may go out in several calls.
    PerTag,
    /// Rows sharing a tag set go out per set while they fill whole batches; the rows left
    /// over (fewer than a batch per set) go out per tag once the location's rows are all in.
    /// Never more calls than [`TagGrouping::PerTag`]; fewer when a set fills a batch.
    SetsThenTags,
}

/// Distinct tags, tag sets and businesses one location's tally keeps apart. Past it, rows
/// with a new one are only counted, as if each were a call of its own (an upper bound), so
/// memory stays flat on any file; [`BulkTally::approximate`] then says so.
pub const TRACKED_PER_LOCATION: usize = 20_000;

/// The same over all locations together: what bounds a pre-pass's or a plan's memory.
pub const TRACKED_IN_ALL: usize = 200_000;

/// One location's bulk changes, as rows carry them.
#[derive(Debug, Clone, Default)]
pub struct BulkTally {
    pub upserts: u64,
    pub by_tag: HashMap<String, u64>,
    pub by_tag_set: HashMap<Vec<String>, u64>,
    pub by_business: HashMap<String, u64>,
    /// Past the cap: uses of tags, rows of tag sets, rows of businesses not kept apart.
    pub untracked_tag_uses: u64,
    pub untracked_set_rows: u64,
    pub untracked_business_rows: u64,
    /// The tags of those untracked sets' rows, one use a row.
    pub untracked_set_tag_uses: u64,
    /// Rows counted in file order: the batches as the ledger closes them ...
    batches: Option<Box<Batches>>,
    /// ... and, once the input ended, their calls.
    windowed: Option<WindowedCalls>,
}

impl BulkTally {
    /// A row to be upserted with these tags (any order, duplicates allowed) and business.
    pub fn add_row(&mut self, tags: &[String], business: Option<&str>) {
        let mut room = usize::MAX;
        self.add_row_within(tags, business, &mut room);
    }

    /// [`Self::add_row`], where `room` is how many more distinct keys the caller's tallies
    /// may keep together (several locations share one budget); it is used up as keys are added.
    pub fn add_row_within(&mut self, tags: &[String], business: Option<&str>, room: &mut usize) {
        let seq = self.upserts;
        self.add_row_at(seq, tags, business, room);
    }

    /// A tally whose rows come in file order ([`Self::add_row_at`]), so that its calls are
    /// the ledger's: batches of rows further apart than `window` go out before they fill.
    pub fn in_file_order(window: Window) -> Self {
        BulkTally {
            batches: Some(Box::new(Batches::new(window))),
            ..BulkTally::default()
        }
    }

    /// [`Self::add_row_within`] for the row `seq` of the file (0, 1, 2 … over all locations).
    pub fn add_row_at(
        &mut self,
        seq: u64,
        tags: &[String],
        business: Option<&str>,
        room: &mut usize,
    ) {
        self.upserts += 1;
        let mut fits = budget(self.tracked(), room);
        if !tags.is_empty() {
            let mut set = tags.to_vec();
            set.sort();
            set.dedup();
            for t in &set {
                if !count(&mut self.by_tag, t.as_str(), 1, &mut fits) {
                    self.untracked_tag_uses += 1;
                } else if let Some(b) = &mut self.batches {
                    b.add_tag(seq, t);
                }
            }
            if !count(&mut self.by_tag_set, set.as_slice(), 1, &mut fits) {
                self.untracked_set_rows += 1;
                self.untracked_set_tag_uses += set.len() as u64;
            } else if let Some(b) = &mut self.batches {
                b.add_set(seq, &set);
            }
        }
        if let Some(biz) = business {
            if !count(&mut self.by_business, biz, 1, &mut fits) {
                self.untracked_business_rows += 1;
            } else if let Some(b) = &mut self.batches {
                b.add_business(seq, biz);
            }
        }
    }

    /// The input ended at row `last` (a seq): what [`Self::in_file_order`] batches came to.
    pub fn end_of_input(&mut self, last: u64) {
        if let Some(b) = self.batches.take() {
            self.windowed = Some(b.finish(last));
        }
    }

    fn tracked(&self) -> usize {
        self.by_tag.len() + self.by_tag_set.len() + self.by_business.len()
    }

    /// Some rows were only counted: the calls are an upper bound.
    pub fn approximate(&self) -> bool {
        self.untracked_tag_uses + self.untracked_set_rows + self.untracked_business_rows > 0
    }

    /// The cheapest grouping for these rows and its number of tag calls (ties keep the
    /// simpler: [`TagGrouping::PerTagSet`], whose rows' tags go out together, then
    /// [`TagGrouping::PerTag`]).
    pub fn tag_calls(&self, batch: usize) -> (TagGrouping, u64) {
        [
            (
                TagGrouping::PerTagSet,
                self.calls_with(TagGrouping::PerTagSet, batch),
            ),
            (
                TagGrouping::PerTag,
                self.calls_with(TagGrouping::PerTag, batch),
            ),
            (
                TagGrouping::SetsThenTags,
                self.calls_with(TagGrouping::SetsThenTags, batch),
            ),
        ]
        .into_iter()
        .min_by_key(|&(_, calls)| calls)
        .unwrap_or_default()
    }

    /// The tag calls these rows take grouped this way (at most, when the tally is
    /// [`approximate`](Self::approximate): a row or tag use not kept apart counts as a call).
    pub fn calls_with(&self, grouping: TagGrouping, batch: usize) -> u64 {
        if let Some(w) = &self.windowed {
            return match grouping {
                TagGrouping::PerTagSet => w.per_set + self.untracked_set_rows,
                TagGrouping::PerTag => w.per_tag + self.untracked_tag_uses,
                TagGrouping::SetsThenTags => w.sets_then_tags + self.untracked_set_tag_uses,
            };
        }
        match grouping {
            TagGrouping::PerTagSet => {
                bulk_calls(self.by_tag_set.values().copied(), batch) + self.untracked_set_rows
            }
            TagGrouping::PerTag => {
                bulk_calls(self.by_tag.values().copied(), batch) + self.untracked_tag_uses
            }
            TagGrouping::SetsThenTags => {
                let b = batch.max(1) as u64;
                let mut left: HashMap<&str, u64> = HashMap::new();
                for (set, n) in &self.by_tag_set {
                    for t in set.iter().filter(|_| n % b > 0) {
                        *left.entry(t).or_default() += n % b;
                    }
                }
                let full: u64 = self.by_tag_set.values().map(|n| n / b).sum();
                full + bulk_calls(left.into_values(), batch) + self.untracked_set_tag_uses
            }
        }
    }

    pub fn business_calls(&self) -> u64 {
        let tracked = match &self.windowed {
            Some(w) => w.business,
            None => bulk_calls(self.by_business.values().copied(), MAX_BUSINESS_BATCH),
        };
        tracked + self.untracked_business_rows
    }
}

/// Whether one more distinct key may be kept, within the location's cap and the caller's
/// shared `room` (used up as keys are kept).
fn budget(tracked: usize, room: &mut usize) -> impl FnMut() -> bool + '_ {
    let mut tracked = tracked;
    move || {
        let fits = *room > 0 && tracked < TRACKED_PER_LOCATION;
        if fits {
            *room -= 1;
            tracked += 1;
        }
        fits
    }
}

/// `n` more rows for `key`; false when the key is new and `fits` finds no room for it.
fn count<K, Q>(map: &mut HashMap<K, u64>, key: &Q, n: u64, fits: &mut impl FnMut() -> bool) -> bool
where
    K: Borrow<Q> + Hash + Eq,
    Q: ToOwned<Owned = K> + Hash + Eq + ?Sized,
{
    if let Some(c) = map.get_mut(key) {
        *c += n;
        return true;
    }
    if !fits() {
        return false;
    }
    map.insert(key.to_owned(), n);
    true
}

/// The grouping each location's tag calls use, decided before the import from the file's
/// tally; locations it does not name use the default.
#[derive(Debug, Clone, Default)]
pub struct BulkPlan {
    pub by_location: HashMap<String, TagGrouping>,
}

impl BulkPlan {
    pub fn from_tallies<'a>(
        tallies: impl IntoIterator<Item = (&'a String, &'a BulkTally)>,
        batch: usize,
    ) -> Self {
        BulkPlan {
            by_location: tallies
                .into_iter()
                .map(|(loc, t)| (loc.clone(), t.tag_calls(batch).0))
                .collect(),
        }
    }

    pub fn grouping(&self, location: &str) -> TagGrouping {
        self.by_location.get(location).copied().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn varied_tag_sets_are_grouped_per_tag_and_one_shared_set_per_set() {
        let mut varied = BulkTally::default();
        // 8 tags, every pair a set of its own: 28 sets, each on a few rows.
        let all = ["a", "b", "c", "d", "e", "f", "g", "h"];
        for i in 0..8 {
            for j in (i + 1)..8 {
                varied.add_row(&tags(&[all[j], all[i]]), None);
            }
        }
        assert_eq!(varied.tag_calls(100), (TagGrouping::PerTag, 8));

        let mut shared = BulkTally::default();
        for _ in 0..250 {
            shared.add_row(&tags(&["vip", "2024", "vip"]), Some("biz"));
        }
        assert_eq!(shared.tag_calls(100), (TagGrouping::PerTagSet, 3));
        assert_eq!(shared.calls_with(TagGrouping::PerTag, 100), 6);
        // Two full batches per set, then 50 rows per tag: 2 + 2.
        assert_eq!(shared.calls_with(TagGrouping::SetsThenTags, 100), 4);
        assert_eq!(shared.business_calls(), 5);
        assert_eq!(shared.upserts, 250);
    }

    #[test]
    fn bulk_calls_round_each_group_up_to_whole_batches() {
        assert_eq!(bulk_calls([150, 100], 100), 3);
        assert_eq!(bulk_calls([51], MAX_BUSINESS_BATCH), 2);
        assert_eq!(bulk_calls([0], 100), 0);
    }

    #[test]
    fn a_set_that_fills_batches_among_varied_ones_is_cheapest_sets_then_tags() {
        let mut t = BulkTally::default();
        // A newsletter audience: 230 rows with the same two tags, then 40 rows with one or
        // two of four others.
        for _ in 0..230 {
            t.add_row(&tags(&["Newsletter", "VIP"]), None);
        }
        let others = ["Lead", "Customer", "Webinar", "Blog"];
        for i in 0..40 {
            let mut row = vec![others[i % 4]];
            if i % 3 == 0 {
                row.push(others[(i + 1) % 4]);
            }
            t.add_row(&tags(&row), None);
        }
        let per_set = t.calls_with(TagGrouping::PerTagSet, 100);
        let per_tag = t.calls_with(TagGrouping::PerTag, 100);
        // 2 full batches; the 30 left over plus the 40 others go per tag: 6 tags, 1 call each.
        assert_eq!(t.tag_calls(100), (TagGrouping::SetsThenTags, 8));
        assert_eq!((per_set, per_tag), (3 + 8, 3 + 3 + 4));
    }

    #[test]
    fn past_its_room_a_tally_counts_new_keys_as_calls_of_their_own_and_says_so() {
        let mut t = BulkTally::default();
        // Room for three keys: tag "a", set [a], business "x".
        let mut room = 3;
        for _ in 0..150 {
            t.add_row_within(&tags(&["a"]), Some("x"), &mut room);
        }
        assert!(!t.approximate());
        assert_eq!(t.tag_calls(100), (TagGrouping::PerTagSet, 2));
        for i in 0..5 {
            t.add_row_within(&tags(&["a", &format!("new{i}")]), Some("y"), &mut room);
        }
        assert_eq!(room, 0);
        assert!(t.approximate());
        assert_eq!(t.by_tag.len() + t.by_tag_set.len() + t.by_business.len(), 3);
        assert_eq!(t.upserts, 155);
        // Per tag: "a" on 155 rows (2 calls) and 5 untracked uses; per set: 2 + 5.
        assert_eq!(t.tag_calls(100), (TagGrouping::PerTagSet, 7));
        assert_eq!(t.business_calls(), 3 + 5);
    }
}
