//! Each tenant's certificate authority for Apple device identities: created on first use, its
//! key in the secret store (never in a table item), its certificate in the table, and both
//! cached per process, since every Apple request is verified against the certificate.

use std::sync::Arc;

use mdm_pki::{CaVerifier, CertificateAuthority};

use super::records::CaRecord;
use super::{b64, unb64};
use crate::domain::TenantId;
use crate::domain::time::secs_from_ms;
use crate::error::{Error, StoreError};
use crate::ports::Cond;
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{from_item, to_item};

/// How long a tenant's CA is valid: device identities are issued for a year at most, and the
/// CA outlives every one of them by far.
const CA_VALID_DAYS: u32 = 20 * 365;

fn pki(e: mdm_pki::PkiError) -> Error {
    Error::Internal(format!("tenant CA: {e}"))
}

/// The certificate every device identity of the tenant must chain to; None when the tenant
/// never had a CA (so no device of it can hold an identity).
pub async fn verifier(svc: &Services, t: &TenantId) -> Result<Option<Arc<CaVerifier>>, Error> {
    if let Some(v) = svc.apple_cas.verifiers.get(t) {
        return Ok(Some(v));
    }
    let Some(item) = svc.table.get(&keys::apple_ca(t), false).await? else {
        return Ok(None);
    };
    let record: CaRecord = from_item(&item)?;
    let v = Arc::new(CaVerifier::from_der(&unb64(&record.cert)?).map_err(pki)?);
    svc.apple_cas.verifiers.remember(t, svc.now(), v.clone());
    Ok(Some(v))
}

/// The tenant's CA with its key, created on first use. Two processes creating one at once
/// both write a secret, but only one record wins; the other removes its secret and uses the
/// winner's.
pub async fn authority(svc: &Services, t: &TenantId) -> Result<Arc<CertificateAuthority>, Error> {
    if let Some(a) = svc.apple_cas.authorities.get(t) {
        return Ok(a);
    }
    let ca = match svc.table.get(&keys::apple_ca(t), true).await? {
        Some(item) => load(svc, &from_item(&item)?).await?,
        None => create(svc, t).await?,
    };
    let ca = Arc::new(ca);
    svc.apple_cas.authorities.remember(t, svc.now(), ca.clone());
    Ok(ca)
}

async fn load(svc: &Services, record: &CaRecord) -> Result<CertificateAuthority, Error> {
    let pem = svc.secrets.get(&record.secret).await?.ok_or_else(|| {
        Error::Internal("the tenant CA's key is missing from the secret store".into())
    })?;
    CertificateAuthority::from_pem(&pem).map_err(pki)
}

async fn create(svc: &Services, t: &TenantId) -> Result<CertificateAuthority, Error> {
    let now = svc.now();
    let (name, org) = (format!("MDM device CA {t}"), t.to_string());
    // RSA key generation takes tens of milliseconds: off the async workers.
    let ca = tokio::task::spawn_blocking(move || {
        CertificateAuthority::generate(&name, &org, secs_from_ms(now), CA_VALID_DAYS)
    })
    .await
    .map_err(|e| Error::Internal(format!("CA generation: {e}")))?
    .map_err(pki)?;
    let secret = format!("tenants/{t}/apple/ca/{}", svc.ids.id(now));
    svc.secrets.put(&secret, &ca.to_pem()).await?;
    let record = CaRecord {
        secret: secret.clone(),
        cert: b64(&ca.certificate_der()),
        created_at: now,
    };
    let put = svc
        .table
        .put(to_item(keys::apple_ca(t), &record), Some(Cond::NotExists))
        .await;
    match put {
        Ok(()) => Ok(ca),
        Err(StoreError::Precondition { .. }) => {
            svc.secrets.delete(&secret).await?;
            let item = svc
                .table
                .get(&keys::apple_ca(t), true)
                .await?
                .ok_or_else(|| Error::Conflict("the tenant CA changed meanwhile; retry".into()))?;
            load(svc, &from_item(&item)?).await
        }
        Err(e) => {
            // Not recorded: the secret would be an orphan.
            let _ = svc.secrets.delete(&secret).await;
            Err(e.into())
        }
    }
}
