//! Notifications to applicants' systems: an outbox of dossier events, written in the
//! transaction of the move that causes them (so an event exists if and only if its move does),
//! delivered afterwards to one configured webhook, signed with HMAC-SHA256, retried with
//! exponential backoff, at least once (receivers deduplicate on the delivery id).
//!
//! Owns: which moves make which events, their JSON, the signature, and the delivery loop.
//! Never does: decide moves (that is `workflow`/`dossier`), or keep the secret anywhere but in
//! memory (it is never logged).

use std::time::Duration;

use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;

use crate::db::{Db, DbError, OutboxRow};
use crate::timestamp::Timestamp;
use crate::vocabulary::DossierStatus;

/// Attempts before a notification is given up (kept, marked failed, never sent again).
pub const MAX_ATTEMPTS: i64 = 12;

/// The event a move to `status` announces to the applicant, if any.
pub fn event_for(status: DossierStatus) -> Option<&'static str> {
    match status {
        // Acknowledged: received at intake, or again after a supplement.
        DossierStatus::Received => Some("dossier.received"),
        DossierStatus::SupplementRequested => Some("dossier.supplement_requested"),
        DossierStatus::AwaitingOriginals => Some("dossier.originals_requested"),
        DossierStatus::Rejected => Some("dossier.rejected"),
        DossierStatus::ResultIssued => Some("dossier.result_ready"),
        _ => None,
    }
}

/// The outbox row announcing a move (the payload names the delivery, the event, the dossier,
/// its new status and version, the time, and the reason when there is one).
pub fn notification(
    event: &str,
    dossier_id: &str,
    status: DossierStatus,
    version: i64,
    reason: Option<&str>,
    now: &Timestamp,
) -> OutboxRow {
    let id = uuid::Uuid::new_v4().to_string();
    let mut payload = serde_json::json!({
        "delivery": id,
        "event": event,
        "dossier_id": dossier_id,
        "status": status.as_str(),
        "version": version,
        "at": now.to_string(),
    });
    if let Some(r) = reason {
        payload["reason"] = r.into();
    }
    OutboxRow {
        id,
        dossier_id: dossier_id.to_owned(),
        event: event.to_owned(),
        payload: payload.to_string(),
        created_at: now.to_string(),
        attempts: 0,
        next_attempt_at: now.to_string(),
        delivered_at: None,
        failed_at: None,
        last_error: None,
    }
}

/// Where and how notifications go.
#[derive(Clone)]
pub struct Webhook {
    /// The receiver (`http://` or `https://`, through `http_client`).
    pub url: String,
    /// The HMAC key.
    pub secret: Vec<u8>,
    /// The first retry waits this long; each next one twice as long, at most an hour.
    pub retry_base: Duration,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// The `x-motcua-signature` value of a delivery: `sha256=` and the hex HMAC-SHA256, under
/// `secret`, of the timestamp (the `x-motcua-timestamp` header, Unix seconds), a dot and the
/// body. Receivers recompute it and reject stale timestamps, which stops replays.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mac = PKey::hmac(secret)
        .and_then(|key| {
            let mut signer = Signer::new(MessageDigest::sha256(), &key)?;
            signer.update(timestamp.to_string().as_bytes())?;
            signer.update(b".")?;
            signer.update(body)?;
            signer.sign_to_vec()
        })
        .expect("HMAC-SHA256 is available");
    format!("sha256={}", hex::encode(mac))
}

/// How long the `attempts`-th retry waits (attempts counted from 1).
fn backoff(base: Duration, attempts: i64) -> Duration {
    let factor = 1u32 << attempts.clamp(1, 20).saturating_sub(1);
    base.saturating_mul(factor).min(Duration::from_secs(3600))
}

/// Delivers every notification due now; returns how many were delivered.
pub async fn deliver_due(db: &Db, webhook: &Webhook) -> Result<usize, DbError> {
    let now = Timestamp::now();
    let due = db.due_notifications(&now.to_string(), 50).await?;
    let mut delivered = 0;
    for row in due {
        // A lease long enough for one attempt: another node skips the row meanwhile.
        let lease = Timestamp::from(now.as_offset_date_time() + time::Duration::seconds(60));
        if !db
            .claim_notification(&row.id, &row.next_attempt_at, &lease.to_string())
            .await?
        {
            continue;
        }
        let (url, secret, id, event, body) = (
            webhook.url.clone(),
            webhook.secret.clone(),
            row.id.clone(),
            row.event.clone(),
            row.payload.clone().into_bytes(),
        );
        let outcome = tokio::task::spawn_blocking(move || {
            let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
            let signature = signature(&secret, timestamp, &body);
            let timestamp = timestamp.to_string();
            crate::http_client::post(
                &url,
                "application/json",
                &[
                    ("x-motcua-event", &event),
                    ("x-motcua-delivery", &id),
                    ("x-motcua-timestamp", &timestamp),
                    ("x-motcua-signature", &signature),
                ],
                &body,
            )
        })
        .await
        .map_err(|e| format!("delivery task failed: {e}"))
        .and_then(|sent| sent.map_err(|e| e.to_string()));
        let after = Timestamp::now();
        match outcome {
            Ok((status, _)) if (200..300).contains(&status) => {
                db.record_notification_attempt(
                    &row.id,
                    Some(&after.to_string()),
                    None,
                    &after.to_string(),
                    None,
                )
                .await?;
                delivered += 1;
            }
            other => {
                let error = match other {
                    Ok((status, _)) => format!("the receiver answered {status}"),
                    Err(e) => e,
                };
                let attempts = row.attempts + 1;
                let next = Timestamp::from(
                    after.as_offset_date_time()
                        + time::Duration::try_from(backoff(webhook.retry_base, attempts))
                            .unwrap_or(time::Duration::HOUR),
                );
                let failed = (attempts >= MAX_ATTEMPTS).then(|| after.to_string());
                tracing::warn!(delivery = %row.id, event = %row.event, attempts, %error,
                    gave_up = failed.is_some(), "notification not delivered");
                db.record_notification_attempt(
                    &row.id,
                    None,
                    Some(&error),
                    &next.to_string(),
                    failed.as_deref(),
                )
                .await?;
            }
        }
    }
    Ok(delivered)
}
