//! Hostile input files, each named after what it breaks: the binary must never panic or hang,
//! must name the file, row and column of what it could not read, must still import every good
//! row of the file (and every good cell of a row with a bad one), and must give every row it
//! could not read its line in the report.
//!
//! Small cases live in `tests/bad_files/`; big or binary ones are generated here.

#[path = "../benches/common/child.rs"]
#[allow(dead_code)]
mod child;
mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// No case may take longer than this: a hang fails the test instead of stalling CI.
const TIME_LIMIT: Duration = Duration::from_secs(30);

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/bad_files")
        .join(name)
}

/// Runs `c` to completion or kills it at [`TIME_LIMIT`]. Output goes to files, so a chatty
/// child cannot block on a full pipe and look hung.
fn run_bounded(env: &Env, c: Command) -> Output {
    run_measured(env, c).0
}

/// [`run_bounded`], and the child's peak RSS in KB: the highest `VmHWM` read while it runs.
/// Not `wait4`'s `ru_maxrss`: Linux carries the spawning process's own peak through fork and
/// exec into it, so the test binary's other tests (their buffers) counted as the child's.
// The child is reaped by wait4, which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn run_measured(env: &Env, mut c: Command) -> (Output, i64) {
    let out_path = env.path("stdout.txt");
    let err_path = env.path("stderr.txt");
    c.stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap());
    let mut child = c.spawn().unwrap();
    let start = Instant::now();
    let pid = child.id() as i32;
    let mut hwm_kb: i64 = 0;
    let (status, max_rss_kb) = loop {
        hwm_kb = hwm_kb.max(child::peak_so_far_kb(pid).unwrap_or(0));
        let mut status = 0;
        // SAFETY: plain syscall on our own child; rusage is zeroed POD.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        assert!(r >= 0, "wait4 failed");
        if r == pid {
            use std::os::unix::process::ExitStatusExt;
            // A child too quick to be seen running: wait4's figure, an upper bound.
            let peak = if hwm_kb > 0 { hwm_kb } else { usage.ru_maxrss };
            break (std::process::ExitStatus::from_raw(status), peak);
        }
        if start.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {TIME_LIMIT:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let out = Output {
        status,
        stdout: std::fs::read(&out_path).unwrap(),
        stderr: std::fs::read(&err_path).unwrap(),
    };
    let err = stderr(&out);
    assert_ne!(code(&out), 101, "panicked: {err}");
    assert!(!err.contains("panicked"), "panicked: {err}");
    assert!([0, 1, 2].contains(&code(&out)), "exit {} {err}", code(&out));
    (out, max_rss_kb)
}

/// `import FILE` against the sandbox, bounded in time.
fn import(env: &Env, file: &Path, extra: &[&str]) -> Output {
    import_measured(env, file, extra).0
}

/// [`import`], and the child's peak RSS in KB (see [`run_measured`]).
fn import_measured(env: &Env, file: &Path, extra: &[&str]) -> (Output, i64) {
    let mut c = env.cmd();
    c.arg("import")
        .arg(file)
        .arg("--report")
        .arg(env.path("report.csv"))
        .args(["--rate-limit", "20/200ms"])
        .args(extra);
    run_measured(env, c)
}

/// `validate FILE`, bounded in time; its report is `validate.csv`.
fn validate(env: &Env, file: &Path, extra: &[&str]) -> Output {
    let mut c = env.cmd();
    c.arg("validate")
        .arg(file)
        .arg("--report")
        .arg(env.path("validate.csv"))
        .args(extra);
    run_bounded(env, c)
}

fn emails(env: &Env) -> BTreeSet<String> {
    env.sandbox
        .contacts(LOCATION)
        .into_iter()
        .filter_map(|c| c.email)
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// What a case must come to: the good rows imported, the bad ones reported with words in
/// their errors, every row in the report once, in order.
struct Expect<'a> {
    /// Report rows, in order: (row, status, words every one of which is in its errors).
    rows: &'a [(u64, &'a str, &'a [&'a str])],
    imported: &'a [&'a str],
}

fn check(file: &Path, expect: Expect) {
    let env = Env::new();
    let out = import(&env, file, &[]);
    let bad = expect.rows.iter().any(|r| r.1 == "invalid");
    assert_eq!(code(&out), if bad { 1 } else { 0 }, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    let got: Vec<_> = report
        .iter()
        .map(|r| (r["row"].parse::<u64>().unwrap(), r["status"].as_str()))
        .collect();
    let want: Vec<_> = expect
        .rows
        .iter()
        .map(|&(row, status, _)| {
            (
                row,
                if status == "ok" {
                    // created (or updated, when a second good row shares an email)
                    report
                        .iter()
                        .find(|r| r["row"] == row.to_string())
                        .map(|r| r["status"].as_str())
                        .filter(|s| ["created", "updated"].contains(s))
                        .unwrap_or("created")
                } else {
                    status
                },
            )
        })
        .collect();
    assert_eq!(got, want, "{report:#?}");
    let file_name = file.display().to_string();
    for ((_, status, words), r) in expect.rows.iter().zip(&report) {
        // An invalid row's words are in its errors; a sent row's in its warnings (cells
        // left out).
        let column = if *status == "invalid" {
            "errors"
        } else {
            "warnings"
        };
        for w in words.iter() {
            let w = w.replace("{file}", &file_name);
            assert!(r[column].contains(&w), "{w:?} not in {:?}", r[column]);
        }
    }
    assert_eq!(emails(&env), set(expect.imported), "{report:#?}");
    // validate agrees with the import about every row, and its rejects file holds each
    // invalid row once.
    let rejects = env.path("rejects");
    let out = validate(&env, file, &["--rejects", rejects.to_str().unwrap()]);
    assert_eq!(code(&out), if bad { 1 } else { 0 }, "{}", stderr(&out));
    let v = read_report(&env.path("validate.csv"));
    assert_eq!(v.len(), report.len());
    for (a, b) in v.iter().zip(&report) {
        assert_eq!(a["row"], b["row"]);
        assert_eq!(a["status"] == "invalid", b["status"] == "invalid");
    }
    let invalid: Vec<_> = v.iter().filter(|r| r["status"] == "invalid").collect();
    assert_rejects(&rejects, file, &invalid);
}

/// The rejects file holds one record for each invalid row, in order, with that row's errors
/// last; a CSV input's rejects file starts with its headers and `errors`.
fn assert_rejects(
    rejects: &Path,
    input: &Path,
    invalid: &[&std::collections::HashMap<String, String>],
) {
    let text = std::fs::read_to_string(rejects).unwrap_or_default();
    let errors: Vec<String> = if input.extension().is_some_and(|e| e == "jsonl") {
        text.lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                let list = v["errors"].as_array().unwrap();
                let parts: Vec<_> = list.iter().map(|e| e.as_str().unwrap()).collect();
                parts.join("; ")
            })
            .collect()
    } else {
        let mut r = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        if !invalid.is_empty() {
            let headers = r.headers().unwrap().clone();
            assert_eq!(headers.iter().next_back(), Some("errors"), "{text}");
        }
        r.records()
            .map(|rec| rec.unwrap().iter().next_back().unwrap().to_owned())
            .collect()
    };
    let want: Vec<_> = invalid.iter().map(|r| r["errors"].clone()).collect();
    assert_eq!(errors, want, "{text}");
}

// ---- CSV ----

#[test]
fn unbalanced_quotes_cost_their_own_rows_only() {
    check(
        &corpus("unbalanced_quotes.csv"),
        Expect {
            rows: &[
                (2, "ok", &[]),
                (
                    3,
                    "invalid",
                    &["{file}, row 3, column 'first_name'", "stray quote"],
                ),
                (4, "ok", &[]),
                (
                    5,
                    "invalid",
                    &["{file}, row 5, column 'last_name'", "never closed"],
                ),
            ],
            imported: &["ann@example.com", "cy@example.com"],
        },
    );
}

#[test]
fn a_quote_never_closed_does_not_swallow_the_rest_of_the_file() {
    check(
        &corpus("quote_never_closed.csv"),
        Expect {
            rows: &[
                (
                    2,
                    "invalid",
                    &[
                        "{file}, row 2, column 'first_name'",
                        "never closed (it runs to the end of the file)",
                    ],
                ),
                (3, "ok", &[]),
                (5, "ok", &[]),
            ],
            imported: &["bob@example.com", "cy@example.com"],
        },
    );
}

#[test]
fn a_quote_never_closed_in_a_big_file_is_cut_at_the_limit_and_the_rest_read() {
    let env = Env::new();
    let mut text = String::from("email,first_name\nann@example.com,\"Ann\n");
    for i in 0..300 {
        text.push_str(&format!("u{i}@example.com,Name {i}\n"));
    }
    let file = env.write("quote_never_closed_big.csv", &text);
    // 300 rows of ~30 bytes are past a 2 KB row limit: the quote is given up on there (a
    // quoted cell past --max-field-size alone is read on: it may be a real long note).
    let out = import(&env, &file, &["--max-row-size", "2KB"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    assert_eq!(report.len(), 301);
    assert_eq!(report[0]["status"], "invalid");
    assert!(
        report[0]["errors"].contains("row 2, column 'first_name'")
            && report[0]["errors"].contains("past --max-row-size"),
        "{}",
        report[0]["errors"]
    );
    assert!(report[1..].iter().all(|r| r["status"] == "created"));
    assert_eq!(emails(&env).len(), 300);
}

#[test]
fn ragged_rows_too_few_cells_import_too_many_are_invalid() {
    check(
        &corpus("ragged_rows.csv"),
        Expect {
            rows: &[
                (2, "ok", &[]),
                (3, "invalid", &["5 cells but the header has 3 columns"]),
                (4, "ok", &[]),
            ],
            imported: &["ann@example.com", "cy@example.com"],
        },
    );
}

#[test]
fn a_row_with_more_cells_than_the_header_names_the_file_and_row_and_says_what_to_do() {
    let env = Env::new();
    let file = corpus("ragged_rows.csv");
    let out = validate(&env, &file, &[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = read_report(&env.path("validate.csv"));
    assert_eq!(
        report[1]["errors"],
        format!(
            "{}, row 3: row has 5 cells but the header has 3 columns (extra: \"extra\", \"more\"); a cell holding ',' without quotes splits in two: put that cell in double quotes, or remove the extra cells",
            file.display()
        )
    );
    // A semicolon-separated file names its own delimiter.
    let semi = env.write(
        "semicolon.csv",
        "Email;First Name\nann@example.com;Ann\nbob@example.com;Bob;Stone\n",
    );
    validate(&env, &semi, &[]);
    let report = read_report(&env.path("validate.csv"));
    assert!(
        report[1]["errors"].starts_with(&format!("{}, row 3: ", semi.display()))
            && report[1]["errors"].contains("a cell holding ';' without quotes"),
        "{:?}",
        report[1]
    );
}

#[test]
fn a_stray_nul_byte_costs_its_cell_and_the_contact_imports() {
    check(
        &corpus("stray_nul_byte.csv"),
        Expect {
            rows: &[
                (
                    2,
                    "ok",
                    &[
                        "column 'first_name': \"An\u{FFFD}n\" left out",
                        "NUL byte at offset 2",
                    ],
                ),
                (3, "ok", &[]),
            ],
            imported: &["ann@example.com", "bob@example.com"],
        },
    );
}

/// A "CSV UTF-8" export (BOM) with a few cells pasted in from a Windows-1252 source, and a
/// NUL: each bad cell is left out and named, the rest of its row imports; only a bad email,
/// the row's key, makes its row invalid. A bad byte in a column that is not imported costs
/// nothing.
#[test]
fn stray_latin1_bytes_in_a_utf8_export_cost_their_cells_only() {
    let file = corpus("stray_latin1_bytes.csv");
    check(
        &file,
        Expect {
            rows: &[
                (
                    2,
                    "ok",
                    &[
                        "column 'Last Name': \"M\u{FFFD}ller\" left out",
                        "not valid UTF-8 (bad byte at offset 1)",
                        "--encoding",
                    ],
                ),
                (3, "ok", &[]),
                (
                    4,
                    "invalid",
                    &[
                        "column 'Email': \"c\u{FFFD}@example.com\" left out",
                        "UTF-8",
                    ],
                ),
                (
                    5,
                    "ok",
                    &[
                        "column 'First Name': \"D\u{FFFD}e\" left out",
                        "column 'Last Name': \"Ng\u{FFFD}\" left out",
                        "NUL byte",
                    ],
                ),
            ],
            imported: &["ann@example.com", "bob@example.com", "dee@example.com"],
        },
    );
    // What was readable in those rows was sent; what was not, never.
    let env = Env::new();
    let out = import(&env, &file, &[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let by_email = |e: &str| {
        env.sandbox
            .contacts(LOCATION)
            .into_iter()
            .find(|c| c.email.as_deref() == Some(e))
            .unwrap()
    };
    let ann = by_email("ann@example.com");
    assert_eq!(
        (ann.first_name.as_deref(), ann.last_name.as_deref()),
        (Some("Ann"), None)
    );
    let dee = by_email("dee@example.com");
    assert_eq!(
        (dee.first_name.as_deref(), dee.last_name.as_deref()),
        (None, None)
    );
    let bob = by_email("bob@example.com");
    assert_eq!(bob.last_name.as_deref(), Some("Smith"));
    let err = stderr(&out);
    assert!(
        err.contains("with cells left out: 2 (by column: 'Last Name' 2, 'First Name' 1)"),
        "{err}"
    );
    // --strict: a cell that cannot be read rejects its row, these as any other.
    let out = validate(&env, &file, &["--strict"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let statuses: Vec<_> = read_report(&env.path("validate.csv"))
        .iter()
        .map(|r| (r["row"].clone(), r["status"].clone()))
        .collect();
    let want: Vec<_> = [
        ("2", "invalid"),
        ("3", "valid"),
        ("4", "invalid"),
        ("5", "invalid"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(statuses, want);
}

#[test]
fn a_10_mb_cell_costs_only_itself_and_its_row_imports() {
    let env = Env::new();
    let text = format!(
        // "remarks" matches no field, not even the location's custom field "Notes": its
        // 10 MB cell costs nothing. The 2 MB city, a quoted note of many lines, is left out
        // and named; the rest of its row imports and the row after it keeps its number.
        "email,first_name,remarks,city\nann@example.com,Ann,short,Austin\nbob@example.com,Bob,{},Boston\ncy@example.com,Cy,short,\"{}\"\ndi@example.com,Di,,Denver\n",
        "x".repeat(10_000_000),
        "Main Street\n".repeat(170_000)
    );
    let file = env.write("ten_mb_cell.csv", &text);
    let (out, peak_kb) = import_measured(&env, &file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    let rows: Vec<_> = report
        .iter()
        .map(|r| (r["row"].as_str(), r["status"].as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("2", "created"),
            ("3", "created"),
            ("4", "created"),
            ("5", "created")
        ]
    );
    assert!(
        !report[1]["warnings"].contains("remarks"),
        "{}",
        report[1]["warnings"]
    );
    let w = &report[2]["warnings"];
    assert!(
        w.contains("column 'city': \"Main Street\\nMain Street")
            && w.contains("2040000 bytes long, past --max-field-size (1 MiB)"),
        "{w}"
    );
    let cities: BTreeSet<_> = env
        .sandbox
        .contacts(LOCATION)
        .into_iter()
        .map(|c| (c.email.unwrap_or_default(), c.city.unwrap_or_default()))
        .collect();
    assert_eq!(
        cities,
        [
            ("ann@example.com", "Austin"),
            ("bob@example.com", "Boston"),
            ("cy@example.com", ""),
            ("di@example.com", "Denver")
        ]
        .map(|(e, c)| (e.to_string(), c.to_string()))
        .into()
    );
    // The big cells were never held whole: a few MB of buffers, not 12 MB of cells.
    assert!(peak_kb < 64 * 1024, "peak {peak_kb} kB");
}

#[test]
fn a_row_past_the_row_limit_is_invalid_and_the_run_goes_on() {
    let env = Env::new();
    let file = env.write(
        "long_row.csv",
        &format!(
            "email,a,b,c\nann@example.com,1,2,3\nbob@example.com,{}\ncy@example.com,4,5,6\n",
            "0123456789,".repeat(50)
        ),
    );
    let out = import(&env, &file, &["--max-row-size", "200"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    assert_eq!(report.len(), 3);
    assert!(
        report[1]["errors"].contains("long_row.csv, row 3")
            && report[1]["errors"].contains("longer than 200 bytes (--max-row-size)"),
        "{}",
        report[1]["errors"]
    );
    assert_eq!(emails(&env), set(&["ann@example.com", "cy@example.com"]));
    // A limit that is not a size is a bad flag: exit 2, nothing sent.
    let out = import(&env, &file, &["--max-row-size", "lots"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--max-row-size"), "{}", stderr(&out));
}

#[test]
fn a_single_line_blob_costs_bounded_memory_and_one_report_line() {
    let env = Env::new();
    // 40 MB with no line break after a good header and row: one giant "row".
    let mut bytes = b"email,notes\nann@example.com,x\nbob@example.com,".to_vec();
    let mut x: u32 = 12345;
    bytes.extend((0..40_000_000).map(|_| {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        // Text-like bytes, no quotes or line breaks: the row never ends.
        b"abcdefghij,;|\t0123456789"[(x >> 16) as usize % 24]
    }));
    bytes.extend_from_slice(b"\ncy@example.com,y\n");
    let file = env.path("giant_line.csv");
    std::fs::write(&file, bytes).unwrap();
    let (out, max_rss_kb) = import_measured(&env, &file, &[]);
    // About 30 MB is the binary's own; holding the row would add its 40 MB.
    assert!(max_rss_kb < 60_000, "peak RSS {max_rss_kb} KB");
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    let rows: Vec<_> = report
        .iter()
        .map(|r| (r["row"].as_str(), r["status"].as_str()))
        .collect();
    assert_eq!(rows, [("2", "created"), ("3", "invalid"), ("4", "created")]);
    assert!(
        report[1]["errors"].contains("giant_line.csv, row 3")
            && report[1]["errors"].contains("--max-row-size"),
        "{}",
        report[1]["errors"]
    );
}

#[test]
fn binary_files_renamed_csv_are_refused_by_what_they_are() {
    let env = Env::new();
    for (name, bytes, words) in [
        (
            "image.csv",
            &b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89"[..],
            "is a PNG image",
        ),
        (
            "archive.csv",
            b"\x1f\x8b\x08\0\0\0\0\0\0\x03\xcbH\xcd\xc9\xc9\xe7\x02\0 0:6\x06\0\0\0",
            "gzip-compressed",
        ),
        (
            "workbook.csv",
            // A ZIP archive is tried as a workbook (whatever its name); this one is cut short.
            b"PK\x03\x04\x14\0\x06\0\x08\0\0\0!\0",
            "cannot be read as an Excel .xlsx workbook",
        ),
    ] {
        let file = env.path(name);
        std::fs::write(&file, bytes).unwrap();
        for out in [import(&env, &file, &[]), validate(&env, &file, &[])] {
            assert_eq!(code(&out), 2, "{}", stderr(&out));
            let err = stderr(&out);
            assert!(err.contains(name) && err.contains(words), "{err}");
        }
    }
    assert!(env.requests().is_empty());
}

#[test]
fn an_empty_file_is_an_error_naming_it() {
    let env = Env::new();
    let file = corpus("empty.csv");
    let out = import(&env, &file, &[]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("empty.csv is empty"),
        "{}",
        stderr(&out)
    );
    assert!(env.requests().is_empty());
}

/// A nightly drop that arrives empty, or as a gzip, is refused before the report is opened:
/// last night's report, rejects and all, stays as it was.
#[test]
fn a_refused_input_leaves_the_last_report_as_it_was() {
    let env = Env::new();
    let file = env.write(
        "nightly.csv",
        "email,first_name\nann@example.com,Ann\nbad,Bob\n",
    );
    let rejects = env.path("rejects.csv");
    let flags = ["--rejects", rejects.to_str().unwrap()];
    let out = validate(&env, &file, &flags);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = std::fs::read(env.path("validate.csv")).unwrap();
    let rejected = std::fs::read(&rejects).unwrap();
    assert_eq!(read_report(&env.path("validate.csv")).len(), 2);
    for bytes in [&b""[..], b"\x1f\x8b\x08\0\0\0\0\0\0\x03"] {
        std::fs::write(&file, bytes).unwrap();
        let out = validate(&env, &file, &flags);
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        assert_eq!(std::fs::read(env.path("validate.csv")).unwrap(), report);
        assert_eq!(std::fs::read(&rejects).unwrap(), rejected);
    }
    // A file that cannot be written still stops the run at once.
    let out = validate(&env, &file, &["--rejects", "/nonexistent-dir/r.csv"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("/nonexistent-dir/r.csv"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_header_only_file_imports_nothing_and_succeeds() {
    let env = Env::new();
    let out = import(&env, &corpus("header_only.csv"), &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(read_report(&env.path("report.csv")).is_empty());
    assert!(env.requests_to("/contacts/upsert").is_empty());
}

#[test]
fn duplicate_header_names_the_first_wins_and_the_other_is_named() {
    let env = Env::new();
    let out = import(&env, &corpus("duplicate_headers.csv"), &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // The second email column is the first one's backup, named apart in the warnings.
    let report = read_report(&env.path("report.csv"));
    assert!(
        report[0]["warnings"].starts_with(
            "column 'email (2)': \"other@example.com\" not imported: the row's email comes from 'email'"
        ),
        "{report:?}"
    );
    assert_eq!(report[1]["warnings"], "");
    assert_eq!(emails(&env), set(&["ann@example.com", "bob@example.com"]));
}

#[test]
fn blank_header_names_are_not_imported_and_the_rest_is() {
    check(
        &corpus("blank_headers.csv"),
        Expect {
            rows: &[(2, "ok", &[]), (3, "ok", &[])],
            imported: &["ann@example.com", "bob@example.com"],
        },
    );
}

// ---- JSONL ----

#[test]
fn invalid_json_lines_name_the_line_and_column() {
    check(
        &corpus("invalid_lines.jsonl"),
        Expect {
            rows: &[
                (1, "ok", &[]),
                (
                    2,
                    "invalid",
                    &["{file}, line 2, column 27: not valid JSON: EOF while parsing an object"],
                ),
                (3, "invalid", &["{file}, line 3, column 2: not valid JSON"]),
                (4, "ok", &[]),
            ],
            imported: &["ann@example.com", "cy@example.com"],
        },
    );
}

#[test]
fn arrays_and_strings_instead_of_objects_are_unreadable_lines() {
    check(
        &corpus("arrays_not_objects.jsonl"),
        Expect {
            rows: &[
                (1, "invalid", &["{file}, line 1: the line is a JSON array"]),
                (2, "ok", &[]),
                (3, "invalid", &["line 3: the line is a JSON array"]),
                (4, "invalid", &["line 4: the line is a JSON string"]),
                (5, "ok", &[]),
            ],
            imported: &["bob@example.com", "dee@example.com"],
        },
    );
}

#[test]
fn a_key_repeated_in_one_object_is_named_and_keys_matching_no_field_are_said_once() {
    let file = corpus("repeated_and_unknown_keys.jsonl");
    check(
        &file,
        Expect {
            rows: &[
                // The first value is sent, as with two CSV columns of one name.
                (
                    1,
                    "ok",
                    &["column 'email': \"ann.lee@work.example.com\" left out: the object holds the key 'email' more than once; its first value is sent"],
                ),
                (2, "ok", &["column 'firstName': \"Robert\" left out"]),
                (3, "ok", &[]),
            ],
            imported: &["ann@example.com", "bob@example.com"],
        },
    );
    let env = Env::new();
    let out = validate(&env, &file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "keys not imported (no matching HighLevel field; map them with --mapping): 'favourite_band', 'hs_object_id', 'lead_score'"
        ),
        "{}",
        stderr(&out)
    );
    let report = read_report(&env.path("validate.csv"));
    assert_eq!(report[0]["email"], "ann@example.com");
    assert_eq!(
        report[2]["warnings"], "",
        "a key matching no field costs nothing"
    );
}

#[test]
fn wrong_types_are_errors_naming_the_key() {
    check(
        &corpus("wrong_types.jsonl"),
        Expect {
            rows: &[
                // A number where text is expected is read as its text.
                (1, "ok", &[]),
                // A value that cannot be read costs its cell, not the contact.
                (
                    2,
                    "ok",
                    &["column 'lastName': \"{\\\"x\\\":1}\" left out: a JSON object is not a valid value"],
                ),
                // null means "no value".
                (3, "ok", &[]),
                (
                    4,
                    "invalid",
                    &["column 'email': \"12345\" is not a valid email"],
                ),
                (
                    5,
                    "ok",
                    &["column 'tags': \"{\\\"a\\\":1}\" left out: a JSON object is not a valid value"],
                ),
                // A customFields value that is no list of fields costs itself too.
                (
                    6,
                    "ok",
                    &["customFields must be an object or an array", "column 'dnd'"],
                ),
                (7, "ok", &[]),
            ],
            imported: &[
                "ann@example.com",
                "bob@example.com",
                "dee@example.com",
                "eve@example.com",
                "fay@example.com",
            ],
        },
    );
}

/// A JSONL export read as UTF-8 (its first 64 KB are) with Windows-1252 bytes further on:
/// each value they fall in is left out and named, the rest of its line is sent; only the
/// email, the row's key, makes its line invalid.
#[test]
fn bad_bytes_in_jsonl_values_cost_those_values_only() {
    let env = Env::new();
    let mut bytes = Vec::new();
    // "remarks" matches no field: it only fills the sample.
    let remarks = "ü".repeat(600);
    for i in 0..60 {
        bytes.extend(
            format!("{{\"email\":\"u{i}@example.com\",\"firstName\":\"Zoë {i}\",\"remarks\":\"{remarks}\"}}\n")
                .bytes(),
        );
    }
    assert!(bytes.len() > 64 * 1024);
    bytes
        .extend(b"{\"email\":\"ann@example.com\",\"firstName\":\"Jos\xe9\",\"lastName\":\"Ng\"}\n");
    bytes.extend(b"{\"email\":\"b\xe9@example.com\",\"firstName\":\"Bob\"}\n");
    bytes.extend(
        b"{\"email\":\"dee@example.com\",\"firstName\":\"Dee\",\"tags\":[\"vip\",\"b\xe9ta\"]}\n",
    );
    let file = env.path("export.jsonl");
    std::fs::write(&file, &bytes).unwrap();
    let rejects = env.path("rejects.jsonl");
    let out = import(&env, &file, &["--rejects", rejects.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("(JSONL, UTF-8)"), "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    assert_eq!(report.len(), 63);
    let line = |n: usize| &report[n - 1];
    assert_eq!(line(61)["status"], "created");
    assert!(
        line(61)["warnings"]
            .contains("column 'firstName': \"Jos\u{FFFD}\" left out: it is not valid UTF-8"),
        "{:?}",
        line(61)
    );
    assert_eq!(line(62)["status"], "invalid");
    assert!(
        line(62)["errors"].contains("column 'email'"),
        "{:?}",
        line(62)
    );
    // The rejects file shows the value as far as it reads, to fix it there.
    let rejected = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(rejected.lines().count(), 1, "{rejected}");
    assert!(
        rejected.contains("\"email\":\"b\u{FFFD}@example.com\""),
        "{rejected}"
    );
    assert_eq!(line(63)["status"], "created");
    assert!(
        line(63)["warnings"].contains("column 'tags'"),
        "{:?}",
        line(63)
    );
    let contacts = env.sandbox.contacts(LOCATION);
    assert_eq!(contacts.len(), 62);
    let ann = contacts
        .iter()
        .find(|c| c.email.as_deref() == Some("ann@example.com"))
        .unwrap();
    assert_eq!(
        (ann.first_name.as_deref(), ann.last_name.as_deref()),
        (None, Some("Ng"))
    );
    // No tag call for Dee: her only tags were in the value left out.
    let dee = contacts
        .iter()
        .find(|c| c.email.as_deref() == Some("dee@example.com"))
        .unwrap();
    assert!(dee.tags.is_empty(), "{:?}", dee.tags);
    // --strict rejects Dee's line too; the rejects file keeps her tags a list, as far as they
    // read, ready to fix and import again.
    let out = validate(
        &env,
        &file,
        &["--strict", "--rejects", rejects.to_str().unwrap()],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let rejected = std::fs::read_to_string(&rejects).unwrap();
    let dee = rejected
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["email"] == "dee@example.com")
        .unwrap();
    assert_eq!(dee["tags"], serde_json::json!(["vip", "b\u{FFFD}ta"]));
}

#[test]
fn blank_lines_are_skipped_and_line_numbers_kept() {
    check(
        &corpus("blank_lines.jsonl"),
        Expect {
            rows: &[(1, "ok", &[]), (5, "ok", &[])],
            imported: &["ann@example.com", "bob@example.com"],
        },
    );
}

#[test]
fn trailing_garbage_after_an_object_is_an_error() {
    check(
        &corpus("trailing_garbage.jsonl"),
        Expect {
            rows: &[
                (
                    1,
                    "invalid",
                    &["{file}, line 1, column 29: not valid JSON: trailing characters"],
                ),
                (2, "ok", &[]),
                (
                    3,
                    "invalid",
                    &["line 3, column 27: not valid JSON: trailing characters"],
                ),
                (4, "ok", &[]),
            ],
            imported: &["bob@example.com", "dee@example.com"],
        },
    );
}

#[test]
fn deep_nesting_hits_the_recursion_limit_not_the_stack() {
    let env = Env::new();
    let deep = 100_000;
    let text = format!(
        "{{\"email\":\"ann@example.com\"}}\n{}{}\n{{\"email\":\"bob@example.com\",\"x\":{}1{}}}\n{{\"email\":\"cy@example.com\"}}\n",
        "[".repeat(deep),
        "]".repeat(deep),
        "{\"a\":".repeat(deep),
        "}".repeat(deep),
    );
    let file = env.write("deep_nesting.jsonl", &text);
    let out = import(&env, &file, &[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    let rows: Vec<_> = report
        .iter()
        .map(|r| (r["row"].as_str(), r["status"].as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("1", "created"),
            ("2", "invalid"),
            ("3", "invalid"),
            ("4", "created")
        ]
    );
    for r in &report[1..3] {
        assert!(
            r["errors"].contains("deep_nesting.jsonl, line")
                && r["errors"].contains("recursion limit exceeded"),
            "{}",
            r["errors"]
        );
    }
    assert_eq!(emails(&env), set(&["ann@example.com", "cy@example.com"]));
}

#[test]
fn a_jsonl_line_past_the_row_limit_is_invalid_and_not_held() {
    let env = Env::new();
    let text = format!(
        "{{\"email\":\"ann@example.com\"}}\n{{\"email\":\"bob@example.com\",\"notes\":\"{}\"}}\n{{\"email\":\"cy@example.com\"}}\n",
        "n".repeat(6_000_000)
    );
    let file = env.write("long_line.jsonl", &text);
    let out = import(&env, &file, &[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    assert_eq!(report.len(), 3);
    assert!(
        report[1]["errors"]
            .contains("long_line.jsonl, line 2: the line is longer than 4 MiB (--max-row-size)"),
        "{}",
        report[1]["errors"]
    );
    assert_eq!(emails(&env), set(&["ann@example.com", "cy@example.com"]));
}

#[test]
fn an_output_path_that_is_the_input_or_another_output_is_refused_and_nothing_is_touched() {
    let env = Env::new();
    let body = "email,first name\nann@example.com,Ann\n";
    let file = env.write("contacts.csv", body);
    let mapping = env.write("map.toml", "[columns]\n\"first name\" = \"firstName\"\n");
    let run = |args: &[&str]| {
        let mut c = env.cmd();
        c.args(args);
        run_bounded(&env, c)
    };
    let f = file.to_str().unwrap();
    let m = mapping.to_str().unwrap();
    // The report on the input, spelt another way: the input survives, nothing is sent.
    let same = env.path("./contacts.csv");
    let out = run(&[
        "import",
        f,
        "--report",
        same.to_str().unwrap(),
        "--rate-limit",
        "20/200ms",
    ]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--report") && stderr(&out).contains("that is the input file"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), body);
    assert!(emails(&env).is_empty());
    // The HTML page on the mapping file.
    let out = run(&["validate", f, "--mapping", m, "--html", m]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("that is the mapping file"),
        "{}",
        stderr(&out)
    );
    assert!(std::fs::read_to_string(&mapping)
        .unwrap()
        .contains("firstName"));
    // Two outputs on one path, neither written yet.
    let both = env.path("out.csv");
    let b = both.to_str().unwrap();
    let out = run(&["validate", f, "--report", b, "--rejects", b]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("that is the --report file"),
        "{}",
        stderr(&out)
    );
    assert!(!both.exists());
}

/// Mailchimp's "Export Audience" ZIP, picked instead of the CSV files inside it.
#[test]
fn an_export_zip_of_csv_files_is_named_with_its_files() {
    let env = Env::new();
    let out = validate(&env, &corpus("members_export_ba473dc14f.zip"), &[]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(
        err.contains("is a ZIP archive, not a workbook: it holds subscribed_members_export_ba473dc14f.csv, unsubscribed_members_export_ba473dc14f.csv; unzip it and import each file"),
        "{err}"
    );
    assert!(
        !err.contains("_rels") && !err.contains("save it again"),
        "{err}"
    );
}
