//! `Command`: the body of `enterprises.devices.issueCommand`. One Rust variant per command type,
//! each carrying only its own parameters, so a LOCK cannot be sent with lost-mode parameters.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::encoding::GoogleDuration;
use crate::message::UserFacingMessage;
use crate::wipe::WipeParams;

/// A command and how long it stays valid if the device does not pick it up (ten minutes when
/// absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    #[serde(flatten)]
    pub kind: CommandKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<GoogleDuration>,
}

impl Command {
    pub fn new(kind: CommandKind) -> Command {
        Command {
            kind,
            duration: None,
        }
    }
}

/// The command types we issue, tagged by AMAPI's `type` field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "SCREAMING_SNAKE_CASE",
    rename_all_fields = "camelCase"
)]
pub enum CommandKind {
    /// Locks the screen now.
    Lock,
    /// Sets a new password, or clears it when `new_password` is absent.
    ResetPassword {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        new_password: Option<NewPassword>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        reset_password_flags: Vec<ResetPasswordFlag>,
    },
    /// Reboots (Android 7 and later, fully managed devices).
    Reboot,
    /// Clears the data of the listed apps.
    ClearAppData {
        clear_apps_data_params: ClearAppsDataParams,
    },
    /// Locks the device into lost mode with the given contact details on its screen.
    StartLostMode {
        start_lost_mode_params: StartLostModeParams,
    },
    StopLostMode {
        stop_lost_mode_params: StopLostModeParams,
    },
    /// Factory-resets the device (or removes the work profile) once it acknowledges the
    /// command; unlike `devices.delete` it can be cancelled until then.
    Wipe { wipe_params: WipeParams },
}

/// A password sent in RESET_PASSWORD. Its `Debug` hides it, so a logged command leaks nothing.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NewPassword(pub String);

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

sent_enum! {
    /// Options of RESET_PASSWORD.
    pub enum ResetPasswordFlag {
        /// Nobody else may reset the password until the user has entered it.
        RequireEntry = "REQUIRE_ENTRY",
        /// Do not ask for the password at boot.
        DoNotAskCredentialsOnBoot = "DO_NOT_ASK_CREDENTIALS_ON_BOOT",
        LockNow = "LOCK_NOW",
    }
}

/// CLEAR_APP_DATA's apps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClearAppsDataParams {
    pub package_names: Vec<String>,
}

/// What the lost-mode screen shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartLostModeParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_message: Option<UserFacingMessage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_phone_number: Option<UserFacingMessage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_email_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_street_address: Option<UserFacingMessage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_organization: Option<UserFacingMessage>,
}

/// STOP_LOST_MODE takes no parameters; the document still defines the (empty) object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopLostModeParams {}
