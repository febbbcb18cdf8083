//! Pacing at the quota: any window, retries included; the server's word; many locations;
//! the daily budget.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use ghl_import::sandbox::{RecordedRequest, SandboxConfig};

/// The most requests of one location the sandbox saw in any window of `per`.
fn busiest_window(reqs: &[RecordedRequest], location: &str, per: Duration) -> usize {
    let times: Vec<_> = reqs
        .iter()
        .filter(|r| r.location_id.as_deref() == Some(location) && r.status != 429)
        .map(|r| r.at)
        .collect();
    (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|t| t.duration_since(times[i]) < per)
                .count()
        })
        .max()
        .unwrap_or(0)
}

fn emails(n: usize, prefix: &str) -> String {
    let mut csv = String::from("email,tags\n");
    for i in 0..n {
        csv.push_str(&format!("{prefix}{i}@example.com,t{}\n", i % 2));
    }
    csv
}

#[test]
fn no_window_exceeds_the_limit_even_under_retries() {
    let env = Env::with(SandboxConfig {
        fail_5xx_rate: 0.15,
        latency: (Duration::from_millis(5), Duration::from_millis(30)),
        ..fast_config()
    });
    let file = env.write("r.csv", &emails(120, "retry"));
    let summary = env.path("s.json");
    let out = env.import(&file, &["--summary-json", summary.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(summary).unwrap()).unwrap();
    assert!(
        s["retries"].as_u64().unwrap() > 5,
        "faults caused retries: {s}"
    );
    let reqs = env.requests();
    assert_eq!(
        reqs.iter().filter(|r| r.status == 429).count(),
        0,
        "no 429s"
    );
    let busiest = busiest_window(&reqs, LOCATION, Duration::from_millis(200));
    assert!(busiest <= 20, "{busiest} requests in one 200 ms window");
    assert!(
        busiest >= 17,
        "the quota is used, not wasted: {busiest} in the busiest window"
    );
    assert_eq!(env.sandbox.contacts(LOCATION).len(), 120);
}

#[test]
fn a_server_quota_lower_than_configured_is_followed() {
    // Like a trial account: the server allows 5 per 200 ms, the user configured 20.
    let env = Env::with(SandboxConfig {
        rate_max: 5,
        ..fast_config()
    });
    let file = env.write("q.csv", &emails(40, "quota"));
    let out = env.import(&file, &["--rate-limit", "20/200ms"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let reqs = env.requests();
    let throttled = reqs.iter().filter(|r| r.status == 429).count();
    let t0 = reqs.first().map(|r| r.at);
    let timeline: Vec<String> = reqs
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r.at.duration_since(t0.unwrap()).as_millis(),
                r.status
            )
        })
        .collect();
    assert_eq!(
        throttled, 0,
        "the client slowed to the server's quota before any 429: {timeline:?}"
    );
    assert!(
        stderr(&out).contains("the server allows 5/200ms"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.sandbox.contacts(LOCATION).len(), 40);
}

#[test]
fn rows_go_to_their_own_locations_each_at_its_own_pace() {
    let env = Env::new();
    let mut csv = String::from("Location Id,Email,Tags\n");
    for i in 0..60 {
        let loc = if i % 2 == 0 { "loc-a" } else { "loc-b" };
        csv.push_str(&format!("{loc},p{i}@example.com,vip\n"));
    }
    csv.push_str(",fallback@example.com,\n");
    let file = env.write("two.csv", &csv);
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let a = env.sandbox.contacts("loc-a");
    let b = env.sandbox.contacts("loc-b");
    assert_eq!((a.len(), b.len()), (30, 30));
    assert!(a.iter().all(|c| c
        .email
        .as_deref()
        .unwrap()
        .trim_start_matches('p')
        .trim_end_matches("@example.com")
        .parse::<u32>()
        .unwrap()
        % 2
        == 0));
    assert!(
        a.iter().chain(&b).all(|c| c.tags == ["vip"]),
        "tags went to the right location"
    );
    assert_eq!(
        env.sandbox.contacts(LOCATION).len(),
        1,
        "a row without a location uses --location"
    );
    // Each location had its own quota: together they ran above one location's.
    let reqs = env.requests();
    assert!(reqs.iter().all(|r| r.status != 429));
    let mut per_loc: HashMap<String, usize> = HashMap::new();
    for r in env.requests_to("/contacts/bulk/tags/update/add") {
        *per_loc.entry(r.location_id.clone().unwrap()).or_default() += 1;
    }
    assert_eq!(per_loc.get("loc-a"), Some(&1));
    assert_eq!(per_loc.get("loc-b"), Some(&1));
    let both = busiest_window(&reqs, "loc-a", Duration::from_millis(200))
        + busiest_window(&reqs, "loc-b", Duration::from_millis(200));
    assert!(
        both > 20,
        "two locations together ran above one location's quota: {both}"
    );
}

#[test]
fn a_daily_reserve_stops_the_run_before_the_budget_runs_out() {
    let env = Env::with(SandboxConfig {
        daily_limit: 30,
        ..fast_config()
    });
    let file = env.write("d.csv", &emails(40, "reserve"));
    let out = env.import(&file, &["--daily-reserve", "10", "--concurrency", "1"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("--daily-reserve"), "{err}");
    assert!(
        err.contains("run the same command again after the daily limit resets"),
        "{err}"
    );
    let report = read_report(&env.path("report.csv"));
    assert_eq!(report.len(), 40);
    let created = report.iter().filter(|r| r["status"] == "created").count();
    let deferred = report.iter().filter(|r| r["status"] == "deferred").count();
    assert_eq!(created + deferred, 40);
    assert!(
        (15..=20).contains(&created),
        "stopped with about 10 requests left: {created} created"
    );
    let used = env.requests().len();
    assert!(used <= 20, "{used} requests used; 10 of 30 stay in reserve");
}

#[test]
fn pacing_starts_with_the_first_request_and_a_quarter_of_the_quota_flies_before_the_first_answer() {
    let latency = Duration::from_millis(150);
    let env = Env::with(SandboxConfig {
        latency: (latency, latency),
        ..fast_config()
    });
    let file = env.write("p.csv", &emails(30, "probe"));
    let out = env.import(&file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let upserts = env.requests_to("/contacts/upsert");
    let first = upserts[0].at;
    let before_answer = upserts
        .iter()
        .filter(|r| r.at.duration_since(first) < latency)
        .count();
    // 20 per 200 ms: a quarter is 5. Without waiting for the first answer the pace alone
    // would have sent about 14 by then; waiting for it would have sent 1.
    assert!(
        (2..=5).contains(&before_answer),
        "{before_answer} requests sent before the first answer came back"
    );
    assert_eq!(env.sandbox.contacts(LOCATION).len(), 30);
}
