//! `DeviceSettings`: the security-relevant settings a device reports (encryption, screen lock,
//! developer options).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_encrypted: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_status: Option<EncryptionStatus>,
    /// A screen lock (PIN, pattern or password) is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_device_secure: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adb_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub development_settings_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_sources_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_apps_enabled: Option<bool>,
}

received_enum! {
    pub enum EncryptionStatus {
        Unsupported = "UNSUPPORTED",
        Inactive = "INACTIVE",
        Activating = "ACTIVATING",
        Active = "ACTIVE",
        /// Encrypted, but with the default key (no screen lock protects it).
        ActiveDefaultKey = "ACTIVE_DEFAULT_KEY",
        ActivePerUser = "ACTIVE_PER_USER",
    }
}
