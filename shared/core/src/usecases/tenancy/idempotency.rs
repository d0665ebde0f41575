//! Idempotency-Key: a client retrying a POST with the same key gets the first response back
//! instead of a second effect. One small record per (tenant, key) holds the request's
//! fingerprint, a lease while it runs, and the response once it is done. The routes that accept
//! the header are marked `idempotent` in the route table (`shared/http/src/routes.rs`) and carry
//! the header parameter in the OpenAPI document. Today they are enrolment, enrollment-token
//! creation and revocation, queueing, cancelling and clearing commands, reporting a device lost,
//! unenrol, retire, and creating groups, jobs, policies, catalogue apps, app installs and
//! removals, geofences, and the users' own commands and tokens.
//!
//! - The key is 1–255 printable ASCII characters (else `400 invalid_request`), e.g. a UUID per
//!   logical request.
//! - A retry with the same key, path and body within 24 hours (`RETENTION_SECS`) gets the first
//!   response again, same status and body plus `Idempotency-Replayed: true`, and changes nothing: a
//!   retried enrolment returns the same device id and credential and creates no second device.
//! - The same key with another body or on another route: `422 idempotency_key_reused`.
//! - A retry while the first request still runs: `409 idempotency_key_in_progress` with
//!   `Retry-After`. A request that died holds its key for at most `LEASE_MS` (60 s); then a retry
//!   runs it.
//! - Kept and replayed: successes and the client's own mistakes (`400`, `404`, `413`, `422`…).
//!   Not kept, so the retry runs afresh: `401`, `403`, `409`, `429` and every `5xx`.
//! - Keys are scoped by tenant: the verified JWT's tenant, or for `/v1/enroll` the enrollment
//!   token's tenant. The same key in another tenant is another key: that request simply runs and
//!   never sees the other tenant's response (and an enrolment's replay also needs the exact body,
//!   enrollment token included).
//! - Cost: only requests that carry the header pay for it: 2 write units on first use (claim,
//!   then keep a response under 1 KB), 1 write and 1 read unit per replay (which spends nothing
//!   else); a request whose key is released after a failure pays 2 write units (claim, delete).
//!   `tests/tests/idempotency_embedded.rs` checks these figures on the unit meter.
//!
//! These functions take the `Table` and the time rather than all of `Services`: they are the only
//! ports involved, and it keeps the rules testable on a few lines of in-memory table.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::domain::TenantId;
use crate::domain::time::secs_from_ms;
use crate::error::{Error, StoreError};
use crate::ports::{Cmp, Cond, Key, Table, Update};
use crate::store::keys;
use crate::store::records::{IdempotencyRecord, IdempotencyState, attr, from_item, to_item};

/// How long a running request holds its key; a retry after that may take the key over (the
/// first attempt is presumed dead: Lambda and our own handlers time out well before).
pub const LEASE_MS: i64 = 60_000;

/// How long a key and its response are kept.
pub const RETENTION_SECS: i64 = 24 * 3600;

/// A client's Idempotency-Key, checked: 1 to 255 printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let ok = (1..=255).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Error::Invalid(
                "Idempotency-Key must be 1 to 255 printable ASCII characters".into(),
            ))
        }
    }

    /// The key as stored: hashed, so a long or odd key still makes a short, safe sort key.
    pub fn hash(&self) -> String {
        hex_sha256(&[self.0.as_bytes()])
    }
}

/// What makes two requests "the same": method, path (with its ids) and the exact body bytes.
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    // Method and path never contain a newline, so the separators keep the parts apart.
    hex_sha256(&[method.as_bytes(), b"\n", path.as_bytes(), b"\n", body])
}

fn hex_sha256(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A response kept for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

/// The right to run a request under a key; complete or release it when the request is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    key: Key,
    owner: String,
}

/// What to do with a request that carries a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begun {
    /// First time (or the previous attempt died or failed): run it.
    Run(Claim),
    /// Done before: send this response again.
    Replay(StoredResponse),
}

/// Claims `key` for a request with `fingerprint`, or says why not: a finished request's
/// response to replay, `IdempotencyKeyReused` when the key came with another request,
/// `IdempotencyKeyInProgress` while the first attempt still holds its lease.
/// `owner` must be unique per attempt.
pub async fn begin(
    table: &dyn Table,
    now_ms: i64,
    owner: &str,
    tenant: &TenantId,
    key: &IdempotencyKey,
    fingerprint: &str,
) -> Result<Begun, Error> {
    let item_key = keys::idempotency(tenant, &key.hash());
    let record = IdempotencyRecord {
        fingerprint: fingerprint.to_owned(),
        state: IdempotencyState::Pending,
        owner: owner.to_owned(),
        lease_until: now_ms + LEASE_MS,
        status: None,
        content_type: None,
        body: None,
        ttl: secs_from_ms(now_ms) + RETENTION_SECS,
    };
    let claimable = Cond::Or(vec![
        Cond::NotExists,
        // The store deletes expired items late: an expired record counts as absent.
        Cond::Num(attr::TTL.into(), Cmp::Le, secs_from_ms(now_ms)),
        Cond::And(vec![
            Cond::eq(attr::STATE, "pending"),
            Cond::Num(attr::LEASE_UNTIL.into(), Cmp::Le, now_ms),
            Cond::eq(attr::FINGERPRINT, fingerprint),
        ]),
    ]);
    // A failed claim reads the record to say why; it may vanish or change in between (released,
    // lease passed), then claiming again settles it.
    for _ in 0..3 {
        match table
            .put(to_item(item_key.clone(), &record), Some(claimable.clone()))
            .await
        {
            Ok(()) => {
                return Ok(Begun::Run(Claim {
                    key: item_key,
                    owner: owner.to_owned(),
                }));
            }
            Err(StoreError::Precondition { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let Some(item) = table.get(&item_key, true).await? else {
            continue;
        };
        let existing: IdempotencyRecord = from_item(&item)?;
        if existing.ttl <= secs_from_ms(now_ms) {
            continue;
        }
        if existing.fingerprint != fingerprint {
            return Err(Error::IdempotencyKeyReused);
        }
        match existing.state {
            IdempotencyState::Complete => {
                return Ok(Begun::Replay(StoredResponse {
                    status: existing.status.unwrap_or(200),
                    content_type: existing
                        .content_type
                        .unwrap_or_else(|| "application/json".into()),
                    body: existing.body.unwrap_or_default(),
                }));
            }
            IdempotencyState::Pending if existing.lease_until > now_ms => {
                let wait_ms = existing.lease_until - now_ms;
                return Err(Error::IdempotencyKeyInProgress {
                    retry_after_secs: (wait_ms as u64).div_ceil(1000).max(1),
                });
            }
            IdempotencyState::Pending => continue,
        }
    }
    Err(Error::IdempotencyKeyInProgress {
        retry_after_secs: 1,
    })
}

/// Keeps the response of a claimed request for its retries.
pub async fn complete(
    table: &dyn Table,
    claim: &Claim,
    response: &StoredResponse,
) -> Result<(), Error> {
    let update = Update::new()
        .set(attr::STATE, "complete")
        .set(attr::STATUS, Value::from(response.status))
        .set(attr::CONTENT_TYPE, response.content_type.as_str())
        .set(attr::BODY, response.body.as_str());
    match table
        .update(&claim.key, update, Some(still_ours(claim)))
        .await
    {
        Ok(_) => Ok(()),
        // Our lease passed and a retry took the key over: its response is the one to keep.
        Err(StoreError::Precondition { .. }) => {
            tracing::warn!(owner = %claim.owner, "idempotency lease lost before completion");
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// Gives the key back after a failure worth retrying, so the client's retry runs afresh.
pub async fn release(table: &dyn Table, claim: &Claim) -> Result<(), Error> {
    match table.delete(&claim.key, Some(still_ours(claim))).await {
        Ok(()) | Err(StoreError::Precondition { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn still_ours(claim: &Claim) -> Cond {
    Cond::And(vec![
        Cond::eq(attr::OWNER, claim.owner.as_str()),
        Cond::eq(attr::STATE, "pending"),
    ])
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::*;
    use crate::domain::time::ms_from_secs;
    use crate::ports::{Item, Page, Query, WriteOp};
    use crate::units::UnitsSnapshot;

    /// Enough of a table for these rules: conditions and updates use the port's own semantics.
    #[derive(Default)]
    struct MemTable(Mutex<BTreeMap<Key, Item>>);

    #[async_trait]
    impl Table for MemTable {
        async fn get(&self, key: &Key, _: bool) -> Result<Option<Item>, StoreError> {
            Ok(self.0.lock().unwrap().get(key).cloned())
        }
        async fn put(&self, item: Item, cond: Option<Cond>) -> Result<(), StoreError> {
            let mut m = self.0.lock().unwrap();
            if cond.is_some_and(|c| !c.holds(m.get(&item.key))) {
                return Err(StoreError::Precondition { index: None });
            }
            m.insert(item.key.clone(), item);
            Ok(())
        }
        async fn update(
            &self,
            key: &Key,
            update: Update,
            cond: Option<Cond>,
        ) -> Result<Item, StoreError> {
            let mut m = self.0.lock().unwrap();
            if cond.is_some_and(|c| !c.holds(m.get(key))) {
                return Err(StoreError::Precondition { index: None });
            }
            let item = m
                .entry(key.clone())
                .or_insert_with(|| Item::new(key.clone(), Default::default()));
            update.apply(&mut item.attrs);
            Ok(item.clone())
        }
        async fn delete(&self, key: &Key, cond: Option<Cond>) -> Result<(), StoreError> {
            let mut m = self.0.lock().unwrap();
            if cond.is_some_and(|c| !c.holds(m.get(key))) {
                return Err(StoreError::Precondition { index: None });
            }
            m.remove(key);
            Ok(())
        }
        async fn query(&self, _: Query) -> Result<Page, StoreError> {
            Err(StoreError::Invalid("not used here".into()))
        }
        async fn transact(&self, _: Vec<WriteOp>) -> Result<(), StoreError> {
            Err(StoreError::Invalid("not used here".into()))
        }
        fn units(&self) -> UnitsSnapshot {
            UnitsSnapshot::default()
        }
    }

    const T0: i64 = 1_800_000_000_000;

    fn acme() -> TenantId {
        TenantId::parse("acme").unwrap()
    }

    fn key(k: &str) -> IdempotencyKey {
        IdempotencyKey::parse(k).unwrap()
    }

    fn created() -> StoredResponse {
        StoredResponse {
            status: 201,
            content_type: "application/json".into(),
            body: r#"{"id":"c1"}"#.into(),
        }
    }

    fn claim(b: Begun) -> Claim {
        match b {
            Begun::Run(c) => c,
            other => panic!("expected to run, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_retry_after_completion_replays_the_stored_response() {
        let t = MemTable::default();
        let fp = fingerprint("POST", "/v1/x", b"{}");
        let c = claim(begin(&t, T0, "a", &acme(), &key("k1"), &fp).await.unwrap());
        complete(&t, &c, &created()).await.unwrap();

        let again = begin(&t, T0 + 5_000, "b", &acme(), &key("k1"), &fp).await;
        assert_eq!(again, Ok(Begun::Replay(created())));
    }

    #[tokio::test]
    async fn the_same_key_with_another_body_or_path_is_refused_as_reused() {
        let t = MemTable::default();
        let fp = fingerprint("POST", "/v1/x", b"{}");
        let c = claim(begin(&t, T0, "a", &acme(), &key("k1"), &fp).await.unwrap());
        complete(&t, &c, &created()).await.unwrap();

        for other in [
            fingerprint("POST", "/v1/x", b"{\"a\":1}"),
            fingerprint("POST", "/v1/y", b"{}"),
        ] {
            let r = begin(&t, T0 + 1, "b", &acme(), &key("k1"), &other).await;
            assert_eq!(r, Err(Error::IdempotencyKeyReused));
        }
    }

    #[tokio::test]
    async fn a_retry_while_the_first_runs_is_told_when_to_come_back() {
        let t = MemTable::default();
        let fp = fingerprint("POST", "/v1/x", b"{}");
        claim(begin(&t, T0, "a", &acme(), &key("k1"), &fp).await.unwrap());

        let r = begin(&t, T0 + 20_500, "b", &acme(), &key("k1"), &fp).await;
        assert_eq!(
            r,
            Err(Error::IdempotencyKeyInProgress {
                retry_after_secs: 40
            })
        );
    }

    #[tokio::test]
    async fn a_retry_after_the_lease_passed_takes_over_and_the_late_first_cannot_overwrite_it() {
        let t = MemTable::default();
        let fp = fingerprint("POST", "/v1/x", b"{}");
        let first = claim(begin(&t, T0, "a", &acme(), &key("k1"), &fp).await.unwrap());
        let second = claim(
            begin(&t, T0 + LEASE_MS, "b", &acme(), &key("k1"), &fp)
                .await
                .unwrap(),
        );
        complete(&t, &second, &created()).await.unwrap();
        let late = StoredResponse {
            body: "late".into(),
            ..created()
        };
        complete(&t, &first, &late).await.unwrap();
        release(&t, &first).await.unwrap();

        let r = begin(&t, T0 + LEASE_MS + 1, "c", &acme(), &key("k1"), &fp).await;
        assert_eq!(r, Ok(Begun::Replay(created())));
    }

    #[tokio::test]
    async fn a_released_key_lets_the_retry_run_again() {
        let t = MemTable::default();
        let fp = fingerprint("POST", "/v1/x", b"{}");
        let c = claim(begin(&t, T0, "a", &acme(), &key("k1"), &fp).await.unwrap());
        release(&t, &c).await.unwrap();

        let r = begin(&t, T0 + 1, "b", &acme(), &key("k1"), &fp)
            .await
            .unwrap();
        assert!(matches!(r, Begun::Run(_)), "{r:?}");
    }

    #[tokio::test]
    async fn the_same_key_in_another_tenant_is_another_record() {
        let t = MemTable::default();
        let fp = fingerprint("POST", "/v1/x", b"{}");
        let c = claim(begin(&t, T0, "a", &acme(), &key("k1"), &fp).await.unwrap());
        complete(&t, &c, &created()).await.unwrap();

        let globex = TenantId::parse("globex").unwrap();
        let r = begin(&t, T0 + 1, "b", &globex, &key("k1"), &fp)
            .await
            .unwrap();
        assert!(matches!(r, Begun::Run(_)), "{r:?}");
    }

    #[tokio::test]
    async fn a_key_is_forgotten_a_day_after_its_first_use() {
        let t = MemTable::default();
        let fp = fingerprint("POST", "/v1/x", b"{}");
        let c = claim(begin(&t, T0, "a", &acme(), &key("k1"), &fp).await.unwrap());
        complete(&t, &c, &created()).await.unwrap();

        let other = fingerprint("POST", "/v1/x", b"{\"new\":true}");
        let later = T0 + ms_from_secs(RETENTION_SECS);
        let r = begin(&t, later, "b", &acme(), &key("k1"), &other)
            .await
            .unwrap();
        assert!(matches!(r, Begun::Run(_)), "{r:?}");
    }

    #[test]
    fn keys_are_1_to_255_printable_ascii_characters() {
        for good in [
            "a",
            "550e8400-e29b-41d4-a716-446655440000",
            &"k".repeat(255),
            "a b",
        ] {
            assert!(IdempotencyKey::parse(good).is_ok(), "{good}");
        }
        for bad in ["", &"k".repeat(256), "tab\there", "é", "nl\n"] {
            assert!(
                matches!(IdempotencyKey::parse(bad), Err(Error::Invalid(_))),
                "{bad:?}"
            );
        }
    }
}
