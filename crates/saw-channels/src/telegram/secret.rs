//! Is this webhook POST from Telegram? `setWebhook` was given a `secret_token`, and
//! Telegram sends it back in `X-Telegram-Bot-Api-Secret-Token` on every update. Compared in
//! constant time so response timing reveals nothing about the secret.

use subtle::ConstantTimeEq;

/// True when `header` (the `X-Telegram-Bot-Api-Secret-Token` value, `None` if absent)
/// equals the channel's secret. An empty configured secret never matches.
pub fn verify_secret_token(header: Option<&str>, expected: &str) -> bool {
    match header {
        Some(got) if !expected.is_empty() => got.as_bytes().ct_eq(expected.as_bytes()).into(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::verify_secret_token;

    #[test]
    fn only_the_exact_secret_passes() {
        assert!(verify_secret_token(Some("s3cr3t_-x"), "s3cr3t_-x"));
        assert!(!verify_secret_token(Some("s3cr3t_-y"), "s3cr3t_-x"));
        assert!(!verify_secret_token(Some("s3cr3t"), "s3cr3t_-x"));
        assert!(!verify_secret_token(None, "s3cr3t_-x"));
        assert!(!verify_secret_token(Some(""), ""));
    }
}
