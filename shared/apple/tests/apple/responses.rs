//! Command responses: the real ones parse, typed readers read results whose test data first
//! passes Apple's response schema, and bad envelopes are refused with a specific error.

use crate::common::{dict, real, s, xml};
use mdm_apple::response::{self, Status};
use mdm_apple::schema::Schema;
use mdm_apple::{FormatError, MAX_RESPONSE_BYTES};
use plist::Value;

const UDID: &str = "6362F867-FFF2-4EA6-905C-3C796DF4EF68";

fn int(i: i64) -> Value {
    Value::Integer(i.into())
}

/// A response body: the envelope plus `result`, after checking `result` against the schema.
fn conforming(request_type: &str, result: Vec<(&str, Value)>) -> Vec<u8> {
    let mut body = dict(result);
    let violations = Schema::for_request_type(request_type)
        .unwrap()
        .check_response(&body);
    assert_eq!(
        violations,
        Vec::<String>::new(),
        "the test data itself must conform"
    );
    body.insert("UDID".into(), s(UDID));
    body.insert("Status".into(), s("Acknowledged"));
    body.insert("CommandUUID".into(), s("C-1"));
    xml(body)
}

#[test]
fn the_real_acknowledged_response_parses_with_its_command_uuid_and_udid() {
    let r = response::parse(&real("nanocmd__workflow_certprof_testdata_resp-ack.plist")).unwrap();
    assert_eq!(r.status, Status::Acknowledged);
    assert_eq!(
        r.command_uuid.as_deref(),
        Some("D053EE3A-EE0E-4E82-87D2-BB3624186694")
    );
    assert_eq!(r.enrollment.udid.as_deref(), Some(UDID));
    assert!(r.error_chain.is_empty());
}

#[test]
fn the_real_certificate_list_response_parses_and_conforms_to_its_schema() {
    let r = response::parse(&real("nanocmd__workflow_certprof_testdata_certlist.plist")).unwrap();
    assert_eq!(r.command_uuid.as_deref(), Some("CERT-LIST-01"));
    let schema = Schema::for_request_type("CertificateList").unwrap();
    assert_eq!(schema.check_response(&r.body), Vec::<String>::new());
    let list = r.get("CertificateList").and_then(Value::as_array).unwrap();
    let first = list[0].as_dictionary().unwrap();
    assert_eq!(
        first.get("IsIdentity").and_then(Value::as_boolean),
        Some(true)
    );
    assert!(
        first
            .get("Data")
            .and_then(Value::as_data)
            .is_some_and(|der| der.starts_with(&[0x30, 0x82]))
    );
}

#[test]
fn the_real_device_information_response_gives_its_udid_and_host_name() {
    let r = response::parse(&real("nanomdm__mdm_testdata_DeviceInformation.1.plist")).unwrap();
    assert_eq!(
        r.command_uuid.as_deref(),
        Some("76eda240-5488-4989-8339-f2ae160113c4")
    );
    assert_eq!(
        r.get("RequestType").and_then(Value::as_string),
        Some("DeviceInformation")
    );
    let schema = Schema::for_request_type("DeviceInformation").unwrap();
    assert_eq!(schema.check_response(&r.body), Vec::<String>::new());
    let info = response::device_information(&r).unwrap();
    assert_eq!(
        info.udid.as_deref(),
        Some("66ADE930-5FDF-5EC4-8429-15640684C489")
    );
    assert_eq!(info.host_name.as_deref(), Some("fruit.example.com"));
    assert_eq!(info.serial_number, None);
}

#[test]
fn a_full_device_information_response_fills_every_field() {
    let queries = dict(vec![
        ("UDID", s("U-1")),
        ("SerialNumber", s("F5JM992LF193")),
        ("IMEI", s("35 000000 000000 0")),
        ("MEID", s("35000000000000")),
        ("ICCID", s("8901 0000 0000 0000 0000")),
        ("Model", s("MQ2Y3LL/A")),
        ("ModelName", s("iPhone")),
        ("ProductName", s("iPhone15,2")),
        ("OSVersion", s("17.4")),
        ("BuildVersion", s("21E219")),
        ("DeviceName", s("Alice's iPhone")),
        ("PhoneNumber", s("+1 555 0100")),
        ("DeviceCapacity", Value::Real(128.0)),
        ("AvailableDeviceCapacity", Value::Real(54.5)),
        ("BatteryLevel", Value::Real(0.75)),
        ("IsSupervised", Value::Boolean(true)),
        ("WiFiMAC", s("aa:bb:cc:dd:ee:ff")),
        ("BluetoothMAC", s("aa:bb:cc:dd:ee:00")),
    ]);
    let body = conforming(
        "DeviceInformation",
        vec![("QueryResponses", Value::Dictionary(queries))],
    );
    let info = response::device_information(&response::parse(&body).unwrap()).unwrap();
    assert_eq!(info.serial_number.as_deref(), Some("F5JM992LF193"));
    assert_eq!(info.imei.as_deref(), Some("35 000000 000000 0"));
    assert_eq!(info.meid.as_deref(), Some("35000000000000"));
    assert_eq!(info.iccid.as_deref(), Some("8901 0000 0000 0000 0000"));
    assert_eq!(info.model.as_deref(), Some("MQ2Y3LL/A"));
    assert_eq!(info.model_name.as_deref(), Some("iPhone"));
    assert_eq!(info.product_name.as_deref(), Some("iPhone15,2"));
    assert_eq!(info.os_version.as_deref(), Some("17.4"));
    assert_eq!(info.build_version.as_deref(), Some("21E219"));
    assert_eq!(info.device_name.as_deref(), Some("Alice's iPhone"));
    assert_eq!(info.phone_number.as_deref(), Some("+1 555 0100"));
    assert_eq!(info.device_capacity_gb, Some(128.0));
    assert_eq!(info.available_device_capacity_gb, Some(54.5));
    assert_eq!(info.battery_level, Some(0.75));
    assert_eq!(info.is_supervised, Some(true));
    assert_eq!(info.wifi_mac.as_deref(), Some("aa:bb:cc:dd:ee:ff"));
}

#[test]
fn a_dual_sim_device_gives_its_iccid_and_phone_number_from_the_first_subscription() {
    let subscription = dict(vec![
        ("ICCID", s("8944 1111")),
        ("PhoneNumber", s("+44 7700 900000")),
        ("Slot", s("CTSubscriptionSlotOne")),
    ]);
    let queries = dict(vec![
        (
            "ServiceSubscriptions",
            Value::Array(vec![Value::Dictionary(subscription)]),
        ),
        ("BatteryLevel", Value::Real(-1.0)),
    ]);
    let body = conforming(
        "DeviceInformation",
        vec![("QueryResponses", Value::Dictionary(queries))],
    );
    let info = response::device_information(&response::parse(&body).unwrap()).unwrap();
    assert_eq!(info.iccid.as_deref(), Some("8944 1111"));
    assert_eq!(info.phone_number.as_deref(), Some("+44 7700 900000"));
    assert_eq!(info.battery_level, None, "-1 is Apple's 'unknown'");
}

#[test]
fn a_security_info_response_built_per_the_schema_parses() {
    let security = dict(vec![
        ("HardwareEncryptionCaps", int(3)),
        ("PasscodePresent", Value::Boolean(true)),
        ("PasscodeCompliant", Value::Boolean(true)),
        ("PasscodeCompliantWithProfiles", Value::Boolean(false)),
    ]);
    let body = conforming(
        "SecurityInfo",
        vec![("SecurityInfo", Value::Dictionary(security))],
    );
    let info = response::security_info(&response::parse(&body).unwrap()).unwrap();
    assert_eq!(info.hardware_encryption_caps, Some(3));
    assert_eq!(info.passcode_present, Some(true));
    assert_eq!(info.passcode_compliant, Some(true));
    assert_eq!(info.passcode_compliant_with_profiles, Some(false));
    assert_eq!(info.file_vault_enabled, None);
    assert_eq!(info.encrypted(), Some(true));
    assert_eq!(info.data_protection(), Some(true));
}

#[test]
fn a_mac_is_encrypted_when_file_vault_is_on_and_an_ipad_only_with_both_encryption_levels() {
    let mac = dict(vec![("FDE_Enabled", Value::Boolean(true))]);
    let body = conforming(
        "SecurityInfo",
        vec![("SecurityInfo", Value::Dictionary(mac))],
    );
    let info = response::security_info(&response::parse(&body).unwrap()).unwrap();
    assert_eq!(info.encrypted(), Some(true));
    let block_only = mdm_apple::response::SecurityInfo {
        hardware_encryption_caps: Some(1),
        ..Default::default()
    };
    assert_eq!(block_only.encrypted(), Some(false));
    assert_eq!(
        mdm_apple::response::SecurityInfo::default().encrypted(),
        None
    );
}

#[test]
fn an_installed_application_list_built_per_the_schema_parses() {
    let app = |id: &str, name: &str, size: i64| {
        Value::Dictionary(dict(vec![
            ("Identifier", s(id)),
            ("Name", s(name)),
            ("Version", s("1200")),
            ("ShortVersion", s("12.0")),
            ("BundleSize", int(size)),
            ("Installing", Value::Boolean(false)),
        ]))
    };
    let list = vec![
        app("com.example.mail", "Mail", 1_000_000),
        app("com.example.maps", "Maps", 2_000),
    ];
    let body = conforming(
        "InstalledApplicationList",
        vec![("InstalledApplicationList", Value::Array(list))],
    );
    let apps = response::installed_applications(&response::parse(&body).unwrap()).unwrap();
    assert_eq!(apps.len(), 2);
    assert_eq!(apps[0].identifier, "com.example.mail");
    assert_eq!(apps[0].name.as_deref(), Some("Mail"));
    assert_eq!(apps[0].version.as_deref(), Some("1200"));
    assert_eq!(apps[0].short_version.as_deref(), Some("12.0"));
    assert_eq!(apps[0].bundle_size, Some(1_000_000));
    assert_eq!(apps[1].identifier, "com.example.maps");
}

#[test]
fn a_device_location_built_per_the_schema_parses() {
    let body = conforming(
        "DeviceLocation",
        vec![
            ("Latitude", Value::Real(51.5007)),
            ("Longitude", Value::Real(-0.1246)),
            ("HorizontalAccuracy", Value::Real(12.0)),
            ("VerticalAccuracy", Value::Real(-1.0)),
            ("Altitude", Value::Real(-1.0)),
            ("Speed", Value::Real(-1.0)),
            ("Course", Value::Real(-1.0)),
            ("Timestamp", s("2024-05-02T17:33:31Z")),
        ],
    );
    let location = response::device_location(&response::parse(&body).unwrap()).unwrap();
    assert_eq!((location.latitude, location.longitude), (51.5007, -0.1246));
    assert_eq!(location.horizontal_accuracy, Some(12.0));
}

#[test]
fn an_error_response_carries_its_error_chain() {
    let chain = Value::Array(vec![Value::Dictionary(dict(vec![
        ("ErrorDomain", s("MCProfileErrorDomain")),
        ("ErrorCode", int(1009)),
        ("LocalizedDescription", s("The profile is invalid.")),
        ("USEnglishDescription", s("The profile is invalid.")),
    ]))]);
    let body = xml(dict(vec![
        ("UDID", s(UDID)),
        ("Status", s("Error")),
        ("CommandUUID", s("C-1")),
        ("ErrorChain", chain),
    ]));
    let r = response::parse(&body).unwrap();
    assert_eq!(r.status, Status::Error);
    assert_eq!(r.error_chain.len(), 1);
    assert_eq!(r.error_chain[0].domain, "MCProfileErrorDomain");
    assert_eq!(r.error_chain[0].code, 1009);
    assert_eq!(
        r.error_chain[0].localized_description.as_deref(),
        Some("The profile is invalid.")
    );
}

#[test]
fn an_idle_report_needs_no_command_uuid_but_every_other_status_does() {
    let idle = xml(dict(vec![("UDID", s(UDID)), ("Status", s("Idle"))]));
    let r = response::parse(&idle).unwrap();
    assert_eq!((r.status, r.command_uuid), (Status::Idle, None));
    for status in ["Acknowledged", "Error", "CommandFormatError", "NotNow"] {
        let body = xml(dict(vec![("UDID", s(UDID)), ("Status", s(status))]));
        assert_eq!(
            response::parse(&body),
            Err(FormatError::MissingKey("CommandUUID".into())),
            "{status}"
        );
    }
}

#[test]
fn an_unknown_status_is_refused_naming_it() {
    let body = xml(dict(vec![
        ("UDID", s(UDID)),
        ("Status", s("Maybe")),
        ("CommandUUID", s("C-1")),
    ]));
    assert_eq!(
        response::parse(&body),
        Err(FormatError::UnknownStatus("Maybe".into()))
    );
}

#[test]
fn a_response_without_status_or_udid_is_refused_naming_the_key() {
    let no_status = xml(dict(vec![("UDID", s(UDID)), ("CommandUUID", s("C-1"))]));
    assert_eq!(
        response::parse(&no_status),
        Err(FormatError::MissingKey("Status".into()))
    );
    let no_udid = xml(dict(vec![("Status", s("Idle"))]));
    assert_eq!(
        response::parse(&no_udid),
        Err(FormatError::MissingKey("UDID".into()))
    );
}

#[test]
fn a_result_of_the_wrong_type_is_refused_naming_its_path() {
    let queries = dict(vec![("BatteryLevel", s("full"))]);
    let body = xml(dict(vec![
        ("UDID", s(UDID)),
        ("Status", s("Acknowledged")),
        ("CommandUUID", s("C-1")),
        ("QueryResponses", Value::Dictionary(queries)),
    ]));
    assert_eq!(
        response::device_information(&response::parse(&body).unwrap()),
        Err(FormatError::WrongType {
            key: "QueryResponses.BatteryLevel".into(),
            expected: "a real"
        })
    );
    let r = response::parse(&real("nanocmd__workflow_certprof_testdata_resp-ack.plist")).unwrap();
    assert_eq!(
        response::security_info(&r),
        Err(FormatError::MissingKey("SecurityInfo".into()))
    );
    assert_eq!(
        response::device_location(&r),
        Err(FormatError::MissingKey("Latitude".into()))
    );
}

#[test]
fn a_response_over_two_mebibytes_is_refused_as_too_large() {
    let body = vec![b' '; MAX_RESPONSE_BYTES + 1];
    assert_eq!(
        response::parse(&body),
        Err(FormatError::TooLarge {
            limit: MAX_RESPONSE_BYTES
        })
    );
}

#[test]
fn a_response_that_is_not_a_plist_is_refused_as_not_a_plist() {
    assert!(matches!(
        response::parse(b"Status=Idle"),
        Err(FormatError::NotAPlist(_))
    ));
}
