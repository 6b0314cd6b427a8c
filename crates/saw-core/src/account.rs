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
}
