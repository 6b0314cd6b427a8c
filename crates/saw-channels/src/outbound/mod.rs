//! The outbound half of the wire formats: the request a send (or another provider call)
//! needs, and what the provider's answer means. Still no I/O: the dispatcher does the HTTP
//! and asks [`SendOutcome`] what to do next.
//!
//! Payloads are channel-neutral ([`saw_core::outbound::OutboundPayload`]); each adapter
//! renders them as well as its provider allows:
//!
//! | payload | WhatsApp | Telegram |
//! | --- | --- | --- |
//! | text | `text` | `sendMessage` |
//! | menu | reply buttons, list or numbered text | `sendMessage` + inline keyboard |
//! | media | `image`/`document`/… by media id | `sendPhoto`/`sendDocument`/… by `file_id` |
//! | template | `template` | refused ([`telegram::Unsupported`]) |

use std::time::Duration;

pub mod telegram;
pub mod whatsapp;

/// What became of one send attempt (or of another provider call, which is never `Sent`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Accepted; the provider's id of the message (the dedupe key of its statuses).
    Sent { provider_id: String },
    /// Worth trying again (network, 5xx, rate limits), after `after` when the provider said.
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    /// Will fail again (bad request, window closed, customer unreachable): shown to the agent.
    Failed { reason: String },
    /// The channel itself is broken (token revoked, number blocked or unregistered,
    /// permission missing): the message is not at fault and stays queued, and the channel
    /// must stop sending until an admin fixes it.
    ChannelDown { reason: String },
}

impl SendOutcome {
    /// The reason of anything but `Sent`.
    pub fn reason(&self) -> Option<&str> {
        match self {
            SendOutcome::Sent { .. } => None,
            SendOutcome::Retry { reason, .. }
            | SendOutcome::Failed { reason }
            | SendOutcome::ChannelDown { reason } => Some(reason),
        }
    }
}

/// `text` cut to at most `max` characters, ending in `…` when something was cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some(_) => {
            let keep = max.saturating_sub(1);
            let end = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
            format!("{}…", &text[..end])
        }
    }
}

/// `text` trimmed, or `None` when nothing is left.
pub(crate) fn non_blank(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_counts_characters_and_marks_the_cut() {
        assert_eq!(truncate("Padaria", 7), "Padaria");
        assert_eq!(truncate("Padaria", 6), "Padar…");
        assert_eq!(truncate("pão de açúcar", 4), "pão…");
        assert_eq!(truncate("🥖🥖🥖", 2), "🥖…");
        assert_eq!(truncate("", 0), "");
    }
}
