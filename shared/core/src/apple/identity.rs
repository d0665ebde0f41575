//! Who sent an Apple request: the `Mdm-Signature` (a CMS signature over the body by the device's
//! identity certificate) or the client certificate a TLS terminator handed over, checked against
//! the tenant's CA. The certificate names the tenant and the device; the device's credential is
//! derived from the certificate and the UDID, so the store's credential condition enforces both.

use sha2::{Digest, Sha256};

use super::hex;
use crate::domain::time::secs_from_ms;
use crate::domain::{DeviceCredential, DeviceId, TenantId};
use crate::error::Error;
use crate::services::Services;

/// How the request proves its identity.
#[derive(Debug, Clone, Copy)]
pub enum Proof<'a> {
    /// The `Mdm-Signature` header's value (base64 CMS, detached, over the body).
    Signature(&'a str),
    /// The TLS client certificate (DER), as a terminator doing mutual TLS passed it on.
    ClientCertificate(&'a [u8]),
    None,
}

/// What the edge checks of a verified identity before anything is read or written (the HTTP
/// layer's per-device rate limit): its refusal ends the request.
pub type Admit<'a> = &'a (dyn Fn(&AppleIdentity) -> Result<(), Error> + Sync);

/// A verified identity certificate of one of the tenant's devices.
#[derive(Debug, Clone, PartialEq)]
pub struct AppleIdentity {
    pub tenant: TenantId,
    pub device: DeviceId,
    /// SHA-256 of the certificate, hex.
    pub fingerprint: String,
}

impl AppleIdentity {
    /// The device's credential: its secret is derived from the certificate and the UDID, so a
    /// request with another UDID, another certificate or after revocation fails the same
    /// condition an agent's bearer credential does.
    pub fn credential(&self, udid: &str) -> DeviceCredential {
        let secret = hex(&Sha256::digest(
            format!("apple1:{}:{udid}", self.fingerprint).as_bytes(),
        ));
        DeviceCredential::new(self.tenant.clone(), self.device.clone(), secret)
    }
}

pub async fn verify(
    svc: &Services,
    tenant: &TenantId,
    proof: Proof<'_>,
    body: &[u8],
) -> Result<AppleIdentity, Error> {
    let refused = |why: &str| Error::AppleSignatureInvalid(why.to_owned());
    let Some(ca) = super::ca::verifier(svc, tenant).await? else {
        return Err(refused("this tenant has issued no device identity"));
    };
    let now = secs_from_ms(svc.now());
    let id = match proof {
        Proof::Signature(header) => {
            mdm_pki::signature::verify_mdm_signature(header, body, &ca, now)
        }
        Proof::ClientCertificate(der) => ca.verify_certificate(der, now),
        Proof::None => return Err(refused("the Mdm-Signature header is missing")),
    }
    .map_err(|e| Error::AppleSignatureInvalid(format!("identity refused: {e}")))?;
    // Issued by this tenant's CA, so these are ours; still, a certificate is only accepted for
    // the tenant it names.
    if id.organization.as_deref() != Some(tenant.as_str()) {
        return Err(refused(
            "the identity certificate belongs to another tenant",
        ));
    }
    let device = id
        .common_name
        .as_deref()
        .and_then(|cn| DeviceId::parse(cn).ok())
        .ok_or_else(|| refused("the identity certificate names no device"))?;
    Ok(AppleIdentity {
        tenant: tenant.clone(),
        device,
        fingerprint: hex(&id.fingerprint),
    })
}

/// The start of every device request: the identity verified, the edge's admission of it (its
/// rate limit), and its tenant still admitted (not suspended or deleted).
pub async fn authenticate(
    svc: &Services,
    tenant: &TenantId,
    proof: Proof<'_>,
    body: &[u8],
    admit: Admit<'_>,
) -> Result<AppleIdentity, Error> {
    let id = verify(svc, tenant, proof, body).await?;
    admit(&id)?;
    crate::usecases::tenancy::tenants::admit(svc, tenant).await?;
    Ok(id)
}
