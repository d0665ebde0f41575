//! Admin command operations: queue a command for a device (and hand the wake-up to the queue),
//! read one with its history, list a device's commands, cancel an open one or all of them. The
//! lifecycle the commands then follow is in `lifecycle`.
//!
//! Queueing (`POST /v1/devices/{id}/commands` `{"command": {"type": "lock", …}, "ttl_seconds"?}`,
//! admins and operators, Idempotency-Key) writes the command, the device's pending count and the
//! audit entry (`command.queue`) in one transaction conditional on the device being enrolled on a
//! platform that supports the kind, then hands a wake message to the queue; only a refused
//! transaction is followed by a read saying why. `GET /v1/devices/{id}/commands` lists closed
//! commands newest first, or with `?open=true` open ones oldest first; `GET …/{cid}` shows
//! status, result and full history; `POST …/{cid}/cancel` cancels an open command (idempotent);
//! `POST …/clear` cancels every open command of the device and answers `{cancelled: n, commands:
//! [ids, oldest first]}`.
//!
//! Kinds and payloads: `lock {message?, phone_number?, pin?}` (`pin`: 6 digits, needed on a Mac,
//! masked when read back), `locate {}`, `ring {duration_seconds 1–300}`, `message {text,
//! title?}`, `reset_passcode {new_passcode?}` (masked when read back), `wipe
//! {preserve_data_plan?}`, `enterprise_wipe {}`, `install_app {app_id, version?, url? (https)}`,
//! `remove_app {app_id}`, `refresh_inventory {}`, `block_corporate_access {reason?}` and
//! `unblock_corporate_access {reason?}` (reason 1–200 characters), `reboot {}`, `start_lost_mode
//! {message (1–200), phone_number? (E.164), footnote? (1–100)}`, `stop_lost_mode {}`,
//! `enter_kiosk {apps: 1–20 distinct package names or bundle ids, emergency_dialer? (default
//! true)}`, `exit_kiosk {}`, `apply_policy {}` (check in now to receive the effective policy).
//! Every kind keeps the same lifecycle: `ttl_seconds`, expiry, cancel and clear work alike.
//!
//! Not every platform can carry out every kind. Queueing one the device's platform does not
//! support is refused with `422 unsupported_command` and nothing is stored. The table is
//! `CommandSpec::supported_on` in `domain::command` (the Apple commands in detail:
//! docs/apple.md):
//!
//! | kind | android | ios | macos | how (Android: our device-owner agent; iOS: the Apple MDM protocol) |
//! |---|---|---|---|---|
//! | `lock` | yes | yes | with a 6-digit `pin` | AMA `LOCK`; Apple `DeviceLock` (Message, PhoneNumber) |
//! | `reset_passcode` | yes | without `new_passcode` | no | AMA `RESET_PASSWORD`; Apple `ClearPasscode` only clears the passcode, so one with a `new_passcode` is refused on iOS |
//! | `wipe`, `enterprise_wipe` | yes | yes | yes | factory reset / work profile removal; Apple `EraseDevice` (PreserveDataPlan) / removing the MDM profile |
//! | `locate` | yes | yes | no (no lost mode) | the agent's location; Apple `DeviceLocation`, answered only in lost mode (else an error result) |
//! | `ring` | yes | no | no | the agent plays a sound; Apple has only `PlayLostModeSound`, in lost mode and without a duration |
//! | `message` | yes | no | no | the agent shows a notification; Apple MDM shows text only on the lock and lost-mode screens |
//! | `install_app`, `remove_app` | yes | yes | yes | the agent / AMA policy; Apple `InstallApplication`, `RemoveApplication` |
//! | `refresh_inventory` | yes | yes | yes | the agent; Apple `DeviceInformation`, `SecurityInfo` and `InstalledApplicationList` |
//! | `block_corporate_access`, `unblock_corporate_access` | yes | yes | yes | removing and restoring the managed accounts and network profiles |
//! | `reboot` | yes | yes | yes | AMA `REBOOT`; Apple `RestartDevice` (supervised devices) |
//! | `start_lost_mode`, `stop_lost_mode` | yes | yes | no | AMA `START_LOST_MODE`/`STOP_LOST_MODE`; Apple `EnableLostMode` (Message, PhoneNumber, Footnote) / `DisableLostMode` (supervised) |
//! | `enter_kiosk`, `exit_kiosk` | yes | no | no | Android lock task with the listed apps; on iOS a kiosk is Single App Mode, one app set by a configuration profile: it belongs with policies |
//! | `apply_policy` | yes | yes | yes | the agent checks in and applies the policy its reply carries; Apple devices get the policy's profiles by `InstallProfile` |
//!
//! The rule: a command is refused on a platform that has no command doing what its payload asks;
//! a command the platform only runs in some state (supervised, lost mode) is accepted and the
//! device answers it with an error result when it is not in that state.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::time::ms_from_secs;
use crate::domain::{CommandId, CommandSpec, CommandStatus, DeviceId, DeviceState, Platform};
use crate::error::{Error, StoreError};
use crate::ports::{Cond, Principal, Query, Update, WriteOp};
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{CommandRecord, DeviceRecord, attr, from_item, to_item};
use crate::usecases::Page;
use crate::usecases::consumer::WorkMessage;
use crate::usecases::device::wake::WakeUp;
use crate::usecases::fleet::lifecycle::{self, Located};
use crate::usecases::fleet::views::{CommandView, Listing};
use crate::usecases::{COMMANDERS, READERS, require_role, tenancy::audit};

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueCommandRequest {
    pub command: CommandSpec,
    /// How long the command may wait for the device before it expires.
    #[serde(default)]
    #[schemars(range(min = 60, max = 2_592_000))]
    pub ttl_seconds: Option<i64>,
}

pub async fn queue(
    svc: &Services,
    who: &Principal,
    device: &DeviceId,
    req: QueueCommandRequest,
) -> Result<CommandView, Error> {
    require_role(who, COMMANDERS, "queue commands")?;
    queue_for(svc, who, device, req).await
}

/// Queues a command once the caller's right to it is established (an admin's role, or a
/// user's ownership of the device).
pub(crate) async fn queue_for(
    svc: &Services,
    who: &Principal,
    device: &DeviceId,
    req: QueueCommandRequest,
) -> Result<CommandView, Error> {
    req.command.validate()?;
    let ttl = command_ttl(svc, req.ttl_seconds)?;
    let record = new_record(svc, &who.subject, req.command.clone(), ttl);
    let id = CommandId::from_generated(record.id.clone());
    let tenant = &who.tenant;
    let mut ops = queue_writes(tenant, device, &record, None);
    ops.push(audit::entry(
        svc,
        who,
        "command.queue",
        format!("device/{device}/command/{id}"),
        Some(json!({"type": req.command.kind()})),
    ));
    let written = svc.table.transact(ops).await;
    match written {
        Ok(()) => {}
        Err(StoreError::Precondition { index: Some(0) }) => {
            return Err(device_not_commandable(svc, tenant, device, &req.command).await);
        }
        Err(e) => return Err(e.into()),
    }
    send_wakes(svc, tenant, &[(device.clone(), id)]).await;
    Ok(CommandView::new(device.as_str(), &record))
}

/// A command just queued by `by`, waiting `ttl_secs` for its device.
pub(crate) fn new_record(
    svc: &Services,
    by: &str,
    spec: CommandSpec,
    ttl_secs: i64,
) -> CommandRecord {
    let now = svc.now();
    CommandRecord::queued(
        svc.ids.id(now),
        spec,
        by,
        now,
        now + ms_from_secs(ttl_secs),
        None,
    )
}

/// How long a command may wait for its device: the caller's choice within the settings'
/// bounds, or the default.
pub(crate) fn command_ttl(svc: &Services, ttl_seconds: Option<i64>) -> Result<i64, Error> {
    let s = &svc.settings;
    let ttl = ttl_seconds.unwrap_or(s.default_command_ttl_secs);
    if !(60..=s.max_command_ttl_secs).contains(&ttl) {
        return Err(Error::invalid_field(
            "ttl_seconds",
            format!("must be between 60 and {}", s.max_command_ttl_secs),
        ));
    }
    Ok(ttl)
}

/// The writes that queue a command: the device's pending count, on the condition that the
/// device is enrolled and of a platform that can carry the command (so a supported command
/// costs no read; only a refused write reads the device to say why), and the open command.
/// A refusal fails at index 0, an existing open command at index 1. `only` narrows the
/// platforms further (an app of the catalogue is built for one platform).
pub(crate) fn queue_writes(
    tenant: &crate::domain::TenantId,
    device: &DeviceId,
    record: &CommandRecord,
    only: Option<Platform>,
) -> Vec<WriteOp> {
    queue_many_writes(tenant, device, std::slice::from_ref(record), only)
}

/// The same for several commands to one device in one transaction: a transaction may write
/// an item once, so the pending count moves by all of them at once (index 0), then each
/// command is put (index 1 onwards).
pub(crate) fn queue_many_writes(
    tenant: &crate::domain::TenantId,
    device: &DeviceId,
    records: &[CommandRecord],
    only: Option<Platform>,
) -> Vec<WriteOp> {
    let platforms = Platform::ALL
        .into_iter()
        .filter(|p| only.is_none_or(|o| o == *p))
        .filter(|p| records.iter().all(|r| r.spec.supported_on(*p)))
        .map(|p| p.as_str().into())
        .collect();
    let mut ops = vec![WriteOp::Update {
        key: keys::device(tenant, device),
        update: Update::new().add(attr::PENDING, records.len() as i64),
        cond: Some(Cond::And(vec![
            Cond::Exists,
            Cond::eq(attr::STATE, DeviceState::Enrolled.as_str()),
            Cond::In(attr::PLATFORM.to_owned(), platforms),
        ])),
    }];
    ops.extend(records.iter().map(|record| {
        let id = CommandId::from_generated(record.id.clone());
        WriteOp::Put {
            item: to_item(keys::open_command(tenant, device, &id), record),
            cond: Some(Cond::NotExists),
        }
    }));
    ops
}

/// Hands the wake-ups for stored commands to the queue. The commands are stored: if a wake-up
/// cannot be queued the device still gets its command at its next check-in, so this failure
/// is logged rather than returned.
pub(crate) async fn send_wakes(
    svc: &Services,
    tenant: &crate::domain::TenantId,
    commands: &[(DeviceId, CommandId)],
) {
    if commands.is_empty() {
        return;
    }
    let bodies = commands
        .iter()
        .map(|(device, command)| {
            WorkMessage::Wake(WakeUp {
                tenant: tenant.clone(),
                device: device.clone(),
                command: command.clone(),
            })
            .encode()
        })
        .collect();
    if let Err(e) = svc.wake_queue.send_batch(bodies).await {
        tracing::warn!(error = %e, commands = commands.len(), "wake-ups not queued; the devices get their commands at their next check-in");
    }
}

/// Explains why a device could not take a command: unknown, of a platform that cannot carry
/// it out, or no longer enrolled. The platform comes first: no retry or later state cures it.
async fn device_not_commandable(
    svc: &Services,
    tenant: &crate::domain::TenantId,
    device: &DeviceId,
    command: &CommandSpec,
) -> Error {
    match svc.table.get(&keys::device(tenant, device), true).await {
        Ok(Some(item)) => match from_item::<DeviceRecord>(&item) {
            Ok(d) if !command.supported_on(d.platform) => Error::UnsupportedCommand {
                kind: command.kind(),
                platform: d.platform.as_str(),
            },
            Ok(d) if d.state == DeviceState::Enrolled => {
                Error::Conflict("the device changed while the command was queued; retry".into())
            }
            Ok(d) => Error::Conflict(format!(
                "the device is {}; it can no longer receive commands",
                d.state.as_str()
            )),
            Err(e) => e.into(),
        },
        Ok(None) => Error::NotFound("device"),
        Err(e) => e.into(),
    }
}

pub async fn get(
    svc: &Services,
    who: &Principal,
    device: &DeviceId,
    id: &CommandId,
) -> Result<CommandView, Error> {
    require_role(who, READERS, "read commands")?;
    get_for(svc, who, device, id).await
}

/// Reads a command once the caller's right to the device is established.
pub(crate) async fn get_for(
    svc: &Services,
    who: &Principal,
    device: &DeviceId,
    id: &CommandId,
) -> Result<CommandView, Error> {
    let Located { record, open } = lifecycle::load(svc, &who.tenant, device, id)
        .await?
        .ok_or(Error::NotFound("command"))?;
    let record = if open {
        lifecycle::expire_if_due(svc, &who.tenant, device, &record)
            .await?
            .unwrap_or(record)
    } else {
        record
    };
    Ok(CommandView::new(device.as_str(), &record))
}

/// Lists a device's commands: open ones first (oldest first), then closed ones.
pub async fn list(
    svc: &Services,
    who: &Principal,
    device: &DeviceId,
    open_only: bool,
    page: Page,
) -> Result<Listing<CommandView>, Error> {
    require_role(who, READERS, "read commands")?;
    let tenant = &who.tenant;
    if svc
        .table
        .get(&keys::device(tenant, device), false)
        .await?
        .is_none()
    {
        return Err(Error::NotFound("device"));
    }
    let prefix = if open_only {
        keys::OPEN_PREFIX
    } else {
        keys::CLOSED_PREFIX
    };
    // A cursor this listing returned is a sort key under its prefix; anything else is the
    // caller's mistake, not the store's (which would refuse it as an internal error).
    if page.cursor().is_some_and(|c| !c.starts_with(prefix)) {
        return Err(Error::invalid_field(
            "cursor",
            "not a cursor this listing returned; pass next_cursor back unchanged",
        ));
    }
    let mut q = Query::prefix(keys::device_pk(tenant, device), prefix);
    q.cursor = page.cursor().map(str::to_owned);
    q.limit = page.limit();
    q.descending = !open_only;
    let page = svc.table.query(q).await?;
    let items = page
        .items
        .iter()
        .map(|i| from_item::<CommandRecord>(i).map(|r| CommandView::new(device.as_str(), &r)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Listing {
        items,
        next_cursor: page.cursor,
    })
}

pub async fn cancel(
    svc: &Services,
    who: &Principal,
    device: &DeviceId,
    id: &CommandId,
) -> Result<CommandView, Error> {
    require_role(who, COMMANDERS, "cancel commands")?;
    let Located { record, open } = lifecycle::load(svc, &who.tenant, device, id)
        .await?
        .ok_or(Error::NotFound("command"))?;
    match cancel_located(svc, who, device, record, open).await? {
        // Cancelling twice is not an error: the second call changes nothing.
        Cancel::Done(r) | Cancel::AlreadyCancelled(r) => Ok(CommandView::new(device.as_str(), &r)),
        Cancel::Closed(status) => Err(Error::CommandClosed {
            status: status.as_str().to_owned(),
        }),
    }
}

/// What a cancel found and did.
enum Cancel {
    /// This call cancelled the command (one history entry, one audit entry).
    Done(CommandRecord),
    /// Someone cancelled it before.
    AlreadyCancelled(CommandRecord),
    /// It closed otherwise (a result, expiry) and stays as it is.
    Closed(CommandStatus),
}

/// Cancels a command already read, through the one close path: conditional on the state it was
/// read in, and read again if it moved meanwhile.
async fn cancel_located(
    svc: &Services,
    who: &Principal,
    device: &DeviceId,
    mut record: CommandRecord,
    mut open: bool,
) -> Result<Cancel, Error> {
    let tenant = &who.tenant;
    let id = CommandId::parse(&record.id)?;
    for _ in 0..3 {
        if !open {
            return Ok(match record.status {
                CommandStatus::Cancelled => Cancel::AlreadyCancelled(record),
                other => Cancel::Closed(other),
            });
        }
        let entry = audit::entry(
            svc,
            who,
            "command.cancel",
            format!("device/{device}/command/{id}"),
            None,
        );
        match lifecycle::close(
            svc,
            tenant,
            device,
            &record,
            CommandStatus::Cancelled,
            None,
            Some(format!("cancelled by {}", who.subject)),
            None,
            Update::new(),
            vec![entry],
        )
        .await
        {
            Ok(closed) => return Ok(Cancel::Done(closed)),
            Err(StoreError::Precondition { .. }) => {
                Located { record, open } = lifecycle::load(svc, tenant, device, &id)
                    .await?
                    .ok_or(Error::NotFound("command"))?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Conflict(
        "the command kept changing while being cancelled; retry".into(),
    ))
}

/// The answer to clearing a device's queue: the commands this call cancelled, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Cleared {
    pub cancelled: usize,
    pub commands: Vec<String>,
}

/// Cancels every open command of a device, each as `cancel` would (its own conditional close,
/// history entry and audit entry). Commands that close meanwhile by a result or expiry are left
/// as they are and not counted; so are those someone else cancelled first.
pub async fn clear(svc: &Services, who: &Principal, device: &DeviceId) -> Result<Cleared, Error> {
    require_role(who, COMMANDERS, "cancel commands")?;
    let tenant = &who.tenant;
    // The `D` prefix reads the device item and its open commands (`D#C#…`) in one query, so an
    // unknown device is told apart from an empty queue without a second read.
    let mut q = Query::prefix(keys::device_pk(tenant, device), keys::DEVICE_SK);
    q.consistent = true;
    q.limit = CLEAR_PAGE;
    let mut cancelled = Vec::new();
    let mut first_page = true;
    loop {
        let page = svc.table.query(q.clone()).await?;
        let mut items = page.items.iter().peekable();
        if first_page {
            match items.peek() {
                Some(i) if i.key.sk == keys::DEVICE_SK => {
                    items.next();
                }
                _ => return Err(Error::NotFound("device")),
            }
            first_page = false;
        }
        for item in items.filter(|i| i.key.sk.starts_with(keys::OPEN_PREFIX)) {
            let record: CommandRecord = from_item(item)?;
            if let Cancel::Done(r) = cancel_located(svc, who, device, record, true).await? {
                cancelled.push(r.id);
            }
        }
        match page.cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    Ok(Cleared {
        cancelled: cancelled.len(),
        commands: cancelled,
    })
}

/// Commands read per page while clearing: each costs a transaction, so pages stay small.
const CLEAR_PAGE: usize = 100;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TenantId;

    fn record(id: &str, spec: CommandSpec) -> CommandRecord {
        CommandRecord {
            id: id.into(),
            spec,
            status: CommandStatus::Queued,
            queued_at: 0,
            queued_by: "test".into(),
            deadline: 1,
            updated_at: 0,
            push_message_id: None,
            not_now_at: None,
            result: None,
            history: Vec::new(),
            job: None,
        }
    }

    fn install(app: &str) -> CommandSpec {
        CommandSpec::InstallApp {
            app_id: app.into(),
            version: None,
            url: None,
        }
    }

    /// The condition and pending increment of the device write that leads the transaction.
    fn device_write(ops: &[WriteOp]) -> (Update, Cond) {
        match &ops[0] {
            WriteOp::Update {
                update,
                cond: Some(cond),
                ..
            } => (update.clone(), cond.clone()),
            other => panic!("the device write comes first: {other:?}"),
        }
    }

    fn allowed(platforms: &[&str]) -> Cond {
        Cond::And(vec![
            Cond::Exists,
            Cond::eq(attr::STATE, DeviceState::Enrolled.as_str()),
            Cond::In(
                attr::PLATFORM.to_owned(),
                platforms.iter().map(|p| (*p).into()).collect(),
            ),
        ])
    }

    #[test]
    fn several_commands_for_one_device_move_its_pending_count_once_by_their_number() {
        let t = TenantId::parse("acme").unwrap();
        let d = DeviceId::parse("DEV1").unwrap();
        let records = [
            record("C1", install("com.a.b")),
            record("C2", install("com.a.c")),
        ];
        let ops = queue_many_writes(&t, &d, &records, None);
        assert_eq!(ops.len(), 3);
        let (update, cond) = device_write(&ops);
        assert_eq!(update, Update::new().add(attr::PENDING, 2));
        // Installing an app is something every platform does.
        assert_eq!(cond, allowed(&["android", "ios", "macos"]));
    }

    #[test]
    fn a_command_narrowed_to_one_platform_is_refused_by_devices_of_the_other() {
        let t = TenantId::parse("acme").unwrap();
        let d = DeviceId::parse("DEV1").unwrap();
        let ops = queue_writes(
            &t,
            &d,
            &record("C1", install("com.a.b")),
            Some(Platform::Ios),
        );
        assert_eq!(device_write(&ops).1, allowed(&["ios"]));
    }
}
