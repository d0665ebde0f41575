//! The tenant's own settings, which its admins keep (`PUT /v1/settings`; admins, operators and
//! auditors read them): a display name (1–100 characters) and the time zone that schedules and
//! reports are read in (an IANA name such as `Europe/Paris`, stored in its canonical spelling;
//! anything else is `400 invalid_field` on `time_zone`; `null` until set), and for Apple devices
//! `apple_modern_crypto_only` (docs/apple.md). They are written on the tenant item, without
//! touching its status or limits, with the audit entry (`settings.set`) in one transaction. A new
//! time zone reaches a device's scheduled restrictions at its next window edge or policy change
//! (see `policies`). (The default policy has its own routes, `/v1/default-policy`: see
//! `policies`.)

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::tenant::{time_zone, validate_name};
use crate::error::Error;
use crate::ports::{Cond, Principal, Update, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::attr;
use crate::usecases::{
    ADMINS, READERS, require_role, tenancy::audit, tenancy::tenant_record, tenancy::tenants,
};

/// The settings as stored and shown; a tenant that never set them has neither.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SettingsView {
    pub name: Option<String>,
    /// An IANA time zone name such as `Europe/Paris`.
    pub time_zone: Option<String>,
    /// Apple enrolment (SCEP) accepts only AES content encryption, SHA-256 signatures and RSA
    /// keys of 2048 bits or more; otherwise DES, 3DES and SHA-1 and 1024-bit keys too, as older
    /// devices and common SCEP clients send them.
    pub apple_modern_crypto_only: bool,
}

/// What an admin sends: both fields, as the whole new settings.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetSettings {
    /// A display name, 1 to 100 characters.
    #[schemars(length(max = 100), regex(pattern = crate::domain::device::SHORT_TEXT))]
    pub name: String,
    /// An IANA time zone name such as `Europe/Paris`; stored in its canonical spelling.
    pub time_zone: String,
    /// Defaults to false (see the settings' view).
    #[serde(default)]
    pub apple_modern_crypto_only: bool,
}

pub async fn get(svc: &Services, who: &Principal) -> Result<SettingsView, Error> {
    require_role(who, READERS, "read the tenant settings")?;
    let record = tenant_record::load(svc, &who.tenant, false)
        .await?
        .unwrap_or_default();
    Ok(SettingsView {
        name: record.name,
        time_zone: record.time_zone,
        apple_modern_crypto_only: record.apple_modern_crypto_only,
    })
}

/// Replaces the settings; the tenant item (and nothing of the tenant's status or limits) is
/// written with the audit entry in one transaction.
pub async fn set(svc: &Services, who: &Principal, req: SetSettings) -> Result<SettingsView, Error> {
    require_role(who, ADMINS, "change the tenant settings")?;
    validate_name(&req.name)?;
    let zone = time_zone(&req.time_zone)?;
    let now = svc.now();
    let mut ops = vec![
        WriteOp::Update {
            key: keys::tenant(&who.tenant),
            update: Update::new()
                .set(attr::NAME, req.name.as_str())
                .set(attr::TIME_ZONE, zone.as_str())
                .set(attr::APPLE_MODERN_CRYPTO_ONLY, req.apple_modern_crypto_only)
                .set(attr::UPDATED_AT, now)
                .set_if_absent(attr::CREATED_AT, now),
            cond: None,
        },
        audit::entry(
            svc,
            who,
            "settings.set",
            "settings".into(),
            Some(json!({
                "name": req.name,
                "time_zone": zone,
                "apple_modern_crypto_only": req.apple_modern_crypto_only,
            })),
        ),
    ];
    // The platform's list shows the name too; an unregistered tenant has no entry there.
    if tenants::state(svc, &who.tenant).await?.registered {
        ops.push(WriteOp::Update {
            key: keys::platform_tenant(&who.tenant),
            update: Update::new().set(attr::NAME, req.name.as_str()),
            cond: Some(Cond::Exists),
        });
    }
    svc.table.transact(ops).await?;
    Ok(SettingsView {
        name: Some(req.name),
        time_zone: Some(zone),
        apple_modern_crypto_only: req.apple_modern_crypto_only,
    })
}
