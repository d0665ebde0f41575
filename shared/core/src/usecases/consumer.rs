//! The work queue's one consumer. Every message on the queue (SQS on AWS, the embedded queue
//! locally) is a [`WorkMessage`]: a JSON object whose `kind` names what to do, with typed ids.
//! It is decoded once, here, and handed to the use case that owns that kind of work: a device
//! wake-up (`wake`), a fan-out step of a job (`jobs`), a step of a policy refresh (`policies`),
//! a compliance evaluation the sweep asked for (`compliance_sweep`), a webhook delivery attempt
//! (`webhooks`) and a batch of a deleted tenant's purge (`purge`).
//!
//! Delivery is at least once, so every handler is safe to run twice: a command already woken is
//! not pushed again, a fan-out or refresh step already done does nothing more, a purge batch
//! already done removes nothing more, a webhook delivery recorded as delivered is not sent again.
//!
//! Messages queued before the envelope existed (no `kind`, one hand-written shape per kind) still
//! decode for one release, through [`legacy`], so a deployment does not drop what is in flight.

mod legacy;

use serde::{Deserialize, Serialize};

use super::device::wake::WakeUp;
use super::fleet::jobs::JobStep;
use super::integrations::events::DeliveryMessage;
use super::policy::policies::RefreshStep;
use super::posture::compliance_sweep::Evaluation;
use super::tenancy::purge::PurgeMessage;
use crate::services::Services;

/// One message of the work queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WorkMessage {
    /// Push a wake-up to a device for one queued command.
    Wake(WakeUp),
    /// Queue a job's command for the next batch of its targets.
    JobStep(JobStep),
    /// Recompute the effective policy of the next batch of a group, the tenant or a device list.
    PolicyRefresh(RefreshStep),
    /// Evaluate one device's compliance (its due time came).
    EvaluateCompliance(Evaluation),
    /// One attempt to deliver one event to one webhook endpoint.
    WebhookDelivery(DeliveryMessage),
    /// Remove one batch of a deleted tenant's data.
    Purge(PurgeMessage),
}

impl WorkMessage {
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Decodes a queue message body; the error is why the message must be dropped. The body is
    /// untrusted, so the reason never quotes it: it gives the kind of JSON error and where it
    /// is, not serde's message (which repeats unknown field names and string values in full).
    pub fn decode(body: &str) -> Result<WorkMessage, String> {
        let msg = match serde_json::from_str::<WorkMessage>(body) {
            Ok(msg) => msg,
            Err(e) => legacy::decode(body).ok_or_else(|| {
                format!(
                    "malformed queue message: {:?} error at line {} column {}",
                    e.classify(),
                    e.line(),
                    e.column()
                )
            })?,
        };
        msg.check()?;
        Ok(msg)
    }

    /// The rules a message's fields must also follow, beyond their types.
    fn check(&self) -> Result<(), String> {
        match self {
            WorkMessage::PolicyRefresh(step) => step.check(),
            WorkMessage::WebhookDelivery(msg) => msg.check(),
            WorkMessage::Purge(msg) => msg.check(),
            WorkMessage::Wake(_) | WorkMessage::JobStep(_) | WorkMessage::EvaluateCompliance(_) => {
                Ok(())
            }
        }
    }
}

/// How one message ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Done (pushed, or nothing left to do): delete the message.
    Done,
    /// Could never succeed (malformed): log it and delete it.
    Dropped(String),
    /// Failed transiently: leave it for redelivery (and, past the retry limit, the DLQ).
    Retry(String),
}

impl Outcome {
    /// A use case's result as an outcome: retryable errors are retried, the rest dropped.
    pub fn of(result: Result<(), crate::Error>) -> Outcome {
        match result {
            Ok(()) => Outcome::Done,
            Err(e) if e.is_retryable() => Outcome::Retry(e.to_string()),
            Err(e) => Outcome::Dropped(e.to_string()),
        }
    }
}

/// Handles one message body.
pub async fn handle(svc: &Services, body: &str) -> Outcome {
    match WorkMessage::decode(body) {
        Ok(msg) => dispatch(svc, msg).await,
        Err(reason) => Outcome::Dropped(reason),
    }
}

async fn dispatch(svc: &Services, msg: WorkMessage) -> Outcome {
    Outcome::of(match msg {
        WorkMessage::Wake(w) => {
            super::device::wake::wake(svc, &w.tenant, &w.device, &w.command).await
        }
        WorkMessage::JobStep(s) => super::fleet::jobs::step(svc, &s.tenant, &s.job, &s.at).await,
        WorkMessage::PolicyRefresh(s) => {
            super::policy::policies::refresh_step(svc, &s.tenant, &s.target, &s.at).await
        }
        WorkMessage::EvaluateCompliance(e) => {
            super::posture::compliance_sweep::handle(svc, &e.tenant, &e.device).await
        }
        WorkMessage::WebhookDelivery(msg) => super::integrations::webhooks::handle(svc, &msg).await,
        WorkMessage::Purge(msg) => super::tenancy::purge::step(svc, &msg).await,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::job::JobTarget;
    use crate::domain::{CommandId, DeviceId, EventId, GroupId, JobId, TenantId, WebhookId};
    use crate::usecases::integrations::events::{EventBody, EventKind};
    use crate::usecases::tenancy::purge::Stage;

    fn acme() -> TenantId {
        TenantId::parse("acme").unwrap()
    }

    fn one_of_each() -> Vec<WorkMessage> {
        vec![
            WorkMessage::Wake(WakeUp {
                tenant: acme(),
                device: DeviceId::parse("01DEV").unwrap(),
                command: CommandId::parse("01CMD").unwrap(),
            }),
            WorkMessage::JobStep(JobStep {
                tenant: acme(),
                job: JobId::parse("01JOB").unwrap(),
                at: "01DEV".into(),
            }),
            WorkMessage::PolicyRefresh(RefreshStep {
                tenant: acme(),
                target: JobTarget::Group {
                    group: GroupId::parse("01GRP").unwrap(),
                },
                at: String::new(),
            }),
            WorkMessage::EvaluateCompliance(Evaluation {
                tenant: acme(),
                device: DeviceId::parse("01DEV").unwrap(),
            }),
            WorkMessage::WebhookDelivery(DeliveryMessage {
                tenant: acme(),
                webhook: WebhookId::parse("01HOOK").unwrap(),
                attempt: 2,
                event: EventBody {
                    id: EventId::parse("01EVT").unwrap(),
                    kind: EventKind::DeviceEnrolled,
                    occurred_at: "2026-12-07T00:00:00Z".into(),
                    tenant: "acme".into(),
                    device: Some("01DEV".into()),
                    data: serde_json::json!({"platform": "android"}),
                },
            }),
            WorkMessage::Purge(PurgeMessage {
                tenant: acme(),
                stage: Stage::Alerts,
                shard: 3,
                cursor: Some("c".into()),
            }),
        ]
    }

    #[test]
    fn every_kind_of_message_round_trips_through_encode_and_decode() {
        for msg in one_of_each() {
            let body = msg.encode();
            assert_eq!(WorkMessage::decode(&body), Ok(msg), "{body}");
        }
    }

    #[test]
    fn a_message_names_its_kind_in_a_kind_field() {
        let kinds: Vec<String> = one_of_each()
            .iter()
            .map(|m| {
                let v: serde_json::Value = serde_json::from_str(&m.encode()).unwrap();
                v["kind"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "wake",
                "job_step",
                "policy_refresh",
                "evaluate_compliance",
                "webhook_delivery",
                "purge"
            ]
        );
    }

    #[test]
    fn a_message_with_an_unknown_field_kind_or_id_is_dropped() {
        for body in [
            r#"{"kind":"wake","tenant":"acme","device":"d","command":"c","extra":1}"#,
            r#"{"kind":"wake","tenant":"Not A Tenant","device":"d","command":"c"}"#,
            r#"{"kind":"reboot","tenant":"acme","device":"d"}"#,
            r#"{"kind":"job_step","tenant":"acme","job":"j"}"#,
            r#"{"kind":"purge","tenant":"acme","stage":"devices","shard":16}"#,
            r#"{"kind":"purge","tenant":"acme","stage":"tokens","shard":3}"#,
            r#"{"kind":"policy_refresh","tenant":"acme","target":{"kind":"devices","devices":[]},"at":""}"#,
            r#"{"tenant":"acme","device":"d","command":"c","purge":"acme"}"#,
            r#"[]"#,
            "",
        ] {
            assert!(WorkMessage::decode(body).is_err(), "{body}");
        }
    }

    #[test]
    fn a_malformed_message_is_dropped_without_echoing_its_body() {
        let long = "x".repeat(10_000);
        for body in [
            format!(r#"{{"kind":"wake","tenant":"acme","device":"d","command":"c","{long}":1}}"#),
            format!(r#"{{"kind":"wake","tenant":7,"device":"{long}","command":"c"}}"#),
            format!(r#"{{"kind":"{long}"}}"#),
            format!(r#"{{"tenant":"acme","device":"d","command":["{long}"]}}"#),
        ] {
            let reason = WorkMessage::decode(&body).unwrap_err();
            assert!(reason.len() < 100 && !reason.contains("xxxx"), "{reason}");
        }
    }
}
