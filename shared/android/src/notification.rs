//! The body Pub/Sub's push subscription POSTs for each AMAPI notification, read into a typed
//! `Notification`. The envelope is `{"message": {"data", "attributes", "messageId",
//! "publishTime"}, "subscription"}`; `attributes.notificationType` says what `data` (base64 of
//! the resource's JSON) holds: a `Device` for ENROLLMENT and STATUS_REPORT, an `Operation` for
//! COMMAND, an `EnterpriseUpgradeEvent` for ENTERPRISE_UPGRADE.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::device::Device;
use crate::encoding::GoogleTimestamp;
use crate::enterprise::EnterpriseUpgradeEvent;
use crate::operation::Operation;

/// Largest push body we read. A STATUS_REPORT carries the whole `Device`, application reports
/// included: a few hundred kilobytes on a device with many apps, a third more in base64. Pub/Sub
/// allows 10 MB; past this limit a body is refused before it is parsed.
pub const MAX_NOTIFICATION_BYTES: usize = 4 * 1024 * 1024;

/// One notification, with the Pub/Sub message's identity (to deduplicate redeliveries: push is
/// at-least-once).
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// Unique within the topic; the same on every redelivery.
    pub message_id: String,
    pub publish_time: Option<GoogleTimestamp>,
    /// `projects/{project}/subscriptions/{subscription}`.
    pub subscription: String,
    pub kind: NotificationKind,
}

/// What the notification is about.
#[derive(Debug, Clone, PartialEq)]
pub enum NotificationKind {
    /// A device enrolled.
    Enrollment(Box<Device>),
    /// A device sent a status report.
    StatusReport(Box<Device>),
    /// A command finished (or failed, or expired).
    Command(Operation),
    /// A batch of usage logs; not read (we do not enable usage logging).
    UsageLogs,
    /// The enterprise was upgraded to a managed Google domain.
    EnterpriseUpgrade(EnterpriseUpgradeEvent),
    /// Sent when a topic is attached to the enterprise, to prove the path works; carries nothing.
    Test,
}

/// Why a push body was refused. Pub/Sub redelivers what is not acknowledged, so the caller
/// decides per variant whether to acknowledge (a body that will never parse) or not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotificationError {
    #[error("notification body larger than the {limit}-byte limit")]
    TooLarge { limit: usize },
    /// Not JSON, or JSON not of the push envelope's shape.
    #[error("not a Pub/Sub push envelope: {0}")]
    NotAnEnvelope(String),
    /// A field the envelope must have is absent (a path such as `message.attributes`).
    #[error("push envelope without `{0}`")]
    MissingField(&'static str),
    /// A `notificationType` this crate does not handle, including the deprecated
    /// COMPLIANCE_REPORT, which we never enable.
    #[error("unknown notificationType `{0}`")]
    UnknownNotificationType(String),
    #[error("`message.data` is not base64: {0}")]
    BadBase64(String),
    /// The decoded data is not JSON of the resource the notification type promises.
    #[error("the data of a {notification_type} notification is not what it should be: {reason}")]
    BadData {
        notification_type: &'static str,
        reason: String,
    },
}

/// The longest text of the body an error carries: serde's messages quote the value they refused,
/// and a refusal must not echo (into logs and answers) megabytes of what a caller sent.
pub const MAX_REASON_CHARS: usize = 200;

fn bounded(mut s: String) -> String {
    if let Some((at, _)) = s.char_indices().nth(MAX_REASON_CHARS) {
        s.truncate(at);
        s.push('…');
    }
    s
}

#[derive(Deserialize)]
struct Envelope {
    message: Option<PushedMessage>,
    subscription: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PushedMessage {
    data: Option<String>,
    attributes: Option<HashMap<String, String>>,
    message_id: Option<String>,
    publish_time: Option<GoogleTimestamp>,
    // Push also writes snake_case copies of these two for older clients; read them only when
    // the camelCase ones are missing.
    #[serde(rename = "message_id")]
    message_id_snake: Option<String>,
    #[serde(rename = "publish_time")]
    publish_time_snake: Option<GoogleTimestamp>,
}

impl Notification {
    /// Reads a push body. Never panics; every refusal says what was wrong.
    pub fn parse(body: &[u8]) -> Result<Notification, NotificationError> {
        if body.len() > MAX_NOTIFICATION_BYTES {
            return Err(NotificationError::TooLarge {
                limit: MAX_NOTIFICATION_BYTES,
            });
        }
        let envelope: Envelope = serde_json::from_slice(body)
            .map_err(|e| NotificationError::NotAnEnvelope(bounded(e.to_string())))?;
        let message = envelope
            .message
            .ok_or(NotificationError::MissingField("message"))?;
        let subscription = envelope
            .subscription
            .ok_or(NotificationError::MissingField("subscription"))?;
        let message_id = message
            .message_id
            .or(message.message_id_snake)
            .ok_or(NotificationError::MissingField("message.messageId"))?;
        let attributes = message
            .attributes
            .ok_or(NotificationError::MissingField("message.attributes"))?;
        let notification_type =
            attributes
                .get("notificationType")
                .ok_or(NotificationError::MissingField(
                    "message.attributes.notificationType",
                ))?;
        let data = message.data.as_deref();
        let kind = match notification_type.as_str() {
            "ENROLLMENT" => NotificationKind::Enrollment(Box::new(resource("ENROLLMENT", data)?)),
            "STATUS_REPORT" => {
                NotificationKind::StatusReport(Box::new(resource("STATUS_REPORT", data)?))
            }
            "COMMAND" => NotificationKind::Command(resource("COMMAND", data)?),
            "ENTERPRISE_UPGRADE" => {
                NotificationKind::EnterpriseUpgrade(resource("ENTERPRISE_UPGRADE", data)?)
            }
            "USAGE_LOGS" => NotificationKind::UsageLogs,
            "TEST" => NotificationKind::Test,
            other => {
                return Err(NotificationError::UnknownNotificationType(bounded(
                    other.to_owned(),
                )));
            }
        };
        Ok(Notification {
            message_id,
            publish_time: message.publish_time.or(message.publish_time_snake),
            subscription,
            kind,
        })
    }
}

/// Decodes `data` (base64 of UTF-8 JSON) into the resource `T`.
fn resource<T: DeserializeOwned>(
    notification_type: &'static str,
    data: Option<&str>,
) -> Result<T, NotificationError> {
    let data = data.ok_or(NotificationError::MissingField("message.data"))?;
    let json = STANDARD
        .decode(data)
        .map_err(|e| NotificationError::BadBase64(bounded(e.to_string())))?;
    serde_json::from_slice(&json).map_err(|e| NotificationError::BadData {
        notification_type,
        reason: bounded(e.to_string()),
    })
}
