//! `SecurityPosture`: Google's verdict (from Play Integrity) on whether a device can be trusted.

use serde::{Deserialize, Serialize};

use crate::message::UserFacingMessage;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityPosture {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_posture: Option<DevicePosture>,
    /// The risks behind a posture other than SECURE.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub posture_details: Vec<PostureDetail>,
}

received_enum! {
    pub enum DevicePosture {
        Secure = "SECURE",
        /// An unofficial OS or an unlocked bootloader, for example.
        AtRisk = "AT_RISK",
        /// Rooted, or otherwise tampered with.
        PotentiallyCompromised = "POTENTIALLY_COMPROMISED",
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostureDetail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_risk: Option<SecurityRisk>,
    /// What the admin can do about it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub advice: Vec<UserFacingMessage>,
}

received_enum! {
    pub enum SecurityRisk {
        UnknownOs = "UNKNOWN_OS",
        CompromisedOs = "COMPROMISED_OS",
        HardwareBackedEvaluationFailed = "HARDWARE_BACKED_EVALUATION_FAILED",
    }
}
