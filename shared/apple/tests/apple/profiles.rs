//! Every payload builder renders, inside a profile, something Apple's profile schemas accept:
//! the top level per TopLevel.yaml, each payload per CommonPayloadKeys.yaml and its own type.

use mdm_apple::profile::*;
use mdm_apple::schema::check_profile;
use plist::Value;

fn profile(payloads: Vec<Payload>) -> Profile {
    Profile {
        identifier: "com.example.enrol".into(),
        uuid: "11111111-1111-4111-8111-111111111111".into(),
        display_name: "Example".into(),
        organization: Some("Example Ltd".into()),
        description: Some("Enrolment".into()),
        removal_disallowed: true,
        payloads,
    }
}

fn assert_conforms(payload: Payload) {
    let payload_type = payload.payload_type.clone();
    let violations = check_profile(&render(&profile(vec![payload])));
    assert_eq!(violations, Vec::<String>::new(), "{payload_type}");
}

fn scep() -> ScepSettings {
    ScepSettings {
        url: "https://mdm.example.com/scep".into(),
        name: Some("example-ca".into()),
        subject: vec![
            ("CN".into(), "device".into()),
            ("O".into(), "Example".into()),
        ],
        challenge: "secret".into(),
        key_size: 2048,
        uuid: "22222222-2222-4222-8222-222222222222".into(),
        identifier: "com.example.enrol.scep".into(),
    }
}

#[test]
fn the_scep_payload_conforms_with_apples_subject_shape_and_key_usage() {
    let payload = scep_payload(&scep());
    let inner = payload
        .content
        .get("PayloadContent")
        .and_then(Value::as_dictionary)
        .unwrap();
    let subject = inner.get("Subject").and_then(Value::as_array).unwrap();
    let first = &subject[0].as_array().unwrap()[0].as_array().unwrap();
    assert_eq!(
        (first[0].as_string(), first[1].as_string()),
        (Some("CN"), Some("device"))
    );
    assert_eq!(
        inner.get("Key Usage").and_then(Value::as_signed_integer),
        Some(5)
    );
    assert_eq!(
        inner.get("Key Type").and_then(Value::as_string),
        Some("RSA")
    );
    assert_conforms(payload);
}

#[test]
fn the_mdm_payload_conforms() {
    assert_conforms(mdm_payload(&MdmSettings {
        server_url: "https://mdm.example.com/mdm".into(),
        check_in_url: Some("https://mdm.example.com/checkin".into()),
        topic: "com.apple.mgmt.External.e0bd1eac".into(),
        identity_certificate_uuid: scep().uuid,
        access_rights: ALL_ACCESS_RIGHTS,
        sign_message: true,
        check_out_when_removed: true,
        server_capabilities: vec![
            "com.apple.mdm.per-user-connections".into(),
            "com.apple.mdm.bootstraptoken".into(),
        ],
        uuid: "33333333-3333-4333-8333-333333333333".into(),
        identifier: "com.example.enrol.mdm".into(),
    }));
}

#[test]
fn the_passcode_payload_conforms() {
    let full = PasscodeSettings {
        min_length: Some(6),
        require_alphanumeric: true,
        min_complex_chars: Some(1),
        allow_simple: false,
        max_failed_attempts: Some(10),
        max_inactivity_minutes: Some(5),
        force_pin: true,
        max_pin_age_days: Some(90),
        pin_history: Some(3),
        max_grace_period_minutes: Some(1),
    };
    assert_conforms(passcode_payload(&full, "p-1", "com.example.passcode"));
    assert_conforms(passcode_payload(
        &PasscodeSettings::default(),
        "p-2",
        "com.example.passcode2",
    ));
}

#[test]
fn the_restrictions_payload_with_every_field_set_conforms() {
    // Every field set, so every key the struct can render is checked against Apple's schema.
    let mut all = RestrictionSettings {
        blocked_app_bundle_ids: vec!["com.example.game".into()],
        allow_listed_app_bundle_ids: vec!["com.example.mail".into()],
        ..Default::default()
    };
    let rendered = restrictions_payload(&all, "r-0", "com.example.restrictions");
    assert_eq!(rendered.content.len(), 2);
    all = set_every_flag(all);
    let payload = restrictions_payload(&all, "r-1", "com.example.restrictions");
    assert!(
        payload.content.len() > 40,
        "every flag rendered: {}",
        payload.content.len()
    );
    assert_eq!(
        payload
            .content
            .get("allowCamera")
            .and_then(Value::as_boolean),
        Some(false)
    );
    assert_conforms(payload);
}

fn set_every_flag(mut r: RestrictionSettings) -> RestrictionSettings {
    for flag in [
        &mut r.allow_camera,
        &mut r.allow_screen_shot,
        &mut r.allow_files_usb_drive_access,
        &mut r.allow_usb_restricted_mode,
        &mut r.allow_bluetooth_modification,
        &mut r.allow_erase_content_and_settings,
        &mut r.allow_untrusted_tls_prompt,
        &mut r.allow_open_from_managed_to_unmanaged,
        &mut r.allow_open_from_unmanaged_to_managed,
        &mut r.allow_ui_configuration_profile_installation,
        &mut r.allow_app_installation,
        &mut r.allow_ui_app_installation,
        &mut r.allow_app_removal,
        &mut r.allow_in_app_purchases,
        &mut r.allow_air_drop,
        &mut r.allow_cloud_backup,
        &mut r.allow_cloud_document_sync,
        &mut r.allow_cloud_keychain_sync,
        &mut r.allow_managed_apps_cloud_sync,
        &mut r.allow_passcode_modification,
        &mut r.allow_fingerprint_for_unlock,
        &mut r.allow_account_modification,
        &mut r.allow_vpn_creation,
        &mut r.allow_personal_hotspot_modification,
        &mut r.allow_esim_modification,
        &mut r.allow_cellular_plan_modification,
        &mut r.allow_global_background_fetch_when_roaming,
        &mut r.allow_device_name_modification,
        &mut r.allow_enterprise_app_trust,
        &mut r.allow_host_pairing,
        &mut r.allow_find_my_device,
        &mut r.allow_safari,
        &mut r.allow_explicit_content,
        &mut r.allow_game_center,
        &mut r.allow_assistant,
        &mut r.allow_password_auto_fill,
        &mut r.allow_nfc,
        &mut r.force_encrypted_backup,
        &mut r.force_automatic_date_and_time,
        &mut r.force_wifi_power_on,
        &mut r.force_limit_ad_tracking,
        &mut r.require_managed_pasteboard,
    ] {
        *flag = Some(false);
    }
    r
}

#[test]
fn every_wifi_security_conforms() {
    for (encryption, password, cert) in [
        (WifiEncryption::None, None, None),
        (WifiEncryption::Wpa2, Some("hunter22"), None),
        (WifiEncryption::Wpa3, Some("hunter22"), None),
        (
            WifiEncryption::Wpa2Enterprise,
            None,
            Some("22222222-2222-4222-8222-222222222222"),
        ),
        (WifiEncryption::Wpa2Enterprise, None, None),
    ] {
        let settings = WifiSettings {
            ssid: "Example".into(),
            hidden: true,
            auto_join: true,
            encryption,
            password: password.map(str::to_owned),
            payload_certificate_uuid: cert.map(str::to_owned),
        };
        assert_conforms(wifi_payload(&settings, "w-1", "com.example.wifi"));
    }
}

#[test]
fn both_kinds_of_vpn_conform() {
    for on_demand in [false, true] {
        for cert in [
            None,
            Some("22222222-2222-4222-8222-222222222222".to_owned()),
        ] {
            assert_conforms(vpn_payload(
                &VpnSettings::IKEv2 {
                    name: "Office".into(),
                    server: "vpn.example.com".into(),
                    remote_identifier: "vpn.example.com".into(),
                    local_identifier: "device@example.com".into(),
                    payload_certificate_uuid: cert,
                    on_demand,
                },
                "v-1",
                "com.example.vpn",
            ));
        }
        assert_conforms(vpn_payload(
            &VpnSettings::AppProvider {
                name: "Office".into(),
                provider_bundle_identifier: "com.example.vpnapp".into(),
                on_demand,
            },
            "v-2",
            "com.example.vpn2",
        ));
    }
}

#[test]
fn imap_pop_and_exchange_accounts_conform() {
    let internet = |imap: bool| {
        let (account_name, email_address, host, username, smtp_host) = (
            "Work".to_owned(),
            Some("alice@example.com".to_owned()),
            "mail.example.com".to_owned(),
            Some("alice".to_owned()),
            "smtp.example.com".to_owned(),
        );
        if imap {
            MailSettings::Imap {
                account_name,
                email_address,
                host,
                port: Some(993),
                ssl: true,
                username,
                smtp_host,
                smtp_port: Some(587),
                smtp_ssl: true,
            }
        } else {
            MailSettings::Pop {
                account_name,
                email_address,
                host,
                port: None,
                ssl: false,
                username,
                smtp_host,
                smtp_port: None,
                smtp_ssl: false,
            }
        }
    };
    assert_conforms(mail_payload(&internet(true), "m-1", "com.example.imap"));
    assert_conforms(mail_payload(&internet(false), "m-2", "com.example.pop"));
    let exchange = MailSettings::Exchange {
        account_name: "Exchange".into(),
        email_address: Some("alice@example.com".into()),
        host: "outlook.example.com".into(),
        ssl: true,
        username: Some("alice".into()),
    };
    let payload = mail_payload(&exchange, "m-3", "com.example.eas");
    assert_eq!(payload.payload_type, "com.apple.eas.account");
    assert_conforms(payload);
}

#[test]
fn certificate_and_single_app_payloads_conform() {
    assert_conforms(root_certificate_payload(
        "Example Root CA",
        &[0x30, 0x82, 0x01],
        "c-1",
        "com.example.root",
    ));
    assert_conforms(pkcs12_payload(
        "device.p12",
        &[0x30, 0x82],
        Some("pw"),
        "c-2",
        "com.example.p12",
    ));
    assert_conforms(pkcs12_payload(
        "device.p12",
        &[0x30, 0x82],
        None,
        "c-3",
        "com.example.p12b",
    ));
    assert_conforms(app_lock_payload(
        "com.example.kiosk",
        "a-1",
        "com.example.kiosk",
    ));
}

#[test]
fn a_whole_enrolment_profile_with_scep_and_mdm_conforms_and_reads_back() {
    let rendered = render(&profile(vec![
        scep_payload(&scep()),
        mdm_payload(&MdmSettings {
            server_url: "https://mdm.example.com/mdm".into(),
            check_in_url: None,
            topic: "com.apple.mgmt.External.x".into(),
            identity_certificate_uuid: scep().uuid,
            access_rights: ALL_ACCESS_RIGHTS,
            sign_message: false,
            check_out_when_removed: false,
            server_capabilities: vec![],
            uuid: "33333333-3333-4333-8333-333333333333".into(),
            identifier: "com.example.enrol.mdm".into(),
        }),
    ]));
    assert_eq!(check_profile(&rendered), Vec::<String>::new());
    let top = Value::from_reader_xml(&rendered[..])
        .unwrap()
        .into_dictionary()
        .unwrap();
    assert_eq!(
        top.get("PayloadType").and_then(Value::as_string),
        Some("Configuration")
    );
    assert_eq!(
        top.get("PayloadVersion").and_then(Value::as_signed_integer),
        Some(1)
    );
    assert_eq!(
        top.get("PayloadRemovalDisallowed")
            .and_then(Value::as_boolean),
        Some(true)
    );
    let payloads = top.get("PayloadContent").and_then(Value::as_array).unwrap();
    assert_eq!(payloads.len(), 2);
    let mdm = payloads[1].as_dictionary().unwrap();
    assert_eq!(
        mdm.get("PayloadType").and_then(Value::as_string),
        Some("com.apple.mdm")
    );
    assert_eq!(
        mdm.get("IdentityCertificateUUID")
            .and_then(Value::as_string),
        Some(scep().uuid.as_str())
    );
    assert_eq!(
        mdm.get("AccessRights").and_then(Value::as_signed_integer),
        Some(8191)
    );
}

#[test]
fn check_profile_reports_a_bad_profile() {
    let mut bad = mdm_payload(&MdmSettings {
        server_url: "https://mdm.example.com/mdm".into(),
        check_in_url: None,
        topic: "t".into(),
        identity_certificate_uuid: "x".into(),
        access_rights: 1,
        sign_message: false,
        check_out_when_removed: false,
        server_capabilities: vec!["com.example.not-a-capability".into()],
        uuid: "u".into(),
        identifier: "i".into(),
    });
    bad.content.remove("Topic"); // required
    bad.content
        .insert("SignMessage".into(), Value::String("yes".into())); // wrong type
    bad.content
        .insert("ServerUrl".into(), Value::String("typo".into())); // unknown key
    let violations = check_profile(&render(&profile(vec![bad])));
    let joined = violations.join("\n");
    assert_eq!(violations.len(), 4, "{joined}");
    assert!(
        joined.contains("PayloadContent[0].Topic`: required key missing"),
        "{joined}"
    );
    assert!(
        joined.contains("PayloadContent[0].SignMessage`: expected <boolean>"),
        "{joined}"
    );
    assert!(
        joined.contains("PayloadContent[0].ServerUrl`: unknown key"),
        "{joined}"
    );
    assert!(joined.contains("ServerCapabilities[0]"), "{joined}");

    let unknown_type = Payload {
        payload_type: "com.example.invented".into(),
        identifier: "i".into(),
        uuid: "u".into(),
        display_name: "d".into(),
        content: plist::Dictionary::new(),
    };
    assert!(
        check_profile(&render(&profile(vec![unknown_type])))[0]
            .contains("no schema for PayloadType")
    );
    assert!(!check_profile(b"not a plist").is_empty());
}
