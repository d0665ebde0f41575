//! Direct push providers behind the `Pusher` port: FCM HTTP v1 for Android and APNs over
//! HTTP/2 for Apple, with the credentials they are built from; and `LocalPusher`, the local sink that
//! records wakes (and may forward them to a simulator on this machine) for the embedded backend
//! and tests.

mod apns;
mod apns_jwt;
mod credentials;
mod error;
#[cfg(feature = "fake-apns")]
pub mod fake_apns;
mod fcm;
mod fcm_token;
mod http;
mod jwt;
mod local;

pub use apns::{ApnsOptions, ApnsPusher};
pub use credentials::{ApnsAuth, ApnsCredentials, ApnsEnvironment, FcmCredentials};
pub use error::ConfigError;
pub use fcm::{FCM_BASE_URL, FcmOptions, FcmPusher};
pub use local::LocalPusher;
