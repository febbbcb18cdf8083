//! The undo run: read each contact, delete or write back what the decision says (paced by the
//! location's lane, like the import), then the bulk tag removals and business resets. Every
//! contact's progress is in the state store before the next step, so a killed undo resumes
//! where it was and takes nothing back twice.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use futures::StreamExt;

use super::decide::{decide, group, Item, Snapshot};
use super::report::{UndoOutcome, UndoStatus};
use crate::api::{ApiError, Client, ClientConfig, Stats, StatsSnapshot, TagOp};
use crate::state::undo_log::UndoRecord;
use crate::state::{StateError, Store};

/// Contact ids per bulk tag removal, and per business call (its maximum).
const TAG_BATCH: usize = 100;
const BUSINESS_BATCH: usize = 50;
/// Contacts being read or written at once; the lanes do the pacing.
const IN_FLIGHT: usize = 64;

#[derive(Debug)]
pub struct UndoConfig {
    /// The run to take back.
    pub run: i64,
    pub api: ClientConfig,
    /// Say what would be done; write nothing (not even to the store).
    pub dry_run: bool,
    /// Start the undo over instead of resuming an unfinished one.
    pub restart: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum UndoError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("the state store has no run {0}; `ghl-import runs` lists the runs it has")]
    NoRun(i64),
    #[error("run {0} is an undo; an undo cannot be taken back")]
    IsUndo(i64),
    #[error("run {0} is being run right now (pid {1}); wait for it to end, then undo it")]
    Running(i64, i64),
    #[error("the state store has no rows of run {0} (it recorded none, or it changed nothing undo can take back and a later complete run of the same file and location replaced them)")]
    NoRows(i64),
}

/// How an undo ended.
#[derive(Debug)]
pub struct UndoSummary {
    pub run: i64,
    /// The undo's own run id (none for a dry run).
    pub undo_run: Option<i64>,
    pub resumed: bool,
    /// Every row of the run taken back, in input order.
    pub rows: Vec<UndoOutcome>,
    /// Why it stopped early, if it did.
    pub stopped: Option<String>,
    /// A 401/403 stopped it.
    pub fatal: bool,
    /// The daily API limit stopped it.
    pub budget: bool,
    pub requests: StatsSnapshot,
    pub dry_run: bool,
}

impl UndoSummary {
    pub fn counts(&self) -> BTreeMap<UndoStatus, u64> {
        let mut m = BTreeMap::new();
        for r in &self.rows {
            *m.entry(r.status).or_default() += 1;
        }
        m
    }
}

fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn record(store: &Mutex<Store>, o: &UndoOutcome, phase: &str) -> Result<(), StateError> {
    let rec = UndoRecord {
        phase: phase.into(),
        status: o.status.as_str().into(),
        outcome: serde_json::to_string(o).unwrap_or_default(),
    };
    let mut s = lock(store);
    s.record_undo_row(o.seq, &rec)?;
    s.commit()
}

/// Shared by the tasks of one undo.
struct Ctx {
    client: Arc<Client>,
    store: Arc<Mutex<Store>>,
    run: i64,
    dry_run: bool,
    snapshotted: HashMap<String, bool>,
    stop: Mutex<Option<String>>,
    fatal: AtomicBool,
    budget: AtomicBool,
    interrupted: AtomicBool,
}

impl Ctx {
    fn stopping(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
            || self.fatal.load(Ordering::SeqCst)
            || self.budget.load(Ordering::SeqCst)
    }

    /// An API error as a note; fatal ones stop the undo.
    fn failed(&self, o: &mut UndoOutcome, what: &str, e: &ApiError) {
        if e.is_fatal() {
            let flag = if matches!(e, ApiError::DailyLimit { .. }) {
                &self.budget
            } else {
                &self.fatal
            };
            flag.store(true, Ordering::SeqCst);
            self.stop
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get_or_insert_with(|| e.to_string());
        }
        let deferred = matches!(e, ApiError::Cancelled) || e.is_fatal();
        o.status = if deferred {
            UndoStatus::Deferred
        } else {
            UndoStatus::Failed
        };
        o.notes.push(format!("{what}: {e}"));
    }

    fn deferred(&self, item: &Item) -> UndoOutcome {
        let mut o = item.outcome(UndoStatus::Deferred);
        o.notes
            .push("not attempted: the undo stopped; run it again to finish".into());
        o
    }
}

/// Takes run `cfg.run` back. `on_row` hears of each row once it is settled.
pub async fn undo(
    store: Store,
    cfg: UndoConfig,
    mut on_row: impl FnMut(&UndoOutcome),
    interrupt: BoxFuture<'static, ()>,
) -> Result<UndoSummary, UndoError> {
    let mut store = store;
    let info = store.run_info(cfg.run)?.ok_or(UndoError::NoRun(cfg.run))?;
    if info.kind == "undo" {
        return Err(UndoError::IsUndo(cfg.run));
    }
    if info.in_progress() {
        return Err(UndoError::Running(cfg.run, info.pid.unwrap_or_default()));
    }
    let rows = store.imported_rows(cfg.run)?;
    if rows.is_empty() {
        return Err(UndoError::NoRows(cfg.run));
    }
    let (items, nothing_rows) = group(rows);
    let mut snapshotted = HashMap::new();
    for it in &items {
        if !snapshotted.contains_key(&it.location) {
            let taken = store.run_has_snapshot(cfg.run, &it.location)?;
            snapshotted.insert(it.location.clone(), taken);
        }
    }
    let (records, resumed, undo_run) = if cfg.dry_run {
        (HashMap::new(), false, None)
    } else {
        let resumed = store.begin_undo(cfg.run, &info.location, &cfg.api.base_url, cfg.restart)?;
        (
            store.undo_records()?,
            resumed.is_some(),
            Some(store.run_id()),
        )
    };
    let stats = Arc::new(Stats::default());
    let client = Arc::new(Client::new(cfg.api.clone(), stats.clone(), None)?);
    let store = Arc::new(Mutex::new(store));
    let ctx = Arc::new(Ctx {
        client: client.clone(),
        store: store.clone(),
        run: cfg.run,
        dry_run: cfg.dry_run,
        snapshotted,
        stop: Mutex::new(None),
        fatal: AtomicBool::new(false),
        budget: AtomicBool::new(false),
        interrupted: AtomicBool::new(false),
    });
    let watcher = {
        let ctx = ctx.clone();
        tokio::spawn(async move {
            interrupt.await;
            ctx.interrupted.store(true, Ordering::SeqCst);
            ctx.stop
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get_or_insert_with(|| "the undo was interrupted".into());
        })
    };

    let mut done: Vec<UndoOutcome> = Vec::new();
    let previous = |seq: u64| -> Option<(String, UndoOutcome)> {
        let r = records.get(&seq)?;
        let mut o: UndoOutcome = serde_json::from_str(&r.outcome).ok()?;
        o.seq = seq;
        Some((r.phase.clone(), o))
    };
    for o in nothing_rows {
        if !cfg.dry_run && previous(o.seq).is_none() {
            lock(&store).record_undo_row(
                o.seq,
                &UndoRecord {
                    phase: "final".into(),
                    status: o.status.as_str().into(),
                    outcome: serde_json::to_string(&o).unwrap_or_default(),
                },
            )?;
        }
        on_row(&o);
        done.push(o);
    }
    lock(&store).commit()?;

    // Contacts settled by an earlier attempt stay as they are; the rest are (re)done.
    let mut fresh = Vec::new();
    let mut bulk = Vec::new();
    for it in items {
        match previous(it.seq) {
            Some((phase, o)) if phase == "final" && o.status.is_final() => {
                on_row(&o);
                done.push(o);
            }
            Some((phase, o)) if phase == "bulk" => bulk.push(o),
            // Told to delete before: if it is gone now, that attempt deleted it.
            Some((phase, o))
                if phase == "deleting" || o.actions.iter().any(|a| a.starts_with("delete")) =>
            {
                fresh.push((it, true))
            }
            _ => fresh.push((it, false)),
        }
    }

    let mut results = futures::stream::iter(fresh.into_iter().map(|(it, deleting)| {
        let ctx = ctx.clone();
        async move { contact_step(&ctx, it, deleting).await }
    }))
    .buffer_unordered(IN_FLIGHT);
    while let Some(r) = results.next().await {
        let o = r?;
        if (o.remove_tags.is_empty() && o.restore_business.is_none()) || !o.status.is_final() {
            on_row(&o);
            done.push(o);
        } else {
            bulk.push(o);
        }
    }
    drop(results);

    for o in bulk_steps(&ctx, bulk).await? {
        on_row(&o);
        done.push(o);
    }
    watcher.abort();
    done.sort_by_key(|o| o.seq);
    let stopped = ctx
        .stop
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let fatal = ctx.fatal.load(Ordering::SeqCst);
    let budget = ctx.budget.load(Ordering::SeqCst);
    drop(ctx);
    if !cfg.dry_run {
        let complete = done.iter().all(|o| o.status.is_final());
        lock(&store).finish_run(complete)?;
    }
    Ok(UndoSummary {
        run: cfg.run,
        undo_run,
        resumed,
        rows: done,
        stopped,
        fatal,
        budget,
        requests: stats.snapshot(),
        dry_run: cfg.dry_run,
    })
}

/// Read one contact, decide, and make its own calls (delete, or write fields back). Returns
/// its outcome; bulk steps still owed are in `remove_tags` / `restore_business`, recorded as
/// phase `bulk`.
async fn contact_step(ctx: &Ctx, it: Item, deleting: bool) -> Result<UndoOutcome, StateError> {
    if ctx.stopping() {
        return Ok(ctx.deferred(&it));
    }
    let current = match ctx.client.get_contact(&it.location, &it.contact_id).await {
        Ok(c) => c,
        Err(e) => {
            let mut o = it.outcome(UndoStatus::Failed);
            ctx.failed(&mut o, "could not read the contact", &e);
            return finish(ctx, o);
        }
    };
    if current.is_none() && deleting {
        // An earlier attempt deleted it and was stopped before it could say so.
        let mut o = it.outcome(UndoStatus::Deleted);
        o.actions.push("delete the contact the run created".into());
        return finish(ctx, o);
    }
    let snap_value;
    let snapshot = if ctx.snapshotted.get(&it.location).copied().unwrap_or(false) {
        snap_value = lock(&ctx.store).snapshot_of(ctx.run, &it.contact_id)?;
        snap_value
            .as_ref()
            .map_or(Snapshot::Missing, Snapshot::Contact)
    } else {
        Snapshot::NotTaken
    };
    let d = decide(&it, current.as_ref(), snapshot, ctx.dry_run);
    let mut o = d.outcome;
    if ctx.dry_run {
        return Ok(o);
    }
    if d.delete {
        record(&ctx.store, &o, "deleting")?;
        match ctx
            .client
            .delete_contact(&it.location, &it.contact_id)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                o.status = UndoStatus::Gone;
                o.actions.clear();
                o.notes
                    .push("the contact was deleted by someone else meanwhile".into());
            }
            Err(e) => ctx.failed(&mut o, "could not delete the contact", &e),
        }
        return finish(ctx, o);
    }
    if let Some(body) = &d.update {
        if let Err(e) = ctx
            .client
            .update_contact(&it.location, &it.contact_id, body)
            .await
        {
            ctx.failed(&mut o, "could not write the fields back", &e);
            o.remove_tags.clear();
            o.restore_business = None;
            return finish(ctx, o);
        }
    }
    if o.remove_tags.is_empty() && o.restore_business.is_none() {
        return finish(ctx, o);
    }
    record(&ctx.store, &o, "bulk")?;
    Ok(o)
}

/// Records a settled outcome (not in a dry run).
fn finish(ctx: &Ctx, o: UndoOutcome) -> Result<UndoOutcome, StateError> {
    if !ctx.dry_run {
        record(&ctx.store, &o, "final")?;
    }
    Ok(o)
}

/// The tag removals and business resets owed, batched: contacts with the same tags to remove
/// (or the same business to set back) share calls.
async fn bulk_steps(ctx: &Ctx, owed: Vec<UndoOutcome>) -> Result<Vec<UndoOutcome>, StateError> {
    let mut outcomes = owed;
    // As they were before these calls: what a resumed undo starts the bulk steps from.
    let before = outcomes.clone();
    if ctx.dry_run || ctx.fatal.load(Ordering::SeqCst) || ctx.budget.load(Ordering::SeqCst) {
        for o in &mut outcomes {
            if !ctx.dry_run {
                o.status = UndoStatus::Deferred;
                o.notes
                    .push("not attempted: the undo stopped; run it again to finish".into());
            }
        }
        return Ok(outcomes);
    }
    type Key = (String, Vec<String>);
    let mut tag_groups: BTreeMap<Key, Vec<usize>> = BTreeMap::new();
    let mut biz_groups: BTreeMap<(String, Option<String>), Vec<usize>> = BTreeMap::new();
    for (i, o) in outcomes.iter().enumerate() {
        let loc = o.location_id.clone().unwrap_or_default();
        if !o.remove_tags.is_empty() {
            let mut tags = o.remove_tags.clone();
            tags.sort();
            tag_groups.entry((loc.clone(), tags)).or_default().push(i);
        }
        if let Some(b) = &o.restore_business {
            biz_groups.entry((loc, b.clone())).or_default().push(i);
        }
    }
    // (outcome index, error) of every contact a call did not do.
    let mut calls = Vec::new();
    for ((loc, tags), idx) in &tag_groups {
        for chunk in idx.chunks(TAG_BATCH) {
            let ids: Vec<String> = chunk
                .iter()
                .filter_map(|i| outcomes[*i].contact_id.clone())
                .collect();
            let client = ctx.client.clone();
            let (loc, tags, chunk) = (loc.clone(), tags.clone(), chunk.to_vec());
            calls.push(Box::pin(async move {
                let r = client.update_tags(TagOp::Remove, &loc, &ids, &tags).await;
                let per = r.map(|a| a.into_iter().map(|(id, r)| (id, r.map(|_| ()))).collect());
                ("could not remove the tags", chunk, ids, per)
            }) as BoxFuture<'static, _>);
        }
    }
    for ((loc, business), idx) in &biz_groups {
        for chunk in idx.chunks(BUSINESS_BATCH) {
            let ids: Vec<String> = chunk
                .iter()
                .filter_map(|i| outcomes[*i].contact_id.clone())
                .collect();
            let client = ctx.client.clone();
            let (loc, business, chunk) = (loc.clone(), business.clone(), chunk.to_vec());
            calls.push(Box::pin(async move {
                let per = client.set_business(&loc, &ids, business.as_deref()).await;
                ("could not set the business back", chunk, ids, per)
            }) as BoxFuture<'static, _>);
        }
    }
    type Answer = Result<crate::api::PerContact, ApiError>;
    let answers: Vec<(&str, Vec<usize>, Vec<String>, Answer)> =
        futures::future::join_all(calls).await;
    for (what, chunk, ids, answer) in answers {
        match answer {
            Ok(per) => {
                let by_id: HashMap<String, Result<(), String>> = per.into_iter().collect();
                for (i, id) in chunk.iter().zip(&ids) {
                    if let Some(Err(m)) = by_id.get(id) {
                        let o = &mut outcomes[*i];
                        o.status = UndoStatus::Failed;
                        o.notes.push(format!("{what}: {m}"));
                    }
                }
            }
            Err(e) => {
                for i in &chunk {
                    ctx.failed(&mut outcomes[*i], what, &e);
                }
            }
        }
    }
    for (o, before) in outcomes.iter_mut().zip(&before) {
        if o.status.is_final() {
            o.remove_tags.clear();
            o.restore_business = None;
            record(&ctx.store, o, "final")?;
        } else {
            // Still owed: a resumed undo sends the bulk steps again.
            record(&ctx.store, before, "bulk")?;
        }
    }
    Ok(outcomes)
}
