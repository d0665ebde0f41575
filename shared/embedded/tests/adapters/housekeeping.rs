//! What the embedded backend offers beyond the port contracts: TTL purging, and a table and
//! its queues sharing one file.

use std::sync::Arc;
use std::time::Duration;

use mdm_embedded::{QueueConfig, RedbTable};
use mdm_ports::table::{Item, TTL_ATTR};
use mdm_ports::{Clock, Key, ManualClock, Queue, Table};
use serde_json::{Map, json};

fn item(sk: &str, attrs: serde_json::Value) -> Item {
    let attrs: Map<_, _> = attrs.as_object().cloned().unwrap();
    Item::new(Key::new("T#1", sk), attrs)
}

#[tokio::test]
async fn purging_deletes_only_items_whose_ttl_has_passed() {
    // Given items expiring before, at and after now, and one without a TTL
    let table = RedbTable::in_memory().unwrap();
    for (sk, ttl) in [
        ("old", json!(99)),
        ("now", json!(100)),
        ("later", json!(101)),
        ("text", json!("99")),
    ] {
        table
            .put(item(sk, json!({ TTL_ATTR: ttl })), None)
            .await
            .unwrap();
    }
    table.put(item("forever", json!({})), None).await.unwrap();
    // Expired items may still be read until purged: readers check the TTL themselves
    assert!(
        table
            .get(&Key::new("T#1", "old"), false)
            .await
            .unwrap()
            .is_some()
    );
    // When expired items are purged at t = 100 s
    assert_eq!(table.purge_expired(100).await.unwrap(), 1);
    // Then only the one whose TTL is in the past is gone
    assert!(
        table
            .get(&Key::new("T#1", "old"), false)
            .await
            .unwrap()
            .is_none()
    );
    for sk in ["now", "later", "text", "forever"] {
        assert!(
            table
                .get(&Key::new("T#1", sk), false)
                .await
                .unwrap()
                .is_some(),
            "{sk}"
        );
    }
    assert_eq!(table.purge_expired(100).await.unwrap(), 0);
}

#[tokio::test]
async fn queues_in_one_file_are_separate_and_survive_with_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mdm.redb");
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(0));
    {
        let table = RedbTable::open(&path).unwrap();
        let (a, b) = (
            table.queue("a", QueueConfig::default(), Arc::clone(&clock)),
            table.queue("b", QueueConfig::default(), Arc::clone(&clock)),
        );
        a.send_batch(vec!["for a".into()]).await.unwrap();
        b.send_batch(vec!["for b".into()]).await.unwrap();
        table.put(item("x", json!({"v": 1})), None).await.unwrap();
        let got = a
            .receive(10, Duration::from_secs(30), Duration::ZERO)
            .await
            .unwrap();
        assert_eq!(
            got.iter().map(|d| d.body.as_str()).collect::<Vec<_>>(),
            ["for a"]
        );
        a.ack(&got[0].receipt).await.unwrap();
        // A receipt from one queue means nothing to another
        assert!(b.ack(&got[0].receipt).await.is_err());
    }
    let table = RedbTable::open(&path).unwrap();
    let b = table.queue("b", QueueConfig::default(), Arc::clone(&clock));
    let got = b
        .receive(10, Duration::from_secs(30), Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(
        got.iter().map(|d| d.body.as_str()).collect::<Vec<_>>(),
        ["for b"]
    );
    let a = table.queue("a", QueueConfig::default(), clock);
    assert!(
        a.receive(10, Duration::from_secs(30), Duration::ZERO)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        table
            .get(&Key::new("T#1", "x"), true)
            .await
            .unwrap()
            .is_some()
    );
}
