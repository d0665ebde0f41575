//! The composition root and the local tools: the server (`mdm-dev`), the device simulator
//! (`mdm-agent`) and the benchmark (`mdm-bench`).

pub mod agent;
pub mod app;
pub mod aws;
pub mod config;
pub mod dev_key;
pub mod lambda;
pub mod local;
pub mod push;
pub mod sqs_driver;
pub mod tls;
pub mod verifier;
pub mod webhooks;
pub mod worker;

pub use app::App;
pub use config::AppConfig;
