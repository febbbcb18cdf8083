//! `ghl-import plan`: what an import of the file would do, read from the location's existing
//! contacts, without writing anything. Rows go through the import's own pipeline (the same
//! [`Preparer`](crate::pipeline::Preparer) and custom field checks, so `invalid` means the
//! same), then [`classify::Index::judge`] decides each valid row with [`classify::classify`],
//! the function the import also calls on every upsert answer (its fidelity check).

pub mod classify;
pub mod listing;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;

pub use crate::compare::{
    classify, diff_row, diff_sent, Against, FieldDiff, Match, MatchOrder, RemoteContact, Verdict,
};
pub use classify::Index;

use crate::api::batch_window::Window;
use crate::api::calls::{BulkTally, TRACKED_IN_ALL};
use crate::api::{ApiError, Client, RateLimit};
use crate::contact::ValidRow;
use crate::event::RowStatus;

/// How `plan` runs; carried by [`Mode::Plan`](crate::pipeline::Mode).
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    pub match_order: MatchOrder,
    /// Estimate for an import with `--changed-only`: `unchanged` rows are not sent.
    pub changed_only: bool,
}

/// The import's requests and time, from the plan's statuses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Estimate {
    /// Existing contacts read, all locations.
    pub contacts_read: u64,
    pub upserts: u64,
    /// `POST /contacts/bulk/tags/update/add`: per tag set or per tag, whichever is fewer
    /// ([`BulkTally::tag_calls`]), `--tag-batch-size` rows a call.
    pub tag_calls: u64,
    /// `POST /contacts/bulk/business`, one per business per 50 rows.
    pub business_calls: u64,
    /// `GET /locations/{id}/customFields`, once per location whose rows have custom fields.
    pub custom_field_reads: u64,
    pub requests: u64,
    pub changed_only: bool,
    pub rate: String,
    /// The location with the most requests, and its time at the quota: locations run in
    /// parallel, so it sets the import's length.
    pub busiest_location: Option<String>,
    pub busiest_requests: u64,
    pub seconds_at_quota: f64,
    /// Too many distinct tags, tag sets or businesses to keep apart: the bulk calls are an
    /// upper bound.
    pub approximate: bool,
}

/// What one location's import sends, as the import's pre-pass or `plan` counts it.
#[derive(Debug, Clone, Default)]
pub struct LocationTally {
    pub bulk: BulkTally,
    /// The location's custom fields are read (once) before its first row.
    pub custom_fields: bool,
}

/// The custom field reads an import makes before a location's first row whatever its rows
/// hold; the import's pre-pass and `plan` add them with [`ReadsFirst::count_in`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadsFirst {
    /// `--location`, whose fields are read to match columns no contact field takes.
    pub column_match: Option<String>,
    /// Per-location credentials: every location's fields are read, as the check that its
    /// token works.
    pub preflight: bool,
}

impl ReadsFirst {
    pub fn count_in(&self, tallies: &mut BTreeMap<String, LocationTally>) {
        if let Some(l) = &self.column_match {
            tallies.entry(l.clone()).or_default().custom_fields = true;
        }
        if self.preflight {
            for t in tallies.values_mut() {
                t.custom_fields = true;
            }
        }
    }
}

impl Estimate {
    /// The requests for these locations' tallies: one count for the import's estimate and
    /// `plan`'s.
    pub fn from_tallies<'a>(
        tallies: impl IntoIterator<Item = (&'a String, &'a LocationTally)>,
        tag_batch: usize,
        rate: RateLimit,
    ) -> Estimate {
        let mut e = Estimate {
            rate: rate.to_string(),
            ..Estimate::default()
        };
        let mut busiest: Option<(&String, u64)> = None;
        for (loc, t) in tallies {
            let tags = t.bulk.tag_calls(tag_batch).1;
            let business = t.bulk.business_calls();
            let fields = u64::from(t.custom_fields);
            let total = t.bulk.upserts + tags + business + fields;
            e.upserts += t.bulk.upserts;
            e.tag_calls += tags;
            e.business_calls += business;
            e.custom_field_reads += fields;
            e.requests += total;
            e.approximate |= t.bulk.approximate();
            if busiest.is_none_or(|(l, n)| total > n || (total == n && loc < l)) {
                busiest = Some((loc, total));
            }
        }
        if let Some((loc, n)) = busiest {
            e.busiest_location = Some(loc.clone());
            e.busiest_requests = n;
            e.seconds_at_quota = rate.spacing().as_secs_f64() * n as f64;
        }
        e
    }

    /// "12 upserts, 3 bulk tag calls …", for the lines that print an estimate.
    pub fn parts(&self) -> String {
        let mut parts = vec![format!("{} upserts", self.upserts)];
        if self.tag_calls > 0 {
            parts.push(format!("{} bulk tag calls", self.tag_calls));
        }
        if self.business_calls > 0 {
            parts.push(format!("{} business calls", self.business_calls));
        }
        if self.custom_field_reads > 0 {
            parts.push(format!("{} custom field reads", self.custom_field_reads));
        }
        if self.approximate {
            parts.push(
                "bulk calls at most: too many distinct tags or businesses to count exactly".into(),
            );
        }
        parts.join(", ")
    }

    /// The lines the summary prints.
    pub fn render(&self) -> String {
        format!(
            "  existing contacts read: {}\n  the import would make about {} requests ({}){}; at {} per location that takes about {}{}\n",
            self.contacts_read,
            self.requests,
            self.parts(),
            if self.changed_only {
                ", with --changed-only"
            } else {
                ", counting unchanged rows (the import sends them unless --changed-only)"
            },
            self.rate,
            human_duration(self.seconds_at_quota),
            match &self.busiest_location {
                Some(l) => format!(" (location {l}: {} requests)", self.busiest_requests),
                None => String::new(),
            }
        )
    }
}

/// A time estimate as people say it: seconds under two minutes (where a minute either way is
/// most of it), then minutes, then hours and minutes, each rounded to the nearest.
pub fn human_duration(seconds: f64) -> String {
    let s = if seconds.is_finite() {
        seconds.max(0.0).round() as u64
    } else {
        0
    };
    match s {
        0..=119 => format!("{s} s"),
        120..=3569 => format!("{} min", (s + 30) / 60),
        _ => {
            let m = (s + 30) / 60;
            format!("{}h {:02}m", m / 60, m % 60)
        }
    }
}

/// `plan`'s state over a run: each location's contacts (read on its first row) with the
/// file's rows applied so far, and the tally for the estimate.
pub struct Planner {
    client: Arc<Client>,
    options: PlanOptions,
    rate: RateLimit,
    /// As the import's ledger batches: the estimate counts its calls the same way.
    window: Window,
    /// A failed listing is kept, so the location's other rows do not read it again.
    locations: HashMap<String, Result<Index, ApiError>>,
    tally: BTreeMap<String, LocationTally>,
    reads_first: ReadsFirst,
    /// Distinct tags, tag sets and businesses the tallies may still keep apart.
    room: usize,
    last_seq: u64,
    contacts_read: u64,
}

impl Planner {
    pub fn new(
        client: Arc<Client>,
        options: PlanOptions,
        rate: RateLimit,
        window: Window,
        reads_first: ReadsFirst,
    ) -> Self {
        Planner {
            client,
            options,
            rate,
            window,
            locations: HashMap::new(),
            tally: BTreeMap::new(),
            reads_first,
            room: TRACKED_IN_ALL,
            last_seq: 0,
            contacts_read: 0,
        }
    }

    /// Judges a valid row of `location` (`seq` in the file, row number `row` in the
    /// report). `Err`: the location's contacts could not be read.
    pub async fn judge(
        &mut self,
        location: &str,
        valid: &ValidRow,
        seq: u64,
        row: u64,
    ) -> Result<Verdict, ApiError> {
        self.last_seq = self.last_seq.max(seq);
        use std::collections::hash_map::Entry;
        let index = match self.locations.entry(location.to_owned()) {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => {
                let listed = listing::list_contacts(&self.client, location).await;
                if let Ok(c) = &listed {
                    self.contacts_read += c.len() as u64;
                }
                v.insert(listed.map(Index::new))
            }
        };
        let index = match index {
            Ok(index) => index,
            Err(e) => return Err(e.clone()),
        };
        let v = index.judge(valid, row, self.options.match_order);
        let sent = match v.status {
            RowStatus::Unchanged => !self.options.changed_only,
            RowStatus::Create | RowStatus::Update | RowStatus::Conflict => true,
            _ => false,
        };
        // The import checks a row's custom fields (reading the location's) before it
        // decides whether the row is unchanged.
        let fields = !valid.contact.custom_fields.is_empty();
        if sent || fields {
            let window = self.window;
            let t = self
                .tally
                .entry(location.to_owned())
                .or_insert_with(|| LocationTally {
                    bulk: BulkTally::in_file_order(window),
                    custom_fields: false,
                });
            if sent {
                let (tags, business) = (&valid.tags, valid.business_id.as_deref());
                t.bulk.add_row_at(seq, tags, business, &mut self.room);
            }
            t.custom_fields |= fields;
        }
        Ok(v)
    }

    pub fn estimate(&self) -> Estimate {
        let mut tally = self.tally.clone();
        for t in tally.values_mut() {
            t.bulk.end_of_input(self.last_seq);
        }
        self.reads_first.count_in(&mut tally);
        let batch = self.window.tag_batch as usize;
        Estimate {
            contacts_read: self.contacts_read,
            changed_only: self.options.changed_only,
            ..Estimate::from_tallies(&tally, batch, self.rate)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rounded_to_the_nearest_and_said_in_seconds_under_two_minutes() {
        let said: Vec<String> = [
            0.4, 4.0, 59.6, 95.0, 119.4, 119.6, 130.0, 149.0, 151.0, 3569.0, 3570.0, 3929.0, 7199.0,
        ]
        .into_iter()
        .map(human_duration)
        .collect();
        assert_eq!(
            said,
            [
                "0 s", "4 s", "60 s", "95 s", "119 s", "2 min", "2 min", "2 min", "3 min",
                "59 min", "1h 00m", "1h 05m", "2h 00m"
            ]
        );
    }

    #[test]
    fn estimate_counts_batches_per_tag_set_and_business() {
        let client = Arc::new(
            Client::new(
                crate::api::ClientConfig::new(
                    "http://127.0.0.1:1",
                    crate::api::Token::new("t").unwrap(),
                ),
                Arc::default(),
                None,
            )
            .unwrap(),
        );
        let rate: RateLimit = "100/10s".parse().unwrap();
        let window = Window {
            rows: 4_096,
            tag_batch: 100,
            business_batch: 50,
        };
        let mut p = Planner::new(
            client,
            PlanOptions::default(),
            rate,
            window,
            ReadsFirst::default(),
        );
        let mut t = LocationTally::default();
        for i in 0..250 {
            let tags: Vec<String> = if i < 150 {
                vec!["a".into()]
            } else {
                vec!["b".into(), "a".into()]
            };
            t.bulk.add_row(&tags, (i < 51).then_some("biz"));
        }
        p.tally.insert("L".into(), t);
        let mut m = LocationTally::default();
        for _ in 0..3 {
            m.bulk.add_row(&[], None);
        }
        p.tally.insert("M".into(), m);
        let e = p.estimate();
        assert_eq!((e.upserts, e.tag_calls, e.business_calls), (253, 3, 2));
        assert_eq!(e.requests, 258);
        assert_eq!(e.busiest_location.as_deref(), Some("L"));
        assert_eq!(e.busiest_requests, 255);
        // 100 per 10 s, with the limiter's 1% margin.
        assert!((e.seconds_at_quota - 255.0 * 0.101).abs() < 0.01, "{e:?}");
    }
}
