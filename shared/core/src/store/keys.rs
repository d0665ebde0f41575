//! The single-table key layout. Every partition key starts with the tenant, and each device's
//! hot data lives in its own partition so no per-device write touches a tenant-wide one. The
//! one exception is the platform's list of registered tenants, which belongs to no tenant and
//! is written only by the platform operator's tenant lifecycle and an admin's rename of a
//! registered tenant (`settings`), never by a device.
//!
//! This table is the one description of the layout (the docs link here). `<t>` is the tenant
//! id, `<d>` a device id; `<ms>` is a time in milliseconds, zero-padded to 13 digits so that
//! sort-key order is time order; `<shard>` of the directory, the transition audit and the
//! alerts is the device's `directory::shard_of` (FNV-1a of its id, 16 shards). `TTL` is the
//! `ttl` attribute, which DynamoDB's TTL (and readers, at once) honour.
//!
//! | item (what it holds) | pk | sk |
//! |---|---|---|
//! | tenant (status, name, limits, device counter, time zone, Apple settings; only `created_at` for a tenant never registered; only `status: deleted` once purged) | `T#<t>` | `TENANT` |
//! | push settings of a platform (provider, secret's name, fingerprint; for an APNs certificate its topic, expiry and next warning) | `T#<t>` | `PUSH#android`, `PUSH#ios` (Macs use `ios`) |
//! | the tenant's default policy | `T#<t>` | `DEFAULT_POLICY` |
//! | the tenant's geofence count (the cap of 500) | `T#<t>` | `GEOFENCE_COUNT` |
//! | Apple: the tenant's device CA (certificate; the key's secret name) | `T#<t>` | `APPLE#CA` |
//! | Apple: the profile-signing identity (subject, fingerprint, expiry; the secret's name) | `T#<t>` | `APPLE#SIGNER` |
//! | enrollment token (secret's hash, expiry, uses left, revoked, label, ownership, owner, group, policy; TTL a day after expiry) | `T#<t>#ET` | `<token id>` |
//! | Apple: a SCEP challenge of an enrolment profile (token, expiry, what it issued once spent; TTL a day after expiry) | `T#<t>#SCEP` | `<SHA-256 of the challenge, hex>` |
//! | device, the small hot item (state, credential hash, platform, channel, push token, pending count, last seen, battery, storage, OS, location, directory refresh mark, policy version sent and applied, compliance summary, next schedule change) | `T#<t>#D#<d>` | `D` |
//! | open command | `T#<t>#D#<d>` | `D#C#<command id>` |
//! | closed command | `T#<t>#D#<d>` | `C#<command id>` |
//! | device inventory (enrolment identifiers, the last full inventory report) | `T#<t>#D#<d>` | `I` |
//! | a device's effective policy (merged document, version, sources) | `T#<t>#D#<d>` | `P` |
//! | a device's compliance state (rules and their version, facts judged, failing rules with their ladders, usage alerts sent, what blocked access; revision-checked) | `T#<t>#D#<d>` | `K` |
//! | Apple: a device's enrolment (identity certificate's SHA-256, UDID, what Authenticate said, escrowed secrets' presence; TTL 7 days until its first TokenUpdate) | `T#<t>#D#<d>` | `APPLE` |
//! | directory entry (platform, OS version, state, model, serial, enrolled at, last seen to the hour, ownership, owner, groups, policy, compliance, SIM identifiers) | `T#<t>#DIR#<shard, 00–15>` | `<device id>` |
//! | lookup index entry (kind `imei`, `imsi`, `phone_number` or `serial`) | `T#<t>#IDX#<kind>#<value>` | `<device id>` |
//! | a user's device (owner index) | `T#<t>#OWN#<SHA-256 of the subject, first 32 hex digits>` | `<device id>` |
//! | audit entry of an admin action (or an enrolment; TTL the audit retention) | `T#<t>#AUDIT` | `<ms>#<id>` |
//! | audit entry of a command transition or a compliance step, in the device's shard (TTL the audit retention) | `T#<t>#AUDIT#<shard, 0–15>` | `<ms>#<id>` |
//! | alert (device, kind, rule, message; TTL the audit retention) | `T#<t>#ALERT#<shard, 0–15>` | `<ms>#<id>` |
//! | idempotency record (request fingerprint, lease, kept response; TTL 24 h) | `T#<t>#IDEM#<SHA-256 of the key, hex>` | `IDEM` |
//! | group (name, member count) | `T#<t>#GROUPS` | `<group id>` |
//! | group member | `T#<t>#G#<group id>` | `<device id>` |
//! | job (command, target, fan-out cursor, counts) | `T#<t>#JOB#<job id>` | `JOB` |
//! | job listing entry | `T#<t>#JOBS` | `<job id>` |
//! | policy at its current version (name, version, document) | `T#<t>#POLICIES` | `<policy id>` |
//! | policy version as written (name, document, when, by whom) | `T#<t>#POL#<policy id>` | `V#<version, 6 digits>` |
//! | where a policy is assigned (when, by whom; a group's priority) | `T#<t>#POL#<policy id>` | `USE#D#<d>`, `USE#G#<group id>`, `USE#TENANT` |
//! | catalogue app (platform, package or bundle id, name, version, store id, url, required) | `T#<t>#APPS` | `A#<catalogue id>` |
//! | app uniqueness item (the catalogue id holding this platform's app id) | `T#<t>#APPS` | `K#<platform>#<app id>` |
//! | required app marker (a copy of the app, only while it is required) | `T#<t>#APPS` | `R#<platform>#<catalogue id>` |
//! | geofence (name, circle or polygon, when and by whom) | `T#<t>#GEOFENCES` | `<geofence id>` |
//! | webhook endpoint (url, event types, enabled, the secret's name in the secret store) | `T#<t>#WEBHOOKS` | `<webhook id>` |
//! | webhook delivery of one event (type, attempts, last status or error, state; TTL 30 days) | `T#<t>#WH#<webhook id>` | `<event id>` |
//! | registered tenant in the platform's list (status, name, limits: a copy for the listing) | `PLATFORM#TENANTS` | `<t>` |
//! | due evaluation (a device whose compliance deadline falls in that five-minute slot; TTL a week after it was due) | `DUE#<slot, 10 digits>#<shard, 0–3>` | `<ms>#<t>#<d>` |
//! | a slot that holds due evaluations | `PLATFORM#DUE` | `<slot, 10 digits>` |
//! | a push certificate's next expiry warning (tenant, platform, the settings' fingerprint, due time) | `PLATFORM#CERTWARN` | `<yyyymmdd due, UTC>#<t>#<platform>#<days, 2 digits>` |
//!
//! A slot is the due time in milliseconds divided by `DUE_SLOT_MS` (five minutes); a due
//! entry's shard is the device's directory shard modulo `DUE_SHARDS`.
//!
//! Due evaluations are the second exception to the tenant prefix: the scheduled sweep must
//! find the devices whose compliance deadline passed in every tenant without scanning. Time
//! is cut into five-minute slots; a device with a deadline has an entry in its slot (spread
//! over a few shards), and the slot is listed in `PLATFORM#DUE` until the sweep emptied it, so
//! a sweep costs one query plus one per shard of each slot that is due.
//!
//! Push certificate expiry warnings are the third: the same sweep must find the warnings due
//! in every tenant. A tenant's APNs certificate has at most one pending warning (the next of
//! 30, 7 and 1 days before expiry), keyed by the UTC day it is due, so an ascending read of the
//! partition stops at the first day still ahead. It is written when an admin sets the
//! credentials and when the previous warning fires: never by devices' traffic.
//!
//! The tenant item holds the tenant's status, limits, device counter and settings; it also
//! appears, with only `created_at`, when a tenant that was never registered creates its first
//! enrollment token. Its device counter is written once per enrolment and retirement, never by
//! a check-in.
//!
//! The catalogue's three kinds of item share one partition, each under its own prefix: the
//! uniqueness item is written with the app in one transaction (so the same package twice is
//! refused by a condition, not a read), and a required app's marker carries a copy of the app,
//! so an enrolment finds what to install on its platform with one bounded query.
//!
//! A tenant's webhook endpoints (at most ten) are one partition, so the per-process cache of
//! subscriptions refills with one query; each endpoint's deliveries are a partition of their
//! own, keyed by the event's time-ordered id, so their listing is one descending query.
//!
//! The device item and its open commands share the prefix `D`, so one query returns both: a
//! fetch authenticates and lists pending work in a single request.

use crate::domain::directory::{Identifier, shard_of};
use crate::domain::{
    CatalogueId, CommandId, DeviceId, EnrollmentTokenId, EventId, GeofenceId, GroupId, JobId,
    Platform, PolicyId, TenantId, WebhookId,
};
use crate::ports::Key;

pub const DEVICE_SK: &str = "D";
pub const OPEN_PREFIX: &str = "D#C#";
pub const CLOSED_PREFIX: &str = "C#";
pub const INVENTORY_SK: &str = "I";

pub fn tenant(t: &TenantId) -> Key {
    Key::new(format!("T#{t}"), "TENANT")
}

/// The platform's list of registered tenants: one partition, read only by the platform
/// operator's listing (a few thousand tenants at most, paged).
pub const PLATFORM_TENANTS_PK: &str = "PLATFORM#TENANTS";

pub fn platform_tenant(t: &TenantId) -> Key {
    Key::new(PLATFORM_TENANTS_PK, t.as_str())
}

pub const PUSH_PREFIX: &str = "PUSH#";

pub fn push_config(t: &TenantId, platform: Platform) -> Key {
    Key::new(
        format!("T#{t}"),
        format!("{PUSH_PREFIX}{}", platform.as_str()),
    )
}

pub fn enrollment_tokens_pk(t: &TenantId) -> String {
    format!("T#{t}#ET")
}

pub fn enrollment_token(t: &TenantId, id: &EnrollmentTokenId) -> Key {
    Key::new(enrollment_tokens_pk(t), id.as_str())
}

pub fn device_pk(t: &TenantId, d: &DeviceId) -> String {
    format!("T#{t}#D#{d}")
}

pub fn device(t: &TenantId, d: &DeviceId) -> Key {
    Key::new(device_pk(t, d), DEVICE_SK)
}

pub fn inventory(t: &TenantId, d: &DeviceId) -> Key {
    Key::new(device_pk(t, d), INVENTORY_SK)
}

/// A device's Apple enrolment (identity certificate, UDID, what Authenticate said, escrowed
/// secrets' presence), from its SCEP issuance on. Outside the `D` prefix: never read by a
/// check-in or a fetch.
pub const APPLE_ENROLMENT_SK: &str = "APPLE";

pub fn apple_enrolment(t: &TenantId, d: &DeviceId) -> Key {
    Key::new(device_pk(t, d), APPLE_ENROLMENT_SK)
}

/// The tenant's Apple certificate authority: its public certificate and the name of the secret
/// holding its key.
pub fn apple_ca(t: &TenantId) -> Key {
    Key::new(format!("T#{t}"), "APPLE#CA")
}

/// The tenant's profile-signing identity: what admins may read of it, and the name of the
/// secret holding it.
pub fn apple_signing(t: &TenantId) -> Key {
    Key::new(format!("T#{t}"), "APPLE#SIGNER")
}

/// A one-time SCEP challenge handed out in an enrolment profile, by the SHA-256 of its value.
pub fn scep_challenge(t: &TenantId, challenge_hash: &str) -> Key {
    Key::new(format!("T#{t}#SCEP"), challenge_hash)
}

pub fn open_command(t: &TenantId, d: &DeviceId, c: &CommandId) -> Key {
    Key::new(device_pk(t, d), format!("{OPEN_PREFIX}{c}"))
}

pub fn closed_command(t: &TenantId, d: &DeviceId, c: &CommandId) -> Key {
    Key::new(device_pk(t, d), format!("{CLOSED_PREFIX}{c}"))
}

pub fn audit_pk(t: &TenantId) -> String {
    format!("T#{t}#AUDIT")
}

/// Zero-padded so that sort-key order is time order.
pub fn audit(t: &TenantId, at_ms: i64, id: &str) -> Key {
    Key::new(audit_pk(t), format!("{at_ms:013}#{id}"))
}

/// Command transitions are written by devices' check-ins, and a tenant-wide command makes
/// every device write some: they are spread over the directory's shards (by device), so no
/// partition takes more than its share, and a device's entries are all in one of them.
pub fn transition_audit_pk(t: &TenantId, shard: u32) -> String {
    format!("T#{t}#AUDIT#{shard}")
}

/// Same sort key as an admin entry, so the partitions merge into one time order.
pub fn transition_audit(t: &TenantId, device: &DeviceId, at_ms: i64, id: &str) -> Key {
    Key::new(
        transition_audit_pk(t, shard_of(device)),
        format!("{at_ms:013}#{id}"),
    )
}

pub const IDEMPOTENCY_SK: &str = "IDEM";

/// One partition per key: the records are only ever read by key, and spreading them keeps a
/// burst of retried requests off any shared partition's 1,000 writes/s.
pub fn idempotency(t: &TenantId, key_hash: &str) -> Key {
    Key::new(format!("T#{t}#IDEM#{key_hash}"), IDEMPOTENCY_SK)
}

/// One partition per shard of the tenant's device directory (see `DIRECTORY_SHARDS`).
pub fn directory_pk(t: &TenantId, shard: u32) -> String {
    format!("T#{t}#DIR#{shard:02}")
}

pub fn directory(t: &TenantId, d: &DeviceId) -> Key {
    Key::new(directory_pk(t, shard_of(d)), d.as_str())
}

/// One partition per identifier value: a lookup is one query, and the devices that ever had
/// that value (a serial re-enrolled) come back together.
pub fn index_pk(t: &TenantId, id: &Identifier) -> String {
    format!("T#{t}#IDX#{}#{}", id.kind(), id.value())
}

pub fn index(t: &TenantId, id: &Identifier, d: &DeviceId) -> Key {
    Key::new(index_pk(t, id), d.as_str())
}

pub fn groups_pk(t: &TenantId) -> String {
    format!("T#{t}#GROUPS")
}

pub fn group(t: &TenantId, g: &GroupId) -> Key {
    Key::new(groups_pk(t), g.as_str())
}

/// A group's members in their own partition: a fan-out walks one group without reading any
/// other device, and adding members never writes to the groups listing's partition but once.
pub fn members_pk(t: &TenantId, g: &GroupId) -> String {
    format!("T#{t}#G#{g}")
}

pub fn member(t: &TenantId, g: &GroupId, d: &DeviceId) -> Key {
    Key::new(members_pk(t, g), d.as_str())
}

pub const JOB_SK: &str = "JOB";

/// A job's counters in a partition of their own: every result of the job's commands adds to
/// them, and a tenant-wide job's results must not crowd one shared partition.
pub fn job(t: &TenantId, j: &JobId) -> Key {
    Key::new(format!("T#{t}#JOB#{j}"), JOB_SK)
}

pub fn jobs_pk(t: &TenantId) -> String {
    format!("T#{t}#JOBS")
}

pub fn job_entry(t: &TenantId, j: &JobId) -> Key {
    Key::new(jobs_pk(t), j.as_str())
}

pub fn policies_pk(t: &TenantId) -> String {
    format!("T#{t}#POLICIES")
}

pub fn policy(t: &TenantId, p: &PolicyId) -> Key {
    Key::new(policies_pk(t), p.as_str())
}

/// A policy's versions and where it is assigned, in a partition of its own: an update reads
/// its assignments with one query.
pub fn policy_pk(t: &TenantId, p: &PolicyId) -> String {
    format!("T#{t}#POL#{p}")
}

pub const POLICY_VERSION_PREFIX: &str = "V#";

/// Zero-padded to six digits (`domain::policy::MAX_VERSION`), so that sort-key order is version
/// order: a listing reads them newest first with one descending query.
pub fn policy_version_sk(version: i64) -> String {
    format!("{POLICY_VERSION_PREFIX}{version:06}")
}

pub fn policy_version(t: &TenantId, p: &PolicyId, version: i64) -> Key {
    Key::new(policy_pk(t, p), policy_version_sk(version))
}

/// The version a version item's sort key names.
pub fn version_of_sk(sk: &str) -> Option<i64> {
    sk.strip_prefix(POLICY_VERSION_PREFIX)?.parse().ok()
}

pub const POLICY_USE_PREFIX: &str = "USE#";

/// Where a policy is assigned: `D#<device>`, `G#<group>` or `TENANT`.
pub fn policy_use(t: &TenantId, p: &PolicyId, scope: &str) -> Key {
    Key::new(policy_pk(t, p), format!("{POLICY_USE_PREFIX}{scope}"))
}

pub fn default_policy(t: &TenantId) -> Key {
    Key::new(format!("T#{t}"), "DEFAULT_POLICY")
}

pub const EFFECTIVE_POLICY_SK: &str = "P";

/// The policy a device receives, merged from its assignments, beside its other items.
pub fn effective_policy(t: &TenantId, d: &DeviceId) -> Key {
    Key::new(device_pk(t, d), EFFECTIVE_POLICY_SK)
}

/// One partition per user a device is enrolled to: a user's own devices are one query. The
/// subject is hashed: it is the identity provider's string, of any length and alphabet.
pub fn owned_pk(t: &TenantId, subject: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(subject.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("T#{t}#OWN#{hex}")
}

pub fn owned(t: &TenantId, subject: &str, d: &DeviceId) -> Key {
    Key::new(owned_pk(t, subject), d.as_str())
}

pub fn apps_pk(t: &TenantId) -> String {
    format!("T#{t}#APPS")
}

pub const APP_PREFIX: &str = "A#";

pub fn app(t: &TenantId, a: &CatalogueId) -> Key {
    Key::new(apps_pk(t), format!("{APP_PREFIX}{a}"))
}

/// The item that makes (platform, app id) unique in the catalogue.
pub fn app_key(t: &TenantId, platform: Platform, app_id: &str) -> Key {
    Key::new(apps_pk(t), format!("K#{}#{app_id}", platform.as_str()))
}

/// The prefix of the required apps of one platform.
pub fn required_apps_prefix(platform: Platform) -> String {
    format!("R#{}#", platform.as_str())
}

pub fn required_app(t: &TenantId, platform: Platform, a: &CatalogueId) -> Key {
    Key::new(apps_pk(t), format!("{}{a}", required_apps_prefix(platform)))
}

pub const COMPLIANCE_SK: &str = "K";

/// A device's compliance state (its rules, the facts they are judged on, the failing rules
/// and their ladders), beside its other items and read only when an evaluation is due.
pub fn compliance(t: &TenantId, d: &DeviceId) -> Key {
    Key::new(device_pk(t, d), COMPLIANCE_SK)
}

/// Alerts are raised by evaluations, which follow devices' check-ins: spread over the
/// directory's shards like command transitions, a device's all in one of them.
pub fn alerts_pk(t: &TenantId, shard: u32) -> String {
    format!("T#{t}#ALERT#{shard}")
}

pub fn alert(t: &TenantId, device: &DeviceId, at_ms: i64, id: &str) -> Key {
    Key::new(alerts_pk(t, shard_of(device)), format!("{at_ms:013}#{id}"))
}

/// Length of a sweep slot: due evaluations are grouped by it.
pub const DUE_SLOT_MS: i64 = 300_000;
/// Shards of one slot's entries, so a burst of deadlines (a rule assigned to a whole fleet)
/// is not one partition's.
pub const DUE_SHARDS: u32 = 4;
pub const DUE_SLOTS_PK: &str = "PLATFORM#DUE";

pub fn due_slot(at_ms: i64) -> i64 {
    at_ms.div_euclid(DUE_SLOT_MS)
}

pub fn due_slot_sk(slot: i64) -> String {
    format!("{slot:010}")
}

pub fn due_slot_marker(slot: i64) -> Key {
    Key::new(DUE_SLOTS_PK, due_slot_sk(slot))
}

pub fn due_pk(slot: i64, shard: u32) -> String {
    format!("DUE#{slot:010}#{shard}")
}

/// The entry asking for `d` to be evaluated at `at_ms`.
pub fn due(t: &TenantId, d: &DeviceId, at_ms: i64) -> Key {
    Key::new(
        due_pk(due_slot(at_ms), shard_of(d) % DUE_SHARDS),
        format!("{at_ms:013}#{t}#{d}"),
    )
}

/// A tenant's geofences in one partition: the listing is one query, and the compliance engine
/// reads the few a policy names by key. Written only by admins, never by a check-in.
pub fn geofences_pk(t: &TenantId) -> String {
    format!("T#{t}#GEOFENCES")
}

pub fn geofence(t: &TenantId, g: &GeofenceId) -> Key {
    Key::new(geofences_pk(t), g.as_str())
}

/// How many geofences the tenant has, kept by the same transactions that create and delete
/// them (so the cap holds under concurrent creates), beside the tenant item rather than in the
/// geofences' partition, whose every item the listing returns.
pub fn geofence_count(t: &TenantId) -> Key {
    Key::new(format!("T#{t}"), "GEOFENCE_COUNT")
}

pub fn webhooks_pk(t: &TenantId) -> String {
    format!("T#{t}#WEBHOOKS")
}

pub fn webhook(t: &TenantId, w: &WebhookId) -> Key {
    Key::new(webhooks_pk(t), w.as_str())
}

/// One partition per endpoint: its deliveries are written by the queue consumer only, and a
/// busy endpoint does not crowd the endpoints' own partition.
pub fn webhook_deliveries_pk(t: &TenantId, w: &WebhookId) -> String {
    format!("T#{t}#WH#{w}")
}

pub fn webhook_delivery(t: &TenantId, w: &WebhookId, e: &EventId) -> Key {
    Key::new(webhook_deliveries_pk(t, w), e.as_str())
}

/// The platform's pending push certificate expiry warnings (see the module's notes).
pub const CERT_WARNINGS_PK: &str = "PLATFORM#CERTWARN";

/// The UTC day of an instant as `yyyymmdd`: sort-key order is day order.
pub fn utc_day(at_ms: i64) -> String {
    let date = time::OffsetDateTime::from_unix_timestamp(at_ms.div_euclid(1000))
        .map(|t| t.date())
        .unwrap_or(time::Date::MIN);
    format!(
        "{:04}{:02}{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// The warning of `days` before expiry of a tenant's push certificate for a platform, due at
/// `due_at_ms`. The threshold is in the key so that the next warning, written as one fires,
/// never shares its item even when both fall on one day.
pub fn cert_warning(t: &TenantId, platform: Platform, days: u32, due_at_ms: i64) -> Key {
    Key::new(
        CERT_WARNINGS_PK,
        format!("{}#{t}#{}#{days:02}", utc_day(due_at_ms), platform.as_str()),
    )
}
