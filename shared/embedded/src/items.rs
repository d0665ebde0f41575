//! The item writes as they run inside the writer's batch: each reads the current state (which
//! includes earlier requests of the same batch), checks its condition with the core's
//! `Cond::holds`, applies updates with `Update::apply`, and writes only after every check passed.

use mdm_ports::error::StoreError;
use mdm_ports::table::TTL_ATTR;
use mdm_ports::units::UnitMeter;
use mdm_ports::{Cond, Item, Key, Update, WriteOp};
use redb::ReadableTable;
use serde_json::{Map, Value};

use crate::db::{ItemTable, Tables};
use crate::failure::{Failure, refuse};

/// DynamoDB refuses items over 400 KB; refusing them here too keeps the backends alike.
pub(crate) const MAX_ITEM_BYTES: usize = 400 * 1024;

type Outcome<T> = Result<T, Failure<StoreError>>;

pub(crate) fn decode(pk: &str, sk: &str, bytes: &[u8]) -> Result<Item, StoreError> {
    let attrs: Map<String, Value> = serde_json::from_slice(bytes)
        .map_err(|e| StoreError::Corrupt(format!("item ({pk}, {sk}): {e}")))?;
    Ok(Item::new(Key::new(pk, sk), attrs))
}

pub(crate) fn load(
    items: &impl ReadableTable<(&'static str, &'static str), &'static [u8]>,
    key: &Key,
) -> Outcome<Option<Item>> {
    match items.get((key.pk.as_str(), key.sk.as_str()))? {
        Some(bytes) => decode(&key.pk, &key.sk, bytes.value())
            .map(Some)
            .or_else(refuse),
        None => Ok(None),
    }
}

/// Refuses what DynamoDB would refuse before looking at any item.
pub(crate) fn check_key(key: &Key) -> Result<(), StoreError> {
    if key.pk.is_empty() || key.sk.is_empty() {
        return Err(StoreError::Invalid(format!(
            "empty key attribute in {key:?}"
        )));
    }
    Ok(())
}

pub(crate) fn check_size(item: &Item) -> Result<(), StoreError> {
    if item.size() > MAX_ITEM_BYTES {
        return Err(StoreError::Invalid(format!(
            "item {:?} is {} bytes, over the {MAX_ITEM_BYTES}-byte limit",
            item.key,
            item.size()
        )));
    }
    Ok(())
}

fn size(item: Option<&Item>) -> usize {
    item.map_or(0, Item::size)
}

fn holds(cond: Option<&Cond>, item: Option<&Item>) -> bool {
    cond.is_none_or(|c| c.holds(item))
}

fn store(items: &mut ItemTable<'_>, item: &Item) -> Outcome<()> {
    let bytes =
        serde_json::to_vec(&item.attrs).or_else(|e| refuse(StoreError::Invalid(e.to_string())))?;
    items.insert(
        (item.key.pk.as_str(), item.key.sk.as_str()),
        bytes.as_slice(),
    )?;
    Ok(())
}

/// Like DynamoDB, a failed condition still costs the write, billed on the item as it stands.
fn precondition_failed<T>(meter: &UnitMeter, before: Option<&Item>) -> Outcome<T> {
    meter.write(size(before), 0);
    refuse(StoreError::Precondition { index: None })
}

pub(crate) fn put(
    tables: &mut Tables<'_>,
    meter: &UnitMeter,
    item: &Item,
    cond: Option<&Cond>,
) -> Outcome<()> {
    let before = load(&tables.items, &item.key)?;
    if !holds(cond, before.as_ref()) {
        return precondition_failed(meter, before.as_ref());
    }
    store(&mut tables.items, item)?;
    meter.write(size(before.as_ref()), item.size());
    Ok(())
}

pub(crate) fn update(
    tables: &mut Tables<'_>,
    meter: &UnitMeter,
    key: &Key,
    update: &Update,
    cond: Option<&Cond>,
) -> Outcome<Item> {
    let before = load(&tables.items, key)?;
    if !holds(cond, before.as_ref()) {
        return precondition_failed(meter, before.as_ref());
    }
    let after = updated(key, before.as_ref(), update);
    check_size(&after).or_else(refuse)?;
    store(&mut tables.items, &after)?;
    meter.write(size(before.as_ref()), after.size());
    Ok(after)
}

pub(crate) fn delete(
    tables: &mut Tables<'_>,
    meter: &UnitMeter,
    key: &Key,
    cond: Option<&Cond>,
) -> Outcome<()> {
    let before = load(&tables.items, key)?;
    if !holds(cond, before.as_ref()) {
        return precondition_failed(meter, before.as_ref());
    }
    tables.items.remove((key.pk.as_str(), key.sk.as_str()))?;
    meter.write(size(before.as_ref()), 0);
    Ok(())
}

/// What a transaction op leaves behind once its condition holds.
enum After {
    Put(Item),
    Delete,
    Keep,
}

/// All or nothing: every condition is checked (and every op billed, as DynamoDB bills a
/// cancelled transaction) before the first write. Keys are distinct (checked by the caller),
/// so no op's check depends on another op of the same transaction.
pub(crate) fn transact(tables: &mut Tables<'_>, meter: &UnitMeter, ops: &[WriteOp]) -> Outcome<()> {
    let mut plan = Vec::with_capacity(ops.len());
    let mut first_failure = None;
    for (index, op) in ops.iter().enumerate() {
        let before = load(&tables.items, op.key())?;
        let (cond, after) = match op {
            WriteOp::Put { item, cond } => (cond.as_ref(), After::Put(item.clone())),
            WriteOp::Update { key, update, cond } => (
                cond.as_ref(),
                After::Put(updated(key, before.as_ref(), update)),
            ),
            WriteOp::Delete { cond, .. } => (cond.as_ref(), After::Delete),
            WriteOp::Check { cond, .. } => (Some(cond), After::Keep),
        };
        let size_after = match &after {
            After::Put(item) => item.size(),
            After::Delete => 0,
            After::Keep => size(before.as_ref()),
        };
        meter.transact_write(size(before.as_ref()), size_after);
        if first_failure.is_none() && !holds(cond, before.as_ref()) {
            first_failure = Some(index);
        }
        if let After::Put(item) = &after {
            check_size(item).or_else(refuse)?;
        }
        plan.push(after);
    }
    if let Some(index) = first_failure {
        return refuse(StoreError::Precondition { index: Some(index) });
    }
    for (op, after) in ops.iter().zip(plan) {
        match after {
            After::Put(item) => store(&mut tables.items, &item)?,
            After::Delete => {
                let key = op.key();
                tables.items.remove((key.pk.as_str(), key.sk.as_str()))?;
            }
            After::Keep => {}
        }
    }
    Ok(())
}

fn updated(key: &Key, before: Option<&Item>, update: &Update) -> Item {
    let mut attrs = before.map(|item| item.attrs.clone()).unwrap_or_default();
    update.apply(&mut attrs);
    Item::new(key.clone(), attrs)
}

/// Deletes items whose TTL (epoch seconds) is before `now_secs`, returning how many.
pub(crate) fn purge_expired(tables: &mut Tables<'_>, now_secs: i64) -> Outcome<usize> {
    let mut purged = 0;
    tables.items.retain(|_, bytes| {
        let expired = serde_json::from_slice::<Map<String, Value>>(bytes)
            .ok()
            .and_then(|attrs| attrs.get(TTL_ATTR).and_then(Value::as_i64))
            .is_some_and(|ttl| ttl < now_secs);
        purged += usize::from(expired);
        !expired
    })?;
    Ok(purged)
}
