//! The composition root: the backend chosen from configuration (embedded, or AWS with the `aws`
//! feature), each tenant's push provider, the token verifier, the queue worker and the sweep
//! timer; the Lambda drivers' start-up; and the local server `mdm-dev`. The device simulator,
//! the benchmark and the load test live in `mdm-devtools`.

pub mod app;
#[cfg(feature = "aws")]
pub mod aws;
pub mod config;
pub mod dev_key;
pub mod lambda;
#[cfg(feature = "embedded")]
pub mod local;
pub mod push;
#[cfg(feature = "aws")]
pub mod sns_apps;
#[cfg(feature = "aws")]
pub mod sqs_driver;
pub mod tls;
pub mod verifier;
pub mod webhooks;
pub mod worker;

pub use app::App;
pub use config::AppConfig;
