//! Path parameters parsed at the edge: `IdPath<DeviceId>` (or a pair, such as
//! `IdPath<(DeviceId, CommandId)>`, in the order the path names them) hands the handler typed
//! values or refuses the request with problem+json. A malformed id names nothing, so it is
//! refused like an unknown one (404 `not_found`); a malformed policy version is the caller's
//! mistake (400 `invalid_field`). A segment whose percent-encoding is not UTF-8 is malformed
//! like any other.

use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, MatchedPath, Path};
use axum::http::request::Parts;
use mdm_core::Error;
use mdm_core::domain::policy::{MAX_VERSION, parse_version};
use mdm_core::domain::{
    CatalogueId, CommandId, DeviceId, EnrollmentSecret, EnrollmentTokenId, GeofenceId, GroupId,
    JobId, Platform, PolicyId, TenantId, WebhookId,
};
use schemars::{Schema, SchemaGenerator, json_schema};

use crate::problem::Problem;

/// One path segment's type.
pub trait PathId: Sized + Send {
    /// Parses the percent-decoded segment.
    fn from_segment(raw: &str) -> Result<Self, Error>;
    /// What a segment that does not decode to UTF-8 is refused with.
    fn undecodable() -> Error;
    /// The parameter's schema in the OpenAPI document.
    fn schema(generator: &mut SchemaGenerator) -> Schema;
}

macro_rules! id_segment {
    ($($id:ident => $what:literal),* $(,)?) => {$(
        impl PathId for $id {
            fn from_segment(raw: &str) -> Result<Self, Error> {
                $id::parse(raw).map_err(|_| Self::undecodable())
            }

            fn undecodable() -> Error {
                Error::NotFound($what)
            }

            fn schema(generator: &mut SchemaGenerator) -> Schema {
                generator.subschema_for::<$id>()
            }
        }
    )*};
}

id_segment!(
    DeviceId => "device",
    CommandId => "command",
    EnrollmentTokenId => "enrollment token",
    GroupId => "group",
    JobId => "job",
    PolicyId => "policy",
    WebhookId => "webhook",
    GeofenceId => "geofence",
    CatalogueId => "app",
    TenantId => "tenant",
);

impl PathId for Platform {
    fn from_segment(raw: &str) -> Result<Self, Error> {
        Platform::parse(raw).ok_or_else(Self::undecodable)
    }

    fn undecodable() -> Error {
        Error::NotFound("platform")
    }

    fn schema(generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<Platform>()
    }
}

/// An enrolment profile's token (Apple's enrolment URL): refused like any bad token.
impl PathId for EnrollmentSecret {
    fn from_segment(raw: &str) -> Result<Self, Error> {
        EnrollmentSecret::parse(raw)
    }

    fn undecodable() -> Error {
        Error::EnrollmentTokenInvalid
    }

    fn schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string"})
    }
}

/// A policy's version number as a path names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyVersion(pub i64);

impl PathId for PolicyVersion {
    fn from_segment(raw: &str) -> Result<Self, Error> {
        parse_version("version", raw).map(PolicyVersion)
    }

    fn undecodable() -> Error {
        Error::invalid_field(
            "version",
            format!("must be a whole number from 1 to {MAX_VERSION}"),
        )
    }

    fn schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "integer", "minimum": 1, "maximum": MAX_VERSION})
    }
}

/// The path's parameters as one value: one segment, or two in path order.
pub trait PathParams: Sized + Send {
    /// Parses the decoded segments, in path order.
    fn from_segments(segments: &[String]) -> Result<Self, Error>;
    /// What the request is refused with when the segment at `index` is not UTF-8.
    fn undecodable_at(index: usize) -> Error;
    /// The schemas of the segments, in path order.
    fn schemas(generator: &mut SchemaGenerator) -> Vec<Schema>;
}

impl<T: PathId> PathParams for T {
    fn from_segments(segments: &[String]) -> Result<Self, Error> {
        match segments {
            [one] => T::from_segment(one),
            other => Err(arity(1, other.len())),
        }
    }

    fn undecodable_at(_: usize) -> Error {
        T::undecodable()
    }

    fn schemas(generator: &mut SchemaGenerator) -> Vec<Schema> {
        vec![T::schema(generator)]
    }
}

impl<A: PathId, B: PathId> PathParams for (A, B) {
    fn from_segments(segments: &[String]) -> Result<Self, Error> {
        match segments {
            // The first segment is judged first, as a reader of the path would.
            [a, b] => Ok((A::from_segment(a)?, B::from_segment(b)?)),
            other => Err(arity(2, other.len())),
        }
    }

    fn undecodable_at(index: usize) -> Error {
        if index == 0 {
            A::undecodable()
        } else {
            B::undecodable()
        }
    }

    fn schemas(generator: &mut SchemaGenerator) -> Vec<Schema> {
        vec![A::schema(generator), B::schema(generator)]
    }
}

/// A handler that parses another number of segments than its route names: a bug of ours.
fn arity(expected: usize, got: usize) -> Error {
    Error::Internal(format!(
        "the handler takes {expected} path parameters, the route names {got}"
    ))
}

/// The path's parameters, parsed; see the module's comment for how they are refused.
#[derive(Debug)]
pub struct IdPath<T>(pub T);

impl<S: Send + Sync, T: PathParams> FromRequestParts<S> for IdPath<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        match Path::<Vec<String>>::from_request_parts(parts, state).await {
            Ok(Path(segments)) => Ok(IdPath(T::from_segments(&segments)?)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                use axum::extract::path::ErrorKind;
                match e.kind() {
                    // axum keeps only the name of the segment that failed; its place in the
                    // route's path says which of the handler's types it is.
                    ErrorKind::InvalidUtf8InPathParam { key } => {
                        let index = parts
                            .extensions
                            .get::<MatchedPath>()
                            .and_then(|m| {
                                crate::openapi::path_params(m.as_str()).position(|p| p == key)
                            })
                            .unwrap_or(0);
                        Err(T::undecodable_at(index).into())
                    }
                    other => Err(Error::Internal(format!("path parameters: {other}")).into()),
                }
            }
            Err(other) => Err(Error::Internal(format!("path parameters: {other}")).into()),
        }
    }
}
