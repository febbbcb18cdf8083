//! How close ghl-import runs to the quota, against the sandbox (sliding window, 50–250 ms of
//! latency, 127.0.0.1 only): 20-second runs at 50 requests per 1 s for one location and for
//! ten, one at HighLevel's real 100 per 10 s, and a naive script for comparison (one upsert,
//! then one tag call, per row, sequentially: what a script on the official SDK does).
//!
//! Rows carry 0–3 of 8 tags in varied sets, as real files do; `calls/row` is printed next to
//! the floor that `BulkTally` computes from the same file (upserts plus each location's tag
//! calls grouped the cheaper way).
//!
//! Two shares of the quota:
//! - `busy` — requests per second over each location's span from its first request to its
//!   last, ÷ the allowed rate (the pace while it sends);
//! - `whole run` — requests sent ÷ what the quota allows over the whole run, wall clock from
//!   spawning the process to its exit (start-up and tail included): for each location,
//!   `max × max(T, per) / per` — a fresh sliding window allows `max` at once and `max` more
//!   per `per` after that; runs shorter than a window are credited the whole first window.
//!   A client sending bursts of `max` at the very start of each window could exceed this by
//!   up to one window's `max`; ghl-import paces evenly, at `max` per `per` + 1 % slack;
//! - `strict` — requests ÷ that bound, `max × ⌈T / per⌉` per location (`max` in every window
//!   the run touches).
//!
//! Run: `cargo bench --bench throughput` (about 100 s); `THROUGHPUT_EXE=path` runs another
//! build of ghl-import (before/after, alternately).

#[path = "common/quota.rs"]
mod quota;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ghl_import::sandbox::{self, RecordedRequest, SandboxConfig, SandboxHandle};

const TOKEN: &str = "bench-token";

#[derive(Clone, Copy)]
struct Quota {
    max: u32,
    per: Duration,
}

impl Quota {
    fn label(&self) -> String {
        format!("{}/{}s", self.max, self.per.as_secs())
    }
}

const SCALED: Quota = Quota {
    max: 50,
    per: Duration::from_secs(1),
};
const HIGHLEVEL: Quota = Quota {
    max: 100,
    per: Duration::from_secs(10),
};

struct Figures {
    name: String,
    rows: usize,
    elapsed: f64,
    requests: usize,
    throttled: usize,
    /// Requests/s over the busy span of each location ÷ the allowed rate, averaged.
    busy: f64,
    /// Requests ÷ what the quota allowed over the whole run (all locations).
    whole: f64,
    /// Requests ÷ the most any client could have sent in that time.
    strict: f64,
    imported: usize,
    /// The fewest calls the file needs, when known.
    floor: Option<u64>,
    /// The most requests of one location in any window.
    busiest: usize,
    /// From the start to the first request, and from the last request to the exit, ms.
    start_ms: f64,
    tail_ms: f64,
    /// The longest pause between two requests after the last upsert, ms (locations' mean).
    end_gap_ms: f64,
}

impl Figures {
    fn print(&self) {
        println!(
            "{:<30} {:>6} {:>8.2} s {:>8.1} {:>8.3} {:>9.3} {:>6.3} {:>5} {:>9.3} {:>7} {:>8} {:>6.0} {:>6.0} {:>7.0}",
            self.name,
            self.rows,
            self.elapsed,
            self.rows as f64 / self.elapsed,
            self.busy,
            self.whole,
            self.strict,
            self.throttled,
            self.requests as f64 / self.imported.max(1) as f64,
            self.floor.map_or_else(
                || "-".to_owned(),
                |f| format!("{:.3}", f as f64 / self.imported.max(1) as f64)
            ),
            self.busiest,
            self.start_ms,
            self.tail_ms,
            self.end_gap_ms,
        );
    }
}

fn sandbox_config(q: Quota) -> SandboxConfig {
    SandboxConfig {
        token: Some(TOKEN.into()),
        rate_max: q.max,
        rate_interval: q.per,
        daily_limit: u64::MAX,
        latency: (Duration::from_millis(50), Duration::from_millis(250)),
        record_requests: true,
        seed: Some(42),
        ..SandboxConfig::default()
    }
}

fn times_of<'a>(reqs: &'a [RecordedRequest], loc: &'a str) -> impl Iterator<Item = Instant> + 'a {
    reqs.iter()
        .filter(move |r| r.location_id.as_deref() == Some(loc) && r.status != 429)
        .map(|r| r.at)
}

fn ms(d: Option<Duration>) -> f64 {
    d.unwrap_or_default().as_secs_f64() * 1000.0
}

/// The longest pause between two of a location's requests after its last upsert (its lane
/// idle while its last bulk calls wait for answers), ms, averaged over the locations.
fn end_gap_ms(reqs: &[RecordedRequest], locations: &[String]) -> f64 {
    let gaps: Vec<f64> = locations
        .iter()
        .filter_map(|loc| {
            let mut mine: Vec<&RecordedRequest> = reqs
                .iter()
                .filter(|r| r.location_id.as_deref() == Some(loc) && r.status != 429)
                .collect();
            mine.sort_by_key(|r| r.at);
            let last = mine.iter().rposition(|r| r.path == "/contacts/upsert")?;
            let t: Vec<Instant> = mine[last..].iter().map(|r| r.at).collect();
            Some(ms(t.windows(2).map(|w| w[1] - w[0]).max()))
        })
        .collect();
    gaps.iter().sum::<f64>() / gaps.len().max(1) as f64
}

/// From the last request to the end, ms.
fn tail_ms(reqs: &[RecordedRequest], end: Instant) -> f64 {
    ms(reqs.iter().map(|r| r.at).max().map(|t| end - t))
}

fn busy_share(q: Quota, reqs: &[RecordedRequest], locations: &[String]) -> f64 {
    let allowed = q.max as f64 / q.per.as_secs_f64();
    let per_loc: Vec<f64> = locations
        .iter()
        .filter_map(|loc| {
            let t: Vec<Instant> = times_of(reqs, loc).collect();
            let span = t.last()?.duration_since(*t.first()?).as_secs_f64();
            (span > 0.0).then(|| (t.len() - 1) as f64 / span / allowed)
        })
        .collect();
    per_loc.iter().sum::<f64>() / per_loc.len().max(1) as f64
}

/// The most requests of one location within any window of the quota.
fn busiest_window(q: Quota, reqs: &[RecordedRequest], locations: &[String]) -> usize {
    locations
        .iter()
        .map(|loc| {
            let t: Vec<Instant> = times_of(reqs, loc).collect();
            (0..t.len())
                .map(|i| t[i..].iter().take_while(|x| **x - t[i] < q.per).count())
                .max()
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0)
}

fn ghl_import(
    rt: &tokio::runtime::Runtime,
    dir: &std::path::Path,
    q: Quota,
    locations: usize,
    rows: usize,
) -> Figures {
    let sb: SandboxHandle = rt.block_on(sandbox::start(sandbox_config(q))).unwrap();
    let locs: Vec<String> = (0..locations).map(|i| format!("bench-loc-{i}")).collect();
    let input = dir.join(format!("rows-{locations}-{}.csv", q.max));
    let tallies = quota::write_tagged_rows(&input, &locs, rows, 0x9E37_79B9_7F4A_7C15);
    // `THROUGHPUT_EXE=/path/to/ghl-import` runs another build (before/after, alternately).
    let exe = std::env::var("THROUGHPUT_EXE")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_ghl-import").to_owned());
    let started = Instant::now();
    let status = Command::new(exe)
        .args(["import", "-q", "--rate-limit", &q.label()])
        .arg(&input)
        .arg("--report")
        .arg(dir.join("report.csv"))
        .env("GHL_TOKEN", TOKEN)
        .env("GHL_BASE_URL", sb.base_url())
        .env("GHL_LOCATION_ID", &locs[0])
        .env("GHL_IMPORT_STATE", dir.join("state.db"))
        .stdin(Stdio::null())
        .status()
        .unwrap();
    let elapsed = started.elapsed();
    assert!(status.success(), "ghl-import exited {status}");
    let reqs = sb.requests();
    let imported = locs.iter().map(|l| sb.contacts(l).len()).sum();
    let allowed = locations as f64 * quota::allowed(q.max, q.per, elapsed);
    let figures = Figures {
        name: format!(
            "ghl-import, {} × {locations} loc{}",
            q.label(),
            if locations == 1 { "" } else { "s" }
        ),
        rows,
        elapsed: elapsed.as_secs_f64(),
        requests: reqs.len(),
        throttled: reqs.iter().filter(|r| r.status == 429).count(),
        busy: busy_share(q, &reqs, &locs),
        whole: reqs.len() as f64 / allowed,
        strict: reqs.len() as f64
            / (locations as f64 * quota::allowed_strict(q.max, q.per, elapsed)),
        imported,
        floor: Some(quota::floor_calls(&tallies)),
        busiest: busiest_window(q, &reqs, &locs),
        start_ms: ms(reqs.iter().map(|r| r.at).min().map(|t| t - started)),
        tail_ms: tail_ms(&reqs, started + elapsed),
        end_gap_ms: end_gap_ms(&reqs, &locs),
    };
    if let Some(first) = reqs.iter().find(|r| r.status == 429) {
        println!(
            "  first 429 at {:.0} ms, on {}",
            (first.at - started).as_secs_f64() * 1000.0,
            first.path
        );
    }
    rt.block_on(sb.shutdown());
    figures
}

/// One upsert, then one tag call, per row, one at a time.
fn naive(rt: &tokio::runtime::Runtime, rows: usize) -> Figures {
    let q = SCALED;
    let sb: SandboxHandle = rt.block_on(sandbox::start(sandbox_config(q))).unwrap();
    let loc = "bench-naive".to_owned();
    let base = sb.base_url();
    let started = Instant::now();
    rt.block_on(async {
        let http = reqwest::Client::new();
        for i in 0..rows {
            let post = |path: &str, body: serde_json::Value| {
                http.post(format!("{base}{path}"))
                    .bearer_auth(TOKEN)
                    .header("Version", "2021-07-28")
                    .json(&body)
                    .send()
            };
            let r = post("/contacts/upsert", serde_json::json!({"locationId": loc, "firstName": format!("Person{i}"), "email": format!("person{i}@example.com")}))
                .await
                .unwrap();
            let v: serde_json::Value = r.json().await.unwrap();
            let id = v["contact"]["id"].as_str().unwrap_or_default().to_owned();
            post("/contacts/bulk/tags/update/add", serde_json::json!({"locationId": loc, "contacts": [id], "tags": ["lead"]}))
                .await
                .unwrap();
        }
    });
    let elapsed = started.elapsed();
    let reqs = sb.requests();
    let locs = std::slice::from_ref(&loc);
    let figures = Figures {
        name: "naive script, 50/1s × 1 loc".into(),
        rows,
        elapsed: elapsed.as_secs_f64(),
        requests: reqs.len(),
        throttled: reqs.iter().filter(|r| r.status == 429).count(),
        busy: busy_share(q, &reqs, locs),
        whole: reqs.len() as f64 / quota::allowed(q.max, q.per, elapsed),
        strict: reqs.len() as f64 / quota::allowed_strict(q.max, q.per, elapsed),
        imported: sb.contacts(&loc).len(),
        floor: None,
        busiest: busiest_window(q, &reqs, locs),
        start_ms: ms(reqs.iter().map(|r| r.at).min().map(|t| t - started)),
        tail_ms: tail_ms(&reqs, started + elapsed),
        end_gap_ms: end_gap_ms(&reqs, locs),
    };
    rt.block_on(sb.shutdown());
    figures
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    println!("sliding-window quota per location, latency 50-250 ms, rows with 0-3 of 8 tags");
    println!(
        "{:<30} {:>6} {:>10} {:>8} {:>8} {:>9} {:>6} {:>5} {:>9} {:>7} {:>8} {:>6} {:>6} {:>7}",
        "",
        "rows",
        "elapsed",
        "rows/s",
        "busy",
        "whole run",
        "strict",
        "429s",
        "calls/row",
        "floor",
        "busiest",
        "start",
        "tail",
        "end gap"
    );
    // `cargo bench --bench throughput -- one real` runs only those (one, real, ten, naive).
    let picked: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let run = |name: &str| picked.is_empty() || picked.iter().any(|p| p == name);
    let one = run("one").then(|| ghl_import(&rt, dir.path(), SCALED, 1, 1_000));
    one.iter().for_each(Figures::print);
    let real = run("real").then(|| ghl_import(&rt, dir.path(), HIGHLEVEL, 1, 190));
    real.iter().for_each(Figures::print);
    let ten = run("ten").then(|| ghl_import(&rt, dir.path(), SCALED, 10, 10_000));
    ten.iter().for_each(Figures::print);
    let naive = run("naive").then(|| naive(&rt, 100));
    naive.iter().for_each(Figures::print);
    let rate = |f: &Figures| f.rows as f64 / f.elapsed;
    if let (Some(one), Some(ten)) = (&one, &ten) {
        let scaling = rate(ten) / rate(one);
        println!(
            "scaling, 10 locations ÷ 1: {scaling:.2}× ({:.3} of 10×)",
            scaling / 10.0
        );
    }
    if let (Some(one), Some(naive)) = (&one, &naive) {
        println!(
            "ghl-import vs naive, 1 location: {:.1}× the rows/s",
            rate(one) / rate(naive)
        );
    }
    println!("busiest: the most requests of one location in any window of its quota");
    println!(
        "start, tail: ms from the start to the first request, from the last request to the end"
    );
    println!("end gap: the longest pause between two requests after a location's last upsert, ms");
}
