//! Identifier newtypes, parsed at the edge so that only valid values travel inward.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::Error;

macro_rules! id_type {
    ($name:ident, $what:literal, $pattern:literal, $valid:expr) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: &str) -> Result<Self, Error> {
                let valid: fn(&str) -> bool = $valid;
                if valid(s) {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(Error::invalid_field($what, concat!("not a valid ", $what)))
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({"type": "string", "pattern": $pattern})
            }
        }
    };
}

/// Ids we generate: ULIDs or test ids, 1-40 characters of [0-9A-Za-z].
fn is_generated_id(s: &str) -> bool {
    (1..=40).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

id_type!(
    TenantId,
    "tenant",
    "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
    |s: &str| {
        (1..=63).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
    }
);
id_type!(
    DeviceId,
    "device_id",
    "^[0-9A-Za-z]{1,40}$",
    is_generated_id
);
id_type!(
    CommandId,
    "command_id",
    "^[0-9A-Za-z]{1,40}$",
    is_generated_id
);
id_type!(
    EnrollmentTokenId,
    "enrollment_token_id",
    "^[0-9A-Za-z]{1,40}$",
    is_generated_id
);

id_type!(GroupId, "group_id", "^[0-9A-Za-z]{1,40}$", is_generated_id);
id_type!(JobId, "job_id", "^[0-9A-Za-z]{1,40}$", is_generated_id);
id_type!(
    PolicyId,
    "policy_id",
    "^[0-9A-Za-z]{1,40}$",
    is_generated_id
);
id_type!(
    WebhookId,
    "webhook_id",
    "^[0-9A-Za-z]{1,40}$",
    is_generated_id
);
// A published event's id (a ULID): what receivers deduplicate on, and the sort key of its
// delivery records, so a listing of deliveries is newest first.
id_type!(EventId, "event_id", "^[0-9A-Za-z]{1,40}$", is_generated_id);
id_type!(
    CatalogueId,
    "catalogue_id",
    "^[0-9A-Za-z]{1,40}$",
    is_generated_id
);

id_type!(
    GeofenceId,
    "geofence_id",
    "^[0-9A-Za-z]{1,40}$",
    is_generated_id
);

impl GeofenceId {
    /// An id the `IdGen` port just generated (trusted, so not parsed again).
    pub fn from_generated(s: String) -> Self {
        Self(s)
    }
}

impl CatalogueId {
    /// An id the `IdGen` port just generated (trusted, so not parsed again).
    pub fn from_generated(s: String) -> Self {
        Self(s)
    }
}

impl WebhookId {
    /// An id the `IdGen` port just generated (trusted, so not parsed again).
    pub fn from_generated(s: String) -> Self {
        Self(s)
    }
}

impl EventId {
    /// An id the `IdGen` port just generated (trusted, so not parsed again).
    pub fn from_generated(s: String) -> Self {
        Self(s)
    }
}

impl PolicyId {
    /// An id the `IdGen` port just generated (trusted, so not parsed again).
    pub fn from_generated(s: String) -> Self {
        Self(s)
    }
}

impl GroupId {
    /// An id the `IdGen` port just generated (trusted, so not parsed again).
    pub fn from_generated(s: String) -> Self {
        Self(s)
    }
}

impl JobId {
    /// An id the `IdGen` port just generated (trusted, so not parsed again).
    pub fn from_generated(s: String) -> Self {
        Self(s)
    }

    /// Every command a job queues carries the job's id as its own: ids need only be unique
    /// within a device, and a retried fan-out step then finds the command it already wrote.
    pub fn command_id(&self) -> CommandId {
        CommandId(self.0.clone())
    }
}

impl DeviceId {
    /// An id the `IdGen` port just generated (trusted, so not parsed again).
    pub fn from_generated(s: String) -> Self {
        Self(s)
    }
}

impl CommandId {
    /// An id the `IdGen` port just generated (trusted, so not parsed again).
    pub fn from_generated(s: String) -> Self {
        Self(s)
    }
}

impl EnrollmentTokenId {
    /// An id the `IdGen` port just generated (trusted, so not parsed again).
    pub fn from_generated(s: String) -> Self {
        Self(s)
    }
}

/// A device's mobile platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Android,
    /// iPhones and iPads (iOS and iPadOS).
    Ios,
    Macos,
}

impl Platform {
    pub const ALL: [Platform; 3] = [Platform::Android, Platform::Ios, Platform::Macos];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Android => "android",
            Platform::Ios => "ios",
            Platform::Macos => "macos",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "android" => Some(Platform::Android),
            "ios" => Some(Platform::Ios),
            "macos" => Some(Platform::Macos),
            _ => None,
        }
    }

    /// The platform whose push settings wake this one's devices: one APNs MDM push
    /// certificate wakes iPhones, iPads and Macs alike, so Macs use the `ios` settings.
    pub fn push_settings(self) -> Platform {
        match self {
            Platform::Macos => Platform::Ios,
            other => other,
        }
    }

    /// Apple's own platforms (APNs wake-ups, Apple's MDM protocol possible).
    pub fn is_apple(self) -> bool {
        matches!(self, Platform::Ios | Platform::Macos)
    }
}

/// A tenant user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything in the tenant.
    Admin,
    /// Devices and commands, but no policy or enrollment-token changes.
    Operator,
    /// Read only.
    Auditor,
    /// Only the devices enrolled to the same subject.
    User,
}

impl Role {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Role::Admin),
            "operator" => Some(Role::Operator),
            "auditor" => Some(Role::Auditor),
            "user" => Some(Role::User),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Auditor => "auditor",
            Role::User => "user",
        }
    }
}

/// A 15-digit IMEI whose last digit is its Luhn check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Imei(String);

impl Imei {
    pub fn parse(s: &str) -> Result<Self, Error> {
        if s.len() != 15 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid_field(
                "imei",
                "an IMEI has exactly 15 digits",
            ));
        }
        if !luhn_valid(s) {
            return Err(Error::invalid_field(
                "imei",
                "the IMEI check digit is wrong",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Imei {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Imei {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Imei".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9]{15}$",
            "description": "15 digits, the last being the Luhn check digit"
        })
    }
}

fn luhn_valid(digits: &str) -> bool {
    let (body, check) = digits.split_at(digits.len() - 1);
    luhn_check_digit(body).to_string() == check
}

/// The Luhn check digit that completes `body` (ASCII digits), as IMEIs carry in last place.
pub fn luhn_check_digit(body: &str) -> u32 {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b.wrapping_sub(b'0'));
            // Doubling starts next to where the check digit goes.
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_imei_with_a_correct_check_digit_is_accepted() {
        assert!(Imei::parse("490154203237518").is_ok());
    }

    #[test]
    fn an_imei_with_a_wrong_check_digit_or_length_is_refused() {
        assert!(Imei::parse("490154203237519").is_err());
        assert!(Imei::parse("49015420323751").is_err());
        assert!(Imei::parse("49015420323751a").is_err());
    }

    #[test]
    fn tenant_ids_are_lowercase_slugs() {
        assert!(TenantId::parse("acme-2").is_ok());
        for bad in ["", "Acme", "a#b", "-a", "a-", &"a".repeat(64)] {
            assert!(TenantId::parse(bad).is_err(), "{bad}");
        }
    }
}
