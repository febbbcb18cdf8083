//! Files as Excel and other CRMs save them (UTF-8 with a BOM, UTF-16LE "Unicode text",
//! Windows-1252), imported by the built binary into the sandbox with their names intact.

mod common;

use common::*;

const PEOPLE: &[(&str, &str, &str)] = &[
    ("Zoë", "Müller", "zoe@example.de"),
    ("José", "Núñez", "jose@example.es"),
    ("Øre", "Åsen", "ore@example.no"),
    ("Renée", "O\u{2019}Brien", "renee@example.ie"),
];

fn table(delimiter: &str, extra: &[(&str, &str, &str)]) -> String {
    let mut out = format!("First Name{delimiter}Last Name{delimiter}Email\r\n");
    for (first, last, email) in PEOPLE.iter().chain(extra) {
        out.push_str(&format!("{first}{delimiter}{last}{delimiter}{email}\r\n"));
    }
    out
}

fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

/// Imports `bytes` as `name` and checks every person arrived with the names as written, and
/// that the summary says which encoding was used.
fn import_and_check(name: &str, bytes: &[u8], encoding: &str, extra: &[(&str, &str, &str)]) {
    let env = Env::new();
    let file = env.path(name);
    std::fs::write(&file, bytes).unwrap();
    let out = env.import(&file, &[]);
    let err = stderr(&out);
    assert_eq!(code(&out), 0, "{err}");
    let first_line = err
        .lines()
        .find(|l| l.contains(" rows from "))
        .unwrap_or_else(|| panic!("no summary in {err}"));
    assert!(first_line.contains(encoding), "{first_line}");

    let contacts = env.sandbox.contacts(LOCATION);
    assert_eq!(contacts.len(), PEOPLE.len() + extra.len());
    for (first, last, email) in PEOPLE.iter().chain(extra) {
        let c = contacts
            .iter()
            .find(|c| c.email.as_deref() == Some(email))
            .unwrap_or_else(|| panic!("{email} not imported"));
        assert_eq!(c.first_name.as_deref(), Some(*first));
        assert_eq!(c.last_name.as_deref(), Some(*last));
    }
    let report = read_report(&env.path("report.csv"));
    let rows: Vec<_> = report.iter().map(|r| r["row"].as_str()).collect();
    let expected: Vec<String> = (2..2 + contacts.len()).map(|n| n.to_string()).collect();
    assert_eq!(rows, expected);
}

#[test]
fn windows_1252_csv() {
    let extra = [("\u{201C}Ann\u{201D}", "Price €", "ann@example.com")];
    let text = table(";", &extra);
    let (bytes, _, lossy) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!lossy);
    import_and_check(
        "excel.csv",
        &bytes,
        "CSV, delimiter ';', windows-1252",
        &extra,
    );
}

#[test]
fn mac_excel_csv_in_mac_roman_with_classic_mac_line_ends() {
    // Mac Excel's "CSV (Macintosh)": Mac Roman, `\r` alone between lines.
    let extra = [("François", "Ångström", "francois@example.fr")];
    let text = table(",", &extra).replace("\r\n", "\r");
    let (bytes, _, lossy) = encoding_rs::MACINTOSH.encode(&text);
    assert!(!lossy);
    assert!(bytes.windows(4).any(|w| w == b"Jos\x8e"));
    import_and_check(
        "mac-excel.csv",
        &bytes,
        "CSV, delimiter ',', macintosh (detected: its accented letters read as Mac Roman",
        &extra,
    );
}

#[test]
fn utf16le_with_bom_tab_separated() {
    let extra = [("Łukasz", "Wróbel", "lukasz@example.pl")];
    let bytes = utf16le_with_bom(&table("\t", &extra));
    import_and_check(
        "unicode.txt",
        &bytes,
        "CSV, delimiter '\\t', UTF-16LE",
        &extra,
    );
}

#[test]
fn utf8_with_bom() {
    let extra = [("Łukasz", "Wróbel", "lukasz@example.pl")];
    let bytes = [&b"\xEF\xBB\xBF"[..], table(",", &extra).as_bytes()].concat();
    import_and_check("utf8.csv", &bytes, "CSV, delimiter ',', UTF-8", &extra);
}

#[test]
fn encoding_flag_overrides_detection() {
    let env = Env::new();
    // One short line is little to detect from; the flag makes it certain.
    let (bytes, _, _) =
        encoding_rs::WINDOWS_1250.encode("First Name,Email\r\nŁukasz,l@example.pl\r\n");
    let file = env.path("pl.csv");
    std::fs::write(&file, &bytes).unwrap();
    let out = env.import(&file, &["--encoding", "cp1250"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("windows-1250"), "{}", stderr(&out));
    let contacts = env.sandbox.contacts(LOCATION);
    assert_eq!(contacts[0].first_name.as_deref(), Some("Łukasz"));
}

#[test]
fn unknown_encoding_is_exit_2_naming_the_flag() {
    let env = Env::new();
    let file = env.write("x.csv", "Email\r\na@example.com\r\n");
    let out = env.import(&file, &["--encoding", "utf-42"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("--encoding") && err.contains("utf-42"),
        "{err}"
    );
    assert!(env.requests().is_empty());
}

#[test]
fn samples_are_readable() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    for (name, format) in [
        ("excel-unicode.txt", "CSV, delimiter '\\t', UTF-16LE"),
        ("windows-1252.csv", "CSV, delimiter ';', windows-1252"),
    ] {
        let env = Env::new();
        let out = env
            .cmd()
            .arg("validate")
            .arg(dir.join(name))
            .arg("--report")
            .arg(env.path("report.csv"))
            .output()
            .unwrap();
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains(format), "{name}: {}", stderr(&out));
        let report = read_report(&env.path("report.csv"));
        assert_eq!(report.len(), 5, "{name}");
        assert!(report.iter().all(|r| r["status"] == "valid"), "{name}");
    }
}

/// Desktop Outlook writes windows-1252; a sorted export can hold nothing but ASCII for far
/// more than the 64 KB the encoding is first looked for in.
#[test]
fn windows_1252_whose_first_accent_comes_after_a_plain_ascii_start() {
    let filler: Vec<(String, String, String)> = (0..3000)
        .map(|i| {
            (
                format!("Person{i}"),
                "Smith".into(),
                format!("p{i}@example.com"),
            )
        })
        .collect();
    let extra: Vec<(&str, &str, &str)> = filler
        .iter()
        .map(|(f, l, e)| (f.as_str(), l.as_str(), e.as_str()))
        .collect();
    // The accented people last.
    let mut text = String::from("First Name,Last Name,Email\r\n");
    for (first, last, email) in extra.iter().chain(PEOPLE) {
        text.push_str(&format!("{first},{last},{email}\r\n"));
    }
    let (bytes, _, lossy) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!lossy);
    assert!(bytes[..64 * 1024].is_ascii());
    let env = Env::new();
    let file = env.path("outlook.csv");
    std::fs::write(&file, &bytes).unwrap();
    let out = env.import(&file, &[]);
    let err = stderr(&out);
    assert_eq!(code(&out), 0, "{err}");
    let summary = err.lines().find(|l| l.contains(" rows from ")).unwrap();
    assert!(
        summary.contains("(CSV, delimiter ',', windows-1252)"),
        "{summary}"
    );
    assert!(err.contains("read as windows-1252 from byte"), "{err}");
    let contacts = env.sandbox.contacts(LOCATION);
    for (first, last, email) in PEOPLE {
        let c = contacts
            .iter()
            .find(|c| c.email.as_deref() == Some(email))
            .unwrap_or_else(|| panic!("{email} not imported"));
        assert_eq!(c.first_name.as_deref(), Some(*first));
        assert_eq!(c.last_name.as_deref(), Some(*last));
    }
}
