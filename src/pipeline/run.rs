//! The run's wiring: a reader thread classifies rows ([`super::prepare_pool`]), the mode's loop
//! ([`super::import_loop`] or [`super::check_loop`]) takes them, the [`super::dispatcher`]
//! starts upserts, and the [`super::collector`] batches the bulk calls and releases rows to
//! the event stream in input order.

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures::future::BoxFuture;
use tokio::sync::{mpsc, watch};

use super::check_loop::{check_rows, Finals};
use super::collector::{Collector, CollectorParts, Msg};
use super::dispatcher::Dispatcher;
use super::fields::FieldChecks;
use super::import_loop::ImportLoop;
use super::mode::Mode;
use super::prepare::Preparer;
use super::prepass::{prepass, Facts, Want};
use super::shared_keys::{full_notice, SharedKeys};
use super::stop::{exit_code, set_stop, Stop};
use super::ExitCode;
use crate::api::{ApiError, Client, ClientConfig, Stats, MAX_BUSINESS_BATCH};
use crate::contact::Field;
use crate::event::{Event, RowStatus};
use crate::input::{InputError, InputOptions, Reader};
use crate::mapping::{Mapper, MappingError, MappingSpec};
use crate::report::{EventSink, Summary, SummaryBuilder};
use crate::state::store::{self, Resumed};
use crate::state::{Ledger, RunIdentity, StateError, Store};
use crate::undo::Snapshots;
use crate::validation::custom_fields::CustomFieldSet;
use crate::validation::{ValidationError, ValidationOptions, Validator};

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
    pub mode: Mode,
    /// Keep invalid rows as read, for a rejects file.
    pub keep_rejects: bool,
    pub tag_batch_size: usize,
    /// Each location's tag-call grouping, from the pre-pass's tally (empty: per tag set).
    pub bulk_plan: Arc<crate::api::calls::BulkPlan>,
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
    /// The read before the run, when the caller made it (else the run makes its own).
    pub prepass: Option<Arc<Facts>>,
    /// The run's request counters, shared with whoever shows them live (the progress bar).
    pub stats: Arc<Stats>,
    /// The state store, when the caller began opening it before the pre-pass.
    pub store_opening: Option<Arc<super::store_opening::StoreOpening>>,
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
            mode: Mode::Import,
            keep_rejects: false,
            tag_batch_size: 100,
            bulk_plan: Arc::default(),
            business_batch_size: MAX_BUSINESS_BATCH,
            max_buffered_rows: 4_096,
            report_label: None,
            state: None,
            expected_rows: None,
            prepass: None,
            stats: Arc::default(),
            store_opening: None,
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
    #[error("cannot start the reader: {0}")]
    ReaderThread(std::io::Error),
    /// A task of the run panicked.
    #[error("the run failed inside: {0}")]
    Task(String),
    #[error("the state store lock is poisoned")]
    Poisoned,
    #[error(
        "no location: pass --location or set GHL_LOCATION_ID, or give the file a locationId column"
    )]
    NoLocation,
    #[error("{file} seems to have no header row (its first line holds {value}): add a header row such as {suggested} as its first line{skipped}")]
    NoHeaderRow {
        file: String,
        value: String,
        suggested: String,
        /// What `--skip-lines` left unread, which may have been the header.
        skipped: String,
    },
    #[error("{file}: its header seems to be {header}, below a title ({first}): run again with --skip-lines {skip}, or delete {above} and run again")]
    TitleAboveHeader {
        file: String,
        header: String,
        first: String,
        above: String,
        /// Lines above the header, counted from the file's first.
        skip: u64,
    },
    #[error(transparent)]
    State(#[from] StateError),
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
    let mut mapper = Mapper::for_input(cfg.mapping.as_ref(), &reader)?;
    let mut validator = Validator::new(validation(&cfg))?;
    super::prepare::check_constants(&mapper, &validator)?;
    // Its first contact would be lost as the header, and every other row be invalid.
    if let Some(e) = super::headerless::misread_header(&cfg, &mapper, &reader) {
        return Err(e);
    }
    let mode = cfg.mode.resolved(cfg.api.is_some());
    let dry_run = !mode.sends();
    let needs_location = mode.needs_location();
    if needs_location && lacks_location(&cfg, &mapper, &reader) {
        return Err(RunError::NoLocation);
    }
    let format = format_label(&reader, cfg.input_options.skip_lines);
    let late_encoding = reader.late_encoding();
    let fingerprint = !dry_run && cfg.state.is_some();
    let facts = match cfg.prepass.clone() {
        Some(f) => f,
        None => Arc::new(prepass(
            &cfg,
            Want {
                fingerprint,
                // `--changed-only` needs the file's groups before the first row is sent.
                tally: !dry_run
                    && cfg
                        .state
                        .as_ref()
                        .is_some_and(|s| s.changed_only && s.path.is_some()),
                ..Want::default()
            },
        )?),
    };
    let state = match (&cfg.state, dry_run) {
        (Some(sc), false) => Some(open_state(&cfg, sc, facts.fingerprint.clone())?),
        _ => None,
    };

    let input_label = cfg.input.display().to_string();
    let (ev_tx, mut ev_rx) = mpsc::channel::<Event>(1024);
    let mut builder = SummaryBuilder::new(input_label.clone(), cfg.report_label.clone(), dry_run);
    let events = tokio::spawn(async move {
        let mut sinks = sinks;
        let mut first_error = None;
        // Taken as many at a time as are waiting: one wake-up for many rows.
        let mut evs = Vec::with_capacity(256);
        loop {
            // Woken at least this often, so that what sinks hold reaches the disk while the
            // run waits (a killed run's report then holds the rows done so far).
            let got =
                tokio::time::timeout(crate::report::SAVE_EVERY, ev_rx.recv_many(&mut evs, 256))
                    .await;
            if matches!(got, Ok(0)) {
                break;
            }
            for ev in evs.drain(..) {
                let _ = builder.on_event(&ev);
                for s in sinks.iter_mut() {
                    if let Err(e) = s.on_event(&ev) {
                        first_error.get_or_insert(e);
                    }
                }
            }
            for s in sinks.iter_mut() {
                if got.is_ok() {
                    s.batch_done();
                }
                if let Err(e) = s.save() {
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
        let message = resuming(r, &cfg);
        let _ = ev_tx.send(Event::Notice { message }).await;
    }
    // Said at the start, and kept in the summary (JSON, HTML) for runs nobody watches.
    let mut column_notices = Vec::new();
    if let Some(message) = mapper.preset_notice().or_else(|| mapper.notes_notice()) {
        column_notices.push(message.clone());
        let _ = ev_tx.send(Event::Notice { message }).await;
    }

    let stats = cfg.stats.clone();
    stats.series.restart_clock();
    let client =
        match cfg.api.clone() {
            Some(c) if !matches!(mode, Mode::Check { online: false }) => Some(Arc::new(
                Client::new(c, stats.clone(), Some(ev_tx.clone()))?,
            )),
            _ => None,
        };
    let mut state = state;
    if let (Some(st), Some(c), Some(sc)) = (state.as_mut(), &client, &cfg.state) {
        if sc.snapshot {
            st.snapshots = Some(Arc::new(Snapshots::new(c.clone(), st.store.clone())?));
        }
    }
    let mut checks = FieldChecks::new(client.clone(), ev_tx.clone());
    checks.preflight = cfg.api.as_ref().is_some_and(|a| a.credentials.is_some());
    let reads_first = super::columns::reads_first(&cfg, &mapper);
    let matched = super::columns::match_location_fields(
        &mut mapper,
        client.as_deref(),
        cfg.location.as_deref(),
        &mut checks,
    )
    .await;
    let (mut mapping_notes, refused) = match matched {
        Ok(notes) => (notes, None),
        Err(e) => (Vec::new(), Stop::for_error(&e)),
    };
    let (orders, date_notes) = facts.dates.hints(&mapper);
    let groups = match &state {
        Some(st) if st.changed_only => facts.groups.clone(),
        _ => Default::default(),
    };
    drop(facts);
    mapping_notes.extend(date_notes);
    for message in &mapping_notes {
        let message = message.clone();
        let _ = ev_tx.send(Event::Notice { message }).await;
    }
    let checks = checks.with_policy(validator.strict(), orders.clone());
    validator.set_date_orders(orders);
    let unmapped = mapper.unmapped_described();
    let unmapped_hint = mapper.unmapped_hint().map(str::to_owned);
    let unmatched_keys = mapper.unmatched_keys();
    let api_shapes = mapper.api_shapes();
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
    if preparer.mapper.no_key_column() {
        let message = super::headerless::no_key_notice(&cfg, &preparer.mapper, &reader);
        column_notices.push(message.clone());
        let _ = ev_tx.send(Event::Notice { message }).await;
    }
    if !unmapped.is_empty() {
        let message = not_imported(&unmapped, unmapped_hint.as_deref());
        column_notices.push(message.clone());
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
    let offline = matches!(mode, Mode::Check { .. }) && client.is_none();
    let shared_full_from = Arc::new(AtomicU64::new(0));
    let order = match &mode {
        Mode::Plan(o) => o.match_order,
        _ => Default::default(),
    };
    let shared = SharedKeys::new(shared_full_from.clone()).with_order(order);
    let reader_thread =
        super::prepare_pool::spawn(reader, preparer, row_tx, dry_run, offline, shared)
            .map_err(RunError::ReaderThread)?;

    let (msg_tx, msg_rx) = mpsc::channel::<Msg>(1024);
    let ledger = Ledger::new(
        cfg.tag_batch_size,
        cfg.business_batch_size.clamp(1, MAX_BUSINESS_BATCH),
    )
    .with_plan(cfg.bulk_plan.clone());
    let reported = Arc::new(AtomicU64::new(0));
    let collector = tokio::spawn(
        Collector::new(CollectorParts {
            tx: msg_tx.clone(),
            ledger,
            client: client.clone(),
            ev_tx: ev_tx.clone(),
            stop_tx: stop_tx.clone(),
            max_buffered: cfg.max_buffered_rows,
            reported: reported.clone(),
            store: state.as_ref().map(|s| s.store.clone()),
        })
        .run(msg_rx),
    );

    let (total, estimate) = match (&mode, client.clone()) {
        (Mode::Import, Some(client)) => {
            let snapshots = state.as_ref().and_then(|s| s.snapshots.clone());
            let import = ImportLoop {
                rows: row_rx,
                msg_tx: msg_tx.clone(),
                dispatcher: Dispatcher::new(client, snapshots, msg_tx.clone(), stop_tx.clone()),
                stop_rx: stop_rx.clone(),
                reported: reported.clone(),
                checks,
                state: state.clone(),
                groups,
            };
            // A task of its own, not the future the run blocks on: on a multi-thread runtime
            // (`--sandbox`) its wake-ups (one per answer with many locations) then cost no
            // hand-off to another thread; an import on its own runs on one thread anyway.
            let read = tokio::spawn(import.run())
                .await
                .map_err(|e| RunError::Task(e.to_string()))?;
            (read, None)
        }
        _ => {
            let planner = match (&mode, &client, &cfg.api) {
                (Mode::Plan(p), Some(c), Some(api)) => Some(crate::plan::Planner::new(
                    c.clone(),
                    p.clone(),
                    api.rate,
                    super::prepass::window(&cfg),
                    reads_first,
                )),
                _ => None,
            };
            let finals = match offline {
                true => Finals::Events(ev_tx.clone()),
                false => Finals::Collector(msg_tx.clone()),
            };
            check_rows(row_rx, finals, stop_tx.clone(), checks, planner).await
        }
    };
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
    if let Some(message) = api_shapes.notice() {
        column_notices.push(message.clone());
        let _ = ev_tx.send(Event::Notice { message }).await;
    }
    let keys = unmatched_keys.described();
    if !keys.is_empty() {
        let message = format!(
            "keys not imported (no matching HighLevel field; map them with --mapping): {}",
            keys.join(", ")
        );
        column_notices.push(message.clone());
        let _ = ev_tx.send(Event::Notice { message }).await;
    }
    if let Some(message) = late_encoding
        .as_ref()
        .and_then(|l| l.notice(&input_name(&cfg)))
    {
        column_notices.push(message.clone());
        let _ = ev_tx.send(Event::Notice { message }).await;
    }
    let full_from = shared_full_from.load(std::sync::atomic::Ordering::Relaxed);
    if full_from > 0 {
        let message = full_notice(full_from);
        column_notices.push(message.clone());
        let _ = ev_tx.send(Event::Notice { message }).await;
    }
    drop(ev_tx);
    let (mut sinks, builder, sink_error) =
        events.await.map_err(|e| RunError::Task(e.to_string()))?;
    let mut summary = builder.finish(
        stats.snapshot(),
        started.elapsed(),
        stop.as_ref().map(Stop::reason),
    );
    summary.exit_code = exit_code(&summary, stop.as_ref()).code();
    // Said at the start before the first accented letter was read: the summary says what it was.
    if let Some(late) = late_encoding.as_ref().and_then(|l| l.get()) {
        summary.format = late_label(&summary.format, late);
        summary.late_encoding = Some(late.encoding.name().to_owned());
    }
    if none_started && summary.exit_code == ExitCode::SomeRowsFailed.code() {
        summary.exit_code = ExitCode::Fatal.code();
    }
    summary.columns.mapping_notes = mapping_notes;
    summary.columns.column_notices = column_notices;
    summary.estimate = estimate;
    if matches!(mode, Mode::Import) {
        summary.estimated_requests = cfg.api.as_ref().and_then(|a| a.estimated_calls);
    }
    if let Some(s) = &state {
        // Nothing left to send: the next identical command starts a new run.
        let complete = stop.is_none() && summary.count(RowStatus::Deferred) == 0;
        let finished = s
            .store
            .lock()
            .map_err(|_| RunError::Poisoned)?
            .finish_run(complete);
        if let Err(e) = finished {
            let message = format!("could not record the end of the run: {e}");
            for sink in sinks.iter_mut() {
                let _ = sink.on_event(&Event::Notice {
                    message: message.clone(),
                });
            }
        }
    }
    let mut sink_error = sink_error;
    for s in sinks.iter_mut() {
        if let Err(e) = s.finish(&summary) {
            sink_error.get_or_insert(e);
        }
    }
    if let Some(e) = sink_error {
        return Err(RunError::Report(e));
    }
    Ok(summary)
}

/// The flags' validation, made strict by a strict mapping file.
pub(super) fn validation(cfg: &RunConfig) -> ValidationOptions {
    let mut validation = cfg.validation.clone();
    validation.strict |= cfg.mapping.as_ref().is_some_and(MappingSpec::strict);
    validation
}

/// No `--location` and no location column: no row of a CSV file can be placed.
pub(super) fn lacks_location(cfg: &RunConfig, mapper: &Mapper, reader: &Reader) -> bool {
    let maps_location = mapper
        .describe()
        .iter()
        .any(|(_, t)| t == Field::LocationId.api_name());
    cfg.location.is_none() && reader.headers().is_some() && !maps_location
}

/// How the input is read, for the `Started` event (and so the summary), with the lines
/// `--skip-lines` (`skip`) left unread: nothing is left out unsaid.
fn format_label(reader: &Reader, skip: u64) -> String {
    let how = read_as(reader);
    if skip == 0 {
        return how;
    }
    let shown: Vec<String> = reader
        .skipped_lines()
        .iter()
        .filter(|l| !l.is_empty())
        .map(|l| format!("\"{l}\""))
        .collect();
    let lines = match reader.format() {
        crate::input::Format::Xlsx => "rows",
        _ => "lines",
    };
    let what = match shown.is_empty() {
        true => "all blank".to_owned(),
        false => shown.join(", "),
    };
    format!("{how}; {skip} {lines} above the header skipped (--skip-lines {skip}): {what}")
}

fn read_as(reader: &Reader) -> String {
    match reader.format() {
        crate::input::Format::Csv => match reader.delimiter() {
            Some(d) => format!(
                "CSV, delimiter {:?}, {}",
                d as char,
                reader.encoding_described()
            ),
            None => format!("CSV, {}", reader.encoding_described()),
        },
        crate::input::Format::Jsonl => format!(
            "{}, {}",
            reader.json_shape().unwrap_or("JSONL"),
            reader.encoding()
        ),
        crate::input::Format::Xlsx => {
            format!("Excel workbook, sheet '{}'", reader.sheet().unwrap_or(""))
        }
    }
}

/// The `Started` label of a file read as UTF-8 on its plain ASCII start, with the encoding
/// its first non-ASCII bytes settled.
/// The encoding is the label's first `, UTF-8`: what `--skip-lines` adds comes after it.
fn late_label(started: &str, late: &crate::input::Late) -> String {
    let settled = match &late.why {
        Some(why) => format!(", {} ({why})", late.encoding.name()),
        None => format!(", {}", late.encoding.name()),
    };
    started.replacen(", UTF-8", &settled, 1)
}

fn input_name(cfg: &RunConfig) -> String {
    cfg.input.display().to_string()
}

fn resuming(r: &Resumed, cfg: &RunConfig) -> String {
    let total = r.total.or(cfg.expected_rows);
    format!(
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
    )
}

/// `unmapped`: the columns, quoted and described; `hint`: the preset's word on them.
fn not_imported(unmapped: &[String], hint: Option<&str>) -> String {
    format!(
        "columns not imported (no matching HighLevel field; map them with --mapping): {}{}",
        unmapped.join(", "),
        hint.map(|h| format!("; {h}")).unwrap_or_default()
    )
}

/// The store as the run's tasks share it.
#[derive(Clone)]
pub(super) struct StateCtx {
    pub store: Arc<Mutex<Store>>,
    pub resumed: Option<Resumed>,
    pub changed_only: bool,
    pub snapshots: Option<Arc<Snapshots>>,
}

fn open_state(
    cfg: &RunConfig,
    sc: &StateConfig,
    fingerprint: Option<String>,
) -> Result<StateCtx, RunError> {
    let mut store = match &sc.path {
        Some(p) => match cfg.store_opening.as_ref().and_then(|o| o.take(p)) {
            Some(opened) => opened?,
            None => Store::open(p)?,
        },
        None => Store::in_memory()?,
    };
    let identity = run_identity(cfg, fingerprint)?;
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

/// What makes a run "the same import" as an earlier one, which it then resumes.
pub(crate) fn run_identity(
    cfg: &RunConfig,
    fingerprint: Option<String>,
) -> Result<RunIdentity, RunError> {
    Ok(RunIdentity {
        input_path: cfg.input.display().to_string(),
        input_fingerprint: match fingerprint {
            Some(f) => f,
            None => store::fingerprint_file(&cfg.input)?,
        },
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_encoding_takes_the_place_of_utf_8_before_the_skipped_lines() {
        let late = crate::input::Late {
            encoding: encoding_rs::WINDOWS_1252,
            at: 117_831,
            why: None,
            short: false,
        };
        assert_eq!(
            late_label(
                "CSV, delimiter ',', UTF-8; 2 lines above the header skipped (--skip-lines 2): \"Report\"",
                &late
            ),
            "CSV, delimiter ',', windows-1252; 2 lines above the header skipped (--skip-lines 2): \"Report\""
        );
        assert_eq!(
            late_label("CSV, delimiter ';', UTF-8", &late),
            "CSV, delimiter ';', windows-1252"
        );
    }
}
