//! `UserFacingMessage`: text shown on the device (lost-mode screens, wipe reasons, posture
//! advice), with optional translations.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A message with its default text and translations keyed by BCP 47 locale (`"fr"`, `"pt-BR"`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserFacingMessage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_message: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub localized_messages: BTreeMap<String, String>,
}

impl UserFacingMessage {
    /// A message in one language only.
    pub fn text(text: impl Into<String>) -> UserFacingMessage {
        UserFacingMessage {
            default_message: Some(text.into()),
            localized_messages: BTreeMap::new(),
        }
    }
}
