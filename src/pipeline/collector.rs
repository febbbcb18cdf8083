//! The collector: receives row results, batches the bulk calls per location, records progress
//! in the store and releases rows to the event stream in input order once the store has them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, watch};
use tokio::time::{Duration, Instant};

use super::held_calls::HeldCalls;
use super::stop::{set_stop, state_failed, Stop, StopTx};
use crate::api::{ApiError, Client};
use crate::contact::ValidRow;
use crate::event::{Event, RowOutcome, StepStatus};
use crate::state::undo_log::UndoFacts;
use crate::state::{mark_owed, Batch, BatchKind, Ledger, StateError, Store};

/// What the run's tasks tell the collector.
pub(super) enum Msg {
    /// A row's last word: nothing more is sent for it.
    Final(RowOutcome),
    /// Several rows' last words, in input order (a dry run's, one message per chunk).
    Finals(Vec<RowOutcome>),
    Upserted {
        outcome: RowOutcome,
        location: String,
        valid: Box<ValidRow>,
        /// What to record as applied; `None` for a row an earlier attempt already recorded.
        hashes: Option<super::changed::Remember>,
        /// What undo needs from the upsert's answer (with `hashes`).
        facts: Option<UndoFacts>,
    },
    BatchDone(BatchDone),
    /// Every row has been read: `total` of them come through the collector (an offline dry
    /// run's go straight to the event stream).
    InputDone {
        total: u64,
    },
    /// Every row has been read, and these locations have rows still to start: their ready
    /// bulk calls may now be held for the end of their upserts (see `held_calls`).
    InputRead {
        starting: Vec<String>,
    },
    /// Every row of this location has started its upsert: its held calls go.
    LocationStarted(String),
    /// Every row of this location has been upserted (or given up on).
    LocationDone(String),
}

/// A bulk call's answer, per row.
pub(super) struct BatchDone {
    kind: BatchKind,
    results: Vec<(u64, Result<(), String>)>,
    /// The call never reached the server: its rows' steps are `skipped`, not `failed`.
    not_sent: bool,
    /// Tags the add call reported as newly added, per row (for undo).
    added: Vec<(u64, Vec<String>)>,
}

/// Messages handled per store commit, at most: one fsync covers them all.
const COMMIT_EVERY: usize = 512;
/// The longest writes wait for their commit (and rows for the report): rows are released
/// only after the commit that holds them, so this delays report lines, never loses them.
const COMMIT_AFTER: Duration = Duration::from_millis(50);

pub(super) struct Collector {
    tx: mpsc::Sender<Msg>,
    ledger: Ledger,
    client: Option<Arc<Client>>,
    ev_tx: mpsc::Sender<Event>,
    stop_rx: watch::Receiver<Option<Stop>>,
    stop_tx: StopTx,
    max_buffered: usize,
    reported: Arc<AtomicU64>,
    store: Option<Arc<Mutex<Store>>>,
    rows_in: u64,
    total: Option<u64>,
    all_flushed: bool,
    in_flight: usize,
    /// Rows whose upsert record is already their last word (no bulk step owed): their
    /// outcome needs no second write when they are released.
    recorded_final: std::collections::HashSet<u64>,
    /// Ready bulk calls waiting for the end of their location's upserts.
    held: HeldCalls,
}

/// What the collector works with.
pub(super) struct CollectorParts {
    /// Its own inbox's sender, for the bulk calls it starts.
    pub tx: mpsc::Sender<Msg>,
    pub ledger: Ledger,
    /// `None`: nothing is sent (batches are never full without upserts).
    pub client: Option<Arc<Client>>,
    pub ev_tx: mpsc::Sender<Event>,
    pub stop_tx: StopTx,
    /// Rows held for ordering before the oldest one's open batches are sent early.
    pub max_buffered: usize,
    /// Rows released to the event stream so far, for the reader's read-ahead bound.
    pub reported: Arc<AtomicU64>,
    pub store: Option<Arc<Mutex<Store>>>,
}

impl Collector {
    pub(super) fn new(p: CollectorParts) -> Self {
        Collector {
            tx: p.tx,
            ledger: p.ledger,
            client: p.client,
            ev_tx: p.ev_tx,
            stop_rx: p.stop_tx.subscribe(),
            stop_tx: p.stop_tx,
            max_buffered: p.max_buffered,
            reported: p.reported,
            store: p.store,
            rows_in: 0,
            total: None,
            all_flushed: false,
            in_flight: 0,
            recorded_final: std::collections::HashSet::new(),
            held: HeldCalls::default(),
        }
    }

    pub(super) async fn run(mut self, mut rx: mpsc::Receiver<Msg>) {
        // Rows popped from the ledger and written, waiting for the commit that holds them.
        let mut held: Vec<RowOutcome> = Vec::new();
        let mut dirty = false;
        let mut last_commit = Instant::now();
        loop {
            let msg = if dirty {
                match tokio::time::timeout_at(last_commit + COMMIT_AFTER, rx.recv()).await {
                    Ok(m) => m,
                    Err(_) => {
                        self.commit_and_release(&mut held).await;
                        dirty = false;
                        last_commit = Instant::now();
                        continue;
                    }
                }
            } else {
                rx.recv().await
            };
            let Some(msg) = msg else {
                self.commit_and_release(&mut held).await;
                break;
            };
            self.handle(msg);
            let mut n = 1;
            while n < COMMIT_EVERY {
                match rx.try_recv() {
                    Ok(msg) => self.handle(msg),
                    Err(_) => break,
                }
                n += 1;
                // Many messages at once (each with its store writes) would hold the
                // runtime's thread long enough to delay requests already paced.
                tokio::task::consume_budget().await;
            }
            self.end_of_input();
            let ready = self.ledger.pop_ready();
            let unrecorded: Vec<&RowOutcome> = ready
                .iter()
                .filter(|o| !self.recorded_final.remove(&o.seq))
                .collect();
            self.record(|s| unrecorded.iter().try_for_each(|o| s.record_outcome(o)));
            held.extend(ready);
            dirty = true;
            let finished = self.all_flushed
                && self.in_flight == 0
                && Some(self.ledger.emitted()) == self.total;
            // One fsync per COMMIT_AFTER at most (not one per wake-up): with many locations
            // the wake-ups come hundreds of times a second. Without a store nothing waits.
            if finished
                || self.store.is_none()
                || held.len() >= COMMIT_EVERY
                || last_commit.elapsed() >= COMMIT_AFTER
                || self.stop_rx.borrow().is_some()
            {
                self.commit_and_release(&mut held).await;
                dirty = false;
                last_commit = Instant::now();
            }
            if finished {
                break;
            }
        }
    }

    /// Commits the store, then hands the rows it now holds to the event stream.
    async fn commit_and_release(&mut self, held: &mut Vec<RowOutcome>) {
        // The commit waits for the disk: on a thread of its own, so that the runtime's
        // thread goes on sending on time meanwhile.
        if let Some(store) = self.store.clone() {
            let done = tokio::task::spawn_blocking(move || {
                store
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .commit()
            })
            .await;
            match done {
                Ok(Ok(())) => {}
                Ok(Err(e)) => state_failed(&self.stop_tx, &e),
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => {}
            }
        }
        for o in held.drain(..) {
            let _ = self.ev_tx.send(Event::Row(o)).await;
        }
        self.reported
            .store(self.ledger.emitted(), Ordering::Relaxed);
    }

    fn record(&self, f: impl FnOnce(&mut Store) -> Result<(), StateError>) {
        if let Some(store) = &self.store {
            let mut s = store
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Err(e) = f(&mut s) {
                state_failed(&self.stop_tx, &e);
            }
        }
    }

    /// Batches that became full: held for the end of their location's upserts while there is
    /// room (see `held_calls`), else sent.
    fn ready(&mut self, batches: Vec<Batch>) {
        let Some(client) = &self.client else {
            return self.send(batches);
        };
        let mut now = Vec::new();
        for b in batches {
            if !self.held.may_hold(&b.location) {
                now.push(b);
                continue;
            }
            // The collector's own turn, between the last answer and the calls it lets go.
            let room = client.sends_within_slowest_answer(&b.location) + 1;
            now.extend(self.held.offer(b, room));
        }
        self.send(now);
    }

    fn send(&mut self, batches: Vec<Batch>) {
        for b in batches {
            if let Some(client) = &self.client {
                self.in_flight += 1;
                tokio::spawn(send_batch(
                    client.clone(),
                    b,
                    self.tx.clone(),
                    self.stop_tx.clone(),
                ));
            }
        }
    }

    fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Final(o) => self.finish(o),
            Msg::Finals(os) => os.into_iter().for_each(|o| self.finish(o)),
            Msg::Upserted {
                mut outcome,
                location,
                valid,
                hashes,
                facts,
            } => {
                self.rows_in += 1;
                // Recorded as owed, so a resume sends what is still owed.
                mark_owed(&mut outcome, &valid.tags, valid.business_id.as_deref());
                if let Some(h) = &hashes {
                    if valid.tags.is_empty() && valid.business_id.is_none() {
                        self.recorded_final.insert(outcome.seq);
                    }
                    self.record(|s| {
                        s.record_upserted(&outcome, &h.keys, &h.hashes, facts.as_ref())
                    });
                }
                let full = self.ledger.upserted(
                    outcome,
                    &location,
                    &valid.tags,
                    valid.business_id.as_deref(),
                );
                self.ready(full);
            }
            Msg::BatchDone(BatchDone {
                kind,
                results,
                not_sent,
                added,
            }) => {
                self.in_flight -= 1;
                let failed_as = if not_sent {
                    StepStatus::Skipped
                } else {
                    StepStatus::Failed
                };
                let step = kind.step();
                let updates = self.ledger.batch_done(&kind, results, failed_as);
                self.record(|s| {
                    for u in &updates {
                        if let Some(status) = u.settled {
                            s.record_step(u.seq, step, status)?;
                        }
                        if let (true, BatchKind::Tags(tags)) = (u.part_done, &kind) {
                            s.record_tags_done(u.seq, tags)?;
                        }
                    }
                    for (seq, tags) in &added {
                        s.record_tags_added(*seq, tags)?;
                    }
                    Ok(())
                });
            }
            Msg::InputDone { total } => self.total = Some(total),
            Msg::InputRead { starting } => self.held.input_read(starting),
            Msg::LocationStarted(loc) => {
                let b = self.held.started(&loc);
                self.send(b);
            }
            Msg::LocationDone(loc) => {
                if self.stop_rx.borrow().is_none() {
                    let mut b = self.held.release(&loc);
                    b.extend(self.ledger.flush_location(&loc));
                    self.send(b);
                }
            }
        }
        let aged = self.ledger.flush_aged(self.max_buffered as u64);
        self.send(aged);
        // Held calls hold their rows' report lines: never past the window of rows.
        if !self.held.is_empty() && self.ledger.buffered() > self.max_buffered {
            let b = self.held.release_all();
            self.send(b);
        }
        // The backstop, should rows pile up anyway (far out of order, or bulk calls queued
        // behind a location's upserts): twice the window, so that the aged flush, which the
        // estimate counts, is what normally sends part-full batches.
        if self.ledger.buffered() > 2 * self.max_buffered {
            let b = self.ledger.flush_head();
            self.send(b);
        }
    }

    fn finish(&mut self, o: RowOutcome) {
        self.rows_in += 1;
        self.ledger.finish(o);
    }

    fn end_of_input(&mut self) {
        if self.all_flushed || self.total != Some(self.rows_in) {
            return;
        }
        self.all_flushed = true;
        let stop = self.stop_rx.borrow().clone();
        let mut b = self.held.release_all();
        match stop {
            Some(Stop::Fatal(reason) | Stop::Budget(reason)) => {
                self.ledger.abandon(b, &reason);
                self.ledger.abandon_open_batches(&reason)
            }
            _ => {
                b.extend(self.ledger.flush_all());
                self.send(b);
            }
        }
    }
}

async fn send_batch(client: Arc<Client>, batch: Batch, tx: mpsc::Sender<Msg>, stop_tx: StopTx) {
    let mut ids: Vec<String> = batch.items.iter().map(|(_, id)| id.clone()).collect();
    ids.sort();
    ids.dedup();
    // The tags each contact got that it did not have, kept for undo.
    let mut added_by_id = std::collections::HashMap::new();
    let result = match &batch.kind {
        BatchKind::Tags(tags) => client
            .update_tags(crate::api::TagOp::Add, &batch.location, &ids, tags)
            .await
            .map(|answers| {
                answers
                    .into_iter()
                    .map(|(id, r)| {
                        let r = r.map(|change| {
                            if let Some(a) = change.added {
                                added_by_id.insert(id.clone(), a);
                            }
                        });
                        (id, r)
                    })
                    .collect::<crate::api::PerContact>()
            }),
        BatchKind::Business(b) => client.set_business(&batch.location, &ids, Some(b)).await,
    };
    let added = batch
        .items
        .iter()
        .filter_map(|(seq, id)| added_by_id.get(id).map(|a| (*seq, a.clone())))
        .collect();
    let (results, not_sent) = match result {
        Ok(per_contact) => {
            let by_id: std::collections::HashMap<String, Result<(), String>> =
                per_contact.into_iter().collect();
            let results = batch
                .items
                .iter()
                .map(|(seq, id)| {
                    (
                        *seq,
                        by_id
                            .get(id)
                            .cloned()
                            .unwrap_or_else(|| Err("no result for this contact".into())),
                    )
                })
                .collect();
            (results, false)
        }
        Err(e) => {
            if let Some(stop) = Stop::for_error(&e) {
                set_stop(&stop_tx, stop);
            }
            let not_sent =
                matches!(e, ApiError::Cancelled | ApiError::LocationFailed { .. }) || e.is_fatal();
            let msg = e.to_string();
            (
                batch
                    .items
                    .iter()
                    .map(|(seq, _)| (*seq, Err(msg.clone())))
                    .collect(),
                not_sent,
            )
        }
    };
    let _ = tx
        .send(Msg::BatchDone(BatchDone {
            kind: batch.kind,
            results,
            not_sent,
            added,
        }))
        .await;
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::event::RowStatus;
    use crate::pipeline::outcomes::outcome;
    use crate::pipeline::testing::{client, row, sandbox};
    use crate::sandbox::SandboxHandle;

    struct Rig {
        tx: mpsc::Sender<Msg>,
        ev_rx: mpsc::Receiver<Event>,
        stop_tx: StopTx,
        task: tokio::task::JoinHandle<()>,
    }

    fn rig(client: Option<Arc<Client>>) -> Rig {
        rig_with(client, Ledger::new(100, 50))
    }

    fn rig_with(client: Option<Arc<Client>>, ledger: Ledger) -> Rig {
        let (tx, rx) = mpsc::channel(1024);
        let (ev_tx, ev_rx) = mpsc::channel(1024);
        let stop_tx: StopTx = Arc::new(watch::channel(None).0);
        let collector = Collector::new(CollectorParts {
            tx: tx.clone(),
            ledger,
            client,
            ev_tx,
            stop_tx: stop_tx.clone(),
            max_buffered: 4096,
            reported: Arc::default(),
            store: None,
        });
        let task = tokio::spawn(collector.run(rx));
        Rig {
            tx,
            ev_rx,
            stop_tx,
            task,
        }
    }

    impl Rig {
        /// Every row the collector released, once it has ended.
        async fn rows(mut self) -> Vec<RowOutcome> {
            tokio::time::timeout(Duration::from_secs(10), self.task)
                .await
                .expect("the collector ends once every row is out")
                .unwrap();
            let mut rows = Vec::new();
            while let Ok(e) = self.ev_rx.try_recv() {
                if let Event::Row(o) = e {
                    rows.push(o);
                }
            }
            rows
        }
    }

    /// An upserted row with tags, as the dispatcher hands it over.
    async fn upserted(c: &Client, seq: u64, location: &str, email: &str) -> Msg {
        let valid = row(email, &["vip"]);
        let u = c.upsert(location, &valid.contact).await.unwrap();
        let mut o = outcome(seq, seq + 2, RowStatus::Created, &valid, Some(location));
        o.contact_id = Some(u.contact_id);
        Msg::Upserted {
            outcome: o,
            location: location.to_owned(),
            valid,
            hashes: None,
            facts: None,
        }
    }

    fn tag_calls(sb: &SandboxHandle) -> Vec<String> {
        sb.requests()
            .into_iter()
            .filter(|r| r.path == "/contacts/bulk/tags/update/add")
            .map(|r| r.location_id.unwrap_or_default())
            .collect()
    }

    #[tokio::test]
    async fn rows_are_released_in_input_order_whatever_order_they_end_in() {
        let r = rig(None);
        for seq in [2, 0, 3, 1] {
            let o = RowOutcome::new(seq, seq + 2, RowStatus::Invalid);
            r.tx.send(Msg::Final(o)).await.unwrap();
        }
        r.tx.send(Msg::InputDone { total: 4 }).await.unwrap();
        let seqs: Vec<u64> = r.rows().await.iter().map(|o| o.seq).collect();
        assert_eq!(seqs, [0, 1, 2, 3]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_location_that_is_done_has_its_batches_sent_without_waiting_for_the_others() {
        let sb = sandbox(Duration::ZERO).await;
        let (c, _events) = client(&sb);
        let r = rig(Some(c.clone()));
        for (seq, loc, email) in [
            (0, "loc-a", "a0@example.com"),
            (1, "loc-b", "b1@example.com"),
            (2, "loc-a", "a2@example.com"),
        ] {
            r.tx.send(upserted(&c, seq, loc, email).await)
                .await
                .unwrap();
        }
        sb.clear_requests();
        r.tx.send(Msg::LocationDone("loc-a".into())).await.unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while tag_calls(&sb).is_empty() && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(tag_calls(&sb), ["loc-a"], "one call, for loc-a only");

        r.tx.send(Msg::InputDone { total: 3 }).await.unwrap();
        let rows = r.rows().await;
        assert_eq!(tag_calls(&sb), ["loc-a", "loc-b"]);
        assert_eq!(rows.len(), 3);
        assert!(
            rows.iter().all(|o| o.tags_status == StepStatus::Done),
            "{rows:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_fatal_stop_sends_no_held_call_and_says_why_on_each_of_its_rows() {
        let sb = sandbox(Duration::ZERO).await;
        let (c, _events) = client(&sb);
        // Batches of two: the two rows fill one, held while loc-a has rows still to start.
        let r = rig_with(Some(c.clone()), Ledger::new(2, 50));
        let starting = vec!["loc-a".to_owned()];
        r.tx.send(Msg::InputRead { starting }).await.unwrap();
        for (seq, email) in [(0, "a0@example.com"), (1, "a1@example.com")] {
            r.tx.send(upserted(&c, seq, "loc-a", email).await)
                .await
                .unwrap();
        }
        set_stop(&r.stop_tx, Stop::Fatal("401 Unauthorized".into()));
        r.tx.send(Msg::InputDone { total: 2 }).await.unwrap();
        let rows = r.rows().await;
        assert!(tag_calls(&sb).is_empty(), "the held call was never sent");
        assert_eq!(rows.len(), 2);
        for o in &rows {
            assert_eq!(o.tags_status, StepStatus::Skipped);
            assert_eq!(o.errors, ["tags: not sent: 401 Unauthorized"]);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_fatal_stop_sends_no_open_batch_and_says_why_on_each_row() {
        let sb = sandbox(Duration::ZERO).await;
        let (c, _events) = client(&sb);
        let r = rig(Some(c.clone()));
        r.tx.send(upserted(&c, 0, "loc-a", "a0@example.com").await)
            .await
            .unwrap();
        r.tx.send(upserted(&c, 1, "loc-a", "a1@example.com").await)
            .await
            .unwrap();
        sb.clear_requests();
        set_stop(&r.stop_tx, Stop::Fatal("401 Unauthorized".into()));
        // Stopped: a location's end no longer sends its batches.
        r.tx.send(Msg::LocationDone("loc-a".into())).await.unwrap();
        r.tx.send(Msg::InputDone { total: 2 }).await.unwrap();
        let rows = r.rows().await;
        assert!(tag_calls(&sb).is_empty());
        for o in &rows {
            assert_eq!(o.status, RowStatus::Created);
            assert_eq!(o.tags_status, StepStatus::Skipped);
            assert_eq!(o.errors, ["tags: not sent: 401 Unauthorized"]);
        }
        assert_eq!(rows.len(), 2);
    }
}
