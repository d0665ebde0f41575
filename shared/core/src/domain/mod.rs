//! Domain types: identifiers, devices, commands and their lifecycle, and the pure rules of
//! policies, groups, geofences and time windows.

pub mod command;
pub mod compliance;
pub mod credential;
pub mod device;
pub mod directory;
pub mod geofence;
pub mod group;
pub use mdm_ports::ids;
pub mod inventory;
pub mod job;
pub mod policy;
pub mod push_certificate;
pub mod schedule;
pub mod tenant;
pub use mdm_ports::time;
pub mod webhook;

pub use command::{CommandSpec, CommandStatus, ReportStatus, ResultReport};
pub use credential::{DeviceCredential, EnrollmentSecret};
pub use device::{Channel, CheckinRequest, DeviceState, EnrollRequest, Location};
pub use ids::{
    CatalogueId, CommandId, DeviceId, EnrollmentTokenId, EventId, GeofenceId, GroupId, Imei, JobId,
    Platform, PolicyId, Role, TenantId, WebhookId,
};
pub use tenant::{TenantLimits, TenantState, TenantStatus};
