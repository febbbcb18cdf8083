use std::collections::{BTreeMap, HashMap};

use super::{Step, StepError};
use crate::event::{RowOutcome, StepStatus};

/// An upserted row's bulk steps are `skipped` until a bulk call says otherwise, so a run
/// that stops (or a resume reading the store) knows they are still owed.
pub fn mark_owed(outcome: &mut RowOutcome, tags: &[String], business: Option<&str>) {
    if !tags.is_empty() {
        outcome.tags_status = StepStatus::Skipped;
    }
    if business.is_some() {
        outcome.business_status = StepStatus::Skipped;
    }
}

/// What a bulk batch does to its contacts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BatchKind {
    /// Add these tags (sorted, so rows with the same set share batches).
    Tags(Vec<String>),
    /// Set this business.
    Business(String),
}

impl BatchKind {
    pub fn step(&self) -> Step {
        match self {
            BatchKind::Tags(_) => Step::Tags,
            BatchKind::Business(_) => Step::Business,
        }
    }
}

/// A bulk call to make: the same change for up to a batch's worth of contacts.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub location: String,
    pub kind: BatchKind,
    /// (row seq, contact id)
    pub items: Vec<(u64, String)>,
}

type GroupKey = (String, BatchKind);

struct Entry {
    outcome: RowOutcome,
    /// Bulk steps still owed to this row.
    waiting: u8,
    /// The open groups this row sits in, for flushing the head of the line.
    groups: Vec<GroupKey>,
}

/// Rows between "read" and "reported", and the open bulk batches.
pub struct Ledger {
    pending: BTreeMap<u64, Entry>,
    next_emit: u64,
    groups: HashMap<GroupKey, Vec<(u64, String)>>,
    tag_batch: usize,
    business_batch: usize,
}

impl Ledger {
    pub fn new(tag_batch: usize, business_batch: usize) -> Self {
        Ledger {
            pending: BTreeMap::new(),
            next_emit: 0,
            groups: HashMap::new(),
            tag_batch: tag_batch.max(1),
            business_batch: business_batch.max(1),
        }
    }

    /// A row that owes nothing more (invalid, failed, dry-run, deferred).
    pub fn finish(&mut self, outcome: RowOutcome) {
        let seq = outcome.seq;
        self.pending.insert(
            seq,
            Entry {
                outcome,
                waiting: 0,
                groups: Vec::new(),
            },
        );
    }

    /// A row whose upsert succeeded; its tags and business join open batches. Returns the
    /// batches that became full.
    pub fn upserted(
        &mut self,
        mut outcome: RowOutcome,
        location: &str,
        tags: &[String],
        business: Option<&str>,
    ) -> Vec<Batch> {
        let seq = outcome.seq;
        let id = outcome.contact_id.clone().unwrap_or_default();
        let mut groups = Vec::new();
        mark_owed(&mut outcome, tags, business);
        if !tags.is_empty() {
            let mut set = tags.to_vec();
            set.sort();
            set.dedup();
            groups.push(((location.to_owned(), BatchKind::Tags(set)), self.tag_batch));
        }
        if let Some(b) = business {
            groups.push((
                (location.to_owned(), BatchKind::Business(b.to_owned())),
                self.business_batch,
            ));
        }
        let mut full = Vec::new();
        let mut keys = Vec::new();
        for (key, size) in groups {
            let items = self.groups.entry(key.clone()).or_default();
            items.push((seq, id.clone()));
            if items.len() >= size {
                let items = self.groups.remove(&key).unwrap_or_default();
                full.push(Batch {
                    location: key.0.clone(),
                    kind: key.1.clone(),
                    items,
                });
            }
            keys.push(key);
        }
        let waiting = keys.len() as u8;
        self.pending.insert(
            seq,
            Entry {
                outcome,
                waiting,
                groups: keys,
            },
        );
        for b in &full {
            self.close_group(b);
        }
        full
    }

    /// Forget the open-group links of a batch that is being sent.
    fn close_group(&mut self, batch: &Batch) {
        let key = (batch.location.clone(), batch.kind.clone());
        for (seq, _) in &batch.items {
            if let Some(e) = self.pending.get_mut(seq) {
                e.groups.retain(|g| *g != key);
            }
        }
    }

    /// Records a bulk call's per-row results; an `Err` row's step becomes `failed_as`
    /// (`Failed`, or `Skipped` when the call was never made).
    pub fn batch_done(
        &mut self,
        kind: &BatchKind,
        results: Vec<(u64, Result<(), String>)>,
        failed_as: StepStatus,
    ) {
        for (seq, res) in results {
            let Some(e) = self.pending.get_mut(&seq) else {
                continue;
            };
            let status = match kind.step() {
                Step::Tags => &mut e.outcome.tags_status,
                Step::Business => &mut e.outcome.business_status,
            };
            match res {
                Ok(()) => *status = StepStatus::Done,
                Err(reason) => {
                    *status = failed_as;
                    let error = StepError {
                        step: kind.step(),
                        reason,
                    };
                    e.outcome.errors.push(error.to_string());
                }
            }
            e.waiting = e.waiting.saturating_sub(1);
        }
    }

    /// Rows whose account is complete and whose turn it is, in input order.
    pub fn pop_ready(&mut self) -> Vec<RowOutcome> {
        let mut out = Vec::new();
        while let Some(e) = self.pending.first_entry() {
            if *e.key() != self.next_emit || e.get().waiting > 0 {
                break;
            }
            out.push(e.remove().outcome);
            self.next_emit += 1;
        }
        out
    }

    /// Rows held back waiting for their turn or a bulk call.
    pub fn buffered(&self) -> usize {
        self.pending.len()
    }

    pub fn emitted(&self) -> u64 {
        self.next_emit
    }

    /// The open batches holding back the oldest unreported row. Bounds memory when a rare
    /// tag set would otherwise keep every later row waiting until the end.
    pub fn flush_head(&mut self) -> Vec<Batch> {
        let keys = match self.pending.first_key_value() {
            Some((seq, e)) if *seq == self.next_emit => e.groups.clone(),
            _ => return Vec::new(),
        };
        self.flush(keys)
    }

    /// Every open batch (end of input).
    pub fn flush_all(&mut self) -> Vec<Batch> {
        let mut keys: Vec<GroupKey> = self.groups.keys().cloned().collect();
        keys.sort_by(|a, b| {
            let first = |k: &GroupKey| self.groups.get(k).and_then(|v| v.first()).map(|x| x.0);
            first(a).cmp(&first(b))
        });
        self.flush(keys)
    }

    /// Every open batch of one location (it has no rows left).
    pub fn flush_location(&mut self, location: &str) -> Vec<Batch> {
        let mut keys: Vec<GroupKey> = self
            .groups
            .keys()
            .filter(|k| k.0 == location)
            .cloned()
            .collect();
        keys.sort_by_key(|k| self.groups.get(k).and_then(|v| v.first()).map(|x| x.0));
        self.flush(keys)
    }

    fn flush(&mut self, keys: Vec<GroupKey>) -> Vec<Batch> {
        let mut out = Vec::new();
        for key in keys {
            if let Some(items) = self.groups.remove(&key) {
                let b = Batch {
                    location: key.0,
                    kind: key.1,
                    items,
                };
                self.close_group(&b);
                out.push(b);
            }
        }
        out
    }

    /// The run stopped: open batches will not be sent; their rows keep `skipped`.
    pub fn abandon_open_batches(&mut self, reason: &str) {
        let keys: Vec<GroupKey> = self.groups.keys().cloned().collect();
        for b in self.flush(keys) {
            for (seq, _) in &b.items {
                if let Some(e) = self.pending.get_mut(seq) {
                    e.waiting = e.waiting.saturating_sub(1);
                    let error = StepError {
                        step: b.kind.step(),
                        reason: format!("not sent: {reason}"),
                    };
                    e.outcome.errors.push(error.to_string());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::RowStatus;

    fn outcome(seq: u64, status: RowStatus) -> RowOutcome {
        RowOutcome {
            contact_id: Some(format!("c{seq}")),
            ..RowOutcome::new(seq, seq + 2, status)
        }
    }

    fn tags(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn emits_in_order_only() {
        let mut l = Ledger::new(100, 50);
        l.finish(outcome(1, RowStatus::Invalid));
        assert!(l.pop_ready().is_empty());
        l.finish(outcome(0, RowStatus::Created));
        let got: Vec<u64> = l.pop_ready().iter().map(|o| o.seq).collect();
        assert_eq!(got, vec![0, 1]);
    }

    #[test]
    fn groups_by_tag_set_and_flushes_when_full() {
        let mut l = Ledger::new(2, 50);
        assert!(l
            .upserted(
                outcome(0, RowStatus::Created),
                "L",
                &tags(&["b", "a"]),
                None
            )
            .is_empty());
        assert!(l
            .upserted(outcome(1, RowStatus::Created), "L", &tags(&["x"]), None)
            .is_empty());
        let full = l.upserted(
            outcome(2, RowStatus::Created),
            "L",
            &tags(&["a", "b"]),
            None,
        );
        assert_eq!(full.len(), 1);
        assert_eq!(full[0].kind, BatchKind::Tags(tags(&["a", "b"])));
        assert_eq!(full[0].items, vec![(0, "c0".into()), (2, "c2".into())]);
        assert!(l.pop_ready().is_empty(), "row 0 waits for its tag call");
        l.batch_done(
            &full[0].kind,
            vec![(0, Ok(())), (2, Err("contact is deleted".into()))],
            StepStatus::Failed,
        );
        let ready = l.pop_ready();
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].tags_status, StepStatus::Done);
        let rest = l.flush_all();
        assert_eq!(rest.len(), 1);
        l.batch_done(&rest[0].kind, vec![(1, Ok(()))], StepStatus::Failed);
        let ready = l.pop_ready();
        assert_eq!(ready.iter().map(|o| o.seq).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(ready[1].tags_status, StepStatus::Failed);
        assert_eq!(
            ready[1].errors,
            vec!["tags: contact is deleted".to_string()]
        );
    }

    #[test]
    fn business_batches_hold_at_most_their_size() {
        let mut l = Ledger::new(100, 50);
        let mut batches = Vec::new();
        for i in 0..120 {
            batches.extend(l.upserted(outcome(i, RowStatus::Updated), "L", &[], Some("biz")));
        }
        batches.extend(l.flush_all());
        assert_eq!(
            batches.iter().map(|b| b.items.len()).collect::<Vec<_>>(),
            vec![50, 50, 20]
        );
    }

    #[test]
    fn flush_head_releases_the_oldest_row() {
        let mut l = Ledger::new(100, 50);
        l.upserted(outcome(0, RowStatus::Created), "L", &tags(&["rare"]), None);
        for i in 1..10 {
            l.upserted(
                outcome(i, RowStatus::Created),
                "L",
                &tags(&["common"]),
                None,
            );
        }
        let b = l.flush_head();
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].kind, BatchKind::Tags(tags(&["rare"])));
        assert!(l.flush_head().is_empty(), "head batch already in flight");
    }

    #[test]
    fn abandoned_batches_release_rows_as_skipped() {
        let mut l = Ledger::new(100, 50);
        l.upserted(
            outcome(0, RowStatus::Created),
            "L",
            &tags(&["t"]),
            Some("b"),
        );
        l.abandon_open_batches("the run stopped");
        let r = l.pop_ready();
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].tags_status, r[0].business_status),
            (StepStatus::Skipped, StepStatus::Skipped)
        );
        assert_eq!(r[0].errors.len(), 2);
    }
}
