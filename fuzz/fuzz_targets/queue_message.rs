//! Fuzzes `WorkMessage::decode`, the parse of a work-queue message body (SQS or the embedded
//! queue) of any kind, in the current envelope or a previous release's shape: a decoded message
//! re-encodes and decodes to the same message, and a drop reason is short and never carries the
//! body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdm_core::usecases::consumer::WorkMessage;

/// A reason gives the kind of error and a position, so it stays short whatever the body.
const MAX_REASON_BYTES: usize = 100;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    match WorkMessage::decode(body) {
        Ok(msg) => {
            let again = msg.encode();
            assert_eq!(WorkMessage::decode(&again), Ok(msg), "{again}");
        }
        Err(reason) => assert!(
            reason.len() <= MAX_REASON_BYTES,
            "a {}-byte drop reason: {reason:.300}",
            reason.len()
        ),
    }
});
