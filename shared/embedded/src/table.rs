//! `RedbTable`: the `Table` port over redb, durable on disk or in memory for fast tests. Reads
//! use their own read transactions; every write goes through the group-commit writer.

use std::collections::HashSet;
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use mdm_ports::error::StoreError;
use mdm_ports::units::{UnitMeter, UnitsSnapshot};
use mdm_ports::{Clock, Cond, Item, Key, Page, Query, Table, Update, WriteOp};
use redb::Database;
use redb::backends::InMemoryBackend;

use crate::db::{Db, ITEMS};
use crate::failure::{Failure, settle, text};
use crate::items;
use crate::queue::{EmbeddedQueue, QueueConfig};
use crate::range;
use crate::writer::WriteFailed;

/// DynamoDB's limit on one transaction.
pub const MAX_TRANSACT_OPS: usize = 100;

/// DynamoDB stops a query page at 1 MB of data; stopping here too keeps paging behaviour alike.
const MAX_PAGE_BYTES: usize = 1024 * 1024;

/// The embedded table. Cloning is cheap and shares the database, writer and unit meter.
#[derive(Clone)]
pub struct RedbTable {
    db: Arc<Db>,
    meter: Arc<UnitMeter>,
}

impl RedbTable {
    /// Opens (or creates) the database file at `path`. A write that returned Ok is on disk.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        let database = Database::create(path)
            .map_err(|e| StoreError::Unavailable(format!("opening {}: {e}", path.display())))?;
        Self::start(database)
    }

    /// A database that lives in memory only, for tests and throwaway runs.
    pub fn in_memory() -> Result<Self, StoreError> {
        let database = Database::builder()
            .create_with_backend(InMemoryBackend::new())
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Self::start(database)
    }

    fn start(database: Database) -> Result<Self, StoreError> {
        Ok(Self {
            db: Db::start(database).map_err(StoreError::Unavailable)?,
            meter: Arc::new(UnitMeter::new()),
        })
    }

    /// A durable queue stored in this table's database, so a table write and the queue share
    /// one file and one writer. Handles made with the same name are the same queue.
    pub fn queue(&self, name: &str, config: QueueConfig, clock: Arc<dyn Clock>) -> EmbeddedQueue {
        EmbeddedQueue::new(Arc::clone(&self.db), name, config, clock)
    }

    /// Housekeeping: deletes the items whose `ttl` (epoch seconds) is before `now_secs` and
    /// returns how many. Readers never depend on it, as DynamoDB's own TTL deletes late too.
    pub async fn purge_expired(&self, now_secs: i64) -> Result<usize, StoreError> {
        self.write(move |tables| items::purge_expired(tables, now_secs))
            .await
    }

    async fn write<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut crate::db::Tables<'_>) -> Result<T, Failure<StoreError>> + Send + 'static,
        T: Send + 'static,
    {
        self.db
            .writer
            .submit(move |tables| settle(op(tables)))
            .await
            .map_err(|WriteFailed(reason)| StoreError::Unavailable(reason))?
    }

    fn read_table(
        &self,
    ) -> Result<redb::ReadOnlyTable<(&'static str, &'static str), &'static [u8]>, StoreError> {
        let txn = self.db.read().map_err(unavailable)?;
        txn.open_table(ITEMS).map_err(unavailable)
    }
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(text(e))
}

fn storage(e: Failure<StoreError>) -> StoreError {
    match e {
        Failure::Refused(e) => e,
        Failure::Storage(e) => unavailable(e),
    }
}

#[async_trait]
impl Table for RedbTable {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
        items::check_key(key)?;
        let item = items::load(&self.read_table()?, key).map_err(storage)?;
        self.meter
            .read(item.as_ref().map_or(0, Item::size), consistent);
        Ok(item)
    }

    async fn put(&self, item: Item, cond: Option<Cond>) -> Result<(), StoreError> {
        items::check_key(&item.key)?;
        items::check_size(&item)?;
        let meter = Arc::clone(&self.meter);
        self.write(move |tables| items::put(tables, &meter, &item, cond.as_ref()))
            .await
    }

    async fn update(
        &self,
        key: &Key,
        update: Update,
        cond: Option<Cond>,
    ) -> Result<Item, StoreError> {
        items::check_key(key)?;
        let meter = Arc::clone(&self.meter);
        let key = key.clone();
        self.write(move |tables| items::update(tables, &meter, &key, &update, cond.as_ref()))
            .await
    }

    async fn delete(&self, key: &Key, cond: Option<Cond>) -> Result<(), StoreError> {
        items::check_key(key)?;
        let meter = Arc::clone(&self.meter);
        let key = key.clone();
        self.write(move |tables| items::delete(tables, &meter, &key, cond.as_ref()))
            .await
    }

    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        if query.limit == 0 {
            return Err(StoreError::Invalid(
                "a query limit must be at least 1".into(),
            ));
        }
        let (lower, upper) = range::bounds(&query)?;
        let table = self.read_table()?;
        let range = table
            .range::<(&str, &str)>((as_refs(&lower), as_refs(&upper)))
            .map_err(unavailable)?;
        let page = if query.descending {
            page(range.rev(), query.limit)
        } else {
            page(range, query.limit)
        }?;
        let bytes = page.items.iter().map(Item::size).sum();
        self.meter.read(bytes, query.consistent);
        Ok(page)
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        if ops.is_empty() || ops.len() > MAX_TRANSACT_OPS {
            return Err(StoreError::Invalid(format!(
                "a transaction takes 1 to {MAX_TRANSACT_OPS} ops, not {}",
                ops.len()
            )));
        }
        let mut keys = HashSet::with_capacity(ops.len());
        for op in &ops {
            items::check_key(op.key())?;
            if let WriteOp::Put { item, .. } = op {
                items::check_size(item)?;
            }
            if !keys.insert(op.key()) {
                return Err(StoreError::Invalid(format!(
                    "key {:?} appears twice in one transaction",
                    op.key()
                )));
            }
        }
        let meter = Arc::clone(&self.meter);
        self.write(move |tables| items::transact(tables, &meter, &ops))
            .await
    }

    fn units(&self) -> UnitsSnapshot {
        self.meter.snapshot()
    }
}

fn as_refs(bound: &Bound<(String, String)>) -> Bound<(&str, &str)> {
    bound.as_ref().map(|(pk, sk)| (pk.as_str(), sk.as_str()))
}

type Entry<'a> = Result<
    (
        redb::AccessGuard<'a, (&'static str, &'static str)>,
        redb::AccessGuard<'a, &'static [u8]>,
    ),
    redb::StorageError,
>;

/// Takes up to `limit` items and sets the cursor only when one more item is known to follow.
fn page<'a>(entries: impl Iterator<Item = Entry<'a>>, limit: usize) -> Result<Page, StoreError> {
    let mut items = Vec::new();
    let mut bytes = 0;
    let mut more = false;
    for entry in entries {
        let (key, value) = entry.map_err(unavailable)?;
        if items.len() == limit || bytes >= MAX_PAGE_BYTES {
            more = true;
            break;
        }
        let (pk, sk) = key.value();
        let item = items::decode(pk, sk, value.value())?;
        bytes += item.size();
        items.push(item);
    }
    let cursor = if more {
        items.last().map(|item: &Item| item.key.sk.clone())
    } else {
        None
    };
    Ok(Page { items, cursor })
}
