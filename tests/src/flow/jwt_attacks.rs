//! The JWT attack suite through HTTP: forged, confused, stale, incomplete, tampered and oversized
//! tokens against a route that writes. Every one gets 401 `unauthenticated` and nothing is
//! written. (The verifier's own tests cover the same attacks with RSA and EC keys published in a
//! JWKS, including an HS256 token keyed with the RSA public key.)

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mdm_core::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::stack::{Stack, TEST_SECRET};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn good_claims() -> Value {
    json!({
        "iss": "mdm-dev",
        "aud": "mdm",
        "sub": "mallory@acme",
        "tenant": "acme",
        "role": "admin",
        "iat": now(),
        "exp": now() + 600,
    })
}

fn hs256(header: Header, claims: &Value, secret: &[u8]) -> String {
    let key = EncodingKey::from_secret(secret).expect("key");
    jsonwebtoken::encode(&header, claims, &key).expect("sign")
}

fn signed(claims: &Value) -> String {
    hs256(
        Header::new(Algorithm::HS256),
        claims,
        TEST_SECRET.as_bytes(),
    )
}

fn with_header(extra: Value) -> String {
    let mut header = serde_json::to_value(Header::new(Algorithm::HS256)).expect("header");
    for (k, v) in extra.as_object().expect("object") {
        header[k] = v.clone();
    }
    let header: Header = serde_json::from_value(header).expect("a header jsonwebtoken can write");
    hs256(header, &good_claims(), TEST_SECRET.as_bytes())
}

/// A token with any header, signed with the secret over exactly these bytes.
fn raw(header: &Value, claims: &Value, signature: Option<&str>) -> String {
    let h = URL_SAFE_NO_PAD.encode(header.to_string());
    let c = URL_SAFE_NO_PAD.encode(claims.to_string());
    match signature {
        Some(sig) => format!("{h}.{c}.{sig}"),
        None => format!("{h}.{c}."),
    }
}

fn change(field: &str, value: Value) -> String {
    let mut c = good_claims();
    c[field] = value;
    signed(&c)
}

fn drop_claim(field: &str) -> String {
    let mut c = good_claims();
    c.as_object_mut().expect("object").remove(field);
    signed(&c)
}

/// Each attack with its name.
fn attacks() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut add = |name: &str, token: String| out.push((name.to_owned(), token));
    for alg in ["none", "None", "NONE", "nOnE"] {
        add(
            &format!("alg {alg}, no signature"),
            raw(&json!({"alg": alg, "typ": "JWT"}), &good_claims(), None),
        );
        let sig = signed(&good_claims())
            .rsplit('.')
            .next()
            .unwrap_or_default()
            .to_owned();
        add(
            &format!("alg {alg}, copied signature"),
            raw(&json!({"alg": alg}), &good_claims(), Some(&sig)),
        );
    }
    add(
        "HS256 with another secret",
        hs256(
            Header::new(Algorithm::HS256),
            &good_claims(),
            b"not-the-secret-not-the-secret-not-the-secret",
        ),
    );
    add("RS256 header over an HMAC signature", {
        let good = signed(&good_claims());
        let sig = good.rsplit('.').next().unwrap_or_default();
        raw(
            &json!({"alg": "RS256", "typ": "JWT"}),
            &good_claims(),
            Some(sig),
        )
    });
    add(
        "HS512",
        hs256(
            Header::new(Algorithm::HS512),
            &good_claims(),
            TEST_SECRET.as_bytes(),
        ),
    );
    add("unknown kid", with_header(json!({"kid": "rotated-key"})));
    add(
        "kid with a path",
        with_header(json!({"kid": "../../../../etc/passwd"})),
    );
    add("kid with SQL", with_header(json!({"kid": "' OR '1'='1"})));
    add(
        "embedded jwk",
        with_header(json!({"jwk": {"kty": "oct", "k": URL_SAFE_NO_PAD.encode(TEST_SECRET)}})),
    );
    add(
        "jku",
        with_header(json!({"jku": "https://evil.example/jwks.json"})),
    );
    add(
        "x5u",
        with_header(json!({"x5u": "https://evil.example/cert.pem"})),
    );
    add("x5c", with_header(json!({"x5c": ["MIIBszCCAVmgAwIBAgIU"]})));
    add("expired", change("exp", json!(now() - 3600)));
    add("not yet valid", change("nbf", json!(now() + 3600)));
    for claim in ["exp", "iss", "aud", "sub", "tenant", "role"] {
        add(&format!("missing {claim}"), drop_claim(claim));
    }
    add("wrong iss", change("iss", json!("https://evil.example/")));
    add("wrong aud", change("aud", json!("someone-else")));
    add("unknown role", change("role", json!("root")));
    add(
        "tenant that is not an id",
        change("tenant", json!("../globex")),
    );
    add("tampered payload", {
        let good = signed(&good_claims());
        let parts: Vec<&str> = good.split('.').collect();
        let mut c = good_claims();
        c["tenant"] = json!("globex");
        format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(c.to_string()),
            parts[2]
        )
    });
    add("oversized", {
        let mut c = good_claims();
        c["padding"] = json!("x".repeat(16 * 1024));
        signed(&c)
    });
    add("garbage", "eyJhbGciOiJIUzI1NiJ9.garbage".into());
    add("empty", String::new());
    out
}

/// Every attack is refused with 401 and queues nothing.
pub async fn every_jwt_attack_is_refused_and_writes_nothing(s: &Stack) {
    let (device, _) = s.enroll_sink_device("acme", 70).await;
    let path = format!("/v1/devices/{device}/commands");
    let body = json!({"command": {"type": "wipe"}});
    let list = attacks();
    let mut wrong = Vec::new();
    for (name, token) in &list {
        let (status, problem) = s
            .raw(Method::POST, &path, Some(token), Some(body.clone()))
            .await;
        if status != 401 || problem["code"] != "unauthenticated" {
            wrong.push(format!("{name}: {status} {problem}"));
        }
    }
    let admin = s.token("acme", Role::Admin);
    let (_, commands) = s.raw(Method::GET, &path, Some(&admin), None).await;
    let (_, open) = s
        .raw(
            Method::GET,
            &format!("{path}?open=true"),
            Some(&admin),
            None,
        )
        .await;
    let written = commands["items"].as_array().map_or(0, Vec::len)
        + open["items"].as_array().map_or(0, Vec::len);
    crate::figures::report(
        "jwt_attacks",
        &format!(
            "jwt attack suite ({}): {} attacks, {} accepted, {written} commands written",
            s.backend,
            list.len(),
            wrong.len()
        ),
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(written, 0, "a refused token must write nothing");
}
