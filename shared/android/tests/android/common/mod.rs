//! Helpers shared by the tests: the realistic samples of what Google sends, and assertions that
//! a value fits the discovery document.

use mdm_android::schema::{self, Violation};
use serde::Serialize;
use serde_json::Value;

/// A sample of what Google sends, from `tests/android/samples`.
pub fn sample(name: &str) -> Value {
    let path = format!(
        "{}/tests/android/samples/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn listed(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| format!("\n  {v}"))
        .collect::<String>()
}

/// What we send: serialized, it fits `schema_name` and uses nothing deprecated or read-only.
pub fn assert_sendable<T: Serialize>(schema_name: &str, value: &T) -> Value {
    let json = serde_json::to_value(value).expect("our types serialize");
    if let Err(violations) = schema::check_request(schema_name, &json) {
        panic!("{schema_name} {json}:{}", listed(&violations));
    }
    json
}

/// What Google sends: the sample fits `schema_name`.
pub fn assert_fits(schema_name: &str, json: &Value) {
    if let Err(violations) = schema::check(schema_name, json) {
        panic!("{schema_name}:{}", listed(&violations));
    }
}

/// The violations of a value that must not fit.
pub fn violations(schema_name: &str, json: &Value) -> Vec<Violation> {
    schema::check(schema_name, json).expect_err("the value should not fit the schema")
}
