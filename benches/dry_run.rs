//! Dry-run (`validate`) speed over a messy file: mixed phone formats (some invalid), emails
//! (some bad), dates in several formats (some invalid), non-ASCII names, tags, countries.
//! Criterion measures a parse-only pass and the full dry run side by side on 200k rows; then
//! one 1M-row timing of each, and the built binary's `validate` on 1M rows with its peak RSS,
//! then once more onto the same report path (as a nightly run finds its last report there).
//!
//! Run: `cargo bench --bench dry_run` (`-- --quick-1m` skips criterion, 1M figures only;
//! `-- --write PATH N` only writes an N-row messy file, e.g. to profile `validate` on it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use futures::FutureExt;
use ghl_import::input::{InputOptions, Reader};
use ghl_import::pipeline::{run, RunConfig};
use ghl_import::report::{ReportFormat, ReportWriter};

#[path = "common/messy.rs"]
mod messy;
use messy::write_messy;

fn parse_only(path: &Path) -> u64 {
    let reader = Reader::open(path, &InputOptions::default()).unwrap();
    let mut n = 0u64;
    for r in reader {
        n += r.seq & 1;
    }
    n
}

fn dry_run(rt: &tokio::runtime::Runtime, path: &Path, report: &Path) -> u64 {
    let writer = ReportWriter::create(report, ReportFormat::Csv).unwrap();
    let cfg = RunConfig::new(path.to_path_buf());
    let summary = rt
        .block_on(run(
            cfg,
            vec![Box::new(writer)],
            futures::future::pending().boxed(),
        ))
        .unwrap();
    summary.rows
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `-- --write PATH N`: only writes the messy file (to profile `validate` on it).
    if let [_, flag, path, n, ..] = &args[..] {
        if flag == "--write" {
            write_messy(Path::new(path), n.parse().unwrap());
            return;
        }
    }
    let quick = args.iter().any(|a| a == "--quick-1m");
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("messy-200k.csv");
    let big = dir.path().join("messy-1m.csv");
    write_messy(&small, 200_000);
    write_messy(&big, 1_000_000);
    let report = dir.path().join("report.csv");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    if !quick {
        let mut c = Criterion::default()
            .sample_size(10)
            .measurement_time(Duration::from_secs(20))
            .warm_up_time(Duration::from_secs(2))
            .configure_from_args();
        let mut g = c.benchmark_group("messy-200k");
        g.throughput(Throughput::Elements(200_000));
        g.bench_function("parse-only", |b| b.iter(|| parse_only(&small)));
        g.bench_function("dry-run", |b| b.iter(|| dry_run(&rt, &small, &report)));
        g.finish();
        c.final_summary();
    }

    let t = Instant::now();
    parse_only(&big);
    let parse = t.elapsed();
    let t = Instant::now();
    let rows = dry_run(&rt, &big, &report);
    let full = t.elapsed();
    assert_eq!(rows, 1_000_000);
    let child_report = dir.path().join("child-report.csv");
    let (secs, rss_kb, code) = validate_child(&big, &child_report);
    // A nightly run keeps its report path: the old 370 MB report is there when it starts.
    let (again, _, _) = validate_child(&big, &child_report);
    let per_s = |d: f64| 1_000_000.0 / d;
    println!(
        "1M rows, parse only:          {:>10.0} rows/s ({:.2} s)",
        per_s(parse.as_secs_f64()),
        parse.as_secs_f64()
    );
    println!(
        "1M rows, dry run (library):   {:>10.0} rows/s ({:.2} s)",
        per_s(full.as_secs_f64()),
        full.as_secs_f64()
    );
    println!(
        "1M rows, `validate` binary:   {:>10.0} rows/s ({secs:.2} s), peak RSS {:.1} MB, exit {code}",
        per_s(secs),
        rss_kb as f64 / 1024.0
    );
    println!(
        "1M rows, again, same report:  {:>10.0} rows/s ({again:.2} s)",
        per_s(again)
    );
}

fn validate_child(input: &PathBuf, report: &Path) -> (f64, i64, i32) {
    let started = Instant::now();
    // Reaped by wait4 below, which also gives its peak RSS.
    #[allow(clippy::zombie_processes)]
    let child = Command::new(env!("CARGO_BIN_EXE_ghl-import"))
        .args(["validate", "-q"])
        .arg(input)
        .arg("--report")
        .arg(report)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    // SAFETY: plain syscall on our own child; rusage is zeroed POD.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(r, child.id() as i32, "wait4 failed");
    let secs = started.elapsed().as_secs_f64();
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (secs, usage.ru_maxrss, code)
}
