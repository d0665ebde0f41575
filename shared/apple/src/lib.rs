//! Apple's MDM protocol formats, parsed into typed values and rendered from them: check-in
//! messages, command plists, command responses and configuration profiles.
//!
//! Pure functions over bytes: no I/O, no store, no other workspace crate. What a device sends is
//! untrusted, so every parser bounds the body's size and nesting before reading it and names the
//! key at fault when it refuses one.

mod body;
pub mod checkin;
pub mod command;
mod error;
mod fields;
pub mod profile;
mod render;
pub mod response;
#[cfg(feature = "schema")]
pub mod schema;

pub use error::{FormatError, MAX_CHECKIN_BYTES, MAX_RESPONSE_BYTES};
