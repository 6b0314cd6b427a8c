//! Is this POST really from Meta? And is this GET Meta checking our callback URL?
//!
//! Meta signs each webhook body with the app secret: `X-Hub-Signature-256:
//! sha256=<64 lowercase hex>` = HMAC-SHA256 over the body bytes **exactly as received**.
//! Meta escapes non-ASCII as `\uXXXX` and `/` as `\/`, so a parsed-and-re-serialised body
//! no longer matches: verify before parsing, over the raw bytes, and never touch them.
//! The comparison is constant-time (`hmac`'s `verify_slice`), so a forger learns nothing
//! from how long a rejection takes. Each malformed header gets its own error so the log
//! says whether the proxy dropped the header, mangled it, or the secret is wrong.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

const PREFIX: &str = "sha256=";

/// Why a webhook's signature was refused (SAW answers 401 and stores nothing).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No app secret is configured: refuse everything rather than accept anything.
    #[error("no app secret is configured for this channel")]
    NoSecret,
    #[error("the X-Hub-Signature-256 header is missing")]
    MissingHeader,
    #[error("the X-Hub-Signature-256 header does not start with `sha256=`")]
    MissingPrefix,
    #[error("the X-Hub-Signature-256 header is not hexadecimal")]
    BadHex,
    #[error("the X-Hub-Signature-256 header has {0} bytes, expected 32")]
    WrongLength(usize),
    /// Well-formed but wrong: another secret, or a body changed on the way.
    #[error("the X-Hub-Signature-256 signature does not match the body")]
    Mismatch,
}

/// Checks `header` (the `X-Hub-Signature-256` value, `None` when absent) against `body`,
/// the raw request bytes, with the channel's app secret.
pub fn verify_signature(
    app_secret: &[u8],
    header: Option<&str>,
    body: &[u8],
) -> Result<(), SignatureError> {
    if app_secret.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let header = header.ok_or(SignatureError::MissingHeader)?;
    let hex_digest = header
        .strip_prefix(PREFIX)
        .ok_or(SignatureError::MissingPrefix)?;
    // An even number of hex digits decodes; its length is checked next, on bytes.
    let expected = hex::decode(hex_digest).map_err(|e| match e {
        hex::FromHexError::OddLength => SignatureError::WrongLength(hex_digest.len() / 2),
        _ => SignatureError::BadHex,
    })?;
    if expected.len() != 32 {
        return Err(SignatureError::WrongLength(expected.len()));
    }
    let mut mac =
        Hmac::<Sha256>::new_from_slice(app_secret).map_err(|_| SignatureError::NoSecret)?;
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

/// The value of `X-Hub-Signature-256` for `body` — for fake Meta servers in tests and for
/// the admin page's "send a signed test webhook".
pub fn sign(app_secret: &[u8], body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(app_secret).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("{PREFIX}{}", hex::encode(mac.finalize().into_bytes()))
}

/// The GET handshake Meta makes when the callback URL is saved:
/// `?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`. Returns the challenge to
/// echo byte-for-byte as a `text/plain` 200 when the mode is `subscribe` and the token
/// matches (compared in constant time); `None` means answer 403. An empty configured token
/// or an empty challenge never succeeds.
pub fn verify_handshake<'a>(
    mode: Option<&str>,
    verify_token: Option<&str>,
    expected_token: &str,
    challenge: Option<&'a str>,
) -> Option<&'a str> {
    if mode != Some("subscribe") || expected_token.is_empty() {
        return None;
    }
    let token = verify_token?;
    let same: bool = token.as_bytes().ct_eq(expected_token.as_bytes()).into();
    if !same {
        return None;
    }
    challenge.filter(|c| !c.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify_round_trip() {
        let header = sign(b"k", b"{}");
        assert_eq!(verify_signature(b"k", Some(&header), b"{}"), Ok(()));
        assert_eq!(
            verify_signature(b"k", Some(&header), b"{} "),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn malformed_headers_have_their_own_errors() {
        let good = sign(b"k", b"x");
        let digits = &good[PREFIX.len()..];
        let cases = [
            (None, SignatureError::MissingHeader),
            (Some(digits.to_string()), SignatureError::MissingPrefix),
            (
                Some(format!("sha1={digits}")),
                SignatureError::MissingPrefix,
            ),
            (
                Some(format!("SHA256={digits}")),
                SignatureError::MissingPrefix,
            ),
            (
                Some(format!("sha256=zz{}", &digits[2..])),
                SignatureError::BadHex,
            ),
            (
                Some(format!("sha256={}", &digits[..62])),
                SignatureError::WrongLength(31),
            ),
            (
                Some(format!("sha256={}", &digits[..63])),
                SignatureError::WrongLength(31),
            ),
            (
                Some(format!("sha256={digits}00")),
                SignatureError::WrongLength(33),
            ),
            (Some("sha256=".to_string()), SignatureError::WrongLength(0)),
        ];
        for (header, want) in cases {
            assert_eq!(
                verify_signature(b"k", header.as_deref(), b"x"),
                Err(want),
                "{header:?}"
            );
        }
        assert_eq!(
            verify_signature(b"", Some(&sign(b"", b"x")), b"x"),
            Err(SignatureError::NoSecret)
        );
    }

    #[test]
    fn uppercase_hex_is_the_same_signature() {
        let good = sign(b"k", b"x");
        let upper = format!("{PREFIX}{}", good[PREFIX.len()..].to_uppercase());
        assert_eq!(verify_signature(b"k", Some(&upper), b"x"), Ok(()));
    }
}
