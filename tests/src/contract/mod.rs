//! Port contracts: async functions that take a backend handle and panic when it misbehaves.
//! Each case wants a fresh, empty backend.

pub mod queue;
pub mod table;
