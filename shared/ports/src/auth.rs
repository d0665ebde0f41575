//! The `TokenVerifier` port: turns a bearer token into a verified identity, either a tenant
//! user or the platform operator. The tenant id used by every tenant route comes only from here.

use async_trait::async_trait;

use crate::error::Error;
use crate::ids::{Role, TenantId};

/// Who is calling a tenant route, as proven by a verified token.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub tenant: TenantId,
    pub subject: String,
    pub role: Role,
}

/// The platform operator: manages tenants, belongs to none, and can read no tenant's data.
#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    pub subject: String,
}

/// The audit log's role name for the platform operator's actions.
pub const PLATFORM_OPERATOR: &str = "platform_operator";

/// What a verified token proves. The two kinds never convert into each other, so a route that
/// asks for one cannot be reached with the other.
#[derive(Debug, Clone, PartialEq)]
pub enum Identity {
    Tenant(Principal),
    Platform(Operator),
}

#[async_trait]
pub trait TokenVerifier: Send + Sync {
    /// Verifies signature, expiry, not-before, issuer and audience, and requires the role claim
    /// (and the tenant claim for tenant roles, none for the platform operator). Any failure is
    /// `Error::Unauthenticated` with a reason safe to show.
    async fn identify(&self, bearer: &str) -> Result<Identity, Error>;

    /// A tenant user, for tenant routes: a platform operator's valid token is forbidden.
    async fn verify(&self, bearer: &str) -> Result<Principal, Error> {
        match self.identify(bearer).await? {
            Identity::Tenant(p) => Ok(p),
            Identity::Platform(_) => Err(Error::Forbidden(
                "call tenant routes (a platform operator manages tenants only)".into(),
            )),
        }
    }

    /// The platform operator, for platform routes: a tenant user's valid token is forbidden.
    async fn verify_platform(&self, bearer: &str) -> Result<Operator, Error> {
        match self.identify(bearer).await? {
            Identity::Platform(o) => Ok(o),
            Identity::Tenant(_) => Err(Error::Forbidden("manage tenants".into())),
        }
    }
}
