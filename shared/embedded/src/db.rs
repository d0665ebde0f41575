//! The one redb database that the table and its queues share, so that items and queue messages
//! live in one crash-safe file behind one group-commit writer.

use std::sync::Arc;

use redb::{Database, ReadTransaction, ReadableDatabase, TableDefinition, WriteTransaction};
use tokio::sync::Notify;

use crate::failure::text;
use crate::writer::Writer;

/// Items keyed by (partition key, sort key); the value is the JSON of the attribute map.
pub(crate) const ITEMS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("items");
/// Queue messages keyed by (queue, sequence number); the value is a JSON `StoredMessage`.
pub(crate) const MESSAGES: TableDefinition<(&str, u64), &[u8]> =
    TableDefinition::new("queue_messages");
/// Index of messages by (queue, visible-at ms, sequence), so a receive reads only what is due.
pub(crate) const READY: TableDefinition<(&str, i64, u64), ()> = TableDefinition::new("queue_ready");
/// Dead letters keyed by (queue, sequence number); the value is a JSON `StoredDeadLetter`.
pub(crate) const DEAD: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("queue_dead");
/// Named counters (the message sequence), kept in the file so ids never repeat after a restart.
pub(crate) const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("counters");

pub(crate) type ItemTable<'txn> = redb::Table<'txn, (&'static str, &'static str), &'static [u8]>;

/// Every table, opened once per write transaction and lent to each request of the batch.
pub(crate) struct Tables<'txn> {
    pub items: ItemTable<'txn>,
    pub messages: redb::Table<'txn, (&'static str, u64), &'static [u8]>,
    pub ready: redb::Table<'txn, (&'static str, i64, u64), ()>,
    pub dead: redb::Table<'txn, (&'static str, u64), &'static [u8]>,
    pub counters: redb::Table<'txn, &'static str, u64>,
}

impl<'txn> Tables<'txn> {
    pub fn open(txn: &'txn WriteTransaction) -> Result<Self, redb::TableError> {
        Ok(Self {
            items: txn.open_table(ITEMS)?,
            messages: txn.open_table(MESSAGES)?,
            ready: txn.open_table(READY)?,
            dead: txn.open_table(DEAD)?,
            counters: txn.open_table(COUNTERS)?,
        })
    }
}

/// The database, its single writer, and the wake-up that long-polling receivers wait on.
pub(crate) struct Db {
    // Dropped after the writer (fields drop in order), which joins its thread first, so that the
    // file is closed once the last handle goes and can be reopened at once.
    pub writer: Writer,
    pub database: Arc<Database>,
    /// Signalled after messages become visible through a send or a release.
    pub arrivals: Notify,
}

impl Db {
    pub fn start(database: Database) -> Result<Arc<Self>, String> {
        // Read transactions cannot open a table that was never created: create them all up front.
        let txn = database.begin_write().map_err(text)?;
        Tables::open(&txn).map_err(text)?;
        txn.commit().map_err(text)?;
        let database = Arc::new(database);
        let writer = Writer::start(Arc::clone(&database)).map_err(text)?;
        Ok(Arc::new(Self {
            writer,
            database,
            arrivals: Notify::new(),
        }))
    }

    pub fn read(&self) -> Result<ReadTransaction, redb::TransactionError> {
        self.database.begin_read()
    }
}
