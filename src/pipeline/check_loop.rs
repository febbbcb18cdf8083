//! `validate`, `--dry-run` and `plan`: classify every row and report it; nothing is sent.
//! The only requests read the location's custom fields and, for `plan`, its contacts.

use tokio::sync::mpsc;

use super::collector::Msg;
use super::fields::{Checked, FieldChecks};
use super::outcomes::{deferred, invalid_custom, outcome_moved, planned};
use super::prepare::Prepared;
use super::stop::{set_stop, Stop, StopTx};
use crate::event::{Event, RowOutcome, RowStatus};
use crate::plan::Estimate;

/// Rows per message to the collector: few hops, and the collector's inbox (1,024 messages)
/// still holds at most 32k rows.
const FINALS_CHUNK: usize = 32;

/// Where a row's last word goes.
pub(super) enum Finals {
    /// To the collector, which releases rows in input order after their bulk calls.
    Collector(mpsc::Sender<Msg>),
    /// Straight to the event stream: an offline dry run's rows come in input order and owe
    /// nothing more, so the collector's ledger would only pass them on one at a time.
    Events(mpsc::Sender<Event>),
}

impl Finals {
    /// Rows per hand-over. The event stream takes a chunk in one reservation, which fails
    /// (dropping the chunk) when it is larger than the channel: never more than its room.
    fn chunk_len(&self) -> usize {
        match self {
            Finals::Collector(_) => FINALS_CHUNK,
            Finals::Events(tx) => 256.min(tx.max_capacity()),
        }
    }

    /// Hands a chunk on; returns how many rows went to the collector.
    async fn hand_over(&self, chunk: Vec<RowOutcome>) -> u64 {
        match self {
            Finals::Collector(tx) => {
                let n = chunk.len() as u64;
                let _ = tx.send(Msg::Finals(chunk)).await;
                n
            }
            Finals::Events(tx) => {
                // One wait for room for the whole chunk, not one per row.
                if let Ok(permits) = tx.reserve_many(chunk.len()).await {
                    for (permit, o) in permits.zip(chunk) {
                        permit.send(Event::Row(o));
                    }
                }
                0
            }
        }
    }
}

/// Classifies every row; returns how many rows went to the collector and, with a planner
/// (the rows judged against the location's contacts), the estimate.
pub(super) async fn check_rows(
    mut rows: super::prepare_pool::PreparedRx,
    finals_tx: Finals,
    stop_tx: StopTx,
    mut checks: FieldChecks,
    mut planner: Option<crate::plan::Planner>,
) -> (u64, Option<Estimate>) {
    let mut total = 0u64;
    let chunk_len = finals_tx.chunk_len();
    let mut finals = Vec::with_capacity(chunk_len);
    while let Some(p) = rows.recv().await {
        let o = match p {
            Prepared::Invalid(o) => o,
            Prepared::Valid {
                seq,
                row,
                location,
                mut valid,
                raw,
            } => {
                let loc = location.as_deref();
                match checks.check(loc, &mut valid).await {
                    Checked::Fine => match (planner.as_mut(), loc) {
                        (Some(p), Some(l)) => planned(
                            p.judge(l, &valid, seq, row).await,
                            seq,
                            row,
                            &valid,
                            l,
                            &stop_tx,
                        ),
                        _ => outcome_moved(seq, row, RowStatus::Valid, &mut valid, loc),
                    },
                    Checked::Invalid(errors) => invalid_custom(seq, row, &valid, loc, errors, raw),
                    Checked::Skipped(reason) => deferred(seq, row, &valid, loc, reason),
                    Checked::Fatal(e) => {
                        if let Some(stop) = Stop::for_error(&e) {
                            set_stop(&stop_tx, stop);
                        }
                        deferred(seq, row, &valid, loc, e.to_string())
                    }
                }
            }
        };
        finals.push(o);
        // Handed over a few at a time (one message per chunk), and whenever the next row
        // would have to be waited for, so no row waits for the rows behind it.
        if finals.len() == chunk_len || rows.would_wait() {
            let chunk = std::mem::replace(&mut finals, Vec::with_capacity(chunk_len));
            total += finals_tx.hand_over(chunk).await;
        }
    }
    if !finals.is_empty() {
        total += finals_tx.hand_over(finals).await;
    }
    (total, planner.map(|p| p.estimate()))
}
