//! JSON files as tools write them: a `.json` array (pretty-printed or on one line), JSONL
//! saved as `.json`, nested objects (addresses, HubSpot's `properties`). Known by their
//! content, whatever the name says; every object one row of the report.

mod common;

use common::*;

fn by_email(env: &Env, email: &str) -> ghl_import::sandbox::SandboxContact {
    env.sandbox
        .contacts(LOCATION)
        .into_iter()
        .find(|c| c.email.as_deref() == Some(email))
        .unwrap_or_else(|| panic!("{email} not imported"))
}

fn rows(env: &Env) -> Vec<(String, String)> {
    read_report(&env.path("report.csv"))
        .into_iter()
        .map(|r| (r["row"].clone(), r["status"].clone()))
        .collect()
}

#[test]
fn a_json_array_file_is_read_as_records_whatever_its_layout() {
    for (name, text) in [
        (
            "one_line.json",
            r#"[{"email": "ann@example.com", "firstName": "Ann"},{"email": "bob@example.com"}]"#,
        ),
        (
            "pretty.json",
            "\u{FEFF}[\n  {\n    \"email\": \"ann@example.com\",\n    \"firstName\": \"Ann\"\n  },\n  {\n    \"email\": \"bob@example.com\"\n  }\n]\n",
        ),
        // Named as CSV: the content decides.
        (
            "export.csv",
            "[\n{\"email\": \"ann@example.com\", \"firstName\": \"Ann\"},\n{\"email\": \"bob@example.com\"}\n]",
        ),
    ] {
        let env = Env::new();
        let file = env.write(name, text);
        let out = env.import(&file, &[]);
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        assert_eq!(
            rows(&env),
            [
                ("1".to_owned(), "created".to_owned()),
                ("2".to_owned(), "created".to_owned())
            ],
            "{name}"
        );
        assert_eq!(
            by_email(&env, "ann@example.com").first_name.as_deref(),
            Some("Ann"),
            "{name}"
        );
        by_email(&env, "bob@example.com");
    }
}

#[test]
fn jsonl_saved_as_json_keeps_its_first_object_as_a_contact() {
    let env = Env::new();
    let file = env.write(
        "lines.json",
        "{\"email\": \"ann@example.com\", \"firstName\": \"Ann\"}\n\n{\"email\": \"bob@example.com\"}\n",
    );
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // Line numbers, as for any JSONL file.
    assert_eq!(
        rows(&env),
        [
            ("1".to_owned(), "created".to_owned()),
            ("3".to_owned(), "created".to_owned())
        ]
    );
    assert_eq!(
        by_email(&env, "ann@example.com").first_name.as_deref(),
        Some("Ann")
    );
}

#[test]
fn a_cut_off_json_array_imports_the_objects_before_the_cut_and_reports_the_rest() {
    let env = Env::new();
    let file = env.write(
        "cut.json",
        "[\n  {\"email\": \"ann@example.com\"},\n  {\"email\": \"bob@example.com\", \"firstName\": \"B",
    );
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    assert_eq!(report.len(), 2);
    assert_eq!(report[0]["status"], "created");
    assert_eq!(report[1]["status"], "invalid");
    assert!(
        report[1]["errors"]
            .contains("cut.json, object 2 (line 3): the file ends inside this object"),
        "{}",
        report[1]["errors"]
    );
}

#[test]
fn an_empty_json_array_is_refused_as_an_empty_file() {
    let env = Env::new();
    let file = env.write("empty.json", "[ ]\n");
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("empty.json is empty"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn nested_objects_are_matched_by_their_dotted_keys_and_what_matches_nothing_is_named() {
    let env = Env::new();
    let file = env.write(
        "nested.jsonl",
        &format!(
            "{NESTED_JSONL}{}\n",
            r#"{"emails":[{"value":"cy@example.com"}],"phone":{"number":"+14155550101"}}"#
        ),
    );
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let ann = by_email(&env, "ann@example.com");
    assert_eq!(
        (
            ann.address1.as_deref(),
            ann.city.as_deref(),
            ann.postal_code.as_deref()
        ),
        (Some("1 Main St"), Some("Boston"), Some("02108"))
    );
    assert_eq!(
        by_email(&env, "bob@example.com").first_name.as_deref(),
        Some("Bo")
    );
    let cy = env
        .sandbox
        .contacts(LOCATION)
        .into_iter()
        .find(|c| c.phone.as_deref() == Some("+14155550101"));
    assert!(cy.is_some(), "the third line's phone");
    // A list of email objects gives its address.
    assert_eq!(cy.and_then(|c| c.email).as_deref(), Some("cy@example.com"));
    // An id: named once, not silently dropped.
    assert!(
        stderr(&out).contains(
            "keys not imported (no matching HighLevel field; map them with --mapping): 'id'"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        rows(&env),
        [
            ("1".to_owned(), "created".to_owned()),
            ("2".to_owned(), "created".to_owned()),
            ("3".to_owned(), "created".to_owned())
        ]
    );
}

#[test]
fn a_json_object_wrapping_the_contacts_in_a_list_is_refused_saying_how_to_take_the_list_out() {
    let env = Env::new();
    let file = env.write(
        "api-answer.json",
        "{\"contacts\": [\n  {\"email\": \"ann@example.com\"},\n  {\"email\": \"bob@example.com\"}\n],\n \"meta\": {\"total\": 2}\n}\n",
    );
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("api-answer.json is one JSON object with the contacts in its list 'contacts' (2 objects), not one contact per object: take the list out (for example `jq '.contacts'"),
        "{}",
        stderr(&out)
    );
    assert!(env.requests_to("/contacts/upsert").is_empty());

    // The same answer as curl saves it, on one line.
    let file = env.write(
        "one-line.json",
        r#"{"contacts":[{"email":"ann@example.com"},{"email":"bob@example.com"}],"meta":{"total":2}}"#,
    );
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "one-line.json is one JSON object with the contacts in its list 'contacts' (2 objects)"
        ),
        "{}",
        stderr(&out)
    );
    assert!(env.requests_to("/contacts/upsert").is_empty());
}

#[test]
fn another_objects_email_or_name_never_becomes_the_contacts() {
    let env = Env::new();
    let file = env.write(
        "deals.jsonl",
        concat!(
            r#"{"email":"ann@example.com","firstName":"Ann","owner":{"name":"Sam Rep","email":"sam@agency.example"}}"#,
            "\n",
            // No email of its own: the owner's must not key it (every such row would merge
            // into one contact named after the owner).
            r#"{"firstName":"Bo","phone":"+14155550101","owner":{"name":"Sam Rep","email":"sam@agency.example"},"company":{"name":"Acme"}}"#,
            "\n",
        ),
    );
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let contacts = env.sandbox.contacts(LOCATION);
    assert_eq!(contacts.len(), 2);
    assert!(contacts
        .iter()
        .all(|c| c.email.as_deref() != Some("sam@agency.example")));
    let bo = contacts
        .iter()
        .find(|c| c.phone.as_deref() == Some("+14155550101"))
        .unwrap();
    assert_eq!(bo.first_name.as_deref(), Some("Bo"));
    assert_eq!(
        bo.company_name.as_deref(),
        Some("Acme"),
        "company.name by its full name"
    );
    assert!(
        stderr(&out).contains("'owner.email', 'owner.name'"),
        "{}",
        stderr(&out)
    );
}

/// A later email key standing in for an empty first one is a backup, as a CSV column is: a
/// malformed one costs the cell, and the row goes by its phone. The row's own malformed email
/// is still its identity.
#[test]
fn a_bad_email_key_standing_in_for_an_empty_first_one_leaves_the_row_to_its_phone() {
    let env = Env::new();
    let file = env.write(
        "people.jsonl",
        concat!(
            r#"{"email":"","Work Email":"ann@example","phone":"+14155550101","firstName":"Ann"}"#,
            "\n",
            r#"{"email":null,"Email Address":"bo@example","phone":"+14155550102","firstName":"Bo"}"#,
            "\n",
            r#"{"email":"cy@example","phone":"+14155550103","firstName":"Cy"}"#,
            "\n",
        ),
    );
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    let status: Vec<&str> = report.iter().map(|r| r["status"].as_str()).collect();
    assert_eq!(status, ["created", "created", "invalid"], "{report:?}");
    for (r, column, value) in [
        (&report[0], "Work Email", "ann@example"),
        (&report[1], "Email Address", "bo@example"),
    ] {
        let w = &r["warnings"];
        assert!(
            w.contains(&format!(
                "column '{column}': \"{value}\" left out: not a valid email address"
            )) && w.contains("the row's own email cell is empty, so the row was sent by its phone"),
            "{w}"
        );
    }
    let mut phones: Vec<_> = env
        .sandbox
        .contacts(LOCATION)
        .into_iter()
        .map(|c| (c.phone.unwrap_or_default(), c.email))
        .collect();
    phones.sort();
    assert_eq!(
        phones,
        [
            ("+14155550101".to_owned(), None),
            ("+14155550102".to_owned(), None)
        ]
    );
}
