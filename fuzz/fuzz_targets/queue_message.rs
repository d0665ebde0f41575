//! Fuzzes the parse of a wake queue message body (SQS or the embedded queue), which is either
//! a job's fan-out step (`JobStep::decode`) or a wake-up (`WakeMessage::decode`): decoded ids
//! re-encode and decode to the same ids, and a drop reason is short and never carries the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdm_core::usecases::jobs::JobStep;
use mdm_core::usecases::wake::WakeMessage;

/// A reason gives the kind of error and a position, so it stays short whatever the body.
const MAX_REASON_BYTES: usize = 100;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    if let Some((tenant, job, at)) = JobStep::decode(body) {
        let again = JobStep {
            tenant: tenant.to_string(),
            job: job.to_string(),
            at: at.clone(),
        }
        .encode();
        assert_eq!(JobStep::decode(&again), Some((tenant, job, at)), "{again}");
        return;
    }
    match WakeMessage::decode(body) {
        Ok((tenant, device, command)) => {
            let again = WakeMessage {
                tenant: tenant.to_string(),
                device: device.to_string(),
                command: command.to_string(),
            }
            .encode();
            assert_eq!(
                WakeMessage::decode(&again),
                Ok((tenant, device, command)),
                "{again}"
            );
        }
        Err(reason) => assert!(
            reason.len() <= MAX_REASON_BYTES,
            "a {}-byte drop reason: {reason:.300}",
            reason.len()
        ),
    }
});
