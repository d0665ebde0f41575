//! The Apple channel (DESIGN §7): Apple's MDM protocol at the edge, translated into the use
//! cases every device goes through, so lifecycle, audit, jobs, compliance and webhooks are the
//! same for an iPhone as for an agent device.
//!
//! The journey of a device:
//! 1. `enrolment::profile` serves a `.mobileconfig` for an enrollment token: a SCEP payload with
//!    a one-time challenge bound to the token, and the MDM payload (server URLs, push topic).
//! 2. `scep::pki_operation` checks and spends the challenge (one use of the token), allocates
//!    the device's id and issues its identity certificate from the tenant's CA (`ca`), whose
//!    subject names the tenant (O) and the device (CN). The enrolment record (`records`) binds
//!    the certificate to the device-to-be.
//! 3. Check-ins (`checkin`): Authenticate binds the UDID to the certificate; the first
//!    TokenUpdate creates the device through `usecases::enrollment::create_device`; CheckOut
//!    revokes it.
//! 4. The command endpoint (`endpoint`): Idle is the agent's check-in (one conditional write
//!    when nothing waits) followed by a fetch of one command, rendered by `commands`; results
//!    go through `usecases::results::report`, inventory through `usecases::inventory::report`.
//!
//! Every request is authenticated by `identity`: the signature (or TLS client certificate)
//! chains to the tenant's CA, and the device's credential is derived from the certificate and
//! the UDID, so the agent's credential condition (`credential_holds`) enforces both, revocation
//! included, without a read.

pub mod ca;
pub mod checkin;
pub mod commands;
pub mod endpoint;
pub mod enrolment;
pub mod identity;
pub mod inventory;
pub mod policy_profile;
pub mod records;
pub mod scep;
pub mod signing;

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::domain::{DeviceId, TenantId};
use crate::error::Error;

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A UUID-shaped identifier derived from a seed: Apple wants PayloadUUIDs, and deriving them
/// keeps a profile rendered twice from the same inputs identical.
pub fn uuid_from(seed: &str) -> String {
    let d = Sha256::digest(seed.as_bytes());
    let h = hex(&d[..16]);
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
    .to_uppercase()
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(crate) fn unb64(s: &str) -> Result<Vec<u8>, Error> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| Error::Internal(format!("stored base64: {e}")))
}

/// The identifier of the enrolment profile: removing it (RemoveProfile) unenrols the device.
pub fn enrolment_profile_identifier(t: &TenantId) -> String {
    format!("mdm.{t}.enrolment")
}

/// Where a device's escrowed UnlockToken is kept (never in the table).
pub fn unlock_token_secret(t: &TenantId, d: &DeviceId) -> String {
    format!("tenants/{t}/devices/{d}/apple/unlock-token")
}

/// Where a device's Bootstrap Token (macOS) is kept.
pub fn bootstrap_token_secret(t: &TenantId, d: &DeviceId) -> String {
    format!("tenants/{t}/devices/{d}/apple/bootstrap-token")
}

pub(crate) fn format_error(e: mdm_apple::FormatError) -> Error {
    Error::AppleMessageInvalid(e.to_string())
}
