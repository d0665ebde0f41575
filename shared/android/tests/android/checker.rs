//! The checker cannot pass vacuously: it names the path of every invented field, wrong type,
//! value outside an enum and malformed int64, duration or timestamp, at any depth.

use mdm_android::schema::{self, Violation};
use serde_json::json;

use crate::common::{assert_fits, violations};

fn paths(violations: &[Violation]) -> Vec<&str> {
    violations.iter().map(|v| v.path.as_str()).collect()
}

#[test]
fn a_valid_policy_with_nested_objects_arrays_and_maps_passes() {
    assert_fits(
        "Policy",
        &json!({
            "maximumTimeToLock": "300000",
            "passwordPolicies": [{"passwordScope": "SCOPE_DEVICE", "passwordMinimumLength": 6}],
            "applications": [{
                "packageName": "com.example.app",
                "installType": "FORCE_INSTALLED",
                "managedConfiguration": {"server": "https://x.example", "nested": {"any": [1, 2]}}
            }],
            "openNetworkConfiguration": {"NetworkConfigurations": []},
            "advancedSecurityOverrides": {"untrustedAppsPolicy": "DISALLOW_INSTALL"},
            "deviceConnectivityManagement": {"usbDataAccess": "DISALLOW_USB_FILE_TRANSFER"},
            "statusReportingSettings": {"softwareInfoEnabled": true},
            "shortSupportMessage": {"localizedMessages": {"fr": "Bonjour"}}
        }),
    );
}

#[test]
fn a_policy_with_an_invented_field_is_refused_naming_its_path() {
    let found = violations(
        "Policy",
        &json!({"applications": [{"packageName": "a", "autoGrantAll": true}], "wipeOnTheft": true}),
    );
    assert_eq!(
        paths(&found),
        ["applications[0].autoGrantAll", "wipeOnTheft"]
    );
    assert!(
        found[0]
            .problem
            .contains("not a field of ApplicationPolicy"),
        "{found:?}"
    );
}

#[test]
fn a_field_of_the_wrong_type_is_refused_naming_its_path() {
    let found = violations(
        "Policy",
        &json!({
            "screenCaptureDisabled": "true",
            "passwordPolicies": [{"passwordMinimumLength": 6.5}],
            "applications": {"packageName": "a"},
            "advancedSecurityOverrides": "DISALLOW_INSTALL"
        }),
    );
    let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "`advancedSecurityOverrides`: expected a AdvancedSecurityOverrides object, found a string",
            "`applications`: expected an array, found an object",
            "`passwordPolicies[0].passwordMinimumLength`: expected an integer (int32), found a number",
            "`screenCaptureDisabled`: expected a boolean, found a string",
        ]
    );
}

#[test]
fn a_value_outside_an_enum_is_refused_naming_its_path() {
    let found = violations(
        "Policy",
        &json!({"applications": [{"packageName": "a", "installType": "FORCED"}]}),
    );
    assert_eq!(paths(&found), ["applications[0].installType"]);
    assert!(
        found[0].problem.contains("\"FORCED\" is not one of"),
        "{found:?}"
    );
    // Enums of array items too.
    let found = violations("Enterprise", &json!({"enabledNotificationTypes": ["TEST"]}));
    assert_eq!(paths(&found), ["enabledNotificationTypes[0]"]);
}

#[test]
fn an_int64_that_is_not_a_decimal_string_is_refused_naming_its_path() {
    for bad in [json!("5 minutes"), json!("1.5"), json!(300000)] {
        let found = violations("Policy", &json!({ "maximumTimeToLock": bad }));
        assert_eq!(paths(&found), ["maximumTimeToLock"], "{bad}");
    }
    let found = violations(
        "Device",
        &json!({"name": "d", "appliedPolicyVersion": "v12"}),
    );
    assert_eq!(paths(&found), ["appliedPolicyVersion"]);
}

#[test]
fn malformed_durations_timestamps_and_int32_overflows_are_refused() {
    let found = violations(
        "EnrollmentToken",
        &json!({"duration": "1h", "expirationTimestamp": "2026-12-02 09:12"}),
    );
    assert_eq!(paths(&found), ["duration", "expirationTimestamp"]);
    let found = violations(
        "PasswordRequirements",
        &json!({"passwordMinimumLength": 4_294_967_296_u64}),
    );
    assert_eq!(paths(&found), ["passwordMinimumLength"]);
}

#[test]
fn a_null_field_is_refused_since_we_should_leave_it_out() {
    let found = violations("Policy", &json!({"cameraAccess": null}));
    assert_eq!(paths(&found), ["cameraAccess"]);
}

#[test]
fn map_values_are_checked_against_additional_properties() {
    let found = violations(
        "UserFacingMessage",
        &json!({"localizedMessages": {"fr": "ok", "de": 3}}),
    );
    assert_eq!(paths(&found), ["localizedMessages.de"]);
}

#[test]
fn requests_are_also_refused_deprecated_fields_deprecated_values_and_read_only_fields() {
    let deprecated = json!({
        "cameraDisabled": true,
        "applications": [{"packageName": "a", "installType": "KIOSK"}]
    });
    assert_fits("Policy", &deprecated);
    let found = schema::check_request("Policy", &deprecated).unwrap_err();
    assert_eq!(
        paths(&found),
        ["applications[0].installType", "cameraDisabled"]
    );

    let read_only = json!({"enterpriseType": "MANAGED_GOOGLE_DOMAIN"});
    assert_fits("Enterprise", &read_only);
    let found = schema::check_request("Enterprise", &read_only).unwrap_err();
    assert!(found[0].problem.contains("read-only"), "{found:?}");
}

#[test]
fn query_parameters_are_checked_against_the_methods_parameters() {
    let method = "androidmanagement.enterprises.devices.delete";
    assert_eq!(
        schema::check_query(
            method,
            &[
                ("wipeDataFlags", "WIPE_EXTERNAL_STORAGE"),
                ("wipeDataFlags", "WIPE_ESIMS"),
                ("wipeReasonMessage", "Lost")
            ]
        ),
        Ok(())
    );
    let found = schema::check_query(
        method,
        &[
            ("wipeDataFlags", "WIPE_EVERYTHING"),
            ("wipeReason", "x"),
            ("name", "enterprises/e/devices/d"),
            ("wipeReasonMessage", "a"),
            ("wipeReasonMessage", "b"),
        ],
    )
    .unwrap_err();
    assert_eq!(
        paths(&found),
        [
            "wipeDataFlags[0]",
            "wipeReason[1]",
            "name[2]",
            "wipeReasonMessage[3]",
            "wipeReasonMessage[4]"
        ],
        "{found:?}"
    );
    assert!(schema::check_query("androidmanagement.enterprises.devices.nuke", &[]).is_err());
}

#[test]
fn an_unknown_schema_name_is_a_violation_not_a_pass() {
    assert!(schema::check("Polciy", &json!({})).is_err());
}

#[test]
fn the_checker_reads_the_documented_revision() {
    assert_eq!(schema::revision(), Some("20261104"));
}
