//! The `TokenVerifier` port: turns a tenant user's bearer token into verified claims. The
//! tenant id used by every tenant route comes only from here.

use async_trait::async_trait;

use crate::domain::{Role, TenantId};
use crate::error::Error;

/// Who is calling, as proven by a verified token.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub tenant: TenantId,
    pub subject: String,
    pub role: Role,
}

#[async_trait]
pub trait TokenVerifier: Send + Sync {
    /// Verifies signature, expiry, not-before, issuer and audience, and requires the tenant and
    /// role claims. Any failure is `Error::Unauthenticated` with a reason safe to show.
    async fn verify(&self, bearer: &str) -> Result<Principal, Error>;
}
