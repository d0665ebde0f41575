//! What a device PUTs to the ServerURL: its status (and the result of the last command), read
//! into an envelope, and typed readers for the results of the commands the server acts on.
//!
//! Result key names follow Apple's command schemas: information.device.yaml,
//! information.security.yaml, application.installed.list.yaml and device.lostmode.location.yaml.

use plist::{Dictionary, Value};

use crate::body::read_dict;
use crate::checkin::Enrollment;
use crate::fields::{Fields, item};
use crate::{FormatError, MAX_RESPONSE_BYTES};

/// The `Status` of a device's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// The device is ready for a command and reports no result.
    Idle,
    Acknowledged,
    Error,
    CommandFormatError,
    /// The device cannot run the command now (locked, busy); it will ask again later.
    NotNow,
}

impl Status {
    /// The status as Apple spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Idle => "Idle",
            Status::Acknowledged => "Acknowledged",
            Status::Error => "Error",
            Status::CommandFormatError => "CommandFormatError",
            Status::NotNow => "NotNow",
        }
    }

    fn parse(s: &str) -> Result<Self, FormatError> {
        Ok(match s {
            "Idle" => Status::Idle,
            "Acknowledged" => Status::Acknowledged,
            "Error" => Status::Error,
            "CommandFormatError" => Status::CommandFormatError,
            "NotNow" => Status::NotNow,
            other => return Err(FormatError::UnknownStatus(other.to_owned())),
        })
    }
}

/// One error of an Error or CommandFormatError response, outermost first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorChainItem {
    pub domain: String,
    pub code: i64,
    pub localized_description: Option<String>,
    pub us_english_description: Option<String>,
}

/// A device's report, as an envelope over the whole dictionary.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub enrollment: Enrollment,
    pub status: Status,
    /// Absent only when `status` is Idle.
    pub command_uuid: Option<String>,
    pub error_chain: Vec<ErrorChainItem>,
    /// The whole dictionary, for the typed readers of command results.
    pub body: Dictionary,
}

/// Parses a device's report: an XML or binary plist of at most [`MAX_RESPONSE_BYTES`] with a
/// known `Status`, a device identity, and a `CommandUUID` unless the device is Idle.
pub fn parse(body: &[u8]) -> Result<Response, FormatError> {
    let dict = read_dict(body, MAX_RESPONSE_BYTES)?;
    let f = Fields::new(&dict);
    let status = Status::parse(&f.req_string("Status")?)?;
    let enrollment = Enrollment::read(&f)?;
    let command_uuid = f.string("CommandUUID")?;
    if status != Status::Idle && command_uuid.is_none() {
        return Err(f.missing("CommandUUID"));
    }
    let mut error_chain = Vec::new();
    for (i, value) in f
        .array("ErrorChain")?
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let e = item(value, "ErrorChain", i)?;
        error_chain.push(ErrorChainItem {
            domain: e.req_string("ErrorDomain")?,
            code: e
                .integer("ErrorCode")?
                .ok_or_else(|| e.missing("ErrorCode"))?,
            localized_description: e.string("LocalizedDescription")?,
            us_english_description: e.string("USEnglishDescription")?,
        });
    }
    Ok(Response {
        enrollment,
        status,
        command_uuid,
        error_chain,
        body: dict,
    })
}

/// The answers to a DeviceInformation command the inventory keeps.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeviceInformation {
    pub udid: Option<String>,
    pub serial_number: Option<String>,
    pub imei: Option<String>,
    pub meid: Option<String>,
    /// The `ICCID` query, or on dual-SIM devices (which answer it in their subscriptions) the
    /// first subscription's.
    pub iccid: Option<String>,
    pub model: Option<String>,
    pub model_name: Option<String>,
    pub product_name: Option<String>,
    pub os_version: Option<String>,
    pub build_version: Option<String>,
    pub device_name: Option<String>,
    /// The `PhoneNumber` query, or the first subscription's, as for `iccid`.
    pub phone_number: Option<String>,
    /// Base-10 gigabytes on iOS and macOS 12 and later (GiB on older macOS), as Apple sends it.
    pub device_capacity_gb: Option<f64>,
    pub available_device_capacity_gb: Option<f64>,
    /// 0.0–1.0 as Apple sends it; `None` also when the device reports -1 (unknown).
    pub battery_level: Option<f64>,
    pub is_supervised: Option<bool>,
    pub host_name: Option<String>,
    pub wifi_mac: Option<String>,
    pub bluetooth_mac: Option<String>,
}

/// Reads a DeviceInformation result from its `QueryResponses`.
pub fn device_information(r: &Response) -> Result<DeviceInformation, FormatError> {
    let q = Fields::nested(
        Fields::new(&r.body).req_dict("QueryResponses")?,
        "QueryResponses",
    );
    // Dual-SIM devices answer ICCID and PhoneNumber per subscription instead.
    let first_subscription = match q
        .array("ServiceSubscriptions")?
        .and_then(|subs| subs.first())
    {
        Some(first) => Some(item(first, &q.name("ServiceSubscriptions"), 0)?),
        None => None,
    };
    let from_subscription = |key: &str| -> Result<Option<String>, FormatError> {
        match &first_subscription {
            Some(sub) => sub.string(key),
            None => Ok(None),
        }
    };
    let iccid = match q.string("ICCID")? {
        Some(iccid) => Some(iccid),
        None => from_subscription("ICCID")?,
    };
    let phone_number = match q.string("PhoneNumber")? {
        Some(number) => Some(number),
        None => from_subscription("PhoneNumber")?,
    };
    Ok(DeviceInformation {
        udid: q.string("UDID")?,
        serial_number: q.string("SerialNumber")?,
        imei: q.string("IMEI")?,
        meid: q.string("MEID")?,
        iccid,
        model: q.string("Model")?,
        model_name: q.string("ModelName")?,
        product_name: q.string("ProductName")?,
        os_version: q.string("OSVersion")?,
        build_version: q.string("BuildVersion")?,
        device_name: q.string("DeviceName")?,
        phone_number,
        device_capacity_gb: q.real("DeviceCapacity")?,
        available_device_capacity_gb: q.real("AvailableDeviceCapacity")?,
        battery_level: q.real("BatteryLevel")?.filter(|level| *level >= 0.0),
        is_supervised: q.bool("IsSupervised")?,
        host_name: q.string("HostName")?,
        wifi_mac: q.string("WiFiMAC")?,
        bluetooth_mac: q.string("BluetoothMAC")?,
    })
}

/// The answers to a SecurityInfo command the inventory keeps.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SecurityInfo {
    pub passcode_present: Option<bool>,
    pub passcode_compliant: Option<bool>,
    pub passcode_compliant_with_profiles: Option<bool>,
    /// 1 block-level, 2 file-level, 3 both.
    pub hardware_encryption_caps: Option<i64>,
    /// `FDE_Enabled`, macOS only.
    pub file_vault_enabled: Option<bool>,
}

impl SecurityInfo {
    /// Block-level (1) and file-level (2) encryption both on, or FileVault on (macOS); `None`
    /// when the device reported neither.
    pub fn encrypted(&self) -> Option<bool> {
        let hardware = self.hardware_encryption_caps.map(|caps| caps & 3 == 3);
        match (hardware, self.file_vault_enabled) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (None, None) => None,
            _ => Some(false),
        }
    }

    /// Apple's definition of iOS data protection: both encryption levels and a passcode, since
    /// file-level keys are only protected by the passcode.
    pub fn data_protection(&self) -> Option<bool> {
        let caps = self.hardware_encryption_caps?;
        Some(caps & 3 == 3 && self.passcode_present?)
    }
}

/// Reads a SecurityInfo result from its `SecurityInfo` dictionary.
pub fn security_info(r: &Response) -> Result<SecurityInfo, FormatError> {
    let s = Fields::nested(
        Fields::new(&r.body).req_dict("SecurityInfo")?,
        "SecurityInfo",
    );
    Ok(SecurityInfo {
        passcode_present: s.bool("PasscodePresent")?,
        passcode_compliant: s.bool("PasscodeCompliant")?,
        passcode_compliant_with_profiles: s.bool("PasscodeCompliantWithProfiles")?,
        hardware_encryption_caps: s.integer("HardwareEncryptionCaps")?,
        file_vault_enabled: s.bool("FDE_Enabled")?,
    })
}

/// One app of an InstalledApplicationList result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledApp {
    pub identifier: String,
    pub name: Option<String>,
    pub version: Option<String>,
    pub short_version: Option<String>,
    /// Bytes.
    pub bundle_size: Option<u64>,
}

/// Reads an InstalledApplicationList result. Items without an `Identifier` (which macOS may
/// send, per Apple's schema) are skipped: an app the server cannot name it cannot manage.
pub fn installed_applications(r: &Response) -> Result<Vec<InstalledApp>, FormatError> {
    let list = Fields::new(&r.body)
        .array("InstalledApplicationList")?
        .ok_or_else(|| FormatError::MissingKey("InstalledApplicationList".to_owned()))?;
    let mut apps = Vec::with_capacity(list.len());
    for (i, value) in list.iter().enumerate() {
        let a = item(value, "InstalledApplicationList", i)?;
        let Some(identifier) = a.string("Identifier")? else {
            continue;
        };
        let bundle_size = match a.integer("BundleSize")? {
            Some(size) => {
                Some(u64::try_from(size).map_err(|_| a.invalid("BundleSize", "negative"))?)
            }
            None => None,
        };
        apps.push(InstalledApp {
            identifier,
            name: a.string("Name")?,
            version: a.string("Version")?,
            short_version: a.string("ShortVersion")?,
            bundle_size,
        });
    }
    Ok(apps)
}

/// Where a device in Lost Mode is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeviceLocation {
    pub latitude: f64,
    pub longitude: f64,
    /// Metres; `None` when absent (before iOS 10.3) or negative (Apple's "unknown").
    pub horizontal_accuracy: Option<f64>,
}

/// Reads a DeviceLocation result.
pub fn device_location(r: &Response) -> Result<DeviceLocation, FormatError> {
    let f = Fields::new(&r.body);
    let latitude = f.req_real("Latitude")?;
    let longitude = f.req_real("Longitude")?;
    if !(-90.0..=90.0).contains(&latitude) {
        return Err(f.invalid("Latitude", "outside -90..=90"));
    }
    if !(-180.0..=180.0).contains(&longitude) {
        return Err(f.invalid("Longitude", "outside -180..=180"));
    }
    Ok(DeviceLocation {
        latitude,
        longitude,
        horizontal_accuracy: f.real("HorizontalAccuracy")?.filter(|a| *a >= 0.0),
    })
}

/// Apple's envelope keys of every response, which the command schemas leave out of their
/// `responsekeys`.
pub const ENVELOPE_KEYS: &[&str] = &[
    "Status",
    "CommandUUID",
    "RequestType",
    "ErrorChain",
    "UDID",
    "EnrollmentID",
    "EnrollmentUserID",
    "UserID",
    "UserShortName",
    "UserLongName",
];

impl Response {
    /// A top-level key of the body.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.body.get(key)
    }
}
