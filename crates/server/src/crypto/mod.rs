//! Encryption of secrets at rest (TOTP secrets now, provider keys later): XChaCha20-Poly1305
//! with a key derived from `ENCRYPTION_KEY`. Each ciphertext names the key it was made with
//! (`v1:<key id>:<base64 nonce+ciphertext>`) so a key rotation can find and re-encrypt it.

pub mod rotate;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, OsRng};
use chacha20poly1305::{AeadCore, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use crate::config::secrets::{Secrets, key_material};

/// Encrypts and decrypts with the current encryption key.
#[derive(Clone)]
pub struct Vault {
    cipher: XChaCha20Poly1305,
    key_id: String,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Vault {{ key_id: {} }}", self.key_id)
    }
}

impl Vault {
    /// Derives the AEAD key from `ENCRYPTION_KEY`.
    pub fn new(secrets: &Secrets) -> anyhow::Result<Self> {
        let material = key_material(secrets.encryption_key.expose_secret());
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&material)
            .map_err(|e| anyhow::anyhow!("encryption key: {e}"))?;
        mac.update(b"llm-manager/aead-v1");
        let key = mac.finalize().into_bytes();
        let key_id = hex::encode(
            Sha256::digest(key)
                .iter()
                .take(4)
                .copied()
                .collect::<Vec<u8>>(),
        );
        let cipher = XChaCha20Poly1305::new_from_slice(&key)
            .map_err(|e| anyhow::anyhow!("encryption key: {e}"))?;
        Ok(Self { cipher, key_id })
    }

    /// Id of the current key (not secret: a hash prefix).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Encrypts `plaintext`; `context` (e.g. `totp:<user id>`) is bound to the ciphertext so it
    /// cannot be moved to another record.
    pub fn encrypt(&self, plaintext: &[u8], context: &str) -> anyhow::Result<String> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let payload = chacha20poly1305::aead::Payload {
            msg: plaintext,
            aad: context.as_bytes(),
        };
        let ct = self
            .cipher
            .encrypt(&nonce, payload)
            .map_err(|_| anyhow::anyhow!("encryption failed"))?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ct);
        Ok(format!("v1:{}:{}", self.key_id, STANDARD.encode(blob)))
    }

    /// Decrypts what `encrypt` produced with the same key and context.
    pub fn decrypt(&self, stored: &str, context: &str) -> anyhow::Result<Vec<u8>> {
        let mut parts = stored.splitn(3, ':');
        let (Some("v1"), Some(key_id), Some(data)) = (parts.next(), parts.next(), parts.next())
        else {
            anyhow::bail!("unknown ciphertext format");
        };
        anyhow::ensure!(
            key_id == self.key_id,
            "encrypted with another key ({key_id}); was ENCRYPTION_KEY changed without rotation?"
        );
        let blob = STANDARD.decode(data)?;
        anyhow::ensure!(blob.len() > 24, "ciphertext too short");
        let (nonce, ct) = blob.split_at(24);
        let payload = chacha20poly1305::aead::Payload {
            msg: ct,
            aad: context.as_bytes(),
        };
        self.cipher
            .decrypt(XNonce::from_slice(nonce), payload)
            .map_err(|_| anyhow::anyhow!("decryption failed: wrong key or tampered data"))
    }
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;

    fn vault(key: &str) -> Vault {
        Vault::new(&Secrets {
            secret_key: SecretString::from("x".to_owned()),
            encryption_key: SecretString::from(key.to_owned()),
        })
        .unwrap()
    }

    #[test]
    fn round_trip_bound_to_context_and_key() {
        let v = vault("an-encryption-key-for-tests-0123456789abcdef");
        let ct = v.encrypt(b"JBSWY3DPEHPK3PXP", "totp:1").unwrap();
        assert!(ct.starts_with(&format!("v1:{}:", v.key_id())));
        assert!(!ct.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(v.decrypt(&ct, "totp:1").unwrap(), b"JBSWY3DPEHPK3PXP");
        assert!(v.decrypt(&ct, "totp:2").is_err());
        let other = vault("another-encryption-key-for-tests-0123456789");
        assert!(
            other
                .decrypt(&ct, "totp:1")
                .unwrap_err()
                .to_string()
                .contains("another key")
        );
        assert_ne!(v.encrypt(b"x", "c").unwrap(), v.encrypt(b"x", "c").unwrap());
    }
}
