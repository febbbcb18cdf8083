//! `ghl-import plan` against the sandbox over 127.0.0.1: what it predicts, that it writes
//! nothing, and that the import then does what it said (create→created, update→updated,
//! unchanged→updated, conflict→updated with a warning, invalid→invalid with the same errors).

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use common::*;
use ghl_import::sandbox::{SandboxConfig, SandboxContact};

fn seed(env: &Env, email: &str, phone: &str, first: &str, tags: &[&str]) -> String {
    env.sandbox.insert_contact(
        LOCATION,
        SandboxContact {
            email: Some(email.into()),
            phone: Some(phone.into()),
            first_name: Some(first.into()),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..SandboxContact::default()
        },
    )
}

/// `plan FILE --report plan.csv --summary-json plan.json` plus `extra`, at 20/200ms.
fn plan(env: &Env, file: &Path, extra: &[&str]) -> Output {
    let mut c = env.cmd();
    c.arg("plan")
        .arg(file)
        .arg("--report")
        .arg(env.path("plan.csv"))
        .arg("--summary-json")
        .arg(env.path("plan.json"));
    if !extra.contains(&"--rate-limit") {
        c.args(["--rate-limit", "20/200ms"]);
    }
    c.args(extra);
    c.output().unwrap()
}

fn summary(env: &Env) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(env.path("plan.json")).unwrap()).unwrap()
}

fn by_row(report: &[HashMap<String, String>]) -> HashMap<String, HashMap<String, String>> {
    report
        .iter()
        .map(|r| (r["row"].clone(), r.clone()))
        .collect()
}

/// No `window` of the request log holds more than `max` requests.
fn within_quota(times: &[std::time::Instant], max: usize, window: Duration) -> bool {
    times
        .windows(max + 1)
        .all(|w| w[max].duration_since(w[0]) >= window)
}

const MIXED: &str = "\
First Name,Email,Phone,City,Tags
Ann,ann@example.com,,Bergen,vip
Cy,cy@example.com,(415) 555-0103,,
Eve,eve@example.com,,,
Eve,eve@example.com,,Rome,
Bob,BOB@example.com,,,new
Ann,ann@example.com,(415) 555-0104,,
Bad,not-an-email,,,
Nobody,,555-01,,
Eve,eve@example.com,,Rome,
";

#[test]
fn plan_predicts_every_row_writes_nothing_and_the_import_agrees() {
    let env = Env::new();
    let a = seed(&env, "ann@example.com", "+14155550101", "Ann", &["vip"]);
    let b = seed(&env, "bob@example.com", "+14155550102", "Bob", &[]);
    let c = seed(&env, "cy@example.com", "+14155550103", "Cy", &[]);
    let d = seed(&env, "dee@example.com", "+14155550104", "Dee", &[]);
    let file = env.write("mixed.csv", MIXED);

    let out = plan(&env, &file, &[]);
    assert_eq!(code(&out), 1, "invalid and conflict rows: {}", stderr(&out));
    let requests = env.requests();
    assert!(
        requests.iter().all(|r| r.method == "GET"),
        "plan writes nothing: {:?}",
        requests
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        env.requests_to("/contacts/").len(),
        1,
        "4 contacts: one page"
    );
    assert_eq!(env.sandbox.contacts(LOCATION).len(), 4);

    let planned = read_report(&env.path("plan.csv"));
    let got: Vec<(&str, &str, &str, &str)> = planned
        .iter()
        .map(|r| {
            (
                r["row"].as_str(),
                r["status"].as_str(),
                r["contact_id"].as_str(),
                r["changes"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("2", "update", a.as_str(), "city"),
            ("3", "unchanged", c.as_str(), ""),
            ("4", "create", "", ""),
            ("5", "update", "", "city"),
            ("6", "update", b.as_str(), "tags"),
            ("7", "conflict", a.as_str(), ""),
            ("8", "invalid", "", ""),
            ("9", "invalid", "", ""),
            ("10", "unchanged", "", ""),
        ]
    );
    let conflict = &planned[5]["warnings"];
    assert!(
        conflict.contains(&a) && conflict.contains(&d) && conflict.contains("phone"),
        "{conflict}"
    );
    let s = summary(&env);
    assert_eq!(s["estimate"]["contacts_read"], 4);
    assert_eq!(s["estimate"]["upserts"], 7, "every valid row is sent");
    assert_eq!(s["estimate"]["tag_calls"], 2, "two tag sets");
    assert_eq!(s["estimate"]["requests"], 9);
    assert_eq!(s["requests_total"], 1);

    // With --changed-only the two unchanged rows would not be sent.
    let out = plan(&env, &file, &["--changed-only"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(summary(&env)["estimate"]["upserts"], 5);

    env.sandbox.clear_requests();
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 1, "the invalid rows: {}", stderr(&out));
    let imported = by_row(&read_report(&env.path("report.csv")));
    assert_eq!(imported.len(), planned.len());
    for p in &planned {
        let i = &imported[&p["row"]];
        let expected = match p["status"].as_str() {
            "create" => "created",
            "update" | "unchanged" | "conflict" => "updated",
            "invalid" => "invalid",
            s => panic!("unexpected plan status {s}"),
        };
        assert_eq!(i["status"], expected, "row {}: {p:?} vs {i:?}", p["row"]);
        assert_eq!(
            i["errors"], p["errors"],
            "row {}: the same errors",
            p["row"]
        );
        if !p["contact_id"].is_empty() {
            assert_eq!(i["contact_id"], p["contact_id"], "row {}", p["row"]);
        }
        if p["status"] == "conflict" {
            assert_eq!(
                i["warnings"], "phone was sent as '+14155550104' but HighLevel kept '+14155550101'",
                "the key that did not stick"
            );
        } else {
            assert_eq!(i["warnings"], "", "row {}", p["row"]);
        }
    }
    assert_eq!(
        imported["5"]["contact_id"], imported["4"]["contact_id"],
        "the row plan saw as an update of row 4's new contact"
    );
    assert!(!planned[6]["errors"].is_empty() && !planned[7]["errors"].is_empty());
}

#[test]
fn a_conflict_follows_the_match_order() {
    let env = Env::new();
    let a = seed(&env, "ann@example.com", "+14155550101", "Ann", &[]);
    let d = seed(&env, "dee@example.com", "+14155550104", "Dee", &[]);
    let file = env.write(
        "c.csv",
        "First Name,Email,Phone\nAnn,ann@example.com,+1 415 555 0104\n",
    );
    let out = plan(&env, &file, &[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let r = &read_report(&env.path("plan.csv"))[0];
    assert_eq!(
        (r["status"].as_str(), r["contact_id"].as_str()),
        ("conflict", a.as_str())
    );
    assert_eq!(r["changes"], "");
    assert!(r["warnings"].contains("would update") && r["warnings"].contains(&d));

    let out = plan(&env, &file, &["--match-order", "phone"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let r = &read_report(&env.path("plan.csv"))[0];
    assert_eq!(
        (r["status"].as_str(), r["contact_id"].as_str()),
        ("conflict", d.as_str())
    );
    assert_eq!(r["changes"], "firstName", "Dee would become Ann");
}

/// Carl's row has Ann's email and Bob's phone: the note names the row whose contact the
/// match order says Carl's row updates, as the plan's own verdict does.
#[test]
fn the_shared_key_note_follows_the_match_order() {
    let env = Env::new();
    let file = env.write(
        "shared.csv",
        "First Name,Email,Phone\nAnn,ann@example.com,\nBob,,+1 415 555 0102\nCarl,ann@example.com,+1 415 555 0102\n",
    );
    for (order, status, note) in [
        (
            "email",
            "conflict",
            "shares its email \"ann@example.com\" with row 2,",
        ),
        (
            "phone",
            "conflict",
            "shares its phone \"+14155550102\" with row 3,",
        ),
    ] {
        let out = plan(&env, &file, &["--match-order", order]);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        let r = &read_report(&env.path("plan.csv"))[2];
        assert_eq!(r["status"], status, "{order}: {r:?}");
        assert!(r["warnings"].contains(note), "{order}: {}", r["warnings"]);
    }
    assert!(env.sandbox.contacts(LOCATION).is_empty());
}

#[test]
fn a_phone_an_earlier_row_moved_its_contact_off_gives_a_new_contact_in_plan_import_and_warnings() {
    let env = Env::new();
    let file = env.write(
        "moved.csv",
        "First Name,Last Name,Email,Phone\nAnn,Lee,ann@example.com,+1 415 555 0101\nAnn,Lee,ann@example.com,+1 415 555 0102\nCarl,Ray,carl@example.com,+1 415 555 0101\n",
    );
    let out = plan(&env, &file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let planned = read_report(&env.path("plan.csv"));
    assert_eq!(planned[2]["status"], "create", "{planned:?}");
    assert!(
        !planned[2]["warnings"].contains("shares its"),
        "{planned:?}"
    );
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    assert_eq!(report[2]["status"], "created", "{report:?}");
    assert_eq!(report[2]["warnings"], planned[2]["warnings"]);
    assert_eq!(env.sandbox.contacts(LOCATION).len(), 2);
}

#[test]
fn a_dropped_gender_is_a_warning_not_a_failure() {
    let env = Env::with(SandboxConfig {
        drop_gender_on_update: true,
        ..fast_config()
    });
    env.sandbox.insert_contact(
        LOCATION,
        SandboxContact {
            email: Some("kim@example.com".into()),
            gender: Some("male".into()),
            ..SandboxContact::default()
        },
    );
    let file = env.write(
        "g.csv",
        "Email,Gender\nkim@example.com,female\nlee@example.com,female\n",
    );
    let out = plan(&env, &file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let p = read_report(&env.path("plan.csv"));
    assert_eq!(
        (p[0]["status"].as_str(), p[0]["changes"].as_str()),
        ("update", "gender")
    );
    assert_eq!(p[1]["status"], "create");

    let out = env.import(&file, &[]);
    assert_eq!(
        code(&out),
        0,
        "a warning does not change the exit code: {}",
        stderr(&out)
    );
    let r = read_report(&env.path("report.csv"));
    assert_eq!(r[0]["status"], "updated");
    assert_eq!(
        r[0]["warnings"],
        "gender was sent as 'female' but HighLevel kept 'male'"
    );
    assert_eq!(
        (r[1]["status"].as_str(), r[1]["warnings"].as_str()),
        ("created", "")
    );
}

#[test]
fn every_page_of_a_large_location_is_read_within_the_quota() {
    let env = Env::new();
    for i in 0..250 {
        seed(
            &env,
            &format!("p{i}@example.com"),
            &format!("+1415555{i:04}"),
            "P",
            &[],
        );
    }
    let file = env.write(
        "big.csv",
        "Email,First Name\np0@example.com,P\np249@example.com,Q\nnew@example.com,N\n",
    );
    let out = plan(&env, &file, &["--rate-limit", "2/200ms"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let pages = env.requests_to("/contacts/");
    assert_eq!(pages.len(), 3, "250 contacts, 100 a page");
    assert!(pages.iter().all(|r| r.status == 200));
    let times: Vec<_> = pages.iter().map(|r| r.at).collect();
    assert!(
        within_quota(&times, 2, Duration::from_millis(200)),
        "no 200 ms window holds more than 2 pages"
    );
    assert_eq!(summary(&env)["estimate"]["contacts_read"], 250);
    let statuses: Vec<String> = read_report(&env.path("plan.csv"))
        .iter()
        .map(|r| format!("{} {}", r["status"], r["changes"]))
        .collect();
    assert_eq!(statuses, ["unchanged ", "update firstName", "create "]);
}

#[test]
fn custom_fields_and_dates_compare_as_values() {
    let env = Env::new();
    let money = env
        .sandbox
        .custom_field_id(LOCATION, "lifetime_value")
        .unwrap();
    let colour = env
        .sandbox
        .custom_field_id(LOCATION, "favourite_colour")
        .unwrap();
    for (email, value) in [("same@example.com", 120.5), ("more@example.com", 100.0)] {
        env.sandbox.insert_contact(
            LOCATION,
            SandboxContact {
                email: Some(email.into()),
                date_of_birth: Some("1990-09-25".into()),
                custom_fields: vec![
                    ghl_import::sandbox::CustomFieldValue {
                        id: money.clone(),
                        value: serde_json::json!(value),
                    },
                    ghl_import::sandbox::CustomFieldValue {
                        id: colour.clone(),
                        value: serde_json::json!("Red"),
                    },
                ],
                ..SandboxContact::default()
            },
        );
    }
    let file = env.write(
        "cf.csv",
        "Email,DOB,contact.lifetime_value,contact.favourite_colour\n\
         same@example.com,09/25/1990,\"$120.50\",red\n\
         more@example.com,1990-09-25,120.5,Red\n",
    );
    let out = plan(&env, &file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let p = read_report(&env.path("plan.csv"));
    assert_eq!(
        (p[0]["status"].as_str(), p[0]["changes"].as_str()),
        ("unchanged", "")
    );
    assert_eq!(
        (p[1]["status"].as_str(), p[1]["changes"].as_str()),
        ("update", "contact.lifetime_value")
    );
    assert_eq!(summary(&env)["estimate"]["custom_field_reads"], 1);

    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let r = read_report(&env.path("report.csv"));
    assert!(
        r.iter()
            .all(|r| r["status"] == "updated" && r["warnings"].is_empty()),
        "{r:?}"
    );
}

#[test]
fn an_interrupt_stops_the_listing_between_pages() {
    let env = Env::new();
    for i in 0..500 {
        seed(
            &env,
            &format!("q{i}@example.com"),
            &format!("+1415556{i:04}"),
            "Q",
            &[],
        );
    }
    let file = env.write("i.csv", "Email\nq1@example.com\nq2@example.com\n");
    let mut cmd = env.cmd();
    cmd.arg("plan")
        .arg(&file)
        .args(["--rate-limit", "1/300ms", "--report"])
        .arg(env.path("plan.csv"));
    let child = cmd.stderr(std::process::Stdio::piped()).spawn().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while env.requests_to("/contacts/").len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    // SAFETY: signalling our own child process.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 130, "{}", stderr(&out));
    assert!(
        env.requests_to("/contacts/").len() < 5,
        "5 pages, stopped early"
    );
    let report = read_report(&env.path("plan.csv"));
    assert_eq!(
        report
            .iter()
            .map(|r| r["status"].as_str())
            .collect::<Vec<_>>(),
        ["deferred", "deferred"]
    );
}

/// The audit's key-cell shapes: a multi-value cell whose first value is bad (F12), bad
/// backups with no stand-in (F2), a bad backup of an empty email with a usable phone (F3).
const KEY_CELLS: &str = "\
First Name,Email,Work email,Phone,Mobile Phone
Ann,,,\"555-0101 ::: +41 79 264 88 66\",
Bob,\"info@ ; bob@x.com\",,,
Cy,\"bob@x, cy@x.com\",,+14155552671,
Dee,dee@x.com,,33123456789,0612345678
Eve,bad@x,also@bad,+14155552672,
Fay,,bad@x,+14155552673,
";

#[test]
fn plan_and_the_import_agree_on_rows_whose_key_cells_hold_bad_values() {
    let env = Env::new();
    let file = env.write("keys.csv", KEY_CELLS);
    let out = plan(&env, &file, &[]);
    assert_eq!(code(&out), 1, "Eve's row is invalid: {}", stderr(&out));
    let planned = read_report(&env.path("plan.csv"));
    let statuses: Vec<&str> = planned.iter().map(|r| r["status"].as_str()).collect();
    assert_eq!(
        statuses,
        ["create", "create", "create", "create", "invalid", "create"]
    );
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let imported = by_row(&read_report(&env.path("report.csv")));
    for p in &planned {
        let i = &imported[&p["row"]];
        let expected = if p["status"] == "invalid" {
            "invalid"
        } else {
            "created"
        };
        assert_eq!(i["status"], expected, "row {}: {p:?} vs {i:?}", p["row"]);
        assert_eq!(i["errors"], p["errors"], "row {}", p["row"]);
        assert_eq!(i["warnings"], p["warnings"], "row {}", p["row"]);
    }
    let says = |row: &str, what: &str| imported[row]["warnings"].contains(what);
    assert!(says(
        "2",
        "the row's phone was taken from the 2nd value of 'Phone' instead"
    ));
    assert!(says(
        "3",
        "the row's email was taken from the 2nd value of 'Email' instead"
    ));
    assert!(says(
        "4",
        "the row's email was taken from the 2nd value of 'Email' instead"
    ));
    assert!(says("5", "column 'Mobile Phone': \"0612345678\" left out"));
    let eve = &imported["6"]["errors"];
    assert!(
        eve.contains("column 'Email'") && eve.contains("column 'Work email'"),
        "{eve}"
    );
    assert!(says(
        "7",
        "the row's own email cell is empty, so the row was sent by its phone"
    ));
    let sent: Vec<_> = env.sandbox.contacts(LOCATION);
    assert_eq!(sent.len(), 5);
}
