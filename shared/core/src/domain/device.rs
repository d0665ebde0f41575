//! What devices send at enrolment and check-in, validated before anything is stored.

use serde::{Deserialize, Serialize};

use super::command::e164;
use super::{Imei, Platform};
use crate::error::Error;

/// Longest push token accepted; keeps the device's hot item well under 1 KB.
pub const MAX_PUSH_TOKEN: usize = 400;

/// A device's enrolment request.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    pub enrollment_token: String,
    pub platform: Platform,
    #[schemars(length(max = 100), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub model: String,
    #[schemars(length(max = 50), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub os_version: String,
    #[schemars(regex(pattern = r"^[A-Za-z0-9-]{1,64}$"))]
    pub serial: String,
    pub imei: Imei,
    #[serde(default)]
    #[schemars(regex(pattern = r"^[0-9]{6,15}$"))]
    pub imsi: Option<String>,
    #[serde(default)]
    #[schemars(regex(pattern = crate::domain::command::E164))]
    pub phone_number: Option<String>,
    #[schemars(length(max = MAX_PUSH_TOKEN), regex(pattern = r"^[\x21-\x7E]+$"))]
    pub push_token: String,
    /// Apple MDM only: the PushMagic string the device gave in its TokenUpdate, echoed in every
    /// MDM wake-up so the device knows the push is ours.
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Za-z0-9-]{1,64}$"))]
    pub push_magic: Option<String>,
}

impl EnrollRequest {
    pub fn validate(&self) -> Result<(), Error> {
        short_text("model", &self.model, 100)?;
        short_text("os_version", &self.os_version, 50)?;
        serial("serial", &self.serial)?;
        if let Some(imsi) = &self.imsi {
            super::directory::imsi("imsi", imsi)?;
        }
        if let Some(p) = &self.phone_number {
            e164("phone_number", p)?;
        }
        push_token(&self.push_token)?;
        push_magic(self.push_magic.as_deref())
    }
}

/// Longest PushMagic accepted (Apple sends a UUID).
pub const MAX_PUSH_MAGIC: usize = 64;

pub fn push_magic(magic: Option<&str>) -> Result<(), Error> {
    let ok = magic.is_none_or(|m| {
        (1..=MAX_PUSH_MAGIC).contains(&m.len())
            && m.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_field(
            "push_magic",
            format!("must be 1 to {MAX_PUSH_MAGIC} letters, digits or dashes"),
        ))
    }
}

pub fn push_token(token: &str) -> Result<(), Error> {
    if token.is_empty() || token.len() > MAX_PUSH_TOKEN || token.chars().any(char::is_whitespace) {
        return Err(Error::invalid_field(
            "push_token",
            format!("must be 1 to {MAX_PUSH_TOKEN} characters without spaces"),
        ));
    }
    Ok(())
}

/// A serial number: 1 to 64 letters, digits or dashes (it is part of a lookup key).
pub fn serial(field: &str, s: &str) -> Result<(), Error> {
    let ok =
        (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_field(
            field,
            "must be 1 to 64 letters, digits or dashes",
        ))
    }
}

/// What `short_text` admits, as a JSON Schema pattern (with `maxLength` for the length): no
/// control characters, not blank.
/// Text without control characters (which may be blank): labels and notes.
pub const NO_CONTROL: &str = r"^[^\x00-\x1F\x7F-\x9F]*$";

pub const SHORT_TEXT: &str =
    r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$";

pub(crate) fn short_text(field: &str, s: &str, max: usize) -> Result<(), Error> {
    if s.trim().is_empty() || s.chars().count() > max || s.chars().any(char::is_control) {
        return Err(Error::invalid_field(
            field,
            format!("must be 1 to {max} printable characters"),
        ));
    }
    Ok(())
}

/// A position fix.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    #[schemars(range(min = -90.0, max = 90.0))]
    pub latitude: f64,
    #[schemars(range(min = -180.0, max = 180.0))]
    pub longitude: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0e6))]
    pub accuracy_m: Option<f64>,
}

impl Location {
    pub fn validate(&self) -> Result<(), Error> {
        let ok = (-90.0..=90.0).contains(&self.latitude)
            && (-180.0..=180.0).contains(&self.longitude)
            && self.accuracy_m.is_none_or(|a| (0.0..=1.0e6).contains(&a));
        if ok {
            Ok(())
        } else {
            Err(Error::invalid_field(
                "location",
                "latitude must be within ±90, longitude within ±180, accuracy 0 to 1e6 m",
            ))
        }
    }
}

/// What a device reports when it checks in; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckinRequest {
    #[serde(default)]
    #[schemars(range(max = 100))]
    pub battery_level: Option<u8>,
    #[serde(default)]
    pub storage_free_bytes: Option<u64>,
    #[serde(default)]
    pub storage_total_bytes: Option<u64>,
    #[serde(default)]
    #[schemars(length(max = 50), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub os_version: Option<String>,
    #[serde(default)]
    pub location: Option<Location>,
    /// A rotated push token.
    #[serde(default)]
    #[schemars(length(max = MAX_PUSH_TOKEN), regex(pattern = r"^[\x21-\x7E]+$"))]
    pub push_token: Option<String>,
    /// A rotated PushMagic (Apple MDM), sent with the token it belongs to.
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Za-z0-9-]{1,64}$"))]
    pub push_magic: Option<String>,
    /// The version of the policy the device has applied (as it was sent in a check-in reply).
    #[serde(default)]
    pub policy_version: Option<String>,
    /// Mobile data used this month, for a data cap rule.
    #[serde(default)]
    pub data_usage: Option<super::compliance::DataUsage>,
    /// The device's IANA time zone, for schedules read in it; sent when it changes.
    #[serde(default)]
    pub time_zone: Option<String>,
}

impl CheckinRequest {
    pub fn validate(&self) -> Result<(), Error> {
        if self.battery_level.is_some_and(|b| b > 100) {
            return Err(Error::invalid_field("battery_level", "must be 0 to 100"));
        }
        if let (Some(free), Some(total)) = (self.storage_free_bytes, self.storage_total_bytes)
            && free > total
        {
            return Err(Error::invalid_field(
                "storage_free_bytes",
                "cannot exceed storage_total_bytes",
            ));
        }
        if let Some(v) = &self.os_version {
            short_text("os_version", v, 50)?;
        }
        if let Some(v) = &self.policy_version
            && (v.is_empty() || v.len() > 64 || !v.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            return Err(Error::invalid_field(
                "policy_version",
                "must be a version a check-in reply gave",
            ));
        }
        if let Some(l) = &self.location {
            l.validate()?;
        }
        if let Some(u) = &self.data_usage {
            u.validate()?;
        }
        if let Some(z) = &self.time_zone {
            super::tenant::time_zone(z)?;
        }
        if let Some(t) = &self.push_token {
            push_token(t)?;
        } else if self.push_magic.is_some() {
            return Err(Error::invalid_field(
                "push_magic",
                "is sent only together with the push_token it belongs to",
            ));
        }
        push_magic(self.push_magic.as_deref())
    }
}

/// How a device is reached and speaks to us (DESIGN §7): exactly one channel per device, chosen
/// at enrolment. Everything past the edge (lifecycle, audit, jobs, compliance, webhooks) is the
/// same for every channel.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Our JSON device API, spoken by an agent app (and the simulator).
    #[default]
    Agent,
    /// Apple's MDM protocol: SCEP identity, plist check-ins and the command endpoint.
    Apple,
}

impl Channel {
    pub fn is_agent(&self) -> bool {
        *self == Channel::Agent
    }
}

/// Whether a device may still talk to us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    Enrolled,
    /// Wiped by command: the credential is revoked.
    Wiped,
    /// Enterprise-wiped or unenrolled: the credential is revoked.
    Unenrolled,
    /// Decommissioned after it was unenrolled or wiped: out of the default listing and the
    /// lookups; its record and command history stay readable.
    Retired,
}

impl DeviceState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceState::Enrolled => "enrolled",
            DeviceState::Wiped => "wiped",
            DeviceState::Unenrolled => "unenrolled",
            DeviceState::Retired => "retired",
        }
    }
}
