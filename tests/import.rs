//! The import end to end: the built binary against the sandbox over HTTP on 127.0.0.1.

mod common;

use std::collections::HashSet;

use common::*;
use ghl_import::sandbox::{SandboxConfig, SandboxContact};

const PEOPLE: &str = "\
First Name,Last Name,Email,Phone,Company Name,Tags
Ann,Lee,ann@example.com,(415) 555-2671,Acme,lead
Bob,Stone,bob@example.org,+44 20 7946 0958,,\"lead, uk\"
Zoë,Müller,zoe@example.de,,Müller GmbH,
";

#[test]
fn csv_import_creates_then_updates() {
    let env = Env::new();
    let file = env.write("people.csv", PEOPLE);
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    assert_eq!(
        report
            .iter()
            .map(|r| r["status"].as_str())
            .collect::<Vec<_>>(),
        ["created"; 3]
    );
    assert_eq!(
        report.iter().map(|r| r["row"].as_str()).collect::<Vec<_>>(),
        ["2", "3", "4"]
    );

    let contacts = env.sandbox.contacts(LOCATION);
    assert_eq!(contacts.len(), 3);
    let zoe = contacts
        .iter()
        .find(|c| c.email.as_deref() == Some("zoe@example.de"))
        .unwrap();
    assert_eq!(zoe.first_name.as_deref(), Some("Zoë"));
    assert_eq!(zoe.last_name.as_deref(), Some("Müller"));
    assert_eq!(zoe.company_name.as_deref(), Some("Müller GmbH"));
    let ann = contacts
        .iter()
        .find(|c| c.email.as_deref() == Some("ann@example.com"))
        .unwrap();
    assert_eq!(
        ann.phone.as_deref(),
        Some("+14155552671"),
        "phones are sent as E.164"
    );
    assert_eq!(ann.tags, ["lead"]);
    let bob = contacts
        .iter()
        .find(|c| c.email.as_deref() == Some("bob@example.org"))
        .unwrap();
    assert_eq!(bob.phone.as_deref(), Some("+442079460958"));
    let bob_tags: HashSet<_> = bob.tags.iter().map(String::as_str).collect();
    assert_eq!(bob_tags, HashSet::from(["lead", "uk"]));
    for c in &report {
        let id = &c["contact_id"];
        assert!(
            contacts.iter().any(|x| &x.id == id),
            "report id {id} is in the sandbox"
        );
    }

    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    assert_eq!(
        report
            .iter()
            .map(|r| r["status"].as_str())
            .collect::<Vec<_>>(),
        ["updated"; 3]
    );
    assert_eq!(
        env.sandbox.contacts(LOCATION).len(),
        3,
        "no duplicates on a second run"
    );
}

#[test]
fn jsonl_import_with_custom_fields_and_tag_arrays() {
    let env = Env::new();
    let file = env.write(
        "people.jsonl",
        concat!(
            r#"{"firstName":"Cy","email":"cy@example.com","tags":["a","b"],"customFields":{"contact.lifetime_value":120.5}}"#,
            "\n\n",
            r#"{"firstName":"Di","phone":"+1 415 555 0134"}"#,
            "\n",
        ),
    );
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    assert_eq!(
        report.iter().map(|r| r["row"].as_str()).collect::<Vec<_>>(),
        ["1", "3"],
        "JSONL rows are line numbers"
    );
    let contacts = env.sandbox.contacts(LOCATION);
    let cy = contacts
        .iter()
        .find(|c| c.first_name.as_deref() == Some("Cy"))
        .unwrap();
    assert_eq!(cy.tags, ["a", "b"]);
    assert!(!cy.custom_fields.is_empty(), "custom field sent");
    assert!(contacts
        .iter()
        .any(|c| c.phone.as_deref() == Some("+14155550134")));
}

#[test]
fn invalid_rows_are_reported_with_row_and_column_and_never_sent() {
    let env = Env::new();
    let file = env.write(
        "mixed.csv",
        "Email,Phone,Date of Birth\n\
         good@example.com,,1990-09-25\n\
         not-an-email,,\n\
         ,12,\n\
         also.good@example.com,,1990-02-30\n\
         fine@example.com,,\n",
    );
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    let statuses: Vec<_> = report
        .iter()
        .map(|r| (r["row"].as_str(), r["status"].as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("2", "created"),
            ("3", "invalid"),
            ("4", "invalid"),
            // A date that cannot be read costs the cell, not the contact.
            ("5", "created"),
            ("6", "created")
        ]
    );
    assert!(
        report[1]["errors"].contains("Email"),
        "{}",
        report[1]["errors"]
    );
    assert!(
        report[2]["errors"].contains("Phone"),
        "{}",
        report[2]["errors"]
    );
    assert_eq!(
        report[3]["warnings"],
        "column 'Date of Birth': \"1990-02-30\" left out: no such date: year 1990, month 2, day 30"
    );
    let sent: Vec<String> = env
        .requests_to("/contacts/upsert")
        .iter()
        .map(|r| r.body.as_ref().unwrap().to_string())
        .collect();
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(|b| !b.contains("not-an-email")));
    let also = sent.iter().find(|b| b.contains("also.good")).unwrap();
    assert!(!also.contains("dateOfBirth"), "never sent empty: {also}");

    // --strict: any bad cell rejects the row, as before.
    let out = env
        .cmd()
        .arg("import")
        .arg(&file)
        .args(["--strict", "--rate-limit", "20/200ms", "--report"])
        .arg(env.path("strict.csv"))
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let strict = read_report(&env.path("strict.csv"));
    assert_eq!(strict[3]["status"], "invalid");
    assert!(
        strict[3]["errors"].contains("Date of Birth"),
        "{}",
        strict[3]["errors"]
    );
    assert_eq!(env.requests_to("/contacts/upsert").len(), 3 + 2);
}

#[test]
fn existing_tags_survive_an_import_that_adds_tags() {
    let env = Env::new();
    env.sandbox.insert_contact(
        LOCATION,
        SandboxContact {
            email: Some("ann@example.com".into()),
            first_name: Some("Ann".into()),
            tags: vec!["vip".into(), "2019-customer".into()],
            ..SandboxContact::default()
        },
    );
    let file = env.write(
        "t.csv",
        "Email,First Name,Tags\nann@example.com,Ann,newsletter\n",
    );
    let out = env.import(&file, &["--tag", "imported"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let c = &env.sandbox.contacts(LOCATION)[0];
    let tags: HashSet<_> = c.tags.iter().map(String::as_str).collect();
    assert_eq!(
        tags,
        HashSet::from(["vip", "2019-customer", "newsletter", "imported"])
    );
    for r in env.requests_to("/contacts/upsert") {
        assert!(
            r.body.as_ref().unwrap().get("tags").is_none(),
            "tags never go in an upsert body"
        );
    }
    let report = read_report(&env.path("report.csv"));
    assert_eq!(
        (
            report[0]["status"].as_str(),
            report[0]["tags_status"].as_str()
        ),
        ("updated", "added")
    );
}

#[test]
fn business_ids_are_set_in_batches_of_at_most_50() {
    let env = Env::with(SandboxConfig {
        rate_max: 200,
        ..fast_config()
    });
    let mut csv = String::from("email\n");
    for i in 0..120 {
        csv.push_str(&format!("person{i}@example.com\n"));
    }
    let file = env.write("biz.csv", &csv);
    let out = env.import(
        &file,
        &[
            "--business-id",
            "biz_123",
            "--rate-limit",
            "200/200ms",
            "--concurrency",
            "16",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let calls = env.requests_to("/contacts/bulk/business");
    let sizes: Vec<usize> = calls
        .iter()
        .map(|r| r.body.as_ref().unwrap()["ids"].as_array().unwrap().len())
        .collect();
    assert!(sizes.iter().all(|n| *n <= 50), "{sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), 120);
    assert_eq!(calls.len(), 3);
    let contacts = env.sandbox.contacts(LOCATION);
    assert_eq!(contacts.len(), 120);
    assert!(contacts
        .iter()
        .all(|c| c.business_id.as_deref() == Some("biz_123")));
    let report = read_report(&env.path("report.csv"));
    assert!(report.iter().all(|r| r["business_status"] == "set"));
}

#[test]
fn tag_batch_size_sets_the_ids_per_bulk_tag_call() {
    let env = Env::with(SandboxConfig {
        rate_max: 200,
        ..fast_config()
    });
    let mut csv = String::from("email,tags\n");
    for i in 0..45 {
        csv.push_str(&format!("tb{i}@example.com,lead\n"));
    }
    let file = env.write("tb.csv", &csv);
    let out = env.import(
        &file,
        &["--tag-batch-size", "20", "--rate-limit", "200/200ms"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut sizes: Vec<usize> = env
        .requests_to("/contacts/bulk/tags/update/add")
        .iter()
        .map(|r| {
            r.body.as_ref().unwrap()["contacts"]
                .as_array()
                .unwrap()
                .len()
        })
        .collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [5, 20, 20]);
}

#[test]
fn a_429_and_a_503_are_retried_and_the_row_still_succeeds() {
    let env = Env::new();
    env.sandbox.inject_next(429, 1);
    env.sandbox.inject_next(503, 1);
    let file = env.write("one.csv", "email\nretry@example.com\n");
    let summary = env.path("summary.json");
    let out = env.import(&file, &["--summary-json", summary.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    assert_eq!(report[0]["status"], "created");
    let statuses: Vec<u16> = env
        .requests_to("/contacts/upsert")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [429, 503, 200]);
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(summary).unwrap()).unwrap();
    assert_eq!(s["throttled"], 1);
    assert_eq!(s["retries"], 2);
    assert_eq!(env.sandbox.contacts(LOCATION).len(), 1);
}

#[test]
fn rows_sharing_an_email_end_as_one_contact() {
    // Latency makes the sandbox's match-then-insert race real: two same-email upserts in
    // flight at once would create two contacts.
    let env = Env::with(SandboxConfig {
        latency: (
            std::time::Duration::from_millis(30),
            std::time::Duration::from_millis(60),
        ),
        rate_max: 200,
        ..fast_config()
    });
    let mut csv = String::from("email,phone,first name\n");
    for i in 0..10 {
        csv.push_str(&format!("same@example.com,,V{i}\n"));
        csv.push_str(&format!("other{i}@example.com,,O{i}\n"));
    }
    csv.push_str(",+14155552671,P1\nphone.owner@example.com,+14155552671,P2\n");
    let file = env.write("dup.csv", &csv);
    let out = env.import(&file, &["--rate-limit", "200/200ms", "--concurrency", "16"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let contacts = env.sandbox.contacts(LOCATION);
    let same: Vec<_> = contacts
        .iter()
        .filter(|c| c.email.as_deref() == Some("same@example.com"))
        .collect();
    assert_eq!(same.len(), 1, "one contact for one email");
    assert_eq!(
        same[0].first_name.as_deref(),
        Some("V9"),
        "the last row wins"
    );
    assert_eq!(
        contacts
            .iter()
            .filter(|c| c.phone.as_deref() == Some("+14155552671"))
            .count(),
        1
    );
    let report = read_report(&env.path("report.csv"));
    assert_eq!(report.len(), 22);
    let same_ids: HashSet<_> = report
        .iter()
        .filter(|r| r["email"] == "same@example.com")
        .map(|r| r["contact_id"].clone())
        .collect();
    assert_eq!(same_ids.len(), 1);
}

#[test]
fn a_row_sharing_an_email_or_phone_with_an_earlier_row_under_another_name_says_they_merge() {
    let env = Env::new();
    // A HubSpot export: an office's shared mailbox under two people, a family's landline.
    let file = env.write(
        "hubspot-crm-exports-all-contacts-2026-02-10.csv",
        "\"Record ID\",\"First Name\",\"Last Name\",\"Email\",\"Phone Number\"\n\
         \"101\",\"Ann\",\"Lee\",\"info@acme-dental.com\",\"\"\n\
         \"102\",\"Ann\",\"\",\"INFO@acme-dental.com\",\"\"\n\
         \"103\",\"Raj\",\"Patel\",\"info@acme-dental.com\",\"\"\n\
         \"104\",\"John\",\"Doe\",\"john.doe@example.com\",\"(415) 555-2671\"\n\
         \"105\",\"Jane\",\"Doe\",\"jane.doe@example.com\",\"415-555-2671\"\n\
         \"106\",\"\",\"\",\"info@acme-dental.com\",\"\"\n",
    );
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    let warnings: Vec<&str> = report.iter().map(|r| r["warnings"].as_str()).collect();
    assert_eq!(
        warnings[..2],
        ["", ""],
        "the first row, the same person again"
    );
    assert_eq!(
        warnings[2],
        "shares its email \"info@acme-dental.com\" with row 2, which names someone else: HighLevel matches contacts by email and phone, so both rows update one contact and this row's name replaces row 2's (sent as it is; to keep two contacts, give one of them its own email)"
    );
    assert_eq!(warnings[3], "");
    assert!(
        warnings[4]
            .starts_with("shares its phone \"+14155552671\" with row 5, which names someone else"),
        "{}",
        warnings[4]
    );
    assert_eq!(warnings[5], "", "a row with no name replaces no one's");
    assert!(
        stderr(&out).contains("rows sent that share an email or phone with an earlier row naming someone else: 2 (HighLevel merges each into that row's contact)"),
        "{}",
        stderr(&out)
    );
    // As said: one contact each, the later name on it.
    let contacts = env.sandbox.contacts(LOCATION);
    assert_eq!(contacts.len(), 2, "{contacts:?}");
    assert!(contacts
        .iter()
        .any(|c| c.first_name.as_deref() == Some("Raj")));
    // validate predicts the same warnings.
    let v = validate(&env, &file);
    assert_eq!(code(&v), 0, "{}", stderr(&v));
    let validated = read_report(&env.path("v.csv"));
    let predicted: Vec<&str> = validated.iter().map(|r| r["warnings"].as_str()).collect();
    assert_eq!(predicted, warnings);
}

#[test]
fn report_has_exactly_one_line_per_input_row_in_order() {
    let env = Env::with(SandboxConfig {
        latency: (
            std::time::Duration::from_millis(0),
            std::time::Duration::from_millis(40),
        ),
        rate_max: 400,
        ..fast_config()
    });
    let mut csv = String::from("email,tags\n");
    for i in 0..300 {
        match i % 7 {
            0 => csv.push_str("broken,\n"),
            1 => csv.push_str(&format!("p{i}@example.com,rare{i}\n")),
            _ => csv.push_str(&format!("p{i}@example.com,common\n")),
        }
    }
    let file = env.write("many.csv", &csv);
    let out = env.import(
        &file,
        &[
            "--rate-limit",
            "400/200ms",
            "--concurrency",
            "32",
            "--tag-batch-size",
            "25",
        ],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    let rows: Vec<u64> = report.iter().map(|r| r["row"].parse().unwrap()).collect();
    assert_eq!(rows, (2..302).collect::<Vec<u64>>());
    assert_eq!(
        report.iter().filter(|r| r["status"] == "invalid").count(),
        43
    );
    assert!(report
        .iter()
        .filter(|r| r["status"] == "created")
        .all(|r| r["tags_status"] == "added"));
}

#[test]
fn dry_run_sends_nothing_and_needs_no_token() {
    let env = Env::new();
    let file = env.write("people.csv", PEOPLE);
    let mut c = env.cmd();
    c.env_remove("GHL_TOKEN")
        .arg("import")
        .arg(&file)
        .arg("--dry-run")
        .arg("--report")
        .arg(env.path("report.csv"));
    let out = c.output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(env.requests().is_empty(), "a dry run makes no request");
    let report = read_report(&env.path("report.csv"));
    assert!(report.iter().all(|r| r["status"] == "valid"));

    let bad = env.write("bad.csv", "email\nnope\n");
    let mut c = env.cmd();
    c.env_remove("GHL_TOKEN")
        .arg("validate")
        .arg(&bad)
        .arg("--report")
        .arg(env.path("v.csv"));
    let out = c.output().unwrap();
    assert_eq!(code(&out), 1);
    assert_eq!(read_report(&env.path("v.csv"))[0]["status"], "invalid");
    assert!(env.requests().is_empty());
}

#[test]
fn a_mapping_files_constant_the_checks_would_leave_out_is_refused_before_anything_is_sent() {
    let env = Env::new();
    let file = env.write("people.csv", PEOPLE);
    let mapping = env.write(
        "m.toml",
        "[constants]\nwebsite = \"not a site\"\nsource = \"Spring fair\"\n",
    );
    let out = env.import(&file, &["--mapping", mapping.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(
        err.contains("m.toml") && err.contains("[constants]") && err.contains("not a site"),
        "{err}"
    );
    assert!(
        !err.contains("Spring fair"),
        "only the bad constant is named: {err}"
    );
    assert!(env.requests().is_empty());

    // A constant the checks accept is sent on every row, as before.
    let good = env.write("good.toml", "[constants]\nsource = \"Spring fair\"\n");
    let out = env.import(&file, &["--mapping", good.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn exit_code_2_when_nothing_can_start() {
    let env = Env::new();
    let file = env.write("people.csv", PEOPLE);
    // Missing file.
    let out = env.import(&env.path("missing.csv"), &[]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("missing.csv"), "{}", stderr(&out));
    // Bad mapping file.
    let mapping = env.write("m.toml", "[columns]\n\"No Such Column\" = \"email\"\n");
    let out = env.import(&file, &["--mapping", mapping.to_str().unwrap()]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    // Bad flag.
    let out = env.import(&file, &["--rate-limit", "lots"]);
    assert_eq!(code(&out), 2);
    // No token.
    let mut c = env.cmd();
    c.env_remove("GHL_TOKEN").arg("import").arg(&file);
    assert_eq!(code(&c.output().unwrap()), 2);
    assert!(env.requests().is_empty());
    // Wrong token: 401 on the first call. At 4 per 200 ms a lane lets one request fly before
    // its first answer (a quarter of the quota), so "one upsert" holds however slow the
    // machine is; at 20 per 200 ms up to five may fly, and a loaded machine sent two or three.
    let mut c = env.cmd();
    c.env("GHL_TOKEN", "wrong-token")
        .arg("import")
        .arg(&file)
        .args(["--rate-limit", "4/200ms", "--report"])
        .arg(env.path("r401.csv"));
    let out = c.output().unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("401"), "{}", stderr(&out));
    let report = read_report(&env.path("r401.csv"));
    assert_eq!(report.len(), 3, "every row is still reported");
    assert!(report.iter().all(|r| r["status"] == "deferred"));
    assert_eq!(
        env.requests_to("/contacts/upsert").len(),
        1,
        "stops after the first 401"
    );
    assert!(env.sandbox.contacts(LOCATION).is_empty());
}

#[test]
fn the_token_appears_in_no_output() {
    let env = Env::new();
    env.sandbox.inject_next(503, 2);
    env.sandbox.inject_next(429, 1);
    let file = env.write(
        "people.csv",
        "Email,Phone\nann@example,+14155550100\nbob@example.com,+14155552671\n",
    );
    let summary = env.path("s.json");
    let out = env.import(
        &file,
        &["-vvv", "--summary-json", summary.to_str().unwrap()],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let mut c = env.cmd();
    c.env("GHL_TOKEN", format!("{TOKEN}-revoked"))
        .arg("-vvv")
        .arg("import")
        .arg(&file)
        .args(["--report"])
        .arg(env.path("r2.csv"));
    let out2 = c.output().unwrap();
    assert_eq!(code(&out2), 2);
    for text in [
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr(&out),
        String::from_utf8_lossy(&out2.stdout).into_owned(),
        stderr(&out2),
        std::fs::read_to_string(env.path("report.csv")).unwrap(),
        std::fs::read_to_string(env.path("r2.csv")).unwrap(),
        std::fs::read_to_string(&summary).unwrap(),
    ] {
        assert!(!text.contains(TOKEN), "token leaked: {text}");
    }
    assert!(stderr(&out).contains("retry"), "trace logs were on");
}

#[test]
fn the_rate_limit_is_never_exceeded_in_any_window() {
    let env = Env::new();
    let mut csv = String::from("email\n");
    for i in 0..80 {
        csv.push_str(&format!("r{i}@example.com\n"));
    }
    let file = env.write("rate.csv", &csv);
    let out = env.import(&file, &["--concurrency", "16", "--tag", "x"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let reqs = env.requests();
    let start = reqs[0].at;
    let timeline: Vec<String> = reqs
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r.at.duration_since(start).as_millis(),
                r.status,
                r.path
            )
        })
        .collect();
    assert!(
        reqs.iter().all(|r| r.status != 429),
        "no 429s: ms since the first arrival, status, path:\n{}",
        timeline.join("\n")
    );
    let times: Vec<_> = reqs.iter().map(|r| r.at).collect();
    for (i, t) in times.iter().enumerate() {
        let n = times[i..]
            .iter()
            .take_while(|x| x.duration_since(*t) < std::time::Duration::from_millis(200))
            .count();
        assert!(n <= 20, "{n} requests in one 200 ms window");
    }
}

#[test]
fn sandbox_flag_runs_the_sample_with_no_account() {
    let dir = tempfile::tempdir().unwrap();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/contacts.csv");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ghl-import"))
        .current_dir(dir.path())
        .env_remove("GHL_TOKEN")
        .env_remove("GHL_LOCATION_ID")
        .env_remove("GHL_BASE_URL")
        .args(["import", "--sandbox", "--rate-limit", "100/1s"])
        .arg(&sample)
        .output()
        .unwrap();
    assert!(matches!(code(&out), 0 | 1), "{}", stderr(&out));
    let report = read_report(&dir.path().join("contacts.report.csv"));
    let input_rows = csv::Reader::from_path(&sample).unwrap().records().count();
    assert_eq!(report.len(), input_rows);
    assert!(report.iter().any(|r| r["status"] == "created"));
    assert!(stderr(&out).contains("sandbox"), "{}", stderr(&out));
}

#[test]
fn a_daily_limit_that_runs_out_defers_the_rest_and_exits_3() {
    let env = Env::with(SandboxConfig {
        daily_limit: 12,
        ..fast_config()
    });
    let mut csv = String::from("email\n");
    for i in 0..20 {
        csv.push_str(&format!("day{i}@example.com\n"));
    }
    let file = env.write("day.csv", &csv);
    let out = env.import(&file, &["--concurrency", "1"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(stderr(&out).contains("daily"), "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    assert_eq!(report.len(), 20, "nothing lost");
    let created = report.iter().filter(|r| r["status"] == "created").count();
    let deferred = report.iter().filter(|r| r["status"] == "deferred").count();
    assert_eq!((created, deferred), (12, 8));
    assert_eq!(env.sandbox.contacts(LOCATION).len(), 12);
}

#[test]
fn invalid_rows_go_to_the_rejects_file_as_read() {
    let env = Env::new();
    let file = env.write(
        "r.csv",
        "First Name,Email,Phone,Notes\nZoë,zoe@example.com,,fine\nJosé,not-an-email,,=HYPERLINK(\"x\")\nAnn,,123,\n",
    );
    let rejects = env.path("rejects.csv");
    let out = env.import(&file, &["--rejects", rejects.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let rows = read_report(&rejects);
    assert_eq!(rows.len(), 2, "only the invalid rows");
    assert_eq!(rows[0]["First Name"], "José", "original cells as read");
    assert_eq!(rows[0]["Email"], "not-an-email");
    assert_eq!(
        rows[0]["Notes"], "'=HYPERLINK(\"x\")",
        "formulas neutralised"
    );
    assert!(rows[0]["errors"].contains("Email"));
    assert_eq!(rows[1]["Phone"], "123");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&rejects).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    let jsonl = env.write(
        "r.jsonl",
        "{\"email\":\"ok@example.com\"}\n{\"email\":\"bad\",\"x\":1}\nnot json\n",
    );
    let rejects = env.path("rejects.jsonl");
    let out = env.import(&jsonl, &["--rejects", rejects.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&rejects)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (lines[0]["email"].as_str(), lines[0]["x"].as_i64()),
        (Some("bad"), Some(1))
    );
    assert!(lines[0]["errors"][0].as_str().unwrap().contains("email"));
    assert_eq!(lines[1]["row"], 3);
}

#[test]
fn a_quiet_run_keeps_its_preset_and_columns_not_imported_in_the_summary_json_and_the_html_page() {
    let env = Env::new();
    // A Salesforce report export with a column nothing maps.
    let file = env.write(
        "sf-report.csv",
        "Contact ID,First Name,Last Name,Mailing Street,Mailing City,Mailing State/Province,Mailing Zip/Postal Code,Mailing Country,Phone,Mobile,Email,Favourite Band\n\
         0035g00000AbCdE,Ann,Lee,1 Main St,Boston,MA,02110,United States,,,ann@example.com,Queen\n",
    );
    let (summary, html) = (env.path("summary.json"), env.path("page.html"));
    let out = env.import(
        &file,
        &[
            "--quiet",
            "--summary-json",
            summary.to_str().unwrap(),
            "--html",
            html.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(summary).unwrap()).unwrap();
    let notices: Vec<&str> = s["column_notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notices
            .iter()
            .any(|n| n.starts_with("using the Salesforce preset")),
        "{notices:?}"
    );
    assert!(
        notices.contains(&"columns not imported (no matching HighLevel field; map them with --mapping): 'Favourite Band'"),
        "{notices:?}"
    );
    let page = std::fs::read_to_string(html).unwrap();
    let columns = page
        .split("<h2>Columns</h2>")
        .nth(1)
        .expect("a Columns section");
    assert!(columns.contains("Favourite Band"), "{page}");
}

#[test]
fn a_file_whose_columns_give_no_email_or_phone_says_so_once_and_what_to_do() {
    let env = Env::new();
    // Polish headers, no preset or alias knows them (French ones are now matched).
    let file = env.write(
        "contacts-pl.csv",
        "Nazwisko,Adres e-mail,Numer telefonu\nNowak,jan@example.pl,22 123 45 67\nKowalska,anna@example.pl,\n",
    );
    let out = validate(&env, &file);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.matches("maps to email or phone").count(), 1, "{err}");
    // No preset knows these headers: naming one would change nothing.
    assert!(
        err.contains("ghl-import init") && !err.contains("--preset"),
        "{err}"
    );
    // A file with an email column says nothing of the kind.
    let file = env.write("ok.csv", "Adres e-mail,Email\nx,ann@example.com\n");
    let out = validate(&env, &file);
    assert!(
        !stderr(&out).contains("maps to email or phone"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_rejects_file_fixed_and_imported_again_sends_values_without_the_formula_guard() {
    let env = Env::new();
    let file = env.write(
        "r.csv",
        "First Name,Company Name,Email\n-Ann-,@Home Realty,ann@example\n",
    );
    let rejects = env.path("rejects.csv");
    let out = env.import(&file, &["--rejects", rejects.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = std::fs::read_to_string(&rejects).unwrap();
    assert!(
        text.contains("'-Ann-") && text.contains("'@Home Realty"),
        "{text}"
    );
    // The user fixes the email in a spreadsheet and imports the rejects file.
    let fixed = env.write(
        "fixed.csv",
        &text.replace("ann@example,", "ann@example.com,"),
    );
    let out = env.import(&fixed, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let all = env.sandbox.contacts(LOCATION);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].first_name.as_deref(), Some("-Ann-"));
    assert_eq!(all[0].company_name.as_deref(), Some("@Home Realty"));
}

#[test]
fn a_repeated_column_name_is_said_to_be_one_not_a_field_nobody_knows() {
    let env = Env::new();
    let file = env.write(
        "dup.csv",
        "First Name,Email,First Name,Favourite Band\nAnn,ann@example.com,Annie,Queen\n",
    );
    let out = validate(&env, &file);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "columns not imported (no matching HighLevel field; map them with --mapping): 'First Name' (a second column of that name), 'Favourite Band'"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_second_email_column_of_the_same_name_backs_up_the_first_and_is_named_apart() {
    let env = Env::new();
    // Two lists pasted side by side: each brought its own "Email".
    let file = env.write(
        "joined.csv",
        "Email,First Name,Last Name,Email,Phone\n\
         ann@example.com,Ann,Lee,ann@work.example.com,\n\
         bob@example,Bob,Stone,bob.stone@example.org,\n\
         ,Cy,Young,cy@example.net,\n",
    );
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("columns not imported"),
        "{}",
        stderr(&out)
    );
    let report = read_report(&env.path("report.csv"));
    let got: Vec<(&str, &str)> = report
        .iter()
        .map(|r| (r["status"].as_str(), r["email"].as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("created", "ann@example.com"),
            ("created", "bob.stone@example.org"),
            ("created", "cy@example.net"),
        ]
    );
    assert!(
        report[0]["warnings"].starts_with("column 'Email (2)': \"ann@work.example.com\" not imported: the row's email comes from 'Email'"),
        "{}",
        report[0]["warnings"]
    );
    assert!(
        report[1]["warnings"].starts_with("column 'Email': \"bob@example\" left out: ")
            && report[1]["warnings"].contains("the row's email was taken from 'Email (2)' instead"),
        "{}",
        report[1]["warnings"]
    );
}

#[test]
fn the_built_in_sandbox_says_what_each_location_holds_when_rows_name_their_own() {
    let env = Env::new();
    let file = env.write(
        "two.csv",
        "email,locationId\nann@example.com,loc-a\nbob@example.com,loc-b\ncy@example.com,loc-b\n",
    );
    let out = env
        .cmd()
        .arg("import")
        .arg(&file)
        .arg("--sandbox")
        .arg("--report")
        .arg(env.path("r.csv"))
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("sandbox: the locations now hold loc-a 1, loc-b 2;"),
        "{}",
        stderr(&out)
    );
}

/// `validate FILE` (nothing sent), its report in the test's directory.
fn validate(env: &Env, file: &std::path::Path) -> std::process::Output {
    env.cmd()
        .arg("validate")
        .arg(file)
        .arg("--report")
        .arg(env.path("v.csv"))
        .output()
        .unwrap()
}
