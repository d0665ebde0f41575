//! What Google sends, written as Google writes it: each sample fits the discovery document (so
//! the samples cannot invent fields either), parses into our types with the values in place,
//! and what our types write back fits too.

use mdm_android::device::{
    DevicePosture, DeviceState, EncryptionStatus, ManagementMode, NonComplianceReason, Ownership,
    SecurityRisk,
};
use mdm_android::{
    AllowPersonalUsage, ClearingResult, CommandErrorCode, CommandType, Device, EnrollmentToken,
    Enterprise, NotificationType, Operation, SignupUrl, StartLostModeOutcome,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::common::{assert_fits, sample};

/// Checks the sample, parses it, and checks what our type writes back.
fn received<T: DeserializeOwned + serde::Serialize>(schema: &str, name: &str) -> T {
    let json = sample(name);
    assert_fits(schema, &json);
    let value: T = serde_json::from_value(json).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_fits(schema, &serde_json::to_value(&value).unwrap());
    value
}

#[test]
fn a_company_owned_device_report_parses_with_its_hardware_software_network_and_posture() {
    let device: Device = received("Device", "device_company_owned.json");
    assert_eq!(
        device.name,
        "enterprises/LC04b1xq5r/devices/3e1d3a9f0c2b7d41"
    );
    assert_eq!(device.management_mode, Some(ManagementMode::DeviceOwner));
    assert_eq!(device.ownership, Some(Ownership::CompanyOwned));
    assert_eq!(device.state, Some(DeviceState::Active));
    assert_eq!(device.applied_policy_version, Some(12));
    assert_eq!(device.api_level, Some(35));
    assert_eq!(
        device.enrollment_time.unwrap().get().unix_timestamp(),
        1_795_165_964
    );
    let hardware = device.hardware_info.as_ref().unwrap();
    assert_eq!(hardware.model.as_deref(), Some("Pixel 8"));
    assert_eq!(hardware.serial_number.as_deref(), Some("38181FDJG002ZK"));
    let software = device.software_info.as_ref().unwrap();
    assert_eq!(software.android_version.as_deref(), Some("15"));
    assert_eq!(software.security_patch_level.as_deref(), Some("2024-12-05"));
    let network = device.network_info.as_ref().unwrap();
    assert_eq!(network.imei.as_deref(), Some("358240051111110"));
    assert_eq!(
        network.telephony_infos[0].carrier_name.as_deref(),
        Some("Orange F")
    );
    let posture = device.security_posture.as_ref().unwrap();
    assert_eq!(posture.device_posture, Some(DevicePosture::AtRisk));
    assert_eq!(
        posture.posture_details[0].security_risk,
        Some(SecurityRisk::UnknownOs)
    );
    let settings = device.device_settings.as_ref().unwrap();
    assert_eq!(settings.is_encrypted, Some(true));
    assert_eq!(
        settings.encryption_status,
        Some(EncryptionStatus::ActivePerUser)
    );
    assert_eq!(settings.is_device_secure, Some(true));
    assert_eq!(device.non_compliance_details.len(), 2);
    assert_eq!(
        device.non_compliance_details[1].non_compliance_reason,
        Some(NonComplianceReason::AppNotInstalled)
    );
    assert_eq!(
        device.non_compliance_details[1].current_value,
        Some(json!("AVAILABLE"))
    );
    assert!(
        device
            .enrollment_token_data
            .unwrap()
            .contains("01JDW3E2Q4S8M5X7K9N2B6C3V1")
    );
}

#[test]
fn a_personally_owned_work_profile_parses_without_the_identifiers_google_withholds() {
    let device: Device = received("Device", "device_work_profile_enrolled.json");
    assert_eq!(device.management_mode, Some(ManagementMode::ProfileOwner));
    assert_eq!(device.ownership, Some(Ownership::PersonallyOwned));
    assert_eq!(device.hardware_info.unwrap().serial_number, None);
    assert_eq!(device.network_info, None);
    assert_eq!(
        device.security_posture.unwrap().device_posture,
        Some(DevicePosture::Secure)
    );
}

#[test]
fn enum_values_google_adds_later_are_kept_rather_than_refusing_the_device() {
    let mut json = sample("device_company_owned.json");
    json["state"] = json!("QUARANTINED");
    json["securityPosture"]["devicePosture"] = json!("SOMEWHAT_SECURE");
    let device: Device = serde_json::from_value(json).unwrap();
    assert_eq!(
        device.state,
        Some(DeviceState::Unknown("QUARANTINED".into()))
    );
    let written = serde_json::to_value(&device).unwrap();
    assert_eq!(
        written["securityPosture"]["devicePosture"],
        "SOMEWHAT_SECURE"
    );
}

#[test]
fn a_device_without_a_name_is_refused() {
    let mut json = sample("device_work_profile_enrolled.json");
    json.as_object_mut().unwrap().remove("name");
    assert!(serde_json::from_value::<Device>(json).is_err());
}

#[test]
fn a_finished_lock_operation_parses_with_its_command() {
    let operation: Operation = received("Operation", "operation_lock_done.json");
    assert!(operation.done);
    assert_eq!(operation.error, None);
    let command = operation.command().unwrap().unwrap();
    assert_eq!(command.command_type, Some(CommandType::Lock));
    assert_eq!(command.duration.unwrap().get().as_secs(), 600);
    assert_eq!(command.error_code, None);
}

#[test]
fn a_failed_lost_mode_operation_parses_with_its_error_and_outcome() {
    let operation: Operation = received("Operation", "operation_lost_mode_failed.json");
    assert!(operation.done);
    let error = operation.error.as_ref().unwrap();
    assert_eq!(error.code, 9);
    assert!(error.message.contains("lost mode"));
    let command = operation.command().unwrap().unwrap();
    assert_eq!(command.command_type, Some(CommandType::StartLostMode));
    assert_eq!(command.error_code, Some(CommandErrorCode::Unsupported));
    assert_eq!(
        command.start_lost_mode_status.unwrap().status,
        Some(StartLostModeOutcome::ResetPasswordRecently)
    );
}

#[test]
fn the_command_metadata_of_a_command_sample_also_fits_the_command_schema() {
    for name in [
        "operation_lock_done.json",
        "operation_lost_mode_failed.json",
        "operation_clear_app_data_pending.json",
    ] {
        let mut metadata = sample(name)["metadata"].clone();
        metadata.as_object_mut().unwrap().remove("@type");
        assert_fits("Command", &metadata);
    }
}

#[test]
fn a_pending_operation_is_not_done_and_reports_per_app_results() {
    let operation: Operation = received("Operation", "operation_clear_app_data_pending.json");
    assert!(!operation.done);
    let command = operation.command().unwrap().unwrap();
    let results = command.clear_apps_data_status.unwrap().results;
    assert_eq!(
        results["com.example.scanner"].clearing_result,
        Some(ClearingResult::AppNotFound)
    );
}

#[test]
fn operation_metadata_that_is_not_a_command_is_not_read_as_one() {
    let operation: Operation = serde_json::from_value(json!({
        "name": "operations/1",
        "metadata": {"@type": "type.googleapis.com/google.android.devicemanagement.v1.MigrationToken"}
    }))
    .unwrap();
    assert_eq!(operation.command().unwrap(), None);
    let bad: Operation = serde_json::from_value(json!({
        "name": "operations/2",
        "metadata": {"@type": "type.googleapis.com/google.android.devicemanagement.v1.Command", "type": 7}
    }))
    .unwrap();
    assert!(bad.command().is_err());
}

#[test]
fn a_created_enrollment_token_parses_with_its_value_qr_code_and_expiry() {
    let token: EnrollmentToken = received("EnrollmentToken", "enrollment_token_created.json");
    assert_eq!(token.value.as_deref(), Some("KQTWBHEXAMPLEVALUEQPMZ"));
    assert_eq!(token.duration.unwrap().get().as_secs(), 86_400);
    assert_eq!(
        token.allow_personal_usage,
        Some(AllowPersonalUsage::PersonalUsageDisallowed)
    );
    let qr: Value = serde_json::from_str(token.qr_code.as_deref().unwrap()).unwrap();
    assert_eq!(
        qr["android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE"]["com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN"],
        "KQTWBHEXAMPLEVALUEQPMZ"
    );
    assert!(token.expiration_timestamp.unwrap().get().nanosecond() > 0);
}

#[test]
fn an_enterprise_and_a_signup_url_parse_ignoring_the_read_only_fields_we_do_not_use() {
    let enterprise: Enterprise = received("Enterprise", "enterprise.json");
    assert_eq!(enterprise.name.as_deref(), Some("enterprises/LC04b1xq5r"));
    assert_eq!(
        enterprise.enabled_notification_types,
        [
            NotificationType::Enrollment,
            NotificationType::StatusReport,
            NotificationType::Command
        ]
    );
    let signup: SignupUrl = received("SignupUrl", "signup_url.json");
    assert!(signup.url.starts_with("https://enterprise.google.com/"));
}
