//! The `Table` port: a small DynamoDB-shaped key-value store that all store logic is written over,
//! so the embedded and AWS backends differ only in how they implement these few operations.

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::error::StoreError;

/// Attribute that holds an item's expiry time in epoch seconds (DynamoDB TTL). Backends may
/// delete expired items late, so readers must still check it against the clock.
pub const TTL_ATTR: &str = "ttl";

/// Partition key plus sort key. Every partition key starts with the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

/// One stored item: its key and a flat map of attributes (JSON values).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub key: Key,
    pub attrs: Map<String, Value>,
}

impl Item {
    pub fn new(key: Key, attrs: Map<String, Value>) -> Self {
        Self { key, attrs }
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.attrs.get(name)
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).and_then(Value::as_str)
    }

    pub fn i64(&self, name: &str) -> Option<i64> {
        self.attrs.get(name).and_then(Value::as_i64)
    }

    /// Size as DynamoDB bills it, approximated by key lengths plus the JSON encoding of the
    /// attributes; both backends use this same figure so their unit counts agree.
    pub fn size(&self) -> usize {
        self.key.pk.len()
            + self.key.sk.len()
            + serde_json::to_vec(&self.attrs).map_or(0, |v| v.len())
    }
}

/// Numeric or string comparison operators usable in conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
}

/// A condition checked atomically with a write (a DynamoDB ConditionExpression).
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// The item exists.
    Exists,
    /// No item with this key exists.
    NotExists,
    /// The attribute exists and equals the value.
    Eq(String, Value),
    /// The attribute is absent or differs from the value.
    Ne(String, Value),
    /// The attribute exists and equals one of the values.
    In(String, Vec<Value>),
    /// The attribute exists, is a number and compares to the number as given (`attr OP n`).
    Num(String, Cmp, i64),
    /// The attribute is absent.
    Absent(String),
    /// Every condition holds.
    And(Vec<Cond>),
    /// At least one condition holds.
    Or(Vec<Cond>),
}

impl Cond {
    pub fn eq(attr: &str, value: impl Into<Value>) -> Self {
        Cond::Eq(attr.to_owned(), value.into())
    }

    /// Evaluates the condition on the current item (None when absent). Backends that check
    /// conditions themselves (the embedded one) call this, so the semantics are written once.
    pub fn holds(&self, item: Option<&Item>) -> bool {
        let attr = |name: &str| item.and_then(|i| i.attrs.get(name));
        match self {
            Cond::Exists => item.is_some(),
            Cond::NotExists => item.is_none(),
            Cond::Eq(name, v) => attr(name) == Some(v),
            Cond::Ne(name, v) => attr(name) != Some(v),
            Cond::In(name, vs) => attr(name).is_some_and(|a| vs.contains(a)),
            Cond::Num(name, cmp, n) => {
                attr(name)
                    .and_then(Value::as_i64)
                    .is_some_and(|a| match cmp {
                        Cmp::Lt => a < *n,
                        Cmp::Le => a <= *n,
                        Cmp::Gt => a > *n,
                        Cmp::Ge => a >= *n,
                    })
            }
            Cond::Absent(name) => attr(name).is_none(),
            Cond::And(cs) => cs.iter().all(|c| c.holds(item)),
            Cond::Or(cs) => cs.iter().any(|c| c.holds(item)),
        }
    }
}

/// A partial update of one item (a DynamoDB UpdateExpression). Updating a missing item creates
/// it, as DynamoDB does; guard with `Cond::Exists` where that is wrong.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Update {
    /// SET name = value.
    pub set: Vec<(String, Value)>,
    /// SET name = if_not_exists(name, value).
    pub set_if_absent: Vec<(String, Value)>,
    /// ADD name n (a missing attribute counts as 0).
    pub add: Vec<(String, i64)>,
    /// SET name = list_append(if_not_exists(name, []), values).
    pub append: Vec<(String, Vec<Value>)>,
    /// REMOVE name.
    pub remove: Vec<String>,
}

impl Update {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.set.push((name.to_owned(), value.into()));
        self
    }

    pub fn set_if_absent(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.set_if_absent.push((name.to_owned(), value.into()));
        self
    }

    pub fn add(mut self, name: &str, n: i64) -> Self {
        self.add.push((name.to_owned(), n));
        self
    }

    pub fn append(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.append.push((name.to_owned(), vec![value.into()]));
        self
    }

    pub fn remove(mut self, name: &str) -> Self {
        self.remove.push(name.to_owned());
        self
    }

    /// Applies the update to an item's attributes. Written once here so that every backend
    /// that evaluates updates itself does it the same way.
    pub fn apply(&self, attrs: &mut Map<String, Value>) {
        for (name, value) in &self.set {
            attrs.insert(name.clone(), value.clone());
        }
        for (name, value) in &self.set_if_absent {
            attrs.entry(name.clone()).or_insert_with(|| value.clone());
        }
        for (name, n) in &self.add {
            let current = attrs.get(name).and_then(Value::as_i64).unwrap_or(0);
            attrs.insert(name.clone(), Value::from(current + n));
        }
        for (name, values) in &self.append {
            let entry = attrs
                .entry(name.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(list) = entry {
                list.extend(values.iter().cloned());
            } else {
                *entry = Value::Array(values.clone());
            }
        }
        for name in &self.remove {
            attrs.remove(name);
        }
    }
}

/// One write inside an all-or-nothing transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOp {
    Put {
        item: Item,
        cond: Option<Cond>,
    },
    Update {
        key: Key,
        update: Update,
        cond: Option<Cond>,
    },
    Delete {
        key: Key,
        cond: Option<Cond>,
    },
    /// Only checks a condition on another item (a DynamoDB ConditionCheck).
    Check {
        key: Key,
        cond: Cond,
    },
}

impl WriteOp {
    pub fn key(&self) -> &Key {
        match self {
            WriteOp::Put { item, .. } => &item.key,
            WriteOp::Update { key, .. }
            | WriteOp::Delete { key, .. }
            | WriteOp::Check { key, .. } => key,
        }
    }
}

/// Query of one partition by sort-key prefix, with cursor paging.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub pk: String,
    pub sk_prefix: String,
    /// Cursor returned by the previous page; the page starts after it. Every backend makes it
    /// the sort key of the last item returned (the contract suite checks this), so a reader may
    /// also resume after any item it has seen by passing that item's sort key.
    pub cursor: Option<String>,
    /// Maximum items in the page (the backend may return fewer and a cursor).
    pub limit: usize,
    /// Newest (highest sort key) first.
    pub descending: bool,
    /// Strongly consistent read (costs twice as much).
    pub consistent: bool,
}

impl Query {
    pub fn prefix(pk: impl Into<String>, sk_prefix: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk_prefix: sk_prefix.into(),
            cursor: None,
            limit: 100,
            descending: false,
            consistent: false,
        }
    }
}

/// One page of a query; `cursor` is set when more items may follow.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    pub items: Vec<Item>,
    pub cursor: Option<String>,
}

/// The store port. Every operation is atomic on its own; `transact` is atomic across items.
#[async_trait]
pub trait Table: Send + Sync {
    /// Reads one item (eventually consistent unless `consistent`).
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError>;

    /// Writes a whole item if the condition holds; fails with `Precondition` otherwise.
    async fn put(&self, item: Item, cond: Option<Cond>) -> Result<(), StoreError>;

    /// Applies an update if the condition holds and returns the item as it is afterwards
    /// (DynamoDB's ReturnValues=ALL_NEW, which costs no read).
    async fn update(
        &self,
        key: &Key,
        update: Update,
        cond: Option<Cond>,
    ) -> Result<Item, StoreError>;

    /// Deletes an item if the condition holds (deleting a missing item is not an error).
    async fn delete(&self, key: &Key, cond: Option<Cond>) -> Result<(), StoreError>;

    /// Reads one page of a partition, in sort-key order.
    async fn query(&self, query: Query) -> Result<Page, StoreError>;

    /// Applies up to 100 writes on distinct keys all or nothing. When a condition fails, nothing
    /// is written and the error is `Precondition` naming the first failing op's index.
    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError>;

    /// Request units consumed so far, counted the DynamoDB way.
    fn units(&self) -> crate::units::UnitsSnapshot;
}
