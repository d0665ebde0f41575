//! The end-to-end flow suite, over HTTP, written once and run against every backend: what a
//! tenant admin and a device see through the API.

pub mod errors;
pub mod lifecycle;
pub mod push;
pub mod tenancy;
