//! The OpenAPI 3.1 document, generated from the route table and the handlers' own types, and
//! served at `/openapi.json`: a route cannot exist undocumented, nor be documented with a body
//! other than the one its handler parses.

pub mod describe;

use std::sync::OnceLock;

use axum::Json;
use schemars::Schema;
use serde_json::{Map, Value, json};

pub use describe::{Created, Described, NoContent};

use crate::routes::{Caller, ROUTES, Route};

/// The document, built once per process: it only depends on the code.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(build)
}

pub(crate) async fn serve() -> Json<Value> {
    Json(document().clone())
}

fn build() -> Value {
    let mut d = Described::new();
    let mut described = Vec::new();
    for route in ROUTES {
        d.body = None;
        d.path.clear();
        d.query.clear();
        d.answer = None;
        (route.endpoint.describe)(&mut d);
        described.push((
            route,
            d.body.clone(),
            d.path.clone(),
            d.query.clone(),
            d.status,
            d.answer.clone(),
        ));
    }
    // Every error answer refers to the problem.
    d.answers.subschema_for::<crate::problem::Problem>();
    let mut schemas = d.requests.take_definitions(true);
    // A type may read differently in the two directions (a field with a default is optional
    // in a request, always present in an answer): the answer's version then gets its own name.
    let mut answers = d.answers.take_definitions(true);
    let renamed: Vec<String> = answers
        .iter()
        .filter(|(name, answer)| schemas.get(*name).is_some_and(|request| request != *answer))
        .map(|(name, _)| name.clone())
        .collect();
    for value in answers.values_mut() {
        rename_refs(value, &renamed);
    }
    for (name, answer) in answers {
        let name = if renamed.contains(&name) {
            format!("{name}Answer")
        } else {
            name
        };
        schemas.insert(name, answer);
    }
    let mut paths = Map::new();
    for (route, body, path, query, status, answer) in described {
        let answer = answer.map(|a| {
            let mut v = a.to_value();
            rename_refs(&mut v, &renamed);
            v
        });
        let op = operation(
            route,
            body.map(|b| b.to_value()),
            &path,
            &query,
            status,
            answer,
        );
        let item = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| json!({}));
        item[route.method.as_str().to_ascii_lowercase()] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "mdm",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Multi-tenant Mobile Device Management API. Tenant routes take a \
                JWT (claims iss, aud, exp, sub, tenant, role); device routes take the device \
                credential returned by enrolment. Errors are application/problem+json with a \
                stable `code`.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "tenantJwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "platformJwt": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "role platform_operator and no tenant claim",
                },
                "deviceCredential": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "the device_credential returned by POST /v1/enroll",
                },
            },
            "responses": {
                "Problem": {
                    "description": "an RFC 9457 problem; `code` is stable",
                    "content": {"application/problem+json": {
                        "schema": {"$ref": "#/components/schemas/Problem"}
                    }},
                },
            },
        },
    })
}

/// Points references to the renamed components at their `…Answer` versions.
fn rename_refs(value: &mut Value, renamed: &[String]) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get_mut("$ref")
                && let Some(name) = target.strip_prefix("#/components/schemas/")
                && renamed.iter().any(|r| r == name)
            {
                target.push_str("Answer");
            }
            map.values_mut().for_each(|v| rename_refs(v, renamed));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename_refs(v, renamed)),
        _ => {}
    }
}

/// The path parameters' names in a template such as `/v1/devices/{device_id}`.
pub fn path_params(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
}

fn operation(
    route: &Route,
    body: Option<Value>,
    path: &[Schema],
    query: &[(String, bool, Schema)],
    status: u16,
    answer: Option<Value>,
) -> Value {
    // The handler's `IdPath` gives the schemas in path order (a test checks it gives one for
    // each parameter the path names).
    let mut parameters: Vec<Value> = path_params(route.path)
        .zip(path)
        .map(|(name, schema)| {
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        })
        .collect();
    for (name, required, schema) in query {
        parameters
            .push(json!({"name": name, "in": "query", "required": required, "schema": schema}));
    }
    if route.idempotent {
        parameters.push(json!({
            "name": "Idempotency-Key",
            "in": "header",
            "required": false,
            "description": "1 to 255 printable ASCII characters; a retry with the same key \
                and body within 24 h replays the first answer instead of acting again, and \
                the key used for a different request is refused with 422 \
                `idempotency_key_reused`",
            "schema": {
                "type": "string",
                "minLength": 1,
                "maxLength": 255,
                "pattern": "^[\\x20-\\x7E]+$",
            },
        }));
    }
    let problem = json!({"$ref": "#/components/responses/Problem"});
    let mut responses = Map::new();
    let success = match &answer {
        Some(schema) => json!({
            "description": route.summary,
            "content": {"application/json": {"schema": schema}},
        }),
        None => json!({"description": route.summary}),
    };
    responses.insert(status.to_string(), success);
    let mut errors: Vec<u16> = vec![404];
    if body.is_some() {
        errors.extend([400, 413, 415]);
    }
    // A malformed id in a path cannot exist (404); a malformed number is the caller's mistake.
    if !query.is_empty() || path_params(route.path).any(|p| p == "version") {
        errors.push(400);
    }
    match route.caller {
        Caller::Tenant(_) => errors.extend([401, 403, 429]),
        Caller::Platform => errors.extend([401, 403]),
        Caller::Device => errors.extend([401, 429]),
        Caller::EnrollmentToken => errors.extend([403, 429]),
        Caller::Public => {}
    }
    if route.idempotent {
        errors.extend([409, 422]);
    }
    errors.sort_unstable();
    errors.dedup();
    for status in errors {
        responses.insert(status.to_string(), problem.clone());
    }
    responses.insert("default".into(), problem);

    let mut op = json!({
        "operationId": route.endpoint.operation_id,
        "summary": route.summary,
        "responses": responses,
        "x-lambda-function": route.function.name(),
    });
    if !parameters.is_empty() {
        op["parameters"] = Value::Array(parameters);
    }
    if let Some(schema) = &body {
        op["requestBody"] = json!({
            "required": true,
            "content": {"application/json": {"schema": schema}},
            "description": format!("at most {} bytes", route.body_limit),
        });
    }
    match route.caller {
        Caller::Tenant(roles) => {
            op["security"] = json!([{"tenantJwt": []}]);
            op["x-roles"] = roles.iter().map(|r| r.as_str()).collect();
        }
        Caller::Platform => {
            op["security"] = json!([{"platformJwt": []}]);
            op["x-roles"] = json!(["platform_operator"]);
        }
        Caller::Device => op["security"] = json!([{"deviceCredential": []}]),
        // The enrolment token travels in the body; the document is public.
        Caller::EnrollmentToken | Caller::Public => op["security"] = json!([]),
    }
    op
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn operations() -> Vec<(String, String, Value)> {
        let doc = document();
        let mut ops = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                ops.push((method.to_ascii_uppercase(), path.clone(), op.clone()));
            }
        }
        ops
    }

    #[test]
    fn every_route_is_documented_once_and_nothing_else_is() {
        let documented: HashSet<(String, String)> =
            operations().into_iter().map(|(m, p, _)| (m, p)).collect();
        let routed: HashSet<(String, String)> = ROUTES
            .iter()
            .map(|r| (r.method.to_string(), r.path.to_owned()))
            .collect();
        assert_eq!(documented, routed);
        assert_eq!(operations().len(), ROUTES.len());
    }

    #[test]
    fn operation_ids_are_unique() {
        let mut seen = HashSet::new();
        for r in ROUTES {
            assert!(
                seen.insert(r.endpoint.operation_id),
                "{}",
                r.endpoint.operation_id
            );
        }
    }

    #[test]
    fn a_route_documents_a_body_exactly_when_its_cap_admits_one() {
        for (method, path, op) in operations() {
            let route = ROUTES
                .iter()
                .find(|r| r.method.as_str() == method && r.path == path)
                .unwrap();
            assert_eq!(
                op.get("requestBody").is_some(),
                route.body_limit > 0,
                "{method} {path}: a handler that parses a body needs a cap, and a cap a body"
            );
        }
    }

    #[test]
    fn every_path_parameter_is_one_the_handler_parses() {
        for (method, path, op) in operations() {
            let named = path_params(&path).count();
            let described = op["parameters"]
                .as_array()
                .map_or(0, |ps| ps.iter().filter(|p| p["in"] == "path").count());
            assert_eq!(named, described, "{method} {path}");
        }
    }

    #[test]
    fn every_reference_points_at_a_component() {
        let text = serde_json::to_string(document()).unwrap();
        let doc = document();
        for part in text.split("\"$ref\":\"#/components/").skip(1) {
            let target = &part[..part.find('"').unwrap()];
            let (kind, name) = target.split_once('/').unwrap();
            assert!(
                doc["components"][kind].get(name).is_some(),
                "dangling $ref to {target}"
            );
        }
    }

    #[test]
    fn tenant_operations_name_their_roles_and_device_ones_their_credential() {
        for (method, path, op) in operations() {
            let route = ROUTES
                .iter()
                .find(|r| r.method.as_str() == method && r.path == path)
                .unwrap();
            match route.caller {
                Caller::Tenant(roles) => {
                    assert_eq!(op["security"], json!([{"tenantJwt": []}]));
                    assert_eq!(op["x-roles"].as_array().unwrap().len(), roles.len());
                }
                Caller::Platform => {
                    assert_eq!(op["security"], json!([{"platformJwt": []}]));
                    assert_eq!(op["x-roles"], json!(["platform_operator"]));
                }
                Caller::Device => assert_eq!(op["security"], json!([{"deviceCredential": []}])),
                Caller::EnrollmentToken | Caller::Public => assert_eq!(op["security"], json!([])),
            }
        }
    }

    /// The checked-in copy lets a reviewer see an API change in the diff, and CI validates it
    /// with an OpenAPI 3.1 validator. `MDM_WRITE_OPENAPI=1 cargo test -p mdm-http` rewrites it.
    #[test]
    fn the_checked_in_document_is_the_one_the_code_generates() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
        let generated = serde_json::to_string_pretty(document()).unwrap() + "\n";
        if std::env::var_os("MDM_WRITE_OPENAPI").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let checked_in = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            checked_in == generated,
            "shared/http/openapi.json is stale: run MDM_WRITE_OPENAPI=1 cargo test -p mdm-http"
        );
    }
}
