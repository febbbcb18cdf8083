use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::Arc;

use super::{Step, StepError};
use crate::api::calls::{BulkPlan, TagGrouping};
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
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BatchKind {
    /// Add these tags (sorted): a row's whole tag set, or one of its tags when the location's
    /// calls are grouped per tag.
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

/// What a bulk call's answer did to one row's step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepUpdate {
    pub seq: u64,
    /// The step's status once every call it needed is back; `None` while some are owed.
    pub settled: Option<StepStatus>,
    /// The call succeeded for this row but the step as a whole is not (or not yet) done:
    /// its tags are to be recorded one by one, so a resume sends only the others.
    pub part_done: bool,
}

type GroupKey = (String, BatchKind);

struct Entry {
    outcome: RowOutcome,
    /// Bulk calls still owed to this row (its tags may span several).
    waiting: u32,
    /// Tag calls still owed; the tags step settles when none are.
    tag_calls: u32,
    /// The row's tags went out in more than one call: its errors name the tags.
    split: bool,
    /// Tag calls that did not succeed for this row: (their tags, reason, status).
    tag_misses: Vec<(Vec<String>, String, StepStatus)>,
    /// The open groups this row sits in, for flushing the head of the line.
    groups: Vec<GroupKey>,
}

impl Entry {
    fn done(outcome: RowOutcome) -> Self {
        Entry {
            outcome,
            waiting: 0,
            tag_calls: 0,
            split: false,
            tag_misses: Vec::new(),
            groups: Vec::new(),
        }
    }

    /// Every tag call is back: the step is done only if all succeeded, `failed` if any
    /// failed, else `skipped` (some were never sent); the errors say which tags, and why.
    fn settle_tags(&mut self) -> StepStatus {
        if self.tag_misses.is_empty() {
            self.outcome.tags_status = StepStatus::Done;
            return StepStatus::Done;
        }
        let misses = std::mem::take(&mut self.tag_misses);
        let status = if misses.iter().any(|m| m.2 == StepStatus::Failed) {
            StepStatus::Failed
        } else {
            StepStatus::Skipped
        };
        // One error per reason, naming its tags when the row's tags were split.
        let mut by_reason: Vec<(String, Vec<String>)> = Vec::new();
        for (tags, reason, _) in misses {
            match by_reason.iter_mut().find(|(r, _)| *r == reason) {
                Some((_, all)) => all.extend(tags),
                None => by_reason.push((reason, tags)),
            }
        }
        for (reason, mut tags) in by_reason {
            tags.sort();
            let error = StepError {
                step: Step::Tags,
                tags: if self.split { tags } else { Vec::new() },
                reason,
            };
            self.outcome.errors.push(error.to_string());
        }
        self.outcome.tags_status = status;
        status
    }
}

/// Rows between "read" and "reported", and the open bulk batches.
pub struct Ledger {
    pending: BTreeMap<u64, Entry>,
    next_emit: u64,
    groups: HashMap<GroupKey, Vec<(u64, String)>>,
    /// When each open group opened (rows arrived before it) and its first row, oldest
    /// first, for [`Ledger::flush_aged`]. Entries of groups sent since are stale and skipped.
    opened: BinaryHeap<Reverse<(u64, u64, GroupKey)>>,
    /// Rows handed over so far, in the order they came (not file order: with many
    /// locations, rows finish at each location's pace).
    arrived: u64,
    tag_batch: usize,
    business_batch: usize,
    plan: Arc<BulkPlan>,
}

impl Ledger {
    pub fn new(tag_batch: usize, business_batch: usize) -> Self {
        Ledger {
            pending: BTreeMap::new(),
            next_emit: 0,
            groups: HashMap::new(),
            opened: BinaryHeap::new(),
            arrived: 0,
            tag_batch: tag_batch.max(1),
            business_batch: business_batch.max(1),
            plan: Arc::default(),
        }
    }

    /// Groups each location's tag calls as `plan` says (locations it does not name: per tag set).
    pub fn with_plan(mut self, plan: Arc<BulkPlan>) -> Self {
        self.plan = plan;
        self
    }

    /// A row that owes nothing more (invalid, failed, dry-run, deferred).
    pub fn finish(&mut self, outcome: RowOutcome) {
        self.arrived += 1;
        self.pending.insert(outcome.seq, Entry::done(outcome));
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
        self.arrived += 1;
        let mut groups = Vec::new();
        mark_owed(&mut outcome, tags, business);
        if !tags.is_empty() {
            let mut set = tags.to_vec();
            set.sort();
            set.dedup();
            let kinds = match self.plan.grouping(location) {
                // Sets-then-tags rows wait in their set's group; see `dissolve_sets`.
                TagGrouping::PerTagSet | TagGrouping::SetsThenTags => vec![BatchKind::Tags(set)],
                TagGrouping::PerTag => set.into_iter().map(|t| BatchKind::Tags(vec![t])).collect(),
            };
            for kind in kinds {
                groups.push(((location.to_owned(), kind), self.tag_batch));
            }
        }
        let tag_calls = groups.len() as u32;
        if let Some(b) = business {
            groups.push((
                (location.to_owned(), BatchKind::Business(b.to_owned())),
                self.business_batch,
            ));
        }
        let mut full = Vec::new();
        let mut keys = Vec::new();
        for (key, size) in groups {
            if self.join(&key, seq, &id) >= size {
                let items = self.groups.remove(&key).unwrap_or_default();
                full.push(Batch {
                    location: key.0.clone(),
                    kind: key.1.clone(),
                    items,
                });
            }
            keys.push(key);
        }
        self.pending.insert(
            seq,
            Entry {
                waiting: keys.len() as u32,
                tag_calls,
                split: tag_calls > 1,
                groups: keys,
                ..Entry::done(outcome)
            },
        );
        for b in &full {
            self.close_group(b);
        }
        full
    }

    /// Adds a row to a group (opening it if need be); returns the group's size.
    fn join(&mut self, key: &GroupKey, seq: u64, id: &str) -> usize {
        let items = self.groups.entry(key.clone()).or_default();
        if items.is_empty() {
            self.opened.push(Reverse((self.arrived, seq, key.clone())));
        }
        items.push((seq, id.to_owned()));
        items.len()
    }

    /// Every open batch that more than `window` rows have come after since it opened: sent
    /// part-full, so rows spread over many groups (a thousand locations, rare tag sets) keep
    /// the report moving instead of waiting one call at a time at the head of the line. Rows
    /// are counted as they come, not by their place in the file: with many locations a row
    /// far down the file may finish early, and would age every batch at once. In file order
    /// the two agree, and the estimate counts batches closed by this rule
    /// (`api::batch_window`).
    pub fn flush_aged(&mut self, window: u64) -> Vec<Batch> {
        let mut keys = Vec::new();
        while let Some(Reverse((opened, _, _))) = self.opened.peek() {
            if self.arrived.saturating_sub(*opened) <= window {
                break;
            }
            let Some(Reverse((_, first, key))) = self.opened.pop() else {
                break;
            };
            let current = self.groups.get(&key).and_then(|v| v.first()).map(|x| x.0);
            if current == Some(first) {
                keys.push(key);
            }
        }
        self.flush(keys)
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

    /// Records a bulk call's per-row results; an `Err` row's call counts as `failed_as`
    /// (`Failed`, or `Skipped` when the call was never made). Returns what each row's step
    /// became, for the store.
    pub fn batch_done(
        &mut self,
        kind: &BatchKind,
        results: Vec<(u64, Result<(), String>)>,
        failed_as: StepStatus,
    ) -> Vec<StepUpdate> {
        let mut updates = Vec::with_capacity(results.len());
        for (seq, res) in results {
            let Some(e) = self.pending.get_mut(&seq) else {
                continue;
            };
            e.waiting = e.waiting.saturating_sub(1);
            let ok = res.is_ok();
            let settled = match kind {
                BatchKind::Business(_) => {
                    let status = match res {
                        Ok(()) => StepStatus::Done,
                        Err(reason) => {
                            let error = StepError {
                                step: Step::Business,
                                tags: Vec::new(),
                                reason,
                            };
                            e.outcome.errors.push(error.to_string());
                            failed_as
                        }
                    };
                    e.outcome.business_status = status;
                    Some(status)
                }
                BatchKind::Tags(tags) => {
                    if let Err(reason) = res {
                        e.tag_misses.push((tags.clone(), reason, failed_as));
                    }
                    e.tag_calls = e.tag_calls.saturating_sub(1);
                    (e.tag_calls == 0).then(|| e.settle_tags())
                }
            };
            updates.push(StepUpdate {
                seq,
                settled,
                part_done: ok && settled != Some(StepStatus::Done),
            });
        }
        updates
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

    /// A sets-then-tags location's rows are all in: its set groups still open (fewer rows
    /// than a batch) give their rows to per-tag groups. Single-tag sets already are those.
    /// Returns the per-tag batches that became full.
    fn dissolve_sets(&mut self, location: Option<&str>) -> Vec<Batch> {
        let mut keys: Vec<GroupKey> = self
            .groups
            .keys()
            .filter(|(loc, kind)| {
                location.is_none_or(|l| l == loc)
                    && matches!(kind, BatchKind::Tags(t) if t.len() > 1)
                    && self.plan.grouping(loc) == TagGrouping::SetsThenTags
            })
            .cloned()
            .collect();
        keys.sort_by_key(|k| self.groups.get(k).and_then(|v| v.first()).map(|x| x.0));
        let mut full = Vec::new();
        for key in keys {
            let (Some(items), BatchKind::Tags(set)) = (self.groups.remove(&key), &key.1) else {
                continue;
            };
            for (seq, id) in items {
                let mut tag_keys = Vec::new();
                for t in set {
                    let tag_key = (key.0.clone(), BatchKind::Tags(vec![t.clone()]));
                    if self.join(&tag_key, seq, &id) >= self.tag_batch {
                        let items = self.groups.remove(&tag_key).unwrap_or_default();
                        full.push(Batch {
                            location: key.0.clone(),
                            kind: tag_key.1.clone(),
                            items,
                        });
                    } else {
                        tag_keys.push(tag_key);
                    }
                }
                if let Some(e) = self.pending.get_mut(&seq) {
                    let extra = set.len() as u32 - 1;
                    e.waiting += extra;
                    e.tag_calls += extra;
                    e.split = true;
                    e.groups.retain(|g| *g != key);
                    e.groups.extend(tag_keys);
                }
            }
        }
        for b in &full {
            self.close_group(b);
        }
        full
    }

    /// Every open batch (end of input).
    pub fn flush_all(&mut self) -> Vec<Batch> {
        let mut out = self.dissolve_sets(None);
        let mut keys: Vec<GroupKey> = self.groups.keys().cloned().collect();
        keys.sort_by(|a, b| {
            let first = |k: &GroupKey| self.groups.get(k).and_then(|v| v.first()).map(|x| x.0);
            first(a).cmp(&first(b))
        });
        out.extend(self.flush(keys));
        out
    }

    /// Every open batch of one location (it has no rows left).
    pub fn flush_location(&mut self, location: &str) -> Vec<Batch> {
        let mut out = self.dissolve_sets(Some(location));
        let mut keys: Vec<GroupKey> = self
            .groups
            .keys()
            .filter(|k| k.0 == location)
            .cloned()
            .collect();
        keys.sort_by_key(|k| self.groups.get(k).and_then(|v| v.first()).map(|x| x.0));
        out.extend(self.flush(keys));
        out
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
        let open = self.flush(keys);
        self.abandon(open, reason);
    }

    /// The run stopped: these batches will not be sent; their rows keep `skipped`.
    pub fn abandon(&mut self, batches: Vec<Batch>, reason: &str) {
        for b in batches {
            let results = b
                .items
                .iter()
                .map(|(seq, _)| (*seq, Err(format!("not sent: {reason}"))))
                .collect();
            self.batch_done(&b.kind, results, StepStatus::Skipped);
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

    /// Row 0 with `head` tags, then nine rows tagged "common".
    #[test]
    fn batches_go_out_part_full_once_their_first_row_is_a_window_behind_and_not_before() {
        // A thousand locations, one tagged row each in turn: no batch ever fills.
        let mut l = Ledger::new(100, 50);
        let mut sent = Vec::new();
        for seq in 0..3000u64 {
            let loc = format!("L{}", seq % 1000);
            l.upserted(outcome(seq, RowStatus::Created), &loc, &tags(&["t"]), None);
            for b in l.flush_aged(1500) {
                let first = b.items[0].0;
                assert!(seq - first > 1500, "sent at row {seq}, first row {first}");
                assert!(
                    seq - first <= 1501,
                    "late: sent at row {seq}, first row {first}"
                );
                sent.push(b);
            }
        }
        // Each location's first batch (rows n, n+1000) went when row n+1501 came; the
        // batches opened by rows 2000.. are not yet a window behind.
        assert_eq!(sent.len(), 1000);
        assert!(sent.iter().all(|b| b.items.len() == 2));
        for b in sent {
            let results = b.items.iter().map(|(seq, _)| (*seq, Ok(()))).collect();
            l.batch_done(&b.kind, results, StepStatus::Failed);
        }
        assert_eq!(
            l.pop_ready().len(),
            2000,
            "rows up to the oldest open batch are out"
        );
    }

    #[test]
    fn a_row_far_down_the_file_finishing_first_does_not_age_the_open_batches() {
        // Many locations: a location's row 20,000 may be back before another's row 5.
        let mut l = Ledger::new(100, 50);
        for seq in [5u64, 20_000, 6, 19_000] {
            let loc = format!("L{seq}");
            l.upserted(outcome(seq, RowStatus::Created), &loc, &tags(&["t"]), None);
        }
        assert!(
            l.flush_aged(100).is_empty(),
            "four rows came: no batch is old"
        );
    }

    #[test]
    fn a_batch_that_filled_and_opened_again_is_aged_by_its_new_first_row() {
        let mut l = Ledger::new(2, 50);
        for seq in 0..3u64 {
            l.upserted(outcome(seq, RowStatus::Created), "L", &tags(&["t"]), None);
        }
        // Rows 0 and 1 filled a batch; row 2 opened the next one.
        for seq in 3..11u64 {
            l.finish(outcome(seq, RowStatus::Invalid));
        }
        assert!(l.flush_aged(9).is_empty(), "8 rows came after row 2");
        for seq in 11..13u64 {
            l.finish(outcome(seq, RowStatus::Invalid));
        }
        let b = l.flush_aged(9);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].items, [(2, "c2".to_string())]);
    }

    fn rare_head(l: &mut Ledger, head: &[&str]) {
        l.upserted(outcome(0, RowStatus::Created), "L", &tags(head), None);
        for i in 1..10 {
            l.upserted(
                outcome(i, RowStatus::Created),
                "L",
                &tags(&["common"]),
                None,
            );
        }
    }

    #[test]
    fn flush_head_releases_the_oldest_row() {
        let mut l = Ledger::new(100, 50);
        rare_head(&mut l, &["rare"]);
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

    fn per_tag(location: &str, tag_batch: usize) -> Ledger {
        let mut plan = BulkPlan::default();
        plan.by_location
            .insert(location.to_owned(), TagGrouping::PerTag);
        Ledger::new(tag_batch, 50).with_plan(Arc::new(plan))
    }

    fn batch_for<'a>(batches: &'a [Batch], tag: &str) -> &'a Batch {
        batches
            .iter()
            .find(|b| b.kind == BatchKind::Tags(tags(&[tag])))
            .expect("a call for the tag")
    }

    #[test]
    fn per_tag_rows_are_done_only_once_every_call_of_theirs_succeeded() {
        let mut l = per_tag("L", 100);
        l.upserted(
            outcome(0, RowStatus::Created),
            "L",
            &tags(&["b", "a"]),
            None,
        );
        l.upserted(
            outcome(1, RowStatus::Created),
            "L",
            &tags(&["c", "b"]),
            None,
        );
        let batches = l.flush_all();
        assert_eq!(batches.len(), 3, "one call per tag: {batches:?}");
        let a = batch_for(&batches, "a");
        assert_eq!(a.items, vec![(0, "c0".into())]);
        let u = l.batch_done(&a.kind, vec![(0, Ok(()))], StepStatus::Failed);
        assert_eq!(
            u,
            vec![StepUpdate {
                seq: 0,
                settled: None,
                part_done: true
            }]
        );
        assert!(l.pop_ready().is_empty(), "row 0 still owes tag b");
        let b = batch_for(&batches, "b");
        let u = l.batch_done(
            &b.kind,
            vec![(0, Ok(())), (1, Err("500 Internal Server Error".into()))],
            StepStatus::Failed,
        );
        assert_eq!(u[0].settled, Some(StepStatus::Done));
        assert!(!u[0].part_done, "a done step needs no tag list");
        assert_eq!((u[1].settled, u[1].part_done), (None, false));
        let ready = l.pop_ready();
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].tags_status, StepStatus::Done);
        assert!(ready[0].errors.is_empty());
        let c = batch_for(&batches, "c");
        let u = l.batch_done(&c.kind, vec![(1, Ok(()))], StepStatus::Failed);
        assert_eq!(
            (u[0].settled, u[0].part_done),
            (Some(StepStatus::Failed), true),
            "c is recorded as added although the step failed"
        );
        let ready = l.pop_ready();
        assert_eq!(ready[0].tags_status, StepStatus::Failed);
        assert_eq!(ready[0].errors, ["tags (b): 500 Internal Server Error"]);
    }

    #[test]
    fn a_row_whose_calls_failed_and_were_not_sent_is_failed_and_names_each_tag_once() {
        let mut l = per_tag("L", 100);
        l.upserted(
            outcome(0, RowStatus::Created),
            "L",
            &tags(&["a", "b", "c", "d"]),
            Some("biz"),
        );
        let batches = l.flush_head();
        assert_eq!(
            batches.len(),
            5,
            "the head row's four tag calls and its business"
        );
        for t in ["a", "c"] {
            let b = batch_for(&batches, t);
            l.batch_done(&b.kind, vec![(0, Err("503".into()))], StepStatus::Failed);
        }
        let d = batch_for(&batches, "d");
        l.batch_done(
            &d.kind,
            vec![(0, Err("not sent: 401".into()))],
            StepStatus::Skipped,
        );
        let biz = batches
            .iter()
            .find(|b| b.kind.step() == Step::Business)
            .unwrap();
        l.batch_done(&biz.kind, vec![(0, Ok(()))], StepStatus::Failed);
        assert!(l.pop_ready().is_empty(), "tag b is still out");
        let b = batch_for(&batches, "b");
        l.batch_done(&b.kind, vec![(0, Ok(()))], StepStatus::Failed);
        let r = l.pop_ready();
        assert_eq!(
            (r[0].tags_status, r[0].business_status),
            (StepStatus::Failed, StepStatus::Done)
        );
        assert_eq!(r[0].errors, ["tags (a, c): 503", "tags (d): not sent: 401"]);
    }

    #[test]
    fn a_stop_leaves_a_split_row_skipped_for_the_tags_not_sent_only() {
        let mut l = per_tag("L", 1);
        // Batches of one: tag a's call is full at once and goes out.
        let out = l.upserted(outcome(0, RowStatus::Created), "L", &tags(&["a"]), None);
        assert_eq!(out.len(), 1);
        l.batch_done(&out[0].kind, vec![(0, Ok(()))], StepStatus::Failed);
        let mut l = per_tag("L", 2);
        l.upserted(
            outcome(0, RowStatus::Created),
            "L",
            &tags(&["a", "b"]),
            None,
        );
        let out = l.upserted(outcome(1, RowStatus::Created), "L", &tags(&["a"]), None);
        assert_eq!(out.len(), 1, "a's call is full");
        l.batch_done(
            &out[0].kind,
            vec![(0, Ok(())), (1, Ok(()))],
            StepStatus::Failed,
        );
        l.abandon_open_batches("interrupted");
        let r = l.pop_ready();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].tags_status, StepStatus::Skipped);
        assert_eq!(r[0].errors, ["tags (b): not sent: interrupted"]);
        assert_eq!(r[1].tags_status, StepStatus::Done);
    }

    #[test]
    fn flush_head_sends_every_call_the_oldest_row_waits_for() {
        let mut l = per_tag("L", 100);
        rare_head(&mut l, &["rare", "common"]);
        let b = l.flush_head();
        assert_eq!(b.len(), 2);
        for b in &b {
            let results = b.items.iter().map(|(seq, _)| (*seq, Ok(()))).collect();
            l.batch_done(&b.kind, results, StepStatus::Failed);
        }
        assert_eq!(l.pop_ready().len(), 10, "the head's calls carried the rest");
        assert_eq!(l.buffered(), 0);
    }

    #[test]
    fn the_ledger_makes_exactly_the_calls_the_tally_counts_for_each_grouping() {
        // Rows with 0–3 of 8 tags, as real files have them, and in location A a set that
        // fills batches of its own, over two locations.
        let all = [
            "lead", "customer", "vip", "news", "webinar", "2024", "partner", "cold",
        ];
        let mut rows = Vec::new();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for i in 0..1000u64 {
            let loc = if i % 3 == 0 { "A" } else { "B" };
            let t: Vec<String> = if loc == "A" && i % 2 == 0 {
                tags(&["news", "vip"])
            } else {
                let n = next() % 4;
                (0..n)
                    .map(|_| all[(next() % 8) as usize].to_owned())
                    .collect()
            };
            rows.push((loc, t));
        }
        let batch = 20;
        let mut tallies: HashMap<String, crate::api::calls::BulkTally> = HashMap::new();
        for (loc, t) in &rows {
            tallies.entry(loc.to_string()).or_default().add_row(t, None);
        }
        let groupings = [
            TagGrouping::PerTagSet,
            TagGrouping::PerTag,
            TagGrouping::SetsThenTags,
        ];
        let mut counts = Vec::new();
        for grouping in groupings {
            let plan = BulkPlan {
                by_location: ["A", "B"].map(|l| (l.to_owned(), grouping)).into(),
            };
            let mut l = Ledger::new(batch, 50).with_plan(Arc::new(plan));
            let mut batches = Vec::new();
            for (i, (loc, t)) in rows.iter().enumerate() {
                batches.extend(l.upserted(outcome(i as u64, RowStatus::Created), loc, t, None));
            }
            batches.extend(l.flush_location("A"));
            batches.extend(l.flush_all());
            let expected: u64 = tallies
                .values()
                .map(|t| t.calls_with(grouping, batch))
                .sum();
            assert_eq!(batches.len() as u64, expected, "{grouping:?}");
            // Each of a row's tags goes out exactly once, and every row is released.
            let mut sent: Vec<(u64, String)> = Vec::new();
            for b in &batches {
                assert!(b.items.len() <= batch);
                let BatchKind::Tags(t) = &b.kind else {
                    panic!()
                };
                for (seq, _) in &b.items {
                    sent.extend(t.iter().map(|t| (*seq, t.clone())));
                }
                let results = b.items.iter().map(|(seq, _)| (*seq, Ok(()))).collect();
                l.batch_done(&b.kind, results, StepStatus::Failed);
            }
            sent.sort();
            let mut want: Vec<(u64, String)> = Vec::new();
            for (i, (_, t)) in rows.iter().enumerate() {
                let mut t = t.clone();
                t.sort();
                t.dedup();
                want.extend(t.into_iter().map(|t| (i as u64, t)));
            }
            assert_eq!(sent, want, "{grouping:?}");
            let out = l.pop_ready();
            assert_eq!(out.len(), rows.len());
            assert!(out.iter().all(|o| o.errors.is_empty()));
            counts.push(expected);
        }
        let planned: u64 = tallies.values().map(|t| t.tag_calls(batch).1).sum();
        assert!(
            counts[2] < counts[0] && counts[2] < counts[1] && planned == counts[2],
            "sets then tags beats both here: {counts:?}"
        );
    }
}
