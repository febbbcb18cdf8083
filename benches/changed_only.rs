//! What `--changed-only` saves on a nightly drop: a file is imported once, then run again
//! unchanged, then with 5% of its rows changed. Counts the requests the sandbox saw on each
//! run (it records all) and times them. The sandbox quota is scaled up (2,000 per 100 ms) so
//! the first import is quick; 127.0.0.1 only.
//!
//! Run: `cargo bench --bench changed_only` (optionally `-- ROWS`, default 100000).

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ghl_import::sandbox::{self, SandboxConfig};

fn write_rows(path: &std::path::Path, n: usize, changed_every: Option<usize>) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(f, "First Name,Email,Phone,City,Tags").unwrap();
    for i in 0..n {
        let city = match changed_every {
            Some(k) if i % k == 0 => "Oakland",
            _ => "San Francisco",
        };
        writeln!(
            f,
            "Person{i},person{i}@example.com,+1 415 {:03} {:04},{city},nightly",
            200 + i / 10_000,
            i % 10_000
        )
        .unwrap();
    }
}

fn main() {
    let rows: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let sb = rt
        .block_on(sandbox::start(SandboxConfig {
            token: Some("bench-token".into()),
            rate_max: 2_000,
            rate_interval: Duration::from_millis(100),
            daily_limit: u64::MAX,
            record_requests: true,
            ..SandboxConfig::default()
        }))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("drop.csv");
    let run = |label: &str| {
        let before = sb.requests().len();
        let started = Instant::now();
        let status = Command::new(env!("CARGO_BIN_EXE_ghl-import"))
            .args([
                "import",
                "-q",
                "--changed-only",
                "--rate-limit",
                "2000/100ms",
            ])
            .arg(&input)
            .arg("--report")
            .arg(dir.path().join("report.csv"))
            .env("GHL_TOKEN", "bench-token")
            .env("GHL_BASE_URL", sb.base_url())
            .env("GHL_LOCATION_ID", "bench-location")
            .env("GHL_IMPORT_STATE", dir.path().join("state.db"))
            .stdin(Stdio::null())
            .status()
            .unwrap();
        let secs = started.elapsed().as_secs_f64();
        let reqs = sb.requests();
        let new = &reqs[before..];
        let upserts = new.iter().filter(|r| r.path == "/contacts/upsert").count();
        println!(
            "{label:<22} {rows:>8} {secs:>8.2} s {:>10.0} {upserts:>8} {:>9} {:>5}",
            rows as f64 / secs,
            new.len(),
            status.code().unwrap_or(-1)
        );
        assert!(status.success(), "ghl-import exited {status}");
    };
    println!(
        "{:<22} {:>8} {:>10} {:>10} {:>8} {:>9} {:>5}",
        "run", "rows", "elapsed", "rows/s", "upserts", "requests", "exit"
    );
    write_rows(&input, rows, None);
    run("first import");
    run("unchanged re-run");
    write_rows(&input, rows, Some(20));
    run("5% of rows changed");
    rt.block_on(sb.shutdown());
}
