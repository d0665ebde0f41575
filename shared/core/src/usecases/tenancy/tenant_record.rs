//! Reading a tenant's record: shared by tenant administration, the purge and the
//! push-certificate warnings, kept apart so that none of them imports another to do it.

use crate::domain::TenantId;
use crate::error::Error;
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{TenantRecord, from_item};

/// The tenant's record, if it is registered (`consistent`: a strongly consistent read).
pub(crate) async fn load(
    svc: &Services,
    tenant: &TenantId,
    consistent: bool,
) -> Result<Option<TenantRecord>, Error> {
    Ok(svc
        .table
        .get(&keys::tenant(tenant), consistent)
        .await?
        .map(|i| from_item::<TenantRecord>(&i))
        .transpose()?)
}
