//! Bulk calls as the import's ledger really closes its batches: when full, or early, once the
//! batch's first row has a window of rows after it (the ledger holds at most that many rows
//! for ordering, so a rare tag set's batch goes out before it fills). Counted over the rows
//! in file order, as if each finished in turn; `BulkTally::tag_calls` then weighs the
//! groupings by what they will cost, not by their floor.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

/// The window and the batch sizes.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Rows after a batch's first row before it is sent early.
    pub rows: u64,
    pub tag_batch: u64,
    pub business_batch: u64,
}

#[derive(Debug, Clone, Copy)]
struct Open {
    rows: u64,
    first: u64,
}

/// One kind of group (tag sets, tags or businesses) of one location.
#[derive(Debug, Clone)]
struct Groups<K> {
    open: HashMap<K, Open>,
    calls: u64,
}

impl<K> Default for Groups<K> {
    fn default() -> Self {
        Groups {
            open: HashMap::new(),
            calls: 0,
        }
    }
}

impl<K: Hash + Eq> Groups<K> {
    fn add<Q>(&mut self, key: &Q, seq: u64, window: u64, batch: u64)
    where
        K: Borrow<Q>,
        Q: ToOwned<Owned = K> + Hash + Eq + ?Sized,
    {
        let Some(o) = self.open.get_mut(key) else {
            if batch <= 1 {
                self.calls += 1;
            } else {
                self.open.insert(
                    key.to_owned(),
                    Open {
                        rows: 1,
                        first: seq,
                    },
                );
            }
            return;
        };
        if seq.saturating_sub(o.first) > window {
            // Sent early, before this row came.
            self.calls += 1;
            *o = Open {
                rows: 0,
                first: seq,
            };
        }
        o.rows += 1;
        if o.rows >= batch {
            self.calls += 1;
            self.open.remove(key);
        }
    }

    /// At the end of input: batches already past the window went early (one call each);
    /// the others are returned, still open.
    fn finish(self, last: u64, window: u64) -> (u64, Vec<(K, u64)>) {
        let mut calls = self.calls;
        let mut open = Vec::new();
        for (k, o) in self.open {
            if last.saturating_sub(o.first) > window {
                calls += 1;
            } else {
                open.push((k, o.rows));
            }
        }
        (calls, open)
    }
}

/// One location's batches under each grouping, as rows arrive in file order.
#[derive(Debug, Clone)]
pub struct Batches {
    window: Window,
    sets: Groups<Vec<String>>,
    tags: Groups<String>,
    businesses: Groups<String>,
}

/// What the batches came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WindowedCalls {
    pub per_set: u64,
    pub per_tag: u64,
    pub sets_then_tags: u64,
    pub business: u64,
}

impl Batches {
    pub fn new(window: Window) -> Self {
        Batches {
            window,
            sets: Groups::default(),
            tags: Groups::default(),
            businesses: Groups::default(),
        }
    }

    pub fn add_set(&mut self, seq: u64, set: &[String]) {
        let w = self.window;
        self.sets.add(set, seq, w.rows, w.tag_batch);
    }

    pub fn add_tag(&mut self, seq: u64, tag: &str) {
        let w = self.window;
        self.tags.add(tag, seq, w.rows, w.tag_batch);
    }

    pub fn add_business(&mut self, seq: u64, business: &str) {
        let w = self.window;
        self.businesses.add(business, seq, w.rows, w.business_batch);
    }

    /// The calls once the input ended at row `last` (a seq): what is still open goes out,
    /// and with sets then tags, the sets still open give their rows to per-tag calls.
    pub fn finish(self, last: u64) -> WindowedCalls {
        let w = self.window;
        let (set_calls, open_sets) = self.sets.finish(last, w.rows);
        let (tag_calls, open_tags) = self.tags.finish(last, w.rows);
        let (business_calls, open_businesses) = self.businesses.finish(last, w.rows);
        let mut left: HashMap<&str, u64> = HashMap::new();
        for (set, n) in &open_sets {
            for t in set {
                *left.entry(t).or_default() += n;
            }
        }
        let per_tag_calls = |n: &u64| n.div_ceil(w.tag_batch.max(1));
        WindowedCalls {
            per_set: set_calls + open_sets.len() as u64,
            per_tag: tag_calls + open_tags.len() as u64,
            sets_then_tags: set_calls + left.values().map(per_tag_calls).sum::<u64>(),
            business: business_calls + open_businesses.len() as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(rows: u64) -> Batches {
        Batches::new(Window {
            rows,
            tag_batch: 3,
            business_batch: 2,
        })
    }

    fn set(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_batch_goes_out_full_or_once_its_first_row_is_a_window_old() {
        let mut b = window(10);
        // Rows 0, 1, 2: one full batch of "a".
        for seq in 0..3 {
            b.add_tag(seq, "a");
        }
        // Row 5, then row 20: the batch opened at 5 went out early (20 - 5 > 10).
        b.add_tag(5, "b");
        b.add_tag(20, "b");
        b.add_tag(21, "b");
        // Row 22 ends the input: "b" (opened at 20) is open and goes out at the end.
        let c = b.finish(22);
        assert_eq!(c.per_tag, 3);
    }

    #[test]
    fn sets_still_open_at_the_end_go_per_tag_and_sets_past_the_window_went_as_sets() {
        let mut b = window(100);
        b.add_set(0, &set(&["x", "y"]));
        b.add_set(1, &set(&["x", "z"]));
        b.add_set(2, &set(&["x"]));
        b.add_business(0, "biz");
        b.add_business(1, "biz");
        b.add_business(2, "biz");
        let c = b.clone().finish(3);
        // Three sets open: per set 3 calls; sets then tags: x on 3 rows (1 call), y, z.
        assert_eq!((c.per_set, c.sets_then_tags, c.business), (3, 3, 2));
        // Far past the window, the sets went out as sets, early.
        let c = b.finish(500);
        assert_eq!((c.per_set, c.sets_then_tags), (3, 3));
    }
}
