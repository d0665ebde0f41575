//! The `IdGen` port: time-ordered ids and secrets, injected so tests are deterministic.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;

/// Ids sort in creation order (so "oldest first" is a sort-key order) and are URL-safe.
pub trait IdGen: Send + Sync {
    fn id(&self, now_ms: i64) -> String;
    /// A URL-safe secret with at least 256 bits of entropy.
    fn secret(&self) -> String;
}

/// ULIDs (monotonic within a millisecond) and OS-random secrets.
#[derive(Default)]
pub struct UlidIds {
    generator: Mutex<ulid::Generator>,
}

impl IdGen for UlidIds {
    fn id(&self, now_ms: i64) -> String {
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(now_ms.max(0) as u64);
        let mut g = self.generator.lock().unwrap_or_else(|p| p.into_inner());
        match g.generate_from_datetime(at) {
            Ok(u) => u.to_string(),
            // Overflow of the random part within one millisecond: fall back to a fresh one.
            Err(_) => ulid::Ulid::from_datetime(at).to_string(),
        }
    }

    fn secret(&self) -> String {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the OS random source is available");
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }
}

/// Sequential ids ("00000000000000000001", ...) and secrets for tests.
#[derive(Debug, Default)]
pub struct SeqIds(AtomicU64);

impl IdGen for SeqIds {
    fn id(&self, _now_ms: i64) -> String {
        format!("{:020}", self.0.fetch_add(1, Ordering::SeqCst) + 1)
    }

    fn secret(&self) -> String {
        format!("secret{:040}", self.0.fetch_add(1, Ordering::SeqCst) + 1)
    }
}
