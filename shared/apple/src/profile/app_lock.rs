//! The single-app mode payload (`com.apple.app.lock`): a supervised device locked to one app.

use plist::{Dictionary, Value};

use super::{Content, Payload};

/// Locks a supervised device to the app `bundle_identifier`.
pub fn app_lock_payload(bundle_identifier: &str, uuid: &str, identifier: &str) -> Payload {
    let mut app = Dictionary::new();
    app.insert(
        "Identifier".to_owned(),
        Value::String(bundle_identifier.to_owned()),
    );
    let mut c = Content::new();
    c.set("App", Value::Dictionary(app));
    c.into_payload(Payload::new(
        "com.apple.app.lock",
        uuid,
        identifier,
        "Single App Mode",
    ))
}
