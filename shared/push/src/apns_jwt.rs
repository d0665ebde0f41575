//! Apple's provider token for token-based APNs auth, signed once and reused: Apple refuses a
//! token older than an hour and answers TooManyProviderTokenUpdates to one renewed more often
//! than every 20 minutes, so it is renewed after 50.

use std::sync::{Arc, Mutex, PoisonError};

use jsonwebtoken::EncodingKey;
use mdm_ports::Clock;
use mdm_ports::error::PushError;

use crate::jwt;

pub(crate) const REUSE_MS: i64 = 50 * 60 * 1000;

pub(crate) struct ProviderTokens {
    clock: Arc<dyn Clock>,
    key: EncodingKey,
    key_id: String,
    team_id: String,
    /// The token and when it was signed.
    cached: Mutex<Option<(String, i64)>>,
}

impl ProviderTokens {
    pub(crate) fn new(
        clock: Arc<dyn Clock>,
        key: EncodingKey,
        key_id: String,
        team_id: String,
    ) -> Self {
        Self {
            clock,
            key,
            key_id,
            team_id,
            cached: Mutex::new(None),
        }
    }

    pub(crate) fn get(&self) -> Result<String, PushError> {
        let now_ms = self.clock.now_ms();
        let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((token, signed_ms)) = cached.as_ref()
            && now_ms - signed_ms < REUSE_MS
        {
            return Ok(token.clone());
        }
        let token = self.sign(now_ms)?;
        *cached = Some((token.clone(), now_ms));
        Ok(token)
    }

    /// A token other than `rejected`, which APNs called expired or invalid; another wake may
    /// have replaced it already.
    pub(crate) fn replace(&self, rejected: &str) -> Result<String, PushError> {
        let now_ms = self.clock.now_ms();
        let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((token, _)) = cached.as_ref()
            && token != rejected
        {
            return Ok(token.clone());
        }
        let token = self.sign(now_ms)?;
        *cached = Some((token.clone(), now_ms));
        Ok(token)
    }

    fn sign(&self, now_ms: i64) -> Result<String, PushError> {
        jwt::apple_provider_token(
            &self.key,
            &self.key_id,
            &self.team_id,
            now_ms.div_euclid(1000),
        )
        .map_err(PushError::Rejected)
    }
}
