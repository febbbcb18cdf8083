//! Peak memory of a whole import, by file size: the built binary imports N generated rows into
//! the in-process sandbox (scaled-down quota, 127.0.0.1 only) and its peak RSS is read from
//! `wait4`. Flat numbers across sizes show the pipeline streams. Each size runs with the
//! SQLite state store and with `--no-state`, to show what the store costs.
//!
//! Run: `cargo bench --bench memory` (optionally `-- 1000 10000 100000`); with `xlsx` among
//! the arguments the same rows are read from an Excel workbook (phones typed as numbers,
//! texts in the shared-string table, as Excel saves them); with `validate`, each size runs once
//! as a dry run (`validate`: reading, mapping and validation alone, no requests);
//! `MEMORY_EXE=path` runs another build of ghl-import.

#[path = "common/child.rs"]
#[allow(dead_code)] // the CPU time is the locations bench's
mod child;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ghl_import::sandbox::{self, SandboxConfig};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, path, n, ..] = &args[..] {
        if flag == "--write-xlsx" {
            write_workbook(std::path::Path::new(path), n.parse().unwrap());
            return;
        }
    }
    // `cargo bench` passes `--bench`; only numbers are sizes.
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let xlsx = std::env::args().any(|a| a == "xlsx");
    let validate = std::env::args().any(|a| a == "validate");
    let sizes = if sizes.is_empty() {
        vec![1_000, 10_000, 50_000]
    } else {
        sizes
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    println!(
        "{:>8} {:>6} {:>10} {:>10} {:>12} {:>10}",
        if xlsx { "xlsx rows" } else { "rows" },
        "state",
        "peak RSS",
        "elapsed",
        "rows/s",
        "exit"
    );
    let states: &[bool] = if validate { &[false] } else { &[true, false] };
    for (n, state) in sizes
        .iter()
        .flat_map(|&n| states.iter().map(move |&s| (n, s)))
    {
        // A fresh sandbox per size; its quota is scaled to 2,000 per 100 ms.
        let sb = rt
            .block_on(sandbox::start(SandboxConfig {
                token: Some("bench-token".into()),
                rate_max: 2_000,
                rate_interval: Duration::from_millis(100),
                daily_limit: u64::MAX,
                record_requests: false,
                ..SandboxConfig::default()
            }))
            .unwrap();
        let input = if xlsx {
            // Written by another process: a child's peak RSS (wait4) starts at the peak of
            // the process that spawns it, and the writer holds the whole workbook.
            let p = dir.path().join(format!("rows{n}.xlsx"));
            let ok = Command::new(std::env::current_exe().unwrap())
                .arg("--write-xlsx")
                .arg(&p)
                .arg(n.to_string())
                .status()
                .unwrap()
                .success();
            assert!(ok, "writing the workbook failed");
            p
        } else {
            let p = dir.path().join(format!("rows{n}.csv"));
            write_rows(&p, n);
            p
        };
        // `MEMORY_EXE=/path/to/ghl-import` runs another build (before/after, alternately).
        let exe = std::env::var("MEMORY_EXE")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_ghl-import").to_owned());
        let started = Instant::now();
        // Reaped by wait4 below, which also gives its peak RSS.
        #[allow(clippy::zombie_processes)]
        let child = Command::new(exe)
            .args(if validate {
                &["validate", "-q"][..]
            } else {
                &[
                    "import",
                    "-q",
                    "--rate-limit",
                    "2000/100ms",
                    "--concurrency",
                    "32",
                    "--tag",
                    "bench",
                ][..]
            })
            .arg(&input)
            .arg("--report")
            .arg(dir.path().join("report.csv"))
            .env("GHL_TOKEN", "bench-token")
            .env("GHL_BASE_URL", sb.base_url())
            .env("GHL_LOCATION_ID", "bench-location")
            .env("GHL_IMPORT_STATE", dir.path().join(format!("state{n}.db")))
            .args(if state || validate {
                &[][..]
            } else {
                &["--no-state"][..]
            })
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let child::ChildUsage {
            code: status,
            max_rss_kb,
            ..
        } = child::wait_with_rusage(child.id() as i32);
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{:>8} {:>6} {:>7.1} MB {:>8.2} s {:>12.0} {:>10}",
            n,
            match (validate, state) {
                (true, _) => "dry",
                (false, true) => "sqlite",
                (false, false) => "none",
            },
            max_rss_kb as f64 / 1024.0,
            secs,
            n as f64 / secs,
            status
        );
        rt.block_on(sb.shutdown());
    }
}

fn write_rows(path: &std::path::Path, n: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(f, "First Name,Last Name,Email,Phone,Company Name,City,Tags").unwrap();
    for i in 0..n {
        let tags = if i % 10 == 0 { "vip" } else { "lead" };
        writeln!(
            f,
            "Person{i},Family{},person{i}@example.com,+1 415 555 {:04},Company {},San Francisco,{tags}",
            i % 97,
            i % 10_000,
            i % 50
        )
        .unwrap();
    }
}

/// The rows of `write_rows`, as a workbook.
fn write_workbook(path: &std::path::Path, n: usize) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let headers = [
        "First Name",
        "Last Name",
        "Email",
        "Phone",
        "Company Name",
        "City",
        "Tags",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for i in 0..n {
        let r = i as u32 + 1;
        ws.write_string(r, 0, format!("Person{i}")).unwrap();
        ws.write_string(r, 1, format!("Family{}", i % 97)).unwrap();
        ws.write_string(r, 2, format!("person{i}@example.com"))
            .unwrap();
        ws.write_number(r, 3, 14_155_550_000.0 + (i % 10_000) as f64)
            .unwrap();
        ws.write_string(r, 4, format!("Company {}", i % 50))
            .unwrap();
        ws.write_string(r, 5, "San Francisco").unwrap();
        ws.write_string(r, 6, if i % 10 == 0 { "vip" } else { "lead" })
            .unwrap();
    }
    wb.save(path).unwrap();
}
