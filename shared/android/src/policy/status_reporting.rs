//! `StatusReportingSettings`: which parts of a device's state Android Device Policy reports
//! (each enabled part appears in the `Device` of STATUS_REPORT notifications).

use serde::{Deserialize, Serialize};

/// The reports a device sends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReportingSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_reports_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_reporting_settings: Option<ApplicationReportingSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_settings_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_info_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware_status_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_info_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_info_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_info_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_management_events_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_properties_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_criteria_mode_enabled: Option<bool>,
}

/// Options of the application reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationReportingSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_removed_apps: Option<bool>,
}
