//! Password hashing with argon2id (the crate's defaults: 19 MiB, 2 passes), run off the
//! async threads because each hash takes tens of milliseconds on purpose.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use saw_core::user::Password;

use crate::AppError;

pub async fn hash(password: &Password) -> Result<String, AppError> {
    let password = password.clone();
    tokio::task::spawn_blocking(move || hash_blocking(password.expose()))
        .await
        .map_err(|e| AppError::Secrets(format!("hashing task failed: {e}")))?
}

pub fn hash_blocking(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Secrets(format!("cannot hash the password: {e}")))
}

/// Checks `password` against a stored hash. With `None` (no such user) it still spends the
/// same time on a dummy hash, so response times do not reveal which e-mails exist.
pub async fn verify(password: &str, stored: Option<String>) -> bool {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        match PasswordHash::new(&stored) {
            Ok(parsed) => {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
                    && stored != DUMMY_HASH
            }
            Err(_) => false,
        }
    })
    .await
    .unwrap_or(false)
}

/// argon2id hash of a random string nobody knows, with the default parameters.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2F3LWR1bW15LXNhbHQ$0E2u8m9i3nq0dYI2Lh0D6C3V2u0cL7JH3o3Qe0ZrH1E";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let p = Password::parse("correct horse").unwrap();
        let h = hash(&p).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse", Some(h.clone())).await);
        assert!(!verify("wrong horse", Some(h)).await);
        assert!(!verify("anything", None).await);
    }

    #[test]
    fn dummy_hash_is_a_real_hash_so_unknown_emails_cost_the_same() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
