//! The webhook POST body: `entry[] → changes[] → value{metadata, contacts, messages,
//! statuses, errors}`, turned into events tagged with the business number they belong to.
//!
//! Why the result is a flat list of `(phone_number_id, event)`: one POST may carry several
//! entries, changes, messages and statuses, possibly for different business numbers of
//! the same app, and SAW routes inbound traffic to a channel by `metadata.phone_number_id`.
//!
//! What is skipped: changes whose `field` is not `messages` (template reviews, quality
//! updates, …: acknowledged and ignored), and bodies whose `object` is not
//! `whatsapp_business_account`. What is an error: malformed JSON, a missing `entry`,
//! `value` or `metadata.phone_number_id`: the whole body is then refused (4xx) so nothing is
//! half-stored. A single message or status without the fields that identify it becomes an
//! [`InboundEvent::Ignored`] saying why, and the rest of the body is still handled — one bad
//! element must not drop the others (protocols.md, A3). Verify the signature first (see
//! [`super::signature`]); this function trusts its input.

use serde_json::Value;

use super::errors::{describe, provider_error};
use super::{message, status};
use crate::error::ParseError;
use crate::inbound::InboundEvent;
use crate::json::Node;

/// Every event in a webhook body, in the order they appear, each with the
/// `metadata.phone_number_id` of the business number it came to.
pub fn parse(body: &[u8]) -> Result<Vec<(String, InboundEvent)>, ParseError> {
    let root: Value = serde_json::from_slice(body)?;
    let root = Node::root(&root);
    if !root.value().is_object() {
        return Err(ParseError::Invalid {
            path: "(body)".to_string(),
            reason: "expected a JSON object".to_string(),
        });
    }
    if root
        .opt_str("object")
        .is_some_and(|o| o != "whatsapp_business_account")
    {
        return Ok(Vec::new());
    }
    if root.field("entry").is_none() {
        return Err(root.missing("entry"));
    }
    let mut events = Vec::new();
    for entry in root.array("entry")? {
        for change in entry.array("changes")? {
            if change.opt_str("field") != Some("messages") {
                continue;
            }
            parse_value(&change.req("value")?, &mut events)?;
        }
    }
    Ok(events)
}

fn parse_value(
    value: &Node<'_>,
    events: &mut Vec<(String, InboundEvent)>,
) -> Result<(), ParseError> {
    let number = value.req("metadata")?.req_str("phone_number_id")?;
    for m in value.array("messages")? {
        let event = message::parse(&m, value).unwrap_or_else(|e| InboundEvent::Ignored {
            reason: format!("unreadable message: {e}"),
        });
        events.push((number.to_string(), event));
    }
    for s in value.array("statuses")? {
        let event = status::parse(&s).unwrap_or_else(|e| InboundEvent::Ignored {
            reason: format!("unreadable status: {e}"),
        });
        events.push((number.to_string(), event));
    }
    let errors = value
        .array("errors")?
        .iter()
        .map(provider_error)
        .collect::<Result<Vec<_>, _>>()?;
    if !errors.is_empty() {
        let list: Vec<String> = errors.iter().map(describe).collect();
        events.push((
            number.to_string(),
            InboundEvent::Ignored {
                reason: format!(
                    "WhatsApp reported errors for the number: {}",
                    list.join("; ")
                ),
            },
        ));
    }
    Ok(())
}
