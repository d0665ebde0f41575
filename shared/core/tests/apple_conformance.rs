//! What the Apple channel sends, checked against Apple's own schemas
//! (../shared/conformance/apple/spec): the command of every kind Apple can carry, and the
//! profile of a policy that uses every section.

use mdm_apple::command::render;
use mdm_apple::schema::{Schema, check_profile};
use mdm_core::apple::commands::{Needs, translate};
use mdm_core::apple::policy_profile;
use mdm_core::domain::policy::PolicyDocument;
use mdm_core::domain::{CommandSpec, Platform, TenantId};
use plist::{Dictionary, Value};
use serde_json::json;

fn every_kind() -> Vec<CommandSpec> {
    [
        json!({"type": "lock", "message": "Call IT", "phone_number": "+14155550100"}),
        json!({"type": "lock"}),
        json!({"type": "lock", "message": "Locked by IT", "pin": "123456"}),
        json!({"type": "wipe", "pin": "654321"}),
        json!({"type": "locate"}),
        json!({"type": "ring"}),
        json!({"type": "message", "text": "hi"}),
        json!({"type": "reset_passcode"}),
        json!({"type": "wipe", "preserve_data_plan": true}),
        json!({"type": "enterprise_wipe"}),
        json!({"type": "install_app", "app_id": "com.example.app"}),
        json!({"type": "install_app", "app_id": "com.example.inhouse", "url": "https://apps.example.com/manifest.plist"}),
        json!({"type": "remove_app", "app_id": "com.example.app"}),
        json!({"type": "refresh_inventory"}),
        json!({"type": "block_corporate_access"}),
        json!({"type": "unblock_corporate_access"}),
        json!({"type": "reboot"}),
        json!({"type": "start_lost_mode", "message": "Please return", "phone_number": "+14155550100", "footnote": "Acme IT"}),
        json!({"type": "stop_lost_mode"}),
        json!({"type": "enter_kiosk", "apps": ["com.example.pos"]}),
        json!({"type": "exit_kiosk"}),
        json!({"type": "apply_policy"}),
    ]
    .into_iter()
    .map(|v| serde_json::from_value(v).expect("a command"))
    .collect()
}

fn command_dict(body: &[u8]) -> (String, Dictionary) {
    let d: Dictionary = plist::from_bytes(body).expect("a plist");
    let uuid = d["CommandUUID"]
        .as_string()
        .expect("CommandUUID")
        .to_owned();
    (uuid, d["Command"].as_dictionary().expect("Command").clone())
}

#[test]
fn every_kind_an_apple_platform_admits_renders_a_command_apple_s_schema_accepts_on_that_os() {
    let t = TenantId::parse("acme").unwrap();
    let needs = Needs {
        unlock_token: Some(b"unlock".to_vec()),
        policy_profile: Some(b"<plist/>".to_vec()),
    };
    let mut rendered = 0;
    for (platform, os) in [(Platform::Ios, "iOS"), (Platform::Macos, "macOS")] {
        for spec in every_kind() {
            let steps = if spec.kind() == "refresh_inventory" {
                3
            } else {
                1
            };
            for step in 0..steps {
                let translated = translate(&t, platform, &spec, step, needs.clone());
                let admitted = spec.supported_on(platform);
                // A kind with no Apple command is never admitted at queueing.
                if translated.is_err() {
                    assert!(!admitted, "{spec:?} admitted on {os} but has no command");
                    continue;
                }
                let (uuid, dict) =
                    command_dict(&render("01ARZ3NDEKTSV4RRFFQ69G5FAV", &translated.unwrap()));
                assert_eq!(uuid, "01ARZ3NDEKTSV4RRFFQ69G5FAV");
                let kind = dict["RequestType"]
                    .as_string()
                    .expect("RequestType")
                    .to_owned();
                let schema = Schema::for_request_type(&kind).expect("a schema for the command");
                let problems = schema.check(&dict);
                assert!(problems.is_empty(), "{spec:?} as {kind}: {problems:?}");
                if admitted {
                    // What queueing admits for a platform, Apple's spec says that OS runs.
                    assert!(
                        schema.introduced_on(os).is_some(),
                        "{spec:?} is admitted on {os}, but Apple's {kind} is not for {os}"
                    );
                    rendered += 1;
                }
                // The PIN goes only to Macs.
                assert_eq!(
                    dict.get("PIN").is_some(),
                    platform == Platform::Macos && spec.redacted().get("pin").is_some(),
                    "{spec:?} on {os}"
                );
            }
        }
    }
    assert!(rendered >= 30, "{rendered}");
}

#[test]
fn a_passcode_reset_without_an_escrowed_unlock_token_is_refused_with_a_reason() {
    let t = TenantId::parse("acme").unwrap();
    let spec: CommandSpec = serde_json::from_value(json!({"type": "reset_passcode"})).unwrap();
    let refused = translate(&t, Platform::Ios, &spec, 0, Needs::default()).unwrap_err();
    assert_eq!(refused.code, "unlock_token_missing");
}

#[test]
fn a_policy_using_every_section_becomes_a_profile_apple_s_schemas_accept() {
    let root = base64_of(b"a DER certificate would be here");
    let doc: PolicyDocument = serde_json::from_value(json!({
        "passcode": {"min_length": 8, "complexity": "complex", "max_failed_attempts": 10, "auto_lock_seconds": 45},
        "restrictions": {
            "camera_disabled": true, "screen_capture_disabled": true, "usb_file_transfer_disabled": true,
            "debugging_disabled": true, "nfc_disabled": true, "bluetooth_disabled": true,
            "roaming_disabled": true, "factory_reset_disabled": true, "unknown_sources_disabled": true,
            "clipboard_to_personal_disabled": true
        },
        "wifi": [
            {"ssid": "Guest", "security": "open"},
            {"ssid": "Office", "security": "wpa2_psk", "password": "correct horse"},
            {"ssid": "Lab", "security": "wpa3_sae", "password": "battery staple", "hidden": true},
            {"ssid": "Corp", "security": "wpa2_enterprise", "certificate": "Corp identity"}
        ],
        "vpn": {"name": "Corp VPN", "kind": "ikev2", "server": "vpn.example.com", "always_on": true},
        "email": [
            {"kind": "exchange", "account_name": "Work", "host": "mail.example.com"},
            {"kind": "imap", "account_name": "IMAP", "host": "imap.example.com", "port": 993, "smtp_host": "smtp.example.com"},
            {"kind": "pop", "account_name": "POP", "host": "pop.example.com", "smtp_host": "smtp.example.com"}
        ],
        "certificates": [
            {"name": "Corp root", "kind": "root", "data_base64": root},
            {"name": "Corp identity", "kind": "pkcs12", "data_base64": root}
        ],
        "apps": {"mode": "deny_list", "apps": ["com.example.game"]},
        "kiosk": {"apps": ["com.example.pos"]}
    }))
    .expect("a policy document");
    doc.validate().expect("a valid document");
    let t = TenantId::parse("acme").unwrap();
    let profile = policy_profile::profile_of(&t, "v1", &doc);
    let body = mdm_apple::profile::render(&profile);
    let problems = check_profile(&body);
    assert!(problems.is_empty(), "{problems:?}");
    let parsed: Dictionary = plist::from_bytes(&body).unwrap();
    let types: Vec<&str> = parsed["PayloadContent"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| {
            p.as_dictionary()?
                .get("PayloadType")
                .and_then(Value::as_string)
        })
        .collect();
    for t in [
        "com.apple.security.root",
        "com.apple.security.pkcs12",
        "com.apple.mobiledevice.passwordpolicy",
        "com.apple.applicationaccess",
        "com.apple.wifi.managed",
        "com.apple.vpn.managed",
        "com.apple.eas.account",
        "com.apple.mail.managed",
        "com.apple.app.lock",
    ] {
        assert!(types.contains(&t), "{t} in {types:?}");
    }
    // The enterprise network names its identity by the PKCS#12 payload's UUID.
    let uuid_of = |kind: &str| {
        parsed["PayloadContent"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_dictionary)
            .find(|p| p["PayloadType"].as_string() == Some(kind))
            .map(|p| p["PayloadUUID"].as_string().unwrap().to_owned())
            .unwrap()
    };
    let corp = parsed["PayloadContent"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_dictionary)
        .find(|p| p.get("SSID_STR").and_then(Value::as_string) == Some("Corp"))
        .expect("the Corp network");
    assert_eq!(
        corp.get("PayloadCertificateUUID")
            .and_then(Value::as_string),
        Some(uuid_of("com.apple.security.pkcs12").as_str())
    );
    // Rendering the same version twice gives the same profile (stable payload UUIDs).
    assert_eq!(
        body,
        mdm_apple::profile::render(&policy_profile::profile_of(&t, "v1", &doc))
    );
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
