//! The request parts every handler would otherwise parse by hand, as extractors with the API's
//! own refusals: a record id in the path (not a UUID: 404, as for an id that does not exist), a
//! JSON body ([`JsonBody`]: 415, 413 or 422 `invalid_json`), a multipart form ([`Form`]: 400
//! `malformed_multipart`).

use std::marker::PhantomData;

use axum::extract::{FromRequest, FromRequestParts, Multipart, Path, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;

use super::{ApiError, parse_json};

/// What a path id names, for the 404 it gets when it cannot be one.
pub trait Named {
    /// "dossier", "document", …
    const WHAT: &'static str;
}

macro_rules! named {
    ($($kind:ident => $what:literal),* $(,)?) => {
        $(
            #[doc = concat!("Names a ", $what, " in a path.")]
            #[derive(Debug)]
            pub struct $kind;
            impl Named for $kind {
                const WHAT: &'static str = $what;
            }
        )*
    };
}

named! {
    OfDossier => "dossier",
    OfDocument => "document",
    OfReport => "signature report",
}

/// The last path parameter, a record id: a UUID, else 404 `not_found` (an id that cannot exist
/// is answered like one that does not). The id is the same text the client sent.
#[derive(Debug)]
pub struct Id<K>(pub String, pub PhantomData<K>);

impl<K: Named, S: Send + Sync> FromRequestParts<S> for Id<K> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(params) = Path::<Vec<String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found(K::WHAT))?;
        let id = params
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::not_found(K::WHAT))?;
        if uuid::Uuid::parse_str(&id).is_err() {
            return Err(ApiError::not_found(K::WHAT));
        }
        Ok(Self(id, PhantomData))
    }
}

/// A JSON request body parsed into `T` ([`parse_json`]'s rules).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let headers = request.headers().clone();
        let body = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|r| {
                ApiError::new(
                    r.status(),
                    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        "request_too_large"
                    } else {
                        "malformed_body"
                    },
                    r.body_text(),
                )
            })?;
        parse_json(&headers, &body).map(JsonBody)
    }
}

/// A published file (the procedure catalogue, the units) as `application/toml` (or
/// `text/plain`): else 415 `unsupported_media_type`; over 1 MiB 413 `request_too_large`; not
/// UTF-8 422 `invalid_request`.
pub struct TomlBody(pub String);

/// Largest published file.
const MAX_TOML: usize = 1024 * 1024;

impl<S: Send + Sync> FromRequest<S> for TomlBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let is_toml = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|t| matches!(t.trim(), "application/toml" | "text/plain"));
        if !is_toml {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the file as application/toml",
            ));
        }
        let body = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|r| ApiError::new(r.status(), "malformed_body", r.body_text()))?;
        if body.len() > MAX_TOML {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request_too_large",
                "a published file is at most 1 MiB",
            ));
        }
        String::from_utf8(body.to_vec()).map(TomlBody).map_err(|_| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                "the file is not UTF-8 text",
            )
        })
    }
}

/// A `multipart/form-data` body, else 400 `malformed_multipart`.
pub struct Form(pub Multipart);

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        Multipart::from_request(request, state)
            .await
            .map(Form)
            .map_err(|r| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "malformed_multipart",
                    format!("expected a multipart/form-data body: {}", r.body_text()),
                )
            })
    }
}
