//! Every enum here is spelt as the discovery document spells it: each value we know is one of the
//! document's, what we send is never a deprecated value, and the enums we receive know every
//! current value (so `Unknown` only catches values added after revision 20261104).

use mdm_android::device::{
    DevicePosture, DeviceState, EncryptionStatus, ManagementMode, NonComplianceReason, Ownership,
    SecurityRisk,
};
use mdm_android::policy::{
    AutoUpdateMode, CameraAccess, ConfigureWifi, CrossProfileCopyPaste, DeveloperSettings,
    EncryptionPolicy, GooglePlayProtectVerifyApps, InstallType, MicrophoneAccess, NfcState,
    PasswordQuality, PasswordScope, PermissionPolicy, PlayStoreMode, RequirePasswordUnlock,
    RoleType, TetheringSettings, UntrustedAppsPolicy, UsbDataAccess,
};
use mdm_android::schema;
use mdm_android::{
    AllowPersonalUsage, ClearingResult, CommandErrorCode, CommandType, NotificationType,
    ResetPasswordFlag, StartLostModeOutcome, StopLostModeOutcome, UpgradeState, WipeDataFlag,
    WireEnum,
};

/// Holds `E` to the enum of each `(schema, field)`; returns what went wrong, if anything.
fn mismatches<E: WireEnum>(places: &[(&str, &str)]) -> Vec<String> {
    let mut out = Vec::new();
    for (schema_name, field) in places {
        let Some(documented) = schema::enum_values(schema_name, field) else {
            out.push(format!(
                "{schema_name}.{field} is not an enum in the document"
            ));
            continue;
        };
        let deprecated = schema::deprecated_enum_values(schema_name, field);
        for ours in E::WIRE_VALUES {
            if !documented.iter().any(|d| d == ours) {
                out.push(format!(
                    "{schema_name}.{field}: {ours} is not in the document"
                ));
            }
            if !E::OPEN && deprecated.iter().any(|d| d == ours) {
                out.push(format!("{schema_name}.{field}: we send deprecated {ours}"));
            }
        }
        if E::OPEN {
            for theirs in &documented {
                let ignorable = theirs.ends_with("_UNSPECIFIED") || deprecated.contains(theirs);
                if !ignorable && !E::WIRE_VALUES.contains(&theirs.as_str()) {
                    out.push(format!("{schema_name}.{field}: no variant for {theirs}"));
                }
            }
        }
    }
    out
}

macro_rules! assert_enums {
    ($( $ty:ty => [$( ($schema:literal, $field:literal) ),+ $(,)?] ),+ $(,)?) => {{
        let mut all = Vec::new();
        $( all.extend(mismatches::<$ty>(&[$( ($schema, $field) ),+])); )+
        assert!(all.is_empty(), "{}", all.join("\n"));
    }};
}

#[test]
fn the_values_we_send_are_current_values_of_the_document() {
    assert_enums! {
        PasswordScope => [("PasswordRequirements", "passwordScope")],
        PasswordQuality => [("PasswordRequirements", "passwordQuality")],
        RequirePasswordUnlock => [("PasswordRequirements", "requirePasswordUnlock")],
        InstallType => [("ApplicationPolicy", "installType")],
        PermissionPolicy => [("ApplicationPolicy", "defaultPermissionPolicy"), ("Policy", "defaultPermissionPolicy")],
        AutoUpdateMode => [("ApplicationPolicy", "autoUpdateMode")],
        UntrustedAppsPolicy => [("AdvancedSecurityOverrides", "untrustedAppsPolicy")],
        DeveloperSettings => [("AdvancedSecurityOverrides", "developerSettings")],
        GooglePlayProtectVerifyApps => [("AdvancedSecurityOverrides", "googlePlayProtectVerifyApps")],
        UsbDataAccess => [("DeviceConnectivityManagement", "usbDataAccess")],
        ConfigureWifi => [("DeviceConnectivityManagement", "configureWifi")],
        TetheringSettings => [("DeviceConnectivityManagement", "tetheringSettings")],
        CameraAccess => [("Policy", "cameraAccess")],
        MicrophoneAccess => [("Policy", "microphoneAccess")],
        EncryptionPolicy => [("Policy", "encryptionPolicy")],
        PlayStoreMode => [("Policy", "playStoreMode")],
        NfcState => [("DeviceRadioState", "nfc"), ("DeviceWideRadioState", "nfc")],
        CrossProfileCopyPaste => [("CrossProfilePolicies", "crossProfileCopyPaste")],
        RoleType => [("Role", "roleType")],
        ResetPasswordFlag => [("Command", "resetPasswordFlags")],
        WipeDataFlag => [("WipeParams", "wipeDataFlags")],
    }
}

#[test]
fn the_enums_we_receive_know_every_current_value_of_the_document() {
    assert_enums! {
        AllowPersonalUsage => [("EnrollmentToken", "allowPersonalUsage")],
        NotificationType => [("Enterprise", "enabledNotificationTypes")],
        UpgradeState => [("EnterpriseUpgradeEvent", "upgradeState")],
        CommandType => [("Command", "type")],
        CommandErrorCode => [("Command", "errorCode")],
        ClearingResult => [("PerAppResult", "clearingResult")],
        StartLostModeOutcome => [("StartLostModeStatus", "status")],
        StopLostModeOutcome => [("StopLostModeStatus", "status")],
        DeviceState => [("Device", "state"), ("Device", "appliedState")],
        ManagementMode => [("Device", "managementMode")],
        Ownership => [("Device", "ownership")],
        DevicePosture => [("SecurityPosture", "devicePosture")],
        SecurityRisk => [("PostureDetail", "securityRisk")],
        EncryptionStatus => [("DeviceSettings", "encryptionStatus")],
        NonComplianceReason => [("NonComplianceDetail", "nonComplianceReason")],
    }
}

#[test]
fn the_enum_check_itself_reports_a_value_the_document_lacks_and_a_missing_variant() {
    // CameraAccess's values are not Device.state's: every one is reported.
    assert_eq!(mismatches::<CameraAccess>(&[("Device", "state")]).len(), 3);
    // DeviceState is open, so Policy.cameraAccess's values it lacks are reported too.
    let found = mismatches::<DeviceState>(&[("Policy", "cameraAccess")]);
    assert!(
        found
            .iter()
            .any(|m| m.contains("no variant for CAMERA_ACCESS_DISABLED")),
        "{found:?}"
    );
    assert!(!mismatches::<CameraAccess>(&[("Policy", "noSuchField")]).is_empty());
}

#[test]
fn a_value_we_send_that_google_does_not_define_cannot_be_parsed_from_json() {
    assert!(serde_json::from_str::<InstallType>("\"KIOSK\"").is_err());
    assert_eq!(
        serde_json::from_str::<InstallType>("\"FORCE_INSTALLED\"").unwrap(),
        InstallType::ForceInstalled
    );
}
