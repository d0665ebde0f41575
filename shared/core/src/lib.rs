//! The MDM core: domain types, ports and use cases, free of AWS, HTTP and Lambda types, so that
//! the same logic runs on the embedded backend and on AWS.

pub mod domain;
pub mod error;
pub mod ports;
pub mod units;

pub use error::{Error, Result};
