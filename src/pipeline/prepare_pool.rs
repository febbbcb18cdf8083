//! Preparation is the CPU-bound part of a run (phone, email and date checks), so it runs on
//! a small pool: the reader thread cuts records into chunks, workers prepare chunks, and one
//! thread puts them back in input order before they go on. Memory stays bounded: a chunk is
//! only read once a ticket is free, and a ticket comes back only when its chunk has gone on.

use std::collections::BTreeMap;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::mpsc;

use super::prepare::{Prepared, Preparer};
use super::shared_keys::{Probe, SharedKeys};
use crate::input::{Reader, Record, RecordValues};

/// Big enough that the channel hops are few, small enough to keep memory flat.
const CHUNK: usize = 256;
/// Chunks read but not yet passed on, per worker.
const TICKETS_PER_WORKER: usize = 4;
/// A record whose cells hold more than this is not handed back to the reader for reuse: one
/// huge row must not keep its buffer for the rest of the run.
const REUSE_MAX: usize = 4096;

/// Starts the reader, the workers and the orderer; the returned handle ends when all have.
/// `all_cores`: a dry run wants every core; an import is paced by the network, and a single
/// worker keeps the cores free for sending on time. `offline`: an offline dry run, whose
/// rows without custom fields have nothing left to check (see [`Preparer::prepare_probed`]).
/// The orderer names the rows that share a key with an earlier row ([`SharedKeys`]).
pub(super) fn spawn(
    reader: Reader,
    preparer: Preparer,
    out: mpsc::Sender<Vec<Prepared>>,
    all_cores: bool,
    offline: bool,
    shared: SharedKeys,
) -> std::io::Result<JoinHandle<()>> {
    let workers = if all_cores {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 4)
    } else {
        1
    };
    let tickets = workers * TICKETS_PER_WORKER;
    let (ticket_tx, ticket_rx) = sync_channel::<()>(tickets);
    for _ in 0..tickets {
        let _ = ticket_tx.send(());
    }
    let (work_tx, work_rx) = sync_channel::<(u64, Vec<Record>)>(tickets);
    let (done_tx, done_rx) = sync_channel::<(u64, Chunk)>(tickets);
    // Prepared chunks' records go back to the reader, which reads the next ones into their
    // buffers: no allocation per record on the reader, no free of it on a worker.
    let (reuse_tx, reuse_rx) = sync_channel::<Vec<Record>>(tickets);
    let work_rx = Arc::new(Mutex::new(work_rx));
    // One preparer per worker: nothing shared between the threads per row.
    let mut preparers: Vec<Preparer> = (1..workers).map(|_| preparer.fork()).collect();
    preparers.push(preparer);

    let mut handles = Vec::with_capacity(workers + 1);
    for (i, preparer) in preparers.into_iter().enumerate() {
        let (work_rx, done_tx, reuse_tx) = (work_rx.clone(), done_tx.clone(), reuse_tx.clone());
        handles.push(
            std::thread::Builder::new()
                .name(format!("ghl-import-prepare-{i}"))
                .spawn(move || loop {
                    // The lock is held only to take a chunk, not to prepare it.
                    let next = match work_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((idx, mut records)) = next else { return };
                    let prepared = records
                        .iter()
                        .map(|r| preparer.prepare_probed(r, offline))
                        .unzip();
                    if done_tx.send((idx, prepared)).is_err() {
                        return;
                    }
                    records.retain(|r| match &r.values {
                        RecordValues::Cells(c) => c.capacity() <= REUSE_MAX,
                        _ => false,
                    });
                    // Full: the reader has chunks enough; these are freed.
                    let _ = reuse_tx.try_send(records);
                })?,
        );
    }
    drop((done_tx, reuse_tx));
    handles.push(
        std::thread::Builder::new()
            .name("ghl-import-order".into())
            .spawn(move || forward_in_order(done_rx, out, ticket_tx, shared))?,
    );
    std::thread::Builder::new()
        .name("ghl-import-reader".into())
        .spawn(move || {
            let mut reader = reader;
            let mut idx = 0u64;
            // No ticket: the orderer has stopped (the run no longer takes rows).
            while ticket_rx.recv().is_ok() {
                let mut chunk = reuse_rx
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
                fill(&mut reader, &mut chunk);
                if chunk.is_empty() || work_tx.send((idx, chunk)).is_err() {
                    break;
                }
                idx += 1;
            }
            drop(work_tx);
            for h in handles {
                let _ = h.join();
            }
        })
}

/// Reads up to `CHUNK` records into `chunk`, into the records it holds first.
fn fill(reader: &mut Reader, chunk: &mut Vec<Record>) {
    let mut n = 0;
    while n < CHUNK {
        let more = match chunk.get_mut(n) {
            Some(slot) => reader.next_into(slot),
            None => reader.next().map(|r| chunk.push(r)).is_some(),
        };
        if !more {
            break;
        }
        n += 1;
    }
    chunk.truncate(n);
}

/// Prepared rows, and what each valid one brings to the shared-key check.
type Chunk = (Vec<Prepared>, Vec<Option<Probe>>);

fn forward_in_order(
    done: Receiver<(u64, Chunk)>,
    out: mpsc::Sender<Vec<Prepared>>,
    tickets: std::sync::mpsc::SyncSender<()>,
    mut shared: SharedKeys,
) {
    let mut waiting: BTreeMap<u64, Chunk> = BTreeMap::new();
    let mut next = 0u64;
    for (idx, chunk) in done {
        waiting.insert(idx, chunk);
        while let Some((mut chunk, probes)) = waiting.remove(&next) {
            for (p, probe) in chunk.iter_mut().zip(&probes) {
                if let Some(probe) = probe {
                    note_shared(&mut shared, p, probe);
                }
            }
            if out.blocking_send(chunk).is_err() {
                return;
            }
            next += 1;
            let _ = tickets.send(());
        }
    }
}

/// Puts the note on a valid row that shares a key with an earlier row naming someone else.
fn note_shared(shared: &mut SharedKeys, p: &mut Prepared, probe: &Probe) {
    let (row, email, phone, warnings) = match p {
        Prepared::Valid { row, valid, .. } => {
            let c = &valid.contact;
            (*row, &c.email, &c.phone, &mut valid.warnings)
        }
        // An offline dry run's valid row, its report line made already.
        Prepared::Invalid(o) => (o.row, &o.email, &o.phone, &mut o.warnings),
    };
    if let Some(note) = shared.check(row, probe, email.as_deref(), phone.as_deref()) {
        warnings.push(note);
    }
}

/// Rows in input order, handed over a chunk at a time (one channel message per chunk, not
/// per row) and taken one at a time.
pub struct PreparedRx {
    rx: mpsc::Receiver<Vec<Prepared>>,
    chunk: std::vec::IntoIter<Prepared>,
}

/// Chunks in flight between the orderer and the run: with the tickets, at most
/// `CHUNK * (TICKETS + IN_FLIGHT)` rows are read ahead.
const IN_FLIGHT: usize = 4;

pub(super) fn channel() -> (mpsc::Sender<Vec<Prepared>>, PreparedRx) {
    let (tx, rx) = mpsc::channel(IN_FLIGHT);
    (
        tx,
        PreparedRx {
            rx,
            chunk: Vec::new().into_iter(),
        },
    )
}

impl PreparedRx {
    /// The rows already handed over are all taken: the next [`PreparedRx::recv`] may wait.
    pub fn would_wait(&self) -> bool {
        self.chunk.len() == 0
    }

    /// The next row; `None` once every row has come. Cancel-safe (for `select!`).
    pub async fn recv(&mut self) -> Option<Prepared> {
        loop {
            if let Some(p) = self.chunk.next() {
                return Some(p);
            }
            self.chunk = self.rx.recv().await?.into_iter();
        }
    }
}
