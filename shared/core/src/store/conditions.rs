//! Conditions on stored items that several use cases write under: the device credential's,
//! which every device call (agent or Apple) and the directory refresh rely on.

use crate::domain::{DeviceCredential, DeviceState};
use crate::ports::Cond;
use crate::store::records::attr;

/// The condition every device call relies on: the item exists, the credential matches and the
/// device has not been wiped or unenrolled.
pub fn credential_holds(cred: &DeviceCredential) -> Cond {
    Cond::And(vec![
        Cond::Exists,
        Cond::eq(attr::CRED, cred.secret_hash()),
        Cond::eq(attr::STATE, DeviceState::Enrolled.as_str()),
    ])
}
