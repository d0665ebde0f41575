//! Wiping a device: the flags of `enterprises.devices.delete` (query parameters, not a body) and
//! of the `WIPE` command's `wipeParams`, which share one set of values.

use serde::{Deserialize, Serialize};

use crate::encoding::WireEnum;
use crate::message::UserFacingMessage;

sent_enum! {
    /// What a wipe does beyond the factory reset (or work-profile removal).
    pub enum WipeDataFlag {
        /// Keep factory-reset protection, so only the device's Google account can set it up again.
        PreserveResetProtectionData = "PRESERVE_RESET_PROTECTION_DATA",
        /// Also wipe external storage such as SD cards.
        WipeExternalStorage = "WIPE_EXTERNAL_STORAGE",
        /// Remove eSIMs (managed ones only, on personally-owned devices).
        WipeEsims = "WIPE_ESIMS",
    }
}

/// The longest `wipeReasonMessage` Google accepts.
pub const MAX_WIPE_REASON_CHARS: usize = 200;

/// The query of `DELETE v1/enterprises/{e}/devices/{d}`: deleting the device resource wipes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceDeletion {
    pub wipe_data_flags: Vec<WipeDataFlag>,
    /// Shown before the work profile of a personally-owned device is removed.
    wipe_reason_message: Option<String>,
}

/// A wipe reason longer than Google accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a wipe reason has at most {MAX_WIPE_REASON_CHARS} characters, this one {0}")]
pub struct WipeReasonTooLong(pub usize);

impl DeviceDeletion {
    pub fn new(wipe_data_flags: Vec<WipeDataFlag>) -> DeviceDeletion {
        DeviceDeletion {
            wipe_data_flags,
            wipe_reason_message: None,
        }
    }

    /// Adds the message shown to the user; refused past Google's 200 characters, which Google
    /// would refuse with the whole request.
    pub fn with_reason(mut self, reason: impl Into<String>) -> Result<Self, WipeReasonTooLong> {
        let reason = reason.into();
        let chars = reason.chars().count();
        if chars > MAX_WIPE_REASON_CHARS {
            return Err(WipeReasonTooLong(chars));
        }
        self.wipe_reason_message = Some(reason);
        Ok(self)
    }

    pub fn wipe_reason_message(&self) -> Option<&str> {
        self.wipe_reason_message.as_deref()
    }

    /// The query parameters, unencoded: `wipeDataFlags` once per flag (it is a repeated
    /// parameter), then `wipeReasonMessage`. The HTTP client percent-encodes them.
    pub fn query_pairs(&self) -> Vec<(&'static str, &str)> {
        let mut pairs: Vec<(&'static str, &str)> = self
            .wipe_data_flags
            .iter()
            .map(|flag| ("wipeDataFlags", flag.as_str()))
            .collect();
        if let Some(reason) = &self.wipe_reason_message {
            pairs.push(("wipeReasonMessage", reason));
        }
        pairs
    }
}

/// `wipeParams` of the `WIPE` command: the same flags, with the reason as a `UserFacingMessage`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WipeParams {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wipe_data_flags: Vec<WipeDataFlag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wipe_reason: Option<UserFacingMessage>,
}
