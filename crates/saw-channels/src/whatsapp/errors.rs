//! WhatsApp's per-message error objects (`{code, title, message, error_data{details}}`),
//! which appear on failed statuses, on messages WhatsApp could not render, and at the
//! top of a change for account-level trouble. Handled by `code`, as Meta recommends.

use crate::error::ParseError;
use crate::inbound::ProviderError;
use crate::json::Node;

pub(crate) fn provider_error(n: &Node<'_>) -> Result<ProviderError, ParseError> {
    Ok(ProviderError {
        code: n.req_i64("code")?,
        title: n.opt_string("title"),
        message: n.opt_string("message"),
        details: n.field("error_data").and_then(|d| d.opt_string("details")),
    })
}

/// One line for a log: `131047 Re-engagement message (details…)`.
pub(crate) fn describe(e: &ProviderError) -> String {
    let mut s = e.code.to_string();
    if let Some(t) = e.title.as_ref().or(e.message.as_ref()) {
        s.push(' ');
        s.push_str(t);
    }
    if let Some(d) = &e.details {
        s.push_str(&format!(" ({d})"));
    }
    s
}
