//! The account (conta / empresa): one company, and the settings that shape its UI.

use crate::ids::AccountId;
use crate::validation::{ValidationError, display_name};

/// The time zone of a fresh account.
pub const DEFAULT_TIME_ZONE: &str = "America/Sao_Paulo";
pub const COMPANY_NAME_MAX: usize = 120;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    pub time_zone: TimeZone,
    pub language: Language,
    pub conversations: ConversationSettings,
}

/// How conversations start and end: the greeting of a new ticket and the reopening window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationSettings {
    /// The greeting a new ticket gets; `None` for the built-in text in the account's language.
    pub greeting: Option<String>,
    /// A customer's message this long after their ticket was resolved reopens it; later
    /// messages open a new ticket.
    pub reopen_grace_minutes: i64,
    /// Anyone, not only signed-in users, may play a customer on the sandbox page (with a
    /// per-address limit).
    pub sandbox_public: bool,
    /// A bot conversation left unanswered this long is closed politely; 0 never.
    pub bot_idle_minutes: i64,
    /// A resolved ticket asks the customer for a rating from 1 to 5.
    pub csat: bool,
    /// Agents' replies start with their name in bold ("*Ana*: …").
    pub signature: bool,
}

/// The conversation settings as typed on the settings page.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConversationForm<'a> {
    pub greeting: &'a str,
    pub reopen_grace_minutes: &'a str,
    pub sandbox_public: bool,
    pub bot_idle_minutes: &'a str,
    pub csat: bool,
    pub signature: bool,
}

/// How long a fresh account's bot waits for an answer before closing the conversation.
pub const DEFAULT_BOT_IDLE_MINUTES: i64 = 30;
/// One day: a bot conversation that waits longer is not a conversation any more.
pub const BOT_IDLE_MAX_MINUTES: i64 = 24 * 60;

/// The reopening window of a fresh account: two hours.
pub const DEFAULT_REOPEN_GRACE_MINUTES: i64 = 120;
/// One week: longer would merge unrelated conversations.
pub const REOPEN_GRACE_MAX_MINUTES: i64 = 7 * 24 * 60;

impl Default for ConversationSettings {
    fn default() -> Self {
        Self {
            greeting: None,
            reopen_grace_minutes: DEFAULT_REOPEN_GRACE_MINUTES,
            sandbox_public: false,
            bot_idle_minutes: DEFAULT_BOT_IDLE_MINUTES,
            csat: false,
            signature: false,
        }
    }
}

impl ConversationSettings {
    /// A blank greeting means the built-in one; minutes are whole numbers within their
    /// bounds (a week to reopen, a day for the bot to wait).
    pub fn parse(form: ConversationForm<'_>) -> Result<Self, ValidationError> {
        let greeting = form.greeting.trim();
        let greeting = if greeting.is_empty() {
            None
        } else {
            Some(crate::validation::message_text(greeting)?)
        };
        let minutes = |raw: &str, max: i64| {
            raw.trim()
                .parse::<i64>()
                .ok()
                .filter(|m| (0..=max).contains(m))
        };
        let reopen_grace_minutes = minutes(form.reopen_grace_minutes, REOPEN_GRACE_MAX_MINUTES)
            .ok_or(ValidationError::InvalidReopenGrace {
                max: REOPEN_GRACE_MAX_MINUTES,
            })?;
        let bot_idle_minutes = minutes(form.bot_idle_minutes, BOT_IDLE_MAX_MINUTES).ok_or(
            ValidationError::InvalidBotIdle {
                max: BOT_IDLE_MAX_MINUTES,
            },
        )?;
        Ok(Self {
            greeting,
            reopen_grace_minutes,
            sandbox_public: form.sandbox_public,
            bot_idle_minutes,
            csat: form.csat,
            signature: form.signature,
        })
    }
}

/// The language of the UI and of the bot's default texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    #[default]
    PtBr,
    En,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::PtBr, Language::En];

    pub fn as_str(self) -> &'static str {
        match self {
            Language::PtBr => "pt-BR",
            Language::En => "en",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "pt-br" | "pt_br" | "pt" => Ok(Language::PtBr),
            "en" | "en-us" | "en_us" => Ok(Language::En),
            _ => Err(ValidationError::UnknownLanguage(raw.to_owned())),
        }
    }
}

/// A validated IANA time zone name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        raw.trim()
            .parse::<chrono_tz::Tz>()
            .map(TimeZone)
            .map_err(|_| ValidationError::UnknownTimeZone(raw.to_owned()))
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }
}

impl Default for TimeZone {
    fn default() -> Self {
        TimeZone(chrono_tz::America::Sao_Paulo)
    }
}

/// What an admin may change on the settings page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSettings {
    pub name: String,
    pub time_zone: TimeZone,
    pub language: Language,
}

impl AccountSettings {
    pub fn parse(name: &str, time_zone: &str, language: &str) -> Result<Self, ValidationError> {
        Ok(Self {
            name: display_name(name, COMPANY_NAME_MAX)?,
            time_zone: TimeZone::parse(time_zone)?,
            language: Language::parse(language)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_time_zone_is_sao_paulo() {
        assert_eq!(TimeZone::default().name(), DEFAULT_TIME_ZONE);
    }

    #[test]
    fn settings_refuse_unknown_zone_and_language() {
        assert_eq!(
            AccountSettings::parse("Loja", "Mars/Base", "pt-BR"),
            Err(ValidationError::UnknownTimeZone("Mars/Base".into()))
        );
        assert_eq!(
            AccountSettings::parse("Loja", "America/Manaus", "fr"),
            Err(ValidationError::UnknownLanguage("fr".into()))
        );
        assert_eq!(
            AccountSettings::parse("  ", "America/Manaus", "en"),
            Err(ValidationError::EmptyName)
        );
        let ok = AccountSettings::parse(" Loja da Ana ", "America/Manaus", "EN").unwrap();
        assert_eq!(ok.name, "Loja da Ana");
        assert_eq!(ok.language, Language::En);
    }

    #[test]
    fn conversation_settings_bound_their_minutes() {
        let form = |greeting, grace, idle| ConversationForm {
            greeting,
            reopen_grace_minutes: grace,
            bot_idle_minutes: idle,
            ..ConversationForm::default()
        };
        let ok = ConversationSettings::parse(form("  ", "0", "0")).unwrap();
        assert_eq!(ok.greeting, None);
        assert_eq!(ok.reopen_grace_minutes, 0);
        assert_eq!(ok.bot_idle_minutes, 0);
        let ok = ConversationSettings::parse(form(" Oi! Já te atendemos. ", " 90 ", "45")).unwrap();
        assert_eq!(ok.greeting.as_deref(), Some("Oi! Já te atendemos."));
        assert_eq!(ok.bot_idle_minutes, 45);
        for bad in ["-1", "10081", "2h", ""] {
            assert_eq!(
                ConversationSettings::parse(form("", bad, "30")),
                Err(ValidationError::InvalidReopenGrace { max: 10080 }),
                "{bad}"
            );
        }
        for bad in ["-1", "1441", "meia hora", ""] {
            assert_eq!(
                ConversationSettings::parse(form("", "120", bad)),
                Err(ValidationError::InvalidBotIdle { max: 1440 }),
                "{bad}"
            );
        }
    }
}
