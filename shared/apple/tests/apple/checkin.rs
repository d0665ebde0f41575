//! Check-in messages: the real ones in the conformance folder parse with the values their `.txt`
//! files list, every message type parses, and bad bodies are refused with a specific error.

use crate::common::{dict, expected_values, real, s, xml};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mdm_apple::checkin::{self, CheckinMessage, bootstrap_token_response, get_token_response};
use mdm_apple::{FormatError, MAX_CHECKIN_BYTES};
use plist::Value;

const TOPIC: &str = "com.apple.mgmt.External.e0bd1eac-1f17-4c8e-8a63-dd17d3dd35d9";

fn authenticate(name: &str) -> checkin::Authenticate {
    match checkin::parse(&real(name)) {
        Ok(CheckinMessage::Authenticate(a)) => a,
        other => panic!("{name}: {other:?}"),
    }
}

fn token_update(body: &[u8]) -> checkin::TokenUpdate {
    match checkin::parse(body) {
        Ok(CheckinMessage::TokenUpdate(t)) => t,
        other => panic!("{other:?}"),
    }
}

/// Compares what a parsed Authenticate holds with a `.txt` file's `Key<TAB>value` lines.
fn assert_matches_txt(a: &checkin::Authenticate, txt: &str) {
    let values = expected_values(txt);
    assert!(!values.is_empty(), "{txt} lists no values");
    for (key, value) in values {
        let parsed = match key.as_str() {
            "BuildVersion" => a.build_version.as_deref(),
            "OSVersion" => a.os_version.as_deref(),
            "ProductName" => a.product_name.as_deref(),
            "SerialNumber" => a.serial_number.as_deref(),
            "UDID" => a.enrollment.udid.as_deref(),
            other => panic!("{txt}: a key this test does not know: {other}"),
        };
        assert_eq!(parsed, Some(value.as_str()), "{txt}: {key}");
    }
}

#[test]
fn a_real_ipad_authenticate_message_parses_with_its_udid_serial_and_topic() {
    let a = authenticate("nanomdm__mdm_testdata_Authenticate.1.plist");
    assert_eq!(
        a.enrollment.udid.as_deref(),
        Some("663b07bb783e9ade1dae4fbb92ea12afc0ce5b69")
    );
    assert_eq!(
        a.enrollment.device_id(),
        Some("663b07bb783e9ade1dae4fbb92ea12afc0ce5b69")
    );
    assert!(!a.enrollment.is_user_channel());
    assert_eq!(a.serial_number.as_deref(), Some("F5JM992LF193"));
    assert_eq!(a.topic, TOPIC);
    // iOS omits the keys Apple's schema calls required for macOS.
    assert_eq!(
        (
            a.device_name.as_deref(),
            a.model.as_deref(),
            a.model_name.as_deref()
        ),
        (None, None, None)
    );
}

#[test]
fn the_ipad_values_listed_beside_its_token_update_are_those_its_authenticate_carries() {
    // TokenUpdate.1.txt describes the device of TokenUpdate.1, the same UDID as Authenticate.1,
    // whose Authenticate is where these values travel.
    let t = token_update(&real("nanomdm__mdm_testdata_TokenUpdate.1.plist"));
    let a = authenticate("nanomdm__mdm_testdata_Authenticate.1.plist");
    assert_eq!(t.enrollment.udid, a.enrollment.udid);
    assert_matches_txt(&a, "nanomdm__mdm_testdata_TokenUpdate.1.txt");
}

#[test]
fn a_real_imac_authenticate_message_parses_with_its_model_and_device_name() {
    let a = authenticate("nanomdm__mdm_testdata_Authenticate.2.plist");
    assert_eq!(
        a.enrollment.udid.as_deref(),
        Some("66ADE930-5FDF-5EC4-8429-15640684C489")
    );
    assert_eq!(a.serial_number.as_deref(), Some("C02MT66KFLHH"));
    assert_eq!(a.device_name.as_deref(), Some("Fruit"));
    assert_eq!(a.model.as_deref(), Some("iMac14,2"));
    assert_eq!(a.model_name.as_deref(), Some("iMac"));
    assert_eq!(a.topic, TOPIC);
    assert_eq!((a.imei.as_deref(), a.meid.as_deref()), (None, None));
}

#[test]
fn the_imac_values_listed_beside_its_token_update_and_device_information_are_those_its_authenticate_carries()
 {
    let a = authenticate("nanomdm__mdm_testdata_Authenticate.2.plist");
    let t = token_update(&real("nanomdm__mdm_testdata_TokenUpdate.2.plist"));
    assert_eq!(t.enrollment.udid, a.enrollment.udid);
    assert_matches_txt(&a, "nanomdm__mdm_testdata_TokenUpdate.2.txt");
    assert_matches_txt(&a, "nanomdm__mdm_testdata_DeviceInformation.1.txt");
}

#[test]
fn a_real_ipad_token_update_parses_with_its_token_push_magic_and_unlock_token() {
    let t = token_update(&real("nanomdm__mdm_testdata_TokenUpdate.1.plist"));
    assert_eq!(
        t.enrollment.udid.as_deref(),
        Some("663b07bb783e9ade1dae4fbb92ea12afc0ce5b69")
    );
    assert_eq!(t.topic, TOPIC);
    assert_eq!(
        t.token,
        STANDARD
            .decode("R+juwGLC9ynsFwPBs+GPGXHYXwC+dkRdNAgLqnAbX1E=")
            .unwrap()
    );
    assert_eq!(t.push_magic, "CEFDF0BD-E342-4A27-8742-E930EA116B0A");
    let unlock = t.unlock_token.expect("the iPad sends an UnlockToken");
    assert!(
        unlock.starts_with(b"DATA"),
        "the unlock token is Apple's keybag blob"
    );
    assert!(!t.awaiting_configuration);
    assert!(!t.not_on_console, "iOS never sends NotOnConsole");
}

#[test]
fn a_real_imac_token_update_parses_without_an_unlock_token() {
    let t = token_update(&real("nanomdm__mdm_testdata_TokenUpdate.2.plist"));
    assert_eq!(
        t.enrollment.udid.as_deref(),
        Some("66ADE930-5FDF-5EC4-8429-15640684C489")
    );
    assert_eq!(
        t.token,
        STANDARD
            .decode("G6fJAGbFD3domiTzpCXK9oowD3KeiORgqUFgItXWQsw=")
            .unwrap()
    );
    assert_eq!(t.push_magic, "888CEB39-BFFA-40F6-89FA-B60752EB63C2");
    assert_eq!(t.unlock_token, None);
}

#[test]
fn a_token_update_delivered_as_webhook_json_parses_from_its_base64_raw_payload() {
    let json: serde_json::Value =
        serde_json::from_slice(&real("nanocmd__mdm_foss_testdata_tokenupdate.json")).unwrap();
    let event = &json["checkin_event"];
    let body = STANDARD
        .decode(event["raw_payload"].as_str().expect("raw_payload"))
        .unwrap();
    let t = token_update(&body);
    assert_eq!(t.enrollment.udid.as_deref(), event["udid"].as_str());
    assert_eq!(
        t.enrollment.udid.as_deref(),
        Some("FF269FDC-7A93-5F12-A4B7-09923F0D1F7F")
    );
    assert_eq!(
        t.topic,
        "com.apple.mgmt.External.e1bd1eac-1217-4c8e-8a67-dd17d3dd35d9"
    );
    assert_eq!(t.push_magic, "04EAC351-56EA-4FFF-89A7-C76B1306F36A");
    assert_eq!(
        t.token,
        STANDARD
            .decode("vKSEMwGa9E3bKdPmmoWfaSwq3gQ7Qp+SAnFyrpkmyaQ=")
            .unwrap()
    );
}

#[test]
fn a_binary_plist_check_in_parses_like_its_xml_original() {
    let xml_body = real("nanomdm__mdm_testdata_Authenticate.2.plist");
    let value = Value::from_reader_xml(&xml_body[..]).unwrap();
    let mut binary = Vec::new();
    value.to_writer_binary(&mut binary).unwrap();
    assert!(binary.starts_with(b"bplist00"));
    assert_eq!(
        checkin::parse(&binary).unwrap(),
        checkin::parse(&xml_body).unwrap()
    );
}

#[test]
fn the_message_type_names_the_variant_it_was_parsed_into() {
    let t = checkin::parse(&real("nanomdm__mdm_testdata_TokenUpdate.2.plist")).unwrap();
    assert_eq!(t.message_type(), "TokenUpdate");
    assert_eq!(
        t.enrollment().device_id(),
        Some("66ADE930-5FDF-5EC4-8429-15640684C489")
    );
}

fn message(message_type: &str, mut extra: Vec<(&str, Value)>) -> Vec<u8> {
    extra.push(("MessageType", s(message_type)));
    xml(dict(extra))
}

#[test]
fn a_mac_user_channel_token_update_is_recognised_as_the_user_channel() {
    let body = message(
        "TokenUpdate",
        vec![
            ("UDID", s("66ADE930-5FDF-5EC4-8429-15640684C489")),
            ("UserID", s("B3AA0E2A-7A3A-4E8A-9C6F-1B9B1B0C9B11")),
            ("UserShortName", s("alice")),
            ("UserLongName", s("Alice Example")),
            ("NotOnConsole", Value::Boolean(true)),
            ("Topic", s(TOPIC)),
            ("Token", Value::Data(vec![1, 2, 3])),
            ("PushMagic", s("magic")),
        ],
    );
    let t = token_update(&body);
    assert!(t.enrollment.is_user_channel());
    assert_eq!(t.enrollment.user_short_name.as_deref(), Some("alice"));
    assert_eq!(
        t.enrollment.user_long_name.as_deref(),
        Some("Alice Example")
    );
    assert_eq!(
        t.enrollment.device_id(),
        Some("66ADE930-5FDF-5EC4-8429-15640684C489")
    );
    assert!(t.not_on_console);
}

#[test]
fn a_user_enrolment_authenticate_identifies_the_device_by_its_enrollment_id() {
    let body = message(
        "Authenticate",
        vec![("EnrollmentID", s("ENR-1")), ("Topic", s(TOPIC))],
    );
    let m = checkin::parse(&body).unwrap();
    assert_eq!(m.enrollment().udid, None);
    assert_eq!(m.enrollment().device_id(), Some("ENR-1"));
}

#[test]
fn every_other_message_type_parses_into_its_own_variant() {
    let udid = || ("UDID", s("U-1"));
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            message("CheckOut", vec![udid(), ("Topic", s(TOPIC))]),
            "CheckOut",
        ),
        (
            message(
                "UserAuthenticate",
                vec![udid(), ("UserID", s("user-1")), ("DigestResponse", s("d"))],
            ),
            "UserAuthenticate",
        ),
        (
            message(
                "SetBootstrapToken",
                vec![udid(), ("BootstrapToken", Value::Data(vec![9; 8]))],
            ),
            "SetBootstrapToken",
        ),
        (
            message("GetBootstrapToken", vec![udid()]),
            "GetBootstrapToken",
        ),
        (
            message(
                "DeclarativeManagement",
                vec![
                    udid(),
                    ("Endpoint", s("tokens")),
                    ("Data", Value::Data(b"{}".to_vec())),
                ],
            ),
            "DeclarativeManagement",
        ),
        (
            message(
                "GetToken",
                vec![udid(), ("TokenServiceType", s("com.apple.maid"))],
            ),
            "GetToken",
        ),
    ];
    for (body, expected) in cases {
        let m = checkin::parse(&body).unwrap_or_else(|e| panic!("{expected}: {e}"));
        assert_eq!(m.message_type(), expected);
        assert_eq!(m.enrollment().udid.as_deref(), Some("U-1"));
        match m {
            CheckinMessage::CheckOut(c) => assert_eq!(c.topic.as_deref(), Some(TOPIC)),
            CheckinMessage::UserAuthenticate(u) => {
                assert_eq!(u.digest_response.as_deref(), Some("d"));
                assert!(u.enrollment.is_user_channel());
            }
            CheckinMessage::SetBootstrapToken(b) => assert_eq!(b.bootstrap_token, Some(vec![9; 8])),
            CheckinMessage::GetBootstrapToken(_) => {}
            CheckinMessage::DeclarativeManagement(d) => {
                assert_eq!(d.endpoint.as_deref(), Some("tokens"));
                assert_eq!(d.data.as_deref(), Some(&b"{}"[..]));
            }
            CheckinMessage::GetToken(g) => assert_eq!(g.token_service_type, "com.apple.maid"),
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn an_empty_bootstrap_token_means_the_stored_one_should_be_removed() {
    let body = message(
        "SetBootstrapToken",
        vec![("UDID", s("U-1")), ("BootstrapToken", Value::Data(vec![]))],
    );
    match checkin::parse(&body).unwrap() {
        CheckinMessage::SetBootstrapToken(b) => assert_eq!(b.bootstrap_token, None),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_bootstrap_token_answer_carries_the_token_as_data_or_is_an_empty_dictionary() {
    let with = Value::from_reader_xml(&bootstrap_token_response(Some(b"tok"))[..]).unwrap();
    let with = with.as_dictionary().unwrap();
    assert_eq!(
        with.get("BootstrapToken").and_then(Value::as_data),
        Some(&b"tok"[..])
    );
    assert_eq!(with.len(), 1);
    let without = Value::from_reader_xml(&bootstrap_token_response(None)[..]).unwrap();
    assert!(without.as_dictionary().unwrap().is_empty());
    let token = Value::from_reader_xml(&get_token_response(b"abc")[..]).unwrap();
    assert_eq!(
        token
            .as_dictionary()
            .unwrap()
            .get("TokenData")
            .and_then(Value::as_data),
        Some(&b"abc"[..])
    );
}

// Bad input: each refusal is a specific error naming what is wrong.

#[test]
fn a_body_that_is_not_a_plist_is_refused_as_not_a_plist() {
    for body in [
        &b"hello world"[..],
        b"{\"MessageType\": \"Authenticate\"}",
        b"",
        b"<plist><dict><key>A</key>",
    ] {
        assert!(
            matches!(checkin::parse(body), Err(FormatError::NotAPlist(_))),
            "{:?}: {:?}",
            String::from_utf8_lossy(body),
            checkin::parse(body)
        );
    }
}

#[test]
fn a_plist_whose_top_level_is_not_a_dictionary_is_refused_as_the_wrong_type() {
    let mut body = Vec::new();
    Value::Array(vec![s("Authenticate")])
        .to_writer_xml(&mut body)
        .unwrap();
    assert!(matches!(
        checkin::parse(&body),
        Err(FormatError::WrongType {
            expected: "a dictionary",
            ..
        })
    ));
}

#[test]
fn an_unknown_message_type_is_refused_naming_it() {
    let body = message("Bogus", vec![("UDID", s("U-1"))]);
    assert_eq!(
        checkin::parse(&body),
        Err(FormatError::UnknownMessageType("Bogus".into()))
    );
}

#[test]
fn a_message_without_a_message_type_is_refused_naming_the_key() {
    let body = xml(dict(vec![("UDID", s("U-1")), ("Topic", s(TOPIC))]));
    assert_eq!(
        checkin::parse(&body),
        Err(FormatError::MissingKey("MessageType".into()))
    );
}

#[test]
fn a_message_type_that_is_not_a_string_is_refused_as_the_wrong_type() {
    let body = xml(dict(vec![
        ("MessageType", Value::Integer(1.into())),
        ("UDID", s("U-1")),
    ]));
    assert_eq!(
        checkin::parse(&body),
        Err(FormatError::WrongType {
            key: "MessageType".into(),
            expected: "a string"
        })
    );
}

#[test]
fn a_message_without_udid_or_enrollment_id_is_refused_naming_udid() {
    let body = message("Authenticate", vec![("Topic", s(TOPIC))]);
    assert_eq!(
        checkin::parse(&body),
        Err(FormatError::MissingKey("UDID".into()))
    );
}

#[test]
fn an_authenticate_without_a_topic_is_refused_naming_topic() {
    let body = message("Authenticate", vec![("UDID", s("U-1"))]);
    assert_eq!(
        checkin::parse(&body),
        Err(FormatError::MissingKey("Topic".into()))
    );
}

#[test]
fn a_token_update_without_push_magic_is_refused_naming_it() {
    let body = message(
        "TokenUpdate",
        vec![
            ("UDID", s("U-1")),
            ("Topic", s(TOPIC)),
            ("Token", Value::Data(vec![1])),
        ],
    );
    assert_eq!(
        checkin::parse(&body),
        Err(FormatError::MissingKey("PushMagic".into()))
    );
}

#[test]
fn a_token_update_whose_token_is_a_string_is_refused_as_the_wrong_type() {
    let body = message(
        "TokenUpdate",
        vec![
            ("UDID", s("U-1")),
            ("Topic", s(TOPIC)),
            ("Token", s("abc")),
            ("PushMagic", s("m")),
        ],
    );
    assert_eq!(
        checkin::parse(&body),
        Err(FormatError::WrongType {
            key: "Token".into(),
            expected: "data"
        })
    );
}

#[test]
fn a_udid_that_is_not_a_string_is_refused_as_the_wrong_type() {
    let body = message(
        "Authenticate",
        vec![("UDID", Value::Boolean(true)), ("Topic", s(TOPIC))],
    );
    assert_eq!(
        checkin::parse(&body),
        Err(FormatError::WrongType {
            key: "UDID".into(),
            expected: "a string"
        })
    );
}

#[test]
fn a_user_authenticate_without_a_user_id_is_refused_naming_it() {
    let body = message("UserAuthenticate", vec![("UDID", s("U-1"))]);
    assert_eq!(
        checkin::parse(&body),
        Err(FormatError::MissingKey("UserID".into()))
    );
}

#[test]
fn a_body_over_the_check_in_limit_is_refused_as_too_large_before_parsing() {
    // Not even a plist: the size alone decides.
    let body = vec![b'x'; MAX_CHECKIN_BYTES + 1];
    assert_eq!(
        checkin::parse(&body),
        Err(FormatError::TooLarge {
            limit: MAX_CHECKIN_BYTES
        })
    );
}

#[test]
fn a_plist_nested_hundreds_of_levels_deep_is_refused_as_not_a_plist() {
    let body = format!(
        "<?xml version=\"1.0\"?><plist version=\"1.0\">{}{}</plist>",
        "<array>".repeat(500),
        "</array>".repeat(500)
    );
    assert!(matches!(
        checkin::parse(body.as_bytes()),
        Err(FormatError::NotAPlist(_))
    ));
}

#[test]
fn a_binary_plist_whose_shared_objects_would_expand_exponentially_is_refused() {
    // Twenty arrays (within the depth limit), each holding the next one twice: a million values
    // from about a hundred bytes.
    const LEVELS: u8 = 20;
    let mut body = b"bplist00".to_vec();
    let mut offsets = Vec::new();
    for level in 0..LEVELS {
        offsets.push(body.len() as u8);
        body.extend([0xA2, level + 1, level + 1]);
    }
    offsets.push(body.len() as u8);
    body.push(0x08); // false
    let table = body.len() as u64;
    body.extend(&offsets);
    body.extend([0; 6]);
    body.extend([1, 1]); // offset and reference sizes
    body.extend(u64::from(LEVELS + 1).to_be_bytes());
    body.extend(0u64.to_be_bytes()); // root object
    body.extend(table.to_be_bytes());
    match checkin::parse(&body) {
        Err(FormatError::NotAPlist(why)) => {
            assert!(why.contains("more values than its size allows"), "{why}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn errors_read_as_sentences_naming_the_key() {
    assert_eq!(
        FormatError::MissingKey("UDID".into()).to_string(),
        "missing required key `UDID`"
    );
    assert_eq!(
        FormatError::WrongType {
            key: "Token".into(),
            expected: "data"
        }
        .to_string(),
        "key `Token` should be data"
    );
}
