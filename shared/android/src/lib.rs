//! Google's Android Management API (AMAPI) wire formats, as typed values: what we send (policies,
//! enrollment tokens, commands, wipe flags, enterprise settings) and what Google sends (devices,
//! operations, Pub/Sub push notifications).
//!
//! Pure functions over values and bytes: no I/O, no store, no other workspace crate. Field names
//! and enum values are the discovery document's (`shared/conformance/android`), which the
//! `schema` feature turns into a checker for the tests.

#[macro_use]
mod encoding;
mod command;
pub mod device;
mod enrollment_token;
mod enterprise;
mod message;
mod notification;
mod operation;
pub mod policy;
#[cfg(feature = "schema")]
pub mod schema;
mod wipe;

pub use command::{
    ClearAppsDataParams, Command, CommandKind, NewPassword, ResetPasswordFlag, StartLostModeParams,
    StopLostModeParams,
};
pub use device::Device;
pub use encoding::{DurationError, GoogleDuration, GoogleTimestamp, WireEnum};
pub use enrollment_token::{AllowPersonalUsage, EnrollmentToken};
pub use enterprise::{
    Enterprise, EnterpriseUpgradeEvent, NotificationType, SignupUrl, UpgradeState,
};
pub use message::UserFacingMessage;
pub use notification::{
    MAX_NOTIFICATION_BYTES, MAX_REASON_CHARS, Notification, NotificationError, NotificationKind,
};
pub use operation::{
    ClearAppsDataStatus, ClearingResult, CommandErrorCode, CommandStatus, CommandType, Operation,
    PerAppResult, StartLostModeOutcome, StartLostModeStatus, Status, StopLostModeOutcome,
    StopLostModeStatus,
};
pub use policy::Policy;
pub use wipe::{
    DeviceDeletion, MAX_WIPE_REASON_CHARS, WipeDataFlag, WipeParams, WipeReasonTooLong,
};
