//! Dry-run (`validate`) speed over a messy file: mixed phone formats (some invalid), emails
//! (some bad), dates in several formats (some invalid), non-ASCII names, tags, countries.
//! Criterion measures a parse-only pass and the full dry run side by side on 200k rows; then
//! one 1M-row timing of each, and the built binary's `validate` on 1M rows with its peak RSS.
//!
//! Run: `cargo bench --bench dry_run` (`-- --quick-1m` skips criterion, 1M figures only).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use futures::FutureExt;
use ghl_import::input::{InputOptions, Reader};
use ghl_import::pipeline::{run, RunConfig};
use ghl_import::report::{ReportFormat, ReportWriter};

const PHONES: &[&str] = &[
    "(415) 555-2671",
    "415.555.0134",
    "+44 20 7946 0958",
    "00 49 30 901820",
    "212-555-0198",
    "+1 (646) 555-3890",
    "6175550123",
    "1-800-555-0199",
    "+33 1 42 68 53 00",
    "555-01",
    "(415) 555-2671 x204",
    "+61 2 9374 4000",
    "123-456-7890",
    "+1 415 555 2671",
    "720 555 0100",
    "abc-555-1234",
];
const DATES: &[&str] = &[
    "1985-04-12",
    "04/12/1985",
    "1990/11/03",
    "12-31-1979",
    "2001.07.04",
    "1972_02_29",
    "1988-02-30",
    "13/13/1990",
    "1995-06-15T10:20:30Z",
    "",
];
const FIRST: &[&str] = &[
    "José", "Zoë", "Anna", "Søren", "Émilie", "李", "Mark", "Ørjan",
];
const COUNTRIES: &[&str] = &["US", "us", "Canada", "GB", "Germany", "", "", "", "XX"];

/// Deterministic: the same file every run.
fn write_messy(path: &Path, n: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(
        f,
        "First Name,Last Name,Email,Phone,Date of Birth,Country,City,Company Name,Tags"
    )
    .unwrap();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..n {
        let r = next();
        let pick = |list: &[&'static str], shift: u32| list[((r >> shift) as usize) % list.len()];
        let email = match (r >> 40) % 20 {
            0 => format!("bad.{i}@"),
            1 => format!("user {i}@example.com"),
            2 => String::new(),
            _ => format!("Person.{i}@Example{}.COM", i % 13),
        };
        // Nothing is cached between rows, so repeating these strings costs like distinct ones.
        let phone = pick(PHONES, 8).to_owned();
        let country = pick(COUNTRIES, 20);
        let tags = match (r >> 50) % 4 {
            0 => "\"vip, lead\"",
            1 => "lead",
            2 => "",
            _ => "\"customer,VIP,Customer\"",
        };
        writeln!(
            f,
            "{},Müller-{},{email},{phone},{},{country},São Paulo,\"Acme, Inc. {}\",{tags}",
            pick(FIRST, 0),
            i % 997,
            pick(DATES, 16),
            i % 50,
        )
        .unwrap();
    }
}

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
    let quick = std::env::args().any(|a| a == "--quick-1m");
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
    let (secs, rss_kb, code) = validate_child(&big, &dir.path().join("child-report.csv"));
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
