//! The AWS backend: adapters that implement the core's ports on DynamoDB, SQS, SNS mobile push
//! and Secrets Manager. No domain logic lives here; the store rules are in `mdm-core`.

pub mod dynamo;
pub mod provision;
mod sdk_error;
pub mod secrets;
pub mod sns;
pub mod sns_apps;
pub mod sqs;

pub use dynamo::DynamoTable;
pub use secrets::SecretsManagerStore;
pub use sns::SnsPusher;
pub use sns_apps::{
    PlatformCredentials, SnsPlatform, delete_platform_application, ensure_platform_application,
};
pub use sqs::SqsQueue;
