//! `ApplicationPolicy`: one entry of `Policy.applications`, saying how an app is installed and
//! configured.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One app's policy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationPolicy {
    /// The Android package name (`com.example.app`).
    pub package_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install_type: Option<InstallType>,
    /// The app's managed configuration: keys and values the app declares in its restrictions
    /// schema; free-form JSON as far as AMAPI's document is concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_configuration: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_permission_policy: Option<PermissionPolicy>,
    /// Lowest version code allowed to run; older versions are updated or blocked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_version_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_update_mode: Option<AutoUpdateMode>,
    /// What the app is for; `KIOSK` is how a single-app kiosk is set up now that the
    /// `KIOSK` install type is deprecated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role>,
}

/// A role an app holds; at most one app holds each role type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    pub role_type: RoleType,
}

sent_enum! {
    /// The roles we give apps.
    pub enum RoleType {
        /// The home screen, locked in lock task mode. The app must be `REQUIRED_FOR_SETUP` (or
        /// `CUSTOM`).
        Kiosk = "KIOSK",
    }
}

sent_enum! {
    /// How the app is installed. `KIOSK` is left out: the discovery document deprecates it.
    pub enum InstallType {
        Preinstalled = "PREINSTALLED",
        ForceInstalled = "FORCE_INSTALLED",
        Blocked = "BLOCKED",
        Available = "AVAILABLE",
        RequiredForSetup = "REQUIRED_FOR_SETUP",
        /// Installed and updated only through the AMAPI SDK's commands.
        Custom = "CUSTOM",
    }
}

sent_enum! {
    /// What happens to runtime permission requests.
    pub enum PermissionPolicy {
        Prompt = "PROMPT",
        Grant = "GRANT",
        Deny = "DENY",
    }
}

sent_enum! {
    /// How eagerly Play updates the app.
    pub enum AutoUpdateMode {
        Default = "AUTO_UPDATE_DEFAULT",
        Postponed = "AUTO_UPDATE_POSTPONED",
        HighPriority = "AUTO_UPDATE_HIGH_PRIORITY",
    }
}
