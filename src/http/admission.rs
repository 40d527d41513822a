//! Admission control, before any database work: a limit on requests in flight across the whole
//! node (beyond it: `503 overloaded` with `Retry-After`, instead of queueing without bound until
//! the node falls over, as the systems this replaces did on opening days), and a token-bucket
//! rate limit per bearer token (beyond it: `429 rate_limited` with `Retry-After`).
//!
//! Owns: the in-flight semaphore and the buckets (keyed by a SHA-256 of the token: the token
//! itself is never kept). Never does: authentication (a token that is rate limited may still be
//! invalid; the `Caller` extractor decides that afterwards).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use super::{ApiError, AppState};

/// The limits: `--max-in-flight` and `--rate-limit`.
#[derive(Debug)]
pub struct Admission {
    in_flight: Arc<Semaphore>,
    rate: Option<RateLimit>,
}

#[derive(Debug)]
struct RateLimit {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<[u8; 32], Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Buckets kept before idle ones (full again) are dropped.
const MAX_BUCKETS: usize = 100_000;

impl Admission {
    /// At most `max_in_flight` requests at once; `per_second` requests per token on average
    /// with bursts of `burst` (`per_second` 0: no rate limit).
    pub fn new(max_in_flight: usize, per_second: u32, burst: u32) -> Self {
        Self {
            in_flight: Arc::new(Semaphore::new(max_in_flight.max(1))),
            rate: (per_second > 0).then(|| RateLimit {
                per_second: f64::from(per_second),
                burst: f64::from(burst.max(1)),
                buckets: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Takes one request from `token`'s bucket; `Err(seconds)` until one is available.
    fn take(&self, token: &[u8]) -> Result<(), u64> {
        let Some(rate) = &self.rate else {
            return Ok(());
        };
        let key: [u8; 32] = Sha256::digest(token).into();
        let now = Instant::now();
        let mut buckets = rate.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(&key) {
            // Idle buckets are full again: forgetting them changes nothing.
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.at).as_secs_f64() * rate.per_second < rate.burst
            });
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: rate.burst,
            at: now,
        });
        let refilled = (bucket.tokens
            + now.duration_since(bucket.at).as_secs_f64() * rate.per_second)
            .min(rate.burst);
        bucket.at = now;
        if refilled >= 1.0 {
            bucket.tokens = refilled - 1.0;
            Ok(())
        } else {
            bucket.tokens = refilled;
            Err(((1.0 - refilled) / rate.per_second).ceil().max(1.0) as u64)
        }
    }
}

/// The middleware: rate limit by token, then a slot among the requests in flight, held until
/// the response is produced (for an upload, until its body has been read and recorded).
/// Health and readiness probes pass untouched.
pub(super) async fn admit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path == "/healthz" || path == "/readyz" {
        return next.run(request).await;
    }
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().as_bytes().to_vec());
    if let Some(token) = token
        && let Err(wait) = state.admission.take(&token)
    {
        return refuse(
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many requests for this token; retry in {wait} s"),
            ),
            wait,
        );
    }
    let Ok(_slot) = state.admission.in_flight.clone().try_acquire_owned() else {
        tracing::warn!("overloaded: every request slot is taken");
        return refuse(
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "overloaded",
                "the service is at capacity; nothing was recorded, please retry shortly",
            ),
            1,
        );
    };
    next.run(request).await
}

fn refuse(error: ApiError, retry_after: u64) -> Response {
    let mut response = error.into_response();
    if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}
