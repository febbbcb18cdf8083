//! Shared by the dispatcher's and the collector's unit tests: the sandbox over 127.0.0.1 and
//! a client paced for it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::api::{Client, ClientConfig, RateLimit, Token};
use crate::contact::{ContactFields, ValidRow};
use crate::event::Event;
use crate::sandbox::{self, SandboxConfig, SandboxHandle};

pub(super) const TOKEN: &str = "unit-test-token-5d1e";

/// A sandbox answering every request after `latency`, at 200 requests a second.
pub(super) async fn sandbox(latency: Duration) -> SandboxHandle {
    sandbox::start(SandboxConfig {
        token: Some(TOKEN.to_owned()),
        rate_max: 200,
        rate_interval: Duration::from_secs(1),
        latency: (latency, latency),
        record_requests: true,
        seed: Some(3),
        ..SandboxConfig::default()
    })
    .await
    .expect("the sandbox starts")
}

pub(super) fn client(sb: &SandboxHandle) -> (Arc<Client>, mpsc::Receiver<Event>) {
    let mut cfg = ClientConfig::new(sb.base_url(), Token::new(TOKEN).unwrap());
    cfg.rate = RateLimit {
        max: std::num::NonZeroU32::new(200).unwrap(),
        per: Duration::from_secs(1),
    };
    let (ev_tx, ev_rx) = mpsc::channel(1024);
    let c = Client::new(cfg, Arc::default(), Some(ev_tx)).expect("the client builds");
    (Arc::new(c), ev_rx)
}

pub(super) fn row(email: &str, tags: &[&str]) -> Box<ValidRow> {
    Box::new(ValidRow {
        contact: ContactFields {
            email: Some(email.to_owned()),
            ..ContactFields::default()
        },
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        business_id: None,
        location_id: None,
        warnings: Vec::new(),
    })
}

/// The emails of the upserts the sandbox saw, with when it admitted each.
pub(super) fn upserts(sb: &SandboxHandle) -> Vec<(String, std::time::Instant)> {
    sb.requests()
        .into_iter()
        .filter(|r| r.path == "/contacts/upsert")
        .map(|r| {
            let email = r
                .body
                .as_ref()
                .and_then(|b| b.get("email"))
                .and_then(|e| e.as_str())
                .unwrap_or_default()
                .to_owned();
            (email, r.at)
        })
        .collect()
}
