//! Minting of HS256 tokens with the local dev key, so that a developer (`mdm-dev token`) and the
//! tests can call tenant routes without a real identity provider.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use super::MIN_HS256_SECRET_BYTES;
use mdm_ports::error::Error;
use mdm_ports::ids::{Role, TenantId};

/// What a dev token asserts. Typed so that a minted token always passes claim parsing.
#[derive(Debug, Clone)]
pub struct DevClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub tenant: TenantId,
    pub role: Role,
    /// Lifetime from now; exp = now + ttl_secs.
    pub ttl_secs: u64,
}

#[derive(Serialize)]
struct WireClaims<'a> {
    iss: &'a str,
    aud: &'a str,
    sub: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<&'a str>,
    role: &'a str,
    iat: u64,
    nbf: u64,
    exp: u64,
}

/// Signs `claims` with the dev `secret` (the same bytes as `KeySource::Hs256`), valid from now
/// for `ttl_secs`. Refuses the secrets that `JwtVerifier` would refuse, so a minted token
/// never fails later for a reason that could have been caught here.
pub fn mint_hs256(secret: &[u8], claims: &DevClaims) -> Result<String, Error> {
    sign(
        secret,
        &claims.iss,
        &claims.aud,
        &claims.sub,
        Some(claims.tenant.as_str()),
        claims.role.as_str(),
        claims.ttl_secs,
    )
}

/// Signs a platform operator's token (role `platform_operator`, no tenant claim) with the dev
/// `secret`, valid from now for `ttl_secs`.
pub fn mint_platform_hs256(
    secret: &[u8],
    iss: &str,
    aud: &str,
    sub: &str,
    ttl_secs: u64,
) -> Result<String, Error> {
    sign(
        secret,
        iss,
        aud,
        sub,
        None,
        mdm_ports::PLATFORM_OPERATOR,
        ttl_secs,
    )
}

fn sign(
    secret: &[u8],
    iss: &str,
    aud: &str,
    sub: &str,
    tenant: Option<&str>,
    role: &str,
    ttl_secs: u64,
) -> Result<String, Error> {
    if secret.len() < MIN_HS256_SECRET_BYTES {
        return Err(Error::Invalid(format!(
            "the HS256 dev secret must be at least {MIN_HS256_SECRET_BYTES} bytes"
        )));
    }
    let now = jsonwebtoken::get_current_timestamp();
    let wire = WireClaims {
        iss,
        aud,
        sub,
        tenant,
        role,
        iat: now,
        nbf: now,
        exp: now.saturating_add(ttl_secs),
    };
    let key = EncodingKey::from_secret(secret)
        .map_err(|e| Error::Internal(format!("unusable HS256 dev secret: {e}")))?;
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &wire, &key)
        .map_err(|e| Error::Internal(format!("cannot sign the dev token: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{AUDIENCE, DEV_SECRET, ISSUER};
    use crate::{JwtConfig, JwtVerifier, KeySource};
    use mdm_ports::TokenVerifier;

    fn dev_claims() -> DevClaims {
        DevClaims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: "dev@acme.test".into(),
            tenant: TenantId::parse("acme").unwrap(),
            role: Role::Admin,
            ttl_secs: 3600,
        }
    }

    #[tokio::test]
    async fn a_minted_dev_token_is_accepted_by_a_verifier_with_the_same_secret() {
        let token = mint_hs256(DEV_SECRET, &dev_claims()).unwrap();
        let verifier = JwtVerifier::new(JwtConfig {
            issuer: ISSUER.into(),
            audience: AUDIENCE.into(),
            keys: KeySource::Hs256 {
                secret: DEV_SECRET.to_vec(),
            },
            leeway_secs: 0,
        })
        .unwrap();
        let p = verifier.verify(&token).await.unwrap();
        assert_eq!(
            (p.tenant.as_str(), p.subject.as_str(), p.role),
            ("acme", "dev@acme.test", Role::Admin)
        );
    }

    #[test]
    fn minting_with_a_short_secret_is_refused() {
        assert!(matches!(
            mint_hs256(b"short", &dev_claims()),
            Err(Error::Invalid(_))
        ));
    }
}
