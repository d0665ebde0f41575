//! The command catalogue with typed, validated payloads, and the command lifecycle.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;

/// A command an admin can queue for a device. The JSON form is `{"type": "lock", ...fields}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum CommandSpec {
    /// Lock the screen, optionally showing a message and a number to call.
    Lock {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        phone_number: Option<String>,
    },
    /// Report the device's position.
    Locate {},
    /// Play a sound so the device can be found.
    Ring {
        #[serde(default = "default_ring_seconds")]
        duration_seconds: u32,
    },
    /// Show a message to the user.
    Message {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
    },
    /// Clear the passcode, or set a new one.
    ResetPasscode {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        new_passcode: Option<String>,
    },
    /// Factory reset. Revokes the device credential once acknowledged.
    Wipe {
        #[serde(default)]
        preserve_data_plan: bool,
    },
    /// Remove only corporate data and unenroll. Revokes the credential once acknowledged.
    EnterpriseWipe {},
    InstallApp {
        app_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    },
    RemoveApp {
        app_id: String,
    },
    /// Ask the device to report its full inventory.
    RefreshInventory {},
}

fn default_ring_seconds() -> u32 {
    30
}

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
        }
    }

    /// Checks the payload's values beyond their types.
    pub fn validate(&self) -> Result<(), Error> {
        match self {
            CommandSpec::Lock {
                message,
                phone_number,
            } => {
                if let Some(m) = message {
                    text_len("message", m, 0, 200)?;
                }
                if let Some(p) = phone_number {
                    e164("phone_number", p)?;
                }
            }
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
                app_identifier(app_id)?;
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
            CommandSpec::RemoveApp { app_id } => app_identifier(app_id)?,
            CommandSpec::Locate {}
            | CommandSpec::Wipe { .. }
            | CommandSpec::EnterpriseWipe {}
            | CommandSpec::RefreshInventory {} => {}
        }
        Ok(())
    }

    /// The payload as admins may read it back: secrets such as a new passcode are masked.
    pub fn redacted(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Some(p) = v.get_mut("new_passcode") {
            *p = Value::from("********");
        }
        v
    }
}

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

/// An Android package name or an Apple bundle id: dot-separated segments of [A-Za-z0-9_-].
fn app_identifier(s: &str) -> Result<(), Error> {
    let segments: Vec<&str> = s.split('.').collect();
    let ok = s.len() <= 255
        && segments.len() >= 2
        && segments.iter().all(|seg| {
            !seg.is_empty()
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
        && segments[0].as_bytes()[0].is_ascii_alphabetic();
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_field(
            "app_id",
            "must be a package name or bundle id such as com.example.app",
        ))
    }
}

/// Where a command is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportedError {
    pub code: String,
    #[serde(default)]
    pub message: String,
}

/// A device's result for one command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    fn an_error_result_needs_an_error_and_only_it_may_have_one() {
        let r: ResultReport = serde_json::from_str(r#"{"status":"error"}"#).unwrap();
        assert!(r.validate().is_err());
        let r: ResultReport =
            serde_json::from_str(r#"{"status":"acknowledged","error":{"code":"x"}}"#).unwrap();
        assert!(r.validate().is_err());
    }
}
