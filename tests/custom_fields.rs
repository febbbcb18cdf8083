//! Custom fields: resolved to the location's ids, values checked against their types and
//! options, the same way by the import and by `validate` with a token.

mod common;

use common::*;

const FILE: &str = "\
Email,contact.lifetime_value,Favourite Colour,contact.interests,contact.signup_date
ok@example.com,\"$1,250.50\",green,\"music, travel\",12/25/2020
money@example.com,lots,,,
colour@example.com,,Purple,,
nokey@example.com,,,,
";

fn mapping(env: &Env) -> std::path::PathBuf {
    env.write(
        "m.toml",
        "[columns]\n\"Favourite Colour\" = { custom_field = \"contact.favourite_colour\" }\n\"contact.interests\" = { custom_field = \"contact.interests\", split = \",\" }\n",
    )
}

#[test]
fn values_are_checked_against_the_location_and_sent_by_id() {
    let env = Env::new();
    let file = env.write("cf.csv", FILE);
    let m = mapping(&env);
    // --strict: a value that does not fit rejects its row.
    let out = env.import(&file, &["--strict", "--mapping", m.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    let statuses: Vec<&str> = report.iter().map(|r| r["status"].as_str()).collect();
    assert_eq!(statuses, ["created", "invalid", "invalid", "created"]);
    assert!(
        report[1]["errors"].contains("contact.lifetime_value")
            && report[1]["errors"].contains("not a number"),
        "{}",
        report[1]["errors"]
    );
    assert!(
        report[2]["errors"].contains("Purple") && report[2]["errors"].contains("favourite_colour"),
        "{}",
        report[2]["errors"]
    );

    let contacts = env.sandbox.contacts(LOCATION);
    assert_eq!(contacts.len(), 2, "invalid rows are never sent");
    let ok = contacts
        .iter()
        .find(|c| c.email.as_deref() == Some("ok@example.com"))
        .unwrap();
    let value = |key: &str| {
        let id = env.sandbox.custom_field_id(LOCATION, key).unwrap();
        ok.custom_fields
            .iter()
            .find(|f| f.id == id)
            .map(|f| f.value.clone())
    };
    assert_eq!(
        value("contact.lifetime_value"),
        Some(serde_json::json!(1250.5))
    );
    assert_eq!(
        value("contact.favourite_colour"),
        Some(serde_json::json!("Green"))
    );
    assert_eq!(
        value("contact.interests"),
        Some(serde_json::json!(["Music", "Travel"]))
    );
    assert_eq!(
        value("contact.signup_date"),
        Some(serde_json::json!("2020-12-25"))
    );
    assert_eq!(
        env.requests_to(&format!("/locations/{LOCATION}/customFields"))
            .len(),
        1,
        "read once"
    );
}

#[test]
fn an_unknown_custom_field_key_is_a_row_error() {
    let env = Env::new();
    let file = env.write(
        "u.csv",
        "Email,contact.shoe_size\na@example.com,44\nb@example.com,\n",
    );
    let out = env.import(&file, &["--strict"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    assert_eq!(report[0]["status"], "invalid");
    assert!(
        report[0]["errors"].contains("contact.shoe_size")
            && report[0]["errors"].contains("no such custom field")
    );
    assert_eq!(
        report[1]["status"], "created",
        "a row without the value is fine"
    );
}

#[test]
fn validate_with_a_token_checks_the_same_way_and_writes_nothing() {
    let env = Env::new();
    let file = env.write("cf.csv", FILE);
    let m = mapping(&env);
    let mut c = env.cmd();
    c.args([
        "validate",
        "--strict",
        "--mapping",
        m.to_str().unwrap(),
        "--report",
    ])
    .arg(env.path("v.csv"))
    .arg(&file);
    let out = c.output().unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = read_report(&env.path("v.csv"));
    let statuses: Vec<&str> = report.iter().map(|r| r["status"].as_str()).collect();
    assert_eq!(statuses, ["valid", "invalid", "invalid", "valid"]);
    let reqs = env.requests();
    assert!(
        reqs.iter().all(|r| r.method == "GET"),
        "validate only reads"
    );
    assert_eq!(reqs.len(), 1);

    // Without a token: offline, and it says what it could not check.
    let mut c = env.cmd();
    c.env_remove("GHL_TOKEN")
        .args(["validate", "--mapping", m.to_str().unwrap(), "--report"])
        .arg(env.path("v2.csv"))
        .arg(&file);
    let out = c.output().unwrap();
    assert!(
        stderr(&out).contains("not checked against the location"),
        "{}",
        stderr(&out)
    );
    let report = read_report(&env.path("v2.csv"));
    assert!(report.iter().all(|r| r["status"] == "valid"));
    assert_eq!(env.requests().len(), 1, "no request without a token");
}

#[test]
fn declared_types_are_checked_offline() {
    let env = Env::new();
    let file = env.write("cf.csv", FILE);
    let m = env.write(
        "typed.toml",
        "[columns]\n\"contact.lifetime_value\" = { custom_field = \"contact.lifetime_value\", type = \"money\" }\n\"Favourite Colour\" = { custom_field = \"contact.favourite_colour\", type = \"select\", options = [\"Red\", \"Green\", \"Blue\"] }\n",
    );
    let mut c = env.cmd();
    c.env_remove("GHL_TOKEN")
        .args([
            "validate",
            "--strict",
            "--mapping",
            m.to_str().unwrap(),
            "--report",
        ])
        .arg(env.path("v.csv"))
        .arg(&file);
    let out = c.output().unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = read_report(&env.path("v.csv"));
    let statuses: Vec<&str> = report.iter().map(|r| r["status"].as_str()).collect();
    assert_eq!(statuses, ["valid", "invalid", "invalid", "valid"]);
    assert!(
        report[1]["errors"].contains("contact.lifetime_value")
            && report[1]["errors"].contains("not a number")
    );
    assert!(report[2]["errors"].contains("Purple"));
    assert!(env.requests().is_empty(), "offline: no request");
    // A bad type name is a mapping error: exit 2.
    let bad = env.write("bad.toml", "[columns]\n\"contact.lifetime_value\" = { custom_field = \"contact.lifetime_value\", type = \"float\" }\n");
    let mut c = env.cmd();
    c.env_remove("GHL_TOKEN")
        .args(["validate", "--mapping", bad.to_str().unwrap()])
        .arg(&file);
    let out = c.output().unwrap();
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("float"), "{}", stderr(&out));
}

#[test]
fn a_value_that_does_not_fit_costs_the_cell_and_validate_says_the_same() {
    let env = Env::new();
    let file = env.write("cf.csv", FILE);
    let m = mapping(&env);
    let mut c = env.cmd();
    c.args(["validate", "--mapping", m.to_str().unwrap(), "--report"])
        .arg(env.path("v.csv"))
        .arg(&file);
    let out = c.output().unwrap();
    assert_eq!(
        code(&out),
        0,
        "cells left out are not failures: {}",
        stderr(&out)
    );
    let out = env.import(&file, &["--mapping", m.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("rows sent with cells left out: 2 (by column: 'Favourite Colour' 1, 'contact.lifetime_value' 1)"),
        "{}",
        stderr(&out)
    );
    let report = read_report(&env.path("report.csv"));
    let rows: Vec<(&str, &str)> = report
        .iter()
        .map(|r| (r["status"].as_str(), r["warnings"].as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("created", ""),
            ("created", "column 'contact.lifetime_value': \"lots\" left out: custom field contact.lifetime_value (MONETORY): \"lots\" is not a number"),
            ("created", "column 'Favourite Colour': \"Purple\" left out: custom field contact.favourite_colour (SINGLE_OPTIONS): \"Purple\" is not one of its options (Red, Green, Blue)"),
            ("created", ""),
        ]
    );
    let v = read_report(&env.path("v.csv"));
    for (a, b) in v.iter().zip(&report) {
        assert_eq!(
            (a["status"].as_str(), &a["warnings"]),
            ("valid", &b["warnings"])
        );
    }
    let money = env
        .sandbox
        .contacts(LOCATION)
        .into_iter()
        .find(|c| c.email.as_deref() == Some("money@example.com"))
        .unwrap();
    assert!(money.custom_fields.is_empty(), "never sent: {money:?}");
    // A key the location lacks costs its cell too.
    let file = env.write("u.csv", "Email,contact.shoe_size\na@example.com,44\n");
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    assert_eq!(
        report[0]["warnings"],
        "column 'contact.shoe_size': \"44\" left out: custom field contact.shoe_size: the location has no such custom field"
    );
}

/// The value `contact` has in the custom field `key`.
fn field_value(
    env: &Env,
    contact: &ghl_import::sandbox::SandboxContact,
    key: &str,
) -> Option<serde_json::Value> {
    let id = env.sandbox.custom_field_id(LOCATION, key).unwrap();
    contact.custom_field(&id).cloned()
}

/// A location that also has a lifecycle stage picklist, as many HubSpot migrations create.
fn with_lifecycle_stage() -> Env {
    use ghl_import::sandbox::{CustomFieldDef, CustomFieldType};
    let mut config = fast_config();
    config.custom_fields.push(
        CustomFieldDef::new(
            "lifecycle_stage",
            "Lifecycle Stage",
            CustomFieldType::SingleOptions,
        )
        .with_options(&["subscriber", "lead", "salesqualifiedlead", "customer"]),
    );
    Env::with(config)
}

#[test]
fn columns_match_the_locations_custom_fields_by_name_and_key_with_a_token() {
    let env = Env::new();
    // By name ("Lifetime Value", "Signup Date") and by key ("favourite_colour").
    let file = env.write(
        "by-name.csv",
        "Email,Lifetime Value,favourite_colour,Signup Date,Shoe Size\nann@example.com,\"$1,250.50\",RED,2020-12-25,44\n",
    );
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("columns matched to the location's custom fields by name or key: 'Lifetime Value' → contact.lifetime_value, 'favourite_colour' → contact.favourite_colour, 'Signup Date' → contact.signup_date"),
        "{err}"
    );
    assert!(err.contains("columns not imported (no matching HighLevel field; map them with --mapping): 'Shoe Size'"), "{err}");
    let ann = env.sandbox.contacts(LOCATION).remove(0);
    let value = |key: &str| field_value(&env, &ann, key);
    assert_eq!(
        value("contact.lifetime_value"),
        Some(serde_json::json!(1250.5))
    );
    assert_eq!(
        value("contact.favourite_colour"),
        Some(serde_json::json!("Red"))
    );
    assert_eq!(
        value("contact.signup_date"),
        Some(serde_json::json!("2020-12-25"))
    );
    assert_eq!(
        env.requests_to(&format!("/locations/{LOCATION}/customFields"))
            .len(),
        1,
        "read once, for matching and checking"
    );
    // validate with a token shows the same matches; without one it cannot.
    let mut c = env.cmd();
    c.args(["validate", "--report"])
        .arg(env.path("v.csv"))
        .arg(&file);
    let out = c.output().unwrap();
    assert!(
        stderr(&out).contains("'Lifetime Value' → contact.lifetime_value"),
        "{}",
        stderr(&out)
    );
    let mut c = env.cmd();
    c.env_remove("GHL_TOKEN")
        .args(["validate", "--report"])
        .arg(env.path("v2.csv"))
        .arg(&file);
    let out = c.output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("columns not imported (no matching HighLevel field; map them with --mapping): 'Lifetime Value', 'favourite_colour', 'Signup Date', 'Shoe Size'"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_presets_stand_in_applies_only_when_the_location_has_no_such_field() {
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples/presets/hubspot-all-properties.csv");
    // The default location has no lifecycle stage field: HubSpot's stage becomes a tag.
    let env = Env::new();
    let out = env.import(&sample, &[]);
    assert!(code(&out) <= 1, "{}", stderr(&out));
    let tagged = env.sandbox.contacts(LOCATION);
    assert!(
        tagged
            .iter()
            .any(|c| c.tags.iter().any(|t| t.eq_ignore_ascii_case("lead"))),
        "{tagged:?}"
    );
    // A location with the field gets the stage there, and no tag.
    let env = with_lifecycle_stage();
    let out = env.import(&sample, &[]);
    assert!(code(&out) <= 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("'Lifecycle Stage' → contact.lifecycle_stage"),
        "{}",
        stderr(&out)
    );
    let contacts = env.sandbox.contacts(LOCATION);
    let staged: Vec<_> = contacts
        .iter()
        .filter_map(|c| field_value(&env, c, "contact.lifecycle_stage"))
        .collect();
    assert!(staged.contains(&serde_json::json!("lead")), "{staged:?}");
    assert!(contacts.iter().all(|c| c.tags.is_empty()), "{contacts:?}");
}

#[test]
fn a_two_digit_year_in_a_date_field_is_named_and_rejected_only_under_strict() {
    let env = Env::new();
    let file = env.write(
        "cf.csv",
        "Email,contact.signup_date\nann@example.com,1/31/95\nbob@example.com,1/31/1995\n",
    );
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    assert_eq!(
        report[0]["warnings"],
        r#"column 'contact.signup_date': "1/31/95" has a two-digit year, read as 1995; check it"#
    );
    assert_eq!(report[1]["warnings"], "");
    let strict_env = Env::new();
    let out = strict_env.import(&file, &["--strict"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = read_report(&strict_env.path("report.csv"));
    assert_eq!(report[0]["status"], "invalid");
    assert!(
        report[0]["errors"].contains("two-digit year"),
        "{:?}",
        report[0]
    );
    assert_eq!(report[1]["status"], "created");
}
