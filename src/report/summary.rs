use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::EventSink;
use crate::api::StatsSnapshot;
use crate::event::{is_shared_note, Event, RowStatus, StepStatus};

/// The run in numbers: printed on stderr at the end and written by `--summary-json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Summary {
    pub input: String,
    /// How the input was read: format, delimiter and encoding (from `Event::Started`).
    pub format: String,
    /// The input's encoding when it was settled after the run started, at its first
    /// non-ASCII bytes (already said in `format`); for the rejects file's BOM.
    #[serde(skip)]
    pub late_encoding: Option<String>,
    pub report: Option<String>,
    pub dry_run: bool,
    pub rows: u64,
    /// Rows by final status (`created`, `updated`, `invalid`, …).
    pub by_status: super::StatusCounts,
    pub tags_failed: u64,
    pub business_failed: u64,
    /// Requests sent by endpoint, retries included.
    pub requests: BTreeMap<String, u64>,
    pub requests_total: u64,
    /// An import: the requests estimated before the first one, from the file's tag sets,
    /// businesses and locations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_requests: Option<u64>,
    /// 429 responses received.
    pub throttled: u64,
    pub retries: u64,
    /// Requests per second per location over the run, against its quota, and the daily
    /// budget the server last reported.
    pub series: Vec<crate::api::LocationSeries>,
    pub elapsed_secs: f64,
    pub rows_per_sec: f64,
    /// Why the run stopped before the end of the input, if it did.
    pub stopped: Option<String>,
    /// The first row reported `deferred`, where a later run picks up.
    pub first_deferred_row: Option<u64>,
    pub exit_code: i32,
    /// `plan`: what the import would send and how long it would take.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimate: Option<crate::plan::Estimate>,
    /// Cells left out, and what the run inferred about its columns (boxed: a summary travels
    /// in an event, which should stay small).
    #[serde(flatten)]
    pub columns: Box<ColumnReport>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ColumnReport {
    /// Rows sent (or, in a dry run, valid) with cells left out of the body.
    pub rows_with_cells_left_out: u64,
    /// Those rows by the column of a cell left out (a row counts once per column).
    pub left_out_by_column: BTreeMap<String, u64>,
    /// Rows sent (or, in a dry run, valid) that share an email or phone with an earlier row
    /// naming someone else: HighLevel merges them into one contact.
    pub rows_sharing_a_key: u64,
    /// Day/month orders inferred, columns matched to the location's custom fields.
    pub mapping_notes: Vec<String>,
    /// The preset used and the columns not imported: said when the run starts, kept here for
    /// a run nobody watched (`--quiet` from cron).
    pub column_notices: Vec<String>,
}

impl Summary {
    pub fn count(&self, s: RowStatus) -> u64 {
        self.by_status.get(s).unwrap_or(0)
    }

    /// The summary as one JSON object with `"message":"summary"`, for `--log-format json`.
    pub fn to_log_line(&self) -> String {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(m) = v.as_object_mut() {
            m.insert("message".into(), "summary".into());
        }
        v.to_string()
    }

    /// The few lines a person reads at the end of a run.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let format = if self.format.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.format)
        };
        let _ = writeln!(
            out,
            "{}{} rows from {}{format} in {:.1} s ({:.1} rows/s)",
            if self.estimate.is_some() {
                "plan: "
            } else if self.dry_run {
                "dry run: "
            } else {
                ""
            },
            self.rows,
            self.input,
            self.elapsed_secs,
            self.rows_per_sec
        );
        let statuses: Vec<String> = self
            .by_status
            .iter()
            .map(|(s, n)| format!("{} {n}", s.as_str()))
            .collect();
        if !statuses.is_empty() {
            let _ = writeln!(out, "  rows: {}", statuses.join(", "));
        }
        let c = &self.columns;
        if c.rows_with_cells_left_out > 0 {
            let mut by: Vec<(&String, &u64)> = c.left_out_by_column.iter().collect();
            by.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let by: Vec<String> = by.iter().map(|(c, n)| format!("'{c}' {n}")).collect();
            let _ = writeln!(
                out,
                "  rows {} with cells left out: {} (by column: {}); the report's warnings name each cell",
                if self.dry_run || self.estimate.is_some() { "that would be sent" } else { "sent" },
                c.rows_with_cells_left_out,
                by.join(", ")
            );
        }
        if c.rows_sharing_a_key > 0 {
            let _ = writeln!(
                out,
                "  rows {} that share an email or phone with an earlier row naming someone else: {} (HighLevel merges each into that row's contact); the report's warnings name both rows",
                if self.dry_run || self.estimate.is_some() { "that would be sent" } else { "sent" },
                c.rows_sharing_a_key
            );
        }
        for note in &c.mapping_notes {
            let _ = writeln!(out, "  {note}");
        }
        if self.tags_failed + self.business_failed > 0 {
            let _ = writeln!(
                out,
                "  follow-up calls failed for {} rows' tags and {} rows' business",
                self.tags_failed, self.business_failed
            );
        }
        if !self.dry_run || self.estimate.is_some() {
            let reqs: Vec<String> = self
                .requests
                .iter()
                .map(|(k, v)| format!("{v} {k}"))
                .collect();
            let _ = writeln!(
                out,
                "  requests: {} ({}); 429s: {}; retries: {}{}",
                self.requests_total,
                if reqs.is_empty() {
                    "none".to_owned()
                } else {
                    reqs.join(", ")
                },
                self.throttled,
                self.retries,
                self.estimated_requests
                    .map_or_else(String::new, |e| format!(
                        "; estimated before the run: about {e}"
                    )),
            );
        }
        if let Some(e) = &self.estimate {
            out.push_str(&e.render());
        }
        if let Some(r) = &self.report {
            let _ = writeln!(out, "  report: {r}");
        }
        if let Some(s) = &self.stopped {
            let _ = writeln!(out, "  stopped early: {s}");
        }
        if let Some(row) = self.first_deferred_row {
            let _ = writeln!(
                out,
                "  {} rows deferred (from row {row} on): run the same command again{} to send them; rows already imported are matched by email or phone and updated, not duplicated",
                self.count(RowStatus::Deferred),
                if self.exit_code == 3 { " after the daily limit resets" } else { "" }
            );
        }
        out
    }
}

/// Counts rows as they are reported.
#[derive(Debug, Default)]
pub struct SummaryBuilder {
    summary: Summary,
}

impl SummaryBuilder {
    pub fn new(input: String, report: Option<String>, dry_run: bool) -> Self {
        SummaryBuilder {
            summary: Summary {
                input,
                report,
                dry_run,
                ..Summary::default()
            },
        }
    }

    pub fn finish(
        mut self,
        stats: StatsSnapshot,
        elapsed: Duration,
        stopped: Option<String>,
    ) -> Summary {
        let s = &mut self.summary;
        s.requests_total = stats.total_requests();
        s.requests = stats.requests.into_iter().collect();
        s.throttled = stats.throttled;
        s.retries = stats.retries;
        s.series = stats.series;
        s.elapsed_secs = elapsed.as_secs_f64();
        s.rows_per_sec = if s.elapsed_secs > 0.0 {
            s.rows as f64 / s.elapsed_secs
        } else {
            0.0
        };
        s.stopped = stopped;
        self.summary
    }
}

impl EventSink for SummaryBuilder {
    fn on_event(&mut self, event: &Event) -> std::io::Result<()> {
        if let Event::Started { format, .. } = event {
            self.summary.format.clone_from(format);
        }
        if let Event::Row(o) = event {
            let s = &mut self.summary;
            s.rows += 1;
            s.by_status.add(o.status);
            if o.status == RowStatus::Deferred {
                s.first_deferred_row.get_or_insert(o.row);
            }
            if !o.status.is_problem() && o.status != RowStatus::Deferred {
                count_left_out(&mut s.columns, &o.warnings);
                let shares = o.warnings.iter().any(|w| is_shared_note(w));
                s.columns.rows_sharing_a_key += u64::from(shares);
            }
            s.tags_failed += u64::from(o.tags_status == StepStatus::Failed);
            s.business_failed += u64::from(o.business_status == StepStatus::Failed);
        }
        Ok(())
    }
}

/// Counts a row's cells left out, once per column. Runs for every row on the event task:
/// a row's few warnings are compared in place, not collected and sorted.
fn count_left_out(columns: &mut ColumnReport, warnings: &[String]) {
    use crate::validation::left_out_column;
    let mut count = |c: &str| match columns.left_out_by_column.get_mut(c) {
        Some(n) => *n += 1,
        // A column's name is copied only the first time it is counted.
        None => {
            columns.left_out_by_column.insert(c.to_owned(), 1);
        }
    };
    let mut any = false;
    if warnings.len() <= 8 {
        for (i, w) in warnings.iter().enumerate() {
            let Some(c) = left_out_column(w) else {
                continue;
            };
            any = true;
            if !warnings[..i].iter().any(|p| left_out_column(p) == Some(c)) {
                count(c);
            }
        }
    } else {
        let mut seen: Vec<&str> = warnings.iter().filter_map(|w| left_out_column(w)).collect();
        seen.sort_unstable();
        seen.dedup();
        any = !seen.is_empty();
        seen.into_iter().for_each(count);
    }
    columns.rows_with_cells_left_out += u64::from(any);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_with_cells_left_out_are_counted_by_column() {
        let row = |n: u64, status: RowStatus, warnings: &[&str]| {
            Event::Row(crate::event::RowOutcome {
                warnings: warnings.iter().map(|w| w.to_string()).collect(),
                ..crate::event::RowOutcome::new(n, n, status)
            })
        };
        let mut b = SummaryBuilder::new("x.csv".into(), None, false);
        for e in [
            row(
                2,
                RowStatus::Created,
                &[
                    "column 'DOB': \"x\" left out: no",
                    "column 'Phone': \"1\" left out: no",
                ],
            ),
            row(
                3,
                RowStatus::Updated,
                &[
                    "column 'DOB': \"y\" left out: no",
                    "column 'DOB': \"z\" left out: no",
                ],
            ),
            // Notes on values sent, and other warnings, are not cells left out.
            row(
                4,
                RowStatus::Created,
                &[
                    "column 'Phone': also holds \"2\", not imported",
                    "gender was sent as 'f' but HighLevel kept 'm'",
                ],
            ),
            row(5, RowStatus::Invalid, &[]),
            // More warnings than are compared in place: each column still counts once.
            row(
                6,
                RowStatus::Valid,
                &[
                    "column 'DOB': \"x\" left out: no",
                    "column 'A': \"1\" left out: no",
                    "column 'B': \"1\" left out: no",
                    "column 'A': \"2\" left out: no",
                    "column 'C': also holds \"2\", not imported",
                    "column 'B': \"2\" left out: no",
                    "column 'A': \"3\" left out: no",
                    "column 'D': \"1\" left out: no",
                    "column 'DOB': \"y\" left out: no",
                ],
            ),
            row(
                7,
                RowStatus::Valid,
                &[
                    "column 'A': \"1\" left out: no",
                    "column 'A': \"2\" left out: no",
                ],
            ),
        ] {
            b.on_event(&e).unwrap();
        }
        let s = b.finish(StatsSnapshot::default(), Duration::from_secs(1), None);
        assert_eq!(s.columns.rows_with_cells_left_out, 4);
        assert_eq!(
            s.columns.left_out_by_column.into_iter().collect::<Vec<_>>(),
            [
                ("A".to_owned(), 2),
                ("B".to_owned(), 1),
                ("D".to_owned(), 1),
                ("DOB".to_owned(), 3),
                ("Phone".to_owned(), 1)
            ]
        );
        let mut b = SummaryBuilder::new("x.csv".into(), None, false);
        b.on_event(&row(
            2,
            RowStatus::Created,
            &["column 'DOB': \"x\" left out: no"],
        ))
        .unwrap();
        let text = b
            .finish(StatsSnapshot::default(), Duration::from_secs(1), None)
            .render();
        assert!(
            text.contains("  rows sent with cells left out: 1 (by column: 'DOB' 1); the report's warnings name each cell"),
            "{text}"
        );
    }

    #[test]
    fn first_line_says_how_the_input_was_read() {
        let mut b = SummaryBuilder::new("x.csv".into(), None, true);
        b.on_event(&Event::Started {
            input: "x.csv".into(),
            format: "CSV, delimiter ';', windows-1252".into(),
            dry_run: true,
        })
        .unwrap();
        let s = b.finish(StatsSnapshot::default(), Duration::from_secs(1), None);
        assert_eq!(s.format, "CSV, delimiter ';', windows-1252");
        let first = s.render().lines().next().unwrap().to_owned();
        assert!(
            first.starts_with("dry run: 0 rows from x.csv (CSV, delimiter ';', windows-1252) in "),
            "{first}"
        );
    }
}
