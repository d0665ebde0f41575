//! Admin reads of a device: state, last seen and inventory.

use super::views::DeviceView;
use super::{READERS, require_role};
use crate::domain::DeviceId;
use crate::error::Error;
use crate::ports::Principal;
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{DeviceRecord, InventoryRecord, from_item};

pub async fn get(svc: &Services, who: &Principal, device: &DeviceId) -> Result<DeviceView, Error> {
    require_role(who, READERS, "read devices")?;
    let (hot_key, inv_key) = (
        keys::device(&who.tenant, device),
        keys::inventory(&who.tenant, device),
    );
    let (hot, inv) = tokio::try_join!(
        svc.table.get(&hot_key, false),
        svc.table.get(&inv_key, false),
    )?;
    let (Some(hot), Some(inv)) = (hot, inv) else {
        return Err(Error::NotFound("device"));
    };
    let hot: DeviceRecord = from_item(&hot)?;
    let inv: InventoryRecord = from_item(&inv)?;
    Ok(DeviceView::new(device.as_str(), &hot, &inv))
}
