use super::*;
use serde_json::json;

fn hdrs(h: &[&str]) -> Vec<String> {
    h.iter().map(|s| s.to_string()).collect()
}

fn cells_record(cells: &[&str]) -> Record {
    Record {
        seq: 0,
        row: 2,
        values: RecordValues::Cells(cells.iter().map(|s| s.to_string()).collect()),
    }
}

/// The notes (guesses, and cells named but not sent) of a row of `cells`.
fn notes_of(m: &Mapper, cells: &[&str]) -> Vec<String> {
    m.map(&cells_record(cells))
        .notes
        .iter()
        .map(|e| e.to_string())
        .collect()
}

fn obj_record(v: Value) -> Record {
    Record {
        seq: 0,
        row: 1,
        values: RecordValues::Object(v.as_object().unwrap().clone().into()),
    }
}

fn text(t: &str) -> RawValue<'_> {
    RawValue::Text(t.into())
}

fn list(l: &[&str]) -> RawValue<'static> {
    RawValue::List(l.iter().map(|s| s.to_string()).collect())
}

fn find<'a>(row: &'a MappedRow<'a>, t: &Target) -> Option<&'a RawValue<'a>> {
    row.values.iter().find(|v| v.target == *t).map(|v| &v.value)
}

#[test]
fn header_auto_detection_table() {
    use Field::*;
    let cases: &[(&str, Field)] = &[
        ("firstName", FirstName),
        ("First Name", FirstName),
        ("first_name", FirstName),
        ("FIRST-NAME", FirstName),
        ("first.name", FirstName),
        ("Given Name", FirstName),
        ("First", FirstName),
        ("Last", LastName),
        ("Surname", LastName),
        ("Family Name", LastName),
        ("E-mail", Email),
        ("Email Address", Email),
        ("Primary Email", Email),
        ("EMAIL", Email),
        ("Phone Number", Phone),
        ("Mobile", Phone),
        ("Mobile Phone", Phone),
        ("Cell", Phone),
        ("Telephone", Phone),
        ("Phone 1", Phone),
        ("Company", CompanyName),
        ("Company Name", CompanyName),
        ("Organization", CompanyName),
        ("Business Name", CompanyName),
        ("Zip", PostalCode),
        ("Zip Code", PostalCode),
        ("Postcode", PostalCode),
        ("Postal Code", PostalCode),
        ("Address", Address1),
        ("Street", Address1),
        ("Street Address", Address1),
        ("Address Line 1", Address1),
        ("address1", Address1),
        ("Tags", Tags),
        ("Tag", Tags),
        ("DOB", DateOfBirth),
        ("Birthday", DateOfBirth),
        ("Date of Birth", DateOfBirth),
        ("Birth Date", DateOfBirth),
        ("Full Name", Name),
        ("Name", Name),
        ("Country", Country),
        ("Country Code", Country),
        ("State", State),
        ("Province", State),
        ("Region", State),
        ("Web", Website),
        ("Website", Website),
        ("URL", Website),
        ("Time Zone", Timezone),
        ("Source", Source),
        ("Lead Source", Source),
        ("DND", Dnd),
        ("Do Not Disturb", Dnd),
        ("Location Id", LocationId),
        ("Sub-Account Id", LocationId),
        ("Business Id", BusinessId),
        ("Gender", Gender),
        ("Assigned To", AssignedTo),
        ("City", City),
    ];
    for (h, f) in cases {
        assert_eq!(detect_target(h), Some(Target::Field(*f)), "{h}");
    }
    // An old CRM's owner is no HighLevel user: named as not imported, never sent as one.
    for h in ["Owner", "Owner Id", "OwnerID", "Contact owner"] {
        assert_eq!(detect_target(h), None, "{h}");
    }
    assert_eq!(
        detect_target("contact.lifetime_value"),
        Some(Target::CustomField("contact.lifetime_value".into()))
    );
    assert_eq!(detect_target("Notes"), None);
    assert_eq!(detect_target(""), None);
}

#[test]
fn auto_mapping_of_csv_row() {
    let h = hdrs(&[
        "First Name",
        "Email",
        "Tags",
        "contact.lifetime_value",
        "Notes",
    ]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    assert_eq!(m.unmapped_columns(), ["Notes"]);
    let rec = cells_record(&[" Zoë ", "z@x.com", "vip, new ,,", "120.5", "hi"]);
    let row = m.map(&rec);
    assert!(row.errors.is_empty());
    assert_eq!(
        find(&row, &Target::Field(Field::FirstName)),
        Some(&text("Zoë")),
        "cells are trimmed"
    );
    assert_eq!(
        find(&row, &Target::Field(Field::Tags)),
        Some(&list(&["vip", "new"]))
    );
    assert_eq!(
        find(&row, &Target::CustomField("contact.lifetime_value".into())),
        Some(&text("120.5"))
    );
    assert_eq!(row.values.len(), 4);
    assert_eq!(row.values[1].column.as_deref(), Some("Email"));
}

#[test]
fn empty_cells_mean_absent() {
    let h = hdrs(&["Email", "Phone", "Tags"]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    let rec = cells_record(&["a@x.com", "   ", " , ,"]);
    let row = m.map(&rec);
    assert_eq!(row.values.len(), 1);
    let rec = cells_record(&["a@x.com"]);
    let row = m.map(&rec);
    assert_eq!(row.values.len(), 1);
    assert!(row.errors.is_empty());
}

#[test]
fn extra_cells_are_flagged() {
    let h = hdrs(&["Email", "Phone"]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    assert!(m
        .map(&cells_record(&["a@x.com", "1", ""]))
        .errors
        .is_empty());
    let rec = cells_record(&["a@x.com", "1", "Springfield"]);
    let row = m.map(&rec);
    assert_eq!(row.errors.len(), 1);
    assert!(
        row.errors[0]
            .message()
            .contains("3 cells but the header has 2"),
        "{}",
        row.errors[0]
    );
}

#[test]
fn unreadable_record_becomes_error() {
    let m = Mapper::new(None, None).unwrap();
    let rec = Record {
        seq: 3,
        row: 5,
        values: RecordValues::Unreadable {
            column: None,
            message: "line 5: bad".into(),
        },
    };
    let row = m.map(&rec);
    assert_eq!((row.seq, row.row), (3, 5));
    assert_eq!(row.errors, [RowError::new(None, "line 5: bad")]);
}

#[test]
fn a_second_auto_detected_email_or_phone_column_is_a_backup_in_column_order() {
    let h = hdrs(&[
        "Phone", "Mobile", "Email", "Cell", "E-mail", "Website", "URL",
    ]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    // Another single-valued field's second column stays unmapped, and is reported.
    assert_eq!(m.unmapped_columns(), ["URL"]);
    let map = |cells: &[&str]| {
        let rec = cells_record(cells);
        let row = m.map(&rec);
        let col = |v: &MappedValue| v.column.as_deref().unwrap().to_owned();
        let sent: Vec<_> = row.values.iter().map(col).collect();
        let spares: Vec<_> = row.spares.iter().map(col).collect();
        (sent, spares)
    };
    let (sent, spares) = map(&["1", "2", "a@x", "3", "b@x", "w", "u"]);
    assert_eq!(sent, ["Phone", "Email", "Website"]);
    assert_eq!(spares, ["Mobile", "Cell", "E-mail"]);
    // The first empty: the next column in order is used.
    let (sent, spares) = map(&["", "2", "", "3", "b@x", "", ""]);
    assert_eq!(sent, ["Mobile", "E-mail"]);
    assert_eq!(spares, ["Cell"]);
    // A repeated email header is a backup too, named apart; another repeat is not mapped.
    let m = Mapper::new(None, Some(&hdrs(&["Email", "Name", "email", "Name"]))).unwrap();
    assert_eq!(m.unmapped_columns(), ["Name"]);
    let rec = cells_record(&["", "Ann", "a@x.com", "Annie"]);
    let row = m.map(&rec);
    let sent: Vec<_> = row.values.iter().map(|v| v.column.as_deref()).collect();
    assert_eq!(sent, [Some("Name"), Some("email (2)")]);
    // With a preset, a phone column it does not know is a backup after its own ones: as
    // without the preset, not dropped.
    let with_preset = hdrs(&["Email", "Phone Number", "Cell", "Mobile Phone Number"]);
    let spec = MappingSpec::from_preset(PresetChoice::Named("hubspot".into()));
    let m = Mapper::new(Some(&spec), Some(&with_preset)).unwrap();
    assert_eq!(m.preset(), Some("HubSpot"));
    assert!(m.unmapped_columns().is_empty());
    let rec = cells_record(&["a@x", "", "3", "2"]);
    let row = m.map(&rec);
    let col = |v: &MappedValue| v.column.as_deref().unwrap().to_owned();
    let sent: Vec<_> = row.values.iter().map(col).collect();
    let spares: Vec<_> = row.spares.iter().map(col).collect();
    assert_eq!(
        (sent, spares),
        (
            vec!["Email".to_owned(), "Mobile Phone Number".to_owned()],
            vec!["Cell".to_owned()]
        )
    );
    // A listed column wins over an auto-detected one, which is not its backup.
    let h = hdrs(&["Phone", "Mobile", "Email"]);
    let spec = MappingSpec::parse("[columns]\n\"Mobile\" = \"phone\"\n", "m.toml").unwrap();
    let m = Mapper::new(Some(&spec), Some(&h)).unwrap();
    assert_eq!(m.unmapped_columns(), ["Phone"]);
    // Two tags columns both feed tags.
    let m = Mapper::new(None, Some(&hdrs(&["Tags", "Tag", "Email"]))).unwrap();
    assert!(m.unmapped_columns().is_empty());
}

const SPEC: &str = r#"
auto = true

[columns]
"E-mail Address" = "email"
"Mobile" = "phone"
"Phone" = "ignore"
"Lifetime Value" = "contact.lifetime_value"
"Colour" = { custom_field = "contact.favourite_colour" }
"Score" = { custom_field = "abc123" }
"Labels" = { field = "tags", split = ";" }
"Interests" = { custom_field = "contact.interests", split = "|" }
"Internal Notes" = "ignore"

[constants]
source = "HubSpot migration"
tags = ["imported", "2026"]
"contact.batch" = 7
dnd = false
"#;

#[test]
fn mapping_file_features() {
    let spec = MappingSpec::parse(SPEC, "m.toml").unwrap();
    let h = hdrs(&[
        "Given Name",
        "E-mail Address",
        "Mobile",
        "Phone",
        "Lifetime Value",
        "Colour",
        "Score",
        "Labels",
        "Interests",
        "Internal Notes",
        "Source",
        "Mystery",
    ]);
    let m = Mapper::new(Some(&spec), Some(&h)).unwrap();
    assert_eq!(m.unmapped_columns(), ["Mystery"]);
    let d = m.describe();
    assert!(
        d.contains(&("Labels".into(), "tags (split on ';')".into())),
        "{d:?}"
    );
    assert!(
        d.contains(&("(constant)".into(), "source = \"HubSpot migration\"".into())),
        "{d:?}"
    );
    let rec = cells_record(&[
        "Ann",
        "a@x.com",
        "+14155552671",
        "999",
        "12.5",
        "blue",
        "7",
        "a; b;;",
        "x|y",
        "secret",
        "",
        "?",
    ]);
    let row = m.map(&rec);
    assert!(row.errors.is_empty(), "{:?}", row.errors);
    assert_eq!(
        find(&row, &Target::Field(Field::FirstName)),
        Some(&text("Ann"))
    );
    assert_eq!(
        find(&row, &Target::Field(Field::Email)),
        Some(&text("a@x.com"))
    );
    assert_eq!(
        find(&row, &Target::Field(Field::Phone)),
        Some(&text("+14155552671"))
    );
    assert_eq!(
        find(&row, &Target::CustomField("contact.lifetime_value".into())),
        Some(&text("12.5"))
    );
    assert_eq!(
        find(
            &row,
            &Target::CustomField("contact.favourite_colour".into())
        ),
        Some(&text("blue"))
    );
    assert_eq!(
        find(&row, &Target::CustomField("abc123".into())),
        Some(&text("7"))
    );
    assert_eq!(
        find(&row, &Target::CustomField("contact.interests".into())),
        Some(&list(&["x", "y"]))
    );
    assert_eq!(
        find(&row, &Target::CustomField("contact.batch".into())),
        Some(&RawValue::Number(7.into()))
    );
    assert_eq!(
        find(&row, &Target::Field(Field::Dnd)),
        Some(&RawValue::Bool(false))
    );
    // Row tags and constant tags both come through.
    let tags: Vec<_> = row
        .values
        .iter()
        .filter(|v| v.target == Target::Field(Field::Tags))
        .map(|v| &v.value)
        .collect();
    assert_eq!(tags, [&list(&["a", "b"]), &list(&["imported", "2026"])]);
    // Constant source is a default: the row's own value wins.
    assert_eq!(
        find(&row, &Target::Field(Field::Source)),
        Some(&text("HubSpot migration"))
    );
    let cells = vec![
        "Ann", "a@x.com", "", "", "", "", "", "", "", "", "Web form", "",
    ];
    let rec = cells_record(&cells);
    let row = m.map(&rec);
    let sources: Vec<_> = row
        .values
        .iter()
        .filter(|v| v.target == Target::Field(Field::Source))
        .collect();
    assert_eq!(sources.len(), 1);
    assert_eq!(sources[0].value, text("Web form"));
    assert!(row.values.iter().all(|v| v.target != Target::Ignore));
}

#[test]
fn auto_false_maps_only_listed_columns() {
    let spec = MappingSpec::parse("auto = false\n[columns]\nMail = \"email\"\n", "m.toml").unwrap();
    let m = Mapper::new(Some(&spec), Some(&hdrs(&["Mail", "Phone", "First Name"]))).unwrap();
    assert_eq!(m.unmapped_columns(), ["Phone", "First Name"]);
    let rec = cells_record(&["a@x.com", "+14155552671", "Ann"]);
    let row = m.map(&rec);
    assert_eq!(row.values.len(), 1);
}

#[test]
fn spec_columns_match_loosely_when_not_exact() {
    let spec = MappingSpec::parse("[columns]\n\"e-mail\" = \"email\"\n", "m.toml").unwrap();
    let m = Mapper::new(Some(&spec), Some(&hdrs(&[" E-Mail "]))).unwrap();
    assert_eq!(m.describe()[0], (" E-Mail ".into(), "email".into()));
}

#[test]
fn mapping_errors_name_file_key_and_line() {
    let spec = MappingSpec::parse(
        "[columns]\n\"Cell\" = \"phone\"\n\"Nope\" = \"email\"\n",
        "m.toml",
    )
    .unwrap();
    let err = Mapper::new(Some(&spec), Some(&hdrs(&["Cell", "Email"])))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("m.toml")
            && err.contains("'Nope'")
            && err.contains("line 3")
            && err.contains("'Email'"),
        "{err}"
    );

    let bad = [
        (
            "[columns]\nA = \"emial\"\n",
            "unknown field \"emial\"",
            Some(2),
        ),
        (
            "[columns]\nA = { field = \"email\", split = \";\" }\n",
            "`split` only applies",
            Some(2),
        ),
        (
            "[columns]\nA = { field = \"tags\", custom_field = \"x\" }\n",
            "only one of",
            Some(2),
        ),
        (
            "[columns]\nA = { fld = \"tags\" }\n",
            "unknown key `fld`",
            Some(2),
        ),
        ("[columns]\nA = 3\n", "must be a field name", Some(2)),
        ("[constants]\nemail = [\"a\"]\n", "single value", Some(2)),
        ("[constants]\nbogus = \"a\"\n", "unknown field", Some(2)),
        ("colums = 1\n", "unknown setting", Some(1)),
        ("auto = \"yes\"\n", "true or false", Some(1)),
    ];
    for (text, want, line) in bad {
        let err = MappingSpec::parse(text, "m.toml").err().unwrap();
        let msg = err.to_string();
        assert!(
            msg.contains(want) && msg.contains("m.toml"),
            "{text}: {msg}"
        );
        if let MappingError::Invalid { line: l, .. } = err {
            assert_eq!(l, line, "{text}: {msg}");
        }
    }
    let err = MappingSpec::parse("[columns\n", "m.toml")
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("m.toml") && err.contains("TOML"), "{err}");
    let err = MappingSpec::load(Path::new("/nonexistent/m.toml"))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("/nonexistent/m.toml"), "{err}");
}

#[test]
fn left_out_names_an_ignored_columns_filled_cells_and_applies_to_nothing_else() {
    let spec = MappingSpec::parse(
        "[columns]\n\"Email\" = \"email\"\n\"Ext\" = { field = \"ignore\", left_out = \"no extension field\" }\n",
        "m.toml",
    )
    .unwrap();
    let m = Mapper::new(Some(&spec), Some(&hdrs(&["Email", "Ext"]))).unwrap();
    let notes = |cells: &[&str]| notes_of(&m, cells);
    assert_eq!(
        notes(&["a@x.com", " 204 "]),
        [r#"column 'Ext': "204" left out: no extension field"#]
    );
    assert!(notes(&["a@x.com", "  "]).is_empty());
    for bad in [
        "{ field = \"phone\", left_out = \"x\" }",
        "{ field = \"ignore\", left_out = \" \" }",
    ] {
        let text = format!("[columns]\n\"Ext\" = {bad}\n");
        assert!(MappingSpec::parse(&text, "m.toml").is_err(), "{bad}");
    }
}

#[test]
fn spec_duplicate_targets_are_an_error() {
    let spec = MappingSpec::parse("[columns]\nA = \"email\"\nB = \"email\"\n", "m.toml").unwrap();
    let err = Mapper::new(Some(&spec), Some(&hdrs(&["A", "B"])))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("'A', 'B'") && err.contains("email"), "{err}");
    // A listed column and an auto-detected one: the listed one wins.
    let spec = MappingSpec::parse("[columns]\nMail = \"email\"\n", "m.toml").unwrap();
    let m = Mapper::new(Some(&spec), Some(&hdrs(&["Mail", "Email"]))).unwrap();
    assert_eq!(m.unmapped_columns(), ["Email"]);
}

#[test]
fn jsonl_objects() {
    let m = Mapper::new(None, None).unwrap();
    let rec = obj_record(json!({
        "email": "a@x.com",
        "First Name": "Ann",
        "phone": 4155552671u64,
        "dnd": true,
        "tags": ["a", " b ", "", 3],
        "nickname": "Annie",
        "missing": null,
        "customFields": {"contact.lifetime_value": 120.5, "contact.favourite_colour": "teal", "contact.none": null}
    }));
    let row = m.map(&rec);
    assert!(row.errors.is_empty(), "{:?}", row.errors);
    assert_eq!(
        find(&row, &Target::Field(Field::FirstName)),
        Some(&text("Ann"))
    );
    assert_eq!(
        find(&row, &Target::Field(Field::Phone)),
        Some(&RawValue::Number(4155552671u64.into()))
    );
    assert_eq!(
        find(&row, &Target::Field(Field::Dnd)),
        Some(&RawValue::Bool(true))
    );
    assert_eq!(
        find(&row, &Target::Field(Field::Tags)),
        Some(&list(&["a", "b", "3"]))
    );
    let ltv = row
        .values
        .iter()
        .find(|v| v.target == Target::CustomField("contact.lifetime_value".into()))
        .unwrap();
    assert_eq!(
        ltv.value,
        RawValue::Number(serde_json::Number::from_f64(120.5).unwrap())
    );
    assert_eq!(ltv.column.as_deref(), Some("contact.lifetime_value"));
    assert_eq!(row.values.len(), 7);
    assert_eq!(m.unmapped_columns(), ["missing", "nickname"]);

    let rec = obj_record(json!({"tags": "a, b", "customFields": [
        {"key": "contact.x", "field_value": "1"}, {"id": "abc", "field_value": ["p", "q"]}, {"field_value": 1}, 5
    ]}));
    let row = m.map(&rec);
    assert_eq!(
        find(&row, &Target::Field(Field::Tags)),
        Some(&list(&["a", "b"]))
    );
    assert_eq!(
        find(&row, &Target::CustomField("contact.x".into())),
        Some(&text("1"))
    );
    assert_eq!(
        find(&row, &Target::CustomField("abc".into())),
        Some(&list(&["p", "q"]))
    );
    // Malformed items cost themselves, named; the row is not broken.
    assert!(row.errors.is_empty(), "{:?}", row.errors);
    let left: Vec<String> = row.cell_errors.iter().map(|(_, e)| e.to_string()).collect();
    assert_eq!(
        left,
        [
            "column 'customFields[2]': \"{\\\"field_value\\\":1}\" left out: custom field has no \"key\" or \"id\"",
            "column 'customFields[3]': \"5\" left out: expected an object like {\"key\": \"contact.x\", \"field_value\": …}",
        ]
    );
}

#[test]
fn jsonl_bad_value_types_and_duplicates() {
    let m = Mapper::new(None, None).unwrap();
    let rec = obj_record(
        json!({"email": {"a": 1}, "tags": [[1]], "city": "Oslo", "Town": "Bergen", "customFields": "x"}),
    );
    let row = m.map(&rec);
    // Cells that cannot be read go by their target (validation decides what they cost); a
    // customFields value that is not a list of fields costs itself too.
    let cols: Vec<_> = row
        .cell_errors
        .iter()
        .map(|(t, e)| (t.to_string(), e.column().unwrap().to_owned()))
        .collect();
    assert_eq!(
        cols,
        [
            ("email".to_owned(), "email".to_owned()),
            ("tags".to_owned(), "tags".to_owned()),
            ("city".to_owned(), "Town".to_owned()),
            ("ignored".to_owned(), "customFields".to_owned())
        ],
        "{:?}",
        row.cell_errors
    );
    assert!(row.errors.is_empty(), "{:?}", row.errors);
}

#[test]
fn a_second_auto_detected_email_or_phone_key_in_jsonl_backs_up_the_first_in_key_order() {
    let keys = |row: &MappedRow| -> (Vec<String>, Vec<String>) {
        let col = |v: &MappedValue| v.column.as_deref().unwrap().to_owned();
        (
            row.values.iter().map(col).collect(),
            row.spares.iter().map(col).collect(),
        )
    };
    let m = Mapper::new(None, None).unwrap();
    let rec = obj_record(json!({
        "email": "bob@example", "phone": "6.14123E+10", "Email Address": "bob@work.com",
        "mobile": "+1 415-555-0199", "Cell": "+1 415-555-0134"
    }));
    let row = m.map(&rec);
    assert!(row.cell_errors.is_empty(), "{:?}", row.cell_errors);
    assert_eq!(
        keys(&row),
        (
            vec!["email".to_owned(), "phone".to_owned()],
            vec![
                "Email Address".to_owned(),
                "mobile".to_owned(),
                "Cell".to_owned()
            ]
        )
    );
    // The first empty: the next key in order gives the field.
    let rec = obj_record(json!({"email": "", "Email Address": "b@x.com", "mail": "c@x.com"}));
    let row = m.map(&rec);
    assert_eq!(
        keys(&row),
        (vec!["Email Address".to_owned()], vec!["mail".to_owned()])
    );
    // It stands in for the empty (or null) first key as a CSV backup column does: a bad one
    // is not the contact's identity.
    assert!(row.email_is_backup);
    let rec = obj_record(json!({"email": null, "phone": "1", "Work Email": "b@x"}));
    assert!(m.map(&rec).email_is_backup);
    // The first key gave the email, or is the only one, or is the same name written another
    // way: the row's own.
    for rec in [
        json!({"email": "a@x.com", "Email Address": "b@x.com"}),
        json!({"phone": "1", "Email Address": "b@x.com"}),
        json!({"email": "", "EMAIL": "b@x.com"}),
    ] {
        assert!(!m.map(&obj_record(rec.clone())).email_is_backup, "{rec}");
    }
    // A key the mapping file lists is not backed up by an auto-detected one: named as before.
    let spec = MappingSpec::parse("[columns]\nmail = \"email\"\n", "m.toml").unwrap();
    let m = Mapper::new(Some(&spec), None).unwrap();
    let rec = obj_record(json!({"mail": "a@x.com", "email": "b@x.com"}));
    let row = m.map(&rec);
    assert!(row.spares.is_empty());
    assert_eq!(row.cell_errors[0].1.column(), Some("email"));
    // Nor is the listed key a backup of an empty auto-detected one.
    let rec = obj_record(json!({"email": "", "mail": "a@x.com"}));
    assert!(!m.map(&rec).email_is_backup);
    // With a preset, only its own fallbacks are backups.
    let spec = MappingSpec::from_preset(PresetChoice::Named("hubspot".into()));
    let m = Mapper::new(Some(&spec), None).unwrap();
    let rec = obj_record(json!({"email": "a@x.com", "E-mail": "b@x.com"}));
    let row = m.map(&rec);
    assert!(row.spares.is_empty());
    assert_eq!(row.cell_errors[0].1.column(), Some("E-mail"));
}

#[test]
fn jsonl_with_spec() {
    let spec = MappingSpec::parse("[columns]\nmail = \"email\"\nlabels = { field = \"tags\", split = \";\" }\n[constants]\ntags = \"api\"\n", "m").unwrap();
    let m = Mapper::new(Some(&spec), None).unwrap();
    let rec = obj_record(json!({"mail": "a@x.com", "labels": "x;y"}));
    let row = m.map(&rec);
    assert_eq!(
        find(&row, &Target::Field(Field::Email)),
        Some(&text("a@x.com"))
    );
    let tags: Vec<_> = row
        .values
        .iter()
        .filter(|v| v.target == Target::Field(Field::Tags))
        .map(|v| &v.value)
        .collect();
    assert_eq!(tags, [&list(&["x", "y"]), &list(&["api"])]);
}

#[test]
fn mapper_is_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Mapper>();
}

#[test]
fn presets_are_detected_only_on_clear_evidence() {
    assert_eq!(
        presets::all().len(),
        presets::IDS.len(),
        "every built-in preset parses"
    );
    let hubspot = hdrs(&[
        "Record ID",
        "First Name",
        "Email",
        "Contact owner",
        "Lifecycle Stage",
        "Create Date",
        "State/Region",
        "Country/Region",
    ]);
    let d = presets::detect(&hubspot).unwrap();
    assert_eq!((d.preset.id, d.matched, d.total), ("hubspot", 6, 8));
    assert_eq!(d.variant.name, "custom view export");
    // A generic file, and two typical columns, are not enough.
    let generic = hdrs(&[
        "First Name",
        "Email",
        "Phone",
        "Company",
        "Birthday",
        "Date of Birth",
    ]);
    assert!(presets::detect(&generic).is_none());
    assert!(presets::detect(&hdrs(&["Record ID", "Contact owner", "Email"])).is_none());
    let m = Mapper::new(None, Some(&hubspot)).unwrap();
    assert_eq!(m.preset(), Some("HubSpot"));
    assert!(m.unmapped_columns().is_empty());
    assert_eq!(m.describe()[0].0, "(preset)");
    let off = MappingSpec::from_preset(PresetChoice::Off);
    let m = Mapper::new(Some(&off), Some(&hubspot)).unwrap();
    assert_eq!(m.preset(), None);
    assert!(m.unmapped_columns().contains(&"Record ID".to_owned()));
    assert!(PresetChoice::parse("Salesforce").is_ok());
    assert!(PresetChoice::parse("acme").is_err());
}

#[test]
fn transforms_in_a_mapping_file() {
    let spec = MappingSpec::parse(
        r#"
[columns]
"Full Name" = { field = "name", split_name = true }
"First" = "firstName"
"Mail" = { field = "email", lowercase = true }
"Born" = { field = "dateOfBirth", date_format = "%d/%m/%Y" }
"Opted Out" = { field = "dnd", true_values = ["Unsubscribed"], false_values = ["Subscribed"] }
"Labels" = { field = "tags", split = ";" }
"Groups" = { field = "tags", split = "|" }
"Work Phone" = "phone"
"Cell" = { field = "phone", fallback = true }
"#,
        "m.toml",
    )
    .unwrap();
    let h = hdrs(&[
        "Full Name",
        "First",
        "Mail",
        "Born",
        "Opted Out",
        "Labels",
        "Groups",
        "Work Phone",
        "Cell",
    ]);
    let m = Mapper::new(Some(&spec), Some(&h)).unwrap();
    let rec = cells_record(&[
        "Jane van Dyke",
        "",
        " Jane@Example.COM ",
        "03/04/1990",
        "unsubscribed",
        "a; b",
        "c|a",
        "",
        "+1 415 555 2671",
    ]);
    let row = m.map(&rec);
    assert!(row.errors.is_empty(), "{:?}", row.errors);
    let f = |field| find(&row, &Target::Field(field));
    assert_eq!(f(Field::Name), Some(&text("Jane van Dyke")));
    assert_eq!(f(Field::FirstName), Some(&text("Jane")));
    assert_eq!(f(Field::LastName), Some(&text("van Dyke")));
    assert_eq!(f(Field::Email), Some(&text("jane@example.com")));
    assert_eq!(f(Field::DateOfBirth), Some(&text("1990-04-03")));
    assert_eq!(f(Field::Dnd), Some(&RawValue::Bool(true)));
    assert_eq!(
        f(Field::Phone),
        Some(&text("+1 415 555 2671")),
        "fallback fills in"
    );
    let tags: Vec<_> = row
        .values
        .iter()
        .filter(|v| v.target == Target::Field(Field::Tags))
        .map(|v| v.value.clone())
        .collect();
    assert_eq!(tags, [list(&["a", "b"]), list(&["c", "a"])]);

    // The row's own first name beats the split; the main phone beats the fallback.
    let rec = cells_record(&[
        "Jane van Dyke",
        "Janey",
        "",
        "2000-02-01",
        "",
        "",
        "",
        "+1 415 555 0134",
        "+1 415 555 2671",
    ]);
    let row = m.map(&rec);
    assert_eq!(
        find(&row, &Target::Field(Field::FirstName)),
        Some(&text("Janey"))
    );
    assert_eq!(
        row.values
            .iter()
            .filter(|v| v.target == Target::Field(Field::Phone))
            .map(|v| &v.value)
            .collect::<Vec<_>>(),
        [&text("+1 415 555 0134")]
    );
    assert!(
        row.cell_errors
            .iter()
            .any(|(_, e)| e.message().contains("date_format")),
        "{:?}",
        row.cell_errors
    );

    for bad in [
        r#"[columns]
"A" = { field = "email", split_name = true }"#,
        r#"[columns]
"A" = { field = "email", date_format = "%d/%m/%Y" }"#,
        r#"[columns]
"A" = { field = "dateOfBirth", date_format = "%d/%m" }"#,
        r#"[columns]
"A" = { field = "email", true_values = ["x"] }"#,
        r#"[columns]
"A" = { field = "tags", fallback = true }"#,
        r#"[columns]
"A" = { field = "name", transform = "reverse" }"#,
        "preset = \"acme\"",
    ] {
        assert!(MappingSpec::parse(bad, "m.toml").is_err(), "{bad}");
    }
}

#[test]
fn a_full_name_split_into_first_and_last_name_is_named_whenever_the_row_uses_the_split() {
    let spec = MappingSpec::parse(
        r#"
[columns]
"Full Name" = { field = "name", split_name = true }
"First" = "firstName"
"Last" = "lastName"
"#,
        "m.toml",
    )
    .unwrap();
    let h = hdrs(&["Full Name", "First", "Last", "Email"]);
    let m = Mapper::new(Some(&spec), Some(&h)).unwrap();
    let notes = |cells: &[&str]| -> Vec<String> {
        let rec = cells_record(cells);
        let row = m.map(&rec);
        row.notes.iter().map(ToString::to_string).collect()
    };
    assert_eq!(
        notes(&["Ludwig van Beethoven", "", "", "l@x.com"]),
        [
            r#"column 'Full Name': "Ludwig van Beethoven" split on a guess: first name "Ludwig", last name "van Beethoven"; check it"#
        ]
    );
    // The row's own first name wins: only the part the row uses is named.
    assert_eq!(
        notes(&["Jane van Dyke", "Janey", "", ""]),
        [r#"column 'Full Name': "Jane van Dyke" split on a guess: last name "van Dyke"; check it"#]
    );
    // One word is taken for a first name: a guess too.
    assert_eq!(
        notes(&["Cher", "", "", ""]),
        [r#"column 'Full Name': "Cher" split on a guess: first name "Cher"; check it"#]
    );
    // Both names from the row's own columns: nothing of the split is used.
    assert!(notes(&["Jane van Dyke", "Jane", "van Dyke", ""]).is_empty());
    // A full name not asked to be split is not split, and not named.
    let plain = Mapper::new(None, Some(&hdrs(&["Full Name", "Email"]))).unwrap();
    let rec = cells_record(&["Ludwig van Beethoven", "l@x.com"]);
    assert!(plain.map(&rec).notes.is_empty());
    // JSONL, the same.
    let m = Mapper::new(Some(&spec), None).unwrap();
    let rec = obj_record(json!({"Full Name": "Doe, Jane", "email": "j@x.com"}));
    let row = m.map(&rec);
    assert_eq!(
        row.notes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [
            r#"column 'Full Name': "Doe, Jane" split on a guess: first name "Jane", last name "Doe"; check it"#
        ]
    );
}

#[test]
fn a_date_format_with_a_two_digit_year_reads_a_birth_year_in_the_past_and_names_the_year_chosen() {
    let spec = MappingSpec::parse(
        r#"
[columns]
"Born" = { field = "dateOfBirth", date_format = "%m/%d/%y" }
"Renewal" = { custom_field = "contact.renewal", date_format = "%d.%m.%y" }
"Joined" = { custom_field = "contact.joined", date_format = "%m/%d/%Y" }
"#,
        "m.toml",
    )
    .unwrap();
    let h = hdrs(&["Born", "Renewal", "Joined", "Email"]);
    let m = Mapper::new(Some(&spec), Some(&h)).unwrap();
    let rec = cells_record(&["1/31/62", "31.01.30", "1/31/2020", "a@x.com"]);
    let row = m.map(&rec);
    assert!(row.cell_errors.is_empty(), "{:?}", row.cell_errors);
    // chrono reads 62 as 2062: a date of birth is in the past.
    assert_eq!(
        find(&row, &Target::Field(Field::DateOfBirth)),
        Some(&text("1962-01-31"))
    );
    let renewal = Target::CustomField("contact.renewal".into());
    assert_eq!(find(&row, &renewal), Some(&text("2030-01-31")));
    assert_eq!(
        row.notes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [
            r#"column 'Born': "1/31/62" has a two-digit year, read as 1962 (a date of birth is in the past); check it"#,
            r#"column 'Renewal': "31.01.30" has a two-digit year, read as 2030; check it"#,
        ]
    );
    // A date of birth of this century stays in it.
    let rec = cells_record(&["1/31/04", "", "", "a@x.com"]);
    let row = m.map(&rec);
    assert_eq!(
        find(&row, &Target::Field(Field::DateOfBirth)),
        Some(&text("2004-01-31"))
    );
    assert_eq!(row.notes.len(), 1);
}

#[test]
fn under_the_hubspot_preset_a_tags_column_splits_on_semicolons_as_hubspot_writes_lists() {
    let h = hdrs(&[
        "Record ID",
        "Email",
        "Contact owner",
        "Lead Status",
        "Create Date",
        "Associated Company",
        "Tags",
        "Hobbies",
        "Groups",
    ]);
    let spec = MappingSpec::parse(
        r#"
preset = "hubspot"
[columns]
"Hobbies" = "tags"
"Groups" = { field = "tags", split = "|" }
"#,
        "m.toml",
    )
    .unwrap();
    let cells = [
        "1",
        "a@x.com",
        "",
        "",
        "",
        "",
        "VIP;Blog, news",
        "Chess;Go",
        "a|b;c",
    ];
    let tags = |m: &Mapper| -> Vec<RawValue<'static>> {
        let rec = cells_record(&cells);
        let row = m.map(&rec);
        row.values
            .iter()
            .filter(|v| v.target == Target::Field(Field::Tags))
            .map(|v| match &v.value {
                RawValue::List(l) => RawValue::List(l.clone()),
                RawValue::Text(t) => RawValue::Text(t.to_string().into()),
                other => panic!("{other:?}"),
            })
            .collect()
    };
    let m = Mapper::new(Some(&spec), Some(&h)).unwrap();
    assert_eq!(m.preset(), Some("HubSpot"));
    assert_eq!(
        tags(&m),
        [
            list(&["VIP", "Blog, news"]),
            list(&["Chess", "Go"]),
            list(&["a", "b;c"])
        ]
    );
    // JSONL under the preset: the same.
    let m = Mapper::new(Some(&spec), None).unwrap();
    let rec =
        obj_record(json!({"Email": "a@x.com", "Tags": "VIP;Blog, news", "Hobbies": "Chess;Go"}));
    let row = m.map(&rec);
    let got: Vec<_> = row
        .values
        .iter()
        .filter(|v| v.target == Target::Field(Field::Tags))
        .map(|v| v.value.clone())
        .collect();
    assert_eq!(got, [list(&["VIP", "Blog, news"]), list(&["Chess", "Go"])]);
    // Without the preset, a tags column splits on ',' and a listed one not at all, as before.
    let plain = MappingSpec::parse(
        "preset = \"none\"\n[columns]\n\"Hobbies\" = \"tags\"\n",
        "m.toml",
    )
    .unwrap();
    let m = Mapper::new(Some(&plain), Some(&h)).unwrap();
    assert_eq!(
        tags(&m)[..2],
        [list(&["VIP;Blog", "news"]), text("Chess;Go")]
    );
}

#[test]
fn the_sample_mapping_file_still_parses() {
    let text = include_str!("../../samples/mapping.toml");
    MappingSpec::parse(text, "samples/mapping.toml").unwrap();
}

#[test]
fn values_that_were_not_text_are_named_only_where_they_would_have_been_sent() {
    let m = Mapper::new(None, None).unwrap();
    let mut record = obj_record(json!({"email": "a@x.com"}));
    let RecordValues::Object(o) = &mut record.values else {
        unreachable!()
    };
    let why = "it is not valid UTF-8".to_owned();
    for (key, shown) in [
        ("firstName", "Jos\u{FFFD}"),
        ("remarks", "x\u{FFFD}"),
        ("Nam\u{FFFD}", "y"),
    ] {
        o.unreadable.push((key.into(), shown.into(), why.clone()));
    }
    let row = m.map(&record);
    let named: Vec<_> = row
        .cell_errors
        .iter()
        .map(|(t, e)| (t.clone(), e.to_string()))
        .collect();
    assert_eq!(
        named,
        [
            (
                Target::Field(Field::FirstName),
                "column 'firstName': \"Jos\u{FFFD}\" left out: it is not valid UTF-8".to_owned()
            ),
            // The key itself is unreadable: whether it would have been sent is unknown.
            (
                Target::Ignore,
                "column 'Nam\u{FFFD}': \"y\" left out: it is not valid UTF-8".to_owned()
            ),
        ]
    );
    assert_eq!(
        find(&row, &Target::Field(Field::Email)),
        Some(&text("a@x.com"))
    );
}

#[test]
fn an_unreadable_cell_is_named_when_mapped_and_costs_nothing_when_not() {
    let h = hdrs(&["email", "first_name", "remarks"]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    let mut cells: crate::input::CellRow = ["a@x.com", "An\u{FFFD}n", "r\u{FFFD}"]
        .into_iter()
        .collect();
    cells.mark_unreadable(1, "it contains a NUL byte".into());
    cells.mark_unreadable(2, "it contains a NUL byte".into());
    let record = Record {
        seq: 0,
        row: 2,
        values: RecordValues::Cells(cells),
    };
    let row = m.map(&record);
    assert_eq!(row.cell_errors.len(), 1, "{:?}", row.cell_errors);
    assert_eq!(
        row.cell_errors[0].1.to_string(),
        "column 'first_name': \"An\u{FFFD}n\" left out: it contains a NUL byte"
    );
    assert_eq!(find(&row, &Target::Field(Field::FirstName)), None);
    assert_eq!(
        find(&row, &Target::Field(Field::Email)),
        Some(&text("a@x.com"))
    );
}

#[test]
fn a_mapper_knows_whether_rows_may_hold_a_phone() {
    let with = hdrs(&["Email", "Mobile Phone"]);
    assert!(Mapper::new(None, Some(&with)).unwrap().may_read_phones());
    let without = hdrs(&["Email", "First Name"]);
    assert!(!Mapper::new(None, Some(&without)).unwrap().may_read_phones());
    // JSONL: the keys come with the rows.
    assert!(Mapper::new(None, None).unwrap().may_read_phones());
}

#[test]
fn an_unreadable_fallback_is_named_only_when_it_would_have_been_used() {
    let spec = MappingSpec::parse(
        r#"
[columns]
"Email" = "email"
"Email 2" = { field = "email", fallback = 1 }
"Email 3" = { field = "email", fallback = 2 }
"#,
        "m.toml",
    )
    .unwrap();
    let h = hdrs(&["Email", "Email 2", "Email 3"]);
    let m = Mapper::new(Some(&spec), Some(&h)).unwrap();
    let map = |cells: [&str; 3]| {
        let mut row: crate::input::CellRow = cells.into_iter().collect();
        row.mark_unreadable(1, "it is not valid UTF-8".into());
        let record = Record {
            seq: 0,
            row: 2,
            values: RecordValues::Cells(row),
        };
        let mapped = m.map(&record);
        let email = find(&mapped, &Target::Field(Field::Email)).cloned();
        let named: Vec<_> = mapped
            .cell_errors
            .iter()
            .map(|(t, e)| (t.clone(), e.column().unwrap_or_default().to_owned()))
            .collect();
        (format!("{email:?}"), named)
    };
    let email = Target::Field(Field::Email);
    // The row's own email: the bad backup is named as a warning, as a readable one left
    // unused is (email and phone backups are spares, tried when the first is bad).
    assert_eq!(
        map(["a@x.com", "b\u{FFFD}@x.com", "c@x.com"]),
        (
            format!("{:?}", Some(text("a@x.com"))),
            vec![(Target::Ignore, "Email 2".to_owned())]
        )
    );
    // The next fallback gives the email instead: a warning, not the row's loss.
    assert_eq!(
        map(["", "b\u{FFFD}@x.com", "c@x.com"]),
        (
            format!("{:?}", Some(text("c@x.com"))),
            vec![(Target::Ignore, "Email 2".to_owned())]
        )
    );
    // Nothing else gives it: the row lost its email to the bad cell.
    assert_eq!(
        map(["", "b\u{FFFD}@x.com", ""]),
        ("None".to_owned(), vec![(email, "Email 2".to_owned())])
    );
}

#[test]
fn an_email_cell_saying_there_is_none_is_left_out_and_named_not_an_address() {
    let h = hdrs(&["Email", "Phone"]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    for none in ["N/A", " none ", "-", "#N/A", "Not Provided"] {
        let record = cells_record(&[none, "+1 415 555 2671"]);
        let row = m.map(&record);
        assert_eq!(find(&row, &Target::Field(Field::Email)), None, "{none}");
        assert_eq!(row.cell_errors.len(), 1, "{none}");
        let (target, e) = &row.cell_errors[0];
        assert_eq!(*target, Target::Ignore);
        assert_eq!(e.column(), Some("Email"));
        assert!(
            e.to_string().contains("left out: says there is no email"),
            "{e}"
        );
    }
    // A malformed address is still an address: validation judges it.
    let record = cells_record(&["n/a@", ""]);
    let row = m.map(&record);
    assert_eq!(
        find(&row, &Target::Field(Field::Email)),
        Some(&text("n/a@"))
    );
    assert!(row.cell_errors.is_empty());
}

#[test]
fn unused_email_and_phone_fallbacks_are_kept_as_spares_in_rank_order() {
    let spec = MappingSpec::parse(
        r#"
[columns]
"Email" = "email"
"Email 3" = { field = "email", fallback = 2 }
"Email 2" = { field = "email", fallback = 1 }
"Phone" = "phone"
"Mobile" = { field = "phone", fallback = true }
"Company" = "companyName"
"Other Company" = { field = "companyName", fallback = true }
"#,
        "m.toml",
    )
    .unwrap();
    let h = hdrs(&[
        "Email",
        "Email 3",
        "Email 2",
        "Phone",
        "Mobile",
        "Company",
        "Other Company",
    ]);
    let m = Mapper::new(Some(&spec), Some(&h)).unwrap();
    let spares = |cells: &[&str]| {
        let rec = cells_record(cells);
        let row = m.map(&rec);
        let sent: Vec<_> = row
            .values
            .iter()
            .filter_map(|v| Some(v.column.as_deref()?.to_owned()))
            .collect();
        let spare: Vec<_> = row
            .spares
            .iter()
            .map(|v| (v.target.clone(), v.column.as_deref().unwrap().to_owned()))
            .collect();
        (sent, spare)
    };
    let (email, phone) = (Target::Field(Field::Email), Target::Field(Field::Phone));
    // Every column filled: the first of each field is sent, the email and phone backups wait
    // by rank (not column order; `true` ranks first); the company's backup is not a spare.
    let (sent, spare) = spares(&["a@x", "c@x", "b@x", "1", "2", "Co", "Other"]);
    assert_eq!(sent, ["Email", "Phone", "Company"]);
    assert_eq!(
        spare,
        [
            (phone, "Mobile".to_owned()),
            (email.clone(), "Email 2".to_owned()),
            (email.clone(), "Email 3".to_owned()),
        ]
    );
    // The first email empty: the best backup is sent, the next one waits.
    let (sent, spare) = spares(&["", "c@x", "b@x", "", "", "", ""]);
    assert_eq!(sent, ["Email 2"]);
    assert_eq!(spare, [(email, "Email 3".to_owned())]);
    // No backup filled: nothing waits, and nothing was allocated for it.
    let rec = cells_record(&["a@x", "", "", "1", "", "", ""]);
    assert_eq!(m.map(&rec).spares.capacity(), 0);
}

#[test]
fn unreadable_backups_in_a_group_or_for_an_email_are_named_when_another_column_stands_in() {
    let spec = MappingSpec::parse(
        r#"
[columns]
"Email" = "email"
"Email 2" = { field = "email", fallback = 1 }
"Work City" = { field = "city", fallback = 1, group = "address" }
"Home City" = { field = "city", fallback = 2, group = "address" }
"#,
        "m.toml",
    )
    .unwrap();
    let h = hdrs(&["Email", "Email 2", "Work City", "Home City"]);
    let m = Mapper::new(Some(&spec), Some(&h)).unwrap();
    let mut cells: crate::input::CellRow = ["a@x.com", "b\u{FFFD}@x.com", "Z\u{FFFD}rich", "Bern"]
        .into_iter()
        .collect();
    cells.mark_unreadable(1, "it is not valid UTF-8".into());
    cells.mark_unreadable(2, "it is not valid UTF-8".into());
    let record = Record {
        seq: 0,
        row: 2,
        values: RecordValues::Cells(cells),
    };
    let row = m.map(&record);
    // The Home block stands in for the Work one whose city could not be read; the row's own
    // email makes the second one needless: both named, as warnings.
    assert_eq!(find(&row, &Target::Field(Field::City)), Some(&text("Bern")));
    let named: Vec<_> = row
        .cell_errors
        .iter()
        .map(|(t, e)| (t.clone(), e.column().unwrap().to_owned()))
        .collect();
    assert_eq!(
        named,
        [
            (Target::Ignore, "Email 2".to_owned()),
            (Target::Ignore, "Work City".to_owned())
        ]
    );
    // Excel's text marker does not hide a placeholder.
    let record = cells_record(&["'N/A", "", "", ""]);
    let row = m.map(&record);
    assert_eq!(find(&row, &Target::Field(Field::Email)), None);
    assert!(row.cell_errors[0]
        .1
        .to_string()
        .contains("says there is no email"));
}

#[test]
fn a_json_object_or_odd_list_where_a_value_belongs_is_left_out_and_named() {
    let m = Mapper::new(None, None).unwrap();
    let record = obj_record(json!({
        "email": "a@x.com",
        "firstName": {"given": "Bob"},
        "tags": [1, null, {"x": 1}],
    }));
    let row = m.map(&record);
    let named: Vec<_> = row.cell_errors.iter().map(|(_, e)| e.to_string()).collect();
    assert_eq!(
        named,
        [
            "column 'firstName': \"{\\\"given\\\":\\\"Bob\\\"}\" left out: a JSON object is not a valid value for firstName",
            "column 'tags': \"[1,null,{\\\"x\\\":1}]\" left out: a list for tags may only hold strings, numbers and booleans",
        ]
    );
    // Counted as cells left out, as a CSV cell would be.
    assert!(named
        .iter()
        .all(|w| crate::validation::left_out_column(w).is_some()));
}

#[test]
fn a_header_with_invisible_characters_reads_as_what_it_shows() {
    for header in [
        "\u{200B}Phone",
        "Phone\u{FEFF}",
        "\u{202A}Email\u{202C}",
        "First\u{00A0}Name",
    ] {
        assert!(detect_target(header).is_some(), "{header:?}");
    }
    assert_eq!(
        detect_target("\u{200B}Phone"),
        Some(Target::Field(Field::Phone))
    );
    assert_eq!(normalise_header("\u{FEFF} Email\u{200B}"), "email");
}

#[test]
fn an_excel_error_value_in_any_column_is_left_out_and_named_not_sent() {
    let h = hdrs(&["Email", "First Name", "Company", "City", "Website", "Phone"]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    let record = cells_record(&["#REF!", "#NAME?", "#VALUE!", "#div/0!", "#SPILL!", "#N/A"]);
    let row = m.map(&record);
    assert!(row.values.is_empty(), "{:?}", row.values);
    let named: Vec<(Target, String)> = row
        .cell_errors
        .iter()
        .map(|(t, e)| (t.clone(), e.to_string()))
        .collect();
    assert_eq!(named.len(), 6, "{named:?}");
    // The email is no address, as `#N/A` is none: the phone may still key the row.
    assert_eq!(named[0].0, Target::Ignore);
    assert_eq!(named[1].0, Target::Field(Field::FirstName));
    assert_eq!(named[5].0, Target::Field(Field::Phone));
    for ((_, e), (column, value)) in named.iter().zip([
        ("Email", "#REF!"),
        ("First Name", "#NAME?"),
        ("Company", "#VALUE!"),
        ("City", "#div/0!"),
        ("Website", "#SPILL!"),
        ("Phone", "#N/A"),
    ]) {
        let want = format!("column '{column}': {value:?} left out: an Excel error value, not data");
        assert!(e.starts_with(&want), "{e}");
        assert_eq!(crate::validation::left_out_column(e), Some(column));
    }
    // From a JSONL export too.
    let record = obj_record(json!({"email": "a@x.com", "city": "#GETTING_DATA"}));
    let row = m.map(&record);
    assert_eq!(find(&row, &Target::Field(Field::City)), None);
    assert!(row.cell_errors[0]
        .1
        .to_string()
        .contains("Excel error value"));
}

#[test]
fn excels_leading_zero_idiom_gives_the_text_excel_shows_and_names_nothing() {
    let h = hdrs(&["Email", "First Name", "Postal Code", "Phone"]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    let record = cells_record(&[
        "=\"ann@example.com\"",
        "=\"Ann\"",
        "'=\"02108\"",
        "=\"0612345678\"",
    ]);
    let row = m.map(&record);
    assert_eq!(
        find(&row, &Target::Field(Field::Email)),
        Some(&text("ann@example.com"))
    );
    assert_eq!(
        find(&row, &Target::Field(Field::FirstName)),
        Some(&text("Ann"))
    );
    assert_eq!(
        find(&row, &Target::Field(Field::PostalCode)),
        Some(&text("02108"))
    );
    assert_eq!(
        find(&row, &Target::Field(Field::Phone)),
        Some(&text("0612345678"))
    );
    assert!(row.cell_errors.is_empty() && row.notes.is_empty());
    // `=""` is Excel's empty text: nothing sent, nothing named.
    let record = cells_record(&["=\"\"", "Bo", "", ""]);
    let row = m.map(&record);
    assert_eq!(find(&row, &Target::Field(Field::Email)), None);
    assert!(row.cell_errors.is_empty());
    // A formula that is more than one string is not the idiom: kept as written.
    let record = cells_record(&["", "=\"A\"&\"B\"", "", ""]);
    let row = m.map(&record);
    assert_eq!(
        find(&row, &Target::Field(Field::FirstName)),
        Some(&text("=\"A\"&\"B\""))
    );
}

#[test]
fn a_vertical_tab_is_a_line_break_and_other_control_characters_cost_the_cell() {
    let h = hdrs(&["Email", "Street", "Notes", "First Name"]);
    let spec = MappingSpec::parse("[columns]\n\"Notes\" = \"contact.notes\"\n", "m.toml").unwrap();
    let m = Mapper::new(Some(&spec), Some(&h)).unwrap();
    let record = cells_record(&[
        "ann@example.com",
        "12 Main St\u{0b}Apt 4",
        "Met at expo\u{0b}Call in May",
        "Ann\u{1b}[0m",
    ]);
    let row = m.map(&record);
    // FileMaker's line break inside a cell: a multi-line street on one line, as for `\n`.
    assert_eq!(
        find(&row, &Target::Field(Field::Address1)),
        Some(&text("12 Main St, Apt 4"))
    );
    assert_eq!(
        find(&row, &Target::CustomField("contact.notes".into())),
        Some(&text("Met at expo\nCall in May"))
    );
    assert_eq!(find(&row, &Target::Field(Field::FirstName)), None);
    assert_eq!(row.cell_errors.len(), 1);
    let e = row.cell_errors[0].1.to_string();
    assert!(
        e.starts_with("column 'First Name': \"Ann\\u{1b}[0m\" left out: holds a control character (escape, U+001B)"),
        "{e}"
    );
}

#[test]
fn del_and_c1_control_characters_cost_the_cell_as_c0_ones_do() {
    // A windows-1252 export converted to UTF-8 as latin-1: its ’ became U+0092.
    let h = hdrs(&["Email", "Last Name", "City", "Tags"]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    let record = cells_record(&["ann@example.com", "O\u{92}Brien", "Zürich\u{7f}", "vip"]);
    let row = m.map(&record);
    assert_eq!(find(&row, &Target::Field(Field::LastName)), None);
    assert_eq!(find(&row, &Target::Field(Field::City)), None);
    let named: Vec<String> = row.cell_errors.iter().map(|(_, e)| e.to_string()).collect();
    assert_eq!(named.len(), 2, "{named:?}");
    assert!(
        named[0].starts_with(
            "column 'Last Name': \"O\\u{92}Brien\" left out: holds a control character (U+0092"
        ),
        "{named:?}"
    );
    assert!(
        named[1].starts_with(
            "column 'City': \"Zürich\\u{7f}\" left out: holds a control character (delete, U+007F)"
        ),
        "{named:?}"
    );
}

#[test]
fn jsonl_list_items_and_custom_field_lists_go_through_the_cell_checks() {
    let m = Mapper::new(None, None).unwrap();
    let rec = obj_record(json!({
        "email": "a@x.com",
        "tags": ["vip", "#N/A", "=\"2024\"", "lead\u{1b}[0m", "'=\"x\"", "=\"\""],
        "phone": ["#REF!", "=\"0612345678\""],
        "customFields": [
            {"key": "contact.colours", "field_value": ["teal", "#VALUE!", "red\u{92}"]},
            {"key": "contact.sizes", "field_value": ["#N/A"]}
        ]
    }));
    let row = m.map(&rec);
    assert_eq!(
        find(&row, &Target::Field(Field::Tags)),
        Some(&list(&["vip", "2024", "x"]))
    );
    assert_eq!(
        find(&row, &Target::Field(Field::Phone)),
        Some(&list(&["0612345678"]))
    );
    assert_eq!(
        find(&row, &Target::CustomField("contact.colours".into())),
        Some(&list(&["teal"]))
    );
    assert_eq!(
        find(&row, &Target::CustomField("contact.sizes".into())),
        None
    );
    let named: Vec<(Target, String)> = row
        .cell_errors
        .iter()
        .map(|(t, e)| (t.clone(), e.to_string()))
        .collect();
    let want = [
        "column 'tags': \"#N/A\" left out: an Excel error value",
        "column 'tags': \"lead\\u{1b}[0m\" left out: holds a control character (escape",
        "column 'phone': \"#REF!\" left out: an Excel error value",
        "column 'customFields[0]': \"#VALUE!\" left out: an Excel error value",
        "column 'customFields[0]': \"red\\u{92}\" left out: holds a control character (U+0092",
        "column 'customFields[1]': \"#N/A\" left out: an Excel error value",
    ];
    assert_eq!(named.len(), want.len(), "{named:?}");
    for ((_, e), w) in named.iter().zip(want) {
        assert!(e.starts_with(w), "{e}\n{w}");
        assert!(crate::validation::left_out_column(e).is_some(), "{e}");
    }
    // An item costs itself while the list has others; a list with none left costs its field
    // as a bad cell would.
    assert_eq!(named[0].0, Target::Ignore);
    assert_eq!(named[2].0, Target::Ignore);
    assert_eq!(named[5].0, Target::CustomField("contact.sizes".into()));
}

#[test]
fn items_of_a_split_tags_cell_go_through_the_cell_checks_and_formulas_are_no_tags() {
    let m = Mapper::new(None, Some(&hdrs(&["Email", "Tags"]))).unwrap();
    let rec = cells_record(&[
        "a@x.com",
        "vip,#N/A,=A1,2024,=HYPERLINK(\"http://x.example\";\"x\")",
    ]);
    let row = m.map(&rec);
    assert_eq!(
        find(&row, &Target::Field(Field::Tags)),
        Some(&list(&["vip", "2024"]))
    );
    let named: Vec<String> = row.cell_errors.iter().map(|(_, e)| e.to_string()).collect();
    let want = [
        "column 'Tags': \"#N/A\" left out: an Excel error value",
        "column 'Tags': \"=A1\" left out: a spreadsheet formula, not a tag",
        "column 'Tags': \"=HYPERLINK(\\\"http://x.example\\\";\\\"x\\\")\" left out: a spreadsheet formula",
    ];
    assert_eq!(named.len(), want.len(), "{named:?}");
    for (e, w) in named.iter().zip(want) {
        assert!(e.starts_with(w), "{e}\n{w}");
        assert!(crate::validation::left_out_column(e).is_some(), "{e}");
    }
    assert!(row.cell_errors.iter().all(|(t, _)| *t == Target::Ignore));

    // Nothing left: the cell costs the field, as a bad cell would.
    let rec = cells_record(&["a@x.com", "#N/A, =A2"]);
    let row = m.map(&rec);
    assert_eq!(find(&row, &Target::Field(Field::Tags)), None);
    assert!(row
        .cell_errors
        .iter()
        .all(|(t, _)| *t == Target::Field(Field::Tags)));
}

#[test]
fn qualified_and_numbered_email_and_phone_headers_are_the_email_and_the_phone() {
    let phones = [
        "Work Phone",
        "Home Phone",
        "Business Phone",
        "Tel",
        "Phone (Mobile)",
        "Mobile Phone Number",
        "Phone*",
        "Phone 2",
        "Other Phone",
        "homePhone",
    ];
    for h in phones {
        assert_eq!(detect_target(h), Some(Target::Field(Field::Phone)), "{h}");
    }
    let emails = [
        "Work Email",
        "Personal Email",
        "Email 1",
        "E-mail 1",
        "Secondary Email",
        "Email (Work)",
        "Email*",
    ];
    for h in emails {
        assert_eq!(detect_target(h), Some(Target::Field(Field::Email)), "{h}");
    }
    // A fax or a pager is no way to reach a contact by phone.
    for h in [
        "Fax Number",
        "Pager Number",
        "Fax",
        "Pager",
        "Home Fax",
        "Business Fax",
    ] {
        assert_eq!(detect_target(h), None, "{h}");
    }
    // A qualifier makes only a channel or an address part of a known field.
    for h in ["Home Timezone", "Work Title", "Other", "Home Page"] {
        assert_eq!(detect_target(h), None, "{h}");
    }
}

#[test]
fn a_thunderbird_row_with_phones_only_has_its_first_phone_its_backup_and_its_home_address() {
    let h = hdrs(&[
        "First Name",
        "Last Name",
        "Display Name",
        "Nickname",
        "Primary Email",
        "Secondary Email",
        "Screen Name",
        "Work Phone",
        "Home Phone",
        "Fax Number",
        "Pager Number",
        "Mobile Number",
        "Home Address",
        "Home Address 2",
        "Home City",
        "Home State",
        "Home ZipCode",
        "Home Country",
    ]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    assert_eq!(
        m.unmapped_columns(),
        ["Nickname", "Screen Name", "Fax Number", "Pager Number"]
    );
    let rec = cells_record(&[
        "Tim",
        "Berg",
        "Tim Berg",
        "",
        "",
        "",
        "",
        "+1 415 555 0140",
        "+1 415 555 0141",
        "+1 415 555 0142",
        "",
        "",
        "1 Elm",
        "Apt 2",
        "Austin",
        "TX",
        "78701",
        "USA",
    ]);
    let row = m.map(&rec);
    assert!(row.errors.is_empty(), "{:?}", row.errors);
    assert_eq!(
        find(&row, &Target::Field(Field::Phone)),
        Some(&text("+1 415 555 0140"))
    );
    assert_eq!(row.spares.len(), 1);
    assert_eq!(row.spares[0].column.as_deref(), Some("Home Phone"));
    assert_eq!(
        find(&row, &Target::Field(Field::Address1)),
        Some(&text("1 Elm, Apt 2"))
    );
    for (f, v) in [
        (Field::City, "Austin"),
        (Field::State, "TX"),
        (Field::PostalCode, "78701"),
        (Field::Country, "USA"),
    ] {
        assert_eq!(find(&row, &Target::Field(f)), Some(&text(v)), "{f}");
    }
    assert!(row.unmapped_keys.is_empty(), "the row has a phone");
    // Its display name only repeats its first and last name: neither sent nor named.
    assert_eq!(find(&row, &Target::Field(Field::Name)), None);
    assert!(row.notes.is_empty(), "{:?}", row.notes);
}

#[test]
fn address_blocks_named_by_a_qualifier_are_used_whole_and_never_mixed() {
    let h = hdrs(&[
        "Email",
        "Home Street",
        "Home City",
        "Work Street",
        "Work City",
        "Work State",
    ]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    assert!(m.unmapped_columns().is_empty());
    let city = Target::Field(Field::City);
    let state = Target::Field(Field::State);
    // The first block with a street, alone: a home city alone gives no address to send to.
    let rec = cells_record(&["a@x.com", "", "Austin", "2 Oak", "Dallas", "TX"]);
    let row = m.map(&rec);
    assert_eq!(find(&row, &city), Some(&text("Dallas")));
    assert_eq!(find(&row, &state), Some(&text("TX")));
    assert_eq!(
        find(&row, &Target::Field(Field::Address1)),
        Some(&text("2 Oak"))
    );
    // No block with a street: the first with a value, alone: no work state under a home city.
    let rec = cells_record(&["a@x.com", "", "Austin", "", "Dallas", "TX"]);
    let row = m.map(&rec);
    assert_eq!(find(&row, &city), Some(&text("Austin")));
    assert_eq!(find(&row, &state), None);
    // A row with only a work address has it.
    let rec = cells_record(&["a@x.com", "", "", "2 Oak", "Dallas", "TX"]);
    let row = m.map(&rec);
    assert_eq!(find(&row, &city), Some(&text("Dallas")));
    assert_eq!(find(&row, &state), Some(&text("TX")));
    // Plain address columns come first, and a qualified block never fills their gaps.
    let h = hdrs(&["Email", "City", "Home City", "Home State"]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    let rec = cells_record(&["a@x.com", "Reno", "Austin", "TX"]);
    let row = m.map(&rec);
    assert_eq!(find(&row, &city), Some(&text("Reno")));
    assert_eq!(find(&row, &state), None);
    let rec = cells_record(&["a@x.com", "", "Austin", "TX"]);
    let row = m.map(&rec);
    assert_eq!(find(&row, &city), Some(&text("Austin")));
    assert_eq!(find(&row, &state), Some(&text("TX")));
}

#[test]
fn a_row_without_email_or_phone_names_the_unmapped_cells_that_read_like_one() {
    let h = hdrs(&["First Name", "Fax Number", "Notes", "Other"]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    let rec = cells_record(&["Tim", "+1 415 555 0142", "call Tue", "t@x.io"]);
    let row = m.map(&rec);
    assert_eq!(row.unmapped_keys.len(), 2, "{:?}", row.unmapped_keys);
    assert!(
        row.unmapped_keys[0].starts_with("column 'Fax Number' holds \"+1 415 555 0142\", a phone")
    );
    assert!(row.unmapped_keys[0].contains(r#""Fax Number" = "phone""#));
    assert!(row.unmapped_keys[1].contains(r#""Other" = "email""#));
    // Nothing to name when the row has a key of its own, or the cells read like neither.
    let h = hdrs(&["Phone", "Fax Number"]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    assert!(m
        .map(&cells_record(&["415 555 0140", "415 555 0142"]))
        .unmapped_keys
        .is_empty());
    let h = hdrs(&["First Name", "Notes"]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    assert!(m
        .map(&cells_record(&["Tim", "born 1980"]))
        .unmapped_keys
        .is_empty());
}

#[test]
fn a_one_line_field_on_several_lines_is_sent_on_one_line_and_named() {
    let h = hdrs(&["Email", "First Name", "City", "Street", "Company", "Notes"]);
    let spec = MappingSpec::parse("[columns]\n\"Notes\" = \"contact.notes\"\n", "m.toml").unwrap();
    let m = Mapper::new(Some(&spec), Some(&h)).unwrap();
    let rec = cells_record(&[
        "ann@example.com",
        "Multi\nLine",
        "New\r\nYork",
        "1 Main St\n\nApt 4",
        "Acme",
        "Met at expo\nCall in May",
    ]);
    let row = m.map(&rec);
    let field = |f| find(&row, &Target::Field(f));
    assert_eq!(field(Field::FirstName), Some(&text("Multi Line")));
    assert_eq!(field(Field::City), Some(&text("New York")));
    assert_eq!(field(Field::Address1), Some(&text("1 Main St, Apt 4")));
    assert_eq!(field(Field::CompanyName), Some(&text("Acme")));
    // A custom field may hold lines (notes): kept as written.
    assert_eq!(
        find(&row, &Target::CustomField("contact.notes".into())),
        Some(&text("Met at expo\nCall in May"))
    );
    let notes: Vec<String> = row.notes.iter().map(ToString::to_string).collect();
    assert_eq!(
        notes,
        [
            r#"column 'First Name': "Multi\nLine" is on several lines: sent on one line as "Multi Line" (firstName is one line in HighLevel)"#,
            r#"column 'City': "New\r\nYork" is on several lines: sent on one line as "New York" (city is one line in HighLevel)"#,
            r#"column 'Street': "1 Main St\n\nApt 4" is on several lines: sent on one line as "1 Main St, Apt 4" (address1 is one line in HighLevel)"#,
        ]
    );
}

#[test]
fn unicode_line_and_paragraph_separators_are_line_breaks_in_a_one_line_field() {
    let h = hdrs(&["Email", "First Name", "Street", "City"]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    let rec = cells_record(&[
        "ann@example.com",
        "Ann\u{2028}Marie",
        "12 Main St\u{2029}Apt 4",
        "Zürich – Altstadt",
    ]);
    let row = m.map(&rec);
    let field = |f| find(&row, &Target::Field(f));
    assert_eq!(field(Field::FirstName), Some(&text("Ann Marie")));
    assert_eq!(field(Field::Address1), Some(&text("12 Main St, Apt 4")));
    // Another character led by the same byte (an en dash) is no line break.
    assert_eq!(field(Field::City), Some(&text("Zürich – Altstadt")));
    let notes: Vec<String> = row.notes.iter().map(ToString::to_string).collect();
    assert_eq!(
        notes,
        [
            r#"column 'First Name': "Ann\u{2028}Marie" is on several lines: sent on one line as "Ann Marie" (firstName is one line in HighLevel)"#,
            r#"column 'Street': "12 Main St\u{2029}Apt 4" is on several lines: sent on one line as "12 Main St, Apt 4" (address1 is one line in HighLevel)"#,
        ]
    );
}

#[test]
fn a_tags_cell_separated_by_semicolons_gives_each_tag_in_csv_and_jsonl() {
    let h = hdrs(&["Email", "Tags"]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    let tags = Target::Field(Field::Tags);
    for (cell, want) in [
        ("vip;gold", &["vip", "gold"][..]),
        ("vip; gold ;", &["vip", "gold"]),
        ("vip, gold", &["vip", "gold"]),
        // Quotes keep a separator inside an item, as for ','.
        ("\"x; y\"", &["x; y"]),
    ] {
        let rec = cells_record(&["a@x.com", cell]);
        let row = m.map(&rec);
        assert_eq!(find(&row, &tags), Some(&list(want)), "{cell:?}");
        assert!(row.notes.is_empty(), "{cell:?}: {:?}", row.notes);
    }
    // With both separators, ',' separates; an item holding ';' is sent whole and named.
    let rec = cells_record(&["a@x.com", "a; b, c"]);
    let row = m.map(&rec);
    assert_eq!(find(&row, &tags), Some(&list(&["a; b", "c"])));
    assert_eq!(
        row.notes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [
            r#"column 'Tags': tag "a; b" holds ';' but the cell separates its tags with ',': sent as one tag (to split on ';' too, give the column a split in a mapping file)"#
        ]
    );
    let m = Mapper::new(None, None).unwrap();
    let rec = obj_record(json!({"email": "a@x.com", "tags": "vip;gold"}));
    let row = m.map(&rec);
    assert_eq!(find(&row, &tags), Some(&list(&["vip", "gold"])));
    // A separator the mapping file names is the only one.
    let h = hdrs(&["Email", "Labels"]);
    let spec = MappingSpec::parse(
        "[columns]\n\"Labels\" = { field = \"tags\", split = \",\" }\n",
        "m.toml",
    )
    .unwrap();
    let m = Mapper::new(Some(&spec), Some(&h)).unwrap();
    let rec = cells_record(&["a@x.com", "r&d;ops, sales"]);
    let row = m.map(&rec);
    assert_eq!(find(&row, &tags), Some(&list(&["r&d;ops", "sales"])));
}

#[test]
fn headers_of_exports_in_german_french_spanish_portuguese_and_dutch_name_their_fields() {
    let rows: [[&str; 6]; 5] = [
        [
            "Vorname",
            "Nachname",
            "E-Mail-Adresse",
            "Telefon",
            "PLZ",
            "Land",
        ],
        [
            "Prénom",
            "Nom",
            "Courriel",
            "Téléphone",
            "Code postal",
            "Pays",
        ],
        [
            "Nombre",
            "Apellidos",
            "Correo electrónico",
            "Teléfono",
            "Código postal",
            "País",
        ],
        ["Nome", "Sobrenome", "E-mail", "Celular", "CEP", "País"],
        [
            "Voornaam",
            "Achternaam",
            "E-mailadres",
            "Telefoon",
            "Postcode",
            "Land",
        ],
    ];
    let want = [
        Field::FirstName,
        Field::LastName,
        Field::Email,
        Field::Phone,
        Field::PostalCode,
        Field::Country,
    ];
    for headers in rows {
        for (h, f) in headers.iter().zip(want) {
            assert_eq!(detect_target(h), Some(Target::Field(f)), "{h}");
        }
    }
    for (h, f) in [
        ("Straße", Field::Address1),
        ("Ort", Field::City),
        ("Ville", Field::City),
        ("Ciudad", Field::City),
        ("Firma", Field::CompanyName),
        ("Geburtsdatum", Field::DateOfBirth),
        ("Bundesland", Field::State),
    ] {
        assert_eq!(detect_target(h), Some(Target::Field(f)), "{h}");
    }
    // A lead's status in a Spanish export, not its state.
    assert_eq!(detect_target("Estado"), None);
}

#[test]
fn a_german_exports_name_beside_vorname_is_the_surname() {
    let m = Mapper::new(None, Some(&hdrs(&["Anrede", "Vorname", "Name", "E-Mail"]))).unwrap();
    let rec = cells_record(&["Herr", "Hans", "Müller", "hans@example.de"]);
    let row = m.map(&rec);
    assert_eq!(
        find(&row, &Target::Field(Field::LastName)),
        Some(&text("Müller"))
    );
    assert_eq!(find(&row, &Target::Field(Field::Name)), None);
    // Elsewhere `Name` is the whole name.
    let m = Mapper::new(None, Some(&hdrs(&["Name", "Email"]))).unwrap();
    let rec = cells_record(&["Hans Müller", "hans@example.de"]);
    let row = m.map(&rec);
    assert_eq!(
        find(&row, &Target::Field(Field::Name)),
        Some(&text("Hans Müller"))
    );
}

#[test]
fn a_fax_or_pager_in_brackets_and_salesforce_record_attributes_are_never_the_contacts() {
    let m = Mapper::new(
        None,
        Some(&hdrs(&[
            "Email",
            "Phone (Mobile)",
            "Phone (Fax)",
            "Phone (Pager)",
        ])),
    )
    .unwrap();
    let rec = cells_record(&["a@x.com", "", "617-555-0899", "617-555-0896"]);
    let row = m.map(&rec);
    assert_eq!(find(&row, &Target::Field(Field::Phone)), None, "{row:?}");

    let m = Mapper::new(None, None).unwrap();
    // As the reader flattens a nested object: dotted keys.
    let rec = obj_record(json!({
        "attributes.type": "Contact",
        "attributes.url": "https://acme.my.salesforce.com/x",
        "Email": "w1@v.com"
    }));
    let row = m.map(&rec);
    assert_eq!(find(&row, &Target::Field(Field::Website)), None);
}

#[test]
fn a_mailchimp_api_member_gives_its_merge_fields_name_and_street() {
    let m = Mapper::new(None, None).unwrap();
    // As the reader flattens its nested objects: dotted keys.
    let rec = obj_record(json!({
        "email_address": "mc1@v.com",
        "merge_fields.FNAME": "Cy",
        "merge_fields.LNAME": "Do",
        "merge_fields.ADDRESS.addr1": "2 Elm",
        "merge_fields.ADDRESS.addr2": "Apt 4",
        "merge_fields.ADDRESS.city": "Austin",
    }));
    let row = m.map(&rec);
    assert_eq!(
        find(&row, &Target::Field(Field::FirstName)),
        Some(&text("Cy"))
    );
    assert_eq!(
        find(&row, &Target::Field(Field::LastName)),
        Some(&text("Do"))
    );
    assert_eq!(
        find(&row, &Target::Field(Field::Address1)),
        Some(&text("2 Elm, Apt 4"))
    );
}

#[test]
fn nombre_nome_or_nom_alone_is_the_whole_name() {
    for (headers, want) in [
        (["Nombre", "Email"], Field::Name),
        (["Nome", "Email"], Field::Name),
        (["Nom", "Email"], Field::Name),
    ] {
        let m = Mapper::new(None, Some(&hdrs(&headers))).unwrap();
        let rec = cells_record(&["José García", "j@x.com"]);
        let row = m.map(&rec);
        assert_eq!(
            find(&row, &Target::Field(want)),
            Some(&text("José García")),
            "{headers:?}"
        );
    }
    let m = Mapper::new(None, Some(&hdrs(&["Nombre", "Apellidos", "Email"]))).unwrap();
    let rec = cells_record(&["José", "García", "j@x.com"]);
    let row = m.map(&rec);
    assert_eq!(
        find(&row, &Target::Field(Field::FirstName)),
        Some(&text("José"))
    );
}

#[test]
fn a_tags_cell_on_several_lines_gives_a_tag_a_line_and_one_formula_stays_whole() {
    let m = Mapper::new(None, Some(&hdrs(&["Email", "Tags"]))).unwrap();
    let rec = cells_record(&["a@x.com", "vip\ngold, lead"]);
    let row = m.map(&rec);
    assert_eq!(
        find(&row, &Target::Field(Field::Tags)),
        Some(&list(&["vip", "gold", "lead"]))
    );
    let rec = cells_record(&["a@x.com", "=HYPERLINK(\"http://x\",\"a\"),b"]);
    let row = m.map(&rec);
    assert_eq!(find(&row, &Target::Field(Field::Tags)), None);
    assert_eq!(row.cell_errors.len(), 1, "{:?}", row.cell_errors);
}

#[test]
fn the_address_block_a_row_does_not_use_is_named_cell_by_cell() {
    let h = hdrs(&[
        "Email",
        "Home Street",
        "Home City",
        "Work Street",
        "Work City",
    ]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    let rec = cells_record(&["a@x.com", "1 Elm", "Boston", "2 Main", "Cambridge"]);
    let row = m.map(&rec);
    assert_eq!(
        find(&row, &Target::Field(Field::City)),
        Some(&text("Boston"))
    );
    let named: Vec<String> = row.notes.iter().map(|e| e.to_string()).collect();
    assert_eq!(named.len(), 2, "{named:?}");
    assert!(named[0].starts_with("column 'Work Street': \"2 Main\" not imported"));
    assert!(named[1].starts_with("column 'Work City': \"Cambridge\" not imported"));
}

#[test]
fn keaps_street_address_1_is_the_street_without_a_preset() {
    // A Keap export of a chosen column set: too few of its columns for the preset.
    let h = hdrs(&[
        "Id",
        "First Name",
        "Last Name",
        "Email",
        "Phone 1",
        "Tags",
        "Birthday",
        "Street Address 1",
        "City",
    ]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    assert_eq!(m.preset(), None);
    assert!(!m
        .unmapped_columns()
        .contains(&"Street Address 1".to_owned()));
    let rec = cells_record(&[
        "1",
        "René",
        "Müller",
        "rene@example.com",
        "'(555) 555-1234   ",
        "VIP,Customer",
        "3/7/1980",
        "Hauptstraße 1",
        "Köln",
    ]);
    let row = m.map(&rec);
    let street = row
        .values
        .iter()
        .find(|v| v.target == Target::Field(Field::Address1))
        .unwrap();
    assert_eq!(street.column.as_deref(), Some("Street Address 1"));
    // Newer Keap's labels: the billing block, its second line joined to the street.
    let h = hdrs(&[
        "Email",
        "Billing Address Street 1",
        "Billing Address Street 2",
        "Billing Address City",
    ]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    assert!(
        m.unmapped_columns().is_empty(),
        "{:?}",
        m.unmapped_columns()
    );
    let rec = cells_record(&["a@x.com", "1 Main St", "Suite 4", "Boston"]);
    let row = m.map(&rec);
    let street: Vec<_> = row
        .values
        .iter()
        .filter(|v| v.target == Target::Field(Field::Address1))
        .map(|v| v.value.clone())
        .collect();
    assert_eq!(street, [RawValue::Text("1 Main St, Suite 4".into())]);
}

#[test]
fn emails_and_phones_written_as_objects_give_the_primary_or_first_and_back_it_up_with_the_rest() {
    let cols = |v: &[MappedValue]| -> Vec<(String, String)> {
        v.iter()
            .map(|v| {
                let shown = match &v.value {
                    RawValue::Text(t) => t.to_string(),
                    other => format!("{other:?}"),
                };
                (v.column.as_deref().unwrap_or("").to_owned(), shown)
            })
            .collect()
    };
    let m = Mapper::new(None, None).unwrap();
    // Pipedrive's API person: lists under the singular key, one marked primary.
    let rec = obj_record(json!({
        "name": "Ann Lee",
        "email": [{"label": "home", "value": "ann@home.com", "primary": false},
                  {"label": "work", "value": "ann@work.com", "primary": true}],
        "phone": [{"label": "mobile", "value": "+1 415 555 0101", "primary": true}],
    }));
    let row = m.map(&rec);
    assert!(row.cell_errors.is_empty(), "{:?}", row.cell_errors);
    assert_eq!(
        cols(&row.values),
        [
            ("name".into(), "Ann Lee".into()),
            ("email".into(), "ann@work.com".into()),
            ("phone".into(), "+1 415 555 0101".into())
        ]
    );
    assert_eq!(
        cols(&row.spares),
        [("email[0]".into(), "ann@home.com".into())]
    );
    // Google People API: plural keys, primary in metadata; an item without a value named.
    let rec = obj_record(json!({
        "emailAddresses": [{"value": "bo@x.com", "type": "home"},
                           {"value": "bo@work.com", "metadata": {"primary": true}},
                           {"type": "other"}],
        "phoneNumbers": [{"value": "+44 20 7946 0018", "canonicalForm": "+442079460018"}],
        "phones": [{"number": "+44 20 7946 0019"}],
    }));
    let row = m.map(&rec);
    assert_eq!(
        cols(&row.values),
        [
            ("emailAddresses".into(), "bo@work.com".into()),
            ("phoneNumbers".into(), "+44 20 7946 0018".into())
        ]
    );
    assert_eq!(
        cols(&row.spares),
        [
            ("emailAddresses[0]".into(), "bo@x.com".into()),
            ("phones".into(), "+44 20 7946 0019".into())
        ]
    );
    let named: Vec<_> = row.cell_errors.iter().map(|(_, e)| e.to_string()).collect();
    assert_eq!(
        named,
        ["column 'emailAddresses[2]': \"{\\\"type\\\":\\\"other\\\"}\" left out: an item of emailAddresses without its email (\"value\")"]
    );
    // HubSpot-ish: one object holding the value.
    let rec = obj_record(json!({"email": {"value": "cy@x.com", "type": "work"}}));
    let row = m.map(&rec);
    assert!(row.cell_errors.is_empty(), "{:?}", row.cell_errors);
    assert_eq!(cols(&row.values), [("email".into(), "cy@x.com".into())]);
    // With a preset (its own backups), the further items are named as left out.
    let spec = MappingSpec::from_preset(PresetChoice::Named("hubspot".into()));
    let m = Mapper::new(Some(&spec), None).unwrap();
    let rec = obj_record(json!({"emails": [{"value": "a@x.com"}, {"value": "b@x.com"}]}));
    let row = m.map(&rec);
    assert_eq!(cols(&row.values), [("emails".into(), "a@x.com".into())]);
    assert!(row.spares.is_empty());
    let named: Vec<_> = row.cell_errors.iter().map(|(_, e)| e.to_string()).collect();
    assert_eq!(
        named,
        ["column 'emails[1]': \"b@x.com\" left out: HighLevel stores one email; the list's first (or primary) one is sent"]
    );
}

#[test]
fn mailchimp_api_tags_written_as_objects_give_their_names() {
    let m = Mapper::new(None, None).unwrap();
    let rec = obj_record(json!({
        "email_address": "a@x.com",
        "tags": [{"id": 101, "name": "vip"}, {"id": 102, "name": "Blog, weekly"}, {"id": 103, "name": "=A1"}],
    }));
    let row = m.map(&rec);
    assert_eq!(
        find(&row, &Target::Field(Field::Tags)),
        Some(&list(&["vip", "Blog, weekly"]))
    );
    let named: Vec<_> = row.cell_errors.iter().map(|(_, e)| e.to_string()).collect();
    assert_eq!(named.len(), 1, "{named:?}");
    assert!(named[0].contains("\"=A1\" left out"), "{named:?}");
}

#[test]
fn a_display_name_is_the_name_of_a_row_without_one_and_named_when_it_says_something_else() {
    let h = hdrs(&[
        "First Name",
        "Last Name",
        "Display Name",
        "Nickname",
        "Primary Email",
    ]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    assert_eq!(m.unmapped_columns(), ["Nickname"]);
    assert_eq!(
        m.unmapped_described(),
        ["'Nickname' (HighLevel has no nickname field)"]
    );
    let name = Target::Field(Field::Name);
    let rec = cells_record(&["", "", "Dr. Ann Lee", "Annie", "ann@x.com"]);
    let row = m.map(&rec);
    assert_eq!(find(&row, &name), Some(&text("Dr. Ann Lee")));
    let notes: Vec<_> = row.notes.iter().map(ToString::to_string).collect();
    assert_eq!(
        notes,
        ["column 'Display Name': \"Dr. Ann Lee\" sent as the name: the row has no name, first or last name of its own"]
    );
    // The same person's name with a middle name or a title is not named as something else.
    let rec = cells_record(&["Ann", "Lee", "Dr. Ann B. Lee", "", "ann@x.com"]);
    assert!(m.map(&rec).notes.is_empty());
    let rec = cells_record(&["Ann", "", "Annie Lee", "", "ann@x.com"]);
    let row = m.map(&rec);
    assert_eq!(find(&row, &name), None);
    let notes: Vec<_> = row.notes.iter().map(ToString::to_string).collect();
    assert_eq!(
        notes,
        ["column 'Display Name': \"Annie Lee\" not imported: the row's firstName comes from 'First Name'"]
    );
    // A mapping file that lists it makes it the name, as any column.
    let spec =
        MappingSpec::parse("[columns]\n\"Nickname\" = \"contact.nickname\"\n", "m.toml").unwrap();
    let m = Mapper::new(Some(&spec), Some(&h)).unwrap();
    assert!(m.unmapped_columns().is_empty());
}

#[test]
fn a_yahoo_export_gives_its_alternate_emails_as_backups_and_its_business_website_when_no_other() {
    let h = hdrs(&[
        "First",
        "Middle",
        "Last",
        "Nickname",
        "Email",
        "Category",
        "Distribution Lists",
        "Yahoo! ID",
        "Home",
        "Work",
        "Pager",
        "Fax",
        "Mobile",
        "Other",
        "Yahoo! Phone",
        "Primary",
        "Alternate Email 1",
        "Alternate Email 2",
        "Website",
        "Business Website",
    ]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    let website = Target::Field(Field::Website);
    let row_of = |email: &str, site: &str, business: &str| {
        let mut cells = vec![""; h.len()];
        cells[0] = "Ann";
        cells[4] = email;
        cells[16] = "ann@alt.com";
        cells[17] = "ann@old.com";
        cells[18] = site;
        cells[19] = business;
        cells_record(&cells)
    };
    let rec = row_of("ann@x.com", "", "https://lee.example");
    let row = m.map(&rec);
    assert_eq!(
        find(&row, &Target::Field(Field::Email)),
        Some(&text("ann@x.com"))
    );
    let spares: Vec<_> = row.spares.iter().map(|v| v.column.as_deref()).collect();
    assert_eq!(
        spares,
        [Some("Alternate Email 1"), Some("Alternate Email 2")]
    );
    assert_eq!(find(&row, &website), Some(&text("https://lee.example")));
    // The row's own website wins; the business one is named, not dropped.
    let rec = row_of("", "https://ann.example", "https://lee.example");
    let row = m.map(&rec);
    assert_eq!(
        find(&row, &Target::Field(Field::Email)),
        Some(&text("ann@alt.com"))
    );
    assert_eq!(find(&row, &website), Some(&text("https://ann.example")));
    let notes: Vec<_> = row.notes.iter().map(ToString::to_string).collect();
    assert_eq!(
        notes,
        ["column 'Business Website': \"https://lee.example\" not imported: the row's website comes from 'Website'"]
    );
}

/// A German, Spanish or French export saved as JSON: its keys say what a bare name holds as
/// the CSV headers do, object by object.
#[test]
fn jsonl_name_keys_beside_vorname_or_the_other_part_map_as_csv_headers_do() {
    let m = Mapper::new(None, None).unwrap();
    let (first, last, name) = (
        Target::Field(Field::FirstName),
        Target::Field(Field::LastName),
        Target::Field(Field::Name),
    );
    let rec = obj_record(
        json!({"Anrede": "Herr", "Vorname": "Hans", "Name": "Müller", "E-Mail": "hans@example.de"}),
    );
    let row = m.map(&rec);
    assert_eq!(find(&row, &first), Some(&text("Hans")));
    assert_eq!(find(&row, &last), Some(&text("Müller")));
    assert_eq!(find(&row, &name), None);
    // A Name holding the whole name gives the rest after the Vorname, and says so.
    let rec = obj_record(json!({"Vorname": "Jürgen", "Name": "Jürgen Müller"}));
    let row = m.map(&rec);
    assert_eq!(find(&row, &last), Some(&text("Müller")));
    assert_eq!(
        row.notes.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["column 'Name': \"Jürgen Müller\" starts with the first name \"Jürgen\": sent as last name \"Müller\""]
    );
    // Without a Vorname key, the name is the whole name.
    let rec = obj_record(json!({"Name": "Hans Müller", "E-Mail": "hans@example.de"}));
    assert_eq!(find(&m.map(&rec), &name), Some(&text("Hans Müller")));
    // The keys are compared without allocating, as `normalise` reads them.
    for h in [
        "Vor-Name",
        " NOM ",
        "Nombre\u{200b}",
        "name.",
        "NÄME",
        "Vornamen",
    ] {
        for word in ["vorname", "nom", "nombre", "name", "näme"] {
            assert_eq!(normalises_to(h, word), normalise(h) == word, "{h:?} {word}");
        }
    }
    // Nombre, Nome and Nom alone hold the whole name; beside the other part, one part.
    for (rec, target, value) in [
        (json!({"Nombre": "Ana García"}), &name, "Ana García"),
        (
            json!({"Nombre": "Ana", "Apellidos": "García"}),
            &first,
            "Ana",
        ),
        (json!({"Nome": "João Silva"}), &name, "João Silva"),
        (json!({"Nom": "Marie Dupont"}), &name, "Marie Dupont"),
        (json!({"Prénom": "Marie", "Nom": "Dupont"}), &last, "Dupont"),
    ] {
        let record = obj_record(rec.clone());
        let row = m.map(&record);
        assert_eq!(find(&row, target), Some(&text(value)), "{rec}");
    }
}

#[test]
fn a_german_name_that_starts_with_the_vorname_gives_the_rest_as_the_surname_and_says_so() {
    let m = Mapper::new(None, Some(&hdrs(&["Vorname", "Name", "E-Mail"]))).unwrap();
    let last = Target::Field(Field::LastName);
    let rec = cells_record(&["Jürgen", "Jürgen Müller", "j@example.de"]);
    let row = m.map(&rec);
    assert_eq!(find(&row, &last), Some(&text("Müller")));
    assert_eq!(
        find(&row, &Target::Field(Field::FirstName)),
        Some(&text("Jürgen"))
    );
    let notes: Vec<_> = row.notes.iter().map(ToString::to_string).collect();
    assert_eq!(
        notes,
        ["column 'Name': \"Jürgen Müller\" starts with the first name \"Jürgen\": sent as last name \"Müller\""]
    );
    // Otherwise as before: the surname as written, nothing said.
    for (first, name) in [
        ("Jürgen", "Müller"),
        ("Jürgen", "Jürgensen"),
        ("Jürgen", "Jürgen"),
        ("", "Jürgen Müller"),
        ("Anna", "Jürgen Müller"),
    ] {
        let rec = cells_record(&[first, name, "j@example.de"]);
        let row = m.map(&rec);
        assert_eq!(find(&row, &last), Some(&text(name)), "{first} {name}");
        assert!(row.notes.is_empty(), "{:?}", row.notes);
    }
}

#[test]
fn bare_home_and_work_columns_are_phones_only_in_a_file_with_yahoos_own_columns() {
    let phone = Target::Field(Field::Phone);
    // A Work column beside a name and an email is as often the employer: not imported, named.
    let h = hdrs(&["Name", "Email", "Work", "Home"]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    assert_eq!(m.unmapped_columns(), ["Work", "Home"]);
    let rec = cells_record(&["Ann Lee", "ann@x.com", "Acme GmbH", "Berlin"]);
    let row = m.map(&rec);
    assert_eq!(find(&row, &phone), None);
    assert!(row.cell_errors.is_empty(), "{:?}", row.cell_errors);
    // Yahoo's export: its Home and Work are phones; an employer there fails as a phone.
    let h = hdrs(&[
        "First",
        "Last",
        "Email",
        "Category",
        "Distribution Lists",
        "Yahoo! ID",
        "Home",
        "Work",
    ]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    assert_eq!(
        m.unmapped_columns(),
        ["Category", "Distribution Lists", "Yahoo! ID"]
    );
    let rec = cells_record(&["Ann", "Lee", "ann@x.com", "", "", "", "", "Acme GmbH"]);
    let row = m.map(&rec);
    assert_eq!(find(&row, &phone), Some(&text("Acme GmbH")));
    // A phone object's numbers by kind still are phones in JSON.
    let m = Mapper::new(None, None).unwrap();
    let rec = obj_record(json!({"phone.work": "+1 415 555 0101"}));
    let row = m.map(&rec);
    assert_eq!(find(&row, &phone), Some(&text("+1 415 555 0101")));
}

#[test]
fn a_cell_in_a_column_without_a_header_is_named_in_its_row_by_position() {
    // Thunderbird ends every line with a comma: a last column with no header, always empty.
    let h = hdrs(&[
        "First Name",
        "Last Name",
        "Email",
        "",
        "Phone",
        "Notes",
        " ",
    ]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    assert_eq!(m.unmapped_described(), ["'Notes'"], "said before any row");
    let left_out = |cells: &[&str]| notes_of(&m, cells);
    assert!(left_out(&["Ann", "Lee", "ann@x.com", "", "", "", ""]).is_empty());
    assert!(left_out(&["Ann", "Lee", "ann@x.com", " ", "", "", ""]).is_empty());
    assert_eq!(
        left_out(&["Ann", "Lee", "ann@x.com", "VIP", "", "", "2nd floor"]),
        [
            "column '4 (no header)': \"VIP\" left out: its column has no header, so nothing maps it: give the column a header in the file, then map it with --mapping",
            "column '7 (no header)': \"2nd floor\" left out: its column has no header, so nothing maps it: give the column a header in the file, then map it with --mapping",
        ]
    );
}

#[test]
fn a_street_number_column_goes_in_front_of_the_street_unless_the_street_holds_it() {
    let spec = MappingSpec::parse(
        "[columns]\n\"No\" = { field = \"address1\", append = \"before\" }\n\"Street\" = \"address1\"\n\"Unit\" = { field = \"address1\", append = true }\n",
        "m.toml",
    )
    .unwrap();
    let h = hdrs(&["Email", "No", "Street", "Unit"]);
    let m = Mapper::new(Some(&spec), Some(&h)).unwrap();
    let street = |cells: &[&str]| {
        let rec = cells_record(cells);
        let row = m.map(&rec);
        match find(&row, &Target::Field(Field::Address1)) {
            Some(RawValue::Text(t)) => Some(t.to_string()),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(
        street(&["a@x.com", "12", "Rue du Bac", "Bât. B"]),
        Some("12 Rue du Bac, Bât. B".to_owned())
    );
    assert_eq!(
        street(&["a@x.com", "221", "221 Baker Street", ""]),
        Some("221 Baker Street".to_owned())
    );
    assert_eq!(
        street(&["a@x.com", "5", "Leopoldstraße 5", ""]),
        Some("Leopoldstraße 5".to_owned())
    );
    let err = MappingSpec::parse(
        "[columns]\nNo = { field = \"address1\", append = \"after\" }\n",
        "m.toml",
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        err.contains("`append` must be true, false or \"before\""),
        "{err}"
    );
}

#[test]
fn a_mobile_ranks_first_when_every_phone_column_names_its_kind() {
    let phone = Target::Field(Field::Phone);
    // Yahoo's export (`Home` before `Mobile`): HighLevel texts the phone it has.
    let h = hdrs(&[
        "First",
        "Last",
        "Email",
        "Category",
        "Distribution Lists",
        "Yahoo! ID",
        "Home",
        "Work",
        "Pager",
        "Fax",
        "Mobile",
        "Other",
    ]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    let row_of = |home: &str, work: &str, mobile: &str| {
        let cells = [
            "Carla", "Rossi", "", "Friends", "", "", home, work, "", "", mobile, "",
        ];
        cells_record(&cells)
    };
    let rec = row_of("(212) 555-0133", "(212) 555-0177", "(917) 555-0102");
    let row = m.map(&rec);
    assert_eq!(find(&row, &phone), Some(&text("(917) 555-0102")));
    let spares: Vec<_> = row.spares.iter().map(|v| v.column.as_deref()).collect();
    assert_eq!(spares, [Some("Home"), Some("Work")]);
    // Without a mobile, the others in column order.
    let rec = row_of("(212) 555-0133", "(212) 555-0177", "");
    let row = m.map(&rec);
    assert_eq!(find(&row, &phone), Some(&text("(212) 555-0133")));
    let spares: Vec<_> = row.spares.iter().map(|v| v.column.as_deref()).collect();
    assert_eq!(spares, [Some("Work")]);
    // Thunderbird's phones name their kind too.
    let h = hdrs(&["Primary Email", "Work Phone", "Home Phone", "Mobile Number"]);
    let m = Mapper::new(None, Some(&h)).unwrap();
    let rec = cells_record(&["a@x.com", "+46 8 123 456 78", "", "+46 70 765 43 21"]);
    assert_eq!(find(&m.map(&rec), &phone), Some(&text("+46 70 765 43 21")));
    // A plain `Phone` may be a mobile itself: column order stays.
    for first in ["Phone", "Primary Phone", "Phone 1"] {
        let m = Mapper::new(None, Some(&hdrs(&["Email", first, "Mobile"]))).unwrap();
        let rec = cells_record(&["a@x.com", "+1 415 555 0101", "+1 415 555 0102"]);
        assert_eq!(
            find(&m.map(&rec), &phone),
            Some(&text("+1 415 555 0101")),
            "{first}"
        );
    }
}

/// A split cell's items are read, dropped, lowercased and named in place, in the cell's
/// order: the unchanged, the rewritten (a `'` guard cut) and the left-out (a formula, an Excel error
/// value) side by side.
#[test]
fn a_split_cells_items_keep_their_order_through_every_check() {
    let spec = MappingSpec::parse(
        r#"[columns]
"Email" = "email"
"Labels" = { field = "tags", split = ",", lowercase = true, drop = ["starred"], drop_prefix = "* " }
"#,
        "m.toml",
    )
    .unwrap();
    let m = Mapper::new(Some(&spec), Some(&hdrs(&["Email", "Labels"]))).unwrap();
    let rec = cells_record(&[
        "a@x.com",
        "VIP, '@Home, * myContacts, =SUM(A1), Starred, #N/A, Zoë",
    ]);
    let row = m.map(&rec);
    assert_eq!(
        find(&row, &Target::Field(Field::Tags)),
        Some(&list(&["vip", "@home", "zoë"]))
    );
    let bad: Vec<String> = row.cell_errors.iter().map(|(_, e)| e.to_string()).collect();
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert!(bad[0].contains("\"=SUM(A1)\" left out"), "{bad:?}");
    assert!(
        bad[1].contains("\"#N/A\" left out: an Excel error"),
        "{bad:?}"
    );
    assert!(row.cell_errors.iter().all(|(t, _)| *t == Target::Ignore));
    // Every item left out or dropped: nothing is sent, and the bad ones cost the field.
    let rec = cells_record(&["a@x.com", "=A1, Starred"]);
    let row = m.map(&rec);
    assert_eq!(find(&row, &Target::Field(Field::Tags)), None);
    assert_eq!(row.cell_errors.len(), 1);
    assert_eq!(row.cell_errors[0].0, Target::Field(Field::Tags));
}
