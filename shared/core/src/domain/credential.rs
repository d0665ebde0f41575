//! Device credentials and enrollment-token secrets: the bearer strings handed out, parsed at the
//! edge, and stored only as hashes.

use sha2::{Digest, Sha256};

use super::{DeviceId, EnrollmentTokenId, TenantId};
use crate::error::Error;

/// `d1.<tenant>.<device>.<secret>`: what a device presents on every call.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceCredential {
    pub tenant: TenantId,
    pub device: DeviceId,
    secret: String,
}

impl std::fmt::Debug for DeviceCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeviceCredential({}/{}, ***)", self.tenant, self.device)
    }
}

impl DeviceCredential {
    pub fn new(tenant: TenantId, device: DeviceId, secret: String) -> Self {
        Self {
            tenant,
            device,
            secret,
        }
    }

    pub fn parse(s: &str) -> Result<Self, Error> {
        let (tenant, id, secret) = split_bearer(s, "d1").ok_or(Error::DeviceCredentialInvalid)?;
        Ok(Self {
            tenant: TenantId::parse(tenant).map_err(|_| Error::DeviceCredentialInvalid)?,
            device: DeviceId::parse(id).map_err(|_| Error::DeviceCredentialInvalid)?,
            secret: secret.to_owned(),
        })
    }

    pub fn encode(&self) -> String {
        format!("d1.{}.{}.{}", self.tenant, self.device, self.secret)
    }

    /// What the store keeps and compares; the secret itself is never stored.
    pub fn secret_hash(&self) -> String {
        hash(&self.secret)
    }
}

/// `e1.<tenant>.<token id>.<secret>`: what an admin hands to devices to enroll.
#[derive(Clone, PartialEq, Eq)]
pub struct EnrollmentSecret {
    pub tenant: TenantId,
    pub token: EnrollmentTokenId,
    secret: String,
}

impl std::fmt::Debug for EnrollmentSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EnrollmentSecret({}/{}, ***)", self.tenant, self.token)
    }
}

impl EnrollmentSecret {
    pub fn new(tenant: TenantId, token: EnrollmentTokenId, secret: String) -> Self {
        Self {
            tenant,
            token,
            secret,
        }
    }

    pub fn parse(s: &str) -> Result<Self, Error> {
        let (tenant, id, secret) = split_bearer(s, "e1").ok_or(Error::EnrollmentTokenInvalid)?;
        Ok(Self {
            tenant: TenantId::parse(tenant).map_err(|_| Error::EnrollmentTokenInvalid)?,
            token: EnrollmentTokenId::parse(id).map_err(|_| Error::EnrollmentTokenInvalid)?,
            secret: secret.to_owned(),
        })
    }

    pub fn encode(&self) -> String {
        format!("e1.{}.{}.{}", self.tenant, self.token, self.secret)
    }

    pub fn secret_hash(&self) -> String {
        hash(&self.secret)
    }
}

fn split_bearer<'a>(s: &'a str, prefix: &str) -> Option<(&'a str, &'a str, &'a str)> {
    if s.len() > 256 {
        return None;
    }
    let mut parts = s.split('.');
    let (p, tenant, id, secret) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let secret_ok = (16..=128).contains(&secret.len())
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (p == prefix && parts.next().is_none() && secret_ok).then_some((tenant, id, secret))
}

/// Hex SHA-256 of a secret: what the store keeps and compares instead of the secret.
pub fn hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_credential_round_trips_and_hides_its_secret_in_debug_output() {
        let c = DeviceCredential::new(
            TenantId::parse("acme").unwrap(),
            DeviceId::parse("01ABC").unwrap(),
            "s".repeat(43),
        );
        let parsed = DeviceCredential::parse(&c.encode()).unwrap();
        assert_eq!(parsed, c);
        assert!(!format!("{c:?}").contains("sss"));
    }

    #[test]
    fn malformed_credentials_are_refused() {
        for bad in [
            "",
            "d1.acme.01ABC",
            "e1.acme.01ABC.ssssssssssssssssssss",
            "d1.ACME.01ABC.ssssssssssssssssssss",
            "d1.acme.01ABC.short",
        ] {
            assert!(DeviceCredential::parse(bad).is_err(), "{bad}");
        }
    }
}
