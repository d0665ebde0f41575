//! Fuzzes `JwtVerifier` in both configurations (HS256 dev secret; JWKS with an RSA and an EC
//! key): no input may be accepted unless it is one of the tokens the test keys signed, an
//! accepted token's principal is exactly its claims, and refusals are from a fixed vocabulary.
#![no_main]

use std::collections::BTreeSet;
use std::sync::OnceLock;
use std::task::{Context, Poll, Waker};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use mdm_core::Error;
use mdm_auth::{JwtConfig, JwtVerifier, KeySource};
use mdm_core::ports::{Principal, TokenVerifier};
use mdm_fuzz::note_message;
use serde_json::Value;

const ISSUER: &str = "https://issuer.fuzz/";
const AUDIENCE: &str = "mdm-api";
/// The dev secret the HS256 seed tokens were signed with (test-only, as in the keys/ files).
const DEV_SECRET: &[u8] = b"fuzz-dev-secret-fuzz-dev-secret-0123456789";
/// Public halves of the RSA (kid r1) and P-256 (kid e1) keys; the private halves were thrown
/// away after signing the tokens below.
const JWKS: &str = include_str!("../keys/jwks.json");
/// Every token the keys signed that is valid until 2100: the only inputs that may be accepted.
const SIGNED_HS256: &str = include_str!("../keys/valid-hs256.txt");
const SIGNED_JWKS: &str = include_str!("../keys/valid-jwks.txt");

struct Config {
    verifier: JwtVerifier,
    signed: BTreeSet<&'static str>,
}

fn configs() -> &'static [Config; 2] {
    static CONFIGS: OnceLock<[Config; 2]> = OnceLock::new();
    CONFIGS.get_or_init(|| {
        let build = |keys| {
            JwtVerifier::new(JwtConfig {
                issuer: ISSUER.into(),
                audience: AUDIENCE.into(),
                keys,
                leeway_secs: 60,
            })
            .expect("fuzz verifier configuration")
        };
        let configs = [
            Config {
                verifier: build(KeySource::Hs256 {
                    secret: DEV_SECRET.to_vec(),
                }),
                signed: SIGNED_HS256.lines().collect(),
            },
            Config {
                verifier: build(KeySource::jwks_json(JWKS).expect("fuzz JWKS")),
                signed: SIGNED_JWKS.lines().collect(),
            },
        ];
        // Without this, a stale key file would leave "nothing is accepted" true but vacuous.
        for config in &configs {
            for token in &config.signed {
                verify_now(&config.verifier, token).expect("a signed seed token is accepted");
            }
        }
        configs
    })
}

/// `verify` is async only to fit the port; it never waits, so one poll must finish it.
fn verify_now(verifier: &JwtVerifier, token: &str) -> Result<Principal, Error> {
    let mut cx = Context::from_waker(Waker::noop());
    match verifier.verify(token).as_mut().poll(&mut cx) {
        Poll::Ready(r) => r,
        Poll::Pending => panic!("JwtVerifier::verify waited on something"),
    }
}

/// Inputs starting with `{` are `header JSON \n payload JSON \n signature`, encoded here, so
/// the fuzzer explores header and claim values; anything else is the bearer token itself.
fn token(data: &[u8]) -> Option<String> {
    if data.first() == Some(&b'{') {
        let mut parts = data.splitn(3, |&b| b == b'\n');
        let header = parts.next()?;
        let payload = parts.next()?;
        let signature = std::str::from_utf8(parts.next().unwrap_or_default()).ok()?;
        Some(format!(
            "{}.{}.{signature}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        ))
    } else {
        std::str::from_utf8(data).ok().map(str::to_owned)
    }
}

/// Checks an accepted token's principal against its claims, read independently of mdm-core.
fn assert_principal_is_the_claims(token: &str, p: &Principal) {
    let payload = token.split('.').nth(1).expect("payload");
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64")).expect("json");
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], AUDIENCE);
    assert_eq!(claims["tenant"], p.tenant.as_str());
    assert_eq!(claims["sub"], p.subject.as_str());
    assert_eq!(claims["role"], p.role.as_str());
}

fuzz_target!(|data: &[u8]| {
    let Some(token) = token(data) else { return };
    for config in configs() {
        match verify_now(&config.verifier, &token) {
            Ok(principal) => {
                assert!(
                    config.signed.contains(token.as_str()),
                    "accepted a token the configured keys never signed: {token}"
                );
                assert_principal_is_the_claims(&token, &principal);
            }
            Err(Error::Unauthenticated(reason)) => note_message(&reason),
            Err(other) => panic!("a refusal that is not Unauthenticated: {other:?}"),
        }
    }
});
