//! A flaky network: injected 5xx, dropped connections (some after the server acted), stalls
//! past the client's timeout and 429s without Retry-After. Every row must still end created,
//! once, with its tags and business, and retries must stay bounded.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::*;
use ghl_import::sandbox::{Forced, SandboxConfig};

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
