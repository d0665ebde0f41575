//! Fuzzes an admin's policy body, `PolicyRequest` (a name and a `PolicyDocument`), with the
//! validation the use case runs: a valid document round-trips through its stored JSON form
//! with the same fingerprint, merging it with itself changes nothing, and refusals come from a
//! fixed vocabulary (list positions aside).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdm_core::domain::policy::PolicyDocument;
use mdm_core::usecases::policy::policies::PolicyRequest;
use mdm_fuzz::note_message;

/// `wifi[3].password` and `wifi[17].password` are one rule: positions are not vocabulary.
fn without_positions(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut in_brackets = false;
    for c in message.chars() {
        match c {
            '[' => in_brackets = true,
            ']' => in_brackets = false,
            c if in_brackets && c.is_ascii_digit() => continue,
            _ => {}
        }
        out.push(c);
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Ok(req) = serde_json::from_slice::<PolicyRequest>(data) else {
        return;
    };
    let doc = req.document;
    if let Err(e) = doc.validate() {
        note_message(&without_positions(&e.to_string()));
        return;
    }
    let stored = serde_json::to_vec(&doc).expect("serialise");
    let again: PolicyDocument = serde_json::from_slice(&stored).expect("stored form parses");
    assert_eq!(again, doc, "{}", String::from_utf8_lossy(&stored));
    again.validate().expect("stored form validates");
    assert_eq!(again.fingerprint(), doc.fingerprint());
    assert_eq!(PolicyDocument::merge([&doc, &again]), doc);
});
