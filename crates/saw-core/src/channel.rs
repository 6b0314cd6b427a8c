//! Channels (conexões): one WhatsApp number, one Telegram bot or the built-in sandbox, with
//! their typed settings and secrets, checked once at the edge.
//!
//! A channel is stored in two halves. What a person may read (the WABA id, the API base,
//! the Telegram mode) is plain JSON; the secrets (tokens, the app secret, the verify token,
//! the webhook secret) are one JSON document sealed with the secrets key. Separate types for
//! the two halves keep a secret from landing in the readable one by accident, and
//! [`Secret`] prints as `Secret(…)` in `Debug`, so none lands in a log either.
//!
//! Each channel also has a provider key, the id the provider puts in every webhook: the
//! WhatsApp phone number id or the Telegram bot id (the digits before `:` in its token). It
//! is unique per kind, so an inbound webhook finds exactly one channel.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::conversation::ChannelKind;
use crate::ids::{AccountId, ChannelId};
use crate::validation::{ValidationError, display_name};

pub const CHANNEL_NAME_MAX: usize = 60;
pub const WHATSAPP_API_BASE: &str = "https://graph.facebook.com";
pub const TELEGRAM_API_BASE: &str = "https://api.telegram.org";
/// Far above any real token; a cap so a pasted file is refused instead of stored.
pub const SECRET_MAX: usize = 4096;
/// Meta's ids are 15–17 digits today; room to grow, not room for a pasted paragraph.
const PROVIDER_ID_MAX: usize = 32;
const BOT_ID_MAX: usize = 20;
/// @BotFather's tokens have 35 characters after the colon; fewer means a truncated paste.
const BOT_TOKEN_SECRET_MIN: usize = 30;
const BOT_TOKEN_SECRET_MAX: usize = 256;
/// Shorter secrets are masked entirely: four characters of a short one give too much away.
const MASK_PREFIX_FROM: usize = 16;
const MASK_PREFIX: usize = 4;

/// A stored channel without its secrets: what lists show and what a webhook is routed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub id: ChannelId,
    pub account_id: AccountId,
    pub kind: ChannelKind,
    pub name: String,
    /// The WhatsApp phone number id or the Telegram bot id; `None` for the sandbox.
    pub provider_key: Option<String>,
    /// A deactivated channel keeps its tickets and messages but neither receives nor sends.
    pub active: bool,
    /// Why the channel stopped sending (expired token, blocked number, a flood of
    /// failures), and since when; `None` while healthy.
    pub health: Option<ChannelHealth>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An unhealthy channel: its outbox is held until an admin fixes the cause (or a periodic
/// probe send succeeds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelHealth {
    pub reason: String,
    pub since: DateTime<Utc>,
}

/// A trimmed, non-empty channel name ("WhatsApp Loja", "Bot de vendas").
pub fn channel_name(raw: &str) -> Result<String, ValidationError> {
    display_name(raw, CHANNEL_NAME_MAX)
}

/// A credential. Only [`Secret::expose`] gives the value; `Debug` and [`Secret::masked`]
/// never show it whole. It serialises as a plain string, for the sealed document only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// A trimmed value without spaces or control characters, at most [`SECRET_MAX`] long;
    /// `what` names it in the refusal ("access token").
    pub fn parse(what: &'static str, raw: &str) -> Result<Self, ValidationError> {
        let value = raw.trim();
        let valid = !value.is_empty()
            && value.chars().count() <= SECRET_MAX
            && !value.chars().any(|c| c.is_whitespace() || c.is_control());
        if valid {
            Ok(Self(value.to_owned()))
        } else {
            Err(ValidationError::InvalidSecret(what))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What a list may show: the first four characters and "…" for a long secret (enough to
    /// tell two tokens apart), only "…" for a short one.
    pub fn masked(&self) -> String {
        if self.0.chars().count() >= MASK_PREFIX_FROM {
            let prefix: String = self.0.chars().take(MASK_PREFIX).collect();
            format!("{prefix}…")
        } else {
            "…".to_owned()
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Digits only, as Meta shows its ids; `what` names the field in the refusal.
fn provider_id(what: &'static str, raw: &str) -> Result<String, ValidationError> {
    let id = raw.trim();
    if !id.is_empty() && id.len() <= PROVIDER_ID_MAX && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(id.to_owned())
    } else {
        Err(ValidationError::InvalidProviderId(what))
    }
}

/// The WhatsApp phone number id (not the phone number itself): the channel's provider key.
pub fn phone_number_id(raw: &str) -> Result<String, ValidationError> {
    provider_id("phone number id", raw)
}

/// The WhatsApp Business Account id.
pub fn waba_id(raw: &str) -> Result<String, ValidationError> {
    provider_id("WhatsApp Business Account id", raw)
}

/// A Telegram bot token as @BotFather gives it: the bot id, a colon, then 30 or more
/// letters, digits, `-` or `_` (`123456789:AAE…`).
pub fn bot_token(raw: &str) -> Result<Secret, ValidationError> {
    let token = raw.trim();
    let valid = token.split_once(':').is_some_and(|(id, rest)| {
        !id.is_empty()
            && id.len() <= BOT_ID_MAX
            && id.bytes().all(|b| b.is_ascii_digit())
            && (BOT_TOKEN_SECRET_MIN..=BOT_TOKEN_SECRET_MAX).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    if valid {
        Ok(Secret(token.to_owned()))
    } else {
        Err(ValidationError::InvalidBotToken)
    }
}

/// The bot id of a Telegram token: the digits before the colon (not secret; Telegram shows
/// it as the bot's user id).
pub fn bot_id(token: &Secret) -> &str {
    token.expose().split_once(':').map_or("", |(id, _)| id)
}

/// The base URL of a provider's API: `http` or `https` (plain http for tests and local
/// proxies), a host, an optional port and path; no user, query or fragment. Answers it with
/// a lower-case scheme and no trailing `/`.
pub fn api_base(raw: &str) -> Result<String, ValidationError> {
    let raw = raw.trim();
    let (scheme, rest) = raw
        .split_once("://")
        .ok_or(ValidationError::InvalidApiBase)?;
    let scheme = scheme.to_ascii_lowercase();
    let rest = rest.trim_end_matches('/');
    let authority = rest.split('/').next().unwrap_or_default();
    let (host, port) = match authority.strip_prefix('[') {
        // An IPv6 address: [::1]:8080
        Some(v6) => match v6.split_once(']') {
            Some((host, "")) => (host, None),
            Some((host, after)) => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => ("", None),
            },
            None => ("", None),
        },
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let valid = (scheme == "http" || scheme == "https")
        && !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':'))
        && port
            .is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
        && rest.bytes().all(|b| b.is_ascii_graphic())
        && !rest.contains(['?', '#', '@', '\\']);
    if valid {
        Ok(format!("{scheme}://{rest}"))
    } else {
        Err(ValidationError::InvalidApiBase)
    }
}

/// How a Telegram channel receives updates: SAW asks for them (`getUpdates`, works behind
/// NAT, the default) or Telegram posts them to SAW's public URL (`setWebhook`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TelegramMode {
    #[default]
    Polling,
    Webhook,
}

impl TelegramMode {
    pub const ALL: [TelegramMode; 2] = [TelegramMode::Polling, TelegramMode::Webhook];

    pub fn as_str(self) -> &'static str {
        match self {
            TelegramMode::Polling => "polling",
            TelegramMode::Webhook => "webhook",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "polling" => Ok(TelegramMode::Polling),
            "webhook" => Ok(TelegramMode::Webhook),
            _ => Err(ValidationError::UnknownTelegramMode(raw.to_owned())),
        }
    }
}

/// The readable half of a WhatsApp channel (`channels.settings`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatsAppSettings {
    pub waba_id: String,
    pub api_base: String,
    /// Sends per second; `None` for Meta's default of 80 per number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_second: Option<u32>,
}

/// The sealed half of a WhatsApp channel (`channels.credentials`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatsAppSecrets {
    /// Sent as `Authorization: Bearer …` on every Graph API call.
    pub access_token: Secret,
    /// Key of the `X-Hub-Signature-256` HMAC on every webhook.
    pub app_secret: Secret,
    /// What Meta must echo in the webhook handshake (`hub.verify_token`).
    pub verify_token: Secret,
}

/// The readable half of a Telegram channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TelegramSettings {
    pub mode: TelegramMode,
    pub api_base: String,
    /// Sends per second; `None` for Telegram's limit of 30 per bot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_second: Option<u32>,
}

/// The sealed half of a Telegram channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TelegramSecrets {
    pub bot_token: Secret,
    /// Given to `setWebhook` as `secret_token`; Telegram sends it back in
    /// `X-Telegram-Bot-Api-Secret-Token` on every update.
    pub webhook_secret: Secret,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatsAppConfig {
    pub phone_number_id: String,
    pub settings: WhatsAppSettings,
    pub secrets: WhatsAppSecrets,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelegramConfig {
    pub settings: TelegramSettings,
    pub secrets: TelegramSecrets,
}

impl TelegramConfig {
    pub fn bot_id(&self) -> &str {
        bot_id(&self.secrets.bot_token)
    }
}

/// Everything an adapter needs to talk to the provider for one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelConfig {
    WhatsApp(WhatsAppConfig),
    Telegram(TelegramConfig),
    /// The built-in test channel: no provider, no credentials.
    Sandbox,
}

impl ChannelConfig {
    /// A WhatsApp Cloud API number, every field checked; `api_base` `None` is Meta's.
    pub fn whatsapp(
        phone_number_id: &str,
        waba_id: &str,
        api_base: Option<&str>,
        access_token: &str,
        app_secret: &str,
        verify_token: &str,
    ) -> Result<Self, ValidationError> {
        Ok(ChannelConfig::WhatsApp(WhatsAppConfig {
            phone_number_id: self::phone_number_id(phone_number_id)?,
            settings: WhatsAppSettings {
                waba_id: self::waba_id(waba_id)?,
                api_base: self::api_base(api_base.unwrap_or(WHATSAPP_API_BASE))?,
                max_per_second: None,
            },
            secrets: WhatsAppSecrets {
                access_token: Secret::parse("access token", access_token)?,
                app_secret: Secret::parse("app secret", app_secret)?,
                verify_token: Secret::parse("verify token", verify_token)?,
            },
        }))
    }

    /// A Telegram bot, every field checked; `api_base` `None` is Telegram's.
    pub fn telegram(
        bot_token: &str,
        mode: TelegramMode,
        api_base: Option<&str>,
        webhook_secret: &str,
    ) -> Result<Self, ValidationError> {
        Ok(ChannelConfig::Telegram(TelegramConfig {
            settings: TelegramSettings {
                mode,
                api_base: self::api_base(api_base.unwrap_or(TELEGRAM_API_BASE))?,
                max_per_second: None,
            },
            secrets: TelegramSecrets {
                bot_token: self::bot_token(bot_token)?,
                webhook_secret: Secret::parse("webhook secret", webhook_secret)?,
            },
        }))
    }

    /// How many messages per second the channel may send: the configured rate, else the
    /// provider's default (WhatsApp 80 per number, Telegram 30 per bot); `None` for the
    /// sandbox, which has no provider to protect.
    pub fn max_per_second(&self) -> Option<u32> {
        match self {
            ChannelConfig::WhatsApp(wa) => Some(wa.settings.max_per_second.unwrap_or(80)),
            ChannelConfig::Telegram(tg) => Some(tg.settings.max_per_second.unwrap_or(30)),
            ChannelConfig::Sandbox => None,
        }
    }

    pub fn kind(&self) -> ChannelKind {
        match self {
            ChannelConfig::WhatsApp(_) => ChannelKind::WhatsApp,
            ChannelConfig::Telegram(_) => ChannelKind::Telegram,
            ChannelConfig::Sandbox => ChannelKind::Sandbox,
        }
    }

    /// The id the provider names this channel by in webhooks (see the module docs).
    pub fn provider_key(&self) -> Option<&str> {
        match self {
            ChannelConfig::WhatsApp(w) => Some(&w.phone_number_id),
            ChannelConfig::Telegram(t) => Some(t.bot_id()),
            ChannelConfig::Sandbox => None,
        }
    }

    /// The readable settings by name, for lists.
    pub fn shown_settings(&self) -> Vec<(&'static str, String)> {
        match self {
            ChannelConfig::WhatsApp(w) => vec![
                ("waba", w.settings.waba_id.clone()),
                ("api", w.settings.api_base.clone()),
            ],
            ChannelConfig::Telegram(t) => vec![
                ("mode", t.settings.mode.as_str().to_owned()),
                ("api", t.settings.api_base.clone()),
            ],
            ChannelConfig::Sandbox => Vec::new(),
        }
    }

    /// Every secret by name, masked ([`Secret::masked`]): all a list may show of them.
    pub fn masked_secrets(&self) -> Vec<(&'static str, String)> {
        match self {
            ChannelConfig::WhatsApp(w) => vec![
                ("access_token", w.secrets.access_token.masked()),
                ("app_secret", w.secrets.app_secret.masked()),
                ("verify_token", w.secrets.verify_token.masked()),
            ],
            ChannelConfig::Telegram(t) => vec![
                ("bot_token", t.secrets.bot_token.masked()),
                ("webhook_secret", t.secrets.webhook_secret.masked()),
            ],
            ChannelConfig::Sandbox => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "123456789:AAEhBOweik9ai2o4Pq3XbQ-yZ_Ld0mWTk7s";

    #[test]
    fn names() {
        assert_eq!(channel_name("  WhatsApp Loja "), Ok("WhatsApp Loja".into()));
        assert_eq!(channel_name(" "), Err(ValidationError::EmptyName));
        assert!(channel_name(&"x".repeat(CHANNEL_NAME_MAX + 1)).is_err());
    }

    #[test]
    fn provider_ids_are_digits() {
        assert_eq!(
            phone_number_id(" 112233445566778 "),
            Ok("112233445566778".into())
        );
        for bad in ["", "+5511940028922", "1122 3344", "12ab", &"1".repeat(33)] {
            assert_eq!(
                phone_number_id(bad),
                Err(ValidationError::InvalidProviderId("phone number id")),
                "{bad:?}"
            );
        }
        assert!(waba_id("104952389402837").is_ok());
        let err = waba_id("waba-1").unwrap_err();
        assert!(err.to_string().contains("digits"), "{err}");
    }

    #[test]
    fn telegram_tokens_have_the_botfather_shape() {
        let token = bot_token(&format!(" {TOKEN}\n")).unwrap();
        assert_eq!(token.expose(), TOKEN);
        assert_eq!(bot_id(&token), "123456789");
        for bad in [
            "",
            "AAEhBOweik9ai2o4Pq3XbQ-yZ_Ld0mWTk7s",
            "123456789",
            "123456789:",
            "123456789:short",
            "bot123:AAEhBOweik9ai2o4Pq3XbQ-yZ_Ld0mWTk7s",
            "123456789:AAEhBOweik9ai2o4Pq3XbQ yZ_Ld0mWTk7s",
            "123456789:AAEhBOweik9ai2o4Pq3XbQ/yZ_Ld0mWTk7s",
        ] {
            assert_eq!(
                bot_token(bad),
                Err(ValidationError::InvalidBotToken),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn api_bases_are_http_urls() {
        assert_eq!(
            api_base("https://graph.facebook.com/"),
            Ok("https://graph.facebook.com".into())
        );
        assert_eq!(
            api_base("HTTP://127.0.0.1:8081"),
            Ok("http://127.0.0.1:8081".into())
        );
        assert_eq!(
            api_base("https://proxy.internal/graph"),
            Ok("https://proxy.internal/graph".into())
        );
        assert!(api_base("http://[::1]:9000").is_ok());
        for bad in [
            "",
            "graph.facebook.com",
            "ftp://graph.facebook.com",
            "https://",
            "https://:8080",
            "https://user:pass@graph.facebook.com",
            "https://graph.facebook.com/?x=1",
            "https://graph.facebook.com/#f",
            "https://graph facebook.com",
            "https://host:80a",
            "javascript://alert(1)",
        ] {
            assert_eq!(
                api_base(bad),
                Err(ValidationError::InvalidApiBase),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn secrets_are_checked_masked_and_never_debug_printed() {
        assert!(Secret::parse("app secret", "").is_err());
        assert!(Secret::parse("app secret", "two words").is_err());
        assert!(Secret::parse("app secret", &"x".repeat(SECRET_MAX + 1)).is_err());
        let err = Secret::parse("access token", "  ").unwrap_err();
        assert!(err.to_string().contains("access token"), "{err}");

        let long = Secret::parse("access token", "EAAGm0PX4ZCpsBAKZCZAq1zX").unwrap();
        assert_eq!(long.masked(), "EAAG…");
        let short = Secret::parse("verify token", "meu-token").unwrap();
        assert_eq!(short.masked(), "…");

        let config = ChannelConfig::whatsapp(
            "112233445566778",
            "104952389402837",
            None,
            "EAAGm0PX4ZCpsBAKZCZAq1zX",
            "saw-fixtures-app-secret",
            "meu-token",
        )
        .unwrap();
        let shown = format!("{config:?}");
        for secret in [
            "EAAGm0PX4ZCpsBAKZCZAq1zX",
            "saw-fixtures-app-secret",
            "meu-token",
        ] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let masked = format!("{:?}", config.masked_secrets());
        assert!(!masked.contains("saw-fixtures-app-secret"), "{masked}");
        assert_eq!(config.provider_key(), Some("112233445566778"));
        assert_eq!(config.kind(), ChannelKind::WhatsApp);
        match &config {
            ChannelConfig::WhatsApp(w) => assert_eq!(w.settings.api_base, WHATSAPP_API_BASE),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn configs_check_every_field() {
        let bad_phone = ChannelConfig::whatsapp("x", "1", None, "t", "s", "v").unwrap_err();
        assert_eq!(
            bad_phone,
            ValidationError::InvalidProviderId("phone number id")
        );
        let bad_base =
            ChannelConfig::whatsapp("1", "1", Some("ftp://x"), "t", "s", "v").unwrap_err();
        assert_eq!(bad_base, ValidationError::InvalidApiBase);
        let no_secret = ChannelConfig::whatsapp("1", "1", None, "t", "", "v").unwrap_err();
        assert_eq!(no_secret, ValidationError::InvalidSecret("app secret"));

        let telegram =
            ChannelConfig::telegram(TOKEN, TelegramMode::Webhook, None, "s3cr3t").unwrap();
        assert_eq!(telegram.provider_key(), Some("123456789"));
        assert_eq!(
            telegram.shown_settings(),
            vec![
                ("mode", "webhook".to_owned()),
                ("api", TELEGRAM_API_BASE.to_owned())
            ]
        );
        assert!(!format!("{telegram:?}").contains(TOKEN));
        assert_eq!(ChannelConfig::Sandbox.provider_key(), None);
        assert!(ChannelConfig::Sandbox.masked_secrets().is_empty());
    }

    #[test]
    fn telegram_modes() {
        for mode in TelegramMode::ALL {
            assert_eq!(TelegramMode::parse(mode.as_str()), Ok(mode));
        }
        assert_eq!(TelegramMode::default(), TelegramMode::Polling);
        assert!(TelegramMode::parse("push").is_err());
    }
}
