//! `EnrollmentToken`: what we ask `enterprises.enrollmentTokens.create` for (policy, lifetime,
//! personal use) and what comes back (the token's value and the QR code a device scans).

use serde::{Deserialize, Serialize};

use crate::encoding::{GoogleDuration, GoogleTimestamp};

/// One token: the request fields and, once created, the fields Google fills in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrollmentToken {
    /// The policy a device enrolled with this token starts with: a full
    /// `enterprises/{e}/policies/{p}` name or just the policy id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_name: Option<String>,
    /// How long the token stays valid: 1 hour by default, 90 days at most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<GoogleDuration>,
    /// Opaque data (at most 1,024 characters) Google copies into the enrolled `Device`'s
    /// `enrollmentTokenData`: how we tie a device back to the tenant and request that enrolled it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_personal_usage: Option<AllowPersonalUsage>,
    /// The token is used up by the first enrollment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_time_only: Option<bool>,

    /// Filled in by Google: `enterprises/{e}/enrollmentTokens/{t}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Filled in by Google: the token a user types or a provisioning flow passes on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Filled in by Google: the JSON a setup-wizard QR code carries (a string holding JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_code: Option<String>,
    /// Filled in by Google: when the token stops working.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_timestamp: Option<GoogleTimestamp>,
}

received_enum! {
    /// Whether the device may be used personally (a work profile on a company-owned device).
    /// Open because Google echoes it back in the created token.
    pub enum AllowPersonalUsage {
        PersonalUsageAllowed = "PERSONAL_USAGE_ALLOWED",
        PersonalUsageDisallowed = "PERSONAL_USAGE_DISALLOWED",
        PersonalUsageDisallowedUserless = "PERSONAL_USAGE_DISALLOWED_USERLESS",
    }
}
