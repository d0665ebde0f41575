//! The workspace's suites on the embedded backend (redb, in memory or on disk), in one test
//! binary: each module was a binary of its own, and every one of them linked the whole
//! dependency tree (the AWS SDK included), which cost more build time than their tests took.

mod compliance;
mod deadlines;
mod device_flow;
mod directory_units;
mod faults;
mod idempotency;
mod lambda_events;
mod queue_contract;
mod races;
mod rate_limits;
mod scenario;
mod simulation;
mod table_contract;
mod tenant_purge;
mod tenant_state;
mod webhooks;
