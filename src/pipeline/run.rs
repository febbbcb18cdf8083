//! The run: a reader thread classifies rows, a dispatcher starts upserts under the key chains
//! and the row window, and a collector batches the bulk calls and releases rows to the
//! event stream in input order.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use std::time::Instant;

use futures::future::BoxFuture;
use tokio::sync::{mpsc, watch};

use super::fields::{Checked, FieldChecks};
use super::keys::{KeyChains, Ticket};
use super::prepare::{contact_keys, match_keys, Prepared, Preparer};
use super::ExitCode;
use crate::api::{ApiError, Client, ClientConfig, Stats};
use crate::contact::{Field, ValidRow};
use crate::event::{Event, EventSink, RawRecord, RowOutcome, RowStatus, StepStatus};
use crate::input::{InputError, InputOptions, Reader};
use crate::mapping::{Mapper, MappingError, MappingSpec};
use crate::report::{Summary, SummaryBuilder};
use crate::state::store::{self, Resumed};
use crate::state::undo_log::UndoFacts;
use crate::state::{
    mark_owed, Batch, BatchKind, Ledger, RowHashes, RunIdentity, StateError, Step, Store,
};
use crate::undo::Snapshots;
use crate::validation::custom_fields::CustomFieldSet;
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
    /// `None`: nothing is sent, nothing is read.
    pub api: Option<ClientConfig>,
    /// Send nothing; with `api`, still read the location's custom fields to check values.
    pub dry_run: bool,
    /// Keep invalid rows as read, for a rejects file.
    pub keep_rejects: bool,
    pub tag_batch_size: usize,
    pub business_batch_size: usize,
    /// Rows held for ordering before the oldest one's open batches are sent early. Must
    /// stay below how far reading may run ahead of the report.
    pub max_buffered_rows: usize,
    /// For the summary.
    pub report_label: Option<String>,
    /// The durable store; `None` runs without one (no resume, no `--changed-only`). Dry
    /// runs never touch it.
    pub state: Option<StateConfig>,
    /// Rows in the file, when counted beforehand (for "N of M rows done").
    pub expected_rows: Option<u64>,
    /// `plan`: judge valid rows against the location's contacts instead of sending them.
    pub plan: Option<crate::plan::PlanOptions>,
    /// The run's request counters, shared with whoever shows them live (the progress bar).
    pub stats: Arc<Stats>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateConfig {
    /// `None`: in memory for as long as the process, like the `--sandbox` contacts.
    pub path: Option<PathBuf>,
    /// Abandon an unfinished run of the same import instead of resuming it.
    pub restart: bool,
    /// Skip rows whose payload, tags and business equal what was last applied.
    pub changed_only: bool,
    /// `--snapshot`: store each location's contacts before writing, for `undo`.
    pub snapshot: bool,
}

impl RunConfig {
    pub fn new(input: PathBuf) -> Self {
        RunConfig {
            input,
            input_options: InputOptions::default(),
            mapping: None,
            validation: ValidationOptions::default(),
            location: None,
            api: None,
            dry_run: false,
            keep_rejects: false,
            tag_batch_size: 100,
            business_batch_size: MAX_BUSINESS_BATCH,
            max_buffered_rows: 4_096,
            report_label: None,
            state: None,
            expected_rows: None,
            plan: None,
            stats: Arc::default(),
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
    #[error(transparent)]
    State(#[from] StateError),
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
        /// What to record as applied; `None` for a row an earlier attempt already recorded.
        hashes: Option<RowHashes>,
        /// What undo needs from the upsert's answer (with `hashes`).
        facts: Option<UndoFacts>,
    },
    BatchDone {
        kind: BatchKind,
        results: Vec<(u64, Result<(), String>)>,
        not_sent: bool,
        /// Tags the add call reported as newly added, per row (for undo).
        added: Vec<(u64, Vec<String>)>,
    },
    InputDone {
        total: u64,
    },
    /// Every row of this location has been upserted (or given up on).
    LocationDone(String),
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
    let mut mapper = Mapper::new(cfg.mapping.as_ref(), reader.headers())?;
    let mut validation = cfg.validation.clone();
    validation.strict |= cfg.mapping.as_ref().is_some_and(MappingSpec::strict);
    let mut validator = Validator::new(validation)?;
    let dry_run = cfg.dry_run || cfg.api.is_none();
    let maps_location = mapper
        .describe()
        .iter()
        .any(|(_, t)| t == Field::LocationId.api_name());
    let needs_location = !dry_run || cfg.plan.is_some();
    if needs_location && cfg.location.is_none() && reader.headers().is_some() && !maps_location {
        return Err(RunError::NoLocation);
    }
    let format = match reader.format() {
        crate::input::Format::Csv => match reader.delimiter() {
            Some(d) => format!("CSV, delimiter {:?}, {}", d as char, reader.encoding()),
            None => format!("CSV, {}", reader.encoding()),
        },
        crate::input::Format::Jsonl => format!("JSONL, {}", reader.encoding()),
        crate::input::Format::Xlsx => {
            format!("Excel workbook, sheet '{}'", reader.sheet().unwrap_or(""))
        }
    };
    let state = match (&cfg.state, dry_run) {
        (Some(sc), false) => Some(open_state(&cfg, sc)?),
        _ => None,
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
    if let Some(r) = state.as_ref().and_then(|s| s.resumed.as_ref()) {
        let total = r.total.or(cfg.expected_rows);
        let message = format!(
            "resuming run {} of {} (started {}): {} of {} rows done{}; rows done are not sent again (--restart starts over)",
            r.run_id,
            cfg.input.display(),
            r.started_at,
            r.done,
            total.map_or_else(|| "?".to_owned(), |t| t.to_string()),
            if r.owed > 0 {
                format!(", {} more upserted with tags or business still to send", r.owed)
            } else {
                String::new()
            },
        );
        let _ = ev_tx.send(Event::Notice { message }).await;
    }
    if let Some(message) = mapper.preset_notice() {
        let _ = ev_tx.send(Event::Notice { message }).await;
    }

    let stats = cfg.stats.clone();
    stats.series.restart_clock();
    let client = match cfg.api.clone() {
        Some(c) => Some(Arc::new(Client::new(
            c,
            stats.clone(),
            Some(ev_tx.clone()),
        )?)),
        None => None,
    };
    let mut state = state;
    if let (Some(st), Some(c), Some(sc)) = (state.as_mut(), &client, &cfg.state) {
        if sc.snapshot {
            st.snapshots = Some(Arc::new(Snapshots::new(c.clone(), st.store.clone())?));
        }
    }
    let mut checks = FieldChecks::new(client.clone(), ev_tx.clone());
    checks.preflight = cfg.api.as_ref().is_some_and(|a| a.credentials.is_some());
    let matched = super::columns::match_location_fields(
        &mut mapper,
        client.as_deref(),
        cfg.location.as_deref(),
        &mut checks,
    )
    .await;
    let (mut mapping_notes, refused) = match matched {
        Ok(notes) => (notes, None),
        Err(e) => (Vec::new(), stop_for(&e)),
    };
    let (orders, date_notes) =
        crate::validation::date_order::infer(&cfg.input, &cfg.input_options, &mapper);
    mapping_notes.extend(date_notes);
    for message in &mapping_notes {
        let message = message.clone();
        let _ = ev_tx.send(Event::Notice { message }).await;
    }
    let checks = checks.with_policy(validator.strict(), orders.clone());
    validator.set_date_orders(orders);
    let unmapped = mapper.unmapped_columns();
    let declared = CustomFieldSet::declared(mapper.declared_custom_fields());
    let preparer = Preparer {
        declared,
        mapper,
        validator,
        default_location: cfg.location.clone(),
        require_location: needs_location,
        keep_raw: cfg.keep_rejects,
        headers: reader.headers().map(Arc::from),
    };
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

    let (stop_tx, stop_rx) = watch::channel::<Option<Stop>>(None);
    let stop_tx = Arc::new(stop_tx);
    // The location's custom fields could not be read for a reason that stops the run.
    if let Some(stop) = refused {
        set_stop(&stop_tx, stop);
    }
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

    // Reading and classifying is blocking, CPU-bound work: its own threads.
    let (row_tx, row_rx) = super::prepare_pool::channel();
    let reader_thread =
        super::prepare_pool::spawn(reader, preparer, row_tx, dry_run).map_err(|e| {
            RunError::Report(std::io::Error::other(format!(
                "cannot start the reader: {e}"
            )))
        })?;

    let (msg_tx, msg_rx) = mpsc::channel::<Msg>(1024);
    let ledger = Ledger::new(
        cfg.tag_batch_size,
        cfg.business_batch_size.clamp(1, MAX_BUSINESS_BATCH),
    );
    let reported = Arc::new(AtomicU64::new(0));
    let collector = tokio::spawn(
        Collector {
            tx: msg_tx.clone(),
            ledger,
            client: client.clone(),
            ev_tx: ev_tx.clone(),
            stop_rx: stop_rx.clone(),
            stop_tx: stop_tx.clone(),
            max_buffered: cfg.max_buffered_rows,
            reported: reported.clone(),
            store: state.as_ref().map(|s| s.store.clone()),
            rows_in: 0,
            total: None,
            all_flushed: false,
            in_flight: 0,
        }
        .run(msg_rx),
    );

    let planner = match (&cfg.plan, &client, &cfg.api) {
        (Some(p), Some(c), Some(api)) => Some(crate::plan::Planner::new(
            c.clone(),
            p.clone(),
            api.rate,
            cfg.tag_batch_size,
        )),
        _ => None,
    };
    let total = dispatch(
        row_rx,
        msg_tx.clone(),
        client.clone(),
        stop_rx.clone(),
        stop_tx.clone(),
        reported.clone(),
        checks,
        dry_run,
        state.clone(),
        planner,
        ev_tx.clone(),
    )
    .await;
    let _ = msg_tx.send(Msg::InputDone { total }).await;
    drop(msg_tx);
    let _ = collector.await;
    let _ = reader_thread.join();
    watcher.abort();
    // Every location the run used was skipped: nothing could start.
    let none_started = client.as_ref().is_some_and(|c| {
        let (used, skipped) = c.locations_skipped();
        used > 0 && skipped == used
    });
    drop(client);
    // Its client holds an event sender: the event stream ends only once it is gone.
    if let Some(st) = state.as_mut() {
        st.snapshots = None;
    }

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
    if none_started && summary.exit_code == ExitCode::SomeRowsFailed.code() {
        summary.exit_code = ExitCode::Fatal.code();
    }
    summary.columns.mapping_notes = mapping_notes;
    if let Some(s) = &state {
        // Nothing left to send: the next identical command starts a new run.
        let complete = stop.is_none() && summary.count(RowStatus::Deferred) == 0;
        let finished = s.store.lock().map_err(|_| poisoned())?.finish_run(complete);
        if let Err(e) = finished {
            let message = format!("could not record the end of the run: {e}");
            for sink in sinks.iter_mut() {
                let _ = sink.on_event(&Event::Notice {
                    message: message.clone(),
                });
            }
        }
    }
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

/// The store as the run's tasks share it.
#[derive(Clone)]
struct StateCtx {
    store: Arc<Mutex<Store>>,
    resumed: Option<Resumed>,
    changed_only: bool,
    snapshots: Option<Arc<Snapshots>>,
}

fn poisoned() -> RunError {
    RunError::Report(std::io::Error::other("state store lock poisoned"))
}

fn open_state(cfg: &RunConfig, sc: &StateConfig) -> Result<StateCtx, RunError> {
    let mut store = match &sc.path {
        Some(p) => Store::open(p)?,
        None => Store::in_memory()?,
    };
    let identity = RunIdentity {
        input_path: cfg.input.display().to_string(),
        input_fingerprint: store::fingerprint_file(&cfg.input)?,
        // Everything that shapes a payload; Debug output of ordered data, so it is stable.
        mapping_fingerprint: store::fingerprint_text(&format!(
            "{:?}|{:?}",
            cfg.mapping, cfg.validation
        )),
        location: cfg.location.clone().unwrap_or_default(),
        base_url: cfg
            .api
            .as_ref()
            .map(|a| a.base_url.clone())
            .unwrap_or_default(),
    };
    let resumed = store.begin_run(&identity, sc.restart)?;
    if let (None, Some(t)) = (resumed.as_ref().and_then(|r| r.total), cfg.expected_rows) {
        store.set_total(t)?;
    }
    store.commit()?;
    Ok(StateCtx {
        store: Arc::new(Mutex::new(store)),
        resumed,
        changed_only: sc.changed_only,
        snapshots: None,
    })
}

/// A store that cannot be written stops the run: rows could be reported done that a resume
/// would not know of.
fn state_failed(stop_tx: &watch::Sender<Option<Stop>>, e: &StateError) {
    set_stop(stop_tx, Stop::Fatal(format!("the state store failed: {e}")));
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
        changes: Vec::new(),
        // Cells left out of the body, and notes on values sent.
        warnings: valid.warnings.clone(),
        raw: None,
    }
}

/// A `plan` verdict as a report line; a location whose contacts could not be read gets its
/// rows `deferred` when the run stops (401/403, daily limit, interrupt), else `failed`.
fn planned(
    judged: Result<crate::plan::Verdict, ApiError>,
    seq: u64,
    row: u64,
    valid: &ValidRow,
    location: &str,
    stop_tx: &watch::Sender<Option<Stop>>,
) -> RowOutcome {
    match judged {
        Ok(v) => {
            let mut o = outcome(seq, row, v.status, valid, Some(location));
            o.contact_id = v.contact_id;
            o.changes = v.changes;
            o.warnings.extend(v.warnings);
            o
        }
        Err(ApiError::Cancelled) => {
            let reason = stop_tx
                .borrow()
                .as_ref()
                .map_or_else(|| "the run is stopping".into(), Stop::reason);
            deferred(seq, row, valid, Some(location), reason)
        }
        Err(e @ ApiError::LocationFailed { .. }) => {
            deferred(seq, row, valid, Some(location), e.to_string())
        }
        Err(e) => match stop_for(&e) {
            Some(stop) => {
                set_stop(stop_tx, stop);
                deferred(seq, row, valid, Some(location), e.to_string())
            }
            None => {
                let mut o = outcome(seq, row, RowStatus::Failed, valid, Some(location));
                o.errors.push(format!(
                    "could not read the contacts of location {location}: {e}"
                ));
                o
            }
        },
    }
}

fn invalid_custom(
    seq: u64,
    row: u64,
    valid: &ValidRow,
    location: Option<&str>,
    errors: Vec<String>,
    raw: Option<Box<RawRecord>>,
) -> RowOutcome {
    let mut o = outcome(seq, row, RowStatus::Invalid, valid, location);
    o.errors = errors;
    o.raw = raw;
    o
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

/// A valid row waiting for its upsert.
struct Pending {
    seq: u64,
    row: u64,
    location: String,
    valid: Box<ValidRow>,
    hashes: Option<RowHashes>,
}

/// Starts upserts. Each location has its own cap on rows in progress (sized by its lane), and
/// rows of a location at its cap wait in that location's queue, so a location with many rows
/// never starves the others of the lookahead. Rows of one location start in input order.
struct Dispatcher {
    client: Arc<Client>,
    snapshots: Option<Arc<Snapshots>>,
    msg_tx: mpsc::Sender<Msg>,
    stop_tx: Arc<watch::Sender<Option<Stop>>>,
    done_tx: mpsc::UnboundedSender<String>,
    chains: Arc<KeyChains>,
    in_progress: HashMap<String, usize>,
    queued: HashMap<String, VecDeque<Pending>>,
    /// Rows in progress plus rows queued.
    held: usize,
}

impl Dispatcher {
    fn push(&mut self, p: Pending) {
        let loc = p.location.clone();
        self.held += 1;
        self.queued.entry(loc.clone()).or_default().push_back(p);
        self.release(&loc);
    }

    /// Starts queued rows of `location` while it has room.
    fn release(&mut self, location: &str) {
        let cap = self.client.lane_capacity(location);
        loop {
            let running = self.in_progress.get(location).copied().unwrap_or(0);
            if running >= cap {
                return;
            }
            let Some(p) = self.queued.get_mut(location).and_then(VecDeque::pop_front) else {
                return;
            };
            *self.in_progress.entry(location.to_owned()).or_default() += 1;
            let ticket = self.chains.enter(match_keys(&p.location, &p.valid));
            tokio::spawn(upsert_row(
                self.client.clone(),
                self.snapshots.clone(),
                p,
                ticket,
                self.stop_tx.clone(),
                self.msg_tx.clone(),
                self.done_tx.clone(),
            ));
        }
    }

    fn finished(&mut self, location: &str) {
        self.held -= 1;
        if let Some(n) = self.in_progress.get_mut(location) {
            *n -= 1;
        }
        self.release(location);
    }

    /// Once the input is read, a location with nothing queued or in progress is done: its
    /// open batches need not wait for the other locations.
    async fn announce_done(&mut self, announced: &mut HashSet<String>) {
        let done: Vec<String> = self
            .in_progress
            .iter()
            .filter(|(loc, n)| **n == 0 && self.queued.get(*loc).is_none_or(VecDeque::is_empty))
            .map(|(loc, _)| loc.clone())
            .filter(|loc| !announced.contains(loc))
            .collect();
        for loc in done {
            announced.insert(loc.clone());
            let _ = self.msg_tx.send(Msg::LocationDone(loc)).await;
        }
    }

    /// The run is stopping: queued rows are not started.
    async fn defer_queued(&mut self, reason: &str) {
        let queued: Vec<Pending> = self.queued.values_mut().flat_map(std::mem::take).collect();
        self.held -= queued.len();
        for p in queued {
            let o = deferred(p.seq, p.row, &p.valid, Some(&p.location), reason.to_owned());
            let _ = self.msg_tx.send(Msg::Final(o)).await;
        }
    }
}

/// Rows read ahead of their upsert (in progress or queued), all locations together.
const LOOKAHEAD: usize = 4096;
/// How far reading may run ahead of the report (rows read but not yet reported).
const MAX_READ_AHEAD: u64 = 4 * LOOKAHEAD as u64;

#[allow(clippy::too_many_arguments)]
async fn dispatch(
    mut rows: super::prepare_pool::PreparedRx,
    msg_tx: mpsc::Sender<Msg>,
    client: Option<Arc<Client>>,
    stop_rx: watch::Receiver<Option<Stop>>,
    stop_tx: Arc<watch::Sender<Option<Stop>>>,
    reported: Arc<AtomicU64>,
    mut checks: FieldChecks,
    dry_run: bool,
    state: Option<StateCtx>,
    mut planner: Option<crate::plan::Planner>,
    ev_tx: mpsc::Sender<Event>,
) -> u64 {
    let mut total = 0u64;
    let client = match client {
        Some(c) if !dry_run => c,
        _ => {
            // Dry run: classify and report; the only requests read custom field definitions.
            while let Some(p) = rows.recv().await {
                total += 1;
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
                                    p.judge(l, &valid, row).await,
                                    seq,
                                    row,
                                    &valid,
                                    l,
                                    &stop_tx,
                                ),
                                _ => outcome(seq, row, RowStatus::Valid, &valid, loc),
                            },
                            Checked::Invalid(errors) => {
                                invalid_custom(seq, row, &valid, loc, errors, raw)
                            }
                            Checked::Skipped(reason) => deferred(seq, row, &valid, loc, reason),
                            Checked::Fatal(e) => {
                                if let Some(stop) = stop_for(&e) {
                                    set_stop(&stop_tx, stop);
                                }
                                deferred(seq, row, &valid, loc, e.to_string())
                            }
                        }
                    }
                };
                let _ = msg_tx.send(Msg::Final(o)).await;
            }
            if let Some(p) = planner {
                let _ = ev_tx.send(Event::Estimate(p.estimate())).await;
            }
            return total;
        }
    };
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<String>();
    let mut d = Dispatcher {
        snapshots: state.as_ref().and_then(|s| s.snapshots.clone()),
        client,
        msg_tx: msg_tx.clone(),
        stop_tx,
        done_tx,
        chains: Arc::new(KeyChains::default()),
        in_progress: HashMap::new(),
        queued: HashMap::new(),
        held: 0,
    };
    let mut input_done = false;
    let mut announced = HashSet::new();
    // Contact keys sent in this run: a later row with one of them is never `unchanged`,
    // since the earlier row changed that contact. Hashes keep it small; a collision only
    // costs a send.
    let mut sent_keys: HashSet<u64> = HashSet::new();
    loop {
        let stop = stop_rx.borrow().clone();
        if let Some(stop) = &stop {
            d.defer_queued(&stop.reason()).await;
        }
        if input_done {
            d.announce_done(&mut announced).await;
            if d.held == 0 {
                break;
            }
        }
        let room = d.held < LOOKAHEAD
            && total.saturating_sub(reported.load(Ordering::Relaxed)) < MAX_READ_AHEAD;
        tokio::select! {
            biased;
            Some(loc) = done_rx.recv() => d.finished(&loc),
            p = rows.recv(), if room && !input_done => match p {
                None => input_done = true,
                Some(Prepared::Invalid(o)) => {
                    total += 1;
                    let _ = msg_tx.send(Msg::Final(o)).await;
                }
                Some(Prepared::Valid { seq, row, location, mut valid, raw }) => {
                    total += 1;
                    if let (Some(st), Some(loc)) = (&state, &location) {
                        match resumed_row(st, seq, loc, &valid) {
                            Ok(Some(msg)) => {
                                mark_sent(&mut sent_keys, loc, &valid);
                                let _ = msg_tx.send(msg.into_msg(location.clone().unwrap_or_default(), valid)).await;
                                continue;
                            }
                            Ok(None) => {}
                            Err(e) => state_failed(&d.stop_tx, &e),
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
                            let stop = stop_for(&e).unwrap_or(Stop::Fatal(e.to_string()));
                            set_stop(&d.stop_tx, stop.clone());
                            Some(stop)
                        }
                    };
                    match (location, stop) {
                        (Some(location), None) => {
                            let hashes = state.as_ref().map(|_| RowHashes::of(&valid));
                            if let (Some(st), Some(h)) = (&state, &hashes) {
                                if st.changed_only {
                                    match unchanged(st, &sent_keys, seq, row, &location, &valid, h) {
                                        Ok(Some(o)) => {
                                            let _ = msg_tx.send(Msg::Final(o)).await;
                                            continue;
                                        }
                                        Ok(None) => {}
                                        Err(e) => state_failed(&d.stop_tx, &e),
                                    }
                                }
                            }
                            mark_sent(&mut sent_keys, &location, &valid);
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

/// What an earlier attempt of this run did with a row it had upserted.
struct ResumedRow {
    outcome: RowOutcome,
    tags: bool,
    business: bool,
}

impl ResumedRow {
    /// Done rows are reported as they were; rows with bulk steps owed join batches again.
    fn into_msg(self, location: String, mut valid: Box<ValidRow>) -> Msg {
        if !self.tags && !self.business {
            return Msg::Final(self.outcome);
        }
        if !self.tags {
            valid.tags.clear();
        }
        if !self.business {
            valid.business_id = None;
        }
        let mut outcome = self.outcome;
        // The earlier attempt's "not sent" notes are about to be outdated.
        outcome
            .errors
            .retain(|e| !e.starts_with("tags:") && !e.starts_with("business:"));
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
    let tags = prior.tags_pending() && !valid.tags.is_empty();
    let business = prior.business_pending() && valid.business_id.is_some();
    Ok(Some(ResumedRow {
        outcome: prior.outcome,
        tags,
        business,
    }))
}

fn key_hash(location: &str, key: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (location, key).hash(&mut h);
    h.finish()
}

fn mark_sent(sent: &mut HashSet<u64>, location: &str, valid: &ValidRow) {
    for k in contact_keys(valid) {
        sent.insert(key_hash(location, &k));
    }
}

/// `--changed-only`: the row's payload, tags and business are what its contact last got.
fn unchanged(
    st: &StateCtx,
    sent: &HashSet<u64>,
    seq: u64,
    row: u64,
    location: &str,
    valid: &ValidRow,
    hashes: &RowHashes,
) -> Result<Option<RowOutcome>, StateError> {
    let keys = contact_keys(valid);
    if keys.iter().any(|k| sent.contains(&key_hash(location, k))) {
        return Ok(None);
    }
    // The payload holds the email and the phone, so one key's record decides.
    let Some(first) = keys.first() else {
        return Ok(None);
    };
    Ok(match lock(st).applied(location, first)? {
        Some(a) if hashes.unchanged_from(&a) => {
            let mut o = outcome(seq, row, RowStatus::Unchanged, valid, Some(location));
            o.contact_id = Some(a.contact_id);
            Some(o)
        }
        _ => None,
    })
}

#[allow(clippy::too_many_arguments)]
async fn upsert_row(
    client: Arc<Client>,
    snapshots: Option<Arc<Snapshots>>,
    p: Pending,
    mut ticket: Ticket,
    stop_tx: Arc<watch::Sender<Option<Stop>>>,
    msg_tx: mpsc::Sender<Msg>,
    done_tx: mpsc::UnboundedSender<String>,
) {
    let Pending {
        seq,
        row,
        location,
        valid,
        hashes,
    } = p;
    ticket.ready().await;
    if let Some(snap) = &snapshots {
        if let Err(e) = snap.ensure(&location).await {
            drop(ticket);
            let stop = match e.api() {
                Some(ApiError::Cancelled) => None,
                Some(api) => stop_for(api).or(Some(Stop::Fatal(e.to_string()))),
                None => Some(Stop::Fatal(e.to_string())),
            };
            if let Some(stop) = stop {
                set_stop(&stop_tx, stop);
            }
            let reason = stop_tx
                .borrow()
                .as_ref()
                .map_or_else(|| e.to_string(), Stop::reason);
            let _ = msg_tx
                .send(Msg::Final(deferred(
                    seq,
                    row,
                    &valid,
                    Some(&location),
                    reason,
                )))
                .await;
            let _ = done_tx.send(location);
            return;
        }
    }
    let result = client.upsert(&location, &valid.contact).await;
    drop(ticket);
    let done = location.clone();
    let msg = match result {
        Ok(u) => {
            // The shared classifier: the server's created/updated, plus a warning for every
            // sent field the returned contact does not have.
            let returned = crate::plan::RemoteContact::from_upsert_answer(&u.contact);
            let v = crate::plan::classify(
                &valid,
                crate::plan::Against::Upserted {
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
            if let Some(stop) = stop_for(&e) {
                set_stop(&stop_tx, stop);
            }
            // Sent, but refused as a whole (401/403/daily limit): nothing was applied.
            let mut o = outcome(seq, row, RowStatus::Deferred, &valid, Some(&location));
            o.errors.push(format!(
                "refused, not applied: {e}; run the import again to send it"
            ));
            Msg::Final(o)
        }
        Err(ApiError::Cancelled) => {
            let reason = stop_tx
                .borrow()
                .as_ref()
                .map(Stop::reason)
                .unwrap_or_else(|| "the run is stopping".into());
            Msg::Final(deferred(seq, row, &valid, Some(&location), reason))
        }
        Err(e @ ApiError::LocationFailed { .. }) => {
            // Maybe sent and refused, maybe never sent: either way nothing was applied.
            let mut o = outcome(seq, row, RowStatus::Deferred, &valid, Some(&location));
            o.errors
                .push(format!("not applied: {e}; run the import again to send it"));
            Msg::Final(o)
        }
        Err(e) => {
            let mut o = outcome(seq, row, RowStatus::Failed, &valid, Some(&location));
            o.errors.push(format!("upsert: {e}"));
            Msg::Final(o)
        }
    };
    // The collector hears of the row before the dispatcher does, so a location's "done"
    // never overtakes its last row.
    let _ = msg_tx.send(msg).await;
    let _ = done_tx.send(done);
}

/// Receives row results, batches bulk calls, records progress in the store and releases
/// rows to the report in input order once the store has them.
struct Collector {
    tx: mpsc::Sender<Msg>,
    ledger: Ledger,
    client: Option<Arc<Client>>,
    ev_tx: mpsc::Sender<Event>,
    stop_rx: watch::Receiver<Option<Stop>>,
    stop_tx: Arc<watch::Sender<Option<Stop>>>,
    max_buffered: usize,
    reported: Arc<AtomicU64>,
    store: Option<Arc<Mutex<Store>>>,
    rows_in: u64,
    total: Option<u64>,
    all_flushed: bool,
    in_flight: usize,
}

/// Messages handled per store commit, at most: one fsync covers them all.
const COMMIT_EVERY: usize = 512;

impl Collector {
    async fn run(mut self, mut rx: mpsc::Receiver<Msg>) {
        while let Some(msg) = rx.recv().await {
            self.handle(msg);
            let mut n = 1;
            while n < COMMIT_EVERY {
                match rx.try_recv() {
                    Ok(msg) => self.handle(msg),
                    Err(_) => break,
                }
                n += 1;
            }
            self.end_of_input();
            let ready = self.ledger.pop_ready();
            self.record(|s| {
                for o in &ready {
                    s.record_outcome(o)?;
                }
                s.commit()
            });
            for o in ready {
                let _ = self.ev_tx.send(Event::Row(o)).await;
            }
            self.reported
                .store(self.ledger.emitted(), Ordering::Relaxed);
            if self.all_flushed && self.in_flight == 0 && Some(self.ledger.emitted()) == self.total
            {
                break;
            }
        }
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
            Msg::Final(o) => {
                self.rows_in += 1;
                self.ledger.finish(o);
            }
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
                    self.record(|s| {
                        s.record_upserted(&outcome, &contact_keys(&valid), h)?;
                        match &facts {
                            Some(f) => s.record_undo_facts(outcome.seq, f),
                            None => Ok(()),
                        }
                    });
                }
                let full = self.ledger.upserted(
                    outcome,
                    &location,
                    &valid.tags,
                    valid.business_id.as_deref(),
                );
                self.send(full);
            }
            Msg::BatchDone {
                kind,
                results,
                not_sent,
                added,
            } => {
                self.in_flight -= 1;
                let failed_as = if not_sent {
                    StepStatus::Skipped
                } else {
                    StepStatus::Failed
                };
                let step = match kind {
                    BatchKind::Tags(_) => Step::Tags,
                    BatchKind::Business(_) => Step::Business,
                };
                self.record(|s| {
                    for (seq, r) in &results {
                        let status = if r.is_ok() {
                            StepStatus::Done
                        } else {
                            failed_as
                        };
                        s.record_step(*seq, step, status)?;
                    }
                    for (seq, tags) in &added {
                        s.record_tags_added(*seq, tags)?;
                    }
                    Ok(())
                });
                self.ledger.batch_done(&kind, results, failed_as);
            }
            Msg::InputDone { total } => self.total = Some(total),
            Msg::LocationDone(loc) => {
                if self.stop_rx.borrow().is_none() {
                    let b = self.ledger.flush_location(&loc);
                    self.send(b);
                }
            }
        }
        if self.ledger.buffered() > self.max_buffered {
            let b = self.ledger.flush_head();
            self.send(b);
        }
    }

    fn end_of_input(&mut self) {
        if self.all_flushed || self.total != Some(self.rows_in) {
            return;
        }
        self.all_flushed = true;
        let stop = self.stop_rx.borrow().clone();
        match stop {
            Some(Stop::Fatal(reason) | Stop::Budget(reason)) => {
                self.ledger.abandon_open_batches(&reason)
            }
            _ => {
                let b = self.ledger.flush_all();
                self.send(b);
            }
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
            if let Some(stop) = stop_for(&e) {
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
        .send(Msg::BatchDone {
            kind: batch.kind,
            results,
            not_sent,
            added,
        })
        .await;
}
