//! The MDM core: domain types, ports and use cases, free of AWS, HTTP and Lambda types, so that
//! the same logic runs on the embedded backend and on AWS.

pub mod android;
pub mod apple;
pub mod cache;
pub mod domain;
pub use mdm_ports::error;
pub mod ports;
pub mod services;
pub mod store;
pub use mdm_ports::units;
pub mod usecases;

pub use error::{Error, Result};
pub use services::{RateLimits, Services, Settings};
