//! Interleavings made deterministic: a table wrapper lets a competing writer win at the exact
//! moment a use case writes, and the use case must still do the right thing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use mdm_app::{App, AppConfig};
use mdm_core::domain::{DeviceCredential, EnrollRequest, Role, TenantId};
use mdm_core::error::StoreError;
use mdm_core::ports::{Cond, Item, Key, Page, Principal, Query, Table, Update, WriteOp};
use mdm_core::units::UnitsSnapshot;
use mdm_core::usecases::{device::enrollment, device::fetch, fleet::commands};
use mdm_tests::stack::TEST_SECRET;
use serde_json::json;

/// Before the first update that expects an open command to be `queued`, another actor (the
/// push consumer) moves it to `push_sent`.
struct PushWinsTheRace {
    inner: Arc<dyn Table>,
    fired: AtomicBool,
}

#[async_trait]
impl Table for PushWinsTheRace {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
        self.inner.get(key, consistent).await
    }
    async fn put(&self, item: Item, cond: Option<Cond>) -> Result<(), StoreError> {
        self.inner.put(item, cond).await
    }
    async fn update(
        &self,
        key: &Key,
        update: Update,
        cond: Option<Cond>,
    ) -> Result<Item, StoreError> {
        let expects_queued = cond == Some(Cond::eq("status", "queued"));
        if expects_queued && key.sk.starts_with("D#C#") && !self.fired.swap(true, Ordering::SeqCst)
        {
            self.inner
                .update(
                    key,
                    Update::new()
                        .set("status", "push_sent")
                        .set("push_message_id", "raced"),
                    None,
                )
                .await?;
        }
        self.inner.update(key, update, cond).await
    }
    async fn delete(&self, key: &Key, cond: Option<Cond>) -> Result<(), StoreError> {
        self.inner.delete(key, cond).await
    }
    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        self.inner.query(query).await
    }
    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        self.inner.transact(ops).await
    }
    fn units(&self) -> UnitsSnapshot {
        self.inner.units()
    }
}

#[tokio::test]
async fn a_pull_still_serves_a_command_whose_push_is_recorded_at_the_same_moment() {
    let app = App::build(&AppConfig::for_tests(TEST_SECRET)).expect("app");
    let mut svc = (*app.services).clone();
    svc.table = Arc::new(PushWinsTheRace {
        inner: app.services.table.clone(),
        fired: AtomicBool::new(false),
    });
    let admin = Principal {
        tenant: TenantId::parse("acme").unwrap(),
        subject: "admin@acme".into(),
        role: Role::Admin,
    };

    let token = enrollment::create_token(&svc, &admin, Default::default())
        .await
        .unwrap()
        .token;
    let body = mdm_devtools::agent::SimDevice::enrollment_body(1, &token, "android", "sink:1");
    let enrolled = enrollment::enroll(&svc, serde_json::from_value::<EnrollRequest>(body).unwrap())
        .await
        .unwrap();
    let cred = DeviceCredential::parse(&enrolled.device_credential).unwrap();
    let req = serde_json::from_value(json!({"command": {"type": "lock"}})).unwrap();
    let queued = commands::queue(&svc, &admin, &cred.device, req)
        .await
        .unwrap();

    let pulled = fetch::pending(&svc, &cred).await.unwrap();
    assert_eq!(
        pulled.len(),
        1,
        "the command is served despite losing the first write"
    );
    assert_eq!(pulled[0].id, queued.id);
}
