//! `SignupUrl` and `Enterprise`: binding a tenant to a Google enterprise, and the enterprise's
//! notification settings (which Pub/Sub topic Google publishes to, and what about).

use serde::{Deserialize, Serialize};

/// What `signupUrls.create` returns: where the tenant's admin signs up, and the name to pass back
/// to `enterprises.create` with the token the callback receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignupUrl {
    /// `signupUrls/{id}`.
    pub name: String,
    pub url: String,
}

/// The body of `enterprises.create` / `enterprises.patch`, and what `enterprises.get` returns
/// (fields we do not use are dropped when reading).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Enterprise {
    /// `enterprises/{enterpriseId}`; Google fills it in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_display_name: Option<String>,
    /// `projects/{project}/topics/{topic}`: the Pub/Sub topic Google publishes notifications to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pubsub_topic: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enabled_notification_types: Vec<NotificationType>,
    /// The colour of device management screens, as 0xRRGGBB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_color: Option<i32>,
}

received_enum! {
    /// A kind of notification an enterprise can enable. `COMPLIANCE_REPORT` is left out: the
    /// document deprecates it. `ENTERPRISE_UPGRADE` is always sent and need not be enabled; the
    /// `TEST` notification is never enabled here (see `notification`).
    pub enum NotificationType {
        Enrollment = "ENROLLMENT",
        StatusReport = "STATUS_REPORT",
        Command = "COMMAND",
        UsageLogs = "USAGE_LOGS",
        EnterpriseUpgrade = "ENTERPRISE_UPGRADE",
    }
}

/// The data of an ENTERPRISE_UPGRADE notification: a managed Google Play Accounts enterprise
/// became a managed Google domain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnterpriseUpgradeEvent {
    /// `enterprises/{enterpriseId}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_state: Option<UpgradeState>,
}

received_enum! {
    /// How the upgrade went.
    pub enum UpgradeState {
        Succeeded = "UPGRADE_STATE_SUCCEEDED",
    }
}
