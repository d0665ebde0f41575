//! Test doubles shared by the provider tests: throwaway keys and certificates, and fake FCM
//! and APNs servers on loopback that check what a real provider would check.
#![allow(dead_code)]

pub mod apns_fake;
pub mod fcm_fake;
pub mod keys;
