//! Fuzzes `mdm_apple::response::parse`, the report (XML or binary plist) a device PUTs to the
//! ServerURL, and the typed readers the server applies to it: `device_information`,
//! `security_info`, `installed_applications` and `device_location`. Beyond no panic: a body over
//! `MAX_RESPONSE_BYTES` is refused with `TooLarge` (checked now and then on the input padded past
//! the 2 MiB limit, which fuzzing never reaches by itself) and never one within it; an accepted
//! report's status and CommandUUID are the body's, a CommandUUID is present unless Idle; what the
//! readers return keeps their documented ranges (a location within ±90/±180, no negative battery
//! level or accuracy); an accepted XML report re-encoded as a binary plist reads back the same
//! envelope and the same reader results; every refusal renders. libFuzzer's -timeout (fuzz/run.sh)
//! catches a body that takes pathological time. Seeds: NanoMDM/NanoCMD's real reports
//! (corpus/apple_response/LICENSE), one of them as a binary plist (`cd fuzz && cargo run --release
//! --example seeds` rewrites it), and one per reader.
#![no_main]

use std::io::Cursor;
use std::sync::atomic::{AtomicU32, Ordering};

use libfuzzer_sys::fuzz_target;
use mdm_apple::response::{self, Response, Status};
use mdm_apple::{FormatError, MAX_RESPONSE_BYTES};

/// One run in this many also checks the padded copies at and past the limit (2 MiB each, so
/// rarely).
const PADDED_EVERY: u32 = 1024;
static RUNS: AtomicU32 = AtomicU32::new(0);

fn is_too_large<T>(result: &Result<T, FormatError>) -> bool {
    matches!(result, Err(FormatError::TooLarge { .. }))
}

/// The body as a plain plist value, read the way mdm-apple chooses the format.
fn plain(data: &[u8]) -> plist::Value {
    let value = if data.starts_with(b"bplist00") {
        plist::Value::from_reader(Cursor::new(data))
    } else {
        plist::Value::from_reader_xml(data)
    };
    value.expect("a body mdm-apple accepted is a plist")
}

/// What the typed readers make of a report, as text: `{:?}` compares NaN equal to itself,
/// which the readers' f64 fields may hold.
fn read_all(r: &Response) -> String {
    let info = response::device_information(r);
    if let Ok(info) = &info {
        assert!(info.battery_level.is_none_or(|level| level >= 0.0));
    }
    let security = response::security_info(r);
    if let Ok(security) = &security {
        let _ = (security.encrypted(), security.data_protection());
    }
    let apps = response::installed_applications(r);
    if let Ok(apps) = &apps {
        let listed = r
            .get("InstalledApplicationList")
            .and_then(plist::Value::as_array)
            .map_or(0, Vec::len);
        assert!(apps.len() <= listed);
    }
    let location = response::device_location(r);
    if let Ok(location) = &location {
        assert!((-90.0..=90.0).contains(&location.latitude));
        assert!((-180.0..=180.0).contains(&location.longitude));
        assert!(location.horizontal_accuracy.is_none_or(|a| a >= 0.0));
    }
    for e in [
        &info.as_ref().err(),
        &security.as_ref().err(),
        &apps.as_ref().err(),
        &location.as_ref().err(),
    ]
    .into_iter()
    .flatten()
    {
        assert!(!matches!(e, FormatError::TooLarge { .. }));
        let _ = e.to_string();
    }
    format!(
        "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
        r.enrollment, r.status, r.command_uuid, r.error_chain, info, security, apps, location
    )
}

fn check_accepted(data: &[u8], r: &Response) {
    let value = plain(data);
    let dict = value
        .as_dictionary()
        .expect("an accepted body is a dictionary");
    let string = |key: &str| dict.get(key).and_then(plist::Value::as_string);
    assert_eq!(string("Status"), Some(r.status.as_str()));
    assert_eq!(string("CommandUUID"), r.command_uuid.as_deref());
    assert!(r.status == Status::Idle || r.command_uuid.is_some());
    assert_eq!(r.enrollment.udid.as_deref(), string("UDID"));
    assert_eq!(
        r.enrollment.enrollment_id.as_deref(),
        string("EnrollmentID")
    );
    assert!(r.enrollment.device_id().is_some());
    let read = read_all(r);

    // The same dictionary as a binary plist is the same report. (Binary to XML is not
    // checked: XML cannot carry every string a binary plist can.)
    if !data.starts_with(b"bplist00") {
        let mut binary = Vec::new();
        if value.to_writer_binary(&mut binary).is_ok() && binary.len() <= MAX_RESPONSE_BYTES {
            match response::parse(&binary) {
                Ok(again) => assert_eq!(read_all(&again), read),
                Err(e) => panic!("an accepted XML report refused as binary: {e}"),
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let result = response::parse(data);
    assert_eq!(
        is_too_large(&result),
        data.len() > MAX_RESPONSE_BYTES,
        "TooLarge exactly when the body is over the limit"
    );
    match &result {
        Ok(r) => check_accepted(data, r),
        Err(FormatError::TooLarge { limit }) => assert_eq!(*limit, MAX_RESPONSE_BYTES),
        Err(e) => {
            let _ = e.to_string();
        }
    }

    if RUNS.fetch_add(1, Ordering::Relaxed) % PADDED_EVERY == 0 {
        let mut padded = data.to_vec();
        padded.resize(MAX_RESPONSE_BYTES + 1, b' ');
        assert!(is_too_large(&response::parse(&padded)));
        padded.truncate(MAX_RESPONSE_BYTES);
        assert!(!is_too_large(&response::parse(&padded)));
    }
});
