//! Fuzzes `Notification::parse`, the parse of the body Google's Pub/Sub push subscription POSTs
//! for an Android Management API notification (untrusted until its OIDC token is checked, and
//! parsed only after): it never panics, and a refusal stays short whatever the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdm_android::{MAX_REASON_CHARS, Notification};

fuzz_target!(|data: &[u8]| {
    if let Err(refusal) = Notification::parse(data) {
        let text = refusal.to_string();
        // The bounded excerpt plus the error's own words.
        assert!(
            text.chars().count() < MAX_REASON_CHARS + 100,
            "a {}-character refusal: {text:.300}",
            text.chars().count()
        );
    }
});
