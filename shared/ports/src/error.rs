//! Errors at each boundary: the store, queue and push ports, and the domain error that the one
//! HTTP mapping turns into problem+json with a stable code.

use thiserror::Error;

/// Errors from the `Table` port.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum StoreError {
    /// A condition failed; `index` names the failing op of a transaction.
    #[error("condition failed")]
    Precondition { index: Option<usize> },
    /// The backend asked us to slow down.
    #[error("throttled by the store")]
    Throttled,
    /// The backend could not be reached or failed transiently.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The request itself was invalid (a bug on our side, not retryable).
    #[error("invalid store request: {0}")]
    Invalid(String),
    /// Stored data could not be decoded.
    #[error("corrupt item: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Throttled | StoreError::Unavailable(_))
    }
}

/// Errors from the `Queue` port.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum QueueError {
    #[error("queue throttled")]
    Throttled,
    #[error("queue unavailable: {0}")]
    Unavailable(String),
    #[error("invalid queue request: {0}")]
    Invalid(String),
    #[error("unknown or expired receipt")]
    UnknownReceipt,
}

impl QueueError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, QueueError::Throttled | QueueError::Unavailable(_))
    }
}

/// Errors from the `Pusher` port.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum PushError {
    /// The provider says the token is no longer valid: stop pushing to it.
    #[error("push token is invalid or unregistered")]
    InvalidToken,
    /// Try again later (rate limit, outage), optionally after `retry_after_secs`.
    #[error("push provider unavailable: {reason}")]
    Retryable {
        reason: String,
        retry_after_secs: Option<u64>,
    },
    /// The push can never succeed as sent (bad credentials, bad request).
    #[error("push rejected: {0}")]
    Rejected(String),
}

impl PushError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, PushError::Retryable { .. })
    }
}

/// The error every use case returns. `code()` is the stable machine-readable code.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum Error {
    #[error("{0}")]
    Invalid(String),
    #[error("{field}: {message}")]
    InvalidField { field: String, message: String },
    #[error("authentication required: {0}")]
    Unauthenticated(String),
    #[error("the device credential is invalid or revoked")]
    DeviceCredentialInvalid,
    #[error("the enrollment token is invalid, expired, revoked or used up")]
    EnrollmentTokenInvalid,
    #[error("this role may not {0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The tenant is suspended or being deleted: nobody of it is served.
    #[error("the tenant is suspended")]
    TenantSuspended,
    /// The tenant has as many devices as its limit allows; nothing was enrolled.
    #[error("the tenant has reached its device limit")]
    DeviceLimitReached,
    #[error("{0}")]
    Conflict(String),
    #[error("the command is already {status}")]
    CommandClosed { status: String },
    /// The device's platform cannot carry out this kind of command; nothing was queued.
    #[error("{kind} is not supported on {platform} devices")]
    UnsupportedCommand {
        kind: &'static str,
        platform: &'static str,
    },
    /// A policy setting Google's Android Management API cannot express, for a tenant whose
    /// Android devices it manages: refused rather than silently left out.
    #[error("{field}: Android Management API cannot apply this setting: {reason}")]
    AndroidSettingUnsupported { field: String, reason: String },
    /// A group still holds devices; remove them before deleting it.
    #[error("the group still holds {members} device(s); remove them first")]
    GroupNotEmpty { members: i64 },
    /// The device is already in as many groups as a device may be.
    #[error("device {device} is already in {max} groups, the most a device may be in")]
    TooManyGroups { device: String, max: usize },
    /// A policy still assigned somewhere; unassign it before deleting it.
    #[error("the policy is still assigned to a device, a group or the tenant; unassign it first")]
    PolicyInUse,
    /// The catalogue already holds this app for this platform.
    #[error("{app_id} is already in the catalogue for {platform}")]
    AppExists {
        platform: &'static str,
        app_id: String,
    },
    /// The tenant has as many geofences as a tenant may have; nothing was created.
    #[error("the tenant already has {max} geofences, the most a tenant may have")]
    GeofenceLimitReached { max: usize },
    /// A webhook URL the service refuses to call: not https, or a host that resolves to a
    /// loopback, private, link-local (metadata) or otherwise internal address.
    #[error("url: {0}")]
    WebhookTargetRefused(String),
    /// The tenant already has as many webhook endpoints as it may.
    #[error("the tenant already has {max} webhook endpoints, the most it may have")]
    WebhookLimitReached { max: usize },
    /// An Apple check-in or command-endpoint body that is not the message it must be.
    #[error("{0}")]
    AppleMessageInvalid(String),
    /// A message Apple defines that this server does not take (declarative management, tokens).
    #[error("{0} is not supported by this server")]
    AppleMessageUnsupported(String),
    /// The user channel of a macOS user (UserAuthenticate): Apple's answer for a server without
    /// user-channel support is 410, after which the device stops asking.
    #[error("this server does not manage the user channel")]
    AppleUserChannelUnsupported,
    /// The `Mdm-Signature` (or the TLS client certificate) does not prove a device identity of
    /// this tenant.
    #[error("{0}")]
    AppleSignatureInvalid(String),
    /// A valid identity used for something it is not bound to (another device's UDID).
    #[error("{0}")]
    AppleIdentityRefused(String),
    /// Apple enrolment needs the tenant's APNs MDM push certificate (its topic goes in the
    /// enrolment profile).
    #[error(
        "Apple enrolment needs the tenant's APNs MDM push certificate: configure push for ios first"
    )]
    ApplePushNotConfigured,
    #[error("{0}")]
    ScepRequestInvalid(String),
    /// The SCEP challenge is unknown, expired or spent, or its enrollment token can admit no
    /// more devices.
    #[error(
        "the SCEP challenge is invalid, expired or already used; download a new enrolment profile"
    )]
    ScepChallengeInvalid,
    #[error("the service is busy, retry later")]
    Throttled,
    /// This caller sent more requests than its quota allows (refused before any store access).
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// The Idempotency-Key was already used for a different request.
    #[error("this Idempotency-Key was already used for a different request")]
    IdempotencyKeyReused,
    /// The first request with this Idempotency-Key has not finished yet.
    #[error(
        "a request with this Idempotency-Key is still being processed; retry in {retry_after_secs} s"
    )]
    IdempotencyKeyInProgress { retry_after_secs: u64 },
    #[error("the service is temporarily unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Error::InvalidField {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// Stable code for clients; never change a published one.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "invalid_request",
            Error::InvalidField { .. } => "invalid_field",
            Error::Unauthenticated(_) => "unauthenticated",
            Error::DeviceCredentialInvalid => "device_credential_invalid",
            Error::EnrollmentTokenInvalid => "enrollment_token_invalid",
            Error::Forbidden(_) => "forbidden",
            Error::NotFound(_) => "not_found",
            Error::TenantSuspended => "tenant_suspended",
            Error::DeviceLimitReached => "device_limit_reached",
            Error::Conflict(_) => "conflict",
            Error::CommandClosed { .. } => "command_closed",
            Error::UnsupportedCommand { .. } => "unsupported_command",
            Error::AndroidSettingUnsupported { .. } => "android_setting_unsupported",
            Error::GroupNotEmpty { .. } => "group_not_empty",
            Error::TooManyGroups { .. } => "too_many_groups",
            Error::PolicyInUse => "policy_in_use",
            Error::AppExists { .. } => "app_exists",
            Error::GeofenceLimitReached { .. } => "geofence_limit_reached",
            Error::WebhookTargetRefused(_) => "webhook_target_refused",
            Error::WebhookLimitReached { .. } => "webhook_limit_reached",
            Error::AppleMessageInvalid(_) => "apple_message_invalid",
            Error::AppleMessageUnsupported(_) => "apple_message_unsupported",
            Error::AppleUserChannelUnsupported => "apple_user_channel_unsupported",
            Error::AppleSignatureInvalid(_) => "apple_signature_invalid",
            Error::AppleIdentityRefused(_) => "apple_identity_refused",
            Error::ApplePushNotConfigured => "apple_push_not_configured",
            Error::ScepRequestInvalid(_) => "scep_request_invalid",
            Error::ScepChallengeInvalid => "scep_challenge_invalid",
            Error::Throttled => "throttled",
            Error::RateLimited { .. } => "rate_limited",
            Error::IdempotencyKeyReused => "idempotency_key_reused",
            Error::IdempotencyKeyInProgress { .. } => "idempotency_key_in_progress",
            Error::Unavailable(_) => "unavailable",
            Error::Internal(_) => "internal",
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::Throttled
                | Error::Unavailable(_)
                | Error::RateLimited { .. }
                | Error::IdempotencyKeyInProgress { .. }
        )
    }

    /// Seconds a client should wait before retrying, when the error says so.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Error::RateLimited { retry_after_secs }
            | Error::IdempotencyKeyInProgress { retry_after_secs } => Some(*retry_after_secs),
            e if e.is_retryable() => Some(1),
            _ => None,
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Throttled => Error::Throttled,
            StoreError::Unavailable(m) => Error::Unavailable(m),
            // A failed condition that reaches here unhandled means a concurrent change won.
            StoreError::Precondition { .. } => {
                Error::Conflict("the resource was changed concurrently; retry".into())
            }
            StoreError::Invalid(m) | StoreError::Corrupt(m) => Error::Internal(m),
        }
    }
}

impl From<QueueError> for Error {
    fn from(e: QueueError) -> Self {
        match e {
            QueueError::Throttled => Error::Throttled,
            QueueError::Unavailable(m) => Error::Unavailable(m),
            other => Error::Internal(other.to_string()),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
