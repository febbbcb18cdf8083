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
