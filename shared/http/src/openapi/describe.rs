//! Reads a handler's signature into its documentation: the body it parses, the query it
//! accepts and the answer it returns come from the types its extractors and result name, so
//! the OpenAPI document cannot describe a different body than the handler really takes.

use std::future::Future;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mdm_core::usecases::page::{DEFAULT_LIMIT, MAX_LIMIT};
use schemars::{JsonSchema, Schema, SchemaGenerator, generate::SchemaSettings, json_schema};
use serde::Serialize;

use crate::extract::{Device, JsonBody, Paged, Platform, QueryParams, ServerUrl, Tenant};
use crate::path::{IdPath, PathParams};
use crate::problem::Problem;

/// A `201 Created` answer; a type of its own so the status is known without calling.
pub struct Created<T>(pub T);

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        (StatusCode::CREATED, Json(self.0)).into_response()
    }
}

/// A `204 No Content` answer: the action is done and there is nothing left to show.
pub struct NoContent;

impl IntoResponse for NoContent {
    fn into_response(self) -> Response {
        StatusCode::NO_CONTENT.into_response()
    }
}

/// What one handler takes and gives, as JSON Schemas. Request schemas are drawn with the
/// deserialising contract (defaults make fields optional), answers with the serialising one.
pub struct Described {
    pub(crate) requests: SchemaGenerator,
    pub(crate) answers: SchemaGenerator,
    pub body: Option<Schema>,
    /// The path parameters' schemas, in path order.
    pub path: Vec<Schema>,
    /// The query string's parameters: (name, required, schema).
    pub query: Vec<(String, bool, Schema)>,
    pub status: u16,
    pub answer: Option<Schema>,
}

/// Where subschemas go: the components of the OpenAPI document.
const COMPONENTS: &str = "/components/schemas";

impl Described {
    pub(crate) fn new() -> Self {
        let settings = SchemaSettings::draft2020_12().with(|s| {
            s.definitions_path = COMPONENTS.into();
            s.meta_schema = None;
        });
        Self {
            requests: settings.clone().for_deserialize().into_generator(),
            answers: settings.for_serialize().into_generator(),
            body: None,
            path: Vec::new(),
            query: Vec::new(),
            status: 200,
            answer: None,
        }
    }

    pub fn handler<M, H: Describe<M>>(&mut self, _: &H) {
        H::describe(self);
    }
}

/// Implemented for every handler function whose arguments and result can be described.
pub trait Describe<M> {
    fn describe(d: &mut Described);
}

/// An extractor's share of the description; most (state, credentials) add nothing, since
/// security comes from the route table.
pub trait DescribeArg {
    fn describe(_: &mut Described) {}
}

impl<T> DescribeArg for State<T> {}
impl DescribeArg for Tenant {}
impl DescribeArg for Platform {}
impl DescribeArg for Device {}
impl DescribeArg for ServerUrl {}

impl<T: PathParams> DescribeArg for IdPath<T> {
    fn describe(d: &mut Described) {
        d.path = T::schemas(&mut d.requests);
    }
}

impl<T: JsonSchema> DescribeArg for JsonBody<T> {
    fn describe(d: &mut Described) {
        d.body = Some(d.requests.subschema_for::<T>());
    }
}

impl<T: JsonSchema> DescribeArg for QueryParams<T> {
    fn describe(d: &mut Described) {
        describe_query::<T>(d);
    }
}

impl<F: JsonSchema> DescribeArg for Paged<F> {
    fn describe(d: &mut Described) {
        d.query.push((
            "cursor".into(),
            false,
            json_schema!({
                "type": "string",
                "minLength": 1,
                "description": "Opaque: the `next_cursor` of the previous page, passed back \
                    unchanged (with the same filters); a value this listing did not return is \
                    refused with 400 `invalid_field`.",
            }),
        ));
        d.query.push((
            "limit".into(),
            false,
            json_schema!({
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_LIMIT,
                "default": DEFAULT_LIMIT,
                "description": "Most items in the page.",
            }),
        ));
        describe_query::<F>(d);
    }
}

/// Each field of the query type becomes one parameter, so it is drawn inline.
fn describe_query<T: JsonSchema>(d: &mut Described) {
    let root = SchemaSettings::draft2020_12()
        .with(|s| {
            s.inline_subschemas = true;
            s.meta_schema = None;
        })
        .for_deserialize()
        .into_generator()
        .into_root_schema_for::<T>();
    let required: Vec<&str> = root
        .get("required")
        .and_then(|r| r.as_array())
        .map(|r| r.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    if let Some(props) = root.get("properties").and_then(|p| p.as_object()) {
        for (name, schema) in props {
            let schema = Schema::try_from(query_value(schema.clone())).unwrap_or_default();
            d.query
                .push((name.clone(), required.contains(&name.as_str()), schema));
        }
    }
}

/// A parameter left out of the query string is absent, never null: an `Option` field's
/// `null` type and default are dropped.
fn query_value(mut schema: serde_json::Value) -> serde_json::Value {
    if let Some(map) = schema.as_object_mut() {
        if map.get("default").is_some_and(serde_json::Value::is_null) {
            map.remove("default");
        }
        if let Some(types) = map.get("type").and_then(|t| t.as_array()) {
            let kept: Vec<_> = types.iter().filter(|t| *t != "null").cloned().collect();
            let one = if kept.len() == 1 {
                kept[0].clone()
            } else {
                kept.into()
            };
            map.insert("type".into(), one);
        }
    }
    schema
}

/// A handler result's share: its success status and body.
pub trait DescribeAnswer {
    fn describe(d: &mut Described);
}

impl<T: JsonSchema> DescribeAnswer for Json<T> {
    fn describe(d: &mut Described) {
        d.status = 200;
        d.answer = Some(d.answers.subschema_for::<T>());
    }
}

impl<T: JsonSchema> DescribeAnswer for Created<T> {
    fn describe(d: &mut Described) {
        d.status = 201;
        d.answer = Some(d.answers.subschema_for::<T>());
    }
}

impl DescribeAnswer for NoContent {
    fn describe(d: &mut Described) {
        d.status = 204;
        d.answer = None;
    }
}

impl<T: DescribeAnswer> DescribeAnswer for Result<T, Problem> {
    fn describe(d: &mut Described) {
        T::describe(d);
    }
}

macro_rules! describe_handlers {
    ($($arg:ident),*) => {
        impl<F, Fut, $($arg,)*> Describe<($($arg,)*)> for F
        where
            F: Fn($($arg),*) -> Fut,
            Fut: Future,
            Fut::Output: DescribeAnswer,
            $($arg: DescribeArg,)*
        {
            fn describe(d: &mut Described) {
                $($arg::describe(d);)*
                <Fut::Output as DescribeAnswer>::describe(d);
            }
        }
    };
}

describe_handlers!();
describe_handlers!(A);
describe_handlers!(A, B);
describe_handlers!(A, B, C);
describe_handlers!(A, B, C, D);
describe_handlers!(A, B, C, D, E);
