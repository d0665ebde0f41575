//! `Operation`: what `issueCommand` returns and what a COMMAND notification carries; its
//! metadata is the issued `Command` with Google's verdict on it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::encoding::{GoogleDuration, GoogleTimestamp};

/// A long-running operation: a command until the device has run it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    /// `enterprises/{e}/devices/{d}/operations/{o}`.
    pub name: String,
    /// False while the device has not acted on the command. Proto3 JSON leaves false out.
    #[serde(default)]
    pub done: bool,
    /// Set when the operation failed (or was cancelled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Status>,
    /// For commands, the `Command` (with an `@type` naming it) and its outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Map<String, Value>>,
}

/// `google.rpc.Status`: a gRPC code and a developer-facing message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    #[serde(default)]
    pub code: i32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<Map<String, Value>>,
}

impl Operation {
    /// The command in the metadata, read into typed values. `Ok(None)` when there is no
    /// metadata or its `@type` names something other than a Command.
    pub fn command(&self) -> Result<Option<CommandStatus>, serde_json::Error> {
        let Some(metadata) = &self.metadata else {
            return Ok(None);
        };
        if let Some(Value::String(ty)) = metadata.get("@type")
            && !ty.ends_with(".Command")
        {
            return Ok(None);
        }
        serde_json::from_value(Value::Object(metadata.clone())).map(Some)
    }
}

/// An issued command as Google reports it back: its type, when it was issued, and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandStatus {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub command_type: Option<CommandType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<GoogleTimestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<GoogleDuration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<CommandErrorCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clear_apps_data_status: Option<ClearAppsDataStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_lost_mode_status: Option<StartLostModeStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_lost_mode_status: Option<StopLostModeStatus>,
}

received_enum! {
    /// A command's type as Google reports it (including types we do not issue).
    pub enum CommandType {
        Lock = "LOCK",
        ResetPassword = "RESET_PASSWORD",
        Reboot = "REBOOT",
        RelinquishOwnership = "RELINQUISH_OWNERSHIP",
        ClearAppData = "CLEAR_APP_DATA",
        StartLostMode = "START_LOST_MODE",
        StopLostMode = "STOP_LOST_MODE",
        AddEsim = "ADD_ESIM",
        RemoveEsim = "REMOVE_ESIM",
        RequestDeviceInfo = "REQUEST_DEVICE_INFO",
        Wipe = "WIPE",
    }
}

received_enum! {
    /// Why a command failed.
    pub enum CommandErrorCode {
        /// Google's own "unknown error" (not a value this crate does not know).
        UnknownError = "UNKNOWN",
        /// The device's API level is too low for the command.
        ApiLevel = "API_LEVEL",
        /// The management mode (device or profile owner) does not support the command.
        ManagementMode = "MANAGEMENT_MODE",
        InvalidValue = "INVALID_VALUE",
        Unsupported = "UNSUPPORTED",
    }
}

/// Per-app results of CLEAR_APP_DATA, keyed by package name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClearAppsDataStatus {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub results: BTreeMap<String, PerAppResult>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PerAppResult {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clearing_result: Option<ClearingResult>,
}

received_enum! {
    pub enum ClearingResult {
        Success = "SUCCESS",
        AppNotFound = "APP_NOT_FOUND",
        AppProtected = "APP_PROTECTED",
        ApiLevel = "API_LEVEL",
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartLostModeStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StartLostModeOutcome>,
}

received_enum! {
    pub enum StartLostModeOutcome {
        Success = "SUCCESS",
        /// Refused: the password was reset recently.
        ResetPasswordRecently = "RESET_PASSWORD_RECENTLY",
        /// Refused: the user left lost mode recently.
        UserExitLostModeRecently = "USER_EXIT_LOST_MODE_RECENTLY",
        AlreadyInLostMode = "ALREADY_IN_LOST_MODE",
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopLostModeStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StopLostModeOutcome>,
}

received_enum! {
    pub enum StopLostModeOutcome {
        Success = "SUCCESS",
        NotInLostMode = "NOT_IN_LOST_MODE",
    }
}
