//! Test doubles shared by the provider tests: throwaway keys and certificates, and a fake FCM
//! server on loopback that checks what the real one would check (the fake APNs is the crate's
//! own `fake_apns` module, which the workspace's flow suite uses too).

pub mod fcm_fake;
pub mod keys;
