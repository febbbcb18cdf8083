//! The one read of the file before an import: it counts the rows, fingerprints the file for
//! the state store (SHA-256 of the bytes as they stream by), tallies the dates of every
//! column that may hold them, and, for an import, tallies each location's upserts, tags and
//! businesses with the import's own [`Preparer`], so the estimate and the bulk plan come
//! from the file's real tag sets rather than a guess. A dry run asks only for what it needs.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::sync::mpsc::{channel, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};

use sha2::{Digest, Sha256};

use super::changed::{GroupScan, Groups, RowChange, SentKeys};
use super::prepare::{Prepared, Preparer};
use super::run::{lacks_location, validation, RunConfig, RunError};
use crate::api::batch_window::Window;
use crate::api::calls::{BulkPlan, BulkTally, MAX_BUSINESS_BATCH, TRACKED_IN_ALL};
use crate::api::RateLimit;
use crate::input::{self, Format, Look, Reader, Record};
use crate::mapping::Mapper;
use crate::plan::{Estimate, LocationTally};
use crate::state::{store, Store};
use crate::validation::custom_fields::CustomFieldSet;
use crate::validation::date_order::DateScan;
use crate::validation::Validator;

/// What the pre-pass should find out. Dates are always tallied when the mapping has date
/// columns (the run needs their order).
#[derive(Debug, Clone, Copy, Default)]
pub struct Want {
    /// Rows, for the progress bar and the resume line.
    pub count: bool,
    /// The state store's fingerprint of the file.
    pub fingerprint: bool,
    /// Each location's upserts, tags and businesses (validates every row).
    pub tally: bool,
}

/// What the pre-pass found.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Records in the file (each gets one report line), when counted.
    pub rows: Option<u64>,
    pub fingerprint: Option<String>,
    pub dates: DateScan,
    /// With [`Want::tally`]: by location, what the import would send.
    pub tallies: BTreeMap<String, LocationTally>,
    /// With [`Want::tally`] and `--changed-only`: valid rows left out of the tallies because
    /// they send nothing new, by the state store as it is before the run.
    pub unchanged: u64,
    /// With [`Want::tally`] and `--changed-only`: the file's rows sharing a key, and the
    /// groups of them to send.
    pub groups: Groups,
}

impl Facts {
    /// The import's requests, from the tallies.
    pub fn estimate(&self, tag_batch: usize, rate: RateLimit) -> Estimate {
        Estimate::from_tallies(&self.tallies, tag_batch, rate)
    }

    /// Each location's tag grouping: the cheaper one for its rows.
    pub fn bulk_plan(&self, tag_batch: usize) -> BulkPlan {
        BulkPlan::from_tallies(self.tallies.iter().map(|(l, t)| (l, &t.bulk)), tag_batch)
    }
}

/// Reads the file once for what `want` asks (and its date columns).
pub fn prepass(cfg: &RunConfig, want: Want) -> Result<Facts, RunError> {
    let hash = Arc::new(Mutex::new(Hashed::default()));
    let mut rest: Option<File> = None;
    let mut reader = Reader::open_through(&cfg.input, &cfg.input_options, |f| {
        if !want.fingerprint {
            return Box::new(f);
        }
        rest = f.try_clone().ok();
        Box::new(Hashing {
            file: f,
            hash: hash.clone(),
        })
    })?;
    let mapper = Mapper::for_input(cfg.mapping.as_ref(), &reader)?;
    let validator = Validator::new(validation(cfg))?;
    // The default country's phone patterns compile on a thread of their own from here: a
    // tally needs them for its first phone, after the first chunk is read, and an import's
    // first request waits for the tally; a dry run validates rows after this read, which
    // also hides the full parser's database loading. Not for a small dry run, where the
    // thread's memory would show and the time not.
    let large = std::fs::metadata(&cfg.input).is_ok_and(|m| m.len() >= input::SPLIT_FROM_BYTES);
    if warms_up_phones(want, large, &mapper) {
        validator.warm_up_phones(!want.tally);
    }
    if want.tally && lacks_location(cfg, &mapper, &reader) {
        return Err(RunError::NoLocation);
    }
    let headers = reader.headers().map(<[String]>::to_vec).unwrap_or_default();
    let mut columns = mapper.date_candidates();
    if !columns.is_empty() {
        columns.extend(mapper.date_evidence_columns(&headers));
    }
    let matches_fields = cfg.api.is_some() && cfg.location.is_some();
    if matches_fields {
        // Columns the run may still match to the location's custom fields (after this read).
        columns.extend(
            mapper
                .candidates()
                .iter()
                .enumerate()
                .filter_map(|(i, c)| c.then_some(i)),
        );
    }
    let mut facts = Facts {
        dates: DateScan::new(&headers, reader.delimiter(), &columns),
        ..Facts::default()
    };
    if !(want.fingerprint || want.tally || facts.dates.watches()) {
        facts.rows = want.count.then(|| count_rows(cfg, reader)).flatten();
        return Ok(facts);
    }
    let reads_first = super::columns::reads_first(cfg, &mapper);
    let preparer = if want.tally {
        let declared = CustomFieldSet::declared(mapper.declared_custom_fields());
        Some(Preparer {
            declared,
            mapper,
            validator,
            default_location: cfg.location.clone(),
            require_location: true,
            keep_raw: false,
            headers: None,
        })
    } else {
        None
    };
    let workbook = reader.format() == Format::Xlsx;
    // `--changed-only` leaves out rows the store says send nothing new. A store in memory
    // (`--sandbox`) starts empty: every row is sent.
    let changed = match cfg.state.as_ref().filter(|s| want.tally && s.changed_only) {
        Some(sc) => match &sc.path {
            Some(p) => {
                let mut store = Store::open(p)?;
                // A killed run's logged upserts count, as they will when the import begins.
                store.fold_applied()?;
                Some(Changed {
                    store,
                    sent: SentKeys::default(),
                    scan: GroupScan::default(),
                })
            }
            None => None,
        },
        None => None,
    };
    let rows = match &preparer {
        Some(p) => tally_rows(&mut reader, &mut facts, p, window(cfg), changed),
        // Nothing hashed: the parts can be read at once, on every core.
        None => match (!want.fingerprint)
            .then(|| {
                let scan = facts.dates.clone();
                let see = |d: &mut DateScan, r: &Look| d.look(r);
                input::look_at_each_in_parts(
                    &reader,
                    &cfg.input,
                    &cfg.input_options,
                    scan.cells_read(),
                    scan,
                    see,
                )
            })
            .flatten()
        {
            Some((rows, parts)) => {
                let mut parts = parts.into_iter();
                if let Some(first) = parts.next() {
                    facts.dates = first;
                }
                for later in parts {
                    facts.dates.merge_later(later);
                }
                rows
            }
            None => {
                let cells = facts.dates.cells_read();
                reader.look_at_first(cells, |r| facts.dates.look(r))
            }
        },
    };
    drop(reader);
    facts.rows = Some(rows);
    if want.tally {
        reads_first.count_in(&mut facts.tallies);
    }
    if want.fingerprint {
        facts.fingerprint = match (workbook, rest) {
            // A workbook is read by seeking around in it: hashed on its own.
            (false, Some(rest)) => finish_hash(&hash, rest),
            _ => None,
        };
        if facts.fingerprint.is_none() {
            facts.fingerprint = Some(store::fingerprint_file(&cfg.input)?);
        }
    }
    Ok(facts)
}

/// Whether the pre-pass starts loading the phone metadata: only when rows may hold phones.
fn warms_up_phones(want: Want, large: bool, mapper: &Mapper) -> bool {
    (want.tally || large) && mapper.may_read_phones()
}

/// A resumed run does not upsert again the rows its earlier attempts upserted (their owed
/// bulk calls it still makes): the tallies leave them out, so the estimate is for this attempt.
pub fn leave_out_resumed(cfg: &RunConfig, facts: &mut Facts) -> Result<(), RunError> {
    let Some(sc) = cfg.state.as_ref().filter(|s| !s.restart) else {
        return Ok(());
    };
    let (Some(path), Some(fp)) = (&sc.path, &facts.fingerprint) else {
        return Ok(());
    };
    let opening = cfg.store_opening.as_deref();
    if !opening
        .and_then(|o| o.existed(path))
        .unwrap_or_else(|| path.exists())
    {
        return Ok(());
    }
    let id = super::run::run_identity(cfg, Some(fp.clone()))?;
    let upserted = match opening.and_then(|o| o.with(path, |s| s.upserted_by_unfinished(&id))) {
        Some(r) => r??,
        None => Store::open(path)?.upserted_by_unfinished(&id)?,
    };
    for (location, n) in upserted {
        if let Some(t) = facts.tallies.get_mut(&location) {
            t.bulk.upserts = t.bulk.upserts.saturating_sub(n);
        }
    }
    Ok(())
}

/// How the run's ledger batches: its bound on rows held for ordering, and the batch sizes.
pub(super) fn window(cfg: &RunConfig) -> Window {
    Window {
        rows: cfg.max_buffered_rows as u64,
        tag_batch: cfg.tag_batch_size.max(1) as u64,
        business_batch: cfg.business_batch_size.clamp(1, MAX_BUSINESS_BATCH) as u64,
    }
}

/// Records handed to a preparing thread at a time.
const CHUNK: usize = 512;
/// Chunks read but not yet tallied, per worker.
const CHUNKS_PER_WORKER: u64 = 4;

/// What the tally needs of a row the import would upsert.
struct Upsert {
    seq: u64,
    location: String,
    tags: Vec<String>,
    business: Option<String>,
    custom_fields: bool,
    /// With `--changed-only`.
    change: Option<RowChange>,
}

/// `--changed-only`: the store the import will compare rows with, and the keys sent so far.
struct Changed {
    store: Store,
    sent: SentKeys,
    scan: GroupScan,
}

fn upsert_of(preparer: &Preparer, record: &Record, changed_only: bool) -> Option<Upsert> {
    match preparer.prepare(record) {
        Prepared::Valid {
            seq,
            location: Some(location),
            valid,
            ..
        } => Some(Upsert {
            seq,
            change: changed_only.then(|| RowChange::of(&location, &valid)),
            location,
            custom_fields: !valid.contact.custom_fields.is_empty(),
            tags: valid.tags,
            business: valid.business_id,
        }),
        _ => None,
    }
}

/// Reads every record (its dates tallied here) while workers prepare the rows, as the
/// import's preparation does (validation is the costly part, and it uses every core); the
/// rows are tallied here in file order, as the ledger will batch them.
fn tally_rows(
    reader: &mut Reader,
    facts: &mut Facts,
    preparer: &Preparer,
    window: Window,
    changed: Option<Changed>,
) -> u64 {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4);
    let (work_tx, work_rx) = sync_channel::<(u64, Vec<Record>)>(workers * 2);
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = channel::<(u64, Vec<Option<Upsert>>)>();
    let changed_only = changed.is_some();
    let mut tally = InOrder {
        facts,
        window,
        changed,
        room: TRACKED_IN_ALL,
        waiting: BTreeMap::new(),
        next: 0,
    };
    let mut rows = 0u64;
    std::thread::scope(|s| {
        for _ in 0..workers {
            let (work_rx, done_tx) = (&work_rx, done_tx.clone());
            s.spawn(move || loop {
                // The lock is held only to take a chunk.
                let next = work_rx
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .recv();
                let Ok((idx, chunk)) = next else { return };
                let upserts = chunk
                    .iter()
                    .map(|r| upsert_of(preparer, r, changed_only))
                    .collect();
                if done_tx.send((idx, upserts)).is_err() {
                    return;
                }
            });
        }
        drop(done_tx);
        let mut sent = 0u64;
        loop {
            // Memory stays bounded: reading waits while chunks are out.
            while sent - tally.next >= CHUNKS_PER_WORKER * workers as u64 {
                match done_rx.recv() {
                    Ok(done) => tally.take(done),
                    Err(_) => return,
                }
            }
            let chunk: Vec<Record> = reader.by_ref().take(CHUNK).collect();
            if chunk.is_empty() {
                break;
            }
            rows += chunk.len() as u64;
            for record in &chunk {
                tally.facts.dates.see(&record.values);
            }
            if work_tx.send((sent, chunk)).is_err() {
                break;
            }
            sent += 1;
        }
        drop(work_tx);
        for done in done_rx.iter() {
            tally.take(done);
        }
    });
    if let Some(c) = tally.changed.take() {
        let (groups, resent) = c.scan.finish();
        // Rows first left out whose group turned out to have a changed row are sent too.
        for (location, n) in resent {
            facts.unchanged = facts.unchanged.saturating_sub(n);
            let t = facts
                .tallies
                .entry(location)
                .or_insert_with(|| LocationTally {
                    bulk: BulkTally::in_file_order(window),
                    custom_fields: false,
                });
            t.bulk.upserts += n;
        }
        facts.groups = groups;
    }
    for t in facts.tallies.values_mut() {
        t.bulk.end_of_input(rows.saturating_sub(1));
    }
    rows
}

/// Puts prepared chunks back in file order and tallies their rows.
struct InOrder<'a> {
    facts: &'a mut Facts,
    window: Window,
    changed: Option<Changed>,
    room: usize,
    waiting: BTreeMap<u64, Vec<Option<Upsert>>>,
    next: u64,
}

impl InOrder<'_> {
    fn take(&mut self, (idx, upserts): (u64, Vec<Option<Upsert>>)) {
        self.waiting.insert(idx, upserts);
        while let Some(chunk) = self.waiting.remove(&self.next) {
            self.next += 1;
            for u in chunk.into_iter().flatten() {
                // As the import decides it; a store that cannot be read counts the row as
                // sent (the import then stops, saying why).
                let sent = match (&mut self.changed, &u.change) {
                    (Some(c), Some(change)) => {
                        let nth = c.scan.nth(&u.location, change.keys());
                        let unchanged = c.sent.unchanged(&c.store, &u.location, change, nth);
                        let sent = !matches!(unchanged, Ok(Some(_)));
                        if sent {
                            c.sent.mark(change.keys());
                        }
                        c.scan.judged(change.keys(), sent);
                        sent
                    }
                    _ => true,
                };
                self.facts.unchanged += u64::from(!sent);
                // An unchanged row's custom fields are still checked (reading the
                // location's) before the import leaves it out.
                if !sent && !u.custom_fields {
                    continue;
                }
                let window = self.window;
                let t = self
                    .facts
                    .tallies
                    .entry(u.location)
                    .or_insert_with(|| LocationTally {
                        bulk: BulkTally::in_file_order(window),
                        custom_fields: false,
                    });
                if sent {
                    t.bulk
                        .add_row_at(u.seq, &u.tags, u.business.as_deref(), &mut self.room);
                }
                t.custom_fields |= u.custom_fields;
            }
        }
    }
}

#[derive(Default)]
struct Hashed {
    sha: Sha256,
    failed: bool,
}

/// The file as the reader reads it, every byte also fed to the hash.
struct Hashing {
    file: File,
    hash: Arc<Mutex<Hashed>>,
}

impl Read for Hashing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let r = self.file.read(buf);
        let mut h = self.hash.lock().unwrap_or_else(PoisonError::into_inner);
        match &r {
            Ok(n) => h.sha.update(&buf[..*n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => h.failed = true,
        }
        r
    }
}

/// Hashes whatever the reader left unread (it shares the file's offset), then the digest.
fn finish_hash(hash: &Mutex<Hashed>, mut rest: File) -> Option<String> {
    let mut h = hash.lock().unwrap_or_else(PoisonError::into_inner);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match rest.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => h.sha.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    (!h.failed).then(|| store::hex(&std::mem::take(&mut h.sha).finalize()))
}

/// Rows for a progress bar when nothing else needs them: the records the run will report,
/// counted as it reads them (a quoted line break is no row, UTF-16 is read as text), a
/// large CSV file on two cores. A workbook's declared size is taken without reading it.
fn count_rows(cfg: &RunConfig, mut reader: Reader) -> Option<u64> {
    if reader.format() == Format::Xlsx {
        return reader.rows_hint();
    }
    let parts =
        input::look_at_each_in_parts(&reader, &cfg.input, &cfg.input_options, 1, (), |_, _| {});
    match parts {
        Some((rows, _)) => Some(rows),
        None => Some(reader.count_rest()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::calls::TagGrouping;

    fn cfg(dir: &tempfile::TempDir, name: &str, content: &[u8]) -> RunConfig {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        RunConfig::new(path)
    }

    const ALL: Want = Want {
        count: true,
        fingerprint: true,
        tally: true,
    };

    #[test]
    fn the_fingerprint_taken_on_the_way_is_the_stores_own() {
        let dir = tempfile::tempdir().unwrap();
        // A BOM, quoted line breaks, blank lines at the end, and more than the sniffed prefix.
        let mut csv = b"\xEF\xBB\xBFEmail,Notes,Tags\n".to_vec();
        for i in 0..6_000 {
            csv.extend(format!("p{i}@example.com,\"two\nlines\",vip\n").as_bytes());
        }
        csv.extend(b"\n\n");
        let mut jsonl = Vec::new();
        for i in 0..3 {
            jsonl.extend(format!("{{\"email\":\"j{i}@example.com\"}}\n\n").as_bytes());
        }
        for (name, content, rows) in [("a.csv", csv, 6_000), ("b.jsonl", jsonl, 3)] {
            let mut cfg = cfg(&dir, name, &content);
            cfg.location = Some("L".into());
            let facts = prepass(&cfg, ALL).unwrap();
            assert_eq!(
                facts.fingerprint.unwrap(),
                store::fingerprint_file(&cfg.input).unwrap(),
                "{name}"
            );
            assert_eq!(facts.rows, Some(rows), "{name}");
        }
    }

    #[test]
    fn each_location_is_tallied_with_the_tags_and_business_the_import_sends() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = cfg(
            &dir,
            "agency.csv",
            b"Email,Phone Number,Tags,Location ID,businessId\n\
              a@example.com,,\"VIP, blog\",loc-a,biz1\n\
              b@example.com,,\"blog,vip\",loc-a,\n\
              not-an-email,,vip,loc-a,\n\
              c@example.com,,,,biz1\n\
              d@example.com,,trial,loc-b,\n",
        );
        c.location = Some("loc-default".into());
        c.validation.extra_tags = vec!["imported".into()];
        let facts = prepass(&c, ALL).unwrap();
        assert_eq!(facts.rows, Some(5));
        let a = &facts.tallies["loc-a"].bulk;
        assert_eq!(
            a.upserts, 2,
            "the row without an email or phone is not sent"
        );
        // Tags keep the first spelling of a tag, as the import sends them.
        assert_eq!(a.by_tag_set.len(), 2);
        assert_eq!(a.by_tag["imported"], 2);
        assert_eq!(a.by_business["biz1"], 1);
        assert_eq!(facts.tallies["loc-default"].bulk.upserts, 1);
        assert_eq!(facts.tallies["loc-b"].bulk.by_tag.len(), 2);
        let e = facts.estimate(100, "100/10s".parse().unwrap());
        assert_eq!((e.upserts, e.business_calls), (4, 2));
        assert!(!e.approximate);
        assert_eq!(
            facts.bulk_plan(100).grouping("loc-a"),
            facts.tallies["loc-a"].bulk.tag_calls(100).0
        );
    }

    #[test]
    fn varied_tag_sets_make_the_plan_group_per_tag() {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = String::from("Email,Tags\n");
        let tags = ["a", "b", "c", "d", "e"];
        for i in 0..200 {
            csv.push_str(&format!(
                "v{i}@example.com,\"{},{}\"\n",
                tags[i % 5],
                tags[(i / 5) % 5]
            ));
        }
        let mut c = cfg(&dir, "v.csv", csv.as_bytes());
        c.location = Some("L".into());
        let facts = prepass(&c, ALL).unwrap();
        let (grouping, calls) = facts.tallies["L"].bulk.tag_calls(100);
        assert_eq!((grouping, calls), (TagGrouping::PerTag, 5));
        assert_eq!(facts.bulk_plan(100).grouping("L"), TagGrouping::PerTag);
        assert_eq!(
            facts.estimate(100, "100/10s".parse().unwrap()).requests,
            205
        );
    }

    #[test]
    fn the_phone_patterns_compile_ahead_for_a_tally_of_rows_with_phones_only() {
        let with = Mapper::new(None, Some(&["Email".into(), "Mobile Phone".into()])).unwrap();
        let without = Mapper::new(None, Some(&["Email".into(), "First Name".into()])).unwrap();
        let tally = Want {
            tally: true,
            ..Want::default()
        };
        // An import's first request waits for the tally, which waits for the patterns.
        assert!(warms_up_phones(tally, false, &with));
        assert!(!warms_up_phones(tally, true, &without));
        // A dry run of a small file validates its rows soon enough.
        assert!(!warms_up_phones(Want::default(), false, &with));
        assert!(warms_up_phones(Want::default(), true, &with));
    }

    #[test]
    fn an_import_with_nowhere_to_send_its_rows_is_refused_before_they_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let c = cfg(
            &dir,
            "n.csv",
            b"Email,Tags
x@example.com,vip
",
        );
        assert!(matches!(prepass(&c, ALL), Err(RunError::NoLocation)));
        // A dry run needs no location.
        assert!(prepass(&c, Want::default()).is_ok());
    }

    /// The pre-pass as a dry run makes it (a large file read in parts) and as an import does
    /// (hashing reads the file in one go) agree on the rows and the date hints under
    /// `headers`' mapping: the rows and the parts' hints.
    fn in_parts_as_in_one_read(
        c: &RunConfig,
        headers: &[&str],
    ) -> (
        Option<u64>,
        crate::validation::date_order::ColumnHints,
        Vec<String>,
    ) {
        let parts = prepass(c, Want::default()).unwrap();
        let whole = prepass(
            c,
            Want {
                fingerprint: true,
                ..Want::default()
            },
        )
        .unwrap();
        assert_eq!(parts.rows, whole.rows);
        let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
        let mapper = Mapper::new(None, Some(&headers)).unwrap();
        let (h, notes) = parts.dates.hints(&mapper);
        assert_eq!((h.clone(), notes.clone()), whole.dates.hints(&mapper));
        (parts.rows, h, notes)
    }

    #[test]
    fn a_large_file_read_in_halves_infers_what_one_read_infers() {
        let dir = tempfile::tempdir().unwrap();
        // Day-first evidence only in the second half; month-first in both; quoted lines.
        let mut csv = String::from("Email,Notes,Date of Birth,Anniversary\n");
        let mut i = 0;
        while csv.len() < 10 << 20 {
            let late = csv.len() > 6 << 20;
            let (dob, ann) = match i % 7 {
                0 if late => ("31/12/1990", "12/31/1990"),
                1 => ("03/04/1985", "05/06/1970"),
                2 if late => ("", "13/01/2001"),
                3 => ("", "01/13/2001"),
                _ => ("1990-01-01", ""),
            };
            csv.push_str(&format!("p{i}@example.com,\"a\nb\",{dob},{ann}\n"));
            i += 1;
        }
        let c = cfg(&dir, "halves.csv", csv.as_bytes());
        let headers = ["Email", "Notes", "Date of Birth", "Anniversary"];
        let (_, h, notes) = in_parts_as_in_one_read(&c, &headers);
        assert_eq!(
            h.get("Date of Birth"),
            Some(crate::validation::dates::DateOrder::DayFirst)
        );
        assert!(
            notes.iter().any(|n| n.contains("\"31/12/1990\"")),
            "{notes:?}"
        );
    }

    #[test]
    fn a_large_file_with_letters_past_ascii_from_its_first_row_infers_what_one_read_infers() {
        let dir = tempfile::tempdir().unwrap();
        // As the bench's messy export starts: CJK and accented letters on the first rows.
        let mut csv = String::from("First Name,Last Name,Email,City,Date of Birth\n");
        let mut i = 0;
        while csv.len() < 9 << 20 {
            let dob = match i % 5 {
                0 => "03/04/1985",
                1 if csv.len() > 5 << 20 => "12/31/1990",
                2 => "",
                _ => "1985-04-12",
            };
            csv.push_str(&format!(
                "\u{674e},M\u{fc}ller-{i},p{i}@example.com,\"S\u{e3}o Paulo, SP\",{dob}\n"
            ));
            i += 1;
        }
        let c = cfg(&dir, "messy.csv", csv.as_bytes());
        let reader = Reader::open(&c.input, &c.input_options).unwrap();
        let see = |n: &mut u64, _: &Look| *n += 1;
        let (_, parts) =
            input::look_at_each_in_parts(&reader, &c.input, &c.input_options, 5, 0, see).unwrap();
        assert!(parts.len() > 2, "read in {} parts", parts.len());
        let headers = ["First Name", "Last Name", "Email", "City", "Date of Birth"];
        let (rows, h, notes) = in_parts_as_in_one_read(&c, &headers);
        assert_eq!(rows, Some(i));
        assert_eq!(
            h.get("Date of Birth"),
            Some(crate::validation::dates::DateOrder::MonthFirst)
        );
        assert!(
            notes.iter().any(|n| n.contains("\"12/31/1990\"")),
            "{notes:?}"
        );
    }

    #[test]
    fn a_dry_run_reads_only_for_its_date_columns() {
        let dir = tempfile::tempdir().unwrap();
        let c = cfg(
            &dir,
            "d.csv",
            b"Email,Date of Birth\nx@example.com,31/12/1990\ny@example.com,03/04/1985\n",
        );
        let facts = prepass(&c, Want::default()).unwrap();
        assert_eq!((facts.rows, facts.fingerprint.as_deref()), (Some(2), None));
        assert!(facts.tallies.is_empty());
        let mapper = Mapper::new(None, Some(&["Email".into(), "Date of Birth".into()])).unwrap();
        let (hints, notes) = facts.dates.hints(&mapper);
        assert_eq!(
            hints.get("Date of Birth"),
            Some(crate::validation::dates::DateOrder::DayFirst)
        );
        assert_eq!(notes.len(), 1);
        // No date column: nothing is read, and nothing counted unless asked.
        let c = cfg(&dir, "e.csv", b"Email\nx@example.com\n");
        assert_eq!(prepass(&c, Want::default()).unwrap().rows, None);
        let count = Want {
            count: true,
            ..Want::default()
        };
        assert_eq!(prepass(&c, count).unwrap().rows, Some(1));
    }

    #[test]
    fn a_json_file_counts_one_row_per_object_however_it_is_laid_out() {
        let dir = tempfile::tempdir().unwrap();
        let count = Want {
            count: true,
            ..Want::default()
        };
        let pretty = "[\n  {\n    \"email\": \"ann@example.com\",\n    \"firstName\": \"Ann\"\n  },\n  {\n    \"email\": \"bob@example.com\"\n  }\n]\n";
        let objects =
            "{\n  \"email\": \"ann@example.com\"\n}\n{\n  \"email\": \"bob@example.com\"\n}\n";
        let lines = "{\"email\":\"ann@example.com\"}\n{\"email\":\"bob@example.com\"}\n";
        for (name, text) in [
            ("contacts.json", pretty),
            ("contacts.json", objects),
            ("contacts.json", lines),
            ("contacts.jsonl", lines),
        ] {
            let c = cfg(&dir, name, text.as_bytes());
            assert_eq!(prepass(&c, count).unwrap().rows, Some(2), "{name}: {text}");
        }
    }

    #[test]
    fn the_row_count_is_the_records_the_run_reports_not_the_line_breaks() {
        let dir = tempfile::tempdir().unwrap();
        let count = Want {
            count: true,
            ..Want::default()
        };
        let utf16le = |text: &str| {
            let mut out = vec![0xFF, 0xFE];
            out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            out
        };
        // Notes across lines (Salesforce's MailingStreet), blank lines, no final line break.
        let notes = "Email,Mailing Street,Notes\nann@example.com,\"12 Main St\nSuite 4\",\"met at\n\nthe fair\"\n\n\nbob@example.com,1 Elm St,\r\ncy@example.com,,";
        // 'Ċ' (U+010A) and 'ਊ' (U+0A0A) hold the byte of a line feed in UTF-16.
        let names = "Email,First Name\r\nann@example.com,Ċeċilja\r\nbob@example.com,ਊ\r\n";
        let title = "Contacts report\n\nEmail\nann@example.com\n";
        for (name, bytes, skip, rows) in [
            ("notes.csv", notes.as_bytes().to_vec(), 0, 3),
            ("names.csv", utf16le(names), 0, 2),
            ("report.csv", title.as_bytes().to_vec(), 2, 1),
            (
                "c.jsonl",
                utf16le("{\"email\":\"Ċ@example.com\"}\n\n{\"email\":\"b@example.com\"}\n"),
                0,
                2,
            ),
        ] {
            let mut c = cfg(&dir, name, &bytes);
            c.input_options.skip_lines = skip;
            let read = Reader::open(&c.input, &c.input_options).unwrap().count();
            assert_eq!(read, rows, "{name}");
            assert_eq!(
                prepass(&c, count).unwrap().rows,
                Some(rows as u64),
                "{name}"
            );
        }
    }
}
