//! `JwtVerifier`, the `TokenVerifier` used locally and on Lambda alike: it screens the token,
//! picks the key and algorithm from configuration, and lets jsonwebtoken check the signature
//! and the registered claims.

use std::path::Path;

use async_trait::async_trait;
use jsonwebtoken::{Algorithm, Validation};

use super::claims::TenantClaims;
use super::header::{refusal, screen};
use super::keys::{KeyRing, key_ring};
use super::{DEFAULT_LEEWAY_SECS, JwtConfig, KeySource, MAX_LEEWAY_SECS};
use mdm_ports::error::Error;
use mdm_ports::{Identity, TokenVerifier};

/// Verifies tenant users' bearer tokens against one issuer and audience.
pub struct JwtVerifier {
    keys: KeyRing,
    /// One per algorithm we may accept; each allows exactly that algorithm.
    hs256: Validation,
    rs256: Validation,
    es256: Validation,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys = match &self.keys {
            KeyRing::Hs256(_) => "hs256 dev key".to_owned(),
            KeyRing::ByKid(map) => format!("{} JWKS keys", map.len()),
        };
        f.debug_struct("JwtVerifier")
            .field("keys", &keys)
            .finish_non_exhaustive()
    }
}

impl JwtVerifier {
    /// Builds a verifier; configuration mistakes (empty issuer or audience, excessive leeway,
    /// short dev secret, a JWKS with no usable key) are `Error::Invalid`.
    pub fn new(config: JwtConfig) -> Result<Self, Error> {
        if config.issuer.is_empty() || config.audience.is_empty() {
            return Err(Error::Invalid(
                "JWT verifier configuration: issuer and audience must not be empty".into(),
            ));
        }
        if config.leeway_secs > MAX_LEEWAY_SECS {
            return Err(Error::Invalid(format!(
                "JWT verifier configuration: leeway may be at most {MAX_LEEWAY_SECS} s"
            )));
        }
        let keys = key_ring(&config.keys)?;
        Ok(Self {
            keys,
            hs256: validation(Algorithm::HS256, &config),
            rs256: validation(Algorithm::RS256, &config),
            es256: validation(Algorithm::ES256, &config),
        })
    }

    /// A verifier for a production issuer from a saved copy of its JWKS, with the default
    /// leeway.
    pub fn from_jwks_file(
        path: impl AsRef<Path>,
        issuer: impl Into<String>,
        audience: impl Into<String>,
    ) -> Result<Self, Error> {
        Self::new(JwtConfig {
            issuer: issuer.into(),
            audience: audience.into(),
            keys: KeySource::jwks_file(path)?,
            leeway_secs: DEFAULT_LEEWAY_SECS,
        })
    }

    fn validation(&self, alg: Algorithm) -> &Validation {
        match alg {
            Algorithm::RS256 => &self.rs256,
            Algorithm::ES256 => &self.es256,
            // Keys are only ever pinned to HS256, RS256 or ES256.
            _ => &self.hs256,
        }
    }

    fn verify_sync(&self, token: &str) -> Result<Identity, Error> {
        let header = screen(token)?;
        let pinned = self.keys.pick(&header.alg, header.kid.as_deref())?;
        let data =
            jsonwebtoken::decode::<TenantClaims>(token, &pinned.key, self.validation(pinned.alg))
                .map_err(|e| refusal(e.kind()))?;
        data.claims.into_identity()
    }
}

#[async_trait]
impl TokenVerifier for JwtVerifier {
    async fn identify(&self, bearer: &str) -> Result<Identity, Error> {
        // A signature check is tens of microseconds: cheaper inline than a blocking-pool hop.
        self.verify_sync(bearer)
    }
}

fn validation(alg: Algorithm, config: &JwtConfig) -> Validation {
    let mut v = Validation::new(alg);
    v.leeway = config.leeway_secs;
    v.validate_exp = true;
    v.validate_nbf = true;
    v.validate_aud = true;
    v.set_issuer(&[&config.issuer]);
    v.set_audience(&[&config.audience]);
    // jsonwebtoken only compares iss and aud when present, so requiring them is what makes an
    // issuer-less or audience-less token fail.
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    v
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::{Value, json};

    use super::*;
    use crate::MAX_TOKEN_BYTES;
    use crate::test_support::{
        AUDIENCE, DEV_SECRET, ISSUER, b64_json, ec_key, good_claims, header, now, other_rsa_key,
        rsa_key, sign, sign_hs256,
    };
    use mdm_ports::ids::Role;

    fn config(keys: KeySource) -> JwtConfig {
        JwtConfig {
            issuer: ISSUER.into(),
            audience: AUDIENCE.into(),
            keys,
            leeway_secs: 5,
        }
    }

    fn dev_verifier() -> JwtVerifier {
        JwtVerifier::new(config(KeySource::Hs256 {
            secret: DEV_SECRET.to_vec(),
        }))
        .unwrap()
    }

    fn jwks_verifier() -> JwtVerifier {
        let jwks = json!({"keys": [rsa_key().jwk("rsa-1"), ec_key().jwk("ec-1")]});
        JwtVerifier::new(config(KeySource::jwks_json(&jwks.to_string()).unwrap())).unwrap()
    }

    /// The refusal reason, asserting on the way that the failure is `Unauthenticated`.
    async fn refused(verifier: &JwtVerifier, token: &str) -> String {
        match verifier.verify(token).await {
            Err(Error::Unauthenticated(reason)) => reason,
            other => panic!("expected Unauthenticated, got {other:?}"),
        }
    }

    fn with(mut claims: Value, field: &str, value: Value) -> Value {
        claims[field] = value;
        claims
    }

    fn without(mut claims: Value, field: &str) -> Value {
        claims.as_object_mut().unwrap().remove(field);
        claims
    }

    #[tokio::test]
    async fn an_hs256_dev_token_with_valid_claims_is_accepted_and_yields_tenant_subject_and_role() {
        let p = dev_verifier()
            .verify(&sign_hs256(&good_claims()))
            .await
            .unwrap();
        assert_eq!(p.tenant.as_str(), "acme");
        assert_eq!(p.subject, "alice@acme.test");
        assert_eq!(p.role, Role::Operator);
    }

    #[tokio::test]
    async fn an_audience_array_containing_ours_is_accepted() {
        let claims = with(good_claims(), "aud", json!(["other-api", AUDIENCE]));
        assert!(dev_verifier().verify(&sign_hs256(&claims)).await.is_ok());
    }

    #[tokio::test]
    async fn an_expired_token_is_refused() {
        let claims = with(good_claims(), "exp", json!(now() - 60));
        assert!(
            refused(&dev_verifier(), &sign_hs256(&claims))
                .await
                .contains("expired")
        );
    }

    #[tokio::test]
    async fn a_not_yet_valid_token_is_refused() {
        let claims = with(good_claims(), "nbf", json!(now() + 120));
        assert!(
            refused(&dev_verifier(), &sign_hs256(&claims))
                .await
                .contains("not valid yet")
        );
    }

    #[tokio::test]
    async fn a_token_from_another_issuer_is_refused() {
        let claims = with(good_claims(), "iss", json!("https://evil.test/"));
        assert!(
            refused(&dev_verifier(), &sign_hs256(&claims))
                .await
                .contains("issuer")
        );
    }

    #[tokio::test]
    async fn a_token_for_another_audience_is_refused() {
        let claims = with(good_claims(), "aud", json!("someone-else"));
        assert!(
            refused(&dev_verifier(), &sign_hs256(&claims))
                .await
                .contains("audience")
        );
    }

    #[tokio::test]
    async fn a_token_missing_tenant_role_sub_exp_iss_or_aud_is_refused_naming_the_claim() {
        for claim in ["tenant", "role", "sub", "exp", "iss", "aud"] {
            let token = sign_hs256(&without(good_claims(), claim));
            let reason = refused(&dev_verifier(), &token).await;
            assert!(reason.contains(claim), "{claim}: {reason}");
        }
    }

    #[tokio::test]
    async fn a_token_with_an_unknown_role_is_refused() {
        for role in [json!("root"), json!("Admin"), json!(1)] {
            let token = sign_hs256(&with(good_claims(), "role", role.clone()));
            refused(&dev_verifier(), &token).await;
        }
    }

    #[tokio::test]
    async fn a_token_with_an_invalid_tenant_id_is_refused() {
        for tenant in ["", "ACME", "acme/../other", "-acme"] {
            let token = sign_hs256(&with(good_claims(), "tenant", json!(tenant)));
            let reason = refused(&dev_verifier(), &token).await;
            assert!(reason.contains("tenant"), "{tenant}: {reason}");
        }
    }

    #[tokio::test]
    async fn a_token_whose_payload_was_tampered_with_is_refused() {
        let token = sign_hs256(&good_claims());
        let parts: Vec<&str> = token.split('.').collect();
        let forged = b64_json(&with(good_claims(), "role", json!("admin")));
        let tampered = format!("{}.{forged}.{}", parts[0], parts[2]);
        assert!(
            refused(&dev_verifier(), &tampered)
                .await
                .contains("signature")
        );
    }

    #[tokio::test]
    async fn a_token_signed_with_another_secret_is_refused() {
        let key = EncodingKey::from_secret(b"another-secret-another-secret-0123").unwrap();
        let token = sign(&header(Algorithm::HS256, None), &good_claims(), &key);
        assert!(refused(&dev_verifier(), &token).await.contains("signature"));
    }

    #[tokio::test]
    async fn an_alg_none_token_is_refused_in_any_spelling() {
        let payload = b64_json(&good_claims());
        for alg in ["none", "None", "NONE", "nOnE"] {
            let head = b64_json(&json!({"alg": alg, "typ": "JWT"}));
            for signature in ["", "c2ln"] {
                let token = format!("{head}.{payload}.{signature}");
                for verifier in [dev_verifier(), jwks_verifier()] {
                    let reason = refused(&verifier, &token).await;
                    assert!(
                        reason.contains("algorithm") || reason.contains("key id"),
                        "{reason}"
                    );
                }
            }
            let with_kid = b64_json(&json!({"alg": alg, "kid": "rsa-1"}));
            let reason = refused(&jwks_verifier(), &format!("{with_kid}.{payload}.")).await;
            assert!(reason.contains("algorithm"), "{alg}: {reason}");
        }
    }

    #[tokio::test]
    async fn an_hs256_token_keyed_with_the_rsa_public_key_pem_is_refused_when_a_jwks_is_configured()
    {
        let verifier = jwks_verifier();
        for pem in [
            rsa_key().public_pem(),
            rsa_key().public_pem().trim_end().to_owned(),
        ] {
            let key = EncodingKey::from_secret(pem.as_bytes()).unwrap();
            let token = sign(
                &header(Algorithm::HS256, Some("rsa-1")),
                &good_claims(),
                &key,
            );
            assert!(refused(&verifier, &token).await.contains("algorithm"));
        }
    }

    #[tokio::test]
    async fn an_rs256_token_signed_with_a_published_key_is_accepted() {
        let token = sign(
            &header(Algorithm::RS256, Some("rsa-1")),
            &good_claims(),
            &rsa_key().encoding_key(),
        );
        let p = jwks_verifier().verify(&token).await.unwrap();
        assert_eq!((p.tenant.as_str(), p.role), ("acme", Role::Operator));
    }

    #[tokio::test]
    async fn an_es256_token_signed_with_a_published_key_is_accepted() {
        let claims = with(good_claims(), "role", json!("auditor"));
        let token = sign(
            &header(Algorithm::ES256, Some("ec-1")),
            &claims,
            &ec_key().encoding_key(),
        );
        let p = jwks_verifier().verify(&token).await.unwrap();
        assert_eq!(
            (p.subject.as_str(), p.role),
            ("alice@acme.test", Role::Auditor)
        );
    }

    #[tokio::test]
    async fn a_jwks_verifier_loaded_from_a_file_accepts_its_issuers_tokens() {
        let dir = std::env::temp_dir().join(format!("mdm-jwks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("jwks.json");
        std::fs::write(
            &path,
            json!({"keys": [ec_key().jwk("ec-file")]}).to_string(),
        )
        .unwrap();
        let verifier = JwtVerifier::from_jwks_file(&path, ISSUER, AUDIENCE).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let token = sign(
            &header(Algorithm::ES256, Some("ec-file")),
            &good_claims(),
            &ec_key().encoding_key(),
        );
        assert!(verifier.verify(&token).await.is_ok());
        assert!(matches!(
            JwtVerifier::from_jwks_file(dir.join("missing.json"), ISSUER, AUDIENCE),
            Err(Error::Invalid(_))
        ));
    }

    #[tokio::test]
    async fn a_token_whose_alg_differs_from_its_keys_alg_is_refused() {
        // An RS256 signature presented under the EC key's kid, and vice versa.
        let rs = sign(
            &header(Algorithm::RS256, Some("ec-1")),
            &good_claims(),
            &rsa_key().encoding_key(),
        );
        let es = sign(
            &header(Algorithm::ES256, Some("rsa-1")),
            &good_claims(),
            &ec_key().encoding_key(),
        );
        for token in [rs, es] {
            assert!(
                refused(&jwks_verifier(), &token)
                    .await
                    .contains("algorithm")
            );
        }
    }

    #[tokio::test]
    async fn an_rs256_token_signed_by_an_unpublished_key_is_refused() {
        let token = sign(
            &header(Algorithm::RS256, Some("rsa-1")),
            &good_claims(),
            &other_rsa_key().encoding_key(),
        );
        assert!(
            refused(&jwks_verifier(), &token)
                .await
                .contains("signature")
        );
    }

    #[tokio::test]
    async fn a_token_without_a_kid_is_refused_when_a_jwks_is_configured() {
        let token = sign(
            &header(Algorithm::RS256, None),
            &good_claims(),
            &rsa_key().encoding_key(),
        );
        assert!(refused(&jwks_verifier(), &token).await.contains("key id"));
    }

    #[tokio::test]
    async fn a_token_with_an_unknown_kid_is_refused() {
        let token = sign(
            &header(Algorithm::RS256, Some("rsa-2")),
            &good_claims(),
            &rsa_key().encoding_key(),
        );
        assert!(
            refused(&jwks_verifier(), &token)
                .await
                .contains("not known")
        );
    }

    #[tokio::test]
    async fn a_dev_token_naming_a_key_id_is_refused_even_when_signed_with_the_dev_secret() {
        let token = sign(
            &header(Algorithm::HS256, Some("dev")),
            &good_claims(),
            &EncodingKey::from_secret(DEV_SECRET).unwrap(),
        );
        assert!(refused(&dev_verifier(), &token).await.contains("not known"));
    }

    #[tokio::test]
    async fn a_kid_with_path_traversal_or_sql_is_refused_cleanly_without_being_echoed() {
        for kid in [
            "../../etc/passwd",
            "rsa-1/../rsa-1",
            "' OR 1=1 --",
            "rsa-1\0",
            "ec-1 ",
        ] {
            let token = sign(
                &header(Algorithm::RS256, Some(kid)),
                &good_claims(),
                &rsa_key().encoding_key(),
            );
            let reason = refused(&jwks_verifier(), &token).await;
            assert!(!reason.contains(kid.trim()), "{kid}: {reason}");
            assert!(
                !reason.contains("..") && !reason.contains("OR 1=1"),
                "{reason}"
            );
        }
    }

    #[tokio::test]
    async fn a_validly_signed_token_carrying_jwk_jku_x5u_or_x5c_in_its_header_is_refused() {
        let mut headers = Vec::new();
        let mut h = header(Algorithm::HS256, None);
        h.jku = Some("https://attacker.test/jwks.json".into());
        headers.push(h);
        let mut h = header(Algorithm::HS256, None);
        h.x5u = Some("https://attacker.test/cert.pem".into());
        headers.push(h);
        let mut h = header(Algorithm::HS256, None);
        h.x5c = Some(vec!["MIIBfake".into()]);
        headers.push(h);
        let mut h = header(Algorithm::HS256, None);
        h.jwk = Some(serde_json::from_value::<Jwk>(other_rsa_key().jwk("attacker")).unwrap());
        headers.push(h);
        let key = EncodingKey::from_secret(DEV_SECRET).unwrap();
        for h in headers {
            let token = sign(&h, &good_claims(), &key);
            assert!(
                refused(&dev_verifier(), &token)
                    .await
                    .contains("its own key")
            );
        }
    }

    #[tokio::test]
    async fn an_rs256_token_that_embeds_the_signing_key_as_jwk_is_refused() {
        let mut h: Header = header(Algorithm::RS256, Some("rsa-1"));
        h.jwk = Some(serde_json::from_value::<Jwk>(other_rsa_key().jwk("rsa-1")).unwrap());
        let token = sign(&h, &good_claims(), &other_rsa_key().encoding_key());
        assert!(
            refused(&jwks_verifier(), &token)
                .await
                .contains("its own key")
        );
    }

    #[tokio::test]
    async fn a_token_over_eight_kib_is_refused() {
        let claims = with(good_claims(), "padding", json!("x".repeat(MAX_TOKEN_BYTES)));
        let token = sign_hs256(&claims);
        assert!(token.len() > MAX_TOKEN_BYTES);
        assert!(refused(&dev_verifier(), &token).await.contains("too long"));
    }

    #[tokio::test]
    async fn garbage_is_refused_without_echoing_it() {
        for junk in [
            "",
            "not-a-jwt",
            "Bearer abc.def.ghi",
            "a.b.c",
            "<script>.x.y",
        ] {
            let reason = refused(&dev_verifier(), junk).await;
            assert!(junk.is_empty() || !reason.contains(junk), "{reason}");
        }
    }

    #[test]
    fn a_configuration_with_excessive_leeway_or_no_audience_is_invalid() {
        let mut c = config(KeySource::Hs256 {
            secret: DEV_SECRET.to_vec(),
        });
        c.leeway_secs = MAX_LEEWAY_SECS + 1;
        assert!(matches!(
            JwtVerifier::new(c.clone()),
            Err(Error::Invalid(_))
        ));
        c.leeway_secs = 0;
        c.audience.clear();
        assert!(matches!(JwtVerifier::new(c), Err(Error::Invalid(_))));
    }

    #[test]
    fn debug_output_never_contains_the_dev_secret() {
        let c = config(KeySource::Hs256 {
            secret: DEV_SECRET.to_vec(),
        });
        let text = format!("{c:?} {:?}", JwtVerifier::new(c.clone()).unwrap());
        assert!(!text.contains(std::str::from_utf8(DEV_SECRET).unwrap()));
    }
}
