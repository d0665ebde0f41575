//! What we send, serialized from realistic values, fits the discovery document's schema and uses
//! nothing it deprecates or reserves to Google; and the JSON has the shape AMAPI expects.

use mdm_android::policy::{
    AdvancedSecurityOverrides, AlwaysOnVpnPackage, ApplicationPolicy, ApplicationReportingSettings,
    AutoUpdateMode, CameraAccess, ConfigureWifi, CrossProfileCopyPaste, CrossProfilePolicies,
    DeveloperSettings, DeviceConnectivityManagement, DeviceRadioState, DeviceWidePolicies,
    DeviceWideRadioState, EncryptionPolicy, GooglePlayProtectVerifyApps, InstallType,
    MicrophoneAccess, NfcState, PasswordQuality, PasswordRequirements, PasswordScope,
    PermissionPolicy, PlayStoreMode, RequirePasswordUnlock, Role, RoleType,
    StatusReportingSettings, TetheringSettings, UntrustedAppsPolicy, UsbDataAccess,
};
use mdm_android::schema;
use mdm_android::{
    AllowPersonalUsage, ClearAppsDataParams, Command, CommandKind, DeviceDeletion, EnrollmentToken,
    Enterprise, GoogleDuration, NewPassword, NotificationType, Policy, ResetPasswordFlag,
    StartLostModeParams, StopLostModeParams, UserFacingMessage, WipeDataFlag, WipeParams,
};
use serde_json::json;

use crate::common::assert_sendable;

/// A fleet policy touching every field our translator fills.
pub fn fleet_policy() -> Policy {
    let managed_configuration = json!({"serverUrl": "https://mdm.example.com", "retries": 3});
    let onc = json!({
        "Type": "UnencryptedConfiguration",
        "NetworkConfigurations": [{
            "GUID": "office-wifi",
            "Name": "Office",
            "Type": "WiFi",
            "WiFi": {"SSID": "Office", "Security": "WPA-PSK", "Passphrase": "correct horse", "AutoConnect": true}
        }]
    });
    Policy {
        name: None,
        password_policies: vec![
            PasswordRequirements {
                password_scope: Some(PasswordScope::Device),
                password_quality: Some(PasswordQuality::Alphanumeric),
                password_minimum_length: Some(8),
                maximum_failed_passwords_for_wipe: Some(10),
                password_history_length: Some(5),
                password_expiration_timeout: Some(GoogleDuration::from_secs(90 * 86_400)),
                require_password_unlock: Some(RequirePasswordUnlock::RequireEveryDay),
                ..Default::default()
            },
            PasswordRequirements {
                password_scope: Some(PasswordScope::Profile),
                password_quality: Some(PasswordQuality::ComplexityMedium),
                ..Default::default()
            },
        ],
        maximum_time_to_lock: Some(300_000),
        camera_access: Some(CameraAccess::Disabled),
        microphone_access: Some(MicrophoneAccess::UserChoice),
        screen_capture_disabled: Some(true),
        bluetooth_disabled: Some(false),
        data_roaming_disabled: Some(true),
        factory_reset_disabled: Some(true),
        encryption_policy: Some(EncryptionPolicy::EnabledWithoutPassword),
        advanced_security_overrides: Some(AdvancedSecurityOverrides {
            untrusted_apps_policy: Some(UntrustedAppsPolicy::DisallowInstall),
            developer_settings: Some(DeveloperSettings::Disabled),
            google_play_protect_verify_apps: Some(GooglePlayProtectVerifyApps::Enforced),
        }),
        device_connectivity_management: Some(DeviceConnectivityManagement {
            usb_data_access: Some(UsbDataAccess::DisallowUsbFileTransfer),
            configure_wifi: Some(ConfigureWifi::DisallowAddWifiConfig),
            tethering_settings: Some(TetheringSettings::DisallowAllTethering),
        }),
        open_network_configuration: onc.as_object().cloned(),
        device_radio_state: Some(DeviceRadioState {
            nfc: Some(NfcState::Disabled),
        }),
        device_wide_policies: Some(DeviceWidePolicies {
            device_radio_state: Some(DeviceWideRadioState {
                nfc: Some(NfcState::UserChoice),
            }),
        }),
        cross_profile_policies: Some(CrossProfilePolicies {
            cross_profile_copy_paste: Some(CrossProfileCopyPaste::CopyFromWorkToPersonalDisallowed),
        }),
        always_on_vpn_package: Some(AlwaysOnVpnPackage {
            package_name: "com.example.vpn".into(),
            lockdown_enabled: Some(true),
        }),
        play_store_mode: Some(PlayStoreMode::Whitelist),
        applications: vec![
            ApplicationPolicy {
                package_name: "com.example.fieldapp".into(),
                install_type: Some(InstallType::ForceInstalled),
                managed_configuration: managed_configuration.as_object().cloned(),
                default_permission_policy: Some(PermissionPolicy::Grant),
                minimum_version_code: Some(321),
                auto_update_mode: Some(AutoUpdateMode::HighPriority),
                ..Default::default()
            },
            ApplicationPolicy {
                package_name: "com.example.game".into(),
                install_type: Some(InstallType::Blocked),
                disabled: Some(true),
                ..Default::default()
            },
            ApplicationPolicy {
                package_name: "com.example.pos".into(),
                install_type: Some(InstallType::RequiredForSetup),
                roles: vec![Role {
                    role_type: RoleType::Kiosk,
                }],
                ..Default::default()
            },
        ],
        kiosk_custom_launcher_enabled: Some(false),
        status_reporting_settings: Some(StatusReportingSettings {
            application_reports_enabled: Some(true),
            application_reporting_settings: Some(ApplicationReportingSettings {
                include_removed_apps: Some(true),
            }),
            device_settings_enabled: Some(true),
            software_info_enabled: Some(true),
            hardware_status_enabled: Some(true),
            memory_info_enabled: Some(true),
            network_info_enabled: Some(true),
            display_info_enabled: Some(true),
            power_management_events_enabled: Some(true),
            system_properties_enabled: Some(true),
            common_criteria_mode_enabled: Some(false),
        }),
    }
}

#[test]
fn a_full_fleet_policy_fits_the_policy_schema_without_deprecated_fields() {
    let json = assert_sendable("Policy", &fleet_policy());
    // Where the document puts what used to be top-level booleans.
    assert_eq!(
        json["advancedSecurityOverrides"]["untrustedAppsPolicy"],
        "DISALLOW_INSTALL"
    );
    assert_eq!(
        json["advancedSecurityOverrides"]["developerSettings"],
        "DEVELOPER_SETTINGS_DISABLED"
    );
    assert_eq!(
        json["deviceConnectivityManagement"]["usbDataAccess"],
        "DISALLOW_USB_FILE_TRANSFER"
    );
    assert_eq!(
        json["passwordPolicies"][0]["passwordExpirationTimeout"],
        "7776000s"
    );
    // Where the document puts NFC, cross-profile copy and paste, and the kiosk app.
    assert_eq!(json["deviceRadioState"]["nfc"], "NFC_DISABLED");
    assert_eq!(
        json["deviceWidePolicies"]["deviceRadioState"]["nfc"],
        "NFC_USER_CHOICE"
    );
    assert_eq!(
        json["crossProfilePolicies"]["crossProfileCopyPaste"],
        "COPY_FROM_WORK_TO_PERSONAL_DISALLOWED"
    );
    assert_eq!(json["playStoreMode"], "WHITELIST");
    assert_eq!(
        json["applications"][2]["roles"],
        json!([{"roleType": "KIOSK"}])
    );
}

#[test]
fn maximum_time_to_lock_is_an_int64_written_as_a_string() {
    let json = assert_sendable("Policy", &fleet_policy());
    assert_eq!(json["maximumTimeToLock"], json!("300000"));
    let back: Policy = serde_json::from_value(json).unwrap();
    assert_eq!(back, fleet_policy());
}

#[test]
fn an_empty_policy_is_an_empty_object() {
    assert_eq!(assert_sendable("Policy", &Policy::default()), json!({}));
}

#[test]
fn an_enrollment_token_request_fits_the_schema() {
    let token = EnrollmentToken {
        policy_name: Some("enterprises/LC04b1xq5r/policies/tenant-7-fleet".into()),
        duration: Some(GoogleDuration::from_secs(86_400)),
        additional_data: Some(r#"{"tenant":"t-7"}"#.into()),
        allow_personal_usage: Some(AllowPersonalUsage::PersonalUsageDisallowed),
        one_time_only: Some(true),
        ..Default::default()
    };
    let json = assert_sendable("EnrollmentToken", &token);
    assert_eq!(json["duration"], "86400s");
    assert_eq!(json.as_object().unwrap().len(), 5, "{json}");
}

#[test]
fn an_enterprise_patch_fits_the_schema() {
    let enterprise = Enterprise {
        enterprise_display_name: Some("Acme Field Services".into()),
        pubsub_topic: Some("projects/mdm-prod-4711/topics/amapi-notifications".into()),
        enabled_notification_types: vec![
            NotificationType::Enrollment,
            NotificationType::StatusReport,
            NotificationType::Command,
        ],
        primary_color: Some(0x2196F3),
        ..Default::default()
    };
    assert_sendable("Enterprise", &enterprise);
}

fn every_command() -> Vec<Command> {
    let lost = StartLostModeParams {
        lost_message: Some(UserFacingMessage::text(
            "This phone was lost. Please call us.",
        )),
        lost_phone_number: Some(UserFacingMessage::text("+33 1 23 45 67 89")),
        lost_email_address: Some("it@example.com".into()),
        lost_street_address: Some(UserFacingMessage::text("1 rue de la Paix, Paris")),
        lost_organization: Some(UserFacingMessage::text("Acme")),
    };
    let mut lock = Command::new(CommandKind::Lock);
    lock.duration = Some(GoogleDuration::from_secs(3600));
    vec![
        lock,
        Command::new(CommandKind::ResetPassword {
            new_password: Some(NewPassword("482915".into())),
            reset_password_flags: vec![ResetPasswordFlag::RequireEntry, ResetPasswordFlag::LockNow],
        }),
        Command::new(CommandKind::ResetPassword {
            new_password: None,
            reset_password_flags: vec![],
        }),
        Command::new(CommandKind::Reboot),
        Command::new(CommandKind::ClearAppData {
            clear_apps_data_params: ClearAppsDataParams {
                package_names: vec!["com.example.fieldapp".into()],
            },
        }),
        Command::new(CommandKind::StartLostMode {
            start_lost_mode_params: lost,
        }),
        Command::new(CommandKind::StopLostMode {
            stop_lost_mode_params: StopLostModeParams {},
        }),
        Command::new(CommandKind::Wipe {
            wipe_params: WipeParams {
                wipe_data_flags: vec![WipeDataFlag::WipeExternalStorage, WipeDataFlag::WipeEsims],
                wipe_reason: Some(UserFacingMessage::text(
                    "Your work profile is being removed.",
                )),
            },
        }),
    ]
}

#[test]
fn every_command_we_issue_fits_the_command_schema_and_reads_back() {
    for command in every_command() {
        let json = assert_sendable("Command", &command);
        let back: Command = serde_json::from_value(json).unwrap();
        assert_eq!(back, command);
    }
}

#[test]
fn a_command_is_its_type_beside_its_own_parameters_only() {
    let commands: Vec<_> = every_command()
        .iter()
        .map(|c| serde_json::to_value(c).unwrap())
        .collect();
    assert_eq!(commands[0], json!({"type": "LOCK", "duration": "3600s"}));
    assert_eq!(
        commands[1],
        json!({"type": "RESET_PASSWORD", "newPassword": "482915",
               "resetPasswordFlags": ["REQUIRE_ENTRY", "LOCK_NOW"]})
    );
    assert_eq!(commands[3], json!({"type": "REBOOT"}));
    assert_eq!(
        commands[4],
        json!({"type": "CLEAR_APP_DATA",
               "clearAppsDataParams": {"packageNames": ["com.example.fieldapp"]}})
    );
    assert_eq!(
        commands[6],
        json!({"type": "STOP_LOST_MODE", "stopLostModeParams": {}})
    );
    assert_eq!(
        commands[7]["wipeParams"]["wipeDataFlags"],
        json!(["WIPE_EXTERNAL_STORAGE", "WIPE_ESIMS"])
    );
}

#[test]
fn a_logged_reset_password_command_does_not_show_the_password() {
    let shown = format!("{:?}", every_command()[1]);
    assert!(!shown.contains("482915"), "{shown}");
    assert!(shown.contains("redacted"), "{shown}");
}

#[test]
fn device_deletion_flags_are_query_parameters_of_devices_delete() {
    let deletion = DeviceDeletion::new(vec![
        WipeDataFlag::PreserveResetProtectionData,
        WipeDataFlag::WipeExternalStorage,
        WipeDataFlag::WipeEsims,
    ])
    .with_reason("This device was reported stolen.")
    .unwrap();
    let pairs = deletion.query_pairs();
    assert_eq!(
        pairs,
        [
            ("wipeDataFlags", "PRESERVE_RESET_PROTECTION_DATA"),
            ("wipeDataFlags", "WIPE_EXTERNAL_STORAGE"),
            ("wipeDataFlags", "WIPE_ESIMS"),
            ("wipeReasonMessage", "This device was reported stolen."),
        ]
    );
    assert_eq!(
        schema::check_query("androidmanagement.enterprises.devices.delete", &pairs),
        Ok(())
    );
}

#[test]
fn a_wipe_reason_longer_than_google_accepts_is_refused() {
    let at_limit = "é".repeat(200);
    assert!(DeviceDeletion::new(vec![]).with_reason(at_limit).is_ok());
    let err = DeviceDeletion::new(vec![])
        .with_reason("é".repeat(201))
        .unwrap_err();
    assert_eq!(err.0, 201);
}
