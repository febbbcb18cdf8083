//! A flaky network: injected 5xx, dropped connections (some after the server acted), stalls
//! past the client's timeout and 429s without Retry-After. Every row must still end created,
//! once, with its tags and business, and retries must stay bounded.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::*;
use ghl_import::sandbox::{Forced, SandboxConfig};

/// The report of a run that stopped before sending: rows 2.. once each, in order, every tenth
/// (the invalid ones the test files hold) `invalid` and the rest `deferred`.
fn every_row_once_deferred_but_the_invalid(
    report: &[std::collections::HashMap<String, String>],
    rows: usize,
) {
    let got: Vec<usize> = report.iter().map(|r| r["row"].parse().unwrap()).collect();
    assert_eq!(
        got,
        (2..rows + 2).collect::<Vec<_>>(),
        "every row once, in order"
    );
    for (i, r) in report.iter().enumerate() {
        let expected = if i % 10 == 9 { "invalid" } else { "deferred" };
        assert_eq!(r["status"], expected, "{r:?}");
    }
}

#[test]
fn a_flaky_network_loses_nothing_and_duplicates_nothing() {
    let env = Env::with(SandboxConfig {
        rate_max: 400,
        latency: (Duration::from_millis(1), Duration::from_millis(10)),
        fail_5xx_rate: 0.05,
        drop_rate: 0.02,
        // The server acted, the client never heard: the retry must not duplicate.
        drop_after_apply: true,
        stall_rate: 0.01,
        stall: Duration::from_secs(4),
        retry_after: false,
        ..fast_config()
    });
    env.sandbox
        .inject(Forced::Status(429), 5, Some("/contacts/upsert"));
    let mut csv = String::from("email,tags\n");
    for i in 0..1500 {
        csv.push_str(&format!(
            "flaky{i}@example.com,{}\n",
            if i % 2 == 0 { "even" } else { "odd" }
        ));
    }
    let file = env.write("flaky.csv", &csv);
    let summary = env.path("s.json");
    let out = env.import(
        &file,
        &[
            "--rate-limit",
            "400/200ms",
            "--timeout",
            "2s",
            "--max-attempts",
            "8",
            "--business-id",
            "biz_1",
            "--summary-json",
            summary.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    assert_eq!(report.len(), 1500, "every row reported");
    // A row whose first attempt was applied but never answered is matched by its retry,
    // so the server calls it an update: still one contact.
    let odd: Vec<_> = report
        .iter()
        .filter(|r| {
            !(["created", "updated"].contains(&r["status"].as_str())
                && r["tags_status"] == "added"
                && r["business_status"] == "set")
        })
        .take(5)
        .collect();
    assert!(odd.is_empty(), "{odd:?}");
    let contacts = env.sandbox.contacts(LOCATION);
    let emails: HashSet<_> = contacts.iter().filter_map(|c| c.email.clone()).collect();
    assert_eq!(
        (contacts.len(), emails.len()),
        (1500, 1500),
        "one contact per row, no duplicates"
    );
    assert!(contacts
        .iter()
        .all(|c| c.tags.len() == 1 && c.business_id.as_deref() == Some("biz_1")));
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(summary).unwrap()).unwrap();
    let (retries, requests) = (
        s["retries"].as_u64().unwrap(),
        s["requests_total"].as_u64().unwrap(),
    );
    assert!(retries >= 50, "the faults happened: {s}");
    // One upsert a row, 30 business and 16 tag batches, plus the retries.
    assert!(requests <= 1500 + 30 + 16 + retries, "{s}");
    // Retries are bounded per request: no row was sent more than --max-attempts times.
    let mut per_email = std::collections::HashMap::<String, usize>::new();
    for r in env.requests_to("/contacts/upsert") {
        let email = r
            .body
            .as_ref()
            .and_then(|b| b["email"].as_str())
            .unwrap_or_default()
            .to_owned();
        *per_email.entry(email).or_default() += 1;
    }
    let most = per_email.values().max().copied().unwrap_or(0);
    assert!(most <= 8, "a row was sent {most} times");
    assert!(s["throttled"].as_u64().unwrap() >= 5, "{s}");
}

#[test]
fn a_row_that_exhausts_its_retries_fails_with_the_last_error() {
    let env = Env::new();
    env.sandbox
        .inject(Forced::Status(503), 3, Some("/contacts/upsert"));
    let file = env.write("one.csv", "email\nunlucky@example.com\n");
    let out = env.import(&file, &["--max-attempts", "3"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = read_report(&env.path("report.csv"));
    assert_eq!(report[0]["status"], "failed");
    assert!(
        report[0]["errors"].contains("3 attempts") && report[0]["errors"].contains("503"),
        "{}",
        report[0]["errors"]
    );
    assert_eq!(env.requests_to("/contacts/upsert").len(), 3, "bounded");
    assert!(env.sandbox.contacts(LOCATION).is_empty());
}

/// A HubSpot-style list of `n` contacts, every tenth without a usable email or phone.
fn contacts_csv(n: usize) -> String {
    let mut csv = String::from("First Name,Last Name,Email,Phone Number,Tags\n");
    for i in 0..n {
        let email = if i % 10 == 9 {
            "n/a".to_owned()
        } else {
            format!("lead{i}@example.com")
        };
        csv.push_str(&format!(
            "Lead{i},Park,{email},,{}\n",
            if i % 2 == 0 { "webinar" } else { "trial" }
        ));
    }
    csv
}

#[test]
fn an_api_that_cannot_be_reached_stops_the_run_naming_the_base_url_and_reports_every_row() {
    let env = Env::new();
    // A port nothing listens on: every connection is refused.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base_url = format!("http://{}", free.local_addr().unwrap());
    drop(free);
    let file = env.write("leads.csv", &contacts_csv(200));
    let mut c = env.cmd();
    c.env("GHL_BASE_URL", &base_url)
        .arg("import")
        .arg(&file)
        .args([
            "--rate-limit",
            "20/200ms",
            "--business-id",
            "biz_1",
            "--report",
        ])
        .arg(env.path("report.csv"))
        .arg("--summary-json")
        .arg(env.path("s.json"));
    let out = c.output().unwrap();
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(
        err.contains(&format!("cannot connect to {base_url}")) && err.contains("check --base-url"),
        "{err}"
    );
    let report = read_report(&env.path("report.csv"));
    every_row_once_deferred_but_the_invalid(&report, 200);
    // The upserts that were out when the first gave up were not sent.
    assert!(
        report
            .iter()
            .any(|r| r["errors"].starts_with(&format!("not sent: cannot connect to {base_url}"))),
        "{report:?}"
    );
    // Stopped early: the first request gave up, not every row after its own retries.
    assert!(
        !report.iter().any(|r| r["errors"].contains("gave up after")),
        "no row failed on its own: {err}"
    );
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.path("s.json")).unwrap()).unwrap();
    let tried = s["requests_total"].as_u64().unwrap();
    assert!(tried < 180, "fewer tries than rows to send: {s}");
    // A column to match against the location's custom fields: their read, before any row,
    // is the request that gives up.
    let file = env.write(
        "stages.csv",
        "Email,Lifecycle Stage\nann@example.com,lead\nbob@example.com,customer\n",
    );
    let mut c = env.cmd();
    c.env("GHL_BASE_URL", &base_url)
        .arg("import")
        .arg(&file)
        .args(["--max-attempts", "2", "--report"])
        .arg(env.path("stages.csv.report.csv"));
    let out = c.output().unwrap();
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(
        err.contains(&format!("cannot connect to {base_url}")),
        "{err}"
    );
    let report = read_report(&env.path("stages.csv.report.csv"));
    assert_eq!(report.len(), 2);
    assert!(
        report.iter().all(|r| r["status"] == "deferred"),
        "{report:?}"
    );
    assert!(env.requests().is_empty());
}

#[test]
fn a_connection_that_worked_and_then_drops_keeps_retrying_each_row() {
    let env = Env::with(SandboxConfig {
        latency: (Duration::from_millis(20), Duration::from_millis(30)),
        ..fast_config()
    });
    let file = env.write("leads.csv", "email\na@example.com\nb@example.com\nc@example.com\nd@example.com\ne@example.com\nf@example.com\n");
    let mut c = env.cmd();
    c.arg("import")
        .arg(&file)
        .args(["--rate-limit", "2/1s", "--max-attempts", "2", "--report"])
        .arg(env.path("report.csv"));
    let child = c
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The first contact is in: the API has answered. Then it goes away.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while env.sandbox.contacts(LOCATION).is_empty() {
        assert!(std::time::Instant::now() < deadline, "no upsert answered");
        std::thread::sleep(Duration::from_millis(2));
    }
    env.rt.block_on(env.sandbox.clone().shutdown());
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(code(&out), 1, "rows failed, the run did not stop: {err}");
    assert!(!err.contains("cannot connect to"), "{err}");
    let report = read_report(&env.path("report.csv"));
    assert_eq!(report.len(), 6, "{report:?}");
    assert_eq!(report[0]["status"], "created");
    let failed: Vec<_> = report.iter().filter(|r| r["status"] == "failed").collect();
    assert!(!failed.is_empty(), "{report:?}");
    assert!(
        failed
            .iter()
            .all(|r| r["errors"].contains("gave up after 2 attempts")
                && r["errors"].contains("could not connect")),
        "{failed:?}"
    );
    assert!(
        report
            .iter()
            .all(|r| ["created", "failed"].contains(&r["status"].as_str())),
        "{report:?}"
    );
}

#[test]
fn a_base_url_with_a_wrong_path_stops_the_run_at_the_first_404_for_the_route_and_reports_every_row()
{
    let env = Env::new();
    // `/v2` pasted from the docs' page titles: HighLevel's routes start at the host.
    let base_url = format!("{}/v2", env.sandbox.base_url());
    let file = env.write("leads.csv", &contacts_csv(100));
    let mut c = env.cmd();
    c.env("GHL_BASE_URL", &base_url)
        .arg("import")
        .arg(&file)
        .args(["--rate-limit", "20/200ms", "--report"])
        .arg(env.path("report.csv"))
        .arg("--summary-json")
        .arg(env.path("s.json"));
    let out = c.output().unwrap();
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    let said = format!(
        "{base_url}/contacts/upsert answered HTTP 404 (Cannot POST /v2/contacts/upsert): there is no such API route at {base_url}"
    );
    assert!(err.contains(&said), "{err}");
    assert!(err.contains("check --base-url"), "{err}");
    let report = read_report(&env.path("report.csv"));
    every_row_once_deferred_but_the_invalid(&report, 100);
    assert!(
        report
            .iter()
            .any(|r| r["errors"].starts_with(&format!("not sent: {said}"))),
        "{report:?}"
    );
    assert!(
        !report.iter().any(|r| r["errors"].starts_with("HTTP 404")),
        "no row failed on its own: {report:?}"
    );
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.path("s.json")).unwrap()).unwrap();
    let tried = s["requests_total"].as_u64().unwrap();
    assert!(tried < 50, "stopped early, not one 404 per row: {s}");
    assert!(env.sandbox.contacts(LOCATION).is_empty());
}
