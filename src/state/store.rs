//! The durable state store: one SQLite file that lets a run survive a crash (resume) and lets
//! a nightly run skip what it already sent (`--changed-only`).
//!
//! Tables (users may query them with `sqlite3`):
//! - `runs`: one per import of a given input (fingerprint), mapping and location.
//! - `rows`: per run and row, the outcome so far: contact id, bulk steps, errors, and the
//!   tags already added while others are owed (`tags_done`, when a row's tags span calls).
//! - `applied`: per location and contact key (`e:<email>` / `p:<phone>`), hashes of the last
//!   payload, tag set and business that HighLevel accepted.
//! - `applied_log`: what a run learned for `applied`, appended as it goes and folded into
//!   `applied` when a run begins and ends. `applied` is keyed by contact: writing it per row
//!   dirtied two random pages a row, the store's largest cost; the log's appends share pages.
//!
//! Writes go into one open transaction that the pipeline commits before it reports the rows
//! they concern, so a row the report calls done is in the store (WAL, `synchronous=FULL`).
//! The collector commits at most every 50 ms or 512 messages, not at every wake-up: one
//! fsync covers many rows, and report lines wait for it, never the other way round.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use super::undo_log::UndoFacts;
use crate::contact::ValidRow;
use crate::event::{RowOutcome, RowStatus, StepStatus};

/// Folds logged upserts into `applied`, from `$source` (location, key, contact id, payload
/// hash, time): a new contact for the key forgets the old one's tags and business.
macro_rules! applied_upsert {
    ($source:literal) => {
        concat!(
            "INSERT INTO applied (location_id, key, contact_id, payload_hash, updated_at) ",
            $source,
            " ON CONFLICT (location_id, key) DO UPDATE SET contact_id = excluded.contact_id,
                 payload_hash = excluded.payload_hash, updated_at = excluded.updated_at,
                 tags_hash = CASE WHEN applied.contact_id = excluded.contact_id
                                  THEN applied.tags_hash END,
                 business = CASE WHEN applied.contact_id = excluded.contact_id
                                 THEN applied.business END"
        )
    };
}

/// 2 added what `undo` needs (see `undo_log.rs`), 3 the tags a row already got
/// (`rows.tags_done`), 4 `applied_log` (an older ghl-import would not fold it, then fold its
/// stale entries over newer ones) and `rows` in write order; older files are migrated on open.
const SCHEMA_VERSION: i64 = 4;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("state store {path}: {source}")]
    Sqlite {
        path: String,
        source: rusqlite::Error,
    },
    #[error("cannot create the state directory {0}: {1}")]
    Dir(PathBuf, std::io::Error),
    #[error("cannot read {0} to fingerprint it: {1}")]
    Fingerprint(PathBuf, std::io::Error),
    #[error("state store {path} was written by a newer ghl-import (schema {found}, this one knows {SCHEMA_VERSION}); use a newer ghl-import or another --state")]
    Schema { path: String, found: i64 },
    #[error("another ghl-import (pid {pid}) is running this import (run {run}) right now; wait for it, or pass --restart if it is gone")]
    Busy { run: i64, pid: i64 },
}

/// What identifies "the same import": re-running it resumes an unfinished run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunIdentity {
    pub input_path: String,
    /// SHA-256 of the input file's bytes.
    pub input_fingerprint: String,
    /// SHA-256 of everything that shapes the payloads: mapping, preset, tags, business, country.
    pub mapping_fingerprint: String,
    /// `--location` (rows may name their own; those are part of the input).
    pub location: String,
    pub base_url: String,
}

/// An unfinished run this one continues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resumed {
    pub run_id: i64,
    pub started_at: String,
    /// Rows already created, updated or unchanged, with their bulk steps done.
    pub done: u64,
    /// Rows upserted whose tags or business are still owed (sent on resume, not upserted).
    pub owed: u64,
    /// Rows the file had (known once a run counted them).
    pub total: Option<u64>,
}

/// A row's record from an earlier attempt of the same run.
#[derive(Debug, Clone, PartialEq)]
pub struct Prior {
    pub outcome: RowOutcome,
    /// Tags already added to the contact by calls that succeeded while others did not.
    pub tags_done: Vec<String>,
}

impl Prior {
    /// The upsert went through: do not send it again.
    pub fn upserted(&self) -> bool {
        matches!(
            self.outcome.status,
            RowStatus::Created | RowStatus::Updated | RowStatus::Unchanged
        ) && self.outcome.contact_id.is_some()
    }

    pub fn tags_pending(&self) -> bool {
        matches!(
            self.outcome.tags_status,
            StepStatus::Skipped | StepStatus::Failed
        )
    }

    pub fn business_pending(&self) -> bool {
        matches!(
            self.outcome.business_status,
            StepStatus::Skipped | StepStatus::Failed
        )
    }
}

/// What was last applied to one contact key in one location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub contact_id: String,
    pub payload: String,
    pub tags: Option<String>,
    pub business: Option<String>,
}

/// The hashes `--changed-only` compares, computed once per row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowHashes {
    pub payload: String,
    /// `None`: the row adds no tags.
    pub tags: Option<String>,
    pub business: Option<String>,
}

impl RowHashes {
    pub fn of(valid: &ValidRow) -> RowHashes {
        let body = serde_json::to_vec(&valid.contact).unwrap_or_default();
        RowHashes {
            payload: short_hash(&body),
            tags: (!valid.tags.is_empty()).then(|| tag_set_hash(&valid.tags)),
            business: valid.business_id.clone(),
        }
    }

    /// Nothing this row would send differs from what the contact last got. A row without
    /// tags or business asks nothing of those, so they do not count.
    pub fn unchanged_from(&self, a: &Applied) -> bool {
        self.payload == a.payload
            && (self.tags.is_none() || self.tags == a.tags)
            && (self.business.is_none() || self.business == a.business)
    }
}

fn short_hash(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    hex(&d[..16])
}

/// Lower-case hex, two digits a byte. By table, not `write!("{:02x}")`: with the store on,
/// every row's payload and answer are hashed, and formatting each byte cost more than the
/// hash itself.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    s
}

/// Tags are added as a set: order and repeats do not matter.
pub fn tag_set_hash(tags: &[String]) -> String {
    let mut set: Vec<&str> = tags.iter().map(String::as_str).collect();
    set.sort_unstable();
    set.dedup();
    short_hash(set.join("\u{1f}").as_bytes())
}

/// SHA-256 of a file's bytes, streamed.
pub fn fingerprint_file(path: &Path) -> Result<String, StateError> {
    use std::io::Read;
    let err = |e| StateError::Fingerprint(path.to_owned(), e);
    let mut f = std::fs::File::open(path).map_err(err)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf).map_err(err)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

pub fn fingerprint_text(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// `$XDG_STATE_HOME/ghl-import/state.db` (or the platform's equivalent).
pub fn default_path() -> Option<PathBuf> {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .map(|d| d.join("ghl-import").join("state.db"))
}

pub struct Store {
    conn: Connection,
    path: String,
    run_id: i64,
    in_tx: bool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("run_id", &self.run_id)
            .finish()
    }
}

fn status_from(s: &str) -> RowStatus {
    RowStatus::ALL
        .into_iter()
        .find(|x| x.as_str() == s)
        .unwrap_or(RowStatus::Deferred)
}

/// The older completed runs of the same file and location as run `?1`.
const REPLACED: &str = "SELECT old.id FROM runs old, runs cur
     WHERE cur.id = ?1 AND old.id <> cur.id
       AND old.input_path = cur.input_path AND old.location = cur.location
       AND old.state IN ('done', 'abandoned')";

/// A row undo can still take back: it created a contact, added tags the answer named, set a
/// business, or updated fields its run's snapshot can restore.
const UNDOABLE: &str = "(status = 'created'
     OR (tags_added IS NOT NULL AND tags_added NOT IN ('', '[]'))
     OR (business_status = 'done' AND business IS NOT NULL)
     OR (status = 'updated' AND (SELECT snapshot FROM runs WHERE runs.id = rows.run_id) = 1))";

fn step_str(s: StepStatus) -> &'static str {
    match s {
        StepStatus::None => "",
        StepStatus::Done => "done",
        StepStatus::Failed => "failed",
        StepStatus::Skipped => "skipped",
    }
}

pub(super) fn step_from(s: &str) -> StepStatus {
    match s {
        "done" => StepStatus::Done,
        "failed" => StepStatus::Failed,
        "skipped" => StepStatus::Skipped,
        _ => StepStatus::None,
    }
}

/// Which bulk step a batch result is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Tags,
    Business,
}

impl Store {
    /// Opens (creating) the store at `path`, with its parent directory.
    pub fn open(path: &Path) -> Result<Store, StateError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StateError::Dir(dir.to_owned(), e))?;
        }
        let label = path.display().to_string();
        let conn = Connection::open(path).map_err(|source| StateError::Sqlite {
            path: label.clone(),
            source,
        })?;
        #[cfg(unix)]
        {
            // Contact keys and ids: owner only, like the report.
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        Store::init(conn, label)
    }

    /// A store that lives as long as the process: `--sandbox`, whose contacts do too.
    pub fn in_memory() -> Result<Store, StateError> {
        let conn = Connection::open_in_memory().map_err(|source| StateError::Sqlite {
            path: ":memory:".into(),
            source,
        })?;
        Store::init(conn, ":memory:".into())
    }

    fn init(conn: Connection, path: String) -> Result<Store, StateError> {
        let s = Store {
            conn,
            path,
            run_id: 0,
            in_tx: false,
        };
        s.sql(|c| {
            c.busy_timeout(BUSY_WAIT)?;
            wal_mode(c)?;
            c.pragma_update(None, "synchronous", "FULL")?;
            Ok(())
        })?;
        if s.version()? < SCHEMA_VERSION {
            // One writer makes or migrates the tables, reading the version again under the
            // lock: two openers of a new store at once (two cron runs, or a run and its
            // pre-pass) would otherwise both add the same columns.
            s.sql(|c| c.execute_batch("BEGIN IMMEDIATE"))?;
            let made = s.make_tables();
            let end = if made.is_ok() { "COMMIT" } else { "ROLLBACK" };
            let ended = s.sql(|c| c.execute_batch(end));
            made?;
            ended?;
        }
        Ok(s)
    }

    fn version(&self) -> Result<i64, StateError> {
        let version: i64 = self.sql(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0)))?;
        if version > SCHEMA_VERSION {
            return Err(StateError::Schema {
                path: self.path.clone(),
                found: version,
            });
        }
        Ok(version)
    }

    /// Within the caller's write transaction.
    fn make_tables(&self) -> Result<(), StateError> {
        let version = self.version()?;
        self.sql(|c| {
            c.execute_batch(
                "CREATE TABLE IF NOT EXISTS runs (
                    id INTEGER PRIMARY KEY,
                    input_path TEXT NOT NULL,
                    input_fingerprint TEXT NOT NULL,
                    mapping_fingerprint TEXT NOT NULL,
                    location TEXT NOT NULL,
                    base_url TEXT NOT NULL,
                    state TEXT NOT NULL,          -- running | stopped | done | abandoned
                    pid INTEGER,
                    started_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 1,
                    total_rows INTEGER
                );
                CREATE INDEX IF NOT EXISTS runs_identity
                    ON runs (input_fingerprint, mapping_fingerprint, location, base_url);
                -- version 1's layout, migrated below like an old file's (rows_in_write_order)
                CREATE TABLE IF NOT EXISTS rows (
                    run_id INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    row INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    contact_id TEXT,
                    location_id TEXT,
                    email TEXT,
                    phone TEXT,
                    tags_status TEXT NOT NULL DEFAULT '',
                    business_status TEXT NOT NULL DEFAULT '',
                    errors TEXT NOT NULL DEFAULT '[]',
                    warnings TEXT NOT NULL DEFAULT '[]',
                    keys TEXT,                    -- the row's contact keys, \\x1f-joined
                    payload_hash TEXT,
                    tags_hash TEXT,
                    business TEXT,
                    PRIMARY KEY (run_id, seq)
                ) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS applied (
                    location_id TEXT NOT NULL,
                    key TEXT NOT NULL,
                    contact_id TEXT NOT NULL,
                    payload_hash TEXT NOT NULL,
                    tags_hash TEXT,
                    business TEXT,
                    updated_at TEXT NOT NULL,
                    PRIMARY KEY (location_id, key)
                ) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS applied_log (
                    id INTEGER PRIMARY KEY,
                    op TEXT NOT NULL,             -- upsert | tags | business
                    location_id TEXT NOT NULL,
                    key TEXT NOT NULL,
                    contact_id TEXT NOT NULL,
                    value TEXT,                   -- payload hash, tag set hash or business
                    updated_at TEXT NOT NULL
                );",
            )?;
            super::undo_log::migrate(c, version)?;
            if version < 3 {
                // \x1f-joined; NULL: none recorded (the step is all or nothing so far).
                c.execute_batch("ALTER TABLE rows ADD COLUMN tags_done TEXT")?;
            }
            if version < 4 {
                rows_in_write_order(c)?;
            }
            c.pragma_update(None, "user_version", SCHEMA_VERSION)
        })
    }

    pub(super) fn sql<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StateError> {
        f(&self.conn).map_err(|source| StateError::Sqlite {
            path: self.path.clone(),
            source,
        })
    }

    pub fn run_id(&self) -> i64 {
        self.run_id
    }

    /// Starts a run, or continues the latest unfinished one of the same import. `restart`
    /// abandons that one instead.
    pub fn begin_run(
        &mut self,
        id: &RunIdentity,
        restart: bool,
    ) -> Result<Option<Resumed>, StateError> {
        // What an earlier run (perhaps killed) logged is in `applied` before any lookup.
        self.fold_applied()?;
        let now = now();
        let pid = i64::from(std::process::id());
        // (id, state, pid, started_at, total_rows)
        type Previous = (i64, String, Option<i64>, String, Option<i64>);
        let previous: Option<Previous> = self.sql(|c| {
            c.query_row(
                "SELECT id, state, pid, started_at, total_rows FROM runs
                 WHERE input_fingerprint = ?1 AND mapping_fingerprint = ?2 AND location = ?3
                   AND base_url = ?4 AND state IN ('running', 'stopped')
                 ORDER BY id DESC LIMIT 1",
                params![
                    id.input_fingerprint,
                    id.mapping_fingerprint,
                    id.location,
                    id.base_url
                ],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
        })?;
        if let Some((run, state, Some(other), _, _)) = &previous {
            if state == "running" && *other != pid && process_alive(*other) && !restart {
                return Err(StateError::Busy {
                    run: *run,
                    pid: *other,
                });
            }
        }
        match previous {
            Some((run, _, _, _, _)) if restart => {
                self.sql(|c| {
                    c.execute(
                        "UPDATE runs SET state = 'abandoned', updated_at = ?2 WHERE id = ?1",
                        params![run, now],
                    )
                })?;
            }
            Some((run, _, _, started_at, total)) => {
                self.sql(|c| {
                    c.execute(
                        "UPDATE runs SET state = 'running', pid = ?2, updated_at = ?3,
                             attempts = attempts + 1 WHERE id = ?1",
                        params![run, pid, now],
                    )
                })?;
                self.run_id = run;
                let (done, owed): (i64, i64) = self.sql(|c| {
                    c.query_row(
                        "SELECT
                           count(*) FILTER (WHERE tags_status NOT IN ('skipped', 'failed')
                                AND business_status NOT IN ('skipped', 'failed')),
                           count(*) FILTER (WHERE tags_status IN ('skipped', 'failed')
                                OR business_status IN ('skipped', 'failed'))
                         FROM rows WHERE run_id = ?1 AND contact_id IS NOT NULL
                           AND status IN ('created', 'updated', 'unchanged')",
                        [run],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                })?;
                return Ok(Some(Resumed {
                    run_id: run,
                    started_at,
                    done: done as u64,
                    owed: owed as u64,
                    total: total.map(|t| t as u64),
                }));
            }
            None => {}
        }
        self.sql(|c| {
            c.execute(
                "INSERT INTO runs (input_path, input_fingerprint, mapping_fingerprint, location,
                     base_url, state, pid, started_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6, ?7, ?7)",
                params![
                    id.input_path,
                    id.input_fingerprint,
                    id.mapping_fingerprint,
                    id.location,
                    id.base_url,
                    pid,
                    now
                ],
            )
        })?;
        self.run_id = self.conn.last_insert_rowid();
        Ok(None)
    }

    pub fn set_total(&mut self, total: u64) -> Result<(), StateError> {
        let run = self.run_id;
        self.sql(|c| {
            c.execute(
                "UPDATE runs SET total_rows = ?2 WHERE id = ?1",
                params![run, total as i64],
            )
        })?;
        Ok(())
    }

    /// The run ended. `complete`: nothing is left to send (otherwise the next identical
    /// command resumes it). A completed run's per-row records replace the older completed
    /// runs' of the same file and location, so the store does not grow with every night;
    /// the older rows that undo still needs (a contact created, tags added, a business set,
    /// fields a snapshot can restore) are kept, so one nightly re-run cannot make the first
    /// import impossible to take back.
    pub fn finish_run(&mut self, complete: bool) -> Result<(), StateError> {
        self.commit()?;
        self.fold_applied()?;
        let (run, now) = (self.run_id, now());
        let state = if complete { "done" } else { "stopped" };
        self.sql(|c| {
            c.execute(
                "UPDATE runs SET state = ?2, pid = NULL, updated_at = ?3 WHERE id = ?1",
                params![run, state, now],
            )?;
            if complete {
                c.execute(
                    &format!("DELETE FROM rows WHERE run_id IN ({REPLACED}) AND NOT {UNDOABLE}"),
                    [run],
                )?;
                super::undo_log::prune_snapshots(c, run)?;
                c.execute(
                    &format!(
                        "DELETE FROM snapshots WHERE run_id IN ({REPLACED}) AND contact_id NOT IN
                             (SELECT contact_id FROM rows WHERE rows.run_id = snapshots.run_id
                                AND contact_id IS NOT NULL)"
                    ),
                    [run],
                )?;
            }
            Ok(())
        })
    }

    /// This run's record of row `seq` from an earlier attempt.
    pub fn prior(&self, seq: u64) -> Result<Option<Prior>, StateError> {
        self.prior_of(self.run_id, seq)
    }

    /// Run `run`'s record of row `seq`.
    pub fn prior_of(&self, run: i64, seq: u64) -> Result<Option<Prior>, StateError> {
        self.sql(|c| {
            c.prepare_cached(
                "SELECT row, status, contact_id, location_id, email, phone, tags_status,
                        business_status, errors, warnings, tags_done
                 FROM rows WHERE run_id = ?1 AND seq = ?2",
            )?
            .query_row(params![run, seq as i64], |r| {
                let list = |s: String| serde_json::from_str::<Vec<String>>(&s).unwrap_or_default();
                let row = r.get::<_, i64>(0)? as u64;
                let mut outcome = RowOutcome::new(seq, row, status_from(&r.get::<_, String>(1)?));
                outcome.contact_id = r.get(2)?;
                outcome.location_id = r.get(3)?;
                outcome.email = r.get(4)?;
                outcome.phone = r.get(5)?;
                outcome.tags_status = step_from(&r.get::<_, String>(6)?);
                outcome.business_status = step_from(&r.get::<_, String>(7)?);
                outcome.errors = list(r.get(8)?);
                outcome.warnings = list(r.get(9)?);
                let tags_done = r
                    .get::<_, Option<String>>(10)?
                    .map(|t| t.split('\u{1f}').map(str::to_owned).collect())
                    .unwrap_or_default();
                Ok(Prior { outcome, tags_done })
            })
            .optional()
        })
    }

    /// What was last applied to the contact with this key in this location, as of the last
    /// fold (the start of this run): a run looks up only keys it has not sent itself.
    pub fn applied(&self, location: &str, key: &str) -> Result<Option<Applied>, StateError> {
        self.sql(|c| {
            c.prepare_cached(
                "SELECT contact_id, payload_hash, tags_hash, business FROM applied
                 WHERE location_id = ?1 AND key = ?2",
            )?
            .query_row(params![location, key], |r| {
                Ok(Applied {
                    contact_id: r.get(0)?,
                    payload: r.get(1)?,
                    tags: r.get(2)?,
                    business: r.get(3)?,
                })
            })
            .optional()
        })
    }

    pub(super) fn begin(&mut self) -> Result<(), StateError> {
        if !self.in_tx {
            // Cached: parsing the text again at every commit (20 a second) cost more than
            // running it.
            self.sql(|c| c.prepare_cached("BEGIN IMMEDIATE")?.execute([]).map(drop))?;
            self.in_tx = true;
        }
        Ok(())
    }

    /// Makes every write so far durable.
    pub fn commit(&mut self) -> Result<(), StateError> {
        if self.in_tx {
            self.sql(|c| c.prepare_cached("COMMIT")?.execute([]).map(drop))?;
            self.in_tx = false;
        }
        Ok(())
    }

    /// The upsert went through: the row is not to be sent again, its bulk steps are owed, and
    /// its contact now has this payload. With `facts`, what undo needs goes in the same row
    /// write; the contact's keys go to `applied` in one statement.
    pub fn record_upserted(
        &mut self,
        o: &RowOutcome,
        keys: &[String],
        hashes: &RowHashes,
        facts: Option<&UndoFacts>,
    ) -> Result<(), StateError> {
        self.begin()?;
        self.write_row(o, Some((keys, hashes, facts)))?;
        let (Some(loc), Some(id)) = (&o.location_id, &o.contact_id) else {
            return Ok(());
        };
        if keys.is_empty() {
            return Ok(());
        }
        let now = now();
        let sql = log_sql(keys.len());
        self.sql(|c| {
            let mut st = c.prepare_cached(&sql)?;
            let mut values: Vec<&dyn rusqlite::ToSql> =
                vec![&"upsert", loc, id, &hashes.payload, &now];
            values.extend(keys.iter().map(|k| k as &dyn rusqlite::ToSql));
            st.execute(values.as_slice())?;
            Ok(())
        })
    }

    /// A row's final account (what the report is about to say).
    pub fn record_outcome(&mut self, o: &RowOutcome) -> Result<(), StateError> {
        self.begin()?;
        self.write_row(o, None)
    }

    fn write_row(
        &mut self,
        o: &RowOutcome,
        extra: Option<(&[String], &RowHashes, Option<&UndoFacts>)>,
    ) -> Result<(), StateError> {
        let run = self.run_id;
        let json = |v: &[String]| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
        let (keys, payload, tags, business, facts) = match extra {
            Some((k, h, f)) => (
                Some(k.join("\u{1f}")),
                Some(h.payload.as_str()),
                h.tags.as_deref(),
                h.business.as_deref(),
                f,
            ),
            None => (None, None, None, None, None),
        };
        let before = facts
            .and_then(|f| f.business_before.as_ref())
            .map(|b| b.as_deref().unwrap_or_default());
        let after = facts.and_then(|f| f.after_hash.as_deref());
        let sent = facts.map(|f| json(&f.sent_fields));
        self.sql(|c| {
            c.prepare_cached(
                "INSERT INTO rows (run_id, seq, row, status, contact_id, location_id, email, phone,
                     tags_status, business_status, errors, warnings, keys, payload_hash,
                     tags_hash, business, business_before, after_hash, sent_fields)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17, ?18, ?19)
                 ON CONFLICT (run_id, seq) DO UPDATE SET status = excluded.status,
                     contact_id = excluded.contact_id, location_id = excluded.location_id,
                     email = excluded.email, phone = excluded.phone,
                     tags_status = excluded.tags_status,
                     business_status = excluded.business_status, errors = excluded.errors,
                     warnings = excluded.warnings,
                     keys = coalesce(excluded.keys, rows.keys),
                     payload_hash = coalesce(excluded.payload_hash, rows.payload_hash),
                     tags_hash = coalesce(excluded.tags_hash, rows.tags_hash),
                     business = coalesce(excluded.business, rows.business),
                     business_before = CASE WHEN excluded.sent_fields IS NULL
                         THEN rows.business_before ELSE excluded.business_before END,
                     after_hash = CASE WHEN excluded.sent_fields IS NULL
                         THEN rows.after_hash ELSE excluded.after_hash END,
                     sent_fields = coalesce(excluded.sent_fields, rows.sent_fields)",
            )?
            .execute(params![
                run,
                o.seq as i64,
                o.row as i64,
                o.status.as_str(),
                o.contact_id,
                o.location_id,
                o.email,
                o.phone,
                step_str(o.tags_status),
                step_str(o.business_status),
                json(&o.errors),
                json(&o.warnings),
                keys,
                payload,
                tags,
                business,
                before,
                after,
                sent,
            ])
        })?;
        Ok(())
    }

    /// A tag call added these tags to row `seq`'s contact while the row's other tag calls
    /// are owed or failed: a resume sends only the others.
    pub fn record_tags_done(&mut self, seq: u64, tags: &[String]) -> Result<(), StateError> {
        self.begin()?;
        let run = self.run_id;
        self.sql(|c| {
            c.prepare_cached(
                "UPDATE rows SET tags_done = coalesce(tags_done || char(31), '') || ?3
                 WHERE run_id = ?1 AND seq = ?2",
            )?
            .execute(params![run, seq as i64, tags.join("\u{1f}")])
        })?;
        Ok(())
    }

    /// Row `seq`'s bulk step settled (every call it needed is back). When applied, the
    /// row's contact keys now carry this tag set / business.
    pub fn record_step(
        &mut self,
        seq: u64,
        step: Step,
        status: StepStatus,
    ) -> Result<(), StateError> {
        self.begin()?;
        let run = self.run_id;
        let column = match step {
            Step::Tags => "tags_status",
            Step::Business => "business_status",
        };
        self.sql(|c| {
            c.prepare_cached(&format!(
                "UPDATE rows SET {column} = ?3 WHERE run_id = ?1 AND seq = ?2"
            ))?
            .execute(params![run, seq as i64, step_str(status)])
        })?;
        if status != StepStatus::Done {
            return Ok(());
        }
        let (value_column, op) = match step {
            Step::Tags => ("tags_hash", "tags"),
            Step::Business => ("business", "business"),
        };
        // (location, contact id, keys, the applied value)
        type Applies = (
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let found: Option<Applies> = self.sql(|c| {
            c.prepare_cached(&format!(
                "SELECT location_id, contact_id, keys, {value_column} FROM rows
                 WHERE run_id = ?1 AND seq = ?2"
            ))?
            .query_row(params![run, seq as i64], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()
        })?;
        let Some((Some(loc), Some(id), Some(keys), value)) = found else {
            return Ok(());
        };
        let now = now();
        self.sql(|c| {
            let mut st = c.prepare_cached(&log_sql(1))?;
            for key in keys.split('\u{1f}').filter(|k| !k.is_empty()) {
                st.execute(params![op, loc, id, value, now, key])?;
            }
            Ok(())
        })
    }

    /// Applies the logged entries to `applied`, in their order for each key, and drops them.
    /// Sorted by key, each page of `applied` is written once per fold.
    pub(crate) fn fold_applied(&mut self) -> Result<(), StateError> {
        self.commit()?;
        let empty = |c: &Connection| {
            c.query_row("SELECT NOT EXISTS (SELECT 1 FROM applied_log)", [], |r| {
                r.get::<_, bool>(0)
            })
        };
        if self.sql(empty)? {
            return Ok(());
        }
        self.sql(|c| {
            // The write lock first: no entry is added between the fold and the delete.
            let tx =
                rusqlite::Transaction::new_unchecked(c, rusqlite::TransactionBehavior::Immediate)?;
            let steps: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM applied_log WHERE op <> 'upsert')",
                [],
                |r| r.get(0),
            )?;
            if steps {
                fold_one_by_one(&tx)?;
            } else {
                // Upserts only (a run without tags or business): one statement, no row
                // crossing into Rust.
                tx.execute(
                    applied_upsert!(
                        "SELECT location_id, key, contact_id, value, updated_at FROM applied_log
                         WHERE true ORDER BY location_id, key, id"
                    ),
                    [],
                )?;
            }
            tx.execute("DELETE FROM applied_log", [])?;
            tx.commit()
        })
    }
}

/// Folds a log with bulk steps in it, entry by entry in their order for each key.
fn fold_one_by_one(tx: &Connection) -> rusqlite::Result<()> {
    let mut read = tx.prepare(
        "SELECT op, location_id, key, contact_id, value, updated_at
         FROM applied_log ORDER BY location_id, key, id",
    )?;
    let mut upsert = tx.prepare(applied_upsert!("VALUES (?1, ?5, ?2, ?3, ?4)"))?;
    let step = |column: &str| {
        format!(
            "UPDATE applied SET {column} = ?4
             WHERE location_id = ?1 AND key = ?2 AND contact_id = ?3"
        )
    };
    let mut tags = tx.prepare(&step("tags_hash"))?;
    let mut business = tx.prepare(&step("business"))?;
    let mut rows = read.query([])?;
    while let Some(r) = rows.next()? {
        let col = |i| r.get_ref(i).map(rusqlite::types::ToSqlOutput::Borrowed);
        let (loc, key, id, value, at) = (col(1)?, col(2)?, col(3)?, col(4)?, col(5)?);
        match r.get_ref(0)?.as_str()? {
            "upsert" => upsert.execute(params![loc, id, value, at, key])?,
            "tags" => tags.execute(params![loc, key, id, value])?,
            _ => business.execute(params![loc, key, id, value])?,
        };
    }
    Ok(())
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = self.commit();
    }
}

/// The log entries for `n` contact keys: one statement for all of them (?1 op, ?2 location,
/// ?3 contact id, ?4 value, ?5 time, then the keys). Made once for one or two keys.
fn log_sql(n: usize) -> std::borrow::Cow<'static, str> {
    static ONE_OR_TWO: [std::sync::LazyLock<String>; 2] = [
        std::sync::LazyLock::new(|| log_sql_for(1)),
        std::sync::LazyLock::new(|| log_sql_for(2)),
    ];
    match n {
        1 | 2 => std::borrow::Cow::Borrowed(ONE_OR_TWO[n - 1].as_str()),
        _ => std::borrow::Cow::Owned(log_sql_for(n)),
    }
}

fn log_sql_for(n: usize) -> String {
    let values: Vec<String> = (0..n)
        .map(|i| format!("(?1, ?2, ?{}, ?3, ?4, ?5)", i + 6))
        .collect();
    format!(
        "INSERT INTO applied_log (op, location_id, key, contact_id, value, updated_at) VALUES {}",
        values.join(", ")
    )
}

/// Version 4 stores `rows` in the order they are written, found by (run, seq) through an
/// index: rows finish far out of input order (1,000 locations at once), and a table ordered
/// by seq took a page of its own for nearly every row a commit wrote. Its index entries are
/// small, so many share a page.
fn rows_in_write_order(c: &Connection) -> rusqlite::Result<()> {
    const COLUMNS: &str = "run_id, seq, row, status, contact_id, location_id, email, phone,
        tags_status, business_status, errors, warnings, keys, payload_hash, tags_hash, business,
        business_before, tags_added, after_hash, sent_fields, tags_done";
    c.execute_batch(&format!(
        "CREATE TABLE rows_v4 (
             run_id INTEGER NOT NULL,
             seq INTEGER NOT NULL,
             row INTEGER NOT NULL,
             status TEXT NOT NULL,
             contact_id TEXT,
             location_id TEXT,
             email TEXT,
             phone TEXT,
             tags_status TEXT NOT NULL DEFAULT '',
             business_status TEXT NOT NULL DEFAULT '',
             errors TEXT NOT NULL DEFAULT '[]',
             warnings TEXT NOT NULL DEFAULT '[]',
             keys TEXT,
             payload_hash TEXT,
             tags_hash TEXT,
             business TEXT,
             business_before TEXT,
             tags_added TEXT,
             after_hash TEXT,
             sent_fields TEXT,
             tags_done TEXT,
             UNIQUE (run_id, seq)
         );
         INSERT INTO rows_v4 ({COLUMNS}) SELECT {COLUMNS} FROM rows ORDER BY run_id, seq;
         DROP TABLE rows;
         ALTER TABLE rows_v4 RENAME TO rows;"
    ))
}

/// How long a store waits on another connection's lock before it gives up.
const BUSY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Switching a new file to WAL needs it alone; SQLite answers "busy" at once, without waiting,
/// while another connection is switching it too, so this waits here.
fn wal_mode(c: &Connection) -> rusqlite::Result<()> {
    let started = std::time::Instant::now();
    loop {
        match c.pragma_update(None, "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && started.elapsed() < BUSY_WAIT =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            r => return r,
        }
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Whether a process with this pid exists (signal 0 checks without sending).
pub(super) fn process_alive(pid: i64) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = i32::try_from(pid) else {
            return false;
        };
        // SAFETY: kill with signal 0 only checks for the process's existence.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(fp: &str) -> RunIdentity {
        RunIdentity {
            input_path: "in.csv".into(),
            input_fingerprint: fp.into(),
            mapping_fingerprint: "m".into(),
            location: "L".into(),
            base_url: "http://127.0.0.1:1".into(),
        }
    }

    fn upserted(seq: u64, email: &str, id: &str) -> RowOutcome {
        RowOutcome {
            contact_id: Some(id.into()),
            email: Some(email.into()),
            location_id: Some("L".into()),
            tags_status: StepStatus::Skipped,
            ..RowOutcome::new(seq, seq + 2, RowStatus::Created)
        }
    }

    fn hashes(payload: &str, tags: Option<&str>) -> RowHashes {
        RowHashes {
            payload: payload.into(),
            tags: tags.map(str::to_owned),
            business: None,
        }
    }

    #[test]
    fn an_unfinished_run_resumes_and_a_finished_one_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/state.db");
        let mut s = Store::open(&path).unwrap();
        assert_eq!(s.begin_run(&identity("a"), false).unwrap(), None);
        let first = s.run_id();
        s.record_upserted(
            &upserted(0, "x@e.com", "C1"),
            &["e:x@e.com".into()],
            &hashes("p", Some("t")),
            None,
        )
        .unwrap();
        s.record_step(0, Step::Tags, StepStatus::Done).unwrap();
        s.record_upserted(
            &upserted(1, "y@e.com", "C2"),
            &["e:y@e.com".into()],
            &hashes("q", Some("t")),
            None,
        )
        .unwrap();
        s.commit().unwrap();
        drop(s); // as if killed: the run stays "running" with a dead pid

        let mut s = Store::open(&path).unwrap();
        let r = s
            .begin_run(&identity("a"), false)
            .unwrap()
            .expect("resumed");
        assert_eq!((r.run_id, r.done, r.owed), (first, 1, 1));
        let p0 = s.prior(0).unwrap().unwrap();
        assert!(p0.upserted() && !p0.tags_pending());
        let p1 = s.prior(1).unwrap().unwrap();
        assert!(p1.upserted() && p1.tags_pending());
        assert_eq!(s.prior(2).unwrap(), None);
        s.finish_run(true).unwrap();

        // Done: the same import starts a new run; another file never resumes this one.
        assert_eq!(s.begin_run(&identity("a"), false).unwrap(), None);
        assert_ne!(s.run_id(), first);
        s.finish_run(false).unwrap();
        assert!(s.begin_run(&identity("b"), false).unwrap().is_none());
        // --restart abandons the stopped run instead.
        s.finish_run(false).unwrap();
        assert!(s.begin_run(&identity("a"), true).unwrap().is_none());
    }

    #[test]
    fn openers_of_a_new_store_at_once_all_get_it_whole() {
        // Each round a new file, many connections making its tables at the same moment.
        for round in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(format!("state-{round}.db"));
            let start = std::sync::Barrier::new(6);
            std::thread::scope(|s| {
                let openers: Vec<_> = (0..6)
                    .map(|_| {
                        s.spawn(|| {
                            start.wait();
                            Store::open(&path).map(|s| s.version().unwrap())
                        })
                    })
                    .collect();
                for o in openers {
                    assert_eq!(o.join().unwrap().unwrap(), SCHEMA_VERSION);
                }
            });
        }
    }

    #[test]
    fn undo_facts_written_with_the_row_survive_its_final_account() {
        let mut s = Store::in_memory().unwrap();
        s.begin_run(&identity("a"), false).unwrap();
        let run = s.run_id();
        let keys = vec!["e:x@e.com".to_owned()];
        let facts = UndoFacts {
            business_before: Some(None),
            after_hash: Some("h1".into()),
            sent_fields: vec!["firstName".into(), "cf:f1".into()],
        };
        let mut o = upserted(0, "x@e.com", "C1");
        s.record_upserted(&o, &keys, &hashes("p", Some("t")), Some(&facts))
            .unwrap();
        // A second row without facts (an answer that did not show the contact).
        s.record_upserted(
            &upserted(1, "y@e.com", "C2"),
            &["e:y@e.com".to_owned()],
            &hashes("q", None),
            None,
        )
        .unwrap();
        o.tags_status = StepStatus::Done;
        s.record_outcome(&o).unwrap();
        s.commit().unwrap();
        let rows = s.imported_rows(run).unwrap();
        assert_eq!(rows[0].business_before, Some(None));
        assert_eq!(rows[0].after_hash.as_deref(), Some("h1"));
        assert_eq!(rows[0].sent_fields, facts.sent_fields);
        assert_eq!(rows[0].tags_status, StepStatus::Done);
        assert_eq!(rows[1].business_before, None);
        assert_eq!(rows[1].after_hash, None);
        assert!(rows[1].sent_fields.is_empty());
        s.fold_applied().unwrap();
        assert_eq!(
            s.applied("L", "e:y@e.com").unwrap().unwrap().contact_id,
            "C2"
        );
    }

    #[test]
    fn applied_tracks_payload_tags_and_contact() {
        let mut s = Store::in_memory().unwrap();
        s.begin_run(&identity("a"), false).unwrap();
        let keys = vec!["e:x@e.com".to_owned(), "p:+14155552671".to_owned()];
        s.record_upserted(
            &upserted(0, "x@e.com", "C1"),
            &keys,
            &hashes("p1", Some("t1")),
            None,
        )
        .unwrap();
        // Logged, in `applied` once folded (at the start and end of a run).
        assert_eq!(s.applied("L", "p:+14155552671").unwrap(), None);
        s.fold_applied().unwrap();
        let a = s.applied("L", "p:+14155552671").unwrap().unwrap();
        assert_eq!(
            (a.contact_id.as_str(), a.payload.as_str(), a.tags.clone()),
            ("C1", "p1", None)
        );
        // Tags count as applied only once the bulk call says so.
        assert!(!hashes("p1", Some("t1")).unchanged_from(&a));
        s.record_step(0, Step::Tags, StepStatus::Done).unwrap();
        s.fold_applied().unwrap();
        let a = s.applied("L", "e:x@e.com").unwrap().unwrap();
        assert!(hashes("p1", Some("t1")).unchanged_from(&a));
        assert!(
            hashes("p1", None).unchanged_from(&a),
            "no tags asked: tags do not matter"
        );
        assert!(!hashes("p2", Some("t1")).unchanged_from(&a));
        assert!(!hashes("p1", Some("t2")).unchanged_from(&a));
        // A new payload for the same contact keeps its tags; another contact does not.
        s.record_upserted(
            &upserted(1, "x@e.com", "C1"),
            &keys,
            &hashes("p2", None),
            None,
        )
        .unwrap();
        s.fold_applied().unwrap();
        assert_eq!(s.applied("L", "e:x@e.com").unwrap().unwrap().tags, a.tags);
        s.record_upserted(
            &upserted(2, "x@e.com", "C9"),
            &keys,
            &hashes("p3", None),
            None,
        )
        .unwrap();
        s.fold_applied().unwrap();
        assert_eq!(s.applied("L", "e:x@e.com").unwrap().unwrap().tags, None);
        assert_eq!(s.applied("OTHER", "e:x@e.com").unwrap(), None);
    }

    #[test]
    fn a_killed_runs_log_is_folded_in_order_when_the_next_run_begins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut s = Store::open(&path).unwrap();
        s.begin_run(&identity("a"), false).unwrap();
        let x = vec!["e:x@e.com".to_owned(), "p:+14155552671".to_owned()];
        let y = vec!["e:y@e.com".to_owned()];
        // The same key several times in one log: each entry counts, in the order logged.
        s.record_upserted(
            &upserted(0, "x@e.com", "C1"),
            &x,
            &hashes("p1", Some("t1")),
            None,
        )
        .unwrap();
        s.record_upserted(
            &upserted(1, "y@e.com", "C2"),
            &y,
            &hashes("q1", Some("t2")),
            None,
        )
        .unwrap();
        s.record_step(0, Step::Tags, StepStatus::Done).unwrap();
        s.record_step(1, Step::Tags, StepStatus::Done).unwrap();
        s.record_upserted(&upserted(2, "x@e.com", "C1"), &x, &hashes("p2", None), None)
            .unwrap();
        s.record_upserted(&upserted(3, "y@e.com", "C3"), &y, &hashes("q2", None), None)
            .unwrap();
        s.commit().unwrap();
        drop(s); // as if killed: nothing folded

        let mut s = Store::open(&path).unwrap();
        assert_eq!(s.applied("L", "e:x@e.com").unwrap(), None);
        s.begin_run(&identity("b"), false).unwrap();
        let x1 = s.applied("L", "e:x@e.com").unwrap().unwrap();
        assert_eq!(x1, s.applied("L", "p:+14155552671").unwrap().unwrap());
        assert_eq!((x1.contact_id.as_str(), x1.payload.as_str()), ("C1", "p2"));
        assert_eq!(x1.tags.as_deref(), Some("t1"));
        // Another contact took the key: the first one's tags are forgotten.
        let y1 = s.applied("L", "e:y@e.com").unwrap().unwrap();
        assert_eq!((y1.contact_id.as_str(), y1.payload.as_str()), ("C3", "q2"));
        assert_eq!(y1.tags, None);
        let logged: i64 = s
            .conn
            .query_row("SELECT count(*) FROM applied_log", [], |r| r.get(0))
            .unwrap();
        assert_eq!(logged, 0, "folded entries are dropped");
        // A finished run folds its own log.
        s.record_upserted(
            &upserted(0, "z@e.com", "C4"),
            &["e:z@e.com".into()],
            &hashes("r", None),
            None,
        )
        .unwrap();
        s.record_upserted(
            &upserted(1, "z@e.com", "C4"),
            &["e:z@e.com".into()],
            &hashes("r2", None),
            None,
        )
        .unwrap();
        s.finish_run(true).unwrap();
        let z = s.applied("L", "e:z@e.com").unwrap().unwrap();
        assert_eq!((z.contact_id.as_str(), z.payload.as_str()), ("C4", "r2"));
    }

    #[test]
    fn a_run_another_live_process_holds_is_refused() {
        let mut s = Store::in_memory().unwrap();
        s.begin_run(&identity("a"), false).unwrap();
        s.commit().unwrap();
        // As if pid 1 (always alive) were running it.
        s.conn.execute("UPDATE runs SET pid = 1", []).unwrap();
        let e = s.begin_run(&identity("a"), false).unwrap_err();
        assert!(matches!(e, StateError::Busy { pid: 1, .. }), "{e}");
        assert!(e.to_string().contains("pid 1"));
        assert!(s.begin_run(&identity("a"), true).unwrap().is_none());
    }

    #[test]
    fn hashes_read_as_they_did_when_formatted_byte_by_byte() {
        // Stores written by earlier versions hold these strings: the table must agree.
        let all: Vec<u8> = (0..=255).collect();
        let formatted: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex(&all), formatted);
        assert_eq!(
            fingerprint_text("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn tag_sets_hash_as_sets() {
        let t = |v: &[&str]| tag_set_hash(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(t(&["b", "a", "a"]), t(&["a", "b"]));
        assert_ne!(t(&["a"]), t(&["a", "b"]));
        assert_ne!(t(&["a,b"]), t(&["a", "b"]));
    }

    #[test]
    fn tags_added_by_some_calls_are_remembered_for_the_resume() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut s = Store::open(&path).unwrap();
        s.begin_run(&identity("a"), false).unwrap();
        s.record_upserted(
            &upserted(0, "x@e.com", "C1"),
            &["e:x@e.com".into()],
            &hashes("p", Some("t")),
            None,
        )
        .unwrap();
        s.record_tags_done(0, &["a".into()]).unwrap();
        s.record_tags_done(0, &["b".into()]).unwrap();
        s.commit().unwrap();
        let p = s.prior(0).unwrap().unwrap();
        assert!(p.tags_pending());
        assert_eq!(p.tags_done, ["a", "b"]);
        // A version-2 file (no tags_done) is migrated on open and keeps its rows.
        s.conn
            .execute_batch("ALTER TABLE rows DROP COLUMN tags_done; PRAGMA user_version = 2;")
            .unwrap();
        drop(s);
        let s = Store::open(&path).unwrap();
        let v: i64 = s
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        let p = s.prior_of(1, 0).unwrap().unwrap();
        assert!(p.tags_done.is_empty());
        assert_eq!(p.outcome.contact_id.as_deref(), Some("C1"));
    }
}
