//! The finishing pass over the generated OpenAPI document, so that it describes what the
//! server really answers:
//! - the `/v1` gateway and the chat WebSocket join it ([`crate::gateway::doc`]);
//! - a `bearer` security scheme (access token or API key), required by every operation but
//!   the public ones (health, login, registration, password reset, share links, guest chat);
//! - the error answers every operation can give, in the envelope, where the operation does not
//!   list them itself: 400 (malformed JSON or path), 401 and 403 (when signed in is required),
//!   404 (when the path names something), 413 and 415 (when there is a body), 422 (a field
//!   is invalid), and `default` for the rest (409, 429, 500, 503);
//! - operation ids made unique (the same handler name in two modules).

use std::collections::BTreeMap;

use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};

/// Paths anyone may call (prefix matches end with `/`).
const PUBLIC: &[&str] = &[
    "/health",
    "/ready",
    "/metrics",
    "/api/system/",
    "/api/auth/register",
    "/api/auth/registration",
    "/api/auth/setup",
    "/api/auth/login",
    "/api/auth/refresh",
    "/api/auth/password/reset",
    "/api/auth/verify-email",
    "/api/auth/oauth/",
    "/api/share/",
    "/api/llm/guest",
];

fn is_public(path: &str) -> bool {
    PUBLIC.iter().any(|p| {
        path == *p
            || (path.starts_with(p)
                && (p.ends_with('/') || path.get(p.len()..).is_some_and(|r| r.starts_with('/'))))
    })
}

fn error(description: &str, schema: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(schema)))
                    .build(),
            )
            .build(),
    )
}

fn operations(item: &mut PathItem) -> Vec<(&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("put", item.put.as_mut()),
        ("post", item.post.as_mut()),
        ("delete", item.delete.as_mut()),
        ("patch", item.patch.as_mut()),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.map(|op| (m, op)))
    .collect()
}

/// Adds the answers an operation can give but does not list.
fn complete(path: &str, op: &mut Operation) {
    let public = is_public(path);
    let schema = if path.starts_with("/v1/") {
        "OpenAiError"
    } else {
        "ErrorBody"
    };
    let mut add = |code: &str, text: &str| {
        op.responses
            .responses
            .entry(code.to_owned())
            .or_insert_with(|| error(text, schema));
    };
    add(
        "400",
        "Malformed request: JSON syntax, or a path or query parameter of the wrong form",
    );
    if !public {
        add(
            "401",
            "Not signed in, or the token or key is invalid, revoked or expired",
        );
        add("403", "This account may not do this (role or permission)");
    }
    if path.contains('{') {
        add("404", "No such item, or not yours");
    }
    let has_body = op.request_body.is_some();
    if has_body {
        add("413", "The body is larger than MAX_BODY_SIZE");
        add("415", "The body is not of the documented content type");
    }
    add("422", "A field is invalid; `details.fields` names it");
    add(
        "default",
        "Any other error (409, 429, 500, 503), in the same shape",
    );
    if !public {
        op.security = Some(vec![SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
    }
}

/// The finished document of `doc`.
pub fn finish(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    doc.merge(crate::gateway::doc::GatewayDoc::openapi());
    doc.components
        .get_or_insert_with(Default::default)
        .add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An access token (`POST /api/auth/login`) under `/api`, an API key (`sk-llmm-…`) under `/v1`",
                    ))
                    .build(),
            ),
        );
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, op) in operations(item) {
            complete(path, op);
            let id = op.operation_id.clone().unwrap_or_default();
            let n = seen.entry(id.clone()).or_insert(0);
            *n += 1;
            if *n > 1 || id.is_empty() {
                let unique: String = format!("{method}{path}")
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .collect();
                op.operation_id = Some(unique);
            }
        }
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_paths_match_whole_segments() {
        assert!(is_public("/api/auth/login"));
        assert!(is_public("/api/auth/login/2fa"));
        assert!(is_public("/api/share/{token}"));
        assert!(is_public("/api/llm/guest/chat"));
        assert!(!is_public("/api/auth/logout"));
        assert!(!is_public("/api/auth/registrations-of-mine"));
        assert!(!is_public("/api/llm/sessions"));
    }

    #[test]
    fn the_document_has_the_gateway_unique_ids_and_no_shadowed_schemas() {
        let (_, doc) = crate::app::routes();
        let doc = finish(doc);
        let json = serde_json::to_value(&doc).unwrap_or_default();
        let paths = json.get("paths").cloned().unwrap_or_default();
        for p in [
            "/v1/chat/completions",
            "/v1/models",
            "/api/llm/ws",
            "/api/admin/users",
        ] {
            assert!(paths.get(p).is_some(), "{p} missing");
        }
        let mut ids = Vec::new();
        for item in paths.as_object().into_iter().flat_map(|o| o.values()) {
            for op in item.as_object().into_iter().flat_map(|o| o.values()) {
                if let Some(id) = op.get("operationId").and_then(|v| v.as_str()) {
                    ids.push(id.to_owned());
                }
            }
        }
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "operation ids must be unique");
        let schemas = json
            .pointer("/components/schemas")
            .cloned()
            .unwrap_or_default();
        for s in [
            "OAuthProviderResponse",
            "ProviderResponse",
            "LoginSessionResponse",
            "SessionResponse",
            "OpenAiError",
        ] {
            assert!(schemas.get(s).is_some(), "{s} missing");
        }
        // Every referenced schema exists.
        let text = json.to_string();
        for r in text.split("#/components/schemas/").skip(1) {
            let name: String = r.chars().take_while(|c| *c != '"').collect();
            assert!(
                schemas.get(&name).is_some(),
                "{name} is referenced but not defined"
            );
        }
    }
}
