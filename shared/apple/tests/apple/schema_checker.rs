//! The schema checker cannot pass vacuously: it reports wrong types, unknown keys, missing
//! required keys and values outside a rangelist, at every level, in requests and responses.

use crate::common::{dict, real, s};
use mdm_apple::schema::{Schema, conformance_dir};
use plist::Value;

#[test]
fn it_reports_a_wrong_type_an_unknown_key_and_a_missing_required_key() {
    let schema = Schema::for_request_type("RemoveApplication").unwrap();
    assert_eq!(
        schema.check(&dict(vec![("Identifier", s("com.example.app"))])),
        Vec::<String>::new()
    );
    let wrong_type = schema.check(&dict(vec![("Identifier", Value::Boolean(true))]));
    assert_eq!(
        wrong_type,
        vec!["`Identifier`: expected <string>, found <boolean>".to_owned()]
    );
    let unknown = schema.check(&dict(vec![("Identifier", s("a")), ("Identifer", s("b"))]));
    assert_eq!(
        unknown,
        vec!["`Identifer`: unknown key (not in the schema at this level)".to_owned()]
    );
    let missing = schema.check(&plist::Dictionary::new());
    assert_eq!(
        missing,
        vec!["`Identifier`: required key missing".to_owned()]
    );
}

#[test]
fn it_reports_a_request_type_that_is_not_the_schemas() {
    let schema = Schema::for_request_type("RemoveProfile").unwrap();
    let violations = schema.check(&dict(vec![
        ("RequestType", s("RemoveApplication")),
        ("Identifier", s("x")),
    ]));
    assert_eq!(violations.len(), 1, "{violations:?}");
}

#[test]
fn it_reports_values_outside_a_rangelist_and_problems_in_nested_dictionaries_and_arrays() {
    let schema = Schema::for_request_type("InstallApplication").unwrap();
    let violations = schema.check(&dict(vec![
        ("ManagementFlags", Value::Integer(2.into())),
        (
            "Options",
            Value::Dictionary(dict(vec![("PurchaseMethod", s("VPP"))])),
        ),
        (
            "Attributes",
            Value::Dictionary(dict(vec![(
                "AssociatedDomains",
                Value::Array(vec![Value::Integer(1.into())]),
            )])),
        ),
    ]));
    assert_eq!(violations.len(), 3, "{violations:?}");
    assert!(
        violations[0].starts_with("`ManagementFlags`: "),
        "{violations:?}"
    );
    assert!(
        violations[1].starts_with("`Options.PurchaseMethod`: expected <integer>"),
        "{violations:?}"
    );
    assert!(
        violations[2].starts_with("`Attributes.AssociatedDomains[0]`: expected <string>"),
        "{violations:?}"
    );
}

#[test]
fn it_checks_responses_against_the_response_keys_and_skips_only_the_envelope() {
    let schema = Schema::for_request_type("CertificateList").unwrap();
    let r = mdm_apple::response::parse(&real("nanocmd__workflow_certprof_testdata_certlist.plist"))
        .unwrap();
    assert_eq!(schema.check_response(&r.body), Vec::<String>::new());
    let mut broken = r.body.clone();
    broken.insert("Extra".into(), s("x"));
    broken.remove("CertificateList");
    let violations = schema.check_response(&broken);
    assert_eq!(violations.len(), 2, "{violations:?}");
}

#[test]
fn the_checkin_schemas_call_keys_required_that_real_devices_omit() {
    // Why checkin::parse is lenient: the real iPad Authenticate lacks DeviceName, Model and
    // ModelName, all "required" in the schema, yet it is a genuine device's message.
    let schema = Schema::for_message_type("Authenticate").unwrap();
    let body =
        Value::from_reader_xml(&real("nanomdm__mdm_testdata_Authenticate.1.plist")[..]).unwrap();
    let violations = schema.check(body.as_dictionary().unwrap());
    for key in ["DeviceName", "Model", "ModelName"] {
        assert!(
            violations.contains(&format!("`{key}`: required key missing")),
            "{violations:?}"
        );
    }
}

#[test]
fn every_schema_file_in_the_conformance_folder_loads() {
    let mut loaded = 0;
    for kind in ["checkin", "commands", "profiles"] {
        for entry in std::fs::read_dir(conformance_dir().join("spec/mdm").join(kind)).unwrap() {
            let path = entry.unwrap().path();
            Schema::load(&path).unwrap_or_else(|e| panic!("{e}"));
            loaded += 1;
        }
    }
    assert!(loaded > 80, "{loaded}");
}
