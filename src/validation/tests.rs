use super::countries::COUNTRY_LIST;
use super::*;
use crate::contact::Field;
use crate::mapping::{MappedRow, MappedValue, RawValue, Target};

fn opts() -> ValidationOptions {
    ValidationOptions {
        default_country: "US".into(),
        extra_tags: vec![],
        business_id: None,
        ..ValidationOptions::default()
    }
}

fn v() -> Validator {
    Validator::new(opts()).unwrap()
}

fn val<'a>(target: Target, column: &'a str, value: RawValue<'a>) -> MappedValue<'a> {
    MappedValue {
        target,
        column: Some(column.into()),
        value,
    }
}

fn text<'a>(f: Field, column: &'a str, t: &'a str) -> MappedValue<'a> {
    val(Target::Field(f), column, RawValue::Text(t.into()))
}

fn row(values: Vec<MappedValue>) -> MappedRow {
    MappedRow {
        cell_errors: vec![],
        spares: vec![],
        email_is_backup: false,
        notes: vec![],
        unmapped_keys: vec![],
        seq: 0,
        row: 2,
        values,
        errors: vec![],
    }
}

fn valid(r: Validated) -> ValidRow {
    match r {
        Validated::Valid(v) => v,
        Validated::Invalid { errors, .. } => panic!("invalid: {errors:?}"),
    }
}

fn invalid(r: Validated) -> Vec<String> {
    match r {
        Validated::Valid(v) => panic!("valid: {v:?}"),
        Validated::Invalid { errors, .. } => errors.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn email_table() {
    let ok = [
        ("bob@example.com", "bob@example.com"),
        ("  Bob.Smith@Example.COM ", "Bob.Smith@example.com"),
        ("a+tag@sub.example.co.uk", "a+tag@sub.example.co.uk"),
        ("zoë@exämple.de", "zoë@exämple.de"),
        ("x@example.xn--p1ai", "x@example.xn--p1ai"),
        ("'fay@example.com", "fay@example.com"),
        ("mailto:jane@Example.com", "jane@example.com"),
        ("MAILTO:jane@example.com", "jane@example.com"),
    ];
    for (input, want) in ok {
        assert_eq!(
            normalise_email(input.trim()).as_deref(),
            Ok(want),
            "{input}"
        );
    }
    let bad = [
        "Bob <bob@x.com>",
        "<bob@x.com>",
        "bob@localhost",
        "bob@[127.0.0.1]",
        "bob@example.c",
        "bob@example.123",
        "bob@@example.com",
        "bob.example.com",
        "bob smith@example.com",
        "@example.com",
        "bob@",
        "bob@example..com",
        "",
    ];
    for input in bad {
        assert!(normalise_email(input).is_err(), "{input}");
    }
}

#[test]
fn an_email_whose_ending_is_no_top_level_domain_is_refused_naming_the_ending() {
    for (input, ending) in [
        ("ann@x.con", "con"),
        ("bob@gmail.con", "con"),
        ("cy@yahoo.comm", "comm"),
        ("DI@Hotmail.CMO", "cmo"),
        ("\u{FEFF}ed@example.coom", "coom"),
    ] {
        assert_eq!(
            normalise_email(input),
            Err(format!("'.{ending}' is not a top-level domain")),
            "{input}"
        );
    }
    // The row says which ending, and what the cell held.
    let errors = invalid(v().validate(row(vec![text(Field::Email, "Email", "ann@x.con")])));
    assert_eq!(
        errors,
        ["column 'Email': \"ann@x.con\" is not a valid email address ('.con' is not a top-level domain)"]
    );
    for ok in [
        "a@example.museum",
        "a@example.co.uk",
        "a@example.xn--p1ai",
        "zoë@exämple.de",
    ] {
        assert!(normalise_email(ok).is_ok(), "{ok}");
    }
}

#[test]
fn a_website_is_a_link_or_a_host_name_and_anything_else_costs_the_cell() {
    let site = |t: &'static str| {
        valid(v().validate(row(vec![
            text(Field::Email, "Email", "ann@example.com"),
            text(Field::Website, "Website", t),
        ])))
    };
    for ok in [
        "example.com",
        "www.example.com/path",
        "https://Example.com/a?b=1",
    ] {
        assert_eq!(site(ok).contact.website.as_deref(), Some(ok));
    }
    for bad in [
        "N/A",
        "-",
        "none",
        "x",
        "javascript:alert(1)",
        "<script>x</script>",
        "mailto:a@x.com",
        "http://exa_mple.com",
    ] {
        let r = site(bad);
        assert_eq!(r.contact.website, None, "{bad}");
        assert_eq!(r.warnings.len(), 1, "{bad}");
        assert!(
            r.warnings[0].starts_with(&format!(
                "column 'Website': {bad:?} left out: not a website ("
            )),
            "{}",
            r.warnings[0]
        );
    }
}

#[test]
fn phone_table() {
    let us = Region::US;
    let ok = [
        ("(415) 555-2671", us, "+14155552671"),
        ("415.555.2671", us, "+14155552671"),
        ("415-555-2671", us, "+14155552671"),
        ("1 415 555 2671", us, "+14155552671"),
        ("+1 415 555 2671", us, "+14155552671"),
        ("+14155552671", us, "+14155552671"),
        ("001 415 555 2671", us, "+14155552671"),
        ("+44 20 7946 0958", us, "+442079460958"),
        ("0044 20 7946 0958", us, "+442079460958"),
        ("020 7946 0958", Region::GB, "+442079460958"),
        ("00 49 30 901820", us, "+4930901820"),
        // phonenumber 0.3.10 strips US's national prefix "1" from "+55 11 …" when given a region.
        ("+55 11 3045-1700", us, "+551130451700"),
        ("+7 495 697-03-49", us, "+74956970349"),
        ("(415) 555-2671 x123", us, "+14155552671"),
        ("415-555-2671 ext. 9", us, "+14155552671"),
    ];
    for (input, region, want) in ok {
        assert_eq!(
            normalise_phone(input, region).as_deref(),
            Ok(want),
            "{input}"
        );
    }
    let bad = [
        "555-01",
        "123",
        "020 7946 0958",
        "+1 415 555 26710000",
        "call me",
        "415-555-2671+1",
        "",
        "x123",
        "+999 1234 5678",
    ];
    for input in bad {
        assert!(normalise_phone(input, us).is_err(), "{input}");
    }
}

#[test]
fn ambiguous_dates_are_errors_not_guesses() {
    assert_eq!(
        normalise_date("03/04/1990").unwrap_err(),
        "reads as 3 April or March 4; set date_format"
    );
    assert!(normalise_date("03-04-1990").is_err());
    assert_eq!(normalise_date("04/04/1990").as_deref(), Ok("1990-04-04"));
}

#[test]
fn date_table() {
    let ok = [
        ("1990-09-25", "1990-09-25"),
        ("1990/09/25", "1990-09-25"),
        ("1990.09.25", "1990-09-25"),
        ("1990_09_25", "1990-09-25"),
        ("09/25/1990", "1990-09-25"),
        ("09-25-1990", "1990-09-25"),
        ("09.25.1990", "1990-09-25"),
        ("09_25_1990", "1990-09-25"),
        ("1990-9-5", "1990-09-05"),
        ("9/9/1990", "1990-09-09"),
        ("12/25/1990", "1990-12-25"),
        ("1990-09-25T00:00:00Z", "1990-09-25"),
        ("1990-09-25T13:45:00.000+02:00", "1990-09-25"),
        ("2000-02-29", "2000-02-29"),
        ("1990-09-25 00:00:00", "1990-09-25"),
        ("09/25/1990 12:00 AM", "1990-09-25"),
        // Only one reading: no guess.
        ("25/09/1990", "1990-09-25"),
        ("13/01/1990", "1990-01-13"),
        ("Sept 25 1990", "1990-09-25"),
        ("25 Sep 1990", "1990-09-25"),
    ];
    for (input, want) in ok {
        assert_eq!(normalise_date(input).as_deref(), Ok(want), "{input}");
    }
    let bad = [
        "1990-02-30",
        "1999-02-29",
        "9/5/1990",
        "03.04.1990",
        "1990-13-01",
        "1990-09",
        "90-09-25",
        "1990-09/25",
        "2999-01-01",
        "",
        "1990-09-25T",
        "1990-09-25 x",
        "13/13/1990",
    ];
    for input in bad {
        assert!(normalise_date(input).is_err(), "{input}");
    }
}

#[test]
fn country_table() {
    let ok = [
        ("US", "US"),
        ("us", "US"),
        ("United States", "US"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("United States of America", "US"),
        ("UK", "GB"),
        ("gb", "GB"),
        ("United Kingdom", "GB"),
        ("canada", "CA"),
        ("Australia", "AU"),
        ("Germany", "DE"),
        ("France", "FR"),
        ("India", "IN"),
        ("XK", "XK"),
        ("AN", "AN"),
        ("Kosovo", "XK"),
        ("South Korea", "KR"),
        ("Cote D\"Ivoire", "CI"),
        (" new zealand ", "NZ"),
    ];
    for (input, want) in ok {
        assert_eq!(normalise_country(input), Some(want), "{input}");
    }
    for input in [
        "Korea",
        "Congo",
        "Virgin Islands",
        "ZZ",
        "BL",
        "Atlantis",
        "",
        "U",
    ] {
        assert_eq!(normalise_country(input), None, "{input}");
    }
}

#[test]
fn default_country_must_be_known() {
    assert!(Validator::new(ValidationOptions {
        default_country: "gb".into(),
        ..opts()
    })
    .is_ok());
    for bad in ["", "ZZ", "USA1", "AN"] {
        let err = Validator::new(ValidationOptions {
            default_country: bad.into(),
            ..opts()
        })
        .err();
        assert!(err.is_some(), "{bad}");
    }
}

#[test]
fn full_valid_row() {
    let mut o = opts();
    o.extra_tags = vec!["Imported".into(), "vip".into()];
    o.business_id = Some("biz-cli".into());
    let r = valid(Validator::new(o).unwrap().validate(row(vec![
        text(Field::FirstName, "First Name", "  Zoë "),
        text(Field::LastName, "Last Name", "Müller"),
        text(Field::Email, "Email", " Zoe@Example.COM"),
        text(Field::Phone, "Phone", "020 7946 0958"),
        text(Field::Country, "Country", "United Kingdom"),
        text(Field::DateOfBirth, "DOB", "1990-9-25"),
        text(Field::Dnd, "DND", "Yes"),
        text(Field::Website, "Web", "example.com"),
        text(Field::LocationId, "Location Id", "loc1"),
        val(
            Target::Field(Field::Tags),
            "Tags",
            RawValue::List(vec!["VIP".into(), "new".into(), "vip".into()]),
        ),
        val(
            Target::CustomField("contact.ltv".into()),
            "LTV",
            RawValue::Number(12.into()),
        ),
        val(
            Target::CustomField("abc".into()),
            "X",
            RawValue::Text(" hi ".into()),
        ),
        val(
            Target::CustomField("contact.multi".into()),
            "M",
            RawValue::List(vec!["a".into(), "b".into()]),
        ),
    ])));
    let c = &r.contact;
    assert_eq!(c.first_name.as_deref(), Some("Zoë"));
    assert_eq!(c.last_name.as_deref(), Some("Müller"));
    assert_eq!(c.email.as_deref(), Some("Zoe@example.com"));
    // The row's own country decides how a national number is read.
    assert_eq!(c.phone.as_deref(), Some("+442079460958"));
    assert_eq!(c.country.as_deref(), Some("GB"));
    assert_eq!(c.date_of_birth.as_deref(), Some("1990-09-25"));
    assert_eq!(c.dnd, Some(true));
    assert_eq!(c.website.as_deref(), Some("example.com"));
    assert_eq!(r.tags, ["VIP", "new", "Imported"]);
    assert_eq!(r.business_id.as_deref(), Some("biz-cli"));
    assert_eq!(r.location_id.as_deref(), Some("loc1"));
    assert_eq!(
        serde_json::to_value(&c.custom_fields).unwrap(),
        serde_json::json!([
            {"key": "contact.ltv", "field_value": 12},
            {"id": "abc", "field_value": "hi"},
            {"key": "contact.multi", "field_value": ["a", "b"]}
        ])
    );
}

#[test]
fn business_id_column_wins() {
    let o = ValidationOptions {
        business_id: Some("cli".into()),
        ..opts()
    };
    let r = valid(Validator::new(o).unwrap().validate(row(vec![
        text(Field::Email, "Email", "a@x.com"),
        text(Field::BusinessId, "Business Id", "col"),
    ])));
    assert_eq!(r.business_id.as_deref(), Some("col"));
}

#[test]
fn collects_all_errors() {
    let mut r = row(vec![
        text(Field::Email, "Email", "Bob <bob@x.com>"),
        text(Field::Phone, "Phone", "555-01"),
        text(Field::DateOfBirth, "DOB", "1990-02-30"),
        text(Field::Country, "Country", "Atlantis"),
        text(Field::Dnd, "DND", "maybe"),
        text(Field::Website, "Web", "my site.com"),
    ]);
    r.errors.push(RowError::new(
        None,
        "row has 3 cells but the header has 2 columns",
    ));
    let res = v().validate(r);
    let Validated::Invalid {
        errors,
        email,
        phone,
    } = &res
    else {
        panic!("{res:?}")
    };
    assert_eq!(email.as_deref(), Some("Bob <bob@x.com>"));
    assert_eq!(phone.as_deref(), Some("555-01"));
    let msgs: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(msgs.len(), 7, "{msgs:#?}");
    assert!(
        msgs.contains(
            &"column 'Phone': \"555-01\" left out: not a valid phone number (default country US)"
                .to_owned()
        ),
        "{msgs:#?}"
    );
    for col in ["Email", "DOB", "Country", "DND", "Web"] {
        assert!(
            msgs.iter()
                .any(|m| m.starts_with(&format!("column '{col}'"))),
            "{col}: {msgs:#?}"
        );
    }
}

#[test]
fn a_row_without_a_key_names_the_unmapped_columns_that_read_like_one_in_its_error() {
    let mut r = row(vec![text(Field::FirstName, "First Name", "Tim")]);
    r.unmapped_keys = vec!["column 'Fax Number' holds \"+1 415 555 0142\", a phone".into()];
    let msgs = invalid(v().validate(r));
    assert_eq!(
        msgs,
        [format!(
            "{NEITHER}; column 'Fax Number' holds \"+1 415 555 0142\", a phone"
        )]
    );
}

#[test]
fn needs_email_or_phone() {
    let msgs = invalid(v().validate(row(vec![text(Field::FirstName, "First Name", "Ann")])));
    assert_eq!(msgs, [NEITHER]);
    // An unreadable record says why, without piling on.
    let mut r = row(vec![]);
    r.errors.push(RowError::new(None, "line 4: not valid JSON"));
    assert_eq!(invalid(v().validate(r)), ["line 4: not valid JSON"]);
    // Phone alone is enough; an invalid email still makes the row invalid.
    valid(v().validate(row(vec![text(Field::Phone, "Phone", "+1 415 555 2671")])));
    let msgs = invalid(v().validate(row(vec![
        text(Field::Phone, "Phone", "+1 415 555 2671"),
        text(Field::Email, "Email", "nope"),
    ])));
    assert_eq!(msgs.len(), 1, "{msgs:?}");
}

#[test]
fn values_of_the_wrong_shape() {
    // A list of emails is several values in one cell: the first is the email.
    let r = valid(v().validate(row(vec![
        val(
            Target::Field(Field::Email),
            "email",
            RawValue::List(vec!["a@x.com".into(), "b@x.com".into()]),
        ),
        val(
            Target::Field(Field::Phone),
            "phone",
            RawValue::Number(4155552671u64.into()),
        ),
        val(Target::Field(Field::Dnd), "dnd", RawValue::Bool(true)),
        val(
            Target::Field(Field::City),
            "city",
            RawValue::List(vec!["Oslo".into(), "Bergen".into()]),
        ),
    ])));
    assert_eq!(r.contact.email.as_deref(), Some("a@x.com"));
    assert_eq!(r.contact.city, None);
    assert_eq!(
        r.warnings,
        [
            "column 'email': also holds \"b@x.com\", not imported (HighLevel stores one email)",
            "column 'city': expected one value, got a list of 2"
        ]
    );
    let r = valid(v().validate(row(vec![
        val(
            Target::Field(Field::Phone),
            "phone",
            RawValue::Number(4155552671u64.into()),
        ),
        val(Target::Field(Field::Dnd), "dnd", RawValue::Bool(false)),
        MappedValue {
            target: Target::Field(Field::Source),
            column: None,
            value: RawValue::Text("Import".into()),
        },
    ])));
    assert_eq!(r.contact.phone.as_deref(), Some("+14155552671"));
    // "Not opted out" sends nothing: `dnd: false` would lift an existing opt-out.
    assert_eq!(r.contact.dnd, None);
    assert_eq!(r.contact.source.as_deref(), Some("Import"));
}

#[test]
fn never_panics_on_odd_input() {
    let nasty = [
        "",
        " ",
        "\u{0}",
        "+",
        "++1",
        "00",
        "0000000000000000000000",
        "x",
        "#",
        "ext",
        "+1 (((((",
        "💥",
        "a@b@c",
        "\u{202e}moc.x@a",
        "9999-99-99",
        "0-0-0",
        "1/1/1",
        "+800 1234 5678",
        "+882 1234 5678",
        "+0 123",
        "1e400",
        "-1",
        "x@x.xx\u{0}",
        "__--..//",
        "0000/00/00",
        "TTTTTTT",
        "1990-09-25Txx",
        "+1 800 FLOWERS",
    ];
    let validator = v();
    for s in nasty {
        for f in Field::ALL {
            let _ = validator.validate(row(vec![text(f, "c", s)]));
        }
        let _ = validator.validate(row(vec![val(
            Target::CustomField(s.into()),
            "c",
            RawValue::Text(s.into()),
        )]));
        let _ = validator.validate(row(vec![
            text(Field::Country, "c", s),
            text(Field::Phone, "p", s),
            val(
                Target::Field(Field::Tags),
                "t",
                RawValue::List(vec![s.into()]),
            ),
        ]));
    }
    // Every country code with a phone number: no panics from region metadata.
    for line in COUNTRY_LIST.lines().filter(|l| l.starts_with('|')) {
        let code = line.split('|').nth(1).unwrap_or("").trim();
        let _ = validator.validate(row(vec![
            text(Field::Country, "c", code),
            text(Field::Phone, "p", "12345678"),
        ]));
    }
}

#[test]
fn validator_is_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Validator>();
}

/// Runs a sample through Reader → Mapper → Validator: (row, errors) per invalid row, and the
/// valid rows.
fn run_sample(file: &str, mapping: Option<&str>) -> (Vec<ValidRow>, Vec<(u64, Vec<String>)>) {
    use crate::input::{InputOptions, Reader};
    use crate::mapping::{Mapper, MappingSpec};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let reader = Reader::open(&dir.join(file), &InputOptions::default()).unwrap();
    let spec = mapping.map(|m| MappingSpec::load(&dir.join(m)).unwrap());
    let mapper = Mapper::new(spec.as_ref(), reader.headers()).unwrap();
    let validator = v();
    let (mut ok, mut bad) = (vec![], vec![]);
    for rec in reader {
        match validator.validate(mapper.map(&rec)) {
            Validated::Valid(r) => ok.push(r),
            Validated::Invalid { errors, .. } => {
                bad.push((rec.row, errors.iter().map(ToString::to_string).collect()))
            }
        }
    }
    (ok, bad)
}

fn bad_rows(bad: &[(u64, Vec<String>)]) -> Vec<u64> {
    bad.iter().map(|(r, _)| *r).collect()
}

#[test]
fn sample_contacts_csv() {
    let (ok, bad) = run_sample("contacts.csv", None);
    assert_eq!((ok.len(), bad.len()), (27, 3), "{bad:#?}");
    // Bad email, neither email nor phone, display name.
    assert_eq!(bad_rows(&bad), [15, 18, 26], "{bad:#?}");
    assert!(bad.iter().all(|(_, e)| e.len() == 1), "{bad:#?}");
    // A bad phone, Feb 30 and an unknown country cost only their cells; an extension is said.
    let warned: Vec<(&str, &[String])> = ok
        .iter()
        .filter(|r| !r.warnings.is_empty())
        .map(|r| (r.contact.email.as_deref().unwrap_or(""), &r.warnings[..]))
        .collect();
    assert_eq!(
        warned,
        [
            ("aiden.clark@example.com", &["column 'Phone': \"555-01\" left out: not a valid phone number (country US from the row)".to_owned()][..]),
            ("charlotte.lewis@example.com", &["column 'Date of Birth': \"02/30/1991\" left out: no such date: year 1991, month 2, day 30".to_owned()][..]),
            ("ben.hall@example.com", &["column 'Phone': extension \"ext. 12\" not sent (HighLevel's phone field has none)".to_owned()][..]),
            // The phone, read in the default country for want of the row's, says so.
            ("will.nelson@example.com", &["column 'Phone': \"(808) 555-0104\" has no country code and was read in the default country US because the row's country ('Country': \"Atlantis\") could not be read; check it, or write the number with its + code".to_owned(), "column 'Country': \"Atlantis\" left out: not a country HighLevel accepts (use an ISO 3166 alpha-2 code like US or GB)".to_owned()][..]),
        ]
    );
    let liam: Vec<_> = ok
        .iter()
        .filter(|r| r.contact.email.as_deref() == Some("liam.garcia@example.net"))
        .collect();
    assert_eq!(liam.len(), 2);
    let ava = &ok[0];
    assert_eq!(
        ava.contact.company_name.as_deref(),
        Some("Thompson & Co, LLC")
    );
    assert_eq!(ava.contact.phone.as_deref(), Some("+14155552671"));
    assert_eq!(ava.tags, ["customer", "vip"]);
    let lena = ok
        .iter()
        .find(|r| r.contact.last_name.as_deref() == Some("Müller"))
        .unwrap();
    assert_eq!(
        (
            lena.contact.phone.as_deref(),
            lena.contact.date_of_birth.as_deref()
        ),
        (Some("+4930901820"), Some("1983-07-09"))
    );
    let emma = ok
        .iter()
        .find(|r| r.contact.first_name.as_deref() == Some("Emma"))
        .unwrap();
    assert_eq!(
        (
            emma.contact.phone.as_ref(),
            emma.contact.date_of_birth.as_ref()
        ),
        (None, None)
    );
}

#[test]
fn sample_contacts_jsonl() {
    let (ok, bad) = run_sample("contacts.jsonl", None);
    assert_eq!((ok.len(), bad.len()), (14, 2), "{bad:#?}");
    // Bad email; a truncated (invalid JSON) line.
    assert_eq!(bad_rows(&bad), [8, 11], "{bad:#?}");
    let ltv = serde_json::to_value(&ok[0].contact.custom_fields).unwrap();
    assert_eq!(
        ltv,
        serde_json::json!([
            {"key": "contact.lifetime_value", "field_value": 1250.5},
            {"key": "contact.favourite_colour", "field_value": "teal"}
        ])
    );
    let henry = ok
        .iter()
        .find(|r| r.contact.first_name.as_deref() == Some("Henry"))
        .unwrap();
    assert_eq!(henry.tags, ["customer", "landscaping"]);
}

#[test]
fn sample_crm_export_with_mapping() {
    let (ok, bad) = run_sample("crm-export.csv", Some("mapping.toml"));
    assert_eq!((ok.len(), bad.len()), (13, 2), "{bad:#?}");
    // Bad email, neither email nor phone.
    assert_eq!(bad_rows(&bad), [11, 12], "{bad:#?}");
    // A UK number without +44 read in the default country: the phone is left out, the
    // contact kept.
    let isla = ok
        .iter()
        .find(|r| r.contact.first_name.as_deref() == Some("Isla"))
        .unwrap();
    assert_eq!(isla.contact.phone, None);
    assert_eq!(
        isla.warnings,
        ["column 'Mobile': \"07700 900 4567\" left out: not a valid phone number (default country US)"]
    );
    let olivia = &ok[0];
    assert_eq!(olivia.contact.first_name.as_deref(), Some("Olivia"));
    assert_eq!(olivia.contact.last_name.as_deref(), Some("Bennett"));
    assert_eq!(olivia.contact.source.as_deref(), Some("Webinar"));
    assert_eq!(olivia.tags, ["customer", "vip", "imported", "crm-export"]);
    assert_eq!(
        serde_json::to_value(&olivia.contact.custom_fields).unwrap(),
        serde_json::json!([
            {"key": "contact.lifetime_value", "field_value": "1250.50"},
            {"key": "contact.favourite_colour", "field_value": "teal"}
        ])
    );
    let hannah = &ok[2];
    assert_eq!(hannah.contact.source.as_deref(), Some("CRM export 2026"));
    let leo = ok
        .iter()
        .find(|r| r.contact.first_name.as_deref() == Some("Leo"))
        .unwrap();
    assert_eq!(leo.tags, ["partner", "imported", "crm-export"]);
}

#[test]
#[ignore]
fn perf_phone() {
    let nums = [
        "(415) 555-2671",
        "+44 20 7946 0958",
        "212-736-3100",
        "+49 30 901820",
        "+81 3-3201-3331",
    ];
    let t = std::time::Instant::now();
    for i in 0..2000 {
        let _ = normalise_phone(nums[i % nums.len()], Region::US);
    }
    eprintln!("phone: {:?}/parse", t.elapsed() / 2000);
    let t = std::time::Instant::now();
    for _ in 0..2000 {
        let _ = normalise_email("ava.thompson@example.com");
        let _ = normalise_date("1990-09-25");
        let _ = normalise_country("United Kingdom");
    }
    eprintln!("rest: {:?}/row", t.elapsed() / 2000);
}

fn strict() -> Validator {
    Validator::new(ValidationOptions {
        strict: true,
        ..opts()
    })
    .unwrap()
}

#[test]
fn a_bad_cell_costs_the_cell_not_the_contact() {
    let cells = || {
        row(vec![
            text(Field::Email, "Email", "ann@example.com"),
            text(Field::Phone, "Phone", "555-01"),
            text(Field::DateOfBirth, "Date of Birth", "03/04/1985"),
            text(Field::Country, "Country", "Atlantis"),
            text(Field::Dnd, "DND", "maybe"),
            text(Field::Website, "Web", "my site.com"),
            text(Field::BusinessId, "Business", "a b"),
            text(Field::City, "City", "Oslo"),
        ])
    };
    let r = valid(v().validate(cells()));
    assert_eq!(r.contact.email.as_deref(), Some("ann@example.com"));
    assert_eq!(r.contact.city.as_deref(), Some("Oslo"));
    let c = &r.contact;
    assert_eq!(
        (
            &c.phone,
            &c.date_of_birth,
            &c.country,
            c.dnd,
            &c.website,
            &r.business_id
        ),
        (&None, &None, &None, None, &None, &None),
        "never sent empty"
    );
    assert_eq!(
        r.warnings,
        [
            "column 'Date of Birth': \"03/04/1985\" left out: reads as 3 April or March 4; set date_format",
            "column 'Country': \"Atlantis\" left out: not a country HighLevel accepts (use an ISO 3166 alpha-2 code like US or GB)",
            "column 'DND': \"maybe\" left out: not a yes/no value (use true/false, yes/no, 1/0)",
            "column 'Web': \"my site.com\" left out: not a valid website (it contains spaces)",
            "column 'Business': \"a b\" left out: not a valid businessId (ids have no spaces)",
            "column 'Phone': \"555-01\" left out: not a valid phone number (default country US)",
        ]
    );
    let cols: Vec<_> = r
        .warnings
        .iter()
        .filter_map(|w| left_out_column(w))
        .collect();
    assert_eq!(
        cols,
        [
            "Date of Birth",
            "Country",
            "DND",
            "Web",
            "Business",
            "Phone"
        ]
    );
    // --strict: today's rule, every bad cell rejects the row.
    assert_eq!(invalid(strict().validate(cells())).len(), 6);
}

#[test]
fn a_time_zone_is_sent_as_its_iana_name_and_anything_else_costs_only_the_cell() {
    let zone = |cell: &str| {
        valid(v().validate(row(vec![
            text(Field::Email, "Email", "a@x.com"),
            text(Field::Timezone, "Time Zone", cell),
        ])))
    };
    // Mailchimp writes zones in lower case; the database's spelling goes out.
    let r = zone(" america/chicago ");
    assert_eq!(r.contact.timezone.as_deref(), Some("America/Chicago"));
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    // An offset or a label would be a guess at a zone: left out and named.
    let r = zone("(GMT-05:00) Eastern Time (US & Canada)");
    assert_eq!(r.contact.timezone, None);
    assert_eq!(
        r.warnings,
        ["column 'Time Zone': \"(GMT-05:00) Eastern Time (US & Canada)\" left out: not a time zone HighLevel accepts (use an IANA name like America/Chicago)"]
    );
    assert_eq!(zone("'-6").contact.timezone, None);
}

#[test]
fn a_gender_is_sent_as_male_or_female_and_anything_else_costs_only_the_cell() {
    let gender = |cell: &str| {
        valid(v().validate(row(vec![
            text(Field::Email, "Email", "a@x.com"),
            text(Field::Gender, "Gender", cell),
        ])))
    };
    // What exports write: letters (vCard's M/F), words, other languages.
    for (cell, sent) in [
        ("M", "male"),
        (" f ", "female"),
        ("Male", "male"),
        ("FEMALE", "female"),
        ("man", "male"),
        ("Woman", "female"),
        ("Männlich", "male"),
        ("weiblich", "female"),
        ("Homme", "male"),
        ("féminin", "female"),
        ("Masculino", "male"),
        ("mujer", "female"),
    ] {
        let r = gender(cell);
        assert_eq!(r.contact.gender.as_deref(), Some(sent), "{cell:?}");
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }
    // Outlook writes "Unspecified" for everyone: an empty cell, neither sent nor named.
    for cell in ["Unspecified", "Unknown", "U", "n/a", "-"] {
        let r = gender(cell);
        assert_eq!(r.contact.gender, None, "{cell:?}");
        assert!(r.warnings.is_empty(), "{cell:?}: {:?}", r.warnings);
    }
    // Anything else would be a guess at what HighLevel takes: left out and named.
    // Spanish H/M (hombre/mujer): M would be read as male, so the men's rows say so.
    let r = gender("H");
    assert_eq!(r.contact.gender, None);
    assert!(
        r.warnings[0].contains("in a Spanish column of H and M (hombre/mujer) M means female"),
        "{:?}",
        r.warnings
    );
    for cell in ["Non-binary", "X", "1", "true"] {
        let r = gender(cell);
        assert_eq!(r.contact.gender, None, "{cell:?}");
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        assert!(
            r.warnings[0].contains("left out: not read as male or female"),
            "{:?}",
            r.warnings
        );
    }
}

#[test]
fn the_key_decides_whether_a_row_is_sent() {
    // A malformed email is the contact's identity: the row is invalid, phone or not.
    let msgs = invalid(v().validate(row(vec![
        text(Field::Email, "Email", "mia.jones@example"),
        text(Field::Phone, "Phone", "(646) 555-0111"),
    ])));
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    // Several emails: a bad first one gives way to the cell's next (the same person's).
    let r = valid(v().validate(row(vec![text(Field::Email, "Email", "nope, b@x.com")])));
    assert_eq!(r.contact.email.as_deref(), Some("b@x.com"));
    // Without an email, an unusable phone leaves no key.
    let msgs = invalid(v().validate(row(vec![text(Field::Phone, "Phone", "6.14123E+10")])));
    assert_eq!(
        msgs,
        ["column 'Phone': \"6.14123E+10\": Excel turned it into a number and lost its last digits; format the column as text in the spreadsheet and export again"]
    );
}

#[test]
fn a_north_american_number_whose_area_code_starts_with_0_or_1_is_never_sent() {
    let r = valid(v().validate(row(vec![
        text(Field::Email, "Email", "a@x.com"),
        text(Field::Phone, "Phone", "04 50 11 22 33"),
    ])));
    assert_eq!(r.contact.phone, None);
    assert_eq!(
        r.warnings,
        ["column 'Phone': \"04 50 11 22 33\" left out: not a valid phone number (no North American area code starts with 0; default country US)"]
    );
    // The same number with its country is French and sent.
    let r = valid(v().validate(row(vec![
        text(Field::Email, "Email", "a@x.com"),
        text(Field::Phone, "Phone", "04 50 11 22 33"),
        text(Field::Country, "Country", "France"),
    ])));
    assert_eq!(r.contact.phone.as_deref(), Some("+33450112233"));
}

#[test]
fn a_number_that_would_not_read_back_as_itself_is_not_sent() {
    // Found by proptest: Brazil's carrier-code rule took two digits, and +5500000001 is no
    // number at all.
    let r = valid(v().validate(row(vec![
        text(Field::Email, "Email", "a@x.com"),
        text(Field::Phone, "Phone", "+550000000001"),
    ])));
    assert_eq!(r.contact.phone, None);
    assert!(
        r.warnings[0].contains("does not read back as itself"),
        "{:?}",
        r.warnings
    );
}

#[test]
fn phones_as_real_exports_write_them() {
    let phone = |cell: &str| {
        let r = valid(v().validate(row(vec![
            text(Field::Email, "Email", "a@x.com"),
            text(Field::Phone, "Phone", cell),
        ])));
        (r.contact.phone, r.warnings)
    };
    let clean = |p: &str| (Some(p.to_owned()), Vec::<String>::new());
    assert_eq!(phone("'(617) 482-1934   "), clean("+16174821934"));
    assert_eq!(phone("'+65 8915 9826 (Work)"), clean("+6589159826"));
    assert_eq!(phone("tel:+1-415-555-2671"), clean("+14155552671"));
    // An extension is not sent, and said so.
    let ext = |e: &str| {
        (
            Some("+12127363100".to_owned()),
            vec![format!(
                "column 'Phone': extension {e:?} not sent (HighLevel's phone field has none)"
            )],
        )
    };
    assert_eq!(phone("tel:+1-212-736-3100;ext=12"), ext("ext=12"));
    assert_eq!(phone("(212) 736-3100 ext. 12"), ext("ext. 12"));
    assert_eq!(phone("212-736-3100 x12"), ext("x12"));
    assert_eq!(
        phone("+41 31 928 09 60 ::: +41 79 264 88 66"),
        (
            Some("+41319280960".into()),
            vec!["column 'Phone': also holds \"+41 79 264 88 66\", not imported (HighLevel stores one phone)".into()]
        )
    );
    assert_eq!(
        phone("(212) 736-3100, (617) 482-1934"),
        (
            Some("+12127363100".into()),
            vec!["column 'Phone': also holds \"(617) 482-1934\", not imported (HighLevel stores one phone)".into()]
        )
    );
    // Fictional 555 numbers: possible, not valid in the bundled metadata; sent with a warning.
    let (p, w) = phone("(555) 555-0123");
    assert_eq!(p.as_deref(), Some("+15555550123"));
    assert_eq!(
        w,
        ["column 'Phone': \"(555) 555-0123\" sent as +15555550123, but the bundled phone metadata does not know that range (new or fictional); check it"]
    );
    // A local number without its area code is no one's number (`+15551234`): left out, so
    // the people who share it in a file are not merged into one contact.
    for local in ["555-1234", "555 1234", "5551234", "+1 555 1234", "456-7890"] {
        let (p, w) = phone(local);
        assert_eq!(p, None, "{local}");
        assert_eq!(
            w,
            [format!("column 'Phone': {local:?} left out: not a valid phone number (a North American number has 10 digits with its area code; this one has 7: add the area code; default country US)")]
        );
    }
    // Ofcom's drama range: a UK mobile that is possible but never valid.
    let (p, w) = phone("+44 7700 900123");
    assert_eq!((p.as_deref(), w.len()), (Some("+447700900123"), 1));
    let (p, w) = phone("6.14123E+10");
    assert_eq!(p, None);
    assert_eq!(
        w,
        ["column 'Phone': \"6.14123E+10\" left out: Excel turned it into a number and lost its last digits; format the column as text in the spreadsheet and export again"]
    );
    // --phone-check valid keeps the strict rule.
    let strict_phones = Validator::new(ValidationOptions {
        phone_check: PhoneCheck::Valid,
        ..opts()
    })
    .unwrap();
    let r = valid(strict_phones.validate(row(vec![
        text(Field::Email, "Email", "a@x.com"),
        text(Field::Phone, "Phone", "(555) 555-0123"),
    ])));
    assert_eq!(r.contact.phone, None);
    assert!(r.warnings[0].contains("left out"), "{:?}", r.warnings);
    invalid(strict_phones.validate(row(vec![text(Field::Phone, "Phone", "(555) 555-0123")])));
}

#[test]
fn a_column_order_reads_dates_that_read_both_ways() {
    let mut t = date_order::Tally::default();
    t.see("31/12/1990");
    assert_eq!(t.order(), Some(DateOrder::DayFirst));
    let mut val = v();
    val.set_date_orders(ColumnHints::from_pairs([(
        "Birthday".to_owned(),
        DateOrder::DayFirst,
    )]));
    let dob = |val: &Validator, col: &str| {
        valid(val.validate(row(vec![
            text(Field::Email, "Email", "a@x.com"),
            text(Field::DateOfBirth, col, "03/04/1985"),
        ])))
        .contact
        .date_of_birth
    };
    assert_eq!(dob(&val, "Birthday").as_deref(), Some("1985-04-03"));
    assert_eq!(dob(&val, "Other"), None);
    assert_eq!(dob(&v(), "Birthday"), None);
    // Placeholders for "no date" are empty cells, not bad ones.
    let r = valid(v().validate(row(vec![
        text(Field::Email, "Email", "a@x.com"),
        text(Field::DateOfBirth, "Birthday", "0/0/00"),
    ])));
    assert_eq!((r.contact.date_of_birth, r.warnings.len()), (None, 0));
}

#[test]
fn tags_are_deduplicated_ignoring_case_in_every_script() {
    let reference = |tags: &[&str]| {
        let mut seen = std::collections::HashSet::new();
        let mut v: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
        v.retain(|t| !t.is_empty() && seen.insert(t.to_lowercase()));
        v
    };
    let cases: &[&[&str]] = &[
        &["vip", "VIP", "", "lead", "Vip", "LEAD", "new"],
        &["customer", "VIP", "Customer"],
        &["k", "\u{212A}", "K"],
        &["Straße", "STRASSE", "straße", "a"],
        &["", ""],
        &[],
    ];
    for tags in cases {
        let mut got: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
        super::dedup_tags(&mut got);
        assert_eq!(got, reference(tags), "{tags:?}");
    }
    let many: Vec<String> = (0..40).map(|i| format!("T{}", i % 7)).collect();
    let mut got = many.clone();
    super::dedup_tags(&mut got);
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_eq!(got, reference(&refs));
}

#[test]
fn region_table_agrees_with_the_region_parser() {
    let mut codes: Vec<String> = Vec::new();
    for a in 'A'..='Z' {
        for b in 'A'..='Z' {
            codes.push(format!("{a}{b}"));
            codes.push(format!("{a}{b}").to_lowercase());
        }
    }
    codes.extend(["", "U", "USA", "001", "É1", "U\u{A0}"].map(String::from));
    for code in &codes {
        assert_eq!(region_of(code), Region::from_str(code).ok(), "{code:?}");
    }
}

#[test]
fn a_phone_extension_is_named_not_dropped_silently() {
    for (cell, ext) in [
        ("(415) 555-2671 ext. 204", "ext. 204"),
        ("+1 415 555 2671 #3", "#3"),
        ("415-555-2671 x12", "x12"),
    ] {
        let r = valid(v().validate(row(vec![text(Field::Phone, "Phone", cell)])));
        assert_eq!(r.contact.phone.as_deref(), Some("+14155552671"), "{cell}");
        assert_eq!(
            r.warnings,
            [format!(
                "column 'Phone': extension {ext:?} not sent (HighLevel's phone field has none)"
            )],
            "{cell}"
        );
    }
    let r = valid(v().validate(row(vec![text(Field::Phone, "Phone", "(415) 555-2671")])));
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

fn with_spares<'a>(values: Vec<MappedValue<'a>>, spares: Vec<MappedValue<'a>>) -> MappedRow<'a> {
    MappedRow {
        spares,
        ..row(values)
    }
}

#[test]
fn a_good_first_email_and_phone_name_each_backup_without_counting_it_left_out() {
    let r = with_spares(
        vec![
            text(Field::Email, "Email", "ann@x.com"),
            text(Field::Phone, "Phone Number", "+1 617-555-0143"),
        ],
        vec![
            text(Field::Email, "Work email", "ann@work.com"),
            text(Field::Phone, "Mobile Phone Number", "+1 415-555-0199"),
            text(Field::Phone, "WhatsApp Phone Number", "not a phone"),
        ],
    );
    // --strict too: nothing was wrong with the backups.
    for validator in [v(), strict()] {
        let ok = valid(validator.validate(r.clone()));
        assert_eq!(ok.contact.email.as_deref(), Some("ann@x.com"));
        assert_eq!(ok.contact.phone.as_deref(), Some("+16175550143"));
        assert_eq!(
            ok.warnings,
            [
                r#"column 'Work email': "ann@work.com" not imported: the row's email comes from 'Email' (HighLevel stores one email)"#,
                r#"column 'Mobile Phone Number': "+1 415-555-0199" not imported: the row's phone comes from 'Phone Number' (HighLevel stores one phone)"#,
                r#"column 'WhatsApp Phone Number': "not a phone" not imported: the row's phone comes from 'Phone Number' (HighLevel stores one phone)"#,
            ]
        );
        assert!(ok.warnings.iter().all(|w| left_out_column(w).is_none()));
    }
}

#[test]
fn a_bad_first_email_or_phone_gives_way_to_the_first_valid_backup() {
    let r = with_spares(
        vec![
            text(Field::Email, "Email", "bob@example"),
            text(Field::Phone, "Phone Number", "6.14123E+10"),
        ],
        vec![
            text(Field::Email, "Work email", "also bad"),
            text(Field::Email, "Private e-mail address", "bob@work.com"),
            text(Field::Email, "Other email", "bob@home.com"),
            text(Field::Phone, "Mobile Phone Number", "+1 415-555-0199"),
            text(Field::Phone, "WhatsApp Phone Number", "+1 415-555-0134"),
        ],
    );
    let ok = valid(v().validate(r.clone()));
    assert_eq!(ok.contact.email.as_deref(), Some("bob@work.com"));
    assert_eq!(ok.contact.phone.as_deref(), Some("+14155550199"));
    let left_out: Vec<_> = ok
        .warnings
        .iter()
        .filter_map(|w| left_out_column(w))
        .collect();
    assert_eq!(left_out, ["Email", "Work email", "Phone Number"]);
    let says = |column: &str, what: &str| {
        ok.warnings
            .iter()
            .any(|w| w.starts_with(&format!("column '{column}': ")) && w.contains(what))
    };
    assert!(says(
        "Email",
        "; the row's email was taken from 'Private e-mail address' instead"
    ));
    assert!(says(
        "Work email",
        "; the row's email was taken from 'Private e-mail address' instead"
    ));
    assert!(says(
        "Phone Number",
        "; the row's phone was taken from 'Mobile Phone Number' instead"
    ));
    assert!(says(
        "Other email",
        "not imported: the row's email comes from 'Private e-mail address'"
    ));
    assert!(says(
        "WhatsApp Phone Number",
        "not imported: the row's phone comes from 'Mobile Phone Number'"
    ));
    assert_eq!(ok.warnings.len(), 5, "{:?}", ok.warnings);
    // --strict: a bad cell still rejects the row.
    assert!(!invalid(strict().validate(r)).is_empty());
}

#[test]
fn without_a_valid_backup_a_bad_first_email_still_makes_the_row_invalid() {
    // The backup tried is named too, so that one pass fixes the file.
    let plain = row(vec![text(Field::Email, "Email", "bob@example")]);
    let backed = with_spares(
        plain.values.clone(),
        vec![text(Field::Email, "Work email", "also bad")],
    );
    let mut expected = invalid(v().validate(plain));
    expected.push(
        "column 'Work email': \"also bad\" is not a valid email address (contains spaces)".into(),
    );
    assert_eq!(invalid(v().validate(backed)), expected);
    // A phone alone: with no valid backup the row has no key, as without backups.
    let plain = row(vec![text(Field::Phone, "Phone", "12")]);
    let backed = with_spares(
        plain.values.clone(),
        vec![text(Field::Phone, "Mobile", "34")],
    );
    let mut expected = invalid(v().validate(plain));
    expected.push("column 'Mobile': \"34\" is not a valid phone number (wrong number of digits; default country US)".into());
    assert_eq!(invalid(v().validate(backed)), expected);
    // A valid backup phone is the row's key.
    let backed = with_spares(
        vec![text(Field::Phone, "Phone", "12")],
        vec![text(Field::Phone, "Mobile", "+1 415-555-0199")],
    );
    let ok = valid(v().validate(backed));
    assert_eq!(ok.contact.phone.as_deref(), Some("+14155550199"));
    assert_eq!(
        ok.warnings
            .iter()
            .filter_map(|w| left_out_column(w))
            .collect::<Vec<_>>(),
        ["Phone"]
    );
}

/// The warnings (or errors) naming `column`.
fn naming<'w>(lines: &'w [String], column: &str) -> Vec<&'w str> {
    let prefix = format!("column '{column}': ");
    lines
        .iter()
        .filter(|w| w.starts_with(&prefix))
        .map(String::as_str)
        .collect()
}

#[test]
fn a_bad_first_value_gives_way_to_the_cells_next_value_before_any_backup_column() {
    // Google's ` ::: `: a local number without its area code, then the person's mobile.
    let r = valid(v().validate(row(vec![
        text(Field::FirstName, "First Name", "Ann"),
        text(Field::Phone, "Phone", "555-0101 ::: +41 79 264 88 66"),
    ])));
    assert_eq!(r.contact.phone.as_deref(), Some("+41792648866"));
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(
        r.warnings[0]
            .starts_with(r#"column 'Phone': "555-0101" left out: not a valid phone number ("#)
            && r.warnings[0]
                .ends_with("; the row's phone was taken from the 2nd value of 'Phone' instead"),
        "{:?}",
        r.warnings
    );
    // Outlook's `;` and Pipedrive's `,`, with or without a phone beside.
    for (cell, phone) in [
        ("info@ ; bob@x.com", None),
        ("bob@x, cy@x.com", Some("+14155552671")),
    ] {
        let mut values = vec![text(Field::Email, "Email", cell)];
        values.extend(phone.map(|p| text(Field::Phone, "Phone", p)));
        let r = valid(v().validate(row(values)));
        let (bad, good) = cell.split_once([';', ',']).unwrap();
        assert_eq!(r.contact.email.as_deref(), Some(good.trim()));
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        assert!(
            r.warnings[0].starts_with(&format!(
                "column 'Email': {:?} left out: not a valid email address (",
                bad.trim()
            )) && r.warnings[0]
                .ends_with("; the row's email was taken from the 2nd value of 'Email' instead"),
            "{:?}",
            r.warnings
        );
    }
    // Before the backup columns, which are then named as unused; the values after the one
    // used are named as a cell's other values always are.
    let r = valid(v().validate(with_spares(
        vec![text(Field::Email, "Email", "a@, b@x ; c@x.com ; d@x.com")],
        vec![text(Field::Email, "Work email", "c@work.com")],
    )));
    assert_eq!(r.contact.email.as_deref(), Some("c@x.com"));
    let left_out: Vec<_> = r
        .warnings
        .iter()
        .filter_map(|w| left_out_column(w))
        .collect();
    assert_eq!(left_out, ["Email", "Email"], "{:?}", r.warnings);
    let about_email = naming(&r.warnings, "Email");
    assert!(about_email.iter().any(|w| w.contains(r#""a@" left out"#)));
    assert!(about_email.iter().any(|w| w.contains(r#""b@x" left out"#)));
    assert_eq!(
        about_email
            .iter()
            .filter(|w| w
                .ends_with("; the row's email was taken from the 3rd value of 'Email' instead"))
            .count(),
        2
    );
    assert!(about_email.contains(
        &r#"column 'Email': also holds "d@x.com", not imported (HighLevel stores one email)"#
    ));
    assert_eq!(
        naming(&r.warnings, "Work email"),
        [
            r#"column 'Work email': "c@work.com" not imported: the row's email comes from the 3rd value of 'Email' (HighLevel stores one email)"#
        ]
    );
    // A backup column's later values are tried before the next backup.
    let r = valid(v().validate(with_spares(
        vec![
            text(Field::Email, "Email", "bob@example"),
            text(Field::Phone, "Phone", "555-0101 ::: 555-0102"),
        ],
        vec![
            text(Field::Email, "Work email", "bob@ ::: bob@work.com"),
            text(Field::Email, "Other email", "bob@home.com"),
            text(Field::Phone, "Mobile", "+1 415-555-0199"),
        ],
    )));
    assert_eq!(r.contact.email.as_deref(), Some("bob@work.com"));
    assert_eq!(r.contact.phone.as_deref(), Some("+14155550199"));
    let instead = |w: &&str, from: &str| w.ends_with(&format!("; the row's {from} instead"));
    let taken = naming(&r.warnings, "Email");
    assert!(
        taken.len() == 1
            && instead(
                &taken[0],
                "email was taken from the 2nd value of 'Work email'"
            )
    );
    let taken = naming(&r.warnings, "Work email");
    assert!(
        taken.len() == 1
            && instead(
                &taken[0],
                "email was taken from the 2nd value of 'Work email'"
            )
    );
    assert!(
        naming(&r.warnings, "Other email")[0].contains("comes from the 2nd value of 'Work email'")
    );
    let taken = naming(&r.warnings, "Phone");
    assert!(
        taken.len() == 2
            && taken
                .iter()
                .all(|w| instead(w, "phone was taken from 'Mobile'")),
        "{taken:?}"
    );
    // --strict: the row is rejected, its error naming the value that would stand in.
    let errors = invalid(strict().validate(row(vec![text(
        Field::Phone,
        "Phone",
        "555-0101 ::: +41 79 264 88 66",
    )])));
    assert!(
        errors.len() == 1 && errors[0].ends_with("; the 2nd value of 'Phone' would stand in for it, but --strict rejects the row: correct this cell, or empty it so that the 2nd value of 'Phone' gives the row's phone"),
        "{errors:?}"
    );
}

#[test]
fn every_email_and_phone_tried_and_not_valid_is_named_when_none_stands_in() {
    // The email keys the row: both phones are left out, and both named.
    let r = valid(v().validate(with_spares(
        vec![
            text(Field::Email, "Email", "a@x.com"),
            text(Field::Phone, "Phone", "33123456789"),
        ],
        vec![text(Field::Phone, "Mobile Phone", "0612345678")],
    )));
    let left_out: Vec<_> = r
        .warnings
        .iter()
        .filter_map(|w| left_out_column(w))
        .collect();
    assert_eq!(left_out, ["Phone", "Mobile Phone"], "{:?}", r.warnings);
    assert!(naming(&r.warnings, "Mobile Phone")[0].starts_with(
        r#"column 'Mobile Phone': "0612345678" left out: not a valid phone number ("#
    ));
    // A row not sent names every bad email, so that one pass fixes the file.
    let errors = invalid(v().validate(with_spares(
        vec![
            text(Field::Email, "Email", "bad@x ; worse@"),
            text(Field::Phone, "Phone", "+14155552671"),
        ],
        vec![text(Field::Email, "Work email", "also@bad")],
    )));
    assert_eq!(errors.len(), 3, "{errors:?}");
    for (e, start) in errors.iter().zip([
        r#"column 'Email': "bad@x" is not a valid email address ("#,
        r#"column 'Email': "worse@" is not a valid email address ("#,
        r#"column 'Work email': "also@bad" is not a valid email address ("#,
    ]) {
        assert!(e.starts_with(start), "{errors:?}");
    }
    // And every bad phone, when the phone was its key.
    let errors = invalid(v().validate(with_spares(
        vec![text(Field::Phone, "Phone", "12 ::: 555-0101")],
        vec![text(Field::Phone, "Mobile", "34")],
    )));
    let named: Vec<_> = errors
        .iter()
        .map(|e| e.split(" is ").next().unwrap())
        .collect();
    assert_eq!(
        named,
        [
            r#"column 'Phone': "12""#,
            r#"column 'Phone': "555-0101""#,
            r#"column 'Mobile': "34""#
        ]
    );
}

#[test]
fn a_bad_backup_of_an_empty_email_cell_leaves_the_row_to_its_phone() {
    // HubSpot's `Work email` standing in for an empty `Email`.
    let backup = |phone: Option<&'static str>| MappedRow {
        email_is_backup: true,
        ..row(std::iter::once(text(Field::Email, "Work email", "bad@x"))
            .chain(phone.map(|p| text(Field::Phone, "Phone", p)))
            .collect())
    };
    let r = valid(v().validate(backup(Some("+14155552671"))));
    assert_eq!(r.contact.email, None);
    assert_eq!(r.contact.phone.as_deref(), Some("+14155552671"));
    assert!(
        r.warnings.len() == 1
            && r.warnings[0].starts_with(
                r#"column 'Work email': "bad@x" left out: not a valid email address ("#
            )
            && r.warnings[0]
                .ends_with("; the row's own email cell is empty, so the row was sent by its phone"),
        "{:?}",
        r.warnings
    );
    assert_eq!(left_out_column(&r.warnings[0]), Some("Work email"));
    // --strict rejects it, saying why.
    let errors = invalid(strict().validate(backup(Some("+14155552671"))));
    assert!(
        errors.len() == 1 && errors[0].ends_with("its phone would key it, but --strict rejects the row: correct this cell, or empty it"),
        "{errors:?}"
    );
    // Without a usable phone nothing keys the row: both cells are named.
    let errors = invalid(v().validate(backup(Some("12"))));
    assert_eq!(naming(&errors, "Phone").len(), 1, "{errors:?}");
    assert!(naming(&errors, "Work email")[0].contains(r#""bad@x" is not a valid email address ("#));
    assert_eq!(errors.len(), 2, "{errors:?}");
    let errors = invalid(v().validate(backup(None)));
    assert!(errors.len() == 1 && errors[0].starts_with(r#"column 'Work email': "bad@x" is not"#));
    // The row's own malformed email is its identity, as before: the phone does not save it.
    let own = row(vec![
        text(Field::Email, "Email", "bad@x"),
        text(Field::Phone, "Phone", "+14155552671"),
    ]);
    assert_eq!(invalid(v().validate(own)).len(), 1);
    // Nor when the row's own email cell could not be read.
    let mut unreadable = backup(Some("+14155552671"));
    let e = crate::validation::left_out(Some("Email"), "z\u{FFFD}@x.com", "it is not valid UTF-8");
    unreadable
        .cell_errors
        .push((Target::Field(Field::Email), e));
    assert_eq!(invalid(v().validate(unreadable)).len(), 2);
}

#[test]
fn an_extension_is_named_but_never_rejects_a_row_even_under_strict() {
    let strict = Validator::new(ValidationOptions {
        strict: true,
        ..opts()
    })
    .unwrap();
    let r = valid(strict.validate(row(vec![
        text(Field::Email, "Email", "a@x.com"),
        text(Field::Phone, "Phone", "(415) 555-2671 ext 12"),
    ])));
    assert_eq!(
        r.warnings,
        ["column 'Phone': extension \"ext 12\" not sent (HighLevel's phone field has none)"]
    );
    // A label or a lone x after the number is no extension.
    for cell in ["415-555-2671 # Mobile", "415-555-2671 x"] {
        let r = valid(v().validate(row(vec![text(Field::Phone, "Phone", cell)])));
        assert!(r.warnings.is_empty(), "{cell}: {:?}", r.warnings);
    }
}

#[test]
fn an_unreadable_first_email_gives_way_to_a_backup_that_gave_the_row_its_email() {
    let e = crate::validation::left_out(Some("Email"), "z\u{FFFD}@x.com", "it is not valid UTF-8");
    let mut with_backup = row(vec![text(Field::Email, "Email 2", "b@x.com")]);
    with_backup
        .cell_errors
        .push((Target::Field(Field::Email), e.clone()));
    let r = valid(v().validate(with_backup));
    assert_eq!(r.contact.email.as_deref(), Some("b@x.com"));
    assert_eq!(
        r.warnings,
        [format!(
            "{e}; the row's email was taken from 'Email 2' instead"
        )]
    );
    // Nothing else gives it an email: the row is invalid, as before.
    let mut alone = row(vec![text(Field::Phone, "Phone", "+1 415 555 2671")]);
    alone
        .cell_errors
        .push((Target::Field(Field::Email), e.clone()));
    assert_eq!(invalid(v().validate(alone)), [e.to_string()]);
}

#[test]
fn a_name_split_on_a_guess_is_named_in_the_warnings_and_never_rejects_a_row_even_under_strict() {
    let note = RowError::new(
        Some("Full Name"),
        r#""Cher" split on a guess: first name "Cher"; check it"#,
    );
    let r = MappedRow {
        notes: vec![note.clone()],
        ..row(vec![
            text(Field::Email, "Email", "cher@example.com"),
            text(Field::FirstName, "Full Name", "Cher"),
        ])
    };
    for validator in [v(), strict()] {
        let ok = valid(validator.validate(r.clone()));
        assert_eq!(ok.contact.first_name.as_deref(), Some("Cher"));
        assert_eq!(ok.warnings, [note.to_string()]);
        assert!(ok.warnings.iter().all(|w| left_out_column(w).is_none()));
    }
}

#[test]
fn a_two_digit_year_of_birth_is_read_in_the_past_and_named_with_the_year_chosen() {
    let dob = |validator: &Validator, cell: &str| {
        validator.validate(row(vec![
            text(Field::Email, "Email", "a@x.com"),
            text(Field::DateOfBirth, "Birthday", cell),
        ]))
    };
    let r = valid(dob(&v(), "1/31/62"));
    assert_eq!(r.contact.date_of_birth.as_deref(), Some("1962-01-31"));
    assert_eq!(
        r.warnings,
        [
            r#"column 'Birthday': "1/31/62" has a two-digit year, read as 1962 (a date of birth is in the past); check it"#
        ]
    );
    assert_eq!(left_out_column(&r.warnings[0]), None);
    let r = valid(dob(&v(), "3-Apr-85"));
    assert_eq!(r.contact.date_of_birth.as_deref(), Some("1985-04-03"));
    assert!(r.warnings[0].contains("read as 1985"), "{:?}", r.warnings);
    // A year written in full is no guess.
    for cell in ["1/31/1962", "1962-01-31", "3 Apr 1985", "31140", "0/0/00"] {
        assert!(valid(dob(&v(), cell)).warnings.is_empty(), "{cell}");
    }
    // --strict: a value sent with a caveat rejects the row.
    let errors = invalid(dob(&strict(), "1/31/62"));
    assert!(errors[0].contains("two-digit year"), "{errors:?}");
}

#[test]
fn under_strict_a_bad_first_email_or_phone_says_which_column_would_have_stood_in() {
    let r = with_spares(
        vec![
            text(Field::Email, "Email", "bob@example"),
            text(Field::Phone, "Phone Number", "6.14123E+10"),
        ],
        vec![
            text(Field::Email, "Work email", "bob@work.com"),
            text(Field::Phone, "Mobile Phone Number", "+1 415-555-0199"),
        ],
    );
    let errors = invalid(strict().validate(r));
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].starts_with(r#"column 'Email': "bob@example" left out: not a valid email address ("#)
            && errors[0].ends_with("; 'Work email' would stand in for it, but --strict rejects the row: correct this cell, or empty it so that 'Work email' gives the row's email"),
        "{errors:?}"
    );
    assert!(
        errors[1].starts_with(r#"column 'Phone Number': "6.14123E+10" left out: Excel turned it"#)
            && errors[1].ends_with("; 'Mobile Phone Number' would stand in for it, but --strict rejects the row: correct this cell, or empty it so that 'Mobile Phone Number' gives the row's phone"),
        "{errors:?}"
    );
}

#[test]
fn an_unreadable_first_email_or_phone_names_the_column_that_stood_in_for_it() {
    let bad_phone =
        crate::validation::left_out(Some("Phone"), "415\u{FFFD}555", "it is not valid UTF-8");
    let cells = || {
        let mut r = row(vec![
            text(Field::Email, "Email", "a@x.com"),
            text(Field::Phone, "Mobile", "+1 415 555 2671"),
        ]);
        r.cell_errors
            .push((Target::Field(Field::Phone), bad_phone.clone()));
        r
    };
    let r = valid(v().validate(cells()));
    assert_eq!(r.contact.phone.as_deref(), Some("+14155552671"));
    assert_eq!(
        r.warnings,
        [format!(
            "{bad_phone}; the row's phone was taken from 'Mobile' instead"
        )]
    );
    assert_eq!(left_out_column(&r.warnings[0]), Some("Phone"));
    assert_eq!(
        invalid(strict().validate(cells())),
        [format!("{bad_phone}; 'Mobile' would stand in for it, but --strict rejects the row: correct this cell, or empty it so that 'Mobile' gives the row's phone")]
    );
    // No other column gives the row a phone: named as it was.
    let mut alone = row(vec![text(Field::Email, "Email", "a@x.com")]);
    alone
        .cell_errors
        .push((Target::Field(Field::Phone), bad_phone.clone()));
    assert_eq!(valid(v().validate(alone)).warnings, [bad_phone.to_string()]);
    // An unreadable email under --strict, the same.
    let bad_email =
        crate::validation::left_out(Some("Email"), "z\u{FFFD}@x.com", "it is not valid UTF-8");
    let mut r = row(vec![text(Field::Email, "Email 2", "b@x.com")]);
    r.cell_errors
        .push((Target::Field(Field::Email), bad_email.clone()));
    assert_eq!(
        invalid(strict().validate(r)),
        [format!("{bad_email}; 'Email 2' would stand in for it, but --strict rejects the row: correct this cell, or empty it so that 'Email 2' gives the row's email")]
    );
}

/// The byte searches in `left_out_column` read a warning as `split_once` and `contains` do.
#[test]
fn left_out_column_reads_warnings_as_the_str_methods_do() {
    fn slow(w: &str) -> Option<&str> {
        let rest = w.strip_prefix("column '")?;
        let (column, message) = rest.split_once("': ")?;
        message.contains(" left out: ").then_some(column)
    }
    let pieces = [
        "column '",
        "'",
        ": ",
        "': ",
        " left out: ",
        " left out:",
        "left out",
        "a",
        "é",
        " ",
    ];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..20_000 {
        let w: String = (0..next() % 8)
            .map(|_| pieces[(next() % pieces.len() as u64) as usize])
            .collect();
        assert_eq!(left_out_column(&w), slow(&w), "{w:?}");
    }
    let made = left_out(Some("a': b"), "x", "why").into_line();
    assert_eq!(left_out_column(&made), slow(&made));
}

#[test]
fn an_owner_email_is_not_sent_as_a_user_id() {
    let r = valid(v().validate(row(vec![
        text(Field::Email, "Email", "ann@example.com"),
        text(Field::AssignedTo, "Assigned To", "joe@agency.com"),
    ])));
    assert_eq!(r.contact.assigned_to, None);
    assert_eq!(
        r.warnings,
        ["column 'Assigned To': \"joe@agency.com\" left out: not a valid assignedTo: an email, where HighLevel wants an id (a user's id is under Settings → My Staff)"]
    );
    let r = valid(v().validate(row(vec![
        text(Field::Email, "Email", "ann@example.com"),
        text(Field::AssignedTo, "Assigned To", "ve9EPM428h8vShlRW1KT"),
    ])));
    assert_eq!(
        r.contact.assigned_to.as_deref(),
        Some("ve9EPM428h8vShlRW1KT")
    );
}

#[test]
fn a_spreadsheet_formula_is_left_out_not_sent_as_a_name() {
    let r = valid(v().validate(row(vec![
        text(Field::Email, "Email", "ann@example.com"),
        text(
            Field::FirstName,
            "First Name",
            "=HYPERLINK(\"http://x.example\",\"Ann\")",
        ),
        text(Field::City, "City", "=A2"),
        text(Field::LastName, "Last Name", "= Lee"),
    ])));
    assert_eq!(r.contact.first_name, None);
    assert_eq!(r.contact.city, None);
    // Not a formula: kept as written.
    assert_eq!(r.contact.last_name.as_deref(), Some("= Lee"));
    assert_eq!(
        r.warnings,
        [
            "column 'First Name': \"=HYPERLINK(\\\"http://x.example\\\",\\\"Ann\\\")\" left out: a spreadsheet formula, not a value (in the spreadsheet, copy the column and paste it as values)",
            "column 'City': \"=A2\" left out: a spreadsheet formula, not a value (in the spreadsheet, copy the column and paste it as values)",
        ]
    );
}

#[test]
fn invisible_and_typographic_characters_in_phones_and_emails_do_not_cost_the_contact() {
    // Each as a web page, a chat app, a word processor or a Japanese keyboard writes it.
    let phones = [
        "+1\u{A0}415\u{A0}555\u{A0}2671",
        "+1 415\u{202F}555\u{202F}2671",
        "\u{FEFF}(415) 555-2671",
        "\u{200E}+1 415 555 2671\u{200F}",
        "\u{202A}+1\u{200B}415\u{200C}555\u{200D}2671\u{202C}",
        "\u{2066}415\u{2060}555 2671\u{2069}",
        "415\u{2010}555\u{2011}2671",
        "415\u{2013}555\u{2014}2671",
        "\u{2212}415\u{2212}555\u{2212}2671",
        "＋１ ４１５ ５５５ ２６７１",
        "＋1 415 555 2671",
    ];
    for p in phones {
        // Without an email the phone is the row's key: the whole contact hung on it.
        let r = valid(v().validate(row(vec![text(Field::Phone, "Phone", p)])));
        assert_eq!(r.contact.phone.as_deref(), Some("+14155552671"), "{p:?}");
        assert!(r.warnings.is_empty(), "{p:?}: {:?}", r.warnings);
    }
    // A backup column is read the same way.
    let r = valid(v().validate(with_spares(
        vec![text(Field::Phone, "Phone", "n/a")],
        vec![text(Field::Phone, "Mobile", "415\u{A0}555\u{A0}2671")],
    )));
    assert_eq!(r.contact.phone.as_deref(), Some("+14155552671"));
    let emails = [
        "\u{FEFF}ann@example.com",
        "ann@example.com\u{A0}",
        "\u{A0}ann@example.com",
        "ann@exam\u{200B}ple.com",
        "\u{200E}ann@example.com",
        "\u{202B}ann@example.com\u{202C}",
        "ann\u{2060}@example.com",
        "'\u{200B}ann@example.com",
    ];
    for e in emails {
        let r = valid(v().validate(row(vec![text(Field::Email, "Email", e)])));
        assert_eq!(r.contact.email.as_deref(), Some("ann@example.com"), "{e:?}");
        assert_eq!(
            normalise_email(e).as_deref(),
            Ok("ann@example.com"),
            "{e:?}"
        );
    }
    // Anything else non-ASCII is judged as before: a space inside an address is one.
    assert!(normalise_email("ann\u{A0}lee@example.com").is_err());
    assert_eq!(
        normalise_email("zoë@exämple.de").as_deref(),
        Ok("zoë@exämple.de")
    );
}

#[test]
fn a_phone_read_in_the_default_country_because_the_row_country_is_unreadable_says_so() {
    let r = valid(v().validate(row(vec![
        text(Field::Email, "Email", "hans@example.de"),
        text(Field::Country, "Land", "Germania"),
        text(Field::Phone, "Phone", "(415) 555-2671"),
    ])));
    assert_eq!(r.contact.phone.as_deref(), Some("+14155552671"));
    assert!(
        r.warnings.iter().any(|w| w.starts_with("column 'Phone': \"(415) 555-2671\" has no country code and was read in the default country US because the row's country ('Land': \"Germania\") could not be read")),
        "{:#?}",
        r.warnings
    );
    // A number with its own country code needs no country: nothing to say.
    let r = valid(v().validate(row(vec![
        text(Field::Email, "Email", "hans@example.de"),
        text(Field::Country, "Land", "Germania"),
        text(Field::Phone, "Phone", "+49 30 1234567"),
    ])));
    assert!(
        !r.warnings.iter().any(|w| w.contains("default country")),
        "{:#?}",
        r.warnings
    );
    // Nor does a readable country, now also as an alpha-3 code.
    let r = valid(v().validate(row(vec![
        text(Field::Email, "Email", "hans@example.de"),
        text(Field::Country, "Land", "DEU"),
        text(Field::Phone, "Phone", "030 1234567"),
    ])));
    assert_eq!(
        (r.contact.country.as_deref(), r.contact.phone.as_deref()),
        (Some("DE"), Some("+49301234567"))
    );
    assert!(r.warnings.is_empty(), "{:#?}", r.warnings);
}

#[test]
fn dotted_dates_in_a_month_first_column_are_read_day_first_and_each_guess_is_named() {
    let mut t = date_order::Tally::default();
    for cell in ["3.4.1985", "12/31/1980", "04.05.1990", "31.12.1970"] {
        t.see(cell);
    }
    let mut hints = ColumnHints::default();
    hints.add("Birthday", &t);
    let mut val = v();
    val.set_date_orders(hints);
    let read = |cell: &str| {
        let r = valid(val.validate(row(vec![
            text(Field::Email, "Email", "a@x.com"),
            text(Field::DateOfBirth, "Birthday", cell),
        ])));
        (r.contact.date_of_birth, r.warnings)
    };
    // 31.12.1970 is evidence: the dotted dates are day-first, nothing guessed.
    assert_eq!(read("3.4.1985"), (Some("1985-04-03".into()), vec![]));
    assert_eq!(read("12/31/1980"), (Some("1980-12-31".into()), vec![]));
    // Without evidence, day-first is dots' usual order: each date read so is named.
    let mut t = date_order::Tally::default();
    for cell in ["3.4.1985", "12/31/1980", "04.05.1990"] {
        t.see(cell);
    }
    let mut hints = ColumnHints::default();
    hints.add("Birthday", &t);
    let mut val = v();
    val.set_date_orders(hints);
    let r = valid(val.validate(row(vec![
        text(Field::Email, "Email", "a@x.com"),
        text(Field::DateOfBirth, "Birthday", "04.05.1990"),
    ])));
    assert_eq!(r.contact.date_of_birth.as_deref(), Some("1990-05-04"));
    assert_eq!(
        r.warnings,
        ["column 'Birthday': \"04.05.1990\" reads both ways and was read day-first, as dotted dates are almost everywhere (1990-05-04); check it, or set date_format for the column"]
    );
    let r = valid(val.validate(row(vec![
        text(Field::Email, "Email", "a@x.com"),
        text(Field::DateOfBirth, "Birthday", "03/04/1985"),
    ])));
    assert_eq!(r.contact.date_of_birth.as_deref(), Some("1985-03-04"));
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

/// The one pass over a phone cell answers as the checks did one by one: the first reason
/// that applies, `00` (and only a leading one) read as `+`.
#[test]
fn a_phone_cell_failing_several_checks_is_given_the_first_reason() {
    let input = |t: &str| phone_input(t, extension_at(t)).map(|i| (*i).to_owned());
    assert_eq!(input("12a+34+5"), Err("unexpected characters; ".into()));
    assert_eq!(input("+1+2"), Err("misplaced '+'; ".into()));
    assert_eq!(input("12+3"), Err("misplaced '+'; ".into()));
    assert_eq!(input(" +12"), Err("wrong number of digits; ".into()));
    assert_eq!(input("x12"), Err(String::new()));
    assert_eq!(input("00 49 30 901820"), Ok("+4930901820".into()));
    assert_eq!(input("(00) 49-30"), Ok("+4930".into()));
    assert_eq!(input("0 049 30 90"), Ok("+493090".into()));
    assert_eq!(input("1 00 49 30"), Ok("1 00 49 30".into()));
    assert_eq!(input("+44 20 7946 0958 x12,"), Ok("+442079460958".into()));
    assert_eq!(input("415 555 2671 ;"), Ok("415 555 2671".into()));
}
