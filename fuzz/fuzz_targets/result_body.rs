//! Fuzzes a device's result body, `ResultReport`, with its `validate`. A valid report is
//! stored and later compared with a repeated one for idempotency, so its JSON form must
//! round-trip to an equal value and still be valid; refusals come from a fixed vocabulary.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdm_core::domain::ResultReport;
use mdm_fuzz::note_message;

fuzz_target!(|data: &[u8]| {
    let Ok(report) = serde_json::from_slice::<ResultReport>(data) else {
        return;
    };
    if let Err(e) = report.validate() {
        note_message(&e.to_string());
        return;
    }
    // What the store keeps is this JSON; a repeat of the same report must compare equal to it.
    let stored = serde_json::to_vec(&report).expect("serialise");
    let again: ResultReport = serde_json::from_slice(&stored).expect("stored form parses");
    assert_eq!(again, report, "{}", String::from_utf8_lossy(&stored));
    again.validate().expect("stored form validates");
});
