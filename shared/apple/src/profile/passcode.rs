//! The passcode payload (`com.apple.mobiledevice.passwordpolicy`).

use super::{Content, Payload};

/// A passcode policy, in Apple's terms (`Default` is Apple's defaults: nothing enforced).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PasscodeSettings {
    /// `minLength`.
    pub min_length: Option<i64>,
    /// `requireAlphanumeric`.
    pub require_alphanumeric: bool,
    /// `minComplexChars`: non-alphanumeric characters required.
    pub min_complex_chars: Option<i64>,
    /// `allowSimple`: whether repeating and sequential characters are allowed.
    pub allow_simple: bool,
    /// `maxFailedAttempts` before the device erases itself (or, on macOS, locks).
    pub max_failed_attempts: Option<i64>,
    /// `maxInactivity`, in minutes, before the device locks.
    pub max_inactivity_minutes: Option<i64>,
    /// `forcePIN`: a passcode is required at all.
    pub force_pin: bool,
    /// `maxPINAgeInDays` before the passcode must change.
    pub max_pin_age_days: Option<i64>,
    /// `pinHistory`: how many previous passcodes cannot be reused.
    pub pin_history: Option<i64>,
    /// `maxGracePeriod`, in minutes, before an unlock needs the passcode.
    pub max_grace_period_minutes: Option<i64>,
}

/// The passcode payload for `s`.
pub fn passcode_payload(s: &PasscodeSettings, uuid: &str, identifier: &str) -> Payload {
    let mut c = Content::new();
    c.bool("forcePIN", s.force_pin);
    c.bool("allowSimple", s.allow_simple);
    c.bool("requireAlphanumeric", s.require_alphanumeric);
    c.opt_integer("minLength", s.min_length);
    c.opt_integer("minComplexChars", s.min_complex_chars);
    c.opt_integer("maxFailedAttempts", s.max_failed_attempts);
    c.opt_integer("maxInactivity", s.max_inactivity_minutes);
    c.opt_integer("maxPINAgeInDays", s.max_pin_age_days);
    c.opt_integer("pinHistory", s.pin_history);
    c.opt_integer("maxGracePeriod", s.max_grace_period_minutes);
    let payload = Payload::new(
        "com.apple.mobiledevice.passwordpolicy",
        uuid,
        identifier,
        "Passcode",
    );
    c.into_payload(payload)
}
