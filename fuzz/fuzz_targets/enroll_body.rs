//! Fuzzes the enrolment body as the enrollment use case takes it: parse `EnrollRequest`,
//! parse its enrollment token, then `validate`. A body that passes is rebuilt as JSON and must
//! parse back to the same request; refusals come from a fixed vocabulary.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdm_core::domain::{EnrollRequest, EnrollmentSecret};
use mdm_fuzz::note_message;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Ok(req) = serde_json::from_slice::<EnrollRequest>(data) else {
        return;
    };
    // The same order as usecases::enrollment::enroll.
    let checked = EnrollmentSecret::parse(&req.enrollment_token).and_then(|_| req.validate());
    if let Err(e) = checked {
        note_message(&e.to_string());
        return;
    }
    let body = json!({
        "enrollment_token": req.enrollment_token,
        "platform": req.platform,
        "model": req.model,
        "os_version": req.os_version,
        "serial": req.serial,
        "imei": req.imei,
        "imsi": req.imsi,
        "phone_number": req.phone_number,
        "push_token": req.push_token,
        "push_magic": req.push_magic,
    });
    let again: EnrollRequest = serde_json::from_value(body).expect("a valid enrolment re-parses");
    assert_eq!(again, req);
    again.validate().expect("and still validates");
});
