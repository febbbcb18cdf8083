//! The state store: a run killed with SIGKILL at any point resumes without duplicates or
//! re-upserts, and `--changed-only` sends only the rows that changed.

mod common;

use std::collections::{HashMap, HashSet};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::*;
use ghl_import::sandbox::RecordedRequest;

const ROWS: usize = 300;

fn contacts_csv(rows: usize) -> String {
    let mut csv = String::from("email,first_name,tags\n");
    for i in 0..rows {
        csv.push_str(&format!("r{i}@example.com,Name{i},t{}\n", i % 3));
    }
    csv
}

fn spawn_import(env: &Env, file: &std::path::Path, extra: &[&str]) -> Child {
    let mut c = env.cmd();
    c.arg("import")
        .arg(file)
        .arg("--report")
        .arg(env.path("report.csv"))
        .args(["--rate-limit", "20/200ms", "--tag-batch-size", "20"])
        .args(["--business-id", "biz_7"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c.spawn().unwrap()
}

fn upserts(reqs: &[RecordedRequest]) -> Vec<&RecordedRequest> {
    reqs.iter()
        .filter(|r| r.path == "/contacts/upsert" && r.status == 200)
        .collect()
}

fn body_email(r: &RecordedRequest) -> String {
    r.body.as_ref().unwrap()["email"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Waits until `ready` holds for the sandbox's requests, then kills the import with SIGKILL.
fn kill_when(env: &Env, mut child: Child, ready: impl Fn(&[RecordedRequest]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready(&env.requests()) {
        assert!(
            Instant::now() < deadline,
            "the kill point was never reached"
        );
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the import ended ({status}) before the kill point");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

/// Emails of rows the store records as upserted in the latest run.
fn recorded_upserted(env: &Env) -> HashSet<String> {
    let db = rusqlite::Connection::open(env.state_path()).unwrap();
    let mut st = db
        .prepare(
            "SELECT email FROM rows WHERE run_id = (SELECT max(id) FROM runs)
               AND contact_id IS NOT NULL AND status IN ('created', 'updated')",
        )
        .unwrap();
    let emails = st
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    emails
}

/// Every row once, in order; one contact per email with its tags and business.
fn assert_complete(env: &Env, rows: usize) {
    let report = read_report(&env.path("report.csv"));
    let numbers: Vec<u64> = report.iter().map(|r| r["row"].parse().unwrap()).collect();
    assert_eq!(numbers, (2..rows as u64 + 2).collect::<Vec<_>>());
    for r in &report {
        assert!(
            r["status"] == "created" || r["status"] == "updated",
            "row {}: {:?}",
            r["row"],
            r
        );
        assert_eq!(r["tags_status"], "added", "row {}", r["row"]);
        assert_eq!(r["business_status"], "set", "row {}", r["row"]);
    }
    let contacts = env.sandbox.contacts(LOCATION);
    assert_eq!(contacts.len(), rows, "no duplicate contacts");
    let emails: HashSet<_> = contacts.iter().filter_map(|c| c.email.clone()).collect();
    assert_eq!(emails.len(), rows);
    for c in &contacts {
        let i: usize = c.email.as_ref().unwrap()[1..]
            .split('@')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(c.tags, vec![format!("t{}", i % 3)], "{:?}", c.email);
        assert_eq!(c.business_id.as_deref(), Some("biz_7"));
    }
}

fn killed_then_resumed(kill_point: impl Fn(&[RecordedRequest]) -> bool) {
    let env = Env::new();
    let file = env.write("contacts.csv", &contacts_csv(ROWS));
    kill_when(&env, spawn_import(&env, &file, &[]), kill_point);

    let done = recorded_upserted(&env);
    let before = env.requests().len();
    let out = spawn_import(&env, &file, &[]).wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let runs = {
        // One run, resumed once (its second attempt).
        let db = rusqlite::Connection::open(env.state_path()).unwrap();
        db.query_row("SELECT count(*), max(attempts) FROM runs", [], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
        })
        .unwrap()
    };
    assert_eq!(runs, (1, 2), "one run, resumed once");

    let after = env.requests();
    let again: Vec<String> = upserts(&after[before..])
        .into_iter()
        .map(body_email)
        .filter(|e| done.contains(e))
        .collect();
    assert!(
        again.is_empty(),
        "{} rows recorded done were upserted again: {:?}",
        again.len(),
        &again[..again.len().min(5)]
    );
    assert_complete(&env, ROWS);
}

#[test]
fn killed_early_resumes() {
    killed_then_resumed(|r| upserts(r).len() >= 30);
}

#[test]
fn killed_after_the_first_bulk_call_resumes() {
    killed_then_resumed(|r| {
        r.iter()
            .any(|r| r.path.starts_with("/contacts/bulk/") && r.status == 200)
            && upserts(r).len() >= 100
    });
}

#[test]
fn killed_near_the_end_resumes() {
    killed_then_resumed(|r| upserts(r).len() >= ROWS - 10);
}

#[test]
fn a_killed_runs_report_holds_the_rows_done_so_far_and_the_resumed_run_writes_a_whole_new_one() {
    let env = Env::new();
    let file = env.write("contacts.csv", &contacts_csv(ROWS));
    let report = env.path("report.csv");
    let mut child = spawn_import(&env, &file, &[]);
    // Killed once the report shows rows while the run is still going.
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(&report).map_or(0, |r| r.lines().count()) < 2 {
        assert!(Instant::now() < deadline, "no row reached the report");
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the import ended ({status}) before a row reached its report");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.ends_with('\n'), "whole lines only");
    let rows = read_report(&report);
    assert!(!rows.is_empty() && rows.len() < ROWS, "{} rows", rows.len());
    let numbers: Vec<u64> = rows.iter().map(|r| r["row"].parse().unwrap()).collect();
    assert_eq!(numbers, (2..rows.len() as u64 + 2).collect::<Vec<_>>());
    // Every row the report calls done is done in the store: the resume does not send it.
    let done = recorded_upserted(&env);
    for r in &rows {
        assert_eq!(r["status"], "created", "{r:?}");
        assert!(done.contains(&r["email"]), "{r:?} not in the store");
    }

    // The resumed run writes its report afresh: every row once, in order.
    let out = spawn_import(&env, &file, &[]).wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_complete(&env, ROWS);
}

#[test]
fn a_resumed_runs_estimate_leaves_out_the_rows_already_upserted() {
    let env = Env::new();
    let file = env.write("contacts.csv", &contacts_csv(ROWS));
    kill_when(&env, spawn_import(&env, &file, &[]), |r| {
        upserts(r).len() >= 60
    });
    let before = env.requests().len();
    let mut c = env.cmd();
    c.arg("import")
        .arg(&file)
        .arg("--report")
        .arg(env.path("report.csv"))
        .args(["--rate-limit", "20/200ms", "--tag-batch-size", "20"])
        .args(["--business-id", "biz_7"]);
    let out = c.output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let err = stderr(&out);
    let line = err
        .lines()
        .find(|l| l.starts_with("estimate: about "))
        .unwrap_or_else(|| panic!("no estimate line in:\n{err}"));
    let estimate: u64 = line
        .split("rows, about ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no request count in {line}"));
    let sent = env.requests().len() - before;
    let off = estimate.abs_diff(sent as u64) as f64 / sent as f64;
    eprintln!("resumed: estimate {estimate}, sent {sent}");
    assert!(off <= 0.02, "estimate {estimate}, sent {sent}: {line}");
    assert_complete(&env, ROWS);
}

#[test]
fn killed_twice_then_resumed() {
    let env = Env::new();
    let file = env.write("contacts.csv", &contacts_csv(ROWS));
    kill_when(&env, spawn_import(&env, &file, &[]), |r| {
        upserts(r).len() >= 60
    });
    let first = upserts(&env.requests()).len();
    kill_when(&env, spawn_import(&env, &file, &[]), move |r| {
        upserts(r).len() >= first + 80
    });
    let done = recorded_upserted(&env);
    let before = env.requests().len();
    let out = env.import(&file, &["--tag-batch-size", "20", "--business-id", "biz_7"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("resuming run"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("of {ROWS} rows done")),
        "{}",
        stderr(&out)
    );
    let again = upserts(&env.requests()[before..])
        .into_iter()
        .map(body_email)
        .filter(|e| done.contains(e))
        .count();
    assert_eq!(again, 0);
    assert_complete(&env, ROWS);
}

#[test]
fn restart_starts_over_without_duplicates() {
    let env = Env::new();
    let file = env.write("contacts.csv", &contacts_csv(100));
    kill_when(&env, spawn_import(&env, &file, &[]), |r| {
        upserts(r).len() >= 30
    });
    let before = env.requests().len();
    let out = env.import(
        &file,
        &[
            "--tag-batch-size",
            "20",
            "--business-id",
            "biz_7",
            "--restart",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!stderr(&out).contains("resuming"), "{}", stderr(&out));
    assert_eq!(
        upserts(&env.requests()[before..]).len(),
        100,
        "every row sent again"
    );
    assert_complete(&env, 100);
}

#[test]
fn changed_only_sends_only_changed_rows() {
    let env = Env::new();
    let mut csv = String::from("email,first_name,tags\n");
    for i in 0..200 {
        csv.push_str(&format!("c{i}@example.com,Name{i},nightly\n"));
    }
    let file = env.write("drop.csv", &csv);
    let out = env.import(&file, &["--changed-only"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(upserts(&env.requests()).len(), 200);

    // The same file again: nothing to send.
    let before = env.requests().len();
    let out = env.import(&file, &["--changed-only"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        env.requests().len(),
        before,
        "no request at all for an unchanged file"
    );
    let report = read_report(&env.path("report.csv"));
    assert_eq!(report.len(), 200);
    assert!(report.iter().all(|r| r["status"] == "unchanged"));
    assert!(report.iter().all(|r| !r["contact_id"].is_empty()));

    // A few rows change: a name, a new tag, a name case. Exactly those are sent.
    let changed = csv
        .replace("c5@example.com,Name5,", "c5@example.com,Renamed,")
        .replace(
            "c77@example.com,Name77,nightly",
            "c77@example.com,Name77,\"nightly,vip\"",
        )
        .replace("c150@example.com,Name150,", "c150@example.com,NAME150,");
    let file = env.write("drop.csv", &changed);
    let before = env.requests().len();
    let out = env.import(&file, &["--changed-only"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let reqs = env.requests();
    let sent: HashSet<String> = upserts(&reqs[before..])
        .into_iter()
        .map(body_email)
        .collect();
    let want: HashSet<String> = ["c5@example.com", "c77@example.com", "c150@example.com"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(sent, want);
    let report = read_report(&env.path("report.csv"));
    let by_status: HashMap<&str, usize> = report.iter().fold(HashMap::new(), |mut m, r| {
        *m.entry(r["status"].as_str()).or_default() += 1;
        m
    });
    assert_eq!(by_status.get("updated"), Some(&3), "{by_status:?}");
    assert_eq!(by_status.get("unchanged"), Some(&197), "{by_status:?}");
    let vip = env
        .sandbox
        .contacts(LOCATION)
        .into_iter()
        .find(|c| c.email.as_deref() == Some("c77@example.com"))
        .unwrap();
    assert!(vip.tags.contains(&"vip".to_owned()), "{:?}", vip.tags);

    // And once more: unchanged again, since the store now has the new values.
    let before = env.requests().len();
    let out = env.import(&file, &["--changed-only"]);
    assert_eq!(code(&out), 0);
    assert_eq!(env.requests().len(), before);
}

/// Rows sharing an email (any case) or a phone, the last one joined by its phone only, with
/// a row of its own in between.
const GROUP: &str = "email,phone,first_name,last_name,tags
ann@example.com,+14155552671,Ann,Lee,vip
ANN@example.com,+14155552671,Ann,Smith,
solo@example.com,,Solo,One,
,+14155552671,Annie,,
";

/// The sandbox's contacts without what differs from one sandbox to another (ids, times).
fn contacts_as_left(env: &Env) -> Vec<String> {
    let mut all: Vec<String> = env
        .sandbox
        .contacts(LOCATION)
        .into_iter()
        .map(|mut c| {
            c.id.clear();
            c.date_added.clear();
            c.date_updated.clear();
            c.tags.sort();
            format!("{c:?}")
        })
        .collect();
    all.sort();
    all
}

#[test]
fn changed_only_leaves_an_unchanged_group_of_rows_sharing_a_contact_unsent() {
    let env = Env::new();
    let file = env.write("group.csv", GROUP);
    assert_eq!(code(&env.import(&file, &["--changed-only"])), 0);
    assert_eq!(upserts(&env.requests()).len(), 4);

    let before = env.requests().len();
    let out = env.import(&file, &["--changed-only"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        env.requests().len(),
        before,
        "no request for an unchanged file, shared keys or not: {:?}",
        &env.requests()[before..]
    );
    let report = read_report(&env.path("report.csv"));
    assert_eq!(report.len(), 4);
    assert!(
        report.iter().all(|r| r["status"] == "unchanged"),
        "{report:?}"
    );
}

#[test]
fn changed_only_sends_a_whole_group_again_when_one_of_its_rows_changed() {
    // The second Ann row no longer has a last name: on a full run the first row's "Lee"
    // stays, so the first row must be sent again before it, and the rows joined to them.
    let changed = GROUP.replace("Ann,Smith,", "Ann,,");
    let env = Env::new();
    let file = env.write("group.csv", GROUP);
    assert_eq!(code(&env.import(&file, &["--changed-only"])), 0);
    let file = env.write("group.csv", &changed);
    let before = env.requests().len();
    let out = env.import(&file, &["--changed-only"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let sent: Vec<String> = upserts(&env.requests()[before..])
        .into_iter()
        .map(|r| {
            let body = r.body.as_ref().unwrap();
            body.get("email").unwrap_or(&body["phone"]).to_string()
        })
        .collect();
    assert_eq!(
        sent,
        [
            r#""ann@example.com""#,
            r#""ANN@example.com""#,
            r#""+14155552671""#
        ],
        "the whole group in file order, and not the row of its own"
    );
    let report = read_report(&env.path("report.csv"));
    let statuses: Vec<&str> = report.iter().map(|r| r["status"].as_str()).collect();
    assert_eq!(statuses, ["updated", "updated", "unchanged", "updated"]);

    // The contacts end as two full runs of the two files leave them.
    let full = Env::new();
    let file = full.write("group.csv", GROUP);
    assert_eq!(code(&full.import(&file, &[])), 0);
    let file = full.write("group.csv", &changed);
    assert_eq!(code(&full.import(&file, &[])), 0);
    assert_eq!(contacts_as_left(&env), contacts_as_left(&full));

    // Then the group is settled again.
    let before = env.requests().len();
    assert_eq!(code(&env.import(&file, &["--changed-only"])), 0);
    assert_eq!(env.requests().len(), before);
}

#[test]
fn no_state_runs_without_a_store() {
    let env = Env::new();
    let file = env.write("c.csv", "email\nns@example.com\n");
    let out = env.import(&file, &["--no-state"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!env.state_path().exists());
    let out = env.import(&file, &["--no-state", "--changed-only"]);
    assert_eq!(code(&out), 2, "--changed-only needs the store");
}
