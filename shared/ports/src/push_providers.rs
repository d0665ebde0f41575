//! The `PushProviders` port: checks a tenant's push credentials before they are stored and
//! prepares the provider for them (an SNS platform application, say), so that a bad certificate
//! is refused when an admin configures it, not discovered at the first wake-up.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::ids::{Platform, TenantId};

/// Who delivers a tenant's wake-ups for one platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PushProvider {
    /// Firebase Cloud Messaging HTTP v1, directly (Android).
    Fcm,
    /// Apple Push Notification service over HTTP/2, directly (Apple devices).
    Apns,
    /// Amazon SNS mobile push, which relays to FCM or APNs (AWS backend only).
    Sns,
}

impl PushProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            PushProvider::Fcm => "fcm",
            PushProvider::Apns => "apns",
            PushProvider::Sns => "sns",
        }
    }

    /// Whether the provider can reach devices of the platform.
    pub fn serves(self, platform: Platform) -> bool {
        match self {
            PushProvider::Fcm => platform == Platform::Android,
            PushProvider::Apns => platform.is_apple(),
            PushProvider::Sns => true,
        }
    }
}

#[async_trait]
pub trait PushProviders: Send + Sync {
    /// Validates the credentials (a JSON document) for the provider and platform, and prepares
    /// whatever the provider needs. Returns attributes to keep in the tenant's push settings;
    /// never secrets. Bad credentials are `Error::InvalidField` on `credentials`.
    async fn prepare(
        &self,
        tenant: &TenantId,
        platform: Platform,
        provider: PushProvider,
        credentials: &str,
    ) -> Result<Map<String, Value>, Error>;

    /// Removes what `prepare` made (the attributes it returned say what), for a tenant that is
    /// being deleted. Something already gone is not an error, so a retried purge goes on.
    async fn release(
        &self,
        provider: PushProvider,
        attrs: &Map<String, Value>,
    ) -> Result<(), Error>;
}
