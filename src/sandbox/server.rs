//! The accept loop, and the gate every request passes: auth, version, rate limit, faults.
//!
//! The loop is hand-written (hyper + hyper-util) rather than `axum::serve` so that a fault can
//! close one TCP connection with no response: each connection gets a kill switch that the
//! request reaches through its extensions. Each port speaks HTTP/1.1 and HTTP/2 with prior
//! knowledge (h2c), so the client's HTTP/2 can be measured; on HTTP/2 a dropped request
//! resets its own stream, not the connection the other requests share.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tower::ServiceExt;

use super::store::Store;
use super::{
    handlers, Faults, Forced, RecordedRequest, SandboxConfig, SandboxHandle, ShutdownGuard,
};

pub(crate) const API_VERSION: &str = "2021-07-28";
const MAX_BODY: usize = 16 * 1024 * 1024;
const DAY: Duration = Duration::from_secs(24 * 60 * 60);
/// The bucket for requests that name no location.
const UNSCOPED: &str = "";

/// Locks, shrugging off poison: a panicking test thread must not wedge the server.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn now_iso() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) struct Injection {
    pub forced: Forced,
    pub remaining: usize,
    pub path: Option<String>,
}

#[derive(Default)]
struct Bucket {
    /// Admission instants inside the current sliding window, oldest first.
    window: VecDeque<Instant>,
    day_start: Option<Instant>,
    day_count: u64,
}

/// What the rate headers report.
#[derive(Clone, Copy)]
struct RateSnapshot {
    remaining: u32,
    daily_remaining: u64,
}

/// State shared by the accept loop, the handlers and the handle.
pub(crate) struct Shared {
    pub config: SandboxConfig,
    pub addr: SocketAddr,
    pub faults: Mutex<Faults>,
    pub rng: Mutex<StdRng>,
    pub store: Mutex<Store>,
    buckets: Mutex<HashMap<String, Bucket>>,
    pub injections: Mutex<VecDeque<Injection>>,
    pub log: Mutex<Vec<RecordedRequest>>,
    pub oauth: Mutex<super::oauth::OAuthState>,
}

impl Shared {
    /// A 20-character alphanumeric id, like HighLevel's (Firebase-style) ids.
    pub(crate) fn new_id(&self) -> String {
        let mut rng = lock(&self.rng);
        (0..20)
            .map(|_| rng.sample(rand::distr::Alphanumeric) as char)
            .collect()
    }

    pub(crate) fn trace_id(&self) -> String {
        let mut rng = lock(&self.rng);
        let n: u128 = rng.random();
        let h = format!("{n:032x}");
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }

    fn draw_latency(&self, faults: &Faults) -> Duration {
        let (lo, hi) = faults.latency;
        if hi <= lo {
            return lo;
        }
        let mut rng = lock(&self.rng);
        Duration::from_nanos(rng.random_range(lo.as_nanos() as u64..=hi.as_nanos() as u64))
    }

    fn peek(&self, key: &str) -> RateSnapshot {
        let now = Instant::now();
        let mut buckets = lock(&self.buckets);
        match buckets.get_mut(key) {
            Some(b) => {
                self.prune(b, now);
                self.snapshot(b)
            }
            None => RateSnapshot {
                remaining: self.config.rate_max,
                daily_remaining: self.config.daily_limit,
            },
        }
    }

    fn prune(&self, b: &mut Bucket, now: Instant) {
        while b
            .window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.config.rate_interval)
        {
            b.window.pop_front();
        }
        if b.day_start.is_some_and(|t| now.duration_since(t) >= DAY) {
            b.day_start = None;
            b.day_count = 0;
        }
    }

    fn snapshot(&self, b: &Bucket) -> RateSnapshot {
        RateSnapshot {
            remaining: self.config.rate_max.saturating_sub(b.window.len() as u32),
            daily_remaining: self.config.daily_limit.saturating_sub(b.day_count),
        }
    }

    /// Admits the request into the bucket, or says how long until it could be admitted.
    fn admit(&self, key: &str) -> (Instant, RateSnapshot, Option<Duration>) {
        let mut buckets = lock(&self.buckets);
        let now = Instant::now();
        let b = buckets.entry(key.to_string()).or_default();
        self.prune(b, now);
        if b.day_count >= self.config.daily_limit {
            let wait = b
                .day_start
                .map_or(DAY, |t| DAY.saturating_sub(now.duration_since(t)));
            return (now, self.snapshot(b), Some(wait));
        }
        if b.window.len() >= self.config.rate_max as usize {
            let wait = b
                .window
                .front()
                .and_then(|t| t.checked_add(self.config.rate_interval))
                .map_or(self.config.rate_interval, |end| {
                    end.saturating_duration_since(now)
                });
            return (now, self.snapshot(b), Some(wait));
        }
        b.window.push_back(now);
        b.day_start.get_or_insert(now);
        b.day_count += 1;
        (now, self.snapshot(b), None)
    }

    fn take_injection(&self, path: &str) -> Option<Forced> {
        let mut queue = lock(&self.injections);
        let pos = queue.iter().position(|inj| match &inj.path {
            None => true,
            Some(p) => match p.strip_suffix('*') {
                Some(prefix) => path.starts_with(prefix),
                None => p == path,
            },
        })?;
        let inj = &mut queue[pos];
        let forced = inj.forced.clone();
        inj.remaining -= 1;
        if inj.remaining == 0 {
            queue.remove(pos);
        }
        Some(forced)
    }

    fn set_status(&self, idx: Option<usize>, status: u16) {
        if let Some(i) = idx {
            if let Some(r) = lock(&self.log).get_mut(i) {
                r.status = status;
            }
        }
    }
}

/// Per-request facts the handlers need, passed through the request's extensions.
#[derive(Clone)]
pub(crate) struct ReqCtx {
    /// `None`: empty body. `Some(Err)`: not JSON (the parser's message).
    pub body: Option<Result<Value, String>>,
    pub latency: Duration,
}

impl ReqCtx {
    pub(crate) async fn pause(&self) {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
    }
}

/// Binds 127.0.0.1 on a free port and serves until the handle is dropped or shut down.
pub async fn start(config: SandboxConfig) -> io::Result<SandboxHandle> {
    start_on(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
}

/// Like [`start`] on a chosen address (the CLI's `sandbox --port`).
pub async fn start_on(addr: SocketAddr, config: SandboxConfig) -> io::Result<SandboxHandle> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let rng = match config.seed {
        Some(seed) => StdRng::seed_from_u64(seed),
        None => StdRng::from_os_rng(),
    };
    let config_ttl = config.access_token_ttl;
    let shared = Arc::new(Shared {
        faults: Mutex::new(Faults::from_config(&config)),
        config,
        addr,
        rng: Mutex::new(rng),
        store: Mutex::new(Store::default()),
        buckets: Mutex::new(HashMap::new()),
        injections: Mutex::new(VecDeque::new()),
        log: Mutex::new(Vec::new()),
        oauth: Mutex::new(super::oauth::OAuthState::new(config_ttl)),
    });
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, shared.clone(), stop_rx));
    tracing::debug!(%addr, "sandbox listening");
    Ok(SandboxHandle {
        shared,
        guard: Arc::new(ShutdownGuard {
            stop,
            task: Mutex::new(Some(task)),
        }),
    })
}

/// Serves on `addr` until Ctrl-C: the CLI's `ghl-import sandbox` subcommand.
pub async fn serve_forever(addr: SocketAddr, config: SandboxConfig) -> io::Result<()> {
    let handle = start_on(addr, config).await?;
    tracing::info!(url = %handle.base_url(), "HighLevel sandbox listening; Ctrl-C to stop");
    tokio::signal::ctrl_c().await?;
    handle.shutdown().await;
    Ok(())
}

/// Resolves once shutdown is signalled (or the handle is gone).
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let router = handlers::router(shared.clone());
    loop {
        let (stream, _) = tokio::select! {
            _ = stopped(&mut stop) => return,
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::debug!(error = %e, "sandbox accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let kill = Arc::new(Notify::new());
        let shared = shared.clone();
        let router = router.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let conn_kill = kill.clone();
            let streams = shared.config.http2_max_streams;
            let service = hyper::service::service_fn(move |req| {
                let shared = shared.clone();
                let router = router.clone();
                let kill = conn_kill.clone();
                handle(shared, router, kill, req)
            });
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            builder.http2().max_concurrent_streams(streams);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            // Dropping `conn` closes the socket without writing anything.
            tokio::select! {
                _ = conn => {}
                _ = kill.notified() => {}
                _ = stopped(&mut stop) => {}
            }
        });
    }
}

/// The location a request counts against: path, then query, then body.
fn location_of(
    shared: &Shared,
    path: &str,
    query: Option<&str>,
    body: Option<&Value>,
) -> Option<String> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    if segs.len() >= 2 && segs[0] == "locations" && !segs[1].is_empty() {
        return Some(segs[1].to_string());
    }
    if let Some(q) = query {
        if let Some(loc) = form_pairs(q)
            .into_iter()
            .find(|(k, _)| k == "locationId")
            .map(|(_, v)| v)
        {
            return Some(loc);
        }
    }
    if let Some(loc) = body
        .and_then(|b| b.get("locationId"))
        .and_then(Value::as_str)
    {
        return Some(loc.to_string());
    }
    if segs.len() == 2 && segs[0] == "contacts" {
        return lock(&shared.store).owner(segs[1]).map(str::to_string);
    }
    None
}

/// Decodes `a=b&c=d` (percent-decoding, `+` as space).
pub(crate) fn form_pairs(q: &str) -> Vec<(String, String)> {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' => match (
                    bytes.get(i + 1).and_then(|b| hex(*b)),
                    bytes.get(i + 2).and_then(|b| hex(*b)),
                ) {
                    (Some(h), Some(l)) => {
                        out.push(h * 16 + l);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                },
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

pub(crate) fn json_response(status: u16, body: Value) -> Response<Body> {
    let mut resp = Response::new(Body::from(body.to_string()));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

pub(crate) fn bad_request(message: &str) -> Response<Body> {
    json_response(
        400,
        json!({"statusCode": 400, "message": message, "error": "Bad Request"}),
    )
}

pub(crate) fn unprocessable(messages: Vec<String>) -> Response<Body> {
    json_response(
        422,
        json!({"statusCode": 422, "message": messages, "error": "Unprocessable Entity"}),
    )
}

fn unauthorized() -> Response<Body> {
    json_response(
        401,
        json!({"statusCode": 401, "message": "Invalid token: access token is invalid", "error": "Unauthorized"}),
    )
}

fn too_many(shared: &Shared, wait: Duration) -> Response<Body> {
    let mut resp = json_response(
        429,
        json!({"statusCode": 429, "message": "Too Many Requests"}),
    );
    if shared.config.retry_after {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    }
    resp
}

fn server_error(status: u16) -> Response<Body> {
    let message = match status {
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Internal Server Error",
    };
    json_response(status, json!({"statusCode": status, "message": message}))
}

fn forced_response(shared: &Shared, status: u16) -> Response<Body> {
    match status {
        401 => unauthorized(),
        429 => too_many(shared, shared.config.rate_interval),
        400 => bad_request("Bad Request"),
        422 => unprocessable(vec!["Unprocessable Entity".into()]),
        s if s >= 500 => server_error(s),
        s => json_response(
            s,
            json!({"statusCode": s, "message": "Injected by the sandbox"}),
        ),
    }
}

fn add_rate_headers(shared: &Shared, headers: &mut HeaderMap, snap: RateSnapshot) {
    let c = &shared.config;
    headers.insert("x-ratelimit-max", HeaderValue::from(c.rate_max));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(snap.remaining));
    headers.insert(
        "x-ratelimit-interval-milliseconds",
        HeaderValue::from(c.rate_interval.as_millis() as u64),
    );
    headers.insert("x-ratelimit-limit-daily", HeaderValue::from(c.daily_limit));
    headers.insert(
        "x-ratelimit-daily-remaining",
        HeaderValue::from(snap.daily_remaining),
    );
}

enum Decision {
    Normal,
    Fail { status: u16, apply: bool },
    Drop { apply: bool },
    Stall(Duration),
}

fn decide(shared: &Shared, path: &str, faults: &Faults) -> Decision {
    if let Some(forced) = shared.take_injection(path) {
        return match forced {
            Forced::Status(s) => Decision::Fail {
                status: s,
                apply: false,
            },
            Forced::Drop { after_apply } => Decision::Drop { apply: after_apply },
            Forced::Stall(d) => Decision::Stall(d),
        };
    }
    let mut rng = lock(&shared.rng);
    if faults.fail_5xx_rate > 0.0 && rng.random_bool(faults.fail_5xx_rate.clamp(0.0, 1.0)) {
        let status = [500, 502, 503][rng.random_range(0..3)];
        return Decision::Fail {
            status,
            apply: faults.fail_5xx_after_apply,
        };
    }
    if faults.drop_rate > 0.0 && rng.random_bool(faults.drop_rate.clamp(0.0, 1.0)) {
        return Decision::Drop {
            apply: faults.drop_after_apply,
        };
    }
    if faults.stall_rate > 0.0 && rng.random_bool(faults.stall_rate.clamp(0.0, 1.0)) {
        return Decision::Stall(faults.stall);
    }
    Decision::Normal
}

fn bearer_ok(shared: &Shared, headers: &HeaderMap) -> bool {
    super::oauth::bearer(headers)
        .is_some_and(|token| shared.config.token.as_deref().is_none_or(|t| t == token))
}

/// A request dropped on HTTP/2: hyper resets its stream.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dropped by the sandbox")
    }
}

impl std::error::Error for Dropped {}

async fn handle(
    shared: Arc<Shared>,
    router: axum::Router,
    kill: Arc<Notify>,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Body>, Dropped> {
    let h2 = req.version() == axum::http::Version::HTTP_2;
    answer(shared, router, kill, req, h2).await.ok_or(Dropped)
}

/// The answer, or `None` for a request dropped on HTTP/2.
async fn answer(
    shared: Arc<Shared>,
    router: axum::Router,
    kill: Arc<Notify>,
    req: Request<hyper::body::Incoming>,
    h2: bool,
) -> Option<Response<Body>> {
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(Body::new(body), MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return Some(json_response(
                413,
                json!({"statusCode": 413, "message": "request entity too large"}),
            ));
        }
    };
    let parsed: Option<Result<Value, String>> = if bytes.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        Some(serde_json::from_slice(&bytes).map_err(|e| e.to_string()))
    };
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);
    let json_body = parsed.as_ref().and_then(|r| r.as_ref().ok());
    let location = location_of(&shared, &path, query.as_deref(), json_body);
    let key = location.clone().unwrap_or_else(|| UNSCOPED.to_string());
    let authorization_present = parts.headers.contains_key(header::AUTHORIZATION);
    let faults = lock(&shared.faults).clone();

    let record = |at: Instant| -> Option<usize> {
        if !shared.config.record_requests {
            return None;
        }
        let mut log = lock(&shared.log);
        log.push(RecordedRequest {
            method: parts.method.to_string(),
            path: path.clone(),
            query: query.clone(),
            location_id: location.clone(),
            status: 0,
            at,
            body: json_body.cloned(),
            authorization_present,
        });
        Some(log.len() - 1)
    };

    // Gate 1 and 2: token and Version. Nothing is consumed. `POST /oauth/token` takes the
    // client's credentials in its body and declares no Version header.
    let early = if path == "/oauth/token" {
        None
    } else if let Some(refused) = super::oauth::authorize(
        &shared,
        parts.method.as_str(),
        &path,
        location.as_deref(),
        &parts.headers,
        bearer_ok(&shared, &parts.headers),
    ) {
        Some(refused)
    } else {
        match parts
            .headers
            .get("version")
            .map(|v| v.to_str().unwrap_or(""))
        {
            None => Some(bad_request("Version header was not found")),
            Some(v) if v.trim() != API_VERSION => {
                Some(bad_request("Invalid Version header: expected 2021-07-28"))
            }
            Some(_) => None,
        }
    };
    if let Some(mut resp) = early {
        let idx = record(Instant::now());
        let latency = shared.draw_latency(&faults);
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        add_rate_headers(&shared, resp.headers_mut(), shared.peek(&key));
        shared.set_status(idx, resp.status().as_u16());
        return Some(resp);
    }

    // Gate 3: rate limit.
    let (at, snap, refused) = shared.admit(&key);
    let idx = record(at);
    let latency = shared.draw_latency(&faults);
    if let Some(wait) = refused {
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let mut resp = too_many(&shared, wait);
        add_rate_headers(&shared, resp.headers_mut(), snap);
        shared.set_status(idx, 429);
        return Some(resp);
    }

    // Gate 4: faults, then the handler.
    let decision = decide(&shared, &path, &faults);
    let ctx = ReqCtx {
        body: parsed,
        latency,
    };
    let run = move |ctx: ReqCtx| {
        let mut req = Request::from_parts(parts, Body::from(bytes));
        req.extensions_mut().insert(ctx);
        async move {
            match router.oneshot(req).await {
                Ok(r) => r,
                Err(never) => match never {},
            }
        }
    };
    let mut resp = match decision {
        Decision::Normal => run(ctx).await,
        Decision::Stall(d) => {
            tokio::time::sleep(d).await;
            run(ctx).await
        }
        Decision::Fail { status, apply } => {
            if apply {
                let _ = run(ctx).await;
            } else if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            forced_response(&shared, status)
        }
        Decision::Drop { apply } => {
            if apply {
                let _ = run(ctx).await;
            }
            if h2 {
                return None;
            }
            kill.notify_one();
            // The connection task drops this future along with the connection.
            std::future::pending::<Response<Body>>().await
        }
    };
    add_rate_headers(&shared, resp.headers_mut(), snap);
    shared.set_status(idx, resp.status().as_u16());
    Some(resp)
}
