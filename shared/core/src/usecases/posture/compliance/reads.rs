//! What a compliance evaluation reads besides the device item and its state, each only when
//! the rules need it: the stored inventory (when the rules changed which apps matter), the SIM
//! the device enrolled with (under `sim_unchanged`), and the geofences a fix is judged against.

use super::Input;
use super::plan::{EnrolledSim, Reads};
use crate::domain::compliance::Whereabouts;
use crate::domain::geofence::Containment;
use crate::domain::{DeviceId, GeofenceId, Location, TenantId};
use crate::error::Error;
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{ComplianceRecord, DirectoryRecord, InventoryRecord, from_item};

/// The reads `state` (the stored state with the caller's rules in) and the caller's input call
/// for, in this order: the inventory, the directory entry, the geofences.
pub(super) async fn read(
    svc: &Services,
    t: &TenantId,
    d: &DeviceId,
    input: &Input<'_>,
    state: &ComplianceRecord,
) -> Result<Reads, Error> {
    let mut reads = Reads::default();
    let rules = state.rules.as_ref();
    let names_apps = rules.is_some_and(|r| !r.named_apps().is_empty());
    if input.inventory.is_none()
        && names_apps
        && state.apps_for != state.rules_version
        && let Some(item) = svc.table.get(&keys::inventory(t, d), false).await?
    {
        let inv: InventoryRecord = from_item(&item)?;
        reads.stored_report = inv.reported;
    }
    if rules.is_some_and(|r| r.sim_unchanged.is_some())
        && state.facts.enrolled_imsi.is_none()
        && let Some(item) = svc.table.get(&keys::directory(t, d), true).await?
    {
        let entry: DirectoryRecord = from_item(&item)?;
        reads.enrolment = Some(EnrolledSim {
            enrolled_imsi: entry.enrolled_imsi,
            imsi: entry.imsi,
        });
    }
    if let (Some(rule), Some(fix)) = (
        rules.and_then(|r| r.inside_geofence.as_ref()),
        &input.location,
    ) {
        reads.whereabouts = whereabouts(svc, t, &rule.geofences, fix).await?;
    }
    Ok(reads)
}

/// Where a fix puts the device with respect to its geofences: inside one of them, or surely
/// outside all of them. None when the fix cannot tell (its accuracy straddles a boundary) or
/// none of the geofences exists any more: the last known whereabouts stand.
async fn whereabouts(
    svc: &Services,
    t: &TenantId,
    named: &[String],
    fix: &Location,
) -> Result<Option<Whereabouts>, Error> {
    let ids: Vec<GeofenceId> = named
        .iter()
        .filter_map(|g| GeofenceId::parse(g).ok())
        .collect();
    let shapes = crate::usecases::policy::geofences::load_many(svc, t, &ids).await?;
    let seen: Vec<Containment> = shapes
        .iter()
        .map(|(_, shape)| shape.contains(fix.latitude, fix.longitude, fix.accuracy_m))
        .collect();
    Ok(if seen.contains(&Containment::Inside) {
        Some(Whereabouts::Inside)
    } else if !seen.is_empty() && seen.iter().all(|c| *c == Containment::Outside) {
        Some(Whereabouts::Outside)
    } else {
        None
    })
}
