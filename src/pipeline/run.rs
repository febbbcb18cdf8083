//! The run: a reader thread classifies rows, a dispatcher starts upserts under the key chains
//! and the row window, and a collector batches the bulk calls and releases rows to the
//! event stream in input order.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use futures::future::BoxFuture;
use tokio::sync::{mpsc, watch, OwnedSemaphorePermit, Semaphore};

use super::keys::{KeyChains, Ticket};
use super::prepare::{match_keys, Prepared, Preparer};
use super::ExitCode;
use crate::api::{ApiError, Client, ClientConfig, Stats};
use crate::contact::{Field, ValidRow};
use crate::event::{Event, EventSink, RowOutcome, RowStatus, StepStatus};
use crate::input::{InputError, InputOptions, Reader};
use crate::mapping::{Mapper, MappingError, MappingSpec};
use crate::report::{Summary, SummaryBuilder};
use crate::state::{Batch, BatchKind, Ledger};
use crate::validation::{ValidationError, ValidationOptions, Validator};

/// The bulk business endpoint takes at most 50 ids.
pub const MAX_BUSINESS_BATCH: usize = 50;

/// Everything a run needs, validated before any work starts.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub input: PathBuf,
    pub input_options: InputOptions,
    pub mapping: Option<MappingSpec>,
    pub validation: ValidationOptions,
    /// `--location`; rows may name their own.
    pub location: Option<String>,
    /// `None`: dry run, nothing is sent.
    pub api: Option<ClientConfig>,
    pub tag_batch_size: usize,
    pub business_batch_size: usize,
    /// Rows held for ordering before the oldest one's open batches are sent early.
    pub max_buffered_rows: usize,
    /// For the summary.
    pub report_label: Option<String>,
}

impl RunConfig {
    pub fn new(input: PathBuf) -> Self {
        RunConfig {
            input,
            input_options: InputOptions::default(),
            mapping: None,
            validation: ValidationOptions {
                default_country: "US".into(),
                extra_tags: Vec::new(),
                business_id: None,
            },
            location: None,
            api: None,
            tag_batch_size: 100,
            business_batch_size: MAX_BUSINESS_BATCH,
            max_buffered_rows: 10_000,
            report_label: None,
        }
    }
}

/// Why a run could not start. Anything after the start is a row outcome instead.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Mapping(#[from] MappingError),
    #[error(transparent)]
    Validation(#[from] ValidationError),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("cannot write the report: {0}")]
    Report(std::io::Error),
    #[error(
        "no location: pass --location or set GHL_LOCATION_ID, or give the file a locationId column"
    )]
    NoLocation,
}

#[derive(Debug, Clone, PartialEq)]
enum Stop {
    Interrupted,
    /// The daily quota ran out: the rest can be sent tomorrow.
    Budget(String),
    Fatal(String),
}

impl Stop {
    fn reason(&self) -> String {
        match self {
            Stop::Interrupted => "the run was interrupted".into(),
            Stop::Budget(m) | Stop::Fatal(m) => m.clone(),
        }
    }
}

enum Msg {
    Final(RowOutcome),
    Upserted {
        outcome: RowOutcome,
        location: String,
        valid: Box<ValidRow>,
    },
    BatchDone {
        kind: BatchKind,
        results: Vec<(u64, Result<(), String>)>,
        not_sent: bool,
    },
    InputDone {
        total: u64,
    },
}

/// Runs an import (or a dry run) to the end. `interrupt` resolving stops taking new rows:
/// requests in flight finish, the rest of the rows are reported `deferred`.
pub async fn run(
    cfg: RunConfig,
    sinks: Vec<Box<dyn EventSink>>,
    interrupt: BoxFuture<'static, ()>,
) -> Result<Summary, RunError> {
    let started = Instant::now();
    let reader = Reader::open(&cfg.input, &cfg.input_options)?;
    let mapper = Mapper::new(cfg.mapping.as_ref(), reader.headers())?;
    let validator = Validator::new(cfg.validation.clone())?;
    let dry_run = cfg.api.is_none();
    let maps_location = mapper
        .describe()
        .iter()
        .any(|(_, t)| t == Field::LocationId.api_name());
    if !dry_run && cfg.location.is_none() && reader.headers().is_some() && !maps_location {
        return Err(RunError::NoLocation);
    }
    let unmapped = mapper.unmapped_columns();
    let format = match reader.format() {
        crate::input::Format::Csv => match reader.delimiter() {
            Some(d) => format!("CSV, delimiter {:?}", d as char),
            None => "CSV".to_owned(),
        },
        crate::input::Format::Jsonl => "JSONL".to_owned(),
    };
    let preparer = Preparer {
        mapper,
        validator,
        default_location: cfg.location.clone(),
        require_location: !dry_run,
    };

    let input_label = cfg.input.display().to_string();
    let (ev_tx, mut ev_rx) = mpsc::channel::<Event>(1024);
    let mut builder = SummaryBuilder::new(input_label.clone(), cfg.report_label.clone(), dry_run);
    let events = tokio::spawn(async move {
        let mut sinks = sinks;
        let mut first_error = None;
        while let Some(ev) = ev_rx.recv().await {
            let _ = builder.on_event(&ev);
            for s in sinks.iter_mut() {
                if let Err(e) = s.on_event(&ev) {
                    first_error.get_or_insert(e);
                }
            }
        }
        (sinks, builder, first_error)
    });
    let _ = ev_tx
        .send(Event::Started {
            input: input_label,
            format,
            dry_run,
        })
        .await;
    if !unmapped.is_empty() {
        let message = format!(
            "columns not imported (no matching HighLevel field; map them with --mapping): {}",
            unmapped
                .iter()
                .map(|c| format!("'{c}'"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = ev_tx.send(Event::Notice { message }).await;
    }

    let stats = Arc::new(Stats::default());
    let client = match cfg.api.clone() {
        Some(c) => Some(Arc::new(Client::new(
            c,
            stats.clone(),
            Some(ev_tx.clone()),
        )?)),
        None => None,
    };

    let (stop_tx, stop_rx) = watch::channel::<Option<Stop>>(None);
    let stop_tx = Arc::new(stop_tx);
    let watcher = {
        let (stop_tx, ev_tx, client) = (stop_tx.clone(), ev_tx.clone(), client.clone());
        tokio::spawn(async move {
            interrupt.await;
            if let Some(c) = &client {
                c.drain();
            }
            if set_stop(&stop_tx, Stop::Interrupted) {
                let _ = ev_tx
                    .send(Event::Notice {
                        message: "interrupted: finishing the requests in flight; the remaining rows will be reported as deferred".into(),
                    })
                    .await;
            }
        })
    };

    // Reading and classifying is blocking, CPU-bound work: its own thread.
    let (row_tx, row_rx) = mpsc::channel::<Prepared>(1024);
    let reader_thread = std::thread::Builder::new()
        .name("ghl-import-reader".into())
        .spawn(move || {
            for record in reader {
                if row_tx.blocking_send(preparer.prepare(&record)).is_err() {
                    break;
                }
            }
        })
        .map_err(|e| {
            RunError::Report(std::io::Error::other(format!(
                "cannot start the reader: {e}"
            )))
        })?;

    let (msg_tx, msg_rx) = mpsc::channel::<Msg>(1024);
    let ledger = Ledger::new(
        cfg.tag_batch_size,
        cfg.business_batch_size.clamp(1, MAX_BUSINESS_BATCH),
    );
    let collector = tokio::spawn(collect(
        msg_rx,
        msg_tx.clone(),
        ledger,
        client.clone(),
        ev_tx.clone(),
        stop_rx.clone(),
        stop_tx.clone(),
        cfg.max_buffered_rows,
    ));

    let row_window = client
        .as_ref()
        .map(|_| cfg.api.as_ref().map_or(8, |a| a.concurrency) * 4)
        .unwrap_or(1);
    let total = dispatch(
        row_rx,
        msg_tx.clone(),
        client.clone(),
        stop_rx.clone(),
        stop_tx.clone(),
        row_window,
    )
    .await;
    let _ = msg_tx.send(Msg::InputDone { total }).await;
    drop(msg_tx);
    let _ = collector.await;
    let _ = reader_thread.join();
    watcher.abort();
    drop(client);

    let stop = stop_rx.borrow().clone();
    drop(ev_tx);
    let (mut sinks, builder, sink_error) = events
        .await
        .map_err(|e| RunError::Report(std::io::Error::other(e.to_string())))?;
    let mut summary = builder.finish(
        stats.snapshot(),
        started.elapsed(),
        stop.as_ref().map(Stop::reason),
    );
    summary.exit_code = exit_code(&summary, stop.as_ref()).code();
    let finished = Event::Finished(summary.clone());
    let mut sink_error = sink_error;
    for s in sinks.iter_mut() {
        if let Err(e) = s.on_event(&finished) {
            sink_error.get_or_insert(e);
        }
    }
    if let Some(e) = sink_error {
        return Err(RunError::Report(e));
    }
    Ok(summary)
}

fn exit_code(summary: &Summary, stop: Option<&Stop>) -> ExitCode {
    match stop {
        Some(Stop::Fatal(_)) => ExitCode::Fatal,
        Some(Stop::Budget(_)) => ExitCode::BudgetExhausted,
        Some(Stop::Interrupted) => ExitCode::Interrupted,
        None if RowStatus::ALL
            .iter()
            .any(|s| s.is_problem() && summary.count(*s) > 0) =>
        {
            ExitCode::SomeRowsFailed
        }
        None => ExitCode::Success,
    }
}

/// Records why the run stops; a fatal error outranks a spent budget, which outranks an
/// interrupt. True if it changed.
fn set_stop(tx: &watch::Sender<Option<Stop>>, stop: Stop) -> bool {
    let rank = |s: &Stop| match s {
        Stop::Interrupted => 0,
        Stop::Budget(_) => 1,
        Stop::Fatal(_) => 2,
    };
    tx.send_if_modified(|cur| {
        if cur.as_ref().is_none_or(|c| rank(c) < rank(&stop)) {
            *cur = Some(stop.clone());
            true
        } else {
            false
        }
    })
}

/// The stop an API error causes, if any.
fn stop_for(e: &ApiError) -> Option<Stop> {
    match e {
        ApiError::DailyLimit { .. } => Some(Stop::Budget(e.to_string())),
        e if e.is_fatal() => Some(Stop::Fatal(e.to_string())),
        _ => None,
    }
}

fn outcome(
    seq: u64,
    row: u64,
    status: RowStatus,
    valid: &ValidRow,
    location: Option<&str>,
) -> RowOutcome {
    RowOutcome {
        seq,
        row,
        status,
        contact_id: None,
        email: valid.contact.email.clone(),
        phone: valid.contact.phone.clone(),
        location_id: location.map(str::to_owned),
        tags_status: StepStatus::None,
        business_status: StepStatus::None,
        errors: Vec::new(),
    }
}

fn deferred(
    seq: u64,
    row: u64,
    valid: &ValidRow,
    location: Option<&str>,
    reason: String,
) -> RowOutcome {
    let mut o = outcome(seq, row, RowStatus::Deferred, valid, location);
    o.errors.push(format!(
        "not attempted: {reason}; run the import again to send it"
    ));
    o
}

async fn dispatch(
    mut rows: mpsc::Receiver<Prepared>,
    msg_tx: mpsc::Sender<Msg>,
    client: Option<Arc<Client>>,
    stop_rx: watch::Receiver<Option<Stop>>,
    stop_tx: Arc<watch::Sender<Option<Stop>>>,
    row_window: usize,
) -> u64 {
    let chains = Arc::new(KeyChains::default());
    let slots = Arc::new(Semaphore::new(row_window.max(1)));
    let mut total = 0u64;
    while let Some(p) = rows.recv().await {
        total += 1;
        let (seq, row, location, valid) = match p {
            Prepared::Invalid(o) => {
                let _ = msg_tx.send(Msg::Final(o)).await;
                continue;
            }
            Prepared::Valid {
                seq,
                row,
                location,
                valid,
            } => (seq, row, location, valid),
        };
        let Some(client) = &client else {
            let _ = msg_tx
                .send(Msg::Final(outcome(
                    seq,
                    row,
                    RowStatus::Valid,
                    &valid,
                    location.as_deref(),
                )))
                .await;
            continue;
        };
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => p.ok(),
            _ = wait_stopped(stop_rx.clone()) => None,
        };
        let stop = stop_rx.borrow().clone();
        let (Some(permit), None, Some(location)) = (permit, stop.clone(), location) else {
            let reason = stop
                .map(|s| s.reason())
                .unwrap_or_else(|| "the run is stopping".into());
            let _ = msg_tx
                .send(Msg::Final(deferred(seq, row, &valid, None, reason)))
                .await;
            continue;
        };
        let ticket = chains.enter(match_keys(&location, &valid));
        tokio::spawn(upsert_row(
            client.clone(),
            seq,
            row,
            location,
            valid,
            ticket,
            permit,
            stop_tx.clone(),
            msg_tx.clone(),
        ));
    }
    total
}

async fn wait_stopped(mut rx: watch::Receiver<Option<Stop>>) {
    let _ = rx.wait_for(|s| s.is_some()).await;
}

#[allow(clippy::too_many_arguments)]
async fn upsert_row(
    client: Arc<Client>,
    seq: u64,
    row: u64,
    location: String,
    valid: Box<ValidRow>,
    mut ticket: Ticket,
    permit: OwnedSemaphorePermit,
    stop_tx: Arc<watch::Sender<Option<Stop>>>,
    msg_tx: mpsc::Sender<Msg>,
) {
    ticket.ready().await;
    let result = client.upsert(&location, &valid.contact).await;
    drop(ticket);
    drop(permit);
    let msg = match result {
        Ok(u) => {
            let status = if u.created {
                RowStatus::Created
            } else {
                RowStatus::Updated
            };
            let mut o = outcome(seq, row, status, &valid, Some(&location));
            o.contact_id = Some(u.contact_id);
            Msg::Upserted {
                outcome: o,
                location,
                valid,
            }
        }
        Err(e) if e.is_fatal() => {
            if let Some(stop) = stop_for(&e) {
                set_stop(&stop_tx, stop);
            }
            Msg::Final(deferred(seq, row, &valid, Some(&location), e.to_string()))
        }
        Err(ApiError::Cancelled) => {
            let reason = stop_tx
                .borrow()
                .as_ref()
                .map(Stop::reason)
                .unwrap_or_else(|| "the run is stopping".into());
            Msg::Final(deferred(seq, row, &valid, Some(&location), reason))
        }
        Err(e) => {
            let mut o = outcome(seq, row, RowStatus::Failed, &valid, Some(&location));
            o.errors.push(format!("upsert: {e}"));
            Msg::Final(o)
        }
    };
    let _ = msg_tx.send(msg).await;
}

#[allow(clippy::too_many_arguments)]
async fn collect(
    mut rx: mpsc::Receiver<Msg>,
    tx: mpsc::Sender<Msg>,
    mut ledger: Ledger,
    client: Option<Arc<Client>>,
    ev_tx: mpsc::Sender<Event>,
    stop_rx: watch::Receiver<Option<Stop>>,
    stop_tx: Arc<watch::Sender<Option<Stop>>>,
    max_buffered: usize,
) {
    let mut rows_in = 0u64;
    let mut total: Option<u64> = None;
    let mut all_flushed = false;
    let mut in_flight = 0usize;
    let send = |batches: Vec<Batch>, in_flight: &mut usize| {
        for b in batches {
            if let Some(client) = &client {
                *in_flight += 1;
                tokio::spawn(send_batch(client.clone(), b, tx.clone(), stop_tx.clone()));
            }
        }
    };
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Final(o) => {
                rows_in += 1;
                ledger.finish(o);
            }
            Msg::Upserted {
                outcome,
                location,
                valid,
            } => {
                rows_in += 1;
                let full = ledger.upserted(
                    outcome,
                    &location,
                    &valid.tags,
                    valid.business_id.as_deref(),
                );
                send(full, &mut in_flight);
            }
            Msg::BatchDone {
                kind,
                results,
                not_sent,
            } => {
                in_flight -= 1;
                ledger.batch_done(
                    &kind,
                    results,
                    if not_sent {
                        StepStatus::Skipped
                    } else {
                        StepStatus::Failed
                    },
                );
            }
            Msg::InputDone { total: t } => total = Some(t),
        }
        if ledger.buffered() > max_buffered {
            send(ledger.flush_head(), &mut in_flight);
        }
        if !all_flushed && total == Some(rows_in) {
            all_flushed = true;
            let stop = stop_rx.borrow().clone();
            match stop {
                Some(Stop::Fatal(reason) | Stop::Budget(reason)) => {
                    ledger.abandon_open_batches(&reason)
                }
                _ => send(ledger.flush_all(), &mut in_flight),
            }
        }
        for o in ledger.pop_ready() {
            let _ = ev_tx.send(Event::Row(o)).await;
        }
        if all_flushed && in_flight == 0 && Some(ledger.emitted()) == total {
            break;
        }
    }
}

async fn send_batch(
    client: Arc<Client>,
    batch: Batch,
    tx: mpsc::Sender<Msg>,
    stop_tx: Arc<watch::Sender<Option<Stop>>>,
) {
    let mut ids: Vec<String> = batch.items.iter().map(|(_, id)| id.clone()).collect();
    ids.sort();
    ids.dedup();
    let result = match &batch.kind {
        BatchKind::Tags(tags) => client.add_tags(&batch.location, &ids, tags).await,
        BatchKind::Business(b) => client.set_business(&batch.location, &ids, Some(b)).await,
    };
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
            if let Some(stop) = stop_for(&e) {
                set_stop(&stop_tx, stop);
            }
            let not_sent = matches!(e, ApiError::Cancelled) || e.is_fatal();
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
        .send(Msg::BatchDone {
            kind: batch.kind,
            results,
            not_sent,
        })
        .await;
}
