//! The fault-injecting ports do what the simulation counts on: an ambiguous write lands yet
//! reports failure, a crash stops every call until the restart, duplicates arrive twice, and a
//! seed decides the same faults every time.

use std::sync::Arc;
use std::time::Duration;

use mdm_core::error::StoreError;
use mdm_core::ports::{Item, Key, ManualClock, Queue, Table};
use mdm_embedded::{QueueConfig, RedbTable};
use mdm_tests::faults::{FaultRates, Faults, FaultyQueue, FaultyTable};
use serde_json::Map;

fn item(n: u32) -> Item {
    Item::new(Key::new("P", format!("S{n}")), Map::new())
}

fn table(faults: Arc<Faults>) -> (FaultyTable, RedbTable) {
    let inner = RedbTable::in_memory().expect("store");
    (
        FaultyTable {
            inner: Arc::new(inner.clone()),
            faults,
        },
        inner,
    )
}

#[tokio::test]
async fn an_ambiguous_write_is_stored_although_the_caller_sees_an_error() {
    let faults = Faults::new(
        1,
        FaultRates {
            ambiguous: 1.0,
            ..FaultRates::none()
        },
    );
    let (faulty, inner) = table(faults.clone());
    let r = faulty.put(item(1), None).await;
    assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
    assert!(inner.get(&item(1).key, true).await.unwrap().is_some());
    assert_eq!(faults.injected().ambiguous_writes, 1);
}

#[tokio::test]
async fn after_a_crash_every_call_fails_until_the_process_is_revived() {
    let faults = Faults::new(2, FaultRates::none());
    let (faulty, _) = table(faults.clone());
    faults.arm_crash(2);
    faulty
        .put(item(1), None)
        .await
        .expect("first write before the crash");
    assert!(
        faulty.put(item(2), None).await.is_err(),
        "the write that crashes"
    );
    assert!(faults.crashed());
    assert!(
        faulty.get(&item(1).key, true).await.is_err(),
        "reads fail too"
    );
    faults.revive();
    assert!(faulty.get(&item(1).key, true).await.unwrap().is_some());
}

#[tokio::test]
async fn a_duplicated_message_is_delivered_twice() {
    let faults = Faults::new(
        3,
        FaultRates {
            duplicate: 1.0,
            ..FaultRates::none()
        },
    );
    let store = RedbTable::in_memory().expect("store");
    let clock = Arc::new(ManualClock::new(1_000));
    let queue = FaultyQueue {
        inner: Arc::new(store.queue("q", QueueConfig::default(), clock)),
        faults,
    };
    queue.send_batch(vec!["wake".into()]).await.expect("send");
    let got = queue
        .receive(10, Duration::from_secs(30), Duration::ZERO)
        .await
        .expect("receive");
    assert_eq!(got.iter().filter(|d| d.body == "wake").count(), 2);
}

#[test]
fn the_same_seed_decides_the_same_faults() {
    let draw = |seed| {
        let f = Faults::new(seed, FaultRates::none());
        (0..64).map(|_| f.chance(0.5)).collect::<Vec<_>>()
    };
    assert_eq!(draw(7), draw(7));
    assert_ne!(draw(7), draw(8));
}
