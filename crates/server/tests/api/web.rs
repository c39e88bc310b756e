//! The embedded web UI: SPA fallback, caching, docs page.

use crate::helpers::{Backend, TestApp};

async fn app() -> TestApp {
    // Static serving does not touch the database; one backend is enough.
    TestApp::spawn(Backend::Sqlite).await
}

#[tokio::test]
async fn client_routes_get_the_app_uncached() {
    let app = app().await;
    for path in ["/", "/status", "/chat/123", "/settings/profile"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert_eq!(res.headers()["cache-control"], "no-cache");
        assert!(
            res.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'self'")
        );
        let html = res.text().await.unwrap();
        assert!(html.contains("<div id=\"root\">"), "{path}: {html}");
    }
}

#[tokio::test]
async fn api_and_v1_paths_never_get_the_app() {
    let app = app().await;
    let (status, body) = app.get_json("/api/chat/123").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
    let (status, body) = app.get_json("/v1/nothing").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["type"], "invalid_request_error");
}

#[tokio::test]
async fn hashed_assets_are_immutable_and_missing_ones_are_404() {
    let app = app().await;
    let html = app.get("/").await.text().await.unwrap();
    let asset = html
        .split('"')
        .find(|s| s.starts_with("/assets/") && s.ends_with(".js"))
        .expect("index.html references a script in /assets/");
    let res = app.get(asset).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    let etag = res.headers()["etag"].clone();
    let res = app
        .client
        .get(app.url(asset))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    assert_eq!(app.get("/assets/missing-0000.js").await.status(), 404);
    assert_eq!(app.get("/favicon-missing.png").await.status(), 404);
}

#[tokio::test]
async fn docs_page_is_served_without_external_resources() {
    let app = app().await;
    let res = app.get("/docs").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("/assets/"), "{html}");
    for attr in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
        assert!(
            !html.contains(attr),
            "docs page loads an external resource: {html}"
        );
    }
}
