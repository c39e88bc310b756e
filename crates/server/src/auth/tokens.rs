//! Server-issued credentials: short-lived JWT access tokens (HS256 only), opaque random tokens
//! for refresh, cookies and setup, their keyed hashes for storage, and CSRF tokens bound to a
//! session.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use crate::config::secrets::{Secrets, key_material};

/// Access tokens live this long.
pub const ACCESS_TOKEN_TTL_SECS: i64 = 15 * 60;
/// Refresh tokens and cookie sessions live this long without use.
pub const SESSION_TTL_DAYS: i64 = 30;

/// Claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    /// User id.
    pub sub: Uuid,
    /// Session id.
    pub sid: Uuid,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
    /// Always `access`, so no other token kind can be replayed as one.
    pub typ: String,
}

/// Signs and checks tokens with keys derived from `SECRET_KEY`.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    hash_key: Vec<u8>,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys { <redacted> }")
    }
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable_hmac());
    for p in parts {
        mac.update(p);
        mac.update(&[0]);
    }
    mac.finalize().into_bytes().into()
}

#[expect(clippy::panic, reason = "HMAC accepts any key length; this cannot run")]
fn unreachable_hmac() -> Hmac<Sha256> {
    panic!("HMAC-SHA256 accepts keys of every length")
}

impl TokenKeys {
    /// Derives independent keys for JWT signing and token hashing from the secret key.
    pub fn new(secrets: &Secrets) -> Self {
        let master = key_material(secrets.secret_key.expose_secret());
        let jwt = hmac(&master, &[b"llm-manager/jwt-hs256"]);
        let hash_key = hmac(&master, &[b"llm-manager/token-hash"]).to_vec();
        Self {
            encoding: EncodingKey::from_secret(&jwt),
            decoding: DecodingKey::from_secret(&jwt),
            hash_key,
        }
    }

    /// A signed access token for a session.
    pub fn issue_access(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        now: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        let claims = AccessClaims {
            sub: user_id,
            sid: session_id,
            iat: now.timestamp(),
            exp: now.timestamp() + ACCESS_TOKEN_TTL_SECS,
            typ: "access".to_owned(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// Checks signature (HS256 only: `alg=none` and every other algorithm are refused),
    /// expiry and token type.
    pub fn verify_access(&self, token: &str) -> Option<AccessClaims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation).ok()?;
        (data.claims.typ == "access").then_some(data.claims)
    }

    /// Keyed hash of an opaque token, for storage and lookup (hex).
    pub fn hash(&self, token: &str) -> String {
        hex::encode(hmac(&self.hash_key, &[b"token", token.as_bytes()]))
    }

    /// The CSRF token of a cookie session (stateless: derived from the session id).
    pub fn csrf_token(&self, session_id: Uuid) -> String {
        URL_SAFE_NO_PAD.encode(hmac(&self.hash_key, &[b"csrf", session_id.as_bytes()]))
    }
}

/// Claims of a two-factor login challenge (issued after the password was right).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ChallengeClaims {
    /// User id.
    pub sub: Uuid,
    /// Expires at (Unix seconds).
    pub exp: i64,
    /// Always `2fa`.
    pub typ: String,
    /// The challenge's id: stored at issue, consumed by the one second step that succeeds.
    pub jti: String,
}

/// Seconds a two-factor challenge stays valid.
pub const CHALLENGE_TTL_SECS: i64 = 300;

impl TokenKeys {
    /// A challenge token for the second login step.
    pub fn issue_challenge(
        &self,
        user_id: Uuid,
        jti: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        let claims = ChallengeClaims {
            sub: user_id,
            exp: now.timestamp() + CHALLENGE_TTL_SECS,
            typ: "2fa".to_owned(),
            jti: jti.to_owned(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// Checks a challenge token (HS256 only, unexpired, of type `2fa`).
    pub fn verify_challenge(&self, token: &str) -> Option<ChallengeClaims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let data =
            jsonwebtoken::decode::<ChallengeClaims>(token, &self.decoding, &validation).ok()?;
        (data.claims.typ == "2fa").then_some(data.claims)
    }
}

impl TokenKeys {
    /// Signs any claims (HS256). The claims must carry their own `typ` and `exp`.
    pub fn sign<T: Serialize>(&self, claims: &T) -> anyhow::Result<String> {
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &self.encoding,
        )?)
    }

    /// Verifies claims signed by `sign` (HS256 only, unexpired).
    pub fn verify<T: serde::de::DeserializeOwned>(&self, token: &str) -> Option<T> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp"]);
        jsonwebtoken::decode::<T>(token, &self.decoding, &validation)
            .ok()
            .map(|d| d.claims)
    }
}

/// A new opaque token: 32 random bytes, URL-safe base64 (256 bits).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Constant-time comparison of two strings.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;

    fn keys(secret: &str) -> TokenKeys {
        TokenKeys::new(&Secrets {
            secret_key: SecretString::from(secret.to_owned()),
            encryption_key: SecretString::from("unused".to_owned()),
        })
    }

    #[test]
    fn access_token_round_trips_and_is_short_lived() {
        let k = keys("a-very-long-secret-key-for-tests-0123456789abcdef");
        let (user, sid, now) = (Uuid::now_v7(), Uuid::now_v7(), Utc::now());
        let token = k.issue_access(user, sid, now).unwrap();
        let claims = k.verify_access(&token).unwrap();
        assert_eq!((claims.sub, claims.sid), (user, sid));
        assert!(claims.exp - claims.iat <= 15 * 60);
    }

    #[test]
    fn wrong_key_expired_and_alg_none_are_refused() {
        let k = keys("a-very-long-secret-key-for-tests-0123456789abcdef");
        let other = keys("another-long-secret-key-for-tests-0123456789abcdef");
        let (user, sid) = (Uuid::now_v7(), Uuid::now_v7());
        let token = other.issue_access(user, sid, Utc::now()).unwrap();
        assert!(k.verify_access(&token).is_none());
        let old = k
            .issue_access(user, sid, Utc::now() - chrono::Duration::minutes(16))
            .unwrap();
        assert!(k.verify_access(&old).is_none());
        let claims = format!(
            r#"{{"sub":"{user}","sid":"{sid}","iat":0,"exp":{},"typ":"access"}}"#,
            Utc::now().timestamp() + 600
        );
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(claims)
        );
        assert!(k.verify_access(&none).is_none());
    }

    #[test]
    fn hashes_and_csrf_tokens_are_keyed() {
        let (a, b) = (
            keys("a-very-long-secret-key-for-tests-0123456789abcdef"),
            keys("another-long-secret-key-for-tests-0123456789abcdef"),
        );
        assert_ne!(a.hash("t"), b.hash("t"));
        assert_eq!(a.hash("t"), a.hash("t"));
        let sid = Uuid::now_v7();
        assert_ne!(a.csrf_token(sid), b.csrf_token(sid));
        assert!(constant_time_eq(&a.csrf_token(sid), &a.csrf_token(sid)));
        assert!(!constant_time_eq("abc", "abd"));
    }
}
