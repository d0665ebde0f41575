//! `DynamoTable`: the `Table` port on one DynamoDB table (pk + sk strings, TTL on `ttl`).
//! Conditions, updates and paging map one to one onto DynamoDB's own, and request units are
//! counted with the same rules as the embedded backend so benchmarks compare.

mod errors;
mod expr;
mod values;

use std::collections::HashSet;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    ConditionCheck, Delete, Put, ReturnValue, TransactWriteItem, Update as DynamoUpdate,
};
use mdm_ports::error::StoreError;
use mdm_ports::units::{UnitMeter, UnitsSnapshot};
use mdm_ports::{Cond, Item, Key, Page, Query, Table, Update, WriteOp};

use errors::{store_error, transact_error};
use expr::Expr;
pub use values::{PK, SK};
use values::{item_av, item_from, key_av};

/// DynamoDB's limit on the ops of one TransactWriteItems.
const MAX_TRANSACT: usize = 100;

pub struct DynamoTable {
    client: Client,
    table: String,
    meter: UnitMeter,
}

impl DynamoTable {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            meter: UnitMeter::new(),
        }
    }

    pub fn name(&self) -> &str {
        &self.table
    }

    /// DynamoDB bills a write whose condition failed (at least one unit), so a failure is
    /// counted before it is mapped.
    fn billed_even_if_failed<T, E, R>(
        &self,
        result: Result<T, SdkError<E, R>>,
    ) -> Result<T, StoreError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug,
    {
        result.map_err(|err| {
            self.meter.write(0, 0);
            store_error(err)
        })
    }
}

fn size_of(
    item: Option<&std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>>,
) -> usize {
    item.and_then(|av| item_from(av).ok())
        .map_or(0, |i| i.size())
}

/// A lower bound of an update's resulting size, for ops that cannot return the new item
/// (inside a transaction).
fn update_size(key: &Key, update: &Update) -> usize {
    let values = update
        .set
        .iter()
        .chain(&update.set_if_absent)
        .map(|(n, v)| n.len() + v.to_string().len())
        .sum::<usize>();
    key.pk.len() + key.sk.len() + values
}

#[async_trait]
impl Table for DynamoTable {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_av(key)))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(store_error)?;
        let item = out.item().map(item_from).transpose()?;
        self.meter
            .read(item.as_ref().map_or(0, Item::size), consistent);
        Ok(item)
    }

    async fn put(&self, item: Item, cond: Option<Cond>) -> Result<(), StoreError> {
        let mut e = Expr::new();
        let condition = cond.as_ref().map(|c| e.condition(c));
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item_av(&item)?))
            .set_condition_expression(condition)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        let out = self.billed_even_if_failed(result)?;
        self.meter
            .write(size_of(out.attributes.as_ref()), item.size());
        Ok(())
    }

    async fn update(
        &self,
        key: &Key,
        update: Update,
        cond: Option<Cond>,
    ) -> Result<Item, StoreError> {
        let mut e = Expr::new();
        let text = e.update(&update);
        let condition = cond.as_ref().map(|c| e.condition(c));
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_av(key)))
            .update_expression(text)
            .set_condition_expression(condition)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        let out = self.billed_even_if_failed(result)?;
        let after = out
            .attributes()
            .map(item_from)
            .transpose()?
            .unwrap_or_else(|| Item::new(key.clone(), Default::default()));
        // The size before is not returned for free; updates rarely shrink items.
        self.meter.write(0, after.size());
        Ok(after)
    }

    async fn delete(&self, key: &Key, cond: Option<Cond>) -> Result<(), StoreError> {
        let mut e = Expr::new();
        let condition = cond.as_ref().map(|c| e.condition(c));
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_av(key)))
            .set_condition_expression(condition)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        let out = self.billed_even_if_failed(result)?;
        self.meter.write(size_of(out.attributes.as_ref()), 0);
        Ok(())
    }

    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        if let Some(cursor) = &query.cursor
            && !cursor.starts_with(&query.sk_prefix)
        {
            return Err(StoreError::Invalid(format!(
                "cursor {cursor:?} does not belong to a query of prefix {:?}",
                query.sk_prefix
            )));
        }
        let limit = i32::try_from(query.limit.clamp(1, 1000)).unwrap_or(1000);
        // Built by hand rather than through `Cond`: key conditions have their own grammar.
        let mut names = std::collections::HashMap::from([("#pk".to_owned(), PK.to_owned())]);
        let mut values = std::collections::HashMap::from([(
            ":pk".to_owned(),
            aws_sdk_dynamodb::types::AttributeValue::S(query.pk.clone()),
        )]);
        let mut key_condition = "#pk = :pk".to_owned();
        if !query.sk_prefix.is_empty() {
            names.insert("#sk".into(), SK.into());
            values.insert(
                ":prefix".into(),
                aws_sdk_dynamodb::types::AttributeValue::S(query.sk_prefix.clone()),
            );
            key_condition.push_str(" AND begins_with(#sk, :prefix)");
        }
        let start = query
            .cursor
            .as_ref()
            .map(|sk| key_av(&Key::new(query.pk.clone(), sk.clone())));
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression(key_condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .set_exclusive_start_key(start)
            .scan_index_forward(!query.descending)
            .consistent_read(query.consistent)
            .limit(limit)
            .send()
            .await
            .map_err(store_error)?;
        let items = out
            .items()
            .iter()
            .map(item_from)
            .collect::<Result<Vec<_>, _>>()?;
        self.meter
            .read(items.iter().map(Item::size).sum(), query.consistent);
        let cursor = match out.last_evaluated_key() {
            Some(last) => Some(item_from(last)?.key.sk),
            None => None,
        };
        Ok(Page { items, cursor })
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        if ops.is_empty() {
            return Ok(());
        }
        if ops.len() > MAX_TRANSACT {
            return Err(StoreError::Invalid(format!(
                "a transaction holds at most {MAX_TRANSACT} writes, not {}",
                ops.len()
            )));
        }
        let mut seen = HashSet::new();
        if let Some(twice) = ops.iter().map(WriteOp::key).find(|k| !seen.insert(*k)) {
            return Err(StoreError::Invalid(format!(
                "a transaction names {}/{} twice",
                twice.pk, twice.sk
            )));
        }
        let mut items = Vec::with_capacity(ops.len());
        for op in &ops {
            let mut e = Expr::new();
            let (item, billed) = match op {
                WriteOp::Put { item, cond } => {
                    let condition = cond.as_ref().map(|c| e.condition(c));
                    let put = Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(item_av(item)?))
                        .set_condition_expression(condition)
                        .set_expression_attribute_names(e.names())
                        .set_expression_attribute_values(e.values())
                        .build()
                        .map_err(build_error)?;
                    (TransactWriteItem::builder().put(put).build(), item.size())
                }
                WriteOp::Update { key, update, cond } => {
                    let text = e.update(update);
                    let condition = cond.as_ref().map(|c| e.condition(c));
                    let update_op = DynamoUpdate::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_av(key)))
                        .update_expression(text)
                        .set_condition_expression(condition)
                        .set_expression_attribute_names(e.names())
                        .set_expression_attribute_values(e.values())
                        .build()
                        .map_err(build_error)?;
                    (
                        TransactWriteItem::builder().update(update_op).build(),
                        update_size(key, update),
                    )
                }
                WriteOp::Delete { key, cond } => {
                    let condition = cond.as_ref().map(|c| e.condition(c));
                    let delete = Delete::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_av(key)))
                        .set_condition_expression(condition)
                        .set_expression_attribute_names(e.names())
                        .set_expression_attribute_values(e.values())
                        .build()
                        .map_err(build_error)?;
                    (TransactWriteItem::builder().delete(delete).build(), 0)
                }
                WriteOp::Check { key, cond } => {
                    let condition = e.condition(cond);
                    let check = ConditionCheck::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_av(key)))
                        .condition_expression(condition)
                        .set_expression_attribute_names(e.names())
                        .set_expression_attribute_values(e.values())
                        .build()
                        .map_err(build_error)?;
                    (
                        TransactWriteItem::builder().condition_check(check).build(),
                        0,
                    )
                }
            };
            // DynamoDB bills a cancelled transaction too, so every op is counted up front.
            self.meter.transact_write(0, billed);
            items.push(item);
        }
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(transact_error)?;
        Ok(())
    }

    fn units(&self) -> UnitsSnapshot {
        self.meter.snapshot()
    }
}

fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Invalid(format!("cannot build the request: {e}"))
}
