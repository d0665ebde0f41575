//! Fault-injecting wrappers for the Table, Queue and Pusher ports: errors, throttling, latency,
//! ambiguous writes (applied, yet reported as failed), duplicate and reordered deliveries,
//! visibility lapsing mid-work, push outages and a process crash. Every decision comes from one
//! seeded generator, so a run is replayed exactly by its seed.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use mdm_core::error::{PushError, QueueError, StoreError};
use mdm_core::ports::{
    Cond, DeadLetter, Delivery, Item, Key, Page, PushReceipt, PushTarget, Pusher, Query, Queue,
    Table, Update, WriteOp,
};
use mdm_core::units::UnitsSnapshot;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// How often each fault happens, as probabilities per call.
#[derive(Debug, Clone, Default)]
pub struct FaultRates {
    /// A call fails before doing anything (store or queue unavailable).
    pub error: f64,
    /// A call is refused as throttled before doing anything.
    pub throttle: f64,
    /// A write is applied but the caller sees an error (a lost response).
    pub ambiguous: f64,
    /// A sent message is enqueued twice (SQS is at-least-once).
    pub duplicate: f64,
    /// A received batch comes back shuffled.
    pub reorder: f64,
    /// A received message becomes visible again at once, as if handling outlived its
    /// visibility timeout: it is delivered again and the first receipt goes stale.
    pub visibility_lapse: f64,
    /// A push fails as the provider's outage.
    pub push_outage: f64,
    /// Added before every call (zero in deterministic runs: it would only slow them).
    pub latency: Duration,
}

impl FaultRates {
    /// No faults at all.
    pub fn none() -> Self {
        Self::default()
    }

    /// Enough of everything that a few hundred operations meet every kind of fault.
    pub fn harsh() -> Self {
        Self {
            error: 0.03,
            throttle: 0.02,
            ambiguous: 0.03,
            duplicate: 0.1,
            reorder: 0.3,
            visibility_lapse: 0.1,
            push_outage: 0.15,
            latency: Duration::ZERO,
        }
    }
}

/// How many faults of each kind were injected, to show a run really met them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Injected {
    pub errors: u64,
    pub throttles: u64,
    pub ambiguous_writes: u64,
    pub duplicates: u64,
    pub reorders: u64,
    pub visibility_lapses: u64,
    pub push_outages: u64,
    pub crashes: u64,
}

struct State {
    rng: StdRng,
    rates: FaultRates,
    /// Writes left before the process "dies"; the write that reaches zero may or may not land.
    crash_in: Option<u64>,
    crashed: bool,
    injected: Injected,
}

/// The shared source of faults for one run. Ports wrapped with the same `Faults` crash together.
pub struct Faults {
    state: Mutex<State>,
}

/// What happens to one call.
enum Fate {
    Proceed,
    Fail(Failure),
    /// Do the write, then report `Failure` anyway.
    ApplyThenFail(Failure),
}

#[derive(Clone, Copy)]
enum Failure {
    Unavailable,
    Throttled,
    Crashed,
}

impl Failure {
    fn store(self) -> StoreError {
        match self {
            Failure::Throttled => StoreError::Throttled,
            Failure::Unavailable => StoreError::Unavailable("injected fault".into()),
            Failure::Crashed => StoreError::Unavailable("the process crashed".into()),
        }
    }

    fn queue(self) -> QueueError {
        match self {
            Failure::Throttled => QueueError::Throttled,
            Failure::Unavailable => QueueError::Unavailable("injected fault".into()),
            Failure::Crashed => QueueError::Unavailable("the process crashed".into()),
        }
    }
}

impl Faults {
    pub fn new(seed: u64, rates: FaultRates) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State {
                rng: StdRng::seed_from_u64(seed),
                rates,
                crash_in: None,
                crashed: false,
                injected: Injected::default(),
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_rates(&self, rates: FaultRates) {
        self.lock().rates = rates;
    }

    /// The process dies during the `after_writes`-th write from now (1 = the next one).
    pub fn arm_crash(&self, after_writes: u64) {
        self.lock().crash_in = Some(after_writes.max(1));
    }

    /// Whether the process has died; every call fails until `revive`.
    pub fn crashed(&self) -> bool {
        self.lock().crashed
    }

    /// A new process starts (on the same durable store).
    pub fn revive(&self) {
        let mut s = self.lock();
        s.crashed = false;
        s.crash_in = None;
    }

    pub fn injected(&self) -> Injected {
        self.lock().injected
    }

    /// A decision with probability `p`, drawn from the run's generator.
    pub fn chance(&self, p: f64) -> bool {
        p > 0.0 && self.lock().rng.gen_bool(p.min(1.0))
    }

    fn latency(&self) -> Duration {
        self.lock().rates.latency
    }

    async fn delay(&self) {
        let d = self.latency();
        if !d.is_zero() {
            tokio::time::sleep(d).await;
        }
    }

    /// A read, receive or push: it can fail but has no effect to half-apply.
    fn read_fate(&self) -> Option<Failure> {
        let mut s = self.lock();
        if s.crashed {
            return Some(Failure::Crashed);
        }
        let (error, throttle) = (s.rates.error, s.rates.throttle);
        if s.rng.gen_bool(error) {
            s.injected.errors += 1;
            Some(Failure::Unavailable)
        } else if s.rng.gen_bool(throttle) {
            s.injected.throttles += 1;
            Some(Failure::Throttled)
        } else {
            None
        }
    }

    fn write_fate(&self) -> Fate {
        let mut s = self.lock();
        if s.crashed {
            return Fate::Fail(Failure::Crashed);
        }
        if let Some(left) = s.crash_in {
            if left <= 1 {
                s.crash_in = None;
                s.crashed = true;
                s.injected.crashes += 1;
                // Dying mid-write: the write may have reached the disk or not.
                return if s.rng.gen_bool(0.5) {
                    Fate::ApplyThenFail(Failure::Crashed)
                } else {
                    Fate::Fail(Failure::Crashed)
                };
            }
            s.crash_in = Some(left - 1);
        }
        let (error, throttle, ambiguous) = (s.rates.error, s.rates.throttle, s.rates.ambiguous);
        if s.rng.gen_bool(error) {
            s.injected.errors += 1;
            Fate::Fail(Failure::Unavailable)
        } else if s.rng.gen_bool(throttle) {
            s.injected.throttles += 1;
            Fate::Fail(Failure::Throttled)
        } else if s.rng.gen_bool(ambiguous) {
            s.injected.ambiguous_writes += 1;
            Fate::ApplyThenFail(Failure::Unavailable)
        } else {
            Fate::Proceed
        }
    }

    fn count(&self, f: impl FnOnce(&mut Injected)) {
        f(&mut self.lock().injected);
    }
}

/// Runs a write under its fate. A failed condition is the store's real answer and is returned
/// as is, even when the fate was to fail afterwards.
async fn write<T, Fut>(
    faults: &Faults,
    op: Fut,
    fail: fn(Failure) -> StoreError,
) -> Result<T, StoreError>
where
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    faults.delay().await;
    match faults.write_fate() {
        Fate::Proceed => op.await,
        Fate::Fail(f) => Err(fail(f)),
        Fate::ApplyThenFail(f) => match op.await {
            Ok(_) => Err(fail(f)),
            Err(e) => Err(e),
        },
    }
}

/// A `Table` with faults.
pub struct FaultyTable {
    pub inner: Arc<dyn Table>,
    pub faults: Arc<Faults>,
}

impl FaultyTable {
    async fn read_gate(&self) -> Result<(), StoreError> {
        self.faults.delay().await;
        match self.faults.read_fate() {
            Some(f) => Err(f.store()),
            None => Ok(()),
        }
    }
}

#[async_trait]
impl Table for FaultyTable {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
        self.read_gate().await?;
        self.inner.get(key, consistent).await
    }

    async fn put(&self, item: Item, cond: Option<Cond>) -> Result<(), StoreError> {
        write(&self.faults, self.inner.put(item, cond), Failure::store).await
    }

    async fn update(
        &self,
        key: &Key,
        update: Update,
        cond: Option<Cond>,
    ) -> Result<Item, StoreError> {
        write(
            &self.faults,
            self.inner.update(key, update, cond),
            Failure::store,
        )
        .await
    }

    async fn delete(&self, key: &Key, cond: Option<Cond>) -> Result<(), StoreError> {
        write(&self.faults, self.inner.delete(key, cond), Failure::store).await
    }

    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        self.read_gate().await?;
        self.inner.query(query).await
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        write(&self.faults, self.inner.transact(ops), Failure::store).await
    }

    fn units(&self) -> UnitsSnapshot {
        self.inner.units()
    }
}

/// A `Queue` with faults. Its writes (send, ack, release) count towards a crash like the
/// table's: both live in the same process.
pub struct FaultyQueue {
    pub inner: Arc<dyn Queue>,
    pub faults: Arc<Faults>,
}

impl FaultyQueue {
    async fn gate(&self) -> Result<Fate, QueueError> {
        self.faults.delay().await;
        match self.faults.write_fate() {
            Fate::Fail(f) => Err(f.queue()),
            fate => Ok(fate),
        }
    }
}

fn settle<T>(fate: Fate, result: Result<T, QueueError>) -> Result<T, QueueError> {
    match (fate, result) {
        (Fate::ApplyThenFail(f), Ok(_)) => Err(f.queue()),
        (_, r) => r,
    }
}

#[async_trait]
impl Queue for FaultyQueue {
    async fn send_batch(&self, bodies: Vec<String>) -> Result<(), QueueError> {
        let fate = self.gate().await?;
        let duplicate = self.faults.lock().rates.duplicate;
        let mut sent = Vec::with_capacity(bodies.len());
        for body in bodies {
            if self.faults.chance(duplicate) {
                self.faults.count(|i| i.duplicates += 1);
                sent.push(body.clone());
            }
            sent.push(body);
        }
        let mut result = Ok(());
        for chunk in sent.chunks(mdm_core::ports::queue::MAX_BATCH) {
            result = result.and(self.inner.send_batch(chunk.to_vec()).await);
        }
        settle(fate, result)
    }

    async fn receive(
        &self,
        max: usize,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Vec<Delivery>, QueueError> {
        self.faults.delay().await;
        if let Some(f) = self.faults.read_fate() {
            return Err(f.queue());
        }
        let mut batch = self.inner.receive(max, visibility, wait).await?;
        let (reorder, lapse) = {
            let s = self.faults.lock();
            (s.rates.reorder, s.rates.visibility_lapse)
        };
        if batch.len() > 1 && self.faults.chance(reorder) {
            self.faults.count(|i| i.reorders += 1);
            let mut s = self.faults.lock();
            batch.shuffle(&mut s.rng);
        }
        for d in &batch {
            if self.faults.chance(lapse) {
                self.faults.count(|i| i.visibility_lapses += 1);
                // The delivery the caller holds goes stale: its ack will fail and the message
                // comes round again while (or after) the caller works on it.
                self.inner.release(&d.receipt, Duration::ZERO).await?;
            }
        }
        Ok(batch)
    }

    async fn send_delayed(&self, body: String, delay: Duration) -> Result<(), QueueError> {
        let fate = self.gate().await?;
        settle(fate, self.inner.send_delayed(body, delay).await)
    }

    async fn ack(&self, receipt: &str) -> Result<(), QueueError> {
        let fate = self.gate().await?;
        settle(fate, self.inner.ack(receipt).await)
    }

    async fn release(&self, receipt: &str, delay: Duration) -> Result<(), QueueError> {
        let fate = self.gate().await?;
        settle(fate, self.inner.release(receipt, delay).await)
    }

    async fn dead_letters(&self, max: usize) -> Result<Vec<DeadLetter>, QueueError> {
        self.inner.dead_letters(max).await
    }
}

/// A `Pusher` whose provider has outages.
pub struct FaultyPusher {
    pub inner: Arc<dyn Pusher>,
    pub faults: Arc<Faults>,
}

#[async_trait]
impl Pusher for FaultyPusher {
    async fn wake(&self, target: &PushTarget) -> Result<PushReceipt, PushError> {
        self.faults.delay().await;
        let outage = self.faults.crashed() || {
            let p = self.faults.lock().rates.push_outage;
            self.faults.chance(p)
        };
        if outage {
            self.faults.count(|i| i.push_outages += 1);
            return Err(PushError::Retryable {
                reason: "injected provider outage".into(),
                retry_after_secs: Some(1),
            });
        }
        self.inner.wake(target).await
    }
}
