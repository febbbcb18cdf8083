//! The dispatcher: starts upserts. Each location has its own cap on rows in progress (sized
//! by its lane), and rows of a location at its cap wait in that location's queue, so a
//! location with many rows never starves the others of the lookahead. Rows of one location
//! start in input order, and no two rows sharing an email or phone are in flight at once.

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::collector::Msg;
use super::keys::{KeyChains, Ticket};
use super::outcomes::{deferred, outcome};
use super::prepare::match_keys;
use super::stop::{set_stop, stop_reason, Stop, StopTx};
use crate::api::fast_map::{FastMap, FastSet};
use crate::api::{ApiError, Client};
use crate::contact::ValidRow;
use crate::event::RowStatus;
use crate::undo::Snapshots;

/// A valid row waiting for its upsert.
pub(super) struct Pending {
    pub seq: u64,
    pub row: u64,
    pub location: String,
    pub valid: Box<ValidRow>,
    pub hashes: Option<super::changed::Remember>,
}

/// What every upsert task shares.
#[derive(Clone)]
struct Upserter {
    client: Arc<Client>,
    snapshots: Option<Arc<Snapshots>>,
    msg_tx: mpsc::Sender<Msg>,
    stop_tx: StopTx,
    done_tx: mpsc::UnboundedSender<String>,
}

pub(super) struct Dispatcher {
    up: Upserter,
    done_rx: mpsc::UnboundedReceiver<String>,
    chains: Arc<KeyChains>,
    in_progress: FastMap<String, usize>,
    queued: FastMap<String, VecDeque<Pending>>,
    announced: FastSet<String>,
    /// Locations whose last row in progress just ended with none queued: the only ones
    /// [`Dispatcher::announce_done`] needs to look at (not all of them at every event).
    idle: FastSet<String>,
    /// Rows in progress plus rows queued.
    held: usize,
    /// Every row has been read (see [`Dispatcher::announce_started`]).
    input_read: bool,
    /// Locations whose last row started since the last look, once every row was read.
    drained: Vec<String>,
}

impl Dispatcher {
    pub(super) fn new(
        client: Arc<Client>,
        snapshots: Option<Arc<Snapshots>>,
        msg_tx: mpsc::Sender<Msg>,
        stop_tx: StopTx,
    ) -> Self {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        Dispatcher {
            up: Upserter {
                client,
                snapshots,
                msg_tx,
                stop_tx,
                done_tx,
            },
            done_rx,
            chains: Arc::new(KeyChains::default()),
            in_progress: FastMap::default(),
            queued: FastMap::default(),
            announced: FastSet::default(),
            idle: FastSet::default(),
            held: 0,
            input_read: false,
            drained: Vec::new(),
        }
    }

    pub(super) fn stop_tx(&self) -> StopTx {
        self.up.stop_tx.clone()
    }

    /// Rows in progress plus rows queued.
    pub(super) fn held(&self) -> usize {
        self.held
    }

    /// Locations that have had rows so far.
    pub(super) fn locations(&self) -> usize {
        self.queued.len()
    }

    pub(super) fn push(&mut self, p: Pending) {
        self.held += 1;
        // The location's name is copied only the first time it is seen, not for every row.
        let loc = match self.queued.get_mut(&p.location) {
            Some(q) => {
                let loc = p.location.clone();
                q.push_back(p);
                loc
            }
            None => {
                let loc = p.location.clone();
                self.queued.insert(loc.clone(), VecDeque::from([p]));
                loc
            }
        };
        self.release(&loc);
    }

    /// Waits for an upsert to end and starts what its room lets start. `None` once no upsert
    /// task is left.
    pub(super) async fn next_done(&mut self) -> Option<()> {
        let loc = self.done_rx.recv().await?;
        self.finished(&loc);
        Some(())
    }

    /// Starts queued rows of `location` while it has room.
    fn release(&mut self, location: &str) {
        let cap = self.up.client.lane_capacity(location);
        loop {
            let running = self.in_progress.get(location).copied().unwrap_or(0);
            if running >= cap {
                return;
            }
            let Some(q) = self.queued.get_mut(location) else {
                return;
            };
            let Some(p) = q.pop_front() else {
                return;
            };
            if q.is_empty() && self.input_read {
                self.drained.push(location.to_owned());
            }
            match self.in_progress.get_mut(location) {
                Some(n) => *n += 1,
                None => {
                    self.in_progress.insert(location.to_owned(), 1);
                }
            }
            let ticket = self.chains.enter(match_keys(&p.location, &p.valid));
            tokio::spawn(self.up.clone().upsert_row(p, ticket));
        }
    }

    fn finished(&mut self, location: &str) {
        self.held -= 1;
        if let Some(n) = self.in_progress.get_mut(location) {
            *n -= 1;
        }
        self.release(location);
        if self.in_progress.get(location) == Some(&0) && !self.idle.contains(location) {
            self.idle.insert(location.to_owned());
        }
    }

    /// Once every row is read, tells the collector which locations have rows still to start
    /// (their ready bulk calls may now wait for the end of their upserts), then names each
    /// of them once its every row has started: its waiting calls go, behind those upserts.
    pub(super) async fn announce_started(&mut self) {
        if !self.input_read {
            self.input_read = true;
            let starting = self.queued.iter().filter(|(_, q)| !q.is_empty());
            let starting = starting.map(|(loc, _)| loc.clone()).collect();
            let _ = self.up.msg_tx.send(Msg::InputRead { starting }).await;
        }
        for loc in std::mem::take(&mut self.drained) {
            let _ = self.up.msg_tx.send(Msg::LocationStarted(loc)).await;
        }
    }

    /// Once the input is read, a location with nothing queued or in progress is done: its
    /// open batches need not wait for the other locations. Only locations that went idle
    /// since the last look are checked (more rows of theirs may have come since).
    pub(super) async fn announce_done(&mut self) {
        let idle = std::mem::take(&mut self.idle);
        let done: Vec<String> = idle
            .into_iter()
            .filter(|loc| {
                self.in_progress.get(loc) == Some(&0)
                    && self.queued.get(loc).is_none_or(VecDeque::is_empty)
                    && !self.announced.contains(loc)
            })
            .collect();
        for loc in done {
            self.announced.insert(loc.clone());
            let _ = self.up.msg_tx.send(Msg::LocationDone(loc)).await;
        }
    }

    /// The run is stopping: queued rows are not started.
    pub(super) async fn defer_queued(&mut self, reason: &str) {
        let queued: Vec<Pending> = self.queued.values_mut().flat_map(std::mem::take).collect();
        self.held -= queued.len();
        for p in queued {
            let o = deferred(p.seq, p.row, &p.valid, Some(&p.location), reason.to_owned());
            let _ = self.up.msg_tx.send(Msg::Final(o)).await;
        }
    }
}

impl Upserter {
    async fn upsert_row(self, p: Pending, mut ticket: Ticket) {
        let Pending {
            seq,
            row,
            location,
            valid,
            hashes,
        } = p;
        ticket.ready().await;
        if let Some(snap) = &self.snapshots {
            if let Err(e) = snap.ensure(&location).await {
                drop(ticket);
                let stop = match e.api() {
                    Some(ApiError::Cancelled) => None,
                    Some(api) => Stop::for_error(api).or(Some(Stop::Fatal(e.to_string()))),
                    None => Some(Stop::Fatal(e.to_string())),
                };
                if let Some(stop) = stop {
                    set_stop(&self.stop_tx, stop);
                }
                let reason = stop_reason(&self.stop_tx, || e.to_string());
                let o = deferred(seq, row, &valid, Some(&location), reason);
                let _ = self.msg_tx.send(Msg::Final(o)).await;
                let _ = self.done_tx.send(location);
                return;
            }
        }
        let result = self.client.upsert(&location, &valid.contact).await;
        drop(ticket);
        let done = location.clone();
        let msg = match result {
            Ok(u) => {
                // The shared classifier: the server's created/updated, plus a warning for every
                // sent field the returned contact does not have.
                let returned = u.contact;
                let v = crate::compare::classify(
                    &valid,
                    crate::compare::Against::Upserted {
                        created: u.created,
                        contact: returned.as_ref(),
                    },
                );
                let mut o = outcome(seq, row, v.status, &valid, Some(&location));
                o.contact_id = Some(u.contact_id);
                o.warnings.extend(v.warnings);
                let facts = hashes
                    .as_ref()
                    .map(|_| crate::undo::facts::from_upsert(&valid, returned.as_ref(), u.created));
                Msg::Upserted {
                    outcome: o,
                    location,
                    valid,
                    hashes,
                    facts,
                }
            }
            Err(e) if e.is_fatal() => {
                if let Some(stop) = Stop::for_error(&e) {
                    set_stop(&self.stop_tx, stop);
                }
                // Sent, but refused as a whole (401/403/daily limit), or it never reached
                // the API: nothing was applied.
                let what = match e {
                    ApiError::Unreachable { .. } | ApiError::NoSuchRoute { .. } => "not sent",
                    _ => "refused, not applied",
                };
                Msg::Final(
                    outcome(seq, row, RowStatus::Deferred, &valid, Some(&location))
                        .with_error(format!("{what}: {e}; run the import again to send it")),
                )
            }
            Err(ApiError::Cancelled) => {
                let reason = stop_reason(&self.stop_tx, || "the run is stopping".into());
                Msg::Final(deferred(seq, row, &valid, Some(&location), reason))
            }
            Err(e @ ApiError::LocationFailed { .. }) => {
                // Maybe sent and refused, maybe never sent: either way nothing was applied.
                Msg::Final(
                    outcome(seq, row, RowStatus::Deferred, &valid, Some(&location))
                        .with_error(format!("not applied: {e}; run the import again to send it")),
                )
            }
            Err(e) => Msg::Final(
                outcome(seq, row, RowStatus::Failed, &valid, Some(&location))
                    .with_error(format!("upsert: {e}")),
            ),
        };
        // The collector hears of the row before the dispatcher does, so a location's "done"
        // never overtakes its last row.
        let _ = self.msg_tx.send(msg).await;
        let _ = self.done_tx.send(done);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::sync::{mpsc, watch};

    use super::*;
    use crate::pipeline::testing::{client, row, sandbox, upserts};

    const LOC: &str = "loc-unit-1";

    fn pending(seq: u64, email: &str) -> Pending {
        Pending {
            seq,
            row: seq + 2,
            location: LOC.to_owned(),
            valid: row(email, &[]),
            hashes: None,
        }
    }

    async fn drain(d: &mut Dispatcher) {
        while d.held() > 0 {
            d.next_done().await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rows_sharing_an_email_are_never_in_flight_together() {
        let latency = Duration::from_millis(60);
        let sb = sandbox(latency).await;
        let (c, _events) = client(&sb);
        let (msg_tx, mut msg_rx) = mpsc::channel(1024);
        let (stop_tx, _) = watch::channel(None);
        let mut d = Dispatcher::new(c, None, msg_tx, Arc::new(stop_tx));
        // Warm the lane up so that it lets several upserts fly at once.
        for i in 0..12 {
            d.push(pending(i, &format!("warm{i}@example.com")));
        }
        drain(&mut d).await;
        sb.clear_requests();
        let mut seq = 100;
        for round in 0..3 {
            d.push(pending(seq, "same@example.com"));
            seq += 1;
            for j in 0..3 {
                d.push(pending(seq, &format!("other{round}-{j}@example.com")));
                seq += 1;
            }
        }
        drain(&mut d).await;
        let mut upserted = 0;
        while let Ok(m) = msg_rx.try_recv() {
            if matches!(m, Msg::Upserted { .. }) {
                upserted += 1;
            }
        }
        assert_eq!(upserted, 12 + 12);

        let seen = upserts(&sb);
        let same: Vec<_> = seen
            .iter()
            .filter(|(e, _)| e == "same@example.com")
            .collect();
        assert_eq!(same.len(), 3);
        for w in same.windows(2) {
            assert!(
                w[1].1.duration_since(w[0].1) >= latency,
                "a row of the same email started before the previous one was answered"
            );
        }
        // The lane did let rows fly together: the chains, not the lane, kept them apart.
        let mut at: Vec<_> = seen.iter().map(|(_, t)| *t).collect();
        at.sort();
        assert!(
            at.windows(2)
                .any(|w| w[1].duration_since(w[0]) < latency / 2),
            "no two upserts overlapped; the test proves nothing"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stopping_run_defers_the_queued_rows_and_lets_the_started_ones_finish() {
        let sb = sandbox(Duration::from_millis(40)).await;
        let (c, _events) = client(&sb);
        let (msg_tx, mut msg_rx) = mpsc::channel(1024);
        let (stop_tx, _) = watch::channel(None);
        let mut d = Dispatcher::new(c.clone(), None, msg_tx, Arc::new(stop_tx));
        let cap = c.lane_capacity(LOC);
        for i in 0..(cap as u64 + 3) {
            d.push(pending(i, &format!("r{i}@example.com")));
        }
        assert_eq!(d.held(), cap + 3);
        d.defer_queued("the run was interrupted").await;
        assert_eq!(d.held(), cap, "only the started rows are still held");
        drain(&mut d).await;

        let mut deferred_seqs = Vec::new();
        let mut upserted = 0;
        while let Ok(m) = msg_rx.try_recv() {
            match m {
                Msg::Final(o) => {
                    assert_eq!(o.status, RowStatus::Deferred);
                    assert_eq!(
                        o.errors,
                        ["not attempted: the run was interrupted; run the import again to send it"]
                    );
                    deferred_seqs.push(o.seq);
                }
                Msg::Upserted { .. } => upserted += 1,
                _ => panic!("the dispatcher sends only row results here"),
            }
        }
        assert_eq!(upserted, cap);
        deferred_seqs.sort();
        assert_eq!(
            deferred_seqs,
            (cap as u64..cap as u64 + 3).collect::<Vec<_>>()
        );
        assert_eq!(upserts(&sb).len(), cap, "queued rows were never sent");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn once_every_row_is_read_a_location_is_named_when_its_last_queued_row_starts() {
        let sb = sandbox(Duration::from_millis(20)).await;
        let (c, _events) = client(&sb);
        let (msg_tx, mut msg_rx) = mpsc::channel(1024);
        let (stop_tx, _) = watch::channel(None);
        let mut d = Dispatcher::new(c.clone(), None, msg_tx, Arc::new(stop_tx));
        let cap = c.lane_capacity(LOC) as u64;
        for i in 0..cap + 3 {
            d.push(pending(i, &format!("r{i}@example.com")));
        }
        // Another location's one row started at once: nothing of it is left to start.
        d.push(Pending {
            location: "loc-unit-2".into(),
            ..pending(cap + 3, "other@example.com")
        });
        d.announce_started().await;
        while d.held() > 0 {
            d.next_done().await;
            d.announce_started().await;
        }
        let mut said = Vec::new();
        while let Ok(m) = msg_rx.try_recv() {
            match m {
                Msg::InputRead { starting } => said.push(format!("read {starting:?}")),
                Msg::LocationStarted(l) => said.push(format!("started {l}")),
                _ => {}
            }
        }
        assert_eq!(
            said,
            [format!("read [\"{LOC}\"]"), format!("started {LOC}")]
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_location_is_announced_done_once_when_nothing_of_it_is_left() {
        let sb = sandbox(Duration::ZERO).await;
        let (c, _events) = client(&sb);
        let (msg_tx, mut msg_rx) = mpsc::channel(1024);
        let (stop_tx, _) = watch::channel(None);
        let mut d = Dispatcher::new(c, None, msg_tx, Arc::new(stop_tx));
        d.push(pending(0, "a@example.com"));
        d.push(pending(1, "b@example.com"));
        drain(&mut d).await;
        d.announce_done().await;
        d.announce_done().await;
        let mut done = Vec::new();
        while let Ok(m) = msg_rx.try_recv() {
            if let Msg::LocationDone(l) = m {
                done.push(l);
            }
        }
        assert_eq!(done, [LOC]);
    }
}
