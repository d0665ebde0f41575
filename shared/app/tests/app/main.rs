//! mdm-app's integration tests, in one test binary (one link instead of one per file).

mod jwks_url;
mod kill_restart;
mod tenant_pushers;
