//! Fuzzes the device check-in body as the check-in use case takes it: parse `CheckinRequest`,
//! then `validate`. A body that passes is rebuilt as JSON and must parse back to the same
//! request and pass again; refusals are worded from a fixed vocabulary.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdm_core::domain::CheckinRequest;
use mdm_fuzz::note_message;
use serde_json::{Map, Value, json};

/// The body a device would send for `req` (the type is Deserialize-only).
fn to_json(req: &CheckinRequest) -> Value {
    let mut body = Map::new();
    let mut put = |k: &str, v: Value| {
        body.insert(k.into(), v);
    };
    if let Some(b) = req.battery_level {
        put("battery_level", json!(b));
    }
    if let Some(v) = req.storage_free_bytes {
        put("storage_free_bytes", json!(v));
    }
    if let Some(v) = req.storage_total_bytes {
        put("storage_total_bytes", json!(v));
    }
    if let Some(v) = &req.os_version {
        put("os_version", json!(v));
    }
    if let Some(l) = &req.location {
        put("location", serde_json::to_value(l).expect("location"));
    }
    if let Some(t) = &req.push_token {
        put("push_token", json!(t));
    }
    if let Some(m) = &req.push_magic {
        put("push_magic", json!(m));
    }
    Value::Object(body)
}

fuzz_target!(|data: &[u8]| {
    // axum's Json extractor parses the raw bytes the same way.
    let Ok(req) = serde_json::from_slice::<CheckinRequest>(data) else {
        return;
    };
    if let Err(e) = req.validate() {
        note_message(&e.to_string());
        return;
    }
    let again: CheckinRequest =
        serde_json::from_slice(&serde_json::to_vec(&to_json(&req)).unwrap())
            .expect("a valid check-in, re-serialised, parses");
    assert_eq!(again, req);
    again.validate().expect("and still validates");
});
