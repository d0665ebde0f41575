//! Fuzzes an admin's queue-command body, `QueueCommandRequest` (a `CommandSpec` and a TTL),
//! with `CommandSpec::validate`: a valid spec round-trips through its stored JSON form, keeps
//! its kind, and reads back with any new passcode masked; refusals come from a fixed vocabulary.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdm_core::domain::CommandSpec;
use mdm_core::usecases::fleet::commands::QueueCommandRequest;
use mdm_fuzz::note_message;

fuzz_target!(|data: &[u8]| {
    let Ok(req) = serde_json::from_slice::<QueueCommandRequest>(data) else {
        return;
    };
    let spec = req.command;
    if let Err(e) = spec.validate() {
        note_message(&e.to_string());
        return;
    }
    let stored = serde_json::to_vec(&spec).expect("serialise");
    let again: CommandSpec = serde_json::from_slice(&stored).expect("stored form parses");
    assert_eq!(again, spec, "{}", String::from_utf8_lossy(&stored));
    again.validate().expect("stored form validates");

    let shown = spec.redacted();
    assert_eq!(shown["type"], spec.kind());
    if let CommandSpec::ResetPasscode {
        new_passcode: Some(_),
    } = &spec
    {
        assert_eq!(shown["new_passcode"], "********");
    }
});
