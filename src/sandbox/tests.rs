//! End-to-end tests over real HTTP on 127.0.0.1.

use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

use super::*;

const LOC: &str = "ve9EPM428h8vShlRW1KT";

async fn sandbox(config: SandboxConfig) -> (SandboxHandle, Client) {
    let handle = start(SandboxConfig {
        seed: Some(7),
        ..config
    })
    .await
    .expect("start sandbox");
    let client = Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    (handle, client)
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

async fn call(
    h: &SandboxHandle,
    c: &Client,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let mut rb = c
        .request(method, format!("{}{path}", h.base_url()))
        .bearer_auth("test-token")
        .header("Version", "2021-07-28");
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let resp = rb.send().await.expect("request");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.json().await.unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
    }
}

async fn post(h: &SandboxHandle, c: &Client, path: &str, body: Value) -> Answer {
    call(h, c, Method::POST, path, Some(body)).await
}

async fn get(h: &SandboxHandle, c: &Client, path: &str) -> Answer {
    call(h, c, Method::GET, path, None).await
}

fn assert_rate_headers(headers: &HeaderMap) {
    for name in [
        "x-ratelimit-max",
        "x-ratelimit-remaining",
        "x-ratelimit-interval-milliseconds",
        "x-ratelimit-limit-daily",
        "x-ratelimit-daily-remaining",
    ] {
        assert!(headers.contains_key(name), "missing {name} in {headers:?}");
    }
}

fn hdr(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn unauthorized_has_the_spec_body_and_rate_headers() {
    let (h, c) = sandbox(SandboxConfig {
        token: Some("right".into()),
        ..Default::default()
    })
    .await;
    let url = format!("{}/contacts/upsert", h.base_url());
    let body = json!({"locationId": LOC, "email": "a@b.co"});
    for rb in [
        c.post(&url).header("Version", "2021-07-28").json(&body),
        c.post(&url)
            .bearer_auth("wrong")
            .header("Version", "2021-07-28")
            .json(&body),
        c.post(format!("{}/contacts/bulk/business", h.base_url()))
            .header("Version", "2021-07-28")
            .json(&json!({"locationId": LOC, "ids": [], "businessId": null})),
    ] {
        let resp = rb.send().await.unwrap();
        assert_eq!(resp.status(), 401);
        assert_rate_headers(resp.headers());
        let v: Value = resp.json().await.unwrap();
        assert_eq!(
            v,
            json!({"statusCode": 401, "message": "Invalid token: access token is invalid", "error": "Unauthorized"})
        );
    }
    let ok = c
        .post(&url)
        .bearer_auth("right")
        .header("Version", "2021-07-28")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let log = h.requests();
    assert_eq!(log.len(), 4);
    assert!(!log[0].authorization_present && log[1].authorization_present);
    assert_eq!(
        log.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![401, 401, 401, 200]
    );
    assert_eq!(log[3].location_id.as_deref(), Some(LOC));
    assert!(h.contacts(LOC).len() == 1);
}

#[tokio::test]
async fn version_header_is_required() {
    let (h, c) = sandbox(SandboxConfig::default()).await;
    let url = format!("{}/contacts/?locationId={LOC}", h.base_url());
    for version in [None, Some("2023-02-21")] {
        let mut rb = c.get(&url).bearer_auth("t");
        if let Some(v) = version {
            rb = rb.header("Version", v);
        }
        let resp = rb.send().await.unwrap();
        assert_eq!(resp.status(), 400);
        assert_rate_headers(resp.headers());
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["statusCode"], 400);
        assert!(v["message"].as_str().unwrap().contains("Version"));
    }
}

#[tokio::test]
async fn upsert_creates_then_updates_by_email_then_by_phone() {
    let (h, c) = sandbox(SandboxConfig::default()).await;
    let a = post(
        &h,
        &c,
        "/contacts/upsert",
        json!({"locationId": LOC, "email": "Ann@Example.com",
        "firstName": "Ann", "phone": "+1 888-555-0001", "city": "Oslo"}),
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["new"], true);
    assert!(a.body["traceId"].is_string());
    let id = a.body["contact"]["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 20);
    assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(a.body["contact"]["phone"], "+18885550001");
    assert_eq!(a.body["contact"]["locationId"], LOC);
    assert_eq!(a.body["contact"]["tags"], json!([]));

    // Same email, other case: update; absent fields kept, null clears.
    let b = post(
        &h,
        &c,
        "/contacts/upsert",
        json!({"locationId": LOC, "email": "ann@example.com",
        "lastName": "Lee", "city": null}),
    )
    .await;
    assert_eq!(b.status, 200);
    assert_eq!(b.body["new"], false);
    assert_eq!(b.body["contact"]["id"], id.as_str());
    assert_eq!(b.body["contact"]["name"], "Ann Lee");
    assert!(b.body["contact"].get("city").is_none());

    // No email, phone in another format: update by phone.
    let p = post(
        &h,
        &c,
        "/contacts/upsert",
        json!({"locationId": LOC, "phone": "(888) 555-0001", "source": "csv"}),
    )
    .await;
    assert_eq!(p.body["new"], false);
    assert_eq!(p.body["contact"]["id"], id.as_str());
    let stored = h.contact(LOC, &id).unwrap();
    assert_eq!(stored.source.as_deref(), Some("csv"));
    assert_eq!(stored.first_name.as_deref(), Some("Ann"));
    assert_eq!(stored.city, None);
    assert_eq!(h.contacts(LOC).len(), 1);

    // Another location is separate.
    let other = post(
        &h,
        &c,
        "/contacts/upsert",
        json!({"locationId": "OtherLocation00000000", "email": "ann@example.com"}),
    )
    .await;
    assert_eq!(other.body["new"], true);

    let got = get(&h, &c, &format!("/contacts/{id}")).await;
    assert_eq!(got.status, 200);
    assert_eq!(
        got.body["contact"]["email"], "ann@example.com",
        "the update rewrote the email as sent"
    );
    let missing = get(&h, &c, "/contacts/AAAAAAAAAAAAAAAAAAAA").await;
    assert_eq!(missing.status, 400);
}

#[tokio::test]
async fn email_match_wins_and_phone_is_not_written() {
    for (priority, winner) in [
        (DuplicatePriority::EmailFirst, "a"),
        (DuplicatePriority::PhoneFirst, "b"),
    ] {
        let (h, c) = sandbox(SandboxConfig {
            duplicate_priority: priority,
            ..Default::default()
        })
        .await;
        let a = h.insert_contact(
            LOC,
            SandboxContact {
                email: Some("a@x.io".into()),
                phone: Some("+15550000001".into()),
                ..Default::default()
            },
        );
        let b = h.insert_contact(
            LOC,
            SandboxContact {
                email: Some("b@x.io".into()),
                phone: Some("+15550000002".into()),
                ..Default::default()
            },
        );
        let r = post(&h, &c, "/contacts/upsert", json!({"locationId": LOC, "email": "a@x.io", "phone": "+15550000002", "firstName": "Z"})).await;
        assert_eq!(r.body["new"], false);
        let (target, other) = if winner == "a" { (&a, &b) } else { (&b, &a) };
        assert_eq!(r.body["contact"]["id"], target.as_str());
        let t = h.contact(LOC, target).unwrap();
        assert_eq!(t.first_name.as_deref(), Some("Z"));
        if winner == "a" {
            assert_eq!(
                t.phone.as_deref(),
                Some("+15550000001"),
                "phone must not be written"
            );
        } else {
            assert_eq!(
                t.email.as_deref(),
                Some("b@x.io"),
                "email must not be written"
            );
        }
        assert_eq!(h.contact(LOC, other).unwrap().first_name, None);
        assert_eq!(h.contacts(LOC).len(), 2);
    }
}

#[tokio::test]
async fn upsert_tags_overwrite_but_bulk_add_merges() {
    let (h, c) = sandbox(SandboxConfig::default()).await;
    let r = post(
        &h,
        &c,
        "/contacts/upsert",
        json!({"locationId": LOC, "email": "t@x.io", "tags": ["a", "b"]}),
    )
    .await;
    let id = r.body["contact"]["id"].as_str().unwrap().to_string();
    let r = post(
        &h,
        &c,
        "/contacts/upsert",
        json!({"locationId": LOC, "email": "t@x.io", "tags": ["c"]}),
    )
    .await;
    assert_eq!(r.body["contact"]["tags"], json!(["c"]));

    let r = post(
        &h,
        &c,
        "/contacts/bulk/tags/update/add",
        json!({"locationId": LOC, "contacts": [id], "tags": ["c", "d"]}),
    )
    .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["succeded"], true);
    assert_eq!(r.body["errorCount"], 0);
    assert_eq!(
        r.body["responses"][0],
        json!({"contactId": id, "message": "Tags updated", "type": "success", "oldTags": ["c"], "tagsAdded": ["d"], "tagsRemoved": []})
    );
    assert_eq!(h.contact(LOC, &id).unwrap().tags, vec!["c", "d"]);

    let r = post(
        &h,
        &c,
        "/contacts/bulk/tags/update/remove",
        json!({"locationId": LOC, "contacts": [id], "tags": ["c", "zz"]}),
    )
    .await;
    assert_eq!(r.body["responses"][0]["tagsRemoved"], json!(["c"]));
    assert_eq!(h.contact(LOC, &id).unwrap().tags, vec!["d"]);

    let r = post(
        &h,
        &c,
        "/contacts/bulk/tags/update/add",
        json!({"locationId": LOC, "contacts": [id], "tags": [], "removeAllTags": true}),
    )
    .await;
    assert_eq!(r.status, 400);
    let r = post(
        &h,
        &c,
        "/contacts/bulk/tags/update/remove",
        json!({"locationId": LOC, "contacts": [id], "tags": [], "removeAllTags": true}),
    )
    .await;
    assert_eq!(r.status, 201);
    assert!(h.contact(LOC, &id).unwrap().tags.is_empty());
    let r = post(
        &h,
        &c,
        "/contacts/bulk/tags/update/toggle",
        json!({"locationId": LOC, "contacts": [id], "tags": ["x"]}),
    )
    .await;
    assert_eq!(r.status, 422);
}

#[tokio::test]
async fn bulk_tags_report_per_contact_errors() {
    let (h, c) = sandbox(SandboxConfig::default()).await;
    let good = h.insert_contact(
        LOC,
        SandboxContact {
            email: Some("g@x.io".into()),
            ..Default::default()
        },
    );
    let foreign = h.insert_contact("AnotherLocation12345", SandboxContact::default());
    let body = json!({"locationId": LOC, "contacts": ["abcdef", good, foreign, "ZZZZZZZZZZZZZZZZZZZZ"], "tags": ["vip"]});
    let r = post(&h, &c, "/contacts/bulk/tags/update/add", body).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["succeded"], false);
    assert_eq!(r.body["errorCount"], 3);
    let resp = r.body["responses"].as_array().unwrap();
    assert_eq!(
        resp[0],
        json!({"contactId": "abcdef", "message": "contact id is not a valid firebase id", "type": "error"})
    );
    assert_eq!(resp[1]["type"], "success");
    assert_eq!(resp[2]["message"], "contact does not belong to location");
    assert_eq!(resp[3]["type"], "error");
    assert_eq!(h.contact(LOC, &good).unwrap().tags, vec!["vip"]);
    assert!(h
        .contact("AnotherLocation12345", &foreign)
        .unwrap()
        .tags
        .is_empty());
}

#[tokio::test]
async fn bulk_business_limit_and_null_removes() {
    let (h, c) = sandbox(SandboxConfig::default()).await;
    let ids: Vec<String> = (0..3)
        .map(|_| h.insert_contact(LOC, SandboxContact::default()))
        .collect();
    let too_many: Vec<String> = (0..51).map(|i| format!("id{i}")).collect();
    let r = post(
        &h,
        &c,
        "/contacts/bulk/business",
        json!({"locationId": LOC, "ids": too_many, "businessId": "biz1"}),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["error"], "Unprocessable Entity");
    let r = post(
        &h,
        &c,
        "/contacts/bulk/business",
        json!({"locationId": LOC, "ids": ids}),
    )
    .await;
    assert_eq!(r.status, 422, "businessId is required (nullable)");

    let r = post(
        &h,
        &c,
        "/contacts/bulk/business",
        json!({"locationId": LOC, "ids": [ids[0], ids[1], "nope"], "businessId": "biz1"}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, json!({"success": true, "ids": [ids[0], ids[1]]}));
    assert_eq!(
        h.contact(LOC, &ids[1]).unwrap().business_id.as_deref(),
        Some("biz1")
    );
    let r = post(
        &h,
        &c,
        "/contacts/bulk/business",
        json!({"locationId": LOC, "ids": [ids[1]], "businessId": null}),
    )
    .await;
    assert_eq!(r.body["ids"], json!([ids[1]]));
    assert_eq!(h.contact(LOC, &ids[1]).unwrap().business_id, None);
    assert_eq!(
        h.contact(LOC, &ids[0]).unwrap().business_id.as_deref(),
        Some("biz1")
    );
}

#[tokio::test]
async fn paging_is_stable_and_limited() {
    let (h, c) = sandbox(SandboxConfig::default()).await;
    let ids: Vec<String> = (0..45)
        .map(|i| {
            h.insert_contact(
                LOC,
                SandboxContact {
                    email: Some(format!("p{i}@x.io")),
                    ..Default::default()
                },
            )
        })
        .collect();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(id) => format!("/contacts/?locationId={LOC}&limit=20&startAfterId={id}"),
            None => format!("/contacts/?locationId={LOC}"),
        };
        let r = get(&h, &c, &path).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["count"], 45);
        let page = r.body["contacts"].as_array().unwrap();
        seen.extend(page.iter().map(|c| c["id"].as_str().unwrap().to_string()));
        match r.body["meta"]["startAfterId"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, ids);
    assert_eq!(
        get(&h, &c, &format!("/contacts/?locationId={LOC}&limit=101"))
            .await
            .status,
        422
    );
    let r = get(&h, &c, &format!("/contacts/?locationId={LOC}&limit=100")).await;
    assert_eq!(r.body["contacts"].as_array().unwrap().len(), 45);
    assert_eq!(
        get(&h, &c, &format!("/contacts/?locationId={LOC}&bogus=1"))
            .await
            .status,
        422
    );
}

#[tokio::test]
async fn rate_limit_429_with_headers_and_retry_after() {
    let config = SandboxConfig {
        rate_max: 5,
        rate_interval: Duration::from_millis(200),
        ..Default::default()
    };
    let (h, c) = sandbox(config).await;
    let path = format!("/contacts/?locationId={LOC}");
    let mut statuses = Vec::new();
    let mut last = None;
    for _ in 0..6 {
        let r = get(&h, &c, &path).await;
        statuses.push(r.status.as_u16());
        assert_rate_headers(&r.headers);
        last = Some(r);
    }
    assert_eq!(statuses, vec![200, 200, 200, 200, 200, 429]);
    let r = last.unwrap();
    assert_eq!(
        r.body,
        json!({"statusCode": 429, "message": "Too Many Requests"})
    );
    assert_eq!(hdr(&r.headers, "retry-after"), "1");
    assert_eq!(hdr(&r.headers, "x-ratelimit-max"), "5");
    assert_eq!(hdr(&r.headers, "x-ratelimit-remaining"), "0");
    assert_eq!(hdr(&r.headers, "x-ratelimit-interval-milliseconds"), "200");
    assert_eq!(hdr(&r.headers, "x-ratelimit-limit-daily"), "200000");
    assert_eq!(
        hdr(&r.headers, "x-ratelimit-daily-remaining"),
        "199995",
        "the 429 consumed nothing"
    );
    // Another location has its own budget.
    assert_eq!(
        get(&h, &c, "/contacts/?locationId=SecondLocation000000")
            .await
            .status,
        200
    );
    tokio::time::sleep(Duration::from_millis(210)).await;
    let r = get(&h, &c, &path).await;
    assert_eq!(r.status, 200);
    assert_eq!(hdr(&r.headers, "x-ratelimit-remaining"), "4");
}

#[tokio::test]
async fn daily_limit_refuses_with_429() {
    let (h, c) = sandbox(SandboxConfig {
        daily_limit: 3,
        ..Default::default()
    })
    .await;
    let path = format!("/contacts/?locationId={LOC}");
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(get(&h, &c, &path).await.status.as_u16());
    }
    assert_eq!(statuses, vec![200, 200, 200, 429]);
}

#[tokio::test]
async fn sliding_window_never_admits_more_than_max() {
    let max = 5;
    let interval = Duration::from_millis(150);
    let config = SandboxConfig {
        rate_max: max,
        rate_interval: interval,
        ..Default::default()
    };
    let (h, c) = sandbox(config).await;
    let path = format!("/contacts/?locationId={LOC}&limit=1");
    let deadline = Instant::now() + Duration::from_millis(700);
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (h, c, path) = (h.clone(), c.clone(), path.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                get(&h, &c, &path).await;
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut admitted: Vec<Instant> = h
        .requests()
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| r.at)
        .collect();
    admitted.sort();
    assert!(
        admitted.len() >= 2 * max as usize,
        "too few admitted: {}",
        admitted.len()
    );
    for w in admitted.windows(max as usize + 1) {
        assert!(
            w[max as usize] - w[0] >= interval,
            "{} requests within {:?}",
            max + 1,
            w[max as usize] - w[0]
        );
    }
    assert!(h.requests().iter().any(|r| r.status == 429));
}

#[tokio::test]
async fn dropped_connection_is_a_client_error() {
    let (h, c) = sandbox(SandboxConfig::default()).await;
    h.inject(
        Forced::Drop { after_apply: false },
        1,
        Some("/contacts/upsert"),
    );
    let body = json!({"locationId": LOC, "email": "d@x.io"});
    let err = c
        .post(format!("{}/contacts/upsert", h.base_url()))
        .bearer_auth("t")
        .header("Version", "2021-07-28")
        .json(&body)
        .send()
        .await
        .expect_err("the connection must be dropped");
    assert!(!err.is_status() && !err.is_timeout(), "{err:?}");
    assert!(h.contacts(LOC).is_empty(), "not applied");

    h.inject(Forced::Drop { after_apply: true }, 1, None);
    let err = post_raw(&h, &c, &body).await;
    assert!(err.is_err());
    assert_eq!(h.contacts(LOC).len(), 1, "applied before the drop");
    // The server keeps serving.
    assert_eq!(
        post(&h, &c, "/contacts/upsert", body).await.body["new"],
        false
    );
    assert_eq!(h.requests().iter().filter(|r| r.status == 0).count(), 2);

    // Random drops come from the seeded RNG.
    h.set_faults(Faults {
        drop_rate: 1.0,
        ..Faults::none()
    });
    assert!(get_raw(&h, &c).await.is_err());
    h.set_faults(Faults::none());
    assert!(get_raw(&h, &c).await.is_ok());
}

async fn post_raw(
    h: &SandboxHandle,
    c: &Client,
    body: &Value,
) -> reqwest::Result<reqwest::Response> {
    c.post(format!("{}/contacts/upsert", h.base_url()))
        .bearer_auth("t")
        .header("Version", "2021-07-28")
        .json(body)
        .send()
        .await
}

async fn get_raw(h: &SandboxHandle, c: &Client) -> reqwest::Result<reqwest::Response> {
    c.get(format!("{}/contacts/?locationId={LOC}", h.base_url()))
        .bearer_auth("t")
        .header("Version", "2021-07-28")
        .send()
        .await
}

#[tokio::test]
async fn injected_statuses_are_not_applied() {
    let (h, c) = sandbox(SandboxConfig::default()).await;
    h.inject_next(503, 2);
    h.inject(Forced::Status(429), 1, Some("/contacts/bulk/*"));
    let body = json!({"locationId": LOC, "email": "i@x.io"});
    for _ in 0..2 {
        let r = post(&h, &c, "/contacts/upsert", body.clone()).await;
        assert_eq!(r.status, 503);
        assert_rate_headers(&r.headers);
        assert_eq!(r.body["statusCode"], 503);
    }
    assert!(h.contacts(LOC).is_empty());
    assert_eq!(post(&h, &c, "/contacts/upsert", body).await.status, 200);
    let r = post(
        &h,
        &c,
        "/contacts/bulk/business",
        json!({"locationId": LOC, "ids": [], "businessId": null}),
    )
    .await;
    assert_eq!(r.status, 429);
    assert!(r.headers.contains_key("retry-after"));

    h.set_faults(Faults {
        fail_5xx_rate: 1.0,
        ..Faults::none()
    });
    let r = get(&h, &c, &format!("/contacts/?locationId={LOC}")).await;
    assert!([500, 502, 503].contains(&r.status.as_u16()));
}

#[tokio::test]
async fn stall_outlasts_the_client_timeout() {
    let (h, _) = sandbox(SandboxConfig::default()).await;
    let c = Client::builder()
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    h.inject(Forced::Stall(Duration::from_millis(600)), 1, None);
    let err = get_raw(&h, &c).await.expect_err("stalled");
    assert!(err.is_timeout());
    assert!(get_raw(&h, &c).await.is_ok());
}

#[tokio::test]
async fn validation_errors_are_nestjs_style() {
    let (h, c) = sandbox(SandboxConfig::default()).await;
    let r = post(
        &h,
        &c,
        "/contacts/upsert",
        json!({"locationId": LOC, "email": "x@y.io", "foo": 1}),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.body,
        json!({"statusCode": 422, "message": ["property foo should not exist"], "error": "Unprocessable Entity"})
    );
    let r = post(
        &h,
        &c,
        "/contacts/upsert",
        json!({"locationId": LOC, "dnd": "true", "tags": "a,b"}),
    )
    .await;
    assert_eq!(r.status, 422);
    let msgs: Vec<String> = serde_json::from_value(r.body["message"].clone()).unwrap();
    assert!(
        msgs.contains(&"dnd must be a boolean value".to_string()),
        "{msgs:?}"
    );
    assert!(
        msgs.contains(&"tags must be an array".to_string()),
        "{msgs:?}"
    );
    let r = post(&h, &c, "/contacts/upsert", json!({"email": "x@y.io"})).await;
    assert_eq!(r.status, 422);
    assert!(r.body["message"][0]
        .as_str()
        .unwrap()
        .contains("locationId"));
    let r = post(
        &h,
        &c,
        "/contacts/upsert",
        json!({"locationId": LOC, "email": "no-at-sign"}),
    )
    .await;
    assert_eq!(r.body["message"], json!(["email must be an email"]));
    let resp = c
        .post(format!("{}/contacts/upsert", h.base_url()))
        .bearer_auth("t")
        .header("Version", "2021-07-28")
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    // Optional fields the spec does not require are not required.
    let r = post(&h, &c, "/contacts/upsert", json!({"locationId": LOC})).await;
    assert_eq!(r.status, 200);
    assert!(h.contacts(LOC).len() == 1);
    let r = get(&h, &c, "/nope").await;
    assert_eq!(r.status, 404);
    assert_rate_headers(&r.headers);
}

#[tokio::test]
async fn custom_fields_by_id_or_key() {
    let (h, c) = sandbox(SandboxConfig::default()).await;
    let r = get(
        &h,
        &c,
        &format!("/locations/{LOC}/customFields?model=contact"),
    )
    .await;
    assert_eq!(r.status, 200);
    let fields = r.body["customFields"].as_array().unwrap();
    assert_eq!(fields.len(), 7);
    let ltv = fields
        .iter()
        .find(|f| f["fieldKey"] == "contact.lifetime_value")
        .unwrap();
    assert_eq!(ltv["dataType"], "MONETORY");
    assert_eq!(ltv["locationId"], LOC);
    let ltv_id = ltv["id"].as_str().unwrap().to_string();
    assert_eq!(
        Some(ltv_id.clone()),
        h.custom_field_id(LOC, "contact.lifetime_value")
    );
    let again = get(&h, &c, &format!("/locations/{LOC}/customFields")).await;
    assert_eq!(again.body, r.body, "ids are stable");

    let r = post(
        &h,
        &c,
        "/contacts/upsert",
        json!({"locationId": LOC, "email": "cf@x.io", "customFields": [
            {"id": ltv_id, "field_value": 12.5},
            {"key": "contact.interests", "field_value": ["Music", "Food"]},
            {"key": "notes", "fieldValue": "hello"},
        ]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let cfs = r.body["contact"]["customFields"].as_array().unwrap();
    assert_eq!(cfs.len(), 3);
    assert!(cfs.contains(&json!({"id": ltv_id, "value": 12.5})));
    // Partial update keeps other fields; null clears one.
    let r = post(
        &h,
        &c,
        "/contacts/upsert",
        json!({"locationId": LOC, "email": "cf@x.io",
        "customFields": [{"key": "notes", "field_value": null}]}),
    )
    .await;
    assert_eq!(
        r.body["contact"]["customFields"].as_array().unwrap().len(),
        2
    );
    let r = post(
        &h,
        &c,
        "/contacts/upsert",
        json!({"locationId": LOC, "email": "cf@x.io",
        "customFields": [{"key": "shoe_size", "field_value": "9"}]}),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body["message"][0].as_str().unwrap().contains("shoe_size"));
    let r = post(
        &h,
        &c,
        "/contacts/upsert",
        json!({"locationId": LOC, "email": "cf@x.io",
        "customFields": [{"key": "employees", "field_value": "many"}]}),
    )
    .await;
    assert_eq!(r.status, 422);
}

#[tokio::test]
async fn create_refuses_duplicates() {
    let (h, c) = sandbox(SandboxConfig::default()).await;
    let r = post(
        &h,
        &c,
        "/contacts/",
        json!({"locationId": LOC, "email": "c@x.io", "phone": "+15550001111"}),
    )
    .await;
    assert_eq!(r.status, 201);
    let id = r.body["contact"]["id"].as_str().unwrap().to_string();
    let r = post(
        &h,
        &c,
        "/contacts/",
        json!({"locationId": LOC, "phone": "+1 555 000 1111"}),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body["message"],
        "This location does not allow duplicated contacts."
    );
    assert_eq!(
        r.body["meta"],
        json!({"contactId": id, "matchingField": "phone"})
    );
}

#[tokio::test]
async fn concurrent_upserts_with_latency_can_duplicate() {
    let config = SandboxConfig {
        latency: (Duration::from_millis(50), Duration::from_millis(50)),
        ..Default::default()
    };
    let (h, c) = sandbox(config).await;
    let body = json!({"locationId": LOC, "email": "race@x.io"});
    let (a, b) = tokio::join!(
        post(&h, &c, "/contacts/upsert", body.clone()),
        post(&h, &c, "/contacts/upsert", body.clone())
    );
    assert_eq!(
        (a.body["new"].clone(), b.body["new"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(h.contacts(LOC).len(), 2, "the race is emulated");
    // Sequential upserts find the (oldest) match.
    let r = post(&h, &c, "/contacts/upsert", body).await;
    assert_eq!(r.body["new"], false);
    assert_eq!(h.contacts(LOC).len(), 2);
}

#[tokio::test]
async fn recording_can_be_off_and_shutdown_closes() {
    let (h, c) = sandbox(SandboxConfig {
        record_requests: false,
        ..Default::default()
    })
    .await;
    assert_eq!(
        get(&h, &c, &format!("/contacts/?locationId={LOC}"))
            .await
            .status,
        200
    );
    assert!(h.requests().is_empty());
    let url = h.base_url();
    h.shutdown().await;
    let fresh = Client::new();
    assert!(fresh.get(format!("{url}/contacts/")).send().await.is_err());
}

#[tokio::test]
async fn gender_is_kept_on_update_only_when_asked() {
    for drop in [false, true] {
        let (h, c) = sandbox(SandboxConfig {
            drop_gender_on_update: drop,
            ..Default::default()
        })
        .await;
        let body = |g: &str| json!({"locationId": LOC, "email": "g@x.io", "gender": g});
        let r = post(&h, &c, "/contacts/upsert", body("male")).await;
        assert_eq!(
            r.body["contact"]["gender"], "male",
            "a new contact takes it"
        );
        let r = post(&h, &c, "/contacts/upsert", body("female")).await;
        assert_eq!(r.status, StatusCode::OK);
        let kept = if drop { "male" } else { "female" };
        assert_eq!(r.body["contact"]["gender"], kept, "drop = {drop}");
    }
}

fn h2_client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(5))
        .http2_prior_knowledge()
        .build()
        .unwrap()
}

#[tokio::test]
async fn http2_with_prior_knowledge_is_answered_recorded_and_rate_limited_as_http1_is() {
    let (h, h1) = sandbox(SandboxConfig {
        rate_max: 3,
        ..Default::default()
    })
    .await;
    let h2 = h2_client();
    let upsert = |c: &Client, i: usize| {
        c.post(format!("{}/contacts/upsert", h.base_url()))
            .bearer_auth("t")
            .header("Version", "2021-07-28")
            .json(&json!({"locationId": LOC, "email": format!("p{i}@x.io")}))
            .send()
    };
    let answers = futures::future::join_all((0..4).map(|i| upsert(&h2, i))).await;
    let mut statuses: Vec<u16> = answers
        .into_iter()
        .map(|r| {
            let r = r.unwrap();
            assert_eq!(r.version(), reqwest::Version::HTTP_2);
            assert_rate_headers(r.headers());
            r.status().as_u16()
        })
        .collect();
    statuses.sort();
    assert_eq!(statuses, [200, 200, 200, 429]);
    // HTTP/1.1 on the same port counts against the same quota.
    let r = upsert(&h1, 9).await.unwrap();
    assert_eq!(r.version(), reqwest::Version::HTTP_11);
    assert_eq!(r.status(), 429);
    let log = h.requests();
    assert_eq!(log.len(), 5);
    assert!(log
        .iter()
        .all(|r| r.location_id.as_deref() == Some(LOC) && r.path == "/contacts/upsert"));
    assert_eq!(h.contacts(LOC).len(), 3);
}

#[tokio::test]
async fn a_dropped_request_on_http2_resets_its_own_stream_not_the_shared_connection() {
    let (h, _) = sandbox(SandboxConfig {
        latency: (Duration::from_millis(200), Duration::from_millis(200)),
        ..Default::default()
    })
    .await;
    h.inject(Forced::Drop { after_apply: false }, 1, None);
    let c = h2_client();
    let body = |i: usize| json!({"locationId": LOC, "email": format!("q{i}@x.io")});
    let bodies: Vec<Value> = (0..3).map(body).collect();
    let answers = futures::future::join_all(bodies.iter().map(|b| post_raw(&h, &c, b))).await;
    let failed = answers.iter().filter(|r| r.is_err()).count();
    assert_eq!(failed, 1, "{answers:?}");
    assert_eq!(h.contacts(LOC).len(), 2);
}
