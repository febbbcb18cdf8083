//! Properties over generated input: the readers, mapping + validation and the report never
//! panic, and account for every record exactly once.
//!
//! Case counts are small so the suite takes seconds in CI (`PROPTEST_CASES` raises them for a
//! longer hunt). The seed is random each run (`PROPTEST_RNG_SEED` pins one) and failures are
//! not persisted to `proptest-regressions/`: a failure prints its shrunk input and seed, which
//! belongs in a named unit test, not in a file of opaque seeds.

use std::sync::Arc;

use proptest::prelude::*;

use ghl_import::event::{RowOutcome, RowStatus};
use ghl_import::input::{Format, InputOptions, Limits, Reader, Record, RecordValues};
use ghl_import::mapping::Mapper;
use ghl_import::pipeline::{Prepared, Preparer};
use ghl_import::report::{ReportFormat, ReportWriter};
use ghl_import::validation::custom_fields::CustomFieldSet;
use ghl_import::validation::{ValidationOptions, Validator};

fn config(cases: u32) -> ProptestConfig {
    let mut c = ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = cases;
    }
    c
}

fn read(bytes: &[u8], format: Format, limits: Limits) -> Option<Vec<Record>> {
    read_with_delimiter(bytes, format, limits).map(|(r, _)| r)
}

/// The records, and the delimiter the reader settled on.
fn read_with_delimiter(
    bytes: &[u8],
    format: Format,
    limits: Limits,
) -> Option<(Vec<Record>, Option<u8>)> {
    let opts = InputOptions {
        format: Some(format),
        limits,
        ..InputOptions::default()
    };
    let name = match format {
        Format::Csv => "p.csv",
        Format::Jsonl => "p.jsonl",
        Format::Xlsx => "p.xlsx",
    };
    Reader::from_reader(Box::new(std::io::Cursor::new(bytes.to_vec())), name, &opts)
        .ok()
        .map(|r| {
            let d = r.delimiter();
            (r.collect(), d)
        })
}

/// Lines as a spreadsheet counts them: `\r\n`, `\r` and `\n` each end one.
fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\n' || bytes[i] == b'\r' {
            out.push(&bytes[start..i]);
            if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            start = i + 1;
        }
        i += 1;
    }
    if start < bytes.len() {
        out.push(&bytes[start..]);
    }
    out
}

fn blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

fn small_limits() -> Limits {
    Limits {
        max_field: 48,
        max_row: 160,
    }
}

/// Bytes that are mostly CSV's own syntax, plus anything.
fn csvish_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            4 => proptest::sample::select(b"ab ,;\"\n\r\t|x".to_vec()),
            1 => any::<u8>(),
        ],
        0..600,
    )
}

fn preparer(headers: Option<&[String]>) -> Option<Preparer> {
    let mapper = Mapper::new(None, headers).ok()?;
    let validator = Validator::new(ValidationOptions {
        default_country: "US".into(),
        extra_tags: vec!["t".into()],
        business_id: None,
        ..ValidationOptions::default()
    })
    .ok()?;
    Some(Preparer {
        mapper,
        validator,
        default_location: Some("loc".into()),
        require_location: true,
        keep_raw: true,
        headers: headers.map(Arc::from),
        declared: CustomFieldSet::default(),
    })
}

fn outcome(p: Prepared) -> RowOutcome {
    match p {
        Prepared::Invalid(o) => o,
        Prepared::Valid {
            seq,
            row,
            location,
            valid,
            ..
        } => RowOutcome {
            email: valid.contact.email.clone(),
            phone: valid.contact.phone.clone(),
            location_id: location,
            ..RowOutcome::new(seq, row, RowStatus::Valid)
        },
    }
}

const HEADERS: &[&str] = &[
    "email",
    "E-mail",
    "phone",
    "Mobile",
    "first name",
    "Last Name",
    "Full Name",
    "dob",
    "country",
    "tags",
    "dnd",
    "website",
    "timezone",
    "gender",
    "postal code",
    "locationId",
    "businessId",
    "contact.score",
    "source",
    "",
    "notes",
];

/// Values that mean something to validation, and anything at all.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any::<String>(),
        1 => "[a-z]{1,8}@[a-z]{1,8}\\.(com|org|io|x)",
        1 => "\\+?[0-9 ()\\-.]{3,18}",
        1 => "(19|20)[0-9]{2}[-/.][01][0-9][-/.][0-3][0-9]",
        1 => "[01][0-9]/[0-3][0-9]/(19|20)[0-9]{2}",
        1 => proptest::sample::select(vec![
            "yes".to_string(), "no".into(), "true".into(), "1".into(), "US".into(),
            "Deutschland".into(), "=1+1".into(), "@SUM(A1)".into(), "a, b, \"c\"".into(),
            "".into(), "  ".into(), "\u{0}".into(), "\u{202e}x".into(),
        ]),
    ]
}

fn rows() -> impl Strategy<Value = (Vec<String>, Vec<Vec<String>>)> {
    proptest::sample::subsequence(HEADERS.to_vec(), 1..8).prop_flat_map(|h| {
        let n = h.len();
        let headers: Vec<String> = h.into_iter().map(String::from).collect();
        (
            Just(headers),
            proptest::collection::vec(proptest::collection::vec(cell(), 0..n + 2), 1..12),
        )
    })
}

fn phone_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\(?[2-9][0-9]{2}\\)? ?[2-9][0-9]{2}[-. ]?[0-9]{4}",
        "\\+1 ?[2-9][0-9]{2} ?[2-9][0-9]{2} ?[0-9]{4}",
        "\\+44 ?20 ?7[0-9]{3} ?[0-9]{4}",
        "00 ?49 ?30 ?[0-9]{6,8}",
        "\\+[1-9][0-9]{6,14}",
        "[0-9+ ()\\-.x]{4,22}",
        "\\+1 415 555 2671 (ext\\.?|x) ?[0-9]{1,4}",
    ]
}

proptest! {
    #![proptest_config(config(256))]

    /// Any bytes at all: the CSV reader returns or refuses, never panics, and what it returns
    /// is in order, one record per row number, never more rows than the file has lines.
    #[test]
    fn csv_reader_survives_any_bytes(bytes in csvish_bytes(), tight in any::<bool>()) {
        let limits = if tight { small_limits() } else { Limits::default() };
        if let Some(recs) = read(&bytes, Format::Csv, limits) {
            for (i, r) in recs.iter().enumerate() {
                prop_assert_eq!(r.seq, i as u64);
            }
            prop_assert!(recs.windows(2).all(|w| w[0].row < w[1].row));
            if let Some(last) = recs.last() {
                prop_assert!(last.row <= lines(&bytes).len() as u64 + 1, "{:?}", recs);
            }
        }
    }

    /// Without quotes a record is a line: every line after the header with a cell that is not
    /// blank comes out exactly once, as a row or an unreadable row, with its line number.
    #[test]
    fn csv_every_line_is_one_record(
        lines_in in proptest::collection::vec("[a-z ,;|\t\u{e9}\u{0}]{0,60}", 1..40),
        ends in proptest::collection::vec(proptest::sample::select(vec!["\n", "\r\n", "\r"]), 40),
        tight in any::<bool>(),
    ) {
        let mut text = String::new();
        for (l, e) in lines_in.iter().zip(&ends) {
            text.push_str(l);
            text.push_str(e);
        }
        let limits = if tight { small_limits() } else { Limits::default() };
        if let Some((recs, d)) = read_with_delimiter(text.as_bytes(), Format::Csv, limits) {
            let d = d.unwrap();
            let all = lines(text.as_bytes());
            // A line of empty cells is skipped, before the header too.
            let header = all.iter().position(|l| !l.split(|&b| b == d).all(blank)).unwrap();
            let expected: Vec<u64> = all
                .iter()
                .enumerate()
                .skip(header + 1)
                .filter(|(_, l)| !l.split(|&b| b == d).all(blank))
                .map(|(i, _)| i as u64 + 1)
                .collect();
            let got: Vec<u64> = recs.iter().map(|r| r.row).collect();
            prop_assert_eq!(got, expected);
        }
    }

    /// CSV as a conforming writer quotes it reads back cell for cell, rows numbered in order.
    #[test]
    fn csv_written_by_a_writer_reads_back(
        ncols in 1usize..5,
        cells in proptest::collection::vec(
            proptest::collection::vec("[a-z ,;\"\n\r\u{e9}]{0,10}", 5), 1..20),
    ) {
        let headers: Vec<String> = (0..ncols).map(|i| format!("col{i}")).collect();
        let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
        w.write_record(&headers).unwrap();
        for row in &cells {
            w.write_record(&row[..ncols]).unwrap();
        }
        let bytes = w.into_inner().unwrap();
        let opts = InputOptions {
            format: Some(Format::Csv),
            delimiter: Some(b','),
            ..InputOptions::default()
        };
        let recs: Vec<Record> = Reader::from_reader(
            Box::new(std::io::Cursor::new(bytes)), "w.csv", &opts).unwrap().collect();
        let expected: Vec<(u64, Vec<String>)> = cells
            .iter()
            .enumerate()
            .filter(|(_, r)| !r[..ncols].iter().all(|c| c.trim_matches(|c: char| c.is_ascii_whitespace()).is_empty()))
            .map(|(i, r)| (i as u64 + 2, r[..ncols].to_vec()))
            .collect();
        let got: Vec<(u64, Vec<String>)> = recs
            .iter()
            .map(|r| match &r.values {
                RecordValues::Cells(c) => (r.row, c.to_vec()),
                other => (r.row, vec![format!("{other:?}")]),
            })
            .collect();
        prop_assert_eq!(got, expected);
    }

    /// JSONL: every non-blank line is one record with its line number, whatever is on it.
    #[test]
    fn jsonl_every_line_is_one_record(
        lines_in in proptest::collection::vec(prop_oneof![
            3 => "\\{\"email\": ?\"[a-z@.]{0,12}\"(, ?\"[a-z]{1,5}\": ?(null|true|[0-9]{1,3}|\"[^\"\\\\\n\r]{0,8}\"|\\[\\]|\\{\\}))?\\}",
            2 => "[^\n\r]{0,40}",
            1 => "\\[{1,300}\\]{0,300}",
            1 => "[ \t]{0,3}",
        ], 1..40),
        tight in any::<bool>(),
    ) {
        let text = lines_in.join("\n");
        let limits = if tight { small_limits() } else { Limits::default() };
        // A byte order mark alone on the first line is no content either.
        let empty = |i: usize, l: &str| blank(l.as_bytes()) || (i == 0 && l == "\u{feff}");
        if let Some(recs) = read(text.as_bytes(), Format::Jsonl, limits) {
            let expected: Vec<u64> = text
                .split('\n')
                .enumerate()
                .filter(|&(i, l)| !empty(i, l))
                .map(|(i, _)| i as u64 + 1)
                .collect();
            let got: Vec<u64> = recs.iter().map(|r| r.row).collect();
            prop_assert_eq!(got, expected);
        } else {
            // Refused: nothing but blank lines, or so many control bytes it is not text.
            let control = text.bytes().filter(|&b| b < 0x20 && !b.is_ascii_whitespace()).count();
            prop_assert!(lines_in.iter().enumerate().all(|(i, l)| empty(i, l)) || control > 8, "{:?}", text);
        }
    }

    /// Any bytes as JSONL: no panic, records in order.
    #[test]
    fn jsonl_reader_survives_any_bytes(bytes in csvish_bytes()) {
        if let Some(recs) = read(&bytes, Format::Jsonl, small_limits()) {
            prop_assert!(recs.windows(2).all(|w| w[0].row < w[1].row));
        }
    }
}

proptest! {
    #![proptest_config(config(128))]

    /// Mapping and validation of any row never panic, and every row comes out as exactly one
    /// prepared row with its own row number; the report has exactly one line per row.
    #[test]
    fn any_rows_prepare_and_report_one_line_each((headers, rows) in rows(), jsonl in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(if jsonl { "r.jsonl" } else { "r.csv" });
        let format = ReportFormat::from_path(&path);
        let Some(p) = preparer(Some(&headers)) else { return Ok(()) };
        let mut w = ReportWriter::create(&path, format).unwrap();
        for (i, cells) in rows.iter().enumerate() {
            let rec = Record {
                seq: i as u64,
                row: i as u64 + 2,
                values: RecordValues::Cells(cells.iter().collect()),
            };
            let o = outcome(p.prepare(&rec));
            prop_assert_eq!((o.seq, o.row), (rec.seq, rec.row));
            ghl_import::report::EventSink::on_event(&mut w, &ghl_import::event::Event::Row(o)).unwrap();
        }
        w.flush().unwrap();
        drop(w);
        let rows_out: Vec<u64> = if jsonl {
            std::fs::read_to_string(&path)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["row"].as_u64().unwrap())
                .collect()
        } else {
            csv::Reader::from_path(&path)
                .unwrap()
                .records()
                .map(|r| r.unwrap()[0].parse().unwrap())
                .collect()
        };
        let expected: Vec<u64> = (0..rows.len() as u64).map(|i| i + 2).collect();
        prop_assert_eq!(rows_out, expected);
    }

    /// JSONL objects with values of any type map and validate without a panic.
    #[test]
    fn any_json_objects_prepare(
        entries in proptest::collection::vec((
            proptest::sample::select(HEADERS.iter().map(|h| h.to_string()).chain(["customFields".to_string()]).collect::<Vec<_>>()),
            prop_oneof![
                cell().prop_map(serde_json::Value::from),
                any::<i64>().prop_map(serde_json::Value::from),
                any::<f64>().prop_map(serde_json::Value::from),
                any::<bool>().prop_map(serde_json::Value::from),
                Just(serde_json::Value::Null),
                proptest::collection::vec(cell(), 0..3).prop_map(serde_json::Value::from),
                (cell(), cell()).prop_map(|(k, v)| serde_json::json!({ k: v })),
                Just(serde_json::json!([{"key": "contact.x", "field_value": [1, {"a": null}]}])),
            ],
        ), 0..8),
    ) {
        let Some(p) = preparer(None) else { return Ok(()) };
        let rec = Record {
            seq: 0,
            row: 1,
            values: RecordValues::Object(
                serde_json::Map::from_iter(entries).into(),
            ),
        };
        let o = outcome(p.prepare(&rec));
        prop_assert_eq!(o.row, 1);
    }

    /// Every phone validation accepts comes out as E.164, and that output validates to itself.
    #[test]
    fn e164_phones_reparse_to_themselves(phone in phone_like(), country in proptest::sample::select(vec!["US", "GB", "DE", "FR", "IN", "AU"])) {
        let headers = vec!["phone".to_string(), "country".to_string()];
        let p = preparer(Some(&headers)).unwrap();
        let prepared = |phone: &str, country: &str| {
            p.prepare(&Record {
                seq: 0,
                row: 2,
                values: RecordValues::Cells([phone, country].into_iter().collect()),
            })
        };
        if let Prepared::Valid { valid, .. } = prepared(&phone, country) {
            let e164 = valid.contact.phone.clone().unwrap();
            prop_assert!(
                e164.starts_with('+') && e164.len() <= 16 && e164[1..].bytes().all(|b| b.is_ascii_digit()),
                "{} -> {}", phone, e164
            );
            // Again, and under another default country: E.164 carries its own.
            for c in [country, "US", ""] {
                match prepared(&e164, c) {
                    Prepared::Valid { valid, .. } => prop_assert_eq!(valid.contact.phone.as_deref(), Some(e164.as_str())),
                    Prepared::Invalid(o) => prop_assert!(false, "{} -> {} is invalid: {:?}", phone, e164, o.errors),
                }
            }
        }
    }
}
