//! What the client speaks over TLS to a server that offers HTTP/2, and what happens to many
//! requests at once when that server limits the streams of a connection.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio_rustls::rustls;

use super::{http_builder, ClientConfig};
use crate::api::token::Token;

/// A self-signed certificate for `localhost` and 127.0.0.1 (test only, valid to 2126), and its key.
const TEST_CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIBmDCCAT6gAwIBAgIUTX30RVdBaclW654Xs3Jv0h2bonMwCgYIKoZIzj0EAwIw\nFDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwMzE2MTQ1NloYDzIxMjYxMTA5\nMTYxNDU2WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO\nPQMBBwNCAAT3kTxO8BS0WdYVygAq6h1tFUCVj6T9P+4CaPWhv+iWACdeQ56ExLvp\nxXKpfsDil00pkVi16qKt+0+qUwNvcnX6o2wwajAdBgNVHQ4EFgQUc7hr0wqCybgg\nKMieggaZxhI/9bowHwYDVR0jBBgwFoAUc7hr0wqCybggKMieggaZxhI/9bowGgYD\nVR0RBBMwEYIJbG9jYWxob3N0hwR/AAABMAwGA1UdEwEB/wQCMAAwCgYIKoZIzj0E\nAwIDSAAwRQIgNAC0OmhZWLCN91j9iGhdVvE0Oft6QgYg+0I/eqB6AUQCIQC/kmxn\n2VwUKjSdW1Al7XenfYqqq1/pOKjIGcLUOihx5g==\n-----END CERTIFICATE-----";
const TEST_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg6sAbb9BYANLxmIdP\nctHPo0E64CIAmBUYr3GYFxJblfKhRANCAAT3kTxO8BS0WdYVygAq6h1tFUCVj6T9\nP+4CaPWhv+iWACdeQ56ExLvpxXKpfsDil00pkVi16qKt+0+qUwNvcnX6\n-----END PRIVATE KEY-----";

#[derive(Default)]
struct Seen {
    connections: AtomicUsize,
    in_flight: AtomicUsize,
    /// The most requests in flight at once.
    most: AtomicUsize,
    http2: AtomicUsize,
    /// Connections that carried at least one request.
    used: AtomicUsize,
}

/// An HTTPS server on 127.0.0.1 offering h2 first, then http/1.1 (as a CDN does), at most
/// `streams` requests in flight on one HTTP/2 connection; each answer takes `hold`.
async fn server(streams: u32, hold: Duration) -> (u16, Arc<Seen>) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let cert = CertificateDer::from_pem_slice(TEST_CERT.as_bytes()).unwrap();
    let key = PrivateKeyDer::from_pem_slice(TEST_KEY.as_bytes()).unwrap();
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Seen::default());
    let counts = seen.clone();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            counts.connections.fetch_add(1, Ordering::SeqCst);
            let (acceptor, counts) = (acceptor.clone(), counts.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let first = Arc::new(std::sync::Once::new());
                let service = hyper::service::service_fn(move |req: hyper::Request<_>| {
                    let counts = counts.clone();
                    first.call_once(|| {
                        counts.used.fetch_add(1, Ordering::SeqCst);
                    });
                    async move {
                        if req.version() == hyper::Version::HTTP_2 {
                            counts.http2.fetch_add(1, Ordering::SeqCst);
                        }
                        let now = counts.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                        counts.most.fetch_max(now, Ordering::SeqCst);
                        tokio::time::sleep(hold).await;
                        counts.in_flight.fetch_sub(1, Ordering::SeqCst);
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(Body::from("{}")))
                    }
                });
                let mut builder =
                    hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                builder.http2().max_concurrent_streams(streams);
                let _ = builder.serve_connection(TokioIo::new(tls), service).await;
            });
        }
    });
    (port, seen)
}

/// The importer's HTTP client, trusting the test certificate as well.
fn client(h2_prior_knowledge: bool) -> reqwest::Client {
    let config = ClientConfig::new("https://127.0.0.1", Token::new("t").unwrap());
    http_builder(&config, h2_prior_knowledge)
        .add_root_certificate(reqwest::Certificate::from_pem(TEST_CERT.as_bytes()).unwrap())
        .build()
        .unwrap()
}

#[tokio::test]
async fn https_to_a_server_that_offers_h2_is_spoken_over_http_1_1_on_a_kept_connection() {
    let (port, seen) = server(100, Duration::ZERO).await;
    let http = client(false);
    for _ in 0..3 {
        let resp = http
            .get(format!("https://127.0.0.1:{port}/contacts/"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.version(), reqwest::Version::HTTP_11);
        assert_eq!(resp.text().await.unwrap(), "{}");
    }
    assert_eq!(seen.connections.load(Ordering::SeqCst), 1);
    assert_eq!(seen.http2.load(Ordering::SeqCst), 0);
}

/// Many locations keep hundreds of requests in flight; on HTTP/2 they would all share one
/// connection and wait for its streams (hyper queues them rather than opening another).
#[tokio::test]
async fn many_requests_at_once_are_not_held_to_one_connections_stream_limit() {
    let (port, seen) = server(50, Duration::from_millis(300)).await;
    let http = client(false);
    let url = format!("https://127.0.0.1:{port}/contacts/");
    let all = futures::future::join_all((0..150).map(|_| http.get(&url).send())).await;
    assert!(all.into_iter().all(|r| r.unwrap().status().is_success()));
    assert_eq!(seen.http2.load(Ordering::SeqCst), 0);
    // Over the stream limit (how far over depends on how fast 150 handshakes go).
    assert!(seen.used.load(Ordering::SeqCst) > 50);
    assert!(seen.most.load(Ordering::SeqCst) > 50, "{:?}", seen.most);
}

/// What `GHL_IMPORT_H2C` gives (benchmarks only): HTTP/2, every request on one connection,
/// no more in flight than the server's stream limit.
#[tokio::test]
async fn with_prior_knowledge_requests_queue_behind_one_connections_stream_limit() {
    let (port, seen) = server(50, Duration::from_millis(300)).await;
    let http = client(true);
    let url = format!("https://127.0.0.1:{port}/contacts/");
    let all = futures::future::join_all((0..150).map(|_| http.get(&url).send())).await;
    for r in all {
        assert_eq!(r.unwrap().version(), reqwest::Version::HTTP_2);
    }
    assert_eq!(seen.http2.load(Ordering::SeqCst), 150);
    assert_eq!(seen.used.load(Ordering::SeqCst), 1);
    assert_eq!(seen.most.load(Ordering::SeqCst), 50);
}

#[test]
fn h2c_is_asked_for_by_a_non_empty_variable() {
    let env = |v: Option<&'static str>| move |_: &str| v.map(Into::into);
    assert!(super::h2_prior_knowledge(env(Some("1"))));
    assert!(!super::h2_prior_knowledge(env(Some(""))));
    assert!(!super::h2_prior_knowledge(env(None)));
}
