//! `PubSubPushVerifier`: the proof that a push to our Android Management API notification
//! endpoint comes from Google's Pub/Sub and from our subscription. A push subscription with
//! authentication sends `Authorization: Bearer <OIDC token>`, signed by Google (RS256, keys at
//! `https://www.googleapis.com/oauth2/v3/certs`), whose `aud` is the audience configured on the
//! subscription and whose `email` is the service account the subscription pushes as. Anyone can
//! get a Google-signed token for *some* audience and *some* account, so both are checked, with
//! `email_verified`; a body is parsed only after this passes.

use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;

use super::header::{refusal, screen, unauthenticated};
use super::keys::{KeyRing, key_ring};
use super::{KeySource, MAX_LEEWAY_SECS};
use mdm_ports::error::Error;

/// The issuers Google's ID tokens carry (both spellings are in use).
pub const GOOGLE_ISSUERS: [&str; 2] = ["https://accounts.google.com", "accounts.google.com"];

/// Where Google publishes the keys its ID tokens are signed with.
pub const GOOGLE_JWKS_URL: &str = "https://www.googleapis.com/oauth2/v3/certs";

/// Whose pushes to accept.
#[derive(Debug, Clone)]
pub struct PubSubPushConfig {
    /// The audience set on the push subscription (by default Pub/Sub uses the push URL).
    pub audience: String,
    /// The service account the subscription pushes as (`…@….iam.gserviceaccount.com`).
    pub service_account: String,
    /// Google's published keys (a JWKS); tests give their own.
    pub keys: KeySource,
    /// Clock skew tolerated on exp, at most `MAX_LEEWAY_SECS`.
    pub leeway_secs: u64,
}

/// What a verified push token says about its sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSender {
    /// The service account, equal to the configured one.
    pub email: String,
}

/// Verifies the bearer token of a Pub/Sub push.
pub struct PubSubPushVerifier {
    keys: KeyRing,
    validation: Validation,
    service_account: String,
}

impl std::fmt::Debug for PubSubPushVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PubSubPushVerifier")
            .field("service_account", &self.service_account)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct PushClaims {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<bool>,
}

impl PubSubPushVerifier {
    /// Configuration mistakes (an empty audience or account, a dev HS256 key: Google signs with
    /// RSA keys, so a shared secret here could only let someone else forge pushes) are
    /// `Error::Invalid`.
    pub fn new(config: PubSubPushConfig) -> Result<Self, Error> {
        if config.audience.is_empty() || config.service_account.is_empty() {
            return Err(Error::Invalid(
                "Pub/Sub push verifier configuration: audience and service account must not be \
                 empty"
                    .into(),
            ));
        }
        if config.leeway_secs > MAX_LEEWAY_SECS {
            return Err(Error::Invalid(format!(
                "Pub/Sub push verifier configuration: leeway may be at most {MAX_LEEWAY_SECS} s"
            )));
        }
        if matches!(config.keys, KeySource::Hs256 { .. }) {
            return Err(Error::Invalid(
                "Pub/Sub push verifier configuration: Google's tokens are checked with Google's \
                 published keys (a JWKS), not a shared secret"
                    .into(),
            ));
        }
        let keys = key_ring(&config.keys)?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = config.leeway_secs;
        validation.validate_exp = true;
        validation.validate_aud = true;
        validation.set_issuer(&GOOGLE_ISSUERS);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        Ok(Self {
            keys,
            validation,
            service_account: config.service_account,
        })
    }

    /// Checks a push's bearer token: Google's signature, issuer, audience, expiry, and that the
    /// sender is the configured service account with a verified email. Refusals are
    /// `Unauthenticated` with a reason that names what failed and never quotes the token.
    pub fn verify(&self, bearer: &str) -> Result<PushSender, Error> {
        let header = screen(bearer)?;
        let pinned = self.keys.pick(&header.alg, header.kid.as_deref())?;
        if pinned.alg != Algorithm::RS256 {
            return Err(unauthenticated("the token's algorithm is not accepted"));
        }
        let claims = jsonwebtoken::decode::<PushClaims>(bearer, &pinned.key, &self.validation)
            .map_err(|e| refusal(e.kind()))?
            .claims;
        if claims.email.as_deref() != Some(self.service_account.as_str()) {
            return Err(unauthenticated(
                "the token is not from the push subscription's service account",
            ));
        }
        if claims.email_verified != Some(true) {
            return Err(unauthenticated("the token's email is not verified"));
        }
        Ok(PushSender {
            email: self.service_account.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::Algorithm;
    use serde_json::{Value, json};

    use super::*;
    use crate::test_support::{ec_key, header, now, other_rsa_key, rsa_key, sign, sign_hs256};

    const AUDIENCE: &str = "https://mdm.example/android/pubsub";
    const ACCOUNT: &str = "amapi-push@mdm-prod.iam.gserviceaccount.com";

    fn verifier() -> PubSubPushVerifier {
        let jwks = json!({"keys": [rsa_key().jwk("g1"), ec_key().jwk("e1")]}).to_string();
        PubSubPushVerifier::new(PubSubPushConfig {
            audience: AUDIENCE.into(),
            service_account: ACCOUNT.into(),
            keys: KeySource::jwks_json(&jwks).unwrap(),
            leeway_secs: 0,
        })
        .unwrap()
    }

    /// Claims of a push token as Google issues them.
    fn push_claims() -> Value {
        json!({
            "iss": "https://accounts.google.com", "aud": AUDIENCE,
            "azp": "112233445566778899000", "sub": "112233445566778899000",
            "email": ACCOUNT, "email_verified": true,
            "iat": now(), "exp": now() + 3600,
        })
    }

    fn signed(claims: &Value) -> String {
        sign(
            &header(Algorithm::RS256, Some("g1")),
            claims,
            &rsa_key().encoding_key(),
        )
    }

    fn refusal_of(token: &str) -> String {
        match verifier().verify(token) {
            Err(Error::Unauthenticated(reason)) => reason,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_push_token_from_google_for_our_subscription_is_accepted() {
        assert_eq!(
            verifier().verify(&signed(&push_claims())),
            Ok(PushSender {
                email: ACCOUNT.into()
            })
        );
        let mut claims = push_claims();
        claims["iss"] = json!("accounts.google.com");
        assert!(verifier().verify(&signed(&claims)).is_ok());
    }

    #[test]
    fn a_token_for_another_audience_is_refused() {
        let mut claims = push_claims();
        claims["aud"] = json!("https://attacker.example/");
        assert_eq!(
            refusal_of(&signed(&claims)),
            "the token's audience is not accepted"
        );
    }

    #[test]
    fn a_token_of_another_service_account_or_an_unverified_email_is_refused() {
        let mut other = push_claims();
        other["email"] = json!("someone@else.iam.gserviceaccount.com");
        assert_eq!(
            refusal_of(&signed(&other)),
            "the token is not from the push subscription's service account"
        );
        let mut unverified = push_claims();
        unverified["email_verified"] = json!(false);
        assert_eq!(
            refusal_of(&signed(&unverified)),
            "the token's email is not verified"
        );
        let mut missing = push_claims();
        missing.as_object_mut().unwrap().remove("email");
        assert_eq!(
            refusal_of(&signed(&missing)),
            "the token is not from the push subscription's service account"
        );
    }

    #[test]
    fn a_token_not_issued_by_google_is_refused() {
        let mut claims = push_claims();
        claims["iss"] = json!("https://issuer.test/");
        assert_eq!(
            refusal_of(&signed(&claims)),
            "the token's issuer is not accepted"
        );
    }

    #[test]
    fn a_forged_expired_or_differently_signed_token_is_refused() {
        // Signed with a key Google does not publish, under Google's key id.
        let forged = sign(
            &header(Algorithm::RS256, Some("g1")),
            &push_claims(),
            &other_rsa_key().encoding_key(),
        );
        assert_eq!(refusal_of(&forged), "the token's signature is invalid");
        let mut expired = push_claims();
        expired["exp"] = json!(now() - 10);
        assert_eq!(refusal_of(&signed(&expired)), "the token has expired");
        // A key of the set, but not the algorithm Google signs pushes with.
        let es = sign(
            &header(Algorithm::ES256, Some("e1")),
            &push_claims(),
            &ec_key().encoding_key(),
        );
        assert_eq!(refusal_of(&es), "the token's algorithm is not accepted");
        assert_eq!(
            refusal_of(&sign_hs256(&push_claims())),
            "the token names no key id"
        );
        assert!(matches!(
            verifier().verify("not.a.token"),
            Err(Error::Unauthenticated(_))
        ));
    }

    #[test]
    fn a_shared_secret_or_an_empty_audience_is_a_configuration_error() {
        let hs = PubSubPushVerifier::new(PubSubPushConfig {
            audience: AUDIENCE.into(),
            service_account: ACCOUNT.into(),
            keys: KeySource::Hs256 {
                secret: vec![7; 64],
            },
            leeway_secs: 0,
        });
        assert!(matches!(hs, Err(Error::Invalid(_))), "{hs:?}");
        let jwks = json!({"keys": [rsa_key().jwk("g1")]}).to_string();
        let empty = PubSubPushVerifier::new(PubSubPushConfig {
            audience: String::new(),
            service_account: ACCOUNT.into(),
            keys: KeySource::jwks_json(&jwks).unwrap(),
            leeway_secs: 0,
        });
        assert!(matches!(empty, Err(Error::Invalid(_))), "{empty:?}");
    }
}
