//! Screening of a token's shape and JOSE header before any key is chosen, so that the choice of
//! algorithm and key is ours and never the token's.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use serde_json::{Map, Value};

use super::MAX_TOKEN_BYTES;
use mdm_ports::error::Error;

/// Header parameters that name a key by value or by URL. Honouring any of them would let the
/// token pick its own verification key, so their mere presence refuses the token.
const KEY_BEARING_PARAMS: [&str; 4] = ["jwk", "jku", "x5u", "x5c"];

/// Longest `kid` looked up; real ones are UUIDs, thumbprints or short names.
const MAX_KID_BYTES: usize = 256;

/// What the verifier may use from a header that passed screening.
#[derive(Debug, PartialEq)]
pub(crate) struct ScreenedHeader {
    pub alg: String,
    pub kid: Option<String>,
}

pub(crate) fn unauthenticated(reason: &str) -> Error {
    Error::Unauthenticated(reason.to_owned())
}

/// Checks the size and compact-serialisation shape of `token` and returns its `alg` and `kid`.
/// Reasons never quote the token or its header, which are attacker-chosen.
pub(crate) fn screen(token: &str) -> Result<ScreenedHeader, Error> {
    if token.is_empty() {
        return Err(unauthenticated("the bearer token is empty"));
    }
    if token.len() > MAX_TOKEN_BYTES {
        return Err(unauthenticated("the bearer token is too long"));
    }
    if !token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(unauthenticated("the bearer token is not a compact JWT"));
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(unauthenticated("the bearer token is not a compact JWT"));
    };
    if header.is_empty() || payload.is_empty() {
        return Err(unauthenticated("the bearer token is not a compact JWT"));
    }

    let malformed = || unauthenticated("the token header is malformed");
    let bytes = URL_SAFE_NO_PAD.decode(header).map_err(|_| malformed())?;
    let fields: Map<String, Value> = serde_json::from_slice(&bytes).map_err(|_| malformed())?;

    if KEY_BEARING_PARAMS.iter().any(|p| fields.contains_key(*p)) {
        return Err(unauthenticated(
            "the token header may not carry its own key",
        ));
    }
    // We implement no JWS extensions, so any critical one must be refused (RFC 7515 §4.1.11).
    if fields.contains_key("crit") {
        return Err(unauthenticated(
            "the token header declares unsupported extensions",
        ));
    }
    let alg = match fields.get("alg") {
        Some(Value::String(alg)) => alg.clone(),
        Some(_) => return Err(malformed()),
        None => return Err(unauthenticated("the token header names no algorithm")),
    };
    let kid = match fields.get("kid") {
        None => None,
        Some(Value::String(kid)) if !kid.is_empty() && kid.len() <= MAX_KID_BYTES => {
            Some(kid.clone())
        }
        Some(_) => return Err(unauthenticated("the token's key id is not acceptable")),
    };
    Ok(ScreenedHeader { alg, kid })
}

/// Maps jsonwebtoken's verdict to a reason safe to show: it names what failed, never a value.
pub(crate) fn refusal(kind: &ErrorKind) -> Error {
    let reason = match kind {
        ErrorKind::ExpiredSignature => "the token has expired",
        ErrorKind::ImmatureSignature => "the token is not valid yet",
        ErrorKind::InvalidIssuer => "the token's issuer is not accepted",
        ErrorKind::InvalidAudience => "the token's audience is not accepted",
        ErrorKind::InvalidSignature => "the token's signature is invalid",
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => {
            "the token's algorithm is not accepted"
        }
        ErrorKind::MissingRequiredClaim(claim) => match claim.as_str() {
            "exp" => "the token has no exp claim",
            "iss" => "the token has no iss claim",
            "aud" => "the token has no aud claim",
            "sub" => "the token has no sub claim",
            _ => "the token lacks a required claim",
        },
        ErrorKind::InvalidClaimFormat(_) => "a registered claim of the token is malformed",
        ErrorKind::Base64(_) | ErrorKind::Json(_) | ErrorKind::Utf8(_) => "the token is malformed",
        _ => "the token is invalid",
    };
    unauthenticated(reason)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn token_with_header(header: &Value) -> String {
        let h = URL_SAFE_NO_PAD.encode(header.to_string());
        let p = URL_SAFE_NO_PAD.encode(r#"{"sub":"x"}"#);
        format!("{h}.{p}.c2ln")
    }

    fn reason(e: Error) -> String {
        match e {
            Error::Unauthenticated(r) => r,
            other => panic!("expected Unauthenticated, got {other:?}"),
        }
    }

    #[test]
    fn a_plain_header_yields_its_alg_and_kid() {
        let t = token_with_header(&json!({"alg": "RS256", "kid": "k1", "typ": "JWT"}));
        assert_eq!(
            screen(&t).unwrap(),
            ScreenedHeader {
                alg: "RS256".into(),
                kid: Some("k1".into())
            }
        );
    }

    #[test]
    fn each_key_bearing_header_parameter_is_refused() {
        for (param, value) in [
            ("jwk", json!({"kty": "oct", "k": "AAAA"})),
            ("jku", json!("https://attacker.example/jwks.json")),
            ("x5u", json!("https://attacker.example/cert.pem")),
            ("x5c", json!(["MIIB"])),
        ] {
            let mut h = json!({"alg": "HS256"});
            h[param] = value;
            let r = reason(screen(&token_with_header(&h)).unwrap_err());
            assert!(r.contains("its own key"), "{param}: {r}");
        }
    }

    #[test]
    fn a_crit_header_is_refused() {
        let t = token_with_header(&json!({"alg": "HS256", "crit": ["exp"], "exp": 1}));
        assert!(screen(&t).is_err());
    }

    #[test]
    fn shapes_other_than_three_base64url_parts_are_refused() {
        for bad in [
            "",
            "a.b",
            "a.b.c.d",
            ".b.c",
            "a..c",
            "a.b.c d",
            "Bearer a.b.c",
            "a.b+/.c",
        ] {
            assert!(screen(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_header_that_is_not_a_json_object_is_refused() {
        for h in ["bnVsbA", "WzFd", "e30K", "eyJhbGciOjF9"] {
            // null, [1], "{}\n" (valid, but no alg), {"alg":1}
            assert!(screen(&format!("{h}.e30.c2ln")).is_err(), "{h}");
        }
    }

    #[test]
    fn an_oversized_kid_is_refused_without_being_echoed() {
        let kid = "k".repeat(MAX_KID_BYTES + 1);
        let r =
            reason(screen(&token_with_header(&json!({"alg": "RS256", "kid": kid}))).unwrap_err());
        assert!(!r.contains("kkkk"));
    }

    #[test]
    fn a_token_over_eight_kib_is_refused_before_decoding() {
        let t = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert!(reason(screen(&t).unwrap_err()).contains("too long"));
    }
}
