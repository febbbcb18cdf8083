//! Excel workbooks as HubSpot and Pipedrive hand them out: typed cells (numbers, dates,
//! formulas), read like the CSV a person would save from them, into the sandbox.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::*;
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook, Worksheet};

/// A cell as the exporting CRM types it.
enum C {
    S(&'static str),
    T(String),
    N(f64),
    /// A date (`YYYY-MM-DD`) or date-time (`YYYY-MM-DD HH:MM:SS`) cell, formatted as Excel shows it.
    D(&'static str),
    /// A number shown through a number format, e.g. 2108 through `00000` showing `02108`.
    Nf(f64, &'static str),
    /// A formula with its cached result, e.g. `=NA()` showing `#N/A`.
    F(&'static str, &'static str),
    E,
}

fn write_sheet(ws: &mut Worksheet, headers: &[&str], rows: &[Vec<C>]) {
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let stamp = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                C::S(s) => drop(ws.write_string(r, c, *s).unwrap()),
                C::T(s) => drop(ws.write_string(r, c, s).unwrap()),
                C::N(n) => drop(ws.write_number(r, c, *n).unwrap()),
                C::Nf(n, code) => {
                    let f = Format::new().set_num_format(*code);
                    ws.write_number_with_format(r, c, *n, &f).unwrap();
                }
                C::D(d) => {
                    let v = ExcelDateTime::parse_from_str(d).unwrap();
                    let f = if d.len() > 10 { &stamp } else { &date };
                    ws.write_datetime_with_format(r, c, &v, f).unwrap();
                }
                C::F(f, result) => {
                    ws.write_formula(r, c, Formula::new(f).set_result(*result))
                        .unwrap();
                }
                C::E => {}
            }
        }
    }
}

const HUBSPOT: [&str; 12] = [
    "Record ID",
    "First Name",
    "Last Name",
    "Email",
    "Phone Number",
    "City",
    "Postal Code",
    "Date of birth",
    "Contact owner",
    "Lead Status",
    "Create Date",
    "Associated Company",
];

/// A HubSpot custom-view export saved as .xlsx: ids and phones typed as numbers (as Excel
/// does with digits), dates as date cells, a blank row, a `#N/A` left by a lookup formula,
/// a zip code that became a number, and an email with no domain ending.
fn hubspot_rows() -> Vec<Vec<C>> {
    use C::*;
    vec![
        vec![
            N(51234001.0),
            S("Emma"),
            S("Carter"),
            S("emma.carter@brightpath.io"),
            N(16175550143.0),
            S("Boston"),
            S("02116"),
            D("1990-04-25"),
            S("Dana Whitfield"),
            S("Connected"),
            D("2023-04-12 09:31:00"),
            S("BrightPath Analytics"),
        ],
        vec![
            N(51234002.0),
            S("Noah"),
            S("Patel"),
            S("noah.patel@Greenleaf"),
            S("617-555-0178"),
            S("Cambridge"),
            S("02139"),
            E,
            S("Dana Whitfield"),
            S("New"),
            D("2023-05-03 16:02:00"),
            S("Greenleaf Landscaping"),
        ],
        vec![],
        vec![
            N(51234003.0),
            S("Olivia"),
            S("Hughes"),
            S("olivia.hughes@harbourline.co.uk"),
            S("+44 20 7946 0321"),
            S("London"),
            S("WC2B 6NH"),
            D("1985-11-02"),
            S("Marcus Reed"),
            S("In progress"),
            D("2023-06-20 11:45:30"),
            S("Harbourline Ltd"),
        ],
        vec![
            N(51234004.0),
            S("Liam"),
            S("Nguyen"),
            S("liam.nguyen@nguyendental.com"),
            N(15035550112.0),
            S("Portland"),
            N(97205.0),
            E,
            S("Marcus Reed"),
            E,
            D("2023-07-08 08:15:00"),
            S("Nguyen Dental"),
        ],
        vec![
            N(51234005.0),
            S("Sophia"),
            S("Martins"),
            S("sophia@martins-design.ca"),
            F("=NA()", "#N/A"),
            S("Vancouver"),
            S("V6Z 1V1"),
            D("1979-02-28"),
            S("Dana Whitfield"),
            S("Connected"),
            D("2023-08-14 13:27:00"),
            S("Martins Design"),
        ],
    ]
}

/// The same export as HubSpot writes it as CSV (every field quoted), with the blank row a
/// spreadsheet leaves.
const HUBSPOT_CSV: &str = r##""Record ID","First Name","Last Name","Email","Phone Number","City","Postal Code","Date of birth","Contact owner","Lead Status","Create Date","Associated Company"
"51234001","Emma","Carter","emma.carter@brightpath.io","16175550143","Boston","02116","1990-04-25","Dana Whitfield","Connected","2023-04-12 09:31:00","BrightPath Analytics"
"51234002","Noah","Patel","noah.patel@Greenleaf","617-555-0178","Cambridge","02139","","Dana Whitfield","New","2023-05-03 16:02:00","Greenleaf Landscaping"
,,,,,,,,,,,
"51234003","Olivia","Hughes","olivia.hughes@harbourline.co.uk","+44 20 7946 0321","London","WC2B 6NH","1985-11-02","Marcus Reed","In progress","2023-06-20 11:45:30","Harbourline Ltd"
"51234004","Liam","Nguyen","liam.nguyen@nguyendental.com","15035550112","Portland","97205","","Marcus Reed","","2023-07-08 08:15:00","Nguyen Dental"
"51234005","Sophia","Martins","sophia@martins-design.ca","#N/A","Vancouver","V6Z 1V1","1979-02-28","Dana Whitfield","Connected","2023-08-14 13:27:00","Martins Design"
"##;

/// A sheet's name, header row and rows.
type Sheet<'a> = (&'a str, &'a [&'a str], Vec<Vec<C>>);

fn workbook(env: &Env, name: &str, sheets: &[Sheet]) -> PathBuf {
    let mut wb = Workbook::new();
    for (sheet, headers, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*sheet).unwrap();
        write_sheet(ws, headers, rows);
    }
    let path = env.path(name);
    wb.save(&path).unwrap();
    path
}

/// The sandbox's contacts without what the sandbox makes up (ids, timestamps), by email or
/// phone.
fn contacts(env: &Env) -> Vec<serde_json::Value> {
    let mut all: Vec<serde_json::Value> = env
        .sandbox
        .contacts(LOCATION)
        .into_iter()
        .map(|c| {
            let mut v = serde_json::to_value(c).unwrap();
            for k in ["id", "date_added", "date_updated"] {
                v.as_object_mut().unwrap().remove(k);
            }
            v
        })
        .collect();
    all.sort_by_key(|v| (v["email"].to_string(), v["phone"].to_string()));
    all
}

fn rows_of(report: &[HashMap<String, String>]) -> Vec<(String, String)> {
    report
        .iter()
        .map(|r| (r["row"].clone(), r["status"].clone()))
        .collect()
}

/// The report without the ids the sandbox makes up.
fn comparable(report: &[HashMap<String, String>]) -> Vec<Vec<(String, String)>> {
    report
        .iter()
        .map(|r| {
            let mut kv: Vec<(String, String)> = r
                .iter()
                .filter(|(k, _)| !k.contains("id"))
                .map(|(k, v)| (k.clone(), v.replace("hubspot.xlsx", "hubspot.csv")))
                .collect();
            kv.sort();
            kv
        })
        .collect()
}

#[test]
fn a_hubspot_xlsx_export_imports_like_its_csv_twin() {
    let csv_env = Env::new();
    let csv = csv_env.write("hubspot.csv", HUBSPOT_CSV);
    let csv_out = csv_env.import(&csv, &[]);
    let csv_report = read_report(&csv_env.path("report.csv"));

    let env = Env::new();
    let xlsx = workbook(
        &env,
        "hubspot.xlsx",
        &[("Contacts", &HUBSPOT, hubspot_rows())],
    );
    let out = env.import(&xlsx, &[]);
    let err = stderr(&out);
    assert_eq!(
        code(&out),
        code(&csv_out),
        "{err}\n---\n{}",
        stderr(&csv_out)
    );
    assert!(err.contains("Excel workbook, sheet 'Contacts'"), "{err}");
    let report = read_report(&env.path("report.csv"));

    // Rows numbered as Excel shows them: header 1, the blank row 4 keeps its number.
    let rows: Vec<String> = rows_of(&report).into_iter().map(|(r, _)| r).collect();
    assert_eq!(rows, ["2", "3", "5", "6", "7"]);
    assert_eq!(comparable(&report), comparable(&csv_report));
    assert_eq!(contacts(&env), contacts(&csv_env));

    // The typed cells landed as a person reads them in Excel.
    let all = env.sandbox.contacts(LOCATION);
    let emma = all
        .iter()
        .find(|c| c.first_name.as_deref() == Some("Emma"))
        .unwrap();
    assert_eq!(emma.phone.as_deref(), Some("+16175550143"));
    assert_eq!(emma.postal_code.as_deref(), Some("02116"));
    assert_eq!(emma.date_of_birth.as_deref(), Some("1990-04-25"));
    let liam = all
        .iter()
        .find(|c| c.first_name.as_deref() == Some("Liam"))
        .unwrap_or_else(|| panic!("{report:?}"));
    assert_eq!(liam.phone.as_deref(), Some("+15035550112"));
    assert_eq!(liam.postal_code.as_deref(), Some("97205"));
    // The #N/A cell is named in the report.
    let sophia = report.iter().find(|r| r["row"] == "7").unwrap();
    let named = format!("{} {}", sophia["errors"], sophia["warnings"]);
    assert!(
        named.contains("'Phone Number'") && named.contains("#N/A"),
        "{sophia:?}"
    );
}

const PIPEDRIVE: [&str; 9] = [
    "Person - ID",
    "Person - Name",
    "Person - First name",
    "Person - Last name",
    "Person - Email - Work",
    "Person - Phone - Work",
    "Person - Labels",
    "Person - Organization",
    "Person - Person created",
];

fn pipedrive_rows() -> Vec<Vec<C>> {
    use C::*;
    vec![
        vec![
            N(101.0),
            S("Chloé Dubois"),
            S("Chloé"),
            S("Dubois"),
            S("chloe.dubois@example.fr"),
            N(14155550143.0),
            S("Hot lead"),
            S("Maison Dubois"),
            D("2024-02-01 10:20:30"),
        ],
        vec![
            N(102.0),
            S("Raj Mehta"),
            S("Raj"),
            S("Mehta"),
            S("raj.mehta@example"),
            E,
            S("Customer"),
            S("Mehta Foods"),
            D("2024-02-03 08:00:00"),
        ],
        vec![
            N(103.0),
            S("Ana Silva"),
            S("Ana"),
            S("Silva"),
            S("ana.silva@example.com.br"),
            S("+55 11 91234-5678"),
            E,
            S("Silva & Filhos"),
            D("2024-02-05 17:45:00"),
        ],
    ]
}

/// Pipedrive's people on the second sheet, behind a notes sheet.
fn pipedrive_workbook(env: &Env) -> PathBuf {
    workbook(
        env,
        "people-export.xlsx",
        &[
            ("Read me", &["Exported from Pipedrive"], vec![]),
            ("People", &PIPEDRIVE, pipedrive_rows()),
        ],
    )
}

#[test]
fn a_named_sheet_is_read_and_its_rejects_come_out_as_csv() {
    let env = Env::new();
    let file = pipedrive_workbook(&env);
    let out = env.import(
        &file,
        &[
            "--sheet",
            "people",
            "--rejects",
            env.path("rejects.csv").to_str().unwrap(),
        ],
    );
    let err = stderr(&out);
    assert_eq!(code(&out), 1, "{err}");
    assert!(
        err.contains("sheet 'People'") && err.contains("rejects.csv as CSV"),
        "{err}"
    );
    let report = read_report(&env.path("report.csv"));
    let ok = |s: &str| s == "created" || s == "updated";
    let rows = rows_of(&report);
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(
        ok(&rows[0].1) && rows[1].1 == "invalid" && ok(&rows[2].1),
        "{report:?}"
    );
    assert_eq!(rows[1].0, "3");
    let all = env.sandbox.contacts(LOCATION);
    let chloe = all
        .iter()
        .find(|c| c.email.as_deref() == Some("chloe.dubois@example.fr"))
        .unwrap();
    assert_eq!(chloe.phone.as_deref(), Some("+14155550143"));
    assert_eq!(chloe.first_name.as_deref(), Some("Chloé"));

    // Rejects: CSV with the sheet's own headers, the row as read, and why.
    let rejects = read_report(&env.path("rejects.csv"));
    assert_eq!(rejects.len(), 1);
    let r = &rejects[0];
    assert_eq!(r["Person - ID"], "102");
    assert_eq!(r["Person - Email - Work"], "raj.mehta@example");
    assert_eq!(r["Person - Person created"], "2024-02-03 08:00:00");
    assert!(r["errors"].contains("raj.mehta@example"), "{r:?}");
}

#[test]
fn a_missing_sheet_is_an_error_listing_the_sheets_there() {
    let env = Env::new();
    let file = pipedrive_workbook(&env);
    let out = env.import(&file, &["--sheet", "Deals"]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(
        err.contains("people-export.xlsx has no worksheet named 'Deals'")
            && err.contains("'Read me', 'People'")
            && err.contains("--sheet"),
        "{err}"
    );
    assert!(env.requests().is_empty());
}

#[test]
fn a_sheet_named_for_a_csv_or_jsonl_file_is_refused_not_ignored() {
    let env = Env::new();
    // The workbook's sheet saved as CSV, the flag kept from the command that read it.
    let csv = env.write(
        "People.csv",
        "Person - Name,Person - Email - Work\nAnn Lee,ann@example.com\n",
    );
    let jsonl = env.write("people.jsonl", "{\"email\":\"ann@example.com\"}\n");
    for (file, what) in [(&csv, "a CSV file"), (&jsonl, "a JSONL file")] {
        let out = env.import(file, &["--sheet", "People"]);
        let err = stderr(&out);
        assert_eq!(code(&out), 2, "{err}");
        assert!(
            err.contains(&format!(
                "--sheet 'People': {} is {what}, not an Excel workbook, so it has no sheets; drop --sheet",
                file.display()
            )),
            "{err}"
        );
        let out = env
            .cmd()
            .arg("validate")
            .arg(file)
            .args(["--sheet", "People"])
            .output()
            .unwrap();
        assert_eq!(code(&out), 2, "{}", stderr(&out));
    }
    assert!(env.requests().is_empty());
}

/// A compound file, as Excel writes an encrypted workbook (with `EncryptedPackage`) or an old
/// .xls (with `Workbook`).
fn compound_file(path: &Path, stream: &str) {
    let file = std::fs::File::create(path).unwrap();
    let mut f = cfb::CompoundFile::create_with_version(cfb::Version::V3, file).unwrap();
    let mut s = f.create_stream(stream).unwrap();
    std::io::Write::write_all(&mut s, &[7u8; 8192]).unwrap();
    drop(s);
    f.flush().unwrap();
}

#[test]
fn damaged_encrypted_and_old_excel_files_are_refused_saying_what_to_do() {
    let env = Env::new();
    let good = workbook(
        &env,
        "good.xlsx",
        &[("People", &PIPEDRIVE, pipedrive_rows())],
    );
    let bytes = std::fs::read(&good).unwrap();
    let damaged = env.path("damaged.xlsx");
    std::fs::write(&damaged, &bytes[..bytes.len() / 2]).unwrap();
    let encrypted = env.path("locked.xlsx");
    compound_file(&encrypted, "EncryptedPackage");
    let old = env.path("legacy.xls");
    compound_file(&old, "Workbook");
    let text = env.write("really-text.xlsx", "email\nann@example.com\n");
    for (file, words) in [
        (&damaged, "cannot be read as an Excel .xlsx workbook"),
        (&encrypted, "password-protected"),
        (&old, "Excel 97-2003 workbook (.xls)"),
        (&text, "--format csv"),
    ] {
        let out = env.import(file, &[]);
        let err = stderr(&out);
        assert_eq!(code(&out), 2, "{err}");
        let name = file.file_name().unwrap().to_str().unwrap();
        assert!(err.contains(name) && err.contains(words), "{err}");
    }
    assert!(env.requests().is_empty());
}

const VALID_INVALID_VALID: [(&str, &str); 3] = [("2", "valid"), ("3", "invalid"), ("4", "valid")];

/// `validate FILE --report report.csv` plus `extra`.
fn validate(env: &Env, file: &Path, extra: &[&str]) -> std::process::Output {
    env.cmd()
        .arg("validate")
        .arg(file)
        .arg("--report")
        .arg(env.path("report.csv"))
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn without_sheet_the_first_visible_worksheet_is_read() {
    let env = Env::new();
    let mut wb = Workbook::new();
    let lists = wb.add_worksheet();
    lists.set_name("Lists").unwrap();
    write_sheet(lists, &["Label"], &[vec![C::S("Hot lead")]]);
    lists.set_hidden(true);
    let people = wb.add_worksheet();
    people.set_name("People").unwrap();
    write_sheet(people, &PIPEDRIVE, &pipedrive_rows());
    // Excel needs a visible sheet to be the active one.
    people.set_active(true);
    let file = env.path("hidden-first.xlsx");
    wb.save(&file).unwrap();
    let out = validate(&env, &file, &[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let rows = rows_of(&read_report(&env.path("report.csv")));
    assert_eq!(rows, VALID_INVALID_VALID.map(|(a, b)| (a.into(), b.into())));
}

#[test]
fn a_cell_past_max_field_size_costs_the_cell_not_the_row() {
    let env = Env::new();
    let file = workbook(
        &env,
        "notes.xlsx",
        &[(
            "People",
            &["Email", "City"],
            vec![
                vec![C::S("ann@example.com"), C::S("Austin")],
                vec![C::S("bob@example.com"), C::T("x".repeat(300))],
                vec![C::S("cy@example.com"), C::E],
            ],
        )],
    );
    let out = validate(&env, &file, &["--max-field-size", "200B"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    assert_eq!(report.len(), 3);
    assert!(report.iter().all(|r| r["status"] == "valid"), "{report:?}");
    let w = &report[1]["warnings"];
    assert!(
        w.contains(&format!("column 'City': \"{}\" left out", "x".repeat(60)))
            && w.contains("300 bytes long, past --max-field-size (200 bytes)"),
        "{w}"
    );
}

#[test]
fn a_title_row_above_the_header_is_refused_saying_to_remove_it_and_a_one_column_sheet_still_reads()
{
    let env = Env::new();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    // As a person saves a report: its title in A1, the header in row 2.
    ws.write_string(0, 0, "Contacts & Accounts Report").unwrap();
    for (c, h) in ["First Name", "Last Name", "Email"].iter().enumerate() {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    for (c, v) in ["Grace", "Kim", "grace.kim@pinnaclelogistics.com"]
        .iter()
        .enumerate()
    {
        ws.write_string(2, c as u16, *v).unwrap();
    }
    let file = env.path("contacts-report.xlsx");
    wb.save(&file).unwrap();
    let out = validate(&env, &file, &[]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(
        err.contains("row 1 holds only \"Contacts & Accounts Report\" and row 2 looks like the header ('First Name', 'Last Name', 'Email'): remove the title rows above the header"),
        "{err}"
    );
    assert!(
        err.contains("or run again with --skip-lines 1 to leave them unread"),
        "{err}"
    );
    assert!(!err.contains("give the extra cells a header"), "{err}");

    // One column: its one-cell first row is the header, and the rows below are read.
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    write_sheet(
        ws,
        &["Email"],
        &[
            vec![C::S("ann.lee@example.com")],
            vec![C::S("bob.ng@example.com")],
        ],
    );
    let file = env.path("emails.xlsx");
    wb.save(&file).unwrap();
    let out = validate(&env, &file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let rows = rows_of(&read_report(&env.path("report.csv")));
    assert_eq!(
        rows,
        [("2".into(), "valid".into()), ("3".into(), "valid".into())]
    );
}

#[test]
fn excel_error_values_in_any_column_are_left_out_and_named_never_sent_as_data() {
    let env = Env::new();
    let headers = [
        "Email",
        "First Name",
        "Company",
        "City",
        "Website",
        "Phone Number",
    ];
    // Lookups and sums that failed in the workbook the CRM export was pasted into: the cells
    // hold their cached error values.
    use C::*;
    let file = workbook(
        &env,
        "lookups.xlsx",
        &[(
            "Contacts",
            &headers,
            vec![
                vec![
                    S("ann@example.com"),
                    F("=VLOOKUP(A2,Owners!A:B,2,FALSE)", "#N/A"),
                    F("=Sheet3!B2", "#REF!"),
                    F("=1/0", "#DIV/0!"),
                    F("=HYPERLNK(A2)", "#NAME?"),
                    S("+1 415 555 2671"),
                ],
                vec![
                    F("=Sheet3!C2", "#REF!"),
                    S("Bob"),
                    S("Ray Plumbing"),
                    F("=A3+B3", "#VALUE!"),
                    S("rayplumbing.com"),
                    S("+1 415 555 0102"),
                ],
            ],
        )],
    );
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    assert_eq!(
        rows_of(&report),
        [
            ("2".into(), "created".into()),
            ("3".into(), "created".into())
        ]
    );
    let ann = &report[0]["warnings"];
    for (column, value) in [
        ("First Name", "#N/A"),
        ("Company", "#REF!"),
        ("City", "#DIV/0!"),
        ("Website", "#NAME?"),
    ] {
        let named =
            format!("column '{column}': {value:?} left out: an Excel error value, not data");
        assert!(ann.contains(&named), "{named} in {ann}");
    }
    // The email is no address: the row is keyed by its phone, the error named.
    let bob = &report[1]["warnings"];
    assert!(
        bob.contains("column 'Email': \"#REF!\" left out: an Excel error value"),
        "{bob}"
    );
    assert!(bob.contains("column 'City': \"#VALUE!\" left out"), "{bob}");
    let all = env.sandbox.contacts(LOCATION);
    assert_eq!(all.len(), 2);
    let sent = serde_json::to_string(&all).unwrap();
    assert!(!sent.contains('#'), "{sent}");
    let bob = all
        .iter()
        .find(|c| c.first_name.as_deref() == Some("Bob"))
        .unwrap();
    assert_eq!(bob.email, None);
    assert_eq!(bob.phone.as_deref(), Some("+14155550102"));
    assert_eq!(bob.website.as_deref(), Some("rayplumbing.com"));
}

#[test]
fn zips_and_phones_typed_as_numbers_are_sent_as_their_excel_format_shows_them_leading_zeros_kept() {
    let env = Env::new();
    let headers = ["Email", "First Name", "Phone", "Postal Code", "Country"];
    // What a person does to keep a leading zero in Excel: a number cell with Special > Zip
    // Code, Zip Code + 4 or Phone Number, or a custom format of zeros.
    use C::*;
    let file = workbook(
        &env,
        "formatted.xlsx",
        &[(
            "Contacts",
            &headers,
            vec![
                vec![
                    S("ann@example.com"),
                    S("Ann"),
                    Nf(4_155_552_671.0, "[<=9999999]###-####;(###) ###-####"),
                    Nf(2108.0, "00000"),
                    S("US"),
                ],
                vec![
                    S("bob@example.co.uk"),
                    S("Bob"),
                    Nf(7_700_900_123.0, "00000000000"),
                    S("SW1A 1AA"),
                    S("GB"),
                ],
                vec![
                    S("cara@example.com"),
                    S("Cara"),
                    N(16_175_550_143.0),
                    Nf(21_081_234.0, "00000-0000"),
                    S("US"),
                ],
                // An ordinary number stays as it is.
                vec![
                    S("dan@example.com"),
                    S("Dan"),
                    S("+1 617 555 0199"),
                    N(97205.0),
                    S("US"),
                ],
            ],
        )],
    );
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    for r in &report {
        assert_eq!(r["status"], "created", "{r:?}");
        // Bob's number is in Ofcom's range for drama, which the phone metadata does not know;
        // the warning quotes the cell as Excel shows it.
        let want = if r["row"] == "3" {
            "column 'Phone': \"07700900123\" sent as +447700900123, but the bundled phone metadata does not know that range (new or fictional); check it"
        } else {
            ""
        };
        assert_eq!(r["warnings"], want, "{r:?}");
    }
    let all = env.sandbox.contacts(LOCATION);
    let sent = |name: &str| {
        let c = all
            .iter()
            .find(|c| c.first_name.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("{name} in {report:?}"));
        (
            c.phone.clone().unwrap_or_default(),
            c.postal_code.clone().unwrap_or_default(),
        )
    };
    assert_eq!(sent("Ann"), ("+14155552671".into(), "02108".into()));
    assert_eq!(sent("Bob"), ("+447700900123".into(), "SW1A 1AA".into()));
    assert_eq!(sent("Cara"), ("+16175550143".into(), "02108-1234".into()));
    assert_eq!(sent("Dan"), ("+16175550199".into(), "97205".into()));
}

#[test]
fn skip_lines_reads_a_sheet_below_its_title_rows_and_names_them() {
    let env = Env::new();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    // A report saved from a CRM: its title, the date it ran, a blank row, then the header.
    ws.write_string(0, 0, "Contacts & Accounts Report").unwrap();
    ws.write_string(1, 0, "As of 11/30/2026").unwrap();
    for (c, h) in ["First Name", "Last Name", "Email"].iter().enumerate() {
        ws.write_string(3, c as u16, *h).unwrap();
    }
    for (c, v) in ["Grace", "Kim", "grace.kim@pinnaclelogistics.com"]
        .iter()
        .enumerate()
    {
        ws.write_string(4, c as u16, *v).unwrap();
    }
    let file = env.path("contacts-report.xlsx");
    wb.save(&file).unwrap();
    // Refused, naming the flag and the count that reads it.
    let out = validate(&env, &file, &[]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("run again with --skip-lines 3"),
        "{}",
        stderr(&out)
    );
    let out = validate(&env, &file, &["--skip-lines", "3"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("3 rows above the header skipped (--skip-lines 3): \"Contacts & Accounts Report\", \"As of 11/30/2026\""),
        "{}",
        stderr(&out)
    );
    // Rows as Excel numbers them.
    let rows = rows_of(&read_report(&env.path("report.csv")));
    assert_eq!(rows, [("5".into(), "valid".into())]);
}

/// A workbook as a ZIP archive of stored (uncompressed) parts, so a test can damage one cell
/// of its sheet's XML as a broken writer or a bad copy does.
fn workbook_with_sheet_xml(rows: &str) -> Vec<u8> {
    let sheet = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><dimension ref=\"A1:C6\"/><sheetData>{rows}</sheetData></worksheet>"
    );
    let parts: [(&str, String); 5] = [
        ("[Content_Types].xml", "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/><Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/></Types>".into()),
        ("_rels/.rels", "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>".into()),
        ("xl/workbook.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"Contacts\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>".into()),
        ("xl/_rels/workbook.xml.rels", "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>".into()),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    let crc32 = |data: &[u8]| {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    };
    let (mut out, mut central) = (Vec::new(), Vec::new());
    for (name, data) in &parts {
        let (name, data) = (name.as_bytes(), data.as_bytes());
        let (crc, len, at) = (crc32(data), data.len() as u32, out.len() as u32);
        let common = |v: &mut Vec<u8>| {
            v.extend([20, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // version, flags, stored, time, date
            v.extend(crc.to_le_bytes());
            v.extend(len.to_le_bytes());
            v.extend(len.to_le_bytes());
            v.extend((name.len() as u16).to_le_bytes());
            v.extend([0, 0]); // extra field length
        };
        out.extend(b"PK\x03\x04");
        common(&mut out);
        out.extend(name);
        out.extend(data);
        central.extend(b"PK\x01\x02");
        central.extend([20, 0]); // made by
        common(&mut central);
        central.extend([0; 6]); // comment length, disk, internal attributes
        central.extend([0; 4]); // external attributes
        central.extend(at.to_le_bytes());
        central.extend(name);
    }
    let (dir_at, dir_len) = (out.len() as u32, central.len() as u32);
    out.extend(central);
    out.extend(b"PK\x05\x06");
    out.extend([0, 0, 0, 0]);
    out.extend((parts.len() as u16).to_le_bytes());
    out.extend((parts.len() as u16).to_le_bytes());
    out.extend(dir_len.to_le_bytes());
    out.extend(dir_at.to_le_bytes());
    out.extend([0, 0]);
    out
}

/// A row of inline-string cells.
fn xml_row(r: u32, cells: &[&str]) -> String {
    let cells: String = cells
        .iter()
        .enumerate()
        .map(|(c, v)| {
            format!(
                "<c r=\"{}{r}\" t=\"inlineStr\"><is><t>{v}</t></is></c>",
                (b'A' + c as u8) as char
            )
        })
        .collect();
    format!("<row r=\"{r}\">{cells}</row>")
}

#[test]
fn a_damaged_cell_is_blamed_on_its_own_row_and_the_rows_after_it_are_read() {
    let env = Env::new();
    let rows = |damaged: &str| {
        [
            xml_row(1, &["Email", "First Name", "Last Name"]),
            xml_row(2, &["grace.kim@pinnaclelogistics.com", "Grace", "Kim"]),
            xml_row(3, &["omar@haddad-dental.com", "Omar", "Haddad"]),
            damaged.to_owned(),
            xml_row(5, &["raj@patel-design.co.uk", "Raj", "Patel"]),
            xml_row(6, &["mei@lin-studio.com", "Mei", "Lin"]),
        ]
        .concat()
    };
    let good = xml_row(4, &["lena@voss-partners.de", "Lena", "Voss"]);
    let number = "<c r=\"{}\" t=\"n\"><v>lena.voss@</v></c>";
    let file = env.path("contacts.xlsx");
    // Row 4's first cell, then its second, is a number cell whose value is not a number (a
    // broken writer's damage): it costs that cell; the rows before and after are whole.
    for (cell, status, said) in [
        (
            "A4",
            "invalid",
            "column 'Email': \"\" left out: the sheet is damaged in this cell (Parse float error: invalid float literal)",
        ),
        (
            "B4",
            "valid",
            "column 'First Name': \"\" left out: the sheet is damaged in this cell",
        ),
    ] {
        let text = match cell {
            "A4" => "lena@voss-partners.de",
            _ => "Lena",
        };
        let damaged = good.replace(
            &format!("<c r=\"{cell}\" t=\"inlineStr\"><is><t>{text}</t></is></c>"),
            &number.replace("{}", cell),
        );
        std::fs::write(&file, workbook_with_sheet_xml(&rows(&damaged))).unwrap();
        let out = validate(&env, &file, &[]);
        assert_eq!(code(&out), if status == "valid" { 0 } else { 1 }, "{}", stderr(&out));
        let report = read_report(&env.path("report.csv"));
        let got = rows_of(&report);
        let want: Vec<(String, String)> = [("2", "valid"), ("3", "valid"), ("4", status), ("5", "valid"), ("6", "valid")]
            .iter()
            .map(|(r, s)| (r.to_string(), s.to_string()))
            .collect();
        assert_eq!(got, want, "{cell}: {report:?}");
        let row4 = format!("{}{}", report[2]["errors"], report[2]["warnings"]);
        assert!(row4.contains(said), "{cell}: {row4}");
        assert!(report[1]["errors"].is_empty(), "{cell}: {report:?}");
    }
    // Broken XML cannot be read past: the row is named, and the rows the sheet says follow.
    let broken = good.replace("</row>", "<!-- </row>");
    std::fs::write(&file, workbook_with_sheet_xml(&rows(&broken))).unwrap();
    let out = validate(&env, &file, &[]);
    let report = read_report(&env.path("report.csv"));
    let last = report.last().unwrap();
    assert_eq!(last["status"], "invalid", "{report:?}");
    assert!(
        last["errors"].contains("the sheet is damaged here")
            && last["errors"].contains("nothing after it can be read: rows 5 to 6"),
        "{report:?} {}",
        stderr(&out)
    );
}
