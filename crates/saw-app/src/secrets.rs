//! Encryption at rest for secrets SAW keeps (channel tokens, app secrets, TOTP seeds):
//! XChaCha20-Poly1305 with a random nonce per value.
//!
//! The key comes from `SAW_SECRET_KEY` (32 bytes in base64 or hex) or from `secret.key` in the
//! data dir, created on first start with mode 0600. The database keeps a check value
//! encrypted with the key, so starting with another key fails at once with a plain message
//! instead of failing later on every channel.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use saw_store::Store;
use saw_store::repo::settings;

use crate::{AppError, random};

pub const KEY_FILE: &str = "secret.key";
const CHECK_SETTING: &str = "secret_key_check";
const CHECK_PLAINTEXT: &[u8] = b"saw secret key check";
const NONCE_LEN: usize = 24;

#[derive(Clone)]
pub struct SecretBox {
    cipher: Arc<XChaCha20Poly1305>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(…)")
    }
}

/// Where the key came from, for the start-up log line (never the key itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    Environment,
    ExistingFile,
    NewFile,
}

impl SecretBox {
    pub fn from_key(key: [u8; 32]) -> Self {
        Self {
            cipher: Arc::new(XChaCha20Poly1305::new(&key.into())),
        }
    }

    /// The key from `SAW_SECRET_KEY` when given, else from the data dir's key file, created
    /// when missing.
    pub fn load(env_key: Option<&str>, data_dir: &Path) -> Result<(Self, KeySource), AppError> {
        if let Some(raw) = env_key.filter(|k| !k.trim().is_empty()) {
            return Ok((
                Self::from_key(parse_key(raw, "SAW_SECRET_KEY")?),
                KeySource::Environment,
            ));
        }
        let path = data_dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let key = parse_key(&text, &path.display().to_string())?;
                Ok((Self::from_key(key), KeySource::ExistingFile))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = random::bytes::<32>();
                write_key_file(&path, &STANDARD.encode(key))?;
                Ok((Self::from_key(key), KeySource::NewFile))
            }
            Err(e) => Err(AppError::Secrets(format!(
                "cannot read the secrets key {}: {e}",
                path.display()
            ))),
        }
    }

    pub fn encrypt(&self, plaintext: &[u8]) -> Vec<u8> {
        let nonce_bytes = random::bytes::<NONCE_LEN>();
        let nonce = XNonce::from_slice(&nonce_bytes);
        let sealed = self
            .cipher
            .encrypt(nonce, plaintext)
            .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn decrypt(&self, sealed: &[u8]) -> Result<Vec<u8>, AppError> {
        if sealed.len() < NONCE_LEN {
            return Err(AppError::Secrets("an encrypted value is truncated".into()));
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        self.cipher
            .decrypt(XNonce::from_slice(nonce), body)
            .map_err(|_| wrong_key())
    }

    /// Checks the key against the database's check value, storing one on first use.
    pub async fn verify_against(&self, store: &Store) -> Result<(), AppError> {
        let this = self.clone();
        let stored = store.read(|c| settings::get(c, CHECK_SETTING)).await?;
        match stored {
            Some(encoded) => {
                let sealed = STANDARD.decode(encoded.trim()).map_err(|_| wrong_key())?;
                match this.decrypt(&sealed) {
                    Ok(plain) if plain == CHECK_PLAINTEXT => Ok(()),
                    _ => Err(wrong_key()),
                }
            }
            None => {
                let encoded = STANDARD.encode(this.encrypt(CHECK_PLAINTEXT));
                store
                    .write(move |c| settings::put(c, CHECK_SETTING, &encoded))
                    .await?;
                Ok(())
            }
        }
    }
}

fn wrong_key() -> AppError {
    AppError::Secrets(
        "the secrets key is not the one this database was set up with: set SAW_SECRET_KEY (or the data dir's secret.key) back to the original key".into(),
    )
}

fn parse_key(raw: &str, origin: &str) -> Result<[u8; 32], AppError> {
    let raw = raw.trim();
    let decoded = if raw.len() == 64 && raw.chars().all(|c| c.is_ascii_hexdigit()) {
        (0..32)
            .map(|i| u8::from_str_radix(&raw[2 * i..2 * i + 2], 16))
            .collect::<Result<Vec<_>, _>>()
            .ok()
    } else {
        STANDARD
            .decode(raw)
            .ok()
            .or_else(|| URL_SAFE_NO_PAD.decode(raw.trim_end_matches('=')).ok())
    };
    decoded.and_then(|bytes| <[u8; 32]>::try_from(bytes).ok()).ok_or_else(|| {
        AppError::Secrets(format!(
            "{origin} must hold a 32-byte key written as base64 or hex (make one with `openssl rand -base64 32`)"
        ))
    })
}

fn write_key_file(path: &Path, contents: &str) -> Result<(), AppError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| {
        AppError::Secrets(format!(
            "cannot create the secrets key {}: {e}",
            path.display()
        ))
    })?;
    writeln!(file, "{contents}")
        .and_then(|()| file.sync_all())
        .map_err(|e| {
            AppError::Secrets(format!(
                "cannot write the secrets key {}: {e}",
                path.display()
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_wrong_key() {
        let a = SecretBox::from_key([7; 32]);
        let b = SecretBox::from_key([8; 32]);
        let sealed = a.encrypt(b"EAAG-token");
        assert_ne!(&sealed[NONCE_LEN..], b"EAAG-token");
        assert_eq!(a.decrypt(&sealed).unwrap(), b"EAAG-token");
        assert!(
            b.decrypt(&sealed)
                .unwrap_err()
                .to_string()
                .contains("not the one")
        );
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let (first, source) = SecretBox::load(None, dir.path()).unwrap();
        assert_eq!(source, KeySource::NewFile);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (again, source) = SecretBox::load(None, dir.path()).unwrap();
        assert_eq!(source, KeySource::ExistingFile);
        assert_eq!(again.decrypt(&first.encrypt(b"x")).unwrap(), b"x");
    }

    #[test]
    fn malformed_environment_key_says_how_to_make_one() {
        let err = SecretBox::load(Some("short"), Path::new("/nonexistent")).unwrap_err();
        assert!(err.to_string().contains("SAW_SECRET_KEY"), "{err}");
        assert!(SecretBox::load(Some(&"ab".repeat(32)), Path::new("/nonexistent")).is_ok());
    }
}
