//! `/api/v1/documents/{id}` (metadata) and `/api/v1/documents/{id}/content` (the bytes, streamed,
//! with `ETag`, RFC 9530 `Repr-Digest`, conditional requests and single byte ranges per
//! RFC 9110 §14).

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;

use super::extract::{Id, OfDocument};
use super::wire::DocumentJson;
use super::{ApiError, AppState, Caller, ErrorBody};

const REPR_DIGEST: HeaderName = HeaderName::from_static("repr-digest");

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/documents/{id}", get(show))
        .route("/documents/{id}/content", get(content))
}

/// A document's metadata.
#[utoipa::path(
    get,
    path = "/api/v1/documents/{id}",
    tag = "documents",
    params(("id" = String, Path, description = "Document id (UUID)")),
    responses(
        (status = 200, body = DocumentJson),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn show(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Id(id, _): Id<OfDocument>,
) -> Result<Response, ApiError> {
    let doc = state.dossiers.document(&principal, &id).await?;
    Ok(Json(DocumentJson::from(&doc)).into_response())
}

/// A document's bytes.
///
/// Headers: `Content-Type`, `Content-Length`, `ETag` (the quoted SHA-256), `Repr-Digest:
/// sha-256=:<base64>:` (RFC 9530), `Accept-Ranges: bytes`. Honours `If-None-Match` (304) and a
/// single `Range: bytes=...` (206, or 416 when unsatisfiable); other range forms get the whole
/// document.
#[utoipa::path(
    get,
    path = "/api/v1/documents/{id}/content",
    tag = "documents",
    params(("id" = String, Path, description = "Document id (UUID)")),
    responses(
        (status = 200, description = "The bytes", content_type = "application/octet-stream"),
        (status = 206, description = "The requested range"),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 416, description = "range_not_satisfiable", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn content(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Id(id, _): Id<OfDocument>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let doc = state.dossiers.document(&principal, &id).await?;
    let etag = format!("\"{}\"", doc.sha256.to_hex());
    let mut common = HeaderMap::new();
    common.insert(header::ETAG, header_value(&etag));
    common.insert(
        REPR_DIGEST,
        header_value(&format!("sha-256=:{}:", doc.sha256.to_base64())),
    );
    common.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    common.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    common.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );

    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|inm| {
            inm.split(',').any(|t| {
                let t = t.trim();
                t == "*" || t.trim_start_matches("W/") == etag
            })
        });
    if not_modified {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        r.headers_mut().extend(common);
        return Ok(r);
    }

    let range_applies = headers
        .get(header::IF_RANGE)
        .is_none_or(|v| v.to_str().is_ok_and(|v| v.trim() == etag));
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(spec) if range_applies => match parse_range(spec, doc.size) {
            RangeOutcome::Satisfiable(r) => Some(r),
            RangeOutcome::Ignore => None,
            RangeOutcome::Unsatisfiable => {
                let mut r = ApiError::new(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "range_not_satisfiable",
                    format!("the document has {} bytes", doc.size),
                )
                .into_response();
                r.headers_mut().insert(
                    header::CONTENT_RANGE,
                    header_value(&format!("bytes */{}", doc.size)),
                );
                return Ok(r);
            }
        },
        _ => None,
    };

    let stream = state.dossiers.document_content(&doc, range.clone()).await?;
    let mut response = Response::new(Body::from_stream(stream));
    let h = response.headers_mut();
    h.extend(common);
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(doc.media_type.as_str()),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        content_disposition(&doc.filename),
    );
    match range {
        Some(r) => {
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            let h = response.headers_mut();
            h.insert(
                header::CONTENT_LENGTH,
                header_value(&(r.end - r.start).to_string()),
            );
            h.insert(
                header::CONTENT_RANGE,
                header_value(&format!("bytes {}-{}/{}", r.start, r.end - 1, doc.size)),
            );
        }
        None => {
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, header_value(&doc.size.to_string()));
        }
    }
    Ok(response)
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `attachment` with the name in RFC 8187 form (UTF-8, percent-encoded) and an ASCII fallback.
fn content_disposition(filename: &str) -> HeaderValue {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded =
        percent_encoding::utf8_percent_encode(filename, percent_encoding::NON_ALPHANUMERIC);
    header_value(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
}

#[derive(Debug, PartialEq, Eq)]
enum RangeOutcome {
    Satisfiable(std::ops::Range<u64>),
    /// Not a single byte range we serve: send the whole representation (RFC 9110 §14.2 lets a
    /// server ignore Range).
    Ignore,
    Unsatisfiable,
}

/// Parses `bytes=a-b`, `bytes=a-` and `bytes=-n` against a representation of `size` bytes.
fn parse_range(spec: &str, size: u64) -> RangeOutcome {
    let Some(set) = spec.trim().strip_prefix("bytes=") else {
        return RangeOutcome::Ignore;
    };
    if set.contains(',') {
        return RangeOutcome::Ignore;
    }
    let Some((first, last)) = set.trim().split_once('-') else {
        return RangeOutcome::Ignore;
    };
    let (first, last) = (first.trim(), last.trim());
    let parse = |s: &str| s.parse::<u64>().ok();
    match (first.is_empty(), last.is_empty()) {
        (true, false) => match parse(last) {
            Some(0) => RangeOutcome::Unsatisfiable,
            Some(n) => RangeOutcome::Satisfiable(size.saturating_sub(n)..size),
            None => RangeOutcome::Ignore,
        },
        (false, _) => {
            let Some(start) = parse(first) else {
                return RangeOutcome::Ignore;
            };
            let end = if last.is_empty() {
                size
            } else {
                match parse(last) {
                    Some(l) if l >= start => l.saturating_add(1).min(size),
                    _ => return RangeOutcome::Ignore,
                }
            };
            if start >= size {
                RangeOutcome::Unsatisfiable
            } else {
                RangeOutcome::Satisfiable(start..end)
            }
        }
        (true, true) => RangeOutcome::Ignore,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rfc_9110() {
        use RangeOutcome::*;
        assert_eq!(parse_range("bytes=0-9", 100), Satisfiable(0..10));
        assert_eq!(parse_range("bytes=90-", 100), Satisfiable(90..100));
        assert_eq!(parse_range("bytes=90-500", 100), Satisfiable(90..100));
        assert_eq!(parse_range("bytes=-10", 100), Satisfiable(90..100));
        assert_eq!(parse_range("bytes=-500", 100), Satisfiable(0..100));
        assert_eq!(parse_range("bytes=100-", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=5-1", 100), Ignore);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Ignore);
        assert_eq!(parse_range("items=0-1", 100), Ignore);
    }

    #[test]
    fn non_ascii_file_names_are_encoded() {
        let v = content_disposition("Giấy phép.pdf");
        let s = v.to_str().unwrap();
        assert!(
            s.contains("filename*=UTF-8''Gi%E1%BA%A5y%20ph%C3%A9p%2Epdf"),
            "{s}"
        );
    }
}
