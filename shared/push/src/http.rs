//! What both providers' HTTP clients share: the client settings, reading `Retry-After`, and
//! turning transport failures into retryable push errors without leaking the URL (which holds
//! the device token for APNs).

use std::time::Duration;

use mdm_ports::error::PushError;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// A client that follows no redirects: the providers never redirect, and a redirect would
/// carry a bearer token somewhere else.
pub(crate) fn client_builder(timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
}

/// `Retry-After` in seconds. The HTTP-date form is not used by FCM or APNs and is ignored.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<u64> {
    headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()
}

pub(crate) fn retryable(reason: impl Into<String>, retry_after_secs: Option<u64>) -> PushError {
    PushError::Retryable {
        reason: reason.into(),
        retry_after_secs,
    }
}

/// A request that never got an answer (connect, TLS, timeout): worth trying again.
pub(crate) fn transport_error(provider: &str, e: reqwest::Error) -> PushError {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "unreachable"
    } else {
        "failed"
    };
    retryable(
        format!(
            "{provider} request {kind}: {}",
            error_chain(&e.without_url())
        ),
        None,
    )
}

/// Whether the server ended the TLS handshake with an alert about our client certificate:
/// APNs refusing a tenant's push certificate (expired, revoked, not Apple's), which no retry
/// will change. Only the client certificate is judged by the server, so these alerts are
/// about it. By the time the error reaches us, rustls's error has been flattened into the
/// text of an io::Error ("received fatal alert: UnknownCA"), so the text is what we can read.
pub(crate) fn client_certificate_refused(e: &reqwest::Error) -> bool {
    const ABOUT_OUR_CERTIFICATE: &[&str] = &[
        "BadCertificate",
        "UnsupportedCertificate",
        "CertificateRevoked",
        "CertificateExpired",
        "CertificateUnknown",
        "CertificateRequired",
        "UnknownCA",
        "AccessDenied",
    ];
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            let text = io.to_string();
            if let Some(alert) = text.strip_prefix("received fatal alert: ") {
                return ABOUT_OUR_CERTIFICATE.contains(&alert.trim());
            }
        }
        source = cause.source();
    }
    false
}

/// The error and its sources on one line: reqwest's own message is often just "error sending
/// request", with the cause two levels down.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
