//! The restrictions payload (`com.apple.applicationaccess`). Every field maps to exactly one key
//! of Apple's schema, spelled as Apple spells it; `None` leaves the device's default.

use super::{Content, Payload};

/// Declares [`RestrictionSettings`] and its key table together, so a field cannot exist without
/// the Apple key it renders to.
macro_rules! restrictions {
    ($($(#[$doc:meta])* $field:ident => $key:literal,)*) => {
        /// Restrictions, in Apple's terms (`Default` restricts nothing).
        #[derive(Debug, Clone, PartialEq, Eq, Default)]
        pub struct RestrictionSettings {
            $($(#[$doc])* #[doc = concat!("`", $key, "`")] pub $field: Option<bool>,)*
            /// `blockedAppBundleIDs`: apps that cannot launch (supervised).
            pub blocked_app_bundle_ids: Vec<String>,
            /// `allowListedAppBundleIDs`: when not empty, the only apps that can launch
            /// (supervised).
            pub allow_listed_app_bundle_ids: Vec<String>,
        }

        impl RestrictionSettings {
            fn booleans(&self) -> Vec<(&'static str, Option<bool>)> {
                vec![$(($key, self.$field),)*]
            }
        }
    };
}

restrictions! {
    allow_camera => "allowCamera",
    allow_screen_shot => "allowScreenShot",
    /// USB drives in the Files app (iPadOS).
    allow_files_usb_drive_access => "allowFilesUSBDriveAccess",
    /// USB accessories while locked.
    allow_usb_restricted_mode => "allowUSBRestrictedMode",
    allow_bluetooth_modification => "allowBluetoothModification",
    allow_erase_content_and_settings => "allowEraseContentAndSettings",
    allow_untrusted_tls_prompt => "allowUntrustedTLSPrompt",
    allow_open_from_managed_to_unmanaged => "allowOpenFromManagedToUnmanaged",
    allow_open_from_unmanaged_to_managed => "allowOpenFromUnmanagedToManaged",
    allow_ui_configuration_profile_installation => "allowUIConfigurationProfileInstallation",
    allow_app_installation => "allowAppInstallation",
    allow_ui_app_installation => "allowUIAppInstallation",
    allow_app_removal => "allowAppRemoval",
    allow_in_app_purchases => "allowInAppPurchases",
    allow_air_drop => "allowAirDrop",
    allow_cloud_backup => "allowCloudBackup",
    allow_cloud_document_sync => "allowCloudDocumentSync",
    allow_cloud_keychain_sync => "allowCloudKeychainSync",
    allow_managed_apps_cloud_sync => "allowManagedAppsCloudSync",
    allow_passcode_modification => "allowPasscodeModification",
    allow_fingerprint_for_unlock => "allowFingerprintForUnlock",
    allow_account_modification => "allowAccountModification",
    allow_vpn_creation => "allowVPNCreation",
    allow_personal_hotspot_modification => "allowPersonalHotspotModification",
    allow_esim_modification => "allowESIMModification",
    allow_cellular_plan_modification => "allowCellularPlanModification",
    /// Background fetch while roaming: the nearest Apple has to a roaming switch.
    allow_global_background_fetch_when_roaming => "allowGlobalBackgroundFetchWhenRoaming",
    allow_device_name_modification => "allowDeviceNameModification",
    allow_enterprise_app_trust => "allowEnterpriseAppTrust",
    allow_host_pairing => "allowHostPairing",
    allow_find_my_device => "allowFindMyDevice",
    allow_safari => "allowSafari",
    allow_explicit_content => "allowExplicitContent",
    allow_game_center => "allowGameCenter",
    allow_assistant => "allowAssistant",
    allow_password_auto_fill => "allowPasswordAutoFill",
    allow_nfc => "allowNFC",
    force_encrypted_backup => "forceEncryptedBackup",
    force_automatic_date_and_time => "forceAutomaticDateAndTime",
    force_wifi_power_on => "forceWiFiPowerOn",
    force_limit_ad_tracking => "forceLimitAdTracking",
    require_managed_pasteboard => "requireManagedPasteboard",
}

/// The restrictions payload for `s`.
pub fn restrictions_payload(s: &RestrictionSettings, uuid: &str, identifier: &str) -> Payload {
    let mut c = Content::new();
    for (key, value) in s.booleans() {
        c.opt_bool(key, value);
    }
    if !s.blocked_app_bundle_ids.is_empty() {
        c.strings("blockedAppBundleIDs", &s.blocked_app_bundle_ids);
    }
    if !s.allow_listed_app_bundle_ids.is_empty() {
        c.strings("allowListedAppBundleIDs", &s.allow_listed_app_bundle_ids);
    }
    c.into_payload(Payload::new(
        "com.apple.applicationaccess",
        uuid,
        identifier,
        "Restrictions",
    ))
}
