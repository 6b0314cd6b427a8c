//! `statuses[]`: what became of a message SAW sent.
//!
//! `played` (voice notes) is folded into `Read`, which it implies; a status word SAW does
//! not know becomes [`InboundEvent::Ignored`] rather than an error, because Meta adds
//! such words over time and a webhook must never be refused for them. Ordering is the
//! engine's business (statuses arrive out of order; `failed` is terminal).

use saw_core::conversation::DeliveryStatus;

use super::errors::provider_error;
use crate::error::ParseError;
use crate::inbound::{InboundEvent, StatusUpdate};
use crate::json::Node;

pub(crate) fn parse(s: &Node<'_>) -> Result<InboundEvent, ParseError> {
    let id = s.req_str("id")?;
    let word = s.req_str("status")?;
    let timestamp = s.req_unix_time("timestamp")?;
    let status = match word {
        "sent" => DeliveryStatus::Sent,
        "delivered" => DeliveryStatus::Delivered,
        "read" | "played" => DeliveryStatus::Read,
        "failed" => DeliveryStatus::Failed,
        other => {
            return Ok(InboundEvent::Ignored {
                reason: format!("WhatsApp status `{other}` for {id} is not tracked"),
            });
        }
    };
    let errors = s
        .array("errors")?
        .iter()
        .map(provider_error)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(InboundEvent::Status(StatusUpdate {
        message_external_id: id.to_string(),
        recipient: s.opt_str("recipient_id").unwrap_or_default().to_string(),
        status,
        timestamp,
        errors,
    }))
}
