//! `AdvancedSecurityOverrides`: where AMAPI now keeps developer settings and untrusted-app
//! installation, replacing the deprecated `Policy.debuggingFeaturesAllowed` and
//! `Policy.installUnknownSourcesAllowed`.

use serde::{Deserialize, Serialize};

/// Security settings that override Android's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdvancedSecurityOverrides {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub untrusted_apps_policy: Option<UntrustedAppsPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub developer_settings: Option<DeveloperSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub google_play_protect_verify_apps: Option<GooglePlayProtectVerifyApps>,
}

sent_enum! {
    /// Whether apps from unknown sources may be installed, and where.
    pub enum UntrustedAppsPolicy {
        DisallowInstall = "DISALLOW_INSTALL",
        AllowInstallInPersonalProfileOnly = "ALLOW_INSTALL_IN_PERSONAL_PROFILE_ONLY",
        AllowInstallDeviceWide = "ALLOW_INSTALL_DEVICE_WIDE",
    }
}

sent_enum! {
    /// Whether developer options (and with them USB debugging) can be turned on.
    pub enum DeveloperSettings {
        Disabled = "DEVELOPER_SETTINGS_DISABLED",
        Allowed = "DEVELOPER_SETTINGS_ALLOWED",
    }
}

sent_enum! {
    /// Whether Play Protect app verification is forced on.
    pub enum GooglePlayProtectVerifyApps {
        Enforced = "VERIFY_APPS_ENFORCED",
        UserChoice = "VERIFY_APPS_USER_CHOICE",
    }
}
