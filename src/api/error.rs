use crate::event::Endpoint;

/// Why a call did not succeed. Messages carry the server's words and the endpoint, never
/// request headers (so never the token).
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// 401: the token is invalid, expired or revoked. Stops the run.
    #[error("{endpoint:?} was refused with 401 Unauthorized ({message}): the token is invalid, expired or revoked; create a new Private Integration token and give it as before (GHL_TOKEN, --token-file or the credentials file)")]
    Unauthorized { endpoint: Endpoint, message: String },
    /// 403: the token lacks a scope or the location. Stops the run.
    #[error("{endpoint:?} was refused with 403 Forbidden ({message}): the token needs the scope {scope} for this location; give the Private Integration that scope (Settings → Private Integrations) or use a token made for this location, then run the import again")]
    Forbidden {
        endpoint: Endpoint,
        message: String,
        scope: &'static str,
    },
    /// 429 with no daily budget left: nothing more can be sent to this location today.
    #[error("{message}; nothing more is sent to location {location} in this run")]
    DailyLimit { location: String, message: String },
    /// 400/404/422: the server rejected this request; retrying cannot help.
    #[error("HTTP {status}: {message}")]
    Rejected { status: u16, message: String },
    /// Retries ran out on 429s, 5xx, timeouts or connection errors.
    #[error("gave up after {attempts} attempts: {last}")]
    Exhausted { attempts: u32, last: String },
    /// No connection to the base URL could be made, and none ever answered in this run:
    /// nothing else can succeed either, so the run stops.
    #[error("cannot connect to {base_url} ({last}; {attempts} attempts, and nothing in this run has had an answer from it): check --base-url (or GHL_BASE_URL), that the network is up, and any proxy or firewall in between")]
    Unreachable {
        base_url: String,
        attempts: u32,
        last: String,
    },
    /// 404 for the route itself (`Cannot POST /v2/contacts/upsert`, or a page that is not
    /// the API's JSON) before anything in this run succeeded: the base URL is wrong, so every
    /// request would fail the same way, and the run stops.
    #[error("{url} answered HTTP 404 ({message}): there is no such API route at {base_url}, and nothing in this run has succeeded there: check --base-url (or GHL_BASE_URL); HighLevel's API is {default} with no path after it (not /v2)", default = crate::api::DEFAULT_BASE_URL)]
    NoSuchRoute {
        base_url: String,
        url: String,
        message: String,
    },
    /// The response could not be understood.
    #[error("unexpected response from {endpoint:?}: {message}")]
    Protocol { endpoint: Endpoint, message: String },
    /// This location's token is missing or was refused: its rows are deferred, the other
    /// locations go on.
    #[error("location {location} is skipped: {reason}")]
    LocationFailed { location: String, reason: String },
    /// The run is stopping (interrupt or a fatal error elsewhere); the call was not made.
    #[error("not sent: the run is stopping")]
    Cancelled,
}

impl ApiError {
    /// Errors that mean no further request can succeed.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            ApiError::Unauthorized { .. }
                | ApiError::Forbidden { .. }
                | ApiError::DailyLimit { .. }
                | ApiError::Unreachable { .. }
                | ApiError::NoSuchRoute { .. }
        )
    }
}
