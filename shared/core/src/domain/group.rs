//! Device groups' pure rules: what a group may be called, how many groups a device may be in
//! and how many devices one call on a list of devices (membership, policy assignment) may name.

use serde::{Deserialize, Serialize};

use super::DeviceId;
use super::device::short_text;
use crate::error::Error;

/// A device's group ids are kept on its directory entry (so the fleet listing filters by group
/// in the same read), which bounds how many groups one device may belong to.
pub const MAX_GROUPS_PER_DEVICE: usize = 25;

/// Devices one call on a list of devices (a group's add or remove, a policy's assignment) may
/// name: each is its own small transaction.
pub const MAX_DEVICES_PER_CALL: usize = 100;

/// A group's name as shown to admins: 1 to 100 printable characters, kept as given.
pub fn validate_name(name: &str) -> Result<(), Error> {
    short_text("name", name, 100)
}

/// The devices named by a call on a list of devices: at least one, at most
/// `MAX_DEVICES_PER_CALL`, each once.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceIds {
    #[schemars(length(min = 1, max = 100))]
    #[schemars(extend("uniqueItems" = true))]
    pub devices: Vec<DeviceId>,
}

impl DeviceIds {
    pub fn validate(&self) -> Result<(), Error> {
        if self.devices.is_empty() || self.devices.len() > MAX_DEVICES_PER_CALL {
            return Err(Error::invalid_field(
                "devices",
                format!("must name 1 to {MAX_DEVICES_PER_CALL} devices"),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(twice) = self.devices.iter().find(|d| !seen.insert(*d)) {
            return Err(Error::invalid_field(
                "devices",
                format!("names device {twice} twice"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> DeviceIds {
        DeviceIds {
            devices: (0..n)
                .map(|i| DeviceId::parse(&format!("D{i}")).unwrap())
                .collect(),
        }
    }

    #[test]
    fn a_membership_call_names_one_to_a_hundred_distinct_devices() {
        assert!(ids(1).validate().is_ok());
        assert!(ids(100).validate().is_ok());
        assert!(ids(0).validate().is_err());
        assert!(ids(101).validate().is_err());
        let mut twice = ids(3);
        twice.devices.push(twice.devices[0].clone());
        assert!(twice.validate().is_err());
    }

    #[test]
    fn group_names_are_short_printable_text() {
        assert!(validate_name("Sales – Paris").is_ok());
        for bad in ["", "   ", "a\nb", &"x".repeat(101)] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }
}
