//! Our command catalogue in Apple's terms: which Apple command carries out each kind, with
//! what it needs from the store (the escrowed UnlockToken, the effective policy as a profile).
//! `CommandSpec::supported_on` already refused, at queueing, the kinds Apple cannot carry.

use mdm_apple::command::{AppleCommand, INVENTORY_QUERIES};

use super::{enrolment_profile_identifier, unb64, unlock_token_secret};
use crate::domain::{CommandSpec, DeviceCredential, Platform, TenantId};
use crate::error::Error;
use crate::services::Services;
use crate::store::keys;
use crate::store::records::{DeviceRecord, from_item};

/// The steps of an inventory refresh, each its own Apple command: their command UUIDs are the
/// command's id, then `<id>.1` and `<id>.2`, so the chain needs no state of its own.
pub const INVENTORY_STEPS: u8 = 3;

/// Why a command cannot be sent to this device at all: it is closed as an error with this.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

/// Step `step` of an inventory refresh.
pub fn inventory_step(step: u8) -> AppleCommand {
    match step {
        0 => AppleCommand::DeviceInformation {
            queries: INVENTORY_QUERIES.iter().map(|q| (*q).to_owned()).collect(),
        },
        1 => AppleCommand::SecurityInfo,
        _ => AppleCommand::InstalledApplicationList {
            managed_apps_only: false,
        },
    }
}

/// What a command may need from the store, read only for the kinds that need it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Needs {
    /// The UnlockToken the device escrowed (passcode reset).
    pub unlock_token: Option<Vec<u8>>,
    /// The device's policy profile, or None when no policy applies (apply, unblock).
    pub policy_profile: Option<Vec<u8>>,
}

/// The Apple command for step `step` of a command (only an inventory refresh has more than
/// one), reading from the store what it needs.
pub async fn to_apple(
    svc: &Services,
    cred: &DeviceCredential,
    platform: Platform,
    spec: &CommandSpec,
    step: u8,
) -> Result<Result<AppleCommand, Refusal>, Error> {
    let (t, d) = (&cred.tenant, &cred.device);
    let mut needs = Needs::default();
    match spec {
        CommandSpec::ResetPasscode { .. } => {
            if let Some(token) = svc.secrets.get(&unlock_token_secret(t, d)).await? {
                needs.unlock_token = Some(unb64(&token)?);
            }
        }
        CommandSpec::ApplyPolicy {} | CommandSpec::UnblockCorporateAccess { .. } => {
            needs.policy_profile = policy_profile(svc, cred).await?;
        }
        _ => {}
    }
    Ok(translate(t, platform, spec, step, needs))
}

/// The translation itself, free of the store: what `to_apple` sends once it has what the kind
/// needs.
pub fn translate(
    t: &TenantId,
    platform: Platform,
    spec: &CommandSpec,
    step: u8,
    needs: Needs,
) -> Result<AppleCommand, Refusal> {
    Ok(match spec {
        // The PIN goes to Macs only: iOS refuses a DeviceLock or EraseDevice that carries one.
        CommandSpec::Lock {
            message,
            phone_number,
            pin,
        } => AppleCommand::DeviceLock {
            message: message.clone(),
            phone_number: phone_number.clone(),
            pin: pin.clone().filter(|_| platform == Platform::Macos),
        },
        CommandSpec::Wipe {
            preserve_data_plan,
            pin,
        } => AppleCommand::EraseDevice {
            preserve_data_plan: *preserve_data_plan,
            pin: pin.clone().filter(|_| platform == Platform::Macos),
        },
        CommandSpec::ResetPasscode { .. } => match needs.unlock_token {
            Some(unlock_token) => AppleCommand::ClearPasscode { unlock_token },
            None => {
                return Err(Refusal {
                    code: "unlock_token_missing",
                    message:
                        "the device escrowed no UnlockToken, so its passcode cannot be cleared"
                            .into(),
                });
            }
        },
        CommandSpec::StartLostMode {
            message,
            phone_number,
            footnote,
        } => AppleCommand::EnableLostMode {
            message: Some(message.clone()),
            phone_number: phone_number.clone(),
            footnote: footnote.clone(),
        },
        CommandSpec::StopLostMode {} => AppleCommand::DisableLostMode,
        CommandSpec::Locate {} => AppleCommand::DeviceLocation,
        CommandSpec::InstallApp { app_id, url, .. } => AppleCommand::InstallApplication {
            // An in-house app comes from its manifest; a store app by its bundle id.
            identifier: url.is_none().then(|| app_id.clone()),
            itunes_store_id: None,
            manifest_url: url.clone(),
            // Remove the app when the MDM profile goes.
            management_flags: Some(1),
        },
        CommandSpec::RemoveApp { app_id } => AppleCommand::RemoveApplication {
            identifier: app_id.clone(),
        },
        CommandSpec::RefreshInventory {} => inventory_step(step),
        CommandSpec::Reboot {} => AppleCommand::RestartDevice,
        // Corporate access is the policy profile (Wi-Fi, VPN, mail, certificates): blocking
        // removes it, unblocking installs it again.
        CommandSpec::BlockCorporateAccess { .. } => AppleCommand::RemoveProfile {
            identifier: super::policy_profile::identifier(t),
        },
        CommandSpec::ApplyPolicy {} | CommandSpec::UnblockCorporateAccess { .. } => {
            match needs.policy_profile {
                Some(payload) => AppleCommand::InstallProfile { payload },
                None => AppleCommand::RemoveProfile {
                    identifier: super::policy_profile::identifier(t),
                },
            }
        }
        // Removing the enrolment profile removes everything it brought and unenrols.
        CommandSpec::EnterpriseWipe {} => AppleCommand::RemoveProfile {
            identifier: enrolment_profile_identifier(t),
        },
        CommandSpec::Ring { .. }
        | CommandSpec::Message { .. }
        | CommandSpec::EnterKiosk { .. }
        | CommandSpec::ExitKiosk {} => {
            return Err(Refusal {
                code: "unsupported_command",
                message: format!("{} has no Apple MDM command", spec.kind()),
            });
        }
    })
}

/// The device's effective policy as a profile, or None when no policy applies.
async fn policy_profile(svc: &Services, cred: &DeviceCredential) -> Result<Option<Vec<u8>>, Error> {
    let (t, d) = (&cred.tenant, &cred.device);
    let hot: DeviceRecord = svc
        .table
        .get(&keys::device(t, d), true)
        .await?
        .map(|i| from_item(&i))
        .transpose()?
        .ok_or(Error::DeviceCredentialInvalid)?;
    Ok(
        crate::usecases::policy::policies::current_delivery(svc, t, d, &hot)
            .await?
            .map(|delivery| super::policy_profile::render(t, &delivery)),
    )
}
