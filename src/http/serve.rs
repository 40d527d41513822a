//! The HTTP/1.1 server under the app: accepts connections, caps them per client address, and
//! closes what a client leaves unfinished, so that slow or silent clients cannot hold the node.
//!
//! - A connection that sends no complete request head within the header timeout — a new one
//!   that stalls mid-headers or sends nothing, or a kept-alive one that stays idle — is closed
//!   (hyper's header-read timer, which runs whenever the connection waits for a head).
//! - A request body that stops making progress is cut by [`pace_bodies`] (`408`).
//! - Beyond the cap of open connections from one address, a new connection is answered `503
//!   too_many_connections` and closed before anything is read.
//!
//! Owns: the accept loop, the per-address connection counts, graceful shutdown (no new
//! connections, the requests in progress finished). Never does: routing, authentication.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpListener;
use tower::ServiceExt as _;

use super::ApiError;

/// What a client may leave unfinished, and how many connections one address may hold.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// A request head must arrive whole within this, on a new or a kept-alive connection.
    pub header_timeout: Duration,
    /// Open connections per client address (0: no cap).
    pub per_address: usize,
    /// A request body must bring at least `min_body_rate × body_window` bytes in every
    /// `body_window`; else `408`.
    pub body_window: Duration,
    /// Bytes per second a body must keep up on average over each window (0: no pace).
    pub min_body_rate: u64,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            per_address: 256,
            body_window: Duration::from_secs(10),
            min_body_rate: 1024,
        }
    }
}

/// Open connections per address; a slot gives its place back when dropped.
#[derive(Default)]
struct Counts(Mutex<HashMap<IpAddr, usize>>);

struct Slot {
    counts: Arc<Counts>,
    ip: IpAddr,
}

impl Counts {
    fn take(self: &Arc<Self>, ip: IpAddr, cap: usize) -> Option<Slot> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let open = map.entry(ip).or_insert(0);
        if cap > 0 && *open >= cap {
            return None;
        }
        *open += 1;
        Some(Slot {
            counts: self.clone(),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self.counts.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(open) = map.get_mut(&self.ip) {
            *open -= 1;
            if *open == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

/// Serves `router` on `listener` until `stop` completes, then finishes the requests in progress.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    stop: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let counts = Arc::new(Counts::default());
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // keep serving the others.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let Some(slot) = counts.take(peer.ip(), limits.per_address) else {
            tracing::warn!(peer = %peer.ip(), "too many connections from one address");
            tokio::spawn(refuse_connection(stream));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = router
            .clone()
            .map_request(move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .serve_connection(
                TokioIo::new(stream),
                hyper_util::service::TowerToHyperService::new(service),
            );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _slot = slot;
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, peer = %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Answers a connection over the per-address cap and closes it, without reading its request.
async fn refuse_connection(mut stream: tokio::net::TcpStream) {
    let body = r#"{"error":{"code":"too_many_connections","message":"too many open connections from this address; close some and retry"}}"#;
    let reply = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(reply.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// The client's address, when the request came through [`serve`].
pub fn peer_ip(request: &Request) -> Option<IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// Why a body was cut: it stopped making progress.
#[derive(Debug, thiserror::Error)]
#[error("the request body stalled: less than {min_bytes} bytes arrived in {window:?}")]
pub struct BodyStalled {
    min_bytes: u64,
    window: Duration,
}

/// A request body that must bring `min_bytes` in every `window`, else ends with
/// [`BodyStalled`] (and flags the request, so the answer is `408` whatever the handler made of
/// the error).
struct Paced {
    inner: Body,
    min_bytes: u64,
    window: Duration,
    got: u64,
    deadline: Pin<Box<tokio::time::Sleep>>,
    /// When the last frame went to the handler: the time the handler takes with it (writing it
    /// to storage, say) is not the client's, and moves the deadline.
    handed_at: Option<tokio::time::Instant>,
    stalled: Arc<std::sync::atomic::AtomicBool>,
}

impl hyper::body::Body for Paced {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        if let Some(handed) = this.handed_at.take() {
            let credit = tokio::time::Instant::now() - handed;
            let later = this.deadline.deadline() + credit;
            this.deadline.as_mut().reset(later);
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                this.handed_at = Some(tokio::time::Instant::now());
                if let Some(data) = frame.data_ref() {
                    this.got += data.len() as u64;
                    if this.got >= this.min_bytes {
                        this.got = 0;
                        let next = tokio::time::Instant::now() + this.window;
                        this.deadline.as_mut().reset(next);
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => {
                if this.deadline.as_mut().poll(cx).is_ready() {
                    this.stalled
                        .store(true, std::sync::atomic::Ordering::SeqCst);
                    return Poll::Ready(Some(Err(axum::Error::new(BodyStalled {
                        min_bytes: this.min_bytes,
                        window: this.window,
                    }))));
                }
                Poll::Pending
            }
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// The middleware that paces request bodies (see [`ConnectionLimits::min_body_rate`]): a
/// request whose body stalled is answered `408 request_timeout` and its connection closed.
pub(super) async fn pace_bodies(
    axum::extract::State(limits): axum::extract::State<ConnectionLimits>,
    request: Request,
    next: Next,
) -> Response {
    if limits.min_body_rate == 0 {
        return next.run(request).await;
    }
    let stalled = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let min_bytes = (limits.min_body_rate as f64 * limits.body_window.as_secs_f64()).ceil() as u64;
    let (parts, body) = request.into_parts();
    let paced = Paced {
        inner: body,
        min_bytes: min_bytes.max(1),
        window: limits.body_window,
        got: 0,
        deadline: Box::pin(tokio::time::sleep(limits.body_window)),
        handed_at: None,
        stalled: stalled.clone(),
    };
    let response = next.run(Request::from_parts(parts, Body::new(paced))).await;
    if stalled.load(std::sync::atomic::Ordering::SeqCst) {
        tracing::warn!("request body stalled");
        let mut refused = ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!(
                "the request body stalled (less than {min_bytes} bytes in {} s); nothing was \
                 recorded, please send it again",
                limits.body_window.as_secs()
            ),
        )
        .into_response();
        refused
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return refused;
    }
    response
}
