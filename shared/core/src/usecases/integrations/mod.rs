//! What leaves the system for a tenant's own systems: domain events and their delivery to webhook
//! endpoints.

pub mod events;
pub mod webhooks;
