//! The import: reads classified rows as far as the lookahead and the report allow, sends
//! resumed and unchanged rows straight to the report, and hands the rest to the dispatcher.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::changed::{Groups, Nth, Remember, RowChange, SentKeys};
use super::collector::Msg;
use super::dispatcher::{Dispatcher, Pending};
use super::fields::{Checked, FieldChecks};
use super::outcomes::{deferred, invalid_custom, outcome};
use super::prepare::{contact_keys, match_keys, Prepared};
use super::run::StateCtx;
use super::stop::{set_stop, state_failed, Stop};
use crate::contact::ValidRow;
use crate::event::{RowOutcome, RowStatus};
use crate::state::{RowHashes, StateError, StepError, Store};

/// Rows read ahead of their upsert (in progress or queued), all locations together.
const LOOKAHEAD: usize = 4096;
/// ... and at least this many per location seen: with a thousand locations in one file, 4,096
/// rows are four a location, and a location whose few rows run out waits idle for its next
/// one while the others' fill the lookahead.
const LOOKAHEAD_PER_LOCATION: usize = 16;
/// How far reading may run ahead of the report (rows read but not yet reported), in
/// lookaheads.
const READ_AHEAD_LOOKAHEADS: u64 = 4;

/// Rows that may wait for their upsert now.
fn lookahead(locations: usize) -> usize {
    LOOKAHEAD.max(LOOKAHEAD_PER_LOCATION * locations)
}

/// What the import loop reads from and reports to.
pub(super) struct ImportLoop {
    pub rows: super::prepare_pool::PreparedRx,
    pub msg_tx: mpsc::Sender<Msg>,
    pub dispatcher: Dispatcher,
    pub stop_rx: watch::Receiver<Option<Stop>>,
    /// Rows released to the report so far.
    pub reported: Arc<AtomicU64>,
    pub checks: FieldChecks,
    pub state: Option<StateCtx>,
    /// `--changed-only`: the file's rows sharing a key, from the pre-pass.
    pub groups: Groups,
}

impl ImportLoop {
    /// Runs until every row read has been reported to the collector; returns how many were read.
    pub(super) async fn run(self) -> u64 {
        let ImportLoop {
            mut rows,
            msg_tx,
            dispatcher: mut d,
            stop_rx,
            reported,
            mut checks,
            state,
            mut groups,
        } = self;
        let stop_tx = d.stop_tx();
        let mut total = 0u64;
        let mut input_done = false;
        let mut sent_keys = SentKeys::default();
        loop {
            // Rows come a chunk at a time with no wait between them: give the runtime's
            // thread back now and then (every 128 turns), so that sends go out on time.
            tokio::task::consume_budget().await;
            let stop = stop_rx.borrow().clone();
            if let Some(stop) = &stop {
                d.defer_queued(&stop.reason()).await;
            }
            if input_done {
                d.announce_started().await;
                d.announce_done().await;
                if d.held() == 0 {
                    break;
                }
            }
            let ahead = lookahead(d.locations());
            let room = d.held() < ahead
                && total.saturating_sub(reported.load(Ordering::Relaxed))
                    < READ_AHEAD_LOOKAHEADS * ahead as u64;
            tokio::select! {
                biased;
                Some(()) = d.next_done() => {}
                p = rows.recv(), if room && !input_done => match p {
                    None => input_done = true,
                    Some(Prepared::Invalid(o)) => {
                        total += 1;
                        let _ = msg_tx.send(Msg::Final(o)).await;
                    }
                    Some(Prepared::Valid { seq, row, location, mut valid, raw }) => {
                        total += 1;
                        // Counted for every row, as the pre-pass counts them.
                        let nth = match (&state, &location) {
                            (Some(st), Some(loc)) if st.changed_only => {
                                groups.nth(&match_keys(loc, &valid))
                            }
                            _ => Nth::default(),
                        };
                        if let (Some(st), Some(loc)) = (&state, &location) {
                            match resumed_row(st, seq, loc, &valid) {
                                Ok(Some(msg)) => {
                                    if st.changed_only {
                                        mark_sent(&mut sent_keys, loc, &valid);
                                    }
                                    let _ = msg_tx.send(msg.into_msg(loc.clone(), valid)).await;
                                    continue;
                                }
                                Ok(None) => {}
                                Err(e) => state_failed(&stop_tx, &e),
                            }
                        }
                        let checked = match (&location, &stop) {
                            (Some(loc), None) => checks.check(Some(loc), &mut valid).await,
                            _ => Checked::Fine,
                        };
                        let stop = match checked {
                            Checked::Fine => stop,
                            Checked::Invalid(errors) => {
                                let o = invalid_custom(seq, row, &valid, location.as_deref(), errors, raw);
                                let _ = msg_tx.send(Msg::Final(o)).await;
                                continue;
                            }
                            Checked::Skipped(reason) => {
                                let o = deferred(seq, row, &valid, location.as_deref(), reason);
                                let _ = msg_tx.send(Msg::Final(o)).await;
                                continue;
                            }
                            Checked::Fatal(e) => {
                                let stop = Stop::for_error(&e).unwrap_or(Stop::Fatal(e.to_string()));
                                set_stop(&stop_tx, stop.clone());
                                Some(stop)
                            }
                        };
                        match (location, stop) {
                            (Some(location), None) => {
                                let hashes = match &state {
                                    Some(st) if st.changed_only => {
                                        let change = RowChange::of(&location, &valid);
                                        let row_ref = RowRef { seq, row, location: &location, valid: &valid };
                                        let group_sent = groups.sent(change.keys());
                                        match unchanged(st, &sent_keys, row_ref, &change, nth, group_sent) {
                                            Ok(Some(o)) => {
                                                let _ = msg_tx.send(Msg::Final(o)).await;
                                                continue;
                                            }
                                            Ok(None) => {}
                                            Err(e) => state_failed(&stop_tx, &e),
                                        }
                                        let keys = change.store_keys(nth);
                                        Some(Remember { hashes: change.hashes, keys })
                                    }
                                    Some(_) => Some(Remember {
                                        hashes: RowHashes::of(&valid),
                                        keys: contact_keys(&valid),
                                    }),
                                    None => None,
                                };
                                // Only `--changed-only` reads them: a plain run keeps no
                                // key per row it sent (memory would grow with the file).
                                if state.as_ref().is_some_and(|st| st.changed_only) {
                                    mark_sent(&mut sent_keys, &location, &valid);
                                }
                                d.push(Pending { seq, row, location, valid, hashes })
                            }
                            (location, stop) => {
                                let reason = stop.map_or_else(|| "the row has no location".to_owned(), |s| s.reason());
                                let o = deferred(seq, row, &valid, location.as_deref(), reason);
                                let _ = msg_tx.send(Msg::Final(o)).await;
                            }
                        }
                    }
                },
                // Reading waits for the report to catch up; look again shortly.
                _ = tokio::time::sleep(Duration::from_millis(20)), if !room && !input_done => {}
            }
        }
        total
    }
}

/// What an earlier attempt of this run did with a row it had upserted.
struct ResumedRow {
    outcome: RowOutcome,
    /// The row's tags still owed (an earlier call may have added some of them).
    tags: Vec<String>,
    business: bool,
}

impl ResumedRow {
    /// Done rows are reported as they were; rows with bulk steps owed join batches again.
    fn into_msg(self, location: String, mut valid: Box<ValidRow>) -> Msg {
        if self.tags.is_empty() && !self.business {
            return Msg::Final(self.outcome);
        }
        valid.tags = self.tags;
        if !self.business {
            valid.business_id = None;
        }
        let mut outcome = self.outcome;
        // The earlier attempt's "not sent" notes are about to be outdated.
        outcome.errors.retain(|e| !StepError::wrote(e));
        Msg::Upserted {
            outcome,
            location,
            valid,
            hashes: None,
            facts: None,
        }
    }
}

fn lock(st: &StateCtx) -> std::sync::MutexGuard<'_, Store> {
    st.store
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A row an earlier attempt of this (resumed) run already upserted: it is not sent again.
fn resumed_row(
    st: &StateCtx,
    seq: u64,
    location: &str,
    valid: &ValidRow,
) -> Result<Option<ResumedRow>, StateError> {
    if st.resumed.is_none() {
        return Ok(None);
    }
    let Some(prior) = lock(st).prior(seq)? else {
        return Ok(None);
    };
    if !prior.upserted() || prior.outcome.location_id.as_deref() != Some(location) {
        return Ok(None);
    }
    let business = prior.business_pending() && valid.business_id.is_some();
    let tags_pending = prior.tags_pending();
    let mut outcome = prior.outcome;
    let mut tags = Vec::new();
    if tags_pending && !valid.tags.is_empty() {
        tags = valid.tags.clone();
        tags.retain(|t| !prior.tags_done.contains(t));
        if tags.is_empty() {
            // Every tag went out in calls of their own; only the last word was lost.
            outcome.tags_status = crate::event::StepStatus::Done;
        }
    }
    Ok(Some(ResumedRow {
        outcome,
        tags,
        business,
    }))
}

fn mark_sent(sent: &mut SentKeys, location: &str, valid: &ValidRow) {
    sent.mark(&match_keys(location, valid));
}

/// A valid row with its place in the input and its location.
struct RowRef<'a> {
    seq: u64,
    row: u64,
    location: &'a str,
    valid: &'a ValidRow,
}

/// `--changed-only`: the row's payload, tags and business are what its contact last got.
fn unchanged(
    st: &StateCtx,
    sent: &SentKeys,
    r: RowRef<'_>,
    change: &RowChange,
    nth: Nth,
    group_sent: bool,
) -> Result<Option<RowOutcome>, StateError> {
    if group_sent {
        return Ok(None);
    }
    let applied = sent.unchanged(&lock(st), r.location, change, nth)?;
    Ok(applied.map(|a| {
        let mut o = outcome(
            r.seq,
            r.row,
            RowStatus::Unchanged,
            r.valid,
            Some(r.location),
        );
        o.contact_id = Some(a.contact_id);
        o
    }))
}
