//! Test suites shared by every backend: each port's contract is written once here and run by
//! the test targets against the embedded backend and, through an emulator, the AWS adapters.

pub mod contract;
pub mod direct;
pub mod faults;
pub mod figures;
pub mod flow;
pub mod heavy;
pub mod lambda_events;
pub mod moto;
pub mod sim;
pub mod stack;
