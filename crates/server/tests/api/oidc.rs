//! Sign-in with an OpenID Connect provider (a fake on loopback): account creation, repeat
//! sign-in, linking, and the refusals (state, signature, email takeover, closed registration).

use reqwest::Method;
use serde_json::{Value, json};

use crate::fake_oidc::{CLIENT_ID, CLIENT_SECRET, FakeOidc, IdpUser};
use crate::helpers::{PASSWORD, TestApp};
use crate::on_both_databases;

fn cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")) && !c.contains("Max-Age=0"))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

fn location(res: &reqwest::Response) -> String {
    res.headers()["location"].to_str().unwrap().to_owned()
}

/// Runs start → fake IdP → callback; returns the final redirect and the session cookie.
async fn sign_in(app: &TestApp, query: &str, session: Option<&str>) -> (String, Option<String>) {
    let mut req = app
        .client
        .get(app.url(&format!("/api/auth/oauth/corp/start?{query}")));
    if let Some(s) = session {
        req = req.header("cookie", s);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 303, "start");
    let flow = cookie(&res, "llmm_oauth").expect("flow cookie");
    let at_idp = app.client.get(location(&res)).send().await.unwrap();
    assert_eq!(at_idp.status(), 303, "fake IdP approves");
    let callback = location(&at_idp);
    assert!(
        callback.starts_with(&app.url("/api/auth/oauth/corp/callback?")),
        "{callback}"
    );
    let res = app
        .client
        .get(callback)
        .header("cookie", flow)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "callback");
    (location(&res), cookie(&res, "llmm_session"))
}

async fn setup(app: &TestApp, fake: &FakeOidc) -> String {
    let admin = app.admin().await;
    let res = app
        .send_as(&admin.access_token, Method::POST, "/api/admin/oauth-providers",
            Some(json!({"slug": "corp", "kind": "oidc", "issuer": fake.base, "display_name": "Corp SSO",
                "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})))
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["redirect_uri"],
        app.url("/api/auth/oauth/corp/callback")
    );
    assert!(
        !body.to_string().contains(CLIENT_SECRET),
        "the secret is never shown"
    );
    admin.access_token
}

fn idp_user(subject: &str, email: &str) -> IdpUser {
    IdpUser {
        subject: subject.to_owned(),
        email: email.to_owned(),
        email_verified: true,
        username: "jane.doe".to_owned(),
    }
}

on_both_databases! {
    async fn oidc_sign_in_creates_an_account_then_finds_it_again(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let fake = FakeOidc::start().await;
        setup(&app, &fake).await;
        let (_, providers) = (0, app.get("/api/auth/oauth/providers").await.json::<Value>().await.unwrap());
        assert_eq!(providers, json!([{"slug": "corp", "display_name": "Corp SSO", "kind": "oidc"}]));
        fake.sign_in_as(idp_user("sub-1", "jane@corp.example"));
        let (to, session) = sign_in(&app, "next=/settings", None).await;
        assert_eq!(to, "/settings");
        let session = session.expect("signed in");
        let profile: Value = app.client.get(app.url("/api/auth/profile")).header("cookie", &session)
            .send().await.unwrap().json().await.unwrap();
        assert_eq!(profile["username"], "jane.doe");
        assert_eq!(profile["email"], "jane@corp.example");
        assert_eq!(profile["email_verified"], true);
        assert_eq!(profile["role"], "user");
        let (to, again) = sign_in(&app, "next=https://evil.example/", None).await;
        assert_eq!(to, "/", "next never leaves the site");
        let again: Value = app.client.get(app.url("/api/auth/profile")).header("cookie", again.unwrap())
            .send().await.unwrap().json().await.unwrap();
        assert_eq!(again["id"], profile["id"]);
        let identities: Value = app.client.get(app.url("/api/auth/identities")).header("cookie", &session)
            .send().await.unwrap().json().await.unwrap();
        assert_eq!(identities[0]["provider"], "corp");
        // The only way in cannot be removed.
        let id = identities[0]["id"].as_str().unwrap();
        let csrf = app.state.auth.keys.csrf_token(uuid::Uuid::nil());
        let res = app.client.delete(app.url(&format!("/api/auth/identities/{id}"))).header("cookie", &session)
            .header("x-csrf-token", csrf).send().await.unwrap();
        assert_eq!(res.status(), 403, "wrong CSRF token");
    }

    async fn oidc_refuses_tampered_flows_and_signatures(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let fake = FakeOidc::start().await;
        setup(&app, &fake).await;
        fake.sign_in_as(idp_user("sub-2", "kim@corp.example"));
        // Callback without the flow cookie (e.g. started in another browser).
        let res = app.client.get(app.url("/api/auth/oauth/corp/start")).send().await.unwrap();
        let at_idp = app.client.get(location(&res)).send().await.unwrap();
        let res = app.client.get(location(&at_idp)).send().await.unwrap();
        assert!(location(&res).starts_with("/login?error="), "{}", location(&res));
        assert!(cookie(&res, "llmm_session").is_none());
        // A forged state.
        let res = app.client.get(app.url("/api/auth/oauth/corp/start")).send().await.unwrap();
        let flow = cookie(&res, "llmm_oauth").unwrap();
        let at_idp = app.client.get(location(&res)).send().await.unwrap();
        let forged = location(&at_idp).replace("state=", "state=x");
        let res = app.client.get(forged).header("cookie", flow).send().await.unwrap();
        assert!(location(&res).contains("state+mismatch"), "{}", location(&res));
        // An ID token whose signature does not verify.
        fake.use_wrong_key(true);
        let (to, session) = sign_in(&app, "", None).await;
        assert!(to.starts_with("/login?error="), "{to}");
        assert!(session.is_none());
        assert_eq!(app.db.scalar("SELECT COUNT(*) FROM user_identities").await, 0);
        // Unknown providers.
        assert_eq!(app.get("/api/auth/oauth/nope/start").await.status(), 404);
    }

    async fn oidc_never_takes_over_an_account_but_can_be_linked_by_its_owner(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let fake = FakeOidc::start().await;
        setup(&app, &fake).await;
        app.register("lena").await;
        fake.sign_in_as(idp_user("sub-3", "LENA@example.com"));
        let (to, session) = sign_in(&app, "", None).await;
        assert!(to.starts_with("/login?error=") && to.contains("already+exists"), "{to}");
        assert!(session.is_none());
        // Lena signs in with her password and links the identity.
        let res = app.post_json("/api/auth/login", &json!({"username": "lena", "password": PASSWORD, "use_cookie": true})).await;
        let lena_session = cookie(&res, "llmm_session").unwrap();
        let (to, _) = sign_in(&app, "link=true&next=/settings/security", Some(&lena_session)).await;
        assert_eq!(to, "/settings/security");
        let (_, session) = sign_in(&app, "", None).await;
        let profile: Value = app.client.get(app.url("/api/auth/profile")).header("cookie", session.unwrap())
            .send().await.unwrap().json().await.unwrap();
        assert_eq!(profile["username"], "lena");
        // Linking needs a signed-in user.
        let res = app.client.get(app.url("/api/auth/oauth/corp/start?link=true")).send().await.unwrap();
        assert_eq!(res.status(), 401);
    }

    async fn oidc_creates_no_account_when_registration_is_closed(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let fake = FakeOidc::start().await;
        let admin = setup(&app, &fake).await;
        app.send_as(&admin, Method::PUT, "/api/admin/settings/registration", Some(json!({"registration_mode": "closed"}))).await;
        fake.sign_in_as(idp_user("sub-4", "new@corp.example"));
        let (to, session) = sign_in(&app, "", None).await;
        assert!(to.starts_with("/login?error="), "{to}");
        assert!(session.is_none());
        assert_eq!(app.db.scalar("SELECT COUNT(*) FROM users").await, 1);
    }

    async fn admins_manage_providers_and_bad_ones_are_refused(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        let user = app.user("mallory").await;
        let body = json!({"slug": "x", "kind": "oidc", "issuer": "http://127.0.0.1:1", "client_id": "c", "client_secret": "s"});
        assert_eq!(app.send_as(&user.access_token, Method::POST, "/api/admin/oauth-providers", Some(body.clone())).await.status(), 403);
        let res = app.send_as(&admin.access_token, Method::POST, "/api/admin/oauth-providers", Some(body)).await;
        assert_eq!(res.status(), 422);
        let err: Value = res.json().await.unwrap();
        assert!(err["error"]["details"]["fields"]["slug"].is_string());
        let res = app.send_as(&admin.access_token, Method::POST, "/api/admin/oauth-providers",
            Some(json!({"slug": "sso", "kind": "oidc", "issuer": "http://127.0.0.1:1", "client_id": "c", "client_secret": "s"}))).await;
        assert_eq!(res.status(), 422);
        let err: Value = res.json().await.unwrap();
        assert!(err["error"]["details"]["fields"]["issuer"].as_str().unwrap().contains("discovery failed"));
        let res = app.send_as(&admin.access_token, Method::POST, "/api/admin/oauth-providers",
            Some(json!({"slug": "gh", "kind": "github", "client_id": "c", "client_secret": "s"}))).await;
        assert_eq!(res.status(), 201);
        let list: Value = app.get_as(&admin.access_token, "/api/admin/oauth-providers").await.json().await.unwrap();
        assert_eq!(list[0]["display_name"], "GitHub");
        let res = app.send_as(&admin.access_token, Method::DELETE, "/api/admin/oauth-providers/gh", None).await;
        assert_eq!(res.status(), 204);
    }
}
