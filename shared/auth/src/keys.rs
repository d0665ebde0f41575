//! Turns a `KeySource` into the verification keys, pinning one algorithm to each key so that a
//! token can never choose to have an RSA public key used as an HMAC secret.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, KeyOperations, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;

use super::header::unauthenticated;
use super::{KeySource, MIN_HS256_SECRET_BYTES};
use mdm_ports::error::Error;

/// Weaker RSA keys are forgeable with public effort; no mainstream issuer publishes them.
const MIN_RSA_MODULUS_BITS: usize = 2048;

/// A verification key and the one algorithm it may be used with.
pub(crate) struct PinnedKey {
    pub alg: Algorithm,
    pub key: DecodingKey,
}

/// The keys of a configured verifier.
pub(crate) enum KeyRing {
    /// The dev key; tokens carry no kid (one is ignored).
    Hs256(PinnedKey),
    /// Keys by kid; a token must name one.
    ByKid(HashMap<String, PinnedKey>),
}

impl KeyRing {
    /// Chooses the key from configuration; the header only selects among configured keys and
    /// must then name exactly that key's algorithm (compared case-sensitively, so that "none",
    /// "None" and "HS256" for an RSA key all fail here).
    pub(crate) fn pick(&self, alg: &str, kid: Option<&str>) -> Result<&PinnedKey, Error> {
        let pinned = match self {
            // The one shared secret has no id: a token naming any key wants a key we lack.
            KeyRing::Hs256(_) if kid.is_some() => {
                return Err(unauthenticated("the token's key id is not known"));
            }
            KeyRing::Hs256(pinned) => pinned,
            KeyRing::ByKid(by_kid) => {
                let kid = kid.ok_or_else(|| unauthenticated("the token names no key id"))?;
                by_kid
                    .get(kid)
                    .ok_or_else(|| unauthenticated("the token's key id is not known"))?
            }
        };
        if alg != algorithm_name(pinned.alg) {
            return Err(unauthenticated("the token's algorithm is not accepted"));
        }
        Ok(pinned)
    }
}

fn algorithm_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::HS256 => "HS256",
        Algorithm::RS256 => "RS256",
        Algorithm::ES256 => "ES256",
        _ => "",
    }
}

fn config_error(msg: impl Into<String>) -> Error {
    Error::Invalid(format!("JWT verifier configuration: {}", msg.into()))
}

pub(crate) fn key_ring(source: &KeySource) -> Result<KeyRing, Error> {
    match source {
        KeySource::Hs256 { secret } => {
            if secret.len() < MIN_HS256_SECRET_BYTES {
                return Err(config_error(format!(
                    "the HS256 secret must be at least {MIN_HS256_SECRET_BYTES} bytes"
                )));
            }
            let key = DecodingKey::from_secret(secret)
                .map_err(|e| config_error(format!("unusable HS256 secret: {e}")))?;
            Ok(KeyRing::Hs256(PinnedKey {
                alg: Algorithm::HS256,
                key,
            }))
        }
        KeySource::Jwks(set) => jwks_ring(set),
    }
}

fn jwks_ring(set: &JwkSet) -> Result<KeyRing, Error> {
    let mut by_kid = HashMap::new();
    for jwk in &set.keys {
        // A set may legitimately hold keys we cannot use (encryption keys, other curves);
        // those are skipped, and only a set with no usable key at all is a configuration error.
        let Some(kid) = jwk.common.key_id.as_deref().filter(|k| !k.is_empty()) else {
            tracing::warn!("JWKS: skipping a key without a kid");
            continue;
        };
        match pinned_key(jwk) {
            Ok(pinned) => {
                if by_kid.insert(kid.to_owned(), pinned).is_some() {
                    // Two keys under one kid make the choice of key ambiguous.
                    return Err(config_error(format!(
                        "the JWKS has two keys with kid {kid:?}"
                    )));
                }
            }
            Err(why) => tracing::warn!(kid, why, "JWKS: skipping an unusable key"),
        }
    }
    if by_kid.is_empty() {
        return Err(config_error(
            "the JWKS has no usable RS256 or ES256 signing key",
        ));
    }
    Ok(KeyRing::ByKid(by_kid))
}

fn pinned_key(jwk: &Jwk) -> Result<PinnedKey, &'static str> {
    if let Some(usage) = &jwk.common.public_key_use
        && *usage != PublicKeyUse::Signature
    {
        return Err("not a signature key (use)");
    }
    if let Some(ops) = &jwk.common.key_operations
        && !ops.contains(&KeyOperations::Verify)
    {
        return Err("not a verification key (key_ops)");
    }
    let declared = jwk.common.key_algorithm;
    match &jwk.algorithm {
        AlgorithmParameters::RSA(rsa) => {
            if !matches!(declared, None | Some(KeyAlgorithm::RS256)) {
                return Err("RSA keys are only accepted for RS256");
            }
            let n = decode_b64url(&rsa.n).ok_or("the modulus is not base64url")?;
            let e = decode_b64url(&rsa.e).ok_or("the exponent is not base64url")?;
            if modulus_bits(&n) < MIN_RSA_MODULUS_BITS {
                return Err("the RSA modulus is shorter than 2048 bits");
            }
            if e.is_empty() || e.len() > 8 {
                return Err("the RSA exponent is out of range");
            }
            Ok(PinnedKey {
                alg: Algorithm::RS256,
                key: DecodingKey::from_rsa_raw_components(&n, &e),
            })
        }
        AlgorithmParameters::EllipticCurve(ec) => {
            if ec.curve != EllipticCurve::P256 {
                return Err("only P-256 EC keys are accepted");
            }
            if !matches!(declared, None | Some(KeyAlgorithm::ES256)) {
                return Err("P-256 keys are only accepted for ES256");
            }
            let coordinate_ok = |c: &str| decode_b64url(c).is_some_and(|bytes| bytes.len() == 32);
            if !coordinate_ok(&ec.x) || !coordinate_ok(&ec.y) {
                return Err("the P-256 coordinates are not 32 bytes of base64url");
            }
            let key = DecodingKey::from_ec_components(&ec.x, &ec.y)
                .map_err(|_| "the P-256 coordinates are unusable")?;
            Ok(PinnedKey {
                alg: Algorithm::ES256,
                key,
            })
        }
        // Symmetric keys published in a JWKS would be public secrets; other types are unsupported.
        _ => Err("only RSA and P-256 EC keys are accepted"),
    }
}

fn decode_b64url(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).ok()
}

fn modulus_bits(n: &[u8]) -> usize {
    let n = match n.iter().position(|b| *b != 0) {
        Some(first) => &n[first..],
        None => return 0,
    };
    n.len() * 8 - n[0].leading_zeros() as usize
}

/// Parses a JWKS document key by key, dropping keys that do not parse (an issuer may publish
/// algorithms or key types newer than this crate).
pub(crate) fn parse_jwks(json: &str) -> Result<JwkSet, Error> {
    let doc: Value = serde_json::from_str(json)
        .map_err(|e| config_error(format!("the JWKS is not JSON: {e}")))?;
    let Some(Value::Array(entries)) = doc.get("keys") else {
        return Err(config_error("the JWKS has no \"keys\" array"));
    };
    let keys = entries
        .iter()
        .filter_map(|entry| match serde_json::from_value::<Jwk>(entry.clone()) {
            Ok(jwk) => Some(jwk),
            Err(e) => {
                tracing::warn!(error = %e, "JWKS: skipping a key that does not parse");
                None
            }
        })
        .collect();
    Ok(JwkSet { keys })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::test_support::{ec_key, rsa_key};

    fn ring(jwks: &Value) -> Result<KeyRing, Error> {
        key_ring(&KeySource::Jwks(parse_jwks(&jwks.to_string())?))
    }

    fn kids(ring: &KeyRing) -> Vec<String> {
        match ring {
            KeyRing::ByKid(map) => {
                let mut kids: Vec<_> = map.keys().cloned().collect();
                kids.sort();
                kids
            }
            KeyRing::Hs256(_) => panic!("expected a JWKS ring"),
        }
    }

    #[test]
    fn rsa_and_p256_keys_are_pinned_to_rs256_and_es256() {
        let r = ring(&json!({"keys": [rsa_key().jwk("r1"), ec_key().jwk("e1")]})).unwrap();
        let KeyRing::ByKid(map) = r else { panic!() };
        assert_eq!(map["r1"].alg, Algorithm::RS256);
        assert_eq!(map["e1"].alg, Algorithm::ES256);
    }

    #[test]
    fn symmetric_encryption_unknown_and_kidless_keys_are_skipped() {
        let mut enc = rsa_key().jwk("enc");
        enc["use"] = json!("enc");
        let mut ps = rsa_key().jwk("ps");
        ps["alg"] = json!("PS256");
        let mut kidless = ec_key().jwk("x");
        kidless.as_object_mut().unwrap().remove("kid");
        let jwks = json!({"keys": [
            {"kty": "oct", "kid": "oct", "k": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"},
            {"kty": "OKP", "kid": "ed", "crv": "Ed25519", "x": "AAAA"},
            {"kty": "XYZ", "kid": "weird", "alg": "FUTURE-ALG"},
            enc, ps, kidless,
            rsa_key().jwk("good"),
        ]});
        assert_eq!(kids(&ring(&jwks).unwrap()), ["good"]);
    }

    #[test]
    fn a_short_rsa_modulus_is_skipped() {
        let mut short = rsa_key().jwk("short");
        short["n"] = json!(URL_SAFE_NO_PAD.encode([0xffu8; 128]));
        assert!(ring(&json!({"keys": [short]})).is_err());
    }

    #[test]
    fn a_jwks_without_usable_keys_or_with_a_duplicate_kid_is_a_configuration_error() {
        assert!(matches!(ring(&json!({"keys": []})), Err(Error::Invalid(_))));
        assert!(matches!(
            ring(&json!({"nokeys": 1})),
            Err(Error::Invalid(_))
        ));
        let dup = json!({"keys": [rsa_key().jwk("k"), ec_key().jwk("k")]});
        assert!(matches!(ring(&dup), Err(Error::Invalid(_))));
    }

    #[test]
    fn a_short_hs256_secret_is_a_configuration_error() {
        let r = key_ring(&KeySource::Hs256 {
            secret: b"short".to_vec(),
        });
        assert!(matches!(r, Err(Error::Invalid(_))));
    }

    #[test]
    fn modulus_bits_ignores_leading_zero_bytes() {
        assert_eq!(modulus_bits(&[0, 0, 0x01, 0xff]), 9);
        assert_eq!(modulus_bits(&[0x80; 256]), 2048);
        assert_eq!(modulus_bits(&[0, 0]), 0);
    }
}
