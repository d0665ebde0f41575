//! Store logic over the `Table` port: key layout and typed records, written once for every
//! backend.

pub mod conditions;
pub mod keys;
pub mod records;
pub mod summary;
