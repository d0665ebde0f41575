//! Domain types: identifiers, devices, commands and their lifecycle.

pub mod command;
pub mod credential;
pub mod device;
pub mod directory;
pub mod group;
pub mod ids;
pub mod inventory;
pub mod job;
pub mod policy;
pub mod tenant;
pub mod time;
pub mod webhook;

pub use command::{CommandSpec, CommandStatus, ReportStatus, ResultReport};
pub use credential::{DeviceCredential, EnrollmentSecret};
pub use device::{CheckinRequest, DeviceState, EnrollRequest, Location};
pub use ids::{
    CatalogueId, CommandId, DeviceId, EnrollmentTokenId, EventId, GroupId, Imei, JobId, Platform,
    PolicyId, Role, TenantId, WebhookId,
};
pub use tenant::{TenantLimits, TenantStatus};
