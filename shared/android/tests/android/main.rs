//! mdm-android's integration tests, in one test binary (one link instead of one per file).

mod common;

mod checker;
mod enums;
mod notifications;
mod received;
mod sent;
