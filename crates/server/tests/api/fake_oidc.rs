//! A fake OpenID Connect provider on loopback: discovery, an authorization endpoint that
//! approves at once as a configured user, a token endpoint that checks the client secret, the
//! code and the PKCE verifier, and a JWKS. ID tokens are RS256-signed with a fixed test key.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::json;
use sha2::{Digest, Sha256};

const KEY_PEM: &str = include_str!("../fixtures/oidc-test-key.pem");
pub const CLIENT_ID: &str = "llm-manager-test";
pub const CLIENT_SECRET: &str = "fake-oidc-client-secret-0123456789";

/// The user the fake IdP signs in.
#[derive(Clone, Debug)]
pub struct IdpUser {
    pub subject: String,
    pub email: String,
    pub email_verified: bool,
    pub username: String,
}

#[derive(Default)]
struct Inner {
    user: Option<IdpUser>,
    codes: HashMap<String, (String, String, String)>, // code -> (nonce, challenge, redirect_uri)
    wrong_key: bool,
}

#[derive(Clone)]
pub struct FakeOidc {
    pub base: String,
    inner: Arc<Mutex<Inner>>,
}

impl FakeOidc {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let fake = Self {
            base,
            inner: Arc::default(),
        };
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/jwks", get(jwks))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        fake
    }

    pub fn sign_in_as(&self, user: IdpUser) {
        self.inner.lock().unwrap().user = Some(user);
    }

    /// Sign ID tokens with a key the JWKS does not have.
    pub fn use_wrong_key(&self, wrong: bool) {
        self.inner.lock().unwrap().wrong_key = wrong;
    }
}

async fn discovery(State(f): State<FakeOidc>) -> Json<serde_json::Value> {
    Json(json!({
        "issuer": f.base,
        "authorization_endpoint": format!("{}/authorize", f.base),
        "token_endpoint": format!("{}/token", f.base),
        "userinfo_endpoint": format!("{}/userinfo", f.base),
        "jwks_uri": format!("{}/jwks", f.base),
        "response_types_supported": ["code"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

async fn authorize(
    State(f): State<FakeOidc>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["code_challenge_method"], "S256");
    let code = uuid::Uuid::new_v4().simple().to_string();
    f.inner.lock().unwrap().codes.insert(
        code.clone(),
        (
            q["nonce"].clone(),
            q["code_challenge"].clone(),
            q["redirect_uri"].clone(),
        ),
    );
    Redirect::to(&format!(
        "{}?code={code}&state={}",
        q["redirect_uri"], q["state"]
    ))
    .into_response()
}

async fn token(State(f): State<FakeOidc>, Form(form): Form<HashMap<String, String>>) -> Response {
    let refuse = |why: &str| {
        (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant", "error_description": why})),
        )
            .into_response()
    };
    if form.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET) {
        return refuse("bad client secret");
    }
    let (entry, user, wrong_key) = {
        let mut inner = f.inner.lock().unwrap();
        (
            inner.codes.remove(&form["code"]),
            inner.user.clone(),
            inner.wrong_key,
        )
    };
    let Some((nonce, challenge, redirect_uri)) = entry else {
        return refuse("unknown or used code");
    };
    if form["redirect_uri"] != redirect_uri {
        return refuse("redirect_uri mismatch");
    }
    if URL_SAFE_NO_PAD.encode(Sha256::digest(form["code_verifier"].as_bytes())) != challenge {
        return refuse("PKCE verifier mismatch");
    }
    let user = user.unwrap();
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "iss": f.base, "aud": CLIENT_ID, "sub": user.subject, "nonce": nonce,
        "iat": now, "exp": now + 300, "email": user.email, "email_verified": user.email_verified,
        "preferred_username": user.username,
    });
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("test-key".to_owned());
    let der = rsa::RsaPrivateKey::from_pkcs8_pem(KEY_PEM)
        .unwrap()
        .to_pkcs1_der()
        .unwrap();
    let key = jsonwebtoken::EncodingKey::from_rsa_der(der.as_bytes());
    let mut id_token = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    if wrong_key {
        // A signature the JWKS key does not verify.
        let mut parts: Vec<String> = id_token.split('.').map(str::to_owned).collect();
        let mut sig = URL_SAFE_NO_PAD.decode(&parts[2]).unwrap();
        sig[0] ^= 0xff;
        parts[2] = URL_SAFE_NO_PAD.encode(sig);
        id_token = parts.join(".");
    }
    Json(json!({"access_token": "fake-access", "token_type": "Bearer", "id_token": id_token, "expires_in": 300})).into_response()
}

async fn jwks() -> Json<serde_json::Value> {
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(KEY_PEM).unwrap();
    let public = key.to_public_key();
    Json(json!({"keys": [{
        "kty": "RSA", "kid": "test-key", "use": "sig", "alg": "RS256",
        "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
    }]}))
}
