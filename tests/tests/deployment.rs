//! The SAM template routes API Gateway to the functions by hand; these tests hold it to the
//! route table, so a route cannot be served locally yet missing (or misrouted) on AWS.

use std::collections::BTreeSet;

use mdm_http::routes::{Function, ROUTES};

/// (function name, method, path) of every `HttpApi` event in the template, read line by line:
/// CloudFormation's `!Ref`-style tags make a YAML library a poor fit for this one question.
fn template_routes() -> BTreeSet<(String, String, String)> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../infra/template.yaml"
    ))
    .expect("infra/template.yaml");
    let mut routes = BTreeSet::new();
    let mut resource = String::new();
    let mut method: Option<String> = None;
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if indent == 2 && trimmed.ends_with(':') && !trimmed.starts_with('#') {
            resource = trimmed.trim_end_matches(':').to_owned();
            method = None;
        } else if let Some(m) = trimmed.strip_prefix("Method: ") {
            method = Some(m.to_owned());
        } else if let Some(p) = trimmed.strip_prefix("Path: ") {
            let function = resource
                .strip_suffix("Function")
                .unwrap_or_else(|| panic!("an HttpApi event outside a function: {resource}"))
                .to_ascii_lowercase();
            let m = method
                .take()
                .expect("Method comes before Path in every event");
            routes.insert((function, m, p.to_owned()));
        }
    }
    routes
}

#[test]
fn the_sam_template_routes_exactly_the_route_table_to_each_function() {
    let table: BTreeSet<(String, String, String)> = ROUTES
        .iter()
        .map(|r| {
            (
                r.function.name().to_owned(),
                r.method.to_string(),
                r.path.to_owned(),
            )
        })
        .collect();
    let template = template_routes();
    let missing: Vec<_> = table.difference(&template).collect();
    let extra: Vec<_> = template.difference(&table).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "infra/template.yaml lacks {missing:?} and routes {extra:?} that the table does not"
    );
}

#[test]
fn every_function_of_the_table_has_its_resource_in_the_template() {
    let template = template_routes();
    for f in Function::ALL {
        assert!(
            template.iter().any(|(name, _, _)| name == f.name()),
            "{f:?}"
        );
    }
}
