//! mdm-push's integration tests, in one test binary (one link instead of one per file).

mod support;

mod apns;
mod credentials;
mod fcm;
mod local_pusher;
