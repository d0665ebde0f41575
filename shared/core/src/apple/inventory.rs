//! Apple's answers to inventory queries (DeviceInformation, SecurityInfo,
//! InstalledApplicationList) as our inventory report, merged into what the device reported
//! before: each answer tells only a part, and the inventory is one whole report.

use mdm_apple::response::{DeviceInformation, InstalledApp as AppleApp, SecurityInfo};

use crate::domain::inventory::{
    Battery, Hardware, InstalledApp, InventoryReport, MAX_APPS, OperatingSystem, Sim, Storage,
};
use crate::domain::{CheckinRequest, DeviceCredential};
use crate::error::Error;
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{InventoryRecord, from_item};

const GB: f64 = 1_000_000_000.0;

fn bytes(gb: Option<f64>) -> Option<u64> {
    gb.filter(|g| g.is_finite() && *g >= 0.0)
        .map(|g| (g * GB) as u64)
}

/// A value fit for a short text field, or nothing.
fn fit(v: &Option<String>, max: usize) -> Option<String> {
    v.clone()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control))
}

/// Whether an Apple product name or model (`MacBookPro18,3`, `Mac14,2`, `iMac21,1`,
/// `Macmini9,1`, `VirtualMac2,1`) is a Mac's; iPhones and iPads are `iPhone…` and `iPad…`.
pub fn is_mac_product(name: &str) -> bool {
    ["Mac", "iMac", "VirtualMac"]
        .iter()
        .any(|prefix| name.starts_with(prefix))
}

/// What a DeviceInformation answer says, as the parts of a report it fills.
pub fn from_device_information(i: &DeviceInformation) -> InventoryReport {
    let product_is_mac = [&i.product_name, &i.model_name, &i.model]
        .iter()
        .any(|n| n.as_deref().is_some_and(is_mac_product));
    let serial =
        fit(&i.serial_number, 64).filter(|s| crate::domain::device::serial("serial", s).is_ok());
    let model = fit(&i.product_name, 100)
        .or_else(|| fit(&i.model_name, 100))
        .or_else(|| fit(&i.model, 100));
    let hardware = match (model, serial) {
        (Some(model), Some(serial)) => Some(Hardware {
            model,
            manufacturer: "Apple".into(),
            serial,
        }),
        _ => None,
    };
    let os = fit(&i.os_version, 50).map(|version| OperatingSystem {
        name: if product_is_mac { "macOS" } else { "iOS" }.into(),
        version,
        build: fit(&i.build_version, 100),
        security_patch_level: None,
    });
    let storage = match (
        bytes(i.device_capacity_gb),
        bytes(i.available_device_capacity_gb),
    ) {
        (Some(total), Some(free)) if free <= total => Some(Storage {
            total_bytes: total,
            free_bytes: free,
        }),
        _ => None,
    };
    let battery = i
        .battery_level
        .filter(|l| (0.0..=1.0).contains(l))
        .map(|l| Battery {
            level: (l * 100.0).round() as u8,
            charging: false,
        });
    let phone = i
        .phone_number
        .clone()
        .map(|p| {
            p.chars()
                .filter(|c| c.is_ascii_digit() || *c == '+')
                .collect::<String>()
        })
        .filter(|p| crate::domain::command::e164("phone_number", p).is_ok());
    let iccid = fit(&i.iccid, 30).map(|s| s.replace(' ', ""));
    let sim = (iccid.is_some() || phone.is_some()).then_some(Sim {
        imsi: None,
        iccid,
        carrier: None,
        phone_number: phone,
    });
    InventoryReport {
        hardware,
        os,
        storage,
        battery,
        sim,
        ..Default::default()
    }
}

pub fn from_security_info(s: &SecurityInfo) -> InventoryReport {
    InventoryReport {
        encrypted: s.encrypted(),
        passcode_set: s.passcode_present,
        ..Default::default()
    }
}

pub fn from_installed_apps(apps: &[AppleApp]) -> InventoryReport {
    let apps = apps
        .iter()
        .filter(|a| crate::domain::command::app_identifier("id", &a.identifier).is_ok())
        .take(MAX_APPS)
        .map(|a| InstalledApp {
            id: a.identifier.clone(),
            name: fit(&a.name, 100),
            version: fit(&a.short_version, 50).or_else(|| fit(&a.version, 50)),
        })
        .collect();
    InventoryReport {
        apps: Some(apps),
        ..Default::default()
    }
}

/// `new`'s sections over `old`'s: a section the answer did not carry stays as it was.
pub fn merge(old: InventoryReport, new: InventoryReport) -> InventoryReport {
    InventoryReport {
        hardware: new.hardware.or(old.hardware),
        os: new.os.or(old.os),
        storage: new.storage.or(old.storage),
        battery: new.battery.or(old.battery),
        apps: new.apps.or(old.apps),
        encrypted: new.encrypted.or(old.encrypted),
        passcode_set: new.passcode_set.or(old.passcode_set),
        compromised: new.compromised.or(old.compromised),
        sim: new.sim.or(old.sim),
        network: new.network.or(old.network),
        location: new.location.or(old.location),
    }
}

/// Stores one answer's part of the inventory, through the same use case as an agent's report
/// (lookups, SIM change events and compliance included); the OS version, battery and storage
/// also go to the device's hot item, as an agent's check-in carries them.
pub async fn record(
    svc: &Services,
    cred: &DeviceCredential,
    part: InventoryReport,
) -> Result<(), Error> {
    let before: Option<InventoryRecord> = svc
        .table
        .get(&keys::inventory(&cred.tenant, &cred.device), true)
        .await?
        .map(|i| from_item(&i))
        .transpose()?;
    let hot = CheckinRequest {
        os_version: part.os.as_ref().map(|o| o.version.clone()),
        battery_level: part.battery.map(|b| b.level),
        storage_free_bytes: part.storage.map(|s| s.free_bytes),
        storage_total_bytes: part.storage.map(|s| s.total_bytes),
        ..Default::default()
    };
    let merged = merge(before.and_then(|b| b.reported).unwrap_or_default(), part);
    crate::usecases::device::inventory::report(svc, cred, merged).await?;
    if hot.os_version.is_some() || hot.battery_level.is_some() || hot.storage_total_bytes.is_some()
    {
        crate::usecases::device::checkin::checkin(svc, cred, hot).await?;
    }
    Ok(())
}
