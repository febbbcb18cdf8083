//! A HighLevel API v2 emulator: the only server the importer talks to in tests and under
//! `--sandbox`, so it follows the official OpenAPI files (`apps/contacts.json`,
//! `apps/locations.json`, `common/common-schemas.json`) and the fact sheet, and it can misbehave
//! on demand (rate limits, 5xx, dropped connections, stalls, races) the way production can.
//!
//! Endpoints: `POST /contacts/upsert`, `POST /contacts/`, `GET /contacts/`,
//! `GET /contacts/{contactId}`, `PUT /contacts/{contactId}`, `DELETE /contacts/{contactId}`,
//! `POST /contacts/bulk/tags/update/{add|remove}`,
//! `POST /contacts/bulk/business`, `GET /locations/{locationId}/customFields`, and the OAuth
//! endpoints `POST /oauth/token`, `POST /oauth/locationToken`, `GET /oauth/installedLocations`
//! (see the `oauth` module for how tokens are scoped, expire and rotate).
//! Anything else answers 404 JSON.
//!
//! # Order of checks
//! Every request goes through, in this order: bearer token (401), `Version` header (400),
//! rate limit (429), faults (forced injections first, then random 5xx / drop / stall),
//! then the handler, which validates the body (400 bad JSON, 422 schema) and applies it.
//! Latency is slept once per answered request; for writes it is slept between the duplicate
//! lookup and the write (see "race" below).
//!
//! # Assumptions (the real server's behaviour is partly unknown)
//! - **Auth**: tokens issued or registered through the OAuth emulation are scoped to their
//!   location or agency (see the `oauth` module); any other non-empty bearer is accepted for
//!   every location unless [`SandboxConfig::token`] is set. The
//!   bulk endpoints require it too although the spec declares no security (a spec gap).
//!   The 401 body is the spec's `UnauthorizedDTO` example.
//! - **Version**: must be exactly `2021-07-28`. Missing → 400
//!   `{"statusCode":400,"message":"Version header was not found"}`; another value → 400
//!   `{"statusCode":400,"message":"Invalid Version header: expected 2021-07-28"}`.
//! - **Rate limit**: counted per location (`locationId` from the path, query or JSON body; for
//!   `GET /contacts/{id}`, the contact's location). Requests with no location share one
//!   "unscoped" bucket. The burst window is *sliding* (never more than `rate_max` admitted in
//!   any span of `rate_interval`); the real one may be fixed. Only admitted requests count,
//!   against both the window and the daily budget: 401, 400-version and 429 answers consume
//!   nothing. The daily budget resets 24 h after the bucket's first request.
//! - **429**: body `{"statusCode":429,"message":"Too Many Requests"}` and, when
//!   [`SandboxConfig::retry_after`], `Retry-After` in whole seconds rounded up (minimum 1);
//!   the real body and header are unknown.
//! - **Rate headers** (`X-RateLimit-Max`, `-Remaining`, `-Interval-Milliseconds`,
//!   `-Limit-Daily`, `-Daily-Remaining`) are on every response, including 401/400/404/422/
//!   429/5xx; on a request that was not admitted they show the bucket as it stands.
//! - **Faults**: an injected 5xx (random 500/502/503, body `{"statusCode":…,"message":…}`) is
//!   *not* applied unless [`Faults::fail_5xx_after_apply`]. A dropped connection closes the
//!   TCP connection with no response; with `drop_after_apply` the write happens first, so the
//!   client cannot know the outcome. A stall sleeps `stall`, then answers normally.
//!   Recorded requests that were dropped have `status == 0`.
//! - **Race**: with latency > 0, upsert and create look the duplicate up, sleep, then write,
//!   not atomically — two concurrent upserts of one email can both create a contact, as the
//!   fact sheet says the real API can. With zero latency lookup and write are atomic.
//! - **Validation** is NestJS-style (`whitelist` + `forbidNonWhitelisted`): unknown property →
//!   422 `["property foo should not exist"]`; wrong type → 422 naming the property with
//!   class-validator's default message; `null` is accepted for every optional property
//!   (class-validator's `@IsOptional`) and clears the field. Invalid JSON → 400. A JSON body
//!   that is not an object → 400. An empty body is treated as `{}`.
//! - **email** must look like an email (one `@`, dotted domain) else 422
//!   "email must be an email". **phone** is not validated; it is stored as `+digits` (ten
//!   digits with no `+` are taken as US, `+1…`) and compared that way. **dateOfBirth** must be
//!   a string in one of the eight formats the spec lists and is stored as `YYYY-MM-DD`.
//!   **country**, **gender**, **timezone** and **assignedTo** are not checked.
//! - **Duplicates**: every location disallows duplicates and matches by email then phone
//!   ([`DuplicatePriority`]); so `createNewIfDuplicateAllowed` is always ignored (spec
//!   scenario 2). If email matches A and phone matches B, A is updated and the phone is not
//!   written (spec description). An upsert with neither email nor phone creates a contact.
//! - **Upsert writes**: properties present overwrite, `null` clears, absent ones are kept;
//!   `tags` overwrites the whole tag list (spec); `customFields` items set/clear only the fields
//!   they name (others kept). Items name a field by `id` or by `key` (`"favourite_colour"` or
//!   `"contact.favourite_colour"`) with the value in `field_value` (or `fieldValue`/`value`);
//!   an unknown id/key → 422. Values are type-checked loosely (numbers for NUMERICAL and
//!   MONETORY, string or string[] for CHECKBOX/MULTIPLE_OPTIONS, object for FILE_UPLOAD);
//!   option lists are not enforced. `name`, if never set, is shown as "first last".
//!   `gender` is written like any field, unless [`SandboxConfig::drop_gender_on_update`]:
//!   then an upsert that updates an existing contact keeps its old gender and still answers
//!   200, as issue 313 reports of the real API (the answer shows the gender kept). Tags are
//!   stored as sent (not lowercased). `dndSettings` is written channel by channel: the
//!   channels a body names (`Email`, `Call` …) replace the contact's, the others are kept; the
//!   spec does not say whether HighLevel merges or replaces, so this is an assumption.
//! - **Contact JSON**: `GetContectByIdSchema` fields, unset ones omitted; `tags`,
//!   `customFields` (`[{id,value}]`) and `dnd` always present; `dndSettings` once set.
//! - **Create duplicate** → 400 `{"statusCode":400,"message":"This location does not allow
//!   duplicated contacts.","meta":{"contactId","matchingField"}}` (third-party reports).
//! - **GET /contacts/{id}** of an unknown id → 400 `{"statusCode":400,"message":"Contact not
//!   found"}`: the spec lists 400 and no 404. Any location's contact is returned to the
//!   configured token; a location token gets only its own location's contacts (403 otherwise).
//! - **GET /contacts/**: insertion order, `limit` default 20, 1..=100 else 422; unknown query
//!   parameters → 422; `query` filters by substring of name/email/phone; an unknown
//!   `startAfterId` → 400; `startAfter` is accepted and ignored. The answer adds the spec's
//!   `ContactsMetaSchema` as `meta` next to `contacts` and `count` (= total matches).
//! - **Bulk tags**: `{type}` other than `add`/`remove` → 422. Ids that are not 20 alphanumerics
//!   → "contact id is not a valid firebase id"; ids in another location → "contact does not
//!   belong to location"; well-formed unknown ids → "contact not found" (invented). The rest
//!   succeed. `succeded` is `errorCount == 0`. `removeAllTags` with `add` → 400. No maximum
//!   batch size is enforced (none is documented).
//! - **Bulk business**: more than 50 ids → 422 (fact sheet), each id ≤ 50 chars; unknown ids
//!   or ids of another location are left out of `ids`; `businessId` is not checked to exist.
//! - **Custom fields**: every location has [`SandboxConfig::custom_fields`], with ids derived
//!   from location + key (stable across runs). `model=opportunity` lists none.
//! - **DELETE /contacts/{id}** answers `{"succeded": true}` (`DeleteContactsSuccessfulResponseDto`);
//!   an unknown or already deleted id → 400 "Contact not found" (the spec lists 400, no 404).
//!   A deleted id in a bulk tag call → "contact is deleted" (the spec's example message).
//! - **PUT /contacts/{id}** takes `UpdateContactDto` (no `gender`, `companyName` or
//!   `locationId`: unknown properties → 422) and writes like an upsert's update; `null` clears
//!   a field (class-validator's `@IsOptional`), although the spec marks only some nullable.
//!   The answer is `{"succeded": true, "contact": …}` (`UpdateContactsSuccessfulResponseDto`).
//! - Bodies over 16 MiB → 413.

mod handlers;
mod oauth;
mod server;
mod store;
mod validate;

#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use oauth::{Grant, LOCATION_SCOPES};
pub use server::{serve_forever, start, start_on};

/// How an upsert or create looks for an existing contact (the location's
/// "Allow Duplicate Contact" priority).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DuplicatePriority {
    #[default]
    EmailFirst,
    PhoneFirst,
}

/// A custom field's `dataType` (the spec's enum, spelling included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomFieldType {
    Text,
    LargeText,
    Numerical,
    Phone,
    Monetory,
    Checkbox,
    SingleOptions,
    MultipleOptions,
    Date,
    TextboxList,
    FileUpload,
    Radio,
}

impl CustomFieldType {
    /// The wire name, e.g. `MONETORY`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "TEXT",
            Self::LargeText => "LARGE_TEXT",
            Self::Numerical => "NUMERICAL",
            Self::Phone => "PHONE",
            Self::Monetory => "MONETORY",
            Self::Checkbox => "CHECKBOX",
            Self::SingleOptions => "SINGLE_OPTIONS",
            Self::MultipleOptions => "MULTIPLE_OPTIONS",
            Self::Date => "DATE",
            Self::TextboxList => "TEXTBOX_LIST",
            Self::FileUpload => "FILE_UPLOAD",
            Self::Radio => "RADIO",
        }
    }
}

/// A contact custom field that every sandbox location has.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomFieldDef {
    /// `favourite_colour` or `contact.favourite_colour`; listed as `contact.favourite_colour`.
    pub key: String,
    pub name: String,
    pub data_type: CustomFieldType,
    /// Picklist options (SINGLE_OPTIONS, MULTIPLE_OPTIONS, CHECKBOX, RADIO).
    pub options: Vec<String>,
    pub placeholder: String,
}

impl CustomFieldDef {
    /// A field without options or placeholder.
    pub fn new(key: &str, name: &str, data_type: CustomFieldType) -> Self {
        Self {
            key: key.into(),
            name: name.into(),
            data_type,
            options: Vec::new(),
            placeholder: String::new(),
        }
    }

    /// Adds picklist options.
    pub fn with_options(mut self, options: &[&str]) -> Self {
        self.options = options.iter().map(|s| s.to_string()).collect();
        self
    }

    /// The key without the `contact.` prefix.
    pub fn short_key(&self) -> &str {
        self.key.strip_prefix("contact.").unwrap_or(&self.key)
    }

    /// The id this field has in `location_id` (stable: derived from location and key).
    pub fn id_in(&self, location_id: &str) -> String {
        store::field_id(location_id, self.short_key())
    }

    /// A realistic small set covering the value shapes the importer must produce.
    pub fn default_set() -> Vec<Self> {
        use CustomFieldType::*;
        vec![
            Self::new("lifetime_value", "Lifetime Value", Monetory),
            Self::new("favourite_colour", "Favourite Colour", SingleOptions)
                .with_options(&["Red", "Green", "Blue"]),
            Self::new("interests", "Interests", MultipleOptions)
                .with_options(&["Sports", "Music", "Travel", "Food"]),
            Self::new("signup_date", "Signup Date", Date),
            Self::new("notes", "Notes", LargeText),
            Self::new("vip", "VIP", Checkbox).with_options(&["Yes"]),
            Self::new("employees", "Employees", Numerical),
        ]
    }
}

/// Server configuration. Fault fields seed [`Faults`], which can be changed at runtime.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// `Some`: the bearer must equal it. `None`: any non-empty bearer is accepted.
    pub token: Option<String>,
    /// Requests per `rate_interval` per location (HighLevel: 100).
    pub rate_max: u32,
    /// Length of the sliding burst window (HighLevel: 10 s).
    pub rate_interval: Duration,
    /// Requests per day per location (HighLevel: 200,000).
    pub daily_limit: u64,
    /// Uniform random latency added to each answered request.
    pub latency: (Duration, Duration),
    /// Probability of an injected 500/502/503.
    pub fail_5xx_rate: f64,
    /// Probability the connection is closed with no response.
    pub drop_rate: f64,
    /// Whether a dropped request is applied before the drop (outcome unknown to the client).
    pub drop_after_apply: bool,
    /// Probability the response is delayed by `stall` (past the client's timeout).
    pub stall_rate: f64,
    pub stall: Duration,
    /// Whether 429s carry `Retry-After` (seconds, rounded up).
    pub retry_after: bool,
    pub duplicate_priority: DuplicatePriority,
    /// Emulate HighLevel discarding `gender` when an upsert updates an existing contact
    /// (issue 313); off by default.
    pub drop_gender_on_update: bool,
    /// The custom fields every location has.
    pub custom_fields: Vec<CustomFieldDef>,
    /// Keep a log of every request; off for long `--sandbox` runs to bound memory.
    pub record_requests: bool,
    /// Seeds faults, latency, ids and trace ids, for deterministic tests.
    pub seed: Option<u64>,
    /// How long OAuth access tokens live (HighLevel: a day, `expires_in` 86399).
    pub access_token_ttl: Duration,
    /// Requests one HTTP/2 connection may have in flight (`SETTINGS_MAX_CONCURRENT_STREAMS`;
    /// hyper's default, 200). HTTP/1.1 has one per connection.
    pub http2_max_streams: u32,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            token: None,
            rate_max: 100,
            rate_interval: Duration::from_secs(10),
            daily_limit: 200_000,
            latency: (Duration::ZERO, Duration::ZERO),
            fail_5xx_rate: 0.0,
            drop_rate: 0.0,
            drop_after_apply: false,
            stall_rate: 0.0,
            stall: Duration::from_secs(60),
            retry_after: true,
            duplicate_priority: DuplicatePriority::EmailFirst,
            drop_gender_on_update: false,
            custom_fields: CustomFieldDef::default_set(),
            record_requests: true,
            seed: None,
            access_token_ttl: Duration::from_secs(86_399),
            http2_max_streams: 200,
        }
    }
}

/// The fault knobs, changeable while the server runs (tests switch faults on and off mid-run).
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    pub latency: (Duration, Duration),
    pub fail_5xx_rate: f64,
    /// Apply the request before answering the injected 5xx (default false: not applied).
    pub fail_5xx_after_apply: bool,
    pub drop_rate: f64,
    pub drop_after_apply: bool,
    pub stall_rate: f64,
    pub stall: Duration,
}

impl Faults {
    /// No faults, no latency.
    pub fn none() -> Self {
        Self {
            latency: (Duration::ZERO, Duration::ZERO),
            fail_5xx_rate: 0.0,
            fail_5xx_after_apply: false,
            drop_rate: 0.0,
            drop_after_apply: false,
            stall_rate: 0.0,
            stall: Duration::from_secs(60),
        }
    }

    fn from_config(c: &SandboxConfig) -> Self {
        Self {
            latency: c.latency,
            fail_5xx_rate: c.fail_5xx_rate,
            fail_5xx_after_apply: false,
            drop_rate: c.drop_rate,
            drop_after_apply: c.drop_after_apply,
            stall_rate: c.stall_rate,
            stall: c.stall,
        }
    }
}

/// A fault forced onto upcoming requests, so tests can prove retries deterministically.
#[derive(Debug, Clone, PartialEq)]
pub enum Forced {
    /// Answer with this status (not applied). 429 carries the rate headers and `Retry-After`;
    /// 401, 400, 422 and 5xx carry the usual bodies.
    Status(u16),
    /// Close the connection with no response, applying the request first if `after_apply`.
    Drop { after_apply: bool },
    /// Sleep this long, then answer normally.
    Stall(Duration),
}

/// A stored contact, as tests inspect and seed it.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct SandboxContact {
    /// Empty in [`SandboxHandle::insert_contact`] means "generate one".
    pub id: String,
    pub location_id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Only when set explicitly; the API shows "first last" otherwise.
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub gender: Option<String>,
    pub address1: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub website: Option<String>,
    pub timezone: Option<String>,
    pub company_name: Option<String>,
    pub source: Option<String>,
    pub assigned_to: Option<String>,
    /// `YYYY-MM-DD`.
    pub date_of_birth: Option<String>,
    pub dnd: Option<bool>,
    pub dnd_settings: Option<Value>,
    pub inbound_dnd_settings: Option<Value>,
    pub tags: Vec<String>,
    pub business_id: Option<String>,
    pub custom_fields: Vec<CustomFieldValue>,
    pub date_added: String,
    pub date_updated: String,
}

impl SandboxContact {
    /// `name`, or first and last name joined, as the API shows it.
    pub fn display_name(&self) -> Option<String> {
        if self.name.is_some() {
            return self.name.clone();
        }
        match (&self.first_name, &self.last_name) {
            (None, None) => None,
            (f, l) => Some(
                [f.as_deref(), l.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        }
    }

    /// The stored value of a custom field, by field id.
    pub fn custom_field(&self, id: &str) -> Option<&Value> {
        self.custom_fields
            .iter()
            .find(|f| f.id == id)
            .map(|f| &f.value)
    }
}

/// A custom field value on a contact, as the API returns it (`{id, value}`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomFieldValue {
    pub id: String,
    pub value: Value,
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub location_id: Option<String>,
    /// The status answered; 0 if the connection was dropped (or the answer is still pending).
    pub status: u16,
    /// When the rate limiter saw it (the instant it was admitted or refused).
    pub at: Instant,
    /// The JSON body, if it parsed.
    pub body: Option<Value>,
    pub authorization_present: bool,
}

/// A running sandbox. Clones share the server; it stops when the last clone is dropped or on
/// [`SandboxHandle::shutdown`].
#[derive(Clone)]
pub struct SandboxHandle {
    shared: Arc<server::Shared>,
    guard: Arc<ShutdownGuard>,
}

struct ShutdownGuard {
    stop: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for ShutdownGuard {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

impl SandboxHandle {
    /// `http://127.0.0.1:PORT`, to point the importer's client at.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.shared.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// Every request in arrival order (empty when `record_requests` is off).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        server::lock(&self.shared.log).clone()
    }

    /// Forgets the request log (e.g. between phases of a test).
    pub fn clear_requests(&self) {
        server::lock(&self.shared.log).clear();
    }

    /// Each location that holds contacts, and how many, by id.
    pub fn location_sizes(&self) -> Vec<(String, usize)> {
        server::lock(&self.shared.store).sizes()
    }

    /// The location's contacts in creation order.
    pub fn contacts(&self, location_id: &str) -> Vec<SandboxContact> {
        let store = server::lock(&self.shared.store);
        store
            .location(location_id)
            .map(|l| l.all().cloned().collect())
            .unwrap_or_default()
    }

    pub fn contact(&self, location_id: &str, id: &str) -> Option<SandboxContact> {
        let store = server::lock(&self.shared.store);
        store.location(location_id)?.get(id).cloned()
    }

    /// Seeds a contact (id generated if empty, dates filled if empty); returns its id.
    pub fn insert_contact(&self, location_id: &str, mut c: SandboxContact) -> String {
        if c.id.is_empty() {
            c.id = self.shared.new_id();
        }
        c.location_id = location_id.to_string();
        let now = server::now_iso();
        if c.date_added.is_empty() {
            c.date_added = now.clone();
        }
        if c.date_updated.is_empty() {
            c.date_updated = now;
        }
        let id = c.id.clone();
        server::lock(&self.shared.store).put(c);
        id
    }

    /// The id a configured custom field has in `location_id`, by key.
    pub fn custom_field_id(&self, location_id: &str, key: &str) -> Option<String> {
        let key = key.strip_prefix("contact.").unwrap_or(key);
        self.shared
            .config
            .custom_fields
            .iter()
            .find(|d| d.short_key() == key)
            .map(|d| d.id_in(location_id))
    }

    pub fn faults(&self) -> Faults {
        server::lock(&self.shared.faults).clone()
    }

    /// Replaces the fault knobs for requests arriving from now on.
    pub fn set_faults(&self, faults: Faults) {
        *server::lock(&self.shared.faults) = faults;
    }

    /// Forces the next `count` requests to answer `status` (see [`Forced::Status`]).
    pub fn inject_next(&self, status: u16, count: usize) {
        self.inject(Forced::Status(status), count, None);
    }

    /// Forces a fault on the next `count` requests whose path matches `path` (exact, or a
    /// prefix when it ends in `*`; `None` matches all). Forced faults apply after auth,
    /// version and rate limit, before random faults; several queue up in order.
    pub fn inject(&self, forced: Forced, count: usize, path: Option<&str>) {
        if count > 0 {
            server::lock(&self.shared.injections).push_back(server::Injection {
                forced,
                remaining: count,
                path: path.map(str::to_string),
            });
        }
    }

    /// Stops accepting, closes open connections and waits for the accept loop to end.
    pub async fn shutdown(self) {
        let _ = self.guard.stop.send(true);
        let task = self
            .guard
            .task
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}
