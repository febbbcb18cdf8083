//! How close ghl-import runs to the quota, against the sandbox with a scaled-down quota
//! (50 requests per 1 s per location, sliding window) and 50–250 ms of latency, for one
//! location and for ten, side by side with a naive script (one upsert, then one tag call, per
//! row, sequentially: what a script on the official SDK does). 127.0.0.1 only.
//!
//! Run: `cargo bench --bench throughput` (about 100 s).

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ghl_import::sandbox::{self, RecordedRequest, SandboxConfig, SandboxHandle};

const RATE: u32 = 50;
const PER: Duration = Duration::from_secs(1);
const TOKEN: &str = "bench-token";

struct Figures {
    name: String,
    rows: usize,
    elapsed: f64,
    requests: usize,
    throttled: usize,
    /// Requests/s over the busy span of each location ÷ the allowed rate, averaged.
    utilisation: f64,
    imported: usize,
}

impl Figures {
    fn print(&self) {
        println!(
            "{:<28} {:>6} {:>8.1} s {:>8.1} {:>10.3} {:>6} {:>10.3}",
            self.name,
            self.rows,
            self.elapsed,
            self.rows as f64 / self.elapsed,
            self.utilisation,
            self.throttled,
            self.requests as f64 / self.imported.max(1) as f64
        );
    }
}

fn sandbox_config() -> SandboxConfig {
    SandboxConfig {
        token: Some(TOKEN.into()),
        rate_max: RATE,
        rate_interval: PER,
        daily_limit: u64::MAX,
        latency: (Duration::from_millis(50), Duration::from_millis(250)),
        record_requests: true,
        seed: Some(42),
        ..SandboxConfig::default()
    }
}

fn utilisation(reqs: &[RecordedRequest], locations: &[String]) -> f64 {
    let allowed = RATE as f64 / PER.as_secs_f64();
    let per_loc: Vec<f64> = locations
        .iter()
        .filter_map(|loc| {
            let t: Vec<Instant> = reqs
                .iter()
                .filter(|r| r.location_id.as_deref() == Some(loc.as_str()))
                .map(|r| r.at)
                .collect();
            let span = t.last()?.duration_since(*t.first()?).as_secs_f64();
            (span > 0.0).then(|| (t.len() - 1) as f64 / span / allowed)
        })
        .collect();
    per_loc.iter().sum::<f64>() / per_loc.len().max(1) as f64
}

fn ghl_import(
    rt: &tokio::runtime::Runtime,
    dir: &std::path::Path,
    locations: usize,
    rows: usize,
) -> Figures {
    let sb: SandboxHandle = rt.block_on(sandbox::start(sandbox_config())).unwrap();
    let locs: Vec<String> = (0..locations).map(|i| format!("bench-loc-{i}")).collect();
    let input = dir.join(format!("rows-{locations}.csv"));
    let mut f = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
    writeln!(f, "locationId,First Name,Email,Tags").unwrap();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for i in 0..rows {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let loc = &locs[(seed % locations as u64) as usize];
        writeln!(f, "{loc},Person{i},person{i}@example.com,lead").unwrap();
    }
    drop(f);
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_ghl-import"))
        .args([
            "import",
            "-q",
            "--rate-limit",
            &format!("{RATE}/{}s", PER.as_secs()),
        ])
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
    let elapsed = started.elapsed().as_secs_f64();
    assert!(status.success(), "ghl-import exited {status}");
    let reqs = sb.requests();
    let imported = locs.iter().map(|l| sb.contacts(l).len()).sum();
    let figures = Figures {
        name: format!(
            "ghl-import, {locations} location{}",
            if locations == 1 { "" } else { "s" }
        ),
        rows,
        elapsed,
        requests: reqs.len(),
        throttled: reqs.iter().filter(|r| r.status == 429).count(),
        utilisation: utilisation(&reqs, &locs),
        imported,
    };
    rt.block_on(sb.shutdown());
    figures
}

/// One upsert, then one tag call, per row, one at a time.
fn naive(rt: &tokio::runtime::Runtime, rows: usize) -> Figures {
    let sb: SandboxHandle = rt.block_on(sandbox::start(sandbox_config())).unwrap();
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
    let elapsed = started.elapsed().as_secs_f64();
    let reqs = sb.requests();
    let figures = Figures {
        name: "naive script, 1 location".into(),
        rows,
        elapsed,
        requests: reqs.len(),
        throttled: reqs.iter().filter(|r| r.status == 429).count(),
        utilisation: utilisation(&reqs, std::slice::from_ref(&loc)),
        imported: sb.contacts(&loc).len(),
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
    println!(
        "quota {RATE}/{}s per location (sliding window), latency 50-250 ms, rows sharing one tag",
        PER.as_secs()
    );
    println!(
        "{:<28} {:>6} {:>10} {:>8} {:>10} {:>6} {:>10}",
        "", "rows", "elapsed", "rows/s", "req/s÷quota", "429s", "calls/row"
    );
    let one = ghl_import(&rt, dir.path(), 1, 1_500);
    one.print();
    let ten = ghl_import(&rt, dir.path(), 10, 15_000);
    ten.print();
    let naive = naive(&rt, 100);
    naive.print();
    let scaling = (ten.rows as f64 / ten.elapsed) / (one.rows as f64 / one.elapsed);
    println!(
        "scaling, 10 locations ÷ 1: {scaling:.2}× ({:.3} of 10×)",
        scaling / 10.0
    );
    println!(
        "ghl-import vs naive, 1 location: {:.1}× the rows/s",
        (one.rows as f64 / one.elapsed) / (naive.rows as f64 / naive.elapsed)
    );
}
