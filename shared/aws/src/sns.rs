//! `SnsPusher`: the `Pusher` port on SNS mobile push, for one tenant's platform application
//! (FCM or APNs). Tenants bring their own push credentials, so each tenant and platform has its
//! own platform application, and the caller picks the pusher for the device's tenant and
//! platform.
//!
//! A wake costs exactly one CreatePlatformEndpoint and one Publish. CreatePlatformEndpoint is
//! idempotent (the same token and attributes return the same endpoint), so we neither store
//! endpoint ARNs nor read them back: the device's hot item keeps only its token, which stays
//! small, and a rotated token simply gets its own endpoint on the next wake. An endpoint that
//! FCM or APNs reported as dead is disabled by SNS: either CreatePlatformEndpoint returns it and
//! SNS refuses the Publish (`EndpointDisabled`), or it reports the token's endpoint as having
//! other attributes and we read it disabled; both are `InvalidToken`, and nothing reaches the
//! provider. A disabled endpoint is never re-enabled on the wake path: a device whose token was
//! rejected must report a new one (re-enabling on re-registration is a follow-up for the
//! enrolment flow).
//!
//! Follow-up: endpoints of rotated tokens are left behind in the platform application (SNS
//! keeps them, disabled once the provider rejects them). A periodic sweep of disabled
//! endpoints (ListEndpointsByPlatformApplication + DeleteEndpoint) would tidy them up.

use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sns::types::MessageAttributeValue;
use mdm_ports::error::PushError;
use mdm_ports::ids::Platform;
use mdm_ports::{PushReceipt, PushTarget, Pusher};
use serde_json::json;

use crate::sdk_error::{ErrorChain, service_code};

/// What real SNS says when the token already has an endpoint with other attributes (e.g. the
/// token moved to a re-enrolled device, so its CustomUserData differs).
const SAME_TOKEN_OTHER_ATTRIBUTES: &str = "already exists with the same Token";

pub struct SnsPusher {
    client: Client,
    platform_application_arn: String,
}

impl SnsPusher {
    pub fn new(client: Client, platform_application_arn: impl Into<String>) -> Self {
        Self {
            client,
            platform_application_arn: platform_application_arn.into(),
        }
    }

    pub fn platform_application_arn(&self) -> &str {
        &self.platform_application_arn
    }

    /// The endpoint for this token, created on first use.
    async fn endpoint(&self, target: &PushTarget) -> Result<String, PushError> {
        let user_data = custom_user_data(target);
        let created = self
            .client
            .create_platform_endpoint()
            .platform_application_arn(&self.platform_application_arn)
            .token(&target.token)
            .custom_user_data(&user_data)
            .send()
            .await;
        let err = match created {
            Ok(out) => {
                return out
                    .endpoint_arn()
                    .map(str::to_owned)
                    .ok_or_else(|| PushError::Retryable {
                        reason: "sns created an endpoint but returned no arn".into(),
                        retry_after_secs: None,
                    });
            }
            Err(err) => err,
        };
        let existing = service_code(&err)
            .filter(|(code, message)| {
                *code == "InvalidParameter" && message.contains(SAME_TOKEN_OTHER_ATTRIBUTES)
            })
            .and_then(|(_, message)| endpoint_arn_in(message));
        let Some(arn) = existing else {
            return Err(sns_error(err));
        };
        self.reclaim(&arn, &user_data).await?;
        Ok(arn)
    }

    /// The token already has an endpoint that differs from what we asked for, which is rare:
    /// either FCM or APNs reported the token dead and SNS disabled the endpoint (some SNS
    /// implementations count Enabled among the compared attributes), or the token now belongs
    /// to another device record (a re-enrolment). Up to two more calls here keep the common path
    /// at one.
    async fn reclaim(&self, arn: &str, user_data: &str) -> Result<(), PushError> {
        let current = self
            .client
            .get_endpoint_attributes()
            .endpoint_arn(arn)
            .send()
            .await
            .map_err(sns_error)?;
        let attributes = current.attributes();
        let attribute = |name: &str| attributes.and_then(|a| a.get(name)).map(String::as_str);
        // Never re-enabled here: only the provider's say-so disabled it, and a wake is no
        // evidence that the token works again. Publishing would be refused anyway.
        if attribute("Enabled").is_some_and(|e| e.eq_ignore_ascii_case("false")) {
            return Err(PushError::InvalidToken);
        }
        if attribute("CustomUserData") != Some(user_data) {
            // The token moved to this device: name it in the console and in delivery feedback.
            self.client
                .set_endpoint_attributes()
                .endpoint_arn(arn)
                .attributes("CustomUserData", user_data)
                .send()
                .await
                .map_err(sns_error)?;
        }
        Ok(())
    }
}

#[async_trait]
impl Pusher for SnsPusher {
    async fn wake(&self, target: &PushTarget) -> Result<PushReceipt, PushError> {
        let endpoint = self.endpoint(target).await?;
        let wake = WakeMessage::for_target(target);
        let mut publish = self
            .client
            .publish()
            .target_arn(&endpoint)
            .message_structure("json")
            .message(wake.message);
        for (name, value) in wake.attributes {
            let value = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|e| PushError::Rejected(format!("bad message attribute {name}: {e}")))?;
            publish = publish.message_attributes(name, value);
        }
        let out = publish.send().await.map_err(sns_error)?;
        let message_id = out.message_id().unwrap_or_default().to_owned();
        tracing::debug!(
            tenant = %target.tenant,
            device = %target.device,
            %message_id,
            "sns accepted a wake"
        );
        Ok(PushReceipt { message_id })
    }
}

/// Names the endpoint's device in the SNS console and in provider feedback events.
fn custom_user_data(target: &PushTarget) -> String {
    format!("{}/{}", target.tenant, target.device)
}

/// The endpoint ARN quoted in SNS's "Endpoint <arn> already exists ..." message.
fn endpoint_arn_in(message: &str) -> Option<String> {
    message
        .split(|c: char| c.is_whitespace() || c == ',' || c == '"' || c == '\'')
        .find(|word| word.starts_with("arn:") && word.contains(":endpoint/"))
        .map(str::to_owned)
}

/// A content-free wake: the device learns what to do only by checking in.
#[derive(Debug, PartialEq)]
struct WakeMessage {
    /// The Publish message for MessageStructure=json: one string-encoded payload per platform
    /// key, plus the "default" SNS requires.
    message: String,
    /// SNS's reserved APNs attributes, which become the apns-push-type and apns-priority
    /// headers.
    attributes: Vec<(&'static str, String)>,
}

impl WakeMessage {
    fn for_target(target: &PushTarget) -> Self {
        match target.platform {
            // FCM HTTP v1 through SNS: a data message at high priority, so that the app is
            // started even in Doze; a notification message would be shown to the user instead.
            Platform::Android => {
                let gcm = json!({
                    "fcmV1Message": {
                        "message": {
                            "data": { "mdm": "wake" },
                            "android": { "priority": "HIGH" },
                        }
                    }
                });
                Self {
                    message: json!({ "default": "wake", "GCM": gcm.to_string() }).to_string(),
                    attributes: Vec::new(),
                }
            }
            Platform::Ios | Platform::Macos => {
                // Apple MDM: the payload is only the device's PushMagic, and mdmclient checks
                // in. Otherwise a background notification to the agent app, which APNs accepts
                // only at priority 5.
                let (payload, attributes) = match &target.push_magic {
                    Some(magic) => (
                        json!({ "mdm": magic }),
                        vec![("AWS.SNS.MOBILE.APNS.PUSH_TYPE", "mdm".to_owned())],
                    ),
                    None => (
                        json!({ "aps": { "content-available": 1 } }),
                        vec![
                            ("AWS.SNS.MOBILE.APNS.PUSH_TYPE", "background".to_owned()),
                            ("AWS.SNS.MOBILE.APNS.PRIORITY", "5".to_owned()),
                        ],
                    ),
                };
                let apns = payload.to_string();
                // The same pusher serves production and sandbox applications: SNS picks the key
                // that matches the endpoint's application.
                Self {
                    message: json!({
                        "default": "wake",
                        "APNS": apns,
                        "APNS_SANDBOX": apns,
                    })
                    .to_string(),
                    attributes,
                }
            }
        }
    }
}

pub(crate) fn sns_error<E, R>(err: SdkError<E, R>) -> PushError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match service_code(&err) {
        Some((code, message)) => push_error(code, message),
        None => PushError::Retryable {
            reason: format!("sns unreachable: {}", ErrorChain(&err)),
            retry_after_secs: None,
        },
    }
}

/// Maps an SNS error code. SNS gives no Retry-After, so retries follow the caller's backoff.
fn push_error(code: &str, message: &str) -> PushError {
    match code {
        "EndpointDisabled" => PushError::InvalidToken,
        // A token SNS cannot parse will never work either: the device must register again.
        "InvalidParameter"
            if message.contains("Invalid parameter: Token")
                && !message.contains(SAME_TOKEN_OTHER_ATTRIBUTES) =>
        {
            PushError::InvalidToken
        }
        "PlatformApplicationDisabled"
        | "InvalidParameter"
        | "InvalidParameterValue"
        | "ParameterValueInvalid"
        | "ValidationException"
        | "AuthorizationError"
        | "InvalidSecurity"
        | "NotFound"
        | "KMSAccessDenied"
        | "KMSDisabled"
        | "KMSInvalidState"
        | "KMSNotFound"
        | "KMSOptInRequired" => PushError::Rejected(format!("sns {code}: {message}")),
        // Throttled, Throttling, ThrottlingException, KMSThrottling, InternalError and anything
        // new: the wake is cheap to retry, and the command waits for the device either way.
        _ => PushError::Retryable {
            reason: format!("sns {code}: {message}"),
            retry_after_secs: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn target(platform: Platform, push_magic: Option<&str>) -> PushTarget {
        PushTarget {
            tenant: "t1".into(),
            device: "d1".into(),
            platform,
            token: "tok".into(),
            push_magic: push_magic.map(str::to_owned),
        }
    }

    /// The Publish message, with each platform's string-encoded payload decoded.
    fn decoded(wake: &WakeMessage) -> Value {
        let mut outer: Value = serde_json::from_str(&wake.message).unwrap();
        for (key, value) in outer.as_object_mut().unwrap() {
            if key != "default" {
                *value = serde_json::from_str(value.as_str().unwrap()).unwrap();
            }
        }
        outer
    }

    #[test]
    fn an_android_wake_is_a_high_priority_fcm_v1_data_message() {
        let wake = WakeMessage::for_target(&target(Platform::Android, None));
        assert_eq!(
            decoded(&wake),
            json!({
                "default": "wake",
                "GCM": {"fcmV1Message": {"message": {
                    "data": {"mdm": "wake"},
                    "android": {"priority": "HIGH"},
                }}},
            })
        );
        assert!(wake.attributes.is_empty());
    }

    #[test]
    fn an_apple_app_wake_is_a_background_notification_at_priority_five() {
        let wake = WakeMessage::for_target(&target(Platform::Ios, None));
        let aps = json!({"aps": {"content-available": 1}});
        assert_eq!(
            decoded(&wake),
            json!({"default": "wake", "APNS": aps, "APNS_SANDBOX": aps})
        );
        assert_eq!(
            wake.attributes,
            vec![
                ("AWS.SNS.MOBILE.APNS.PUSH_TYPE", "background".to_owned()),
                ("AWS.SNS.MOBILE.APNS.PRIORITY", "5".to_owned()),
            ]
        );
    }

    #[test]
    fn an_apple_mdm_wake_carries_only_the_push_magic() {
        let wake = WakeMessage::for_target(&target(Platform::Ios, Some("magic-1")));
        let mdm = json!({"mdm": "magic-1"});
        assert_eq!(
            decoded(&wake),
            json!({"default": "wake", "APNS": mdm, "APNS_SANDBOX": mdm})
        );
        assert_eq!(
            wake.attributes,
            vec![("AWS.SNS.MOBILE.APNS.PUSH_TYPE", "mdm".to_owned())]
        );
    }

    #[test]
    fn a_disabled_endpoint_or_unparseable_token_is_an_invalid_token() {
        assert_eq!(
            push_error("EndpointDisabled", "Endpoint is disabled"),
            PushError::InvalidToken
        );
        assert_eq!(
            push_error(
                "InvalidParameter",
                "Invalid parameter: Token Reason: iOS device tokens must be hexadecimal"
            ),
            PushError::InvalidToken
        );
    }

    #[test]
    fn configuration_errors_are_rejected_and_throttling_is_retryable() {
        for code in [
            "PlatformApplicationDisabled",
            "InvalidParameter",
            "AuthorizationError",
            "NotFound",
            "KMSDisabled",
        ] {
            assert!(
                matches!(push_error(code, "no"), PushError::Rejected(_)),
                "{code}"
            );
        }
        for code in [
            "Throttled",
            "ThrottlingException",
            "KMSThrottling",
            "InternalError",
        ] {
            assert!(push_error(code, "later").is_retryable(), "{code}");
        }
    }

    #[test]
    fn the_existing_endpoint_is_read_from_snss_message() {
        let message = "Invalid parameter: Token Reason: Endpoint \
            arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/0f1e2d3c already exists with \
            the same Token, but different attributes.";
        assert_eq!(
            endpoint_arn_in(message).as_deref(),
            Some("arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/0f1e2d3c")
        );
        assert_eq!(endpoint_arn_in("Invalid parameter: Token"), None);
    }
}
