//! `NonComplianceDetail`: one policy setting a device does not apply, and why.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NonComplianceDetail {
    /// The top-level `Policy` field (`"passwordPolicies"`, `"applications"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setting_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub non_compliance_reason: Option<NonComplianceReason>,
    /// For app settings, the app's package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_name: Option<String>,
    /// Where in the policy, for nested fields (`"applications[2].installType"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_path: Option<String>,
    /// The device's value, of whatever type the setting has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_value: Option<Value>,
}

received_enum! {
    pub enum NonComplianceReason {
        ApiLevel = "API_LEVEL",
        ManagementMode = "MANAGEMENT_MODE",
        /// Waiting for the user (to set a password, accept an app's permissions...).
        UserAction = "USER_ACTION",
        InvalidValue = "INVALID_VALUE",
        AppNotInstalled = "APP_NOT_INSTALLED",
        Unsupported = "UNSUPPORTED",
        AppInstalled = "APP_INSTALLED",
        Pending = "PENDING",
        AppIncompatible = "APP_INCOMPATIBLE",
        AppNotUpdated = "APP_NOT_UPDATED",
        OsNotPermitted = "OS_NOT_PERMITTED",
        DeviceIncompatible = "DEVICE_INCOMPATIBLE",
        AppSigningCertMismatch = "APP_SIGNING_CERT_MISMATCH",
        ProjectNotPermitted = "PROJECT_NOT_PERMITTED",
    }
}
