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
