//! Credentials as the secret store returns them: parsed and checked up front, and never
//! printed or reported with their keys.

use crate::support::keys;
use mdm_push::fake_apns::TestCa;
use mdm_push::{ApnsCredentials, ConfigError, FcmCredentials};
use serde_json::json;

fn service_account(private_key: &str) -> String {
    json!({
        "type": "service_account",
        "project_id": "demo-project",
        "private_key_id": "key-1",
        "private_key": private_key,
        "client_email": "mdm-push@demo-project.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "universe_domain": "googleapis.com",
    })
    .to_string()
}

fn key_body(pem: &str) -> String {
    // A line from the middle of the PEM: present only if the key itself leaked.
    pem.lines().nth(2).unwrap().to_owned()
}

#[test]
fn debug_output_of_credentials_never_contains_key_material() {
    let rsa = keys::rsa_key();
    let fcm = FcmCredentials::from_json(&service_account(&rsa.private)).unwrap();
    let p8 = keys::p256_key();
    let token = ApnsCredentials::from_json(
        &json!({ "auth": { "mode": "token", "key_p8_pem": p8.private, "key_id": "ABC123DEFG",
                           "team_id": "DEF123GHIJ" },
                 "topic": "com.example.agent", "environment": "sandbox" })
        .to_string(),
    )
    .unwrap();
    let cert = TestCa::new("apple").client_cert("com.apple.mgmt.External.x");
    let mdm = ApnsCredentials::from_json(
        &json!({ "auth": { "mode": "certificate", "cert_pem": cert.cert_pem, "key_pem": cert.key_pem },
                 "topic": "com.apple.mgmt.External.x", "environment": "production" })
        .to_string(),
    )
    .unwrap();

    let printed = format!("{fcm:?} {token:?} {mdm:?} {fcm:#?}");

    for secret in [&rsa.private, &p8.private, &cert.key_pem] {
        assert!(!printed.contains(&key_body(secret)), "{printed}");
    }
    assert!(!printed.contains("PRIVATE KEY"));
    assert!(printed.contains("demo-project") && printed.contains("ABC123DEFG"));
}

#[test]
fn a_service_account_json_parses_with_the_fields_fcm_does_not_need() {
    let creds = FcmCredentials::from_json(&service_account(&keys::rsa_key().private)).unwrap();

    assert_eq!(creds.project_id, "demo-project");
    assert_eq!(creds.token_uri, "https://oauth2.googleapis.com/token");
}

#[test]
fn a_service_account_with_an_ec_key_is_refused_without_echoing_the_key() {
    let ec = keys::p256_key();

    let error = FcmCredentials::from_json(&service_account(&ec.private)).unwrap_err();

    let message = error.to_string();
    assert!(message.contains("private_key"), "{message}");
    assert!(!message.contains(&key_body(&ec.private)), "{message}");
}

#[test]
fn a_token_uri_without_tls_is_refused() {
    let json = service_account(&keys::rsa_key().private).replace(
        "https://oauth2.googleapis.com/token",
        "http://example.com/token",
    );

    let error = FcmCredentials::from_json(&json).unwrap_err();

    assert!(
        matches!(error, ConfigError::Malformed(ref m) if m.contains("token_uri")),
        "{error:?}"
    );
}

#[test]
fn apns_credentials_refuse_unknown_fields() {
    let p8 = keys::p256_key();

    let error = ApnsCredentials::from_json(
        &json!({ "auth": { "mode": "token", "key_p8_pem": p8.private, "key_id": "K",
                           "team_id": "T", "bundle": "x" },
                 "topic": "com.example.agent", "environment": "sandbox" })
        .to_string(),
    )
    .unwrap_err();

    assert!(error.to_string().contains("unknown field"), "{error}");
}

#[test]
fn apns_token_credentials_need_an_ec_p8_key() {
    let rsa = keys::rsa_key();

    let error = ApnsCredentials::from_json(
        &json!({ "auth": { "mode": "token", "key_p8_pem": rsa.private, "key_id": "K",
                           "team_id": "T" },
                 "topic": "com.example.agent", "environment": "sandbox" })
        .to_string(),
    )
    .unwrap_err();

    assert!(error.to_string().contains("auth.key_p8_pem"), "{error}");
}

#[test]
fn apns_certificate_credentials_need_an_mdm_topic() {
    let cert = TestCa::new("apple").client_cert("x");

    let error = ApnsCredentials::from_json(
        &json!({ "auth": { "mode": "certificate", "cert_pem": cert.cert_pem, "key_pem": cert.key_pem },
                 "topic": "com.example.agent", "environment": "production" })
        .to_string(),
    )
    .unwrap_err();

    assert!(error.to_string().contains("com.apple.mgmt."), "{error}");
}

#[test]
fn a_value_of_the_wrong_type_is_reported_by_position_not_by_content() {
    let error = ApnsCredentials::from_json(
        &json!({ "auth": "-----BEGIN PRIVATE KEY----- SECRET", "topic": "t", "environment": "sandbox" })
            .to_string(),
    )
    .unwrap_err();

    assert!(!error.to_string().contains("SECRET"), "{error}");
}
