//! The one place errors become HTTP: application/problem+json bodies with stable codes.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mdm_core::Error;
use serde::Serialize;

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// Stable machine-readable code; clients branch on this.
    pub code: &'static str,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip)]
    retry_after: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("https://mdm.example/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            code,
            detail: detail.into(),
            field: None,
            retry_after: None,
        }
    }
}

impl From<Error> for Problem {
    fn from(e: Error) -> Self {
        let status = match &e {
            Error::Invalid(_)
            | Error::InvalidField { .. }
            | Error::WebhookTargetRefused(_)
            | Error::AndroidSettingUnsupported { .. }
            | Error::AppleMessageInvalid(_)
            | Error::AppleMessageUnsupported(_)
            | Error::ScepRequestInvalid(_) => StatusCode::BAD_REQUEST,
            Error::Unauthenticated(_)
            | Error::DeviceCredentialInvalid
            | Error::AppleSignatureInvalid(_) => StatusCode::UNAUTHORIZED,
            Error::EnrollmentTokenInvalid
            | Error::Forbidden(_)
            | Error::TenantSuspended
            | Error::AppleIdentityRefused(_)
            | Error::ScepChallengeInvalid => StatusCode::FORBIDDEN,
            Error::AppleUserChannelUnsupported => StatusCode::GONE,
            Error::ApplePushNotConfigured => StatusCode::CONFLICT,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict(_)
            | Error::DeviceLimitReached
            | Error::CommandClosed { .. }
            | Error::IdempotencyKeyInProgress { .. }
            | Error::GroupNotEmpty { .. }
            | Error::TooManyGroups { .. }
            | Error::PolicyInUse
            | Error::AppExists { .. }
            | Error::GeofenceLimitReached { .. }
            | Error::WebhookLimitReached { .. } => StatusCode::CONFLICT,
            Error::IdempotencyKeyReused | Error::UnsupportedCommand { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Error::Throttled | Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let detail = match &e {
            // Internal details stay in the logs.
            Error::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                "an internal error occurred".to_owned()
            }
            other => other.to_string(),
        };
        let mut p = Problem::new(status, e.code(), detail);
        match &e {
            Error::InvalidField { field, .. } | Error::AndroidSettingUnsupported { field, .. } => {
                p.field = Some(field.clone())
            }
            Error::WebhookTargetRefused(_) => p.field = Some("url".to_owned()),
            _ => {}
        }
        p.retry_after = e.retry_after_secs();
        p
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, axum::Json(&self)).into_response();
        let headers = res.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

/// Handlers return this so that `?` works on use-case results.
pub type ApiResult<T> = Result<T, Problem>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_android_setting_amapi_cannot_apply_is_a_bad_request_naming_its_field() {
        let p = Problem::from(Error::AndroidSettingUnsupported {
            field: "vpn.server".into(),
            reason: "AMAPI configures no VPN server".into(),
        });
        assert_eq!(p.status, 400);
        assert_eq!(p.code, "android_setting_unsupported");
        assert_eq!(p.field.as_deref(), Some("vpn.server"));
        assert!(p.detail.starts_with("vpn.server: "), "{}", p.detail);
    }
}
