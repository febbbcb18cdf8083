//! Tokens as HighLevel issues them (`apps/oauth.json`, `docs/oauth/Authorization.md`): location
//! tokens that work for one location only, agency (company) tokens that only work on the OAuth
//! endpoints, access tokens that expire, and refresh tokens that are spent when used.
//!
//! # Assumptions (the docs are silent)
//! - An expired access token → 401 `"Invalid token: access token has expired"` (the spec's
//!   `UnauthorizedDTO` wording, with "expired").
//! - A location token on another location → 403 `"The token does not have access to this
//!   location."`; an agency token on a location endpoint, a location token on an agency-only
//!   endpoint, or a token lacking the endpoint's scope → 401 `"The token is not authorized
//!   for this scope."` (third-party reports, fact sheet §7).
//! - `POST /oauth/token`: no bearer and no `Version` needed (the spec declares neither). A
//!   wrong client → 401; an unknown or already used refresh token → 400 with
//!   `"error":"invalid_grant"` (RFC 6749 §5.2). Only the `refresh_token` grant is emulated.
//!   A refresh hands out a new refresh token and spends the old one; access tokens already
//!   issued stay valid until they expire.
//! - `POST /oauth/locationToken` issues a location access token with `expires_in` and no
//!   refresh token (the spec's answer has none): it is obtained again when it expires.
//! - Tokens not registered here fall back to [`SandboxConfig::token`] (any bearer, or exactly
//!   that one), which the sandbox treats as valid for every location endpoint.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, Response, Uri};
use axum::Extension;
use serde_json::json;

use super::server::{bad_request, form_pairs, json_response, lock, unprocessable, ReqCtx, Shared};
use super::SandboxHandle;

type Resp = Response<Body>;

/// The scopes a location token gets unless a test narrows them.
pub const LOCATION_SCOPES: &[&str] = &[
    "contacts.readonly",
    "contacts.write",
    "locations/customFields.readonly",
    "businesses.readonly",
    "businesses.write",
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Subject {
    Location(String),
    Company(String),
}

struct Access {
    subject: Subject,
    /// `None`: never expires (a Private Integration Token).
    expires: Option<Instant>,
    scopes: Vec<String>,
}

struct Refresh {
    subject: Subject,
    client_id: String,
    spent: bool,
}

struct App {
    secret: String,
    app_id: String,
}

#[derive(Default)]
struct Company {
    app_id: String,
    /// (id, name, address)
    locations: Vec<(String, String, String)>,
}

/// What the OAuth endpoints and the bearer gate share.
pub(crate) struct OAuthState {
    ttl: Duration,
    apps: HashMap<String, App>,
    access: HashMap<String, Access>,
    refresh: HashMap<String, Refresh>,
    companies: HashMap<String, Company>,
}

impl OAuthState {
    pub(crate) fn new(ttl: Duration) -> Self {
        OAuthState {
            ttl,
            apps: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            companies: HashMap::new(),
        }
    }
}

/// Tokens and refresh tokens handed out by the sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
}

fn secret(shared: &Shared, prefix: &str) -> String {
    format!("{prefix}{}{}", shared.new_id(), shared.new_id())
}

/// A new access token for `subject`, living the configured time.
fn new_access(shared: &Shared, st: &mut OAuthState, subject: Subject) -> String {
    let token = secret(shared, "at-");
    let expires = Some(Instant::now() + st.ttl);
    st.access.insert(
        token.clone(),
        Access {
            subject,
            expires,
            scopes: LOCATION_SCOPES.iter().map(|s| s.to_string()).collect(),
        },
    );
    token
}

fn issue(shared: &Shared, st: &mut OAuthState, subject: Subject, client_id: &str) -> Grant {
    let access_token = new_access(shared, st, subject.clone());
    let refresh_token = secret(shared, "rt-");
    st.refresh.insert(
        refresh_token.clone(),
        Refresh {
            subject,
            client_id: client_id.to_owned(),
            spent: false,
        },
    );
    Grant {
        access_token,
        refresh_token,
        expires_in: st.ttl.as_secs(),
    }
}

impl SandboxHandle {
    /// A Private Integration Token of `location`: never expires, every location scope.
    pub fn add_location_token(&self, location: &str, token: &str) {
        self.add_location_token_scoped(location, token, LOCATION_SCOPES);
    }

    /// A location token with only these scopes.
    pub fn add_location_token_scoped(&self, location: &str, token: &str, scopes: &[&str]) {
        lock(&self.shared.oauth).access.insert(
            token.to_owned(),
            Access {
                subject: Subject::Location(location.to_owned()),
                expires: None,
                scopes: scopes.iter().map(|s| s.to_string()).collect(),
            },
        );
    }

    /// A Marketplace app whose tokens `POST /oauth/token` refreshes.
    pub fn register_app(&self, client_id: &str, client_secret: &str, app_id: &str) {
        lock(&self.shared.oauth).apps.insert(
            client_id.to_owned(),
            App {
                secret: client_secret.to_owned(),
                app_id: app_id.to_owned(),
            },
        );
    }

    /// The app installed on a location: its first access and refresh tokens.
    pub fn install_location(&self, client_id: &str, location: &str) -> Grant {
        let mut st = lock(&self.shared.oauth);
        issue(
            &self.shared,
            &mut st,
            Subject::Location(location.to_owned()),
            client_id,
        )
    }

    /// The app installed on an agency and these of its locations (id, name): the agency's
    /// first access and refresh tokens.
    pub fn install_company(
        &self,
        client_id: &str,
        company_id: &str,
        locations: &[(&str, &str)],
    ) -> Grant {
        let mut st = lock(&self.shared.oauth);
        let app_id = st
            .apps
            .get(client_id)
            .map(|a| a.app_id.clone())
            .unwrap_or_default();
        st.companies.insert(
            company_id.to_owned(),
            Company {
                app_id,
                locations: locations
                    .iter()
                    .map(|(id, name)| {
                        (id.to_string(), name.to_string(), format!("{name} street 1"))
                    })
                    .collect(),
            },
        );
        issue(
            &self.shared,
            &mut st,
            Subject::Company(company_id.to_owned()),
            client_id,
        )
    }

    /// Every access token issued so far expires now (as if its day had passed).
    pub fn expire_access_tokens(&self) {
        let now = Instant::now();
        for a in lock(&self.shared.oauth).access.values_mut() {
            if a.expires.is_some() {
                a.expires = Some(now);
            }
        }
    }

    /// How long access tokens issued from now on live.
    pub fn set_access_token_ttl(&self, ttl: Duration) {
        lock(&self.shared.oauth).ttl = ttl;
    }

    /// Whether `POST /oauth/token` would still take this refresh token.
    pub fn refresh_token_usable(&self, token: &str) -> bool {
        lock(&self.shared.oauth)
            .refresh
            .get(token)
            .is_some_and(|r| !r.spent)
    }
}

fn refused(status: u16, message: &str) -> Resp {
    let error = if status == 403 {
        "Forbidden"
    } else {
        "Unauthorized"
    };
    json_response(
        status,
        json!({"statusCode": status, "message": message, "error": error}),
    )
}

const NOT_THIS_SCOPE: &str = "The token is not authorized for this scope.";

/// The scope an endpoint needs of a location token.
fn scope_needed(method: &str, path: &str) -> Option<&'static str> {
    if path.starts_with("/locations/") && path.ends_with("/customFields") {
        Some("locations/customFields.readonly")
    } else if path.starts_with("/contacts") {
        Some(if method == "GET" {
            "contacts.readonly"
        } else {
            "contacts.write"
        })
    } else {
        None
    }
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The bearer gate: the refusal, if any. `legacy_ok`: the token passes
/// [`SandboxConfig::token`]'s check.
pub(crate) fn authorize(
    shared: &Shared,
    method: &str,
    path: &str,
    location: Option<&str>,
    headers: &HeaderMap,
    legacy_ok: bool,
) -> Option<Resp> {
    let agency_only = path.starts_with("/oauth/");
    let invalid = || refused(401, "Invalid token: access token is invalid");
    let Some(token) = bearer(headers) else {
        return Some(invalid());
    };
    let st = lock(&shared.oauth);
    let Some(a) = st.access.get(token) else {
        return match (legacy_ok, agency_only) {
            (true, false) => None,
            (true, true) => Some(refused(401, NOT_THIS_SCOPE)),
            _ => Some(invalid()),
        };
    };
    if a.expires.is_some_and(|t| t <= Instant::now()) {
        return Some(refused(401, "Invalid token: access token has expired"));
    }
    match &a.subject {
        Subject::Company(_) if agency_only => None,
        Subject::Company(_) => Some(refused(401, NOT_THIS_SCOPE)),
        Subject::Location(_) if agency_only => Some(refused(401, NOT_THIS_SCOPE)),
        Subject::Location(own) => {
            if location.is_some_and(|l| l != own) {
                return Some(refused(
                    403,
                    "The token does not have access to this location.",
                ));
            }
            match scope_needed(method, path) {
                Some(s) if !a.scopes.iter().any(|x| x == s) => Some(refused(401, NOT_THIS_SCOPE)),
                _ => None,
            }
        }
    }
}

fn form(body: &Bytes) -> HashMap<String, String> {
    form_pairs(&String::from_utf8_lossy(body))
        .into_iter()
        .collect()
}

/// 422 naming the missing fields, if any.
fn require(f: &HashMap<String, String>, names: &[&str]) -> Option<Resp> {
    let missing: Vec<String> = names
        .iter()
        .filter(|n| f.get(**n).is_none_or(|v| v.is_empty()))
        .map(|n| format!("{n} should not be empty"))
        .collect();
    (!missing.is_empty()).then(|| unprocessable(missing))
}

/// `POST /oauth/token` (form-encoded), refresh grant.
pub(crate) async fn token(
    State(shared): State<std::sync::Arc<Shared>>,
    Extension(ctx): Extension<ReqCtx>,
    body: Bytes,
) -> Resp {
    ctx.pause().await;
    let f = form(&body);
    if let Some(r) = require(&f, &["client_id", "client_secret", "grant_type"]) {
        return r;
    }
    let mut st = lock(&shared.oauth);
    let client_id = &f["client_id"];
    if st
        .apps
        .get(client_id)
        .is_none_or(|a| a.secret != f["client_secret"])
    {
        return refused(401, "Invalid client credentials");
    }
    if f["grant_type"] != "refresh_token" {
        return bad_request("The sandbox only emulates grant_type=refresh_token");
    }
    let rt = f.get("refresh_token").cloned().unwrap_or_default();
    let subject = match st.refresh.get_mut(&rt) {
        Some(r) if !r.spent && &r.client_id == client_id => {
            r.spent = true;
            r.subject.clone()
        }
        _ => {
            return json_response(
                400,
                json!({"statusCode": 400, "error": "invalid_grant",
                    "message": "Invalid grant: refresh token is invalid, expired or already used"}),
            )
        }
    };
    let g = issue(&shared, &mut st, subject.clone(), client_id);
    let (user_type, location, company) = match &subject {
        Subject::Location(l) => ("Location", Some(l.clone()), None),
        Subject::Company(c) => ("Company", None, Some(c.clone())),
    };
    json_response(
        200,
        json!({"access_token": g.access_token, "token_type": "Bearer", "expires_in": g.expires_in,
            "refresh_token": g.refresh_token, "scope": LOCATION_SCOPES.join(" "),
            "userType": user_type, "locationId": location, "companyId": company,
            "userId": "sandboxUser000000001"}),
    )
}

fn company_of(shared: &Shared, headers: &HeaderMap) -> Option<String> {
    let st = lock(&shared.oauth);
    match &st.access.get(bearer(headers)?)?.subject {
        Subject::Company(c) => Some(c.clone()),
        Subject::Location(_) => None,
    }
}

/// `POST /oauth/locationToken` (form-encoded), with an agency token.
pub(crate) async fn location_token(
    State(shared): State<std::sync::Arc<Shared>>,
    Extension(ctx): Extension<ReqCtx>,
    headers: HeaderMap,
    body: Bytes,
) -> Resp {
    ctx.pause().await;
    let f = form(&body);
    if let Some(r) = require(&f, &["companyId", "locationId"]) {
        return r;
    }
    let (company, location) = (&f["companyId"], &f["locationId"]);
    if company_of(&shared, &headers).as_ref() != Some(company) {
        return refused(403, "The token does not have access to this company.");
    }
    let mut st = lock(&shared.oauth);
    let installed = st
        .companies
        .get(company)
        .is_some_and(|c| c.locations.iter().any(|(id, _, _)| id == location));
    if !installed {
        return bad_request("The app is not installed on this location");
    }
    let access_token = new_access(&shared, &mut st, Subject::Location(location.clone()));
    let expires_in = st.ttl.as_secs();
    json_response(
        200,
        json!({"access_token": access_token, "token_type": "Bearer", "expires_in": expires_in,
            "scope": LOCATION_SCOPES.join(" "), "locationId": location,
            "userId": "sandboxUser000000001"}),
    )
}

/// `GET /oauth/installedLocations?companyId=&appId=`, with an agency token.
pub(crate) async fn installed_locations(
    State(shared): State<std::sync::Arc<Shared>>,
    Extension(ctx): Extension<ReqCtx>,
    headers: HeaderMap,
    uri: Uri,
) -> Resp {
    ctx.pause().await;
    let q: HashMap<String, String> = form_pairs(uri.query().unwrap_or("")).into_iter().collect();
    if let Some(r) = require(&q, &["companyId", "appId"]) {
        return r;
    }
    if company_of(&shared, &headers).as_ref() != Some(&q["companyId"]) {
        return refused(403, "The token does not have access to this company.");
    }
    let num = |k: &str, d: usize| q.get(k).map_or(Ok(d), |v| v.parse::<usize>());
    let (Ok(skip), Ok(limit)) = (num("skip", 0), num("limit", 20)) else {
        return unprocessable(vec!["skip and limit must be numeric strings".into()]);
    };
    let st = lock(&shared.oauth);
    let name_filter = q.get("query").map(|s| s.to_lowercase());
    let all: Vec<_> = st
        .companies
        .get(&q["companyId"])
        .filter(|c| c.app_id == q["appId"])
        .map(|c| c.locations.clone())
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, name, _)| {
            name_filter
                .as_ref()
                .is_none_or(|f| name.to_lowercase().contains(f))
        })
        .collect();
    let page: Vec<_> = all
        .iter()
        .skip(skip)
        .take(limit)
        .map(|(id, name, address)| {
            json!({"_id": id, "name": name, "address": address, "isInstalled": true})
        })
        .collect();
    json_response(
        200,
        json!({"locations": page, "count": all.len(), "installToFutureLocations": false}),
    )
}

#[cfg(test)]
#[path = "oauth_tests.rs"]
mod tests;
