//! `DeviceConnectivityManagement`: USB data, Wi-Fi configuration and tethering, which replace
//! the deprecated `Policy.usbFileTransferDisabled`, `wifiConfigDisabled` and
//! `tetheringConfigDisabled`.

use serde::{Deserialize, Serialize};

/// Connectivity controls.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceConnectivityManagement {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usb_data_access: Option<UsbDataAccess>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configure_wifi: Option<ConfigureWifi>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tethering_settings: Option<TetheringSettings>,
}

sent_enum! {
    /// What may travel over USB.
    pub enum UsbDataAccess {
        AllowUsbDataTransfer = "ALLOW_USB_DATA_TRANSFER",
        DisallowUsbFileTransfer = "DISALLOW_USB_FILE_TRANSFER",
        DisallowUsbDataTransfer = "DISALLOW_USB_DATA_TRANSFER",
    }
}

sent_enum! {
    /// Whether the user may add or change Wi-Fi networks.
    pub enum ConfigureWifi {
        AllowConfiguringWifi = "ALLOW_CONFIGURING_WIFI",
        DisallowAddWifiConfig = "DISALLOW_ADD_WIFI_CONFIG",
        DisallowConfiguringWifi = "DISALLOW_CONFIGURING_WIFI",
    }
}

sent_enum! {
    /// Which kinds of tethering are allowed.
    pub enum TetheringSettings {
        AllowAllTethering = "ALLOW_ALL_TETHERING",
        DisallowWifiTethering = "DISALLOW_WIFI_TETHERING",
        DisallowAllTethering = "DISALLOW_ALL_TETHERING",
    }
}
