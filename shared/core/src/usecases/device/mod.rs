//! The device side of the protocol: enrolment, check-in, pulling commands, reporting results and
//! inventory, and the wake-up pushed before a device pulls.

pub mod checkin;
pub mod enrollment;
pub mod fetch;
pub mod inventory;
pub mod results;
pub mod wake;
