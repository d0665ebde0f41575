//! The `Pusher` port: wakes a device through its platform's push service (FCM, APNs, or the
//! local sink), so that it checks in and pulls its commands.

use async_trait::async_trait;

use crate::error::PushError;
use crate::ids::Platform;

/// Where to send a wake-up.
#[derive(Debug, Clone, PartialEq)]
pub struct PushTarget {
    pub tenant: String,
    pub device: String,
    pub platform: Platform,
    pub token: String,
    /// Apple MDM only: echoed as `{"mdm": push_magic}` in the wake-up.
    pub push_magic: Option<String>,
}

/// What the provider said when it accepted the push.
#[derive(Debug, Clone, PartialEq)]
pub struct PushReceipt {
    pub message_id: String,
}

#[async_trait]
pub trait Pusher: Send + Sync {
    /// Sends a content-free wake-up: the device learns what to do only by pulling.
    async fn wake(&self, target: &PushTarget) -> Result<PushReceipt, PushError>;
}
