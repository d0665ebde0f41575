//! The command plists we send: the body of the answer to a device's PUT on the ServerURL.
//!
//! Key names and types follow Apple's command schemas (`commands/*.yaml`); options left unset
//! are omitted, never written as empty strings or defaults.

use plist::{Dictionary, Integer, Value};

use crate::render::xml;

/// A command for a device, in Apple's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppleCommand {
    DeviceLock {
        message: Option<String>,
        phone_number: Option<String>,
        /// The six-character Find My PIN that macOS requires to lock.
        pin: Option<String>,
    },
    EraseDevice {
        preserve_data_plan: bool,
        /// The six-character Find My PIN that macOS requires to erase.
        pin: Option<String>,
    },
    ClearPasscode {
        /// The device's UnlockToken from its TokenUpdate.
        unlock_token: Vec<u8>,
    },
    /// Apple requires at least one of `message` and `phone_number`.
    EnableLostMode {
        message: Option<String>,
        phone_number: Option<String>,
        footnote: Option<String>,
    },
    DisableLostMode,
    DeviceLocation,
    PlayLostModeSound,
    InstallApplication {
        identifier: Option<String>,
        itunes_store_id: Option<u64>,
        manifest_url: Option<String>,
        /// 1 (remove with the MDM profile), 4 (no backup of app data) or 5 (both).
        management_flags: Option<i64>,
    },
    RemoveApplication {
        identifier: String,
    },
    InstallProfile {
        /// The profile (`.mobileconfig`), possibly signed or encrypted.
        payload: Vec<u8>,
    },
    RemoveProfile {
        identifier: String,
    },
    DeviceInformation {
        queries: Vec<String>,
    },
    SecurityInfo,
    InstalledApplicationList {
        managed_apps_only: bool,
    },
    RestartDevice,
    ShutDownDevice,
    ProfileList,
    CertificateList,
}

impl AppleCommand {
    /// The command's `RequestType`.
    pub fn request_type(&self) -> &'static str {
        match self {
            AppleCommand::DeviceLock { .. } => "DeviceLock",
            AppleCommand::EraseDevice { .. } => "EraseDevice",
            AppleCommand::ClearPasscode { .. } => "ClearPasscode",
            AppleCommand::EnableLostMode { .. } => "EnableLostMode",
            AppleCommand::DisableLostMode => "DisableLostMode",
            AppleCommand::DeviceLocation => "DeviceLocation",
            AppleCommand::PlayLostModeSound => "PlayLostModeSound",
            AppleCommand::InstallApplication { .. } => "InstallApplication",
            AppleCommand::RemoveApplication { .. } => "RemoveApplication",
            AppleCommand::InstallProfile { .. } => "InstallProfile",
            AppleCommand::RemoveProfile { .. } => "RemoveProfile",
            AppleCommand::DeviceInformation { .. } => "DeviceInformation",
            AppleCommand::SecurityInfo => "SecurityInfo",
            AppleCommand::InstalledApplicationList { .. } => "InstalledApplicationList",
            AppleCommand::RestartDevice => "RestartDevice",
            AppleCommand::ShutDownDevice => "ShutDownDevice",
            AppleCommand::ProfileList => "ProfileList",
            AppleCommand::CertificateList => "CertificateList",
        }
    }

    /// The `Command` dictionary: `RequestType` and the command's own keys.
    pub fn to_dictionary(&self) -> Dictionary {
        let mut c = Command(Dictionary::new());
        c.put("RequestType", Some(self.request_type()));
        match self {
            AppleCommand::DeviceLock {
                message,
                phone_number,
                pin,
            } => {
                c.put("Message", message.as_deref());
                c.put("PhoneNumber", phone_number.as_deref());
                c.put("PIN", pin.as_deref());
            }
            AppleCommand::EraseDevice {
                preserve_data_plan,
                pin,
            } => {
                c.flag("PreserveDataPlan", *preserve_data_plan);
                c.put("PIN", pin.as_deref());
            }
            AppleCommand::ClearPasscode { unlock_token } => {
                c.set("UnlockToken", Value::Data(unlock_token.clone()));
            }
            AppleCommand::EnableLostMode {
                message,
                phone_number,
                footnote,
            } => {
                c.put("Message", message.as_deref());
                c.put("PhoneNumber", phone_number.as_deref());
                c.put("Footnote", footnote.as_deref());
            }
            AppleCommand::InstallApplication {
                identifier,
                itunes_store_id,
                manifest_url,
                management_flags,
            } => {
                c.put("Identifier", identifier.as_deref());
                if let Some(id) = itunes_store_id {
                    c.set("iTunesStoreID", Value::Integer(Integer::from(*id)));
                }
                c.put("ManifestURL", manifest_url.as_deref());
                if let Some(flags) = management_flags {
                    c.set("ManagementFlags", Value::Integer(Integer::from(*flags)));
                }
            }
            AppleCommand::RemoveApplication { identifier }
            | AppleCommand::RemoveProfile { identifier } => {
                c.put("Identifier", Some(identifier));
            }
            AppleCommand::InstallProfile { payload } => {
                c.set("Payload", Value::Data(payload.clone()))
            }
            AppleCommand::DeviceInformation { queries } => {
                let queries = queries.iter().map(|q| Value::String(q.clone())).collect();
                c.set("Queries", Value::Array(queries));
            }
            AppleCommand::InstalledApplicationList { managed_apps_only } => {
                c.flag("ManagedAppsOnly", *managed_apps_only);
            }
            AppleCommand::DisableLostMode
            | AppleCommand::DeviceLocation
            | AppleCommand::PlayLostModeSound
            | AppleCommand::SecurityInfo
            | AppleCommand::RestartDevice
            | AppleCommand::ShutDownDevice
            | AppleCommand::ProfileList
            | AppleCommand::CertificateList => {}
        }
        c.0
    }
}

/// A `Command` dictionary being filled.
struct Command(Dictionary);

impl Command {
    fn set(&mut self, key: &str, value: Value) {
        self.0.insert(key.to_owned(), value);
    }

    /// A string option, omitted when absent.
    fn put(&mut self, key: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.set(key, Value::String(value.to_owned()));
        }
    }

    /// A boolean whose default is false, written only when true.
    fn flag(&mut self, key: &str, on: bool) {
        if on {
            self.set(key, Value::Boolean(true));
        }
    }
}

/// The device-information queries an inventory refresh asks for. Every name exists in Apple's
/// DeviceInformation schema; a device answers the ones its platform supports and ignores the rest.
pub const INVENTORY_QUERIES: &[&str] = &[
    "UDID",
    "DeviceName",
    "OSVersion",
    "BuildVersion",
    "ModelName",
    "Model",
    "ProductName",
    "SerialNumber",
    "DeviceCapacity",
    "AvailableDeviceCapacity",
    "BatteryLevel",
    "IMEI",
    "MEID",
    "ICCID",
    "PhoneNumber",
    "ServiceSubscriptions",
    "IsSupervised",
    "WiFiMAC",
    "BluetoothMAC",
    "HostName",
];

/// `{CommandUUID, Command: {RequestType, ...keys}}` as an XML plist.
pub fn render(command_uuid: &str, command: &AppleCommand) -> Vec<u8> {
    let mut envelope = Dictionary::new();
    envelope.insert(
        "CommandUUID".to_owned(),
        Value::String(command_uuid.to_owned()),
    );
    envelope.insert(
        "Command".to_owned(),
        Value::Dictionary(command.to_dictionary()),
    );
    xml(&Value::Dictionary(envelope))
}
