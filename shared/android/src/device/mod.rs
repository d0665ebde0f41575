//! `Device`: what Google tells us about an enrolled device, from `devices.get` and from the
//! ENROLLMENT and STATUS_REPORT notifications. Fields we do not use are dropped when reading.

mod compliance;
mod info;
mod posture;
mod settings;

use serde::{Deserialize, Serialize};

use crate::encoding::GoogleTimestamp;
use crate::message::UserFacingMessage;

pub use compliance::{NonComplianceDetail, NonComplianceReason};
pub use info::{HardwareInfo, NetworkInfo, SoftwareInfo, TelephonyInfo};
pub use posture::{DevicePosture, PostureDetail, SecurityPosture, SecurityRisk};
pub use settings::{DeviceSettings, EncryptionStatus};

/// An enrolled device.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    /// `enterprises/{enterpriseId}/devices/{deviceId}`.
    pub name: String,
    /// The policy we assigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_name: Option<String>,
    /// The policy the device reports running, which lags `policy_name` until it syncs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_policy_name: Option<String>,
    /// The version of the applied policy (an int64: a string on the wire).
    #[serde(
        default,
        with = "crate::encoding::int64",
        skip_serializing_if = "Option::is_none"
    )]
    pub applied_policy_version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_compliant: Option<bool>,
    /// The state we asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<DeviceState>,
    /// The state the device reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_state: Option<DeviceState>,
    /// Why the device is disabled, as shown on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<UserFacingMessage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub management_mode: Option<ManagementMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ownership: Option<Ownership>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_level: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrollment_time: Option<GoogleTimestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status_report_time: Option<GoogleTimestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_policy_sync_time: Option<GoogleTimestamp>,
    /// `enterprises/{e}/enrollmentTokens/{t}`: the token the device enrolled with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrollment_token_name: Option<String>,
    /// The `additionalData` of that token, copied verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrollment_token_data: Option<String>,
    /// `enterprises/{e}/users/{u}`: the user the device belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_device_names: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware_info: Option<HardwareInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_info: Option<SoftwareInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_info: Option<NetworkInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_posture: Option<SecurityPosture>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_settings: Option<DeviceSettings>,
    /// The settings the device does not comply with, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub non_compliance_details: Vec<NonComplianceDetail>,
}

received_enum! {
    /// Where a device is in its life.
    pub enum DeviceState {
        Active = "ACTIVE",
        Disabled = "DISABLED",
        /// Only ever in a STATUS_REPORT sent after the device was deleted (or wiped itself).
        Deleted = "DELETED",
        Provisioning = "PROVISIONING",
        Lost = "LOST",
        PreparingForMigration = "PREPARING_FOR_MIGRATION",
        DeactivatedByDeviceFinance = "DEACTIVATED_BY_DEVICE_FINANCE",
    }
}

received_enum! {
    /// Fully managed (device owner) or work profile (profile owner).
    pub enum ManagementMode {
        DeviceOwner = "DEVICE_OWNER",
        ProfileOwner = "PROFILE_OWNER",
    }
}

received_enum! {
    pub enum Ownership {
        CompanyOwned = "COMPANY_OWNED",
        PersonallyOwned = "PERSONALLY_OWNED",
    }
}
