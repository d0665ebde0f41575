//! Tenants and what belongs to each as a whole: registration, suspension and purge, settings,
//! push settings and certificate warnings, the audit log, idempotency keys.

pub mod audit;
pub mod idempotency;
pub mod purge;
pub mod push_cert_warnings;
pub mod push_config;
pub mod settings;
pub mod tenant_record;
pub mod tenants;
