//! The full inventory a device reports (hardware, OS, storage, battery, apps, security state,
//! SIM, network, location): typed and validated field by field, because it is untrusted input
//! that admins read back and whose SIM identifiers feed the lookup index.

use serde::{Deserialize, Serialize};

use super::command::e164;
use super::device::{serial, short_text};
use super::directory::imsi;
use crate::error::Error;

/// Most apps one report may list; with the route's 64 KiB body cap this keeps the stored
/// inventory item far under DynamoDB's 400 KB item limit.
pub const MAX_APPS: usize = 500;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hardware {
    #[schemars(length(max = 100), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub model: String,
    #[schemars(length(max = 100), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub manufacturer: String,
    #[schemars(regex(pattern = r"^[A-Za-z0-9-]{1,64}$"))]
    pub serial: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OperatingSystem {
    #[schemars(length(max = 50), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub name: String,
    #[schemars(length(max = 50), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 100), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub build: Option<String>,
    /// E.g. "2026-11-05" (Android) or a rapid security response name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 50), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub security_patch_level: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    pub total_bytes: u64,
    pub free_bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Battery {
    #[schemars(range(max = 100))]
    pub level: u8,
    pub charging: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstalledApp {
    #[schemars(length(max = 255), regex(pattern = crate::domain::command::APP_ID))]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 100), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 50), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sim {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]{6,15}$"))]
    pub imsi: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]{18,22}$"))]
    pub iccid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 100), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub carrier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = crate::domain::command::E164))]
    pub phone_number: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NetworkKind {
    Wifi,
    Cellular,
    Ethernet,
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Network {
    #[serde(rename = "type")]
    pub kind: NetworkKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 32), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub wifi_ssid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "ip_address_schema")]
    pub ip: Option<std::net::IpAddr>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LocatedAt {
    #[schemars(range(min = -90.0, max = 90.0))]
    pub latitude: f64,
    #[schemars(range(min = -180.0, max = 180.0))]
    pub longitude: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0e6))]
    pub accuracy_m: Option<f64>,
    /// RFC 3339, when the fix was taken.
    #[schemars(extend("format" = "date-time"))]
    pub at: String,
}

/// What `PUT /v1/device/inventory` carries. Every section is optional: a device reports what
/// its platform lets it see.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryReport {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware: Option<Hardware>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OperatingSystem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<Storage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery: Option<Battery>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 500))]
    pub apps: Option<Vec<InstalledApp>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passcode_set: Option<bool>,
    /// Rooted (Android) or jailbroken (iOS), as far as the device can tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compromised: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sim: Option<Sim>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<Network>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<LocatedAt>,
}

/// An IPv4 or IPv6 address, as the document states it: schemars would say `format: ip`, which
/// no JSON Schema tool knows, so generated requests would carry any string.
fn ip_address_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "anyOf": [
            {"type": "string", "format": "ipv4"},
            {"type": "string", "format": "ipv6"},
            {"type": "null"}
        ]
    })
}

fn opt_text(field: &str, v: Option<&String>, max: usize) -> Result<(), Error> {
    v.map_or(Ok(()), |s| short_text(field, s, max))
}

impl InventoryReport {
    pub fn validate(&self) -> Result<(), Error> {
        if let Some(h) = &self.hardware {
            short_text("hardware.model", &h.model, 100)?;
            short_text("hardware.manufacturer", &h.manufacturer, 100)?;
            serial("hardware.serial", &h.serial)?;
        }
        if let Some(os) = &self.os {
            short_text("os.name", &os.name, 50)?;
            short_text("os.version", &os.version, 50)?;
            opt_text("os.build", os.build.as_ref(), 100)?;
            opt_text(
                "os.security_patch_level",
                os.security_patch_level.as_ref(),
                50,
            )?;
        }
        if let Some(s) = &self.storage
            && s.free_bytes > s.total_bytes
        {
            return Err(Error::invalid_field(
                "storage.free_bytes",
                "cannot exceed storage.total_bytes",
            ));
        }
        if self.battery.is_some_and(|b| b.level > 100) {
            return Err(Error::invalid_field("battery.level", "must be 0 to 100"));
        }
        if let Some(apps) = &self.apps {
            if apps.len() > MAX_APPS {
                return Err(Error::invalid_field(
                    "apps",
                    format!("at most {MAX_APPS} apps"),
                ));
            }
            for (i, a) in apps.iter().enumerate() {
                super::command::app_identifier(&format!("apps[{i}].id"), &a.id)?;
                opt_text(&format!("apps[{i}].name"), a.name.as_ref(), 100)?;
                opt_text(&format!("apps[{i}].version"), a.version.as_ref(), 50)?;
            }
        }
        if let Some(sim) = &self.sim {
            if let Some(v) = &sim.imsi {
                imsi("sim.imsi", v)?;
            }
            if let Some(v) = &sim.iccid
                && (!(18..=22).contains(&v.len()) || !v.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(Error::invalid_field("sim.iccid", "must be 18 to 22 digits"));
            }
            opt_text("sim.carrier", sim.carrier.as_ref(), 100)?;
            if let Some(p) = &sim.phone_number {
                e164("sim.phone_number", p)?;
            }
        }
        if let Some(n) = &self.network {
            opt_text("network.wifi_ssid", n.wifi_ssid.as_ref(), 32)?;
            if n.wifi_ssid.is_some() && n.kind != NetworkKind::Wifi {
                return Err(Error::invalid_field(
                    "network.wifi_ssid",
                    "only a wifi network has an SSID",
                ));
            }
        }
        if let Some(l) = &self.location {
            let fix = super::Location {
                latitude: l.latitude,
                longitude: l.longitude,
                accuracy_m: l.accuracy_m,
            };
            fix.validate()?;
            if time::OffsetDateTime::parse(&l.at, &time::format_description::well_known::Rfc3339)
                .is_err()
            {
                return Err(Error::invalid_field(
                    "location.at",
                    "must be an RFC 3339 time",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(v: serde_json::Value) -> String {
        let r: InventoryReport = serde_json::from_value(v).expect("parses");
        match r.validate() {
            Err(Error::InvalidField { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_full_report_is_accepted() {
        let r: InventoryReport = serde_json::from_value(json!({
            "hardware": {"model": "Pixel 8", "manufacturer": "Google", "serial": "ABC-1"},
            "os": {"name": "Android", "version": "15", "build": "AP4A", "security_patch_level": "2026-11-05"},
            "storage": {"total_bytes": 128, "free_bytes": 64},
            "battery": {"level": 80, "charging": true},
            "apps": [{"id": "com.example.app", "name": "Example", "version": "1.2"}],
            "encrypted": true, "passcode_set": true, "compromised": false,
            "sim": {"imsi": "310150123456789", "iccid": "8901260123456789012", "carrier": "T", "phone_number": "+14155550100"},
            "network": {"type": "wifi", "wifi_ssid": "office", "ip": "10.0.0.7"},
            "location": {"latitude": 1.0, "longitude": 2.0, "at": "2026-12-01T09:00:00Z"}
        }))
        .expect("parses");
        assert_eq!(r.validate(), Ok(()));
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_value::<InventoryReport>(json!({"rooted": true})).is_err());
        assert!(
            serde_json::from_value::<InventoryReport>(json!({"sim": {"msisdn": "1"}})).is_err()
        );
    }

    #[test]
    fn bad_values_name_their_field() {
        assert_eq!(field(json!({"sim": {"imsi": "12"}})), "sim.imsi");
        assert_eq!(
            field(json!({"sim": {"phone_number": "555"}})),
            "sim.phone_number"
        );
        assert_eq!(
            field(json!({"battery": {"level": 101, "charging": false}})),
            "battery.level"
        );
        assert_eq!(
            field(json!({"apps": [{"id": "com.ok"}, {"id": "nodots"}]})),
            "apps[1].id"
        );
        assert_eq!(
            field(json!({"storage": {"total_bytes": 1, "free_bytes": 2}})),
            "storage.free_bytes"
        );
        let many: Vec<_> = (0..=MAX_APPS)
            .map(|i| json!({"id": format!("com.a{i}")}))
            .collect();
        assert_eq!(field(json!({ "apps": many })), "apps");
    }
}
