//! The heavy proofs (the 200-device scenarios, the simulations) share their test binary with
//! the other suites, where they used to have one each. On CI's 2 cores two of them side by side
//! starve each other, and either can slow moto enough to spoil a test that measures SQS's
//! timeouts on the wall clock. So a heavy proof holds this lock's write side for its whole run,
//! and a wall-clock test its read side: neither runs beside a heavy proof, while every other
//! test still does (it only gets slower, and asserts nothing about time).

use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

static LOCK: RwLock<()> = RwLock::const_new(());

/// Held by a heavy proof until it ends.
pub async fn proof() -> RwLockWriteGuard<'static, ()> {
    LOCK.write().await
}

/// The same, for a proof that is not async (one that runs its own runtimes).
pub fn proof_blocking() -> RwLockWriteGuard<'static, ()> {
    LOCK.blocking_write()
}

/// Held by a test whose assertions depend on the wall clock until it ends.
pub async fn wall_clock() -> RwLockReadGuard<'static, ()> {
    LOCK.read().await
}
