//! Enrollment: admins create tokens; devices exchange one for a device id and credential in a
//! single all-or-nothing transaction.
//!
//! A token (`POST /v1/enrollment-tokens`, admins, Idempotency-Key) takes `expires_in_seconds` (60
//! s to a year, default 7 days), `max_uses` (1–100,000, default 1), `label` (1–100 characters),
//! `ownership` (`corporate`, the default, or `personal`), `owner` (a user's JWT subject: the
//! devices are theirs, see `self_service`), `group_id` and `policy_id` (devices enrolled with it
//! join the group and get the policy as their own). The group and policy are checked to exist
//! when the token is made; one deleted since is skipped and logged, and the enrolment itself
//! never fails for it. The answer carries the secret `token`, shown only here (only its hash is
//! stored), and the `qr_payload` (see `enrollment_tokens`). The tenant item appears, with only
//! `created_at`, with a never-registered tenant's first token.
//!
//! A device enrols with `POST /v1/enroll` (the enrollment token in the body, Idempotency-Key
//! accepted, rate limited per tenant): one transaction spends one use of the token (conditional
//! on its hash, expiry and uses left), creates the device's hot item, inventory, directory entry,
//! lookup entries (serial, IMEI, IMSI and phone number when given), owner link and audit entry
//! (`device.enroll`), and for a registered tenant increments its device counter under the
//! condition `devices < max_devices` and status active (else `409 device_limit_reached`: nothing
//! enrolled and the token keeps its use; a suspended tenant is `403 tenant_suspended`). The
//! device then receives its `device_id` and `device_credential`, presented as `Authorization:
//! Bearer <credential>` on every device call. After the commit, best effort (a failure is logged,
//! the device stays enrolled): the `device.enrolled` event, the token's group and policy, the
//! tenant's default policy, and the required apps of its platform (see `apps`). Apple devices
//! enrol through the same function after SCEP (docs/apple.md).

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::device::short_text;
use crate::domain::directory::{Compliance, Identifier, Ownership, refresh_mark};
use crate::domain::time::rfc3339;
use crate::domain::time::{DAY_SECS, ms_from_secs, secs_from_ms};
use crate::domain::{
    Channel, DeviceCredential, DeviceId, DeviceState, EnrollRequest, EnrollmentSecret,
    EnrollmentTokenId, GroupId, Platform, PolicyId, TenantId, TenantStatus,
};
use crate::error::{Error, StoreError};
use crate::ports::{Cmp, Cond, Principal, Update, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{
    DeviceRecord, DirectoryRecord, EnrollmentTokenRecord, InventoryRecord, OwnedRecord, attr,
    from_item, to_item,
};
use crate::usecases::{
    ADMINS, USERS, fleet::directory, require_role, tenancy::audit, tenancy::tenants,
};

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTokenRequest {
    /// Lifetime; defaults to a week.
    #[serde(default)]
    pub expires_in_seconds: Option<i64>,
    /// How many devices may enroll with it; defaults to 1.
    #[serde(default)]
    pub max_uses: Option<i64>,
    /// A note for admins of what the token is for; up to 100 characters.
    #[serde(default)]
    #[schemars(length(min = 1, max = 100), regex(pattern = crate::domain::device::NO_CONTROL))]
    pub label: Option<String>,
    /// corporate (the default) or personal.
    #[serde(default)]
    pub ownership: Option<Ownership>,
    /// The user (JWT subject) devices enrolled with it belong to: their self-service
    /// (`/v1/me/...`) reaches those devices.
    #[serde(default)]
    #[schemars(length(max = 200), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub owner: Option<String>,
    /// A group devices join at enrolment.
    #[serde(default)]
    pub group_id: Option<GroupId>,
    /// A policy assigned to each device at enrolment (as the device's own policy).
    #[serde(default)]
    pub policy_id: Option<PolicyId>,
}

/// A user's token for enrolling their own device (BYOD): personal, theirs, one use.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SelfTokenRequest {
    /// Lifetime; defaults to a week.
    #[serde(default)]
    pub expires_in_seconds: Option<i64>,
    /// A note, such as the device's name; up to 100 characters.
    #[serde(default)]
    #[schemars(length(min = 1, max = 100), regex(pattern = crate::domain::device::NO_CONTROL))]
    pub label: Option<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TokenCreated {
    pub id: String,
    /// The secret to hand to devices; shown once, stored only as a hash.
    pub token: String,
    pub expires_at: String,
    pub max_uses: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The JSON a device app scans to enroll (server, tenant, token); present in HTTP answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_payload: Option<String>,
}

impl TokenCreated {
    /// Adds the QR payload naming the server the device app must talk to.
    pub fn with_qr(mut self, server: &str, tenant: &crate::domain::TenantId) -> Self {
        self.qr_payload = Some(crate::usecases::fleet::enrollment_tokens::qr_payload(
            server,
            tenant,
            &self.token,
        ));
        self
    }
}

pub async fn create_token(
    svc: &Services,
    who: &Principal,
    req: CreateTokenRequest,
) -> Result<TokenCreated, Error> {
    require_role(who, ADMINS, "create enrollment tokens")?;
    if let Some(owner) = &req.owner {
        short_text("owner", owner, 200)?;
    }
    let t = &who.tenant;
    if let Some(g) = &req.group_id
        && svc.table.get(&keys::group(t, g), false).await?.is_none()
    {
        return Err(Error::invalid_field("group_id", "no such group"));
    }
    if let Some(p) = &req.policy_id
        && svc.table.get(&keys::policy(t, p), false).await?.is_none()
    {
        return Err(Error::invalid_field("policy_id", "no such policy"));
    }
    issue_token(svc, who, req).await
}

/// A user's own enrollment token: their device will be personal and theirs.
pub async fn create_self_token(
    svc: &Services,
    who: &Principal,
    req: SelfTokenRequest,
) -> Result<TokenCreated, Error> {
    require_role(who, USERS, "enroll their own devices")?;
    let req = CreateTokenRequest {
        expires_in_seconds: req.expires_in_seconds,
        max_uses: Some(1),
        label: req.label,
        ownership: Some(Ownership::Personal),
        owner: Some(who.subject.clone()),
        group_id: None,
        policy_id: None,
    };
    issue_token(svc, who, req).await
}

async fn issue_token(
    svc: &Services,
    who: &Principal,
    req: CreateTokenRequest,
) -> Result<TokenCreated, Error> {
    let s = &svc.settings;
    let ttl = req
        .expires_in_seconds
        .unwrap_or(s.default_enrollment_ttl_secs);
    if !(60..=s.max_enrollment_ttl_secs).contains(&ttl) {
        return Err(Error::invalid_field(
            "expires_in_seconds",
            format!("must be between 60 and {}", s.max_enrollment_ttl_secs),
        ));
    }
    let max_uses = req.max_uses.unwrap_or(1);
    if !(1..=s.max_enrollment_uses).contains(&max_uses) {
        return Err(Error::invalid_field(
            "max_uses",
            format!("must be between 1 and {}", s.max_enrollment_uses),
        ));
    }
    if let Some(label) = &req.label {
        let n = label.chars().count();
        if !(1..=100).contains(&n) || label.chars().any(char::is_control) {
            return Err(Error::invalid_field(
                "label",
                "must be 1 to 100 characters without control characters",
            ));
        }
    }
    let now = svc.now();
    let id = EnrollmentTokenId::from_generated(svc.ids.id(now));
    let secret = EnrollmentSecret::new(who.tenant.clone(), id.clone(), svc.ids.secret());
    let expires_at = now + ms_from_secs(ttl);
    let record = EnrollmentTokenRecord {
        id: id.to_string(),
        secret_hash: secret.secret_hash(),
        created_at: now,
        created_by: who.subject.clone(),
        expires_at,
        max_uses,
        remaining: max_uses,
        revoked: false,
        label: req.label.clone(),
        ttl: secs_from_ms(expires_at) + DAY_SECS,
        ownership: req.ownership.unwrap_or_default(),
        owner: req.owner.clone(),
        group: req.group_id.as_ref().map(GroupId::to_string),
        policy: req.policy_id.as_ref().map(PolicyId::to_string),
    };
    svc.table
        .transact(vec![
            // The tenant record appears with its first enrollment token.
            WriteOp::Update {
                key: keys::tenant(&who.tenant),
                update: Update::new().set_if_absent("created_at", now),
                cond: None,
            },
            WriteOp::Put {
                item: to_item(keys::enrollment_token(&who.tenant, &id), &record),
                cond: Some(Cond::NotExists),
            },
            audit::entry(
                svc,
                who,
                "enrollment_token.create",
                format!("enrollment_token/{id}"),
                Some(json!({
                    "max_uses": max_uses,
                    "expires_at": rfc3339(expires_at),
                    "ownership": record.ownership,
                    "owner": record.owner,
                    "group": record.group,
                    "policy": record.policy,
                })),
            ),
        ])
        .await?;
    Ok(TokenCreated {
        id: id.to_string(),
        token: secret.encode(),
        expires_at: rfc3339(expires_at),
        max_uses,
        label: req.label,
        qr_payload: None,
    })
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Enrolled {
    pub tenant: String,
    pub device_id: String,
    /// Presented as `Authorization: Bearer <credential>` on every device call.
    pub device_credential: String,
    pub checkin_interval_seconds: i64,
}

/// A device about to be created, whichever channel enrolled it; validated by then.
#[derive(Debug, Clone)]
pub struct NewDevice {
    pub channel: Channel,
    pub platform: Platform,
    pub model: String,
    pub os_version: String,
    pub serial: String,
    /// None for a device without a cellular modem (an iPad without SIM, a Mac).
    pub imei: Option<String>,
    pub imsi: Option<String>,
    pub phone_number: Option<String>,
    pub push_token: String,
    pub push_magic: Option<String>,
}

impl NewDevice {
    /// The identifiers a device is looked up by, as enrolled.
    fn identifiers(&self) -> Vec<Identifier> {
        let mut ids = vec![Identifier::Serial(self.serial.clone())];
        ids.extend(self.imei.clone().map(Identifier::Imei));
        ids.extend(self.imsi.clone().map(Identifier::Imsi));
        ids.extend(self.phone_number.clone().map(Identifier::PhoneNumber));
        ids
    }
}

/// What admits a new device, written in the creating transaction as its first operation: one
/// use of the enrollment token spent now (the agent API), or a condition on an item written
/// when the token was spent earlier (Apple: the SCEP challenge spent it, and the device's
/// enrolment record must still be waiting for its device).
pub enum Admission {
    SpendToken(EnrollmentSecret),
    Prepared(WriteOp),
}

pub async fn enroll(svc: &Services, req: EnrollRequest) -> Result<Enrolled, Error> {
    let token = EnrollmentSecret::parse(&req.enrollment_token)?;
    req.validate()?;
    let tenant = token.tenant.clone();
    let issued = issued_token(svc, &tenant, &token.token)
        .await?
        .ok_or(Error::EnrollmentTokenInvalid)?;
    let now = svc.now();
    let device = DeviceId::from_generated(svc.ids.id(now));
    let credential = DeviceCredential::new(tenant.clone(), device.clone(), svc.ids.secret());
    let new = NewDevice {
        channel: Channel::Agent,
        platform: req.platform,
        model: req.model,
        os_version: req.os_version,
        serial: req.serial,
        imei: Some(req.imei.as_str().to_owned()),
        imsi: req.imsi,
        phone_number: req.phone_number,
        push_token: req.push_token,
        push_magic: req.push_magic,
    };
    create_device(
        svc,
        &credential,
        &issued,
        new,
        Admission::SpendToken(token),
        Vec::new(),
    )
    .await?;
    Ok(Enrolled {
        tenant: tenant.to_string(),
        device_id: device.to_string(),
        device_credential: credential.encode(),
        checkin_interval_seconds: svc.settings.checkin_interval_secs,
    })
}

/// What a token says about the devices it enrols (ownership, owner, group, policy). Its
/// validity is checked by the creating transaction's condition, not by this read.
pub async fn issued_token(
    svc: &Services,
    tenant: &TenantId,
    token: &EnrollmentTokenId,
) -> Result<Option<EnrollmentTokenRecord>, Error> {
    match svc
        .table
        .get(&keys::enrollment_token(tenant, token), true)
        .await?
    {
        Some(item) => Ok(Some(from_item(&item)?)),
        None => Ok(None),
    }
}

/// The condition that an enrollment token may admit one more device now, as an update that
/// spends one use of it.
pub fn spend_token(tenant: &TenantId, token: &EnrollmentSecret, now: i64) -> WriteOp {
    WriteOp::Update {
        key: keys::enrollment_token(tenant, &token.token),
        update: Update::new().add(attr::REMAINING, -1),
        cond: Some(Cond::And(vec![
            Cond::Exists,
            Cond::eq(attr::SECRET_HASH, token.secret_hash()),
            Cond::eq(attr::REVOKED, false),
            Cond::Num(attr::EXPIRES_AT.into(), Cmp::Gt, now),
            Cond::Num(attr::REMAINING.into(), Cmp::Ge, 1),
        ])),
    }
}

/// Creates an enrolled device in one transaction (its hot item, inventory, directory entry,
/// lookups, owner link, audit entry and the tenant's device count, admitted by `admission`
/// and `extra` written alongside), then publishes the enrolment and applies what the token
/// and the tenant assign to new devices. Every channel enrols through here.
pub async fn create_device(
    svc: &Services,
    credential: &DeviceCredential,
    issued: &EnrollmentTokenRecord,
    new: NewDevice,
    admission: Admission,
    extra: Vec<WriteOp>,
) -> Result<(), Error> {
    let (tenant, device) = (&credential.tenant, &credential.device);
    let admitted = tenants::admit(svc, tenant).await?;
    let now = svc.now();
    let record = DeviceRecord {
        state: DeviceState::Enrolled,
        cred: credential.secret_hash(),
        platform: new.platform,
        channel: new.channel,
        push_token: new.push_token.clone(),
        push_magic: new.push_magic.clone(),
        push_token_invalid: false,
        pending: 0,
        enrolled_at: now,
        last_seen: Some(now),
        battery_level: None,
        storage_free_bytes: None,
        storage_total_bytes: None,
        os_version: new.os_version.clone(),
        location: None,
        location_at: None,
        locked: None,
        dir: Some(refresh_mark(now, &new.os_version)),
        pv: None,
        pa: None,
        counted: admitted.registered,
        cs: None,
        sw: None,
        tz: None,
    };
    let entry = DirectoryRecord {
        platform: new.platform,
        os_version: new.os_version.clone(),
        state: DeviceState::Enrolled,
        model: new.model.clone(),
        serial: new.serial.clone(),
        enrolled_at: now,
        last_seen: Some(now),
        ownership: issued.ownership,
        owner: issued.owner.clone(),
        groups: Vec::new(),
        gv: 0,
        policy: None,
        compliance: Compliance::default(),
        imsi: new.imsi.clone(),
        phone_number: new.phone_number.clone(),
        enrolled_imsi: new.imsi.clone(),
    };
    let inventory = InventoryRecord {
        model: new.model.clone(),
        serial: new.serial.clone(),
        imei: new.imei.clone().unwrap_or_default(),
        imsi: new.imsi.clone(),
        phone_number: new.phone_number.clone(),
        enrollment_token: issued.id.clone(),
        reported: None,
        reported_at: None,
    };
    let admit = match admission {
        Admission::SpendToken(token) => spend_token(tenant, &token, now),
        Admission::Prepared(op) => op,
    };
    let mut ops = vec![
        admit,
        WriteOp::Put {
            item: to_item(keys::device(tenant, device), &record),
            cond: Some(Cond::NotExists),
        },
        WriteOp::Put {
            item: to_item(keys::inventory(tenant, device), &inventory),
            cond: Some(Cond::NotExists),
        },
        audit::entry_by(
            svc,
            tenant,
            &format!("device/{device}"),
            "device",
            "device.enroll",
            format!("device/{device}"),
            Some(json!({
                "platform": new.platform,
                "channel": new.channel,
                "model": new.model,
                "enrollment_token": issued.id,
            })),
        ),
        directory::put_entry(tenant, device, &entry),
    ];
    ops.extend(
        new.identifiers()
            .iter()
            .map(|id| directory::put_index(tenant, id, device, now)),
    );
    if let Some(owner) = &issued.owner {
        ops.push(WriteOp::Put {
            item: to_item(keys::owned(tenant, owner, device), &OwnedRecord { at: now }),
            cond: None,
        });
    }
    ops.extend(extra);
    // A registered tenant counts its devices on its own item, so the limit is one condition
    // and never a scan. The same condition requires the tenant to be active, so an enrolment
    // in a process that has not yet seen a suspension or deletion fails all the same.
    // Unregistered tenants have no item to count on and no limit.
    let counter = ops.len();
    if admitted.registered {
        let active = Cond::eq(attr::STATUS, TenantStatus::Active.as_str());
        let room = match admitted.max_devices {
            Some(max) => Cond::And(vec![active, Cond::Num(attr::DEVICES.into(), Cmp::Lt, max)]),
            None => active,
        };
        ops.push(WriteOp::Update {
            key: keys::tenant(tenant),
            update: Update::new().add(attr::DEVICES, 1),
            cond: Some(room),
        });
    }
    match svc.table.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::Precondition { index: Some(0) }) => {
            return Err(Error::EnrollmentTokenInvalid);
        }
        Err(StoreError::Precondition { index: Some(i) }) if i == counter => {
            return Err(match tenants::state_now(svc, tenant).await?.status {
                TenantStatus::Active => Error::DeviceLimitReached,
                _ => Error::TenantSuspended,
            });
        }
        Err(e) => return Err(e.into()),
    }
    crate::usecases::integrations::events::publish(
        svc,
        tenant,
        crate::usecases::integrations::events::Event::new(
            crate::usecases::integrations::events::EventKind::DeviceEnrolled,
            Some(device),
            serde_json::json!({"platform": new.platform.as_str(), "channel": new.channel}),
        ),
    )
    .await;
    // A new device has no group or policy of its own: only the tenant's default applies. The
    // device is enrolled whatever happens here (a failed enrolment would be retried as a new
    // device), so a failure is logged; the next policy change reaches the device anyway.
    if let Err(e) = after_enrolment(svc, tenant, device, issued).await {
        tracing::warn!(error = %e, %device, "the token's group or policy, or the default policy, was not applied at enrolment");
    }
    // Likewise the catalogue's required apps: a failure leaves the device enrolled without
    // them, and an admin can still install them through a job.
    if let Err(e) =
        crate::usecases::policy::apps::install_required(svc, tenant, device, new.platform).await
    {
        tracing::warn!(error = %e, %device, "the required apps were not queued at enrolment");
    }
    Ok(())
}

async fn after_enrolment(
    svc: &Services,
    tenant: &crate::domain::TenantId,
    device: &DeviceId,
    issued: &EnrollmentTokenRecord,
) -> Result<(), Error> {
    let by = format!("enrollment_token/{}", issued.id);
    let mut may_have_policy = false;
    if let Some(g) = issued.group.as_deref().and_then(|g| GroupId::parse(g).ok()) {
        may_have_policy |=
            crate::usecases::fleet::groups::join_at_enrolment(svc, tenant, &g, device, &by).await?;
    }
    if let Some(p) = issued
        .policy
        .as_deref()
        .and_then(|p| PolicyId::parse(p).ok())
    {
        crate::usecases::policy::policies::assign_at_enrolment(svc, tenant, device, &p, &by)
            .await?;
        may_have_policy = true;
    }
    if !may_have_policy {
        may_have_policy = svc
            .table
            .get(&keys::default_policy(tenant), false)
            .await?
            .is_some();
    }
    if may_have_policy {
        crate::usecases::policy::policies::recompute(svc, tenant, device).await?;
    }
    Ok(())
}
