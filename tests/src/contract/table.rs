//! The `Table` contract: what the store logic relies on (conditions, updates, paging,
//! transactions, unit counts, durability, concurrency), written once for every backend.
//!
//! Each case takes a fresh, empty table. Names read as the rule they check.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;

use mdm_core::error::StoreError;
use mdm_core::ports::{Cmp, Cond, Item, Key, Query, Table, Update, WriteOp};
use serde_json::{Map, Value, json};

/// A small item with the given attributes (an object literal).
pub fn item(pk: &str, sk: &str, attrs: Value) -> Item {
    let attrs: Map<String, Value> = match attrs {
        Value::Object(map) => map,
        other => panic!("attributes must be an object, not {other}"),
    };
    Item::new(Key::new(pk, sk), attrs)
}

fn precondition(index: Option<usize>) -> StoreError {
    StoreError::Precondition { index }
}

async fn put(table: &dyn Table, pk: &str, sk: &str, attrs: Value) {
    table
        .put(item(pk, sk, attrs), None)
        .await
        .expect("an unconditional put succeeds");
}

async fn get(table: &dyn Table, pk: &str, sk: &str) -> Option<Item> {
    table
        .get(&Key::new(pk, sk), true)
        .await
        .expect("a get succeeds")
}

/// Whether the condition holds on the stored item, seen through a conditional update that
/// only touches an attribute no condition here names.
async fn holds(table: &dyn Table, key: &Key, cond: Cond) -> bool {
    match table
        .update(key, Update::new().add("probes", 1), Some(cond.clone()))
        .await
    {
        Ok(_) => true,
        Err(StoreError::Precondition { index: None }) => false,
        Err(e) => panic!("{cond:?} failed with {e:?}"),
    }
}

async fn all_pages(table: &dyn Table, mut query: Query) -> (Vec<String>, usize) {
    let mut sks = Vec::new();
    let mut pages = 0;
    loop {
        let page = table.query(query.clone()).await.expect("a query succeeds");
        pages += 1;
        assert!(
            page.items.len() <= query.limit,
            "a page holds at most the limit"
        );
        let last = page.items.last().map(|i| i.key.sk.clone());
        sks.extend(page.items.into_iter().map(|i| i.key.sk));
        match page.cursor {
            Some(cursor) => {
                // The device listing resumes after any item it chooses by passing its sort key.
                assert_eq!(
                    Some(&cursor),
                    last.as_ref(),
                    "a cursor is the last sort key"
                );
                query.cursor = Some(cursor);
            }
            None => return (sks, pages),
        }
        assert!(pages < 1000, "paging never ends");
    }
}

pub async fn a_put_item_reads_back_and_is_gone_once_deleted(table: Arc<dyn Table>) {
    // Given an item with every kind of JSON value
    let stored = item(
        "T#1#DEV#a",
        "META",
        json!({"s": "x", "n": 7, "b": true, "l": [1, "two"], "m": {"k": null}}),
    );
    table.put(stored.clone(), None).await.unwrap();
    // Then it reads back unchanged, consistent or not
    assert_eq!(
        table.get(&stored.key, true).await.unwrap(),
        Some(stored.clone())
    );
    assert_eq!(
        table.get(&stored.key, false).await.unwrap(),
        Some(stored.clone())
    );
    // When it is deleted, then it is gone, and deleting it again is no error
    table.delete(&stored.key, None).await.unwrap();
    assert_eq!(table.get(&stored.key, true).await.unwrap(), None);
    table.delete(&stored.key, None).await.unwrap();
}

pub async fn a_put_replaces_the_whole_item(table: Arc<dyn Table>) {
    put(&*table, "T#1", "A", json!({"old": 1, "kept": 2})).await;
    put(&*table, "T#1", "A", json!({"new": 3})).await;
    assert_eq!(
        get(&*table, "T#1", "A").await.unwrap().attrs,
        item("p", "s", json!({"new": 3})).attrs
    );
}

pub async fn a_put_with_not_exists_fails_when_the_item_is_there(table: Arc<dyn Table>) {
    // Given an item
    put(&*table, "T#1", "A", json!({"v": 1})).await;
    // When it is put again on condition that it does not exist
    let result = table
        .put(item("T#1", "A", json!({"v": 2})), Some(Cond::NotExists))
        .await;
    // Then the put fails and the item is unchanged
    assert_eq!(result, Err(precondition(None)));
    assert_eq!(get(&*table, "T#1", "A").await.unwrap().i64("v"), Some(1));
    // And the same put of a new key succeeds
    table
        .put(item("T#1", "B", json!({"v": 2})), Some(Cond::NotExists))
        .await
        .unwrap();
}

pub async fn a_put_with_exists_fails_when_the_item_is_missing(table: Arc<dyn Table>) {
    let result = table
        .put(item("T#1", "A", json!({"v": 1})), Some(Cond::Exists))
        .await;
    assert_eq!(result, Err(precondition(None)));
    assert_eq!(get(&*table, "T#1", "A").await, None);
}

pub async fn equality_conditions_compare_whole_values(table: Arc<dyn Table>) {
    put(&*table, "T#1", "A", json!({"status": "queued", "n": 3})).await;
    let key = Key::new("T#1", "A");
    assert!(holds(&*table, &key, Cond::eq("status", "queued")).await);
    assert!(!holds(&*table, &key, Cond::eq("status", "fetched")).await);
    assert!(!holds(&*table, &key, Cond::eq("missing", "queued")).await);
    assert!(
        !holds(&*table, &key, Cond::eq("n", "3")).await,
        "a number never equals a string"
    );
    assert!(holds(&*table, &key, Cond::Ne("status".into(), json!("fetched"))).await);
    assert!(!holds(&*table, &key, Cond::Ne("status".into(), json!("queued"))).await);
    assert!(
        holds(&*table, &key, Cond::Ne("missing".into(), json!("x"))).await,
        "absent differs"
    );
    let open = Cond::In("status".into(), vec![json!("queued"), json!("push_sent")]);
    assert!(holds(&*table, &key, open).await);
    let closed = Cond::In("status".into(), vec![json!("acknowledged"), json!("error")]);
    assert!(!holds(&*table, &key, closed).await);
    assert!(
        !holds(
            &*table,
            &key,
            Cond::In("missing".into(), vec![json!("queued")])
        )
        .await
    );
}

pub async fn numeric_conditions_compare_the_attribute_to_the_number(table: Arc<dyn Table>) {
    put(&*table, "T#1", "A", json!({"n": 5, "s": "5"})).await;
    let key = Key::new("T#1", "A");
    let num = |cmp, n| Cond::Num("n".into(), cmp, n);
    assert!(holds(&*table, &key, num(Cmp::Lt, 6)).await);
    assert!(!holds(&*table, &key, num(Cmp::Lt, 5)).await);
    assert!(holds(&*table, &key, num(Cmp::Le, 5)).await);
    assert!(!holds(&*table, &key, num(Cmp::Le, 4)).await);
    assert!(holds(&*table, &key, num(Cmp::Gt, 4)).await);
    assert!(!holds(&*table, &key, num(Cmp::Gt, 5)).await);
    assert!(holds(&*table, &key, num(Cmp::Ge, 5)).await);
    assert!(!holds(&*table, &key, num(Cmp::Ge, 6)).await);
    assert!(
        !holds(
            &*table,
            &key,
            Cond::Num("missing".into(), Cmp::Ge, i64::MIN)
        )
        .await
    );
    assert!(
        !holds(&*table, &key, Cond::Num("s".into(), Cmp::Ge, 0)).await,
        "a string is no number"
    );
}

pub async fn absence_and_combined_conditions_hold_as_documented(table: Arc<dyn Table>) {
    put(&*table, "T#1", "A", json!({"status": "queued", "ttl": 100})).await;
    let key = Key::new("T#1", "A");
    assert!(holds(&*table, &key, Cond::Absent("revoked".into())).await);
    assert!(!holds(&*table, &key, Cond::Absent("status".into())).await);
    assert!(holds(&*table, &key, Cond::Exists).await);
    assert!(!holds(&*table, &key, Cond::NotExists).await);
    let both = Cond::And(vec![
        Cond::Exists,
        Cond::eq("status", "queued"),
        Cond::Num("ttl".into(), Cmp::Gt, 50),
    ]);
    assert!(holds(&*table, &key, both).await);
    let one_false = Cond::And(vec![Cond::Exists, Cond::eq("status", "fetched")]);
    assert!(!holds(&*table, &key, one_false).await);
    let either = Cond::Or(vec![
        Cond::eq("status", "fetched"),
        Cond::Absent("revoked".into()),
    ]);
    assert!(holds(&*table, &key, either).await);
    let neither = Cond::Or(vec![Cond::eq("status", "fetched"), Cond::NotExists]);
    assert!(!holds(&*table, &key, neither).await);
    let nested = Cond::And(vec![Cond::Or(vec![
        Cond::NotExists,
        Cond::eq("status", "queued"),
    ])]);
    assert!(holds(&*table, &key, nested).await);
}

pub async fn an_update_applies_every_clause_and_returns_the_new_item(table: Arc<dyn Table>) {
    // Given an item
    put(
        &*table,
        "T#1",
        "A",
        json!({"a": 1, "keep": "k", "n": 10, "l": [1], "gone": true}),
    )
    .await;
    // When every kind of clause is applied
    let update = Update::new()
        .set("a", 2)
        .set("b", "new")
        .set_if_absent("keep", "replaced?")
        .set_if_absent("fresh", "added")
        .add("n", 5)
        .add("counter", 1)
        .append("l", 2)
        .append("history", json!({"at": 1}))
        .remove("gone");
    let returned = table
        .update(&Key::new("T#1", "A"), update, None)
        .await
        .unwrap();
    // Then the update returns the item as stored afterwards
    let expected = item(
        "T#1",
        "A",
        json!({
            "a": 2, "b": "new", "keep": "k", "fresh": "added", "n": 15, "counter": 1,
            "l": [1, 2], "history": [{"at": 1}]
        }),
    );
    assert_eq!(returned, expected);
    assert_eq!(get(&*table, "T#1", "A").await, Some(expected));
}

pub async fn an_update_of_a_missing_item_creates_it(table: Arc<dyn Table>) {
    let key = Key::new("T#1", "counter");
    let created = table
        .update(&key, Update::new().add("n", 1).set("kind", "c"), None)
        .await
        .unwrap();
    assert_eq!(
        created,
        item("T#1", "counter", json!({"n": 1, "kind": "c"}))
    );
    assert_eq!(get(&*table, "T#1", "counter").await, Some(created));
}

pub async fn an_update_guarded_by_exists_does_not_create_a_missing_item(table: Arc<dyn Table>) {
    let key = Key::new("T#1", "A");
    let result = table
        .update(&key, Update::new().set("v", 1), Some(Cond::Exists))
        .await;
    assert_eq!(result, Err(precondition(None)));
    assert_eq!(get(&*table, "T#1", "A").await, None);
}

pub async fn a_failed_condition_leaves_the_item_unchanged(table: Arc<dyn Table>) {
    // Given a command already acknowledged
    put(
        &*table,
        "T#1",
        "CMD#1",
        json!({"status": "acknowledged", "n": 1}),
    )
    .await;
    let before = get(&*table, "T#1", "CMD#1").await;
    let key = Key::new("T#1", "CMD#1");
    // When an update, a put and a delete each require it to be queued
    let queued = || Some(Cond::eq("status", "queued"));
    let update = table
        .update(
            &key,
            Update::new().set("status", "fetched").add("n", 1),
            queued(),
        )
        .await;
    let put = table
        .put(item("T#1", "CMD#1", json!({"status": "x"})), queued())
        .await;
    let delete = table.delete(&key, queued()).await;
    // Then all three fail and the item is exactly as it was
    assert_eq!(update, Err(precondition(None)));
    assert_eq!(put, Err(precondition(None)));
    assert_eq!(delete, Err(precondition(None)));
    assert_eq!(get(&*table, "T#1", "CMD#1").await, before);
}

pub async fn a_query_returns_only_its_partition_and_prefix(table: Arc<dyn Table>) {
    // Given items under the prefix, next to it, and in partitions that share a prefix
    for sk in ["CMD#1", "CMD#2", "CMD#3"] {
        put(&*table, "T#1#DEV#a", sk, json!({})).await;
    }
    for sk in ["CMD", "CMC#9", "CMD$", "CME#1", "META", "A"] {
        put(&*table, "T#1#DEV#a", sk, json!({})).await;
    }
    for pk in ["T#1#DEV#ab", "T#1#DEV#", "T#1#DEV#b", "T#2#DEV#a"] {
        put(&*table, pk, "CMD#1", json!({})).await;
    }
    // When the partition is queried by prefix, then only the prefixed items come back, in order
    let page = table
        .query(Query::prefix("T#1#DEV#a", "CMD#"))
        .await
        .unwrap();
    let sks: Vec<_> = page.items.iter().map(|i| i.key.sk.as_str()).collect();
    assert_eq!(sks, ["CMD#1", "CMD#2", "CMD#3"]);
    assert!(page.items.iter().all(|i| i.key.pk == "T#1#DEV#a"));
    assert_eq!(page.cursor, None);
    // And an empty prefix returns the whole partition and nothing else
    let (all, _) = all_pages(&*table, Query::prefix("T#1#DEV#a", "")).await;
    assert_eq!(
        all,
        [
            "A", "CMC#9", "CMD", "CMD#1", "CMD#2", "CMD#3", "CMD$", "CME#1", "META"
        ]
    );
    // And a partition with no items returns an empty last page
    let empty = table.query(Query::prefix("T#3#DEV#a", "")).await.unwrap();
    assert_eq!((empty.items.len(), empty.cursor), (0, None));
}

pub async fn a_query_reads_in_ascending_or_descending_sort_key_order(table: Arc<dyn Table>) {
    for sk in ["E#3", "E#1", "E#5", "E#2", "E#4"] {
        put(&*table, "T#1", sk, json!({})).await;
    }
    let (up, _) = all_pages(&*table, Query::prefix("T#1", "E#")).await;
    assert_eq!(up, ["E#1", "E#2", "E#3", "E#4", "E#5"]);
    let newest_first = Query {
        descending: true,
        ..Query::prefix("T#1", "E#")
    };
    let (down, _) = all_pages(&*table, newest_first.clone()).await;
    assert_eq!(down, ["E#5", "E#4", "E#3", "E#2", "E#1"]);
    // And a limit takes the first items in that order
    let page = table
        .query(Query {
            limit: 2,
            ..newest_first
        })
        .await
        .unwrap();
    let sks: Vec<_> = page.items.iter().map(|i| i.key.sk.as_str()).collect();
    assert_eq!(sks, ["E#5", "E#4"]);
    assert!(page.cursor.is_some(), "more items follow");
}

pub async fn paging_through_250_items_seven_at_a_time_yields_each_once_in_order(
    table: Arc<dyn Table>,
) {
    // Given 250 items in a partition, plus neighbours on both sides of the prefix
    let expected: Vec<String> = (0..250).map(|i| format!("CMD#{i:04}")).collect();
    for sk in &expected {
        put(&*table, "T#1#DEV#a", sk, json!({"pad": "x"})).await;
    }
    put(&*table, "T#1#DEV#a", "CMC", json!({})).await;
    put(&*table, "T#1#DEV#a", "CME", json!({})).await;
    // When it is paged with limit 7 in both directions
    let ascending = Query {
        limit: 7,
        ..Query::prefix("T#1#DEV#a", "CMD#")
    };
    let (up, pages) = all_pages(&*table, ascending.clone()).await;
    let (down, _) = all_pages(
        &*table,
        Query {
            descending: true,
            ..ascending
        },
    )
    .await;
    // Then every item comes exactly once, in order (a trailing empty page is allowed)
    assert_eq!(up, expected);
    assert!(
        (36..=37).contains(&pages),
        "250 items in pages of 7 take 36 pages, not {pages}"
    );
    let mut reversed = expected.clone();
    reversed.reverse();
    assert_eq!(down, reversed);
    assert_eq!(up.iter().collect::<BTreeSet<_>>().len(), 250);
}

pub async fn a_transaction_applies_all_its_writes(table: Arc<dyn Table>) {
    put(&*table, "T#1", "DEV#a", json!({"status": "enrolled"})).await;
    put(&*table, "T#1", "TOKEN#old", json!({})).await;
    put(&*table, "T#1", "POLICY", json!({"v": 3})).await;
    table
        .transact(vec![
            WriteOp::Put {
                item: item("T#1", "CMD#1", json!({"status": "queued"})),
                cond: Some(Cond::NotExists),
            },
            WriteOp::Update {
                key: Key::new("T#1", "DEV#a"),
                update: Update::new().add("pending", 1),
                cond: Some(Cond::eq("status", "enrolled")),
            },
            WriteOp::Delete {
                key: Key::new("T#1", "TOKEN#old"),
                cond: Some(Cond::Exists),
            },
            WriteOp::Check {
                key: Key::new("T#1", "POLICY"),
                cond: Cond::eq("v", 3),
            },
        ])
        .await
        .unwrap();
    assert_eq!(
        get(&*table, "T#1", "CMD#1").await.unwrap().str("status"),
        Some("queued")
    );
    assert_eq!(
        get(&*table, "T#1", "DEV#a").await.unwrap().i64("pending"),
        Some(1)
    );
    assert_eq!(get(&*table, "T#1", "TOKEN#old").await, None);
    assert_eq!(
        get(&*table, "T#1", "POLICY").await.unwrap().i64("v"),
        Some(3)
    );
}

pub async fn a_transaction_with_one_failing_condition_writes_nothing_and_names_the_op(
    table: Arc<dyn Table>,
) {
    // Given a device and an existing command
    put(&*table, "T#1", "DEV#a", json!({"pending": 0})).await;
    put(&*table, "T#1", "CMD#2", json!({"status": "queued"})).await;
    // When a transaction's third op fails its condition
    let result = table
        .transact(vec![
            WriteOp::Put {
                item: item("T#1", "CMD#1", json!({"status": "queued"})),
                cond: Some(Cond::NotExists),
            },
            WriteOp::Update {
                key: Key::new("T#1", "DEV#a"),
                update: Update::new().add("pending", 1),
                cond: None,
            },
            WriteOp::Put {
                item: item("T#1", "CMD#2", json!({"status": "overwritten"})),
                cond: Some(Cond::NotExists),
            },
            WriteOp::Check {
                key: Key::new("T#1", "POLICY"),
                cond: Cond::NotExists,
            },
        ])
        .await;
    // Then it reports that op and nothing at all was written
    assert_eq!(result, Err(precondition(Some(2))));
    assert_eq!(get(&*table, "T#1", "CMD#1").await, None);
    assert_eq!(
        get(&*table, "T#1", "DEV#a").await.unwrap().i64("pending"),
        Some(0)
    );
    assert_eq!(
        get(&*table, "T#1", "CMD#2").await.unwrap().str("status"),
        Some("queued")
    );
}

pub async fn a_transaction_naming_a_key_twice_or_over_100_ops_is_refused(table: Arc<dyn Table>) {
    let twice = table
        .transact(vec![
            WriteOp::Put {
                item: item("T#1", "A", json!({"v": 1})),
                cond: None,
            },
            WriteOp::Update {
                key: Key::new("T#1", "A"),
                update: Update::new().set("v", 2),
                cond: None,
            },
        ])
        .await;
    assert!(
        matches!(twice, Err(StoreError::Invalid(_))),
        "got {twice:?}"
    );
    assert_eq!(get(&*table, "T#1", "A").await, None);
    let too_many = (0..101)
        .map(|i| WriteOp::Put {
            item: item("T#1", &format!("I#{i}"), json!({})),
            cond: None,
        })
        .collect();
    let result = table.transact(too_many).await;
    assert!(
        matches!(result, Err(StoreError::Invalid(_))),
        "got {result:?}"
    );
    assert_eq!(get(&*table, "T#1", "I#0").await, None);
}

pub async fn an_idle_conditional_update_of_a_small_item_costs_one_write_and_no_read(
    table: Arc<dyn Table>,
) {
    // Given an enrolled device
    put(
        &*table,
        "T#1#DEV#a",
        "META",
        json!({"status": "enrolled", "cred": "h", "seen": 1}),
    )
    .await;
    let before = table.units();
    // When it checks in: one update guarded by its credential
    let cond = Cond::And(vec![Cond::eq("status", "enrolled"), Cond::eq("cred", "h")]);
    let updated = table
        .update(
            &Key::new("T#1#DEV#a", "META"),
            Update::new().set("seen", 2),
            Some(cond),
        )
        .await
        .unwrap();
    // Then it cost exactly one write unit and no read, and still saw the whole item
    let cost = table.units().since(&before);
    assert_eq!((cost.write_units, cost.read_units), (1, 0.0));
    assert_eq!(updated.i64("seen"), Some(2));
}

pub async fn reads_failed_writes_and_transactions_are_billed_like_dynamodb(table: Arc<dyn Table>) {
    put(&*table, "T#1", "A", json!({"v": 1})).await;
    let units = |before| table.units().since(&before);
    // A small eventually consistent read costs half a unit, a consistent one a whole unit
    let before = table.units();
    table.get(&Key::new("T#1", "A"), false).await.unwrap();
    assert_eq!(units(before).read_units, 0.5);
    let before = table.units();
    table.get(&Key::new("T#1", "missing"), true).await.unwrap();
    assert_eq!(units(before).read_units, 1.0, "a miss still costs a read");
    // A failed condition still costs the write
    let before = table.units();
    let _ = table
        .put(item("T#1", "A", json!({})), Some(Cond::NotExists))
        .await;
    assert_eq!(units(before).write_units, 1);
    // A write of an item over 1 KB costs a unit per KB started
    let before = table.units();
    put(&*table, "T#1", "BIG", json!({"pad": "x".repeat(2500)})).await;
    assert_eq!(units(before).write_units, 3);
    // A transaction costs two units per small item, condition checks included
    let before = table.units();
    table
        .transact(vec![
            WriteOp::Put {
                item: item("T#1", "B", json!({})),
                cond: None,
            },
            WriteOp::Check {
                key: Key::new("T#1", "A"),
                cond: Cond::Exists,
            },
        ])
        .await
        .unwrap();
    assert_eq!(
        units(before),
        mdm_core::units::UnitsSnapshot {
            read_units: 0.0,
            write_units: 4
        }
    );
    // A query page of small items costs half a unit per 4 KB read
    let before = table.units();
    let page = table.query(Query::prefix("T#1", "")).await.unwrap();
    assert_eq!(page.items.len(), 3);
    assert_eq!(units(before).read_units, 0.5);
}

pub async fn concurrent_adds_to_one_counter_are_all_counted(table: Arc<dyn Table>) {
    // When 200 tasks each add one to the same counter at once
    let key = Key::new("T#1", "COUNTER");
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let (table, key) = (Arc::clone(&table), key.clone());
            tokio::spawn(async move { table.update(&key, Update::new().add("n", 1), None).await })
        })
        .collect();
    let mut seen = BTreeSet::new();
    for task in tasks {
        let after = task
            .await
            .expect("the task ran")
            .expect("the add succeeded");
        seen.insert(after.i64("n").unwrap());
    }
    // Then none is lost, and each saw a distinct value as the writes were serialised
    assert_eq!(
        get(&*table, "T#1", "COUNTER").await.unwrap().i64("n"),
        Some(200)
    );
    assert_eq!(seen, (1..=200).collect());
}

pub async fn of_concurrent_creates_of_one_key_exactly_one_wins(table: Arc<dyn Table>) {
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let table = Arc::clone(&table);
            tokio::spawn(async move {
                table
                    .put(
                        item("T#1", "ENROLL#x", json!({"by": i})),
                        Some(Cond::NotExists),
                    )
                    .await
            })
        })
        .collect();
    let mut wins = 0;
    for task in tasks {
        match task.await.expect("the task ran") {
            Ok(()) => wins += 1,
            Err(e) => assert_eq!(e, precondition(None)),
        }
    }
    assert_eq!(wins, 1);
}

/// `open` returns a new handle on the same stored data; the previous handle is dropped first.
pub async fn written_data_survives_a_reopen<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Table>>,
{
    // Given writes acknowledged by one handle
    {
        let table = open().await;
        put(&*table, "T#1", "A", json!({"v": 1})).await;
        table
            .update(&Key::new("T#1", "A"), Update::new().add("v", 1), None)
            .await
            .unwrap();
        put(&*table, "T#1", "B", json!({})).await;
        table.delete(&Key::new("T#1", "B"), None).await.unwrap();
        table
            .transact(vec![WriteOp::Put {
                item: item("T#1", "C", json!({"t": true})),
                cond: Some(Cond::NotExists),
            }])
            .await
            .unwrap();
    }
    // When the store is opened again, then every acknowledged write is there
    let table = open().await;
    assert_eq!(get(&*table, "T#1", "A").await.unwrap().i64("v"), Some(2));
    assert_eq!(get(&*table, "T#1", "B").await, None);
    assert_eq!(
        get(&*table, "T#1", "C").await.unwrap().get("t"),
        Some(&json!(true))
    );
}

/// Calls `$m!` with every contract case that takes a fresh table, so each backend's test file
/// runs the same list.
#[macro_export]
macro_rules! table_contract_cases {
    ($m:ident) => {
        $m!(
            a_put_item_reads_back_and_is_gone_once_deleted,
            a_put_replaces_the_whole_item,
            a_put_with_not_exists_fails_when_the_item_is_there,
            a_put_with_exists_fails_when_the_item_is_missing,
            equality_conditions_compare_whole_values,
            numeric_conditions_compare_the_attribute_to_the_number,
            absence_and_combined_conditions_hold_as_documented,
            an_update_applies_every_clause_and_returns_the_new_item,
            an_update_of_a_missing_item_creates_it,
            an_update_guarded_by_exists_does_not_create_a_missing_item,
            a_failed_condition_leaves_the_item_unchanged,
            a_query_returns_only_its_partition_and_prefix,
            a_query_reads_in_ascending_or_descending_sort_key_order,
            paging_through_250_items_seven_at_a_time_yields_each_once_in_order,
            a_transaction_applies_all_its_writes,
            a_transaction_with_one_failing_condition_writes_nothing_and_names_the_op,
            a_transaction_naming_a_key_twice_or_over_100_ops_is_refused,
            an_idle_conditional_update_of_a_small_item_costs_one_write_and_no_read,
            reads_failed_writes_and_transactions_are_billed_like_dynamodb,
            concurrent_adds_to_one_counter_are_all_counted,
            of_concurrent_creates_of_one_key_exactly_one_wins,
        );
    };
}
