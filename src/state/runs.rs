//! The runs a state store holds, for `ghl-import runs` and `runs show`.

use rusqlite::{params, OptionalExtension};

use super::store::{RunIdentity, StateError, Store};
use crate::event::RowOutcome;

/// One run as `runs` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    pub id: i64,
    /// `import` or `undo`.
    pub kind: String,
    /// The input file, or `undo of run N`.
    pub input_path: String,
    /// The run's `--location` (rows may name others: see `locations`).
    pub location: String,
    pub base_url: String,
    /// running | stopped | done | abandoned
    pub state: String,
    pub started_at: String,
    pub updated_at: String,
    pub attempts: i64,
    pub total_rows: Option<i64>,
    pub snapshot: bool,
    /// The run an undo run takes back.
    pub undoes: Option<i64>,
    /// The process running it (while `running`).
    pub pid: Option<i64>,
    /// Locations its rows went to.
    pub locations: Vec<String>,
    /// Rows (undo: contacts) by status, most first.
    pub counts: Vec<(String, i64)>,
    /// The later complete run of the same file and location that replaced this run's rows;
    /// only the rows undo needs are kept.
    pub replaced_by: Option<i64>,
}

impl RunInfo {
    pub fn finished(&self) -> bool {
        self.state == "done"
    }

    /// A live process is running it right now.
    pub fn in_progress(&self) -> bool {
        self.state == "running" && self.pid.is_some_and(super::store::process_alive)
    }
}

impl Store {
    /// Rows the unfinished run of this import (the one its next attempt resumes) upserted, by
    /// location: the resumed run does not send them again (their owed bulk calls it does).
    pub fn upserted_by_unfinished(
        &self,
        id: &RunIdentity,
    ) -> Result<Vec<(String, u64)>, StateError> {
        self.sql(|c| {
            let mut st = c.prepare(
                "SELECT location_id, count(*) FROM rows
                 WHERE run_id = (SELECT id FROM runs
                       WHERE input_fingerprint = ?1 AND mapping_fingerprint = ?2
                         AND location = ?3 AND base_url = ?4 AND state IN ('running', 'stopped')
                       ORDER BY id DESC LIMIT 1)
                   AND contact_id IS NOT NULL AND location_id IS NOT NULL
                   AND status IN ('created', 'updated', 'unchanged')
                 GROUP BY location_id",
            )?;
            let rows = st.query_map(
                params![
                    id.input_fingerprint,
                    id.mapping_fingerprint,
                    id.location,
                    id.base_url
                ],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)),
            )?;
            rows.collect()
        })
    }

    /// Every run, oldest first.
    pub fn runs(&self) -> Result<Vec<RunInfo>, StateError> {
        let ids: Vec<i64> = self.sql(|c| {
            let mut st = c.prepare("SELECT id FROM runs ORDER BY id")?;
            let ids = st.query_map([], |r| r.get(0))?;
            ids.collect()
        })?;
        let mut out = Vec::new();
        for id in ids {
            out.extend(self.run_info(id)?);
        }
        Ok(out)
    }

    pub fn run_info(&self, id: i64) -> Result<Option<RunInfo>, StateError> {
        let info = self.sql(|c| {
            c.query_row(
                "SELECT id, kind, input_path, location, base_url, state, started_at, updated_at,
                        attempts, total_rows, snapshot, undoes, pid
                 FROM runs WHERE id = ?1",
                [id],
                |r| {
                    Ok(RunInfo {
                        id: r.get(0)?,
                        kind: r.get(1)?,
                        input_path: r.get(2)?,
                        location: r.get(3)?,
                        base_url: r.get(4)?,
                        state: r.get(5)?,
                        started_at: r.get(6)?,
                        updated_at: r.get(7)?,
                        attempts: r.get(8)?,
                        total_rows: r.get(9)?,
                        snapshot: r.get::<_, i64>(10)? != 0,
                        undoes: r.get(11)?,
                        pid: r.get(12)?,
                        locations: Vec::new(),
                        counts: Vec::new(),
                        replaced_by: None,
                    })
                },
            )
            .optional()
        })?;
        let Some(mut info) = info else {
            return Ok(None);
        };
        let table = if info.kind == "undo" {
            "undo_rows"
        } else {
            "rows"
        };
        info.counts = self.sql(|c| {
            let mut st = c.prepare(&format!(
                "SELECT status, count(*) FROM {table} WHERE run_id = ?1
                 GROUP BY status ORDER BY count(*) DESC, status"
            ))?;
            let rows = st.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })?;
        if info.kind == "import" && matches!(info.state.as_str(), "done" | "abandoned") {
            info.replaced_by = self.sql(|c| {
                c.query_row(
                    "SELECT min(later.id) FROM runs later, runs cur
                     WHERE cur.id = ?1 AND later.id > cur.id AND later.kind = 'import'
                       AND later.state = 'done' AND later.input_path = cur.input_path
                       AND later.location = cur.location",
                    [id],
                    |r| r.get(0),
                )
            })?;
        }
        let locations_of = if info.kind == "undo" {
            info.undoes.unwrap_or(id)
        } else {
            id
        };
        info.locations = self.sql(|c| {
            let mut st = c.prepare(
                "SELECT DISTINCT location_id FROM rows WHERE run_id = ?1
                 AND location_id IS NOT NULL ORDER BY location_id",
            )?;
            let rows = st.query_map(params![locations_of], |r| r.get(0))?;
            rows.collect()
        })?;
        if info.locations.is_empty() && !info.location.is_empty() {
            info.locations.push(info.location.clone());
        }
        Ok(Some(info))
    }

    /// An import run's rows as its report told them (without `plan`'s `changes`, which are
    /// not stored), in input order.
    pub fn run_outcomes(&self, run: i64) -> Result<Vec<RowOutcome>, StateError> {
        let seqs: Vec<i64> = self.sql(|c| {
            let mut st = c.prepare("SELECT seq FROM rows WHERE run_id = ?1 ORDER BY seq")?;
            let rows = st.query_map([run], |r| r.get(0))?;
            rows.collect()
        })?;
        let mut out = Vec::with_capacity(seqs.len());
        for seq in seqs {
            if let Some(p) = self.prior_of(run, seq as u64)? {
                out.push(p.outcome);
            }
        }
        Ok(out)
    }
}
