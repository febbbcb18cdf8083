//! `ghl-import undo N`: an import into a seeded location taken back exactly, with and without
//! `--snapshot`; a contact edited after the run is left alone; a killed undo resumes and
//! takes everything back once. And `runs` / `runs show N --report`.

mod common;

use std::collections::HashMap;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use ghl_import::sandbox::{CustomFieldValue, SandboxContact};

/// A HubSpot "All contacts" export (quoted header and cells), two rows updating seeded
/// contacts and two new ones.
const FILE: &str = "\
\"Record ID\",\"First Name\",\"Last Name\",\"Email\",\"Phone Number\",\"City\",\"contact.lifetime_value\",\"Lead Status\"
\"1101\",\"Ann\",\"Lee-Smith\",\"ann.lee@example.com\",\"\",\"Cambridge\",\"1200\",\"Open\"
\"1102\",\"Robert\",\"\",\"BOB@example.com\",\"\",\"Austin\",\"\",\"New\"
\"1103\",\"Dan\",\"Ode\",\"dan@example.net\",\"(415) 555-0143\",\"Denver\",\"\",\"New\"
\"1104\",\"Eve\",\"\",\"eve@example.org\",\"\",\"\",\"300\",\"\"
";

/// Three contacts with tags, businesses and a custom field; the file touches two of them.
fn seed(env: &Env) -> Vec<SandboxContact> {
    let ltv = env
        .sandbox
        .custom_field_id(LOCATION, "contact.lifetime_value")
        .unwrap();
    let contacts = [
        SandboxContact {
            first_name: Some("Ann".into()),
            last_name: Some("Lee".into()),
            email: Some("ann.lee@example.com".into()),
            phone: Some("+14155550101".into()),
            city: Some("Boston".into()),
            tags: vec!["vip".into()],
            business_id: Some("biz_old".into()),
            custom_fields: vec![CustomFieldValue {
                id: ltv,
                value: serde_json::json!(900),
            }],
            ..Default::default()
        },
        SandboxContact {
            first_name: Some("Bob".into()),
            email: Some("bob@example.com".into()),
            // Already has the tag the import adds: undo must not take it away.
            tags: vec!["imported".into(), "lead".into()],
            ..Default::default()
        },
        SandboxContact {
            first_name: Some("Cat".into()),
            email: Some("cat@example.com".into()),
            tags: vec!["x".into()],
            business_id: Some("biz_c".into()),
            ..Default::default()
        },
    ];
    for c in contacts {
        env.sandbox.insert_contact(LOCATION, c);
    }
    state(env)
}

/// The location's contacts without their update times, by email.
fn state(env: &Env) -> Vec<SandboxContact> {
    let mut all: Vec<SandboxContact> = env
        .sandbox
        .contacts(LOCATION)
        .into_iter()
        .map(|mut c| {
            c.date_updated.clear();
            c
        })
        .collect();
    all.sort_by_key(|c| c.email.as_deref().map(str::to_lowercase));
    all
}

fn import(env: &Env, extra: &[&str]) -> Output {
    let file = env.write("hubspot-crm-exports-all-contacts-2026-02-10.csv", FILE);
    let mut args = vec![
        "--tag",
        "imported",
        "--tag",
        "spring-2026",
        "--business-id",
        "biz_new",
    ];
    args.extend_from_slice(extra);
    let out = env.import(&file, &args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    out
}

fn undo(env: &Env, run: &str, extra: &[&str]) -> Output {
    env.cmd()
        .args(["undo", run, "--rate-limit", "20/200ms", "--report"])
        .arg(env.path("undo.csv"))
        .args(extra)
        .output()
        .unwrap()
}

fn undo_report(env: &Env) -> HashMap<String, HashMap<String, String>> {
    read_report(&env.path("undo.csv"))
        .into_iter()
        .map(|r| (r["email"].to_lowercase(), r))
        .collect()
}

#[test]
fn undo_with_a_snapshot_restores_the_seeded_location_exactly() {
    let env = Env::new();
    let seeded = seed(&env);
    import(&env, &["--snapshot"]);
    assert_eq!(env.sandbox.contacts(LOCATION).len(), 5);
    assert_ne!(state(&env), seeded);

    // A dry run says what it would do and writes nothing.
    let before = env.requests().len();
    let out = undo(&env, "1", &["--dry-run"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let plan = undo_report(&env);
    assert_eq!(plan["dan@example.net"]["status"], "delete");
    assert_eq!(plan["ann.lee@example.com"]["status"], "restore");
    assert!(env.requests()[before..].iter().all(|r| r.method == "GET"));

    let out = undo(&env, "1", &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        state(&env),
        seeded,
        "contacts, fields, tags and businesses as seeded"
    );
    let report = undo_report(&env);
    assert_eq!(report.len(), 4, "one line per row of the run");
    assert_eq!(report["dan@example.net"]["status"], "deleted");
    assert_eq!(report["eve@example.org"]["status"], "deleted");
    assert_eq!(report["ann.lee@example.com"]["status"], "restored");
    assert_eq!(report["bob@example.com"]["status"], "restored");
    assert!(report["bob@example.com"]["actions"].contains("remove tags spring-2026"));
    assert!(!report["bob@example.com"]["actions"].contains("imported"));

    // The runs are listed, and the undo's report can be written again from the store.
    let out = env.cmd().arg("runs").output().unwrap();
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(listing.contains("with snapshot"), "{listing}");
    assert!(listing.contains("undo of run 1"), "{listing}");
    let out = env
        .cmd()
        .args(["runs", "show", "2", "--report"])
        .arg(env.path("again.csv"))
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        read_report(&env.path("again.csv")),
        read_report(&env.path("undo.csv"))
    );
    let out = env
        .cmd()
        .args(["runs", "show", "1", "--report"])
        .arg(env.path("import-again.csv"))
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let statuses: Vec<String> = read_report(&env.path("import-again.csv"))
        .into_iter()
        .map(|r| r["status"].clone())
        .collect();
    assert_eq!(statuses, ["updated", "updated", "created", "created"]);
}

#[test]
fn undo_without_a_snapshot_restores_all_but_the_overwritten_fields_and_names_them() {
    let env = Env::new();
    let seeded = seed(&env);
    import(&env, &[]);
    let out = undo(&env, "1", &[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = undo_report(&env);
    let ann = &report["ann.lee@example.com"];
    assert_eq!(ann["status"], "partial");
    assert!(
        ann["notes"].contains("without --snapshot")
            && ann["notes"].contains("lastName")
            && ann["notes"].contains("city"),
        "{ann:?}"
    );
    assert_eq!(report["dan@example.net"]["status"], "deleted");
    let now = state(&env);
    assert_eq!(now.len(), 3);
    for (n, s) in now.iter().zip(&seeded) {
        assert_eq!(n.id, s.id);
        assert_eq!(
            (&n.tags, &n.business_id),
            (&s.tags, &s.business_id),
            "{:?}",
            n.email
        );
    }
    let ann_now = now
        .iter()
        .find(|c| c.first_name.as_deref() == Some("Ann"))
        .unwrap();
    assert_eq!(
        ann_now.last_name.as_deref(),
        Some("Lee-Smith"),
        "not restorable"
    );
}

#[test]
fn a_nightly_re_run_of_the_same_file_keeps_the_first_run_undoable() {
    let env = Env::new();
    let seeded = seed(&env);
    import(&env, &[]);
    // The same file again, as a nightly job would: run 2 completes and replaces run 1's rows.
    import(&env, &["--changed-only"]);
    import(&env, &[]);
    let out = env.cmd().arg("runs").output().unwrap();
    let listing = String::from_utf8_lossy(&out.stdout);
    let first = listing
        .lines()
        .find(|l| l.trim_start().starts_with("1 "))
        .unwrap();
    assert!(
        first.contains("2 created") && first.contains("kept for undo (run 2 replaced its rows"),
        "{listing}"
    );

    let out = undo(&env, "1", &[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = undo_report(&env);
    assert_eq!(report["dan@example.net"]["status"], "deleted");
    assert_eq!(report["eve@example.org"]["status"], "deleted");
    assert_eq!(report["ann.lee@example.com"]["status"], "partial");
    let now = state(&env);
    assert_eq!(now.len(), 3, "the two contacts run 1 created are gone");
    for (n, s) in now.iter().zip(&seeded) {
        assert_eq!((&n.tags, &n.business_id), (&s.tags, &s.business_id));
    }
}

#[test]
fn a_contact_edited_after_the_run_is_left_alone() {
    let env = Env::new();
    seed(&env);
    import(&env, &["--snapshot"]);
    let mut dan = env
        .sandbox
        .contacts(LOCATION)
        .into_iter()
        .find(|c| c.email.as_deref() == Some("dan@example.net"))
        .unwrap();
    dan.city = Some("Boulder".into());
    env.sandbox.insert_contact(LOCATION, dan.clone());

    let out = undo(&env, "1", &[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = undo_report(&env);
    assert_eq!(report["dan@example.net"]["status"], "left");
    assert!(report["dan@example.net"]["notes"].contains("changed after"));
    assert_eq!(report["eve@example.org"]["status"], "deleted");
    let still = env.sandbox.contact(LOCATION, &dan.id).expect("not deleted");
    assert_eq!(still.city.as_deref(), Some("Boulder"));
    assert!(env
        .requests()
        .iter()
        .all(|r| !(r.method == "DELETE" && r.path.ends_with(&dan.id))));
}

#[test]
fn an_undo_killed_midway_and_run_again_takes_everything_back_once() {
    const ROWS: usize = 120;
    let env = Env::new();
    let mut csv = String::from("email,first_name,tags\n");
    for i in 0..ROWS {
        csv.push_str(&format!("r{i}@example.com,Name{i},t{}\n", i % 3));
    }
    let file = env.write("contacts.csv", &csv);
    let out = env.import(&file, &["--business-id", "biz_7"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(env.sandbox.contacts(LOCATION).len(), ROWS);

    let deletes = |env: &Env| {
        env.requests()
            .into_iter()
            .filter(|r| r.method == "DELETE" && r.status == 200)
            .map(|r| r.path)
            .collect::<Vec<_>>()
    };
    let mut child = env
        .cmd()
        .args(["undo", "1", "--rate-limit", "20/200ms", "--report"])
        .arg(env.path("undo.csv"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while deletes(&env).len() < ROWS / 3 {
        assert!(
            Instant::now() < deadline,
            "the kill point was never reached"
        );
        assert!(child.try_wait().unwrap().is_none(), "undo ended early");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let first = deletes(&env).len();
    assert!(first < ROWS, "killed midway ({first} deleted)");

    let out = undo(&env, "1", &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("resumed"), "{}", stderr(&out));
    assert!(env.sandbox.contacts(LOCATION).is_empty());
    let all = deletes(&env);
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        (all.len(), unique.len()),
        (ROWS, ROWS),
        "each contact deleted once"
    );
    let report = read_report(&env.path("undo.csv"));
    let rows: Vec<u64> = report.iter().map(|r| r["row"].parse().unwrap()).collect();
    assert_eq!(
        rows,
        (2..ROWS as u64 + 2).collect::<Vec<_>>(),
        "every row once"
    );
    assert!(
        report.iter().all(|r| r["status"] == "deleted"),
        "{report:?}"
    );
}

#[test]
fn an_undo_report_given_to_report_html_is_refused_saying_what_it_is() {
    let env = Env::new();
    seed(&env);
    import(&env, &[]);
    for report in [env.path("undo.csv"), env.path("undo.jsonl")] {
        let out = env
            .cmd()
            .args(["undo", "1", "--rate-limit", "20/200ms", "--report"])
            .arg(&report)
            .arg("--dry-run")
            .output()
            .unwrap();
        // Partly restored rows (no snapshot) end with exit 1; the report is written either way.
        assert!(report.exists(), "{}", stderr(&out));
        let out = env
            .cmd()
            .arg("report")
            .arg(&report)
            .arg("--html")
            .arg(env.path("undo.html"))
            .output()
            .unwrap();
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("is an undo report (written by `ghl-import undo`)")
                && err.contains("give `report` the report of the import (its --report)")
                && !err.contains("unknown status"),
            "{err}"
        );
        assert!(!env.path("undo.html").exists());
    }
    // The import's own report still makes a page.
    let out = env
        .cmd()
        .arg("report")
        .arg(env.path("report.csv"))
        .arg("--html")
        .arg(env.path("import.html"))
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}
