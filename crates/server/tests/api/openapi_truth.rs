//! The OpenAPI document says what the server does (the fuzzer's findings, issue 20 item 9):
//! every request string is marked free of U+0000, free-form objects too, uploads are one
//! required `file`, CSV answers and the WebSocket's 426 are listed; and the server enforces
//! each rule the document states, exactly: pages from 1, names checked as sent, no stray form
//! fields, well-formed addresses, ranges.

use std::io::Cursor;

use fake_llm::{FakeConfig, FakeLlm};
use image::{DynamicImage, ImageFormat, RgbaImage};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::llm::add_openai;
use crate::on_both_databases;

const NO_NUL: &str = "^[^\\u0000]*$";

async fn json_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn png() -> Vec<u8> {
    let mut out = Vec::new();
    DynamicImage::ImageRgba8(RgbaImage::new(4, 4))
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .unwrap();
    out
}

/// A form of a PNG as `file` and one more field.
fn form_with_extra() -> reqwest::multipart::Form {
    let part = reqwest::multipart::Part::bytes(png())
        .file_name("a.png")
        .mime_str("image/png")
        .unwrap();
    reqwest::multipart::Form::new()
        .part("file", part)
        .text("note", "hello")
}

fn field_of(body: &Value) -> Vec<String> {
    body["error"]["details"]["fields"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

on_both_databases! {
    async fn the_document_marks_request_strings_uploads_csv_and_the_websocket(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let (status, doc) = app.get_json("/api/openapi.json").await;
        assert_eq!(status, 200);
        let at = |p: &str| doc.pointer(p).cloned().unwrap_or(Value::Null);
        let schemas = "/components/schemas";
        // Strings without a rule of their own take no U+0000; formats and patterns stay.
        assert_eq!(at(&format!("{schemas}/LoginRequest/properties/password/pattern")), NO_NUL);
        assert_eq!(at(&format!("{schemas}/RegisterRequest/properties/email/format")), "email");
        assert_eq!(at(&format!("{schemas}/RegisterRequest/properties/username/pattern")), "^[A-Za-z0-9_.-]{3,32}$");
        let search = at("/paths/~1api~1llm~1sessions/get/parameters");
        let q = search.as_array().unwrap().iter().find(|p| p["name"] == "q").unwrap();
        assert_eq!(q["schema"]["pattern"], NO_NUL);
        // Free-form objects say the same of their keys and values.
        assert_eq!(at(&format!("{schemas}/PersonaBody/properties/params/propertyNames/pattern")), NO_NUL);
        assert_eq!(at(&format!("{schemas}/JsonValueWithoutNul/anyOf/0/pattern")), NO_NUL);
        // Responses are not marked: they carry what models wrote.
        assert_eq!(at(&format!("{schemas}/ErrorDetail/properties/message/pattern")), Value::Null);
        // One required `file`, nothing else.
        assert_eq!(at(&format!("{schemas}/ImageUpload/required")), json!(["file"]));
        assert_eq!(at(&format!("{schemas}/ImageUpload/additionalProperties")), json!(false));
        assert!(at("/paths/~1api~1admin~1users~1export/get/responses/200/content/text~1csv").is_object());
        assert!(at("/paths/~1api~1admin~1statistics/get/responses/200/content/text~1csv").is_object());
        assert!(at("/paths/~1api~1llm~1ws/get/responses/426").is_object());
        // A model's limits are rates only.
        let model_limit = at("/paths/~1api~1admin~1quotas~1models~1{model}/put/requestBody/content/application~1json/schema/$ref");
        assert_eq!(model_limit, "#/components/schemas/ModelLimitBody");
        assert_eq!(at(&format!("{schemas}/ModelLimitBody/properties/max_cost")), Value::Null);
    }

    async fn pages_count_from_one_and_the_websocket_wants_an_upgrade(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let user = app.user("ann").await;
        let (status, body) = json_of(app.get_as(&user.access_token, "/api/llm/sessions?page=0").await).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(field_of(&body), ["page"]);
        assert_eq!(app.get_as(&user.access_token, "/api/llm/sessions?page=1").await.status(), 200);
        let res = app.get_as(&user.access_token, "/api/llm/ws").await;
        assert_eq!(res.status(), 426);
        assert_eq!(res.headers()["upgrade"], "websocket");
        let (_, body) = json_of(res).await;
        assert_eq!(body["error"]["code"], "upgrade_required");
        // A NUL in the token is refused like a NUL anywhere else.
        let (status, _) = json_of(app.get(&format!("/api/llm/ws?token={}%00x", user.access_token)).await).await;
        assert_eq!(status, 422);
        assert_eq!(app.get("/api/llm/ws?token=nonsense").await.status(), 401);
    }

    async fn upload_forms_take_only_their_file(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let user = app.user("ann").await;
        for path in ["/api/files", "/api/auth/avatar"] {
            let res = app.client.post(app.url(path)).bearer_auth(&user.access_token)
                .multipart(form_with_extra()).send().await.unwrap();
            let (status, body) = json_of(res).await;
            assert_eq!(status, 422, "{path}: {body}");
            assert_eq!(field_of(&body), ["note"], "{path}");
            let part = reqwest::multipart::Part::bytes(png()).file_name("a.png").mime_str("image/png").unwrap();
            let res = app.client.post(app.url(path)).bearer_auth(&user.access_token)
                .multipart(reqwest::multipart::Form::new().part("file", part)).send().await.unwrap();
            assert!(res.status().is_success(), "{path}: {}", res.status());
        }
        // Every answer says its type is not to be guessed: the avatar, JSON, errors.
        for path in ["/api/auth/avatar", "/api/auth/profile", "/api/llm/sessions?page=0"] {
            let res = app.get_as(&user.access_token, path).await;
            assert_eq!(res.headers()["x-content-type-options"], "nosniff", "{path}");
        }
    }

    async fn addresses_and_names_are_checked_as_the_document_states(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let fake = FakeLlm::start_with(FakeConfig::default(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
        let admin = app.admin().await;
        let user = app.user("ann").await;
        let (status, body) = json_of(app.post_json("/api/auth/password/reset", &json!({"email": "not an address"})).await).await;
        assert_eq!((status, field_of(&body)), (422, vec!["email".to_owned()]));
        assert_eq!(app.post_json("/api/auth/password/reset", &json!({"email": "nobody@example.com"})).await.status(), 202);
        let invite = |email: Value| app.send_as(&admin.access_token, Method::POST, "/api/admin/invites", Some(json!({"email": email})));
        assert_eq!(invite(json!("")).await.status(), 422);
        assert_eq!(invite(Value::Null).await.status(), 201);
        assert_eq!(invite(json!("guest@example.com")).await.status(), 201);
        // Names: as sent, no control character (U+0085 included) and at most 64 characters.
        let key = |name: String| app.send_as(&user.access_token, Method::POST, "/api/keys", Some(json!({"name": name})));
        assert_eq!(key("\u{85}ci".to_owned()).await.status(), 422);
        assert_eq!(key(format!("{}ci", " ".repeat(63))).await.status(), 422);
        assert_eq!(key("  ci  ".to_owned()).await.status(), 201);
        let persona = |name: &str, avatar: &str| app.send_as(&user.access_token, Method::POST, "/api/llm/personas",
            Some(json!({"name": name, "system_prompt": "Be brief.", "avatar": avatar})));
        assert_eq!(persona("Owl\u{7}", "🦉").await.status(), 422);
        assert_eq!(persona("Owl", &"🦉".repeat(17)).await.status(), 422);
        assert_eq!(persona("Owl", &"🦉".repeat(16)).await.status(), 201);
        let provider = |max_tokens: u64| app.send_as(&admin.access_token, Method::POST, "/api/admin/providers",
            Some(json!({"name": "Local", "kind": "openai_compatible", "base_url": fake.openai_base(),
                "api_key": "sk-upstream-0000000000", "models": ["m"],
                "default_params": {"max_tokens": max_tokens}})));
        let (status, body) = json_of(provider(20_000_000).await).await;
        assert_eq!((status, field_of(&body)), (422, vec!["default_params.max_tokens".to_owned()]));
        assert_eq!(provider(4096).await.status(), 201);
    }

    async fn tags_are_counted_as_sent(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        let fake = FakeLlm::start_with(FakeConfig::default(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
        add_openai(&app, &admin, "Fake", &fake, "sk-upstream-0000000000", &["fake-model"]).await;
        let (status, chat) = json_of(app.send_as(&admin.access_token, Method::POST, "/api/llm/chat",
            Some(json!({"message": "hi", "model": "fake-model"}))).await).await;
        assert_eq!(status, 200, "{chat}");
        let session = chat["session_id"].as_str().unwrap().to_owned();
        let tags = |n: usize| json!({"tags": vec!["same"; n]});
        let path = format!("/api/llm/sessions/{session}");
        let patch = |body: Value| app.send_as(&admin.access_token, Method::PATCH, &path, Some(body));
        assert_eq!(patch(tags(21)).await.status(), 422);
        let (status, body) = json_of(patch(tags(20)).await).await;
        assert_eq!((status, body["tags"].clone()), (200, json!(["same"])));
        assert_eq!(patch(json!({"title": "\u{85}Plans"})).await.status(), 422);
    }
}
