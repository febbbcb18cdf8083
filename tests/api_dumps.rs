//! JSON dumps of other CRMs' APIs, written as their documented shapes: Mailchimp list
//! members (`status`, `merge_fields`, tags as `{id, name}`) and Pipedrive persons
//! (`marketing_status`, `email`/`phone` as `{value, primary, label}` lists, `org_id` and
//! `owner_id` as objects). Their opt-outs arrive as email do-not-disturb; nested values map
//! or are named; `validate` and `plan` say what `import` does.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::*;
use ghl_import::sandbox::SandboxContact;
use serde_json::{json, Value};

fn dump(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/api_dumps")
        .join(name)
}

fn contact(env: &Env, email_or_phone: &str) -> SandboxContact {
    env.sandbox
        .contacts(LOCATION)
        .into_iter()
        .find(|c| {
            c.email.as_deref() == Some(email_or_phone) || c.phone.as_deref() == Some(email_or_phone)
        })
        .unwrap_or_else(|| panic!("{email_or_phone} not imported"))
}

fn email_dnd() -> Option<Value> {
    Some(json!({"Email": {"status": "active"}}))
}

fn by_row(report: &[HashMap<String, String>]) -> Vec<(String, String)> {
    report
        .iter()
        .map(|r| (r["row"].clone(), r["status"].clone()))
        .collect()
}

const MAILCHIMP_NOTICE: &str = "objects read as Mailchimp API members";
const PIPEDRIVE_NOTICE: &str = "objects read as Pipedrive API persons";

#[test]
fn unsubscribed_and_cleaned_mailchimp_members_arrive_with_email_do_not_disturb() {
    let env = Env::new();
    let out = env.import(&dump("mailchimp_members.jsonl"), &[]);
    let err = stderr(&out);
    assert_eq!(code(&out), 0, "{err}");
    assert!(err.contains(MAILCHIMP_NOTICE), "{err}");
    assert!(
        !err.contains("'status'"),
        "status is read, not named as left out: {err}"
    );
    // Every member, whatever its status, is one row.
    let report = read_report(&env.path("report.csv"));
    assert_eq!(
        by_row(&report),
        (1..=5)
            .map(|r| (r.to_string(), "created".to_owned()))
            .collect::<Vec<_>>()
    );
    for (email, dnd) in [
        ("ann.lee@example.com", None),
        ("bo.unsub@example.com", email_dnd()),
        ("cy.bounce@example.org", email_dnd()),
        ("di.pending@example.com", None),
        ("ed.tx@example.com", None),
    ] {
        let c = contact(&env, email);
        assert_eq!(c.dnd_settings, dnd, "{email}");
        assert_eq!(c.dnd, None, "{email}: an opt-out is per channel");
    }
    // merge_fields, its ADDRESS object and the tags' names.
    let ann = contact(&env, "ann.lee@example.com");
    assert_eq!(ann.first_name.as_deref(), Some("Ann"));
    assert_eq!(ann.last_name.as_deref(), Some("Lee"));
    assert_eq!(ann.phone.as_deref(), Some("+12175550134"));
    assert_eq!(ann.address1.as_deref(), Some("12 Main St, Apt 4"));
    assert_eq!(ann.city.as_deref(), Some("Springfield"));
    assert_eq!(ann.state.as_deref(), Some("IL"));
    assert_eq!(ann.postal_code.as_deref(), Some("62701"));
    assert_eq!(ann.country.as_deref(), Some("US"));
    assert_eq!(ann.tags, ["VIP", "Webinar 2023"]);
    assert_eq!(contact(&env, "cy.bounce@example.org").tags, ["Imported"]);
    // The year-less birthday is named, not dropped silently.
    assert!(report[0]["warnings"].contains("column 'merge_fields.BIRTHDAY': \"07/04\" left out"));
}

#[test]
fn an_unsubscribed_pipedrive_person_gets_email_do_not_disturb_and_the_organisation_as_company() {
    let env = Env::new();
    let out = env.import(&dump("pipedrive_persons.jsonl"), &[]);
    let err = stderr(&out);
    assert_eq!(code(&out), 0, "{err}");
    assert!(err.contains(PIPEDRIVE_NOTICE), "{err}");
    assert!(!err.contains("'marketing_status'"), "{err}");
    assert!(!err.contains("'org_id.name'"), "{err}");
    // The owner's keys are named as not imported: the owner is not the contact.
    assert!(err.contains("'owner_id.email'"), "{err}");
    let report = read_report(&env.path("report.csv"));
    assert_eq!(
        by_row(&report),
        (1..=4)
            .map(|r| (r.to_string(), "created".to_owned()))
            .collect::<Vec<_>>()
    );
    // The primary email, not the list's first; the others named.
    let ann = contact(&env, "ann@acmeroofing.com");
    assert_eq!(ann.dnd_settings, None);
    assert_eq!(ann.company_name.as_deref(), Some("Acme Roofing"));
    assert_eq!(ann.phone.as_deref(), Some("+15125550101"));
    assert_eq!(ann.city.as_deref(), Some("Austin"));
    assert_eq!(ann.state.as_deref(), Some("Texas"));
    assert_eq!(ann.postal_code.as_deref(), Some("78701"));
    assert!(
        report[0]["warnings"].contains("column 'email[0]': \"ann.home@example.com\" not imported")
    );
    assert!(report[0]["warnings"].contains("column 'phone[1]': \"+1 512 555 0199\" not imported"));
    let bo = contact(&env, "bo@example.net");
    assert_eq!(bo.dnd_settings, email_dnd());
    assert_eq!(bo.company_name, None);
    // No email of its own: keyed by its phone, never by the owner's email.
    let cy = contact(&env, "+15125550177");
    assert_eq!(cy.email, None);
    assert_eq!(cy.company_name.as_deref(), Some("Bright Dental"));
    assert_eq!(
        cy.dnd_settings, None,
        "no_consent is no opt-out, as in the CSV preset"
    );
    assert_eq!(contact(&env, "di@brightdental.com").dnd_settings, None);
    assert!(env
        .sandbox
        .contacts(LOCATION)
        .iter()
        .all(|c| c.email.as_deref() != Some("jane.owner@agencyhq.com")));
}

#[test]
fn validate_and_plan_read_an_api_dump_as_the_import_does() {
    let env = Env::new();
    env.sandbox.insert_contact(
        LOCATION,
        SandboxContact {
            email: Some("bo.unsub@example.com".into()),
            first_name: Some("Bo".into()),
            last_name: Some("Grant".into()),
            ..SandboxContact::default()
        },
    );
    let file = dump("mailchimp_members.jsonl");
    let out = env
        .cmd()
        .arg("validate")
        .arg(&file)
        .arg("--report")
        .arg(env.path("validate.csv"))
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains(MAILCHIMP_NOTICE));
    let out = env
        .cmd()
        .arg("plan")
        .arg(&file)
        .arg("--report")
        .arg(env.path("plan.csv"))
        .args(["--rate-limit", "20/200ms"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains(MAILCHIMP_NOTICE));
    let plan = read_report(&env.path("plan.csv"));
    let bo = &plan[1];
    assert_eq!(bo["status"], "update");
    assert!(bo["changes"].contains("dndSettings"), "{bo:?}");
    assert!(env.sandbox.contacts(LOCATION)[0].dnd_settings.is_none());
}

/// The contacts' values, without their ids and times.
fn imported(env: &Env) -> Vec<String> {
    let mut all: Vec<String> = env
        .sandbox
        .contacts(LOCATION)
        .into_iter()
        .map(|c| {
            let c = SandboxContact {
                id: String::new(),
                date_added: String::new(),
                date_updated: String::new(),
                ..c
            };
            format!("{c:?}")
        })
        .collect();
    all.sort();
    all
}

#[test]
fn init_names_what_the_shape_reads_and_its_file_imports_the_same() {
    for (name, key) in [
        ("mailchimp_members.jsonl", "\"status\" gives dndSettings.Email for unsubscribed, cleaned or archived in an object shaped like a Mailchimp API member"),
        ("pipedrive_persons.jsonl", "\"marketing_status\" gives dndSettings.Email for unsubscribed in an object shaped like a Pipedrive API person"),
    ] {
        let plain = Env::new();
        let out = plain.import(&dump(name), &[]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let env = Env::new();
        let o = env
            .cmd()
            .arg("init")
            .arg(dump(name))
            .arg("--output")
            .arg(env.path("m.toml"))
            .output()
            .unwrap();
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let text = std::fs::read_to_string(env.path("m.toml")).unwrap();
        assert!(text.contains(key), "{text}");
        let m = env.path("m.toml");
        let out = env.import(&dump(name), &["--mapping", m.to_str().unwrap()]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert_eq!(imported(&env), imported(&plain), "{name}");
    }
}
