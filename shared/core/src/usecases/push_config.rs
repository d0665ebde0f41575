//! Per-tenant push settings: which provider wakes the tenant's devices of each platform, with
//! the credentials in the secret store and only a reference (and a fingerprint) in the table.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{ADMINS, READERS, audit, require_role};
use crate::domain::time::rfc3339;
use crate::domain::{Platform, TenantId};
use crate::error::{Error, StoreError};
use crate::ports::{Principal, PushProvider, Query, Table, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{from_item, to_item};

/// Largest credentials document accepted (an APNs certificate and key are about 5 KB).
pub const MAX_CREDENTIALS_BYTES: usize = 12 * 1024;

/// What an admin sends to configure push for one platform.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPushConfig {
    pub provider: PushProvider,
    /// The provider's credentials: a Google service-account JSON for FCM, the APNs document
    /// (certificate or token mode) for Apple; for SNS, the same for the relayed provider.
    pub credentials: Value,
}

/// The stored settings of one platform; the credentials themselves are in the secret store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushConfigRecord {
    pub platform: Platform,
    pub provider: PushProvider,
    /// The secret store name holding the credentials.
    pub secret: String,
    /// SHA-256 of the credentials, so a reader can tell a stale cached secret from the
    /// current one.
    pub fingerprint: String,
    pub updated_at: i64,
    pub updated_by: String,
    /// What the provider prepared (e.g. the SNS platform application ARN).
    #[serde(default)]
    pub attrs: Map<String, Value>,
}

/// The settings as API readers see them: no secret material.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PushConfigView {
    pub platform: Platform,
    pub provider: PushProvider,
    pub fingerprint: String,
    pub updated_at: String,
    pub updated_by: String,
    pub attrs: Map<String, Value>,
}

impl From<PushConfigRecord> for PushConfigView {
    fn from(r: PushConfigRecord) -> Self {
        Self {
            platform: r.platform,
            provider: r.provider,
            fingerprint: r.fingerprint,
            updated_at: rfc3339(r.updated_at),
            updated_by: r.updated_by,
            attrs: r.attrs,
        }
    }
}

/// The secret store name of a tenant's credentials for a platform.
pub fn secret_name(tenant: &TenantId, platform: Platform) -> String {
    format!("tenants/{tenant}/push/{}", platform.as_str())
}

pub fn fingerprint(credentials: &str) -> String {
    crate::domain::credential::hash(credentials)
}

/// Checks and stores the credentials, then records the settings and the audit entry together.
pub async fn set(
    svc: &Services,
    who: &Principal,
    platform: Platform,
    req: SetPushConfig,
) -> Result<PushConfigView, Error> {
    require_role(who, ADMINS, "configure push providers")?;
    if !req.provider.serves(platform) {
        return Err(Error::invalid_field(
            "provider",
            format!(
                "{} cannot wake {} devices",
                req.provider.as_str(),
                platform.as_str()
            ),
        ));
    }
    if !req.credentials.is_object() {
        return Err(Error::invalid_field("credentials", "must be a JSON object"));
    }
    let credentials = req.credentials.to_string();
    if credentials.len() > MAX_CREDENTIALS_BYTES {
        return Err(Error::invalid_field(
            "credentials",
            format!("must be at most {MAX_CREDENTIALS_BYTES} bytes"),
        ));
    }
    let attrs = svc
        .push_providers
        .prepare(&who.tenant, platform, req.provider, &credentials)
        .await?;
    let secret = secret_name(&who.tenant, platform);
    svc.secrets.put(&secret, &credentials).await?;
    let record = PushConfigRecord {
        platform,
        provider: req.provider,
        secret,
        fingerprint: fingerprint(&credentials),
        updated_at: svc.now(),
        updated_by: who.subject.clone(),
        attrs,
    };
    svc.table
        .transact(vec![
            WriteOp::Put {
                item: to_item(keys::push_config(&who.tenant, platform), &record),
                cond: None,
            },
            audit::entry(
                svc,
                who,
                "push_config.set",
                format!("push_config/{}", platform.as_str()),
                Some(json!({"provider": req.provider.as_str(), "fingerprint": record.fingerprint})),
            ),
        ])
        .await?;
    Ok(record.into())
}

/// Every platform's settings of the caller's tenant.
pub async fn list(svc: &Services, who: &Principal) -> Result<Vec<PushConfigView>, Error> {
    require_role(who, READERS, "read push settings")?;
    let page = svc
        .table
        .query(Query::prefix(
            keys::tenant(&who.tenant).pk,
            keys::PUSH_PREFIX,
        ))
        .await?;
    page.items
        .iter()
        .map(|item| Ok(from_item::<PushConfigRecord>(item)?.into()))
        .collect()
}

/// The settings the wake consumer follows for a device's platform, if any.
pub async fn load(
    table: &dyn Table,
    tenant: &TenantId,
    platform: Platform,
) -> Result<Option<PushConfigRecord>, StoreError> {
    table
        .get(&keys::push_config(tenant, platform), false)
        .await?
        .map(|item| from_item(&item))
        .transpose()
}
