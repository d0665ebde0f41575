//! Request extractors that parse at the edge: JSON bodies (unknown fields refused), query
//! strings (a listing's page among them) and the two kinds of bearer credentials; path
//! parameters are `path`'s. Every rejection is problem+json.

use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use mdm_core::Error;
use mdm_core::Services;
use mdm_core::domain::DeviceCredential;
use mdm_core::ports::{Operator, Principal};
use mdm_core::usecases::Page;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::problem::Problem;

/// A JSON body; syntax, type and unknown-field errors become `invalid_request`.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(JsonBody(v)),
            Err(rejection) => Err(json_problem(rejection)),
        }
    }
}

fn json_problem(r: JsonRejection) -> Problem {
    match r {
        JsonRejection::MissingJsonContentType(_) => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json",
        ),
        JsonRejection::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is larger than this route accepts",
            )
        }
        JsonRejection::JsonDataError(e) => {
            Problem::from(Error::Invalid(format!("invalid body: {}", source_text(&e))))
        }
        JsonRejection::JsonSyntaxError(e) => Problem::from(Error::Invalid(format!(
            "malformed JSON: {}",
            source_text(&e)
        ))),
        other => Problem::from(Error::Invalid(other.body_text())),
    }
}

/// The longest error detail taken from serde: its messages quote field names and values the
/// caller chose, which must not come back (or reach a log) at the size of the body.
const MAX_DETAIL_BYTES: usize = 200;

/// serde's message without axum's generic prefix, e.g. "unknown field `x`, expected ...",
/// cut to `MAX_DETAIL_BYTES`.
fn source_text(e: &dyn std::error::Error) -> String {
    let mut last = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        last = s.to_string();
        cur = s.source();
    }
    bounded(last)
}

pub(crate) fn bounded(mut text: String) -> String {
    if text.len() > MAX_DETAIL_BYTES {
        let mut cut = MAX_DETAIL_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

/// A query string; unknown parameters are refused by the target type.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        Ok(QueryParams(parse_query(&parts.uri)?))
    }
}

fn parse_query<T: DeserializeOwned>(uri: &Uri) -> Result<T, Error> {
    match axum::extract::Query::<T>::try_from_uri(uri) {
        Ok(axum::extract::Query(v)) => Ok(v),
        Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(Error::Invalid(format!(
            "invalid query string: {}",
            source_text(&e)
        ))),
        Err(other) => Err(Error::Invalid(other.body_text())),
    }
}

/// A listing's query string: the page (`cursor`, `limit`: one default and one ceiling for
/// every listing, see `mdm_core::usecases::page`) and the listing's own filters `F`, whose
/// type refuses parameters it does not know.
pub struct Paged<F = NoFilter>(pub Page, pub F);

/// The filters of a listing that has none.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoFilter {}

impl<S: Send + Sync, F: DeserializeOwned> FromRequestParts<S> for Paged<F> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        let query = parts.uri.query().unwrap_or_default();
        let (mut cursor, mut limit) = (None, None);
        let mut filters = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match &*name {
                "cursor" => &mut cursor,
                "limit" => &mut limit,
                _ => {
                    filters.append_pair(&name, &value);
                    continue;
                }
            };
            if slot.replace(value.into_owned()).is_some() {
                return Err(Error::invalid_field(&name, "given more than once").into());
            }
        }
        let page = Page::parse(cursor, limit.as_deref())?;
        // The filters alone, as a query string again, for `F`'s own parser.
        let uri = Uri::builder()
            .path_and_query(format!("/?{}", filters.finish()))
            .build()
            .map_err(|e| Error::Invalid(format!("invalid query string: {e}")))?;
        Ok(Paged(page, parse_query(&uri)?))
    }
}

pub(crate) fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// A tenant user proven by a verified JWT; the tenant comes only from here.
pub struct Tenant(pub Principal);

impl FromRequestParts<Arc<Services>> for Tenant {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, svc: &Arc<Services>) -> Result<Self, Problem> {
        // Verified once per request: the guard did it already to apply the tenant's limit.
        if let Some(who) = parts.extensions.remove::<Principal>() {
            return Ok(Tenant(who));
        }
        let token = bearer(parts).ok_or_else(|| {
            Problem::from(Error::Unauthenticated(
                "send Authorization: Bearer <token>".into(),
            ))
        })?;
        Ok(Tenant(svc.verifier.verify(token).await?))
    }
}

/// The platform operator, proven by a verified JWT with the platform role.
pub struct Platform(pub Operator);

impl FromRequestParts<Arc<Services>> for Platform {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, svc: &Arc<Services>) -> Result<Self, Problem> {
        if let Some(who) = parts.extensions.remove::<Operator>() {
            return Ok(Platform(who));
        }
        let token = bearer(parts).ok_or_else(|| {
            Problem::from(Error::Unauthenticated(
                "send Authorization: Bearer <token>".into(),
            ))
        })?;
        Ok(Platform(svc.verifier.verify_platform(token).await?))
    }
}

/// A device's credential, parsed (its validity is enforced by the store condition or read).
pub struct Device(pub DeviceCredential);

impl<S: Send + Sync> FromRequestParts<S> for Device {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        let token = bearer(parts).ok_or(Problem::from(Error::DeviceCredentialInvalid))?;
        Ok(Device(DeviceCredential::parse(token)?))
    }
}

/// The URL this server was reached at, as devices should reach it too: the Host header, and
/// the scheme API Gateway (or any proxy) names in X-Forwarded-Proto. A host that is not a
/// plain name, address and port is not echoed back.
pub struct ServerUrl(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ServerUrl {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let header = |name| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let host = header(axum::http::header::HOST).filter(|h| {
            (1..=255).contains(&h.len())
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        });
        let scheme = match header(axum::http::HeaderName::from_static("x-forwarded-proto")) {
            Some("https") => "https",
            _ => "http",
        };
        Ok(ServerUrl(host.map(|h| format!("{scheme}://{h}"))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_serde_message_is_cut_on_a_character_boundary() {
        let long = format!("unknown field `{}`", "é".repeat(500));
        let cut = bounded(long);
        assert!(
            cut.len() <= MAX_DETAIL_BYTES + '…'.len_utf8(),
            "{}",
            cut.len()
        );
        assert!(cut.ends_with('…'));
        assert_eq!(bounded("short".into()), "short");
    }
}
