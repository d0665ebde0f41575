//! `Policy`: the settings and apps AMAPI applies to the devices that use it. Only the fields our
//! translator from tenant policies needs; where the discovery document deprecates a field in
//! favour of another, the replacement is the one here.

mod application;
mod connectivity;
mod cross_profile;
mod password;
mod radio;
mod security;
mod status_reporting;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use application::{
    ApplicationPolicy, AutoUpdateMode, InstallType, PermissionPolicy, Role, RoleType,
};
pub use connectivity::{
    ConfigureWifi, DeviceConnectivityManagement, TetheringSettings, UsbDataAccess,
};
pub use cross_profile::{CrossProfileCopyPaste, CrossProfilePolicies};
pub use password::{PasswordQuality, PasswordRequirements, PasswordScope, RequirePasswordUnlock};
pub use radio::{DeviceRadioState, DeviceWidePolicies, DeviceWideRadioState, NfcState};
pub use security::{
    AdvancedSecurityOverrides, DeveloperSettings, GooglePlayProtectVerifyApps, UntrustedAppsPolicy,
};
pub use status_reporting::{ApplicationReportingSettings, StatusReportingSettings};

/// The body of `enterprises.policies.patch`. Every field is optional: an absent field leaves
/// the setting at Android's default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    /// `enterprises/{enterpriseId}/policies/{policyId}`; Google fills it in responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub password_policies: Vec<PasswordRequirements>,
    /// Milliseconds of inactivity before the device locks; 0 means no limit. An int64, so a
    /// string on the wire.
    #[serde(
        default,
        with = "crate::encoding::int64",
        skip_serializing_if = "Option::is_none"
    )]
    pub maximum_time_to_lock: Option<i64>,
    /// Replaces the deprecated `cameraDisabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera_access: Option<CameraAccess>,
    /// Replaces the deprecated `unmuteMicrophoneDisabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub microphone_access: Option<MicrophoneAccess>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen_capture_disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bluetooth_disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_roaming_disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factory_reset_disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_policy: Option<EncryptionPolicy>,
    /// Developer settings and untrusted apps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced_security_overrides: Option<AdvancedSecurityOverrides>,
    /// USB data, Wi-Fi configuration, tethering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_connectivity_management: Option<DeviceConnectivityManagement>,
    /// Wi-Fi and VPN networks in ONC (Open Network Configuration) form; free-form JSON as far
    /// as AMAPI's document is concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_network_configuration: Option<Map<String, Value>>,
    /// NFC on fully managed devices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_radio_state: Option<DeviceRadioState>,
    /// NFC on company-owned devices with a work profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_wide_policies: Option<DeviceWidePolicies>,
    /// Copy and paste between the work and personal profiles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_profile_policies: Option<CrossProfilePolicies>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub always_on_vpn_package: Option<AlwaysOnVpnPackage>,
    /// Which Play apps the user may install. Left out, AMAPI means `WHITELIST`: only the apps
    /// of `applications`, everything else uninstalled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub play_store_mode: Option<PlayStoreMode>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applications: Vec<ApplicationPolicy>,
    /// A kiosk launcher of Google's in place of the home screen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kiosk_custom_launcher_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reporting_settings: Option<StatusReportingSettings>,
}

/// A VPN app kept connected at all times.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlwaysOnVpnPackage {
    pub package_name: String,
    /// Refuse network traffic while the VPN is down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lockdown_enabled: Option<bool>,
}

sent_enum! {
    /// Which Play apps are available. The names are Google's.
    pub enum PlayStoreMode {
        /// Only the apps of the policy; any other is uninstalled.
        Whitelist = "WHITELIST",
        /// Every app but those the policy marks `BLOCKED`.
        Blacklist = "BLACKLIST",
    }
}

sent_enum! {
    /// Camera use on the device (or in the work profile).
    pub enum CameraAccess {
        UserChoice = "CAMERA_ACCESS_USER_CHOICE",
        Disabled = "CAMERA_ACCESS_DISABLED",
        Enforced = "CAMERA_ACCESS_ENFORCED",
    }
}

sent_enum! {
    /// Microphone use on the device.
    pub enum MicrophoneAccess {
        UserChoice = "MICROPHONE_ACCESS_USER_CHOICE",
        Disabled = "MICROPHONE_ACCESS_DISABLED",
        Enforced = "MICROPHONE_ACCESS_ENFORCED",
    }
}

sent_enum! {
    /// Whether storage encryption is required, and whether it needs a password at boot.
    pub enum EncryptionPolicy {
        EnabledWithoutPassword = "ENABLED_WITHOUT_PASSWORD",
        EnabledWithPassword = "ENABLED_WITH_PASSWORD",
    }
}
