//! The command catalogue with typed, validated payloads, and the command lifecycle.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Platform;
use crate::error::Error;

/// A command an admin can queue for a device. The JSON form is `{"type": "lock", ...fields}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum CommandSpec {
    /// Lock the screen, optionally showing a message and a number to call.
    Lock {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(length(max = 200), regex(pattern = crate::domain::command::LINE_TEXT))]
        message: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(regex(pattern = crate::domain::command::E164))]
        phone_number: Option<String>,
        /// Six digits that unlock a Mac afterwards (its Find My PIN): required for Macs, which
        /// cannot be locked without one; other platforms ignore it. Masked when read back.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pin: Option<String>,
    },
    /// Report the device's position.
    Locate {},
    /// Play a sound so the device can be found.
    Ring {
        #[serde(default = "default_ring_seconds")]
        #[schemars(range(min = 1, max = 300))]
        duration_seconds: u32,
    },
    /// Show a message to the user.
    Message {
        #[schemars(length(min = 1, max = 1000), regex(pattern = crate::domain::command::LINE_TEXT))]
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(length(max = 100), regex(pattern = crate::domain::command::LINE_TEXT))]
        title: Option<String>,
    },
    /// Clear the passcode, or set a new one.
    ResetPasscode {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(length(min = 4, max = 16), regex(pattern = crate::domain::command::LINE_TEXT))]
        new_passcode: Option<String>,
    },
    /// Factory reset. Revokes the device credential once acknowledged.
    Wipe {
        #[serde(default)]
        preserve_data_plan: bool,
        /// Six digits that unlock an Intel Mac without a T2 chip after its erase (others
        /// ignore it). Masked when read back.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pin: Option<String>,
    },
    /// Remove only corporate data and unenroll. Revokes the credential once acknowledged.
    EnterpriseWipe {},
    InstallApp {
        #[schemars(length(max = 255), regex(pattern = crate::domain::command::APP_ID))]
        app_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(length(min = 1, max = 50), regex(pattern = crate::domain::command::LINE_TEXT))]
        version: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(length(max = 2048), regex(pattern = crate::domain::command::HTTPS_URL))]
        url: Option<String>,
    },
    RemoveApp {
        #[schemars(length(max = 255), regex(pattern = crate::domain::command::APP_ID))]
        app_id: String,
    },
    /// Ask the device to report its full inventory.
    RefreshInventory {},
    /// Cut the device off corporate resources (managed accounts, VPN, Wi-Fi) while it stays
    /// enrolled, for instance while a compliance problem is looked into.
    BlockCorporateAccess {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(length(min = 1, max = 200), regex(pattern = crate::domain::command::LINE_TEXT))]
        reason: Option<String>,
    },
    /// Give back what `block_corporate_access` took away.
    UnblockCorporateAccess {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(length(min = 1, max = 200), regex(pattern = crate::domain::command::LINE_TEXT))]
        reason: Option<String>,
    },
    Reboot {},
    /// Lock the device into lost mode, showing a message (and a number to call) until stopped.
    StartLostMode {
        #[schemars(length(min = 1, max = 200), regex(pattern = crate::domain::command::LINE_TEXT))]
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(regex(pattern = crate::domain::command::E164))]
        phone_number: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(length(min = 1, max = 100), regex(pattern = crate::domain::command::LINE_TEXT))]
        footnote: Option<String>,
    },
    StopLostMode {},
    /// Pin the device to a few apps; the user cannot leave them until `exit_kiosk`.
    EnterKiosk {
        #[schemars(
            length(min = 1, max = 20),
            extend("uniqueItems" = true),
            inner(length(max = 255), regex(pattern = crate::domain::command::APP_ID))
        )]
        apps: Vec<String>,
        /// Keeps emergency calls possible from the kiosk; off only for devices without a SIM
        /// or shared screens where an operator decides so.
        #[serde(default = "default_true")]
        emergency_dialer: bool,
    },
    ExitKiosk {},
    /// Check in at once to receive and apply the device's effective policy (it otherwise
    /// arrives with the next scheduled check-in).
    ApplyPolicy {},
}

fn default_ring_seconds() -> u32 {
    30
}

fn default_true() -> bool {
    true
}

/// Most apps a kiosk may allow: Android's lock task takes more, but a kiosk with more apps is a
/// home screen, not a kiosk, and the list travels in every copy of the command.
pub const MAX_KIOSK_APPS: usize = 20;

impl CommandSpec {
    pub fn kind(&self) -> &'static str {
        match self {
            CommandSpec::Lock { .. } => "lock",
            CommandSpec::Locate {} => "locate",
            CommandSpec::Ring { .. } => "ring",
            CommandSpec::Message { .. } => "message",
            CommandSpec::ResetPasscode { .. } => "reset_passcode",
            CommandSpec::Wipe { .. } => "wipe",
            CommandSpec::EnterpriseWipe {} => "enterprise_wipe",
            CommandSpec::InstallApp { .. } => "install_app",
            CommandSpec::RemoveApp { .. } => "remove_app",
            CommandSpec::RefreshInventory {} => "refresh_inventory",
            CommandSpec::BlockCorporateAccess { .. } => "block_corporate_access",
            CommandSpec::UnblockCorporateAccess { .. } => "unblock_corporate_access",
            CommandSpec::Reboot {} => "reboot",
            CommandSpec::StartLostMode { .. } => "start_lost_mode",
            CommandSpec::StopLostMode {} => "stop_lost_mode",
            CommandSpec::EnterKiosk { .. } => "enter_kiosk",
            CommandSpec::ExitKiosk {} => "exit_kiosk",
            CommandSpec::ApplyPolicy {} => "apply_policy",
        }
    }

    /// Whether devices of `platform` can carry the command out: the one table of platform
    /// support, read when a command is queued (the reasoning per row follows).
    ///
    /// The Android side is our device-owner agent, which can do what the Android Management API
    /// does (LOCK, RESET_PASSWORD, REBOOT, START_LOST_MODE, STOP_LOST_MODE, kiosk through lock
    /// task) and what only an app on the device can (ring, show a message, locate). The iOS side
    /// is the Apple MDM protocol, whose command set is fixed by Apple: a command is refused there
    /// when Apple has no command that does what its payload asks. Commands Apple only runs in
    /// some device state (supervised, in lost mode) stay allowed; the device answers them with
    /// an error result when it is not in that state.
    pub fn supported_on(&self, platform: Platform) -> bool {
        // (android, ios, macos)
        let (android, ios, macos) = match self {
            // DeviceLock takes a Message and a PhoneNumber; a Mac locks only with a PIN.
            CommandSpec::Lock { pin, .. } => (true, true, pin.is_some()),
            // ClearPasscode only clears it (iOS only): Apple has no way to set a new passcode.
            CommandSpec::ResetPasscode { new_passcode } => (true, new_passcode.is_none(), false),
            // EraseDevice (PreserveDataPlan is Apple's own option; a PIN for older Macs).
            CommandSpec::Wipe { .. } => (true, true, true),
            // Removing the MDM profile removes every managed app, account and profile.
            CommandSpec::EnterpriseWipe {} => (true, true, true),
            // DeviceLocation, answered only in lost mode, which Macs do not have.
            CommandSpec::Locate {} => (true, true, false),
            // Apple only has PlayLostModeSound: lost mode only, and no duration.
            CommandSpec::Ring { .. } => (true, false, false),
            // Apple MDM cannot show a message except on the lock and lost-mode screens.
            CommandSpec::Message { .. } => (true, false, false),
            // InstallApplication, RemoveApplication (macOS 11 and later).
            CommandSpec::InstallApp { .. } | CommandSpec::RemoveApp { .. } => (true, true, true),
            // DeviceInformation, SecurityInfo and InstalledApplicationList.
            CommandSpec::RefreshInventory {} => (true, true, true),
            // Done by removing and reinstalling the managed account and network profiles.
            CommandSpec::BlockCorporateAccess { .. }
            | CommandSpec::UnblockCorporateAccess { .. } => (true, true, true),
            // RestartDevice (supervised iOS; macOS 10.13 and later).
            CommandSpec::Reboot {} => (true, true, true),
            // The agent checks in; Apple devices get the policy's profiles by InstallProfile.
            CommandSpec::ApplyPolicy {} => (true, true, true),
            // EnableLostMode {Message, PhoneNumber, Footnote} and DisableLostMode (supervised
            // iOS only).
            CommandSpec::StartLostMode { .. } | CommandSpec::StopLostMode {} => (true, true, false),
            // On iOS a kiosk is Single App Mode: one app, set by a configuration profile, which
            // belongs with policies rather than commands.
            CommandSpec::EnterKiosk { .. } | CommandSpec::ExitKiosk {} => (true, false, false),
        };
        match platform {
            Platform::Android => android,
            Platform::Ios => ios,
            Platform::Macos => macos,
        }
    }

    /// The platforms that can carry the command out, as the condition the queueing write puts
    /// on the device's platform.
    pub fn platforms(&self) -> Vec<Platform> {
        Platform::ALL
            .into_iter()
            .filter(|p| self.supported_on(*p))
            .collect()
    }

    /// Checks the payload's values beyond their types.
    pub fn validate(&self) -> Result<(), Error> {
        match self {
            CommandSpec::Lock {
                message,
                phone_number,
                pin,
            } => {
                if let Some(m) = message {
                    text_len("message", m, 0, 200)?;
                }
                if let Some(p) = phone_number {
                    e164("phone_number", p)?;
                }
                mac_pin(pin.as_deref())?;
            }
            CommandSpec::Wipe { pin, .. } => mac_pin(pin.as_deref())?,
            CommandSpec::Ring { duration_seconds } => {
                if !(1..=300).contains(duration_seconds) {
                    return Err(Error::invalid_field(
                        "duration_seconds",
                        "must be between 1 and 300",
                    ));
                }
            }
            CommandSpec::Message { text, title } => {
                text_len("text", text, 1, 1000)?;
                if let Some(t) = title {
                    text_len("title", t, 0, 100)?;
                }
            }
            CommandSpec::ResetPasscode { new_passcode } => {
                if let Some(p) = new_passcode {
                    text_len("new_passcode", p, 4, 16)?;
                }
            }
            CommandSpec::InstallApp {
                app_id,
                version,
                url,
            } => {
                app_identifier("app_id", app_id)?;
                if let Some(v) = version {
                    text_len("version", v, 1, 50)?;
                }
                if let Some(u) = url
                    && (!u.starts_with("https://") || u.len() > 2048)
                {
                    return Err(Error::invalid_field(
                        "url",
                        "must be an https:// URL of at most 2048 characters",
                    ));
                }
            }
            CommandSpec::RemoveApp { app_id } => app_identifier("app_id", app_id)?,
            CommandSpec::BlockCorporateAccess { reason }
            | CommandSpec::UnblockCorporateAccess { reason } => {
                if let Some(r) = reason {
                    text_len("reason", r, 1, 200)?;
                }
            }
            CommandSpec::StartLostMode {
                message,
                phone_number,
                footnote,
            } => {
                text_len("message", message, 1, 200)?;
                if let Some(p) = phone_number {
                    e164("phone_number", p)?;
                }
                if let Some(f) = footnote {
                    text_len("footnote", f, 1, 100)?;
                }
            }
            CommandSpec::EnterKiosk { apps, .. } => {
                if apps.is_empty() || apps.len() > MAX_KIOSK_APPS {
                    return Err(Error::invalid_field(
                        "apps",
                        format!("must list 1 to {MAX_KIOSK_APPS} apps"),
                    ));
                }
                for (i, app) in apps.iter().enumerate() {
                    app_identifier("apps", app)?;
                    if apps[..i].contains(app) {
                        return Err(Error::invalid_field("apps", "must not list an app twice"));
                    }
                }
            }
            CommandSpec::Locate {}
            | CommandSpec::EnterpriseWipe {}
            | CommandSpec::RefreshInventory {}
            | CommandSpec::Reboot {}
            | CommandSpec::StopLostMode {}
            | CommandSpec::ExitKiosk {}
            | CommandSpec::ApplyPolicy {} => {}
        }
        Ok(())
    }

    /// The payload as admins may read it back: secrets such as a new passcode are masked.
    pub fn redacted(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        for secret in ["new_passcode", "pin"] {
            if let Some(p) = v.get_mut(secret) {
                *p = Value::from("********");
            }
        }
        v
    }
}

/// A Mac's lock or erase PIN: exactly six digits (what DeviceLock and EraseDevice take).
fn mac_pin(pin: Option<&str>) -> Result<(), Error> {
    match pin {
        Some(p) if p.len() != 6 || !p.bytes().all(|b| b.is_ascii_digit()) => {
            Err(Error::invalid_field("pin", "must be exactly 6 digits"))
        }
        _ => Ok(()),
    }
}

/// What `text_len` admits besides the length, as a JSON Schema pattern: no control
/// characters but the newline.
pub const LINE_TEXT: &str = r"^[^\x00-\x09\x0B-\x1F\x7F-\x9F]*$";

fn text_len(field: &str, s: &str, min: usize, max: usize) -> Result<(), Error> {
    let n = s.chars().count();
    if n < min || n > max {
        return Err(Error::invalid_field(
            field,
            format!("must be {min} to {max} characters long"),
        ));
    }
    if s.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::invalid_field(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// An E.164 phone number: "+", then 7 to 15 digits not starting with 0.
/// An https URL as the schema states it (with `maxLength` 2048): a plain host name, a port
/// below 10000 and printable ASCII after. The validators parse the URL itself.
pub const HTTPS_URL: &str =
    r"^https://[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:[1-9][0-9]{0,3})?(/[\x21-\x7E]*)?$";

/// What `e164` admits, as a JSON Schema pattern.
pub const E164: &str = r"^\+[1-9][0-9]{6,14}$";

pub fn e164(field: &str, s: &str) -> Result<(), Error> {
    let digits = s.strip_prefix('+').unwrap_or("");
    let ok = (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_field(
            field,
            "must be an E.164 number such as +14155550100",
        ))
    }
}

/// An Android package name or an Apple bundle id: 2 or more dot-separated segments of
/// [A-Za-z0-9_-], at most 255 bytes. Shared by commands and inventory reports, so an app a
/// device reports can always be targeted.
/// What `app_identifier` admits, as a JSON Schema pattern (with `maxLength` 255).
pub const APP_ID: &str = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$";

pub(crate) fn app_identifier(field: &str, s: &str) -> Result<(), Error> {
    let ok = (1..=255).contains(&s.len())
        && s.split('.').count() >= 2
        && s.split('.').all(|seg| {
            !seg.is_empty()
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_field(
            field,
            "must be a package name or bundle id such as com.example.app",
        ))
    }
}

/// Where a command is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommandStatus {
    Queued,
    PushSent,
    Fetched,
    NotNow,
    Acknowledged,
    Error,
    Expired,
    Cancelled,
}

impl CommandStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CommandStatus::Queued => "queued",
            CommandStatus::PushSent => "push_sent",
            CommandStatus::Fetched => "fetched",
            CommandStatus::NotNow => "not_now",
            CommandStatus::Acknowledged => "acknowledged",
            CommandStatus::Error => "error",
            CommandStatus::Expired => "expired",
            CommandStatus::Cancelled => "cancelled",
        }
    }

    /// Open commands are still waiting for the device; closed ones never change again.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            CommandStatus::Queued
                | CommandStatus::PushSent
                | CommandStatus::Fetched
                | CommandStatus::NotNow
        )
    }

    /// The lifecycle: queued → push_sent → fetched → acknowledged | error | not_now (→ fetched
    /// again later); any open state → expired | cancelled.
    pub fn may_become(self, next: CommandStatus) -> bool {
        use CommandStatus::*;
        match (self, next) {
            (Queued, PushSent) => true,
            (Queued | PushSent | NotNow, Fetched) => true,
            // A device may answer a command it got from a fetch whose push never arrived.
            (Queued | PushSent | Fetched | NotNow, Acknowledged | Error | NotNow) => {
                !(self == NotNow && next == NotNow)
            }
            (from, Expired | Cancelled) => from.is_open(),
            _ => false,
        }
    }
}

/// What a device reports for one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    Acknowledged,
    Error,
    NotNow,
}

impl ReportStatus {
    pub fn status(self) -> CommandStatus {
        match self {
            ReportStatus::Acknowledged => CommandStatus::Acknowledged,
            ReportStatus::Error => CommandStatus::Error,
            ReportStatus::NotNow => CommandStatus::NotNow,
        }
    }
}

/// Why a device could not execute a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportedError {
    #[schemars(length(min = 1, max = 64), regex(pattern = crate::domain::command::LINE_TEXT))]
    pub code: String,
    #[serde(default)]
    #[schemars(length(max = 500), regex(pattern = crate::domain::command::LINE_TEXT))]
    pub message: String,
}

/// A device's result for one command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultReport {
    pub status: ReportStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ReportedError>,
    /// Command output, such as a position for locate. A JSON object of at most 4 KiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Map<String, Value>>,
}

impl ResultReport {
    pub fn validate(&self) -> Result<(), Error> {
        match (&self.status, &self.error) {
            (ReportStatus::Error, None) => {
                return Err(Error::invalid_field(
                    "error",
                    "an error result needs an error with a code",
                ));
            }
            (ReportStatus::Acknowledged | ReportStatus::NotNow, Some(_)) => {
                return Err(Error::invalid_field(
                    "error",
                    "only an error result carries an error",
                ));
            }
            _ => {}
        }
        if let Some(e) = &self.error {
            text_len("error.code", &e.code, 1, 64)?;
            text_len("error.message", &e.message, 0, 500)?;
        }
        if let Some(d) = &self.data
            && serde_json::to_vec(d).map_or(0, |v| v.len()) > 4096
        {
            return Err(Error::invalid_field(
                "data",
                "must be at most 4096 bytes of JSON",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(json: &str) -> Result<CommandSpec, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn every_catalogue_command_parses_from_its_json_form() {
        for (json, kind) in [
            (
                r#"{"type":"lock","message":"Lost","phone_number":"+14155550100"}"#,
                "lock",
            ),
            (r#"{"type":"locate"}"#, "locate"),
            (r#"{"type":"ring"}"#, "ring"),
            (r#"{"type":"message","text":"hi"}"#, "message"),
            (r#"{"type":"reset_passcode"}"#, "reset_passcode"),
            (r#"{"type":"wipe"}"#, "wipe"),
            (r#"{"type":"enterprise_wipe"}"#, "enterprise_wipe"),
            (
                r#"{"type":"install_app","app_id":"com.example.app"}"#,
                "install_app",
            ),
            (
                r#"{"type":"remove_app","app_id":"com.example.app"}"#,
                "remove_app",
            ),
            (r#"{"type":"refresh_inventory"}"#, "refresh_inventory"),
            (
                r#"{"type":"block_corporate_access"}"#,
                "block_corporate_access",
            ),
            (
                r#"{"type":"unblock_corporate_access","reason":"compliant again"}"#,
                "unblock_corporate_access",
            ),
            (r#"{"type":"reboot"}"#, "reboot"),
            (
                r#"{"type":"start_lost_mode","message":"Please return","phone_number":"+14155550100","footnote":"Acme IT"}"#,
                "start_lost_mode",
            ),
            (r#"{"type":"stop_lost_mode"}"#, "stop_lost_mode"),
            (
                r#"{"type":"enter_kiosk","apps":["com.example.pos"]}"#,
                "enter_kiosk",
            ),
            (r#"{"type":"exit_kiosk"}"#, "exit_kiosk"),
        ] {
            let spec = parse(json).unwrap_or_else(|e| panic!("{json}: {e}"));
            assert_eq!(spec.kind(), kind);
            spec.validate().unwrap();
        }
    }

    #[test]
    fn unknown_types_and_unknown_fields_are_refused() {
        assert!(parse(r#"{"type":"explode"}"#).is_err());
        assert!(parse(r#"{"type":"locate","extra":1}"#).is_err());
        assert!(parse(r#"{"type":"lock","mesage":"typo"}"#).is_err());
    }

    #[test]
    fn out_of_range_payload_values_are_refused_with_the_field_named() {
        let bad = [
            r#"{"type":"ring","duration_seconds":0}"#,
            r#"{"type":"message","text":""}"#,
            r#"{"type":"lock","phone_number":"555-1234"}"#,
            r#"{"type":"install_app","app_id":"not an id"}"#,
            r#"{"type":"install_app","app_id":"com.x.y","url":"http://insecure"}"#,
            r#"{"type":"reset_passcode","new_passcode":"12"}"#,
        ];
        for json in bad {
            let err = parse(json).unwrap().validate().unwrap_err();
            assert_eq!(err.code(), "invalid_field", "{json}");
        }
    }

    #[test]
    fn corporate_access_may_be_blocked_with_a_short_reason_or_none() {
        for kind in ["block_corporate_access", "unblock_corporate_access"] {
            let none = parse(&format!(r#"{{"type":"{kind}"}}"#)).unwrap();
            none.validate().unwrap();
            assert_eq!(serde_json::to_value(&none).unwrap(), json!({"type": kind}));
            let reason = parse(&format!(r#"{{"type":"{kind}","reason":"lost badge"}}"#)).unwrap();
            reason.validate().unwrap();
            for bad in [String::new(), "x".repeat(201), "tab\tthere".to_owned()] {
                let mut spec = serde_json::to_value(&reason).unwrap();
                spec["reason"] = json!(bad);
                let spec: CommandSpec = serde_json::from_value(spec).unwrap();
                assert_eq!(field_of(&spec.validate().unwrap_err()), "reason", "{bad:?}");
            }
            assert!(parse(&format!(r#"{{"type":"{kind}","why":"x"}}"#)).is_err());
        }
    }

    #[test]
    fn reboot_stop_lost_mode_and_exit_kiosk_take_no_fields() {
        for kind in ["reboot", "stop_lost_mode", "exit_kiosk"] {
            parse(&format!(r#"{{"type":"{kind}"}}"#))
                .unwrap()
                .validate()
                .unwrap();
            assert!(
                parse(&format!(r#"{{"type":"{kind}","force":true}}"#)).is_err(),
                "{kind}"
            );
        }
    }

    #[test]
    fn lost_mode_needs_a_message_and_checks_its_number_and_footnote() {
        assert!(
            parse(r#"{"type":"start_lost_mode"}"#).is_err(),
            "message required"
        );
        assert!(parse(r#"{"type":"start_lost_mode","message":"x","email":"a@b"}"#).is_err());
        for (json, field) in [
            (r#"{"type":"start_lost_mode","message":""}"#, "message"),
            (
                r#"{"type":"start_lost_mode","message":"Lost","phone_number":"0800 123"}"#,
                "phone_number",
            ),
            (
                r#"{"type":"start_lost_mode","message":"Lost","footnote":""}"#,
                "footnote",
            ),
        ] {
            assert_eq!(
                field_of(&parse(json).unwrap().validate().unwrap_err()),
                field,
                "{json}"
            );
        }
        let long = format!(
            r#"{{"type":"start_lost_mode","message":"{}"}}"#,
            "m".repeat(201)
        );
        assert_eq!(
            field_of(&parse(&long).unwrap().validate().unwrap_err()),
            "message"
        );
    }

    #[test]
    fn a_kiosk_lists_one_to_twenty_distinct_apps_and_keeps_the_emergency_dialer_by_default() {
        let spec = parse(r#"{"type":"enter_kiosk","apps":["com.example.pos","com.example.scan"]}"#)
            .unwrap();
        spec.validate().unwrap();
        assert_eq!(
            spec,
            CommandSpec::EnterKiosk {
                apps: vec!["com.example.pos".into(), "com.example.scan".into()],
                emergency_dialer: true,
            }
        );
        let off =
            parse(r#"{"type":"enter_kiosk","apps":["com.x.y"],"emergency_dialer":false}"#).unwrap();
        assert_eq!(
            serde_json::to_value(&off).unwrap()["emergency_dialer"],
            false
        );
        assert!(parse(r#"{"type":"enter_kiosk"}"#).is_err(), "apps required");
        let twenty: Vec<String> = (0..20).map(|i| format!("com.example.app{i}")).collect();
        let spec = CommandSpec::EnterKiosk {
            apps: twenty.clone(),
            emergency_dialer: true,
        };
        spec.validate().unwrap();
        let mut too_many = twenty;
        too_many.push("com.example.one_more".into());
        for apps in [
            vec![],
            too_many,
            vec!["not an app".into()],
            vec!["com.x.y".into(), "com.x.y".into()],
        ] {
            let spec = CommandSpec::EnterKiosk {
                apps: apps.clone(),
                emergency_dialer: true,
            };
            assert_eq!(field_of(&spec.validate().unwrap_err()), "apps", "{apps:?}");
        }
    }

    fn field_of(e: &Error) -> &str {
        match e {
            Error::InvalidField { field, .. } => field,
            other => panic!("not an invalid_field: {other:?}"),
        }
    }

    /// One sample of every kind, so a new kind cannot miss a row of the platform table.
    fn every_kind() -> Vec<CommandSpec> {
        [
            r#"{"type":"lock"}"#,
            r#"{"type":"locate"}"#,
            r#"{"type":"ring"}"#,
            r#"{"type":"message","text":"hi"}"#,
            r#"{"type":"reset_passcode"}"#,
            r#"{"type":"wipe"}"#,
            r#"{"type":"enterprise_wipe"}"#,
            r#"{"type":"install_app","app_id":"com.x.y"}"#,
            r#"{"type":"remove_app","app_id":"com.x.y"}"#,
            r#"{"type":"refresh_inventory"}"#,
            r#"{"type":"block_corporate_access"}"#,
            r#"{"type":"unblock_corporate_access"}"#,
            r#"{"type":"reboot"}"#,
            r#"{"type":"start_lost_mode","message":"m"}"#,
            r#"{"type":"stop_lost_mode"}"#,
            r#"{"type":"enter_kiosk","apps":["com.x.y"]}"#,
            r#"{"type":"exit_kiosk"}"#,
            r#"{"type":"apply_policy"}"#,
        ]
        .iter()
        .map(|j| parse(j).unwrap())
        .collect()
    }

    #[test]
    fn android_devices_take_every_kind_of_command() {
        for spec in every_kind() {
            assert!(spec.supported_on(Platform::Android), "{}", spec.kind());
        }
    }

    #[test]
    fn ios_devices_refuse_what_apple_mdm_has_no_command_for() {
        let refused: Vec<&str> = every_kind()
            .iter()
            .filter(|s| !s.supported_on(Platform::Ios))
            .map(|s| s.kind())
            .collect();
        assert_eq!(refused, ["ring", "message", "enter_kiosk", "exit_kiosk"]);
    }

    #[test]
    fn ios_clears_a_passcode_but_cannot_set_a_new_one() {
        let clear = parse(r#"{"type":"reset_passcode"}"#).unwrap();
        let set = parse(r#"{"type":"reset_passcode","new_passcode":"123456"}"#).unwrap();
        assert!(clear.supported_on(Platform::Ios));
        assert!(!set.supported_on(Platform::Ios));
        assert!(set.supported_on(Platform::Android));
    }

    #[test]
    fn a_kinds_platforms_are_those_that_support_it() {
        let ring = parse(r#"{"type":"ring"}"#).unwrap();
        assert_eq!(ring.platforms(), [Platform::Android]);
        let lost = parse(r#"{"type":"start_lost_mode","message":"m"}"#).unwrap();
        assert_eq!(lost.platforms(), [Platform::Android, Platform::Ios]);
        for spec in every_kind() {
            assert!(!spec.platforms().is_empty(), "{} runs nowhere", spec.kind());
        }
    }

    #[test]
    fn a_new_passcode_is_masked_when_read_back() {
        let spec = parse(r#"{"type":"reset_passcode","new_passcode":"123456"}"#).unwrap();
        assert_eq!(spec.redacted()["new_passcode"], "********");
    }

    #[test]
    fn the_lifecycle_allows_only_forward_transitions() {
        use CommandStatus::*;
        assert!(Queued.may_become(PushSent));
        assert!(PushSent.may_become(Fetched));
        assert!(Fetched.may_become(Acknowledged));
        assert!(NotNow.may_become(Fetched));
        assert!(Fetched.may_become(Cancelled));
        assert!(!Acknowledged.may_become(Fetched));
        assert!(!Cancelled.may_become(Acknowledged));
        assert!(!Fetched.may_become(PushSent));
    }

    #[test]
    fn a_result_with_long_numbers_is_equal_to_itself_after_a_trip_through_its_stored_json() {
        // Found by fuzz/result_body: without correctly rounded float parsing, a number such as
        // this one reads back one ULP off, and a repeated result no longer matches its stored
        // twin (so the device's retry was refused as command_closed).
        for body in [
            r#"{"status":"acknowledged","data":{"e":123456789012345667890}}"#,
            r#"{"status":"acknowledged","data":{"lat":48.858370000000001,"acc":12.345678901234567}}"#,
        ] {
            let sent: ResultReport = serde_json::from_str(body).unwrap();
            let stored = serde_json::to_vec(&sent).unwrap();
            let read_back: ResultReport = serde_json::from_slice(&stored).unwrap();
            assert_eq!(read_back, sent, "{body}");
        }
    }

    #[test]
    fn an_error_result_needs_an_error_and_only_it_may_have_one() {
        let r: ResultReport = serde_json::from_str(r#"{"status":"error"}"#).unwrap();
        assert!(r.validate().is_err());
        let r: ResultReport =
            serde_json::from_str(r#"{"status":"acknowledged","error":{"code":"x"}}"#).unwrap();
        assert!(r.validate().is_err());
    }
}
