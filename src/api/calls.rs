//! How many calls the API needs: its batch limits, and the one count of bulk calls that the
//! import's estimate and `plan`'s both use.
//!
//! A bulk tag call adds the same tags to up to a batch of contacts, so a location's rows can
//! be grouped by identical tag set (one call per set per batch), by single tag (one call per
//! tag per batch; a row with three tags sits in three calls), or both: full batches of a set
//! per set, the rows left over per tag. Which is cheapest depends on the file, so the
//! pre-pass tallies it and [`BulkTally::tag_calls`] picks.

use std::collections::HashMap;

/// The bulk business endpoint takes at most 50 ids.
pub const MAX_BUSINESS_BATCH: usize = 50;

/// Bulk calls for groups of contacts that each share one change (a tag set, a business), at
/// `batch` contacts a call.
pub fn bulk_calls(groups: impl IntoIterator<Item = u64>, batch: usize) -> u64 {
    let batch = batch.max(1) as u64;
    groups.into_iter().map(|n| n.div_ceil(batch)).sum()
}

/// Before reading the file: one upsert a row, plus the bulk calls if every row had the same
/// tags (the worst case) and the business when one is set for all.
pub fn import_calls(rows: u64, tag_batch: usize, business: bool) -> u64 {
    rows + bulk_calls([rows], tag_batch)
        + if business {
            bulk_calls([rows], MAX_BUSINESS_BATCH)
        } else {
            0
        }
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

/// One location's bulk changes, as rows carry them.
#[derive(Debug, Clone, Default)]
pub struct BulkTally {
    pub upserts: u64,
    pub by_tag: HashMap<String, u64>,
    pub by_tag_set: HashMap<Vec<String>, u64>,
    pub by_business: HashMap<String, u64>,
}

impl BulkTally {
    /// A row to be upserted with these tags (any order, duplicates allowed) and business.
    pub fn add_row(&mut self, tags: &[String], business: Option<&str>) {
        self.upserts += 1;
        if !tags.is_empty() {
            let mut set = tags.to_vec();
            set.sort();
            set.dedup();
            for t in &set {
                *self.by_tag.entry(t.clone()).or_default() += 1;
            }
            *self.by_tag_set.entry(set).or_default() += 1;
        }
        if let Some(b) = business {
            *self.by_business.entry(b.to_owned()).or_default() += 1;
        }
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

    /// The tag calls these rows take grouped this way.
    pub fn calls_with(&self, grouping: TagGrouping, batch: usize) -> u64 {
        match grouping {
            TagGrouping::PerTagSet => bulk_calls(self.by_tag_set.values().copied(), batch),
            TagGrouping::PerTag => bulk_calls(self.by_tag.values().copied(), batch),
            TagGrouping::SetsThenTags => {
                let b = batch.max(1) as u64;
                let mut left: HashMap<&str, u64> = HashMap::new();
                for (set, n) in &self.by_tag_set {
                    for t in set.iter().filter(|_| n % b > 0) {
                        *left.entry(t).or_default() += n % b;
                    }
                }
                let full: u64 = self.by_tag_set.values().map(|n| n / b).sum();
                full + bulk_calls(left.into_values(), batch)
            }
        }
    }

    pub fn business_calls(&self) -> u64 {
        bulk_calls(self.by_business.values().copied(), MAX_BUSINESS_BATCH)
    }
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
        assert_eq!(import_calls(250, 100, true), 250 + 3 + 5);
        assert_eq!(import_calls(250, 100, false), 253);
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
}
