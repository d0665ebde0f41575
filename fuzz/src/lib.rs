//! Helpers shared by the fuzz targets: properties about error messages that every parser of
//! untrusted input must keep.

use std::collections::BTreeSet;
use std::sync::Mutex;

/// The most distinct messages one target may produce over a whole run. Every refusal in
/// mdm-core is worded from a fixed set (field name + rule), so a set that keeps growing means
/// some message is built from the input (echoing it, or leaking its length or content).
pub const MAX_DISTINCT_MESSAGES: usize = 64;

/// The longest message a refusal may have: long enough for a field and its rule, too short to
/// carry a body back.
pub const MAX_MESSAGE_BYTES: usize = 160;

static SEEN: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// Records one refusal message and panics if it is too long or if the target has now produced
/// more distinct messages than a fixed vocabulary allows.
pub fn note_message(message: &str) {
    assert!(
        message.len() <= MAX_MESSAGE_BYTES,
        "a {}-byte refusal message: {message:.200}",
        message.len()
    );
    let mut seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
    seen.insert(message.to_owned());
    assert!(
        seen.len() <= MAX_DISTINCT_MESSAGES,
        "more than {MAX_DISTINCT_MESSAGES} distinct refusal messages, so one depends on the input: {seen:#?}"
    );
}
