//! Domain types: identifiers, devices, commands and their lifecycle.

pub mod ids;

pub use ids::{CommandId, DeviceId, EnrollmentTokenId, Imei, Platform, Role, TenantId};
