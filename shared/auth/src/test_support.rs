//! Test-only keys and token builders: RSA and P-256 keys generated once per test run (RSA key
//! generation is slow), published as JWKs, and helpers to sign or hand-craft tokens.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

pub(crate) const ISSUER: &str = "https://issuer.test/";
pub(crate) const AUDIENCE: &str = "mdm-api";
pub(crate) const DEV_SECRET: &[u8] = b"dev-secret-dev-secret-dev-secret-0123";

pub(crate) struct RsaTestKey {
    private: rsa::RsaPrivateKey,
}

pub(crate) struct EcTestKey {
    secret: p256::SecretKey,
}

pub(crate) fn rsa_key() -> &'static RsaTestKey {
    static KEY: OnceLock<RsaTestKey> = OnceLock::new();
    KEY.get_or_init(|| RsaTestKey {
        private: rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("RSA keygen"),
    })
}

/// A second RSA key, for "signed by someone else" cases.
pub(crate) fn other_rsa_key() -> &'static RsaTestKey {
    static KEY: OnceLock<RsaTestKey> = OnceLock::new();
    KEY.get_or_init(|| RsaTestKey {
        private: rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("RSA keygen"),
    })
}

pub(crate) fn ec_key() -> &'static EcTestKey {
    static KEY: OnceLock<EcTestKey> = OnceLock::new();
    KEY.get_or_init(|| EcTestKey {
        secret: p256::SecretKey::random(&mut rand::rngs::OsRng),
    })
}

impl RsaTestKey {
    pub(crate) fn jwk(&self, kid: &str) -> Value {
        let public = self.private.to_public_key();
        json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        })
    }

    pub(crate) fn encoding_key(&self) -> EncodingKey {
        EncodingKey::from_rsa_der(self.private.to_pkcs1_der().expect("pkcs1").as_bytes())
    }

    pub(crate) fn public_pem(&self) -> String {
        self.private
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("pem")
    }
}

impl EcTestKey {
    pub(crate) fn jwk(&self, kid: &str) -> Value {
        let point = self.secret.public_key().to_encoded_point(false);
        json!({
            "kty": "EC", "use": "sig", "alg": "ES256", "crv": "P-256", "kid": kid,
            "x": URL_SAFE_NO_PAD.encode(point.x().expect("x")),
            "y": URL_SAFE_NO_PAD.encode(point.y().expect("y")),
        })
    }

    pub(crate) fn encoding_key(&self) -> EncodingKey {
        use p256::pkcs8::EncodePrivateKey;
        EncodingKey::from_ec_der(self.secret.to_pkcs8_der().expect("pkcs8").as_bytes())
    }
}

pub(crate) fn now() -> i64 {
    jsonwebtoken::get_current_timestamp() as i64
}

/// Claims that a correctly configured verifier accepts; tests then break one thing at a time.
pub(crate) fn good_claims() -> Value {
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "alice@acme.test",
        "tenant": "acme", "role": "operator",
        "iat": now(), "exp": now() + 600,
    })
}

pub(crate) fn sign(header: &Header, claims: &Value, key: &EncodingKey) -> String {
    jsonwebtoken::encode(header, claims, key).expect("encode")
}

pub(crate) fn header(alg: Algorithm, kid: Option<&str>) -> Header {
    let mut h = Header::new(alg);
    h.kid = kid.map(Into::into);
    h
}

pub(crate) fn sign_hs256(claims: &Value) -> String {
    sign(
        &header(Algorithm::HS256, None),
        claims,
        &EncodingKey::from_secret(DEV_SECRET).expect("secret"),
    )
}

pub(crate) fn b64_json(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}
