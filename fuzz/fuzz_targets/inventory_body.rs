//! Fuzzes the device's full inventory report as `PUT /v1/device/inventory` takes it: parse
//! `InventoryReport`, then `validate`. A report that passes is re-serialised (as it is stored)
//! and must parse back to the same report and pass again; refusals are worded from a fixed
//! vocabulary.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdm_core::domain::inventory::InventoryReport;
use mdm_fuzz::note_message;

/// `apps[17].id` and `apps[3].id` are one message: the index is bounded by `MAX_APPS`, it is
/// not the caller's text coming back.
fn without_indices(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut in_index = false;
    for c in message.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push(c);
            }
            ']' => {
                in_index = false;
                out.push(c);
            }
            d if in_index && d.is_ascii_digit() => {}
            other => out.push(other),
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    // axum's Json extractor parses the raw bytes the same way.
    let Ok(report) = serde_json::from_slice::<InventoryReport>(data) else {
        return;
    };
    if let Err(e) = report.validate() {
        note_message(&without_indices(&e.to_string()));
        return;
    }
    let stored = serde_json::to_vec(&report).expect("a valid report serialises");
    let again: InventoryReport =
        serde_json::from_slice(&stored).expect("a stored report parses back");
    assert_eq!(again, report);
    again.validate().expect("and still validates");
});
