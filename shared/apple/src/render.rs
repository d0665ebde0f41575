//! Rendering of what we send (command plists, profiles, check-in answers) as XML plists.

use plist::Value;

/// `value` as an XML plist.
pub(crate) fn xml(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing an in-memory value into a Vec cannot fail: the writer's only errors are I/O ones
    // and a malformed event stream, which a `Value` cannot produce.
    value
        .to_writer_xml(&mut out)
        .expect("an in-memory plist value always serialises to a Vec");
    out
}
