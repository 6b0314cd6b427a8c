//! Who is asking: sign-in with password and optional second factor, server-side sessions,
//! and API tokens.
//!
//! Session cookies and API tokens are random values of which only a SHA-256 hash is stored,
//! so a copy of the database opens no session. Failed sign-ins are audit entries, and the
//! per-address limit counts them.

use chrono::{DateTime, Duration, Utc};
use saw_core::ids::{AccountId, ApiTokenId, UserId};
use saw_core::user::{Email, User};
use saw_store::now;
use saw_store::repo::tokens::{ApiToken, NewToken};
use saw_store::repo::{audit, recovery_codes, sessions, tokens, users};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};

use crate::{Actor, App, AppError, passwords, random};

pub const SIGN_IN_FAILED: &str = "sign_in.failed";
/// A password-checked session waiting for its second factor lives this long.
const SECOND_FACTOR_WINDOW: Duration = Duration::minutes(10);
/// `last_seen_at` is refreshed at most this often, so reading pages does not write each time.
const TOUCH_EVERY: Duration = Duration::seconds(60);
const API_TOKEN_PREFIX: &str = "saw_";
const RECOVERY_CODES: usize = 10;
const TOTP_ISSUER: &str = "SAW";

/// Where a sign-in came from, for the limit and the audit log.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug)]
pub enum SignIn {
    /// Signed in: the new session's cookie value.
    Complete { token: String, user: User },
    /// Password right, second factor still needed: a short-lived session that opens only the
    /// second-factor page.
    SecondFactor { token: String },
}

/// A valid session, as a request sees it.
#[derive(Debug, Clone)]
pub struct AuthSession {
    pub user: User,
    pub csrf_token: String,
    pub token_hash: String,
    pub mfa_pending: bool,
}

async fn refuse_if_locked_out(app: &App, client: &Client) -> Result<(), AppError> {
    let Some(ip) = client.ip.clone() else {
        return Ok(());
    };
    let window = app.policy.lockout_window;
    let max = app.policy.max_failed_sign_ins;
    let since = now() - window;
    let (failures, unlocks_at) = app
        .store
        .read(move |c| {
            let failures = audit::count_from_ip_since(c, SIGN_IN_FAILED, &ip, since)?;
            // Locked while `max` failures stay in the window: it opens when the failure that
            // leaves `max - 1` behind ages out.
            let pivot = (failures - max).max(0);
            let unlocks_at = audit::nth_from_ip_since(c, SIGN_IN_FAILED, &ip, since, pivot)?;
            Ok::<_, AppError>((failures, unlocks_at))
        })
        .await?;
    if failures >= max {
        let ends = unlocks_at.unwrap_or_else(now) + window;
        let minutes = ((ends - now()).num_seconds() + 59) / 60;
        return Err(AppError::LockedOut {
            minutes: minutes.max(1),
        });
    }
    Ok(())
}

async fn record_failure(
    app: &App,
    account: Option<AccountId>,
    target: &str,
    detail: &str,
    client: &Client,
) -> Result<(), AppError> {
    let entry = audit::NewEntry {
        account_id: account,
        actor_user_id: None,
        actor: "anonymous".into(),
        action: SIGN_IN_FAILED.into(),
        target: Some(target.chars().take(254).collect()),
        detail: Some(detail.into()),
        ip: client.ip.clone(),
    };
    app.store
        .write(move |c| audit::record(c, &entry, now()))
        .await?;
    Ok(())
}

/// Checks e-mail and password. Every refusal looks the same to the person (wrong e-mail,
/// wrong password, deactivated user) and is recorded.
pub async fn sign_in(
    app: &App,
    email: &str,
    password: &str,
    client: &Client,
) -> Result<SignIn, AppError> {
    refuse_if_locked_out(app, client).await?;
    let Ok(email) = Email::parse(email) else {
        passwords::verify(password, None).await;
        // Never the raw text: people paste passwords into the e-mail box.
        record_failure(
            app,
            None,
            "(not an e-mail address)",
            "invalid e-mail",
            client,
        )
        .await?;
        return Err(AppError::InvalidCredentials);
    };
    let lookup = email.clone();
    let found = app
        .store
        .read(move |c| users::credentials_by_email(c, &lookup))
        .await?;
    let hash = found.as_ref().map(|f| f.password_hash.clone());
    let password_ok = passwords::verify(password, hash).await;
    let user = match found {
        Some(found) if password_ok && found.user.active => found.user,
        other => {
            let (account, why) = match &other {
                None => (None, "unknown e-mail"),
                Some(f) if !f.user.active => (Some(f.user.account_id), "deactivated user"),
                Some(f) => (Some(f.user.account_id), "wrong password"),
            };
            record_failure(app, account, email.as_str(), why, client).await?;
            return Err(AppError::InvalidCredentials);
        }
    };
    let pending = user.totp_enabled;
    let token = start_session(app, &user, pending, client).await?;
    if pending {
        Ok(SignIn::SecondFactor { token })
    } else {
        Ok(SignIn::Complete { token, user })
    }
}

/// Creates a session and answers its cookie value. A session id is never reused: signing in
/// (or finishing the second factor) always makes a new one.
pub async fn start_session(
    app: &App,
    user: &User,
    mfa_pending: bool,
    client: &Client,
) -> Result<String, AppError> {
    let token = random::token();
    let token_hash = random::sha256_hex(&token);
    let csrf = random::token();
    let created = now();
    let expires = created
        + if mfa_pending {
            SECOND_FACTOR_WINDOW
        } else {
            app.policy.session_lifetime
        };
    let user_id = user.id;
    let client = client.clone();
    let entry = (!mfa_pending).then(|| {
        Actor::user(user, client.ip.clone()).audit(
            user.account_id,
            "sign_in.succeeded",
            user.email.as_str(),
        )
    });
    app.store
        .write(move |c| {
            sessions::insert(
                c,
                &sessions::NewSession {
                    token_hash: &token_hash,
                    user_id,
                    csrf_token: &csrf,
                    mfa_pending,
                    created_at: created,
                    expires_at: expires,
                    ip: client.ip.as_deref(),
                    user_agent: client
                        .user_agent
                        .as_deref()
                        .map(|ua| &ua[..ua.len().min(300)]),
                },
            )?;
            if let Some(entry) = &entry {
                audit::record(c, entry, created)?;
            }
            Ok::<_, AppError>(())
        })
        .await?;
    Ok(token)
}

/// The session behind a cookie value, if it is still valid (not expired, not idle too long,
/// its user still active).
pub async fn session(app: &App, token: &str) -> Result<Option<AuthSession>, AppError> {
    let token_hash = random::sha256_hex(token);
    let lookup = token_hash.clone();
    let Some(found) = app.store.read(move |c| sessions::find(c, &lookup)).await? else {
        return Ok(None);
    };
    let at = now();
    let idle_limit = if found.mfa_pending {
        SECOND_FACTOR_WINDOW
    } else {
        app.policy.session_idle
    };
    if found.expires_at <= at || found.last_seen_at + idle_limit <= at || !found.user.active {
        let stale = token_hash.clone();
        app.store
            .write(move |c| sessions::delete(c, &stale))
            .await?;
        return Ok(None);
    }
    if at - found.last_seen_at >= TOUCH_EVERY {
        let touched = token_hash.clone();
        app.store
            .write(move |c| sessions::touch(c, &touched, at))
            .await?;
    }
    Ok(Some(AuthSession {
        user: found.user,
        csrf_token: found.csrf_token,
        token_hash,
        mfa_pending: found.mfa_pending,
    }))
}

pub async fn sign_out(app: &App, session: &AuthSession) -> Result<(), AppError> {
    let hash = session.token_hash.clone();
    app.store.write(move |c| sessions::delete(c, &hash)).await?;
    Ok(())
}

/// Removes expired sessions (run now and then by the server).
pub async fn purge_sessions(app: &App) -> Result<u64, AppError> {
    let at = now();
    let idle_since = at - app.policy.session_idle;
    Ok(app
        .store
        .write(move |c| sessions::delete_expired(c, at, idle_since))
        .await?)
}

/// Finishes a two-factor sign-in with a 6-digit code from the authenticator app or a
/// recovery code; answers the new session's cookie value.
///
/// Besides the per-address limit, wrong codes are counted per user: after as many as the
/// policy allows, the half-finished sign-in ends and the password must be typed again.
pub async fn complete_second_factor(
    app: &App,
    pending: &AuthSession,
    code: &str,
    client: &Client,
) -> Result<String, AppError> {
    refuse_if_locked_out(app, client).await?;
    let user = pending.user.clone();
    let user_id = user.id;
    let target = user.email.to_string();
    let since = now() - app.policy.lockout_window;
    let wrong_codes = app
        .store
        .read(move |c| audit::count_for_target_since(c, SIGN_IN_FAILED, &target, since))
        .await?;
    if wrong_codes >= app.policy.max_failed_sign_ins {
        sign_out(app, pending).await?;
        return Err(AppError::LockedOut {
            minutes: app.policy.lockout_window.num_minutes(),
        });
    }
    let stored = app
        .store
        .read(move |c| users::credentials(c, user_id))
        .await?;
    let code = code.trim().to_lowercase();
    let ok = match stored.totp_secret {
        Some(sealed) if code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()) => {
            let secret = app.secrets.decrypt(&sealed)?;
            match matching_step(&totp(&secret, &user.email)?, &code) {
                Some(step) => {
                    app.store
                        .write(move |c| users::claim_totp_step(c, user_id, step))
                        .await?
                }
                None => false,
            }
        }
        _ => {
            let hash = random::sha256_hex(&code);
            app.store
                .write(move |c| recovery_codes::consume(c, user_id, &hash, now()))
                .await?
        }
    };
    if !ok {
        record_failure(
            app,
            Some(user.account_id),
            user.email.as_str(),
            "wrong second factor",
            client,
        )
        .await?;
        return Err(AppError::InvalidCode);
    }
    sign_out(app, pending).await?;
    start_session(app, &user, false, client).await
}

/// The time step (30 s) whose code equals `code`, allowing one step of clock skew each way.
fn matching_step(totp: &TOTP, code: &str) -> Option<i64> {
    let now = now().timestamp();
    [now - 30, now, now + 30].into_iter().find_map(|t| {
        let expected = totp.generate(u64::try_from(t).ok()?);
        bool::from(expected.as_bytes().ct_eq(code.as_bytes())).then_some(t / 30)
    })
}

fn totp(secret: &[u8], email: &Email) -> Result<TOTP, AppError> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        secret.to_vec(),
        Some(TOTP_ISSUER.into()),
        email.to_string(),
    )
    .map_err(|e| AppError::Secrets(format!("invalid TOTP secret: {e}")))
}

/// What the two-factor setup page shows: the secret as text and as an `otpauth://` URL
/// (rendered as a QR code).
#[derive(Debug, Clone)]
pub struct TotpEnrollment {
    pub secret_base32: String,
    pub otpauth_url: String,
}

/// Starts (or restarts) two-factor setup: a new secret is stored, not yet enabled.
pub async fn begin_totp(app: &App, user: &User) -> Result<TotpEnrollment, AppError> {
    let secret = random::bytes::<20>().to_vec();
    let t = totp(&secret, &user.email)?;
    let sealed = app.secrets.encrypt(&secret);
    let id = user.id;
    app.store
        .write(move |c| users::set_totp(c, id, Some(&sealed), false, now()))
        .await?;
    Ok(TotpEnrollment {
        secret_base32: t.get_secret_base32(),
        otpauth_url: t.get_url(),
    })
}

/// The enrollment of a setup in progress (to show the same QR code again after a typo).
pub async fn pending_totp(app: &App, user: &User) -> Result<Option<TotpEnrollment>, AppError> {
    let id = user.id;
    let stored = app.store.read(move |c| users::credentials(c, id)).await?;
    match stored.totp_secret {
        Some(sealed) if !stored.user.totp_enabled => {
            let t = totp(&app.secrets.decrypt(&sealed)?, &user.email)?;
            Ok(Some(TotpEnrollment {
                secret_base32: t.get_secret_base32(),
                otpauth_url: t.get_url(),
            }))
        }
        _ => Ok(None),
    }
}

/// Turns two-factor sign-in on once the user proves their app shows the right code; answers
/// the recovery codes, shown once.
pub async fn confirm_totp(
    app: &App,
    actor: &Actor,
    user: &User,
    code: &str,
) -> Result<Vec<String>, AppError> {
    let id = user.id;
    let stored = app.store.read(move |c| users::credentials(c, id)).await?;
    let Some(sealed) = stored.totp_secret else {
        return Err(AppError::InvalidCode);
    };
    let secret = app.secrets.decrypt(&sealed)?;
    let Some(step) = matching_step(&totp(&secret, &user.email)?, code.trim()) else {
        return Err(AppError::InvalidCode);
    };
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| random::recovery_code())
        .collect();
    let hashes: Vec<String> = codes.iter().map(|c| random::sha256_hex(c)).collect();
    let entry = actor.audit(user.account_id, "two_factor.enabled", user.email.as_str());
    app.store
        .write(move |c| {
            users::set_totp(c, id, Some(&sealed), true, now())?;
            users::claim_totp_step(c, id, step)?;
            recovery_codes::replace(c, id, &hashes)?;
            audit::record(c, &entry, now())
        })
        .await?;
    Ok(codes)
}

/// Turns two-factor sign-in off; asks for the current password.
pub async fn disable_totp(
    app: &App,
    actor: &Actor,
    user: &User,
    password: &str,
) -> Result<(), AppError> {
    let id = user.id;
    let stored = app.store.read(move |c| users::credentials(c, id)).await?;
    if !passwords::verify(password, Some(stored.password_hash)).await {
        return Err(AppError::WrongCurrentPassword);
    }
    let entry = actor.audit(user.account_id, "two_factor.disabled", user.email.as_str());
    app.store
        .write(move |c| {
            users::set_totp(c, id, None, false, now())?;
            recovery_codes::replace(c, id, &[])?;
            audit::record(c, &entry, now())
        })
        .await?;
    Ok(())
}

pub async fn remaining_recovery_codes(app: &App, user: UserId) -> Result<i64, AppError> {
    Ok(app
        .store
        .read(move |c| recovery_codes::remaining(c, user))
        .await?)
}

/// Creates an API token acting as `user`; answers it with the token's only plaintext copy.
pub async fn create_api_token(
    app: &App,
    actor: &Actor,
    account: AccountId,
    user: UserId,
    name: &str,
    expires_at: Option<DateTime<Utc>>,
) -> Result<(ApiToken, String), AppError> {
    let name = saw_core::validation::display_name(name, 80)?;
    let plaintext = format!("{API_TOKEN_PREFIX}{}", random::token());
    let hash = random::sha256_hex(&plaintext);
    let prefix: String = plaintext.chars().take(API_TOKEN_PREFIX.len() + 6).collect();
    let actor = actor.clone();
    let token = app
        .store
        .write(move |c| {
            let owner = users::by_id(c, account, user)?;
            let id = tokens::insert(
                c,
                &NewToken {
                    account_id: account,
                    user_id: user,
                    name: &name,
                    token_hash: &hash,
                    token_prefix: &prefix,
                    expires_at,
                },
                now(),
            )?;
            let mut entry = actor.audit(account, "api_token.created", name.clone());
            entry.detail = Some(format!("acts as {}", owner.email));
            audit::record(c, &entry, now())?;
            Ok::<_, AppError>(tokens::by_id(c, account, id)?)
        })
        .await?;
    Ok((token, plaintext))
}

/// The user an API token acts as, if the token is valid (known, not revoked, not expired,
/// its user active).
pub async fn api_token_user(app: &App, token: &str) -> Result<Option<User>, AppError> {
    if !token.starts_with(API_TOKEN_PREFIX) {
        return Ok(None);
    }
    let hash = random::sha256_hex(token);
    let Some((found, user)) = app
        .store
        .read(move |c| tokens::find_by_hash(c, &hash))
        .await?
    else {
        return Ok(None);
    };
    let at = now();
    let expired = found.expires_at.is_some_and(|e| e <= at);
    if found.revoked_at.is_some() || expired || !user.active {
        return Ok(None);
    }
    if found.last_used_at.is_none_or(|t| at - t >= TOUCH_EVERY) {
        let id = found.id;
        app.store.write(move |c| tokens::touch(c, id, at)).await?;
    }
    Ok(Some(user))
}

pub async fn list_api_tokens(app: &App, account: AccountId) -> Result<Vec<ApiToken>, AppError> {
    Ok(app.store.read(move |c| tokens::list(c, account)).await?)
}

/// Revokes by id or, when `name_or_id` is not a number, by name (refusing an ambiguous name).
pub async fn revoke_api_token(
    app: &App,
    actor: &Actor,
    account: AccountId,
    name_or_id: &str,
) -> Result<ApiToken, AppError> {
    let key = name_or_id.trim().to_owned();
    let actor = actor.clone();
    app.store
        .write(move |c| {
            let token = match key.parse::<i64>() {
                Ok(id) => tokens::by_id(c, account, ApiTokenId::new(id))?,
                Err(_) => {
                    let mut found = tokens::active_by_name(c, account, &key)?;
                    match found.len() {
                        0 => return Err(AppError::NotFound),
                        1 => found.remove(0),
                        _ => return Err(AppError::AmbiguousToken(key)),
                    }
                }
            };
            if !tokens::revoke(c, account, token.id, now())? {
                return Err(AppError::AlreadyRevoked(token.name));
            }
            audit::record(
                c,
                &actor.audit(account, "api_token.revoked", token.name.clone()),
                now(),
            )?;
            Ok(tokens::by_id(c, account, token.id)?)
        })
        .await
}
