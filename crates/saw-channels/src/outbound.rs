//! The outbound half of the wire formats: the request a send needs, and what the provider's
//! answer means. Still no I/O: the dispatcher does the HTTP and asks [`SendOutcome`] what to
//! do next.

use std::time::Duration;

/// What became of one send attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Accepted; the provider's id of the message (the dedupe key of its statuses).
    Sent { provider_id: String },
    /// Worth trying again (network, 5xx, rate limits), after `after` when the provider said.
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    /// Will fail again (bad request, window closed, token revoked): shown to the agent.
    Failed { reason: String },
}

pub mod whatsapp {
    //! `POST {base}/{version}/{phone_number_id}/messages` (protocols.md A6, A9).

    use serde_json::{Value, json};

    use super::SendOutcome;

    /// The Graph API version in every path (protocols.md A1).
    pub const GRAPH_VERSION: &str = "v26.0";

    /// The URL messages of a number are sent to.
    pub fn messages_url(api_base: &str, phone_number_id: &str) -> String {
        format!(
            "{}/{GRAPH_VERSION}/{phone_number_id}/messages",
            api_base.trim_end_matches('/')
        )
    }

    /// A text message; WhatsApp has no escaping, the text goes as typed.
    pub fn text(to: &str, body: &str) -> Value {
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "text",
            "text": {"preview_url": false, "body": body},
        })
    }

    /// Error codes worth retrying (throttling and temporary unavailability); everything
    /// else is permanent for this message.
    const TRANSIENT: [i64; 9] = [1, 2, 4, 80007, 130429, 131000, 131016, 131056, 133004];

    /// Classifies the answer to a send by HTTP status and Graph error `code`.
    pub fn outcome(status: u16, body: &[u8]) -> SendOutcome {
        let parsed: Option<Value> = serde_json::from_slice(body).ok();
        if (200..300).contains(&status) {
            let id = parsed
                .as_ref()
                .and_then(|v| v["messages"][0]["id"].as_str());
            return match id {
                Some(id) => SendOutcome::Sent {
                    provider_id: id.to_owned(),
                },
                None => SendOutcome::Retry {
                    reason: "the answer named no message id".into(),
                    after: None,
                },
            };
        }
        let error = parsed.as_ref().map(|v| &v["error"]);
        let code = error.and_then(|e| e["code"].as_i64());
        let details = error
            .and_then(|e| {
                e["error_data"]["details"]
                    .as_str()
                    .or_else(|| e["message"].as_str())
            })
            .unwrap_or("no details");
        let reason = match code {
            Some(code) => format!("WhatsApp {code}: {details}"),
            None => format!("WhatsApp answered HTTP {status}"),
        };
        let transient = match code {
            Some(code) => TRANSIENT.contains(&code),
            None => status >= 500 || status == 429,
        };
        if transient {
            SendOutcome::Retry {
                reason,
                after: None,
            }
        } else {
            SendOutcome::Failed { reason }
        }
    }
}

pub mod telegram {
    //! `POST {base}/bot{token}/sendMessage` (protocols.md B4, B5).

    use std::time::Duration;

    use serde_json::{Value, json};

    use super::SendOutcome;

    /// The URL of a Bot API method; the token is part of the path (never log it).
    pub fn method_url(api_base: &str, bot_token: &str, method: &str) -> String {
        format!("{}/bot{bot_token}/{method}", api_base.trim_end_matches('/'))
    }

    pub fn text(chat_id: &str, body: &str) -> Value {
        // Chat ids are numbers on the wire; keep the string if it is not one.
        let chat: Value = chat_id
            .parse::<i64>()
            .map_or_else(|_| json!(chat_id), |n| json!(n));
        json!({"chat_id": chat, "text": body})
    }

    pub fn outcome(status: u16, body: &[u8]) -> SendOutcome {
        let parsed: Option<Value> = serde_json::from_slice(body).ok();
        let ok = parsed
            .as_ref()
            .and_then(|v| v["ok"].as_bool())
            .unwrap_or(false);
        if ok {
            let result = parsed.as_ref().map(|v| &v["result"]);
            let chat = result.and_then(|r| r["chat"]["id"].as_i64());
            let message = result.and_then(|r| r["message_id"].as_i64());
            return match chat.zip(message) {
                Some((chat, message)) => SendOutcome::Sent {
                    provider_id: crate::telegram::message_external_id(chat, message),
                },
                None => SendOutcome::Retry {
                    reason: "the answer named no message".into(),
                    after: None,
                },
            };
        }
        let code = parsed
            .as_ref()
            .and_then(|v| v["error_code"].as_i64())
            .unwrap_or(i64::from(status));
        let description = parsed
            .as_ref()
            .and_then(|v| v["description"].as_str())
            .unwrap_or("no description");
        let reason = format!("Telegram {code}: {description}");
        let retry_after = parsed
            .as_ref()
            .and_then(|v| v["parameters"]["retry_after"].as_u64())
            .map(Duration::from_secs);
        if code == 429 || code >= 500 || status >= 500 {
            SendOutcome::Retry {
                reason,
                after: retry_after,
            }
        } else {
            SendOutcome::Failed { reason }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(path: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/{path}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn whatsapp_answers_are_classified_by_code() {
        assert!(
            matches!(whatsapp::outcome(200, &fixture("whatsapp/response-send-ok.json")), SendOutcome::Sent { provider_id } if provider_id.starts_with("wamid."))
        );
        match whatsapp::outcome(400, &fixture("whatsapp/error-131047.json")) {
            SendOutcome::Failed { reason } => assert!(
                reason.starts_with("WhatsApp 131047: Message failed"),
                "{reason}"
            ),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            whatsapp::outcome(429, &fixture("whatsapp/error-130429.json")),
            SendOutcome::Retry { .. }
        ));
        assert!(matches!(
            whatsapp::outcome(401, &fixture("whatsapp/error-190.json")),
            SendOutcome::Failed { .. }
        ));
        assert!(matches!(
            whatsapp::outcome(502, b"<html>bad gateway</html>"),
            SendOutcome::Retry { .. }
        ));
    }

    #[test]
    fn telegram_answers_are_classified() {
        assert!(
            matches!(telegram::outcome(200, &fixture("telegram/response-send-ok.json")), SendOutcome::Sent { provider_id } if provider_id.contains(':'))
        );
        assert!(matches!(
            telegram::outcome(403, &fixture("telegram/error-403-blocked.json")),
            SendOutcome::Failed { .. }
        ));
        match telegram::outcome(429, &fixture("telegram/error-429.json")) {
            SendOutcome::Retry { after, .. } => assert!(after.is_some()),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            telegram::text("6093847561", "oi")["chat_id"],
            6093847561_i64
        );
    }
}
