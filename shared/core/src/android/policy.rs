//! A device's effective policy document as the AMAPI `Policy` Android Device Policy enforces:
//! passcode, restrictions, Wi-Fi, an always-on VPN app, the app list, kiosk and managed app
//! configuration, plus the status reports our compliance rules read.
//!
//! What AMAPI cannot express is left out here and refused by `expressible::check_expressible`:
//! mail, certificates, VPN servers, WPA3-Personal and enterprise networks, the kiosk's
//! emergency dialer, and configuration of an app an allow-list leaves out.

use mdm_android::Policy;
use mdm_android::policy::{
    AdvancedSecurityOverrides, AlwaysOnVpnPackage, ApplicationPolicy, CameraAccess,
    CrossProfileCopyPaste, CrossProfilePolicies, DeveloperSettings, DeviceConnectivityManagement,
    DeviceRadioState, DeviceWidePolicies, DeviceWideRadioState, InstallType, NfcState,
    PasswordQuality, PasswordRequirements, PlayStoreMode, Role, RoleType, StatusReportingSettings,
    UntrustedAppsPolicy, UsbDataAccess,
};

use super::onc;
use crate::domain::policy::{
    AppListMode, Passcode, PasscodeComplexity, PolicyDocument, Restrictions, VpnKind,
};

/// The AMAPI policy of an effective document. Compliance rules and schedules are not read:
/// compliance is evaluated by us from status reports, and schedules arrive already applied.
pub fn policy_of(doc: &PolicyDocument) -> Policy {
    let mut policy = Policy {
        status_reporting_settings: Some(status_reporting()),
        ..Policy::default()
    };
    if let Some(p) = &doc.passcode {
        policy.password_policies = vec![password(p)];
        policy.maximum_time_to_lock = p.auto_lock_seconds.map(|s| i64::from(s) * 1000);
    }
    if let Some(r) = &doc.restrictions {
        restrictions(r, &mut policy);
    }
    if let Some(networks) = &doc.wifi {
        policy.open_network_configuration = onc::configuration(networks);
    }
    applications(doc, &mut policy);
    policy
}

/// Every report a compliance rule reads: OS version and patch level (software info), passcode
/// and encryption (device settings), SIM and network (network info), apps (application
/// reports), hardware. The security posture (integrity verdict) comes with every report,
/// having no switch of its own.
fn status_reporting() -> StatusReportingSettings {
    StatusReportingSettings {
        application_reports_enabled: Some(true),
        device_settings_enabled: Some(true),
        software_info_enabled: Some(true),
        hardware_status_enabled: Some(true),
        network_info_enabled: Some(true),
        ..StatusReportingSettings::default()
    }
}

fn password(p: &Passcode) -> PasswordRequirements {
    // Android's qualities are floors (a stronger password meets a weaker quality). "Any" is
    // NUMERIC, the weakest under which Android enforces a minimum length; patterns and
    // SOMETHING would ignore `min_length`.
    let (quality, complex) = match p.complexity {
        PasscodeComplexity::Any => (PasswordQuality::Numeric, false),
        PasscodeComplexity::Numeric => (PasswordQuality::NumericComplex, false),
        PasscodeComplexity::Alphanumeric => (PasswordQuality::Alphanumeric, false),
        PasscodeComplexity::Complex => (PasswordQuality::Complex, true),
    };
    // COMPLEX enforces only the minimums it is given: letters, digits and a symbol, as the
    // complexity promises.
    let at_least_one = complex.then_some(1);
    PasswordRequirements {
        password_quality: Some(quality),
        password_minimum_length: Some(i32::from(p.min_length)),
        password_minimum_letters: at_least_one,
        password_minimum_numeric: at_least_one,
        password_minimum_symbols: at_least_one,
        maximum_failed_passwords_for_wipe: p.max_failed_attempts.map(i32::from),
        ..PasswordRequirements::default()
    }
}

fn restrictions(r: &Restrictions, policy: &mut Policy) {
    policy.camera_access = r.camera_disabled.map(|off| {
        if off {
            CameraAccess::Disabled
        } else {
            CameraAccess::UserChoice
        }
    });
    policy.screen_capture_disabled = r.screen_capture_disabled;
    policy.bluetooth_disabled = r.bluetooth_disabled;
    policy.data_roaming_disabled = r.roaming_disabled;
    policy.factory_reset_disabled = r.factory_reset_disabled;
    // Left unset, AMAPI disallows USB file transfer: only an explicit choice is sent.
    if let Some(off) = r.usb_file_transfer_disabled {
        policy.device_connectivity_management = Some(DeviceConnectivityManagement {
            usb_data_access: Some(if off {
                UsbDataAccess::DisallowUsbFileTransfer
            } else {
                UsbDataAccess::AllowUsbDataTransfer
            }),
            ..DeviceConnectivityManagement::default()
        });
    }
    let overrides = AdvancedSecurityOverrides {
        developer_settings: r.debugging_disabled.map(|off| {
            if off {
                DeveloperSettings::Disabled
            } else {
                DeveloperSettings::Allowed
            }
        }),
        untrusted_apps_policy: r.unknown_sources_disabled.map(|off| {
            if off {
                UntrustedAppsPolicy::DisallowInstall
            } else {
                UntrustedAppsPolicy::AllowInstallDeviceWide
            }
        }),
        ..AdvancedSecurityOverrides::default()
    };
    if overrides != AdvancedSecurityOverrides::default() {
        policy.advanced_security_overrides = Some(overrides);
    }
    policy.cross_profile_policies =
        r.clipboard_to_personal_disabled
            .map(|off| CrossProfilePolicies {
                cross_profile_copy_paste: Some(if off {
                    CrossProfileCopyPaste::CopyFromWorkToPersonalDisallowed
                } else {
                    CrossProfileCopyPaste::Allowed
                }),
            });
    // Only "disabled" is sent: NFC_USER_CHOICE is Android's default anyway, and Google reports
    // it as non-compliant below Android 15. The policy cannot know whether the device is fully
    // managed or a company-owned work profile, and AMAPI has one field for each.
    if r.nfc_disabled == Some(true) {
        policy.device_radio_state = Some(DeviceRadioState {
            nfc: Some(NfcState::Disabled),
        });
        policy.device_wide_policies = Some(DeviceWidePolicies {
            device_radio_state: Some(DeviceWideRadioState {
                nfc: Some(NfcState::Disabled),
            }),
        });
    }
}

/// The app list, the VPN app, the kiosk and managed configurations, as one entry per package
/// (first mention first), and the Play Store mode they need.
fn applications(doc: &PolicyDocument, policy: &mut Policy) {
    let mut apps: Vec<ApplicationPolicy> = Vec::new();
    fn entry<'a>(apps: &'a mut Vec<ApplicationPolicy>, package: &str) -> &'a mut ApplicationPolicy {
        let at = match apps.iter().position(|a| a.package_name == package) {
            Some(at) => at,
            None => {
                apps.push(ApplicationPolicy {
                    package_name: package.to_owned(),
                    ..ApplicationPolicy::default()
                });
                apps.len() - 1
            }
        };
        &mut apps[at]
    }
    // Without a playStoreMode AMAPI keeps only the policy's apps (WHITELIST): a document
    // without an allow-list leaves apps to the user, so it must say BLACKLIST.
    let allow_list = doc
        .apps
        .as_ref()
        .is_some_and(|l| l.mode == AppListMode::AllowList);
    policy.play_store_mode = Some(if allow_list {
        PlayStoreMode::Whitelist
    } else {
        PlayStoreMode::Blacklist
    });
    if let Some(list) = &doc.apps {
        let install = match list.mode {
            AppListMode::AllowList => InstallType::Available,
            AppListMode::DenyList => InstallType::Blocked,
        };
        for app in &list.apps {
            entry(&mut apps, app).install_type = Some(install);
        }
    }
    if let Some(v) = &doc.vpn
        && v.kind == VpnKind::App
        && let Some(app) = &v.app_id
    {
        policy.always_on_vpn_package = Some(AlwaysOnVpnPackage {
            package_name: app.clone(),
            lockdown_enabled: Some(v.always_on),
        });
        // An always-on VPN without its app cuts the device off under lockdown, and an
        // allow-list would uninstall it: the VPN app is installed whatever the list says.
        entry(&mut apps, app).install_type = Some(InstallType::ForceInstalled);
    }
    if let Some(k) = &doc.kiosk {
        if let [app] = k.apps.as_slice() {
            // The KIOSK role (which replaces the deprecated KIOSK install type) makes the app
            // the home screen in lock task mode; AMAPI requires it to be REQUIRED_FOR_SETUP.
            let e = entry(&mut apps, app);
            e.install_type = Some(InstallType::RequiredForSetup);
            e.roles = vec![Role {
                role_type: RoleType::Kiosk,
            }];
        } else {
            // Several apps: Google's kiosk launcher, which shows the policy's installed apps.
            policy.kiosk_custom_launcher_enabled = Some(true);
            for app in &k.apps {
                entry(&mut apps, app).install_type = Some(InstallType::ForceInstalled);
            }
        }
    }
    for (app, config) in doc.app_config.iter().flatten() {
        // AMAPI configures only apps the policy lists, and listing one makes it available:
        // under an allow-list, an app outside it is not configured (check_expressible refuses).
        if allow_list && !apps.iter().any(|a| &a.package_name == app) {
            continue;
        }
        entry(&mut apps, app).managed_configuration = Some(config.clone());
    }
    policy.applications = apps;
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn doc(v: Value) -> PolicyDocument {
        let d: PolicyDocument = serde_json::from_value(v).expect("a policy document");
        d.validate().expect("a valid policy document");
        d
    }

    fn sent(d: &PolicyDocument) -> Value {
        serde_json::to_value(policy_of(d)).expect("a policy serializes")
    }

    /// What a document's policy holds beyond an empty document's.
    fn added(v: Value) -> Value {
        let empty = sent(&PolicyDocument::default());
        let mut out = sent(&doc(v));
        out.as_object_mut()
            .unwrap()
            .retain(|k, v| empty.get(k) != Some(v));
        out
    }

    #[test]
    fn each_setting_becomes_the_amapi_field_that_enforces_it() {
        let rows = [
            (
                json!({"passcode": {"min_length": 6, "complexity": "any"}}),
                json!({"passwordPolicies": [{"passwordQuality": "NUMERIC", "passwordMinimumLength": 6}]}),
            ),
            (
                json!({"passcode": {"min_length": 6, "complexity": "numeric", "max_failed_attempts": 10, "auto_lock_seconds": 300}}),
                json!({
                    "passwordPolicies": [{"passwordQuality": "NUMERIC_COMPLEX", "passwordMinimumLength": 6, "maximumFailedPasswordsForWipe": 10}],
                    "maximumTimeToLock": "300000"
                }),
            ),
            (
                json!({"passcode": {"min_length": 8, "complexity": "alphanumeric"}}),
                json!({"passwordPolicies": [{"passwordQuality": "ALPHANUMERIC", "passwordMinimumLength": 8}]}),
            ),
            (
                json!({"passcode": {"min_length": 10, "complexity": "complex"}}),
                json!({"passwordPolicies": [{
                    "passwordQuality": "COMPLEX", "passwordMinimumLength": 10,
                    "passwordMinimumLetters": 1, "passwordMinimumNumeric": 1, "passwordMinimumSymbols": 1
                }]}),
            ),
            (
                json!({"restrictions": {"camera_disabled": true}}),
                json!({"cameraAccess": "CAMERA_ACCESS_DISABLED"}),
            ),
            (
                json!({"restrictions": {"camera_disabled": false}}),
                json!({"cameraAccess": "CAMERA_ACCESS_USER_CHOICE"}),
            ),
            (
                json!({"restrictions": {"screen_capture_disabled": true}}),
                json!({"screenCaptureDisabled": true}),
            ),
            (
                json!({"restrictions": {"usb_file_transfer_disabled": true}}),
                json!({"deviceConnectivityManagement": {"usbDataAccess": "DISALLOW_USB_FILE_TRANSFER"}}),
            ),
            (
                json!({"restrictions": {"usb_file_transfer_disabled": false}}),
                json!({"deviceConnectivityManagement": {"usbDataAccess": "ALLOW_USB_DATA_TRANSFER"}}),
            ),
            (
                json!({"restrictions": {"debugging_disabled": true}}),
                json!({"advancedSecurityOverrides": {"developerSettings": "DEVELOPER_SETTINGS_DISABLED"}}),
            ),
            (
                json!({"restrictions": {"debugging_disabled": false}}),
                json!({"advancedSecurityOverrides": {"developerSettings": "DEVELOPER_SETTINGS_ALLOWED"}}),
            ),
            (
                json!({"restrictions": {"bluetooth_disabled": true}}),
                json!({"bluetoothDisabled": true}),
            ),
            (
                json!({"restrictions": {"roaming_disabled": true}}),
                json!({"dataRoamingDisabled": true}),
            ),
            (
                json!({"restrictions": {"factory_reset_disabled": true}}),
                json!({"factoryResetDisabled": true}),
            ),
            (
                json!({"restrictions": {"unknown_sources_disabled": true}}),
                json!({"advancedSecurityOverrides": {"untrustedAppsPolicy": "DISALLOW_INSTALL"}}),
            ),
            (
                json!({"restrictions": {"unknown_sources_disabled": false}}),
                json!({"advancedSecurityOverrides": {"untrustedAppsPolicy": "ALLOW_INSTALL_DEVICE_WIDE"}}),
            ),
            (
                json!({"restrictions": {"clipboard_to_personal_disabled": true}}),
                json!({"crossProfilePolicies": {"crossProfileCopyPaste": "COPY_FROM_WORK_TO_PERSONAL_DISALLOWED"}}),
            ),
            (
                json!({"restrictions": {"clipboard_to_personal_disabled": false}}),
                json!({"crossProfilePolicies": {"crossProfileCopyPaste": "CROSS_PROFILE_COPY_PASTE_ALLOWED"}}),
            ),
            (
                json!({"restrictions": {"nfc_disabled": true}}),
                json!({
                    "deviceRadioState": {"nfc": "NFC_DISABLED"},
                    "deviceWidePolicies": {"deviceRadioState": {"nfc": "NFC_DISABLED"}}
                }),
            ),
            (json!({"restrictions": {"nfc_disabled": false}}), json!({})),
            (
                json!({"wifi": [
                    {"ssid": "Office", "security": "wpa2_psk", "password": "correct horse"},
                    {"ssid": "Lobby", "security": "open", "hidden": true, "auto_join": false}
                ]}),
                json!({"openNetworkConfiguration": {
                    "Type": "UnencryptedConfiguration",
                    "NetworkConfigurations": [
                        {"GUID": "wifi-4f6666696365", "Name": "Office", "Type": "WiFi", "WiFi": {
                            "SSID": "Office", "Security": "WPA-PSK", "Passphrase": "correct horse",
                            "HiddenSSID": false, "AutoConnect": true}},
                        {"GUID": "wifi-4c6f626279", "Name": "Lobby", "Type": "WiFi", "WiFi": {
                            "SSID": "Lobby", "Security": "None", "HiddenSSID": true, "AutoConnect": false}}
                    ]
                }}),
            ),
            (
                json!({"vpn": {"name": "Corp", "kind": "app", "app_id": "com.example.vpn", "always_on": true}}),
                json!({
                    "alwaysOnVpnPackage": {"packageName": "com.example.vpn", "lockdownEnabled": true},
                    "applications": [{"packageName": "com.example.vpn", "installType": "FORCE_INSTALLED"}]
                }),
            ),
            (
                json!({"apps": {"mode": "allow_list", "apps": ["com.example.mail", "com.example.crm"]}}),
                json!({
                    "playStoreMode": "WHITELIST",
                    "applications": [
                        {"packageName": "com.example.mail", "installType": "AVAILABLE"},
                        {"packageName": "com.example.crm", "installType": "AVAILABLE"}
                    ]
                }),
            ),
            (
                json!({"apps": {"mode": "deny_list", "apps": ["com.example.game"]}}),
                json!({"applications": [{"packageName": "com.example.game", "installType": "BLOCKED"}]}),
            ),
            (
                json!({"kiosk": {"apps": ["com.example.pos"]}}),
                json!({"applications": [{
                    "packageName": "com.example.pos", "installType": "REQUIRED_FOR_SETUP",
                    "roles": [{"roleType": "KIOSK"}]
                }]}),
            ),
            (
                json!({"kiosk": {"apps": ["com.example.pos", "com.example.scanner"]}}),
                json!({
                    "kioskCustomLauncherEnabled": true,
                    "applications": [
                        {"packageName": "com.example.pos", "installType": "FORCE_INSTALLED"},
                        {"packageName": "com.example.scanner", "installType": "FORCE_INSTALLED"}
                    ]
                }),
            ),
            (
                json!({"app_config": {"com.example.mail": {"server": "mail.example.com", "port": 993}}}),
                json!({"applications": [{
                    "packageName": "com.example.mail",
                    "managedConfiguration": {"server": "mail.example.com", "port": 993}
                }]}),
            ),
            (
                json!({
                    "compliance": {"min_os_version": {"version": "14"}},
                    "schedules": [{"name": "school hours",
                        "windows": [{"days": ["mon"], "start": "08:00", "end": "16:00"}],
                        "restrictions": {"camera_disabled": true}}]
                }),
                json!({}),
            ),
        ];
        for (ours, theirs) in rows {
            assert_eq!(added(ours.clone()), theirs, "{ours}");
        }
    }

    #[test]
    fn an_empty_document_asks_only_for_status_reports_and_leaves_play_apps_to_the_user() {
        assert_eq!(
            sent(&PolicyDocument::default()),
            json!({
                "statusReportingSettings": {
                    "applicationReportsEnabled": true,
                    "deviceSettingsEnabled": true,
                    "softwareInfoEnabled": true,
                    "hardwareStatusEnabled": true,
                    "networkInfoEnabled": true
                },
                // Left out, AMAPI would mean WHITELIST: no Play app but the policy's.
                "playStoreMode": "BLACKLIST"
            })
        );
    }

    fn full_document() -> PolicyDocument {
        doc(json!({
            "passcode": {"min_length": 8, "complexity": "complex", "max_failed_attempts": 10, "auto_lock_seconds": 120},
            "restrictions": {
                "camera_disabled": true, "screen_capture_disabled": true,
                "usb_file_transfer_disabled": true, "debugging_disabled": true, "nfc_disabled": true,
                "bluetooth_disabled": false, "roaming_disabled": true, "factory_reset_disabled": true,
                "unknown_sources_disabled": true, "clipboard_to_personal_disabled": true
            },
            "wifi": [
                {"ssid": "Office", "security": "wpa2_psk", "password": "correct horse"},
                {"ssid": "Guest", "security": "open"}
            ],
            "vpn": {"name": "Corp VPN", "kind": "app", "app_id": "com.example.vpn", "always_on": true},
            "apps": {"mode": "allow_list", "apps": ["com.example.mail", "com.example.crm"]},
            "kiosk": {"apps": ["com.example.pos", "com.example.scanner"]},
            "app_config": {"com.example.mail": {"server": "mail.example.com"}, "com.example.pos": {"store": 12}},
            "compliance": {"min_os_version": {"version": "14"}}
        }))
    }

    #[test]
    fn a_full_document_becomes_a_policy_google_accepts_without_deprecated_fields() {
        let json = sent(&full_document());
        if let Err(violations) = mdm_android::schema::check_request("Policy", &json) {
            let listed: Vec<String> = violations.iter().map(ToString::to_string).collect();
            panic!("{json}\n{}", listed.join("\n"));
        }
        // Every section made it: nothing was dropped on the way.
        for field in [
            "passwordPolicies",
            "maximumTimeToLock",
            "cameraAccess",
            "advancedSecurityOverrides",
            "deviceConnectivityManagement",
            "deviceRadioState",
            "crossProfilePolicies",
            "openNetworkConfiguration",
            "alwaysOnVpnPackage",
            "kioskCustomLauncherEnabled",
            "statusReportingSettings",
        ] {
            assert!(json.get(field).is_some(), "{field} missing from {json}");
        }
        assert_eq!(json["playStoreMode"], "WHITELIST");
        let packages: Vec<&str> = json["applications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["packageName"].as_str().unwrap())
            .collect();
        assert_eq!(
            packages,
            [
                "com.example.mail",
                "com.example.crm",
                "com.example.vpn",
                "com.example.pos",
                "com.example.scanner"
            ]
        );
    }

    #[test]
    fn the_schema_check_used_here_refuses_a_deprecated_field() {
        // The test above would pass vacuously if the checker let anything through.
        let mut json = sent(&full_document());
        json["cameraDisabled"] = json!(true);
        assert!(mdm_android::schema::check_request("Policy", &json).is_err());
    }

    #[test]
    fn an_app_in_several_sections_is_one_entry_where_the_kiosk_and_the_vpn_prevail() {
        let d = doc(json!({
            "apps": {"mode": "deny_list", "apps": ["com.example.pos", "com.example.vpn"]},
            "vpn": {"name": "Corp", "kind": "app", "app_id": "com.example.vpn"},
            "kiosk": {"apps": ["com.example.pos"]},
            "app_config": {"com.example.pos": {"store": 12}}
        }));
        assert_eq!(
            sent(&d)["applications"],
            json!([
                {"packageName": "com.example.pos", "installType": "REQUIRED_FOR_SETUP",
                 "managedConfiguration": {"store": 12}, "roles": [{"roleType": "KIOSK"}]},
                {"packageName": "com.example.vpn", "installType": "FORCE_INSTALLED"}
            ])
        );
        assert_eq!(sent(&d)["alwaysOnVpnPackage"]["lockdownEnabled"], false);
    }

    #[test]
    fn under_an_allow_list_an_unlisted_app_is_not_configured_into_availability() {
        let d = doc(json!({
            "apps": {"mode": "allow_list", "apps": ["com.example.mail"]},
            "app_config": {"com.example.mail": {"a": 1}, "com.example.other": {"b": 2}}
        }));
        assert_eq!(
            sent(&d)["applications"],
            json!([{"packageName": "com.example.mail", "installType": "AVAILABLE",
                    "managedConfiguration": {"a": 1}}])
        );
    }

    #[test]
    fn networks_amapi_cannot_express_are_left_out_of_the_network_configuration() {
        let d = doc(json!({
            "wifi": [
                {"ssid": "Home", "security": "wpa3_sae", "password": "correct horse"},
                {"ssid": "Corp", "security": "wpa2_enterprise", "certificate": "corp"}
            ],
            "certificates": [{"name": "corp", "kind": "pkcs12", "data_base64": "AAEC"}]
        }));
        assert_eq!(sent(&d).get("openNetworkConfiguration"), None);
    }

    #[test]
    fn two_networks_with_one_ssid_get_distinct_guids() {
        let d = doc(json!({"wifi": [
            {"ssid": "Office", "security": "open"},
            {"ssid": "Office", "security": "wpa2_psk", "password": "correct horse"}
        ]}));
        let json = sent(&d);
        let networks = &json["openNetworkConfiguration"]["NetworkConfigurations"];
        assert_ne!(networks[0]["GUID"], networks[1]["GUID"]);
    }
}
