//! The embedded default backend: a durable redb-backed `Table` and `Queue` in one file with
//! group commit, and a local push sink, so that the whole product runs as one process.

mod db;
mod failure;
mod items;
mod push;
mod queue;
mod range;
mod secrets;
mod table;
mod writer;

pub use push::LocalPusher;
pub use queue::{EmbeddedQueue, QueueConfig};
pub use secrets::LocalSecrets;
pub use table::{MAX_TRANSACT_OPS, RedbTable};
