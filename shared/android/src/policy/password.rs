//! `PasswordRequirements`: one entry of `Policy.passwordPolicies` (the deprecated singular
//! `passwordRequirements` is not used), scoped to the device or to the work profile.

use serde::{Deserialize, Serialize};

use crate::encoding::GoogleDuration;

/// Password rules for one scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordRequirements {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_scope: Option<PasswordScope>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_quality: Option<PasswordQuality>,
    /// Only enforced for the `NUMERIC`, `NUMERIC_COMPLEX`, `ALPHABETIC`, `ALPHANUMERIC` and
    /// `COMPLEX` qualities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_minimum_length: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_minimum_letters: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_minimum_numeric: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_minimum_symbols: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_minimum_upper_case: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_minimum_lower_case: Option<i32>,
    /// Wrong passwords before the device (or work profile) is wiped; 0 means never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_failed_passwords_for_wipe: Option<i32>,
    /// How many previous passwords cannot be reused; 0 means no restriction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_history_length: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_expiration_timeout: Option<GoogleDuration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_password_unlock: Option<RequirePasswordUnlock>,
}

sent_enum! {
    /// Which lock screen the rules apply to.
    pub enum PasswordScope {
        Device = "SCOPE_DEVICE",
        Profile = "SCOPE_PROFILE",
    }
}

sent_enum! {
    /// The kind of password required. The `COMPLEXITY_*` values are the only ones that apply to
    /// the device lock of personally-owned devices with a work profile.
    pub enum PasswordQuality {
        BiometricWeak = "BIOMETRIC_WEAK",
        Something = "SOMETHING",
        Numeric = "NUMERIC",
        NumericComplex = "NUMERIC_COMPLEX",
        Alphabetic = "ALPHABETIC",
        Alphanumeric = "ALPHANUMERIC",
        Complex = "COMPLEX",
        ComplexityLow = "COMPLEXITY_LOW",
        ComplexityMedium = "COMPLEXITY_MEDIUM",
        ComplexityHigh = "COMPLEXITY_HIGH",
    }
}

sent_enum! {
    /// How often a strong unlock (password rather than biometrics) is required.
    pub enum RequirePasswordUnlock {
        UseDefaultDeviceTimeout = "USE_DEFAULT_DEVICE_TIMEOUT",
        RequireEveryDay = "REQUIRE_EVERY_DAY",
    }
}
