//! What the Apple channel stores: the tenant's CA pointer, SCEP challenges and each device's
//! Apple enrolment, as typed records.

use serde::{Deserialize, Serialize};

/// The tenant's certificate authority: its public certificate (any process verifies with it)
/// and the secret-store name of the certificate with its private key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaRecord {
    pub secret: String,
    /// The CA certificate, DER in base64.
    pub cert: String,
    pub created_at: i64,
}

/// A one-time SCEP challenge, handed out in an enrolment profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChallengeRecord {
    /// The enrollment token whose use the challenge spends.
    pub token: String,
    pub expires_at: i64,
    pub ttl: i64,
    /// Set when a PKCSReq spent it: a device repeating the same request (same transaction and
    /// CSR, after a lost answer) gets the same certificate again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spent: Option<SpentChallenge>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpentChallenge {
    pub transaction: String,
    /// SHA-256 of the CSR, hex.
    pub csr: String,
    pub device: String,
    /// The issued certificate, DER in base64.
    pub cert: String,
}

/// A device's Apple enrolment, from the issuance of its identity certificate on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AppleEnrolmentRecord {
    /// SHA-256 of the identity certificate, hex: the one certificate this enrolment accepts.
    pub cert: String,
    /// The certificate's end of validity (ms).
    pub cert_not_after: i64,
    pub token: String,
    pub issued_at: i64,
    /// Bound by Authenticate; never changes afterwards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub udid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imei: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticated_at: Option<i64>,
    /// Set when the first TokenUpdate created the device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrolled_at: Option<i64>,
    /// DynamoDB TTL (seconds) while the device has not enrolled: an identity issued to a
    /// device that never sent its TokenUpdate goes away by itself. Removed at enrolment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<i64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unlock_token: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bootstrap_token: bool,
}

/// Attribute names of the enrolment record used in conditions and updates.
pub mod attr {
    pub const CERT: &str = "cert";
    pub const UDID: &str = "udid";
    pub const ENROLLED_AT: &str = "enrolled_at";
    pub const SPENT: &str = "spent";
    pub const EXPIRES_AT: &str = "expires_at";
}
