//! The SAM template routes API Gateway to the functions by hand; these tests hold it to the
//! route table and the Apple routes, so a route cannot be served locally yet missing (or
//! misrouted) on AWS.

use std::collections::BTreeSet;

use mdm_http::routes::{Function, ROUTES};

type Route = (String, String, String);

/// (function name, method, path) of every `HttpApi` event in the template, read line by line:
/// CloudFormation's `!Ref`-style tags make a YAML library a poor fit for this one question.
fn template_routes() -> BTreeSet<Route> {
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

/// Every route the functions serve: the route table's and Apple's protocol endpoints.
fn served_routes() -> BTreeSet<Route> {
    let table = ROUTES.iter().map(|r| {
        (
            r.function.name().to_owned(),
            r.method.to_string(),
            r.path.to_owned(),
        )
    });
    let apple = mdm_http::apple_routes::ROUTES
        .iter()
        .map(|(f, method, path)| {
            (
                f.name().to_owned(),
                (*method).to_owned(),
                (*path).to_owned(),
            )
        });
    table.chain(apple).collect()
}

#[test]
fn the_sam_template_routes_exactly_the_served_routes_to_each_function() {
    let table = served_routes();
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

#[test]
fn the_apple_endpoints_are_routed_in_the_template_to_the_function_that_serves_them() {
    let template = template_routes();
    for (f, method, path) in mdm_http::apple_routes::ROUTES {
        let owner: Vec<_> = template
            .iter()
            .filter(|(_, m, p)| m == method && p == path)
            .map(|(name, _, _)| name.as_str())
            .collect();
        assert_eq!(owner, vec![f.name()], "{method} {path}");
    }
}

#[test]
fn no_route_is_both_in_the_route_table_and_among_the_apple_routes() {
    // The template check counts each route once; a route in both lists would hide a mismatch.
    for (_, method, path) in mdm_http::apple_routes::ROUTES {
        assert!(
            !ROUTES
                .iter()
                .any(|r| r.method.as_str() == *method && r.path == *path),
            "{method} {path}"
        );
    }
}
