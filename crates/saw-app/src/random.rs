//! Random values SAW hands out: tokens, passwords, codes. All from the OS generator.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

/// Letters and digits that cannot be mistaken for each other when read aloud or copied.
const UNAMBIGUOUS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const CODE_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// 32 random bytes, URL-safe base64 (session ids, CSRF tokens).
pub fn token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    OsRng.fill(&mut out[..]);
    out
}

fn pick(alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| alphabet[OsRng.gen_range(0..alphabet.len())] as char)
        .collect()
}

/// A password for a person to type once and then change: 16 unambiguous characters (≈ 92 bits).
pub fn password() -> String {
    pick(UNAMBIGUOUS, 16)
}

/// A recovery code such as `k7mq-x2pd-9hfa-rt4c` (80 bits).
pub fn recovery_code() -> String {
    (0..4)
        .map(|_| pick(CODE_ALPHABET, 4))
        .collect::<Vec<_>>()
        .join("-")
}

/// SHA-256 in hex: enough for values with 80+ bits of entropy (tokens, session ids, codes);
/// passwords use argon2 instead.
pub fn sha256_hex(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(token().len(), 43);
        assert_ne!(token(), token());
        assert_eq!(password().len(), 16);
        let code = recovery_code();
        assert_eq!(code.len(), 19);
        assert_eq!(code.matches('-').count(), 3);
        assert_eq!(sha256_hex("abc").len(), 64);
    }
}
