//! The last pass over the OpenAPI document as JSON: every string a client sends (request
//! bodies, query and path parameters, and the schemas they reach) that has no pattern, format
//! or enum of its own gets the pattern `^[^\u0000]*$`, because the server refuses U+0000
//! anywhere in a request (PostgreSQL cannot store it). The document then says what the server
//! does, and a generator that follows it does not send what is refused. Free-form objects
//! (parameters passed on to a model) say the same of their keys and values.

use std::collections::{BTreeSet, VecDeque};

use serde_json::Value;

/// The pattern of a string without U+0000.
pub const NO_NUL: &str = "^[^\\u0000]*$";

const COMPONENT_PREFIX: &str = "#/components/schemas/";

/// The component every free-form request object's values refer to: any JSON value whose
/// strings and keys hold no U+0000.
const JSON_VALUE: &str = "JsonValueWithoutNul";

fn json_value_schema() -> Value {
    let me = Value::String(format!("{COMPONENT_PREFIX}{JSON_VALUE}"));
    serde_json::json!({
        "description": "Any JSON value; no string or key holds U+0000",
        "anyOf": [
            {"type": "string", "pattern": NO_NUL},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "null"},
            {"type": "array", "items": {"$ref": me}},
            {"type": "object", "propertyNames": {"pattern": NO_NUL}, "additionalProperties": {"$ref": me}},
        ]
    })
}

/// The document as JSON, request strings marked.
pub fn to_json(doc: &utoipa::openapi::OpenApi) -> String {
    let Ok(mut v) = serde_json::to_value(doc) else {
        return "{}".to_owned();
    };
    mark_requests(&mut v);
    v.to_string()
}

/// Marks the request strings of a document.
pub fn mark_requests(doc: &mut Value) {
    let mut reached = VecDeque::new();
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for op in item.values_mut() {
                for param in op
                    .get_mut("parameters")
                    .and_then(Value::as_array_mut)
                    .into_iter()
                    .flatten()
                {
                    if let Some(schema) = param.get_mut("schema") {
                        mark(schema, &mut reached);
                    }
                }
                let contents = op
                    .get_mut("requestBody")
                    .and_then(|b| b.get_mut("content"))
                    .and_then(Value::as_object_mut);
                for content in contents.into_iter().flat_map(|c| c.values_mut()) {
                    if let Some(schema) = content.get_mut("schema") {
                        mark(schema, &mut reached);
                    }
                }
            }
        }
    }
    let Some(components) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    components.insert(JSON_VALUE.to_owned(), json_value_schema());
    let mut done = BTreeSet::from([JSON_VALUE.to_owned()]);
    while let Some(name) = reached.pop_front() {
        if !done.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = components.get_mut(&name) {
            mark(schema, &mut reached);
        }
    }
}

fn has_type(schema: &serde_json::Map<String, Value>, name: &str) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == name,
        Some(Value::Array(ts)) => ts.iter().any(|t| t == name),
        _ => false,
    }
}

/// Marks one schema and what it contains; names the components it refers to in `reached`.
fn mark(schema: &mut Value, reached: &mut VecDeque<String>) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    if let Some(name) = obj
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix(COMPONENT_PREFIX))
    {
        reached.push_back(name.to_owned());
    }
    let constrained = ["pattern", "format", "enum", "const", "contentMediaType"]
        .iter()
        .any(|k| obj.contains_key(*k));
    if has_type(obj, "string") && !constrained {
        obj.insert("pattern".to_owned(), Value::String(NO_NUL.to_owned()));
    }
    let free_object = has_type(obj, "object")
        && !obj.contains_key("properties")
        && !obj.contains_key("additionalProperties");
    if free_object {
        obj.insert(
            "propertyNames".to_owned(),
            serde_json::json!({"pattern": NO_NUL}),
        );
        obj.insert(
            "additionalProperties".to_owned(),
            serde_json::json!({"$ref": format!("{COMPONENT_PREFIX}{JSON_VALUE}")}),
        );
        return;
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(inner) = obj.get_mut(key) {
            mark(inner, reached);
        }
    }
    if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
        for inner in props.values_mut() {
            mark(inner, reached);
        }
    }
    for key in ["oneOf", "anyOf", "allOf", "prefixItems"] {
        for inner in obj
            .get_mut(key)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            mark(inner, reached);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn request_strings_are_marked_and_response_only_schemas_are_not() {
        let mut doc = json!({
            "paths": {"/a": {"post": {
                "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Req"}}}}
            }}},
            "components": {"schemas": {
                "Req": {"type": "object", "properties": {
                    "name": {"type": "string"},
                    "id": {"type": "string", "format": "uuid"},
                    "kind": {"type": "string", "pattern": "^(a|b)$"},
                    "note": {"type": ["string", "null"]},
                    "inner": {"$ref": "#/components/schemas/Inner"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "params": {"type": ["object", "null"]}
                }},
                "Inner": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                "Resp": {"type": "object", "properties": {"text": {"type": "string"}}}
            }}
        });
        mark_requests(&mut doc);
        let at = |p: &str| doc.pointer(p).cloned().unwrap_or(Value::Null);
        assert_eq!(at("/paths/~1a/post/parameters/0/schema/pattern"), NO_NUL);
        let req = "/components/schemas/Req/properties";
        assert_eq!(at(&format!("{req}/name/pattern")), NO_NUL);
        assert_eq!(at(&format!("{req}/note/pattern")), NO_NUL);
        assert_eq!(at(&format!("{req}/tags/items/pattern")), NO_NUL);
        assert_eq!(at(&format!("{req}/id/pattern")), Value::Null);
        assert_eq!(at(&format!("{req}/kind/pattern")), "^(a|b)$");
        assert_eq!(at("/components/schemas/Inner/oneOf/0/pattern"), NO_NUL);
        assert_eq!(at(&format!("{req}/params/propertyNames/pattern")), NO_NUL);
        let free = at(&format!("{req}/params/additionalProperties/$ref"));
        assert_eq!(free, format!("{COMPONENT_PREFIX}{JSON_VALUE}"));
        let value = at(&format!("/components/schemas/{JSON_VALUE}/anyOf/0/pattern"));
        assert_eq!(value, NO_NUL);
        assert_eq!(
            at("/components/schemas/Resp/properties/text/pattern"),
            Value::Null
        );
    }
}
