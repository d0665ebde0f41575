//! What a device reports about itself: hardware, software and network identity.

use serde::{Deserialize, Serialize};

use crate::encoding::GoogleTimestamp;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HardwareInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The hardware name (`"shiba"` on a Pixel 8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware: Option<String>,
    /// Absent on personally-owned devices, where Google withholds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_baseband_version: Option<String>,
    /// An id stable across re-enrollments of a personally-owned device within one enterprise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_specific_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SoftwareInfo {
    /// The user-visible Android version (`"15"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub android_version: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_patch_level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub android_build_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub android_build_time: Option<GoogleTimestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub android_device_policy_version_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub android_device_policy_version_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootloader_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_kernel_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_language_code: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imei: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wifi_mac_address: Option<String>,
    /// One per SIM; replaces the deprecated `networkOperatorName`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub telephony_infos: Vec<TelephonyInfo>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TelephonyInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icc_id: Option<String>,
}
