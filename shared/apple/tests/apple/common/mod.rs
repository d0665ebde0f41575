//! Reading the conformance files (real device messages and their expected values) in place.

use std::path::PathBuf;

use mdm_apple::schema::conformance_dir;

pub fn real_path(name: &str) -> PathBuf {
    conformance_dir().join("real").join(name)
}

/// A real device message's bytes.
pub fn real(name: &str) -> Vec<u8> {
    let path = real_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `Key<TAB>value` lines of a `.txt` file beside the real messages.
pub fn expected_values(name: &str) -> Vec<(String, String)> {
    let text = String::from_utf8(real(name)).expect("the .txt files are UTF-8");
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let (key, value) = line
                .split_once('\t')
                .unwrap_or_else(|| panic!("{name}: no tab in {line:?}"));
            (key.to_owned(), value.to_owned())
        })
        .collect()
}

/// A plist dictionary rendered as XML, for building test bodies.
pub fn xml(dict: plist::Dictionary) -> Vec<u8> {
    let mut out = Vec::new();
    plist::Value::Dictionary(dict)
        .to_writer_xml(&mut out)
        .expect("in-memory plist");
    out
}

/// A dictionary from `(key, value)` pairs.
pub fn dict(pairs: Vec<(&str, plist::Value)>) -> plist::Dictionary {
    let mut d = plist::Dictionary::new();
    for (k, v) in pairs {
        d.insert(k.to_owned(), v);
    }
    d
}

pub fn s(v: &str) -> plist::Value {
    plist::Value::String(v.to_owned())
}
