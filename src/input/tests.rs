use super::*;

fn csv(text: &[u8]) -> Reader {
    let opts = InputOptions {
        format: Some(Format::Csv),
        delimiter: None,
    };
    Reader::from_reader(
        Box::new(std::io::Cursor::new(text.to_vec())),
        "test.csv",
        &opts,
    )
    .unwrap()
}

fn jsonl(text: &str) -> Reader {
    Reader::from_reader(
        Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
        "test.jsonl",
        &InputOptions::default(),
    )
    .unwrap()
}

fn cells(r: &Record) -> Vec<&str> {
    match &r.values {
        RecordValues::Cells(c) => c.iter().map(String::as_str).collect(),
        other => panic!("expected cells, got {other:?}"),
    }
}

#[test]
fn detects_each_delimiter() {
    for d in [b',', b';', b'\t', b'|'] {
        let d = d as char;
        let text = format!("First Name{d}Email{d}Phone\nAnn{d}a@x.com{d}1\nBob{d}\"b{d}x\"{d}2\n");
        let mut r = csv(text.as_bytes());
        assert_eq!(r.delimiter(), Some(d as u8), "delimiter {d:?}");
        assert_eq!(r.headers().unwrap(), ["First Name", "Email", "Phone"]);
        let recs: Vec<_> = r.by_ref().collect();
        assert_eq!(recs.len(), 2);
        assert_eq!(cells(&recs[1]), ["Bob", &format!("b{d}x"), "2"]);
    }
}

#[test]
fn semicolon_wins_over_commas_inside_values() {
    let r = csv(b"Name;Address;Email\nAnn;1 Main St, Springfield;a@x.com\n");
    assert_eq!(r.delimiter(), Some(b';'));
}

#[test]
fn explicit_delimiter_is_used() {
    let opts = InputOptions {
        format: None,
        delimiter: Some(b';'),
    };
    let r = Reader::from_reader(
        Box::new(std::io::Cursor::new(b"a,b;c\n1,2;3\n".to_vec())),
        "x.csv",
        &opts,
    )
    .unwrap();
    assert_eq!(r.headers().unwrap(), ["a,b", "c"]);
}

#[test]
fn strips_bom() {
    let mut r = csv(b"\xEF\xBB\xBFEmail,Phone\na@x.com,1\n");
    assert_eq!(r.headers().unwrap(), ["Email", "Phone"]);
    assert_eq!(cells(&r.next().unwrap()), ["a@x.com", "1"]);
}

#[test]
fn quoted_newlines_count_as_one_row() {
    let mut r = csv(
        b"Name,Notes\nAnn,\"line one\nline two\"\nBob,plain\r\n\"Cy\",\"a\r\nb\r\nc\"\nDee,x\n",
    );
    let recs: Vec<_> = r.by_ref().collect();
    let rows: Vec<_> = recs.iter().map(|r| (r.seq, r.row)).collect();
    assert_eq!(rows, [(0, 2), (1, 3), (2, 4), (3, 5)]);
    assert_eq!(cells(&recs[0])[1], "line one\nline two");
}

#[test]
fn blank_lines_are_skipped_but_keep_spreadsheet_rows() {
    let mut r = csv(b"Name,Email\n\nAnn,a@x.com\n,\n   \nBob,b@x.com\n");
    let recs: Vec<_> = r.by_ref().collect();
    let rows: Vec<_> = recs.iter().map(|r| (r.seq, r.row)).collect();
    assert_eq!(rows, [(0, 3), (1, 6)]);
}

#[test]
fn nothing_is_trimmed() {
    let mut r = csv(b"Name , Email\n Ann ,a@x.com \n");
    assert_eq!(r.headers().unwrap(), ["Name ", " Email"]);
    assert_eq!(cells(&r.next().unwrap()), [" Ann ", "a@x.com "]);
}

#[test]
fn invalid_utf8_row_is_unreadable_and_reading_continues() {
    let mut r = csv(b"Name,Email\nAnn,a@x.com\nJos\xe9,j@x.com\nBob,b@x.com\n");
    let recs: Vec<_> = r.by_ref().collect();
    assert_eq!(recs.len(), 3);
    match &recs[1].values {
        RecordValues::Unreadable { column, message } => {
            assert_eq!(column.as_deref(), Some("Name"));
            assert!(message.contains("row 3"), "{message}");
            assert!(message.contains("UTF-8"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(recs[1].row, 3);
    assert_eq!(cells(&recs[2]), ["Bob", "b@x.com"]);
}

#[test]
fn extra_and_missing_cells_are_kept() {
    let mut r = csv(b"a,b,c\n1,2,3,4\n1\n");
    let recs: Vec<_> = r.by_ref().collect();
    assert_eq!(cells(&recs[0]), ["1", "2", "3", "4"]);
    assert_eq!(cells(&recs[1]), ["1"]);
}

#[test]
fn empty_and_headerless_files_are_errors() {
    let opts = InputOptions::default();
    for text in [&b""[..], b"\xEF\xBB\xBF", b"\n\n  \n"] {
        let err = Reader::from_reader(
            Box::new(std::io::Cursor::new(text.to_vec())),
            "empty.csv",
            &opts,
        )
        .err()
        .unwrap();
        assert!(err.to_string().contains("empty.csv"), "{err}");
    }
    let err = Reader::from_reader(
        Box::new(std::io::Cursor::new(b"\n".to_vec())),
        "e.jsonl",
        &opts,
    )
    .err()
    .unwrap();
    assert!(matches!(err, InputError::Empty { .. }));
    let err = Reader::open(Path::new("/nonexistent/x.csv"), &opts)
        .err()
        .unwrap();
    assert!(err.to_string().contains("/nonexistent/x.csv"));
}

#[test]
fn jsonl_lines_and_bad_lines() {
    let mut r = jsonl("{\"email\":\"a@x.com\",\"tags\":[\"a\",\"b\"]}\n\n[1,2]\n{not json\n\"str\"\r\n{\"phone\":\"+14155552671\"}\n");
    assert_eq!(r.format(), Format::Jsonl);
    assert!(r.headers().is_none());
    let recs: Vec<_> = r.by_ref().collect();
    let rows: Vec<_> = recs.iter().map(|r| (r.seq, r.row)).collect();
    assert_eq!(rows, [(0, 1), (1, 3), (2, 4), (3, 5), (4, 6)]);
    assert!(matches!(&recs[0].values, RecordValues::Object(m) if m["tags"].is_array()));
    let msg = |r: &Record| match &r.values {
        RecordValues::Unreadable { message, .. } => message.clone(),
        other => panic!("{other:?}"),
    };
    assert!(msg(&recs[1]).contains("line is a JSON array, expected an object"));
    assert!(msg(&recs[2]).contains("not valid JSON"));
    assert!(msg(&recs[3]).contains("JSON string"));
    assert!(matches!(&recs[4].values, RecordValues::Object(_)));
}

#[test]
fn jsonl_bom_and_invalid_utf8() {
    let text = b"\xEF\xBB\xBF{\"a\":1}\n{\"a\":\"\xff\"}\n{\"a\":2}".to_vec();
    let r = Reader::from_reader(
        Box::new(std::io::Cursor::new(text)),
        "x.ndjson",
        &InputOptions::default(),
    )
    .unwrap();
    let recs: Vec<_> = r.collect();
    assert!(matches!(&recs[0].values, RecordValues::Object(_)));
    assert!(matches!(&recs[1].values, RecordValues::Unreadable { .. }));
    assert!(matches!(&recs[2].values, RecordValues::Object(_)));
}

#[test]
fn reader_is_send() {
    fn is_send<T: Send>() {}
    is_send::<Reader>();
}

#[test]
fn crlf_rows() {
    let mut r = csv(b"Name,Email\r\nAnn,a\r\n\r\nBob,\"x\r\ny\"\r\nCy,c\r\n");
    let rows: Vec<_> = r.by_ref().map(|r| r.row).collect();
    assert_eq!(rows, [2, 4, 5]);
}
