//! Typed records and their mapping to table items, so use cases never juggle raw attributes.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::directory::{Compliance, Ownership};
use crate::domain::inventory::InventoryReport;
use crate::domain::{
    Channel, CommandSpec, CommandStatus, DeviceState, Location, Platform, ReportStatus,
};
use crate::error::StoreError;
use crate::ports::{Item, Key};

/// Attribute names used in conditions and updates; they must match the serde field names below.
pub mod attr {
    pub const STATE: &str = "state";
    pub const PLATFORM: &str = "platform";
    pub const CRED: &str = "cred";
    pub const PENDING: &str = "pending";
    pub const STATUS: &str = "status";
    pub const HISTORY: &str = "history";
    pub const REMAINING: &str = "remaining";
    pub const EXPIRES_AT: &str = "expires_at";
    pub const REVOKED: &str = "revoked";
    pub const SECRET_HASH: &str = "secret_hash";
    pub const OWNER: &str = "owner";
    pub const LEASE_UNTIL: &str = "lease_until";
    pub const LAST_SEEN: &str = "last_seen";
    pub const OS_VERSION: &str = "os_version";
    pub const DIR: &str = "dir";
    pub const IMSI: &str = "imsi";
    pub const PHONE_NUMBER: &str = "phone_number";
    pub const TTL: &str = crate::ports::table::TTL_ATTR;
    pub const GROUPS: &str = "groups";
    pub const GROUPS_VERSION: &str = "gv";
    pub const MEMBERS: &str = "members";
    pub const CURSOR: &str = "cursor";
    pub const POLICY: &str = "policy";
    pub const POLICY_VERSION: &str = "pv";
    pub const POLICY_APPLIED: &str = "pa";
    pub const NAME: &str = "name";
    pub const MAX_DEVICES: &str = "max_devices";
    /// The tenant's device counter: enrolled and not yet retired, since it was registered.
    pub const DEVICES: &str = "devices";
    pub const TIME_ZONE: &str = "time_zone";
    pub const CREATED_AT: &str = "created_at";
    pub const UPDATED_AT: &str = "updated_at";
    pub const SCHEDULE_CHANGE: &str = "sw";
    pub const DEVICE_TIME_ZONE: &str = "tz";
    pub const COMPLIANCE_SUMMARY: &str = "cs";
    pub const COMPLIANCE: &str = "compliance";
    pub const APPLE_MODERN_CRYPTO_ONLY: &str = "apple_modern_crypto_only";
    pub const REV: &str = "rev";
    pub const ATTEMPTS: &str = "attempts";
    pub const AUTHENTICATED_AT: &str = "authenticated_at";
    pub const BATTERY_LEVEL: &str = "battery_level";
    pub const BODY: &str = "body";
    pub const CONTENT_TYPE: &str = "content_type";
    pub const DELIVERED: &str = "delivered";
    pub const FANNED_OUT: &str = "fanned_out";
    pub const FINGERPRINT: &str = "fingerprint";
    pub const LOCATION: &str = "location";
    pub const LOCATION_AT: &str = "location_at";
    pub const LOCKED: &str = "locked";
    pub const NOT_NOW_AT: &str = "not_now_at";
    pub const NOT_QUEUED: &str = "not_queued";
    pub const PREV: &str = "prev";
    pub const PREVIOUS_SECRET_UNTIL: &str = "previous_secret_until";
    pub const PRIORITY: &str = "priority";
    pub const PUSH_MAGIC: &str = "push_magic";
    pub const PUSH_MESSAGE_ID: &str = "push_message_id";
    pub const PUSH_TOKEN: &str = "push_token";
    pub const PUSH_TOKEN_INVALID: &str = "push_token_invalid";
    pub const QUEUED: &str = "queued";
    pub const REPORTED: &str = "reported";
    pub const REPORTED_AT: &str = "reported_at";
    pub const RESULT: &str = "result";
    pub const SHAPE: &str = "shape";
    pub const STORAGE_FREE_BYTES: &str = "storage_free_bytes";
    pub const STORAGE_TOTAL_BYTES: &str = "storage_total_bytes";
    pub const TARGETED: &str = "targeted";
    pub const TOPIC: &str = "topic";
    pub const VERSION: &str = "version";
}

pub fn to_item<T: Serialize>(key: Key, record: &T) -> Item {
    let attrs = match serde_json::to_value(record) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    Item::new(key, attrs)
}

pub fn from_item<T: DeserializeOwned>(item: &Item) -> Result<T, StoreError> {
    serde_json::from_value(Value::Object(item.attrs.clone()))
        .map_err(|e| StoreError::Corrupt(format!("{}/{}: {e}", item.key.pk, item.key.sk)))
}

/// The device's small, hot item: everything a check-in touches. Kept well under 1 KB so an idle
/// check-in costs one write unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceRecord {
    pub state: DeviceState,
    /// SHA-256 of the credential secret.
    pub cred: String,
    pub platform: Platform,
    /// How the device is reached (absent: the agent API, as for every device before channels).
    #[serde(rename = "ch", default, skip_serializing_if = "Channel::is_agent")]
    pub channel: Channel,
    pub push_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_magic: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub push_token_invalid: bool,
    /// Open commands (queued, sent, fetched or deferred).
    #[serde(default)]
    pub pending: i64,
    pub enrolled_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery_level: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_free_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_total_bytes: Option<u64>,
    pub os_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked: Option<bool>,
    /// The last directory refresh (`domain::directory::refresh_mark`): the check-in's ALL_NEW
    /// answer carries it, so the check-in knows without a read whether the directory is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<i64>,
    /// The version of the device's effective policy (none: no policy applies), and the
    /// version the device last said it applied: a check-in carries the policy while they differ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pa: Option<String>,
    /// Counted in its tenant's device counter at enrolment, so retiring it gives the place
    /// back (devices of tenants registered later were never counted and give nothing back).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub counted: bool,
    /// What the last compliance evaluation left for check-ins to answer with; none: no rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cs: Option<ComplianceSummary>,
    /// When the set of open schedules of the device's policy next changes (none: no
    /// schedules): the first check-in after it sets `pv` anew.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sw: Option<i64>,
    /// The IANA time zone the device reports, for schedules read in the device's zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tz: Option<String>,
}

/// The tenant item. Every field is optional because tenants that predate registration have
/// an item with only `created_at` (or none at all): such a tenant is active and unlimited.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TenantRecord {
    #[serde(default)]
    pub created_at: i64,
    /// Absent for a tenant the platform operator never registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<crate::domain::TenantStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_devices: Option<i64>,
    #[serde(default)]
    pub devices: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
    /// Apple enrolment accepts only AES, SHA-256 and RSA 2048+ in SCEP (see apple::scep).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub apple_modern_crypto_only: bool,
}

/// A registered tenant's entry in the platform's list: a copy of what the listing shows, kept
/// in step by the lifecycle's transactions (the device counter stays on the tenant item only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlatformTenantRecord {
    pub status: crate::domain::TenantStatus,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_devices: Option<i64>,
    pub created_at: i64,
}

/// The device's static inventory, written at enrolment and on inventory reports, never on an
/// idle check-in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InventoryRecord {
    pub model: String,
    pub serial: String,
    /// Empty for a device without a cellular modem (an iPad without SIM, a Mac).
    #[serde(default)]
    pub imei: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imsi: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    pub enrollment_token: String,
    /// The device's last full inventory report (`PUT /v1/device/inventory`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported: Option<InventoryReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_at: Option<i64>,
}

/// A device's entry in its tenant's directory: what listings filter on and show, in a shard
/// partition of the tenant (never on the check-in path except for the hourly refresh).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DirectoryRecord {
    pub platform: Platform,
    pub os_version: String,
    pub state: DeviceState,
    pub model: String,
    pub serial: String,
    pub enrolled_at: i64,
    /// Refreshed at most hourly by check-ins, so at most an hour behind the device item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<i64>,
    #[serde(default)]
    pub ownership: Ownership,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    /// Bumped by every change to `groups`: membership changes read the list and write it back
    /// on the condition that nobody changed it in between.
    #[serde(default)]
    pub gv: i64,
    /// The policy assigned to this device itself (it takes precedence over its groups').
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(default)]
    pub compliance: Compliance,
    /// The SIM identifiers the lookup index holds for this device, so a SIM swap knows which
    /// index entries to replace without reading the (large) inventory item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imsi: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// The IMSI the device enrolled with: the `sim_unchanged` rule's reference (absent for
    /// devices enrolled without a SIM, or before the rule existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrolled_imsi: Option<String>,
}

/// A lookup index entry: the device id is its sort key; nothing else is needed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexRecord {
    pub at: i64,
}

/// One lifecycle event of a command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub at: i64,
    pub status: CommandStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A device's result as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredResult {
    pub status: ReportStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<crate::domain::command::ReportedError>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Map<String, Value>>,
    pub at: i64,
}

/// A command, open (under `D#C#`) or closed (under `C#`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandRecord {
    pub id: String,
    pub spec: CommandSpec,
    pub status: CommandStatus,
    pub queued_at: i64,
    pub queued_by: String,
    pub deadline: i64,
    pub updated_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_message_id: Option<String>,
    /// When the device last said not_now; it is not served again until it checks in after this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_now_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<StoredResult>,
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
    /// The job that queued this command (its id is then the job's): its transitions count
    /// towards the job's progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
}

impl CommandRecord {
    /// A command just queued at `now` by `by` (a principal's name), open until `deadline`;
    /// `job` when a job queued it, whose id the command then shares (see `JobId`). The only
    /// constructor of a new command, so every command starts with the same history.
    pub fn queued(
        id: String,
        spec: CommandSpec,
        by: &str,
        now: i64,
        deadline: i64,
        job: Option<&str>,
    ) -> Self {
        Self {
            id,
            spec,
            status: CommandStatus::Queued,
            queued_at: now,
            queued_by: by.to_owned(),
            deadline,
            updated_at: now,
            push_message_id: None,
            not_now_at: None,
            result: None,
            history: vec![HistoryEntry {
                at: now,
                status: CommandStatus::Queued,
                detail: job.map(|j| format!("job {j}")),
            }],
            job: job.map(str::to_owned),
        }
    }
}

/// An enrollment token as stored (its secret only as a hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrollmentTokenRecord {
    pub id: String,
    pub secret_hash: String,
    pub created_at: i64,
    pub created_by: String,
    pub expires_at: i64,
    pub max_uses: i64,
    /// Uses left; decremented under the condition that it is at least 1.
    pub remaining: i64,
    #[serde(default)]
    pub revoked: bool,
    /// The admin's note of what the token is for ("warehouse scanners").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// DynamoDB TTL (seconds): the store may drop the token a day after it expired.
    pub ttl: i64,
    /// Who owns the devices enrolled with it: corporate (an admin's token) or personal (a
    /// user's own, BYOD), and the user they are enrolled to (their self-service reaches them).
    #[serde(default)]
    pub ownership: crate::domain::directory::Ownership,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The group devices join and the policy assigned to them at enrolment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

/// One entry of the tenant's audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub at: i64,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<Value>,
    /// DynamoDB TTL (seconds): the entry's end of retention. Entries written before retention
    /// existed have none and are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<i64>,
}

/// Where an idempotent request stands: running under a lease, or done with its response kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdempotencyState {
    Pending,
    Complete,
}

/// A request made with an Idempotency-Key: what it was (a fingerprint) and, once it finished,
/// the response to replay to its retries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// SHA-256 of method, path and body: a retry must match it.
    pub fingerprint: String,
    pub state: IdempotencyState,
    /// The attempt holding the lease; only it may complete or release the record.
    pub owner: String,
    /// A pending record whose lease has passed (its request died) may be taken over.
    pub lease_until: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// DynamoDB TTL (seconds): the key is forgotten a day after first use.
    pub ttl: i64,
}

/// A device group as listed (its members live in their own partition).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRecord {
    pub name: String,
    pub created_at: i64,
    pub created_by: String,
    pub updated_at: i64,
    /// Kept by the same transactions that add and remove members.
    #[serde(default)]
    pub members: i64,
    /// The policy assigned to the group's members, and its priority among their groups'.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(default)]
    pub priority: i64,
}

/// A group member: the device id is its sort key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberRecord {
    pub added_at: i64,
}

/// A job: its command, its target, how far the fan-out has come and its counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: String,
    pub spec: CommandSpec,
    pub target: crate::domain::job::JobTarget,
    pub created_at: i64,
    pub created_by: String,
    /// Every command of the job expires at this time.
    pub deadline: i64,
    /// Where the next fan-out step starts (its meaning depends on the target); a step runs
    /// only when its message names this position, so a repeated message does nothing twice.
    pub cursor: String,
    /// Where the step before the current one started: a repeat of that step's message only
    /// re-sends what the step sends after it commits (a crash may have lost those sends).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    #[serde(default)]
    pub fanned_out: bool,
    /// Only devices of this platform get the command (the others count as not queued): set
    /// for an app of the catalogue, which is built for one platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    #[serde(flatten)]
    pub progress: crate::domain::job::JobProgress,
}

/// A job's entry in the tenant's job listing: what it is, not how far it came.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobEntryRecord {
    pub created_at: i64,
}

/// A policy's current version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyRecord {
    pub name: String,
    pub version: i64,
    pub document: crate::domain::policy::PolicyDocument,
    pub created_at: i64,
    pub created_by: String,
    pub updated_at: i64,
    pub updated_by: String,
}

/// One version of a policy, kept as it was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyVersionRecord {
    /// The policy's name at this version; absent on versions written before it was kept here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub document: crate::domain::policy::PolicyDocument,
    pub at: i64,
    pub by: String,
}

/// An assignment of a policy (its scope is the sort key), or the tenant's default policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyUseRecord {
    pub policy: String,
    pub at: i64,
    pub by: String,
    /// A group's priority, copied from the group in the same transaction, so the policy's
    /// assignments list in one query; absent for other scopes and older group assignments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
}

/// Which assigned policy a device's effective policy took sections from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PolicySource {
    pub policy: String,
    pub version: i64,
    /// `device`, `group:<id>` or `tenant`.
    pub via: String,
}

/// The policy a device receives: its assignments merged by precedence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EffectivePolicyRecord {
    pub version: String,
    pub document: crate::domain::policy::PolicyDocument,
    pub sources: Vec<PolicySource>,
    pub computed_at: i64,
}

/// An owner index entry: the device id is its sort key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwnedRecord {
    pub at: i64,
}

/// An app of the tenant's catalogue. The same record is kept under the app's required marker
/// while it is required, so an enrolment builds its install commands from one query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppRecord {
    pub platform: Platform,
    /// The package name (Android) or bundle id (iOS).
    pub app_id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default)]
    pub required: bool,
    pub created_at: i64,
    pub created_by: String,
    pub updated_at: i64,
    pub updated_by: String,
}

/// The uniqueness item of an app: which catalogue entry holds this (platform, app id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppKeyRecord {
    pub id: String,
}

/// What a device's hot item keeps of its compliance, so a check-in can answer and decide
/// whether an evaluation is due without a read (attribute `cs`). Every check-in pays for its
/// bytes, so it is stored as one short string (`summary.rs`): times to the second, the OS
/// version as a hash, the rules as a bit mask.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct ComplianceSummary {
    /// A hash of the OS version the evaluation saw (`summary::os_hash`).
    pub os: u32,
    /// A geofence rule applies: a check-in with a location is evaluated.
    pub geo: bool,
    /// A data cap applies: the month counted (`summary::month_index`, 0: none yet) and the
    /// usage in MB (rounded down) at which a report matters next (`u64::MAX`: only a new month).
    pub cap: Option<(u32, u64)>,
    /// When the next time-driven evaluation is due (a ladder step, the offline limit), to the
    /// second, rounded up.
    pub due: Option<i64>,
    pub fail: Vec<crate::domain::compliance::RuleKind>,
    pub next: Option<(i64, crate::domain::compliance::Action)>,
}

/// A device's compliance state (`keys::compliance`). Written whole under a revision check, by
/// evaluations and by policy changes alike, so neither overwrites what the other just wrote.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ComplianceRecord {
    #[serde(default)]
    pub rev: i64,
    /// The rules in force (from the effective policy) and their version; none: no rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<crate::domain::compliance::ComplianceRules>,
    #[serde(default)]
    pub facts: crate::domain::compliance::Facts,
    /// The rules version whose named apps `facts.apps` holds (a new one reads the inventory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apps_for: Option<String>,
    #[serde(default)]
    pub failing: std::collections::BTreeMap<
        crate::domain::compliance::RuleKind,
        crate::domain::compliance::Failing,
    >,
    /// The usage alerts already raised for `facts.usage`'s period.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub usage_alerts: Vec<u8>,
    /// Rules whose ladder blocked corporate access: it is given back when none is left.
    #[serde(default, skip_serializing_if = "std::collections::BTreeSet::is_empty")]
    pub blocked_by: std::collections::BTreeSet<crate::domain::compliance::RuleKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluated_at: Option<i64>,
    /// The time of the due entry written last (the sweep evaluates the device then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled: Option<i64>,
}

/// One alert for the tenant's admins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRecord {
    pub at: i64,
    pub device: String,
    /// `compliance` (a ladder's alert_admins step) or `data_usage` (a threshold crossed).
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<crate::domain::compliance::RuleKind>,
    pub message: String,
    /// DynamoDB TTL (seconds), the audit log's retention.
    pub ttl: i64,
}

/// A due evaluation; its key says everything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DueRecord {
    pub tenant: String,
    pub device: String,
    pub at: i64,
    /// DynamoDB TTL (seconds): a week after it was due, in case no sweep ever took it.
    pub ttl: i64,
}
