//! A tenant's lifecycle state and limits as the platform operator sets them, and the time zone
//! its admins choose, validated against the IANA database bundled into the binary (Lambda's
//! runtime image has no /usr/share/zoneinfo to rely on).

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Where a tenant is in its life. Only `Active` tenants are served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    Active,
    /// Refused everywhere (users, devices, enrolments) until resumed; nothing is deleted.
    Suspended,
    /// Refused everywhere, for good: its data is being removed.
    Deleting,
    /// Refused everywhere; its data is gone and only this status remains, so the id is never
    /// served (nor registered) again.
    Deleted,
}

/// What admitting a tenant's request needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantState {
    /// Registered by the platform operator; unregistered tenants (all that predate
    /// registration) are active, unlimited and have no device counter.
    pub registered: bool,
    pub status: TenantStatus,
    pub max_devices: Option<i64>,
}

impl TenantState {
    pub const UNREGISTERED: TenantState = TenantState {
        registered: false,
        status: TenantStatus::Active,
        max_devices: None,
    };
}

impl TenantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TenantStatus::Active => "active",
            TenantStatus::Suspended => "suspended",
            TenantStatus::Deleting => "deleting",
            TenantStatus::Deleted => "deleted",
        }
    }
}

/// The most devices a tenant may be given as a limit; far above any fleet we serve, it only
/// keeps the number meaningful.
pub const MAX_DEVICES_CEILING: i64 = 10_000_000;

/// What the platform operator limits per tenant.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct TenantLimits {
    /// Devices enrolled and not yet retired; absent or null means no limit.
    #[serde(default)]
    #[schemars(range(min = 0, max = MAX_DEVICES_CEILING))]
    pub max_devices: Option<i64>,
}

impl TenantLimits {
    pub fn validate(&self) -> Result<(), Error> {
        match self.max_devices {
            Some(n) if !(0..=MAX_DEVICES_CEILING).contains(&n) => Err(Error::invalid_field(
                "max_devices",
                format!("must be between 0 and {MAX_DEVICES_CEILING}"),
            )),
            _ => Ok(()),
        }
    }
}

/// A tenant's display name: 1 to 100 characters, no control characters.
pub fn validate_name(name: &str) -> Result<(), Error> {
    let n = name.chars().count();
    if !(1..=100).contains(&n) || name.chars().any(char::is_control) || name.trim().is_empty() {
        return Err(Error::invalid_field(
            "name",
            "must be 1 to 100 characters without control characters",
        ));
    }
    Ok(())
}

/// An IANA time zone name such as `Europe/Paris`, returned in its canonical spelling.
pub fn time_zone(name: &str) -> Result<String, Error> {
    let invalid = || Error::invalid_field("time_zone", "not an IANA time zone name");
    if name.is_empty() || name.len() > 64 {
        return Err(invalid());
    }
    let tz = jiff::tz::db().get(name).map_err(|_| invalid())?;
    Ok(tz.iana_name().unwrap_or(name).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_iana_zone_is_accepted_in_its_canonical_spelling() {
        assert_eq!(time_zone("Europe/Paris").unwrap(), "Europe/Paris");
        assert_eq!(time_zone("europe/paris").unwrap(), "Europe/Paris");
        assert_eq!(time_zone("UTC").unwrap(), "UTC");
    }

    #[test]
    fn a_made_up_or_absurd_zone_is_refused() {
        for bad in [
            "",
            "Mars/Olympus_Mons",
            "+02:00",
            "../../etc/passwd",
            &"A".repeat(65),
        ] {
            assert!(time_zone(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn limits_outside_the_sane_range_are_refused() {
        for n in [-1, MAX_DEVICES_CEILING + 1] {
            let l = TenantLimits {
                max_devices: Some(n),
            };
            assert!(l.validate().is_err(), "{n}");
        }
        assert!(TenantLimits::default().validate().is_ok());
    }
}
