//! The token emulation over real HTTP: scopes, expiry, rotation, agency endpoints.

use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::sandbox::{start, SandboxConfig, SandboxHandle};

const LOC: &str = "ve9EPM428h8vShlRW1KT";
const OTHER: &str = "PX8m5VwxEbcpFlzYEPVG";

async fn sandbox() -> (SandboxHandle, Client) {
    let h = start(SandboxConfig {
        token: Some("legacy-token".into()),
        seed: Some(3),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    h.register_app("cid", "csecret", "app1");
    (h, Client::new())
}

async fn upsert(h: &SandboxHandle, c: &Client, token: &str, loc: &str) -> (StatusCode, Value) {
    let r = c
        .post(format!("{}/contacts/upsert", h.base_url()))
        .bearer_auth(token)
        .header("Version", "2021-07-28")
        .json(&json!({"locationId": loc, "email": "a@example.com"}))
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or_default())
}

async fn form(
    h: &SandboxHandle,
    c: &Client,
    path: &str,
    bearer: Option<&str>,
    f: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut rb = c.post(format!("{}{path}", h.base_url())).form(f);
    if let Some(b) = bearer {
        rb = rb.bearer_auth(b).header("Version", "2021-07-28");
    }
    let r = rb.send().await.unwrap();
    (r.status(), r.json().await.unwrap_or_default())
}

#[tokio::test]
async fn location_tokens_work_only_for_their_location_and_scopes() {
    let (h, c) = sandbox().await;
    h.add_location_token(LOC, "pit-loc");
    h.add_location_token_scoped(OTHER, "pit-read", &["contacts.readonly"]);
    assert_eq!(upsert(&h, &c, "pit-loc", LOC).await.0, StatusCode::OK);
    let (s, b) = upsert(&h, &c, "pit-loc", OTHER).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        b["message"],
        "The token does not have access to this location."
    );
    let (s, b) = upsert(&h, &c, "pit-read", OTHER).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(b["message"], "The token is not authorized for this scope.");
    assert_eq!(
        upsert(&h, &c, "nobody-knows-me", LOC).await.0,
        StatusCode::UNAUTHORIZED
    );
    // The configured token still works everywhere, but not on agency endpoints.
    assert_eq!(
        upsert(&h, &c, "legacy-token", OTHER).await.0,
        StatusCode::OK
    );
    let (s, _) = form(
        &h,
        &c,
        "/oauth/locationToken",
        Some("legacy-token"),
        &[("companyId", "co"), ("locationId", LOC)],
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn refresh_tokens_rotate_and_access_tokens_expire() {
    let (h, c) = sandbox().await;
    let g = h.install_location("cid", LOC);
    assert_eq!(g.expires_in, 86_399);
    let refresh = |rt: String| {
        let (h, c) = (h.clone(), c.clone());
        async move {
            form(
                &h,
                &c,
                "/oauth/token",
                None,
                &[
                    ("client_id", "cid"),
                    ("client_secret", "csecret"),
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &rt),
                ],
            )
            .await
        }
    };
    let (s, b) = refresh(g.refresh_token.clone()).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["locationId"], LOC);
    assert_eq!(b["userType"], "Location");
    let new_rt = b["refresh_token"].as_str().unwrap().to_owned();
    let at = b["access_token"].as_str().unwrap().to_owned();
    assert_ne!(new_rt, g.refresh_token);
    // The old one is spent.
    let (s, b) = refresh(g.refresh_token.clone()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["error"], "invalid_grant");
    assert!(h.refresh_token_usable(&new_rt));
    // A wrong secret is refused.
    let (s, _) = form(
        &h,
        &c,
        "/oauth/token",
        None,
        &[
            ("client_id", "cid"),
            ("client_secret", "nope"),
            ("grant_type", "refresh_token"),
            ("refresh_token", &new_rt),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Both access tokens work until they expire, which they do after the configured time.
    assert_eq!(upsert(&h, &c, &at, LOC).await.0, StatusCode::OK);
    assert_eq!(upsert(&h, &c, &g.access_token, LOC).await.0, StatusCode::OK);
    h.set_access_token_ttl(Duration::from_millis(1));
    let (_, b) = refresh(new_rt).await;
    let short = b["access_token"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (s, b) = upsert(&h, &c, &short, LOC).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(b["message"].as_str().unwrap().contains("expired"), "{b}");
    h.expire_access_tokens();
    assert_eq!(upsert(&h, &c, &at, LOC).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn agency_tokens_obtain_location_tokens_and_list_installs_but_cannot_write_contacts() {
    let (h, c) = sandbox().await;
    let g = h.install_company("cid", "co1", &[(LOC, "Alpha"), (OTHER, "Beta")]);
    let (s, b) = upsert(&h, &c, &g.access_token, LOC).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(b["message"], "The token is not authorized for this scope.");
    let (s, b) = form(
        &h,
        &c,
        "/oauth/locationToken",
        Some(&g.access_token),
        &[("companyId", "co1"), ("locationId", LOC)],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let lt = b["access_token"].as_str().unwrap().to_owned();
    assert_eq!(upsert(&h, &c, &lt, LOC).await.0, StatusCode::OK);
    assert_eq!(upsert(&h, &c, &lt, OTHER).await.0, StatusCode::FORBIDDEN);
    let (s, _) = form(
        &h,
        &c,
        "/oauth/locationToken",
        Some(&g.access_token),
        &[("companyId", "co2"), ("locationId", LOC)],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = form(
        &h,
        &c,
        "/oauth/locationToken",
        Some(&g.access_token),
        &[("companyId", "co1")],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let list = |q: &'static str| {
        let (h, c, t) = (h.clone(), c.clone(), g.access_token.clone());
        async move {
            let r = c
                .get(format!("{}/oauth/installedLocations?{q}", h.base_url()))
                .bearer_auth(t)
                .header("Version", "2021-07-28")
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap_or_default())
        }
    };
    let (s, b) = list("companyId=co1&appId=app1&limit=1&skip=1").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["count"], 2);
    assert_eq!(b["locations"][0]["_id"], OTHER);
    assert_eq!(
        list("companyId=co1").await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}
