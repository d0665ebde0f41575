//! Fuzzes `mdm_apple::checkin::parse`, the check-in body (XML or binary plist) a device PUTs to the
//! CheckInURL. Beyond no panic: a body over `MAX_CHECKIN_BYTES` is refused with `TooLarge` before
//! it is read (the input, and now and then the input padded past the limit), and `TooLarge` is
//! never the answer within the limit; an accepted message's `message_type()` and device id are the
//! body's `MessageType` and `UDID`/`EnrollmentID` as plain plist reading sees them; an accepted XML
//! body re-encoded as a binary plist parses to the same message; every refusal renders. libFuzzer's
//! -timeout (fuzz/run.sh) catches a body that takes pathological time. Seeds: NanoMDM's real
//! check-ins (corpus/apple_checkin/LICENSE), one of them as a binary plist (`cd fuzz && cargo run
//! --release --example seeds` rewrites it), and one per other message type.
#![no_main]

use std::io::Cursor;
use std::sync::atomic::{AtomicU32, Ordering};

use libfuzzer_sys::fuzz_target;
use mdm_apple::checkin::{self, CheckinMessage};
use mdm_apple::{FormatError, MAX_CHECKIN_BYTES};

/// One run in this many also checks the padded copies at and past the limit.
const PADDED_EVERY: u32 = 64;
static RUNS: AtomicU32 = AtomicU32::new(0);

fn is_too_large(result: &Result<CheckinMessage, FormatError>) -> bool {
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

fn check_accepted(data: &[u8], message: &CheckinMessage) {
    let value = plain(data);
    let dict = value
        .as_dictionary()
        .expect("an accepted body is a dictionary");
    let string = |key: &str| dict.get(key).and_then(plist::Value::as_string);
    assert_eq!(string("MessageType"), Some(message.message_type()));
    let enrollment = message.enrollment();
    assert_eq!(enrollment.udid.as_deref(), string("UDID"));
    assert_eq!(enrollment.enrollment_id.as_deref(), string("EnrollmentID"));
    assert!(enrollment.device_id().is_some());
    assert_eq!(enrollment.user_id.as_deref(), string("UserID"));
    if let CheckinMessage::UserAuthenticate(_) = message {
        assert!(enrollment.is_user_channel());
    }

    // The same dictionary as a binary plist is the same message. (Binary to XML is not
    // checked: XML cannot carry every string a binary plist can.)
    if !data.starts_with(b"bplist00") {
        let mut binary = Vec::new();
        if value.to_writer_binary(&mut binary).is_ok() && binary.len() <= MAX_CHECKIN_BYTES {
            match checkin::parse(&binary) {
                Ok(again) => assert_eq!(&again, message),
                Err(e) => panic!("an accepted XML body refused as binary: {e}"),
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let result = checkin::parse(data);
    assert_eq!(
        is_too_large(&result),
        data.len() > MAX_CHECKIN_BYTES,
        "TooLarge exactly when the body is over the limit"
    );
    match &result {
        Ok(message) => check_accepted(data, message),
        Err(FormatError::TooLarge { limit }) => assert_eq!(*limit, MAX_CHECKIN_BYTES),
        Err(e) => {
            let _ = e.to_string();
        }
    }

    if RUNS.fetch_add(1, Ordering::Relaxed) % PADDED_EVERY == 0 {
        // Whatever the body starts with, one byte past the limit is refused unread, and a body
        // of exactly the limit is read.
        let mut padded = data.to_vec();
        padded.resize(MAX_CHECKIN_BYTES + 1, b' ');
        assert!(is_too_large(&checkin::parse(&padded)));
        padded.truncate(MAX_CHECKIN_BYTES);
        assert!(!is_too_large(&checkin::parse(&padded)));
    }
});
