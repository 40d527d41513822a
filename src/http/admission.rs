//! Admission control, before any database work: a limit on requests in flight across the whole
//! node (beyond it: `503 overloaded` with `Retry-After`, instead of queueing without bound until
//! the node falls over, as the systems this replaces did on opening days), and a token-bucket
//! rate limit per bearer token (beyond it: `429 rate_limited` with `Retry-After`).
//!
//! Uploads (requests that send a body: multipart forms, large or chunked bodies) take their
//! slots from a pool of their own, and each caller (its token, else its address) holds only a
//! few at once: slow or stalled uploads, however many, never take the slots that reads, moves
//! and other callers' uploads need. The public pages (`/verify`, `/verify/{code}`) and the
//! sign-in through the identity provider (`/api/v1/session/oidc...`, which records a flow before
//! anyone is known) have a token bucket per client address. `/readyz` reports the node saturated while a pool is full.
//!
//! Owns: the semaphores and the buckets (keyed by a SHA-256 of the token: the token itself is
//! never kept). Never does: authentication (a token that is rate limited may still be
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

/// The limits: `--max-in-flight`, `--max-uploads`, `--max-uploads-per-caller`,
/// `--rate-limit` and `--public-rate-limit`.
#[derive(Debug)]
pub struct Admission {
    in_flight: Arc<Semaphore>,
    in_flight_limit: usize,
    uploads: Arc<Semaphore>,
    uploads_limit: usize,
    uploads_per_caller: usize,
    uploading: Arc<Mutex<HashMap<[u8; 32], usize>>>,
    rate: Option<RateLimit>,
    public_rate: Option<RateLimit>,
}

/// What admission allows, as configured.
#[derive(Debug, Clone, Copy)]
pub struct AdmissionLimits {
    /// Requests in flight, uploads aside.
    pub max_in_flight: usize,
    /// Uploads in flight.
    pub max_uploads: usize,
    /// Uploads in flight per caller (token, else address).
    pub max_uploads_per_caller: usize,
    /// Requests per second per token (0: none); bursts of twice as many.
    pub rate_limit: u32,
    /// Requests per second per address on the public pages (0: none); bursts of four times
    /// as many.
    pub public_rate_limit: u32,
}

impl Default for AdmissionLimits {
    fn default() -> Self {
        Self {
            max_in_flight: 256,
            max_uploads: 64,
            max_uploads_per_caller: 8,
            rate_limit: 50,
            public_rate_limit: 5,
        }
    }
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

fn bucket(per_second: u32, burst: u32) -> Option<RateLimit> {
    (per_second > 0).then(|| RateLimit {
        per_second: f64::from(per_second),
        burst: f64::from(burst.max(1)),
        buckets: Mutex::new(HashMap::new()),
    })
}

/// What a full pool or a caller's upload cap says, for `/readyz`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Saturation {
    /// Requests in flight (uploads aside), and the limit.
    pub in_flight: usize,
    /// The limit.
    pub max_in_flight: usize,
    /// Uploads in flight.
    pub uploads: usize,
    /// The limit.
    pub max_uploads: usize,
}

impl Saturation {
    /// Whether a pool is full: new requests of its kind are refused.
    pub fn saturated(&self) -> bool {
        self.in_flight >= self.max_in_flight || self.uploads >= self.max_uploads
    }
}

impl Admission {
    /// Admission with these limits.
    pub fn new(limits: AdmissionLimits) -> Self {
        Self {
            in_flight: Arc::new(Semaphore::new(limits.max_in_flight.max(1))),
            in_flight_limit: limits.max_in_flight.max(1),
            uploads: Arc::new(Semaphore::new(limits.max_uploads.max(1))),
            uploads_limit: limits.max_uploads.max(1),
            uploads_per_caller: limits.max_uploads_per_caller.max(1),
            uploading: Arc::default(),
            rate: bucket(limits.rate_limit, limits.rate_limit.saturating_mul(2)),
            public_rate: bucket(
                limits.public_rate_limit,
                limits.public_rate_limit.saturating_mul(4),
            ),
        }
    }

    /// How full the pools are now.
    pub fn saturation(&self) -> Saturation {
        let max_in_flight = self.in_flight_limit;
        Saturation {
            in_flight: max_in_flight - self.in_flight.available_permits().min(max_in_flight),
            max_in_flight,
            uploads: self.uploads_limit - self.uploads.available_permits().min(self.uploads_limit),
            max_uploads: self.uploads_limit,
        }
    }

    /// Takes one request from `token`'s bucket; `Err(seconds)` until one is available.
    fn take(&self, token: &[u8]) -> Result<(), u64> {
        take_from(self.rate.as_ref(), Sha256::digest(token).into())
    }

    /// Takes one public page request from the address's bucket.
    fn take_public(&self, caller: [u8; 32]) -> Result<(), u64> {
        take_from(self.public_rate.as_ref(), caller)
    }

    /// One of the caller's upload places, while it has one left.
    fn upload_place(&self, caller: [u8; 32]) -> Option<UploadPlace> {
        let mut map = self.uploading.lock().unwrap_or_else(|e| e.into_inner());
        let held = map.entry(caller).or_insert(0);
        if *held >= self.uploads_per_caller {
            return None;
        }
        *held += 1;
        Some(UploadPlace {
            map: self.uploading.clone(),
            caller,
        })
    }
}

/// A caller's place among its uploads in flight, given back when dropped.
struct UploadPlace {
    map: Arc<Mutex<HashMap<[u8; 32], usize>>>,
    caller: [u8; 32],
}

impl Drop for UploadPlace {
    fn drop(&mut self) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(held) = map.get_mut(&self.caller) {
            *held -= 1;
            if *held == 0 {
                map.remove(&self.caller);
            }
        }
    }
}

/// Takes one request from `key`'s bucket in `rate`; `Err(seconds)` until one is available.
fn take_from(rate: Option<&RateLimit>, key: [u8; 32]) -> Result<(), u64> {
    let Some(rate) = rate else {
        return Ok(());
    };
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
    let refilled = (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * rate.per_second)
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

/// Whether a request sends a body worth a slot of the upload pool: a multipart form, or a
/// body declared larger than 64 KiB or of unknown length.
fn is_upload(request: &Request) -> bool {
    let headers = request.headers();
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("multipart/"));
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let chunked = headers.contains_key(header::TRANSFER_ENCODING);
    multipart || chunked || length.is_some_and(|n| n > 64 * 1024)
}

/// The middleware: rate limit by token or session (or, on the public pages, by address), then a slot
/// among the requests in flight, or for an upload a place among the caller's and a slot in the
/// upload pool, held until the response is produced (for an upload, until its body has been
/// read and recorded). Health and readiness probes pass untouched.
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
        .map(|t| t.trim().as_bytes().to_vec())
        // A person's session is limited as a token is.
        .or_else(|| super::auth::session_secret(request.headers()).map(String::into_bytes));
    let address: [u8; 32] = {
        let ip = super::serve::peer_ip(&request)
            .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
        Sha256::digest(format!("address:{ip}")).into()
    };
    // A person's browser gets its refusals as a page in their language, a client as JSON.
    let person = (!path.starts_with("/api/") && super::pages::wants_page(request.headers()))
        .then(|| super::pages::request_lang(request.headers()));
    let refuse = |error: ApiError, retry_after: u64| refuse(person, error, retry_after);
    let public = path == "/verify"
        || path == "/lookup"
        || path.starts_with("/verify/")
        || path.starts_with("/api/v1/session/oidc");
    if public && let Err(wait) = state.admission.take_public(address) {
        return refuse(
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many checks from this address; retry in {wait} s"),
            ),
            wait,
        );
    }
    if let Some(token) = &token
        && let Err(wait) = state.admission.take(token)
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
    let busy = || {
        refuse(
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "overloaded",
                "the service is at capacity; nothing was recorded, please retry shortly",
            ),
            1,
        )
    };
    if is_upload(&request) {
        let caller = token.map_or(address, |t| Sha256::digest(&t).into());
        let Some(_place) = state.admission.upload_place(caller) else {
            return refuse(
                ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_uploads",
                    format!(
                        "at most {} uploads at once per caller; wait for one to finish",
                        state.admission.uploads_per_caller
                    ),
                ),
                1,
            );
        };
        let Ok(_slot) = state.admission.uploads.clone().try_acquire_owned() else {
            tracing::warn!("overloaded: every upload slot is taken");
            return busy();
        };
        return next.run(request).await;
    }
    let Ok(_slot) = state.admission.in_flight.clone().try_acquire_owned() else {
        tracing::warn!("overloaded: every request slot is taken");
        return busy();
    };
    next.run(request).await
}

fn refuse(person: Option<super::pages::i18n::Lang>, error: ApiError, retry_after: u64) -> Response {
    let mut response = match person {
        Some(lang) => super::pages::failure(lang, &error),
        None => error.into_response(),
    };
    if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}
