//! Per-location tokens for the client: fixed tokens as given, OAuth location tokens refreshed
//! before they expire (and once on a 401 that says expired), and location tokens obtained
//! from an agency token through `POST /oauth/locationToken`.
//!
//! A refresh spends the refresh token and hands out a new one, so the new one is written to
//! the credentials file (atomically) before the new access token is handed to any request:
//! a crash at any point leaves a refresh token that works.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::header::AUTHORIZATION;
use serde::Deserialize;

use super::client::API_VERSION;
use super::credentials::{Credential, Credentials, Holder};
use super::token::Token;

/// Refresh this long before `expires_in` runs out (or a tenth of a short lifetime).
const REFRESH_AHEAD: Duration = Duration::from_secs(300);
/// A test hook: hold a refreshed token this many milliseconds after saving it and before
/// using it, so a test can kill the process in that window.
pub const HOLD_AFTER_REFRESH_ENV: &str = "GHL_IMPORT_TEST_HOLD_AFTER_REFRESH_MS";

/// Why a location has no usable token. Messages never include a token.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthError {
    #[error("no token for location {location} in {source_name} (add [locations.{location}] with a token, or an [agency] section)")]
    Missing {
        location: String,
        source_name: String,
    },
    #[error("{0}")]
    Refused(String),
}

#[derive(Clone)]
struct Access {
    token: Token,
    expires_at: SystemTime,
    refresh_at: SystemTime,
    scope: Option<String>,
}

enum Kind {
    Static(Token),
    OAuth { refresh_token: Token },
    Agency,
    Missing,
}

struct Slot {
    kind: Kind,
    access: Option<Access>,
}

/// The tokens of every location, shared by all lanes.
pub struct TokenSource {
    http: reqwest::Client,
    base_url: String,
    creds: Credentials,
    slots: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Slot>>>>,
    /// The agency token, when there is one.
    agency: Option<Arc<tokio::sync::Mutex<Slot>>>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("credentials", &self.creds)
            .finish()
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<f64>,
    #[serde(default)]
    scope: Option<String>,
}

fn access_from(token: Token, expires_in: Duration, scope: Option<String>) -> Access {
    let now = SystemTime::now();
    Access {
        token,
        expires_at: now + expires_in,
        refresh_at: now + expires_in.saturating_sub(REFRESH_AHEAD.min(expires_in / 10)),
        scope,
    }
}

/// The server's message, short, from an error body (never the request).
fn answer_message(status: reqwest::StatusCode, body: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let m = match v.get("message") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::from_utf8_lossy(body).chars().take(200).collect(),
    };
    format!("HTTP {}: {m}", status.as_u16())
}

type Shared = Arc<tokio::sync::Mutex<Slot>>;

fn slot_of(c: &Credential) -> Slot {
    match c {
        Credential::Static(t) => Slot {
            kind: Kind::Static(t.clone()),
            access: None,
        },
        Credential::OAuth {
            refresh_token,
            access,
        } => Slot {
            kind: Kind::OAuth {
                refresh_token: refresh_token.clone(),
            },
            access: access.as_ref().map(|(t, exp)| Access {
                token: t.clone(),
                expires_at: *exp,
                refresh_at: exp.checked_sub(REFRESH_AHEAD).unwrap_or(*exp),
                scope: None,
            }),
        },
    }
}

fn who(holder: Holder<'_>) -> String {
    match holder {
        Holder::Location(l) => format!("location {l}"),
        Holder::Agency => "the agency".to_owned(),
    }
}

fn says_expired(status: reqwest::StatusCode, body: &[u8]) -> bool {
    status == reqwest::StatusCode::UNAUTHORIZED
        && String::from_utf8_lossy(body)
            .to_ascii_lowercase()
            .contains("expired")
}

impl TokenSource {
    pub fn new(creds: Credentials, base_url: &str, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("ghl-import/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        let slots = creds
            .locations
            .iter()
            .map(|(id, c)| (id.clone(), Arc::new(tokio::sync::Mutex::new(slot_of(c)))))
            .collect();
        let agency = creds
            .agency
            .as_ref()
            .map(|a| Arc::new(tokio::sync::Mutex::new(slot_of(&a.credential))));
        TokenSource {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            creds,
            slots: Mutex::new(slots),
            agency,
        }
    }

    pub fn credentials(&self) -> &Credentials {
        &self.creds
    }

    fn slot(&self, holder: Holder<'_>) -> Option<Shared> {
        let location = match holder {
            Holder::Agency => return self.agency.clone(),
            Holder::Location(l) => l,
        };
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let slot = slots.entry(location.to_owned()).or_insert_with(|| {
            let kind = if self.creds.agency.is_some() {
                Kind::Agency
            } else {
                Kind::Missing
            };
            Arc::new(tokio::sync::Mutex::new(Slot { kind, access: None }))
        });
        Some(slot.clone())
    }

    /// The token to send for `location`, refreshed first when it is about to expire.
    pub async fn bearer(&self, location: &str) -> Result<Token, AuthError> {
        self.current(Holder::Location(location)).await
    }

    /// The agency token, refreshed first when it is about to expire.
    pub async fn agency_bearer(&self) -> Result<Token, AuthError> {
        self.current(Holder::Agency).await
    }

    async fn current(&self, holder: Holder<'_>) -> Result<Token, AuthError> {
        let slot = self
            .slot(holder)
            .ok_or_else(|| AuthError::Refused("no agency token".into()))?;
        let mut s = slot.lock().await;
        if let Kind::Static(t) = &s.kind {
            return Ok(t.clone());
        }
        if let Some(a) = &s.access {
            if SystemTime::now() < a.refresh_at {
                return Ok(a.token.clone());
            }
        }
        self.renew(holder, &mut s).await
    }

    /// A request with `used` was refused as expired: renew it, unless another request already
    /// did. `false` when the token cannot be renewed (a fixed token).
    pub async fn expired(&self, location: &str, used: &Token) -> Result<bool, AuthError> {
        self.renew_after(Holder::Location(location), used).await
    }

    async fn renew_after(&self, holder: Holder<'_>, used: &Token) -> Result<bool, AuthError> {
        let Some(slot) = self.slot(holder) else {
            return Ok(false);
        };
        let mut s = slot.lock().await;
        if matches!(s.kind, Kind::Static(_) | Kind::Missing) {
            return Ok(false);
        }
        if s.access.as_ref().is_some_and(|a| &a.token != used) {
            return Ok(true);
        }
        self.renew(holder, &mut s).await.map(|_| true)
    }

    /// The scopes the location's token was issued with, when the server said.
    pub async fn scope(&self, location: &str) -> Option<String> {
        let slot = self.slot(Holder::Location(location))?;
        let s = slot.lock().await;
        s.access.as_ref().and_then(|a| a.scope.clone())
    }

    async fn renew(&self, holder: Holder<'_>, s: &mut Slot) -> Result<Token, AuthError> {
        let access = match (&s.kind, holder) {
            (Kind::Static(t), _) => return Ok(t.clone()),
            (Kind::Missing, Holder::Location(location)) => {
                return Err(AuthError::Missing {
                    location: location.to_owned(),
                    source_name: self
                        .creds
                        .path()
                        .map_or_else(|| "the credentials".to_owned(), |p| p.display().to_string()),
                })
            }
            (Kind::OAuth { refresh_token }, _) => {
                let (access, new_refresh) = self.refresh(holder, refresh_token).await?;
                // Saved before anything uses the new access token: the old refresh token
                // is spent now.
                self.creds
                    .persist_refresh(holder, &new_refresh, &access.token, access.expires_at)
                    .map_err(|e| AuthError::Refused(format!("{}: {e}", who(holder))))?;
                tracing::info!(
                    holder = who(holder),
                    "refreshed the access token and saved the new refresh token"
                );
                s.kind = Kind::OAuth {
                    refresh_token: new_refresh,
                };
                hold_for_tests().await;
                access
            }
            (Kind::Agency, Holder::Location(location)) => {
                Box::pin(self.location_token(location)).await?
            }
            (Kind::Missing | Kind::Agency, Holder::Agency) => {
                return Err(AuthError::Refused("no agency token".into()))
            }
        };
        s.access = Some(access.clone());
        Ok(access.token)
    }

    /// `POST /oauth/token` with the refresh grant.
    async fn refresh(
        &self,
        holder: Holder<'_>,
        refresh_token: &Token,
    ) -> Result<(Access, Token), AuthError> {
        let app = self.creds.oauth.as_ref().ok_or_else(|| {
            AuthError::Refused(format!(
                "{} has a refresh_token but the credentials have no [oauth] app",
                who(holder)
            ))
        })?;
        let user_type = match holder {
            Holder::Location(_) => "Location",
            Holder::Agency => "Company",
        };
        let form = [
            ("client_id", app.client_id.as_str()),
            ("client_secret", app.client_secret.expose()),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
            ("user_type", user_type),
        ];
        let req = self
            .http
            .post(format!("{}/oauth/token", self.base_url))
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&form);
        let doing = "refreshing the access token";
        let (status, body) = self.exchange(req, holder, doing).await?;
        let mut answer = self.answer(status, &body, holder, doing)?;
        let new_refresh = answer
            .refresh_token
            .take()
            .and_then(Token::new)
            .unwrap_or_else(|| refresh_token.clone());
        let access = self.access_of(answer, holder)?;
        Ok((access, new_refresh))
    }

    /// `POST /oauth/locationToken` with the agency token (renewed once if it expired).
    async fn location_token(&self, location: &str) -> Result<Access, AuthError> {
        let agency = self
            .creds
            .agency
            .as_ref()
            .ok_or_else(|| AuthError::Refused("no agency token".into()))?;
        let holder = Holder::Location(location);
        let doing = "getting a location token from the agency token";
        let mut renewed = false;
        loop {
            let bearer = self.agency_bearer().await?;
            let form = [
                ("companyId", agency.company_id.as_str()),
                ("locationId", location),
            ];
            let req = self
                .http
                .post(format!("{}/oauth/locationToken", self.base_url))
                .header(AUTHORIZATION, format!("Bearer {}", bearer.expose()))
                .header("Version", API_VERSION)
                .header(reqwest::header::ACCEPT, "application/json")
                .form(&form);
            let (status, body) = self.exchange(req, holder, doing).await?;
            if !renewed
                && says_expired(status, &body)
                && self.renew_after(Holder::Agency, &bearer).await?
            {
                renewed = true;
                continue;
            }
            let answer = self.answer(status, &body, holder, doing)?;
            return self.access_of(answer, holder);
        }
    }

    fn access_of(&self, a: TokenAnswer, holder: Holder<'_>) -> Result<Access, AuthError> {
        let token = Token::new(a.access_token).ok_or_else(|| {
            AuthError::Refused(format!(
                "{}: the server answered an empty access token",
                who(holder)
            ))
        })?;
        let secs = a
            .expires_in
            .filter(|s| s.is_finite() && *s > 0.0)
            .unwrap_or(86_399.0);
        Ok(access_from(token, Duration::from_secs_f64(secs), a.scope))
    }

    async fn exchange(
        &self,
        req: reqwest::RequestBuilder,
        holder: Holder<'_>,
        doing: &str,
    ) -> Result<(reqwest::StatusCode, bytes::Bytes), AuthError> {
        let fail = |m: &str| AuthError::Refused(format!("{}: {doing} failed: {m}", who(holder)));
        let resp = req.send().await.map_err(|e| {
            fail(if e.is_timeout() {
                "timed out"
            } else {
                "could not connect"
            })
        })?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|_| fail("the answer broke off"))?;
        Ok((status, body))
    }

    fn answer(
        &self,
        status: reqwest::StatusCode,
        body: &[u8],
        holder: Holder<'_>,
        doing: &str,
    ) -> Result<TokenAnswer, AuthError> {
        let fail = |m: String| AuthError::Refused(format!("{}: {doing} failed: {m}", who(holder)));
        if !status.is_success() {
            let hint = if doing.starts_with("refreshing") && matches!(status.as_u16(), 400 | 401) {
                "; the refresh token may have been used or revoked (reinstall the app to get a new one), or the client id or secret is wrong"
            } else {
                ""
            };
            return Err(fail(format!("{}{hint}", answer_message(status, body))));
        }
        serde_json::from_slice(body).map_err(|e| fail(format!("unreadable answer: {e}")))
    }
}

async fn hold_for_tests() {
    if let Some(ms) = std::env::var(HOLD_AFTER_REFRESH_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

/// One location the app is installed on (`GET /oauth/installedLocations`).
#[derive(Debug, Clone, Deserialize)]
pub struct InstalledLocation {
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub address: String,
}

#[derive(Deserialize)]
struct InstalledPage {
    #[serde(default)]
    locations: Vec<InstalledLocation>,
    #[serde(default)]
    count: Option<f64>,
}

/// Every location the app is installed on, page by page, with the agency token.
pub async fn installed_locations(
    base_url: &str,
    agency_token: &Token,
    company_id: &str,
    app_id: &str,
    timeout: Duration,
) -> Result<Vec<InstalledLocation>, AuthError> {
    const PAGE: usize = 100;
    let http = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .unwrap_or_default();
    let mut all = Vec::new();
    loop {
        let resp = http
            .get(format!(
                "{}/oauth/installedLocations",
                base_url.trim_end_matches('/')
            ))
            .query(&[
                ("companyId", company_id),
                ("appId", app_id),
                ("isInstalled", "true"),
                ("skip", &all.len().to_string()),
                ("limit", &PAGE.to_string()),
            ])
            .header(AUTHORIZATION, format!("Bearer {}", agency_token.expose()))
            .header("Version", API_VERSION)
            .send()
            .await
            .map_err(|_| AuthError::Refused("could not reach the API".into()))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|_| AuthError::Refused("the answer broke off".into()))?;
        if !status.is_success() {
            return Err(AuthError::Refused(format!(
                "GET /oauth/installedLocations was refused ({}); it needs an agency token with the scope oauth.readonly",
                answer_message(status, &body)
            )));
        }
        let page: InstalledPage = serde_json::from_slice(&body)
            .map_err(|e| AuthError::Refused(format!("unreadable answer: {e}")))?;
        let n = page.locations.len();
        all.extend(page.locations);
        let total = page.count.map(|c| c as usize);
        if n < PAGE || total.is_some_and(|t| all.len() >= t) {
            return Ok(all);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_token() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(
            &p,
            "[oauth]\nclient_id = \"cid\"\nclient_secret = \"secret-cs-1\"\n[locations.A]\nrefresh_token = \"secret-rt-2\"\naccess_token = \"secret-at-3\"\nexpires_at = \"2030-01-01T00:00:00Z\"\n[agency]\ncompany_id = \"co\"\ntoken = \"secret-ag-4\"\n",
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let src = TokenSource::new(
            Credentials::load(&p).unwrap(),
            "http://127.0.0.1:1",
            Duration::from_secs(1),
        );
        let shown = format!("{src:?}");
        assert!(shown.contains("co") && shown.contains("\"A\""), "{shown}");
        assert!(!shown.contains("secret"), "{shown}");
    }
}
