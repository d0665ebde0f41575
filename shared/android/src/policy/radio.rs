//! Radio controls: `DeviceRadioState` for fully managed devices and
//! `DeviceWidePolicies.deviceRadioState` for the work profile of a company-owned device, the two
//! places AMAPI puts the NFC switch (Android 15 and later).

use serde::{Deserialize, Serialize};

/// Radio settings of a fully managed device.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceRadioState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nfc: Option<NfcState>,
}

/// Settings a work profile's policy applies to the whole of a company-owned device.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceWidePolicies {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_radio_state: Option<DeviceWideRadioState>,
}

/// Radio settings of a company-owned device with a work profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceWideRadioState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nfc: Option<NfcState>,
}

sent_enum! {
    /// Whether NFC is off and the user may turn it back on.
    pub enum NfcState {
        /// Google reports an API_LEVEL non-compliance for it below Android 15.
        UserChoice = "NFC_USER_CHOICE",
        Disabled = "NFC_DISABLED",
    }
}
