//! Fuzzes `Job::decode`, the parse of a queue message body (SQS or the embedded queue), which is
//! a wake message or a tenant purge batch: decoded messages re-encode and decode to the same
//! message, and a drop reason is short and never carries the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdm_core::usecases::wake::{Job, WakeMessage};

/// A reason gives the kind of error and a position, so it stays short whatever the body.
const MAX_REASON_BYTES: usize = 100;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    match Job::decode(body) {
        Ok(Job::Wake(tenant, device, command)) => {
            let again = WakeMessage {
                tenant: tenant.to_string(),
                device: device.to_string(),
                command: command.to_string(),
            }
            .encode();
            assert_eq!(
                Job::decode(&again),
                Ok(Job::Wake(tenant, device, command)),
                "{again}"
            );
        }
        Ok(Job::Purge(tenant, msg)) => {
            let again = msg.encode();
            assert_eq!(Job::decode(&again), Ok(Job::Purge(tenant, msg)), "{again}");
        }
        Err(reason) => assert!(
            reason.len() <= MAX_REASON_BYTES,
            "a {}-byte drop reason: {reason:.300}",
            reason.len()
        ),
    }
});
