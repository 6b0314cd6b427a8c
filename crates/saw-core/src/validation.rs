//! Input parsed once at the edge into validated values; what fails says what to fix.

/// Why a value given by a person was refused. The web layer turns each into a translated
/// message; the CLI prints the English text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("the e-mail address is not valid")]
    InvalidEmail,
    #[error("the name must not be empty")]
    EmptyName,
    #[error("the name is too long (at most {max} characters)")]
    NameTooLong { max: usize },
    #[error("the password must have at least {min} characters")]
    PasswordTooShort { min: usize },
    #[error("the password is too long (at most {max} characters)")]
    PasswordTooLong { max: usize },
    #[error("unknown role '{0}': use admin, supervisor or agent")]
    UnknownRole(String),
    #[error("unknown time zone '{0}': use a name such as America/Sao_Paulo")]
    UnknownTimeZone(String),
    #[error("unknown language '{0}': use pt-BR or en")]
    UnknownLanguage(String),
    #[error("the color must be written as #rrggbb")]
    InvalidColor,
    #[error("the {0} must be digits only, as Meta shows it")]
    InvalidProviderId(&'static str),
    #[error(
        "the bot token must look like 123456789:AAE… (the bot id, a colon, then the rest exactly as @BotFather gave it)"
    )]
    InvalidBotToken,
    #[error(
        "the API base must be an http or https URL such as https://graph.facebook.com, without user, query or fragment"
    )]
    InvalidApiBase,
    #[error("the {0} must not be empty and must have no spaces (at most 4096 characters)")]
    InvalidSecret(&'static str),
    #[error("unknown mode '{0}': use polling or webhook")]
    UnknownTelegramMode(String),
    #[error("the message must not be empty (at most {max} characters)")]
    InvalidMessageText { max: usize },
    #[error("the menu needs at least one option")]
    EmptyMenu,
    #[error(
        "option {position} needs an id: not empty, no spaces at either end, at most 200 characters"
    )]
    InvalidMenuOptionId { position: usize },
    #[error("two options have the id '{0}': each option needs its own")]
    DuplicateMenuOptionId(String),
    #[error("option {position} needs a title")]
    EmptyMenuOptionTitle { position: usize },
    #[error("the reopening window must be a whole number of minutes from 0 to {max}")]
    InvalidReopenGrace { max: i64 },
    #[error("the bot's waiting time must be a whole number of minutes from 0 to {max}")]
    InvalidBotIdle { max: i64 },
    #[error("the note is too long (at most {max} characters)")]
    NoteTooLong { max: usize },
}

impl ValidationError {
    /// A stable key for translation catalogues and API error codes.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidEmail => "invalid_email",
            Self::EmptyName => "empty_name",
            Self::NameTooLong { .. } => "name_too_long",
            Self::PasswordTooShort { .. } => "password_too_short",
            Self::PasswordTooLong { .. } => "password_too_long",
            Self::UnknownRole(_) => "unknown_role",
            Self::UnknownTimeZone(_) => "unknown_time_zone",
            Self::UnknownLanguage(_) => "unknown_language",
            Self::InvalidColor => "invalid_color",
            Self::InvalidProviderId(_) => "invalid_provider_id",
            Self::InvalidBotToken => "invalid_bot_token",
            Self::InvalidApiBase => "invalid_api_base",
            Self::InvalidSecret(_) => "invalid_secret",
            Self::UnknownTelegramMode(_) => "unknown_telegram_mode",
            Self::InvalidMessageText { .. } => "invalid_message_text",
            Self::EmptyMenu => "empty_menu",
            Self::InvalidMenuOptionId { .. } => "invalid_menu_option_id",
            Self::DuplicateMenuOptionId(_) => "duplicate_menu_option_id",
            Self::EmptyMenuOptionTitle { .. } => "empty_menu_option_title",
            Self::InvalidReopenGrace { .. } => "invalid_reopen_grace",
            Self::InvalidBotIdle { .. } => "invalid_bot_idle",
            Self::NoteTooLong { .. } => "note_too_long",
        }
    }
}

/// A trimmed, non-empty display name of bounded length.
pub fn display_name(raw: &str, max: usize) -> Result<String, ValidationError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(ValidationError::EmptyName);
    }
    if name.chars().count() > max {
        return Err(ValidationError::NameTooLong { max });
    }
    Ok(name.to_owned())
}

/// The most a text message may carry (WhatsApp's limit for a text body).
pub const MESSAGE_TEXT_MAX: usize = 4096;

/// A message text as typed: not blank, at most [`MESSAGE_TEXT_MAX`] characters, kept as is.
pub fn message_text(raw: &str) -> Result<String, ValidationError> {
    if raw.trim().is_empty() || raw.chars().count() > MESSAGE_TEXT_MAX {
        return Err(ValidationError::InvalidMessageText {
            max: MESSAGE_TEXT_MAX,
        });
    }
    Ok(raw.to_owned())
}
