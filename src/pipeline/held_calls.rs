//! Bulk calls held back for the end of a location's upserts. A location's last batches each
//! hold a row still in flight, so they wait for its last upserts' answers, and its lane would
//! idle meanwhile: quota lost for good (about 0.2 s of a 20-second run at 50 per second). So
//! once every row is read, the calls that are ready to go (full batches) of a location with
//! upserts still to start wait until its every row has started: they then queue behind those
//! upserts (the lane takes requests in turn) and fill the wait. As many wait as the lane sends
//! while its slowest recent answer comes back, plus one for the collector's turn between that
//! answer and the last calls: enough to cover the wait, and few, since a held batch holds its
//! rows' report lines (and the collector sends them all once more rows than its window wait).
//! A held batch is already closed, and the ledger closes batches by rows, not time, so holding
//! makes no batch close early: the run makes the calls the estimate counts.

use std::collections::VecDeque;

use crate::api::fast_map::{FastMap, FastSet};
use crate::state::Batch;

/// The most calls one location holds, whatever its pace and latency.
pub(super) const MOST_HELD: usize = 32;

#[derive(Default)]
pub(super) struct HeldCalls {
    /// Once every row is read: the locations with rows still to start. Only their calls wait.
    starting: FastSet<String>,
    /// By location, never an empty queue: a location with nothing held has no entry.
    held: FastMap<String, VecDeque<Batch>>,
}

impl HeldCalls {
    /// Every row is read; these locations still have rows to start.
    pub(super) fn input_read(&mut self, starting: Vec<String>) {
        self.starting.extend(starting);
    }

    /// Whether a call of `location` ready now may wait.
    pub(super) fn may_hold(&self, location: &str) -> bool {
        self.starting.contains(location)
    }

    /// `batch` is ready and may wait, with `room` calls of its location at most: what is to
    /// go now (the location's oldest held call when there is no room left).
    pub(super) fn offer(&mut self, batch: Batch, room: usize) -> Option<Batch> {
        let room = room.min(MOST_HELD);
        if room == 0 {
            return Some(batch);
        }
        let q = self.held.entry(batch.location.clone()).or_default();
        q.push_back(batch);
        if q.len() <= room {
            return None;
        }
        q.pop_front()
    }

    /// Every row of `location` has started its upsert: its held calls, oldest first; its
    /// later ones are not held.
    pub(super) fn started(&mut self, location: &str) -> Vec<Batch> {
        self.starting.remove(location);
        self.release(location)
    }

    /// `location`'s held calls, oldest first.
    pub(super) fn release(&mut self, location: &str) -> Vec<Batch> {
        self.held.remove(location).unwrap_or_default().into()
    }

    /// Every held call, each location's oldest first.
    pub(super) fn release_all(&mut self) -> Vec<Batch> {
        self.held.drain().flat_map(|(_, q)| q).collect()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.held.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::BatchKind;

    fn batch(location: &str, tag: &str) -> Batch {
        Batch {
            location: location.to_owned(),
            kind: BatchKind::Tags(vec![tag.to_owned()]),
            items: vec![(0, "c0".to_owned())],
        }
    }

    fn tags(batches: &[Batch]) -> Vec<String> {
        batches
            .iter()
            .map(|b| match &b.kind {
                BatchKind::Tags(t) => t.join(","),
                BatchKind::Business(b) => b.clone(),
            })
            .collect()
    }

    #[test]
    fn nothing_waits_before_the_input_is_read_and_a_location_holds_only_its_room() {
        let mut h = HeldCalls::default();
        assert!(!h.may_hold("A"), "mid-file, ready calls go at once");
        h.input_read(vec!["A".into(), "B".into()]);
        assert!(h.may_hold("A"));
        assert!(!h.may_hold("C"), "C has no rows left to start");
        assert!(h.offer(batch("A", "a"), 2).is_none());
        assert!(h.offer(batch("A", "b"), 2).is_none());
        assert!(h.offer(batch("B", "x"), 2).is_none());
        // A third call of A: the oldest goes.
        assert_eq!(tags(&[h.offer(batch("A", "c"), 2).unwrap()]), ["a"]);
        assert_eq!(tags(&h.started("A")), ["b", "c"]);
        assert!(!h.may_hold("A"), "A's every row has started");
        assert!(h.may_hold("B"));
        assert!(!h.is_empty());
        assert_eq!(tags(&h.release_all()), ["x"]);
        assert!(h.is_empty());
    }

    #[test]
    fn no_location_holds_more_than_the_most_whatever_its_room() {
        let mut h = HeldCalls::default();
        h.input_read(vec!["A".into()]);
        let mut went = 0;
        for i in 0..MOST_HELD + 5 {
            went += h.offer(batch("A", &i.to_string()), 1000).iter().count();
        }
        assert_eq!(went, 5);
        assert_eq!(h.release("A").len(), MOST_HELD);
        assert!(h.is_empty());
    }
}
