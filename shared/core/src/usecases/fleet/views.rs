//! What API readers see of devices and commands: stored records rendered with RFC 3339 times and
//! secrets masked.

use serde::Serialize;
use serde_json::Value;

use crate::domain::command::ReportedError;
use crate::domain::directory::{Compliance, Ownership};
use crate::domain::inventory::InventoryReport;
use crate::domain::time::rfc3339;
use crate::domain::{Channel, CommandStatus, DeviceState, Location, Platform, ReportStatus};
use crate::store::records::{CommandRecord, DeviceRecord, DirectoryRecord, InventoryRecord};

/// A page of a list with the cursor for the next one.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "ListingOf{T}")]
pub struct Listing<T> {
    pub items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct HistoryView {
    pub at: String,
    pub status: CommandStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ResultView {
    pub status: ReportStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ReportedError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Map<String, Value>>,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CommandView {
    pub id: String,
    pub device_id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub payload: Value,
    pub status: CommandStatus,
    pub queued_at: String,
    pub queued_by: String,
    pub deadline: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push_message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<ResultView>,
    pub history: Vec<HistoryView>,
}

impl CommandView {
    pub fn new(device_id: &str, r: &CommandRecord) -> Self {
        Self {
            id: r.id.clone(),
            device_id: device_id.to_owned(),
            kind: r.spec.kind(),
            payload: r.spec.redacted(),
            status: r.status,
            queued_at: rfc3339(r.queued_at),
            queued_by: r.queued_by.clone(),
            deadline: rfc3339(r.deadline),
            updated_at: rfc3339(r.updated_at),
            push_message_id: r.push_message_id.clone(),
            result: r.result.as_ref().map(|res| ResultView {
                status: res.status,
                error: res.error.clone(),
                data: res.data.clone(),
                at: rfc3339(res.at),
            }),
            history: r
                .history
                .iter()
                .map(|h| HistoryView {
                    at: rfc3339(h.at),
                    status: h.status,
                    detail: h.detail.clone(),
                })
                .collect(),
        }
    }
}

/// A command as the device receives it: what to do, nothing about our bookkeeping.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DeliveredCommand {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The full payload (the device needs e.g. the new passcode).
    pub payload: Value,
    pub queued_at: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LocationView {
    #[serde(flatten)]
    pub fix: Location,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DeviceView {
    pub id: String,
    pub platform: Platform,
    /// How the device is reached: `agent` (our device API) or `apple` (Apple's MDM protocol).
    pub channel: Channel,
    pub state: DeviceState,
    pub model: String,
    pub serial: String,
    /// Absent for a device without a cellular modem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imei: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imsi: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    pub os_version: String,
    pub enrolled_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub battery_level: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_free_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_total_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<LocationView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked: Option<bool>,
    pub pending_commands: i64,
    pub push_token_invalid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inventory: Option<InventoryReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inventory_reported_at: Option<String>,
}

impl DeviceView {
    pub fn new(id: &str, d: &DeviceRecord, inv: &InventoryRecord) -> Self {
        Self {
            id: id.to_owned(),
            platform: d.platform,
            channel: d.channel,
            state: d.state,
            model: inv.model.clone(),
            serial: inv.serial.clone(),
            imei: Some(inv.imei.clone()).filter(|i| !i.is_empty()),
            imsi: inv.imsi.clone(),
            phone_number: inv.phone_number.clone(),
            os_version: d.os_version.clone(),
            enrolled_at: rfc3339(d.enrolled_at),
            last_seen: d.last_seen.map(rfc3339),
            battery_level: d.battery_level,
            storage_free_bytes: d.storage_free_bytes,
            storage_total_bytes: d.storage_total_bytes,
            location: d.location.map(|fix| LocationView {
                fix,
                at: rfc3339(d.location_at.unwrap_or(d.enrolled_at)),
            }),
            locked: d.locked,
            pending_commands: d.pending.max(0),
            push_token_invalid: d.push_token_invalid,
            inventory: inv.reported.clone(),
            inventory_reported_at: inv.reported_at.map(rfc3339),
        }
    }
}

/// A device as the fleet listing and the lookups show it: its directory entry.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DeviceSummary {
    pub id: String,
    pub platform: Platform,
    pub state: DeviceState,
    pub model: String,
    pub serial: String,
    pub os_version: String,
    pub enrolled_at: String,
    /// At most an hour behind the device's own last_seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
    pub ownership: Ownership,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    pub groups: Vec<String>,
    pub compliance: Compliance,
}

impl DeviceSummary {
    pub fn new(id: &str, r: &DirectoryRecord) -> Self {
        Self {
            id: id.to_owned(),
            platform: r.platform,
            state: r.state,
            model: r.model.clone(),
            serial: r.serial.clone(),
            os_version: r.os_version.clone(),
            enrolled_at: rfc3339(r.enrolled_at),
            last_seen: r.last_seen.map(rfc3339),
            ownership: r.ownership,
            owner: r.owner.clone(),
            groups: r.groups.clone(),
            compliance: r.compliance,
        }
    }
}
