//! The embedded default backend: a durable redb-backed `Table` and `Queue` in one file with
//! group commit, and local secrets, so that the whole product runs as one process (the local push
//! sink is `mdm_push::LocalPusher`).

mod db;
mod failure;
mod items;
mod queue;
mod range;
mod secrets;
mod table;
mod writer;

pub use queue::{EmbeddedQueue, QueueConfig};
pub use secrets::LocalSecrets;
pub use table::{MAX_TRANSACT_OPS, RedbTable};
