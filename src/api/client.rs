//! The HighLevel client: every request is paced by the location's limiter, carries the two
//! required headers, and is retried (bounded, jittered) when retrying can help.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, Semaphore};

use super::error::ApiError;
use super::fast_map::FastMap;
use super::lane::{BudgetPolicy, Lane, LaneChange};
use super::limiter::RateLimit;
use super::oauth::TokenSource;
use super::stats::Stats;
use super::token::Token;
use super::upsert_answer::UpsertAnswer;
use crate::contact::ContactFields;
use crate::event::{Endpoint, Event};

pub const API_VERSION: &str = "2021-07-28";
pub const DEFAULT_BASE_URL: &str = "https://services.leadconnectorhq.com";
/// The longest a location is paused after one 429.
const MAX_429_PAUSE: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub base_url: String,
    pub token: Token,
    /// Per-location tokens (a credentials file or an agency token); `token` is then unused.
    pub credentials: Option<Arc<TokenSource>>,
    pub rate: RateLimit,
    /// The most requests in flight at once, all locations together. Each location keeps as
    /// many in flight as its pace and the latency need.
    pub concurrency: usize,
    pub budget: BudgetPolicy,
    /// Requests the run expects to make, for warning early about the daily budget.
    pub estimated_calls: Option<u64>,
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    pub timeout: Duration,
    /// First backoff step; doubles per attempt, with jitter, up to `backoff_cap`.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
}

impl ClientConfig {
    pub fn new(base_url: impl Into<String>, token: Token) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            token,
            credentials: None,
            rate: RateLimit::HIGHLEVEL,
            concurrency: 256,
            budget: BudgetPolicy::default(),
            estimated_calls: None,
            max_attempts: 6,
            timeout: Duration::from_secs(30),
            backoff_base: Duration::from_millis(250),
            backoff_cap: Duration::from_secs(20),
        }
    }
}

/// What the server last said about a location's quota (`X-RateLimit-*`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimitInfo {
    pub max: Option<u64>,
    pub remaining: Option<u64>,
    pub interval_ms: Option<u64>,
    pub daily_limit: Option<u64>,
    pub daily_remaining: Option<u64>,
}

impl RateLimitInfo {
    fn from_headers(h: &HeaderMap) -> Self {
        // One pass over the answer's headers, instead of a lookup (a hash of the name) for
        // each of the five. The first value of a name counts, as `HeaderMap::get` reads it.
        let mut info = RateLimitInfo::default();
        let mut seen = [false; 5];
        for (name, value) in h {
            let Some(rest) = name.as_str().strip_prefix("x-ratelimit-") else {
                continue;
            };
            let (i, slot) = match rest {
                "max" => (0, &mut info.max),
                "remaining" => (1, &mut info.remaining),
                "interval-milliseconds" => (2, &mut info.interval_ms),
                "limit-daily" => (3, &mut info.daily_limit),
                "daily-remaining" => (4, &mut info.daily_remaining),
                _ => continue,
            };
            if !std::mem::replace(&mut seen[i], true) {
                *slot = value.to_str().ok().and_then(|v| v.trim().parse().ok());
            }
        }
        info
    }
}

/// A successful upsert.
#[derive(Debug, Clone)]
pub struct Upserted {
    pub created: bool,
    pub contact_id: String,
    /// The contact as the server stored it, to check that what was sent stuck (`None` when
    /// the answer does not show it).
    pub contact: Option<crate::compare::RemoteContact>,
}

/// `Authorization: Bearer …`, marked sensitive (never logged by the HTTP stack).
fn bearer_header(token: &Token) -> Option<HeaderValue> {
    let mut v = HeaderValue::from_str(&format!("Bearer {}", token.expose())).ok()?;
    v.set_sensitive(true);
    Some(v)
}

/// Per-contact result of a bulk call: `Err` carries the server's reason for that contact.
pub type PerContact = Vec<(String, Result<(), String>)>;

/// Which bulk tag call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagOp {
    Add,
    Remove,
}

/// What a bulk tag call says it did to one contact: `tagsAdded` / `tagsRemoved` of its
/// answer, `None` when the answer does not list them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagChange {
    pub added: Option<Vec<String>>,
    pub removed: Option<Vec<String>>,
}

/// Per-contact result of a bulk tag call.
pub type TagAnswers = Vec<(String, Result<TagChange, String>)>;

pub struct Client {
    http: reqwest::Client,
    base_url: String,
    token: Token,
    credentials: Option<Arc<TokenSource>>,
    rate: RateLimit,
    budget: BudgetPolicy,
    estimated_calls: Option<u64>,
    lanes: Mutex<FastMap<String, Arc<Lane>>>,
    /// Request URLs parsed once, not once per request.
    urls: Mutex<HashMap<String, reqwest::Url>>,
    /// The headers every request carries, built once: `Version`, `Accept`, and the
    /// `Authorization` of the one token when there are no per-location tokens.
    headers: HeaderMap,
    concurrency: usize,
    in_flight: Semaphore,
    max_attempts: u32,
    backoff_base: Duration,
    backoff_cap: Duration,
    stats: Arc<Stats>,
    events: Option<mpsc::Sender<Event>>,
    /// Set on a fatal error (401/403): no further request is made.
    halted: AtomicBool,
    /// Set on an interrupt: upserts not sent yet are not sent; what was sent finishes.
    draining: AtomicBool,
    /// Some request has had an answer from the base URL: a connection error after that is
    /// the network's hiccup, retried; before it, a wrong or unreachable address.
    answered: AtomicBool,
    /// Some request of this run got a 2xx: a later 404 for a route is not a wrong base URL.
    succeeded: AtomicBool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url)
            .field("token", &self.token)
            .finish()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UpsertBody<'a> {
    location_id: &'a str,
    #[serde(flatten)]
    contact: &'a ContactFields,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TagsBody<'a> {
    contacts: &'a [String],
    tags: &'a [String],
    location_id: &'a str,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TagsResponse {
    #[serde(default)]
    error_count: Option<f64>,
    #[serde(default)]
    responses: Vec<serde_json::Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BusinessBody<'a> {
    location_id: &'a str,
    ids: &'a [String],
    business_id: Option<&'a str>,
}

#[derive(Deserialize)]
struct BusinessResponse {
    #[serde(default)]
    success: Option<bool>,
    #[serde(default)]
    ids: Vec<String>,
}

/// One try of one request, as [`Client::attempt`] sends it.
struct Outgoing<'a> {
    endpoint: Endpoint,
    location: &'a str,
    method: &'a Method,
    url: &'a str,
    body: Option<bytes::Bytes>,
    /// A row's first upsert: new work, which a draining client no longer starts.
    fresh: bool,
}

/// How one attempt ended, before deciding whether to retry.
enum Attempt {
    Done(bytes::Bytes),
    Retry {
        reason: String,
        wait: Option<Duration>,
        /// No connection could be made.
        unconnected: bool,
    },
    Fail(ApiError),
}

impl Client {
    pub fn new(
        config: ClientConfig,
        stats: Arc<Stats>,
        events: Option<mpsc::Sender<Event>>,
    ) -> Result<Self, ApiError> {
        let http = http_builder(&config, h2_prior_knowledge(|k| std::env::var_os(k)))
            .build()
            .map_err(|e| ApiError::Protocol {
                endpoint: Endpoint::Upsert,
                message: format!("cannot build the HTTP client: {e}"),
            })?;
        let mut headers = HeaderMap::new();
        headers.insert("version", HeaderValue::from_static(API_VERSION));
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if config.credentials.is_none() {
            if let Some(v) = bearer_header(&config.token) {
                headers.insert(AUTHORIZATION, v);
            }
        }
        Ok(Client {
            http,
            headers,
            base_url: config.base_url.trim_end_matches('/').to_owned(),
            token: config.token,
            credentials: config.credentials,
            rate: config.rate,
            budget: config.budget,
            estimated_calls: config.estimated_calls,
            lanes: Mutex::default(),
            urls: Mutex::default(),
            concurrency: config.concurrency.max(1),
            in_flight: Semaphore::new(config.concurrency.max(1)),
            max_attempts: config.max_attempts.max(1),
            backoff_base: config.backoff_base,
            backoff_cap: config.backoff_cap,
            stats,
            events,
            halted: AtomicBool::new(false),
            draining: AtomicBool::new(false),
            answered: AtomicBool::new(false),
            succeeded: AtomicBool::new(false),
        })
    }

    fn parsed(&self, url: &str) -> Option<reqwest::Url> {
        let mut urls = self.urls.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(u) = urls.get(url) {
            return Some(u.clone());
        }
        let u = reqwest::Url::parse(url).ok()?;
        urls.insert(url.to_owned(), u.clone());
        Some(u)
    }

    /// The lane of `location`, made on first use.
    fn lane(&self, location: &str) -> Arc<Lane> {
        let mut lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(lane) = lanes.get(location) {
            return lane.clone();
        }
        let n = lanes.len();
        lanes
            .entry(location.to_owned())
            .or_insert_with(|| {
                Arc::new(
                    Lane::new(location, self.rate, self.concurrency, self.budget)
                        .starting_at(super::lane::start_share(n)),
                )
            })
            .clone()
    }

    /// Rows of `location` worth having in progress: its lane's slots, and as many waiting.
    pub fn lane_capacity(&self, location: &str) -> usize {
        self.lane(location).slots() * 2
    }

    /// Sends `location`'s lane makes at its pace while its slowest recent answer comes back.
    pub fn sends_within_slowest_answer(&self, location: &str) -> usize {
        self.lane(location).sends_within_slowest_answer()
    }

    /// Puts what a lane learned in front of the user.
    async fn tell(&self, location: &str, change: LaneChange) {
        let message = match change {
            LaneChange::QuotaLowered(r) => format!(
                "location {location}: the server allows {r}, less than --rate-limit {}; pacing at {r}",
                self.rate
            ),
            LaneChange::DailyKnown(remaining, limit) => {
                let lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner()).len();
                let usable = remaining.saturating_sub(self.budget.reserve);
                match self.estimated_calls {
                    Some(need) if lanes == 1 && need > usable => format!(
                        "location {location} has {remaining} of {} requests left today{}, and this file needs about {need}: the run will stop when they run out (exit 3) and report the rest as deferred",
                        limit.map_or_else(|| "its".to_owned(), |l| l.to_string()),
                        if self.budget.reserve > 0 { format!(" ({} kept in reserve)", self.budget.reserve) } else { String::new() },
                    ),
                    _ => {
                        tracing::info!(location, remaining, limit, "daily budget");
                        return;
                    }
                }
            }
        };
        if let Some(tx) = &self.events {
            let _ = tx.send(Event::Notice { message }).await;
        }
    }

    /// `POST /contacts/upsert`. Tags are never part of the body: they would replace the
    /// contact's existing tags.
    pub async fn upsert(
        &self,
        location: &str,
        contact: &ContactFields,
    ) -> Result<Upserted, ApiError> {
        let body = UpsertBody {
            location_id: location,
            contact,
        };
        let r: UpsertAnswer = self
            .call(
                Endpoint::Upsert,
                location,
                Method::POST,
                "/contacts/upsert",
                Some(&body),
            )
            .await?;
        let returned = r.contact.unwrap_or_default();
        let contact_id = returned.id.ok_or_else(|| ApiError::Protocol {
            endpoint: Endpoint::Upsert,
            message: "the response has no contact id".into(),
        })?;
        Ok(Upserted {
            created: r.new.unwrap_or(false),
            contact_id,
            contact: returned.contact,
        })
    }

    /// `POST /contacts/bulk/tags/update/add`: one result per contact id.
    pub async fn add_tags(
        &self,
        location: &str,
        ids: &[String],
        tags: &[String],
    ) -> Result<PerContact, ApiError> {
        let answers = self.update_tags(TagOp::Add, location, ids, tags).await?;
        Ok(answers
            .into_iter()
            .map(|(id, r)| (id, r.map(|_| ())))
            .collect())
    }

    /// `POST /contacts/bulk/tags/update/{add|remove}`: one result per contact id, with the
    /// tags the server says it added or removed for that contact.
    pub async fn update_tags(
        &self,
        op: TagOp,
        location: &str,
        ids: &[String],
        tags: &[String],
    ) -> Result<TagAnswers, ApiError> {
        let body = TagsBody {
            contacts: ids,
            tags,
            location_id: location,
        };
        let (endpoint, path) = match op {
            TagOp::Add => (Endpoint::BulkTagsAdd, "/contacts/bulk/tags/update/add"),
            TagOp::Remove => (
                Endpoint::BulkTagsRemove,
                "/contacts/bulk/tags/update/remove",
            ),
        };
        let r: TagsResponse = self
            .call(endpoint, location, Method::POST, path, Some(&body))
            .await?;
        let mut errors: HashMap<String, String> = HashMap::new();
        let mut confirmed: HashMap<String, TagChange> = HashMap::new();
        let list = |v: Option<&serde_json::Value>| {
            v.and_then(|v| v.as_array()).map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect::<Vec<_>>()
            })
        };
        for item in &r.responses {
            let Some(obj) = item.as_object() else {
                continue;
            };
            let Some(id) = obj.get("contactId").and_then(|v| v.as_str()) else {
                continue;
            };
            if obj.get("type").and_then(|v| v.as_str()) == Some("error") {
                let msg = obj
                    .get("message")
                    .and_then(|v| v.as_str())
                    .unwrap_or("tag update failed");
                errors.insert(id.to_owned(), msg.to_owned());
            } else {
                confirmed.insert(
                    id.to_owned(),
                    TagChange {
                        added: list(obj.get("tagsAdded")),
                        removed: list(obj.get("tagsRemoved")),
                    },
                );
            }
        }
        let error_count = r.error_count.unwrap_or(errors.len() as f64) as usize;
        // The spec types `responses` loosely; when an error is counted but not attributed,
        // only contacts the server confirmed count as done.
        let unattributed = error_count > errors.len();
        Ok(ids
            .iter()
            .map(|id| {
                let res = match (errors.get(id), confirmed.get(id)) {
                    (Some(m), _) => Err(m.clone()),
                    (None, Some(c)) => Ok(c.clone()),
                    (None, None) if unattributed => Err(format!(
                        "the bulk tag call reported {error_count} error(s) without naming this contact"
                    )),
                    (None, None) => Ok(TagChange::default()),
                };
                (id.clone(), res)
            })
            .collect())
    }

    /// `POST /contacts/bulk/business` for at most 50 ids.
    pub async fn set_business(
        &self,
        location: &str,
        ids: &[String],
        business_id: Option<&str>,
    ) -> Result<PerContact, ApiError> {
        let body = BusinessBody {
            location_id: location,
            ids,
            business_id,
        };
        let r: BusinessResponse = self
            .call(
                Endpoint::BulkBusiness,
                location,
                Method::POST,
                "/contacts/bulk/business",
                Some(&body),
            )
            .await?;
        let updated: std::collections::HashSet<&str> = r.ids.iter().map(String::as_str).collect();
        let all_ok = r.success.unwrap_or(true);
        Ok(ids
            .iter()
            .map(|id| {
                let res = if all_ok && updated.contains(id.as_str()) {
                    Ok(())
                } else {
                    Err("the business call did not update this contact".to_owned())
                };
                (id.clone(), res)
            })
            .collect())
    }

    /// A GET returning JSON, for reads (custom fields, contact lists).
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        location: &str,
        path_and_query: &str,
    ) -> Result<T, ApiError> {
        self.call::<T, ()>(endpoint, location, Method::GET, path_and_query, None)
            .await
    }

    /// Some request of this run has had an answer (any status) from the base URL.
    pub fn was_answered(&self) -> bool {
        self.answered.load(Ordering::Relaxed)
    }

    /// Stops all further requests (after a fatal error).
    pub fn halt(&self) {
        self.halted.store(true, Ordering::SeqCst);
    }

    /// Stops new work (upserts not yet sent); retries of sent requests and bulk calls for
    /// rows already upserted still go out.
    pub fn drain(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// The run is stopping (interrupt or fatal error): long reads should not start more pages.
    pub fn is_stopping(&self) -> bool {
        self.stopped(true)
    }

    fn stopped(&self, fresh: bool) -> bool {
        self.halted.load(Ordering::SeqCst) || (fresh && self.draining.load(Ordering::SeqCst))
    }

    pub(super) async fn call<T: DeserializeOwned, B: Serialize>(
        &self,
        endpoint: Endpoint,
        location: &str,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, ApiError> {
        let body = match body {
            Some(b) => Some(bytes::Bytes::from(serde_json::to_vec(b).map_err(|e| {
                ApiError::Protocol {
                    endpoint,
                    message: format!("cannot encode the request: {e}"),
                }
            })?)),
            None => None,
        };
        let url = format!("{}{}", self.base_url, path);
        if let Some(reason) = self.location_failure(location) {
            return Err(ApiError::LocationFailed {
                location: location.to_owned(),
                reason,
            });
        }
        let mut attempt = 1;
        let mut refreshed = false;
        loop {
            // A row's first upsert is new work; anything else finishes what was started.
            let fresh = endpoint == Endpoint::Upsert && attempt == 1;
            if self.stopped(fresh) {
                return Err(ApiError::Cancelled);
            }
            let mut bearer = None;
            let outcome = self
                .attempt(
                    Outgoing {
                        endpoint,
                        location,
                        method: &method,
                        url: &url,
                        body: body.clone(),
                        fresh,
                    },
                    &mut bearer,
                )
                .await;
            let (reason, wait) = match outcome {
                Attempt::Done(bytes) => {
                    return serde_json::from_slice(&bytes).map_err(|e| ApiError::Protocol {
                        endpoint,
                        message: format!("cannot read the response body: {e}"),
                    })
                }
                Attempt::Fail(ApiError::Unauthorized { message, .. })
                    if self.credentials.is_some()
                        && !refreshed
                        && message.to_ascii_lowercase().contains("expired") =>
                {
                    // Once per request: a token that is refused again right after its renewal
                    // is not an expiry.
                    refreshed = true;
                    let renewed = match &bearer {
                        Some(used) => self.renew(location, used).await?,
                        None => false,
                    };
                    if renewed {
                        continue;
                    }
                    return Err(self
                        .skip_location(location, format!("401 Unauthorized ({message}): the token has expired and cannot be renewed"))
                        .await);
                }
                Attempt::Fail(ApiError::Unauthorized { endpoint, message })
                    if self.credentials.is_some() =>
                {
                    let reason = format!("{endpoint:?} was refused with 401 Unauthorized ({message}): this location's token is invalid, expired or revoked; {}", self.fix_hint(location));
                    return Err(self.skip_location(location, reason).await);
                }
                Attempt::Fail(ApiError::Forbidden {
                    endpoint,
                    message,
                    scope,
                }) if self.credentials.is_some() => {
                    let reason = format!("{endpoint:?} was refused with 403 Forbidden ({message}): this location's token needs the scope {scope} for this location; {}", self.fix_hint(location));
                    return Err(self.skip_location(location, reason).await);
                }
                Attempt::Fail(e) => {
                    if e.is_fatal() {
                        self.halt();
                    }
                    return Err(e);
                }
                Attempt::Retry {
                    reason,
                    wait,
                    unconnected,
                } => {
                    if unconnected && attempt >= self.max_attempts && !self.was_answered() {
                        self.halt();
                        return Err(ApiError::Unreachable {
                            base_url: self.base_url.clone(),
                            attempts: attempt,
                            last: reason,
                        });
                    }
                    (reason, wait)
                }
            };
            if attempt >= self.max_attempts {
                return Err(ApiError::Exhausted {
                    attempts: attempt,
                    last: reason,
                });
            }
            let delay = wait.unwrap_or_else(|| self.backoff(attempt));
            attempt += 1;
            self.stats.retried();
            tracing::debug!(?endpoint, attempt, delay_ms = delay.as_millis() as u64, %reason, "retrying");
            if let Some(tx) = &self.events {
                let _ = tx
                    .send(Event::Retry {
                        endpoint,
                        attempt,
                        reason: reason.clone(),
                        delay_ms: delay.as_millis() as u64,
                    })
                    .await;
            }
            tokio::time::sleep(delay).await;
        }
    }

    /// The token for `location`: its own with per-location credentials, else the one token.
    async fn bearer(&self, location: &str) -> Result<Token, ApiError> {
        let Some(src) = &self.credentials else {
            return Ok(self.token.clone());
        };
        if let Some(reason) = self.lane(location).failure() {
            return Err(ApiError::LocationFailed {
                location: location.to_owned(),
                reason,
            });
        }
        match src.bearer(location).await {
            Ok(t) => Ok(t),
            Err(e) => Err(self.skip_location(location, e.to_string()).await),
        }
    }

    /// A 401 said `used` expired: true once a fresh token is there to retry with.
    async fn renew(&self, location: &str, used: &Token) -> Result<bool, ApiError> {
        let Some(src) = &self.credentials else {
            return Ok(false);
        };
        match src.expired(location, used).await {
            Ok(renewed) => Ok(renewed),
            Err(e) => Err(self.skip_location(location, e.to_string()).await),
        }
    }

    /// The location's token is missing or refused: its remaining requests are not made; the
    /// other locations go on. Said once, as a notice.
    async fn skip_location(&self, location: &str, reason: String) -> ApiError {
        if self.lane(location).fail(reason.clone()) {
            if let Some(tx) = &self.events {
                let _ = tx
                    .send(Event::Notice {
                        message: format!(
                            "location {location} is skipped, its rows are deferred: {reason}"
                        ),
                    })
                    .await;
            }
        }
        ApiError::LocationFailed {
            location: location.to_owned(),
            reason: self.lane(location).failure().unwrap_or(reason),
        }
    }

    /// Where a location's token comes from, to say what to fix.
    fn fix_hint(&self, location: &str) -> String {
        let Some(src) = &self.credentials else {
            return String::new();
        };
        let creds = src.credentials();
        match creds.path() {
            Some(p) if creds.locations.contains_key(location) => format!(
                "give [locations.{location}] in {} a working token",
                p.display()
            ),
            _ => "check that the agency token may obtain this location's token (scope oauth.write) and that the app is installed on the location".to_owned(),
        }
    }

    /// Why `location` is skipped, if it is.
    pub fn location_failure(&self, location: &str) -> Option<String> {
        let lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
        lanes.get(location).and_then(|l| l.failure())
    }

    /// Locations this run used, and how many of them were skipped.
    pub fn locations_skipped(&self) -> (usize, usize) {
        let lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
        let failed = lanes.values().filter(|l| l.failure().is_some()).count();
        (lanes.len(), failed)
    }

    /// The preflight's last word: a token whose scopes are known must include
    /// `contacts.write`.
    pub async fn check_write_scope(&self, location: &str) -> Result<(), ApiError> {
        let Some(src) = &self.credentials else {
            return Ok(());
        };
        match src.scope(location).await {
            Some(scope) if !scope.split_whitespace().any(|s| s == "contacts.write") => Err(self
                .skip_location(
                    location,
                    format!("the token's scopes ({scope}) do not include contacts.write, which importing needs"),
                )
                .await),
            _ => Ok(()),
        }
    }

    /// Equal jitter: half the exponential step, plus a random part of the other half.
    fn backoff(&self, attempt: u32) -> Duration {
        let step = self
            .backoff_base
            .saturating_mul(1u32 << (attempt - 1).min(16))
            .min(self.backoff_cap);
        let half = step / 2;
        half + half.mul_f64(rand::random::<f64>())
    }

    async fn attempt(&self, out: Outgoing<'_>, used: &mut Option<Token>) -> Attempt {
        let Outgoing {
            endpoint,
            location,
            method,
            url,
            body,
            fresh,
        } = out;
        let lane = self.lane(location);
        let _slot = lane.slot().await;
        if self.stopped(fresh) {
            return Attempt::Fail(ApiError::Cancelled);
        }
        let spent = |e: super::lane::BudgetSpent| {
            Attempt::Fail(ApiError::DailyLimit {
                location: location.to_owned(),
                message: e.0,
            })
        };
        let mut stamped = match lane.token().await {
            Ok(t) => t,
            Err(e) => return spent(e),
        };
        // The global cap counts requests on the network only, so one location waiting for
        // its pace never holds up another. When it is full, the send is given back and paced
        // again once there is room, so the window guard only ever counts real sends.
        let _permit = match self.in_flight.try_acquire() {
            Ok(p) => p,
            Err(_) => {
                lane.unsend(stamped);
                let p = self
                    .in_flight
                    .acquire()
                    .await
                    .expect("the global semaphore is never closed");
                stamped = match lane.token().await {
                    Ok(t) => t,
                    Err(e) => return spent(e),
                };
                p
            }
        };
        if self.stopped(fresh) {
            lane.unsend(stamped);
            return Attempt::Fail(ApiError::Cancelled);
        }
        // Fetched last, once paced: a token renewed ahead of its expiry is sent at once. The
        // one token is already in the prebuilt headers: no copy of it per request.
        let prebuilt_auth = self.headers.contains_key(AUTHORIZATION);
        let bearer = match prebuilt_auth {
            true => None,
            false => match self.bearer(location).await {
                Ok(t) => Some(&*used.insert(t)),
                Err(e) => {
                    lane.unsend(stamped);
                    return Attempt::Fail(e);
                }
            },
        };
        let sent_at = std::time::Instant::now();
        // However this attempt ends, the lane learns when: the window guard counts a send
        // whose answer was late as having arrived late (see `lane::counted_at`).
        let mut flight = Flight {
            lane: &lane,
            stamped,
            answered: false,
        };
        let auth = bearer.and_then(bearer_header);
        let prebuilt = prebuilt_auth || auth.is_some();
        let req = match self.parsed(url).filter(|_| prebuilt) {
            Some(u) => {
                let mut req = reqwest::Request::new(method.clone(), u);
                let headers = req.headers_mut();
                *headers = self.headers.clone();
                if let Some(v) = auth {
                    headers.insert(AUTHORIZATION, v);
                }
                if let Some(b) = body {
                    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                    *req.body_mut() = Some(b.into());
                }
                Ok(req)
            }
            // Left to reqwest, which says what is wrong with the URL or the token.
            None => self
                .http
                .request(method.clone(), url)
                .header(
                    AUTHORIZATION,
                    format!("Bearer {}", bearer.unwrap_or(&self.token).expose()),
                )
                .build(),
        };
        self.stats.sent(endpoint);
        let resp = match req {
            Ok(req) => self.http.execute(req).await,
            Err(e) => Err(e),
        };
        // Recorded once the request is out, so nothing stands between pacing and sending.
        self.stats.series.sent(location, lane.rate(), sent_at);
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                return Attempt::Retry {
                    reason: transport_reason(&e),
                    wait: None,
                    unconnected: e.is_connect(),
                }
            }
        };
        flight.answer();
        self.answered.store(true, Ordering::Relaxed);
        let status = resp.status();
        let info = RateLimitInfo::from_headers(resp.headers());
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| Duration::from_secs_f64(s.min(3600.0)));
        self.stats
            .series
            .daily(location, info.daily_remaining, info.daily_limit);
        if let Some(change) = lane.observe(sent_at.elapsed(), &info) {
            self.tell(location, change).await;
        }
        let bytes = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => {
                return Attempt::Retry {
                    reason: transport_reason(&e),
                    wait: None,
                    unconnected: false,
                }
            }
        };
        if status.is_success() {
            self.succeeded.store(true, Ordering::Relaxed);
            return Attempt::Done(bytes);
        }
        let message = server_message(&bytes, status);
        match status {
            StatusCode::NOT_FOUND
                if no_such_route(&bytes) && !self.succeeded.load(Ordering::Relaxed) =>
            {
                Attempt::Fail(ApiError::NoSuchRoute {
                    base_url: self.base_url.clone(),
                    url: url.to_owned(),
                    message,
                })
            }
            StatusCode::TOO_MANY_REQUESTS if info.daily_remaining == Some(0) => {
                self.stats.throttled();
                Attempt::Fail(ApiError::DailyLimit {
                    location: location.to_owned(),
                    message: format!(
                        "the daily API limit of location {location} is used up (HTTP 429)"
                    ),
                })
            }
            StatusCode::TOO_MANY_REQUESTS => {
                self.stats.throttled();
                // Wait for the window to free: the server's word first, else one interval.
                // Capped: a burst window is seconds long; a longer wait means something else.
                let wait = retry_after
                    .or(info.interval_ms.map(Duration::from_millis))
                    .unwrap_or(self.rate.per)
                    .min(MAX_429_PAUSE);
                lane.pause(wait);
                if let Some(tx) = &self.events {
                    let _ = tx
                        .send(Event::RateLimited {
                            endpoint,
                            location_id: location.to_owned(),
                        })
                        .await;
                }
                Attempt::Retry {
                    reason: format!("HTTP 429: {message}"),
                    wait: Some(Duration::ZERO),
                    unconnected: false,
                }
            }
            StatusCode::UNAUTHORIZED => Attempt::Fail(ApiError::Unauthorized { endpoint, message }),
            StatusCode::FORBIDDEN => Attempt::Fail(ApiError::Forbidden {
                endpoint,
                message,
                scope: scope_for(endpoint),
            }),
            s if s.is_server_error() || s == StatusCode::REQUEST_TIMEOUT => Attempt::Retry {
                reason: format!("HTTP {}: {message}", s.as_u16()),
                wait: None,
                unconnected: false,
            },
            s => Attempt::Fail(ApiError::Rejected {
                status: s.as_u16(),
                message,
            }),
        }
    }
}

/// A 404 about the route, not about a record: HighLevel (NestJS) answers an unknown route
/// with `{"statusCode":404,"message":"Cannot POST /v2/contacts/upsert","error":"Not Found"}`,
/// and a server that is not the API at all with a page that is not JSON. A record it cannot
/// find is a 400 "Contact not found" (the spec lists no 404 for contacts), or JSON naming it:
/// an assumption, so any JSON 404 not in Express's "Cannot <METHOD> <path>" form is left a
/// per-row rejection.
fn no_such_route(body: &[u8]) -> bool {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => v.get("message").and_then(|m| m.as_str()).is_some_and(|m| {
            let mut words = m.split(' ');
            words.next() == Some("Cannot")
                && words
                    .next()
                    .is_some_and(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_uppercase()))
                && words.next().is_some_and(|p| p.starts_with('/'))
        }),
        Err(_) => true,
    }
}

fn scope_for(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::Upsert
        | Endpoint::BulkTagsAdd
        | Endpoint::BulkBusiness
        | Endpoint::UpdateContact
        | Endpoint::DeleteContact
        | Endpoint::BulkTagsRemove => "contacts.write",
        Endpoint::ListContacts | Endpoint::GetContact => "contacts.readonly",
        Endpoint::CustomFields => "locations/customFields.readonly",
    }
}

fn transport_reason(e: &reqwest::Error) -> String {
    // reqwest's Display includes the URL, which holds no secret; strip it anyway to keep
    // messages short and stable.
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the connection broke while reading the response"
    } else {
        "the connection failed"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind} ({detail})")
    }
}

/// The human part of an error body: HighLevel answers `message` as a string or a list.
fn server_message(bytes: &[u8], status: StatusCode) -> String {
    let fallback = || status.canonical_reason().unwrap_or("error").to_owned();
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        let text = String::from_utf8_lossy(bytes);
        let text = text.trim();
        return if text.is_empty() {
            fallback()
        } else {
            text.chars().take(300).collect()
        };
    };
    match v.get("message") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| i.to_string())
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ => fallback(),
    }
}

/// A request on its way, as its lane's window guard sees it.
struct Flight<'a> {
    lane: &'a Lane,
    stamped: tokio::time::Instant,
    answered: bool,
}

impl Flight<'_> {
    /// The answer's headers came: its time tells how long answers take.
    fn answer(&mut self) {
        self.answered = true;
        self.lane.ended(self.stamped, self.stamped.elapsed(), true);
    }
}

impl Drop for Flight<'_> {
    /// Failed on the way (or dropped): the server counted it by now, if at all.
    fn drop(&mut self) {
        if !self.answered {
            self.lane.ended(self.stamped, self.stamped.elapsed(), false);
        }
    }
}

/// `GHL_IMPORT_H2C` set: HTTP/2 with prior knowledge, for benchmarks against the sandbox
/// (benches/README.md, "HTTP/2").
fn h2_prior_knowledge(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> bool {
    var("GHL_IMPORT_H2C").is_some_and(|v| !v.is_empty())
}

/// The HTTP client's settings (tests add a root certificate).
fn http_builder(config: &ClientConfig, h2_prior_knowledge: bool) -> reqwest::ClientBuilder {
    let b = reqwest::Client::builder()
        .timeout(config.timeout)
        .connect_timeout(Duration::from_secs(10).min(config.timeout))
        .user_agent(concat!("ghl-import/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(config.concurrency.max(1))
        // The API answers where it is asked; following redirects costs a copy of every
        // request for a case that never comes.
        .redirect(reqwest::redirect::Policy::none());
    // HTTP/1.1 only, even where the server offers h2: on HTTP/2 every request to the host
    // shares one connection, and beyond the server's stream limit (often 100-256) they wait
    // for a stream, which caps many locations far below their summed quota. One connection
    // per request in flight costs a TLS handshake each, once per run.
    if h2_prior_knowledge {
        b.http2_prior_knowledge()
    } else {
        b.http1_only()
    }
}

#[cfg(test)]
#[path = "client_http_tests.rs"]
mod http_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_message_shapes() {
        let s = StatusCode::UNPROCESSABLE_ENTITY;
        assert_eq!(server_message(br#"{"message":["a","b"]}"#, s), "a; b");
        assert_eq!(server_message(br#"{"message":"x"}"#, s), "x");
        assert_eq!(server_message(b"", s), "Unprocessable Entity");
        assert_eq!(server_message(b"plain", s), "plain");
    }

    #[test]
    fn a_404_for_the_route_is_told_from_one_about_a_record() {
        for route in [
            &br#"{"statusCode":404,"message":"Cannot POST /v2/contacts/upsert","error":"Not Found"}"#[..],
            b"<html><body><h1>404 Not Found</h1></body></html>",
            b"",
        ] {
            assert!(no_such_route(route), "{}", String::from_utf8_lossy(route));
        }
        for record in [
            &br#"{"statusCode":404,"message":"Contact not found"}"#[..],
            br#"{"statusCode":404,"message":"Cannot find contact with id abc"}"#,
            br#"{"statusCode":404,"error":"Not Found"}"#,
        ] {
            assert!(
                !no_such_route(record),
                "{}",
                String::from_utf8_lossy(record)
            );
        }
    }

    #[test]
    fn reads_the_rate_limit_headers_as_a_lookup_by_name_does() {
        let mut h = HeaderMap::new();
        h.insert("content-type", HeaderValue::from_static("application/json"));
        h.insert("x-ratelimit-max", HeaderValue::from_static("100"));
        h.insert("x-ratelimit-remaining", HeaderValue::from_static(" 42 "));
        h.insert(
            "x-ratelimit-interval-milliseconds",
            HeaderValue::from_static("10000"),
        );
        h.insert("x-ratelimit-limit-daily", HeaderValue::from_static("many"));
        h.insert("x-ratelimit-other", HeaderValue::from_static("7"));
        // A repeated name: the first value counts, even when it does not read as a number.
        h.append("x-ratelimit-daily-remaining", HeaderValue::from_static("x"));
        h.append("x-ratelimit-daily-remaining", HeaderValue::from_static("5"));
        h.append("x-ratelimit-max", HeaderValue::from_static("3"));
        let by_name = |n: &str| {
            h.get(n)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok())
        };
        let info = RateLimitInfo::from_headers(&h);
        assert_eq!(
            info,
            RateLimitInfo {
                max: by_name("x-ratelimit-max"),
                remaining: by_name("x-ratelimit-remaining"),
                interval_ms: by_name("x-ratelimit-interval-milliseconds"),
                daily_limit: by_name("x-ratelimit-limit-daily"),
                daily_remaining: by_name("x-ratelimit-daily-remaining"),
            }
        );
        assert_eq!(
            (info.max, info.remaining, info.daily_remaining),
            (Some(100), Some(42), None)
        );
        assert_eq!(
            RateLimitInfo::from_headers(&HeaderMap::new()),
            RateLimitInfo::default()
        );
    }

    #[test]
    fn debug_hides_the_token() {
        let c = Client::new(
            ClientConfig::new(
                "http://127.0.0.1:1",
                Token::new("secret-token-xyz").unwrap(),
            ),
            Arc::default(),
            None,
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("secret-token-xyz"));
    }
}
