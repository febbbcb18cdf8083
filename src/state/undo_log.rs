//! What `undo` needs, kept in the state store (schema version 2):
//! - per upserted row (`rows`): the contact's business before the run (`business_before`:
//!   NULL unknown, '' none), the tags the bulk add call reported as newly added (`tags_added`,
//!   a JSON list; NULL when the answer did not say), a hash of the contact's fields as the
//!   upsert answered (`after_hash`, to tell later edits) and the fields the row sent
//!   (`sent_fields`, a JSON list of API names, custom fields as `cf:<id or key>`);
//! - with `--snapshot`, the contacts of each location as they were before the run
//!   (`snapshots`; pruned to the contacts the run touched when it completes) and which
//!   locations were read in full (`snapshot_locations`);
//! - an undo run's own progress per contact (`undo_rows`), so it resumes after a crash.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

use super::store::{step_from, RunIdentity, StateError, Store};
use crate::event::{RowStatus, StepStatus};

/// Brings a version-1 (or new) store to version 2. Columns are added, nothing is rewritten,
/// so version-1 runs stay readable (their rows just lack what undo needs).
pub(super) fn migrate(c: &Connection, from: i64) -> rusqlite::Result<()> {
    if from >= 2 {
        return Ok(());
    }
    c.execute_batch(
        "ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'import';
         ALTER TABLE runs ADD COLUMN undoes INTEGER;
         ALTER TABLE runs ADD COLUMN snapshot INTEGER NOT NULL DEFAULT 0;
         ALTER TABLE rows ADD COLUMN business_before TEXT;
         ALTER TABLE rows ADD COLUMN tags_added TEXT;
         ALTER TABLE rows ADD COLUMN after_hash TEXT;
         ALTER TABLE rows ADD COLUMN sent_fields TEXT;
         CREATE TABLE IF NOT EXISTS snapshots (
             run_id INTEGER NOT NULL,
             contact_id TEXT NOT NULL,
             location_id TEXT NOT NULL,
             contact TEXT NOT NULL,
             PRIMARY KEY (run_id, contact_id)
         ) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS snapshot_locations (
             run_id INTEGER NOT NULL,
             location_id TEXT NOT NULL,
             PRIMARY KEY (run_id, location_id)
         ) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS undo_rows (
             run_id INTEGER NOT NULL,
             seq INTEGER NOT NULL,
             phase TEXT NOT NULL,          -- bulk (per-contact calls done) | final
             status TEXT NOT NULL,
             outcome TEXT NOT NULL,        -- the row's account as JSON
             PRIMARY KEY (run_id, seq)
         ) WITHOUT ROWID;",
    )
}

/// A completed run keeps the snapshots of the contacts it touched only; runs whose rows are
/// gone lose theirs.
pub(super) fn prune_snapshots(c: &Connection, run: i64) -> rusqlite::Result<()> {
    c.execute(
        "DELETE FROM snapshots WHERE run_id = ?1 AND contact_id NOT IN
             (SELECT contact_id FROM rows WHERE run_id = ?1 AND contact_id IS NOT NULL)",
        [run],
    )?;
    c.execute(
        "DELETE FROM snapshots WHERE run_id NOT IN (SELECT DISTINCT run_id FROM rows)",
        [],
    )?;
    Ok(())
}

/// What an upsert's answer tells undo about one row.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UndoFacts {
    /// `Some(None)`: the contact had no business; `None`: unknown.
    pub business_before: Option<Option<String>>,
    pub after_hash: Option<String>,
    pub sent_fields: Vec<String>,
}

/// One row of an import, as undo reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedRow {
    pub seq: u64,
    pub row: u64,
    pub status: RowStatus,
    pub contact_id: Option<String>,
    pub location_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub business_status: StepStatus,
    /// The business the row set.
    pub business: Option<String>,
    pub business_before: Option<Option<String>>,
    /// `None`: not reported by the add call (or the row added no tags: see `tags_status`).
    pub tags_added: Option<Vec<String>>,
    pub tags_status: StepStatus,
    pub after_hash: Option<String>,
    pub sent_fields: Vec<String>,
}

/// An undo run's record of one contact.
#[derive(Debug, Clone, PartialEq)]
pub struct UndoRecord {
    pub phase: String,
    pub status: String,
    pub outcome: String,
}

fn json_list(s: Option<String>) -> Option<Vec<String>> {
    s.and_then(|s| serde_json::from_str(&s).ok())
}

impl Store {
    /// The tags the add call reported as new for row `seq`, joined to any recorded before
    /// (a resumed run's second call reports none of the first call's).
    pub fn record_tags_added(&mut self, seq: u64, added: &[String]) -> Result<(), StateError> {
        self.begin()?;
        let run = self.run_id();
        let key = params![run, seq as i64];
        let old: Option<Option<String>> = self.sql(|c| {
            c.prepare_cached("SELECT tags_added FROM rows WHERE run_id = ?1 AND seq = ?2")?
                .query_row(key, |r| r.get(0))
                .optional()
        })?;
        let mut all = json_list(old.flatten()).unwrap_or_default();
        for t in added {
            if !all.contains(t) {
                all.push(t.clone());
            }
        }
        let json = serde_json::to_string(&all).unwrap_or_else(|_| "[]".into());
        self.sql(|c| {
            c.prepare_cached("UPDATE rows SET tags_added = ?3 WHERE run_id = ?1 AND seq = ?2")?
                .execute(params![run, seq as i64, json])
        })?;
        Ok(())
    }

    /// This run reads its locations before writing (`--snapshot`).
    pub fn mark_snapshot(&mut self) -> Result<(), StateError> {
        let run = self.run_id();
        self.sql(|c| c.execute("UPDATE runs SET snapshot = 1 WHERE id = ?1", [run]))?;
        Ok(())
    }

    pub fn has_snapshot(&self, location: &str) -> Result<bool, StateError> {
        self.run_has_snapshot(self.run_id(), location)
    }

    /// One page of a location's contacts as they are before the run.
    pub fn save_snapshot_page(
        &mut self,
        location: &str,
        contacts: &[Value],
    ) -> Result<(), StateError> {
        self.begin()?;
        let run = self.run_id();
        self.sql(|c| {
            let mut st = c.prepare_cached(
                "INSERT OR REPLACE INTO snapshots (run_id, contact_id, location_id, contact)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for v in contacts {
                if let Some(id) = v.get("id").and_then(Value::as_str) {
                    st.execute(params![run, id, location, v.to_string()])?;
                }
            }
            Ok(())
        })
    }

    /// The location's snapshot is whole: durable before any of its contacts is written.
    pub fn finish_snapshot(&mut self, location: &str) -> Result<(), StateError> {
        self.begin()?;
        let run = self.run_id();
        self.sql(|c| {
            c.execute(
                "INSERT OR IGNORE INTO snapshot_locations (run_id, location_id) VALUES (?1, ?2)",
                params![run, location],
            )
        })?;
        self.commit()
    }

    /// A contact as run `run`'s snapshot saw it, if that run took one of its location.
    pub fn snapshot_of(&self, run: i64, contact_id: &str) -> Result<Option<Value>, StateError> {
        let text: Option<String> = self.sql(|c| {
            c.prepare_cached("SELECT contact FROM snapshots WHERE run_id = ?1 AND contact_id = ?2")?
                .query_row(params![run, contact_id], |r| r.get(0))
                .optional()
        })?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// Whether run `run` took a snapshot of `location`.
    pub fn run_has_snapshot(&self, run: i64, location: &str) -> Result<bool, StateError> {
        self.sql(|c| {
            c.query_row(
                "SELECT count(*) FROM snapshot_locations WHERE run_id = ?1 AND location_id = ?2",
                params![run, location],
                |r| r.get::<_, i64>(0),
            )
        })
        .map(|n| n > 0)
    }

    /// Every row run `run` recorded, in input order.
    pub fn imported_rows(&self, run: i64) -> Result<Vec<ImportedRow>, StateError> {
        self.sql(|c| {
            let mut st = c.prepare(
                "SELECT seq, row, status, contact_id, location_id, email, phone, business_status,
                        business, business_before, tags_added, tags_status, after_hash,
                        sent_fields
                 FROM rows WHERE run_id = ?1 ORDER BY seq",
            )?;
            let rows = st.query_map([run], |r| {
                let status: String = r.get(2)?;
                Ok(ImportedRow {
                    seq: r.get::<_, i64>(0)? as u64,
                    row: r.get::<_, i64>(1)? as u64,
                    status: RowStatus::ALL
                        .into_iter()
                        .find(|s| s.as_str() == status)
                        .unwrap_or(RowStatus::Deferred),
                    contact_id: r.get(3)?,
                    location_id: r.get(4)?,
                    email: r.get(5)?,
                    phone: r.get(6)?,
                    business_status: step_from(&r.get::<_, String>(7)?),
                    business: r.get(8)?,
                    business_before: r
                        .get::<_, Option<String>>(9)?
                        .map(|b| Some(b).filter(|b| !b.is_empty())),
                    tags_added: json_list(r.get(10)?),
                    tags_status: step_from(&r.get::<_, String>(11)?),
                    after_hash: r.get(12)?,
                    sent_fields: json_list(r.get(13)?).unwrap_or_default(),
                })
            })?;
            rows.collect()
        })
    }

    /// Starts (or resumes) the undo of run `of`: itself a run, resumed like an import.
    pub fn begin_undo(
        &mut self,
        of: i64,
        location: &str,
        base_url: &str,
        restart: bool,
    ) -> Result<Option<super::store::Resumed>, StateError> {
        let identity = RunIdentity {
            input_path: format!("undo of run {of}"),
            input_fingerprint: format!("undo:{of}"),
            mapping_fingerprint: "undo".into(),
            location: location.to_owned(),
            base_url: base_url.to_owned(),
        };
        let resumed = self.begin_run(&identity, restart)?;
        let run = self.run_id();
        self.sql(|c| {
            c.execute(
                "UPDATE runs SET kind = 'undo', undoes = ?2 WHERE id = ?1",
                params![run, of],
            )
        })?;
        self.commit()?;
        Ok(resumed)
    }

    /// What earlier attempts of this undo run recorded, by row seq.
    pub fn undo_records(&self) -> Result<HashMap<u64, UndoRecord>, StateError> {
        self.undo_records_of(self.run_id())
    }

    /// Undo run `run`'s records, by row seq.
    pub fn undo_records_of(&self, run: i64) -> Result<HashMap<u64, UndoRecord>, StateError> {
        self.sql(|c| {
            let mut st =
                c.prepare("SELECT seq, phase, status, outcome FROM undo_rows WHERE run_id = ?1")?;
            let rows = st.query_map([run], |r| {
                Ok((
                    r.get::<_, i64>(0)? as u64,
                    UndoRecord {
                        phase: r.get(1)?,
                        status: r.get(2)?,
                        outcome: r.get(3)?,
                    },
                ))
            })?;
            rows.collect()
        })
    }

    /// Records (and makes durable) one contact's undo progress.
    pub fn record_undo_row(&mut self, seq: u64, rec: &UndoRecord) -> Result<(), StateError> {
        self.begin()?;
        let run = self.run_id();
        self.sql(|c| {
            c.prepare_cached(
                "INSERT OR REPLACE INTO undo_rows (run_id, seq, phase, status, outcome)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![run, seq as i64, rec.phase, rec.status, rec.outcome])
        })?;
        self.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_1_store_is_migrated_and_keeps_its_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.db");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(
                "CREATE TABLE runs (id INTEGER PRIMARY KEY, input_path TEXT NOT NULL,
                    input_fingerprint TEXT NOT NULL, mapping_fingerprint TEXT NOT NULL,
                    location TEXT NOT NULL, base_url TEXT NOT NULL, state TEXT NOT NULL,
                    pid INTEGER, started_at TEXT NOT NULL, updated_at TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 1, total_rows INTEGER);
                 CREATE TABLE rows (run_id INTEGER NOT NULL, seq INTEGER NOT NULL,
                    row INTEGER NOT NULL, status TEXT NOT NULL, contact_id TEXT,
                    location_id TEXT, email TEXT, phone TEXT,
                    tags_status TEXT NOT NULL DEFAULT '',
                    business_status TEXT NOT NULL DEFAULT '', errors TEXT NOT NULL DEFAULT '[]',
                    warnings TEXT NOT NULL DEFAULT '[]', keys TEXT, payload_hash TEXT,
                    tags_hash TEXT, business TEXT, PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
                 INSERT INTO runs VALUES (1, 'a.csv', 'f', 'm', 'L', 'u', 'done', NULL, 't', 't', 1, 1);
                 INSERT INTO rows (run_id, seq, row, status, contact_id, location_id)
                    VALUES (1, 0, 2, 'created', 'C1', 'L');
                 PRAGMA user_version = 1;",
            )
            .unwrap();
        }
        let s = Store::open(&path).unwrap();
        let rows = s.imported_rows(1).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].contact_id.as_deref(), Some("C1"));
        assert_eq!(rows[0].business_before, None, "unknown for a version-1 row");
        assert_eq!(s.runs().unwrap()[0].kind, "import");
        drop(s);
        // Opening again does not migrate twice.
        Store::open(&path).unwrap();
    }
}
