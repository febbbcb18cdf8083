use super::*;

fn csv(text: &[u8]) -> Reader {
    let opts = InputOptions {
        format: Some(Format::Csv),
        ..InputOptions::default()
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
        RecordValues::Cells(c) => c.iter().collect(),
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
fn an_excel_sep_line_names_the_delimiter_and_is_not_the_header() {
    for text in [
        &b"sep=;\r\nEmail;Name,Title\r\na@x.com;Ann, CEO\r\n"[..],
        b"\xEF\xBB\xBF\"SEP=;\"\nEmail;Name,Title\na@x.com;Ann, CEO\n",
    ] {
        let mut r = csv(text);
        assert_eq!(r.delimiter(), Some(b';'));
        assert_eq!(r.headers().unwrap(), ["Email", "Name,Title"]);
        let recs: Vec<_> = r.by_ref().collect();
        assert_eq!(recs.len(), 1);
        // Rows as Excel shows them: it hides the sep line, so the header is row 1.
        assert_eq!(
            (recs[0].row, cells(&recs[0])),
            (2, vec!["a@x.com", "Ann, CEO"])
        );
    }
    // A header that merely starts so is a header.
    let r = csv(b"sep=x,Email\n1,a@x.com\n");
    assert_eq!(r.headers().unwrap(), ["sep=x", "Email"]);
}

#[test]
fn semicolon_wins_over_commas_inside_values() {
    let r = csv(b"Name;Address;Email\nAnn;1 Main St, Springfield;a@x.com\n");
    assert_eq!(r.delimiter(), Some(b';'));
}

#[test]
fn explicit_delimiter_is_used() {
    let opts = InputOptions {
        delimiter: Some(b';'),
        ..InputOptions::default()
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
fn invalid_utf8_costs_its_cell_only_and_reading_continues() {
    // The BOM declares UTF-8, so the stray byte is an error, not a hint of Windows-1252.
    let mut r = csv(b"\xEF\xBB\xBFName,Email\nAnn,a@x.com\nJos\xe9,j@x.com\nBob,b@x.com\n");
    assert_eq!(r.encoding(), "UTF-8");
    let recs: Vec<_> = r.by_ref().collect();
    assert_eq!(recs.len(), 3);
    // The bad cell as far as it reads, marked; the good cell of the same row as written.
    assert_eq!(cells(&recs[1]), ["Jos\u{FFFD}", "j@x.com"]);
    let why = unreadable_cell(&recs[1], 0);
    assert!(why.contains("UTF-8") && why.contains("offset 3"), "{why}");
    assert_eq!(unreadable_cell_count(&recs[1]), 1);
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
    let recs: Vec<_> = with(text, "x.ndjson", None).collect();
    assert!(matches!(&recs[0].values, RecordValues::Object(_)));
    // The bad value is taken out and kept as far as it reads; the line's other values stay.
    match &recs[1].values {
        RecordValues::Object(o) => {
            assert!(o.map.is_empty());
            assert_eq!(o.unreadable.len(), 1);
            let (key, shown, why) = &o.unreadable[0];
            assert_eq!((key.as_str(), shown.as_str()), ("a", Some("\u{FFFD}")));
            assert!(why.contains("UTF-8") && why.contains("--encoding"), "{why}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(&recs[2].values, RecordValues::Object(_)));
    // Bad bytes that break the JSON itself still cost the line, as bad JSON.
    let text = b"{\"a\":1}\n{\"a\xff\":\n".to_vec();
    let recs: Vec<_> = with(text, "x.ndjson", None).collect();
    assert!(
        matches!(&recs[1].values, RecordValues::Unreadable { message, .. } if message.contains("line 2"))
    );
}

#[test]
fn jsonl_is_read_as_utf8_whatever_its_bytes_and_a_stray_byte_costs_its_value() {
    // Once guessed to be Windows-1252: `b\xffb@…` became the valid `bÿb@example.com`.
    let r = with(
        b"{\"email\":\"b\xffb@example.com\",\"name\":\"Bo\"}\n".to_vec(),
        "x.jsonl",
        None,
    );
    assert_eq!(r.encoding(), "UTF-8");
    let recs: Vec<_> = r.collect();
    match &recs[0].values {
        RecordValues::Object(o) => {
            assert_eq!(o.unreadable.len(), 1);
            assert_eq!(o.unreadable[0].0, "email");
            assert!(o.map.contains_key("name"));
        }
        other => panic!("{other:?}"),
    }
    // A declared encoding still wins.
    let r = with(
        b"{\"name\":\"Jos\xe9\"}\n".to_vec(),
        "x.jsonl",
        Some("latin1"),
    );
    assert_eq!(r.encoding(), "windows-1252");
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

fn with(bytes: Vec<u8>, name: &str, encoding: Option<&str>) -> Reader {
    let opts = InputOptions {
        encoding: encoding.map(|l| TextEncoding::from_label(l).unwrap()),
        ..InputOptions::default()
    };
    Reader::from_reader(Box::new(std::io::Cursor::new(bytes)), name, &opts).unwrap()
}

/// UTF-16 with a BOM, as Excel's "Unicode text" writes it (encoding_rs only encodes to UTF-8
/// and legacy encodings).
fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut out = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for unit in text.encode_utf16() {
        out.extend_from_slice(&if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    out
}

const NAMES: &str = "First Name\tLast Name\tEmail\r\n\
Zoë\tMüller\tzoe@x.de\r\n\
José\tØre\tjose@x.es\r\n\
Łukasz\tNowak\tl@x.pl\r\n";

fn all_cells(r: &mut Reader) -> Vec<Vec<String>> {
    r.map(|rec| cells(&rec).iter().map(|c| c.to_string()).collect())
        .collect()
}

#[test]
fn utf8_bom_is_stripped_and_names_kept() {
    let text = NAMES.replace('\t', ",");
    let mut r = with(
        [&b"\xEF\xBB\xBF"[..], text.as_bytes()].concat(),
        "x.csv",
        None,
    );
    assert_eq!(r.encoding(), "UTF-8");
    assert_eq!(r.delimiter(), Some(b','));
    assert_eq!(r.headers().unwrap()[0], "First Name");
    let rows = all_cells(&mut r);
    assert_eq!(rows[0][..2], ["Zoë", "Müller"]);
    assert_eq!(rows[2][0], "Łukasz");
}

#[test]
fn utf16le_bom_tab_separated_like_excel_unicode_text() {
    let mut r = with(utf16(NAMES, false), "export.txt", None);
    assert_eq!(r.encoding(), "UTF-16LE");
    // Sniffed on the decoded text: in the raw bytes every other byte is a NUL.
    assert_eq!(r.delimiter(), Some(b'\t'));
    assert_eq!(r.headers().unwrap(), ["First Name", "Last Name", "Email"]);
    let recs: Vec<_> = r.by_ref().collect();
    assert_eq!(recs.iter().map(|r| r.row).collect::<Vec<_>>(), [2, 3, 4]);
    assert_eq!(cells(&recs[0]), ["Zoë", "Müller", "zoe@x.de"]);
    assert_eq!(cells(&recs[1]), ["José", "Øre", "jose@x.es"]);
    assert_eq!(cells(&recs[2]), ["Łukasz", "Nowak", "l@x.pl"]);
}

#[test]
fn utf16be_bom() {
    let text = NAMES.replace('\t', ";");
    let mut r = with(utf16(&text, true), "x.csv", None);
    assert_eq!(r.encoding(), "UTF-16BE");
    assert_eq!(r.delimiter(), Some(b';'));
    let rows = all_cells(&mut r);
    assert_eq!(rows[1], ["José", "Øre", "jose@x.es"]);
}

#[test]
fn utf16_jsonl() {
    let mut r = with(
        utf16(
            "{\"firstName\":\"Zoë\"}\r\n{\"firstName\":\"Łukasz\"}\r\n",
            false,
        ),
        "x.jsonl",
        None,
    );
    assert_eq!(r.encoding(), "UTF-16LE");
    let recs: Vec<_> = r.by_ref().collect();
    assert!(matches!(&recs[1].values, RecordValues::Object(m) if m["firstName"] == "Łukasz"));
}

/// PowerShell 5.1's `ConvertTo-Json > contacts.json` (and `Out-File`): UTF-16LE with a BOM,
/// pretty-printed with CRLF; JSON lines written the same way under any name.
#[test]
fn utf16_json_is_known_as_json_by_its_decoded_text() {
    let pretty = "[\r\n    {\r\n        \"firstName\":  \"Zoë\",\r\n        \"email\":  \"zoe@x.de\"\r\n    },\r\n    {\r\n        \"firstName\":  \"Łukasz\",\r\n        \"email\":  \"l@x.pl\"\r\n    }\r\n]\r\n";
    let lines = "{\"firstName\":\"Zoë\"}\r\n{\"firstName\":\"Łukasz\"}\r\n";
    for (text, name, big_endian) in [
        (pretty, "contacts.json", false),
        (pretty, "contacts.json", true),
        (lines, "contacts.json", false),
        (lines, "contacts.txt", false),
    ] {
        let mut r = with(utf16(text, big_endian), name, None);
        assert_eq!(r.format(), Format::Jsonl, "{name} {text}");
        assert!(r.encoding().starts_with("UTF-16"), "{}", r.encoding());
        let recs: Vec<_> = r.by_ref().collect();
        assert_eq!(recs.len(), 2, "{name} {text}: {recs:?}");
        assert!(
            matches!(&recs[1].values, RecordValues::Object(m) if m["firstName"] == "Łukasz"),
            "{recs:?}"
        );
    }
    // Named by --encoding, without a BOM.
    let mut bytes = utf16(lines, false);
    bytes.drain(..2);
    let mut r = with(bytes, "contacts.json", Some("utf-16le"));
    assert_eq!(r.format(), Format::Jsonl);
    assert_eq!(r.by_ref().count(), 2);
}

#[test]
fn windows_1252_is_detected() {
    // 0xE9 é, 0xEB ë, 0xFC ü, 0x80 €, 0x93/0x94 smart quotes: invalid as UTF-8.
    let bytes =
        b"First Name;Last Name;Notes\nJos\xe9;M\xfcller;\x93VIP\x94 \x80100\nZo\xeb;D\xf8e;\n"
            .to_vec();
    let mut r = with(bytes, "x.csv", None);
    assert_eq!(r.encoding(), "windows-1252");
    assert_eq!(r.delimiter(), Some(b';'));
    let rows = all_cells(&mut r);
    assert_eq!(rows[0], ["José", "Müller", "\u{201C}VIP\u{201D} €100"]);
    assert_eq!(rows[1], ["Zoë", "Døe", ""]);
}

#[test]
fn windows_1252_built_with_encoding_rs() {
    let (bytes, _, lossy) = encoding_rs::WINDOWS_1252
        .encode("Name,Email\nRené Øre,r@x.fr\n\u{2018}Ann\u{2019} O\u{2019}Neil,a@x.ie\n");
    assert!(!lossy);
    let mut r = with(bytes.into_owned(), "x.csv", None);
    assert_eq!(r.encoding(), "windows-1252");
    let rows = all_cells(&mut r);
    assert_eq!(rows[0][0], "René Øre");
    assert_eq!(rows[1][0], "\u{2018}Ann\u{2019} O\u{2019}Neil");
}

#[test]
fn declared_encoding_overrides_detection() {
    // Valid UTF-8 by accident, but declared Windows-1252: "Ã©" stays two characters.
    let mut r = with("Name\nJosé\n".as_bytes().to_vec(), "x.csv", Some("latin1"));
    assert_eq!(r.encoding(), "windows-1252");
    assert_eq!(all_cells(&mut r)[0], ["JosÃ©"]);

    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode("名前,Email\n山田,y@x.jp\n");
    let mut r = with(bytes.into_owned(), "x.csv", Some("shift_jis"));
    assert_eq!(r.encoding(), "Shift_JIS");
    assert_eq!(r.headers().unwrap(), ["名前", "Email"]);
    assert_eq!(all_cells(&mut r)[0], ["山田", "y@x.jp"]);

    // A BOM of the declared encoding is still dropped.
    let mut r = with(utf16("A\tB\n1\t2\n", false), "x.txt", Some("utf-16le"));
    assert_eq!(r.headers().unwrap(), ["A", "B"]);
    assert_eq!(all_cells(&mut r)[0], ["1", "2"]);
}

#[test]
fn declared_utf8_keeps_bad_bytes_unreadable_cells() {
    let mut r = with(
        b"Name,Email\nJos\xe9,j@x.com\nBob,b@x.com\n".to_vec(),
        "x.csv",
        Some("utf-8"),
    );
    assert_eq!(r.encoding(), "UTF-8");
    let recs: Vec<_> = r.by_ref().collect();
    assert_eq!(recs[0].row, 2);
    assert!(unreadable_cell(&recs[0], 0).contains("--encoding"));
    assert_eq!(cells(&recs[0])[1], "j@x.com");
    assert_eq!(cells(&recs[1]), ["Bob", "b@x.com"]);
}

#[test]
fn bad_byte_after_the_sample_stays_an_unreadable_cell() {
    // A start with UTF-8 letters settles the file as UTF-8: a later legacy byte costs its
    // cell. After a plain ASCII start the same byte is the file's first evidence: read as
    // windows-1252.
    for utf8_start in [true, false] {
        let mut text = b"Name,Email\n".to_vec();
        if utf8_start {
            text.extend_from_slice("Zoë,z@x.com\n".as_bytes());
        }
        for i in 0..5000 {
            text.extend_from_slice(format!("Person {i},p{i}@x.com\n").as_bytes());
        }
        text.extend_from_slice(b"Jos\xe9,j@x.com\nBob,b@x.com\n");
        let mut r = with(text, "x.csv", None);
        assert_eq!(r.encoding(), "UTF-8");
        let mut recs: Vec<_> = r.by_ref().collect();
        if utf8_start {
            recs.remove(0);
        }
        assert_eq!(recs.len(), 5002);
        assert_eq!(recs[5000].row, 5002 + u64::from(utf8_start));
        if utf8_start {
            assert!(unreadable_cell(&recs[5000], 0).contains("UTF-8"));
            assert_eq!(unreadable_cell_count(&recs[5000]), 1);
            assert_eq!(r.encoding(), "UTF-8");
        } else {
            assert_eq!(cells(&recs[5000]), ["Jos\u{e9}", "j@x.com"]);
            assert_eq!(r.encoding(), "windows-1252");
        }
        assert_eq!(cells(&recs[5001]), ["Bob", "b@x.com"]);
    }
}

#[test]
fn decoding_streams_across_buffer_boundaries() {
    // Large enough that characters straddle the sample's end and the decoder's buffers.
    let mut text = String::from("Name\tEmail\n");
    for i in 0..20_000 {
        text.push_str(&format!("Zoë Łukasz {i}\tz{i}@x.de\n"));
    }
    let r = with(utf16(&text, false), "x.txt", None);
    let mut n = 0;
    for rec in r {
        assert_eq!(cells(&rec)[0], format!("Zoë Łukasz {n}"));
        assert_eq!(rec.row, n + 2);
        n += 1;
    }
    assert_eq!(n, 20_000);
}

#[test]
fn empty_utf16_file_is_empty() {
    let err = Reader::from_reader(
        Box::new(std::io::Cursor::new(utf16("\r\n", false))),
        "e.txt",
        &InputOptions::default(),
    )
    .err()
    .unwrap();
    assert!(matches!(err, InputError::Empty { .. }), "{err}");
}

#[test]
fn unknown_encoding_label_is_an_error_naming_the_flag() {
    let err = TextEncoding::from_label("utf-42").unwrap_err();
    assert!(err.to_string().contains("--encoding"), "{err}");
    assert!(err.to_string().contains("utf-42"), "{err}");
}

fn limited(text: &[u8], name: &str, max_field: usize, max_row: usize) -> Reader {
    let opts = InputOptions {
        limits: Limits { max_field, max_row },
        ..InputOptions::default()
    };
    Reader::from_reader(Box::new(std::io::Cursor::new(text.to_vec())), name, &opts).unwrap()
}

/// Why cell `i` of `r` could not be read; fails if it could.
fn unreadable_cell(r: &Record, i: usize) -> &str {
    match &r.values {
        RecordValues::Cells(c) => c.unreadable(i).expect("an unreadable cell"),
        other => panic!("expected cells, got {other:?}"),
    }
}

fn unreadable_cell_count(r: &Record) -> usize {
    match &r.values {
        RecordValues::Cells(c) => (0..c.len()).filter(|&i| c.unreadable(i).is_some()).count(),
        other => panic!("expected cells, got {other:?}"),
    }
}

fn message(r: &Record) -> &str {
    match &r.values {
        RecordValues::Unreadable { message, .. } => message,
        other => panic!("expected an unreadable record, got {other:?}"),
    }
}

#[test]
fn an_unclosed_quote_costs_its_own_row_only() {
    let r = csv(b"email,name\na@x.com,Ann\nb@x.com,\"Bob\nc@x.com,Cy\n\nd@x.com,\"Di\"\n");
    let recs: Vec<_> = r.collect();
    assert_eq!(
        recs.iter().map(|r| (r.seq, r.row)).collect::<Vec<_>>(),
        [(0, 2), (1, 3), (2, 4), (3, 6)]
    );
    // The quote before `Di` closes the stray one; the text after it gives it away.
    let m = message(&recs[1]);
    assert!(
        m.contains("test.csv, row 3, column 'name'") && m.contains("stray quote"),
        "{m}"
    );
    assert_eq!(cells(&recs[2]), ["c@x.com", "Cy"]);
    assert_eq!(cells(&recs[3]), ["d@x.com", "Di"]);
    // Never closed at all: it runs to the end of the file.
    let recs: Vec<_> = csv(b"email,name
b@x.com,\"Bob\nc@x.com,Cy\r\n\r\nd@x.com,Di")
    .collect();
    assert_eq!(recs.iter().map(|r| r.row).collect::<Vec<_>>(), [2, 3, 5]);
    assert!(message(&recs[0]).contains("never closed (it runs to the end of the file)"));
    assert_eq!(cells(&recs[2]), ["d@x.com", "Di"]);
}

#[test]
fn an_unclosed_quote_past_the_limit_is_read_again_from_the_next_line() {
    let mut text = b"email,name\nb@x.com,\"Bob\n".to_vec();
    for i in 0..200 {
        text.extend_from_slice(format!("u{i}@x.com,Name {i}\n").as_bytes());
    }
    let recs: Vec<_> = limited(&text, "t.csv", 100, 1000).collect();
    assert_eq!(recs.len(), 201);
    assert!(message(&recs[0]).contains("never closed"), "{recs:?}");
    for (i, r) in recs[1..].iter().enumerate() {
        assert_eq!(cells(r), [format!("u{i}@x.com"), format!("Name {i}")]);
        assert_eq!(r.row, i as u64 + 3);
    }
}

#[test]
fn a_cell_past_the_limit_costs_the_cell_and_a_row_past_it_the_row() {
    let big = "x".repeat(5000);
    let note = "line of a long note\n".repeat(100);
    let text = format!(
        "email,notes,name\na@x.com,{big},Ann\nb@x.com,\"{big}\",Bob\nc@x.com,ok,Cy\n{}\nd@x.com,\"{note}\",Di\ne@x.com,fine,Ed\n",
        "y,".repeat(5000)
    );
    let recs: Vec<_> = limited(text.as_bytes(), "t.csv", 1000, 8000).collect();
    // A quoted cell of many lines past --max-field-size is one record, one row (its lines
    // are not read as rows of their own): the rows after it keep their numbers.
    assert_eq!(
        recs.iter().map(|r| r.row).collect::<Vec<_>>(),
        [2, 3, 4, 5, 6, 7]
    );
    for (i, name) in [(0, "Ann"), (1, "Bob"), (4, "Di")] {
        let c = cells(&recs[i]);
        assert_eq!((c.len(), c[2]), (3, name), "{c:?}");
        assert!(c[1].len() <= 60 && !c[1].is_empty(), "{c:?}");
        let why = unreadable_cell(&recs[i], 1);
        assert!(
            why.contains("--max-field-size (1000 bytes)") && why.contains("raise the limit"),
            "{why}"
        );
        assert_eq!(unreadable_cell_count(&recs[i]), 1);
    }
    assert!(unreadable_cell(&recs[0], 1).contains("5000 bytes long"));
    assert!(unreadable_cell(&recs[4], 1).contains(&format!("{} bytes long", note.len())));
    assert_eq!(cells(&recs[2]), ["c@x.com", "ok", "Cy"]);
    let m = message(&recs[3]);
    assert!(m.contains("row 5") && m.contains("--max-row-size"), "{m}");
    assert_eq!(cells(&recs[5]), ["e@x.com", "fine", "Ed"]);
}

#[test]
fn a_cut_cell_keeps_whole_characters() {
    let big = "é".repeat(600);
    let text = format!("email,notes\na@x.com,{big}\n");
    let recs: Vec<_> = limited(text.as_bytes(), "t.csv", 1000, 4000).collect();
    assert_eq!(cells(&recs[0])[1], "é".repeat(30));
}

#[test]
fn a_header_past_the_row_limit_stops_at_once() {
    let text = "a,".repeat(10_000);
    let opts = InputOptions {
        limits: Limits {
            max_field: 100,
            max_row: 1000,
        },
        ..InputOptions::default()
    };
    let err = Reader::from_reader(
        Box::new(std::io::Cursor::new(text.into_bytes())),
        "h.csv",
        &opts,
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("--max-row-size"), "{err}");
}

#[test]
fn a_nul_byte_costs_its_cell_only() {
    let recs: Vec<_> = csv(b"email,name\na@x.com,An\0n\nb@x.com,Bob\n").collect();
    assert_eq!(cells(&recs[0]), ["a@x.com", "An\u{FFFD}n"]);
    let why = unreadable_cell(&recs[0], 1);
    assert!(why.contains("NUL byte at offset 2"), "{why}");
    assert_eq!(unreadable_cell_count(&recs[0]), 1);
    assert_eq!(cells(&recs[1]), ["b@x.com", "Bob"]);
}

#[test]
fn binary_files_are_refused_by_what_they_are() {
    for (bytes, what) in [
        (&b"PK\x03\x04\x14\0\x06\0rest"[..], "xlsx"),
        (b"\x1f\x8b\x08\0\0\0\0\0", "gzip"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "PNG"),
        (
            &[0u8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 200, 201, 14, 15],
            "binary",
        ),
    ] {
        let err = Reader::from_reader(
            Box::new(std::io::Cursor::new(bytes.to_vec())),
            "x.csv",
            &InputOptions::default(),
        )
        .err()
        .unwrap();
        assert!(matches!(err, InputError::Binary { .. }), "{what}: {err}");
        assert!(err.to_string().contains(what), "{err}");
    }
}

#[test]
fn jsonl_limits_and_messages_name_file_line_and_column() {
    let long = "z".repeat(3000);
    let text = format!(
        "{{\"email\":\"a@x.com\"}}\n{{\"email\":\"b@x.com\",\"notes\":\"{long}\"}}\n{{\"notes\":\"{}\"}}\n{{\"email\" 1}}\n{{\"email\":\"c@x.com\"}}\n",
        "w".repeat(9000)
    );
    let recs: Vec<_> = limited(text.as_bytes(), "t.jsonl", 1000, 5000).collect();
    assert_eq!(recs.len(), 5);
    // A value too long costs its key: the line's other keys are kept.
    let RecordValues::Object(row) = &recs[1].values else {
        panic!("{:?}", recs[1]);
    };
    assert_eq!(row.map.get("email"), Some(&serde_json::json!("b@x.com")));
    assert!(!row.map.contains_key("notes"));
    let (key, value, why) = &row.unreadable[0];
    assert_eq!(
        (key.as_str(), value),
        ("notes", &serde_json::json!("z".repeat(60)))
    );
    assert!(
        why.contains("3000 bytes long") && why.contains("--max-field-size"),
        "{why}"
    );
    let m = message(&recs[2]);
    assert!(
        m.contains("t.jsonl, line 3") && m.contains("--max-row-size"),
        "{m}"
    );
    let m = message(&recs[3]);
    assert_eq!(
        m,
        "t.jsonl, line 4, column 10: not valid JSON: expected `:`"
    );
    assert!(matches!(&recs[4].values, RecordValues::Object(_)));
}

#[test]
fn a_nul_in_a_jsonl_value_costs_its_key_only() {
    let text = "{\"email\":\"a@x.com\",\"name\":\"Héloïse \\u0000Nul\",\"tags\":[\"a\",\"b\\u0000\"]}\n{\"email\":\"b@x.com\"}\n";
    let recs: Vec<_> = limited(text.as_bytes(), "t.jsonl", 1000, 5000).collect();
    let RecordValues::Object(row) = &recs[0].values else {
        panic!("{:?}", recs[0]);
    };
    assert_eq!(row.map.get("email"), Some(&serde_json::json!("a@x.com")));
    let bad: Vec<_> = row
        .unreadable
        .iter()
        .map(|(k, v, why)| (k.as_str(), v.clone(), why.contains("NUL byte")))
        .collect();
    assert_eq!(
        bad,
        [
            ("name", serde_json::json!("Héloïse \u{FFFD}Nul"), true),
            ("tags", serde_json::json!("[\"a\",\"b\\u0000\"]"), true)
        ]
    );
    assert!(matches!(&recs[1].values, RecordValues::Object(r) if r.unreadable.is_empty()));
}

#[test]
fn deep_jsonl_nesting_is_refused_not_a_stack_overflow() {
    let deep = format!(
        "{}{}\n{{\"email\":\"a@x.com\"}}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let recs: Vec<_> = jsonl(&deep).collect();
    assert!(message(&recs[0]).contains("recursion limit"), "{recs:?}");
    assert!(matches!(&recs[1].values, RecordValues::Object(_)));
}

#[test]
fn a_stray_close_then_a_new_quote_on_one_line_resets_the_parser() {
    // Found by proptest: a later quote on the stray's line moved the resume point past the
    // line end, the parser was left mid-record, and the next record's offsets underflowed.
    let recs: Vec<_> = csv(b"aaa\n\"\n\"\t,\"").collect();
    assert!(recs.windows(2).all(|w| w[0].row < w[1].row));
    assert!(message(&recs[0]).contains("stray quote"), "{recs:?}");
    let recs: Vec<_> = csv(b"a,b\nx,\"1\n2\"z,\"q\ny,2\n").collect();
    assert!(message(&recs[0]).contains("row 2, column 'b'"), "{recs:?}");
    assert_eq!(cells(recs.last().unwrap()), ["y", "2"]);
}

#[test]
fn looking_at_each_record_sees_what_the_iterator_gives() {
    // Blank lines, a quoted newline, a bad byte, a NUL, a multi-byte character split by no
    // delimiter, a short and a long row, and an unclosed quote at the end.
    let text: &[u8] = b"a,b,c\n1,\"x\ny\",3\n\n\xff,2,3\nn\x00l,2\n\xc3\xa9,\xc3\xa9\xc3\xa9,\n4,5,6,7\n8,\"open\n9,9\n";
    let want: Vec<RecordValues> = csv(text).map(|r| r.values).collect();
    let mut seen = Vec::new();
    let mut reader = csv(text);
    let n = reader.look_at_each(|v| seen.push(v.to_values()));
    assert_eq!(n, want.len() as u64);
    assert_eq!(seen, want);
    assert!(reader.next().is_none());
    // Valid UTF-8 (not read as a legacy code page): the cells as written, a NUL's cell
    // unreadable.
    let text = "a,b,c\n\"é\",éé,\nn\0l,2\n".as_bytes();
    let mut seen = Vec::new();
    assert_eq!(csv(text).look_at_each(|v| seen.push(v.to_values())), 2);
    assert!(
        matches!(&seen[0], RecordValues::Cells(c) if c.iter().collect::<Vec<_>>() == ["é", "éé", ""])
    );
    assert!(
        matches!(&seen[1], RecordValues::Cells(c) if c.unreadable(0).is_some_and(|m| m.contains("NUL")))
    );
}

/// The second half counts rows from where it starts: messages naming rows differ.
fn cells_only(v: &RecordValues) -> Option<&CellRow> {
    match v {
        RecordValues::Cells(c) => Some(c),
        _ => None,
    }
}

fn file(dir: &tempfile::TempDir, name: &str, content: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn each(path: &std::path::Path, opts: &InputOptions) -> Vec<RecordValues> {
    Reader::open(path, opts)
        .unwrap()
        .map(|r| r.values)
        .collect()
}

#[test]
fn a_large_file_read_in_two_halves_gives_every_record_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    // Quoted line breaks, blank lines, a bad byte and a short row, all over a file past the
    // size where it is split. A UTF-8 letter on the first row settles the file as UTF-8
    // (the bad bytes cost their cells); without it the first bad byte, past a plain ASCII
    // start, settles it as a code page, in each half as in one read.
    for start in ["Zo\u{eb}", "Zoe"] {
        let mut csv = format!("Email,Notes,Date\nz@example.com,{start},1/1/1990\n").into_bytes();
        let mut i = 0;
        while csv.len() < (SPLIT_FROM_BYTES as usize) + 100_000 {
            csv.extend(format!("p{i}@example.com,\"two\nlines, {i}\",31/12/1990\n").as_bytes());
            if i % 4999 == 4998 {
                csv.extend(b"\n\nbad\xff,x\nshort\n");
            }
            i += 1;
        }
        let path = file(&dir, "big.csv", &csv);
        let opts = InputOptions::default();
        let want = each(&path, &opts);
        let reader = Reader::open(&path, &opts).unwrap();
        let see = |seen: &mut Vec<RecordValues>, v: &Look| seen.push(v.to_values());
        let (n, parts) =
            look_at_each_in_parts(&reader, &path, &opts, usize::MAX, Vec::new(), see).unwrap();
        assert!(parts.len() > 2 && parts.iter().all(|p| !p.is_empty()));
        assert_eq!(n, want.len() as u64);
        let all: Vec<RecordValues> = parts.into_iter().flatten().collect();
        assert!(
            all.iter().map(cells_only).eq(want.iter().map(cells_only)),
            "the parts differ from one read"
        );
        let bad = want
            .iter()
            .filter_map(cells_only)
            .filter(|c| c.unreadable(0).is_some())
            .count();
        assert_eq!(bad > 0, start != "Zoe", "{start}");
    }
}
/// Reads `path` in parts: `true` when it was split, and then the records are those of one
/// read.
fn halves_agree(path: &std::path::Path, opts: &InputOptions) -> bool {
    let reader = Reader::open(path, opts).unwrap();
    let see = |seen: &mut Vec<RecordValues>, v: &Look| seen.push(v.to_values());
    let Some((n, parts)) = look_at_each_in_parts(&reader, path, opts, usize::MAX, Vec::new(), see)
    else {
        return false;
    };
    let want = each(path, opts);
    assert_eq!(n, want.len() as u64);
    let all: Vec<RecordValues> = parts.into_iter().flatten().collect();
    assert!(
        all.iter().map(cells_only).eq(want.iter().map(cells_only)),
        "the parts differ from one read"
    );
    true
}

#[test]
fn a_file_is_split_only_where_no_quoted_cell_runs_across() {
    let dir = tempfile::tempdir().unwrap();
    let opts = InputOptions {
        limits: Limits {
            max_field: 64 << 20,
            max_row: 64 << 20,
        },
        ..InputOptions::default()
    };
    let filler = |csv: &mut Vec<u8>, bytes: usize| {
        let mut i = 0;
        while csv.len() < bytes {
            csv.extend(format!("p{i}@example.com,n\n").as_bytes());
            i += 1;
        }
    };
    // One cell of many lines across the middle: split after it.
    let mut csv = b"Email,Notes\n".to_vec();
    filler(&mut csv, 4 << 20);
    csv.extend(b"q@example.com,\"");
    csv.extend("line\n".repeat(300_000).as_bytes());
    csv.extend(b"end\"\n");
    let end = csv.len();
    filler(&mut csv, end + (3 << 20));
    assert!(halves_agree(&file(&dir, "quoted.csv", &csv), &opts));
    // A quote inside an unquoted cell (read as a literal) misleads the count: the split
    // falls inside a quoted cell, the first half ends unclosed, and the file is read whole.
    let mut csv = b"Email,Notes\ns@example.com,5\" screen\n".to_vec();
    filler(&mut csv, 4 << 20);
    while csv.len() < 9 << 20 {
        csv.extend(b"m@example.com,\"a\nb\"\n");
    }
    let path = file(&dir, "stray.csv", &csv);
    assert!(!halves_agree(&path, &opts));
    assert!(each(&path, &opts)
        .iter()
        .all(|v| matches!(v, RecordValues::Cells(_))));
    // No line end for megabytes: the part holding them runs to the line end after them.
    let mut csv = b"Email,Notes\n".to_vec();
    filler(&mut csv, 5 << 20);
    csv.extend(b"w@example.com,");
    csv.extend("x".repeat(6 << 20).as_bytes());
    csv.extend(b"\ny@example.com,z\n");
    let path = file(&dir, "wide.csv", &csv);
    assert!(halves_agree(&path, &opts));
    let reader = Reader::open(&path, &opts).unwrap();
    let see = |n: &mut u64, _: &Look| *n += 1;
    let (n, parts) = look_at_each_in_parts(&reader, &path, &opts, usize::MAX, 0, see).unwrap();
    assert_eq!(parts.iter().sum::<u64>(), n);
    assert!(parts.len() > 2, "{parts:?}");
    // A file below the split size is read on one thread.
    let small = file(&dir, "small.csv", b"Email\nx@example.com\n");
    assert!(!halves_agree(&small, &opts));
}

/// A file like the bench's messy export: accented letters and CJK from the first row on
/// (settled as UTF-8 at once), quoted cells with commas, dates, tags.
fn messy_like(rows_from: usize, bytes: usize) -> Vec<u8> {
    let mut csv = "First Name,Last Name,Email,Phone,Date of Birth,Country,City,Company Name,Tags\n"
        .as_bytes()
        .to_vec();
    let mut i = rows_from;
    while csv.len() < bytes {
        let (first, dob) = match i % 4 {
            0 => ("\u{674e}", ""),
            1 => ("Mark", "1985-04-12"),
            2 => ("Ann", "03/04/1985"),
            _ => ("Zo\u{eb}", "31/12/1990"),
        };
        csv.extend(
            format!("{first},M\u{fc}ller-{i},p{i}@example.com,(415) 555-2671,{dob},GB,S\u{e3}o Paulo,\"Acme, Inc. {i}\",\"vip, lead\"\n")
                .as_bytes(),
        );
        i += 1;
    }
    csv
}

#[test]
fn a_file_with_letters_past_ascii_from_its_first_row_is_read_in_parts() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "messy.csv", &messy_like(0, 9 << 20));
    let opts = InputOptions::default();
    let reader = Reader::open(&path, &opts).unwrap();
    assert_eq!(reader.encoding(), "UTF-8");
    assert!(
        reader.late_encoding().is_none(),
        "settled on the first rows"
    );
    assert!(halves_agree(&path, &opts), "the parts were discarded");
}

/// One thread held up (by the phone warm-up, or another process on the same cores) does not
/// hold up the rest: the other thread reads every part but the one the held-up one is in.
#[test]
fn a_thread_held_up_leaves_the_other_parts_to_the_others() {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::thread::ThreadId;
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "messy.csv", &messy_like(0, 10 << 20));
    let opts = InputOptions::default();
    let want = each(&path, &opts).len() as u64;
    let caller = std::thread::current().id();
    let by_others = AtomicU64::new(0);
    let see = |part: &mut (Option<ThreadId>, u64), _: &Look| {
        let me = std::thread::current().id();
        if part.0.is_none() && me == caller {
            // Held up until the others are inside the last part: the file is ten parts of
            // about a tenth of its rows each, so past 85% of the rows the others have taken
            // every part but this one (no wait on a quiet spell, which a loaded machine fakes).
            let started = std::time::Instant::now();
            while by_others.load(Ordering::Relaxed) < want * 17 / 20
                && started.elapsed().as_secs() < 60
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
        part.0.get_or_insert(me);
        part.1 += 1;
        if me != caller {
            by_others.fetch_add(1, Ordering::Relaxed);
        }
    };
    let reader = Reader::open(&path, &opts).unwrap();
    let (n, parts) =
        look_at_each_in_parts(&reader, &path, &opts, usize::MAX, (None, 0), see).unwrap();
    assert_eq!(n, want);
    assert_eq!(parts.iter().map(|p| p.1).sum::<u64>(), want);
    assert!(parts.len() > 2, "{} parts", parts.len());
    assert_eq!(parts[0].0, Some(caller));
    assert!(
        parts[1..].iter().all(|p| p.0 != Some(caller)),
        "the held-up thread read {} of {} parts",
        parts.iter().filter(|p| p.0 == Some(caller)).count(),
        parts.len()
    );
}

/// The first part to settle a plain ASCII start's encoding must have seen what one read sees
/// there: a full sample (unless it is the last part), and the byte before its first
/// accented letter (unless it is the first part); later parts must agree with it.
#[test]
fn parts_settle_an_encoding_only_as_one_read_would() {
    let late = |encoding, at, short| {
        Some(Late {
            encoding,
            at,
            why: None,
            short,
        })
    };
    let (utf8, latin) = (encoding_rs::UTF_8, encoding_rs::WINDOWS_1252);
    assert!(parts_agree(&[None, None, None]));
    assert!(parts_agree(&[
        late(utf8, 9, false),
        None,
        late(utf8, 0, true)
    ]));
    assert!(parts_agree(&[
        None,
        late(latin, 7, false),
        late(latin, 0, false)
    ]));
    assert!(parts_agree(&[None, None, late(latin, 3, true)]));
    // Cut short by the part's end, where one read goes on.
    assert!(!parts_agree(&[late(utf8, 9, true), None]));
    assert!(!parts_agree(&[None, late(utf8, 9, true), None]));
    // The part's first byte: one read's guess saw the line end before it.
    assert!(!parts_agree(&[None, late(latin, 0, false), None]));
    assert!(parts_agree(&[late(latin, 0, false), None]));
    // A later part on another encoding.
    assert!(!parts_agree(&[
        late(utf8, 5, false),
        None,
        late(latin, 2, false)
    ]));
}

#[test]
fn problem_records_in_the_first_half_do_not_stop_the_split() {
    let dir = tempfile::tempdir().unwrap();
    let opts = InputOptions {
        limits: Limits {
            max_field: 4096,
            max_row: 16 << 10,
        },
        ..InputOptions::default()
    };
    let mut csv = b"Email,Notes\n".to_vec();
    let mut i = 0;
    while csv.len() < 9 << 20 {
        csv.extend(format!("p{i}@example.com,\"two\nlines\"\n").as_bytes());
        if i % 50_000 == 100 && csv.len() < 3 << 20 {
            // A stray quote (text after the closing one), a cell past --max-field-size, and
            // two quotes never closed (each runs past the limit; the parity stays even).
            csv.extend(b"s@example.com,\"a\nb\"c\n");
            csv.extend(format!("f@example.com,{}\n", "x".repeat(5000)).as_bytes());
            for _ in 0..2 {
                csv.extend(b"u@example.com,\"open\n");
                csv.extend("line\n".repeat(1000).as_bytes());
            }
        }
        i += 1;
    }
    let path = file(&dir, "problems.csv", &csv);
    // The long cell costs only itself: its record is read, that cell marked.
    let problems = each(&path, &opts)
        .iter()
        .filter(|v| match v {
            RecordValues::Unreadable { .. } => true,
            RecordValues::Cells(c) => (0..c.len()).any(|i| c.unreadable(i).is_some()),
            RecordValues::Object(_) | RecordValues::Footer { .. } => false,
        })
        .count();
    assert!(problems >= 4 * 3, "{problems} problem records");
    assert!(halves_agree(&path, &opts), "the halves were discarded");
}

/// Records read into reused ones (the prepare pool hands its records back) are the records
/// the iterator gives: cells, unreadable cells, problem records, rows and sequence numbers.
#[test]
fn records_read_into_reused_ones_are_the_iterators() {
    let text: &[u8] = b"Name,Email,Phone,Notes\n\
        Ann,a@x.com,1,\"two\nlines\"\n\
        Bob,b@x.com,2\n\
        \n\
        Cy\xff,c@x.com,3,x,extra,cells\n\
        \"Di\"x,d@x.com,4,y\n\
        Ed,e@x.com,5,a longer note than any cell before it\n\
        Flo,f@x.com,6,z\n";
    let expected: Vec<Record> = csv(text).collect();
    assert_eq!(expected.len(), 6);
    // Reused in every order: bigger, smaller and unreadable records before each record.
    for first in 0..expected.len() {
        let mut reader = csv(text);
        let mut slots: Vec<Record> = csv(text).skip(first).collect();
        slots.extend(csv(text).take(first));
        let mut got = Vec::new();
        for slot in slots.iter_mut() {
            assert!(reader.next_into(slot));
            got.push(slot.clone());
        }
        assert_eq!(got, expected);
        let mut spare = expected[0].clone();
        assert!(!reader.next_into(&mut spare));
        assert!(!reader.next_into(&mut spare));
    }
}

proptest::proptest! {
    /// Whatever the sizes and quoting, a record with long cells reads as the `csv` crate
    /// reads it, each cell past the limit cut to its first 60 bytes and marked, and nothing
    /// else changed: the cutting never shifts another cell's bytes.
    #[test]
    fn cells_past_the_limit_are_cut_and_the_others_read_as_csv_reads_them(
        rows in proptest::collection::vec(
            proptest::collection::vec((0usize..3000, proptest::bool::ANY, 0u8..3), 1..6),
            1..6,
        )
    ) {
        let max_field = 1000;
        let mut text = String::from("a,b,c,d,e,f\n");
        for row in &rows {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(i, &(len, quoted, kind))| {
                    let body: String = (0..len)
                        .map(|j| match (kind, j % 7) {
                            (1, 3) => '\n',
                            (2, 5) => ',',
                            (2, 6) => 'é',
                            _ => char::from(b'a' + ((i + j) % 26) as u8),
                        })
                        .collect();
                    if quoted || kind != 0 {
                        format!("\"{}\"", body.replace('"', "\"\""))
                    } else {
                        body
                    }
                })
                .collect();
            text.push_str(&cells.join(","));
            text.push('\n');
        }
        let mut want_rows = Vec::new();
        let mut rdr = ::csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
        for rec in rdr.records() {
            let rec = rec.unwrap();
            // A row of empty cells (`""`, `,,`) is skipped as blank: README, Input.
            if rec.iter().all(str::is_empty) {
                continue;
            }
            let cells: Vec<(String, bool)> = rec
                .iter()
                .map(|c| {
                    if c.len() > max_field {
                        let mut cut = 60;
                        while !c.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        (c[..cut].to_owned(), true)
                    } else {
                        (c.to_owned(), false)
                    }
                })
                .collect();
            want_rows.push(cells);
        }
        let got: Vec<Vec<(String, bool)>> = limited(text.as_bytes(), "p.csv", max_field, 1 << 20)
            .map(|r| match &r.values {
                RecordValues::Cells(c) => (0..c.len())
                    .map(|i| (c.get(i).unwrap().to_owned(), c.unreadable(i).is_some()))
                    .collect(),
                other => panic!("{other:?}"),
            })
            .collect();
        proptest::prop_assert_eq!(got, want_rows);
    }
}

#[test]
fn a_salesforce_footer_after_a_blank_row_at_the_end_is_skipped_and_nothing_else_is() {
    let kinds = |text: &str| -> Vec<(u64, &'static str)> {
        csv(text.as_bytes())
            .map(|r| {
                let kind = match r.values {
                    RecordValues::Footer { .. } => "footer",
                    RecordValues::Cells(_) => "cells",
                    _ => "other",
                };
                (r.row, kind)
            })
            .collect()
    };
    let footer = "\n\"\"\n\"Grand Totals (1 records)\"\n\n\"Confidential Information - Do Not Distribute\"\n\"Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved.\"\n\"Generated By:  Alex Morgan  3/4/2024 9:12 AM\"\n\"Acme Corp\"\n";
    let head = "\"First Name\",\"Last Name\",\"Email\"\n\"Ann\",\"Lee\",\"ann@x.com\"\n";
    let got = kinds(&format!("{head}{footer}"));
    assert_eq!(got[0], (2, "cells"));
    assert!(got[1..].iter().all(|(_, k)| *k == "footer"), "{got:?}");
    assert_eq!(got.len(), 6, "{got:?}");
    // No Salesforce line: one-cell rows after a blank row are rows like any other.
    let got = kinds(&format!("{head}\n\"Bob\",,\n\"Acme Corp\"\n"));
    assert_eq!(got, [(2, "cells"), (4, "cells"), (5, "cells")]);
    // Not at the end: a contact after it makes the block data.
    let got = kinds(&format!(
        "{head}\n\"Confidential Information - Do Not Distribute\"\n\"Cy\",\"Ng\",\"cy@x.com\"\n"
    ));
    assert_eq!(got, [(2, "cells"), (4, "cells"), (5, "cells")]);
    // Not after a blank row.
    let got = kinds(&format!(
        "{head}\"Confidential Information - Do Not Distribute\"\n"
    ));
    assert_eq!(got, [(2, "cells"), (3, "cells")]);
}

/// Hands a text out in the given read sizes, over and over: records cross every buffer
/// boundary somewhere.
struct Trickle {
    text: Vec<u8>,
    at: usize,
    sizes: Vec<usize>,
    next: usize,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let size = self.sizes[self.next % self.sizes.len()];
        self.next += 1;
        let n = size.min(buf.len()).min(self.text.len() - self.at);
        buf[..n].copy_from_slice(&self.text[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// What a pass that reads the first `cells` cells sees of every record, looking at them
/// as the pre-pass does (skimming the rest when `skim`).
fn first_cells_seen(text: &[u8], sizes: &[usize], cells: usize, skim: bool) -> Vec<String> {
    let opts = InputOptions {
        format: Some(Format::Csv),
        limits: Limits {
            max_field: 40,
            max_row: 120,
        },
        ..InputOptions::default()
    };
    let source = Trickle {
        text: text.to_vec(),
        at: 0,
        sizes: sizes.to_vec(),
        next: 0,
    };
    let Ok(mut reader) = Reader::from_reader(Box::new(source), "hostile.csv", &opts) else {
        return vec!["no header".into()];
    };
    let mut seen = Vec::new();
    let see = |look: &Look| {
        let line = match look {
            Look::Values(RecordValues::Cells(c)) => format!(
                "{:?} {:?}",
                (0..cells.min(c.len()))
                    .map(|i| look.cell(i))
                    .collect::<Vec<_>>(),
                (0..cells.min(c.len()))
                    .map(|i| c.unreadable(i))
                    .collect::<Vec<_>>()
            ),
            Look::Values(other) => format!("{other:?}"),
            Look::Raw { ends, .. } => format!(
                "{:?}",
                (0..cells.min(ends.len()))
                    .map(|i| look.cell(i))
                    .collect::<Vec<_>>()
            ),
        };
        seen.push(line);
    };
    let n = match skim {
        true => reader.look_at_first(cells, see),
        false => reader.look_at_each(see),
    };
    seen.push(format!("{n} records"));
    seen
}

/// Every record of `text` as the CSV stream gives it (row, problem, its first `cells`
/// cells, the cells cut), skimming the rest when `skim`.
fn stream_records(text: &[u8], sizes: &[usize], cells: usize, skim: bool) -> Vec<String> {
    let source = Trickle {
        text: text.to_vec(),
        at: 0,
        sizes: sizes.to_vec(),
        next: 0,
    };
    let limits = Limits {
        max_field: 40,
        max_row: 120,
    };
    let mut stream = CsvStream::new(Box::new(source), b',', limits);
    if skim {
        stream.skim_to(cells);
    }
    let mut seen = Vec::new();
    while let Some(info) = stream.next_record().unwrap() {
        let first: Vec<&[u8]> = stream.fields().take(cells).collect();
        seen.push(format!(
            "row {} {:?} {first:?} {:?}",
            info.row,
            info.problem,
            stream.oversized()
        ));
    }
    seen.push(format!("ended in a quote: {}", stream.ended_in_quote));
    seen
}

proptest::proptest! {
    /// Skimming past the cells a pass does not read changes nothing it sees, whatever the
    /// file holds: quoted line breaks, doubled and stray quotes, quotes never closed,
    /// blank lines and blank records, cells and records past the limits, `\r`, `\r\n`,
    /// non-ASCII and bad bytes, UTF-16, read in any sizes.
    #[test]
    fn skimming_sees_the_first_cells_as_the_full_parse_does(
        rows in proptest::collection::vec(
            (proptest::collection::vec(proptest::collection::vec(0usize..19, 0..4), 0..7), 0usize..4),
            0..14,
        ),
        cells in 1usize..6,
        sizes in proptest::collection::vec(1usize..300, 1..5),
        utf16 in proptest::bool::weighted(0.15),
    ) {
        const TOKENS: [&[u8]; 19] = [
            b"a", b"Ann Lee", b"\"", b"\"\"", b",", b"\n", b"\r\n", b"\r", b" ", b"\t",
            "é".as_bytes(), b"\xEF\xBB\xBF", b"\"q, r\"", b"\"two\nlines\"", b"\"open",
            b"\"a\"b", b"\0", b"a note longer than any cell may be, forty bytes at least",
            b"\xFF",
        ];
        const ENDS: [&str; 4] = ["\n", "\r\n", "\r", "\n\n"];
        let mut text = b"A,B,C,D,E,F\n".to_vec();
        for (row, end) in &rows {
            let row: Vec<Vec<u8>> = row.iter().map(|cell| cell.iter().flat_map(|&t| TOKENS[t].iter().copied()).collect()).collect();
            text.extend(row.join(&b","[..]));
            text.extend(ENDS[*end].as_bytes());
        }
        let bytes: Vec<u8> = match utf16 {
            true => [0xFF, 0xFE]
                .into_iter()
                .chain(String::from_utf8_lossy(&text).encode_utf16().flat_map(u16::to_le_bytes))
                .collect(),
            false => text.clone(),
        };
        let full = first_cells_seen(&bytes, &sizes, cells, false);
        let skimmed = first_cells_seen(&bytes, &sizes, cells, true);
        proptest::prop_assert_eq!(skimmed, full);
        let full = stream_records(&text, &sizes, cells, false);
        let skimmed = stream_records(&text, &sizes, cells, true);
        proptest::prop_assert_eq!(skimmed, full);
    }
}

#[test]
fn skipped_lines_end_at_lf_crlf_or_a_lone_cr_and_rows_keep_their_numbers() {
    let skip = |text: &[u8], n: u64| {
        let opts = InputOptions {
            format: Some(Format::Csv),
            skip_lines: n,
            ..InputOptions::default()
        };
        Reader::from_reader(
            Box::new(std::io::Cursor::new(text.to_vec())),
            "r.csv",
            &opts,
        )
        .unwrap()
    };
    for text in [
        &b"Report; \"Q4\nRun 2026-11-30\n\nEmail,Name\na@x.com,Ann\n"[..],
        b"Report; \"Q4\r\nRun 2026-11-30\r\n\r\nEmail,Name\r\na@x.com,Ann\r\n",
        b"Report; \"Q4\rRun 2026-11-30\r\rEmail,Name\ra@x.com,Ann\r",
        // A BOM, then Excel's sep line, which is not a line of the table.
        b"\xEF\xBB\xBFsep=,\nReport; \"Q4\nRun 2026-11-30\n\nEmail,Name\na@x.com,Ann\n",
    ] {
        let mut r = skip(text, 3);
        // The title's `;` and its quote were not read: the header's delimiter is.
        assert_eq!(r.delimiter(), Some(b','), "{text:?}");
        assert_eq!(r.headers().unwrap(), ["Email", "Name"], "{text:?}");
        assert_eq!(r.skipped_lines(), ["Report; \"Q4", "Run 2026-11-30", ""]);
        let recs: Vec<_> = r.by_ref().collect();
        assert_eq!((recs[0].row, cells(&recs[0])), (5, vec!["a@x.com", "Ann"]));
        assert_eq!(recs.len(), 1);
    }
    // A long title is kept to show only by its start.
    let long = format!("{}\nEmail\na@x.com\n", "x".repeat(500));
    let r = skip(long.as_bytes(), 1);
    assert_eq!(r.skipped_lines()[0], format!("{}…", "x".repeat(80)));
    let opts = InputOptions {
        skip_lines: 5,
        ..InputOptions::default()
    };
    let all = Reader::from_reader(
        Box::new(std::io::Cursor::new(b"Title\nEmail\na@x.com\n".to_vec())),
        "r.csv",
        &opts,
    );
    assert!(matches!(all, Err(InputError::SkippedAll { skip: 5, .. })));
}

/// A Windows-1252 export whose first accented letter comes after a plain ASCII start of more
/// than the sample: read as UTF-8 up to there, then as windows-1252, no letter lost.
#[test]
fn a_code_page_after_a_plain_ascii_start_is_read_as_that_code_page() {
    let mut text = String::from("First Name,Last Name,Company\n");
    let mut i = 0;
    while text.len() < 70_000 {
        text.push_str(&format!("Person{i},Smith,Acme\n"));
        i += 1;
    }
    text.push_str(
        "Zo\u{eb},Mu\u{f1}oz,Caf\u{e9} Ol\u{e9} \u{2013} \u{201C}Montr\u{e9}al\u{201D}\n",
    );
    let (bytes, _, lossy) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!lossy);
    let mut r = csv(&bytes);
    // Nothing but ASCII read yet.
    assert_eq!(r.encoding(), "UTF-8");
    let last = r.by_ref().last().unwrap();
    assert_eq!(
        cells(&last),
        [
            "Zo\u{eb}",
            "Mu\u{f1}oz",
            "Caf\u{e9} Ol\u{e9} \u{2013} \u{201C}Montr\u{e9}al\u{201D}"
        ]
    );
    assert_eq!(r.encoding(), "windows-1252");
    let late = r.late_encoding().unwrap();
    let notice = late.get().and_then(|_| late.notice("x.csv")).unwrap();
    assert!(
        notice.contains("read as windows-1252 from byte"),
        "{notice}"
    );
    // The same start followed by UTF-8 letters stays UTF-8.
    let mut r = csv(text.as_bytes());
    assert_eq!(cells(&r.by_ref().last().unwrap())[0], "Zo\u{eb}");
    assert_eq!(r.encoding(), "UTF-8");
    assert!(r.late_encoding().unwrap().notice("x.csv").is_none());
}

/// The first half settles UTF-8 on its own letters; the second has only a stray legacy
/// byte, which alone would settle it as a code page: one read keeps UTF-8 (the stray byte's
/// cell is left out), so the halves are not used.
#[test]
fn halves_that_settle_different_encodings_are_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = b"Email,Notes\n".to_vec();
    let mut i = 0;
    while csv.len() < SPLIT_FROM_BYTES as usize + 100_000 {
        csv.extend(format!("p{i}@example.com,n\n").as_bytes());
        if i == 10_000 {
            csv.extend("z@example.com,Zo\u{eb}\n".as_bytes());
        }
        i += 1;
    }
    csv.extend(b"j@example.com,Jos\xe9\n");
    let path = file(&dir, "mixed.csv", &csv);
    let opts = InputOptions::default();
    let all = each(&path, &opts);
    let last = cells_only(all.last().unwrap()).unwrap();
    assert!(last.unreadable(1).is_some());
    assert!(!halves_agree(&path, &opts));
}

/// Runs `f` with streams it makes cutting one-line records by `split_line` (`fast`) or
/// reading every record with csv_core and the quote tracker.
fn with_fast<T>(fast: bool, f: impl FnOnce() -> T) -> T {
    csv_stream::FAST.with(|c| c.set(fast));
    let out = f();
    csv_stream::FAST.with(|c| c.set(true));
    out
}

/// Every record a stream gives as the reader takes them (the header first, stopping at its
/// problem): row, problem, cells (the first `skim` when skimming), cells cut to a preview,
/// whether it is blank, and at the end whether the input ended in a quote.
fn every_record(
    text: &[u8],
    sizes: &[usize],
    delimiter: u8,
    limits: Limits,
    skim: Option<usize>,
) -> Vec<String> {
    let source = Trickle {
        text: text.to_vec(),
        at: 0,
        sizes: sizes.to_vec(),
        next: 0,
    };
    let mut stream = CsvStream::new(Box::new(source), delimiter, limits);
    stream.stop_at_problem = true;
    let mut seen = Vec::new();
    while let Some(info) = stream.next_record().unwrap() {
        let (bytes, _) = stream.record();
        let blank = bytes.iter().all(u8::is_ascii_whitespace);
        let cells: Vec<&[u8]> = stream.fields().take(skim.unwrap_or(usize::MAX)).collect();
        seen.push(format!(
            "row {} {:?} {cells:?} {:?} blank {blank}",
            info.row,
            info.problem,
            stream.oversized()
        ));
        if stream.stop_at_problem && !blank {
            if info.problem.is_some() {
                break;
            }
            stream.stop_at_problem = false;
            if let Some(cells) = skim {
                stream.skim_to(cells);
            }
        }
    }
    seen.push(format!("ended in a quote: {}", stream.ended_in_quote));
    seen
}

/// Every record the reader gives, as the run sees them, and the encoding it settled on.
fn records_read(bytes: &[u8], sizes: &[usize], opts: &InputOptions) -> Vec<String> {
    let source = Trickle {
        text: bytes.to_vec(),
        at: 0,
        sizes: sizes.to_vec(),
        next: 0,
    };
    let mut reader = match Reader::from_reader(Box::new(source), "hostile.csv", opts) {
        Ok(r) => r,
        Err(e) => return vec![e.to_string()],
    };
    let mut seen = vec![format!("{:?}", reader.headers())];
    seen.extend(
        reader
            .by_ref()
            .map(|r| format!("{} {} {:?}", r.seq, r.row, r.values)),
    );
    seen.push(reader.encoding().to_owned());
    seen
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    /// Cutting a one-line record at its delimiters reads every file as csv_core and the
    /// quote tracker do: the same rows (blank lines counted), cells, problems, previews and
    /// blank records, whatever the file holds (quotes closed, doubled, stray, never closed,
    /// inside unquoted cells, across lines; `\r`, `\r\n`, NULs, BOMs, bad bytes, cells and
    /// records about the limits, a Salesforce footer, windows-1252 and UTF-16), read in any
    /// sizes, skimmed or not, with any delimiter.
    #[test]
    fn cutting_one_line_records_reads_as_csv_core_does(
        rows in proptest::collection::vec(
            (proptest::collection::vec(proptest::collection::vec(0usize..30, 0..4), 0..7), 0usize..5),
            0..16,
        ),
        delimiter in 0usize..3,
        limits in (1usize..70, 1usize..200),
        default_limits in proptest::bool::weighted(0.3),
        skim in proptest::option::of(1usize..6),
        sizes in proptest::collection::vec(1usize..300, 1..5),
        encoding in 0usize..6,
        bom in proptest::bool::weighted(0.2),
    ) {
        const TOKENS: [&[u8]; 30] = [
            b"a", b"Ann Lee", b"\"", b"\"\"", b"\x01", b"\n", b"\r\n", b"\r", b" ", b"\t",
            "é".as_bytes(), b"\xEF\xBB\xBF", b"\"q\x01 r\"", b"\"two\nlines\"", b"\"open",
            b"\"a\"b", b"\0", b"a note longer than any cell may be, forty bytes at least",
            b"\xFF", b"a\"b", b"\"a\"\"b\"", b"\"\"\"\"", b"\"cr\rin\"", b" \"q\"",
            b"\"x\" ", b"\x01\x01", b"Grand Totals (3 records)",
            b"Confidential Information - Do Not Distribute", b"Caf\xE9", b"\"\"\"",
        ];
        const ENDS: [&str; 5] = ["\n", "\r\n", "\r", "\n\n", "\r\n\r\n"];
        let d = [b',', b';', b'\t'][delimiter];
        // `\x01` stands for the delimiter.
        let token = |t: usize| TOKENS[t].iter().map(|&b| if b == 1 { d } else { b });
        let sep = [d];
        let mut text = [b"A", &sep[..], b"B", &sep, b"C", &sep, b"D", &sep, b"E\n"].concat();
        for (row, end) in &rows {
            let row: Vec<Vec<u8>> = row.iter().map(|cell| cell.iter().flat_map(|&t| token(t)).collect()).collect();
            text.extend(row.join(&sep[..]));
            text.extend(ENDS[*end].as_bytes());
        }
        let limits = match default_limits {
            true => Limits::default(),
            false => Limits { max_field: limits.0, max_row: limits.1 },
        };
        // csv_core takes a BOM off the start of what it reads first (the reader already has).
        let read = [&b"\xEF\xBB\xBF"[..bom as usize * 3], &text].concat();
        let fast = with_fast(true, || every_record(&read, &sizes, d, limits, skim));
        let slow = with_fast(false, || every_record(&read, &sizes, d, limits, skim));
        proptest::prop_assert_eq!(fast, slow);

        // Through the reader: encodings, the BOM, footers, unreadable cells.
        let bytes: Vec<u8> = match encoding {
            0 => [0xFF, 0xFE]
                .into_iter()
                .chain(String::from_utf8_lossy(&text).encode_utf16().flat_map(u16::to_le_bytes))
                .collect(),
            1 => [&b"\xEF\xBB\xBF"[..], &text].concat(),
            2 => encoding_rs::WINDOWS_1252.encode(&String::from_utf8_lossy(&text)).0.into_owned(),
            _ => text.clone(),
        };
        let opts = InputOptions {
            format: Some(Format::Csv),
            limits,
            ..InputOptions::default()
        };
        let fast = with_fast(true, || records_read(&bytes, &sizes, &opts));
        let slow = with_fast(false, || records_read(&bytes, &sizes, &opts));
        proptest::prop_assert_eq!(fast, slow);
        if let Some(cells) = skim {
            let fast = with_fast(true, || first_cells_seen(&bytes, &sizes, cells, true));
            let slow = with_fast(false, || first_cells_seen(&bytes, &sizes, cells, true));
            proptest::prop_assert_eq!(fast, slow);
        }
    }
}
