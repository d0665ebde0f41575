//! Fuzzes `Message::decode`, the parse of a queue message body (SQS or the embedded queue),
//! which is a wake message, a job's fan-out step, a policy refresh step, a tenant purge batch,
//! a webhook delivery attempt or a compliance evaluation: decoded messages re-encode and decode
//! to the same message, and a drop reason is short and never carries the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdm_core::usecases::compliance_sweep::EvaluateMessage;
use mdm_core::usecases::jobs::JobStep;
use mdm_core::usecases::policies::PolicyRefresh;
use mdm_core::usecases::wake::{Message, WakeMessage};

/// A reason gives the kind of error and a position, so it stays short whatever the body.
const MAX_REASON_BYTES: usize = 100;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    let decoded = Message::decode(body);
    let again = match &decoded {
        Ok(Message::Wake(tenant, device, command)) => WakeMessage {
            tenant: tenant.to_string(),
            device: device.to_string(),
            command: command.to_string(),
        }
        .encode(),
        Ok(Message::JobStep(tenant, job, at)) => JobStep {
            tenant: tenant.to_string(),
            job: job.to_string(),
            at: at.clone(),
        }
        .encode(),
        Ok(Message::PolicyRefresh(tenant, target, at)) => {
            PolicyRefresh::for_target(tenant, target, at.clone()).encode()
        }
        Ok(Message::Purge(_, msg)) => msg.encode(),
        Ok(Message::WebhookDelivery(_, _, _, msg)) => msg.encode(),
        Ok(Message::EvaluateCompliance(tenant, device)) => {
            EvaluateMessage::new(tenant.as_str(), device.as_str()).encode()
        }
        Err(reason) => {
            assert!(
                reason.len() <= MAX_REASON_BYTES,
                "a {}-byte drop reason: {reason:.300}",
                reason.len()
            );
            return;
        }
    };
    assert_eq!(Message::decode(&again), decoded, "{again}");
});
