//! Users (admins, supervisors, agents) and the rules for their credentials.

use chrono::{DateTime, Utc};

use crate::ids::{AccountId, UserId};
use crate::validation::{ValidationError, display_name};

pub const USER_NAME_MAX: usize = 120;
pub const PASSWORD_MIN: usize = 8;
/// Argon2 accepts more, but nobody types this much; the cap keeps hashing cheap for attackers' inputs.
pub const PASSWORD_MAX: usize = 256;

/// What a user may do. Supervisors see every queue of their account; agents only their own
/// queues; admins also configure the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Agent,
    Supervisor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Supervisor, Role::Agent];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Agent => "agent",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "admin" | "administrador" => Ok(Role::Admin),
            "supervisor" => Ok(Role::Supervisor),
            "agent" | "atendente" => Ok(Role::Agent),
            _ => Err(ValidationError::UnknownRole(raw.to_owned())),
        }
    }

    /// Sees every ticket of the account, whatever the queue.
    pub fn sees_all_queues(self) -> bool {
        self >= Role::Supervisor
    }

    pub fn is_admin(self) -> bool {
        self == Role::Admin
    }
}

/// An e-mail address, trimmed and lower-cased so that sign-in is case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let email = raw.trim().to_lowercase();
        let Some((local, domain)) = email.split_once('@') else {
            return Err(ValidationError::InvalidEmail);
        };
        let plausible = !local.is_empty()
            && local.len() <= 64
            && email.len() <= 254
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if plausible {
            Ok(Email(email))
        } else {
            Err(ValidationError::InvalidEmail)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password a person chose, checked against the policy; never logged (no `Debug` output).
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let count = raw.chars().count();
        if count < PASSWORD_MIN {
            return Err(ValidationError::PasswordTooShort { min: PASSWORD_MIN });
        }
        if count > PASSWORD_MAX {
            return Err(ValidationError::PasswordTooLong { max: PASSWORD_MAX });
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

pub fn user_name(raw: &str) -> Result<String, ValidationError> {
    display_name(raw, USER_NAME_MAX)
}

text_enum!(
    /// What an agent tells the team: only `available` agents get tickets distributed.
    AgentStatus { Available => "available", Paused => "paused", Away => "away" }
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub account_id: AccountId,
    pub name: String,
    pub email: Email,
    pub role: Role,
    pub active: bool,
    /// Set for generated passwords: the user must choose their own at the next sign-in.
    pub must_change_password: bool,
    pub totp_enabled: bool,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(
            Email::parse(" Ana@Loja.COM.br ").unwrap().as_str(),
            "ana@loja.com.br"
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@loja.com",
            "ana@loja",
            "a na@loja.com",
            "ana@.com",
        ] {
            assert_eq!(
                Email::parse(bad),
                Err(ValidationError::InvalidEmail),
                "{bad}"
            );
        }
    }

    #[test]
    fn role_parses_english_and_portuguese() {
        assert_eq!(Role::parse("Admin"), Ok(Role::Admin));
        assert_eq!(Role::parse("atendente"), Ok(Role::Agent));
        assert!(Role::parse("root").is_err());
        assert!(Role::Supervisor.sees_all_queues());
        assert!(!Role::Agent.sees_all_queues());
    }

    #[test]
    fn password_policy_and_no_debug_leak() {
        assert!(Password::parse("curta").is_err());
        let p = Password::parse("segredo-longo").unwrap();
        assert!(!format!("{p:?}").contains("segredo"));
    }
}
