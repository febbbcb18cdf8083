//! The page: one HTML string with its style inline and no scripts, every value escaped.

use std::fmt::Write as _;

use super::aggregate::{Aggregate, Group, GroupKey, Kind};
use super::{chart, escape};
use crate::api::LocationSeries;
use crate::event::RowStatus;
use crate::report::Summary;

/// Locations drawn as charts (the busiest); all of them are in the table.
pub const MAX_CHARTS: usize = 8;

const STYLE: &str = r#"
:root{color-scheme:light}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#111827;background:#f9fafb;margin:0}
main{max-width:980px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:24px;margin:0 0 2px}
h2{font-size:18px;margin:32px 0 10px;padding-bottom:4px;border-bottom:1px solid #e5e7eb}
.sub{color:#4b5563;margin:0 0 18px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin-bottom:10px}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:10px 14px;min-width:118px}
.card b{display:block;font-size:22px;font-variant-numeric:tabular-nums}
.card span{color:#4b5563;font-size:13px}.card small{display:block;color:#6b7280;font-size:12px}
.card.bad b{color:#b91c1c}.card.good b{color:#15803d}.card.warn b{color:#b45309}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #e5e7eb;border-radius:8px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #f3f4f6;vertical-align:top}
th{font-size:13px;color:#374151;background:#f3f4f6}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.rows{color:#4b5563;font-size:13px}
.tag{display:inline-block;font-size:12px;padding:1px 7px;border-radius:9px}
.tag.error{background:#fee2e2;color:#991b1b}.tag.warning{background:#fef3c7;color:#92400e}
.note{color:#4b5563;font-size:13px;margin:8px 0}
.stopped{background:#fff7ed;border:1px solid #fed7aa;border-radius:8px;padding:10px 14px;margin:14px 0}
figure{margin:14px 0;background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:10px}
figcaption{font-size:14px;margin-bottom:4px}
.chart{max-width:100%;height:auto}
.chart .tick{font-size:11px;fill:#6b7280}.chart .quota{font-size:12px;fill:#b91c1c}
footer{color:#6b7280;font-size:12px;margin-top:36px}
"#;

pub struct Page<'a> {
    pub agg: &'a Aggregate,
    /// The run's summary; `report` without `--summary` has none.
    pub summary: Option<&'a Summary>,
    /// The report file a `report` page was made from.
    pub source: Option<&'a str>,
}

impl<'a> Page<'a> {
    /// The page of a run that just finished.
    pub fn of_run(agg: &'a Aggregate, summary: &'a Summary) -> Self {
        Page {
            agg,
            summary: Some(summary),
            source: None,
        }
    }

    pub fn render(&self) -> String {
        let mut o = String::with_capacity(64 * 1024);
        let title = self.title();
        let _ = write!(
            o,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
             <title>{}</title><style>{STYLE}</style></head><body><main>\n<h1>{}</h1>\n",
            escape(&title),
            escape(&title)
        );
        self.subtitle(&mut o);
        self.headline(&mut o);
        self.plan(&mut o);
        self.problems(&mut o);
        self.locations(&mut o);
        self.charts(&mut o);
        let _ = write!(
            o,
            "<footer>Written by ghl-import {}. Values from the input are shown as text; row numbers are the file's line numbers (the header is row 1).</footer>\n</main></body></html>\n",
            env!("CARGO_PKG_VERSION")
        );
        o
    }

    fn title(&self) -> String {
        let Some(s) = self.summary else {
            let src = self.source.unwrap_or("report");
            let name = std::path::Path::new(src)
                .file_name()
                .map_or_else(|| src.to_owned(), |n| n.to_string_lossy().into_owned());
            return format!("Report {name}");
        };
        let name = std::path::Path::new(&s.input)
            .file_name()
            .map_or_else(|| s.input.clone(), |n| n.to_string_lossy().into_owned());
        if s.estimate.is_some() {
            format!("Plan for {name}")
        } else if s.dry_run {
            format!("Dry run of {name}")
        } else {
            format!("Import of {name}")
        }
    }

    fn subtitle(&self, o: &mut String) {
        let mut parts = Vec::new();
        if let Some(s) = self.summary {
            parts.push(escape(&s.input));
            if !s.format.is_empty() {
                parts.push(escape(&s.format));
            }
            if let Some(r) = &s.report {
                parts.push(format!("report {}", escape(r)));
            }
        }
        if let Some(src) = self.source {
            parts.push(format!("from the report {}", escape(src)));
        }
        let _ = writeln!(o, "<p class=\"sub\">{}</p>", parts.join(" · "));
        if let Some(s) = self.summary {
            if let Some(why) = &s.stopped {
                let _ = write!(
                    o,
                    "<div class=\"stopped\"><b>Stopped early:</b> {}",
                    escape(why)
                );
                if let Some(row) = s.first_deferred_row {
                    let _ = write!(
                        o,
                        ". {} rows deferred from row {row} on: run the same command again to send them.",
                        s.count(RowStatus::Deferred)
                    );
                }
                o.push_str("</div>\n");
            }
        }
    }

    fn headline(&self, o: &mut String) {
        let a = self.agg;
        o.push_str("<h2>At a glance</h2>\n<div class=\"cards\">");
        card(o, "", &a.rows.to_string(), "rows");
        for st in RowStatus::ALL {
            let n = a.count(st);
            if n > 0 {
                let class = if st.is_problem() {
                    "bad"
                } else if matches!(
                    st,
                    RowStatus::Created | RowStatus::Updated | RowStatus::Valid
                ) {
                    "good"
                } else {
                    ""
                };
                card(o, class, &n.to_string(), st.as_str());
            }
        }
        card(
            o,
            if a.cells_left_out > 0 { "warn" } else { "" },
            &a.cells_left_out.to_string(),
            "cells left out",
        );
        if a.tags_failed + a.business_failed > 0 {
            card(
                o,
                "bad",
                &(a.tags_failed + a.business_failed).to_string(),
                "tag or business calls failed",
            );
        }
        if let Some(s) = self.summary {
            if !s.dry_run || s.estimate.is_some() {
                // The requests in a row of their own.
                o.push_str("</div>\n<div class=\"cards\">");
            }
            card(o, "", &duration(s.elapsed_secs), "duration");
            if !s.dry_run || s.estimate.is_some() {
                card(o, "", &s.requests_total.to_string(), "requests");
                card(
                    o,
                    if s.throttled > 0 { "warn" } else { "" },
                    &s.throttled.to_string(),
                    "429 responses",
                );
                card(
                    o,
                    if s.retries > 0 { "warn" } else { "" },
                    &s.retries.to_string(),
                    "retries",
                );
                if let Some((loc, share)) = busiest_quota_share(&s.series, s.elapsed_secs) {
                    card_in(
                        o,
                        "",
                        &format!("{:.0}%", share * 100.0),
                        "of the quota used, on average",
                        &loc,
                    );
                }
                if let Some((loc, left, limit)) = lowest_daily(&s.series) {
                    let of = limit.map(|l| format!(" of {l}")).unwrap_or_default();
                    card_in(
                        o,
                        "",
                        &left.to_string(),
                        &format!("requests left today{of}"),
                        &loc,
                    );
                }
            }
        }
        o.push_str("</div>\n");
        if let Some(s) = self.summary.filter(|s| !s.requests.is_empty()) {
            o.push_str("<h2>Requests by endpoint</h2>\n<table><tr><th>Endpoint</th><th class=\"n\">Requests</th></tr>");
            for (k, v) in &s.requests {
                let _ = write!(o, "<tr><td>{}</td><td class=\"n\">{v}</td></tr>", escape(k));
            }
            o.push_str("</table>\n");
        }
        if let Some(s) = self.summary {
            let c = &s.columns;
            let notes: Vec<&String> = c.column_notices.iter().chain(&c.mapping_notes).collect();
            if !notes.is_empty() {
                o.push_str("<h2>Columns</h2>\n<ul class=\"notes\">");
                for n in notes {
                    let _ = write!(o, "<li>{}</li>", escape(n));
                }
                o.push_str("</ul>\n");
            }
        }
    }

    fn plan(&self, o: &mut String) {
        let Some(e) = self.summary.and_then(|s| s.estimate.as_ref()) else {
            return;
        };
        let a = self.agg;
        o.push_str("<h2>What the import would do</h2>\n<div class=\"cards\">");
        card(
            o,
            "good",
            &a.count(RowStatus::Create).to_string(),
            "creates",
        );
        card(
            o,
            "good",
            &a.count(RowStatus::Update).to_string(),
            "updates",
        );
        card(
            o,
            "",
            &a.count(RowStatus::Unchanged).to_string(),
            "unchanged",
        );
        card(
            o,
            if a.count(RowStatus::Conflict) > 0 {
                "bad"
            } else {
                ""
            },
            &a.count(RowStatus::Conflict).to_string(),
            "conflicts",
        );
        card(o, "", &e.requests.to_string(), "requests");
        card(
            o,
            "",
            &duration(e.seconds_at_quota),
            &format!("at {}", escape(&e.rate)),
        );
        o.push_str("</div>\n");
        let _ = writeln!(o, "<p class=\"note\">{}</p>", escape(e.render().trim()));
        if !a.changes.is_empty() {
            let mut v: Vec<_> = a.changes.iter().collect();
            v.sort_by(|x, y| y.1.cmp(x.1).then_with(|| x.0.cmp(y.0)));
            o.push_str("<table><tr><th>Field an update changes</th><th class=\"n\">Rows</th></tr>");
            for (field, n) in v {
                let _ = write!(
                    o,
                    "<tr><td>{}</td><td class=\"n\">{n}</td></tr>",
                    escape(field)
                );
            }
            o.push_str("</table>\n");
        }
    }

    fn problems(&self, o: &mut String) {
        let groups = self.agg.groups();
        o.push_str("<h2>Errors and cells left out</h2>\n");
        if groups.is_empty() {
            o.push_str("<p class=\"note\">None: no row has an error or a warning.</p>\n");
            return;
        }
        o.push_str("<p class=\"note\">Grouped by column and message (the cell's value taken out), most frequent first, with the first rows of each.</p>\n");
        o.push_str("<table><tr><th></th><th>Column</th><th>Message</th><th class=\"n\">Rows</th><th>First rows</th></tr>\n");
        for (k, g) in &groups {
            group_row(o, k, g);
        }
        let other = &self.agg.other_messages;
        if other.count > 0 {
            let _ = writeln!(
                o,
                "<tr><td></td><td></td><td>other messages (more than {} kinds)</td><td class=\"n\">{}</td><td class=\"rows\">{}</td></tr>",
                super::aggregate::MAX_GROUPS,
                other.count,
                rows_list(other)
            );
        }
        o.push_str("</table>\n");
    }

    fn locations(&self, o: &mut String) {
        let a = self.agg;
        let statuses: Vec<RowStatus> = RowStatus::ALL
            .into_iter()
            .filter(|s| a.count(*s) > 0)
            .collect();
        let series = self.summary.map(|s| s.series.as_slice()).unwrap_or(&[]);
        o.push_str("<h2>By location</h2>\n<table><tr><th>Location</th><th class=\"n\">Rows</th>");
        for s in &statuses {
            let _ = write!(o, "<th class=\"n\">{}</th>", s.as_str());
        }
        o.push_str("<th class=\"n\">Requests</th><th class=\"n\">Peak/s</th><th class=\"n\">Quota/s</th><th class=\"n\">Left today</th></tr>\n");
        let mut row = |name: &str, rows: &super::aggregate::LocationRows| {
            let _ = write!(
                o,
                "<tr><td>{}</td><td class=\"n\">{}</td>",
                escape(name),
                rows.rows
            );
            for s in &statuses {
                let _ = write!(
                    o,
                    "<td class=\"n\">{}</td>",
                    rows.by_status.get(s).copied().unwrap_or(0)
                );
            }
            match series
                .iter()
                .find(|x| super::aggregate::cut(&x.location, super::aggregate::MAX_NAME) == name)
            {
                Some(x) => {
                    let _ = writeln!(
                        o,
                        "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                        x.requests_total,
                        x.peak_per_sec,
                        x.quota_per_sec,
                        x.daily_remaining.map_or_else(|| "—".to_owned(), |d| d.to_string())
                    );
                }
                None => o.push_str("<td class=\"n\">—</td><td class=\"n\">—</td><td class=\"n\">—</td><td class=\"n\">—</td></tr>\n"),
            }
        };
        for (name, rows) in a.locations() {
            row(name, rows);
        }
        if a.other_locations.rows > 0 {
            row(
                &format!(
                    "other locations (past the first {})",
                    super::aggregate::MAX_LOCATIONS
                ),
                &a.other_locations,
            );
        }
        o.push_str("</table>\n");
        if a.locations()
            .any(|(l, _)| l == super::aggregate::NO_LOCATION)
        {
            let _ = writeln!(
                o,
                "<p class=\"note\">{}: rows that were not valid, whose location was not taken.</p>",
                super::aggregate::NO_LOCATION
            );
        }
    }

    fn charts(&self, o: &mut String) {
        let Some(s) = self.summary else {
            return;
        };
        o.push_str("<h2>Requests per second against the quota</h2>\n");
        if s.series.iter().all(|x| x.requests_total == 0) {
            o.push_str("<p class=\"note\">No requests were sent.</p>\n");
            return;
        }
        o.push_str("<p class=\"note\">The quota is a sliding window (e.g. 100 requests in any 10 s), so one second may hold more than its average; the blue line is what was sent, the dashed red line the quota's average pace.</p>\n");
        let mut v: Vec<&LocationSeries> = s.series.iter().collect();
        v.sort_by_key(|x| std::cmp::Reverse(x.requests_total));
        for x in v.iter().take(MAX_CHARTS) {
            let _ = writeln!(
                o,
                "<figure><figcaption><b>{}</b>: {} requests, peak {}/s, quota {}/s{}</figcaption>{}</figure>",
                escape(&super::aggregate::cut(&x.location, super::aggregate::MAX_NAME)),
                x.requests_total,
                x.peak_per_sec,
                x.quota_per_sec,
                if x.bucket_secs > 1 {
                    format!(" (averaged over {} s)", x.bucket_secs)
                } else {
                    String::new()
                },
                chart::svg(x)
            );
        }
        if v.len() > MAX_CHARTS {
            let _ = writeln!(
                o,
                "<p class=\"note\">{} more locations are in the table above, not drawn.</p>",
                v.len() - MAX_CHARTS
            );
        }
    }
}

/// A card about one location, named under its label.
fn card_in(o: &mut String, class: &str, value: &str, label: &str, location: &str) {
    let _ = write!(
        o,
        "<div class=\"card {class}\"><b>{}</b><span>{}</span><small>{}</small></div>",
        escape(value),
        escape(label),
        escape(location)
    );
}

fn card(o: &mut String, class: &str, value: &str, label: &str) {
    let _ = write!(
        o,
        "<div class=\"card {class}\"><b>{}</b><span>{}</span></div>",
        escape(value),
        escape(label)
    );
}

fn group_row(o: &mut String, k: &GroupKey, g: &Group) {
    let (class, word) = match k.kind {
        Kind::Error => ("error", "error"),
        Kind::Warning => ("warning", "warning"),
    };
    let _ = writeln!(
        o,
        "<tr><td><span class=\"tag {class}\">{word}</span></td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"rows\">{}</td></tr>",
        escape(k.column.as_deref().unwrap_or("")),
        escape(&k.message),
        g.count,
        rows_list(g)
    );
}

fn rows_list(g: &Group) -> String {
    let mut s = g
        .first_rows
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if g.count > g.first_rows.len() as u64 {
        s.push_str(" …");
    }
    s
}

/// The location with the most requests, and its requests over what its quota allowed in the
/// run's time.
fn busiest_quota_share(series: &[LocationSeries], elapsed: f64) -> Option<(String, f64)> {
    let b = series.iter().max_by_key(|x| x.requests_total)?;
    let allowed = b.quota_per_sec * elapsed;
    (allowed > 0.0 && b.requests_total > 0)
        .then(|| (b.location.clone(), b.requests_total as f64 / allowed))
}

fn lowest_daily(series: &[LocationSeries]) -> Option<(String, u64, Option<u64>)> {
    series
        .iter()
        .filter_map(|x| {
            x.daily_remaining
                .map(|d| (x.location.clone(), d, x.daily_limit))
        })
        .min_by_key(|x| x.1)
}

fn duration(secs: f64) -> String {
    if secs < 60.0 {
        format!("{secs:.1} s")
    } else {
        chart::clock(secs)
    }
}

#[cfg(test)]
mod tests {
    use super::super::aggregate::{MAX_GROUPS, MAX_LOCATIONS};
    use super::*;
    use crate::api::series::MAX_POINTS;
    use crate::event::{RowOutcome, StepStatus};

    /// The largest page there can be: every cap reached with the longest names and messages,
    /// all made of the character that escapes longest.
    #[test]
    fn the_page_stays_under_a_megabyte_whatever_the_input() {
        let huge = "\"".repeat(1 << 16);
        let mut agg = Aggregate::default();
        for n in 0..(MAX_GROUPS.max(MAX_LOCATIONS) as u64 * 3) {
            agg.add(&RowOutcome {
                location_id: Some(format!("{n}{huge}")),
                tags_status: StepStatus::Failed,
                errors: vec![format!("{n}{huge}"), format!("column '{n}{huge}': {huge}")],
                changes: vec![format!("{n}{huge}")],
                warnings: vec![format!("{n} left out {huge}")],
                ..RowOutcome::new(
                    n,
                    n + 1_000_000_000,
                    RowStatus::ALL[n as usize % RowStatus::ALL.len()],
                )
            });
        }
        let series = (0..MAX_CHARTS as u64 * 3)
            .map(|n| LocationSeries {
                location: format!("{n}{huge}"),
                quota_per_sec: 123.4,
                bucket_secs: 1000,
                requests: vec![123_456_789; MAX_POINTS],
                requests_total: u64::MAX,
                peak_per_sec: 123_456.7,
                daily_limit: Some(u64::MAX),
                daily_remaining: Some(u64::MAX),
            })
            .collect();
        let summary = Summary {
            input: "contacts.csv".into(),
            series,
            estimate: Some(crate::plan::Estimate::default()),
            ..Summary::default()
        };
        let html = Page::of_run(&agg, &summary).render();
        assert!(html.len() < 1_000_000, "{} bytes", html.len());
    }
}
