//! What can go wrong when reading a provider's body, said so that a person can act on it.
//!
//! The web layer answers these with a 4xx and stores nothing (design invariant 6). Only
//! problems with the envelope or with what identifies a message (its id, sender, time)
//! are errors: an unknown or odd message *body* becomes an `Unsupported` message instead,
//! so a new WhatsApp feature never makes SAW refuse a whole webhook.

/// Why a provider's body could not be turned into [`crate::InboundEvent`]s, or an answer
/// to a call into the value asked for (a media id, a file path, …).
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Not JSON at all, or truncated.
    #[error("malformed JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A required field is absent (or `null`); `path` is like `entry[0].changes[0].value.metadata.phone_number_id`.
    #[error("{path}: required field is missing")]
    Missing { path: String },
    /// A field is present but unusable.
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
    /// The provider answered with an error instead of a result: Telegram's
    /// `{"ok": false, …}` (e.g. 409 while a webhook is set) or a Graph API error envelope.
    #[error("the provider refused the request ({code:?}): {description}")]
    Api {
        code: Option<i64>,
        description: String,
    },
}
