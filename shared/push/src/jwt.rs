//! The two signed JWTs the providers want: Google's OAuth assertion (RS256) and Apple's
//! provider token (ES256). Keys are checked by signing a probe, because loading a PEM alone
//! does not prove that the key inside is usable for the algorithm.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

/// The scope FCM HTTP v1 needs, and nothing more.
pub(crate) const FCM_SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// Google accepts assertions valid for at most an hour.
const ASSERTION_LIFETIME_SECS: i64 = 3600;

/// An RS256 signing key from a PKCS#8 or PKCS#1 PEM (Google ships PKCS#8).
pub(crate) fn rs256_key(pem: &str) -> Result<EncodingKey, String> {
    let key = EncodingKey::from_rsa_pem(pem.as_bytes())
        .map_err(|_| "is not a PEM-encoded RSA private key".to_string())?;
    probe(&key, Algorithm::RS256)?;
    Ok(key)
}

/// An ES256 signing key from the PKCS#8 PEM of an Apple `.p8` file.
pub(crate) fn es256_key(pem: &str) -> Result<EncodingKey, String> {
    let key = EncodingKey::from_ec_pem(pem.as_bytes())
        .map_err(|_| "is not a PEM-encoded PKCS#8 EC private key".to_string())?;
    probe(&key, Algorithm::ES256)?;
    Ok(key)
}

fn probe(key: &EncodingKey, alg: Algorithm) -> Result<(), String> {
    jsonwebtoken::encode(&Header::new(alg), &serde_json::json!({}), key)
        .map(drop)
        .map_err(|_| format!("cannot sign {alg:?} (wrong key type or curve)"))
}

#[derive(Serialize)]
struct GoogleAssertion<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

/// The JWT-bearer assertion exchanged at Google's token endpoint for an access token.
pub(crate) fn google_assertion(
    key: &EncodingKey,
    key_id: &str,
    client_email: &str,
    token_uri: &str,
    now_secs: i64,
) -> Result<String, String> {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(key_id.to_owned());
    let claims = GoogleAssertion {
        iss: client_email,
        scope: FCM_SCOPE,
        aud: token_uri,
        iat: now_secs,
        exp: now_secs + ASSERTION_LIFETIME_SECS,
    };
    jsonwebtoken::encode(&header, &claims, key).map_err(|e| format!("signing failed: {e}"))
}

#[derive(Serialize)]
struct AppleProviderClaims<'a> {
    iss: &'a str,
    iat: i64,
}

/// Apple's provider authentication token: `{iss: team, iat}` with `kid` naming the key.
pub(crate) fn apple_provider_token(
    key: &EncodingKey,
    key_id: &str,
    team_id: &str,
    now_secs: i64,
) -> Result<String, String> {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(key_id.to_owned());
    let claims = AppleProviderClaims {
        iss: team_id,
        iat: now_secs,
    };
    jsonwebtoken::encode(&header, &claims, key).map_err(|e| format!("signing failed: {e}"))
}
