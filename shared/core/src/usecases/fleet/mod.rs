//! The admin side of the fleet: devices and their directory, groups, enrollment tokens, commands
//! with their lifecycle, jobs, lost mode, end users' self-service, and the views and timelines
//! readers get.

pub mod commands;
pub mod devices;
pub mod directory;
pub mod enrollment_tokens;
pub mod groups;
pub mod jobs;
pub mod lifecycle;
pub mod lost;
pub mod self_service;
pub mod timeline;
pub mod views;
