//! A CSV saved without its header row (a list copied out of a mail client, a hand-made
//! file): its first contact would be read as the column names and lost.

mod common;

use common::*;

#[test]
fn a_csv_without_a_header_row_stops_before_sending_and_says_to_add_one() {
    let env = Env::new();
    let file = env.write(
        "list.csv",
        "ann@example.com,Ann,Lee,4155550101\nbob@example.com,Bob,Ray,4155550102\n",
    );
    for command in ["import", "validate"] {
        let mut c = env.cmd();
        c.arg(command).arg(&file);
        let out = c.output().unwrap();
        assert_eq!(code(&out), 2, "{command}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("list.csv seems to have no header row (its first line holds ann@example.com): add a header row such as Email,First Name,Last Name,Phone"),
            "{command}: {}",
            stderr(&out)
        );
    }
    assert!(env.requests_to("/contacts/upsert").is_empty());
    assert!(env.sandbox.contacts(LOCATION).is_empty());
    // With the header added, both contacts go in.
    let fixed = env.write(
        "list.csv",
        "Email,First Name,Last Name,Phone\nann@example.com,Ann,Lee,4155550101\nbob@example.com,Bob,Ray,4155550102\n",
    );
    let out = env.import(&fixed, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(env.sandbox.contacts(LOCATION).len(), 2);
}

#[test]
fn a_header_with_no_email_or_phone_column_still_runs_and_says_what_to_map() {
    let env = Env::new();
    let file = env.write(
        "names.csv",
        "Vorname,Nachname,E-Post\nAnn,Lee,ann@example.com\n",
    );
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("names.csv maps to email or phone"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_first_contact_without_email_or_phone_is_still_known_as_a_missing_header() {
    let env = Env::new();
    let file = env.write(
        "list.csv",
        "Ann,Lee,,Acme Corp\nBob,Ray,bob@example.com,Ray & Sons\nCy,Oh,cy@example.com,\n",
    );
    for command in ["import", "validate"] {
        let mut c = env.cmd();
        c.arg(command).arg(&file);
        let out = c.output().unwrap();
        assert_eq!(code(&out), 2, "{command}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("list.csv seems to have no header row (its first line holds \"Ann,Lee,,Acme Corp\"; column 3 is empty there but holds emails below): add a header row such as First Name,Last Name,Email,Column 4 as its first line"),
            "{command}: {}",
            stderr(&out)
        );
    }
    assert!(env.requests_to("/contacts/upsert").is_empty());
}

#[test]
fn a_title_line_above_the_header_stops_the_run_naming_the_line_to_delete() {
    let env = Env::new();
    let rows = "\"Record ID\",\"First Name\",\"Last Name\",\"Email\"\n\"101\",\"Ann\",\"Lee\",\"ann@example.com\"\n\"102\",\"Bob\",\"Ray\",\"bob@example.com\"\n";
    // A title holding an email is a title too, not a contact.
    for (title, above) in [
        ("Contacts export 2026-11-30\n", "line 1"),
        ("Exported by admin@acme.com\n2026-11-30\n\n", "lines 1 to 3"),
    ] {
        let file = env.write("contacts.csv", &format!("{title}{rows}"));
        let out = env.import(&file, &[]);
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        let header_line = title.lines().count() + 1;
        assert!(
            stderr(&out).contains(&format!("contacts.csv: its header seems to be line {header_line} (Record ID,First Name,Last Name,Email), below a title")),
            "{}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains(&format!("delete {above} and run again")),
            "{}",
            stderr(&out)
        );
    }
    assert!(env.requests_to("/contacts/upsert").is_empty());
    let out = env.import(&env.write("contacts.csv", rows), &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(env.sandbox.contacts(LOCATION).len(), 2);
}
