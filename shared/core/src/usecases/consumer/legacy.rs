//! The queue messages of the release before the [`WorkMessage`] envelope: six hand-written shapes
//! without a `kind`, told apart by their field names (each refuses unknown fields, so a body
//! matches at most one). Decoded here for one release so that messages in flight during an
//! upgrade are still handled; nothing encodes them any more. Remove after the next release.

use serde::Deserialize;

use super::WorkMessage;
use crate::domain::job::JobTarget;
use crate::domain::{DeviceId, GroupId, TenantId};
use crate::usecases::device::wake::WakeUp;
use crate::usecases::fleet::jobs::JobStep;
use crate::usecases::integrations::events::DeliveryMessage;
use crate::usecases::policy::policies::RefreshStep;
use crate::usecases::posture::compliance_sweep::Evaluation;
use crate::usecases::tenancy::purge::{PurgeMessage, Stage};

/// The old policy refresh named its target as `G#<group>`, `TENANT` or `DEVICES` (listed).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Refresh {
    tenant: TenantId,
    refresh: String,
    at: String,
    #[serde(default)]
    devices: Vec<DeviceId>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Evaluate {
    evaluate_compliance: Evaluation,
}

/// The old purge message named the tenant `purge`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Purge {
    purge: TenantId,
    stage: Stage,
    #[serde(default)]
    shard: u32,
    #[serde(default)]
    cursor: Option<String>,
}

/// The old shapes of the wake-up, the job step and the webhook delivery are the new payloads
/// without `kind`, so those decode through the new types.
#[derive(Deserialize)]
#[serde(untagged)]
enum Legacy {
    Wake(WakeUp),
    JobStep(JobStep),
    Refresh(Refresh),
    Evaluate(Evaluate),
    Delivery(DeliveryMessage),
    Purge(Purge),
}

/// The message an old-format body carried; None when it is not one.
pub(super) fn decode(body: &str) -> Option<WorkMessage> {
    Some(match serde_json::from_str::<Legacy>(body).ok()? {
        Legacy::Wake(w) => WorkMessage::Wake(w),
        Legacy::JobStep(s) => WorkMessage::JobStep(s),
        Legacy::Refresh(r) => WorkMessage::PolicyRefresh(RefreshStep {
            tenant: r.tenant,
            target: match (r.refresh.as_str(), r.devices) {
                ("TENANT", d) if d.is_empty() => JobTarget::Tenant {},
                ("DEVICES", devices) => JobTarget::Devices { devices },
                (scope, d) if d.is_empty() => JobTarget::Group {
                    group: GroupId::parse(scope.strip_prefix("G#")?).ok()?,
                },
                _ => return None,
            },
            at: r.at,
        }),
        Legacy::Evaluate(e) => WorkMessage::EvaluateCompliance(e.evaluate_compliance),
        Legacy::Delivery(d) => WorkMessage::WebhookDelivery(d),
        Legacy::Purge(p) => WorkMessage::Purge(PurgeMessage {
            tenant: p.purge,
            stage: p.stage,
            shard: p.shard,
            cursor: p.cursor,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CommandId, JobId};

    fn decoded(body: &str) -> WorkMessage {
        WorkMessage::decode(body).unwrap_or_else(|e| panic!("{body}: {e}"))
    }

    /// Bodies exactly as the previous release encoded them.
    #[test]
    fn messages_queued_by_the_previous_release_still_decode() {
        let acme = TenantId::parse("acme").unwrap();
        assert_eq!(
            decoded(r#"{"tenant":"acme","device":"01DEV","command":"01CMD"}"#),
            WorkMessage::Wake(WakeUp {
                tenant: acme.clone(),
                device: DeviceId::parse("01DEV").unwrap(),
                command: CommandId::parse("01CMD").unwrap(),
            })
        );
        assert_eq!(
            decoded(r#"{"tenant":"acme","job":"01JOB","at":""}"#),
            WorkMessage::JobStep(JobStep {
                tenant: acme.clone(),
                job: JobId::parse("01JOB").unwrap(),
                at: String::new(),
            })
        );
        assert_eq!(
            decoded(r#"{"tenant":"acme","refresh":"G#01GRP","at":"x"}"#),
            WorkMessage::PolicyRefresh(RefreshStep {
                tenant: acme.clone(),
                target: JobTarget::Group {
                    group: GroupId::parse("01GRP").unwrap()
                },
                at: "x".into(),
            })
        );
        assert_eq!(
            decoded(r#"{"tenant":"acme","refresh":"TENANT","at":""}"#),
            WorkMessage::PolicyRefresh(RefreshStep {
                tenant: acme.clone(),
                target: JobTarget::Tenant {},
                at: String::new(),
            })
        );
        assert_eq!(
            decoded(r#"{"tenant":"acme","refresh":"DEVICES","at":"","devices":["01A","01B"]}"#),
            WorkMessage::PolicyRefresh(RefreshStep {
                tenant: acme.clone(),
                target: JobTarget::Devices {
                    devices: vec![
                        DeviceId::parse("01A").unwrap(),
                        DeviceId::parse("01B").unwrap()
                    ]
                },
                at: String::new(),
            })
        );
        assert_eq!(
            decoded(r#"{"evaluate_compliance":{"tenant":"acme","device":"01DEV"}}"#),
            WorkMessage::EvaluateCompliance(Evaluation {
                tenant: acme.clone(),
                device: DeviceId::parse("01DEV").unwrap(),
            })
        );
        assert_eq!(
            decoded(r#"{"purge":"acme","stage":"alerts","shard":2,"cursor":"c"}"#),
            WorkMessage::Purge(PurgeMessage {
                tenant: acme.clone(),
                stage: Stage::Alerts,
                shard: 2,
                cursor: Some("c".into()),
            })
        );
        let delivery = decoded(
            r#"{"tenant":"acme","webhook":"01HOOK","attempt":1,"event":{"id":"01EVT","type":"device.enrolled","occurred_at":"2026-12-07T00:00:00Z","tenant":"acme","device":"01DEV","data":{}}}"#,
        );
        assert!(
            matches!(&delivery, WorkMessage::WebhookDelivery(d) if d.attempt == 1 && d.event.id.as_str() == "01EVT"),
            "{delivery:?}"
        );
    }

    #[test]
    fn an_old_format_body_that_breaks_its_rules_is_still_refused() {
        for body in [
            r#"{"tenant":"acme","refresh":"G#01GRP","at":"","devices":["01A"]}"#,
            r#"{"tenant":"acme","refresh":"DEVICES","at":"","devices":[]}"#,
            r#"{"tenant":"acme","refresh":"EVERYONE","at":""}"#,
            r#"{"purge":"acme","stage":"devices","shard":16}"#,
            r#"{"purge":"acme","stage":"everything"}"#,
            r#"{"tenant":"acme","webhook":"01HOOK","attempt":0,"event":{"id":"01EVT","type":"device.enrolled","occurred_at":"t","tenant":"acme","device":null,"data":{}}}"#,
            r#"{"tenant":"acme","device":"d","command":"c","purge":"acme"}"#,
        ] {
            assert!(WorkMessage::decode(body).is_err(), "{body}");
        }
    }
}
