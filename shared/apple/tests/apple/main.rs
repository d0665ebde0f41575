//! mdm-apple's integration tests, in one test binary (one link instead of one per file).

mod common;

mod checkin;
mod commands;
mod profiles;
mod responses;
mod schema_checker;
