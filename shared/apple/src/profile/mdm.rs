//! The MDM payload (`com.apple.mdm`): the enrolment itself, naming the server, the push topic and
//! the identity the device authenticates with.

use super::{Content, Payload};

/// Every access right Apple defines (bits 1 to 4096), granted together.
pub const ALL_ACCESS_RIGHTS: i64 = 8191;

/// An MDM enrolment, in Apple's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdmSettings {
    pub server_url: String,
    /// Where check-in messages go; the ServerURL when absent.
    pub check_in_url: Option<String>,
    /// The push certificate's topic (`com.apple.mgmt.External.…`).
    pub topic: String,
    /// The UUID of the payload (SCEP or PKCS #12) that provides the device's identity.
    pub identity_certificate_uuid: String,
    pub access_rights: i64,
    pub sign_message: bool,
    pub check_out_when_removed: bool,
    /// e.g. `com.apple.mdm.per-user-connections`, `com.apple.mdm.bootstraptoken`.
    pub server_capabilities: Vec<String>,
    pub uuid: String,
    pub identifier: String,
}

/// The MDM payload for `s`.
pub fn mdm_payload(s: &MdmSettings) -> Payload {
    let mut c = Content::new();
    c.string("ServerURL", &s.server_url);
    c.opt_string("CheckInURL", s.check_in_url.as_deref());
    c.string("Topic", &s.topic);
    c.string("IdentityCertificateUUID", &s.identity_certificate_uuid);
    c.integer("AccessRights", s.access_rights);
    c.bool("SignMessage", s.sign_message);
    c.bool("CheckOutWhenRemoved", s.check_out_when_removed);
    if !s.server_capabilities.is_empty() {
        c.strings("ServerCapabilities", &s.server_capabilities);
    }
    let payload = Payload::new(
        "com.apple.mdm",
        &s.uuid,
        &s.identifier,
        "Mobile Device Management",
    );
    c.into_payload(payload)
}
