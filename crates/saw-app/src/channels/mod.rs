//! Channels (conexões) as an admin connects and removes them.
//!
//! The secrets of a channel are sealed with [`App::secrets`] as one JSON document before they
//! reach the store, and come back out only through [`get_decrypted`] and
//! [`get_by_provider_key`], for the adapters. What lists get is [`ChannelSummary`]: settings
//! and masked secrets, so no page or command can print a token by mistake. Audit entries
//! name the channel, its kind and provider key, never a secret.
//!
//! Adding a channel does not contact the provider: it works offline, in tests and before
//! Meta approves a number; a wrong token shows when an adapter first uses it.

pub mod active;

pub use active::ActiveChannels;

use saw_core::channel::{
    self, Channel, ChannelConfig, TelegramConfig, TelegramMode, TelegramSecrets, TelegramSettings,
    WhatsAppConfig, WhatsAppSecrets, WhatsAppSettings,
};
use saw_core::conversation::ChannelKind;
use saw_core::ids::{AccountId, ChannelId};
use saw_store::now;
use saw_store::repo::audit;
use saw_store::repo::channels::{self, NewChannel, StoredChannel};

use crate::secrets::SecretBox;
use crate::{Actor, App, AppError, random};

/// A channel to connect, as typed on the command line or in a form. Secrets arrive as plain
/// strings here and are checked into [`channel::Secret`]s by [`add`]; no `Debug`, so the
/// input cannot be logged whole.
pub enum NewChannelInput {
    WhatsApp {
        name: String,
        phone_number_id: String,
        waba_id: String,
        access_token: String,
        app_secret: String,
        /// `None`: SAW generates one, answered once in [`AddedChannel`].
        verify_token: Option<String>,
        /// `None`: Meta's Graph API.
        api_base: Option<String>,
    },
    Telegram {
        name: String,
        bot_token: String,
        mode: TelegramMode,
        /// `None`: Telegram's Bot API.
        api_base: Option<String>,
    },
    Sandbox {
        name: String,
    },
}

#[derive(Debug)]
pub struct AddedChannel {
    pub channel: Channel,
    /// The WhatsApp verify token SAW generated: the operator pastes it into Meta's webhook
    /// settings, so it is answered this once.
    pub generated_verify_token: Option<String>,
}

/// A channel as lists show it: readable settings, and each secret masked.
#[derive(Debug, Clone)]
pub struct ChannelSummary {
    pub channel: Channel,
    /// ("mode", "polling"), ("api", "https://api.telegram.org"), …
    pub settings: Vec<(&'static str, String)>,
    /// ("access_token", "EAAG…"), …; empty for the sandbox.
    pub secrets: Vec<(&'static str, String)>,
    /// Why the stored settings or credentials could not be read, if they could not.
    pub unreadable: Option<String>,
}

/// What [`remove`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    Deleted,
    /// Tickets or messages point at it: kept, and deactivated.
    Deactivated,
    /// Referenced, and deactivated already: nothing changed.
    AlreadyDeactivated,
}

pub async fn add(
    app: &App,
    actor: &Actor,
    account: AccountId,
    input: NewChannelInput,
) -> Result<AddedChannel, AppError> {
    let (name, config, generated_verify_token) = match input {
        NewChannelInput::WhatsApp {
            name,
            phone_number_id,
            waba_id,
            access_token,
            app_secret,
            verify_token,
            api_base,
        } => {
            let generated = verify_token.is_none().then(random::token);
            let verify_token = verify_token
                .or_else(|| generated.clone())
                .unwrap_or_default();
            let config = ChannelConfig::whatsapp(
                &phone_number_id,
                &waba_id,
                api_base.as_deref(),
                &access_token,
                &app_secret,
                &verify_token,
            )?;
            (name, config, generated)
        }
        NewChannelInput::Telegram {
            name,
            bot_token,
            mode,
            api_base,
        } => {
            // For `setWebhook` later; Telegram accepts 1–256 of [A-Za-z0-9_-], which a
            // URL-safe base64 token is.
            let config =
                ChannelConfig::telegram(&bot_token, mode, api_base.as_deref(), &random::token())?;
            (name, config, None)
        }
        NewChannelInput::Sandbox { name } => (name, ChannelConfig::Sandbox, None),
    };
    let name = channel::channel_name(&name)?;
    let (settings, credentials) = seal(&app.secrets, &config);
    let kind = config.kind();
    let provider_key = config.provider_key().map(str::to_owned);
    let actor = actor.clone();
    let channel = app
        .store
        .write(move |c| {
            let new = NewChannel {
                account_id: account,
                kind,
                name: &name,
                provider_key: provider_key.as_deref(),
                settings: &settings,
                credentials: credentials.as_deref(),
            };
            let id = channels::insert(c, &new, now())?;
            let mut entry = actor.audit(account, "channel.created", name.clone());
            entry.detail = Some(describe(id, kind, provider_key.as_deref()));
            audit::record(c, &entry, now())?;
            Ok::<_, AppError>(channels::by_id(c, account, id)?.channel)
        })
        .await?;
    app.active_channels.forget();
    Ok(AddedChannel {
        channel,
        generated_verify_token,
    })
}

/// What [`update`] changes; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct ChannelChanges {
    pub name: Option<String>,
    /// WhatsApp: a new access token (they expire); Telegram: a new bot token of the same bot.
    pub token: Option<String>,
    pub app_secret: Option<String>,
    pub api_base: Option<String>,
    /// Telegram only (ignored for other kinds).
    pub mode: Option<TelegramMode>,
    /// Sends per second (0 restores the provider's default).
    pub max_per_second: Option<u32>,
    /// Reactivate a deactivated channel.
    pub activate: bool,
}

/// Changes a channel's name, credentials or settings. New credentials also end a hold on
/// its outbox (the next send tells whether they work).
pub async fn update(
    app: &App,
    actor: &Actor,
    account: AccountId,
    id: ChannelId,
    changes: ChannelChanges,
) -> Result<Channel, AppError> {
    let (current, mut config) = get_decrypted(app, account, id).await?;
    let name = match &changes.name {
        Some(name) => channel::channel_name(name)?,
        None => current.name.clone(),
    };
    let rate = changes.max_per_second.map(|n| Some(n).filter(|n| *n > 0));
    let provider_key = config.provider_key().map(str::to_owned);
    match &mut config {
        ChannelConfig::WhatsApp(wa) => {
            let rebuilt = ChannelConfig::whatsapp(
                &wa.phone_number_id,
                &wa.settings.waba_id,
                Some(changes.api_base.as_deref().unwrap_or(&wa.settings.api_base)),
                changes
                    .token
                    .as_deref()
                    .unwrap_or(wa.secrets.access_token.expose()),
                changes
                    .app_secret
                    .as_deref()
                    .unwrap_or(wa.secrets.app_secret.expose()),
                wa.secrets.verify_token.expose(),
            )?;
            let previous_rate = wa.settings.max_per_second;
            config = rebuilt;
            if let ChannelConfig::WhatsApp(wa) = &mut config {
                wa.settings.max_per_second = rate.unwrap_or(previous_rate);
            }
        }
        ChannelConfig::Telegram(tg) => {
            let token = changes
                .token
                .as_deref()
                .unwrap_or(tg.secrets.bot_token.expose());
            let rebuilt = ChannelConfig::telegram(
                token,
                changes.mode.unwrap_or(tg.settings.mode),
                Some(changes.api_base.as_deref().unwrap_or(&tg.settings.api_base)),
                tg.secrets.webhook_secret.expose(),
            )?;
            if rebuilt.provider_key() != provider_key.as_deref() {
                return Err(AppError::OtherBot);
            }
            let previous_rate = tg.settings.max_per_second;
            config = rebuilt;
            if let ChannelConfig::Telegram(tg) = &mut config {
                tg.settings.max_per_second = rate.unwrap_or(previous_rate);
            }
        }
        ChannelConfig::Sandbox => {}
    }
    let (settings, credentials) = seal(&app.secrets, &config);
    let new_credentials = changes.token.is_some() || changes.app_secret.is_some();
    let mut entry = actor.audit(account, "channel.updated", name.clone());
    entry.detail = Some(
        [
            changes.name.as_ref().map(|_| "name"),
            changes.token.as_ref().map(|_| "token"),
            changes.app_secret.as_ref().map(|_| "app secret"),
            changes.api_base.as_ref().map(|_| "api base"),
            changes.mode.as_ref().map(|_| "mode"),
            changes.max_per_second.as_ref().map(|_| "rate"),
            changes.activate.then_some("reactivated"),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", "),
    );
    let activate = changes.activate;
    let (channel, recovered) = app
        .store
        .write(move |c| {
            let at = now();
            channels::update_config(c, account, id, &name, &settings, credentials.as_deref(), at)?;
            if activate {
                channels::set_active(c, account, id, true, at)?;
            }
            let recovered = new_credentials && channels::mark_healthy(c, id)?;
            audit::record(c, &entry, at)?;
            Ok::<_, AppError>((channels::by_id(c, account, id)?.channel, recovered))
        })
        .await?;
    app.active_channels.forget();
    if recovered {
        app.events.publish([crate::events::Event::ChannelHealth {
            account_id: account,
            channel_id: id,
            healthy: true,
        }]);
    }
    Ok(channel)
}

/// Every channel of the account, secrets masked.
pub async fn list(app: &App, account: AccountId) -> Result<Vec<ChannelSummary>, AppError> {
    let stored = app.store.read(move |c| channels::list(c, account)).await?;
    Ok(stored
        .into_iter()
        .map(|s| match open(&app.secrets, &s) {
            Ok(config) => ChannelSummary {
                settings: config.shown_settings(),
                secrets: config.masked_secrets(),
                unreadable: None,
                channel: s.channel,
            },
            Err(e) => {
                tracing::warn!(channel = %s.channel.id, error = %e, "channel settings unreadable");
                ChannelSummary {
                    settings: Vec::new(),
                    secrets: Vec::new(),
                    unreadable: Some(e.to_string()),
                    channel: s.channel,
                }
            }
        })
        .collect())
}

/// A channel with its secrets in the clear, for the adapter that talks to the provider.
pub async fn get_decrypted(
    app: &App,
    account: AccountId,
    id: ChannelId,
) -> Result<(Channel, ChannelConfig), AppError> {
    let stored = app
        .store
        .read(move |c| channels::by_id(c, account, id))
        .await?;
    let config = open(&app.secrets, &stored)?;
    Ok((stored.channel, config))
}

/// The channel a webhook names (phone number id, bot id), with its secrets: the app secret
/// or webhook secret that checks the request. `None` when no channel has that key.
pub async fn get_by_provider_key(
    app: &App,
    kind: ChannelKind,
    key: &str,
) -> Result<Option<(Channel, ChannelConfig)>, AppError> {
    let key = key.to_owned();
    let Some(stored) = app
        .store
        .read(move |c| channels::by_provider_key(c, kind, &key))
        .await?
    else {
        return Ok(None);
    };
    let config = open(&app.secrets, &stored)?;
    Ok(Some((stored.channel, config)))
}

/// A channel's configuration for sending, as of `changed_at` (its `updated_at` when the
/// row to send was leased): from the in-memory copy of the active channels when that copy
/// is as new, else from the store (a deactivated channel, to say so).
pub async fn for_sending(
    app: &App,
    account: AccountId,
    id: ChannelId,
    changed_at: chrono::DateTime<chrono::Utc>,
) -> Result<(Channel, ChannelConfig), AppError> {
    let current = active::find(app, |active| {
        active
            .get(id)
            .filter(|(channel, _)| {
                channel.account_id == account && channel.updated_at >= changed_at
            })
            .cloned()
            .ok_or(AppError::NotFound)
    });
    if let Ok(found) = current.await {
        return Ok(found);
    }
    get_decrypted(app, account, id).await
}

/// Deletes a channel nothing points at; one with tickets or messages keeps its history and
/// is deactivated instead.
pub async fn remove(
    app: &App,
    actor: &Actor,
    account: AccountId,
    id: ChannelId,
) -> Result<(Channel, Removal), AppError> {
    let actor = actor.clone();
    let removed = app
        .store
        .write(move |c| {
            channels::lock(c, account, id)?;
            let channel = channels::by_id(c, account, id)?.channel;
            let detail = describe(id, channel.kind, channel.provider_key.as_deref());
            let (action, removal) = if !channels::is_referenced(c, id)? {
                channels::delete(c, account, id)?;
                ("channel.removed", Removal::Deleted)
            } else if channel.active {
                channels::set_active(c, account, id, false, now())?;
                ("channel.deactivated", Removal::Deactivated)
            } else {
                return Ok((channel, Removal::AlreadyDeactivated));
            };
            let mut entry = actor.audit(account, action, channel.name.clone());
            entry.detail = Some(detail);
            audit::record(c, &entry, now())?;
            Ok((channel, removal))
        })
        .await;
    app.active_channels.forget();
    removed
}

/// "#3 whatsapp 112233445566778": what the audit log says about a channel.
fn describe(id: ChannelId, kind: ChannelKind, provider_key: Option<&str>) -> String {
    match provider_key {
        Some(key) => format!("#{id} {} {key}", kind.as_str()),
        None => format!("#{id} {}", kind.as_str()),
    }
}

/// The settings JSON and the sealed secrets document of a channel.
fn seal(secrets: &SecretBox, config: &ChannelConfig) -> (String, Option<Vec<u8>>) {
    fn json<T: serde::Serialize>(value: &T) -> Vec<u8> {
        serde_json::to_vec(value).expect("channel settings and secrets serialise to JSON")
    }
    let (settings, sealed) = match config {
        ChannelConfig::WhatsApp(w) => (json(&w.settings), Some(json(&w.secrets))),
        ChannelConfig::Telegram(t) => (json(&t.settings), Some(json(&t.secrets))),
        ChannelConfig::Sandbox => (b"{}".to_vec(), None),
    };
    let settings = String::from_utf8(settings).expect("JSON is UTF-8");
    (settings, sealed.map(|plain| secrets.encrypt(&plain)))
}

/// The typed configuration of a stored channel: settings parsed, secrets decrypted.
fn open(secrets: &SecretBox, stored: &StoredChannel) -> Result<ChannelConfig, AppError> {
    let channel = &stored.channel;
    let unreadable = |what: &str| {
        AppError::Secrets(format!(
            "the stored {what} of channel {} cannot be read",
            channel.id
        ))
    };
    let settings = stored.settings.as_bytes();
    let sealed = || -> Result<Vec<u8>, AppError> {
        let sealed = stored
            .credentials
            .as_deref()
            .ok_or_else(|| unreadable("credentials"))?;
        secrets.decrypt(sealed)
    };
    match channel.kind {
        ChannelKind::Sandbox => Ok(ChannelConfig::Sandbox),
        ChannelKind::WhatsApp => {
            let settings: WhatsAppSettings =
                serde_json::from_slice(settings).map_err(|_| unreadable("settings"))?;
            let secrets: WhatsAppSecrets =
                serde_json::from_slice(&sealed()?).map_err(|_| unreadable("credentials"))?;
            let phone_number_id = channel
                .provider_key
                .clone()
                .ok_or_else(|| unreadable("phone number id"))?;
            Ok(ChannelConfig::WhatsApp(WhatsAppConfig {
                phone_number_id,
                settings,
                secrets,
            }))
        }
        ChannelKind::Telegram => {
            let settings: TelegramSettings =
                serde_json::from_slice(settings).map_err(|_| unreadable("settings"))?;
            let secrets: TelegramSecrets =
                serde_json::from_slice(&sealed()?).map_err(|_| unreadable("credentials"))?;
            Ok(ChannelConfig::Telegram(TelegramConfig {
                settings,
                secrets,
            }))
        }
    }
}

/// The account's channels, without their settings or credentials (for filters and lists).
pub async fn names(app: &App, account: AccountId) -> Result<Vec<Channel>, AppError> {
    Ok(app
        .store
        .read(move |c| channels::list(c, account))
        .await?
        .into_iter()
        .map(|s| s.channel)
        .collect())
}

/// The account's active channels that stopped sending (expired token, blocked number, a
/// flood of failures): their outboxes are held until fixed.
pub async fn unhealthy(app: &App, account: AccountId) -> Result<Vec<Channel>, AppError> {
    Ok(app
        .store
        .read(move |c| channels::unhealthy(c, account))
        .await?
        .into_iter()
        .map(|s| s.channel)
        .collect())
}

#[cfg(test)]
mod tests {
    use saw_store::Store;
    use saw_store::repo::accounts;

    use super::*;
    use crate::AuthPolicy;

    const TOKEN: &str = "123456789:AAEhBOweik9ai2o4Pq3XbQ-yZ_Ld0mWTk7s";

    async fn app(db: &saw_testkit::TestDb) -> (App, AccountId) {
        let store = Store::open(&db.url).await.unwrap();
        let account = store
            .write(|c| accounts::create(c, "Loja", now()))
            .await
            .unwrap();
        let app = App::new(
            store,
            SecretBox::from_key([3; 32]),
            AuthPolicy::default(),
            &db.data_dir(),
        );
        (app, account)
    }

    #[tokio::test]
    async fn secrets_round_trip_sealed_and_lists_mask_them() {
        for db in saw_testkit::backends() {
            let (app, account) = app(&db).await;
            let actor = Actor::cli();
            let added = add(
                &app,
                &actor,
                account,
                NewChannelInput::WhatsApp {
                    name: "WhatsApp Loja".into(),
                    phone_number_id: "112233445566778".into(),
                    waba_id: "104952389402837".into(),
                    access_token: "EAAGm0PX4ZCpsBAKZCZAq1zX".into(),
                    app_secret: "saw-fixtures-app-secret".into(),
                    verify_token: None,
                    api_base: Some("http://127.0.0.1:9/".into()),
                },
            )
            .await
            .unwrap();
            let verify = added.generated_verify_token.expect("generated");
            let telegram = add(
                &app,
                &actor,
                account,
                NewChannelInput::Telegram {
                    name: "Bot".into(),
                    bot_token: TOKEN.into(),
                    mode: TelegramMode::Webhook,
                    api_base: None,
                },
            )
            .await
            .unwrap()
            .channel;
            assert_eq!(telegram.provider_key.as_deref(), Some("123456789"));

            let (channel, config) = get_decrypted(&app, account, added.channel.id)
                .await
                .unwrap();
            assert_eq!(channel.kind, ChannelKind::WhatsApp);
            let ChannelConfig::WhatsApp(w) = config else {
                panic!("{}: not WhatsApp", db.name)
            };
            assert_eq!(w.secrets.access_token.expose(), "EAAGm0PX4ZCpsBAKZCZAq1zX");
            assert_eq!(w.secrets.app_secret.expose(), "saw-fixtures-app-secret");
            assert_eq!(w.secrets.verify_token.expose(), verify);
            assert_eq!(w.settings.api_base, "http://127.0.0.1:9");
            assert_eq!(w.phone_number_id, "112233445566778");

            let (_, routed) = get_by_provider_key(&app, ChannelKind::Telegram, "123456789")
                .await
                .unwrap()
                .expect("found by bot id");
            let ChannelConfig::Telegram(t) = routed else {
                panic!("{}: not Telegram", db.name)
            };
            assert_eq!(t.secrets.bot_token.expose(), TOKEN);
            assert_eq!(t.secrets.webhook_secret.expose().len(), 43);
            assert_eq!(t.settings.mode, TelegramMode::Webhook);

            // What the store holds: settings readable, no secret in the clear anywhere.
            let rows = app
                .store
                .read(move |c| channels::list(c, account))
                .await
                .unwrap();
            let listed = format!("{:?}", list(&app, account).await.unwrap());
            let audit_log = format!(
                "{:?}",
                crate::account::audit_log(&app, account, 10).await.unwrap()
            );
            for secret in [
                "EAAGm0PX4ZCpsBAKZCZAq1zX",
                "saw-fixtures-app-secret",
                &verify,
                TOKEN,
                t.secrets.webhook_secret.expose(),
            ] {
                for row in &rows {
                    let sealed = row.credentials.as_deref().unwrap();
                    assert!(
                        !sealed.windows(secret.len()).any(|w| w == secret.as_bytes()),
                        "{}: sealed",
                        db.name
                    );
                    assert!(!row.settings.contains(secret), "{}", db.name);
                }
                assert!(!listed.contains(secret), "{}: {listed}", db.name);
                assert!(!audit_log.contains(secret), "{}: {audit_log}", db.name);
            }
            assert!(listed.contains("EAAG…"), "{listed}");
            assert!(
                audit_log.contains("whatsapp 112233445566778"),
                "{audit_log}"
            );

            // Another key cannot open them, and says so instead of showing garbage.
            let other = App {
                secrets: SecretBox::from_key([4; 32]),
                ..app.clone()
            };
            let err = get_decrypted(&other, account, added.channel.id)
                .await
                .unwrap_err();
            assert!(matches!(err, AppError::Secrets(_)), "{err:?}");
            let summaries = list(&other, account).await.unwrap();
            assert!(summaries.iter().all(|s| s.unreadable.is_some()));

            let again = add(
                &app,
                &actor,
                account,
                NewChannelInput::Telegram {
                    name: "Outro bot".into(),
                    bot_token: "123456789:BBEhBOweik9ai2o4Pq3XbQ-yZ_Ld0mWTk7s".into(),
                    mode: TelegramMode::Polling,
                    api_base: None,
                },
            )
            .await
            .unwrap_err();
            assert!(matches!(again, AppError::ChannelTaken), "{again:?}");

            let (_, removal) = remove(&app, &actor, account, telegram.id).await.unwrap();
            assert_eq!(removal, Removal::Deleted);
            assert!(
                get_by_provider_key(&app, ChannelKind::Telegram, "123456789")
                    .await
                    .unwrap()
                    .is_none()
            );
        }
    }
}
