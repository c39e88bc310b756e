//! The provider side of sign-in: OIDC discovery, the authorization-code exchange (with PKCE),
//! ID token verification against the provider's JWKS, and GitHub's user API.

use anyhow::Context;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// Endpoints from `/.well-known/openid-configuration`.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    /// Issuer.
    pub issuer: String,
    /// Authorization endpoint.
    pub authorization_endpoint: String,
    /// Token endpoint.
    pub token_endpoint: String,
    /// User info endpoint.
    pub userinfo_endpoint: Option<String>,
    /// Signing keys.
    pub jwks_uri: String,
}

/// Who the provider says the user is.
#[derive(Debug, Clone, Default)]
pub struct ExternalUser {
    /// Stable id at the provider.
    pub subject: String,
    /// Email, if shared.
    pub email: Option<String>,
    /// Whether the provider verified the email.
    pub email_verified: bool,
    /// A username suggestion.
    pub username: Option<String>,
}

/// Fetches and checks an issuer's discovery document.
pub async fn discover(http: &reqwest::Client, issuer: &str) -> anyhow::Result<Discovery> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let doc: Discovery = http
        .get(&url)
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?
        .error_for_status()
        .with_context(|| format!("{url} answered with an error"))?
        .json()
        .await
        .with_context(|| format!("{url} is not an OpenID discovery document"))?;
    anyhow::ensure!(
        doc.issuer.trim_end_matches('/') == issuer.trim_end_matches('/'),
        "the discovery document names another issuer ({})",
        doc.issuer
    );
    Ok(doc)
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    id_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The tokens from exchanging an authorization code.
pub struct Tokens {
    /// Access token (for user info).
    pub access_token: Option<String>,
    /// ID token (OIDC).
    pub id_token: Option<String>,
}

/// Exchanges the code (with the PKCE verifier) at the token endpoint.
pub async fn exchange_code(
    http: &reqwest::Client,
    token_url: &str,
    client_id: &str,
    client_secret: &str,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> anyhow::Result<Tokens> {
    let res = http
        .post(token_url)
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", client_id),
            ("client_secret", client_secret),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .context("cannot reach the token endpoint")?;
    let status = res.status();
    let answer: TokenAnswer = res
        .json()
        .await
        .context("the token endpoint did not answer JSON")?;
    if let Some(error) = answer.error {
        anyhow::bail!(
            "the provider refused the code: {error} {}",
            answer.error_description.unwrap_or_default()
        );
    }
    anyhow::ensure!(status.is_success(), "the token endpoint answered {status}");
    Ok(Tokens {
        access_token: answer.access_token,
        id_token: answer.id_token,
    })
}

#[derive(Deserialize)]
struct IdClaims {
    sub: String,
    nonce: Option<String>,
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<serde_json::Value>,
    preferred_username: Option<String>,
}

/// Verifies an ID token: signature by a key of the issuer's JWKS (RS256/ES256/EdDSA, never
/// `none` or HMAC), issuer, audience, expiry and nonce.
pub async fn verify_id_token(
    http: &reqwest::Client,
    jwks_url: &str,
    id_token: &str,
    issuer: &str,
    client_id: &str,
    nonce: &str,
) -> anyhow::Result<ExternalUser> {
    let header = jsonwebtoken::decode_header(id_token).context("malformed ID token")?;
    anyhow::ensure!(
        matches!(
            header.alg,
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::ES256
                | Algorithm::EdDSA
        ),
        "ID token signed with an unaccepted algorithm {:?}",
        header.alg
    );
    let jwks: JwkSet = http
        .get(jwks_url)
        .send()
        .await
        .context("cannot reach the JWKS endpoint")?
        .error_for_status()?
        .json()
        .await
        .context("the JWKS endpoint did not answer a key set")?;
    let jwk = match &header.kid {
        Some(kid) => jwks.find(kid),
        None => jwks.keys.first(),
    }
    .context("the ID token's signing key is not in the provider's JWKS")?;
    let key = DecodingKey::from_jwk(jwk).context("unusable JWK")?;
    let mut validation = Validation::new(header.alg);
    validation.algorithms = vec![header.alg];
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[client_id]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let claims = jsonwebtoken::decode::<IdClaims>(id_token, &key, &validation)
        .context("the ID token did not verify")?
        .claims;
    anyhow::ensure!(
        claims.nonce.as_deref() == Some(nonce),
        "the ID token's nonce does not match"
    );
    let email_verified = match claims.email_verified {
        Some(serde_json::Value::Bool(b)) => b,
        Some(serde_json::Value::String(s)) => s == "true",
        _ => false,
    };
    Ok(ExternalUser {
        subject: claims.sub,
        email: claims.email,
        email_verified,
        username: claims.preferred_username,
    })
}

#[derive(Deserialize)]
struct GithubUser {
    id: u64,
    login: String,
    email: Option<String>,
}

#[derive(Deserialize)]
struct GithubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

/// GitHub has no ID token: ask its API who the token belongs to, and for the primary email.
pub async fn github_user(
    http: &reqwest::Client,
    userinfo_url: &str,
    access_token: &str,
) -> anyhow::Result<ExternalUser> {
    let get = |url: String| {
        http.get(url)
            .bearer_auth(access_token)
            .header(reqwest::header::ACCEPT, "application/vnd.github+json")
            .header(reqwest::header::USER_AGENT, "llm-manager")
            .send()
    };
    let user: GithubUser = get(userinfo_url.to_owned())
        .await
        .context("cannot reach GitHub's user API")?
        .error_for_status()?
        .json()
        .await?;
    let emails: Vec<GithubEmail> =
        match get(format!("{}/emails", userinfo_url.trim_end_matches('/'))).await {
            Ok(res) if res.status().is_success() => res.json().await.unwrap_or_default(),
            _ => Vec::new(),
        };
    let primary = emails.iter().find(|e| e.primary && e.verified);
    Ok(ExternalUser {
        subject: user.id.to_string(),
        email: primary.map(|e| e.email.clone()).or(user.email),
        email_verified: primary.is_some(),
        username: Some(user.login),
    })
}
