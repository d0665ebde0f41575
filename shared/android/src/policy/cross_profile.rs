//! `CrossProfilePolicies`: what may pass between the work profile and the personal one. AMAPI
//! reports a MANAGEMENT_MODE non-compliance when the device has no work profile.

use serde::{Deserialize, Serialize};

/// Data sharing between profiles.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CrossProfilePolicies {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_profile_copy_paste: Option<CrossProfileCopyPaste>,
}

sent_enum! {
    /// Whether text copied in one profile can be pasted in the other.
    pub enum CrossProfileCopyPaste {
        /// Work text stays in the work profile; personal text may be pasted into work apps.
        CopyFromWorkToPersonalDisallowed = "COPY_FROM_WORK_TO_PERSONAL_DISALLOWED",
        Allowed = "CROSS_PROFILE_COPY_PASTE_ALLOWED",
    }
}
