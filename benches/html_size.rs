//! The HTML report's size for a 1,000,000-row dry run of the messy file (bad phones, emails
//! and dates in many forms): the built binary's `validate --html`, and `report --html` on the
//! CSV report it wrote. Fails if either page reaches 1 MB.
//!
//! Run: `cargo bench --bench html_size` (about 20 s in release).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

#[path = "common/messy.rs"]
mod messy;

const ROWS: usize = 1_000_000;
const LIMIT: u64 = 1_000_000;

fn run(args: &[&std::ffi::OsStr]) -> f64 {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_ghl-import"))
        .args(args)
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "exit {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    t.elapsed().as_secs_f64()
}

fn size(p: &Path) -> u64 {
    std::fs::metadata(p).unwrap().len()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("messy-1m.csv");
    messy::write_messy(&input, ROWS);
    let (report, page, again) = (
        dir.path().join("messy.report.csv"),
        dir.path().join("messy.html"),
        dir.path().join("again.html"),
    );
    let secs = run(&[
        "validate".as_ref(),
        "-q".as_ref(),
        input.as_os_str(),
        "--location".as_ref(),
        "loc-bench".as_ref(),
        "--report".as_ref(),
        report.as_os_str(),
        "--html".as_ref(),
        page.as_os_str(),
    ]);
    let from_report = run(&[
        "report".as_ref(),
        "-q".as_ref(),
        report.as_os_str(),
        "--html".as_ref(),
        again.as_os_str(),
    ]);
    println!(
        "1M-row dry run with --html: {secs:.2} s, page {:.0} KB (report CSV {:.0} MB)",
        size(&page) as f64 / 1024.0,
        size(&report) as f64 / 1e6
    );
    println!(
        "`report --html` on that CSV report: {from_report:.2} s, page {:.0} KB",
        size(&again) as f64 / 1024.0
    );
    assert!(
        size(&page) < LIMIT,
        "the --html page is {} bytes",
        size(&page)
    );
    assert!(
        size(&again) < LIMIT,
        "the report page is {} bytes",
        size(&again)
    );
}
