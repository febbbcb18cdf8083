//! Messy spreadsheets saved by Excel (Windows-1252; UTF-8 with a BOM; `;` with decimal
//! commas), with the value quirks of real exports: every row with a usable key lands, each
//! cell that cannot be read is left out and named in `warnings`, `--strict` rejects those
//! rows, and `validate` and `plan` say exactly what the import does.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use ghl_import::sandbox::{CustomFieldDef, CustomFieldType, SandboxContact};

fn messy(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/messy")
        .join(name)
}

/// A location with the default custom fields plus a lifecycle stage picklist.
fn env() -> Env {
    let mut config = fast_config();
    config.custom_fields.push(
        CustomFieldDef::new(
            "lifecycle_stage",
            "Lifecycle Stage",
            CustomFieldType::SingleOptions,
        )
        .with_options(&[
            "subscriber",
            "lead",
            "marketingqualifiedlead",
            "salesqualifiedlead",
            "customer",
        ]),
    );
    Env::with(config)
}

type Expected = [(&'static str, &'static str, &'static str)];

/// (row, status, warnings) of a report.
fn rows(report: &Path) -> Vec<(String, String, String)> {
    read_report(report)
        .into_iter()
        .map(|r| (r["row"].clone(), r["status"].clone(), r["warnings"].clone()))
        .collect()
}

fn owned(expected: &Expected) -> Vec<(String, String, String)> {
    expected
        .iter()
        .map(|(r, s, w)| (r.to_string(), s.to_string(), w.to_string()))
        .collect()
}

/// Imports, validates and imports with `--strict`; checks all three against `expected`.
fn check(file: &str, expected: &Expected, summary_line: &str) -> Env {
    let file = messy(file);
    // A fresh location for the strict run, so its rows are judged the same way.
    let strict_env = env();
    let env = env();
    let rejects = env.path("rejects.csv");
    let args = ["--preset", "none"];

    let mut c = env.cmd();
    c.arg("validate")
        .arg(&file)
        .args(args)
        .arg("--report")
        .arg(env.path("validate.csv"));
    let v = c.output().unwrap();
    assert_eq!(code(&v), 1, "{}", stderr(&v));
    assert!(env.requests().iter().all(|r| r.method == "GET"));

    let mut c = env.cmd();
    c.arg("plan")
        .arg(&file)
        .args(args)
        .args(["--rate-limit", "20/200ms", "--report"])
        .arg(env.path("plan.csv"));
    let p = c.output().unwrap();
    assert_eq!(code(&p), 1, "{}", stderr(&p));
    assert!(env.requests().iter().all(|r| r.method == "GET"));

    let out = env.import(
        &file,
        &[args[0], args[1], "--rejects", rejects.to_str().unwrap()],
    );
    assert_eq!(code(&out), 1, "invalid rows on purpose: {}", stderr(&out));
    let got = rows(&env.path("report.csv"));
    assert_eq!(got, owned(expected), "{}", stderr(&out));
    assert!(stderr(&out).contains(summary_line), "{}", stderr(&out));

    // validate: the same statuses (valid for created) and the same warnings.
    let validated: Vec<_> = rows(&env.path("validate.csv"))
        .into_iter()
        .map(|(r, s, w)| (r, if s == "valid" { "created".into() } else { s }, w))
        .collect();
    assert_eq!(validated, got);
    assert!(stderr(&v).contains(summary_line), "{}", stderr(&v));
    // plan: create for created (the location was empty), the same warnings.
    let planned: Vec<_> = rows(&env.path("plan.csv"))
        .into_iter()
        .map(|(r, s, w)| (r, if s == "create" { "created".into() } else { s }, w))
        .collect();
    assert_eq!(planned, got);

    // Every row with a key landed; the rejects hold only the rows not sent.
    let created = got.iter().filter(|(_, s, _)| s == "created").count();
    assert_eq!(env.sandbox.contacts(LOCATION).len(), created);
    let invalid = got.len() - created;
    let rejected = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(rejected.lines().count(), 1 + invalid, "{rejected}");

    // --strict: a row with any warning is rejected, the others land as before; a phone's
    // extension not sent is named but was nothing wrong (row 9), like an unused backup.
    let out = strict_env.import(&file, &[args[0], args[1], "--strict"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let strict = read_report(&strict_env.path("report.csv"));
    let only_extension =
        |w: &str| w.starts_with("column 'Phone': extension ") && !w.contains("; column");
    for ((row, status, warnings), s) in got.iter().zip(&strict) {
        let want = if warnings.is_empty() || only_extension(warnings) {
            status
        } else {
            "invalid"
        };
        assert_eq!((&s["row"], s["status"].as_str()), (row, want), "{s:?}");
        if want == "invalid" {
            // The errors name the cell the first warning did (a row rejected by its own
            // cells is not checked against the location's custom fields as well).
            let column = warnings.split("': ").next().unwrap();
            assert!(s["errors"].contains(column), "{column} in {s:?}");
        }
    }
    env
}

fn contact(env: &Env, email: &str) -> SandboxContact {
    env.sandbox
        .contacts(LOCATION)
        .into_iter()
        .find(|c| c.email.as_deref() == Some(email))
        .unwrap_or_else(|| panic!("{email} was not imported"))
}

fn custom(env: &Env, email: &str, key: &str) -> Option<serde_json::Value> {
    let id = env.sandbox.custom_field_id(LOCATION, key).unwrap();
    contact(env, email).custom_field(&id).cloned()
}

const EXCEL: &str = "Excel turned it into a number and lost its last digits; format the column as text in the spreadsheet and export again";

#[test]
fn a_windows_1252_spreadsheet_lands_every_row_with_a_key_and_names_each_cell_left_out() {
    let expected: &Expected = &[
        ("2", "created", ""),
        ("3", "created", ""),
        ("4", "created", "column 'Birthday': \"3-Apr-85\" has a two-digit year, read as 1985 (a date of birth is in the past); check it"),
        ("5", "created", ""),
        ("6", "created", "column 'Phone': \"6.14123E+10\" left out: Excel turned it into a number and lost its last digits; format the column as text in the spreadsheet and export again"),
        ("7", "created", "column 'Phone': also holds \"+55 11 99876-5432\", not imported (HighLevel stores one phone)"),
        ("8", "invalid", ""),
        ("9", "created", "column 'Phone': extension \"ext. 12\" not sent (HighLevel's phone field has none)"),
        ("10", "created", "column 'Phone': \"(555) 555-0123\" sent as +15555550123, but the bundled phone metadata does not know that range (new or fictional); check it"),
        ("11", "invalid", ""),
        ("12", "created", ""),
        ("13", "created", "column 'Birthday': \"1985\" left out: a year alone is not a date; column 'Country': \"Atlantis\" left out: not a country HighLevel accepts (use an ISO 3166 alpha-2 code like US or GB)"),
        ("14", "created", "column 'Birthday': \"02/30/1991\" left out: no such date: year 1991, month 2, day 30"),
        ("15", "created", "column 'Email': also holds \"o.bennett@work.example.com\", not imported (HighLevel stores one email)"),
        ("16", "created", ""),
        ("17", "created", ""),
        ("18", "created", ""),
        ("19", "created", ""),
        ("20", "created", ""),
        ("21", "created", "column 'Phone': \"n/a\" left out: not a valid phone number (unexpected characters; country IE from the row)"),
        ("22", "created", "column 'Birthday': \"12/31/2099\" left out: it is in the future"),
        ("23", "created", ""),
        ("24", "invalid", ""),
        ("25", "created", ""),
    ];
    let env = check(
        "excel-windows-1252.csv",
        expected,
        "with cells left out: 5 (by column: 'Birthday' 3, 'Phone' 2, 'Country' 1)",
    );
    let report = read_report(&env.path("report.csv"));
    assert!(report[6]["errors"].contains("\"mia.jones@example\" is not a valid email"));
    let err = stderr(&env.import(&messy("excel-windows-1252.csv"), &["--preset", "none"]));
    assert!(
        err.contains("dates in column 'Birthday' are read month-first: 4 of them read only that way (e.g. \"12/25/1990\") and none only day-first; 1 that read both ways follow it"),
        "{err}"
    );
    // Decoded from Windows-1252; every date form read; decorated phones cleaned.
    let zoe = contact(&env, "zoe.mueller@example.de");
    assert_eq!(
        (
            zoe.first_name.as_deref(),
            zoe.date_of_birth.as_deref(),
            zoe.country.as_deref()
        ),
        (Some("Zoë"), Some("1985-04-03"), Some("DE"))
    );
    let dob = |email: &str| contact(&env, email).date_of_birth;
    let phone = |email: &str| contact(&env, email).phone;
    assert_eq!(dob("jose.nunez@example.es").as_deref(), Some("1985-04-03"));
    assert_eq!(
        phone("jose.nunez@example.es").as_deref(),
        Some("+34612345678")
    );
    assert_eq!(
        dob("francois.lefevre@example.fr").as_deref(),
        Some("1985-04-03")
    );
    assert_eq!(
        phone("francois.lefevre@example.fr").as_deref(),
        Some("+33142685300")
    );
    assert_eq!(
        dob("renee.obrien@example.ie").as_deref(),
        Some("1985-04-03"),
        "Excel serial 31140"
    );
    assert_eq!(
        phone("renee.obrien@example.ie").as_deref(),
        Some("+35312345678")
    );
    assert_eq!(
        contact(&env, "renee.obrien@example.ie")
            .last_name
            .as_deref(),
        Some("O’Brien")
    );
    assert_eq!(
        phone("bjorn.odegard@example.no"),
        None,
        "never sent: {EXCEL}"
    );
    assert_eq!(
        phone("ana.souza@example.com.br").as_deref(),
        Some("+551130451700")
    );
    assert_eq!(
        dob("grace.kim@example.com").as_deref(),
        Some("1985-03-04"),
        "month-first column"
    );
    assert_eq!(dob("noah.williams@example.com"), None, "0/0/00 is empty");
    assert_eq!(
        dob("olivia.bennett@example.com").as_deref(),
        Some("1976-07-04")
    );
    assert_eq!(
        dob("sakura.tanaka@example.jp").as_deref(),
        Some("1993-04-01")
    );
    assert_eq!(
        dob("henry.green@example.com").as_deref(),
        Some("1960-05-17")
    );
    assert_eq!(
        phone("henry.green@example.com").as_deref(),
        Some("+16174821934")
    );
    assert_eq!(
        dob("isabella.taylor@example.com").as_deref(),
        Some("1995-04-14")
    );
    assert_eq!(
        phone("lucas.moore@example.ca").as_deref(),
        Some("+14165550175")
    );
    assert_eq!(
        contact(&env, "ella.baker@example.com").country.as_deref(),
        Some("IE")
    );
    assert_eq!(
        contact(&env, "grace.kim@example.com").country.as_deref(),
        Some("US")
    );
    let ethan = contact(&env, "ethan.anderson@example.com.au");
    assert_eq!(
        (ethan.date_of_birth, ethan.country),
        (None, None),
        "left out, never sent empty"
    );
    assert!(env
        .sandbox
        .contacts(LOCATION)
        .iter()
        .any(|c| c.email.is_none() && c.phone.as_deref() == Some("+15555550123")));
}

#[test]
fn a_utf8_bom_spreadsheet_infers_day_first_dates_and_matches_custom_fields() {
    let expected: &Expected = &[
        ("2", "created", "column 'Signup Date': \"05/06/2023\" left out: custom field contact.signup_date (DATE): reads as 5 June or May 6; set date_format"),
        ("3", "created", "column 'Mobile': also holds \"+49 151 23456789\", not imported (HighLevel stores one phone); column 'Signup Date': \"01/02/2024\" left out: custom field contact.signup_date (DATE): reads as 1 February or January 2; set date_format"),
        ("4", "created", "column 'Favourite Colour': \"Purple\" left out: custom field contact.favourite_colour (SINGLE_OPTIONS): \"Purple\" is not one of its options (Red, Green, Blue)"),
        ("5", "created", "column 'Signup Date': \"12/03/2024\" left out: custom field contact.signup_date (DATE): reads as 12 March or December 3; set date_format"),
        ("6", "created", ""),
        ("7", "created", ""),
        ("8", "created", ""),
        ("9", "created", "column 'E-mail': also holds \"emma@brown.example.org\", not imported (HighLevel stores one email)"),
        ("10", "invalid", ""),
        ("11", "created", "column 'Mobile': \"+971 4 123 4567\" sent as +97141234567, but the bundled phone metadata does not know that range (new or fictional); check it"),
        ("12", "created", "column 'Date of Birth': \"32/01/1990\" left out: no such date: year 1990, month 1, day 32"),
        ("13", "created", "column 'Date of Birth': \"unknown\" left out: use YYYY-MM-DD, MM/DD/YYYY or a month name like 3 Apr 1985"),
        ("14", "created", ""),
        ("15", "created", ""),
        ("16", "created", "column 'Mobile': \"07700 900123\" sent as +447700900123, but the bundled phone metadata does not know that range (new or fictional); check it"),
        ("17", "created", ""),
        ("18", "created", ""),
        ("19", "created", ""),
        ("20", "invalid", ""),
    ];
    let env = check(
        "excel-utf8-bom.csv",
        expected,
        "with cells left out: 6 (by column: 'Signup Date' 3, 'Date of Birth' 2, 'Favourite Colour' 1)",
    );
    let err = stderr(&env.import(&messy("excel-utf8-bom.csv"), &["--preset", "none"]));
    for line in [
        "columns matched to the location's custom fields by name or key: 'Signup Date' → contact.signup_date, 'Favourite Colour' → contact.favourite_colour",
        "dates in column 'Date of Birth' are read day-first: 5 of them read only that way (e.g. \"31/12/1990\") and none only month-first; 4 that read both ways follow it",
        "3 dates in column 'Signup Date' read both ways (day-first or month-first) and no date in it settles the order: they are left out; set date_format for the column",
    ] {
        assert!(err.contains(line), "{line} in {err}");
    }
    let dob = |email: &str| contact(&env, email).date_of_birth;
    assert_eq!(
        dob("lena.mueller@example.de").as_deref(),
        Some("1985-04-03")
    );
    assert_eq!(dob("hans.zimmer@example.ch").as_deref(), Some("1969-11-12"));
    assert_eq!(dob("lars.jensen@example.dk").as_deref(), Some("1975-01-31"));
    assert_eq!(
        dob("sofia.garcia@example.es").as_deref(),
        Some("1992-02-29")
    );
    assert_eq!(dob("eva.novak@example.cz"), None);
    assert_eq!(
        contact(&env, "lena.mueller@example.de").phone.as_deref(),
        Some("+4930901820")
    );
    assert_eq!(
        contact(&env, "hans.zimmer@example.ch").phone.as_deref(),
        Some("+41441234567")
    );
    assert_eq!(
        contact(&env, "aoife.murphy@example.ie").phone.as_deref(),
        Some("+353871234567")
    );
    assert_eq!(
        contact(&env, "lukasz.nowak@example.pl").country.as_deref(),
        Some("PL")
    );
    assert_eq!(
        custom(&env, "hans.zimmer@example.ch", "contact.favourite_colour"),
        Some(serde_json::json!("Green"))
    );
    assert_eq!(
        custom(&env, "lukasz.nowak@example.pl", "contact.favourite_colour"),
        None
    );
    assert_eq!(
        custom(&env, "oliver.smith@example.co.uk", "contact.signup_date"),
        None
    );

    // Without a token nothing is matched to custom fields, and validate says so.
    let mut c = env.cmd();
    c.env_remove("GHL_TOKEN")
        .arg("validate")
        .arg(messy("excel-utf8-bom.csv"))
        .args(["--preset", "none", "--report"])
        .arg(env.path("offline.csv"));
    let out = c.output().unwrap();
    assert!(
        stderr(&out).contains("columns not imported (no matching HighLevel field; map them with --mapping): 'Signup Date', 'Favourite Colour'"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_semicolon_spreadsheet_with_decimal_commas_lands_its_numbers_and_options() {
    let expected: &Expected = &[
        ("2", "created", ""),
        ("3", "created", ""),
        ("4", "created", "column 'Employees': \"n/a\" left out: custom field contact.employees (NUMERICAL): \"n/a\" is not a number"),
        ("5", "created", "column 'Lifecycle Stage': \"Evangelist\" left out: custom field contact.lifecycle_stage (SINGLE_OPTIONS): \"Evangelist\" is not one of its options (subscriber, lead, marketingqualifiedlead, salesqualifiedlead, customer)"),
        ("6", "created", "column 'Date of Birth': \"29.02.1981\" left out: no such date: year 1981, month 2, day 29"),
        ("7", "invalid", ""),
        ("8", "created", ""),
        ("9", "created", "column 'Website': \"meier .example.ch\" left out: not a valid website (it contains spaces)"),
        ("10", "created", ""),
        ("11", "created", "column 'Phone': \"6,14123E+10\" left out: Excel turned it into a number and lost its last digits; format the column as text in the spreadsheet and export again"),
        ("12", "created", ""),
        ("13", "invalid", ""),
        ("14", "created", ""),
    ];
    let env = check(
        "excel-semicolon-decimal-comma.csv",
        expected,
        "with cells left out: 5 (by column: 'Date of Birth' 1, 'Employees' 1, 'Lifecycle Stage' 1, 'Phone' 1, 'Website' 1)",
    );
    let money = |email: &str| custom(&env, email, "contact.lifetime_value");
    assert_eq!(
        money("jonas.becker@example.de"),
        Some(serde_json::json!(1250.5))
    );
    assert_eq!(
        money("marie.dupont@example.fr"),
        Some(serde_json::json!(3400.0))
    );
    assert_eq!(
        money("pieter.devries@example.nl"),
        Some(serde_json::json!(980.0))
    );
    assert_eq!(
        money("anna.schmidt@example.at"),
        Some(serde_json::json!(12.5))
    );
    assert_eq!(
        money("eva.weber@example.de"),
        Some(serde_json::json!(1_000_000.0))
    );
    assert_eq!(
        money("paul.meier@example.ch"),
        Some(serde_json::json!(2500.0))
    );
    assert_eq!(
        custom(&env, "marie.dupont@example.fr", "contact.employees"),
        Some(serde_json::json!(1200.0))
    );
    let stage = |email: &str| custom(&env, email, "contact.lifecycle_stage");
    assert_eq!(
        stage("jonas.becker@example.de"),
        Some(serde_json::json!("salesqualifiedlead"))
    );
    assert_eq!(
        stage("pieter.devries@example.nl"),
        Some(serde_json::json!("lead"))
    );
    assert_eq!(
        stage("paul.meier@example.ch"),
        Some(serde_json::json!("marketingqualifiedlead"))
    );
    assert_eq!(stage("anna.schmidt@example.at"), None);
    let dob = |email: &str| contact(&env, email).date_of_birth;
    assert_eq!(
        dob("jonas.becker@example.de").as_deref(),
        Some("1985-04-03"),
        "day-first column"
    );
    assert_eq!(
        dob("pieter.devries@example.nl").as_deref(),
        Some("1970-05-01")
    );
    assert_eq!(
        dob("mia.hoffmann@example.de").as_deref(),
        Some("1988-03-03")
    );
    assert_eq!(
        contact(&env, "marie.dupont@example.fr").country.as_deref(),
        Some("FR")
    );
    assert_eq!(
        contact(&env, "anna.schmidt@example.at").phone.as_deref(),
        Some("+4312345678")
    );
    assert_eq!(contact(&env, "tim.koch@example.de").phone, None);
}

/// A contact list pasted together from web pages, a chat app, a FileMaker export and a
/// spreadsheet that kept leading zeros with `="…"`: what a person sees in each cell lands,
/// what is not data is left out and named.
#[test]
fn invisible_characters_excel_idioms_placeholders_and_control_characters_cost_only_their_cell() {
    let env = Env::new();
    let csv = "Email,First Name,Phone,Street,Postal Code,Website\n\
        \u{FEFF}ann@example.com\u{A0},Ann,+1\u{A0}415\u{A0}555\u{A0}2671,=\"12 Main St\",=\"02108\",N/A\n\
        ,Bob,\u{202A}＋１ ４１５ ５５５ ０１０２\u{202C},12 Elm St\u{0b}Apt 4,02110,javascript:alert(1)\n\
        cy@gmail.con,Cy,415\u{2011}555\u{2011}0103,,,www.cy.example.com/about\n\
        di@example.com,Di\u{1b}[1m,,,,http://exa_mple.com\n";
    let file = env.write("pasted.csv", csv);
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    let status: Vec<&str> = report.iter().map(|r| r["status"].as_str()).collect();
    assert_eq!(status, ["created", "created", "invalid", "created"]);
    assert_eq!(report[0]["warnings"], "column 'Website': \"N/A\" left out: not a website (its host has no dot; give a link like https://example.com or a host name like example.com)");
    assert!(report[1]["warnings"]
        .contains("column 'Website': \"javascript:alert(1)\" left out: not a website"));
    assert_eq!(report[2]["errors"], "column 'Email': \"cy@gmail.con\" is not a valid email address ('.con' is not a top-level domain)");
    assert!(report[3]["warnings"].contains("column 'First Name': \"Di\\u{1b}[1m\" left out: holds a control character (escape, U+001B)"));
    assert!(report[3]["warnings"].contains("column 'Website': \"http://exa_mple.com\" left out"));

    let all = env.sandbox.contacts(LOCATION);
    assert_eq!(all.len(), 3);
    let ann = contact(&env, "ann@example.com");
    assert_eq!(ann.phone.as_deref(), Some("+14155552671"));
    assert_eq!(ann.address1.as_deref(), Some("12 Main St"));
    assert_eq!(ann.postal_code.as_deref(), Some("02108"));
    assert_eq!(ann.website, None);
    let bob = all
        .iter()
        .find(|c| c.first_name.as_deref() == Some("Bob"))
        .unwrap();
    assert_eq!(bob.phone.as_deref(), Some("+14155550102"));
    assert_eq!(bob.address1.as_deref(), Some("12 Elm St, Apt 4"));
    assert_eq!(bob.website, None);
    let di = contact(&env, "di@example.com");
    assert_eq!((di.first_name, di.website), (None, None));
}
