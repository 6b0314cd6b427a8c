//! "Testar conexão": one harmless call to the provider with the channel's credentials, and
//! what went wrong in words a person can act on. WhatsApp: read the phone number
//! (`GET {base}/{version}/{phone_number_id}`); Telegram: `getMe`. A check that works also
//! marks an unhealthy channel healthy again, so its held messages go.

use saw_channels::outbound;
use saw_core::channel::ChannelConfig;
use saw_core::ids::{AccountId, ChannelId};
use serde_json::Value;

use crate::events::Event;
use crate::{App, AppError, channels, outbox};

/// The answer of a connection check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// It works: the number's display name or the bot's username.
    Works(String),
    /// The token is wrong, expired or revoked.
    BadToken,
    /// The phone number id does not exist or the token may not use it.
    WrongId,
    /// The provider could not be reached.
    Network(String),
    /// Anything else the provider said.
    Other(String),
    /// The sandbox needs no provider.
    NothingToCheck,
}

pub async fn check(app: &App, account: AccountId, id: ChannelId) -> Result<Check, AppError> {
    let (_, config) = channels::get_decrypted(app, account, id).await?;
    let http = outbox::http_client()?;
    let (request, whatsapp) = match &config {
        ChannelConfig::Sandbox => return Ok(Check::NothingToCheck),
        ChannelConfig::WhatsApp(wa) => {
            let url = format!(
                "{}/{}/{}?fields=display_phone_number,verified_name",
                wa.settings.api_base.trim_end_matches('/'),
                outbound::whatsapp::GRAPH_VERSION,
                wa.phone_number_id
            );
            (
                http.get(url).bearer_auth(wa.secrets.access_token.expose()),
                true,
            )
        }
        ChannelConfig::Telegram(tg) => {
            let url = outbound::telegram::method_url(
                &tg.settings.api_base,
                tg.secrets.bot_token.expose(),
                "getMe",
            );
            (http.get(url), false)
        }
    };
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => return Ok(Check::Network(e.without_url().to_string())),
    };
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or_default();
    let check = if whatsapp {
        whatsapp_check(status, &body)
    } else {
        telegram_check(status, &body)
    };
    if matches!(check, Check::Works(_)) {
        // A working connection ends a hold on the channel's outbox at once.
        let recovered = app
            .store
            .write(move |c| saw_store::repo::channels::mark_healthy(c, id))
            .await?;
        if recovered {
            app.events.publish([Event::ChannelHealth {
                account_id: account,
                channel_id: id,
                healthy: true,
            }]);
        }
    }
    Ok(check)
}

/// `getMe` with a bot token an admin just pasted, before anything is stored: the UI adds
/// a Telegram bot only when Telegram knows the token (the CLI stores without calling).
pub async fn telegram_token(api_base: Option<&str>, bot_token: &str) -> Result<Check, AppError> {
    let base = api_base.unwrap_or(saw_core::channel::TELEGRAM_API_BASE);
    let url = outbound::telegram::method_url(base, bot_token.trim(), "getMe");
    let http = outbox::http_client()?;
    let response = match http.get(url).send().await {
        Ok(r) => r,
        Err(e) => return Ok(Check::Network(e.without_url().to_string())),
    };
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or_default();
    Ok(telegram_check(status, &body))
}

fn whatsapp_check(status: u16, body: &Value) -> Check {
    if status == 200 {
        let name = body["verified_name"]
            .as_str()
            .or(body["display_phone_number"].as_str())
            .unwrap_or("ok");
        return Check::Works(name.to_owned());
    }
    let error = &body["error"];
    match error["code"].as_i64() {
        Some(0 | 190) => Check::BadToken,
        Some(100 | 803) => Check::WrongId,
        _ => Check::Other(
            error["message"]
                .as_str()
                .map_or_else(|| format!("HTTP {status}"), str::to_owned),
        ),
    }
}

fn telegram_check(status: u16, body: &Value) -> Check {
    if body["ok"].as_bool() == Some(true) {
        let name = body["result"]["username"].as_str().unwrap_or("bot");
        return Check::Works(format!("@{name}"));
    }
    match body["error_code"].as_i64().unwrap_or(i64::from(status)) {
        401 | 404 => Check::BadToken,
        _ => Check::Other(
            body["description"]
                .as_str()
                .map_or_else(|| format!("HTTP {status}"), str::to_owned),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_in_words() {
        assert_eq!(
            whatsapp_check(200, &json!({"verified_name": "Padaria Estrela"})),
            Check::Works("Padaria Estrela".into())
        );
        assert_eq!(
            whatsapp_check(401, &json!({"error": {"code": 190}})),
            Check::BadToken
        );
        assert_eq!(
            whatsapp_check(
                400,
                &json!({"error": {"code": 100, "message": "Unsupported get request"}})
            ),
            Check::WrongId
        );
        assert_eq!(
            telegram_check(
                200,
                &json!({"ok": true, "result": {"username": "padaria_estrela_bot"}})
            ),
            Check::Works("@padaria_estrela_bot".into())
        );
        assert_eq!(
            telegram_check(
                401,
                &json!({"ok": false, "error_code": 401, "description": "Unauthorized"})
            ),
            Check::BadToken
        );
    }
}
