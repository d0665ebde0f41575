//! Google's Android Management API (AMAPI) wire formats, as typed values: what we send (policies,
//! enrollment tokens, commands, wipe flags, enterprise settings) and what Google sends (devices,
//! operations, Pub/Sub push notifications).
//!
//! Pure functions over values and bytes: no I/O, no store, no other workspace crate. Field names
//! and enum values are the discovery document's (`shared/conformance/android`), which the
//! `schema` feature turns into a checker for the tests.

#[macro_use]
#[allow(unused_macros)] // the enums of the next modules use them
mod encoding;

pub use encoding::{DurationError, GoogleDuration, GoogleTimestamp, WireEnum};
